"""Column roles found from the values where the names do not tell (or tell wrong).

Names are the first guess (`columns.detect_roles`). A role no name fits, or whose named column
plainly does not hold it (a "case" column whose values never repeat, a "timestamp" column that
does not parse), is looked for in the values of the first few thousand rows:

- the timestamp is the column whose values read as dates and times (most of them), the one with
  the most distinct values when several do (event times differ, a case's opening date repeats);
- the case is the column whose values repeat over events that happen at different times, the
  most distinct such column, id-like values (short, with digits) preferred over text;
- the activity is a few-valued text column (not numeric, not a date) that changes from one event of
  a case to the next (who did the work changes less often, a case's priority never).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

import polars as pl

from journeymap.log.columns import ColumnRoles, detect_roles
from journeymap.log.timestamps import dated_columns, timestamp_share

__all__ = ["detect_table_roles", "SAMPLE_ROWS"]

Dates = Callable[[str], float]  # a column's share of values that read as timestamps (remembered)
SAMPLE_ROWS = 5_000  # rows whose values the content checks look at
_DATES = 0.8  # share of values that must read as timestamps for a column to count as one
_NAMED_DATES = 0.5  # below this share a column named as the timestamp is taken to be misnamed
_ACTIVITY_HINTS = ("activity", "status", "state", "event", "task", "step", "action", "stage", "phase",
                   "operation", "conceptname")


def detect_table_roles(table: pl.DataFrame, *, sample_rows: int = SAMPLE_ROWS, **given: str | None) -> ColumnRoles:
    """The role of each column: the `given` columns as they are, the rest from names, then from values."""
    fixed = {role for role, column in given.items() if column}
    roles = detect_roles(table.columns).override(**given)
    sample = table.head(sample_rows)
    if sample.height == 0:
        return roles
    shares: dict[str, float] = {}

    def dates(column: str) -> float:
        if not shares:  # text columns that hold no date at all read as none, found in one pass
            dated = dated_columns(sample)
            shares.update((c, 0.0) for c, dtype in sample.schema.items() if dtype == pl.String and c not in dated)
        if column not in shares:
            shares[column] = timestamp_share(sample.get_column(column))
        return shares[column]

    # A named column that plainly does not hold its role gives way to one found by its values;
    # when none is found it stays, so that the error about it names the column and a value.
    doubtful = set()
    if "timestamp" not in fixed and roles.timestamp and dates(roles.timestamp) < _NAMED_DATES:
        doubtful.add("timestamp")
    if "case" not in fixed and roles.case and _never_repeats(table, sample, roles.case):
        doubtful.add("case")
    if "activity" not in fixed and roles.activity and not _could_be_activity(sample, roles.activity, dates):
        doubtful.add("activity")
    kept = {role: getattr(roles, role) for role in doubtful}
    roles = replace(roles, **dict.fromkeys(doubtful))
    free = [column for column in _free(table, roles) if column not in kept.values()]
    if roles.timestamp is None:
        roles = replace(roles, timestamp=_timestamp_column(sample, free, dates) or kept.get("timestamp"))
        free = [column for column in free if column != roles.timestamp]
    if roles.case is None:
        roles = replace(roles, case=_case_column(sample, free, roles.timestamp, dates) or kept.get("case"))
        free = [column for column in free if column != roles.case]
    if roles.activity is None:
        roles = replace(roles, activity=_activity_column(sample, free, roles.case, dates) or kept.get("activity"))
    return roles


def _free(table: pl.DataFrame, roles: ColumnRoles) -> list[str]:
    """Columns no role has taken."""
    taken = {roles.case, roles.activity, roles.timestamp, roles.start_timestamp, roles.lifecycle}
    return [column for column in table.columns if column not in taken]


def _timestamp_column(sample: pl.DataFrame, columns: list[str], dates: Dates) -> str | None:
    found = [column for column in columns if dates(column) >= _DATES]
    if not found:
        return None
    # Each event has its own time; a case's opening or due date repeats over its events.
    return max(found, key=lambda column: (sample.get_column(column).n_unique(), -columns.index(column)))


def _case_column(sample: pl.DataFrame, columns: list[str], timestamp: str | None, dates: Dates) -> str | None:
    """The best-scoring column whose values repeat (and span time); ties go to the first column.

    Scores are found first and the costlier time check made from the best down, until one passes:
    the same choice as checking every column."""
    scored: list[tuple[tuple[bool, int], int, str]] = []
    for index, column in enumerate(columns):
        values = sample.get_column(column).cast(pl.String)
        present = values.filter(values.is_not_null() & (values.str.strip_chars() != ""))
        if present.len() < 0.9 * sample.height or dates(column) >= _NAMED_DATES:
            continue
        counts = present.value_counts(name="n")
        distinct = counts.height
        repeated = counts.filter(pl.col("n") > 1)
        if distinct < 2 or repeated.get_column("n").sum() < 0.5 * present.len():
            continue  # an event id, a comment: (nearly) every value once
        id_like = _number(present.str.contains(r"\d").mean()) >= 0.8 and _number(present.str.len_chars().max()) <= 40
        scored.append(((id_like, distinct), -index, column))
    for _, _, column in sorted(scored, reverse=True):
        if timestamp is None or _spans_time(sample, column, timestamp):
            return column  # else a batch or import id: its events all happen at once
    return None


def _spans_time(sample: pl.DataFrame, column: str, timestamp: str) -> bool:
    """Whether most values that repeat have events at different times."""
    spread = (sample.select(pl.col(column).cast(pl.String).alias("v"), pl.col(timestamp).alias("t"))
              .group_by("v").agg(pl.len().alias("n"), pl.col("t").n_unique().alias("times"))
              .filter(pl.col("n") > 1))
    return spread.height > 0 and _number((spread.get_column("times") > 1).mean()) >= 0.5


def _activity_column(sample: pl.DataFrame, columns: list[str], case: str | None, dates: Dates) -> str | None:
    best, best_score = None, None
    # The sample's rows grouped by case (file order within each), once for every column.
    order = (sample.select(pl.col(case).cast(pl.String).alias("case")).with_row_index("at")
             .sort("case", maintain_order=True).get_column("at") if case is not None else None)
    for column in columns:
        if not _could_be_activity(sample, column, dates):
            continue
        values = sample.get_column(column).cast(pl.String)
        distinct = values.drop_nulls().n_unique()
        if distinct > max(2, 0.5 * values.len()) or distinct < 2:
            continue
        changes = _changes_within_case(sample, column, case, order)
        if changes < 0.2:
            continue  # a priority or department: one value per case
        hint = any(word in re.sub(r"[^a-z:]", "", column.lower()).replace(":", "") for word in _ACTIVITY_HINTS)
        score = (hint, round(changes, 1), -distinct)
        if best_score is None or score > best_score:
            best, best_score = column, score
    return best


def _could_be_activity(sample: pl.DataFrame, column: str, dates: Dates) -> bool:
    """Text that is mostly present, not numbers and not dates."""
    values = sample.get_column(column)
    if values.dtype.is_numeric() or isinstance(values.dtype, (pl.Datetime, pl.Date)):
        return False
    text = values.cast(pl.String).str.strip_chars()
    present = text.filter(text.is_not_null() & (text != ""))
    if present.len() < 0.5 * sample.height:
        return False
    numbers = _number(present.str.contains(r"^[-+]?[\d.,\s]+$").mean())
    return numbers < 0.5 and dates(column) < _NAMED_DATES


def _changes_within_case(sample: pl.DataFrame, column: str, case: str | None, order: pl.Series | None) -> float:
    """Share of a case's consecutive events (in file order) whose values here differ; `order`
    groups the sample's rows by case.

    An activity changes from one event to the next; who did the work often stays for a few events,
    and a case attribute (priority, department) never changes.
    """
    if case is None or order is None:
        return 1.0
    ordered = sample.select(pl.col(case).cast(pl.String).alias("case"), pl.col(column).alias("value")
                            ).select(pl.all().gather(order))
    same_case = pl.col("case") == pl.col("case").shift(1)
    changed = ordered.select((pl.col("value").ne_missing(pl.col("value").shift(1))).filter(same_case)).to_series()
    return _number(changed.mean()) if changed.len() else 1.0


def _never_repeats(table: pl.DataFrame, sample: pl.DataFrame, column: str) -> bool:
    """Whether every value of the column is different (an event id, not a case id)."""
    if sample.height < 2 or sample.get_column(column).n_unique() < sample.height:
        return False
    return table.get_column(column).n_unique() == table.height


def _number(value: object) -> float:
    """A Polars aggregate (typed as any Python value) as a float; an empty column's None is NaN."""
    return float("nan") if value is None else float(value)  # type: ignore[arg-type]
