"""Keep every page behind streamlit_app.py's navigation and sidebar, even on a deep link."""
from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

ENTRYPOINT_RAN = "entrypoint_ran"


def mark_entrypoint() -> None:
    """Called by streamlit_app.py on every run, before the page runs."""
    st.session_state[ENTRYPOINT_RAN] = True


def require_entrypoint() -> None:
    """First thing on each page. Until some session has called st.navigation, Streamlit serves a deep link
    such as /upload from the pages/ folder alone (its older multipage mode): no sidebar, no settings. Leave
    that mode and rerun, so that streamlit_app.py draws the app around the page."""
    if not st.session_state.get(ENTRYPOINT_RAN):
        PagesManager.uses_pages_directory = False
        st.rerun()
