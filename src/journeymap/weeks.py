"""The one week rule: a week starts on Monday, UTC."""

from __future__ import annotations

import numpy as np

__all__ = ["week_start"]

_DAY_US = 86_400_000_000


def week_start(us: np.ndarray) -> np.ndarray:
    """The Monday (UTC) of each epoch-microsecond moment, as datetime64 days."""
    days = np.asarray(us, dtype=np.int64) // _DAY_US
    return (days - (days + 3) % 7).astype("datetime64[D]")  # 1970-01-01 was a Thursday
