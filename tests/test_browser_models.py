"""In the real browser: the sidebar offers Accurate and Fast in plain words; Live starts on Fast, Upload and
Snapshot on Accurate; each page keeps its own choice; the Dashboard shows the card of the chosen model."""
import re

import pytest
from playwright.sync_api import expect
from support import TIMEOUT_MS, shot

from fer_core.models import MODELS_DIR, read_metrics, shipped_model_names
from ui.models import MODEL_WORDS

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not {"accurate", "fast"} <= set(shipped_model_names()), reason="needs both models")]


def model_box(page):
    return page.get_by_role("combobox", name="Emotion model")


def shows(page, words: str):
    """Waits until the sidebar's model box reads ``words``... (Accurate or Fast, its agreement with the people from
    its metrics.json, and its time)."""
    name = next(name for name, shown in MODEL_WORDS.items() if shown == words)
    agreement = read_metrics(MODELS_DIR / name).people["agreement"]
    expect(model_box(page)).to_have_value(re.compile(rf"^{words} \(agrees {agreement:.0%}, [\d.]+ ms\)$"),
                                          timeout=TIMEOUT_MS)


def choose(page, words: str):
    model_box(page).click()
    page.get_by_role("option", name=re.compile(rf"^{words} \(")).click()


@pytest.mark.parametrize(("path", "starts_on"), [("upload", "Accurate"), ("snapshot", "Accurate"), ("live", "Fast")])
def test_each_page_starts_on_its_model(server, page, path, starts_on):
    page.goto(f"{server[0]}/{path}")
    shows(page, starts_on)


def test_a_page_keeps_its_choice(server, page):
    page.goto(server[0] + "/upload")
    shows(page, "Accurate")
    choose(page, "Fast")
    shows(page, "Fast")
    page.get_by_role("link", name="Live").click()
    shows(page, "Fast")
    page.get_by_role("link", name="Upload").click()
    shows(page, "Fast")  # kept while the session lasts
    page.get_by_role("link", name="Snapshot").click()
    shows(page, "Accurate")  # another page, its own choice


def test_dashboard_shows_the_chosen_model(server, page):
    page.goto(server[0] + "/dashboard")
    page.get_by_text("Model dashboard: Accurate", exact=True).wait_for()
    page.get_by_text("Members", exact=True).wait_for()
    page.get_by_text("Training runs", exact=True).first.wait_for()  # folded in an expander
    page.get_by_text("Is 80% sure right 80% of the time?").wait_for()
    page.get_by_text("Are its probabilities honest?").wait_for()
    page.get_by_text("Faces people split on").wait_for()  # FER2013's own faces beside the ten people
    page.get_by_text("The model beside ten people, face by face").scroll_into_view_if_needed()
    shot(page, "dashboard-accurate")
    choose(page, "Fast")
    page.get_by_text("Model dashboard: Fast", exact=True).wait_for()
    page.get_by_text("Training runs", exact=True).first.wait_for()  # folded in an expander
    assert not page.get_by_text("Members", exact=True).count()
    shot(page, "dashboard-fast")
