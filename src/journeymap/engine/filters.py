"""Narrow an event log to the cases an ops lead asks about: a date range and segment values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import narwhals as nw

from journeymap.engine.prepare import to_pandas
from journeymap.core.moments import to_epoch_us

__all__ = ["CaseFilter", "filter_events", "segment_values"]


@dataclass(frozen=True)
class CaseFilter:
    """Cases that started in [start, end] (dates, inclusive) and have the given attribute values."""

    start: dt.date | None = None
    end: dt.date | None = None
    segments: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def is_empty(self) -> bool:
        """True when the filter keeps every case."""
        return self.start is None and self.end is None and not any(self.segments.values())

    def describe(self) -> str:
        """The filter in words, for chart subtitles and reports."""
        parts = []
        if self.start or self.end:
            parts.append(f"cases started {self.start or '…'} to {self.end or '…'}")
        parts += [f"{key} = {' or '.join(values)}" for key, values in self.segments.items() if values]
        return "; ".join(parts) or "all cases"


def filter_events(events: Any, case_filter: CaseFilter) -> Any:
    """The events of the cases that pass the filter, in the engine they came in (native frame)."""
    if case_filter.is_empty():
        return events
    frame = nw.from_native(events)
    starts = frame.group_by("case").agg(nw.col("ts").min().alias("__first"))
    if case_filter.start is not None:
        starts = starts.filter(nw.col("__first") >= to_epoch_us(case_filter.start))
    if case_filter.end is not None:
        starts = starts.filter(nw.col("__first") < to_epoch_us(case_filter.end + dt.timedelta(days=1)))
    keep = starts.select("case")
    for column, values in case_filter.segments.items():
        if values:
            matching = frame.filter(nw.col(column).is_in(list(values))).select("case").unique()
            keep = keep.join(matching, on="case", how="semi")
    return frame.join(keep, on="case", how="semi").to_native()


def segment_values(events: Any, column: str, limit: int = 200) -> list[str]:
    """The values of a segment column, most frequent first (for a filter widget)."""
    frame = nw.from_native(events)
    counts = to_pandas(frame.filter(~nw.col(column).is_null()).group_by(column).agg(nw.len().alias("n")))
    return counts.sort_values(["n", column], ascending=[False, True])[column].astype(str).head(limit).tolist()
