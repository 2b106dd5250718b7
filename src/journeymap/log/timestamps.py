"""Timestamps from text: ISO 8601 and common formats, and day-first or month-first decided by the values.

A date such as 23/04/2024 can only be day-first and 04/23/2024 only month-first; 03/04/2024 could be
either. A column's order is decided from all its values: one value with a first field over 12 proves
day-first, one with a second field over 12 proves month-first. When no value tells, the column is
refused with `AmbiguousDatesError` (which names formats the user can pass) instead of guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

import pandas as pd
import polars as pl

from journeymap.core.errors import JourneyError

__all__ = ["AmbiguousDatesError", "DayMonth", "day_month", "parse_timestamps", "epoch_unit", "timestamp_share",
           "dated_columns", "clock_times", "clock_share", "has_clock", "present_text", "DAY_FIRST", "MONTH_FIRST"]

DAY_FIRST: Final = "day-first"
MONTH_FIRST: Final = "month-first"
Order = Literal["day-first", "month-first", "ambiguous", "conflicting"]

# Numeric dates with the day and month in the first two fields (never year-first: ISO is not
# ambiguous) and an optional time, as spreadsheets and ticket systems write them.
_NUMERIC_DATE = (r"^\s*(\d{1,2})([/.\-])(\d{1,2})[/.\-](\d{4}|\d{2})"
                 r"(?:(?:[ T]+|,\s*)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:\s*([AaPp])\.?[Mm]\.?)?)?\s*$")
_FIELDS = ("first", "sep", "second", "year", "hour", "minute", "second_of_minute", "fraction", "half")
_ECHO = 100  # characters of a value shown in a message
# A time of day in a column of its own: 14:05, 14:05:33, 14:05:33.250, 2:05 PM, 140533 is not one.
_CLOCK = r"^\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?(?:\s*([AaPp])\.?[Mm]\.?)?\s*$"
# Epoch numbers (`epoch_unit`): whole digits from 2001 to 2286 -> the unit.
_EPOCH = r"^(\d+)(?:\.\d+)?$"
_EPOCH_UNITS = {5: "excel", 10: "s", 13: "ms", 16: "us", 19: "ns"}
# Excel's serial dates: days since 1899-12-30, the time a fraction of a day; 1970 to 2100 only.
_EXCEL_1970, _EXCEL_2100 = 25_569, 73_051
_FIRST_US, _LAST_US = -62_135_596_800_000_000, 253_402_300_799_999_999  # 0001-01-01 to 9999-12-31
_TIME = r"(?:(?:[ T]+|,\s*|:)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:\s*([AaPp])\.?[Mm]\.?)?)?\s*$"
# Dates that name the month in English, so that day and month cannot be mistaken: 23/Mar/26 09:18 AM
# (Jira), 23-MAR-2026 09:18:00 (Oracle), 23 March 2026, Mar 23, 2026 9:18 AM and Monday, March 23, 2026.
_MONTH_NAMES = {name: number for number, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
    ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
    ("dec", "december")), start=1) for name in names}
_WEEKDAY = r"(?:[A-Za-z]{3,9}\.?,?\s+)?"
_DAY_MONTH_NAMED = (r"^\s*" + _WEEKDAY + r"(\d{1,2})(?:st|nd|rd|th)?[/.\- ]+([A-Za-z]{3,9})\.?[/.\-, ]+(\d{4}|\d{2})"
                    + _TIME)
_MONTH_DAY_NAMED = r"^\s*" + _WEEKDAY + r"([A-Za-z]{3,9})\.?[ ]+(\d{1,2})(?:st|nd|rd|th)?,?[ ]+(\d{4})" + _TIME
_NAMED_FIELDS = ("day", "month_name", "year", "hour", "minute", "second_of_minute", "fraction", "half")
_MONTH_WORD = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
# A date's digits and separators, or a day and a month's name, somewhere in a value.
_DATED = (r"(?i)\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}|\d{1,2}(?:st|nd|rd|th)?[/.\- ]+" + _MONTH_WORD + r"[/.\-, ]+\d{2}"
          r"|" + _MONTH_WORD + r" +\d{1,2}(?:st|nd|rd|th)?,? +\d{4}")


class AmbiguousDatesError(JourneyError):
    """Dates that read both day-first and month-first; `formats` maps each order to a format to pass."""

    def __init__(self, message: str, *, source: str, column: str, formats: dict[str, str]) -> None:
        super().__init__(message, source=source)
        self.column = column
        self.formats = formats


@dataclass(frozen=True)
class DayMonth:
    """How a column's numeric dates order day and month, with an example value for each finding."""

    order: Order | None  # None: the column has no numeric day/month dates
    example: str | None = None
    formats: dict[str, str] | None = None  # day-first and month-first formats for the commonest shape
    counter_example: str | None = None  # the value that contradicts `example` when conflicting


