"""Loading a user's own event log and journey: size check, reading, sheet choice, column mapping, journey choice.

An uploaded log is read outside the script thread, in a child process with a memory and time budget
(`journeymap.log.isolate`), so that one session's file cannot stall or take down the others; the sample
logs shipped with journeymap are read in the process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import polars as pl
import streamlit as st

from journeymap.core.errors import JourneyError
from journeymap.journey.definition import journey_from_yaml
from journeymap.journey.model import Journey
from journeymap.journey.samples import sample_events_path
from journeymap.log.columns import ColumnRoles
from journeymap.log.contentroles import detect_table_roles
from journeymap.log.eventlog import EventLog
from journeymap.log.excel import ALL_SHEETS
from journeymap.log.isolate import read_file_isolated
from journeymap.log.milestones import MilestonesTooLarge
from journeymap.log.readers import RawFile, RawTable, canonical_events, read_file, with_reading
from journeymap.log.timestamps import DAY_FIRST, MONTH_FIRST, AmbiguousDatesError, day_month, parse_timestamps
from journeymap.measures.draft import draft_journey
from journeymap.ui import data
from journeymap.ui.text import md

__all__ = ["LOG_TYPES", "JOURNEY_TYPES", "Upload", "limit_mb", "too_big", "load", "show_notes", "sample_table",
           "map_columns", "read_log", "read_journey", "draft", "unmapped_share", "ROLE_LABELS", "DateChoice",
           "ambiguous_dates"]

LOG_TYPES = ["csv", "tsv", "txt", "gz", "parquet", "xlsx", "xls", "xes"]
_AUTO = ""  # the sheet picker's first option: the sheet(s) with the event columns
JOURNEY_TYPES = ["yaml", "yml"]
ROLE_LABELS = {"case": "Case id", "activity": "Activity", "timestamp": "Timestamp",
               "time_of_day": "Time of day (if apart)", "start_timestamp": "Start time", "lifecycle": "Lifecycle"}
ROLE_HELP = {
    "case": "One id per case (a ticket, a new hire, a request).",
    "activity": "What happened: the step's name.",
    "timestamp": "When it happened (completed).",
    "time_of_day": "Optional: when the timestamp column holds dates only, the column with each event's time.",
    "start_timestamp": "Optional: when work on the event started; gives waiting versus working time.",
    "lifecycle": "Optional: start/complete markers; start and complete events are paired.",
}
_OPTIONAL = ("start_timestamp", "lifecycle", "time_of_day")
_NONE = ""


@dataclass(frozen=True)
class Upload:
    """The bytes of an uploaded file with its name, the workbook sheet chosen, and what reading it noted."""

    name: str
    content: bytes
    sheet: str | None = None
    notes: tuple[str, ...] = ()
    skipped: tuple[tuple[str, int], ...] = ()  # rows the reader set aside (XES events outside a trace)
    roles: ColumnRoles | None = None  # the columns reading made (a milestone table's events), preselected as they are
    as_rows: bool = False  # a milestone table read as its own rows (turned off, or too large as events)

    @property
    def key(self) -> str:
        """A digest of name, content, sheet and how a milestone table was read, for caches (the column
        pickers' too: the same file read two ways has two sets of columns)."""
        parts: list[bytes | str] = [self.name, self.content, *([self.sheet] if self.sheet is not None else []),
                                    *(["as rows"] if self.as_rows else [])]
        return data.content_key(*parts)


def limit_mb() -> int:
    """The upload size limit in megabytes (server.maxUploadSize)."""
    return int(st.get_option("server.maxUploadSize"))


def too_big(size: int) -> str | None:
    """A message when a file is over the upload limit, else None."""
    limit = limit_mb()
    if size <= limit * 1024 * 1024:
        return None
    return (f"The file is {size / 1024 / 1024:,.1f} MB; uploads are limited to {limit} MB. Export fewer "
            "columns or a shorter period, compress it (.csv.gz), or save it as Parquet.")


def load(upload: Upload, key: str) -> tuple[Upload, pl.DataFrame]:
    """The rows of an uploaded file, read in a child process (cached by content); a sheet picker for a workbook.

    Returns the upload with its sheet and what reading noted; raises JourneyError with one sentence.
    """
    raw = _raw_file(upload.key, upload)
    if isinstance(raw, str):  # the sentence of a file that cannot be read, kept so reruns do not read it again
        raise JourneyError(raw, source=upload.name)
    sheet = _pick_sheet(raw, key) if raw.sheets else None
    chosen = replace(upload, sheet=sheet)
    as_rows = replace(chosen, as_rows=True)
    try:
        table = _table(chosen.key, raw, sheet, True)
    except MilestonesTooLarge as error:  # its own rows still read: say so, and read those
        st.warning(md(f"{error} Its rows are read as they are instead: pick the columns below."),
                   icon=":material/warning:")
        return _with_table(as_rows, _table(as_rows.key, raw, sheet, False))
    if table.roles is not None and not st.toggle(
            "Read one row per case: each date column is a step", value=True, key=f"{key}_milestones_{chosen.key[:10]}",
            help="The file has one row per case and a date column per step (a milestone table), so each filled "
                 "date was read as an event. Turn this off to read its rows as events and pick the columns "
                 "yourself."):
        return _with_table(as_rows, _table(as_rows.key, raw, sheet, False))
    return _with_table(chosen, table)


@st.cache_resource(show_spinner="Reading the table…", max_entries=4)
def _table(key: str, _raw: RawFile, sheet: str | None, milestones: bool) -> RawTable:
    """The file's table (a milestone table's events unless `milestones` is false), made once per file, sheet
    and choice: the page reruns on every click, and turning a wide table into events takes seconds."""
    return _raw.table(sheet, milestones)


def show_notes(upload: Upload) -> None:
    """What reading the file noted (the sheets read, columns converted), as literal text."""
    for note in upload.notes:
        st.info(md(note), icon=":material/info:")


def _own_notes(log: EventLog, upload: Upload) -> list[str]:
    """What making the events noted beyond reading the file (`show_notes` shows that): rows that run newest
    first, dates without a time of day, events dated far from the rest, a lifecycle column of statuses."""
    return [note for note in log.notes if note not in upload.notes]


def log_notes(log: EventLog, upload: Upload) -> list[str]:
    """The log's own notes, each a sentence naming the file."""
    return [f"{upload.name}: {note}" for note in _own_notes(log, upload)]


def log_notes_in_one(log: EventLog, upload: Upload) -> str | None:
    """The same notes as one message (beside the map they take one box, not one each), or None."""
    notes = _own_notes(log, upload)
    return f"{upload.name}: " + " ".join(note[:1].upper() + note[1:] for note in notes) if notes else None


@st.cache_resource(show_spinner="Reading the file…", max_entries=4)
def _raw_file(key: str, _upload: Upload) -> RawFile | str:
    try:
        return read_file_isolated(_upload.content, _upload.name)
    except JourneyError as error:
        return str(error)


def _pick_sheet(raw: RawFile, key: str) -> str | None:
    """A picker of the workbook's sheet(s) when it has several with rows: automatic, one, or all together."""
    filled = [sheet for sheet in raw.sheets if sheet.frame.height]
    if len(filled) < 2:
        return None
    columns = {tuple(sheet.frame.columns) for sheet in filled}
    options = [_AUTO, *(sheet.name for sheet in filled), *([ALL_SHEETS] if len(columns) == 1 else [])]
    rows = {sheet.name: sheet.frame.height for sheet in filled}
    labels = {_AUTO: "The sheet(s) with the event columns", ALL_SHEETS: "All sheets together (same columns)"}
    chosen = st.selectbox("Sheet", options, key=f"{key}_sheet",
                          format_func=lambda o: labels.get(o) or f"{o} · {rows[o]:,} rows",
                          help="Sheets with the same columns are read together by default, with a column "
                               "'sheet' naming each row's sheet; pick one sheet to read it alone.")
    return chosen or None


def _with_table(upload: Upload, table: RawTable) -> tuple[Upload, pl.DataFrame]:
    return replace(upload, notes=table.notes, skipped=tuple(table.skipped.items()), roles=table.roles), table.frame


def sample_table(journey_id: str) -> tuple[Upload, pl.DataFrame]:
    """A sample journey's shipped log, as if it had been uploaded (read in the process: it is ours)."""
    path = sample_events_path(journey_id)
    upload = Upload(path.name, path.read_bytes())
    return _with_table(upload, _sample_file(upload.key, upload).table())


@st.cache_resource(show_spinner="Reading the file…", max_entries=4)
def _sample_file(key: str, _upload: Upload) -> RawFile:
    return read_file(_upload.content, name=_upload.name)


@dataclass(frozen=True)
class DateChoice:
    """A date column that reads day-first and month-first alike, with the format and reading of each."""

    column: str
    example: str
    formats: dict[str, str]  # DAY_FIRST / MONTH_FIRST -> the format that reads the column that way
    readings: dict[str, str]  # DAY_FIRST / MONTH_FIRST -> the example read that way, e.g. "3 April 2024"


def ambiguous_dates(table: pl.DataFrame, roles: ColumnRoles) -> DateChoice | None:
    """The first timestamp column whose dates no value tells to be day-first or month-first, if any."""
    if roles.timestamp_format:
        return None
    for column in (roles.timestamp, roles.start_timestamp):
        if column is None or column not in table.columns or table.schema[column] != pl.String:
            continue
        found = day_month(table.get_column(column))
        if found.order == "ambiguous" and found.example and found.formats:
            readings = {order: _reading(found.example, fmt) for order, fmt in found.formats.items()}
            return DateChoice(column, found.example, found.formats, readings)
    return None


def map_columns(table: pl.DataFrame, key: str, made: ColumnRoles | None = None) -> ColumnRoles:
    """Column-role pickers, preselected with the roles reading `made` (a milestone table's events) or else
    the detected ones; a day-first/month-first choice when needed."""
    detected = _detected_roles(table, key, made)
    columns = list(table.columns)
    chosen: dict[str, str | None] = {}
    # The required roles in one row, the optional ones under them: six in a row cut the names at 1280 px.
    required = [role for role in ROLE_LABELS if role not in _OPTIONAL]
    optional = [role for role in ROLE_LABELS if role in _OPTIONAL]
    cells = [*st.columns(len(required), vertical_alignment="bottom"),
             *st.columns(len(optional), vertical_alignment="bottom")]
    for cell, role in zip(cells, [*required, *optional]):
        label = ROLE_LABELS[role]
        options = [_NONE, *columns] if role in _OPTIONAL or getattr(detected, role) is None else columns
        guess = getattr(detected, role)
        value = cell.selectbox(label, options, index=options.index(guess) if guess in options else 0,
                               key=f"{key}_{role}", format_func=lambda c: c or "— none —", help=ROLE_HELP[role])
        chosen[role] = value or None
    fmt = st.text_input("Timestamp format (only if the timestamps are not read right)", key=f"{key}_format",
                        placeholder="e.g. %d/%m/%Y %H:%M for day-first dates",
                        help="Python/chrono strftime codes. Left empty, common formats and ISO 8601 are detected.")
    roles = ColumnRoles(**chosen, timestamp_format=fmt.strip() or None)
    choice = _date_choice(table, roles, key)
    if choice is not None:
        order = st.radio(md(f"The dates in '{choice.column}' read two ways (for example '{choice.example}'); they are"),
                         [DAY_FIRST, MONTH_FIRST], index=None, horizontal=True, key=f"{key}_day_month",
                         format_func=lambda order: f"{order}: {choice.readings[order]}")
        if order is not None:
            roles = replace(roles, timestamp_format=choice.formats[order])
    return roles


def _detected_roles(table: pl.DataFrame, key: str, made: ColumnRoles | None = None) -> ColumnRoles:
    """Roles from names and values, worked out once per table (the page reruns on every click)."""
    memo = f"{key}_detected"
    if memo not in st.session_state:
        given = made or ColumnRoles()
        st.session_state[memo] = detect_table_roles(table, case=given.case, activity=given.activity,
                                                    timestamp=given.timestamp)
    return st.session_state[memo]


def _date_choice(table: pl.DataFrame, roles: ColumnRoles, key: str) -> DateChoice | None:
    """`ambiguous_dates`, remembered per column pair (it reads every value of the columns)."""
    if roles.timestamp_format:
        return None
    memo = f"{key}_dates_{roles.timestamp}_{roles.start_timestamp}"
    if memo not in st.session_state:
        st.session_state[memo] = ambiguous_dates(table, roles)
    return st.session_state[memo]


def _reading(example: str, fmt: str) -> str:
    """A date as words, e.g. '3 April 2024 14:05', read with a format."""
    moment = pl.from_epoch(parse_timestamps(pl.Series([example]), fmt), time_unit="us")[0]
    if moment is None:
        return example
    text = f"{moment.day} {moment:%B %Y}"
    return text + (f" {moment:%H:%M}" if (moment.hour, moment.minute) != (0, 0) else "")


def read_log(upload: Upload, table: pl.DataFrame, roles: ColumnRoles) -> EventLog:
    """Canonical events of an uploaded table; raises JourneyError with a readable message."""
    missing = [ROLE_LABELS[role] for role in ("case", "activity", "timestamp") if getattr(roles, role) is None]
    if missing:
        raise JourneyError(f"{upload.name}: choose a column for {', '.join(missing)}.")
    used = [getattr(roles, role) for role in ROLE_LABELS if getattr(roles, role)]
    twice = sorted({column for column in used if used.count(column) > 1})
    if twice:
        raise JourneyError(f"{upload.name}: the column '{twice[0]}' is picked for two roles; give each role "
                           "its own column.")
    try:
        log = canonical_events(table, roles, source=upload.name)
        log = with_reading(log, RawTable(table, upload.notes, dict(upload.skipped), roles=upload.roles))
    except AmbiguousDatesError as error:
        raise JourneyError(f"{upload.name}: the dates in '{error.column}' read day-first or month-first alike; "
                           "choose which in the column step.", source=upload.name) from None
    if log.frame.height == 0:
        raise JourneyError(f"{upload.name}: no usable events. {log.skipped_sentence()}")
    return log


def read_journey(upload: Upload) -> Journey:
    """A journey definition from uploaded YAML; raises JourneyError naming file and line."""
    try:
        text = upload.content.decode("utf-8")
    except UnicodeDecodeError:
        raise JourneyError(f"{upload.name}: not a text file; save the journey as UTF-8 YAML.") from None
    return journey_from_yaml(text, source=upload.name)


def draft(log: EventLog, name: str, **choices: Any) -> Journey:
    """A journey drafted from a log (a starting point: one stage, every step and transition);
    `choices` are `draft_journey`'s start, end, exit and proposal."""
    stem = name.split(".")[0] or "log"
    journey_id = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("_.-") or "drafted"
    return draft_journey(log.frame, journey_id=journey_id, name=f"Drafted from {stem}", **choices)


def unmapped_share(log: EventLog, journey: Journey) -> tuple[float, list[str]]:
    """Share of events whose activity maps to no step of the journey, and the commonest such activities."""
    names = journey.activity_map()
    counts = (log.frame.group_by("activity").len().sort("len", descending=True)  # an ingested log's are an Enum
              .with_columns(pl.col("activity").cast(pl.String)))
    unmapped = counts.filter(~pl.col("activity").str.strip_chars().str.to_lowercase().is_in(list(names)))
    total = int(counts.get_column("len").sum()) or 1  # "len" counts rows: its sum is an int
    return int(unmapped.get_column("len").sum()) / total, unmapped.get_column("activity").head(5).to_list()
