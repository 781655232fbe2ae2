"""In the real browser: "not sure" wording on every page that reads faces, "Why?" per face, the group's
mood, and the dashboard's accuracy-coverage curve. The cameraman photo is a real face the model is unsure of."""
import re
import time
from pathlib import Path

import pytest
from support import REPO, TIMEOUT_MS, browser_page, camera_browser, click_start, encode, shot, unsure_face

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def unsure_browser(playwright, tmp_path_factory):
    """Chromium whose camera shows the cameraman."""
    with camera_browser(playwright, tmp_path_factory.mktemp("camera") / "cameraman.y4m", unsure_face()) as chromium:
        yield chromium


@pytest.fixture
def unsure_page(unsure_browser):
    with browser_page(unsure_browser, TIMEOUT_MS) as page:
        yield page


def test_upload_says_not_sure_and_explains_why(server, page, tmp_path):
    photo = tmp_path / "cameraman.png"
    photo.write_bytes(encode(unsure_face()))
    page.goto(server[0] + "/upload")
    page.locator("input[type=file]").set_input_files(str(photo))
    heading = page.get_by_text("Face 1: not sure:")
    heading.wait_for()
    assert " or " in heading.inner_text() and heading.inner_text().count("?") == 1
    assert "1: not sure:" in page.get_by_text("Faces as numbered in the image").inner_text()  # text alternative
    with page.expect_download() as download:
        page.get_by_role("button", name="Results (CSV)").click()
    header, row = Path(download.value.path()).read_text().splitlines()
    assert row.split(",")[header.split(",").index("uncertain")] == "True"

    page.get_by_text("Why?").click()
    page.get_by_text("Finding what the reading rests on").or_(page.get_by_text("The model was not sure between")
                                                              ).first.wait_for(timeout=2000)  # within 2 s
    page.get_by_text("The model was not sure between").wait_for()  # both candidates, and which the map is about
    assert page.locator("[data-testid=stImage] img").count() == 3  # the photo, the face's crop, its map
    shot(page, "upload-not-sure-why")


def test_group_mood_above_the_faces(server, page):
    page.goto(server[0] + "/upload")
    page.locator("input[type=file]").set_input_files(str(REPO / "assets" / "six-faces.jpg"))
    page.get_by_text("6 faces: 6 happy").wait_for()
    page.get_by_text("Face 6:").wait_for()
    assert not page.get_by_text("How the faces split").count()  # one reading for all: a chart would say nothing
    page.locator(".js-plotly-plot").nth(5).wait_for()  # every face's chart drawn before the screenshot
    shot(page, "upload-group-mood")


def test_snapshot_says_not_sure(server, unsure_page):
    unsure_page.goto(server[0] + "/snapshot")
    unsure_page.locator("[data-testid=stCameraInput] video").wait_for()
    time.sleep(1)
    unsure_page.get_by_role("button", name="Take Photo").click()
    unsure_page.get_by_text("Face 1: not sure:").wait_for()
    shot(unsure_page, "snapshot-not-sure")


def test_live_says_not_sure(server, unsure_page):
    click_start(unsure_page, server[0])
    unsure_page.get_by_text(re.compile(r"Face #\d+: not sure: \w+ or \w+\?")).first.wait_for()
    shot(unsure_page, "live-not-sure")


def test_dashboard_shows_when_the_model_is_sure(server, page):
    page.goto(server[0] + "/dashboard")
    page.get_by_text("When does it say “not sure”?").wait_for()
    page.get_by_text("When the model says it is sure").wait_for()
    shot(page, "dashboard-not-sure")
