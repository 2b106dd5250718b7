"""Read event logs (CSV, Parquet, Excel, XES) into canonical events, counting every row set aside."""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from journeymap.core.errors import JourneyError
from journeymap.core.numbers import format_count
from journeymap.core.text import shorten
from journeymap.log.audit import status_changes
from journeymap.log.columns import ROLES, ColumnRoles, detect_roles, sequence_column
from journeymap.log.contentroles import detect_table_roles
from journeymap.log.csvrows import read_rows
from journeymap.log.eventlog import AttributeChoice, EventLog, only_attributes
from journeymap.log.excel import Sheet, choose_sheets, read_sheets
from journeymap.log.grouped import filled_down
from journeymap.log.limits import GZIP_MAGIC, Limits, gunzip, over_limit
from journeymap.log.milestones import as_events
from journeymap.log.parquet import read_parquet
from journeymap.log.textfile import lines_above_header, sniff_delimiter, utf8_text
from journeymap.log.timeline import date_only_note, far_dated_note, in_file_direction
from journeymap.log.timestamps import clock_times, parse_timestamps, present_text
from journeymap.log.xes import scan_xes

__all__ = ["RawFile", "RawTable", "read_events", "read_file", "read_raw", "read_table",
           "canonical_events", "with_reading", "check_table", "SUPPORTED_SUFFIXES"]

SUPPORTED_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".txt", ".parquet", ".xlsx", ".xls", ".xes", ".xes.gz")
_ECHO = 100  # characters of a value or parser message shown in an error
# The last two are the engine's working columns of an ingested log (engine.CASE_CODE, ACTIVITY_CODE):
# a file's own column of such a name is renamed like the others, never taken for them.
_CANONICAL = {"case", "activity", "ts", "start", "row", "__case_code", "__activity_code"}


@dataclass
class RawTable:
    """A file's rows as they are, what reading them noted (sheets chosen, columns converted) and rows set aside."""

    frame: pl.DataFrame
    notes: tuple[str, ...] = ()
    skipped: dict[str, int] = field(default_factory=dict)
    sheets: tuple[str, ...] = ()  # every sheet's name, for a workbook
    roles: ColumnRoles | None = None  # the columns a conversion made (a milestone table's), not to be guessed


@dataclass
class RawFile:
    """What the reader of a file made of it: one table, or one per sheet of a workbook."""

    name: str
    frame: pl.DataFrame | None = None
    sheets: list[Sheet] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    limits: Limits | None = None  # those it was read within (else the environment's), for the conversion too

    def table(self, sheet: str | None = None, milestones: bool = True) -> RawTable:
        """The table to read events from: the file's, or the sheet(s) `excel.choose_sheets` takes for `sheet`;
        a milestone table (one row per case, a date column per step) as one row per event unless
        `milestones` is false (`journeymap.log.milestones`)."""
        found = self._table(sheet)
        events = as_events(found.frame, self.name, self.limits) if milestones else None
        if events is None:
            return found
        frame, note, unreadable, roles = events
        return RawTable(frame, (*found.notes, note), {**found.skipped, **unreadable}, found.sheets, roles)

    def _table(self, sheet: str | None) -> RawTable:
        if self.frame is not None:
            if sheet is not None:
                raise JourneyError(f"{self.name}: is not a workbook, so it has no sheet '{sheet[:40]}'.",
                                   source=self.name)
            return RawTable(self.frame, tuple(self.notes), dict(self.skipped))
        frame, notes = choose_sheets(self.sheets, self.name, sheet)
        frame, filled = filled_down(frame)  # a sheet's merged cells: the value is in the first row only
        return RawTable(frame, (*self.notes, *notes, *filled), dict(self.skipped), tuple(s.name for s in self.sheets))


