"""Shared fixtures: the models and engines, and one real Streamlit server and one Chromium for every browser test
of the session. TensorFlow never loads in the pytest process: training runs in subprocesses, so tests that load
aiortc (streamlit-webrtc) can share the process safely."""
from __future__ import annotations

import os

import numpy as np
import pytest
from support import SCREENSHOTS, YUNET_MODEL, browser_page, camera_browser, run_module, streamlit_server, tiny_fer2013

from fer_core import Engine
from fer_core.models import ModelError, default_model_dir

# Never download anything in tests: YuNet comes from ../shared or not at all.
os.environ["FER_YUNET_DOWNLOAD"] = "0"


# ---------------------------------------------------------------- models and engines

@pytest.fixture(scope="session")
def tiny_npz(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "fer2013.npz"
    np.savez(path, **tiny_fer2013())
    return path


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, tiny_npz):
    """A small model with the shipped model's contract, trained one epoch by our own CLI."""
    out = tmp_path_factory.mktemp("models") / "tiny"
    result = run_module("fer_core.training.train", "--data", tiny_npz, "--out", out, "--epochs", "1", "--width", "4",
                        "--batch-size", "16", "--verbose", "0")
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def shipped_model_dir():
    try:
        path = default_model_dir()
    except ModelError:
        return None
    return path if (path / "model.tflite").is_file() else None


@pytest.fixture(scope="session")
def model_dir(request):
    """The shipped model where it exists; else the tiny one, trained only then."""
    return shipped_model_dir() or request.getfixturevalue("tiny_model")


@pytest.fixture(scope="session")
def yunet_model():
    if not YUNET_MODEL.is_file():
        pytest.skip(f"no YuNet model at {YUNET_MODEL}")
    return YUNET_MODEL


@pytest.fixture(scope="session")
def haar_engine(model_dir):
    """The offline engine: runs whether or not YuNet's file is here."""
    return Engine.load(model_dir, "haar")


@pytest.fixture(scope="session")
def yunet_engine(model_dir, yunet_model):
    return Engine.load(model_dir, "yunet", yunet_model=yunet_model)


@pytest.fixture(params=["haar", "yunet"])
def engine(request):
    """Each engine in turn; the YuNet half skips where its file is missing, the Haar half always runs."""
    return request.getfixturevalue(f"{request.param}_engine")


# ---------------------------------------------------------------- one server and one browser

@pytest.fixture(scope="session")
def server():
    """``streamlit run streamlit_app.py``: (url, process, start time)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    with streamlit_server(SCREENSHOTS / "streamlit.log") as running:
        yield running


@pytest.fixture(scope="session")
def playwright():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright, tmp_path_factory):
    """Headless Chromium whose fake camera shows the astronaut's face."""
    with camera_browser(playwright, tmp_path_factory.mktemp("camera") / "face.y4m") as chromium:
        yield chromium


@pytest.fixture
def page(browser):
    """A page in a new browser context: a new app session."""
    with browser_page(browser) as opened:
        yield opened


# ---------------------------------------------------------------- tiers

BROWSER_FIXTURES = {"playwright", "server"}  # a real Chromium, or a real `streamlit run`
SLOW_FIXTURES = {"tiny_model"}  # trains a model in a TensorFlow subprocess


def pytest_collection_modifyitems(items):
    """The fast tier (`python -m pytest`) leaves out what needs a browser or a server, and what trains: a test
    is marked by the fixtures it uses, so a new one cannot land in the wrong tier by a forgotten mark."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if used & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)
