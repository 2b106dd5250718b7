"""The duration statistics every figure uses: count, min, median, mean, p85, p95, max."""

from __future__ import annotations

import narwhals as nw

__all__ = ["duration_stats", "QUANTILES"]

QUANTILES = {"p85": 0.85, "p95": 0.95}


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
