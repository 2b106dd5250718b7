"""The duration statistics every figure uses: count, min, median, mean, p85, p95, max, and the named quantiles."""

from __future__ import annotations

import narwhals as nw

from journeymap.core.errors import JourneyError

__all__ = ["duration_stats", "STATISTICS", "QUANTILES", "quantile_of"]

# The statistics targets and OKRs may name (the schema's enum), as quantiles.
STATISTICS: dict[str, float] = {"median": 0.5, "p85": 0.85, "p95": 0.95}
QUANTILES = {name: q for name, q in STATISTICS.items() if name != "median"}  # the median has its own aggregation


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
