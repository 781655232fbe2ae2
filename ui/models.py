"""The shipped models' files, read once per process: their metrics, history and cards, and their names."""
from __future__ import annotations

import streamlit as st

from fer_core import ModelError
from fer_core.models import ModelArtifacts, default_model_dir, load_artifacts, shipped_model_names

MODEL_WORDS = {"accurate": "Accurate", "fast": "Fast"}


@st.cache_data(show_spinner=False)
def shipped_artifacts(model: str | None = None) -> ModelArtifacts:
    """A shipped model's metrics, history, class counts and card (None: the default): read once, not on every
    rerun."""
    return load_artifacts(model)


def model_label(name: str) -> str:
    """The sidebar's words for a model, short enough for its box, led by its agreement with people where it was
    measured: "Accurate (agrees 74%, 4.3 ms)", else "Accurate (71% right, 4.3 ms)"."""
    metrics = shipped_artifacts(name).metrics
    words = MODEL_WORDS.get(name, name)
    if not metrics:
        return words
    people = (metrics.people or {}).get("agreement")
    figure = f"agrees {people:.0%}" if people is not None else f"{metrics.accuracy:.0%} right"
    return f"{words} ({figure}, {metrics.latency_p50_ms:.1f} ms)"


@st.cache_data(show_spinner=False)
def model_names() -> tuple[list[str], str | None]:
    """The shipped models and the default's name: read from disk once, not on every rerun."""
    try:
        default = default_model_dir().name
    except ModelError:
        default = None
    return shipped_model_names(), default