def present_text(values: pl.Series) -> pl.Series:
    """A column's values as text, stripped, without nulls and blanks: the values a share is taken of."""
    text = values.cast(pl.String).str.strip_chars()
    return text.filter(text.is_not_null() & (text != ""))


def day_month(values: pl.Series) -> DayMonth:
    """Whether a column's dates such as 03/04/2024 are day-first, month-first, or cannot tell."""
    text = values.cast(pl.String).str.strip_chars()
    return _day_month(_numeric_parts(text.filter(_maybe_numeric(text))))


def _day_month(parts: pl.DataFrame) -> DayMonth:
    matched = parts.filter(pl.col("first").is_not_null())
    if matched.height == 0:
        return DayMonth(None)
    # Evidence is a value that reads one way only; 13/13/2024 reads neither way and proves nothing.
    day_first = matched.filter(pl.col("first").is_between(13, 31) & (pl.col("second") <= 12))
    month_first = matched.filter(pl.col("second").is_between(13, 31) & (pl.col("first") <= 12))
    if day_first.height and month_first.height:
        return DayMonth("conflicting", day_first["text"][0], None, month_first["text"][0])
    if day_first.height:
        return DayMonth(DAY_FIRST, day_first["text"][0])
    if month_first.height:
        return DayMonth(MONTH_FIRST, month_first["text"][0])
    differing = matched.filter(pl.col("first") != pl.col("second"))
    if differing.height == 0:  # 01/01, 02/02 ...: both readings give the same dates
        return DayMonth(DAY_FIRST, matched["text"][0])
    example = differing["text"][0]
    return DayMonth("ambiguous", example, _formats(example))


def parse_timestamps(values: pl.Series, fmt: str | None = None, *, source: str = "events",
                     column: str | None = None) -> pl.Series:
    """Epoch microseconds (UTC) for a column of timestamps; values that do not parse become null.

    Epoch numbers (`epoch_unit`) are read by their size when no format is given. A moment a
    calendar cannot show (before year 1 or after 9999: a number read in the wrong unit) is null.
    """
    column = column or values.name
    unit = epoch_unit(values) if fmt is None else None
    parsed = _from_epoch(values, unit) if unit else _parse(values, fmt, source=source, column=column)
    return parsed.to_frame("t").select(pl.when(pl.col("t").is_between(_FIRST_US, _LAST_US))
                                       .then(pl.col("t")).cast(pl.Int64).alias(column)).to_series()


def epoch_unit(values: pl.Series) -> str | None:
    """The unit ("s", "ms", "us", "ns", "excel") when every present value is an epoch number in it, else None.

    Seconds, milliseconds, microseconds and nanoseconds since 1970 each have their own number of
    digits from 2001 to 2286 (10, 13, 16, 19), as databases and JSON exports write them; seconds
    may carry a fraction. Five digits, from 1970 to 2100, are Excel's serial dates (days, the time
    as a fraction), as a CSV saved from a sheet in the General format holds them. Only for a column
    that is the timestamp by name or by choice, or whose name has a time word ("ts_ms"): detection by
    values alone never takes numbers for times (ids and amounts look the same).
    """
    if not (values.dtype.is_integer() or values.dtype == pl.String):
        return None
    at = values.is_not_null().arg_max()
    first = values[at] if at is not None else None
    if first is None or not re.fullmatch(_EPOCH, str(first).strip()):  # most columns fail here, at once
        return None
    present = present_text(values)
    digits = present.str.extract(_EPOCH).str.len_chars()
    if present.len() == 0 or digits.null_count() or digits.min() != digits.max():
        return None
    unit = _EPOCH_UNITS.get(int(digits[0]))
    if unit == "excel":
        days = present.str.extract(_EPOCH).cast(pl.Int64)
        return unit if _EXCEL_1970 <= int(days.min()) and int(days.max()) <= _EXCEL_2100 else None  # type: ignore[arg-type]
    fraction = present.str.contains(r"\.").any()
    return unit if unit and (unit == "s" or not fraction) else None


