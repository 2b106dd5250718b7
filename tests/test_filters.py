"""Filters by date range and segment, on every engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl

from journeymap.engine.filters import CaseFilter, filter_events, segment_values
from journeymap.measures.metrics import compute_metrics
from journeymap.testing import build_events

EVENTS = build_events(
    {"jan": [("a", 0), ("b", 24 * 40)], "feb": [("a", 24 * 31), ("b", 24 * 32)], "mar": [("a", 24 * 60)]},
    attributes={"jan": {"dept": "Sales"}, "feb": {"dept": "IT"}, "mar": {"dept": "Sales"}},
)


def cases_of(frame: Any) -> set[str]:
    return set(compute_metrics(frame).cases["case"])


class TestFilterEvents:
    def test_date_range_keeps_cases_started_inside(self, engine: Callable[[pl.DataFrame], Any]) -> None:
        """Cases are kept by the day they started, with all their events, even later ones."""
        kept = filter_events(engine(EVENTS), CaseFilter(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31)))
        assert cases_of(kept) == {"jan"}
        assert compute_metrics(kept).n_events == 2

    def test_segment_values(self, engine: Callable[[pl.DataFrame], Any]) -> None:
        """A segment filter keeps cases with any of the chosen values."""
        assert cases_of(filter_events(engine(EVENTS), CaseFilter(segments={"dept": ("Sales",)}))) == {"jan", "mar"}
        both = CaseFilter(start=dt.date(2026, 2, 1), segments={"dept": ("Sales", "IT")})
        assert cases_of(filter_events(engine(EVENTS), both)) == {"feb", "mar"}

    def test_empty_filter_is_identity(self) -> None:
        """No filter returns the very same frame."""
        assert filter_events(EVENTS, CaseFilter()) is EVENTS

    def test_describe(self) -> None:
        """A filter reads as words for subtitles."""
        text = CaseFilter(start=dt.date(2026, 1, 1), segments={"dept": ("IT", "Sales")}).describe()
        assert text == "cases started 2026-01-01 to …; dept = IT or Sales"
        assert CaseFilter().describe() == "all cases"


def test_segment_values_most_frequent_first() -> None:
    """Segment values are listed most frequent first."""
    assert segment_values(EVENTS, "dept") == ["Sales", "IT"]