def read_events(source: str | os.PathLike[str] | bytes, *, name: str | None = None, case: str | None = None,
                activity: str | None = None, timestamp: str | None = None, start_timestamp: str | None = None,
                lifecycle: str | None = None, timestamp_format: str | None = None, time_of_day: str | None = None,
                sep: str | None = None, max_decompressed_mb: float | None = None, sheet: str | None = None,
                limits: Limits | None = None, keep_attributes: AttributeChoice | None = None) -> EventLog:
    """Read an event log file (or its bytes plus `name`) and make canonical events of it.

    Columns not given are found from their names, else from their values (`detect_table_roles`).
    Day-first or month-first dates are told apart by their values; when none tells (03/04/2024
    only), a JourneyError asks for `timestamp_format`. Text files may be UTF-8 (with or without
    BOM), UTF-16/32 with a BOM, or a legacy code page such as Windows-1252, with any delimiter.
    Every reading is bounded by `limits` (see `journeymap.log.limits`: decompressed size, columns,
    value length, XML depth, Excel cells; each raisable by an environment variable);
    `max_decompressed_mb` still sets the first. Of a workbook every sheet is read and `sheet`
    (a name, or "*" for all sheets with the same columns) picks which, else `excel.choose_sheets`
    does and `notes` says what it chose. Every problem with the file is a JourneyError of one
    sentence naming the file (and the line or column when known). `keep_attributes`, given the log's
    attribute columns, names those to keep: an ingested folder does not read the others at all, any
    other source drops them once read.
    """
    if not isinstance(source, bytes) and Path(source).is_dir():
        from journeymap.log.ingest import is_ingested, read_ingested

        if is_ingested(source):  # `journeymap ingest` wrote it: already canonical and in case order
            return read_ingested(source, case=case, activity=activity, timestamp=timestamp,
                                 start_timestamp=start_timestamp, lifecycle=lifecycle,
                                 timestamp_format=timestamp_format, time_of_day=time_of_day, sep=sep, sheet=sheet,
                                 keep_attributes=keep_attributes)
    label = name or Path(str(source)).name if not isinstance(source, bytes) else (name or "upload")
    named = any((case, activity, timestamp, start_timestamp, lifecycle, time_of_day))  # an event log, any shape
    raw = read_raw(source, name=label, sep=sep, max_decompressed_mb=max_decompressed_mb, sheet=sheet, limits=limits,
                   milestones=not named)
    table = raw.frame
    made = raw.roles or ColumnRoles()  # a milestone table's own: an attribute named 'concept:name' is not its activity
    case, activity, timestamp = case or made.case, activity or made.activity, timestamp or made.timestamp
    roles = detect_table_roles(table, case=case, activity=activity, timestamp=timestamp,
                               start_timestamp=start_timestamp, lifecycle=lifecycle, time_of_day=time_of_day)
    roles = ColumnRoles(**{**roles.__dict__, "timestamp_format": timestamp_format})
    found = _found_by_values(table.columns, roles, case=case, activity=activity, timestamp=timestamp)
    try:
        log = with_reading(canonical_events(table, roles, source=label), raw)
        log.notes = (*log.notes, *found)
        return only_attributes(log, keep_attributes)
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException) as error:
        # Damaged input must end in a sentence, not a traceback, even where no check foresaw it.
        raise JourneyError(f"{label}: the events could not be made from its columns ({_first_line(error)}).",
                           source=label) from None


def _found_by_values(columns: list[str], roles: ColumnRoles, **given: str | None) -> tuple[str, ...]:
    """A note naming the columns read for the case, activity and timestamp when any of them was found
    from the values, not from its name nor given: a guess the user should be able to see and undo."""
    by_name = detect_roles(columns)
    guessed = [role for role in ("case", "activity", "timestamp")
               if not given[role] and getattr(roles, role) and getattr(roles, role) != getattr(by_name, role)]
    if not guessed:
        return ()
    read = ", ".join(f"the {role} from '{getattr(roles, role)}'" for role in ("case", "activity", "timestamp"))
    options = ", ".join(f"--{role}" for role in guessed)
    which = " and ".join([", ".join(guessed[:-1]), guessed[-1]] if len(guessed) > 1 else guessed)
    overruled = [f"'{getattr(by_name, role)}'" for role in guessed if getattr(by_name, role)]
    why = (f"where the column{'s' * (len(overruled) > 1)} named for {'them' if len(overruled) > 1 else 'it'} "
           f"({', '.join(overruled)}) did not fit" if overruled else "as no column name said")
    return (f"read {read} ({which} found from the values, {why}; name another with {options}).",)


