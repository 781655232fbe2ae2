"""Failure of parts: a missing or corrupt model or YuNet file gets a clear message, and a fallback
where one exists. The browser-side failures (camera refused, TURN unreachable) are in test_browser.py."""
import pytest
from support import app_page, astronaut, encode


def file_with(path, content: bytes | None):
    """``path`` holding ``content``, or no file at all for None."""
    if content is not None:
        path.write_bytes(content)
    return str(path)


@pytest.mark.parametrize("content", [None, b"", b"\x00" * 4096, b"TFL3 but not really a model"])
def test_missing_or_corrupt_model(content, tmp_path, monkeypatch):
    monkeypatch.setenv("FER_MODEL", file_with(tmp_path / "model.tflite", content))
    app = app_page("upload")
    (error,) = app.error
    assert "The emotion model could not be loaded" in error.value
    assert ("No model file" if content is None else "damaged") in app.code[0].value  # the detail, folded away
    assert not app.file_uploader  # the page stops before offering what cannot work


@pytest.mark.parametrize("content", [None, b"not an onnx file"])
def test_missing_or_corrupt_yunet_falls_back_to_haar(content, tmp_path, monkeypatch):
    monkeypatch.setenv("FER_YUNET_MODEL", file_with(tmp_path / "yunet.onnx", content))
    app = app_page("upload")
    assert not app.info and not app.warning  # no banner...
    assert any("built-in face finder" in c.value for c in app.sidebar.caption)  # ...a calm note by the setting
    assert "Haar detector is used" in app.sidebar.expander[0].code[0].value  # with the detail folded away
    app.file_uploader[0].set_value(("astronaut.jpg", encode(astronaut(), "JPEG"), "image/jpeg")).run()
    assert any(m.value.startswith("**Face 1:") for m in app.markdown)  # the fallback works


def test_yunet_asked_for_by_name_but_broken_says_so_in_the_sidebar_and_reads_with_haar(tmp_path, monkeypatch):
    monkeypatch.setenv("FER_YUNET_MODEL", file_with(tmp_path / "yunet.onnx", b"broken"))
    app = app_page("upload")
    app.session_state["detector"] = "yunet"
    app.run()
    assert not app.error and not app.exception  # no error page: a note in the sidebar, and the page works on
    note = " ".join(c.value for c in app.sidebar.caption)
    assert "built-in face finder" in note and "FER_YUNET_MODEL" in note
    assert "damaged" in app.sidebar.expander[0].code[0].value
    app.file_uploader[0].set_value(("astronaut.jpg", encode(astronaut(), "JPEG"), "image/jpeg")).run()
    assert any(m.value.startswith("**Face 1:") for m in app.markdown)
