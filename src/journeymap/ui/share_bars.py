"""Share columns of a table: a bar, and beside it the share as `core/numbers.format_share` writes it.

Streamlit's progress column prints its own number ("%.0f%%"), so 3 of 2,400 cases read "0%" there;
here the bar prints nothing and a text column right of it says "<1%", as every other share does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
import streamlit as st

from journeymap.charts.textfit import text_width
from journeymap.core.numbers import format_share

__all__ = ["share_bars", "share_text_column"]

_NO_NUMBER = " "  # a printf format without a placeholder: the bar prints no number of its own
_TEXT_PX = 56  # ">99%", "<0.1%" and the cell's padding
_HEADER_PX, _PADDING_PX, _LEAST_BAR_PX = 14, 28, 60  # a column's header type and padding; a bar still readable


def share_text_column(name: str) -> str:
    """The name of the text column that words the shares drawn as the bars of column `name`."""
    return f"{name} (share)"


def share_bars(table: pd.DataFrame, columns: Iterable[str], *, most: float = 1.0, decimals: int = 0,
               narrow: bool = False) -> tuple[pd.DataFrame, dict[str, Any]]:
    """`table` with each of `columns` (shares: 0.46 for 46%) drawn as a bar on a 0 to `most` scale and worded
    by `format_share` in a column right after it; returns the table and its `column_config`. `narrow` bars are
    as wide as their header (a value's name, whole), for tables of many of them side by side."""
    table = table.copy()
    config: dict[str, Any] = {}
    for name in columns:
        shares = pd.to_numeric(table[name], errors="coerce").astype("float64")
        table[name] = shares
        table.insert(list(table.columns).index(name) + 1, share_text_column(name),
                     [format_share(share, decimals) for share in shares])
        width = max(_LEAST_BAR_PX, round(text_width(str(name), _HEADER_PX) + _PADDING_PX)) if narrow else None
        config[name] = st.column_config.ProgressColumn(name, format=_NO_NUMBER, min_value=0.0,
                                                       max_value=float(most) or 1.0, width=width)
        # Left-aligned, the words stand right at the end of the bar's cell, however wide the table stretches it.
        config[share_text_column(name)] = st.column_config.TextColumn("", width=_TEXT_PX, alignment="left")
    return table, config