def with_reading(log: EventLog, raw: RawTable) -> EventLog:
    """The log with what reading its file set aside (events outside a trace) and noted."""
    if raw.skipped:
        log.skipped = {**raw.skipped, **log.skipped}
        log.rows_read += sum(raw.skipped.values())
    log.notes = (*raw.notes, *log.notes)
    if raw.roles is not None:  # the events were made of a milestone table's date cells, one event each
        log.counted = "date cells"
    return log


def read_table(source: str | os.PathLike[str] | bytes, *, name: str, sep: str | None = None,
               max_decompressed_mb: float | None = None, sheet: str | None = None,
               limits: Limits | None = None) -> pl.DataFrame:
    """Read a file's rows as they are, by its suffix; CSV columns stay text (`read_raw` with its notes)."""
    return read_raw(source, name=name, sep=sep, max_decompressed_mb=max_decompressed_mb, sheet=sheet,
                    limits=limits).frame


def read_raw(source: str | os.PathLike[str] | bytes, *, name: str, sep: str | None = None,
             max_decompressed_mb: float | None = None, sheet: str | None = None,
             limits: Limits | None = None, milestones: bool = True) -> RawTable:
    """A file's rows as they are, with what reading them noted; `sheet` picks a workbook's sheet;
    a milestone table's as one row per event unless `milestones` is false (`RawFile.table`)."""
    return read_file(source, name=name, sep=sep, max_decompressed_mb=max_decompressed_mb,
                     limits=limits).table(sheet, milestones)


def read_file(source: str | os.PathLike[str] | bytes, *, name: str, sep: str | None = None,
              max_decompressed_mb: float | None = None, limits: Limits | None = None) -> RawFile:
    """Everything a file holds (a workbook: every sheet), read within `limits`; the costly, risky part of reading."""
    limits = limits or Limits()
    if max_decompressed_mb:
        limits = replace(limits, decompressed_mb=max_decompressed_mb)
    limits = limits.resolved()
    data = source if isinstance(source, bytes) else _read_bytes(Path(source), name)
    if not data or data.isspace():
        raise JourneyError(f"{name}: the file is empty; export the event log again with its rows.", source=name)
    lower = name.lower()
    try:
        if lower.endswith((".xlsx", ".xls", ".xlsm")):
            sheets = read_sheets(data, name, limits)
            for found in sheets:
                _check_table(found.frame, f"{name}, sheet '{found.name}'", limits)
            return RawFile(name, sheets=sheets, limits=limits)
        notes: list[str] = []
        skipped: dict[str, int] = {}
        if lower.endswith((".xes", ".xes.gz")):
            xes = scan_xes(data, name=name, limits=limits)
            frame, skipped = xes.frame, xes.skipped
        elif lower.endswith(".parquet"):
            frame, notes = read_parquet(data, name, limits)
        else:
            frame, notes = _read_csv(data, name, sep, limits)
        _check_table(frame, name, limits)
        return RawFile(name, frame=frame, notes=notes, skipped=skipped, limits=limits)
    except (JourneyError, MemoryError):  # a memory error is the caller's budget (journeymap.log.isolate)
        raise
    except ValueError as error:
        message = _first_line(error)
        raise JourneyError(message if name in message else f"{name}: {message}", source=name) from None
    except (Exception, pl.exceptions.PanicException) as error:  # each reader has its own errors; one sentence
        raise JourneyError(f"{name}: could not be read as {_kind(lower)} ({_first_line(error)}). Check the file "
                           "type and that the file is complete.", source=name) from None


