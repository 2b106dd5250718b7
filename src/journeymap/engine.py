"""Engine-neutral plumbing over Narwhals: canonical events in, ordered lazy frames out.

Canonical events have the columns `case` (text), `activity` (text), `ts` and `start` (epoch
microseconds, UTC; `start` may be null), `row` (file order), and any attribute columns. Integer
time keeps durations a plain subtraction, which every backend supports.
"""

from __future__ import annotations

from typing import Any

import narwhals as nw
import pandas as pd

__all__ = ["EVENT_COLUMNS", "ORDER_KEYS", "as_lazy", "order_events", "shifted", "collect", "to_pandas",
           "backend_name"]

EVENT_COLUMNS = ("case", "activity", "ts", "start", "row")
# DESIGN.md: events of a case are ordered by timestamp, then start timestamp, then file order.
ORDER_KEYS = ["case", "ts", "start", "row"]


def as_lazy(frame: Any) -> nw.LazyFrame[Any]:
    """Wrap any supported native frame (pandas, Polars, DuckDB, PySpark) as a Narwhals lazy frame."""
    wrapped = nw.from_native(frame)
    if isinstance(wrapped, nw.DataFrame):
        return wrapped.lazy()
    return wrapped


def backend_name(frame: Any) -> str:
    """The engine behind a native frame, e.g. `polars`, `pandas`, `duckdb`."""
    return str(nw.from_native(frame).implementation).lower().split(".")[-1]


def order_events(frame: Any) -> nw.LazyFrame[Any]:
    """Events with a global position `idx`: cases contiguous, each in event order.

    Eager frames are sorted once and numbered; lazy ones get the position from a window, since a
    lazy source has no row order of its own (the `row` column carries file order).
    """
    wrapped = nw.from_native(frame)
    if isinstance(wrapped, nw.DataFrame):
        ordered = wrapped.sort(ORDER_KEYS, nulls_last=True).with_row_index("idx")
        return ordered.lazy()
    return wrapped.with_row_index("idx", order_by=ORDER_KEYS)


def shifted(column: str, n: int) -> nw.Expr:
    """The value `n` events later (negative: earlier) in the global event order."""
    return nw.col(column).shift(-n).over(order_by="idx")


def collect(frame: nw.LazyFrame[Any] | nw.DataFrame[Any]) -> nw.DataFrame[Any]:
    """Materialise a (small, aggregated) lazy result."""
    return frame.collect() if isinstance(frame, nw.LazyFrame) else frame


def to_pandas(frame: nw.LazyFrame[Any] | nw.DataFrame[Any]) -> pd.DataFrame:
    """A collected result as a pandas frame, the currency of Streamlit and Altair."""
    return collect(frame).to_pandas()
