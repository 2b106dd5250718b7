"""Column roles found from the values where the names do not tell (or tell wrong).

Names are the first guess (`columns.detect_roles`). A role no name fits, or whose named column
plainly does not hold it (a "case" column whose values never repeat, a "timestamp" column that
does not parse), is looked for in the values of the first few thousand rows:

- the timestamp is the column whose values read as dates and times (most of them), the one with
  the most distinct values when several do (event times differ, a case's opening date repeats);
  where none does, a column of epoch numbers whose name has a time word ("ts_ms", "unix_time");
- the case is the column whose values repeat over events that happen at different times: one whose
  name ends in an identifier word ("SR Number", `columns.names_identifier`) first, unless ids with more
  values sit inside it or last a fraction of its time; then the most distinct, id-like values (short,
  with digits) preferred over text;
- the activity is a few-valued text column (not numeric, not a date) that changes from one event of
  a case to the next (who did the work changes less often, a case's priority never); a named one that
  never changes in a case (Jira's current "Status") gives way to one named as an activity or a new
  value ("Changed (to)").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import polars as pl

from journeymap.core.errors import JourneyError
from journeymap.log.columns import ROLES, ColumnRoles, detect_roles, name_words, names_identifier
from journeymap.log.timestamps import (
    clock_share,
    dated_columns,
    epoch_unit,
    has_clock,
    parse_timestamps,
    timestamp_share,
)

__all__ = ["detect_table_roles", "SAMPLE_ROWS", "DATE_SHARE"]

Dates = Callable[[str], float]  # a column's share of values that read as timestamps (remembered)
SAMPLE_ROWS = 5_000  # rows whose values the content checks look at
DATE_SHARE = 0.8  # share of values that must read as timestamps for a column to count as one
_NAMED_DATES = 0.5  # below this share a column named as the timestamp is taken to be misnamed
_NUMBER = r"^[-+]?[\d.,\s]+$"  # a plain number (an amount, an id), not a name
_CONSTANT = 0.05  # at most this share of a case's steps changing the named activity: it never changes
_XES_NAMES = ("concept:name", "event concept:name")  # the XES standard's activity key: numbers there are names
_TIME_HINTS = ("time", "zeit", "uhr", "hour", "heure", "hora")  # a time-of-day column's name (`_TIME_WORDS`: epochs)
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

    profiles = _Profiles(sample)
    # A named column that plainly does not hold its role gives way to one found by its values;
    # when none is found it stays, so that the error about it names the column and a value.
    doubtful = set()
    if ("timestamp" not in fixed and roles.timestamp and dates(roles.timestamp) < _NAMED_DATES
            and epoch_unit(sample.get_column(roles.timestamp)) is None):  # epoch numbers only where named
        doubtful.add("timestamp")
    if "case" not in fixed and roles.case and _never_repeats(table, sample, roles.case):
        doubtful.add("case")
    if ("activity" not in fixed and roles.activity and roles.activity.lower() not in _XES_NAMES
            and not _could_be_activity(profiles, roles.activity, dates)):  # XES says what concept:name is
        doubtful.add("activity")
    kept = {role: getattr(roles, role) for role in doubtful}
    roles = replace(roles, **dict.fromkeys(doubtful))
    free = [column for column in _free(table, roles) if column not in kept.values()]
    if roles.timestamp is None:
        roles = replace(roles, timestamp=_timestamp_column(sample, free, dates) or _epoch_column(sample, free)
                        or kept.get("timestamp"))
        free = [column for column in free if column != roles.timestamp]
    if ("time_of_day" not in fixed and roles.timestamp in sample.columns
            and not has_clock(sample.get_column(roles.timestamp)) and dates(roles.timestamp) >= _NAMED_DATES):
        # Dates without a time of day: the time may be in a column of its own.
        # A column named as the timestamp that holds clock times only ("Time" beside "Date") is the
        # time of day it gave way for.
        aside = [kept["timestamp"]] if kept.get("timestamp") not in (None, roles.timestamp) else []
        roles = replace(roles, time_of_day=_time_of_day_column(profiles, [*free, *aside]))
        free = [column for column in free if column != roles.time_of_day]
    if roles.case is None:
        roles = replace(roles, case=_case_column(sample, profiles, free, roles.timestamp, dates) or kept.get("case"))
        free = [column for column in free if column != roles.case]
    if roles.activity is None:
        roles = replace(roles, activity=_activity_column(sample, profiles, free, roles.case, dates)
                        or kept.get("activity"))
    elif ("activity" not in fixed and str(roles.activity).lower() not in _XES_NAMES and roles.activity in sample.columns
          and roles.case != roles.activity
          and _changes_within_case(sample, [roles.activity], roles.case)[roles.activity] <= _CONSTANT):
        # A named activity that stays the same through a case (a Jira changelog's "Status", the issue's
        # status now) gives way to a column named as an activity or a new value ("Changed (to)") that
        # changes, if there is one; a payment run's "Payment" after "Payment" is no such case.
        others = [column for column in free if column != roles.activity]
        found = _activity_column(sample, profiles, others, roles.case, dates, named_only=True)
        roles = replace(roles, activity=found or roles.activity)
    return roles


@dataclass(frozen=True)
class _Profile:
    """What the checks below read of a column's sampled values (as text): counts over the values
    `present` (neither null nor blank), as written unless said."""

    present: int
    distinct: int      # distinct present values
    repeated: int      # present values that occur more than once
    digits: float      # share of present values with a digit (NaN when none is present)
    longest: int       # characters of the longest present value (0 when none)
    numbers: float     # share of present values, stripped, that are plain numbers (NaN when none)
    distinct_any: int  # distinct values, blanks included, nulls not
    colons: float      # share of present values with a ':' (a time of day has one; NaN when none is present)


class _Profiles:
    """Column profiles of the sample, each computed once, the columns asked together in one select:
    a select per figure and column cost most of the detection (a Polars call has a fixed cost)."""

    def __init__(self, sample: pl.DataFrame) -> None:
        self.sample = sample
        self._known: dict[str, _Profile] = {}
        self._clocks: dict[str, float] = {}

    def clock(self, column: str) -> float:
        """The share of the column's present values that are times of day (`timestamps.clock_share`)."""
        if column not in self._clocks:  # parsed only where most values could be times
            colons = self.of([column])[column].colons
            self._clocks[column] = clock_share(self.sample.get_column(column)) if colons >= DATE_SHARE else 0.0
        return self._clocks[column]

    def of(self, columns: list[str]) -> dict[str, _Profile]:
        missing = [column for column in columns if column not in self._known]
        if missing:
            # Each column as text and stripped once, then the figures of all of them in one select.
            text = self.sample.select(pl.col(column).cast(pl.String).alias(f"text{i}")
                                      for i, column in enumerate(missing))
            text = text.with_columns(pl.col(f"text{i}").str.strip_chars().alias(f"stripped{i}")
                                     for i in range(len(missing)))
            row = text.select(expr for i in range(len(missing)) for expr in _profile_exprs(i)).row(0)
            width = len(row) // len(missing)
            for i, column in enumerate(missing):
                present, distinct, repeated, digits, longest, numbers, distinct_any, colons = \
                    row[i * width:(i + 1) * width]
                self._known[column] = _Profile(int(present), int(distinct), int(repeated), _number(digits),
                                               int(longest or 0), _number(numbers), int(distinct_any), _number(colons))
        return {column: self._known[column] for column in columns}


