"""The date-range filter's bounds and the filtered events the pages share (no browser)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import polars as pl
import pytest

from journeymap.engine import filters
from journeymap.engine.filters import CaseFilter, filter_events, start_bounds
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import sample_events_path, sample_journey_path
from journeymap.log.columns import CASE_CODE
from journeymap.log.eventlog import EventLog
from journeymap.log.ingest import ingest_log, read_ingested
from journeymap.log.readers import read_events
from journeymap.testing import build_events
from journeymap.ui import data

JOURNEY = load_journey(sample_journey_path("onboarding"))


@pytest.fixture(scope="module")
def sample() -> EventLog:
    return read_events(sample_events_path("onboarding"))


@pytest.fixture(scope="module")
def ingested(sample: EventLog, tmp_path_factory: pytest.TempPathFactory) -> EventLog:
    out = tmp_path_factory.mktemp("bounds") / "onboarding"
    ingest_log(sample, out)
    return read_ingested(out)


def grouped_bounds(frame: pl.DataFrame) -> tuple[int, int]:
    """Each case's first time by grouping, the earliest and the latest: what the bounds must equal."""
    firsts = frame.group_by("case").agg(pl.col("ts").min())
    return int(firsts["ts"].min()), int(firsts["ts"].max())  # type: ignore[arg-type]


def source_of(log: EventLog, key: str) -> data.Source:
    return data.Source(key, "Onboarding", JOURNEY, log, key=key, origin="upload")


class TestStartBounds:
    def test_ingested_log_from_its_case_order(self, sample: EventLog, ingested: EventLog,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
        """An ingested log's bounds come from each case's first row, without grouping, and equal the source's."""
        def no_grouping(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("grouped by case")

        monkeypatch.setattr(pl.DataFrame, "group_by", no_grouping)
        found = start_bounds(ingested.frame)
        monkeypatch.undo()
        assert found == grouped_bounds(sample.frame)

    def test_case_whose_first_row_is_not_the_earliest_start(self) -> None:
        """Rows out of case order (a case's later event first) are grouped, not read from the first rows."""
        cases: dict[str, Sequence[tuple[str, float]]] = {"a": [("x", 120.0), ("y", 216.0)],
                                                          "b": [("x", 48.0), ("y", 72.0)]}
        events = build_events(cases)
        coded = events.with_columns(pl.col("case").rank("dense").cast(pl.Int32).alias(CASE_CODE))
        reversed_rows = coded.reverse()  # every case's last event comes first
        assert start_bounds(reversed_rows) == grouped_bounds(events) == start_bounds(events)

    def test_empty_log_has_no_bounds(self, ingested: EventLog) -> None:
        """No events, no date range: None, on the case-order path and the grouping one."""
        assert start_bounds(ingested.frame.head(0)) is None
        one: dict[str, Sequence[tuple[str, float]]] = {"a": [("x", 0.0)]}
        assert start_bounds(build_events(one).head(0)) is None

    def test_app_date_bounds_are_the_days(self, sample: EventLog, ingested: EventLog) -> None:
        """The sidebar's date range is the first and last day a case started on, the same for both logs."""
        low, high = grouped_bounds(sample.frame)
        days = tuple(dt.datetime.fromtimestamp(us / 1e6, dt.UTC).date() for us in (low, high))
        assert data.date_bounds(source_of(ingested, "bounds:ingested")) == days
        assert data.date_bounds(source_of(sample, "bounds:file")) == days


class TestFilteredEvents:
    def test_filtered_once_per_filter_and_only_the_last_kept(self, ingested: EventLog,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
        """The same filter asked twice is filtered once; another filter replaces it, so the first is filtered
        again when it comes back; no filter is the log itself."""
        calls: list[CaseFilter] = []

        def counted(events: Any, case_filter: CaseFilter) -> Any:
            calls.append(case_filter)
            return filter_events(events, case_filter)

        monkeypatch.setattr(data, "filter_events", counted)
        source = source_of(ingested, "bounds:events")
        berlin = CaseFilter(segments={"location": ("Berlin",)})
        spring = CaseFilter(start=dt.date(2026, 3, 1), end=dt.date(2026, 5, 31))
        first = data.events(source, berlin)
        assert data.events(source, CaseFilter(segments={"location": ("Berlin",)})) is first
        assert len(calls) == 1
        assert data.events(source, spring).height == filter_events(ingested.frame, spring).height
        assert data.events(source, berlin).equals(first)
        assert len(calls) == 3
        assert data.events(source, CaseFilter()) is ingested.frame and len(calls) == 3

    def test_segment_filter_on_codes_equals_the_general_filter(self, sample: EventLog, ingested: EventLog) -> None:
        """The case-order filter (codes of matching events, one or many values) keeps the same events as the
        grouping filter on the source file."""
        values = filters.segment_values(sample.frame, "location")
        for chosen in (values[:1], values[:2], tuple(values) * 3):
            case_filter = CaseFilter(segments={"location": tuple(chosen)})
            fast = filter_events(ingested.frame, case_filter)
            general = filter_events(sample.frame, case_filter)
            assert 0 < fast.height == general.height
            assert sorted(fast["case"].unique()) == sorted(general["case"].unique())
