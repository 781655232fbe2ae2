from pathlib import Path

import streamlit as st

from fer_core.imageio import FORMATS
from fer_core.limits import MAX_IMAGES_PER_UPLOAD, MAX_UPLOAD_MB
from ui.engine import get_engine
from ui.navigation import require_entrypoint
from ui.results import photos_to_show, sample_buttons, show_analysis
from ui.settings import current_settings

require_entrypoint()

SAMPLES = sorted((Path(__file__).resolve().parent.parent / "assets").glob("*.jpg"))

st.title("Upload photos")
engine = get_engine(current_settings())

# Any file is taken (no `type=`): one we cannot read gets a message that says why, where the uploader's own
# refusal is a small red mark on the file's chip.
files = st.file_uploader(
    f"Photos ({FORMATS}; up to {MAX_IMAGES_PER_UPLOAD} files of {MAX_UPLOAD_MB} MB)",
    accept_multiple_files=True, max_upload_size=MAX_UPLOAD_MB)
sample_buttons(SAMPLES, files)
if chosen := photos_to_show(SAMPLES, files):
    photos, key = chosen
    show_analysis(photos, engine, current_settings(), key=key)
