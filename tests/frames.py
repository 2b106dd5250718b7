"""Figure tables made comparable across engines: text columns as objects, rows in a fixed order
(lazy engines and Spark return groups in any order)."""

from __future__ import annotations

import pandas as pd


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with text columns as objects and its rows sorted by its first two columns."""
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object or str(frame[column].dtype).startswith("str"):
            frame[column] = frame[column].astype(object)
    return frame.sort_values(list(frame.columns[:2])).reset_index(drop=True)
