"""An event log ingested once: Parquet in case order, cases and activities as integer codes, and a manifest.

Reading a large CSV, finding its columns, parsing its timestamps and ordering ten million events by
case is most of what `journeymap metrics` spends on it, and the same work is redone on every run.
`ingest_log` does it once and writes a folder:

- `events.parquet`: one row per canonical event, sorted by case code, time, start time (missing
  last) and file row, with `case_code` and `activity_code` (Int32) for the text, `ts`/`start`
  (epoch microseconds, UTC), `row` (the row in the source) and the attribute columns (text);
- `cases.parquet`: the case ids, row i being case code i; cases are numbered by their first event
  (time, then file row), the order the case table lists them in;
- `manifest.json`: the format and journeymap version, the source (a database URL with its password
  masked), the column roles used, the activity labels (code i is label i), the attributes, the
  counts, the rows set aside and the notes of the reading.

`read_ingested` gives the same `EventLog` as reading the source again (the same events, roles,
rows set aside and notes), with the text ids and labels exact, plus two working columns the
engine recognises (`engine.CASE_CODE`, `engine.ACTIVITY_CODE`): the events are already grouped
and ordered, so `engine.prepare_events` neither hashes, codes nor sorts them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from journeymap.core.errors import JourneyError
from journeymap.log.columns import ACTIVITY_CODE, CASE_CODE, ColumnRoles
from journeymap.log.eventlog import AttributeChoice, EventLog

__all__ = ["FORMAT", "FORMAT_VERSION", "MANIFEST", "EVENTS_FILE", "CASES_FILE", "Manifest", "ingest_log",
           "is_ingested", "read_ingested", "read_manifest"]

FORMAT = "journeymap-ingested"
FORMAT_VERSION = 1
MANIFEST, EVENTS_FILE, CASES_FILE = "manifest.json", "events.parquet", "cases.parquet"
_CODE_COLUMNS = {
    "case_code": "case id: row of cases.parquet",
    "activity_code": "activity: index in 'activities'",
    "ts": "timestamp, epoch microseconds UTC",
    "start": "start timestamp, epoch microseconds UTC (or null)",
    "row": "row of the event in the source (0-based), counted from its end when its rows run newest first",
}
_SORTED_BY = ["case_code", "ts", "start (missing last)", "row"]


@dataclass(frozen=True)
class Manifest:
    """What an ingested folder holds and where it came from (`manifest.json`)."""

    source: str
    journeymap_version: str
    created: str
    roles: dict[str, str | None]
    activities: list[str]
    attributes: list[str]
    n_events: int
    n_cases: int
    rows_read: int
    skipped: dict[str, int]
    notes: list[str]
    format: str = FORMAT
    format_version: int = FORMAT_VERSION
    columns: dict[str, str] | None = None
    sorted_by: list[str] | None = None
    counted: str = "rows"  # what rows_read counts (`EventLog.counted`)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"


def is_ingested(path: str | os.PathLike[str]) -> bool:
    """Whether a path is a folder written by `ingest_log` (it holds a manifest)."""
    folder = Path(path)
    return folder.is_dir() and (folder / MANIFEST).is_file()


def ingest_log(log: EventLog, out: str | os.PathLike[str]) -> Manifest:
    """Write the log to the folder `out` (replaced whole if it is an ingested folder already); returns its manifest.

    A folder that exists, is not empty and holds no manifest is refused: it is someone else's.
    The folder is written beside `out` and moved into place, so a reader never sees half of it.
    """
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise JourneyError(f"{target}: is a file; give a folder to write the ingested log into.", source=str(target))
    if target.is_dir() and any(target.iterdir()) and not is_ingested(target):
        raise JourneyError(f"{target}: the folder is not empty and holds no ingested log; give a new or empty "
                           "folder.", source=str(target))
    frame = log.frame
    firsts = frame.select("case", "ts", "row").sort("ts", "row").unique("case", keep="first", maintain_order=True)
    cases = firsts.get_column("case")
    activities = sorted(frame.get_column("activity").unique().to_list())
    codes = pl.Series(CASE_CODE, range(len(cases)), dtype=pl.Int32)
    coded = frame.with_columns(
        pl.col("case").replace_strict(cases, codes, return_dtype=pl.Int32).alias("case_code"),
        pl.col("activity").replace_strict(activities, range(len(activities)), return_dtype=pl.Int32)
        .alias("activity_code"),
    ).sort("case_code", "ts", "start", "row", nulls_last=True)
    events = coded.select("case_code", "activity_code", "ts", "start", "row", *log.attributes)
    manifest = Manifest(
        source=log.source, journeymap_version=_version(),
        created=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        roles={key: value for key, value in asdict(log.roles).items()}, activities=activities,
        attributes=list(log.attributes), n_events=events.height, n_cases=len(cases), rows_read=log.rows_read,
        skipped=dict(log.skipped), notes=list(log.notes), columns={**_CODE_COLUMNS, **{a: "attribute (text)"
                                                                                  for a in log.attributes}},
        sorted_by=_SORTED_BY, counted=log.counted)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        # lz4: a third larger than zstd here, and quicker to decompress, which every reading does
        events.write_parquet(staging / EVENTS_FILE, compression="lz4", statistics=True)
        pl.DataFrame({"case": cases}).write_parquet(staging / CASES_FILE)
        (staging / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def read_manifest(path: str | os.PathLike[str]) -> Manifest:
    """The manifest of an ingested folder; one sentence when it is missing, damaged or too new."""
    file = Path(path) / MANIFEST
    name = str(file)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise JourneyError(f"{path}: holds no {MANIFEST}; it is not an ingested log (journeymap ingest writes "
                           "one).", source=str(path)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise JourneyError(f"{name}: is not valid JSON ({str(error)[:80]}); ingest the log again.",
                           source=name) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise JourneyError(f"{name}: is not the manifest of an ingested journeymap log; ingest the log again.",
                           source=name)
    version = data.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise JourneyError(f"{name}: was written in format {version!r}, newer than this journeymap reads "
                           f"({FORMAT_VERSION}); update journeymap or ingest the log again.", source=name)
    try:
        manifest = Manifest(**{key: data[key] for key in Manifest.__dataclass_fields__ if key in data})
    except TypeError as error:
        raise JourneyError(f"{name}: lacks a field ({error}); ingest the log again.", source=name) from None
    if (not isinstance(manifest.activities, list) or not all(isinstance(a, str) for a in manifest.activities)
            or len(set(manifest.activities)) != len(manifest.activities)):
        raise JourneyError(f"{name}: its 'activities' are not a list of distinct labels; ingest the log again.",
                           source=name)
    return manifest


def read_ingested(path: str | os.PathLike[str], *, keep_attributes: AttributeChoice | None = None,
                  **columns: str | None) -> EventLog:
    """The canonical events of an ingested folder, in case order, with the engine's code columns.

    Column options (`case=...`) cannot apply: the columns were chosen at ingest, and one given is
    refused rather than ignored. Of the attribute columns only those `keep_attributes` chooses are read.
    The activity labels are an Enum over the folder's activities: four bytes an event where ten million
    labels take 160 MB.
    """
    folder = Path(path)
    given = {role: column for role, column in columns.items() if column}
    if given:
        role = next(iter(given))
        raise JourneyError(f"{folder}: is an ingested log, whose columns were chosen when it was ingested; drop "
                           f"--{role.replace('_', '-')}, or ingest the source again with it.", source=str(folder))
    manifest = read_manifest(folder)
    attributes = tuple(manifest.attributes) if keep_attributes is None else keep_attributes(tuple(manifest.attributes))
    events = _read_parquet(folder / EVENTS_FILE, [*_CODE_COLUMNS, *(a for a in manifest.attributes if a in attributes)])
    cases = _read_parquet(folder / CASES_FILE)
    _check(folder, manifest, events, cases, attributes)
    activity_codes = pl.Enum(manifest.activities)
    # A log without start times holds them as one null (a scalar column): ten million nulls take 83 MB.
    start = (pl.col("start").cast(pl.Int64) if events.get_column("start").null_count() < events.height
             else pl.lit(None, dtype=pl.Int64).alias("start"))
    frame = events.select(
        # Text, not an Enum of the ids: a million categories make every look at the frame's schema cost
        # a tenth of a second (the few activities do not).
        pl.lit(cases.get_column("case").cast(pl.String)).gather(pl.col("case_code")).alias("case"),
        _as_enum(pl.col("activity_code"), activity_codes).alias("activity"),
        pl.col("ts").cast(pl.Int64), start, pl.col("row").cast(pl.Int64),
        *(pl.col(a).cast(pl.String) for a in attributes),
        pl.col("case_code").cast(pl.Int32).alias(CASE_CODE),
        _as_enum(pl.col("activity_code"), activity_codes).alias(ACTIVITY_CODE),
    )
    roles = ColumnRoles(**{key: manifest.roles.get(key) for key in ColumnRoles.__dataclass_fields__})
    return EventLog(frame=frame, source=manifest.source, roles=roles, attributes=attributes,
                    skipped=dict(manifest.skipped), rows_read=manifest.rows_read, notes=tuple(manifest.notes),
                    counted=manifest.counted)


def _as_enum(codes: pl.Expr, enum: pl.Enum) -> pl.Expr:
    """Integer codes as the values of an Enum (code i: its category i)."""
    return codes.cast(pl.Series(dtype=enum).to_physical().dtype).cat.to(enum)


def _read_parquet(file: Path, columns: list[str] | None = None) -> pl.DataFrame:
    """The file's columns (those of `columns` it has: `_check` names a missing one)."""
    try:
        if columns is not None:
            present = pl.read_parquet_schema(file)
            columns = [c for c in columns if c in present]
        return pl.read_parquet(file, columns=columns)
    except FileNotFoundError:
        raise JourneyError(f"{file}: is missing; ingest the log again.", source=str(file)) from None
    except Exception as error:  # a damaged file: Polars' and Arrow's errors are of several kinds
        raise JourneyError(f"{file}: could not be read as Parquet ({str(error).splitlines()[0][:100]}); ingest "
                           "the log again.", source=str(file)) from None


