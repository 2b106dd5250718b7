"""Ids written once per group: a sheet's case id on the first row of its case only, blank below.

Excel reports merge a case's id over its rows, or write it once above them ("grouped" layout); the
reader gets the value in the first row and blanks under it. Read as they are, every row but the first
of each case has no case id and is set aside, and the detection of columns takes the resource for
the case. Such a column is filled down: each blank takes the id above it. Only sheets: in a CSV an id
on some rows only is as often a column that only some events have (an invoice number on the
"Receive invoice" rows), and filling it down would make a false case.
"""

from __future__ import annotations

import polars as pl

from journeymap.log.columns import names_identifier

__all__ = ["filled_down"]

_BLANK_SHARE = 0.3  # at least this share of the rows blank under the ids


def filled_down(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """The table with its first column filled down where it is an id written once per group, and a note.

    It counts when it is the table's first column (where a report puts what it groups by), its name
    says identifier ("Claim ID", "Order No"), its first row holds a value, at least 30% of its rows
    are empty (null), and no value is written twice: an id written once per case. A sparse column
    further right (a problem's id on a few incidents) is an attribute, never filled."""
    if not frame.width or not frame.height:
        return frame, []
    column = frame.columns[0]
    # Readers write empty cells as nulls: counting them is free, so most tables stop here.
    if frame.get_column(column).null_count() < _BLANK_SHARE * frame.height or not names_identifier(column):
        return frame, []
    values = frame.get_column(column).cast(pl.String).str.strip_chars()
    present = values.filter(values.is_not_null() & (values != ""))
    if present.len() < 2 or values[0] in (None, "") or present.n_unique() < present.len():
        return frame, []
    filled = pl.when(values == "").then(None).otherwise(values).fill_null(strategy="forward")
    note = (f"'{column[:40]}' is written on the first row of each case only (merged or grouped cells): the "
            f"{frame.height - present.len():,} rows under an id take it, up to the next one.")
    return frame.with_columns(filled.alias(column)), [note]
