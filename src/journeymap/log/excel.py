"""Excel workbooks (.xlsx): every sheet read within bounds, and the sheet(s) holding the events chosen.

An .xlsx file is a zip of XML files, so a few megabytes can expand to gigabytes (a zip bomb), and a
sheet can claim a size of 16,384 columns by a million rows. The zip's stated sizes are checked
against the decompression limit before anything is parsed (Python's zipfile never yields more than
a member's stated size), the sheets are read in openpyxl's streaming mode with the stated size
ignored, and cells are counted against the Excel cell limit and row widths against the column
limit as they are read (see `journeymap.log.limits`).

Formulas: a workbook keeps each formula's last computed value; a file written by a program other
than Excel or LibreOffice often has none, so its cells read empty. Such cells are an error that
says to open and save the file, not a log of zero events.

Sheets: `choose_sheets` takes the sheet whose columns name a case, an activity and a timestamp
(the most rows among equals); sheets with exactly its columns are read together as one log with
the sheet's name in a column `sheet` (a log split by month or year); a named sheet is read alone.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from itertools import islice

import polars as pl

from journeymap.core.errors import JourneyError
from journeymap.core.text import shorten
from journeymap.log.columns import detect_roles
from journeymap.log.csvrows import unique_names
from journeymap.log.limits import Limits, over_limit

__all__ = ["Sheet", "read_sheets", "choose_sheets", "ALL_SHEETS", "SHEET_COLUMN"]

ALL_SHEETS = "*"  # `sheet=` value that reads every sheet with the chosen sheet's columns together
SHEET_COLUMN = "sheet"
_FORMULA_ROWS = 200  # rows of a sheet looked through for formulas without a saved value
_TITLE_ROWS = 20  # rows a title, an export date and blank rows may take above the header


@dataclass
class Sheet:
    """One sheet's rows (text, numbers, datetimes), or the reason it cannot be used."""

    name: str
    frame: pl.DataFrame
    problem: str | None = None  # a sentence, e.g. formulas without values
    notes: list[str] = field(default_factory=list)


def read_sheets(data: bytes, name: str, limits: Limits | None = None) -> list[Sheet]:
    """Every sheet of an .xlsx workbook, in workbook order; JourneyError for a file past a limit or no workbook."""
    import openpyxl

    limits = (limits or Limits()).resolved()
    _check_zip(data, name, limits)
    try:
        values = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (KeyError, ValueError, TypeError, OSError, zipfile.BadZipFile) as error:
        raise JourneyError(f"{name}: could not be read as an Excel workbook ({str(error)[:100]}); save it again as "
                           ".xlsx or CSV.", source=name) from None
    cells_left = int(limits.excel_cells)  # type: ignore[arg-type]
    sheets = []
    try:
        for worksheet in values.worksheets:
            rows, cells_left = _rows(worksheet, name, limits, cells_left)
            rows, notes = _from_header(rows, f"sheet '{worksheet.title}'")
            sheets.append(Sheet(worksheet.title, _frame(rows), notes=notes))
    finally:
        values.close()
    _find_formulas(data, sheets, name)
    return sheets


def choose_sheets(sheets: list[Sheet], name: str, sheet: str | None = None) -> tuple[pl.DataFrame, list[str]]:
    """The table of the sheet(s) to read, with notes saying which sheets were read and which not.

    `sheet` names one sheet, or is `ALL_SHEETS` for every sheet with the same columns as the first
    non-empty one; None chooses (see the module's doc).
    """
    filled = [s for s in sheets if s.frame.height]
    unsaved = next((s.problem for s in sheets if s.problem and not s.frame.height), None)
    if not filled and unsaved:
        raise JourneyError(unsaved, source=name)
    if not filled:
        raise JourneyError(f"{name}: no sheet of the workbook has rows below a header; put the event log on a "
                           "sheet, one row per event with a header row, and save it again.", source=name)
    names = ", ".join(f"'{s.name}'" for s in sheets)
    if sheet is not None and sheet != ALL_SHEETS:
        found = next((s for s in sheets if s.name == sheet), None)
        if found is None:
            raise JourneyError(f"{name}: has no sheet '{sheet[:40]}'; its sheets are {names}.", source=name)
        if not found.frame.height:
            raise JourneyError(f"{name}: the sheet '{sheet[:40]}' has no rows below a header.", source=name)
        chosen = [found]
    else:
        best = filled[0] if sheet == ALL_SHEETS else max(filled, key=lambda s: (_role_count(s), s.frame.height))
        chosen = [s for s in filled if s.frame.columns == best.frame.columns]
        if sheet == ALL_SHEETS and len(chosen) < len(filled):
            other = next(s for s in filled if s not in chosen)
            raise JourneyError(f"{name}: the sheet '{other.name}' has other columns than '{best.name}', so the sheets "
                               "cannot be read as one log; choose one sheet.", source=name)
        if sheet is None and _role_count(best) < 3:
            chosen = [best]
    for found in chosen:
        if found.problem:
            raise JourneyError(found.problem, source=name)
    notes = [note for found in chosen for note in found.notes]
    if len(chosen) == 1:
        frame = chosen[0].frame
        left = [s for s in filled if s is not chosen[0]]
        if left:
            others = ", ".join(f"'{s.name}' ({_rows_of(s)})" for s in left)
            notes.append(f"Read the sheet '{chosen[0].name}' ({_rows_of(chosen[0])}); not read: {others}. Choose "
                         "another sheet with --sheet NAME (or in the app).")
        return frame, notes
    column = SHEET_COLUMN
    while column in chosen[0].frame.columns:
        column += "_"
    frame = pl.concat([s.frame.with_columns(pl.lit(s.name).alias(column)) for s in chosen], how="vertical_relaxed")
    read = ", ".join(f"'{s.name}' ({_rows_of(s)})" for s in chosen)
    notes.append(f"Read the sheets {read} as one log of {frame.height:,} rows: they have the same columns; the "
                 f"column '{column}' says which sheet each row is from. Read one sheet with --sheet NAME (or in "
                 "the app).")
    left = [s for s in filled if s not in chosen]
    if left:
        notes.append("Not read: " + ", ".join(f"'{s.name}' ({_rows_of(s)})" for s in left) + ".")
    return frame, notes