def _check(folder: Path, manifest: Manifest, events: pl.DataFrame, cases: pl.DataFrame,
           attributes: tuple[str, ...]) -> None:
    """The folder's files agree with its manifest: columns, counts and codes in range (cheap: min/max)."""
    def damaged(what: str) -> JourneyError:
        return JourneyError(f"{folder}: {what}; ingest the log again.", source=str(folder))

    missing = [c for c in (*_CODE_COLUMNS, *attributes) if c not in events.columns]
    if missing:
        raise damaged(f"{EVENTS_FILE} lacks the column '{missing[0][:40]}' its manifest names")
    if "case" not in cases.columns:
        raise damaged(f"{CASES_FILE} lacks the column 'case'")
    if events.height != manifest.n_events or cases.height != manifest.n_cases:
        raise damaged(f"its files hold {events.height:,} events of {cases.height:,} cases, the manifest says "
                      f"{manifest.n_events:,} of {manifest.n_cases:,}")
    for column, size in (("case_code", cases.height), ("activity_code", len(manifest.activities))):
        if not events.schema[column].is_integer():
            raise damaged(f"the column '{column}' of {EVENTS_FILE} is not integer")
        low, high = events.select(pl.col(column).min().alias("low"), pl.col(column).max().alias("high")).row(0)
        if events.height and (low is None or low < 0 or high >= size):
            raise damaged(f"the column '{column}' of {EVENTS_FILE} has codes outside 0..{size - 1:,}")
    if events.select(pl.sum_horizontal(pl.col("case_code", "activity_code", "ts").null_count())).item():
        raise damaged(f"{EVENTS_FILE} has events without a case, activity or timestamp")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("journeymap")
    except PackageNotFoundError:
        return "unknown"
