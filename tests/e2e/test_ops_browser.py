"""The pilot tab and the satisfaction colour in a real browser, with screenshots at 1280 x 800."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from appserver import running_app, settle, shoot
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    with running_app("ops-streamlit.log") as url:
        yield url


def no_error(page: Page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0


class TestOpsInTheBrowser:
    def test_pilot_tab(self, page: Page, app_url: str) -> None:
        """The pilot tab compares department Sales with everyone else and draws both groups over time."""
        page.goto(f"{app_url}/compare?pilot=department=Sales&pilot_date=2026-06-01")
        settle(page)
        page.get_by_role("tab", name="Did the pilot work?").click()
        settle(page)
        expect(page.get_by_text("Lead time, pilot department Sales:").first).to_be_visible()
        chart = page.locator('[data-testid="stVegaLiteChart"]:visible').last
        chart.scroll_into_view_if_needed()
        expect(chart.get_by_text("Did the pilot work? department Sales against everyone else")).to_be_visible()
        no_error(page)
        shoot(page, "compare_pilot_1280")

    def test_map_by_satisfaction(self, page: Page, app_url: str) -> None:
        """Coloured by satisfaction, the map's legend names it; the panel states the planted wait."""
        page.goto(f"{app_url}/?color=satisfaction_mean")
        settle(page)
        chart = page.locator('[data-testid="stVegaLiteChart"]').first
        expect(chart.get_by_text("Employee onboarding: mean satisfaction at each step")).to_be_visible()
        expect(chart.get_by_text("Mean satisfaction", exact=True)).to_be_visible()  # the legend
        page.get_by_text("Where people get frustrated").first.click()
        expect(page.get_by_text("Cases that waited more than 5 d at Equipment shipped scored")).to_be_visible()
        no_error(page)
        shoot(page, "map_satisfaction_1280")

    def test_panel_fills_when_opened(self, page: Page, app_url: str) -> None:
        """On the default colour the panel's figures wait for it to be opened; a click opens and fills it."""
        page.goto(app_url)
        settle(page)
        expect(page.get_by_text("Cases that waited more than 5 d at Equipment shipped scored")).to_have_count(0)
        page.get_by_text("Where people get frustrated").first.click()
        expect(page.get_by_text("Cases that waited more than 5 d at Equipment shipped scored")).to_be_visible()
        no_error(page)
        shoot(page, "map_ops_panel_opened_1280")
