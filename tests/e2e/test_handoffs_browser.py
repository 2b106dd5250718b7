"""The handoff highlight and working time in a real browser, with screenshots at 1280 x 720 and 1920 x 1080."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from appserver import running_app, settle, shoot
from playwright.sync_api import Browser, expect

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    """The app on a free port, healthy, stopped afterwards."""
    with running_app("handoffs-streamlit.log") as url:
        yield url


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1920, 1080)])
def test_handoffs_on_the_map_in_working_time(browser: Browser, app_url: str, width: int, height: int) -> None:
    """The service desk in working time: the headline says so; the toggle draws the handoffs in blue."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{app_url}/?journey=service_desk&time=working")
        settle(page)
        expect(page.get_by_text("of working time", exact=False).first).to_be_visible()
        page.get_by_text("Highlight handoffs", exact=True).click()
        settle(page)
        expect(page.get_by_text("Handoff between teams", exact=True).first).to_be_attached()
        assert page.locator('[data-testid="stException"]').count() == 0
        shoot(page, f"handoffs_working_{width}")
    finally:
        context.close()
