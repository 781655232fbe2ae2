import streamlit as st

from fer_core import EMOTIONS
from ui.models import shipped_artifacts
from ui.navigation import require_entrypoint

require_entrypoint()

st.title("What does this face feel?")
st.markdown(
    "This app reads the expression on each face in a photo or a video and tells how likely each of seven "
    "emotions is: " + ", ".join(EMOTIONS) + ".")

upload, snapshot, video, live, dashboard = st.columns(5)
upload.page_link("pages/upload.py", label="**Upload** photos", icon=":material/upload:")
snapshot.page_link("pages/snapshot.py", label="**Snapshot** from your camera", icon=":material/photo_camera:")
video.page_link("pages/video.py", label="**Video** files", icon=":material/movie:")
live.page_link("pages/live.py", label="**Live** video", icon=":material/videocam:")
dashboard.page_link("pages/dashboard.py", label="**Dashboard** of the model", icon=":material/monitoring:")

accurate, fast = shipped_artifacts("accurate").metrics, shipped_artifacts("fast").metrics
if accurate and fast:
    st.subheader("The models")
    st.markdown(
        f"Two models we trained on FER2013 (35,887 labelled faces); choose one in the sidebar. **Accurate** "
        f"combines several networks and picks the same emotion as the human label for **{accurate.accuracy:.1%}** "
        f"of FER2013's test faces. **Fast** is one smaller network that learned from Accurate, "
        f"**{fast.accuracy:.1%}**, at a fraction of the cost, for smooth live video. People agree with those "
        f"labels about 65% of the time, so expect mistakes, especially between fear, sad and surprise.")

st.subheader("Your privacy")
st.markdown(
    "Images are processed in memory and never stored: nothing you upload, snap or stream is written to disk "
    "or logged, and nothing leaves the server this app runs on.")
