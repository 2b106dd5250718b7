"""Figures as plain JSON values: the one conversion behind every JSON the command line writes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["plain", "records"]


def plain(value: Any) -> Any:
    """A value JSON can hold: numpy scalars as Python numbers, moments as ISO text, dicts and lists
    through, and NaN or infinity (a figure that does not exist) as null."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records(frame: pd.DataFrame, fields: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The rows of a table (its `fields`, default all) as plain JSON objects."""
    table = frame if fields is None else frame[list(fields)]
    return [plain(record) for record in table.to_dict("records")]
