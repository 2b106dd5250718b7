"""Durations as people write them (`90m`, `48h`, `3d`, `2w`) and as people read them (`2.3 h`)."""

from __future__ import annotations

import math
import re

__all__ = ["parse_duration", "format_duration", "format_seconds_as_text", "clock_words", "SECONDS", "MAX_DURATION_S"]

_YEAR_S = 365.25 * 86400
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
# No journey waits a century; beyond this, epoch-microsecond arithmetic would overflow int64.
MAX_DURATION_S = 100 * 365.25 * 86400
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def parse_duration(text: str | int | float) -> float:
    """Return the seconds in a duration such as `90m`, `48h`, `3d` or `2w`.

    A bare number is rejected on purpose: `48` could mean hours or days, and a silent guess
    would skew every target check that uses it.
    """
    match = _DURATION.match(str(text))
    if match is None:
        raise ValueError(
            f"'{text}' is not a duration: write a number and a unit, such as 90m, 48h, 3d or 2w."
        )
    seconds = float(match.group(1)) * SECONDS[match.group(2)]
    if seconds > MAX_DURATION_S:
        raise ValueError(f"'{text}' is longer than 100 years; write a duration a journey can take, such as 30d.")
    return seconds


def format_duration(seconds: float) -> str:
    """Write seconds back as the shortest exact duration text (`172800` -> `2d`)."""
    for unit in ("w", "d", "h", "m", "s"):
        value = seconds / SECONDS[unit]
        if value >= 1 and math.isclose(value, round(value, 2)):
            return f"{round(value, 2):g}{unit}"
    return f"{seconds:g}s"


def format_seconds_as_text(seconds: float | None) -> str:
    """Write seconds the way a person reads them: `45 s`, `12 min`, `2.3 h`, `4.1 d`, `3.0 w`, from two years
    `2.1 y` (of 365.25 days)."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    sign = "−" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{sign}{seconds:.0f} s"
    if seconds < 3600:
        return f"{sign}{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{sign}{seconds / 3600:.1f} h"
    if seconds < 60 * 86400:
        return f"{sign}{seconds / 86400:.1f} d"
    if seconds < 2 * _YEAR_S:
        return f"{sign}{seconds / (7 * 86400):.1f} w"
    return f"{sign}{seconds / _YEAR_S:.1f} y"  # "631.6 w" is not a figure anyone repeats; "12.1 y" is


def clock_words(own: str, shown: str) -> str:
    """How a duration on its own clock (an OKR's, a target's: "calendar" or "working") says so beside
    durations on the shown clock, as the hotspots do: " in working hours", " in calendar time" where
    the rest is in working time, else nothing."""
    return " in working hours" if own == "working" else " in calendar time" if shown == "working" else ""
