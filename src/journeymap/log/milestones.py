"""A milestone table (one row per case, one date column per step) turned into one row per event.

HR and ERP systems export a journey like that more often than as an event log: "Employee ID, Offer
signed, Background check done, Laptop shipped, First login", each cell the day the case got there and
empty where it has not (yet). Such a table has no activity column, so the event reader would stop at
"no activity column found"; read as events, each filled date cell is an event whose activity is its
column's name, in the columns' order where two fall on the same moment, and the other columns stay
attributes of every event of their row.
"""

from __future__ import annotations

import polars as pl

from journeymap.core.errors import JourneyError
from journeymap.core.numbers import format_count
from journeymap.log.columns import IDENTIFIER_NAME, ColumnRoles, detect_roles
from journeymap.log.contentroles import DATE_SHARE, SAMPLE_ROWS, detect_table_roles
from journeymap.log.limits import Limits, over_limit
from journeymap.log.timestamps import parse_timestamps, present_text, timestamp_share

__all__ = ["as_events", "MilestonesTooLarge"]

_SHOWN = 4  # milestone columns named in the note
_LOOK_FURTHER = 200_000  # rows searched for a date in a column the sample has none in


class MilestonesTooLarge(JourneyError):
    """A milestone table whose events would hold more cells than `Limits.milestone_cells`: its own rows can
    still be read (the Data page does so, and says why)."""


def as_events(table: pl.DataFrame, name: str, limits: Limits | None = None
              ) -> tuple[pl.DataFrame, str, dict[str, int], ColumnRoles] | None:
    """The events of a milestone table, a note saying how it was read, the date cells set aside as
    unreadable, counted by their column ("without a readable date in 'First login'"), and the columns
    made for the case, activity and timestamp; None for any other table. The events may hold at most
    `limits.milestone_cells` cells (a JourneyError before they are made: each repeats its row's columns).

    A milestone table: at least two date columns and a column, not a date, whose values tell the rows
    apart, its case id; a table that reads as an event log is not one (`_case_column`).
    """
    if table.height == 0:
        return None
    sample = table.head(SAMPLE_ROWS)
    dates = [c for c in table.columns if timestamp_share(_present_sample(table, sample, c)) >= DATE_SHARE]
    if len(dates) < 2:
        return None
    case = _case_column(table, sample, [c for c in table.columns if c not in dates], dates)
    if case is None:
        return None
    attributes = [c for c in table.columns if c not in dates and c != case]
    _check_size(table, name, dates, len(attributes) + 3, (limits or Limits()).resolved())
    taken = {case, *attributes}
    activity = _free_name("activity", taken)  # the columns the event reader finds by their names
    time = _free_name("timestamp", taken | {activity})
    order = _free_name("__milestone", taken | {activity, time})
    rows = table.with_row_index(f"{order}_row")
    # Dates in a column's own type cannot be stacked with another's (Excel dates beside text dates):
    # each is read as text, which the event reader parses as it would any timestamp column.
    # Each column's empty cells are left out before the stacking, so that a sparse table (250 date
    # columns, 2% filled) needs memory for its events, not for every row of every date column.
    long = pl.concat([rows.filter(pl.col(column).is_not_null())
                      .select(pl.col(case), *attributes, pl.lit(column).alias(activity),
                              pl.col(column).cast(pl.String).alias(time), f"{order}_row",
                              pl.lit(position, dtype=pl.Int32).alias(f"{order}_column"))
                      for position, column in enumerate(dates)])
    long = (long.filter(pl.col(time).str.strip_chars() != "")  # a blank cell: a step not reached
            .sort(f"{order}_row", f"{order}_column").drop(f"{order}_row", f"{order}_column")
            .select(case, activity, time, *attributes))
    filled = long.height
    long, skipped = _without_unreadable(long, activity, time)
    named = ", ".join(f"'{c[:40]}'" for c in dates[:_SHOWN]) + (f" and {len(dates) - _SHOWN} more"
                                                                  if len(dates) > _SHOWN else "")
    empty = table.height * len(dates) - filled
    note = (f"{name} has one row per case ('{case[:40]}') and a date column per step, so each filled date is "
            f"read as an event of that step: {named}. {long.height:,} events from {table.height:,} rows"
            + (f"; {empty:,} empty date cells are steps a case has not reached." if empty else "."))
    return long, note, skipped, ColumnRoles(case=case, activity=activity, timestamp=time)