def _rows_of(sheet: Sheet) -> str:
    return f"{sheet.frame.height:,} row{'s' * (sheet.frame.height != 1)}"


def _role_count(sheet: Sheet) -> int:
    roles = detect_roles(sheet.frame.columns)
    return sum(1 for role in (roles.case, roles.activity, roles.timestamp) if role)


def _check_zip(data: bytes, name: str, limits: Limits) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise JourneyError(f"{name}: is not an .xlsx workbook (old .xls files, and files renamed to .xlsx, are "
                           "not read); save it as .xlsx or CSV.", source=name) from None
    with archive:
        total = sum(info.file_size for info in archive.infolist())
    if total > limits.decompressed_bytes:
        raise over_limit(name, f"expands to {total / (1 << 20):,.0f} MB of XML", "decompressed_mb",
                         limits.decompressed_mb)  # type: ignore[arg-type]


def _rows(worksheet: object, name: str, limits: Limits, cells_left: int) -> tuple[list[list[object]], int]:
    """The sheet's rows without trailing empty cells or rows, counted against the limits."""
    worksheet.reset_dimensions()  # type: ignore[attr-defined]  # ignore the size the sheet claims
    width_limit = int(limits.columns)  # type: ignore[arg-type]
    cell_limit = limits.cell_bytes
    rows: list[list[object]] = []
    for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):  # type: ignore[attr-defined]
        cells_left -= len(row)
        if cells_left < 0:
            raise over_limit(name, "has too many cells", "excel_cells", limits.excel_cells)  # type: ignore[arg-type]
        values = list(row)
        while values and (values[-1] is None or values[-1] == ""):
            values.pop()
        if len(values) > width_limit:
            raise over_limit(f"{name}, sheet '{worksheet.title}', row {number}",  # type: ignore[attr-defined]
                             f"has {len(values):,} columns", "columns", width_limit)
        for index, value in enumerate(values):
            if isinstance(value, str) and len(value) > cell_limit:
                raise over_limit(f"{name}, sheet '{worksheet.title}', cell {_cell(index, number)}",  # type: ignore
                                 "has a value too long to read", "cell_kb", limits.cell_kb)  # type: ignore[arg-type]
        rows.append(values)
    while rows and not rows[-1]:
        rows.pop()
    return rows, cells_left


def _from_header(rows: list[list[object]], where: str) -> tuple[list[list[object]], list[str]]:
    """The rows from the header on, and a note when a title stood above it.

    The header is the first row of two values or more, where the rows above it hold one value at
    most (a sheet's title, an export date, blank rows) and it is within the first 20 rows; else the
    first row that is not empty, as before a title was looked for."""
    def count(row: list[object]) -> int:
        return sum(1 for value in row if value is not None and str(value).strip())

    filled = [count(row) for row in rows[:_TITLE_ROWS + 2]]  # the rows a title and header can take, not all
    header = next((i for i, n in enumerate(filled[:_TITLE_ROWS + 1]) if n >= 2), None)
    if header is None or any(n > 1 for n in filled[:header]):
        header = next((i for i, row in enumerate(rows) if count(row)), len(rows))  # stops at the first with a value
        filled = [count(row) for row in rows[:header + 2]]
    notes = []
    titles = [str(value).strip() for row in rows[:header] for value in row if value is not None and str(value).strip()]
    if titles:  # blank rows above the header: nothing to say
        shown = shorten(titles[0], 60)
        notes.append(f"{where}: the rows above the header on row {header + 1} (a title: '{shown}') were left out.")
    if header + 1 < len(rows) and _groups_the_header(rows[header], rows[header + 1], filled[header]):
        groups = ", ".join(f"'{str(v).strip()[:30]}'" for v in rows[header] if v is not None and str(v).strip())
        notes.append(f"{where}: row {header + 1} ({groups}) groups the header's columns; the header is row "
                     f"{header + 2}.")
        header += 1
    return rows[header:], notes


