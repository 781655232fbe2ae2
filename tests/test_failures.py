"""Failure of parts: a missing or corrupt model or YuNet file gets a clear message, and a fallback
where one exists. The browser-side failures (camera refused, TURN unreachable) are in test_browser.py."""
import pytest

from support import astronaut, encode
from test_app import open_page


@pytest.mark.parametrize("content", [None, b"", b"\x00" * 4096, b"TFL3 but not really a model"])
def test_missing_or_corrupt_model(content, tmp_path, monkeypatch):
    model = tmp_path / "model.tflite"
    if content is not None:
        model.write_bytes(content)
    monkeypatch.setenv("FER_MODEL", str(model))
    app = open_page("upload")
    (error,) = app.error
    assert "The emotion model could not be loaded" in error.value
    assert ("No model file" if content is None else "damaged") in error.value
    assert not app.file_uploader  # the page stops before offering what cannot work


@pytest.mark.parametrize("content", [None, b"not an onnx file"])
def test_missing_or_corrupt_yunet_falls_back_to_haar(content, tmp_path, monkeypatch):
    yunet = tmp_path / "yunet.onnx"
    if content is not None:
        yunet.write_bytes(content)
    monkeypatch.setenv("FER_YUNET_MODEL", str(yunet))
    app = open_page("upload")
    assert any("Haar detector is used" in note.value for note in app.info)
    app.file_uploader[0].set_value(("astronaut.jpg", encode(astronaut(), "JPEG"), "image/jpeg")).run()
    assert any(m.value.startswith("**Face 1:") for m in app.markdown)  # the fallback works


def test_yunet_asked_for_by_name_but_broken(tmp_path, monkeypatch):
    (tmp_path / "yunet.onnx").write_bytes(b"broken")
    monkeypatch.setenv("FER_YUNET_MODEL", str(tmp_path / "yunet.onnx"))
    app = open_page("upload")
    app.session_state["detector"] = "yunet"
    app.run()
    assert "face detector could not be loaded" in app.error[0].value and "another detector" in app.error[0].value
