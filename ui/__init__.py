"""Streamlit building blocks shared by the pages: the cached engine, settings, result view, charts."""
