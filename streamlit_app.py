"""Facial emotion recognition: `streamlit run streamlit_app.py`."""
import streamlit as st

from ui.navigation import mark_entrypoint
from ui.settings import sidebar_settings

st.set_page_config(page_title="Emotion reader", page_icon=":material/mood:", layout="wide")

pages = st.navigation([
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/upload.py", title="Upload", icon=":material/upload:", url_path="upload"),
    st.Page("pages/snapshot.py", title="Snapshot", icon=":material/photo_camera:", url_path="snapshot"),
    st.Page("pages/video.py", title="Video", icon=":material/movie:", url_path="video"),
    st.Page("pages/live.py", title="Live", icon=":material/videocam:", url_path="live"),
    st.Page("pages/dashboard.py", title="Dashboard", icon=":material/monitoring:", url_path="dashboard"),
])
sidebar_settings(pages.url_path)
mark_entrypoint()
pages.run()
