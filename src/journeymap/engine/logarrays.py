"""A log as numpy arrays in case order: where each case starts, each event's activity code and time.

For facts that a few numpy passes compute faster than any group-by (the draft's `logfacts`). The
order is the metrics' own (DESIGN.md: by case, then timestamp, start timestamp, file order). A
Polars log already in that order, as readers leave most exports (one case after another, in time
order), is taken as it is: its cases are its runs of equal ids, checked exact, and no column is
copied, sorted or coded by hash. Any other log (another engine, or not grouped by case) goes
through `engine.prepare_events`, which sorts it.

No array the size of the log is made that is not kept (waits are taken slice by slice, `waits`):
in a fresh process each new megabyte costs 256 page faults, which on a million events cost more
CPU than the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import narwhals as nw
import numpy as np
import polars as pl

from journeymap.engine.prepare import EVENT_COLUMNS, as_lazy, collect, prepare_events
from journeymap.log.columns import CASE_CODE

__all__ = ["OrderedLog", "ordered_log", "small_codes", "SLICE"]

_LAST = 2**63 - 1  # a missing start sorts last, as in `engine.prepare_events`
_SEED = 20261202
SLICE = 2**16  # events taken at a time: a slice's temporaries stay in the processor's cache


@dataclass(frozen=True)
class OrderedLog:
    """Events in case order: `first` marks each case's first event and `starts` lists where they
    are, `step` is the code of each event's activity in `names` (in the smallest unsigned type that
    holds them), `ts` each event's time (epoch microseconds)."""

    first: np.ndarray
    starts: np.ndarray
    step: np.ndarray
    ts: np.ndarray
    names: tuple[str, ...]

    def waits(self, lo: int, hi: int) -> np.ndarray:
        """The time from each event `lo`..`hi - 1` to the next one, in microseconds."""
        return np.subtract(self.ts[lo + 1:hi + 1], self.ts[lo:hi])


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
    codes = frame.get_column(CASE_CODE) if CASE_CODE in frame.columns else None
    if codes is not None and codes.dtype.is_integer() and not codes.null_count():
        # An ingested log: one integer code per case id, so runs of equal codes are runs of equal ids.
        first = _first_of_case(codes.to_numpy())
        starts = np.flatnonzero(first)
        run_keys = np.sort(codes.gather(starts).to_numpy())
    else:
        first = _first_of_case(case.rle_id().to_numpy())  # runs of equal ids, compared as text
        starts = np.flatnonzero(first)
        # Each run is a case of its own when the runs' ids all differ, which is certain when their
        # hashes do (equal ids hash equally; a collision only sends the log to the general path).
        run_keys = np.sort(case.gather(starts).hash(seed=_SEED).to_numpy())
    if (run_keys[1:] == run_keys[:-1]).any():
        return None
    times = ts.cast(pl.Int64).to_numpy()
    if not _in_time_order(frame, first, times):
        return None
    step, names = _codes(activity)
    return OrderedLog(first, starts, small_codes(step, len(names)), times, names)


def _codes(activity: pl.Series) -> tuple[np.ndarray, tuple[str, ...]]:
    """Each value's code, in order of first appearance, and the values they stand for.

    From a category set of its own (one pass, no sort of the text), in a byte per event while
    there are at most 256 activities, as there nearly always are. An Enum's (an ingested log's)
    codes are renumbered by first appearance rather than cast: a fifth of the time."""
    if isinstance(activity.dtype, pl.Enum):
        physical = activity.to_physical()
        seen = physical.unique(maintain_order=True).to_numpy()
        renumber = np.zeros(len(activity.dtype.categories), dtype=np.uint8 if len(seen) <= 256 else np.uint32)
        renumber[seen] = np.arange(len(seen))
        categories = activity.dtype.categories.to_list()
        return renumber[physical.to_numpy()], tuple(categories[code] for code in seen)
    try:
        coded = activity.cast(pl.Categorical(pl.Categories.random(physical=pl.UInt8)))
    except pl.exceptions.ComputeError:  # more activities than a byte numbers
        coded = activity.cast(pl.Categorical(pl.Categories.random()))
    step = coded.to_physical().to_numpy()
    names = coded.dtype.categories.to_series().to_list()[:int(step.max()) + 1] if len(step) else []  # type: ignore[attr-defined]  # Categorical, cast above
    return step, tuple(names)


def _first_of_case(case: np.ndarray) -> np.ndarray:
    """Where the case number changes (cases contiguous)."""
    first = np.empty(len(case), dtype=bool)
    first[:1] = True
    np.not_equal(case[1:], case[:-1], out=first[1:])
    return first


def _in_time_order(frame: pl.DataFrame, first: np.ndarray, ts: np.ndarray) -> bool:
    """Whether the events of each case come by timestamp, then start (missing last), then file order."""
    ties = [np.zeros(0, dtype=np.int64)]
    for lo in range(0, len(ts) - 1, SLICE):
        hi = min(lo + SLICE, len(ts) - 1)
        within = ts[lo + 1:hi + 1] <= ts[lo:hi]
        within &= ~first[lo + 1:hi + 1]  # ties (or time going back) within a case
        if within.any():
            ties.append(np.flatnonzero(within) + lo)
    tied = np.concatenate(ties)
    if not len(tied):
        return True
    if (ts[tied + 1] < ts[tied]).any():
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
    times = table.get_column("ts").to_numpy().astype(np.int64)[order]
    step = table.get_column("step_code").to_numpy()[order]
    return OrderedLog(first, np.flatnonzero(first), small_codes(step, len(names)), times, names)


def small_codes(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """Codes in the smallest unsigned type that holds them: numpy sorts 8- and 16-bit keys by radix."""
    for dtype in (np.uint8, np.uint16):
        if n_codes <= np.iinfo(dtype).max + 1:
            return codes.astype(dtype, copy=False)
    return codes.astype(np.int64, copy=False)
