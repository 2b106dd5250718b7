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
    "seconds_sum",
    "ExactSeconds",
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


def _parts(column: str) -> tuple[nw.Expr, nw.Expr]:
    """A seconds column as whole seconds and the microseconds left over, both Int64."""
    # Missing values add nothing (filled first: pandas cannot hold a missing Int64 in numpy).
    micro = (nw.col(column).fill_null(0.0) * 1_000_000).round(0).cast(nw.Int64)
    return micro // 1_000_000, micro % 1_000_000


def _exact_sum(integers: nw.Expr) -> nw.Expr:
    # A float once summed (DuckDB sums Int64 into a 128-bit integer, which reaches pandas as Decimal):
    # exact, as neither sum comes near 2**53 (285 million years of seconds; 9 billion rows of micros).
    return integers.sum().cast(nw.Float64)


def seconds_sum(column: str) -> nw.Expr:
    """The sum of a column of seconds, added as whole microseconds (the unit of every timestamp).

    A float sum's last digits follow the order in which the threads happened to add, so a figure
    changed from run to run (a million cases' lead times pass 2**53 microseconds, where a double
    stops holding whole numbers exactly). Integers add exactly in any order: the whole seconds and
    the microseconds left over are summed as two Int64 columns, exact and the same on every run and
    engine, and neither can overflow (that would take 292 billion years of seconds). For a whole
    frame; in `grouped_table` the same sum is an `ExactSeconds`.
    """
    whole, micro = _parts(column)
    return _exact_sum(whole) + _exact_sum(micro) / 1_000_000


class ExactSeconds(NamedTuple):
    """A group's sum of a seconds column, added as `seconds_sum` adds it, for `grouped_table`: for sums
    over rows whose order is not fixed (the rows of a join), where a float sum's last digits would
    change from run to run. Sums over the ordered events (a step's delay, every mean) are float sums
    in the events' order, the same on every run, without the extra columns below.

    On pandas the two integer parts are columns of their own before grouping, so that it sums them
    as a plain aggregation (it would run an expression over each group's rows in Python); the other
    engines sum the expressions in the aggregation itself.
    """

    column: str
    name: str

    def parts(self) -> list[nw.Expr]:
        whole, micro = _parts(self.column)
        return [whole.alias(f"{self.name}__whole"), micro.alias(f"{self.name}__micro")]

    def sums(self, parts_added: bool) -> list[nw.Expr]:
        if not parts_added:
            return [part.sum() for part in self.parts()]
        return [nw.col(f"{self.name}__whole").sum(), nw.col(f"{self.name}__micro").sum()]

    def combine(self, table: pd.DataFrame) -> pd.Series:
        # Floats once summed, as in `_exact_sum` (cast here: pandas cannot cast inside a group's sum).
        whole, micro = (table.pop(f"{self.name}__{part}").astype("float64") for part in ("whole", "micro"))
        return whole + micro / 1_000_000


Aggregation = nw.Expr | Quantile | ExactSeconds


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
    """`frame` grouped by `key` and aggregated, collected (a journey-sized table), columns in the given order."""
    exact = [a for a in aggregations if isinstance(a, ExactSeconds)]
    parts_added = bool(exact) and frame.implementation.is_pandas_like()
    if parts_added:
        frame = frame.with_columns(*(part for a in exact for part in a.parts()))
    flat = [part for a in aggregations for part in (a.sums(parts_added) if isinstance(a, ExactSeconds) else [a])]
    table = _grouped(frame, key, flat)
    for a in exact:  # each sum where its first part was
        at = table.columns.get_loc(f"{a.name}__whole")
        table.insert(at, a.name, a.combine(table))
    return table


def _grouped(frame: nw.LazyFrame[Any], key: str, aggregations: Sequence[nw.Expr | Quantile]) -> pd.DataFrame:
    """On Spark the quantiles are an aggregation of their own (`journeymap.engine.spark.quantile_frame`):
    in Spark's plan they would otherwise cost a buffer each, kept per group and case beside a distinct
    count. Both read the same cached frame and are joined there, so one table comes back."""
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