def _from_epoch(values: pl.Series, unit: str) -> pl.Series:
    """Epoch microseconds from epoch numbers in `unit` (seconds with their fraction to the microsecond,
    Excel's days to the millisecond, as Excel shows them)."""
    text = values.cast(pl.String).str.strip_chars()
    if unit == "excel":
        days = text.cast(pl.Float64, strict=False) - _EXCEL_1970
        return ((days * 86_400_000).round(0) * 1_000).cast(pl.Int64)
    whole = text.str.extract(r"^(\d+)").cast(pl.Int64)
    if unit == "s":
        fraction = text.str.extract(r"\.(\d+)$").fill_null("0").str.slice(0, 6).str.pad_end(6, "0").cast(pl.Int64)
        return whole * 1_000_000 + fraction
    return whole * 1_000 if unit == "ms" else whole if unit == "us" else whole // 1_000


def clock_times(values: pl.Series) -> pl.Series:
    """Microseconds since midnight for times of day (`_CLOCK`); null for other values and impossible times."""
    parts = (values.cast(pl.String).str.extract_groups(_CLOCK)
             .struct.rename_fields(["hour", "minute", "second", "fraction", "half"]).struct.unnest())
    hour, half = pl.col("hour").cast(pl.Int64), pl.col("half").str.to_lowercase()
    valid = pl.when(half.is_null()).then(hour <= 23).otherwise(hour.is_between(1, 12))
    hour = pl.when(half == "p").then(hour % 12 + 12).when(half == "a").then(hour % 12).otherwise(hour)
    minute, second = pl.col("minute").cast(pl.Int64), pl.col("second").cast(pl.Int64).fill_null(0)
    fraction = pl.col("fraction").str.pad_end(6, "0").cast(pl.Int64).fill_null(0)
    valid = valid & (minute <= 59) & (second <= 59)
    micros = ((hour * 60 + minute) * 60 + second) * 1_000_000 + fraction
    return parts.select(pl.when(valid).then(micros).alias(values.name)).to_series()


def clock_share(values: pl.Series) -> float:
    """Share of a column's non-empty values that are times of day (for detection)."""
    present = present_text(values)
    return float(clock_times(present).is_not_null().mean() or 0.0) if present.len() else 0.0  # type: ignore[arg-type]


def has_clock(values: pl.Series) -> bool:
    """Whether any value of a timestamp column carries a time of day (a date-only column has none)."""
    if isinstance(values.dtype, pl.Datetime):
        return bool((values.dt.epoch("us") % 86_400_000_000 != 0).any())
    if values.dtype == pl.Date:
        return False
    return bool(values.cast(pl.String).str.contains(r"\d:\d").any())


def _parse(values: pl.Series, fmt: str | None, *, source: str, column: str) -> pl.Series:
    """`parse_timestamps` for values that are not epoch numbers.

    Offsets are converted to UTC and naive times taken as UTC. With `fmt` (strftime/chrono codes) only
    that format is read. Without it, numeric day/month dates get their order from the values (raising
    `AmbiguousDatesError` when none tells, JourneyError when they contradict each other), and the rest
    is read by Polars' format inference with a per-value ISO 8601 pass for what it leaves (files that
    mix offsets and naive times).
    """
    column = column or values.name
    if isinstance(values.dtype, pl.Datetime):
        moment = (values.dt.replace_time_zone("UTC") if values.dtype.time_zone is None
                  else values.dt.convert_time_zone("UTC"))
        return moment.dt.cast_time_unit("us").dt.epoch("us").alias(column)
    if values.dtype == pl.Date:
        return values.cast(pl.Datetime("us")).dt.epoch("us").alias(column)
    text = values.cast(pl.String).str.strip_chars()
    if fmt is not None:
        return _with_format(text, fmt, column)
    parsed = pl.Series(column, [None] * len(text), dtype=pl.Int64)
    numeric = pl.Series([False] * len(text))
    maybe = _maybe_numeric(text)
    if maybe.any():
        where = maybe.arg_true()
        parts = _numeric_parts(text.gather(where))
        matched = parts["first"].is_not_null()
        if matched.any():
            order = _order_or_raise(parts, source, column)
            parsed = parsed.scatter(where, _from_parts(parts, order))
            numeric = numeric.scatter(where, matched)
    if not numeric.any():
        return _inferred(text).alias(column)
    rest = text.is_not_null() & (text != "") & ~numeric
    if rest.any():
        parsed = parsed.scatter(rest.arg_true(), _inferred(text.filter(rest)))
    return parsed


