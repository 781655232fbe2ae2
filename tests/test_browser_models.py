"""In the real browser: the sidebar offers Accurate and Fast in plain words; Live starts on Fast, Upload and
Snapshot on Accurate; each page keeps its own choice; the Dashboard shows the card of the chosen model."""
import pytest

from fer_core.classifier import shipped_model_names
from test_browser import TIMEOUT_MS, browser, page, playwright, server, shot  # noqa: F401

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not {"accurate", "fast"} <= set(shipped_model_names()), reason="needs both models")]


def model_box(page):
    return page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").filter(has_text="Emotion model")


def choose(page, words: str):
    model_box(page).click()
    page.get_by_role("option", name=words).click()


@pytest.mark.parametrize(("path", "starts_on"), [("upload", "Accurate: right"), ("snapshot", "Accurate: right"),
                                                  ("live", "Fast: right")])
def test_each_page_starts_on_its_model(server, page, path, starts_on):  # noqa: F811
    page.goto(f"{server[0]}/{path}")
    model_box(page).get_by_text(starts_on).wait_for()
    assert "ms a face" in model_box(page).inner_text()  # accuracy and speed, in words


def test_a_page_keeps_its_choice(server, page):  # noqa: F811
    page.goto(server[0] + "/upload")
    choose(page, "Fast: right")
    model_box(page).get_by_text("Fast: right").wait_for()
    page.get_by_role("link", name="Live").click()
    model_box(page).get_by_text("Fast: right").wait_for()
    page.get_by_role("link", name="Upload").click()
    model_box(page).get_by_text("Fast: right").wait_for()
    page.get_by_role("link", name="Snapshot").click()
    model_box(page).get_by_text("Accurate: right").wait_for()  # another page, its own default


def test_dashboard_shows_the_chosen_model(server, page):  # noqa: F811
    page.goto(server[0] + "/dashboard")
    page.get_by_text("Model dashboard: accurate").wait_for()
    page.get_by_text("Members", exact=True).wait_for()
    page.get_by_text("Training runs", exact=True).wait_for()
    page.get_by_text("Reliability: does 80% sure mean right 80% of the time?").wait_for()
    page.get_by_text("Are its probabilities honest?").wait_for()
    shot(page, "dashboard-accurate")
    choose(page, "Fast: right")
    page.get_by_text("Model dashboard: fast").wait_for()
    page.get_by_text("Training runs", exact=True).wait_for()
    assert not page.get_by_text("Members", exact=True).count()
    shot(page, "dashboard-fast")