def canonical_events(table: pl.DataFrame, roles: ColumnRoles, *, source: str = "events") -> EventLog:
    """Canonical events from a raw table whose column roles are known."""
    _require_roles(table, roles, source)
    case, activity, timestamp = roles.case, roles.activity, roles.timestamp
    assert case and activity and timestamp  # _require_roles refused a table without them
    notes: tuple[str, ...] = ()
    statuses = present_text(table.get_column(roles.lifecycle)) if roles.lifecycle else None
    if roles.lifecycle and statuses is not None and not _is_lifecycle(statuses):
        notes = (f"column '{_cut(roles.lifecycle, 40)}' holds statuses (such as '{_cut(statuses[0], 40)}'), "
                 "not start/complete lifecycle transitions; it is read as an attribute and every event kept.",)
        roles = replace(roles, lifecycle=None)
    rows_read = table.height
    row_index = "__row"
    while row_index in table.columns:  # a file may have a column of that name, too
        row_index += "_"
    frame = table.with_row_index(row_index)
    ts = _parse_time(frame, timestamp, roles.timestamp_format, source)
    if roles.time_of_day:
        ts = ts + _parse_clock(frame, roles.time_of_day, source)
    start = (_parse_time(frame, roles.start_timestamp, roles.timestamp_format, source)
             if roles.start_timestamp else pl.lit(None, dtype=pl.Int64))
    no_end = _empty(frame.get_column(timestamp)) if isinstance(start, pl.Series) else None
    if no_end is not None and (open_ended := int((no_end & start.is_not_null()).sum())):
        # Work begun and not yet done (a deal's current stage, entered and not exited): it happened when it
        # began, so it stays, placed at its start, rather than being set aside without a timestamp.
        ts = pl.select(pl.when(no_end).then(start).otherwise(ts)).to_series()
        column = _cut(roles.start_timestamp or "", 40)
        verb, whose = ("is", "its") if open_ended == 1 else ("are", "their")
        notes = (*notes, f"{format_count(open_ended, 'event')} with a start in '{column}' and no end yet (still "
                         f"under way) {verb} placed at {whose} start.")
    role_columns = {getattr(roles, role) for role in ROLES} - {None}
    kept = [c for c in table.columns if c not in role_columns and c.strip()]
    # An attribute may share a name with a canonical column (a second "activity" column, say).
    renamed = {c: f"{c} (attribute)" if c in _CANONICAL else c for c in kept}
    attributes = tuple(renamed.values())
    frame = frame.select(
        pl.col(case).cast(pl.String).str.strip_chars().alias("case"),
        pl.col(activity).cast(pl.String).str.strip_chars().alias("activity"),
        pl.lit(ts).alias("ts"), (pl.lit(start) if isinstance(start, pl.Series) else start).alias("start"),
        pl.col(row_index).cast(pl.Int64).alias("row"),
        *(pl.col(roles.lifecycle).cast(pl.String).str.to_lowercase().str.strip_chars().alias("__lifecycle")
          for _ in [0] if roles.lifecycle),
        *(pl.col(c).cast(pl.String).alias(renamed[c]) for c in kept),
    )
    frame, skipped = status_changes(frame, "activity", activity, {"case", "activity", "ts", "start", "row",
                                                                  "__lifecycle"})
    for reason, bad in (("without a case id", pl.col("case").is_null() | (pl.col("case") == "")),
                        ("without an activity", pl.col("activity").is_null() | (pl.col("activity") == "")),
                        (f"without a readable timestamp in '{roles.timestamp}'"
                         + (f" and '{roles.time_of_day}'" if roles.time_of_day else ""), pl.col("ts").is_null())):
        count = frame.filter(bad).height
        if count:
            skipped[reason] = count
            frame = frame.filter(~bad)
    frame, backwards = in_file_direction(frame)
    sequence = sequence_column([renamed[c] for c in kept])
    ordered = _in_sequence(frame, sequence) if sequence else None
    if ordered is not None:
        frame = ordered
        notes = (*notes, f"events of a case at the same moment are taken in the order of '{_cut(sequence, 40)}'.")
    elif backwards:
        notes = (*notes, "its rows run newest first, so events at the same moment are taken in the reverse of the "
                         "file's order: the order they happened in.")
    ts = frame.get_column("ts")
    notes = (*notes, *(note for note in (date_only_note(ts), far_dated_note(ts), _one_activity_note(frame, activity))
                       if note))
    if roles.lifecycle:
        frame = _pair_lifecycle(frame, skipped)
    return EventLog(frame=frame, source=source, roles=roles, attributes=attributes, skipped=skipped,
                    rows_read=rows_read, notes=notes)