def timestamp_share(values: pl.Series) -> float:
    """Share of a column's non-empty values that read as timestamps (never raises; for detection)."""
    if isinstance(values.dtype, (pl.Datetime, pl.Date)):
        return 1.0 if values.len() else 0.0
    if values.dtype != pl.String:
        return 0.0
    present = present_text(values)
    if present.len() == 0:
        return 0.0
    # Plain numbers (amounts, ids, years) are not event times, even where a parser would take them.
    dated = present.filter(present.str.contains(_DATED))
    if dated.len() == 0:
        return 0.0
    numeric = _maybe_numeric(dated)
    if numeric.any():
        numeric = numeric.scatter(numeric.arg_true(), _numeric_parts(dated.filter(numeric))["first"].is_not_null())
    readable = int(numeric.sum())
    if readable < dated.len():
        readable += int(_inferred(dated.filter(~numeric)).is_not_null().sum())
    return readable / present.len()


def dated_columns(frame: pl.DataFrame) -> set[str]:
    """The text columns with a value that holds a date's digits: of the others `timestamp_share`
    is 0 (and one pass over all columns costs a fraction of one `timestamp_share` per column)."""
    text = [column for column, dtype in frame.schema.items() if dtype == pl.String]
    if not text:
        return set()
    found = frame.select(pl.col(column).str.contains(_DATED).any() for column in text).row(0)
    return {column for column, dated in zip(text, found) if dated}


def _maybe_numeric(text: pl.Series) -> pl.Series:
    """Values that may be numeric day/month dates: a separator second or third (ISO has digits there).

    A cheap test on two characters, so that ISO columns skip the pattern match.
    """
    return text.str.slice(1, 2).str.contains(r"[/.\-]").fill_null(False)


def _numeric_parts(text: pl.Series) -> pl.DataFrame:
    """The fields of numeric day/month dates (null where a value is not one), beside the text."""
    groups = text.str.extract_groups(_NUMERIC_DATE).struct.rename_fields(list(_FIELDS))
    frame = groups.struct.unnest().with_columns(text.alias("text"), pl.col("year").str.len_chars().alias("year_digits"))
    return frame.with_columns(pl.col("first", "second", "year").cast(pl.Int32))


def _order_or_raise(parts: pl.DataFrame, source: str, column: str) -> str:
    found = _day_month(parts)
    if found.order == "ambiguous":
        formats = found.formats or {}
        raise AmbiguousDatesError(
            f"{source}: column '{column}' has dates such as '{_cut(found.example)}' that read day-first or "
            f"month-first, and no value tells which; choose with --timestamp-format '{formats[DAY_FIRST]}' "
            f"(day-first) or --timestamp-format '{formats[MONTH_FIRST]}' (month-first).",
            source=source, column=column, formats=formats)
    if found.order == "conflicting":
        raise JourneyError(
            f"{source}: column '{column}' has day-first dates such as '{_cut(found.example)}' and month-first "
            f"ones such as '{_cut(found.counter_example)}'; export the column in one date format, or name "
            "the format with --timestamp-format.", source=source)
    return found.order or DAY_FIRST


def _from_parts(parts: pl.DataFrame, order: str) -> pl.Series:
    """Epoch microseconds from numeric date fields read in the given order (invalid dates are null)."""
    day, month = ("first", "second") if order == DAY_FIRST else ("second", "first")
    year = pl.col("year")
    two_digit = pl.col("year") < 100
    # Python's %y rule: 69-99 are the 1900s, 00-68 the 2000s.
    year = pl.when(two_digit & (year >= 69)).then(year + 1900).when(two_digit).then(year + 2000).otherwise(year)
    hour = pl.col("hour").cast(pl.Int32).fill_null(0)
    half = pl.col("half").str.to_lowercase()
    hour = (pl.when(half == "p").then(hour % 12 + 12).when(half == "a").then(hour % 12).otherwise(hour))
    fraction = pl.col("fraction").fill_null("0").str.slice(0, 6).str.pad_end(6, "0")
    iso = pl.format("{}-{}-{} {}:{}:{}.{}", year.cast(pl.String).str.pad_start(4, "0"),
                    pl.col(month).cast(pl.String).str.pad_start(2, "0"),
                    pl.col(day).cast(pl.String).str.pad_start(2, "0"), hour.cast(pl.String).str.pad_start(2, "0"),
                    pl.col("minute").fill_null("00"), pl.col("second_of_minute").fill_null("00"), fraction)
    moment = parts.select(iso.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us", time_zone="UTC",
                                              strict=False).dt.epoch("us")).to_series()
    return moment.cast(pl.Int64)


