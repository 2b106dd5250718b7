"""The one way a change and a share are written: "+12%", "−40%", "+1.5 pts"; "46%", "<1%"; "–" when unknown."""

from __future__ import annotations

import math

__all__ = ["format_change", "format_count", "format_share"]


def format_change(value: float | None, points: bool = False) -> str:
    """A relative change as "+12%" / "−40%", or with `points` a change of a rate as "+1.5 pts" (one decimal:
    drop-off rates move by fractions of a point); a change too small to show as "+<1%" ("−<0.1 pts"), never as
    "−0%"; a fall short of all of it, which would round to "−100%", with a decimal ("−99.8%": from 2.1 d to
    5 min is not to nothing); "–" for None, NaN or infinity, as durations do."""
    if value is None or not math.isfinite(value):
        return "–"
    text = f"{value * 100:+.1f} pts" if points else f"{value:+.0%}"
    if value and float(text.removesuffix(" pts").removesuffix("%")) == 0:  # never a "−0%" for a change of −0.3%
        text = f"{text[0]}<{'0.1 pts' if points else '1%'}"
    elif not points and -1 < value and text == "-100%":
        text = f"-{min(math.floor(-value * 1000) / 10, 99.9):.1f}%"
    return text.replace("-", "−")


def format_share(value: float | None, decimals: int = 0) -> str:
    """A share (0.46) as "46%"; a share above 0 that would round to 0 as "<1%" (with `decimals`, "<0.1%"), and
    one below 1 that would round to 100% as ">99%": a step 3 of 2,400 cases reach is not "0%" of them, and
    "100%" says all. "–" for None, NaN or infinity."""
    if value is None or not math.isfinite(value):
        return "–"
    text = f"{value:.{decimals}%}"
    shown = float(text.removesuffix("%"))
    step = 10.0 ** -decimals  # the least a share shows at this many decimals: 1 (%) at 0
    if value > 0 and shown == 0:
        return f"<{step:.{decimals}f}%"
    if value < 1 and shown >= 100:
        return f">{100 - step:.{decimals}f}%"
    return text.replace("-", "−")


def format_count(count: int, noun: str) -> str:
    """"1 case", "2,400 cases": the count with thousands separators and the noun in its number."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
