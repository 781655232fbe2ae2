"""Load: 20 browser sessions at once against one real server, each uploading a different photo.
Every session must show its own photo's results and the server must stay up; the time from upload
to result is printed (p50, p95)."""
import time
import urllib.request

import cv2
import numpy as np
import pytest

from browser import SCREENSHOTS
from fer_core import Engine
from support import YUNET_MODEL, encode, group_photo
from test_browser import browser, playwright, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
SESSIONS = 20


def photo(i: int) -> np.ndarray:
    """Twenty different photos: the group photo cut to 1-6 faces and scaled differently."""
    group = group_photo()
    keep = np.full_like(group, 200)
    for k in range(1 + i % 6):  # the group photo's faces sit on a 3 x 2 grid of 210 x 240 cells
        y, x = (k // 3) * 240, (k % 3) * 210
        keep[y:y + 240, x:x + 210] = group[y:y + 240, x:x + 210]
    scale = 0.8 + 0.05 * (i % 5)
    return cv2.resize(keep, None, fx=scale, fy=scale)


def test_twenty_sessions_at_once_get_their_own_results(server, browser, tmp_path):  # noqa: F811
    url, process, _ = server
    engine = Engine.load(detector="auto", yunet_model=YUNET_MODEL)  # what the server's sessions run
    expected = []
    for i in range(SESSIONS):
        (tmp_path / f"photo-{i}.png").write_bytes(encode(photo(i)))
        expected.append([f.label for f in engine.analyze(photo(i), min_score=0.6)])
    contexts = [browser.new_context(viewport={"width": 1200, "height": 900}) for _ in range(SESSIONS)]
    pages = [context.new_page() for context in contexts]
    try:
        for page in pages:
            page.set_default_timeout(120_000)
            page.goto(url + "/upload")
        for page in pages:
            page.locator("input[type=file]").wait_for(state="attached")
        started = []
        for i, page in enumerate(pages):  # upload in all sessions before waiting for any
            page.locator("input[type=file]").set_input_files(str(tmp_path / f"photo-{i}.png"))
            started.append(time.perf_counter())
        elapsed = [None] * SESSIONS
        deadline = time.time() + 300
        while None in elapsed and time.time() < deadline:
            for i, page in enumerate(pages):
                if elapsed[i] is None and page.get_by_text(f"photo-{i}.png", exact=True).count() and \
                        page.get_by_text(f"Face {len(expected[i])}:").count():
                    elapsed[i] = time.perf_counter() - started[i]
            time.sleep(0.2)
        assert None not in elapsed, "sessions without a result: " + str([i for i, e in enumerate(elapsed) if e is None])
        for i, page in enumerate(pages):
            page.get_by_text(f"Face {len(expected[i])}:").wait_for()
            shown = [t.split(":")[1].split()[0] for t in page.get_by_text("Face ", exact=False).all_inner_texts()
                     if t.startswith("Face ") and ":" in t]
            assert shown == expected[i], (i, shown, expected[i])
            assert set(page.get_by_text("photo-", exact=False).all_inner_texts()) == {f"photo-{i}.png"}
        pages[SESSIONS - 1].screenshot(path=SCREENSHOTS / "load-session-20.png", full_page=True)
    finally:
        for context in contexts:
            context.close()
    times = np.array(elapsed)
    print(f"\n{SESSIONS} sessions at once, upload to result: p50 {np.percentile(times, 50):.1f} s, "
          f"p95 {np.percentile(times, 95):.1f} s, max {times.max():.1f} s")
    assert process.poll() is None
    assert urllib.request.urlopen(url + "/_stcore/health").read() == b"ok"