def _with_format(text: pl.Series, fmt: str, column: str) -> pl.Series:
    try:
        moment = text.str.to_datetime(format=fmt, time_unit="us", time_zone="UTC", strict=False)
    except pl.exceptions.PolarsError:  # a format Polars cannot use reads nothing
        return pl.Series(column, [None] * len(text), dtype=pl.Int64)
    return moment.dt.epoch("us").alias(column)


def _inferred(text: pl.Series) -> pl.Series:
    """Polars' format inference, then dates with a month's name and a per-value ISO 8601 pass for
    the values it leaves."""
    try:
        parsed = text.str.to_datetime(time_unit="us", time_zone="UTC", strict=False).dt.epoch("us")
    except pl.exceptions.PolarsError:  # no format fits the first values
        parsed = pl.Series(text.name, [None] * len(text), dtype=pl.Int64)
    missed = parsed.is_null() & text.is_not_null()
    if missed.any():
        where = missed.arg_true()
        # Only values with digits get the second passes: pandas would read words such as "today".
        where = where.filter(text.gather(where).str.contains(r"\d"))
        parsed = parsed.scatter(where, _named_month(text.gather(where)))
        where = where.filter(parsed.gather(where).is_null())
        if where.len():
            # "UTC" or "GMT" after the time (BigQuery's exports) is the offset +00:00. Named plainly: a
            # column name with a NUL byte cannot cross to pandas.
            values = text.gather(where).str.replace(r"(?i)\s*\b(?:UTC|GMT)$", "+00:00").alias("timestamp").to_pandas()
            retry = pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")
            parsed = parsed.scatter(where, pl.Series(retry).dt.cast_time_unit("us").dt.epoch("us"))
    return parsed.cast(pl.Int64)


def _named_month(text: pl.Series) -> pl.Series:
    """Epoch microseconds of dates that name their month in English (null for other values)."""
    day_first = text.str.extract_groups(_DAY_MONTH_NAMED).struct.rename_fields(list(_NAMED_FIELDS)).struct.unnest()
    month_first = (text.str.extract_groups(_MONTH_DAY_NAMED)
                   .struct.rename_fields(["month_name", "day", *_NAMED_FIELDS[2:]]).struct.unnest())
    matched = day_first.get_column("day").is_not_null()  # the two shapes never both match
    parts = pl.DataFrame([pl.select(pl.when(matched).then(day_first.get_column(name))
                                    .otherwise(month_first.get_column(name))).to_series().alias(name)
                          for name in _NAMED_FIELDS])
    month = parts.get_column("month_name").str.to_lowercase().replace_strict(
        _MONTH_NAMES, default=None, return_dtype=pl.Int32)  # not a month's name: no date
    return _from_parts(parts.with_columns(pl.col("day").cast(pl.Int32).alias("first"), month.alias("second"),
                                          pl.col("year").cast(pl.Int32)), DAY_FIRST)


def _formats(example: str) -> dict[str, str]:
    """The day-first and month-first formats that read a value of this shape."""
    parts = _numeric_parts(pl.Series([example])).row(0, named=True)
    sep, year = parts["sep"], "%Y" if parts["year_digits"] == 4 else "%y"
    time = ""
    if parts["hour"] is not None:
        hour = "%I" if parts["half"] else "%H"
        time = f" {hour}:%M" + (":%S" if parts["second_of_minute"] is not None else "")
        time += "%.f" if parts["fraction"] is not None else ""
        time += " %p" if parts["half"] else ""
    return {DAY_FIRST: f"%d{sep}%m{sep}{year}{time}", MONTH_FIRST: f"%m{sep}%d{sep}{year}{time}"}


def _cut(value: str | None) -> str:
    value = value or ""
    return value if len(value) <= _ECHO else value[:_ECHO] + "…"
