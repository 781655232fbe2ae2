"""The sidebar's settings (the emotion model of each page, the face detector, the minimum face confidence)
and the settings a page reads from them."""
from __future__ import annotations

import os
from dataclasses import dataclass

import streamlit as st

from ui.models import model_label, model_names

DEFAULT_MIN_SCORE = 0.6
DETECTORS = {"auto": "Automatic (YuNet if available)", "yunet": "YuNet (more accurate)", "haar": "Haar cascade (fast)"}
# The model each page starts on: Live needs speed; the others read each face once and can afford accuracy.
PAGE_MODELS = {"live": "fast"}
MODEL_PAGES = ("upload", "snapshot", "video", "live", "dashboard")  # the pages that offer the choice


@dataclass(frozen=True)
class Settings:
    detector: str
    min_score: float
    model: str | None = None  # a shipped model's name; None for the default


def current_settings() -> Settings:
    """The settings chosen in the sidebar (drawn by streamlit_app.py on every page)."""
    return Settings(st.session_state.get("detector", "auto"), st.session_state.get("min_score", DEFAULT_MIN_SCORE),
                    st.session_state.get("model"))


def _remember_model(page: str) -> None:
    st.session_state.models_chosen[page] = st.session_state[f"model@{page}"]


def _model_choice(page: str) -> str | None:
    """The model selector of ``page``. Each page keeps its own choice for the session, starting on the page's
    own default; FER_MODEL, where set, replaces the choice."""
    if os.environ.get("FER_MODEL"):
        st.caption(f"Model: `{os.environ['FER_MODEL']}` (set by FER_MODEL).")
        return None
    names, default = model_names()
    if not names:
        return None
    wanted = st.session_state.setdefault("models_chosen", {}).get(page) or PAGE_MODELS.get(page, default)
    index = next((names.index(name) for name in (wanted, default) if name in names), 0)
    return st.selectbox("Emotion model", names, index=index, format_func=model_label, key=f"model@{page}",
                        on_change=_remember_model, args=(page,),
                        help="Accurate reads each face with several networks and is right more often; Fast uses one "
                             "network and keeps live video smooth. “Agrees”: how often its reading of one of "
                             "FER2013's test faces is the emotion most of ten people chose for it (the Dashboard sets "
                             "one person's beside it). “ms”: the time to read one face on the machine that "
                             "measured it. The Dashboard describes each model.")


def sidebar_settings(page: str) -> None:
    """Draws the settings for ``page`` (its url path); pages read them with current_settings()."""
    with st.sidebar:
        st.header("Settings")
        st.session_state.model = _model_choice(page) if page in MODEL_PAGES else None
        st.selectbox("Face detector", list(DETECTORS), format_func=DETECTORS.get, key="detector")
        st.slider("Minimum face confidence", 0.0, 1.0, DEFAULT_MIN_SCORE, 0.05, key="min_score",
                  help="Faces the detector is less sure of are ignored.")
