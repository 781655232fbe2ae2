"""The Video page through AppTest (wiring, bad files) and in the real browser, from upload to download."""
from pathlib import Path

import pytest
from support import app_page, encode_clip, shot, two_faces_frames


@pytest.fixture(scope="module")
def clip():
    return encode_clip(two_faces_frames())


def test_video_page_shows_each_face_and_the_downloads(clip, yunet_model, monkeypatch):
    monkeypatch.setenv("FER_YUNET_MODEL", str(yunet_model))
    app = app_page("video")
    app.sidebar.slider(key="video_rate").set_value(5)
    app.file_uploader[0].set_value(("meeting.mp4", clip, "video/mp4")).run()
    assert not app.exception, app.exception
    faces = [m.value for m in app.markdown if m.value.startswith("Face #")]
    assert len(faces) == 2 and all(": happy most of the time (" in f for f in faces), faces
    assert faces[1].startswith("Face #2, in view from 1.") and not app.button  # no Cancel once it is done
    summary = app.dataframe[0].value
    assert list(summary["face"]) == [1, 2] and summary["frames"][0] == 20  # 4 s at 5 frames a second
    assert summary["from_s"][1] == pytest.approx(1.4, abs=0.1) and summary["to_s"][1] < 2.7
    labels = [b.label for b in app.get("download_button")]
    assert labels == ["Annotated video", "Results (CSV)", "Results (JSON)", "Result card (PNG)"]


@pytest.mark.parametrize("data, words", [(b"not a video" * 100, "not a video"), (b"", "empty")])
def test_a_bad_video_gets_a_message_and_the_page_stays(data, words):
    app = app_page("video")
    app.file_uploader[0].set_value(("bad.mp4", data, "video/mp4")).run()
    assert not app.exception, app.exception
    assert any(words in w.value for w in app.warning)
    assert app.file_uploader  # still there for the next try
    assert not [b for b in app.button if b.label == "Cancel"]  # nothing left to cancel


@pytest.mark.browser
def test_video_in_the_browser_from_upload_to_download(clip, server, page, tmp_path):
    path = tmp_path / "meeting.mp4"
    path.write_bytes(clip)
    page.goto(server[0] + "/video")
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_text("Face #2").first.wait_for()
    video = page.locator("[data-testid=stVideo]").first
    video.wait_for()
    page.wait_for_function("v => v.readyState >= 1 && v.duration > 3.5", arg=video.element_handle())  # it plays
    with page.expect_download() as download:
        page.get_by_role("button", name="Results (CSV)").click()
    header = Path(download.value.path()).read_text().splitlines()[0]
    assert header.startswith("time_s,frame,face,x,y,w,h,score,label,confidence")
    with page.expect_download() as annotated:
        page.get_by_role("button", name="Annotated video").click()
    assert annotated.value.suggested_filename == "meeting-annotated.mp4"
    shot(page, "video")
