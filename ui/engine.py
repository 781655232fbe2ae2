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
    model, yunet = os.environ.get("FER_MODEL") or settings.model, os.environ.get("FER_YUNET_MODEL")
    download = os.environ.get("FER_YUNET_DOWNLOAD", "1") == "1"
    try:
        engine = _load_engine(model, settings.detector, yunet, download)
    except ModelError as err:
        st.error("The emotion model could not be loaded, so faces cannot be read right now. Whoever runs this "
                 "app can fix it by reinstalling it from a fresh copy of the repository.")
        with st.expander("Technical details"):
            st.code(f"{err}\nOr point FER_MODEL at a model folder.", language=None)
        st.stop()
    except DetectorError as err:  # YuNet chosen but not loadable: say so beside the choice, and go on with Haar
        engine = _load_engine(model, "haar", None, False)
        _detector_note(f"YuNet could not be started, so the built-in face finder is used. {err}")
        return engine
    if engine.note:  # auto found no YuNet: say so calmly, beside the setting it concerns, not as a banner
        _detector_note(engine.note)
    return engine


def _detector_note(detail: str) -> None:
    with st.sidebar:
        st.caption("Using the built-in face finder: it misses more faces, mostly small or turned ones. The more "
                   "accurate YuNet needs its model file: set FER_YUNET_MODEL to a copy of "
                   "face_detection_yunet_2023mar.onnx, or let the server reach the network once to fetch it.")
        with st.expander("Technical details"):
            st.code(detail, language=None)
