"""A log as numpy arrays in case order: where each case starts, each event's activity code and time.

For facts that a few numpy passes compute faster than any group-by (the draft's `logfacts`). The
order is the metrics' own (DESIGN.md: by case, then timestamp, start timestamp, file order). A
Polars log already in that order, as readers leave most exports (one case after another, in time
order), is taken as it is: its cases are its runs of equal ids, checked exact, and no column is
copied, sorted or coded by hash. Any other log (another engine, or not grouped by case) goes
through `engine.prepare_events`, which sorts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import narwhals as nw
import numpy as np
import polars as pl

from journeymap.engine.prepare import EVENT_COLUMNS, as_lazy, collect, prepare_events

__all__ = ["OrderedLog", "ordered_log"]

_LAST = 2**63 - 1  # a missing start sorts last, as in `engine.prepare_events`
_SEED = 20261202


@dataclass(frozen=True)
class OrderedLog:
    """Events in case order: `first` marks each case's first event, `step` is the code of each
    event's activity in `names`, `wait_us` the time from each event to the next (one fewer)."""

    first: np.ndarray
    step: np.ndarray
    wait_us: np.ndarray
    names: tuple[str, ...]


def ordered_log(events: Any) -> OrderedLog:
    """Canonical events (any engine) as an `OrderedLog`."""
    frame = _polars_events(events)
    ordered = _as_it_is(frame) if frame is not None else None
    return ordered if ordered is not None else _prepared(events)


def _polars_events(events: Any) -> pl.DataFrame | None:
    """A Polars log (a lazy plan computed: its event columns), else None."""
    wrapped = nw.from_native(events)
    if not wrapped.implementation.is_polars():
        return None
    native = wrapped.to_native()  # not `select`ed: that would copy the readers' chunks into one
    return native.select(EVENT_COLUMNS).collect() if isinstance(native, pl.LazyFrame) else native


def _as_it_is(frame: pl.DataFrame) -> OrderedLog | None:
    """The log in its own row order, if that is case order: each case one run, in time order."""
    case, activity, ts = frame.get_column("case"), frame.get_column("activity"), frame.get_column("ts")
    if case.null_count() or activity.null_count() or ts.null_count() or not ts.dtype.is_integer():
        return None  # left to the general path, which has a rule for each
    first = _first_of_case(case.rle_id().to_numpy())  # runs of equal ids, compared as text
    # Each run is a case of its own when the runs' ids all differ, which is certain when their
    # hashes do (equal ids hash equally; a collision only sends the log to the general path).
    run_hashes = np.sort(case.hash(seed=_SEED).to_numpy()[first])
    if (run_hashes[1:] == run_hashes[:-1]).any():
        return None
    wait_us = np.diff(ts.to_numpy())
    if not _in_time_order(frame, first, wait_us):
        return None
    # Codes in order of first appearance, from a category set of its own (one pass, no sort of the text).
    coded = activity.cast(pl.Categorical(pl.Categories.random()))
    step = coded.to_physical().to_numpy()
    names = tuple(coded.dtype.categories.to_series().to_list()[:int(step.max()) + 1] if len(step) else ())  # type: ignore[attr-defined]  # Categorical, cast above
    return OrderedLog(first, step, wait_us, names)


def _first_of_case(case: np.ndarray) -> np.ndarray:
    """Where the case number changes (cases contiguous)."""
    first = np.empty(len(case), dtype=bool)
    first[:1] = True
    np.not_equal(case[1:], case[:-1], out=first[1:])
    return first


def _in_time_order(frame: pl.DataFrame, first: np.ndarray, wait_us: np.ndarray) -> bool:
    """Whether the events of each case come by timestamp, then start (missing last), then file order."""
    within = (wait_us <= 0) & ~first[1:]  # ties within a case
    tied = np.flatnonzero(within)
    if not len(tied):
        return True
    if (wait_us[tied] < 0).any():
        return False
    start = frame.get_column("start")
    keys = [frame.get_column("row")]
    if start.null_count() < len(start):  # start times order ties only in a log that has them
        keys.insert(0, start)
    ahead, equal = np.zeros(len(tied), dtype=bool), np.ones(len(tied), dtype=bool)
    for key in keys:
        before, after = (key.gather(at).fill_null(_LAST).to_numpy() for at in (tied, tied + 1))
        ahead, equal = ahead | (equal & (before < after)), equal & (before == after)
    return bool((ahead | equal).all())


def _prepared(events: Any) -> OrderedLog:
    """Any log ordered by `engine.prepare_events`."""
    names = tuple(sorted(collect(as_lazy(events).select("activity").unique()).get_column("activity").to_list()))
    prepared = prepare_events(events, {a: a for a in names}, {a: i for i, a in enumerate(names)}, None)
    table = collect(prepared.events.select("idx", "case_code", "step_code", "ts"))
    idx = table.get_column("idx").to_numpy()
    order = np.argsort(idx, kind="stable") if not prepared.eager else slice(None)  # lazy rows come in any order
    first = _first_of_case(table.get_column("case_code").to_numpy()[order])
    wait_us = np.diff(table.get_column("ts").to_numpy().astype(np.int64)[order])
    return OrderedLog(first, table.get_column("step_code").to_numpy()[order], wait_us, names)