def _profile_exprs(i: int) -> list[pl.Expr]:
    """The figures of `_Profile` for the column held as text{i} and stripped{i}."""
    text, stripped = pl.col(f"text{i}"), pl.col(f"stripped{i}")
    is_present = stripped.is_not_null() & (stripped != "")
    present = text.filter(is_present)
    return [expr.alias(f"{name}{i}") for name, expr in (
        ("present", is_present.sum()),
        ("distinct", present.n_unique()),
        ("repeated", present.is_duplicated().sum()),
        ("digits", present.str.contains(r"\d").mean()),
        ("longest", present.str.len_chars().max()),
        ("numbers", stripped.filter(is_present).str.contains(_NUMBER).mean()),
        ("distinct_any", text.drop_nulls().n_unique()),
        ("colons", present.str.contains(":", literal=True).mean()),
    )]


def _free(table: pl.DataFrame, roles: ColumnRoles) -> list[str]:
    """Columns no role has taken."""
    taken = {getattr(roles, role) for role in ROLES}
    return [column for column in table.columns if column not in taken]


def _time_of_day_column(profiles: _Profiles, columns: list[str]) -> str | None:
    """The column of times of day beside a date-only timestamp (one named for time first)."""
    found = [column for column in columns if profiles.clock(column) >= DATE_SHARE]
    named = [column for column in found if any(word in column.lower() for word in _TIME_HINTS)]
    return next(iter(named or found), None)


