"""Shared fixtures. TensorFlow never loads in the pytest process: training runs in subprocesses, so
tests that load aiortc (streamlit-webrtc) can share the process safely."""
from __future__ import annotations

import os

import numpy as np
import pytest
from support import YUNET_MODEL, run_module, tiny_fer2013

from fer_core.models import ModelError, default_model_dir

# Never download anything in tests: YuNet comes from ../shared or not at all.
os.environ["FER_YUNET_DOWNLOAD"] = "0"


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
def model_dir(tiny_model):
    """The shipped model where it exists, else the tiny one."""
    return shipped_model_dir() or tiny_model


@pytest.fixture(scope="session")
def yunet_model():
    if not YUNET_MODEL.is_file():
        pytest.skip(f"no YuNet model at {YUNET_MODEL}")
    return YUNET_MODEL

