import streamlit as st

from ui.engine import get_engine
from ui.navigation import require_entrypoint
from ui.results import show_analysis
from ui.settings import current_settings

require_entrypoint()

st.title("Snapshot")
engine = get_engine(current_settings())
taken = st.session_state.get("snapshot_camera") is not None
with st.expander("Camera: take another photo" if taken else "Camera", expanded=not taken):  # the reading in view
    photo = st.camera_input("Take a photo", help="Your browser will ask for permission to use the camera.",
                            key="snapshot_camera")
if photo is None:
    st.caption("If no camera picture appears, allow camera access for this site in your browser's address bar, "
               "or use the Upload page instead.")
else:
    show_analysis([("snapshot.jpg", photo)], engine, current_settings(), key="snapshot")
