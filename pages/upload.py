from pathlib import Path

import streamlit as st

from fer_core.imageio import FORMATS, UPLOAD_TYPES
from fer_core.limits import MAX_IMAGES_PER_UPLOAD, MAX_UPLOAD_MB
from ui.engine import get_engine
from ui.navigation import require_entrypoint
from ui.results import photos_to_show, sample_buttons, show_analysis
from ui.settings import current_settings

require_entrypoint()

SAMPLES = sorted((Path(__file__).resolve().parent.parent / "assets").glob("*.jpg"))

st.title("Upload photos")
engine = get_engine(current_settings())

files = st.file_uploader(
    f"Photos ({FORMATS}; up to {MAX_IMAGES_PER_UPLOAD} files of {MAX_UPLOAD_MB} MB)",
    type=UPLOAD_TYPES, accept_multiple_files=True, max_upload_size=MAX_UPLOAD_MB)
sample_buttons(SAMPLES, files)
if chosen := photos_to_show(SAMPLES, files):
    photos, key = chosen
    show_analysis(photos, engine, current_settings(), key=key)