def _empty(values: pl.Series) -> pl.Series:
    """Where a column holds nothing: an end that is not yet, where "#VALUE!" is an end that cannot be read."""
    return values.is_null() | (values.str.strip_chars() == "") if values.dtype == pl.String else values.is_null()


def _one_activity_note(frame: pl.DataFrame, column: str) -> str | None:
    """A sentence when every event has the same activity (a clickstream's "page_view"): the map is one
    step, and another column (the page, the status) may say what happened."""
    if frame.height < 2 or frame.get_column("activity").head(1000).n_unique() > 1:  # the usual log stops here
        return None
    values = frame.get_column("activity")
    if bool((values != values[0]).any()):  # one comparison a row, where counting distinct values hashes them
        return None
    return (f"every event's activity in '{_cut(column, 40)}' is '{_cut(str(values[0]), 40)}', so the journey has one "
            "step; if another column says what happened (a page, a status), name it with --activity.")


def _in_sequence(frame: pl.DataFrame, column: str) -> pl.DataFrame | None:
    """The events with `row` (the tie-break of events at one moment) in the order of a sequence column of
    whole numbers, where a case has events at one moment; None where it has none, or the column holds
    other than whole numbers (then the file's order stays)."""
    numbers = frame.get_column(column).str.strip_chars().cast(pl.Int64, strict=False)
    if numbers.null_count() > frame.get_column(column).null_count() or numbers.null_count() == frame.height:
        return None
    if not frame.select(pl.struct("case", "ts").is_duplicated().any()).item():
        return None
    return (frame.with_columns(numbers.alias("__sequence")).sort("__sequence", "row", nulls_last=True)
            .with_columns(row=pl.int_range(pl.len(), dtype=pl.Int64)).drop("__sequence"))


# XES's standard lifecycle transitions (IEEE 1849), and "completed" as exports write it.
_TRANSITIONS = ("schedule", "assign", "reassign", "start", "suspend", "resume", "autoskip", "manualskip",
                "complete", "completed", "ate_abort", "pi_abort", "withdraw", "unknown")


def _is_lifecycle(present: pl.Series) -> bool:
    """Whether a lifecycle column's present values (`present_text`) are mostly lifecycle transitions, not
    statuses: BPIC 2013's lifecycle:transition says "In Progress", "Awaiting Assignment", which pairing
    would all set aside."""
    share = present.str.to_lowercase().is_in(_TRANSITIONS).mean()
    return present.len() == 0 or float(share or 0.0) >= 0.5  # type: ignore[arg-type]


def _read_bytes(path: Path, name: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise JourneyError(f"{name}: no such file.", source=name) from None
    except IsADirectoryError:
        raise JourneyError(f"{name}: is a folder; give an event log file, or a folder written by journeymap "
                           "ingest.", source=name) from None


def _read_csv(data: bytes, name: str, sep: str | None, limits: Limits) -> tuple[pl.DataFrame, list[str]]:
    if data[:2] == GZIP_MAGIC:
        data = gunzip(data, name, limits.decompressed_bytes)
    data, _ = utf8_text(data)
    if not data or data.isspace():
        raise JourneyError(f"{name}: the file is empty; export the event log again with its rows.", source=name)
    if sep is not None and len(sep) != 1:
        raise JourneyError(f"{name}: the delimiter must be one character, not '{sep[:10]}'.", source=name)
    hint = re.match(rb"sep=(.)\r?\n", data)  # Excel's "sep=;" line: the delimiter, above the header
    if hint:
        sep = sep or hint.group(1).decode("utf-8", errors="replace")
    above = 1 if hint else lines_above_header(data, sep)  # a title over the table: the header is further down
    header_at = 0
    for _ in range(above):
        header_at = data.index(b"\n", header_at) + 1
    table_text = data[header_at: header_at + (1 << 20)] if above else data  # what sniffing and the header need
    sep = sep or sniff_delimiter(table_text)
    _check_header(table_text, name, sep, limits, line=above + 1)
    try:
        table = pl.read_csv(io.BytesIO(data), separator=sep, infer_schema=False, encoding="utf8",
                            truncate_ragged_lines=False, skip_lines=above)
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException):
        # Polars' message is a parser dump; a second, row-by-row reading names the broken line, or
        # reads what Polars is stricter about than the csv module (a quote inside a value).
        table = read_rows(data, sep, name, skip_lines=above)
    if table.height == 0:
        raise JourneyError(f"{name}: has a header but no rows.", source=name)
    if any('""' in column for column in table.columns):  # Polars keeps a quoted name's doubled quotes
        table = table.rename({c: c.replace('""', '"') for c in table.columns if '""' in c
                              and c.replace('""', '"') not in table.columns})
    notes = ([f"its first line, Excel's delimiter hint '{hint.group(0).decode(errors='replace').strip()}', was "
              "followed and left out."] if hint else [_title_note(data[:header_at], above)] if above else [])
    return table, notes


