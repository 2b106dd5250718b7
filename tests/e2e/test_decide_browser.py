"""Compare, What if and Flow & stuck in a real browser, with screenshots of each at 1280 x 800."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from appserver import running_app, settle, shoot
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    """The app on a free port, healthy, stopped afterwards."""
    with running_app("decide-streamlit.log") as url:
        yield url


def shoot_down(page: Page, name: str, most: int = 8) -> list[Path]:
    """Screenshots down the page (<name>_2.png, _3 ...): Streamlit scrolls its main column, not the document."""
    main = page.locator('[data-testid="stMain"]')
    shots = []
    for number in range(2, most + 2):
        moved = main.evaluate("(el) => { const top = el.scrollTop; el.scrollBy(0, el.clientHeight - 80); "
                              "return el.scrollTop > top; }")
        if not moved:
            break
        page.wait_for_timeout(400)
        shots.append(shoot(page, f"{name}_{number}"))
    main.evaluate("(el) => el.scrollTo(0, 0)")
    return shots


def open_tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    settle(page)


def no_error(page: Page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0


class TestDecideInTheBrowser:
    def test_compare_shows_the_verdict_first(self, page: Page, app_url: str) -> None:
        """Compare opens on the onboarding change of 1 June, its verdicts above the table and chart."""
        page.goto(f"{app_url}/compare")
        settle(page)
        expect(page.locator("h1", has_text="Compare")).to_be_visible()
        verdict = page.get_by_text("Equipment shipped: median fell from 6.8 d to 4.0 d")
        expect(verdict).to_be_visible()
        no_error(page)
        shoot(page, "compare_1280")
        shoot_down(page, "compare_1280")
        open_tab(page, "Who is it worse for?")
        expect(page.get_by_text("Where the values differ most", exact=True)).to_be_visible()
        shoot(page, "compare_segment_1280")
        shoot_down(page, "compare_segment_1280")

    def test_what_if(self, page: Page, app_url: str) -> None:
        """What if opens on the step worth fixing most, with its replay and the p85 impact of every step."""
        page.goto(f"{app_url}/whatif")
        settle(page)
        expect(page.get_by_text("Equipment shipped 50% faster: p85 lead time 34.9 d → 29.7 d").first).to_be_visible()
        no_error(page)
        shoot(page, "whatif_1280")
        shoot_down(page, "whatif_1280")

    def test_flow_and_stuck(self, page: Page, app_url: str) -> None:
        """Flow & stuck: the cases in flight with a CSV of them, the flow charts, and the OKR tab."""
        page.goto(f"{app_url}/flow")
        settle(page)
        expect(page.get_by_text("198 cases are in flight")).to_be_visible()
        no_error(page)
        shoot(page, "flow_stuck_1280")
        shoot_down(page, "flow_stuck_1280")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download the cases in flight (CSV)").click()
        assert download.value.suggested_filename == "onboarding-in-flight-all-cases.csv"
        assert Path(download.value.path()).read_text().startswith("case,step,label,waiting_s")
        open_tab(page, "How is the flow?")
        expect(page.get_by_text("should be done by").first).to_be_visible()
        shoot(page, "flow_flow_1280")
        shoot_down(page, "flow_flow_1280")
        open_tab(page, "Are we on track for the OKR?")
        expect(page.get_by_text("Budget per step").first).to_be_visible()
        shoot(page, "flow_okr_1280")
        shoot_down(page, "flow_okr_1280")

    def test_the_map_coloured_by_p85_impact(self, page: Page, app_url: str) -> None:
        """The map offers p85 impact as a colour (no longer a hotspot reason: every surface ranks alike)."""
        page.goto(app_url)
        settle(page)
        expect(page.get_by_text("The top 3 hotspots").first).to_be_visible()
        expect(page.get_by_text("halving it would cut p85 lead time")).to_have_count(0)
        page.get_by_role("combobox", name="Colour steps by").click()
        page.get_by_role("option", name="Colour steps by: p85 impact (time saved if halved)").click()
        settle(page)
        assert "color=p85_impact_s" in page.url
        no_error(page)
        shoot(page, "map_p85_impact_1280")
