"""End to end: `streamlit run` on a free port, Debian's Chromium driven by Playwright, a fake camera
showing a real face. Screenshots of every page land in test-output/."""
import time
import urllib.request
from pathlib import Path

import pytest
from support import (
    LIVE_FACE,
    TIMEOUT_MS,
    app_env,
    click_start,
    launch_chromium,
    shot,
    snapshot_photo,
    start_live,
    stop_live,
    streamlit_server,
    upload_photo,
)

from fer_core.models import load_artifacts

pytestmark = pytest.mark.browser


def test_upload(server, page):
    url, process, started = server
    upload_photo(page, url)
    print(f"\n`streamlit run` to first annotated result: {time.perf_counter() - started:.1f} s")
    rss = next(line for line in open(f"/proc/{process.pid}/status") if line.startswith("VmRSS"))
    print(f"server resident memory with the model loaded: {int(rss.split()[1]) / 1024:.0f} MiB")
    assert page.get_by_role("button", name="Annotated image (PNG)").is_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Results (CSV)").first.click()
    assert download.value.suggested_filename == "astronaut-emotions.csv"
    header, row = Path(download.value.path()).read_text().splitlines()
    assert header.startswith("image,face,x,y,w,h,score,label") and row.startswith("astronaut.jpg,1,")
    shot(page, "upload")


def test_big_photo_is_shown_at_display_size_and_downloads_at_full_size(server, page, tmp_path):
    import cv2
    from PIL import Image
    from support import encode, group_photo

    from fer_core.limits import DISPLAY_MAX_SIDE

    path = tmp_path / "group.jpg"
    path.write_bytes(encode(cv2.resize(group_photo(), (4000, 3000)), "JPEG", quality=90))
    page.goto(server[0] + "/upload")
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_text("Face 6:").wait_for()
    shown = page.locator("[data-testid=stImage] img").first
    assert 0 < shown.evaluate("img => img.naturalWidth") <= DISPLAY_MAX_SIDE
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Annotated image (PNG)").click()
    assert download.value.suggested_filename == "group-annotated.png"
    with Image.open(download.value.path()) as png:
        assert png.size == (4000, 3000) and png.format == "PNG"


@pytest.mark.parametrize(("path", "words"), [("upload", "not an image"), ("video", "not a video")])
def test_a_file_of_another_kind_gets_a_message_that_says_why(server, page, tmp_path, path, words):
    notes = tmp_path / "notes.txt"
    notes.write_text("meeting notes, not a photo\n" * 20)
    page.goto(f"{server[0]}/{path}")
    page.locator("input[type=file]").set_input_files(str(notes))
    warning = page.get_by_text("notes.txt").last
    warning.wait_for()
    assert words in page.locator("[data-testid=stAlert]").first.inner_text()
    shot(page, f"{path}-refused-file")


def test_snapshot_reading_is_in_view_without_scrolling(server, page):
    page.set_viewport_size({"width": 1280, "height": 800})
    snapshot_photo(page, server[0])
    heading = page.get_by_text("Face 1:").bounding_box()
    assert heading["y"] + heading["height"] < 800, heading  # above the fold, where the room looks
    shot(page, "snapshot")


def test_live(server, page):
    fps = start_live(page, server[0])
    print(f"\nlive FPS in the browser: {fps:.1f}")
    assert fps > 3
    shot(page, "live")
    stop_live(page)


def test_dashboard(server, page):
    page.goto(server[0] + "/dashboard")
    page.get_by_text("Confusion matrix").wait_for()
    # The charts render one by one after the first text; wait for them rather than count at once.
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 4")
    page.get_by_text("Show shares instead of counts").click()
    page.get_by_text("Confusion matrix (PrivateTest)", exact=True).wait_for()

    def axis_titles() -> list[str]:
        return page.locator(".js-plotly-plot text.ytitle").evaluate_all("titles => titles.map(t => t.textContent)")

    assert "FER2013's label" in axis_titles() and "the people's majority" not in axis_titles()
    # The training curves of the member shown first: a run taught by the votes also draws its agreement.
    artifacts = load_artifacts()
    member = artifacts.metrics.ensemble["members"][0] if artifacts.metrics.ensemble else None
    history = load_artifacts(member).history if member else artifacts.history
    page.wait_for_function("[...document.querySelectorAll('.js-plotly-plot text.legendtext')]"
                           ".some(t => t.textContent === \"PublicTest, FER2013's labels\")")
    legends = page.locator(".js-plotly-plot text.legendtext").evaluate_all("items => items.map(t => t.textContent)")
    assert ("PublicTest, the ten people's majority" in legends) == ("val_agreement" in history)
    shot(page, "dashboard")
    page.get_by_role("radio", name="the ten people's majority").click()  # the same matrix against the people
    page.get_by_text("Each row is the emotion most of the ten people chose").wait_for()
    page.wait_for_function("(titles => titles.includes(\"the people's majority\") && !titles.includes(\"FER2013's label\"))"
                           "([...document.querySelectorAll('.js-plotly-plot text.ytitle')].map(t => t.textContent))")
    assert "faces most people call" in page.locator("[data-testid='stMain']").inner_text()
    shot(page, "dashboard-people")


def test_home(server, page):
    page.goto(server[0])
    page.get_by_text("never stored").wait_for()
    shot(page, "home")


def test_pages_in_any_order_in_one_session(server, page):
    url, process, _ = server
    snapshot_photo(page, url)
    start_live(page, url)  # Live after Snapshot crashed a prototype that loaded TensorFlow before aiortc
    stop_live(page)
    page.goto(url + "/dashboard")
    page.get_by_text("Confusion matrix").wait_for()
    upload_photo(page, url)
    start_live(page, url)
    stop_live(page)
    page.goto(url)
    page.get_by_text("never stored").wait_for()
    assert process.poll() is None
    assert urllib.request.urlopen(url + "/_stcore/health").read() == b"ok"


