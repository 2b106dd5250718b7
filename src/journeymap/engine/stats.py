"""The duration statistics every figure uses: count, min, median, mean, p85, p95, max, and the named quantiles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import narwhals as nw
import numpy as np
import pandas as pd

from journeymap.core.errors import JourneyError
from journeymap.engine.prepare import to_pandas
from journeymap.engine.spark import is_spark, quantile_frame

__all__ = [
    "duration_stats",
    "Quantile",
    "Aggregation",
    "grouped_table",
    "STATISTICS",
    "QUANTILES",
    "quantile_of",
    "LEVEL",
    "MIN_CASES",
    "RESAMPLES",
    "distinct_keys",
]

# The statistics targets and OKRs may name (the schema's enum), as quantiles.
STATISTICS: dict[str, float] = {"median": 0.5, "p85": 0.85, "p95": 0.95}
QUANTILES = {name: q for name, q in STATISTICS.items() if name != "median"}  # the median has its own aggregation

# Intervals everywhere (compare, pilots, satisfaction): 95%, from this many case resamples, and no
# verdict on fewer cases than this in a group.
LEVEL = 0.95
RESAMPLES = 1000
MIN_CASES = 30


def quantile_of(statistic: str) -> float:
    """The quantile a statistic names ("p85" -> 0.85)."""
    try:
        return STATISTICS[statistic]
    except KeyError:
        raise JourneyError(f"Unknown statistic '{statistic}'; use one of {', '.join(STATISTICS)}.") from None


class Quantile(NamedTuple):
    """The `q`-quantile of `column` as the aggregation `name`, interpolated linearly (numpy's default)."""

    column: str
    q: float
    name: str

    def expr(self) -> nw.Expr:
        col = nw.col(self.column)
        return (col.median() if self.q == STATISTICS["median"] else col.quantile(self.q, interpolation="linear")
                ).alias(self.name)


Aggregation = nw.Expr | Quantile


def duration_stats(column: str, prefix: str = "") -> list[Aggregation]:
    """Aggregations of a seconds column (for `grouped_table`): min, median, mean, p85, p95, max."""
    col = nw.col(column)
    return [
        col.min().alias(f"{prefix}min_s"),
        Quantile(column, STATISTICS["median"], f"{prefix}median_s"),
        col.mean().alias(f"{prefix}mean_s"),
        *(Quantile(column, q, f"{prefix}{name}_s") for name, q in QUANTILES.items()),
        col.max().alias(f"{prefix}max_s"),
    ]


def grouped_table(frame: nw.LazyFrame[Any], key: str, aggregations: Sequence[Aggregation]) -> pd.DataFrame:
    """`frame` grouped by `key` and aggregated, collected (a journey-sized table), columns in the given order.

    On Spark the quantiles are an aggregation of their own (`journeymap.engine.spark.quantile_frame`):
    in Spark's plan they would otherwise cost a buffer each, kept per group and case beside a distinct
    count. Both read the same cached frame and are joined there, so one table comes back.
    """
    if not is_spark(frame.to_native()) or not any(isinstance(a, Quantile) for a in aggregations):
        return to_pandas(frame.group_by(key).agg(*(a.expr() if isinstance(a, Quantile) else a for a in aggregations)))
    plain = [a for a in aggregations if not isinstance(a, Quantile)]
    quantiles = [(a.name, a.column, a.q) for a in aggregations if isinstance(a, Quantile)]
    grouped = frame.group_by(key).agg(*plain) if plain else frame.select(key).unique()
    names = iter(grouped.collect_schema().names()[1:])  # the plain aggregations' names, in their order
    order = [key, *(a.name if isinstance(a, Quantile) else next(names) for a in aggregations)]
    return to_pandas(grouped.join(nw.from_native(quantile_frame(frame.to_native(), key, quantiles)), on=key,
                                  how="left").select(order))


def distinct_keys(keys: np.ndarray, size: int) -> np.ndarray:
    """Sorted distinct non-negative integer keys below `size` (a bitmap: np.unique is 100x slower)."""
    if size > 50_000_000:
        return np.unique(keys)
    seen = np.zeros(size, dtype=bool)
    seen[keys] = True
    return np.flatnonzero(seen)