def _timestamp_column(sample: pl.DataFrame, columns: list[str], dates: Dates) -> str | None:
    found = [column for column in columns if dates(column) >= DATE_SHARE]
    if not found:
        return None
    # Each event has its own time; a case's opening or due date repeats over its events.
    return max(found, key=lambda column: (sample.get_column(column).n_unique(), -columns.index(column)))


def _epoch_column(sample: pl.DataFrame, columns: list[str]) -> str | None:
    """Where no column reads as dates: one whose name says it is a time ("ts_ms", "unix_time",
    "created_epoch") and whose values are all epoch numbers of one unit (`timestamps.epoch_unit`); the
    most distinct such column, as in `_timestamp_column`. Numbers alone never make a time: ids and
    amounts look the same, and their names do not say time."""
    found = [column for column in columns
             if _TIME_WORDS & set(name_words(column)) and epoch_unit(sample.get_column(column))]
    return max(found, key=lambda column: (sample.get_column(column).n_unique(), -columns.index(column)), default=None)


_TIME_WORDS = {"time", "timestamp", "ts", "epoch", "unix", "date", "datetime", "at", "when", "zeit", "datum",
               "zeitstempel", "fecha", "heure", "tijd", "tijdstip"}


def _case_column(sample: pl.DataFrame, profiles: _Profiles, columns: list[str], timestamp: str | None,
                 dates: Dates) -> str | None:
    """The best-scoring column whose values repeat (and span time); ties go to the first column.

    Scores are found first and the costlier time check made from the best down, until one passes:
    the same choice as checking every column."""
    scored: list[tuple[tuple[bool, bool, int], int, str]] = []
    for index, (column, profile) in enumerate(profiles.of(columns).items()):
        if profile.present < 0.9 * sample.height or dates(column) >= _NAMED_DATES:
            continue
        if profile.distinct < 2 or profile.repeated < 0.5 * profile.present:
            continue  # an event id, a comment: (nearly) every value once
        if profile.digits >= 0.8 and profiles.clock(column) >= DATE_SHARE:
            continue  # times of day repeat over events too, but are no case
        id_like = profile.digits >= 0.8 and profile.longest <= 40
        scored.append(((names_identifier(column), id_like, profile.distinct), -index, column))
    passing = [(score, column) for score, _, column in sorted(scored, reverse=True)
               if timestamp is None or _spans_time(sample, column, timestamp)]  # else a batch id: all at once
    if not passing:
        return None
    (named, _, distinct), best = passing[0]
    if named:
        # An identifier's name wins over more values, unless those values (ids too) sit inside its own (each "Ref"
        # of one "Customer ID" is a case of that customer), or its values last as long as the log where
        # the others' do not (a clerk's "Personalnummer" beside the "Vorgang" the clerk works on).
        finer = [(more, column) for (_, id_like, more), column in passing if id_like and more > distinct
                 and (_nests(sample, column, best) or _briefer(sample, column, best, timestamp))]
        return max(finer, key=lambda found: found[0], default=(distinct, best))[1]
    return best


def _briefer(sample: pl.DataFrame, column: str, than: str, timestamp: str | None) -> bool:
    """Whether the values of `column` (id-like: digits) last a fraction of what the values of `than` last
    (the median time from a value's first event to its last, at most a third): a case lasts days where
    the person or team working on many cases is there the whole log long."""
    if timestamp is None:
        return False
    try:
        ts = parse_timestamps(sample.get_column(timestamp).cast(pl.String), source="sample")
    except JourneyError:
        return False  # dates that need a format to read: no judging by time
    timed = sample.select(pl.col(column).cast(pl.String).alias("a"), pl.col(than).cast(pl.String).alias("b")
                          ).with_columns(ts=ts)

    def lasting(key: str) -> float:  # of the values with two events or more
        spans = timed.group_by(key).agg(pl.len().alias("n"), (pl.col("ts").max() - pl.col("ts").min()).alias("span"))
        return _number(spans.filter(pl.col("n") > 1).get_column("span").median())

    mine, theirs = lasting("a"), lasting("b")
    return theirs > 0 and mine <= theirs / 3


