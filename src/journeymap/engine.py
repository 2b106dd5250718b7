"""Engine-neutral plumbing over Narwhals: canonical events in, ordered and annotated events out.

Canonical events have the columns `case` (text), `activity` (text), `ts` and `start` (epoch
microseconds, UTC; `start` may be null), `row` (file order), and any attribute columns. Integer
time keeps durations a plain subtraction, which every backend supports.
"""

from __future__ import annotations

from typing import Any

import narwhals as nw
import pandas as pd
import polars as pl

__all__ = ["EVENT_COLUMNS", "as_lazy", "prepare_events", "materialise", "collect", "to_pandas", "backend_name"]

EVENT_COLUMNS = ("case", "activity", "ts", "start", "row")
# DESIGN.md: events of a case are ordered by timestamp, then start timestamp, then file order.
# Cases are ordered by an integer code, and a missing start sorts last through a filled key:
# sorting by text ids, or by a column with nulls, costs several times more.
_ORDER_KEYS = ["case_code", "ts", "start_key", "row"]
_NEIGHBOURS = {"next_case": "case_code", "next_step_code": "step_code", "next_ts": "ts", "next_start": "start",
               "prev_case": "case_code"}
_LAST = 2**63 - 1


def as_lazy(frame: Any) -> nw.LazyFrame[Any]:
    """Wrap any supported native frame (pandas, Polars, DuckDB, PySpark) as a Narwhals lazy frame."""
    wrapped = nw.from_native(frame)
    return wrapped.lazy() if isinstance(wrapped, nw.DataFrame) else wrapped


def backend_name(frame: Any) -> str:
    """The engine behind a native frame, e.g. `polars`, `pandas`, `duckdb`."""
    return str(nw.from_native(frame).implementation).lower().split(".")[-1]


def prepare_events(frame: Any, step_of: dict[str, str], step_codes: dict[str, int],
                   as_of_us: int | None) -> nw.LazyFrame[Any]:
    """Events in case order: `case`, `case_code`, `step_code`, `ts`, global position `idx`,
    `position` within the case, the next event's `next_step_code` and `next_ts`, and `is_first`
    / `is_last`; `start` and `next_start` only when the log has start times.

    Eager frames are sorted once and shifted; lazy ones number events with a window, since a lazy
    source has no row order of its own. The result is materialised once, in the same engine, so
    that the many aggregations after it do not redo the ordering. Only these columns are kept:
    at ten million events every extra column costs most of a hundred megabytes.
    """
    wrapped = nw.from_native(frame).select(*(nw.col(c) for c in EVENT_COLUMNS))
    eager = isinstance(wrapped, nw.DataFrame)
    if as_of_us is not None:
        wrapped = wrapped.filter(nw.col("ts") <= as_of_us)
    has_start = bool(collect(wrapped.select((~nw.col("start").is_null()).sum())).item())
    activity_codes = {activity: step_codes[step] for activity, step in step_of.items()}
    wrapped = _with_case_codes(wrapped, eager).with_columns(
        step_code=nw.col("activity").replace_strict(activity_codes, default=-1, return_dtype=nw.Int64),
        case_code=nw.col("case_code").cast(nw.Int64),
        start_key=nw.col("start").fill_null(_LAST),
    )
    keys = _ORDER_KEYS if has_start else [key for key in _ORDER_KEYS if key != "start_key"]
    kept = ["case", "case_code", "step_code", "ts", *(["start"] if has_start else []), "idx"]
    neighbours = {name: col for name, col in _NEIGHBOURS.items() if has_start or col != "start"}
    if eager:
        ordered = wrapped.sort(keys).with_row_index("idx").select(*kept)
        shift = lambda column, n: nw.col(column).shift(n)  # noqa: E731
    else:
        ordered = wrapped.with_row_index("idx", order_by=keys).select(*kept)
        shift = lambda column, n: nw.col(column).shift(n).over(order_by="idx")  # noqa: E731
    annotated = ordered.with_columns(nw.col("idx").cast(nw.Int64), **{
        name: shift(col, -1 if name.startswith("next") else 1) for name, col in neighbours.items()})
    annotated = annotated.with_columns(
        is_first=nw.col("prev_case").is_null() | (nw.col("prev_case") != nw.col("case_code")),
        is_last=nw.col("next_case").is_null() | (nw.col("next_case") != nw.col("case_code")),
    ).drop("prev_case", "next_case")
    # Cases are contiguous, so a case's first position carries forward to its other events.
    first_idx = nw.when(nw.col("is_first")).then(nw.col("idx"))
    first_idx = first_idx.fill_null(strategy="forward") if eager else first_idx.fill_null(
        strategy="forward").over(order_by="idx")
    annotated = annotated.with_columns(position=nw.col("idx") - first_idx)
    return annotated.lazy() if eager else materialise(annotated)


def _with_case_codes(frame: Any, eager: bool) -> Any:
    """Add an integer `case_code` per distinct case id (any numbering; only equality matters)."""
    if frame.implementation.is_polars():
        # Polars numbers text in one hashing pass when it builds a categorical; reading its
        # physical codes is half the cost of the engine-neutral unique-and-join below.
        native = frame.to_native()
        coded = native.with_columns(case_code=native.get_column("case").cast(pl.Categorical).to_physical()
                                    if eager else pl.col("case").cast(pl.Categorical).to_physical())
        return nw.from_native(coded)
    codes = frame.select("case").unique()
    codes = codes.with_row_index("case_code") if eager else codes.with_row_index("case_code", order_by="case")
    return frame.join(codes, on="case", how="left")


def materialise(frame: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """Compute a lazy frame once and keep it in its engine, so later queries reuse the result."""
    backend = frame.implementation
    if backend.is_polars() or backend.is_duckdb():
        return frame.collect().lazy(backend=backend)
    if backend.is_pandas():
        return frame.collect().lazy()
    return frame  # other engines (PySpark) keep the plan where the data lives


def collect(frame: nw.LazyFrame[Any] | nw.DataFrame[Any]) -> nw.DataFrame[Any]:
    """Materialise a (small, aggregated) lazy result."""
    return frame.collect() if isinstance(frame, nw.LazyFrame) else frame


def to_pandas(frame: nw.LazyFrame[Any] | nw.DataFrame[Any]) -> pd.DataFrame:
    """A collected result as a pandas frame, the currency of Streamlit and Altair."""
    return collect(frame).to_pandas()