def video_has_overlay(page, label: str) -> bool:
    """Whether the video shown in the page holds pixels of ``label``'s box colour: the overlay is drawn."""
    from fer_core.annotate import EMOTION_COLORS

    frame = page.frame_locator("iframe[title*=webrtc]").locator("video").first.element_handle()
    return frame.evaluate(
        """(video, color) => {
            const canvas = document.createElement('canvas');
            canvas.width = video.videoWidth; canvas.height = video.videoHeight;
            const ctx = canvas.getContext('2d');
            ctx.drawImage(video, 0, 0);
            const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
            let hits = 0;
            for (let i = 0; i < data.length; i += 4) {
                if (Math.abs(data[i] - color[0]) + Math.abs(data[i + 1] - color[1]) + Math.abs(data[i + 2] - color[2]) < 60) hits++;
            }
            return hits > 200;
        }""", list(EMOTION_COLORS[label]))


def test_record_then_stop_shows_the_session_and_its_downloads(server, page):
    start_live(page, server[0])
    page.get_by_text("Record this session").click()
    page.get_by_text("Recording").first.wait_for()
    time.sleep(5)
    stop_live(page)
    page.get_by_text("This session's recording:").wait_for()
    assert page.get_by_text("Face #1, in view from 0.").first.is_visible()
    assert page.locator(".js-plotly-plot").count() >= 1  # the face's timeline
    with page.expect_download() as download:
        page.get_by_role("button", name="Results (CSV)").click()
    header, *rows = Path(download.value.path()).read_text().splitlines()
    assert download.value.suggested_filename == "live-session-faces.csv"
    assert header.startswith("time_s,frame,face,x,y,w,h,score,label") and len(rows) >= 8  # twice a second
    with page.expect_download() as download:
        page.get_by_role("button", name="Result card (PNG)").click()
    assert Path(download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    shot(page, "live-recording")
    page.get_by_text("Record this session").click()  # off: the recording stays until the next one


def test_three_live_sessions_at_once(server, browser):
    url = server[0]
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(3)]
    pages = [c.new_page() for c in contexts]
    try:
        for page in pages:
            page.set_default_timeout(TIMEOUT_MS)
            click_start(page, url)
        for page in pages:
            page.get_by_text(LIVE_FACE).first.wait_for()
        for i, page in enumerate(pages):  # each session streams: more than a frame a second within 30 s
            deadline = time.time() + 30
            while (rate := float(page.get_by_text("frames per second").inner_text().split()[0])) <= 1:
                assert time.time() < deadline, f"session {i + 1} of 3 streams {rate} frames a second"
                time.sleep(0.5)
            print(f"\nsession {i + 1} of 3: {rate} frames per second")
            label = page.get_by_text(LIVE_FACE).first.inner_text().split(":")[1].split()[0]
            assert video_has_overlay(page, label)
            shot(page, f"live-{i + 1}-of-3")
    finally:
        for context in contexts:
            context.close()
    assert server[1].poll() is None


@pytest.fixture(scope="module")
def no_camera_browser(playwright):
    """Chromium with a fake camera but no automatic consent: camera access is refused."""
    chromium = launch_chromium(playwright, video=None)
    yield chromium
    chromium.close()


def test_camera_refused(server, no_camera_browser):
    page = no_camera_browser.new_context().new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(server[0] + "/snapshot")
    page.get_by_text("allow camera access for this site").wait_for()
    page.goto(server[0] + "/live")
    page.frame_locator("iframe[title*=webrtc]").get_by_role("button", name="START").wait_for()
    time.sleep(1)
    page.frame_locator("iframe[title*=webrtc]").get_by_role("button", name="START").click()
    page.frame_locator("iframe[title*=webrtc]").get_by_text("NotAllowedError", exact=False).wait_for()
    page.get_by_text("Video does not start?").wait_for()
    shot(page, "live-camera-refused")
    page.context.close()


def test_turn_server_unreachable(browser, tmp_path):
    env = {**app_env(), "FER_ICE_SERVERS": '[{"urls": ["turn:127.0.0.1:9"], "username": "u", "credential": "p"}]',
           "FER_ICE_TRANSPORT_POLICY": "relay"}
    with streamlit_server(tmp_path / "streamlit.log", env) as (url, process, _):
        page = browser.new_context().new_page()
        page.set_default_timeout(TIMEOUT_MS)
        click_start(page, url)
        page.get_by_text("The video connection could not be made").wait_for()
        assert "Snapshot page works" in page.get_by_text("The video connection could not be made").inner_text()
        shot(page, "live-turn-unreachable")
        page.context.close()
        assert process.poll() is None


@pytest.mark.parametrize("path", ["", "/upload", "/snapshot", "/video", "/live", "/dashboard"])
def test_no_page_scrolls_sideways_on_a_phone(server, page, path):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server[0] + path)
    page.locator("h1").first.wait_for()
    time.sleep(2)  # charts and components take their width after the first paint
    # Pictures and charts must fit (a wide table may scroll inside its own frame; the page itself may not).
    wide = page.evaluate("""() => [...document.querySelectorAll('[data-testid=stMain] img, .js-plotly-plot')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && e.offsetParent !== null)
        .map(e => e.getAttribute('alt') || e.className).slice(0, 5)""")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), wide
    assert not wide, wide
    shot(page, f"phone{path.replace('/', '-') or '-home'}")