def _nests(sample: pl.DataFrame, inner: str, outer: str) -> bool:
    """Whether every value of `inner` that repeats goes with one value of `outer` (in 95% of them, and at
    least three): `inner` is finer than `outer`, as cases are within a customer."""
    groups = (sample.group_by(pl.col(inner).cast(pl.String)).agg(pl.len().alias("n"),
                                                                 pl.col(outer).n_unique().alias("outer"))
              .filter(pl.col("n") > 1))
    return groups.height >= 3 and _number((groups.get_column("outer") == 1).mean()) >= 0.95


def _names_new_value(column: str) -> bool:
    """Whether a column's name says it holds a change history's new value ("Changed (to)", "To Status",
    "New value", "new_state"): what happened, where "Changed (from)" is what was. "Assigned to" is not."""
    words = set(name_words(column))
    return "new" in words or ("to" in words and bool(words & {"changed", "change", "status", "state", "stage",
                                                              "value"}))


def _spans_time(sample: pl.DataFrame, column: str, timestamp: str) -> bool:
    """Whether most values that repeat have events at different times."""
    spread = (sample.select(pl.col(column).cast(pl.String).alias("v"), pl.col(timestamp).alias("t"))
              .group_by("v").agg(pl.len().alias("n"), pl.col("t").n_unique().alias("times"))
              .filter(pl.col("n") > 1))
    return spread.height > 0 and _number((spread.get_column("times") > 1).mean()) >= 0.5


def _activity_column(sample: pl.DataFrame, profiles: _Profiles, columns: list[str], case: str | None,
                     dates: Dates, named_only: bool = False) -> str | None:
    """The few-valued text column that changes most within a case, one named like an activity first;
    with `named_only`, only such a named one."""
    candidates = {column: profile.distinct_any for column, profile in profiles.of(columns).items()
                  if _could_be_activity(profiles, column, dates)
                  and 2 <= profile.distinct_any <= max(2, 0.5 * sample.height)}
    changes = _changes_within_case(sample, list(candidates), case)
    best, best_score = None, None
    for column, distinct in candidates.items():
        if changes[column] < 0.2:
            continue  # a priority or department: one value per case
        hint = (any(word in re.sub(r"[^a-z:]", "", column.lower()).replace(":", "") for word in _ACTIVITY_HINTS)
                or _names_new_value(column))
        score = (hint, round(changes[column], 1), -distinct)
        if (hint or not named_only) and (best_score is None or score > best_score):
            best, best_score = column, score
    return best


def _could_be_activity(profiles: _Profiles, column: str, dates: Dates) -> bool:
    """Text that is mostly present, not numbers and not dates."""
    dtype = profiles.sample.schema[column]
    if dtype.is_numeric() or isinstance(dtype, (pl.Datetime, pl.Date)):
        return False
    profile = profiles.of([column])[column]
    if profile.present < 0.5 * profiles.sample.height:
        return False
    return profile.numbers < 0.5 and dates(column) < _NAMED_DATES and profiles.clock(column) < DATE_SHARE


def _changes_within_case(sample: pl.DataFrame, columns: list[str], case: str | None) -> dict[str, float]:
    """Per column: the share of a case's consecutive events (in file order) whose values differ.

    An activity changes from one event to the next; who did the work often stays for a few events,
    and a case attribute (priority, department) never changes.
    """
    if case not in sample.columns or not columns:  # no case (or a given one the file lacks: named later)
        return dict.fromkeys(columns, 1.0)
    # The sample's rows grouped by case (file order within each), every column in one select.
    ordered = (sample.select(pl.col(case).cast(pl.String).alias("case"),
                             *(pl.col(column).alias(f"value{i}") for i, column in enumerate(columns)))
               .sort("case", maintain_order=True))
    same_case = pl.col("case") == pl.col("case").shift(1)
    changed = ordered.select(
        same_case.sum().alias("pairs"),
        *(pl.col(f"value{i}").ne_missing(pl.col(f"value{i}").shift(1)).filter(same_case).mean().alias(f"value{i}")
          for i in range(len(columns))))
    pairs, *shares = changed.row(0)
    return {column: _number(share) if pairs else 1.0 for column, share in zip(columns, shares)}


def _never_repeats(table: pl.DataFrame, sample: pl.DataFrame, column: str) -> bool:
    """Whether every value of the column is different (an event id, not a case id)."""
    if sample.height < 2 or sample.get_column(column).n_unique() < sample.height:
        return False
    return table.get_column(column).n_unique() == table.height


def _number(value: object) -> float:
    """A Polars aggregate (typed as any Python value) as a float; an empty column's None is NaN."""
    return float("nan") if value is None else float(value)  # type: ignore[arg-type]
