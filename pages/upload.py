from pathlib import Path

import streamlit as st

from fer_core.imageio import FORMATS, UPLOAD_TYPES
from fer_core.limits import MAX_IMAGES_PER_UPLOAD, MAX_UPLOAD_MB
from ui.engine import get_engine
from ui.navigation import require_entrypoint
from ui.results import show_analysis
from ui.settings import current_settings

require_entrypoint()

SAMPLES = sorted((Path(__file__).resolve().parent.parent / "assets").glob("*.jpg"))

st.title("Upload photos")
engine = get_engine(current_settings())

files = st.file_uploader(
    f"Photos ({FORMATS}; up to {MAX_IMAGES_PER_UPLOAD} files of {MAX_UPLOAD_MB} MB)",
    type=UPLOAD_TYPES, accept_multiple_files=True, max_upload_size=MAX_UPLOAD_MB)
st.caption("Or try a sample:")
for column, sample in zip(st.columns(len(SAMPLES) + 2), SAMPLES):
    if column.button(sample.stem.replace("-", " ").capitalize(), key=f"sample-{sample.name}"):
        st.session_state.sample = sample.name

if files:
    show_analysis([(f.name, f) for f in files], engine, current_settings(), key="upload")
elif "sample" in st.session_state:
    sample = next(s for s in SAMPLES if s.name == st.session_state.sample)
    show_analysis([(sample.name, sample.read_bytes())], engine, current_settings(), key="sample")
