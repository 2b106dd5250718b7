"""The app in a real browser: Debian's Chromium through Playwright, against `streamlit run app.py`.

Screenshots go to tests/e2e/screenshots/ (git-ignored), for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from appserver import running_app, settle, shoot
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

HELPDESK = Path(__file__).resolve().parents[1] / "data" / "real" / "helpdesk.xes.gz"  # in the repository
SIZES = {"1280": (1280, 800), "1920": (1920, 1080)}


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    """The app on a free port, healthy, stopped afterwards."""
    with running_app("streamlit.log") as url:
        yield url


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    settle(page)


def title(page: Page) -> str:
    return page.locator("h1").first.inner_text().strip()


class TestBrowser:
    def test_map_opens_with_hotspots_and_sentence(self, page: Page, app_url: str) -> None:
        """The app opens on the onboarding map, with where the time goes and the three hotspots; the whole map
        is in the first screen at 1280×720 and 1920×1080 (the hotspots folded above it)."""
        for size, (width, height) in {"1280": (1280, 720), "1920": SIZES["1920"]}.items():
            page.set_viewport_size({"width": width, "height": height})
            open_page(page, app_url)
            assert title(page) == "Employee onboarding"
            expect(page.get_by_text("of that time is spent waiting to reach")).to_be_visible()
            for symbol in ("①", "②", "③"):
                expect(page.get_by_text(symbol).first).to_be_visible()
            expect(page.locator('[data-testid="stVegaLiteChart"] svg').first).to_be_visible()
            box = page.locator('[data-testid="stVegaLiteChart"]').first.bounding_box()
            assert box is not None and box["y"] + box["height"] <= height, f"the map runs past the first screen: {box}"
            assert box["width"] >= width - 460, f"the map does not use the page's width: {box}"
            shoot(page, f"map_{size}")

    def test_click_a_step_opens_its_details(self, page: Page, app_url: str) -> None:
        """Clicking a node on the map shows that step's details and puts the step in the URL."""
        open_page(page, app_url)
        node = page.locator('[data-testid="stVegaLiteChart"] [aria-label*="Step: Equipment shipped;"]').first
        node.scroll_into_view_if_needed()
        node.click()
        details = page.locator('[data-testid="stHeading"]', has_text="Equipment shipped")
        expect(details).to_be_visible()
        settle(page)
        expect(page.get_by_text("Owner: IT Procurement")).to_be_visible()
        expect(page.get_by_text("in flight waiting here now")).to_be_visible()
        assert "step=equipment_shipped" in page.url
        details.scroll_into_view_if_needed()
        shoot(page, "step_details_1280")

    def test_every_page_at_both_sizes(self, page: Page, app_url: str) -> None:
        """Funnel, Time, Paths and Data draw without an error at 1280 and 1920 pixels wide."""
        for size, (width, height) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            for name, heading in (("funnel", "Funnel"), ("time", "Time"), ("paths", "Paths"), ("data", "Your data")):
                open_page(page, f"{app_url}/{name}")
                assert title(page) == heading
                assert page.locator('[data-testid="stException"]').count() == 0
                shoot(page, f"{name}_{size}")

    def test_upload_helpdesk_log_shows_its_map(self, page: Page, app_url: str) -> None:
        """Uploading the real helpdesk XES log and drafting its journey opens its map."""
        open_page(page, app_url)
        page.locator('[data-testid="stSidebarNav"] a', has_text="Data").click()
        settle(page)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(HELPDESK))
        expect(page.get_by_text("helpdesk.xes.gz: 21,348 rows")).to_be_visible()
        settle(page)
        shoot(page, "data_helpdesk_mapping_1280")
        page.get_by_role("button", name="Show the map").click()
        expect(page.locator("h1", has_text="Drafted from helpdesk")).to_be_visible()
        expect(page.get_by_text("All 21,348 rows read.")).to_be_visible()  # a toast, for ten seconds
        settle(page)
        expect(page.locator('[data-testid="stVegaLiteChart"] svg').first).to_be_visible()
        assert "journey=upload-1" in page.url
        shoot(page, "helpdesk_map_1280")
        page.set_viewport_size({"width": 1920, "height": 1080})
        settle(page)
        shoot(page, "helpdesk_map_1920")

    def test_download_the_map_as_png(self, page: Page, app_url: str) -> None:
        """The map's download menu gives a PNG file."""
        page.set_viewport_size({"width": 1280, "height": 1400})  # room for the menu under the map
        open_page(page, app_url)
        menu = page.get_by_role("button", name="Download chart").first
        menu.scroll_into_view_if_needed()
        menu.click()
        with page.expect_download() as download:
            page.get_by_role("button", name="PNG image").click()
        path = download.value.path()
        assert download.value.suggested_filename == "onboarding-map-all-cases.png"
        assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    def test_a_link_reopens_the_view_on_another_page(self, page: Page, app_url: str) -> None:
        """A copied link with journey and segment filter reopens it, and the filter holds across pages."""
        open_page(page, f"{app_url}/funnel?journey=service_desk&segment=priority&value=P1")
        sidebar = page.locator('[data-testid="stSidebar"]')
        expect(sidebar.get_by_role("combobox", name="Journey")).to_have_value("IT service-desk ticket")
        expect(sidebar.get_by_role("combobox", name="Segment")).to_have_value("priority")
        expect(sidebar.get_by_role("button", name="Remove P1")).to_be_visible()
        expect(page.get_by_text("priority = P1").first).to_be_visible()
        page.locator('[data-testid="stSidebarNav"] a', has_text="Paths").click()
        expect(page.locator("h1", has_text="Paths")).to_be_visible()
        settle(page)
        assert "segment=priority" in page.url and "value=P1" in page.url
        expect(page.get_by_text("priority = P1").first).to_be_visible()
        shoot(page, "paths_filtered_1280")
