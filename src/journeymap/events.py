"""Read event logs (CSV, Parquet, Excel, XES) into canonical events, counting every row set aside."""

from __future__ import annotations

import csv
import gzip
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import polars as pl

from .columns import ColumnRoles, detect_roles
from .errors import JourneyError
from .xes import read_xes

__all__ = ["EventLog", "read_events", "read_table", "canonical_events", "SUPPORTED_SUFFIXES"]

SUPPORTED_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".txt", ".parquet", ".xlsx", ".xls", ".xes", ".xes.gz")
_GZIP_MAGIC = b"\x1f\x8b"
_CANONICAL = {"case", "activity", "ts", "start", "row"}


@dataclass
class EventLog:
    """Canonical events (Polars) plus what reading them took: roles used and rows set aside."""

    frame: pl.DataFrame
    source: str
    roles: ColumnRoles
    attributes: tuple[str, ...] = ()
    skipped: dict[str, int] = field(default_factory=dict)
    rows_read: int = 0

    @property
    def skipped_rows(self) -> int:
        """Rows of the file that are not events in `frame`."""
        return sum(self.skipped.values())

    def skipped_sentence(self) -> str:
        """One line on rows set aside, e.g. '12 of 5,000 rows skipped: 12 without a timestamp.'."""
        if not self.skipped:
            return f"All {self.rows_read:,} rows read."
        reasons = "; ".join(f"{count:,} {reason}" for reason, count in self.skipped.items())
        return f"{self.skipped_rows:,} of {self.rows_read:,} rows skipped: {reasons}."


def read_events(source: str | os.PathLike[str] | bytes, *, name: str | None = None, case: str | None = None,
                activity: str | None = None, timestamp: str | None = None, start_timestamp: str | None = None,
                lifecycle: str | None = None, timestamp_format: str | None = None,
                sep: str | None = None) -> EventLog:
    """Read an event log file (or its bytes plus `name`) and make canonical events of it."""
    label = name or Path(str(source)).name if not isinstance(source, bytes) else (name or "upload")
    table = read_table(source, name=label, sep=sep)
    roles = detect_roles(table.columns).override(
        case=case, activity=activity, timestamp=timestamp, start_timestamp=start_timestamp, lifecycle=lifecycle)
    roles = ColumnRoles(**{**roles.__dict__, "timestamp_format": timestamp_format})
    return canonical_events(table, roles, source=label)


def read_table(source: str | os.PathLike[str] | bytes, *, name: str, sep: str | None = None) -> pl.DataFrame:
    """Read a file's rows as they are, by its suffix; CSV columns stay text."""
    data = source if isinstance(source, bytes) else _read_bytes(Path(source), name)
    if not data.strip():
        raise JourneyError(f"{name}: the file is empty; export the event log again with its rows.", source=name)
    lower = name.lower()
    try:
        if lower.endswith((".xes", ".xes.gz")):
            return read_xes(data, name=name)
        if lower.endswith(".parquet"):
            return pl.read_parquet(io.BytesIO(data))
        if lower.endswith((".xlsx", ".xls")):
            return _read_excel(data)
        return _read_csv(data, name, sep)
    except JourneyError:
        raise
    except ValueError as error:
        raise JourneyError(str(error) if name in str(error) else f"{name}: {error}", source=name) from None
    except Exception as error:  # every reader has its own error types; the user needs one sentence
        raise JourneyError(f"{name}: could not be read as {_kind(lower)} ({error}). Check the file type and "
                           "that the file is complete.", source=name) from None


def canonical_events(table: pl.DataFrame, roles: ColumnRoles, *, source: str = "events") -> EventLog:
    """Canonical events from a raw table whose column roles are known."""
    _require_roles(table, roles, source)
    rows_read = table.height
    frame = table.with_row_index("__row")
    ts = _parse_time(frame, roles.timestamp, roles.timestamp_format, source)
    start = (_parse_time(frame, roles.start_timestamp, roles.timestamp_format, source)
             if roles.start_timestamp else pl.lit(None, dtype=pl.Int64))
    role_columns = {c for c in (roles.case, roles.activity, roles.timestamp, roles.start_timestamp, roles.lifecycle) if c}
    kept = [c for c in table.columns if c not in role_columns and c.strip()]
    # An attribute may share a name with a canonical column (a second "activity" column, say).
    renamed = {c: f"{c} (attribute)" if c in _CANONICAL else c for c in kept}
    attributes = tuple(renamed.values())
    frame = frame.select(
        pl.col(roles.case).cast(pl.String).str.strip_chars().alias("case"),
        pl.col(roles.activity).cast(pl.String).str.strip_chars().alias("activity"),
        pl.lit(ts).alias("ts"), (pl.lit(start) if isinstance(start, pl.Series) else start).alias("start"), pl.col("__row").cast(pl.Int64).alias("row"),
        *(pl.col(roles.lifecycle).cast(pl.String).str.to_lowercase().str.strip_chars().alias("__lifecycle")
          for _ in [0] if roles.lifecycle),
        *(pl.col(c).cast(pl.String).alias(renamed[c]) for c in kept),
    )
    skipped: dict[str, int] = {}
    for reason, bad in (("without a case id", pl.col("case").is_null() | (pl.col("case") == "")),
                        ("without an activity", pl.col("activity").is_null() | (pl.col("activity") == "")),
                        (f"without a readable timestamp in '{roles.timestamp}'", pl.col("ts").is_null())):
        count = frame.filter(bad).height
        if count:
            skipped[reason] = count
            frame = frame.filter(~bad)
    if roles.lifecycle:
        frame = _pair_lifecycle(frame, skipped)
    return EventLog(frame=frame, source=source, roles=roles, attributes=attributes, skipped=skipped,
                    rows_read=rows_read)


