import streamlit as st

from fer_core.limits import MAX_VIDEO_MB, MAX_VIDEO_SECONDS
from fer_core.video import FORMATS
from ui.engine import get_engine
from ui.navigation import require_entrypoint
from ui.results import model_name
from ui.settings import current_settings
from ui.video import analyze, show

require_entrypoint()

st.title("Video")
settings = current_settings()
engine = get_engine(settings)
with st.sidebar:
    per_second = st.slider("Frames analyzed per second", 1, 15, 5, key="video_rate",
                           help="More is smoother and slower. The annotated video keeps every frame.")
clip = st.file_uploader(f"A video ({FORMATS}; up to {MAX_VIDEO_MB} MB and {MAX_VIDEO_SECONDS // 60} minutes)",
                        max_upload_size=MAX_VIDEO_MB)  # any file: one we cannot read is told why
if clip is None:
    st.caption("Each face is followed through the clip with a number it keeps while in view. You get the "
               "annotated video, a timeline per face and the results as CSV or JSON. The video is analyzed in "
               "memory and never stored.")
else:
    result = analyze(clip, engine, settings, every=1 / per_second)
    if result:
        show(clip.name, result, model_name(engine))
