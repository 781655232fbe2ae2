"""End to end: `streamlit run` on a free port, Debian's Chromium driven by Playwright, a fake camera
showing a real face. Screenshots of every page land in test-output/."""
import time
import urllib.request

import pytest

from browser import SCREENSHOTS, launch_chromium, streamlit_server, write_face_video
from support import REPO

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    SCREENSHOTS.mkdir(exist_ok=True)
    with streamlit_server(SCREENSHOTS / "streamlit.log") as running:
        yield running


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    video = write_face_video(tmp_path_factory.mktemp("camera") / "face.y4m")
    with playwright_api.sync_playwright() as playwright:
        chromium = launch_chromium(playwright, video)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


def shot(page, name):
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def upload_photo(page, url):
    page.goto(url + "/upload")
    page.locator("input[type=file]").set_input_files(str(REPO / "assets" / "astronaut.jpg"))
    page.get_by_text("Face 1: happy").wait_for()
    page.locator(".js-plotly-plot").first.wait_for()


def snapshot_photo(page, url):
    page.goto(url + "/snapshot")
    page.locator("[data-testid=stCameraInput] video").wait_for()  # the camera is streaming
    take = page.get_by_role("button", name="Take Photo")
    take.wait_for()
    time.sleep(1)  # let the fake camera deliver frames before the shutter
    take.click()
    page.get_by_role("button", name="Clear photo").wait_for()
    page.get_by_text("Face 1:").wait_for()


def start_live(page, url) -> float:
    """START the stream; returns the frames per second the page reports after a few seconds."""
    page.goto(url + "/live")
    page.frame_locator("iframe[title*=webrtc]").get_by_role("button", name="START").click()
    page.get_by_text("Face #1").first.wait_for()
    time.sleep(4)
    readout = page.get_by_text("frames per second").inner_text()
    return float(readout.split()[0])


def stop_live(page):
    page.frame_locator("iframe[title*=webrtc]").get_by_role("button", name="STOP").click()


def test_upload(server, page):
    url, _, started = server
    upload_photo(page, url)
    print(f"\n`streamlit run` to first annotated result: {time.perf_counter() - started:.1f} s")
    assert page.get_by_role("button", name="Annotated image (PNG)").is_visible()
    shot(page, "upload")


def test_snapshot(server, page):
    snapshot_photo(page, server[0])
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
    assert page.locator(".js-plotly-plot").count() >= 4
    page.get_by_text("Show shares instead of counts").click()
    page.get_by_text("Confusion matrix (PrivateTest)", exact=True).wait_for()
    shot(page, "dashboard")


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
