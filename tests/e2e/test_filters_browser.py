"""Filters that always apply, in a real browser: a date range typed into the sidebar and confirmed with
Enter is applied at once, and the URL, the widgets and the figures agree after page switches, a reload
and the back button.

The figures expected are the library's own for the same filter (never a second computation).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from functools import cache

import pytest
from appserver import running_app, settle, shoot
from playwright.sync_api import Page, expect

from journeymap.engine.filters import CaseFilter, filter_events
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import sample_events_path, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.metrics import compute_metrics

pytestmark = pytest.mark.e2e

LABEL = "Cases started between"


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    with running_app("streamlit_filters.log", env=dict(os.environ)) as url:
        yield url


@cache
def completed(start: dt.date | None, end: dt.date | None) -> str:
    """The completed cases of the onboarding sample under a date filter, as the app prints them."""
    log = read_events(sample_events_path("onboarding"))
    metrics = compute_metrics(filter_events(log.frame, CaseFilter(start, end, {})), load_journey(
        sample_journey_path("onboarding")))
    return f"{metrics.status_counts.get('completed', 0):,}"


def type_date(page: Page, which: str, day: dt.date) -> None:
    """Click the year of the start or end date and type the day's digits (the field moves on by itself)."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("spinbutton", name=f"year, {LABEL} {which} date").click()
    page.keyboard.type(f"{day:%Y%m%d}")


def fields(page: Page) -> list[str]:
    """The two dates the sidebar's range shows, as typed text."""
    groups = page.locator('[data-testid="stSidebar"] [data-testid="stDateInputField"] [role="group"]')
    return [re.sub(r"\s", "", text) for text in groups.all_inner_texts()]


def check(page: Page, heading: str, metric: str, start: dt.date, end: dt.date) -> None:
    """The page shows the dates in the URL, in the widget, in its chart subtitle and in its figures."""
    expect(page.locator("h1").first).to_have_text(heading)
    settle(page)
    assert f"from={start}" in page.url and f"to={end}" in page.url, page.url
    assert fields(page) == [str(start), str(end)]
    expect(page.get_by_text(f"cases started {start} to {end}").first).to_be_attached()
    shown = page.locator('[data-testid="stMetric"]', has_text=metric).locator('[data-testid="stMetricValue"]')
    expect(shown).to_have_text(completed(start, end))


class TestTypedDateRange:
    def test_typed_range_with_enter_applies_and_holds(self, page: Page, app_url: str) -> None:
        """Type a range, press Enter: applied at once; it holds on another page, after a reload and after Back."""
        start, end = dt.date(2026, 3, 1), dt.date(2026, 5, 31)
        page.set_viewport_size({"width": 1280, "height": 720})
        page.goto(f"{app_url}/time")
        settle(page)
        expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text(completed(None, None))
        type_date(page, "start", start)
        type_date(page, "end", end)
        page.keyboard.press("Enter")
        check(page, "Time", "Completed cases", start, end)
        shoot(page, "filters_typed_enter_1280")

        page.locator('[data-testid="stSidebarNav"] a', has_text="Funnel").click()
        check(page, "Funnel", "Completed", start, end)
        page.reload()
        check(page, "Funnel", "Completed", start, end)
        page.go_back()  # one history entry a page visit (ui/page_history.py): Back is the Time page, filtered
        check(page, "Time", "Completed cases", start, end)

    def test_a_page_link_right_after_enter_keeps_the_new_date(self, page: Page, app_url: str) -> None:
        """Enter and at once a click on another page: the page opens with the date just typed, in the URL too."""
        page.set_viewport_size({"width": 1280, "height": 720})
        page.goto(f"{app_url}/time?from=2026-03-01&to=2026-05-31")
        settle(page)
        later = dt.date(2026, 4, 1)
        type_date(page, "start", later)
        page.keyboard.press("Enter")
        page.locator('[data-testid="stSidebarNav"] a', has_text="Funnel").click()  # no wait for the rerun
        check(page, "Funnel", "Completed", later, dt.date(2026, 5, 31))
        page.reload()
        check(page, "Funnel", "Completed", later, dt.date(2026, 5, 31))

    def test_a_date_outside_the_log_is_applied_inside_with_a_note(self, page: Page, app_url: str) -> None:
        """An end date after the last case is applied as the log's last day, and a note says so."""
        page.set_viewport_size({"width": 1280, "height": 720})
        page.goto(f"{app_url}/time")
        settle(page)
        type_date(page, "end", dt.date(2027, 1, 31))
        page.keyboard.press("Enter")
        expect(page.get_by_text("the date 2027-01-31 was moved inside")).to_be_visible()
        settle(page)
        assert fields(page)[1] == "2026-10-30" and "to=" not in page.url
        expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text(completed(None, None))
