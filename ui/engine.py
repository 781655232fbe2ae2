"""The engine, loaded once per process and shared by every session."""
from __future__ import annotations

import os

import streamlit as st

from fer_core import DetectorError, Engine, ModelError
from ui.settings import Settings


@st.cache_resource(show_spinner="Loading the emotion model…")
def _load_engine(model: str | None, detector: str, yunet_model: str | None, download: bool) -> Engine:
    return Engine.load(model, detector, yunet_model=yunet_model, download=download)


def get_engine(settings: Settings) -> Engine:
    """The shared engine for these settings; stops the page with a clear message if it cannot load.

    FER_MODEL names another model folder; FER_YUNET_MODEL a YuNet file; FER_YUNET_DOWNLOAD=0 forbids
    fetching YuNet from its official URL (checked by SHA-256). Failures are not cached: a fix is picked up.
    """
    try:
        engine = _load_engine(os.environ.get("FER_MODEL") or settings.model, settings.detector,
                              os.environ.get("FER_YUNET_MODEL"),
                              os.environ.get("FER_YUNET_DOWNLOAD", "1") == "1")
    except ModelError as err:
        st.error("The emotion model could not be loaded, so faces cannot be read right now. Whoever runs this "
                 "app can fix it by reinstalling it from a fresh copy of the repository.")
        with st.expander("Technical details"):
            st.code(f"{err}\nOr point FER_MODEL at a model folder.", language=None)
        st.stop()
    except DetectorError as err:
        st.error("The chosen face finder could not be started. Choose another face detector in the sidebar.")
        with st.expander("Technical details"):
            st.code(str(err), language=None)
        st.stop()
    if engine.note:  # YuNet is missing: say so calmly, beside the setting it concerns, not as a banner
        with st.sidebar:
            st.caption("Using the built-in face finder (the more accurate YuNet is not available here).")
            with st.expander("Technical details"):
                st.code(engine.note, language=None)
    return engine
