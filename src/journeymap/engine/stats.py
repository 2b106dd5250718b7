"""The duration statistics every figure uses: count, min, median, mean, p85, p95, max, and the named quantiles."""

from __future__ import annotations

import narwhals as nw
import numpy as np

from journeymap.core.errors import JourneyError

__all__ = [
    "duration_stats",
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


def duration_stats(column: str, prefix: str = "") -> list[nw.Expr]:
    """Aggregations of a seconds column; quantiles interpolate linearly (numpy's default)."""
    col = nw.col(column)
    return [
        col.min().alias(f"{prefix}min_s"),
        col.median().alias(f"{prefix}median_s"),
        col.mean().alias(f"{prefix}mean_s"),
        *(col.quantile(q, interpolation="linear").alias(f"{prefix}{name}_s") for name, q in QUANTILES.items()),
        col.max().alias(f"{prefix}max_s"),
    ]


def distinct_keys(keys: np.ndarray, size: int) -> np.ndarray:
    """Sorted distinct non-negative integer keys below `size` (a bitmap: np.unique is 100x slower)."""
    if size > 50_000_000:
        return np.unique(keys)
    seen = np.zeros(size, dtype=bool)
    seen[keys] = True
    return np.flatnonzero(seen)
