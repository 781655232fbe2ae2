import streamlit as st

from fer_core import EMOTIONS
from ui.engine import shipped_artifacts
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

info = shipped_artifacts().metrics
if info:
    st.subheader("The model")
    st.markdown(
        f"A convolutional network we trained on FER2013 (35,887 labelled faces). On FER2013's test set it picks "
        f"the same emotion as the human label for **{info['accuracy']:.1%}** of faces "
        f"({info['accuracy_tta']:.1%} when it also looks at the mirrored face). People agree with those labels "
        f"about 65% of the time, so expect mistakes, especially between fear, sad and surprise.")

st.subheader("Your privacy")
st.markdown(
    "Images are processed in memory and never stored: nothing you upload, snap or stream is written to disk "
    "or logged, and nothing leaves the server this app runs on.")