def _check_size(table: pl.DataFrame, name: str, dates: list[str], width: int, limits: Limits) -> None:
    """Refuse, before making them, events that would hold more cells than the limit allows."""
    filled = sum(table.height - table.get_column(c).null_count() for c in dates)  # blank text counted: a bound
    cap = int(limits.milestone_cells)  # type: ignore[arg-type]
    if filled * width > cap:
        shape = ", ".join(format_count(n, noun) for n, noun in ((table.height, "row"), (len(dates), "date column"),
                                                                (width - 3, "other column")))
        refusal = over_limit(name, f"read as events, this milestone table ({shape}) would hold "
                                   f"{filled * width:,} cells", "milestone_cells", cap)
        raise MilestonesTooLarge(str(refusal), source=name)


def _without_unreadable(long: pl.DataFrame, activity: str, time: str) -> tuple[pl.DataFrame, dict[str, int]]:
    """The events whose date reads, and the others counted by their column: the event reader would count
    them as "without a readable timestamp in 'timestamp'", a column the file does not have. Where the
    dates cannot be read at all (day-first and month-first alike, say), the event reader says so."""
    try:
        parsed = parse_timestamps(long.get_column(time), column=time)
    except (JourneyError, ValueError):
        return long, {}
    unreadable = parsed.is_null()
    if not unreadable.any() or unreadable.all():
        return long, {}
    counts = long.filter(unreadable).group_by(activity, maintain_order=True).len()
    skipped = {f"without a readable date in '{column[:40]}'": int(n) for column, n in counts.iter_rows()}
    return long.filter(~unreadable), skipped


def _present_sample(table: pl.DataFrame, sample: pl.DataFrame, column: str) -> pl.Series:
    """The sampled values of a column, or where none of them is filled (a milestone few cases reach, such
    as "Offer withdrawn"), its first filled values further down (within `_LOOK_FURTHER` rows: an event
    log's column that is empty at first costs no pass over ten million rows)."""
    values = sample.get_column(column)
    if present_text(values).len() or values.dtype != pl.String:
        return values
    return present_text(table.get_column(column).head(_LOOK_FURTHER)).head(sample.height)


def _case_column(table: pl.DataFrame, sample: pl.DataFrame, candidates: list[str], dates: list[str]) -> str | None:
    """The milestone table's case id, or None where the table is an event log.

    None where the table reads as an event log by its values (an activity column found, and a case
    column that repeats) and has only two date columns (an event log's start and end) or a column
    named as the activity. A column named just "Status" does not count where the first column is
    each row's own id (not a table's row key: "id", whole numbers) and the repeating column is no
    identifier (an issue, ticket or order column is an event log's case): an HR export's "Employee
    ID, Department, Status, Offer signed, ..." is a milestone table whose Status is the employee's,
    however much Department repeats, while "id, issue_id, status, changed_at, created_at,
    updated_at" stays a status history. Else a column
    named as the case id decides (the case id where it does not repeat), or the first column from
    the left (ids come first) whose values tell the rows apart.
    """
    found = detect_table_roles(sample)  # an event log by its values first, whatever its columns are named
    named_activity = detect_roles(list(table.columns)).activity
    records_status = (named_activity is not None and named_activity.strip().lower() == "status"
                      and found.case is not None and not IDENTIFIER_NAME.search(found.case)
                      and bool(candidates) and not _is_row_key(candidates[0], sample)
                      and _tells_rows_apart(candidates[0], sample, table))
    if (found.activity is not None and found.case is not None and not _tells_rows_apart(found.case, sample)
            and (len(dates) < 3 or (named_activity is not None and not records_status))):
        return None
    named = detect_roles(candidates).case
    if named is not None:
        return named if _tells_rows_apart(named, sample, table) else None
    return next((column for column in candidates if _tells_rows_apart(column, sample, table)), None)


def _is_row_key(column: str, sample: pl.DataFrame) -> bool:
    """Whether a column is a database table's own row key: named just "id", or whole numbers (an
    events table's serial key), never a case's id such as "E00017"."""
    values = sample.get_column(column)
    if column.strip().lower() == "id" or values.dtype.is_integer():
        return True
    return values.dtype == pl.String and bool(values.str.strip_chars().str.contains(r"^\d+$").all())


def _tells_rows_apart(column: str, *frames: pl.DataFrame) -> bool:
    """Whether every row of each frame has a value of its own in `column`. Given the sample before the
    table, an event log's case id, which repeats within its first rows, is told without counting ten
    million values."""
    for rows in frames:
        values = rows.get_column(column)
        if values.null_count() or values.n_unique() != rows.height:
            return False
    return True


def _free_name(wanted: str, taken: set[str]) -> str:
    """`wanted`, or with underscores added until no column of the table has the name."""
    while wanted in taken:
        wanted += "_"
    return wanted
