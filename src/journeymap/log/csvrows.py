"""A second, line-by-line reading of a CSV file that Polars refused: the table, or the line that is broken.

Polars reads CSV fast but, on a broken file, answers with a parser dump that can echo the file. When
it fails, Python's csv module reads the file again, row by row, keeping the physical line of each row:
files it can read (a stray quote inside a value, a delimiter after the last value of every row) give
their table; otherwise the first broken row becomes one sentence naming the file, line and column.
"""

from __future__ import annotations

import csv
import io
from itertools import islice

import polars as pl

from journeymap.core.errors import JourneyError

__all__ = ["read_rows", "unique_names"]

_ECHO = 100  # characters of the file a message may show
_SCAN_LINES = 10_000  # lines looked through for the quote that opened a value that never closes


def read_rows(data: bytes, sep: str, name: str, skip_lines: int = 0) -> pl.DataFrame:
    """The CSV's rows as text columns, or a JourneyError naming the first broken line and its column;
    the first `skip_lines` lines (a title above the header) are not read, and count in line numbers."""
    text = data.decode("utf-8", errors="replace")
    # The field limit would stop a value that runs to the end of the file after 128 KB; keep it:
    # that is an unclosed quote, and it is found sooner.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    header: list[str] | None = None
    columns: list[list[str | None]] = []
    last_line = 0
    try:
        for row in reader:
            first_line, last_line = last_line + 1, reader.line_num
            if not row or last_line <= skip_lines:
                continue
            if header is None:
                header = unique_names(row)
                columns = [[] for _ in header]
                continue
            if len(row) > len(header):
                if any(value.strip() for value in row[len(header):]):
                    raise JourneyError(
                        f"{name}, line {first_line}: {len(row)} values where the header has {len(header)} "
                        f"columns; check that the delimiter is {_shown(sep)} and that values containing it are "
                        "quoted.", source=name, line=first_line)
                row = row[: len(header)]  # a delimiter after the last value is no extra value
            for column, value in zip(columns, row):
                column.append(value if value != "" else None)
            for column in columns[len(row):]:
                column.append(None)
    except csv.Error as error:
        found = _broken_quote(text, last_line + 1, sep)
        if found is None:
            raise JourneyError(f"{name}, line {last_line + 1}: cannot be read as CSV ({str(error)[:_ECHO]}); export "
                               "the file again.", source=name, line=last_line + 1) from None
        line, field = found
        where = _column_name(header, field, line)
        raise JourneyError(
            f"{name}, line {line}, column {where}: a quote (\") opens a value that is not closed where the "
            "value ends; close it, or write a quote inside a value twice (\"\").", source=name, line=line) from None
    if header is None:
        raise JourneyError(f"{name}: the file is empty; export the event log again with its rows.", source=name)
    return pl.DataFrame({column: values for column, values in zip(header, columns)},
                        schema={column: pl.String for column in header})


def unique_names(row: list[str]) -> list[str]:
    """Header names made unique the way Polars makes them (a second 'a' becomes 'a_duplicated_0')."""
    seen: dict[str, int] = {}
    names = []
    for value in row:
        if value in seen:
            names.append(f"{value}_duplicated_{seen[value]}")
            seen[value] += 1
        else:
            names.append(value)
            seen[value] = 0
    return names


def _broken_quote(text: str, start_line: int, sep: str) -> tuple[int, int] | None:
    """The line and 0-based field where a quote is misplaced or opens a value that never closes."""
    # Lines as the csv module counts them (LF, CRLF or a lone CR each end one).
    lines = islice(io.StringIO(text, newline=""), start_line - 1, start_line - 1 + _SCAN_LINES)
    state, field, opened = "start", 0, None
    for number, content in enumerate(lines, start=start_line):
        for char in content:
            if state == "quoted":
                state = "closing" if char == '"' else "quoted"
            elif state == "closing":  # a quote inside a quoted value: doubled, or the end of the value
                if char == '"':
                    state = "quoted"
                elif char == sep:
                    state, field = "start", field + 1
                elif char in "\r\n":
                    state, field = "start", 0
                else:
                    return number, field  # text after the closing quote
            elif char == sep:
                state, field = "start", field + 1
            elif char in "\r\n":
                state, field = "start", 0
            elif state == "start" and char == '"':
                state, opened = "quoted", (number, field)
            elif char != '"':
                state = "plain"
    return opened if state in ("quoted", "closing") else None


def _column_name(header: list[str] | None, field: int, line: int) -> str:
    if header is None or line == 1 or field >= len(header):
        return str(field + 1)
    name = header[field]
    return f"'{name[:_ECHO]}'" if name.strip() else str(field + 1)


def _shown(sep: str) -> str:
    return {"\t": "a tab", ",": "','", ";": "';'", "|": "'|'"}.get(sep, f"'{sep}'")