def _title_note(title_lines: bytes, above: int) -> str:
    """What was left out above the header (the `above` lines `title_lines` holds), with the title's first words."""
    title = next((line.strip() for line in title_lines.split(b"\n") if line.strip()), b"")
    shown = shorten(title.decode("utf-8", errors="replace"), 60)
    lines, were = ("the line", "was") if above == 1 else (f"the {above} lines", "were")
    return f"{lines} above the header on line {above + 1} (a title: '{shown}') {were} left out."


def _check_header(data: bytes, name: str, sep: str, limits: Limits, line: int = 1) -> None:
    """Refuse a header of more columns than the limit, or holding a NUL byte, before the rows are parsed.

    Polars takes minutes and gigabytes over 100,000 columns; counting the header's delimiters takes
    milliseconds (a delimiter inside quotes counts too, which can only overstate by a few).
    """
    end = data.find(b"\n")
    header = data[: end if end >= 0 else len(data)]
    columns = header.count(sep.encode()) + 1
    if columns > limits.columns:  # type: ignore[operator]
        raise over_limit(f"{name}, line {line}", f"has {columns:,} columns", "columns", limits.columns)  # type: ignore
    if b"\0" in header:
        column = header[: header.index(b"\0")].count(sep.encode()) + 1
        raise JourneyError(f"{name}, line {line}, column {column}: the header holds a NUL byte, which no text file "
                           "has; export the log again as CSV (UTF-8), or check that this is the right file.",
                           source=name, line=line)


def _check_table(frame: pl.DataFrame, name: str, limits: Limits) -> None:
    """Refuse a table past the column limit or with a text value past the cell limit (naming column and row)."""
    if frame.width > limits.columns:  # type: ignore[operator]
        raise over_limit(name, f"has {frame.width:,} columns", "columns", limits.columns)  # type: ignore[arg-type]
    text = [c for c, dtype in frame.schema.items() if dtype == pl.String]
    if not text or not frame.height:
        return
    longest = frame.select(pl.col(text).str.len_bytes().max()).row(0)
    for column, length in zip(text, longest):
        if length is not None and length > limits.cell_bytes:
            row = frame.get_column(column).str.len_bytes().arg_max()
            raise over_limit(f"{name}, column '{_cut(column, 40)}', row {(row or 0) + 1:,}",
                             f"has a value of {length / 1024:,.0f} KB", "cell_kb", limits.cell_kb)  # type: ignore


check_table = _check_table  # the same bounds for a table read from elsewhere (a database)


def _require_roles(table: pl.DataFrame, roles: ColumnRoles, source: str) -> None:
    # Names are cut short: a file with no line breaks has its whole text as the header.
    columns = ", ".join(_cut(c, 40) for c in table.columns[:12]) + (" ..." if len(table.columns) > 12 else "")
    for role, flag in (("case", "--case"), ("activity", "--activity"), ("timestamp", "--timestamp")):
        column = getattr(roles, role)
        if column is None:
            raise JourneyError(f"{source}: no {role} column found among: {columns}. Name it with {flag} COLUMN "
                               "(or pick it in the column mapping).", source=source)
    for role in ROLES:
        column = getattr(roles, role)
        if column is not None and column not in table.columns:
            raise JourneyError(
                f"{source}: there is no column '{_cut(column, 40)}' for the {role.replace('_', ' ')}; the "
                f"columns are: {columns}.",
                source=source,
            )
    given = [(role, getattr(roles, role)) for role in ROLES if getattr(roles, role)]
    for index, (role, column) in enumerate(given):
        first = next((other for other, again in given[:index] if again == column), None)
        if first:
            raise JourneyError(
                f"{source}: the column '{_cut(column, 40)}' is given for both the {first.replace('_', ' ')} "
                f"and the {role.replace('_', ' ')}; each role needs a column of its own (--case, "
                "--activity, --timestamp, or the column mapping).",
                source=source,
            )


