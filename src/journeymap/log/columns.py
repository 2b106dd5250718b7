"""Which column of an event log holds the case, the activity, the timestamps and the lifecycle."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace

__all__ = ["CASE_CODE", "ACTIVITY_CODE", "ColumnRoles", "detect_roles", "IDENTIFIER_NAME", "ROLE_NAMES", "ROLES",
           "column_named", "name_words", "names_identifier", "sequence_column", "squash_name"]

# The working columns of a log `journeymap ingest` wrote: an integer per case (equal codes, one case)
# and per activity, so that the engine needs neither to hash case ids nor to sort.
CASE_CODE, ACTIVITY_CODE = "__case_code", "__activity_code"

# Spellings seen in the wild, best first; compared after lower-casing and dropping non-letters. The XES
# names with "case " and "event " before them are how the BPI Challenge 2019 CSV (a pm4py export) writes them.
ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "case": ("case:concept:name", "case concept:name", "case_id", "caseid", "case", "case_key", "ticket_id",
             "request_id", "process_instance", "trace_id", "id"),
    "activity": ("concept:name", "event concept:name", "activity", "activity_name", "activityname", "activity_en",
                 "activity_de", "event", "event_name", "task", "step", "action", "status"),
    "timestamp": ("time:timestamp", "event time:timestamp", "timestamp", "complete_timestamp", "end_timestamp",
                  "time", "completed_at", "end_time", "event_time", "datetime", "date"),
    "start_timestamp": ("start_timestamp", "time:start", "start_time", "started_at", "starttime"),
    "lifecycle": ("lifecycle:transition", "event lifecycle:transition", "lifecycle", "transition", "event_type"),
}

# Names of a column that numbers a case's events in order (Celonis' `_SORTING`): it orders events at the
# same moment, which are otherwise taken in the file's order.
SEQUENCE_NAMES = ("_sorting", "sorting", "sort_order", "sortorder", "event_order", "event_index", "event_seq",
                  "sequence", "sequence_number", "seq", "seq_no")


def sequence_column(columns: list[str]) -> str | None:
    """The column named as the order of a case's events, if one is."""
    return column_named(columns, SEQUENCE_NAMES)


# A word that names an identifier (an issue, a ticket, an order), anywhere in a column's name: a milestone
# table's repeating column so named makes it an event log. `names_identifier` asks more of the name (the
# last word, not a person's), for the case the detection by values prefers.
IDENTIFIER_NAME = re.compile(r"(?i:(^|[^a-z])(id|key|no|nr|num|number|ticket|issue|incident|order|case|request)"
                             r"([^a-z]|$))|(?<=[a-z])I[dD]$")  # "issue_id", "Ticket No", "IssueId"; not "Paid"


@dataclass(frozen=True)
class ColumnRoles:
    """The columns that play each role; `start_timestamp`, `lifecycle` and `time_of_day` are optional.

    `time_of_day` is the column with each event's time when the `timestamp` column holds dates
    only, as exports that keep date and time apart write them (SAP's change date and time)."""

    case: str | None = None
    activity: str | None = None
    timestamp: str | None = None
    start_timestamp: str | None = None
    lifecycle: str | None = None
    timestamp_format: str | None = None
    time_of_day: str | None = None

    def override(self, **given: str | None) -> ColumnRoles:
        """These roles with the explicitly given columns taking precedence."""
        return replace(self, **{key: value for key, value in given.items() if value})

# Every role a column can play (the format is not a column).
ROLES = ("case", "activity", "timestamp", "start_timestamp", "lifecycle", "time_of_day")


def squash_name(name: str) -> str:
    """A column name as names are compared: lower case, accents dropped ("Équipe": equipe), only letters,
    digits and ':' kept ("Case ID" and "case_id" alike)."""
    return re.sub(r"[^a-z0-9:]", "", unicodedata.normalize("NFKD", str(name).lower()))


def column_named(columns: Iterable[str], names: Iterable[str]) -> str | None:
    """The column that one of `names` (best first) names, compared by `squash_name`; the first such column."""
    squashed = {squash_name(column): column for column in reversed(list(columns))}
    return next((squashed[name] for name in map(squash_name, names) if name in squashed), None)


def detect_roles(columns: list[str]) -> ColumnRoles:
    """Guess each role from the column names; a role no column fits is left as None."""
    squashed = {squash_name(column): column for column in reversed(columns)}
    found: dict[str, str] = {}
    for role, names in ROLE_NAMES.items():
        for name in names:
            column = squashed.get(squash_name(name))
            if column is not None and column not in found.values():
                found[role] = column
                break
    return ColumnRoles(**found)


def name_words(name: str) -> list[str]:
    """A column name's words in lower case: "createdAtMs" and "created_at_ms" give created, at, ms."""
    return [word.lower() for word in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", name)]


def names_identifier(column: str) -> bool:
    """Whether a column's name ends in a word that names an identifier ("SR Number", "Ticket No", "Issue
    key", "Belegnummer"), not a kind of thing ("Order type") nor who did the work ("Agent ID"). Such a
    column is the case before any other: a team or product code that events share can have more values
    than there are cases in the sampled rows, and take lead times from weeks to months."""
    words = name_words(column)
    if not words or _RESOURCE_WORDS & set(words):
        return False
    last = words[-1]
    return bool(IDENTIFIER_NAME.search(last)) or last.endswith(("nummer", "nr"))


_RESOURCE_WORDS = {"user", "agent", "resource", "worker", "operator", "assignee", "owner", "author", "staff",
                   "team", "group", "by", "person", "analyst", "engineer", "technician", "clerk", "actor"}
