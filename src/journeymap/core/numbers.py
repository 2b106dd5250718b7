"""The one way a change is written: "+12%", "−40%", "+1.5 pts", and "–" when unknown."""

from __future__ import annotations

import math

__all__ = ["format_change"]


def format_change(value: float | None, points: bool = False) -> str:
    """A relative change as "+12%" / "−40%", or with `points` a change of a rate as "+1.5 pts" (one decimal:
    drop-off rates move by fractions of a point); "–" for None, NaN or infinity, as durations do."""
    if value is None or not math.isfinite(value):
        return "–"
    return (f"{value * 100:+.1f} pts" if points else f"{value:+.0%}").replace("-", "−")
