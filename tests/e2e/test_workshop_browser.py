"""Workshop mode in a real browser: a facilitator's screen and a participant's laptop, side by side.

The participant joins with the code and writes a note; the facilitator's board shows it within
seconds without a reload. Screenshots at 1280×720 go to tests/e2e/screenshots/ (git-ignored).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from appserver import SHOTS, running_app
from playwright.sync_api import Browser, Page, expect

from journeymap.workshop.backlog import Workshop
from journeymap.workshop.store import WorkshopStore

pytestmark = pytest.mark.e2e

PROJECTOR = {"width": 1280, "height": 720}
START_MS = 90_000  # the first page computes the journey's figures
LIVE_MS = 10_000  # a note must reach the other screen within this, without a reload
NOTE = "Laptop comes after day 1 <b>every</b> time"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SQLite file of this test's workshops (never the real one)."""
    return tmp_path_factory.mktemp("workshops") / "workshops.sqlite"


@pytest.fixture(scope="module")
def app_url(database: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free port with its own workshop database; stopped afterwards."""
    env = {**os.environ, "JOURNEYMAP_DB_PATH": str(database)}
    env.pop("JOURNEYMAP_DATABASE_URL", None)
    with running_app("workshop-streamlit.log", env) as url:
        yield url


@pytest.fixture(scope="module")
def workshop(database: Path) -> Workshop:
    """A workshop on the onboarding journey, created the way the setup form does, with a running timer."""
    with WorkshopStore(f"sqlite:///{database}") as store:
        created = store.create_workshop("Onboarding retro", "onboarding", votes_per_participant=3)
        store.set_timer(created.facilitator_token or "", 15 * 60)
        return created


def _tab(browser: Browser) -> Page:
    """A tab in its own browser context (its own cookies and Streamlit session), projector-sized."""
    return browser.new_context(viewport=PROJECTOR).new_page()


def _loaded(page: Page, url: str) -> Page:
    page.goto(url)
    expect(page.locator('[data-testid="stApp"]')).to_be_visible(timeout=START_MS)
    return page


def _settled(page: Page) -> None:
    """Wait until the app has finished running (charts drawn) before a screenshot."""
    page.wait_for_timeout(500)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=START_MS)
    page.wait_for_timeout(800)


def test_a_participant_note_appears_on_the_facilitator_screen(browser: Browser, app_url: str,
                                                              workshop: Workshop) -> None:
    """A note typed on a participant's laptop shows on the facilitator's board within seconds, as text."""
    screen = _loaded(_tab(browser), f"{app_url}/workshop?w={workshop.facilitator_token}")
    expect(screen.get_by_text("Stage 1 of 3")).to_be_visible(timeout=START_MS)
    expect(screen.locator('[data-testid="stSidebar"]')).to_have_count(0)
    expect(screen.locator('[data-testid="stHeader"]')).to_be_hidden()
    code = f"{workshop.join_code[:4]}-{workshop.join_code[4:]}"
    expect(screen.get_by_text(code, exact=True)).to_be_visible()
    _settled(screen)
    screen.screenshot(path=str(SHOTS / "workshop-map-1280.png"))

    screen.locator(".st-key-jm_ws_view").get_by_role("combobox").click()
    screen.get_by_role("option", name="Hotspots", exact=True).click()
    expect(screen.get_by_text("① Equipment shipped")).to_be_visible(timeout=START_MS)
    _settled(screen)
    screen.screenshot(path=str(SHOTS / "workshop-spotlight-1280.png"))

    screen.locator(".st-key-jm_ws_view").get_by_role("combobox").click()
    screen.get_by_role("option", name="Notes & votes", exact=True).click()
    expect(screen.get_by_text("No notes yet.", exact=False)).to_be_visible(timeout=START_MS)

    laptop = _loaded(_tab(browser), f"{app_url}/join?code={workshop.join_code}")
    laptop.get_by_label("Your name").fill("Ana")
    laptop.get_by_role("button", name="Join").click()
    expect(laptop.get_by_text("of 3 dots left", exact=False)).to_be_visible(timeout=START_MS)
    assert "p=" in laptop.url and workshop.facilitator_token not in laptop.url
    laptop.get_by_role("combobox", name="Step").click()
    laptop.get_by_role("option", name="Offer accepted", exact=True).click()
    laptop.get_by_label("Note", exact=True).fill(NOTE)
    laptop.get_by_role("button", name="Add note").click()
    expect(laptop.get_by_text("Pain point saved.")).to_be_visible(timeout=LIVE_MS)

    started = time.monotonic()
    sticky = screen.locator('[class*="st-key-jm_sticky_pain_"]')
    expect(sticky.get_by_text(NOTE, exact=True)).to_be_visible(timeout=LIVE_MS)
    assert time.monotonic() - started < LIVE_MS / 1000
    assert sticky.locator("b").count() == 0, "markup in a note is shown as text, never rendered"
    _settled(screen)
    screen.screenshot(path=str(SHOTS / "workshop-board-1280.png"))
    _settled(laptop)
    laptop.screenshot(path=str(SHOTS / "workshop-participant-1280.png"))