def _read_bytes(path: Path, name: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise JourneyError(f"{name}: no such file.", source=name) from None
    except IsADirectoryError:
        raise JourneyError(f"{name}: is a folder; give an event log file.", source=name) from None


def _read_csv(data: bytes, name: str, sep: str | None) -> pl.DataFrame:
    if data[:2] == _GZIP_MAGIC:
        data = gzip.decompress(data)
    if not data.strip():
        raise JourneyError(f"{name}: the file is empty; export the event log again with its rows.", source=name)
    sample = data[:65536].decode("utf-8", errors="replace")
    if sep is None:
        try:
            sep = csv.Sniffer().sniff(sample.split("\n", 1)[0] + "\n", delimiters=",;\t|").delimiter
        except csv.Error:
            sep = ","
    table = pl.read_csv(io.BytesIO(data), separator=sep, infer_schema=False, encoding="utf8-lossy",
                        truncate_ragged_lines=False)
    if table.height == 0:
        raise JourneyError(f"{name}: has a header but no rows.", source=name)
    return table


def _read_excel(data: bytes) -> pl.DataFrame:
    import pandas as pd

    frame = pd.read_excel(io.BytesIO(data), engine="openpyxl")
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(lambda v: None if v is None or v != v else str(v))
    frame.columns = [str(c) for c in frame.columns]
    return pl.from_pandas(frame)


def _require_roles(table: pl.DataFrame, roles: ColumnRoles, source: str) -> None:
    columns = ", ".join(table.columns[:12]) + (" ..." if len(table.columns) > 12 else "")
    for role, flag in (("case", "--case"), ("activity", "--activity"), ("timestamp", "--timestamp")):
        column = getattr(roles, role)
        if column is None:
            raise JourneyError(f"{source}: no {role} column found among: {columns}. Name it with {flag} COLUMN "
                               "(or pick it in the column mapping).", source=source)
    for role in ("case", "activity", "timestamp", "start_timestamp", "lifecycle"):
        column = getattr(roles, role)
        if column is not None and column not in table.columns:
            raise JourneyError(f"{source}: there is no column '{column}' for the {role.replace('_', ' ')}; the "
                               f"columns are: {columns}.", source=source)


def _parse_time(frame: pl.DataFrame, column: str, fmt: str | None, source: str) -> pl.Series:
    """Epoch microseconds (UTC) for a column; values that do not parse become null (and are counted).

    Polars infers one format from the first values, which fails on files that mix offsets and
    naive times; values it leaves unparsed get a second, per-value ISO-8601 pass (pandas).
    """
    values = frame.get_column(column)
    if isinstance(values.dtype, pl.Datetime):
        moment = values.dt.replace_time_zone("UTC") if values.dtype.time_zone is None else values.dt.convert_time_zone("UTC")
        return moment.dt.cast_time_unit("us").dt.epoch("us")
    if values.dtype == pl.Date:
        return values.cast(pl.Datetime("us")).dt.epoch("us")
    text = values.cast(pl.String).str.strip_chars()
    try:
        parsed = text.str.to_datetime(format=fmt, time_unit="us", time_zone="UTC", strict=False).dt.epoch("us")
    except pl.exceptions.PolarsError:
        parsed = pl.Series(column, [None] * len(text), dtype=pl.Int64)
    present = text.is_not_null() & (text != "")
    # Only values with digits get the second pass: pandas would read words such as "today".
    missed = present & parsed.is_null() & text.str.contains(r"\d")
    if fmt is None and missed.any():
        retry = pd.to_datetime(text.filter(missed).to_pandas(), utc=True, format="ISO8601", errors="coerce")
        fixed = pl.from_pandas(retry).dt.cast_time_unit("us").dt.epoch("us")
        parsed = parsed.scatter(missed.arg_true(), fixed)
    if present.any() and parsed.is_null().sum() == len(parsed):
        example = text.filter(present)[0]
        hint = (f"it does not match the format '{fmt}'" if fmt else
                "name its format, e.g. --timestamp-format '%d/%m/%Y %H:%M' for day-first dates")
        raise JourneyError(f"{source}: column '{column}' has no readable timestamps (for example "
                           f"'{example}'); {hint}.", source=source)
    return parsed.alias(column)


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


def _kind(name: str) -> str:
    for suffix, kind in ((".parquet", "Parquet"), (".xlsx", "Excel"), (".xls", "Excel"), (".xes", "XES")):
        if suffix in name:
            return kind
    return "CSV"
