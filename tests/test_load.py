"""Load: many browser sessions at once against one real server, each uploading a different phone-sized
photo. Every session must show its own photo's results, the server must stay up, and its memory (the
whole process tree, sampled throughout) must stay inside Streamlit Community Cloud's 1 GB. Times from
upload to result are printed (p50, p95), not asserted."""
import re
import time
import urllib.request

import cv2
import numpy as np
import pytest
from support import SCREENSHOTS, YUNET_MODEL, encode, group_photo

from fer_core import Engine
from fer_core.memory import MemorySampler, tree_rss_mb

pytestmark = pytest.mark.browser
MEMORY_CEILING_MB = 1000
FACE_HEADING = re.compile(r"^Face \d+: ")  # "Face 2: happy (93% sure)"


def photo(i: int, size: tuple[int, int]) -> bytes:
    """A different JPEG for each ``i``: the group photo cut to 1-6 faces, shifted, scaled to ``size``."""
    group = group_photo()
    keep = np.full_like(group, 200)
    for k in range(1 + i % 6):  # the group photo's faces sit on a 3 x 2 grid of 210 x 240 cells
        y, x = (k // 3) * 240, (k % 3) * 210
        keep[y:y + 240, x:x + 210] = group[y:y + 240, x:x + 210]
    keep = np.roll(keep, 4 * (i // 6), axis=1)
    return encode(cv2.resize(keep, size, interpolation=cv2.INTER_LINEAR), "JPEG", quality=90)


def upload_at_once(server, browser, tmp_path, size, sessions, name):
    url, process, _ = server
    engine = Engine.load(detector="auto", yunet_model=YUNET_MODEL)  # what the server's sessions run
    expected = []
    for i in range(sessions):
        data = photo(i, size)
        (tmp_path / f"photo-{i}.jpg").write_bytes(data)
        expected.append([f.label for f in engine.analyze(data, min_score=0.6)])
        assert expected[-1], f"photo {i} shows no face"
    contexts = [browser.new_context(viewport={"width": 1200, "height": 900}) for _ in range(sessions)]
    pages = [context.new_page() for context in contexts]
    idle = tree_rss_mb(process.pid)
    try:
        for page in pages:
            page.set_default_timeout(120_000)
            page.goto(url + "/upload")
        for page in pages:
            page.locator("input[type=file]").wait_for(state="attached")
        with MemorySampler(process.pid) as memory:
            started = []
            for i, page in enumerate(pages):  # upload in all sessions before waiting for any
                page.locator("input[type=file]").set_input_files(str(tmp_path / f"photo-{i}.jpg"))
                started.append(time.perf_counter())
            elapsed = [None] * sessions
            deadline = time.time() + 300
            while None in elapsed and time.time() < deadline:
                for i, page in enumerate(pages):
                    if elapsed[i] is None and page.get_by_text(f"photo-{i}.jpg", exact=True).count() and \
                            page.get_by_text(f"Face {len(expected[i])}:").count():
                        elapsed[i] = time.perf_counter() - started[i]
                time.sleep(0.2)
        assert None not in elapsed, "sessions without a result: " + str([i for i, e in enumerate(elapsed) if e is None])
        for i, page in enumerate(pages):
            shown = [t.split(":")[1].split()[0] for t in page.get_by_text(FACE_HEADING).all_inner_texts()]
            assert shown == expected[i], (i, shown, expected[i])
            assert set(page.get_by_text("photo-", exact=False).all_inner_texts()) == {f"photo-{i}.jpg"}
        pages[-1].screenshot(path=SCREENSHOTS / f"load-{name}.png", full_page=True)
    finally:
        for context in contexts:
            context.close()
    times = np.array(elapsed)
    print(f"\n{sessions} sessions at once, {size[0]}x{size[1]} JPEGs: upload to result p50 "
          f"{np.percentile(times, 50):.1f} s, p95 {np.percentile(times, 95):.1f} s, max {times.max():.1f} s; "
          f"server memory {idle:.0f} MB before, peak {memory.peak:.0f} MB")
    assert process.poll() is None
    assert urllib.request.urlopen(url + "/_stcore/health").read() == b"ok"
    assert memory.peak <= MEMORY_CEILING_MB, f"server peaked at {memory.peak:.0f} MB"


def test_twenty_sessions_with_12_megapixel_photos(server, browser, tmp_path):
    upload_at_once(server, browser, tmp_path, (4000, 3000), 20, "20x12mp")


def test_five_sessions_with_49_megapixel_photos(server, browser, tmp_path):
    upload_at_once(server, browser, tmp_path, (8100, 6050), 5, "5x49mp")