def _groups_the_header(row: list[object], below: list[object], filled: int) -> bool:
    """Whether a row is a group row over the header ("Case", "", "Event", "", ""): the row below it is all
    names (text in every cell) and about twice as full or more ("Case", "", "Event" over three names), and
    each label but the last spans a blank cell after it (a header with unnamed columns at its end is no
    group row)."""
    names = [value for value in below if value is not None and str(value).strip()]
    labels = [i for i, value in enumerate(row) if value is not None and str(value).strip()]
    spans = all(i + 1 < len(below) and (i + 1 >= len(row) or row[i + 1] in (None, "")) for i in labels[:-1])
    return (spans and 2 * filled <= len(names) + 1 and filled < len(names) and len(names) == len(below)
            and all(isinstance(value, str) for value in names))


def _frame(rows: list[list[object]]) -> pl.DataFrame:
    """A table of the rows under the first one: datetime columns as datetimes, everything else text."""
    if not rows:
        return pl.DataFrame()
    width = max(len(row) for row in rows)
    header = unique_names([_header(value, index) for index, value in
                           enumerate(rows[0] + [None] * (width - len(rows[0])))])
    columns = {}
    for index, column in enumerate(header):
        values = [row[index] if index < len(row) else None for row in rows[1:]]
        present = [value for value in values if value is not None and value != ""]
        if present and all(isinstance(value, dt.datetime) for value in present):
            columns[column] = pl.Series(column, [v if isinstance(v, dt.datetime) else None for v in values],
                                        dtype=pl.Datetime("us"))
        else:
            columns[column] = pl.Series(column, [_text(value) for value in values], dtype=pl.String)
    return pl.DataFrame(columns)


def _header(value: object, index: int) -> str:
    text = _text(value)
    return text.strip() if text and text.strip() else f"column {index + 1}"


def _text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value)


def _find_formulas(data: bytes, sheets: list[Sheet], name: str) -> None:
    """Mark each sheet whose first rows hold formulas without a saved value (they read as empty cells)."""
    # A sheet of formulas only reads as no rows at all.
    suspects = [s for s in sheets if not s.frame.height or _has_empty(s.frame)]
    if not suspects:
        return
    import openpyxl

    formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    values = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for sheet in suspects:
            formulas[sheet.name].reset_dimensions()
            values[sheet.name].reset_dimensions()
            found = _first_unsaved(formulas[sheet.name], values[sheet.name])
            if found:
                cell, formula, count = found
                sheet.problem = (f"{name}, sheet '{sheet.name}', cell {cell}: holds a formula ({formula[:60]}) without "
                                 f"a saved value ({count:,} such cells in its first {_FORMULA_ROWS} rows); open the "
                                 "workbook in Excel or LibreOffice and save it (that stores the values), or export "
                                 "the sheet as CSV.")
    finally:
        formulas.close()
        values.close()


def _has_empty(frame: pl.DataFrame) -> bool:
    return bool(frame.head(_FORMULA_ROWS).null_count().sum_horizontal().item())


def _first_unsaved(formulas: object, values: object) -> tuple[str, str, int] | None:
    """The first cell (A1 style) holding a formula whose value is empty, its formula, and how many such cells."""
    first, count = None, 0
    pairs = zip(islice(formulas.iter_rows(), _FORMULA_ROWS + 1),  # type: ignore[attr-defined]
                islice(values.iter_rows(values_only=True), _FORMULA_ROWS + 1))  # type: ignore[attr-defined]
    for number, (formula_row, value_row) in enumerate(pairs, start=1):
        for index, cell in enumerate(formula_row):
            formula = getattr(cell, "value", None)
            value = value_row[index] if index < len(value_row) else None
            if isinstance(formula, str) and formula.startswith("=") and value is None:
                count += 1
                first = first or (_cell(index, number), formula)
    return (*first, count) if first else None


def _cell(index: int, row: int) -> str:
    """A1-style name of the cell at 0-based column `index` in 1-based `row`."""
    letters, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"
