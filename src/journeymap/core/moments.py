"""Moments in time as the engine holds them (epoch microseconds, UTC), and the one week rule: a week
starts on Monday, UTC."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

__all__ = ["to_epoch_us", "as_of_epoch_us", "week_start"]

_DAY_US = 86_400_000_000


def week_start(us: np.ndarray) -> np.ndarray:
    """The Monday (UTC) of each epoch-microsecond moment, as datetime64 days."""
    days = np.asarray(us, dtype=np.int64) // _DAY_US
    return (days - (days + 3) % 7).astype("datetime64[D]")  # 1970-01-01 was a Thursday


def to_epoch_us(moment: dt.datetime | dt.date | str) -> int:
    """A moment as epoch microseconds (UTC); naive datetimes and dates are taken as UTC."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime(moment.year, moment.month, moment.day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(round(moment.timestamp() * 1_000_000))


def as_of_epoch_us(as_of: Any) -> int | None:
    """`as_of` (None, epoch microseconds, a datetime, a date or ISO text) as epoch microseconds."""
    return None if as_of is None else as_of if isinstance(as_of, int) else to_epoch_us(as_of)
