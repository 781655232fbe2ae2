"""The Home page's pieces: an example read by the shipped model, a button to each mode, the models in words."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from fer_core.photo import analyze_photo
from ui.engine import get_engine
from ui.models import shipped_artifacts
from ui.settings import current_settings

EXAMPLE = Path(__file__).resolve().parent.parent / "assets" / "six-faces.jpg"
MODES = [("pages/upload.py", "Upload photos", ":material/upload:"),
         ("pages/snapshot.py", "Snapshot", ":material/photo_camera:"),
         ("pages/video.py", "Video files", ":material/movie:"),
         ("pages/live.py", "Live camera", ":material/videocam:"),
         ("pages/dashboard.py", "How good is it?", ":material/monitoring:")]


@st.cache_data(show_spinner=False)
def _annotated_example(model: str | None, detector: str, _engine) -> np.ndarray:
    return analyze_photo(_engine, EXAMPLE.read_bytes()).annotated()


def example_image() -> np.ndarray:
    """The six-face sample as the Upload page shows it, read once per model and detector, and kept."""
    settings = current_settings()
    return _annotated_example(settings.model, settings.detector, get_engine(settings))


def mode_buttons() -> None:
    """One wide button a mode, stacked: none is cut off, on a projector or a phone."""
    for page, label, icon in MODES:
        st.page_link(page, label=f"**{label}**", icon=icon, width="stretch")


def models_in_words() -> str:
    accurate, fast = shipped_artifacts("accurate").metrics, shipped_artifacts("fast").metrics
    if not (accurate and fast):
        return "No trained model is installed: see the README."
    people = f"{accurate.agreement_words} " if accurate.agreement_words else ""
    fast_people = (f": it agrees with the people's majority on {fast.people['agreement']:.1%}"
                   if fast.people and fast.people.get("agreement") is not None else "")
    mix_up = accurate.confusion_words("people" if accurate.confusion("people") else "labels")
    return (f"Two models we trained on FER2013's 35,887 faces and on how ten people read each one. **Accurate**, for "
            f"photos and video, combines two networks. {people}On FER2013's original labels it scores "
            f"{accurate.accuracy:.1%}. **Fast**, for live video, is one smaller network that learned from Accurate"
            f"{fast_people}, at a fraction of the cost. The photo pages let you switch between them in the sidebar. "
            f"Expect mistakes all the same. {mix_up}")
