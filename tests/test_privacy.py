"""Privacy: after uploads (a photo and a video), a snapshot and live video through a real server, nothing new is on disk
(the repo, the server's temp directory and home) and the server's debug log holds no image content."""
import base64
import os
import time
import uuid

import numpy as np
import pytest
from PIL import PngImagePlugin
from support import (
    LIVE_FACE,
    REPO,
    app_env,
    astronaut,
    click_start,
    encode,
    encode_clip,
    launch_chromium,
    snapshot_photo,
    streamlit_server,
    two_faces_frames,
    write_face_video,
)

pytestmark = pytest.mark.browser
RUNNER_FILES = {".git", "__pycache__", ".pytest_cache", ".hypothesis", "test-output"}  # the test runner's own


def files_under(*roots) -> dict[str, tuple[float, int]]:
    found = {}
    for root in roots:
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d not in RUNNER_FILES]
            for name in names:
                path = os.path.join(folder, name)
                stat = os.stat(path)
                found[path] = (stat.st_mtime, stat.st_size)
    return found


def test_nothing_stored_nothing_logged(playwright, tmp_path):
    server_tmp, server_home = tmp_path / "server-tmp", tmp_path / "server-home"
    server_tmp.mkdir()
    server_home.mkdir()
    env = {**app_env(), "TMPDIR": str(server_tmp), "HOME": str(server_home), "PYTHONDONTWRITEBYTECODE": "1"}
    marker = f"private-{uuid.uuid4().hex}"
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", marker)
    photo = encode(astronaut(), "PNG", pnginfo=info)
    upload = tmp_path / "upload" / f"{marker}.png"
    upload.parent.mkdir()
    upload.write_bytes(photo)
    video = write_face_video(tmp_path / "face.y4m")
    clip = encode_clip(two_faces_frames(30))
    clip_upload = tmp_path / "upload" / f"{marker}.mp4"
    clip_upload.write_bytes(clip)
    log = tmp_path / "server.log"

    with streamlit_server(log, env, ("--logger.level", "debug")) as (url, _, _):
        before = files_under(REPO, server_tmp, server_home)
        chromium = launch_chromium(playwright, video)
        page = chromium.new_page()
        page.set_default_timeout(60_000)
        page.goto(url + "/upload")
        page.locator("input[type=file]").set_input_files(str(upload))
        page.get_by_text("Face 1:").wait_for()
        page.goto(url + "/video")
        page.locator("input[type=file]").set_input_files(str(clip_upload))
        page.get_by_text("Face #1").first.wait_for()
        snapshot_photo(page, url)
        click_start(page, url)
        page.get_by_text(LIVE_FACE).first.wait_for()
        time.sleep(3)
        chromium.close()
        after = files_under(REPO, server_tmp, server_home)

    changed = {path for path, stamp in after.items() if before.get(path) != stamp}
    assert not changed, f"written during the session: {sorted(changed)}"
    text = log.read_bytes()
    assert len(text) > 1000, "the debug log should hold something"
    pixels = np.ascontiguousarray(astronaut()[200:204, 200:216]).tobytes()
    for secret in (marker.encode(), photo[100:140], base64.b64encode(photo[99:159]), photo[100:140].hex().encode(),
                   pixels, base64.b64encode(pixels), clip[2000:2040], base64.b64encode(clip[2001:2061])):
        assert secret not in text