def _parse_time(frame: pl.DataFrame, column: str, fmt: str | None, source: str) -> pl.Series:
    """Epoch microseconds (UTC) for a column; values that do not parse become null (and are counted)."""
    text = frame.get_column(column)
    parsed = parse_timestamps(text, fmt, source=source, column=column)
    present = text.is_not_null()
    if text.dtype == pl.String:
        present = present & (text.str.strip_chars() != "")
    if present.any() and parsed.is_null().sum() == len(parsed):
        example = _cut(str(text.filter(present)[0]))
        zone = re.search(r"\s([A-Z]{3,5})$", example)
        hint = (f"it does not match the format '{_cut(fmt)}'" if fmt else
                f"time-zone names such as '{zone.group(1)}' are not read, since they are ambiguous (CST is "
                "China's and Central America's); export the times with an offset such as +01:00, or name the "
                f"format with the zone as text, e.g. --timestamp-format '%Y-%m-%d %H:%M:%S {zone.group(1)}' "
                "(read as UTC)" if zone else
                "name its format, e.g. --timestamp-format '%d/%m/%Y %H:%M' for day-first dates")
        raise JourneyError(f"{source}: column '{column}' has no readable timestamps (for example "
                           f"'{example}'); {hint}.", source=source)
    return parsed.alias(column)


def _parse_clock(frame: pl.DataFrame, column: str, source: str) -> pl.Series:
    """Microseconds since midnight for a column of times of day; values that do not read become null."""
    text = frame.get_column(column)
    parsed = clock_times(text)
    present = present_text(text)
    if present.len() and parsed.is_null().all():
        example = _cut(present[0])
        raise JourneyError(f"{source}: column '{column}' has no readable times of day (for example '{example}'); "
                           "times read as 14:05, 14:05:33 or 2:05 PM.", source=source)
    return parsed


def _pair_lifecycle(frame: pl.DataFrame, skipped: dict[str, int]) -> pl.DataFrame:
    """Pair each `start` with the next `complete` of the same case and activity (first in, first out)."""
    is_start, is_complete = pl.col("__lifecycle") == "start", pl.col("__lifecycle").is_in(["complete", "completed"])
    other = frame.filter(~(is_start | is_complete) | pl.col("__lifecycle").is_null())
    if other.height:
        skipped["lifecycle events other than start/complete"] = other.height
    nth = pl.col("ts").rank("ordinal").over("case", "activity", "__lifecycle").alias("__nth")
    starts = frame.filter(is_start).with_columns(nth).select("case", "activity", "__nth", pl.col("ts").alias("__s"))
    completes = frame.filter(is_complete).sort("ts", "row").with_columns(nth)
    paired = completes.join(starts, on=["case", "activity", "__nth"], how="left")
    unmatched = starts.height - paired.select(pl.col("__s").is_not_null().sum()).item()
    if unmatched:
        skipped["start events with no matching complete"] = unmatched
    paired = paired.with_columns(pl.coalesce("start", "__s").alias("start"))
    return paired.drop("__nth", "__s", "__lifecycle").sort("row")


def _first_line(error: BaseException) -> str:
    """The first line of an error message, cut to about 100 characters (parsers echo the file)."""
    lines = str(error).strip().splitlines()
    return _cut(lines[0] if lines else type(error).__name__)


def _cut(text: str | None, limit: int = _ECHO) -> str:
    text = text or ""
    return text if len(text) <= limit else text[:limit] + "…"


def _kind(name: str) -> str:
    for suffix, kind in ((".parquet", "Parquet"), (".xlsx", "Excel"), (".xls", "Excel"), (".xes", "XES")):
        if suffix in name:
            return kind
    return "CSV"
