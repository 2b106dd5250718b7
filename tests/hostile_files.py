"""A catalogue of hostile and awkward input files, each made small at test time, with the answer it must get.

Bombs are made to expand past limits lowered for the test (`env`), so each costs kilobytes to
store and milliseconds to refuse; the same shapes at the default limits are the issue's
gigabyte bombs. `answer` is a regular expression the one sentence must match (searched, after
the app's Markdown escapes are removed), or None for a file that must read; `reads` then names
what the reading must show (rows, a note, a count of rows set aside).
"""

from __future__ import annotations

import gzip
import io
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

MB = 1 << 20
HEADER = b"case,activity,timestamp\n"
ROWS = b"".join(b"c%d,%s,2024-01-%02d 10:00\n" % (i // 3, b"abc"[i % 3:i % 3 + 1], 1 + i % 28) for i in range(60))


@dataclass(frozen=True)
class Hostile:
    """One file of the catalogue: its name, how to make its bytes, and the answer it must get."""

    name: str
    make: Callable[[], bytes]
    answer: str | None  # regex of the sentence; None: the file reads
    env: dict[str, str] = field(default_factory=dict)
    reads: dict[str, object] = field(default_factory=dict)  # rows / note / skipped, for files that read

    @property
    def id(self) -> str:
        return self.name


def _zeros_gzip(megabytes: int, head: bytes = b"") -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * MB
    return packer.compress(head) + b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush()


def _xes(body: str) -> bytes:
    return f'<?xml version="1.0"?><log xmlns="http://www.xes-standard.org/">{body}</log>'.encode()


def _event(activity: str, day: int = 1) -> str:
    return (f"<event><string key='concept:name' value='{activity}'/>"
            f"<date key='time:timestamp' value='2024-01-{day:02d}T10:00:00'/></event>")


def _trace(case: str, *activities: str) -> str:
    events = "".join(_event(a, day) for day, a in enumerate(activities, start=1))
    return f"<trace><string key='concept:name' value='{case}'/>{events}</trace>"


def _workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _event_rows(prefix: str, count: int, month: int) -> list[list[object]]:
    return [["case", "activity", "timestamp"]] + [
        [f"{prefix}{i // 3}", "abc"[i % 3], f"2024-{month:02d}-{1 + i % 28:02d} 10:00"] for i in range(count)]


def _xlsx_bomb() -> bytes:
    """A real workbook with one more member that inflates to 64 MB (a zip bomb is such members)."""
    book = io.BytesIO(_workbook({"Events": _event_rows("c", 30, 1)}))
    with zipfile.ZipFile(book, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("xl/worksheets/sheet2.xml", b"<x/>" + b" " * (64 * MB))
    return book.getvalue()


def _formula_only() -> bytes:
    rows: list[list[object]] = [["case", "activity", "timestamp"]]
    rows += [[f'="c"&{i}', '="a"', f"=DATE(2024,1,{1 + i})"] for i in range(5)]
    return _workbook({"Sheet1": rows})


def _list_parquet() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"case": ["c1", "c1", "c2"], "activity": ["a", "b", "a"],
                      "timestamp": ["2024-01-01 10:00", "2024-01-02 10:00", "2024-01-03 10:00"],
                      "tags": [[1, 2], [3], None], "detail": [{"x": 1}, {"x": 2}, {"x": 3}],
                      "blob": [b"\x00\xff", b"ab", b""]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def _big_parquet() -> bytes:
    """20 MB of text uncompressed, a few kilobytes as zstd."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 20_000
    table = pa.table({"case": [f"c{i // 4}" for i in range(n)], "activity": ["a"] * n,
                      "timestamp": ["2024-01-01 10:00"] * n, "note": ["x" * 1000] * n})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd", use_dictionary=False)
    return buffer.getvalue()


def _laughs() -> bytes:
    """Nested entities that would expand to a billion characters (the 'billion laughs')."""
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10))
    return (f'<?xml version="1.0"?><!DOCTYPE log [<!ENTITY e0 "lol">{entities}]>'
            "<log><trace><event><string key='concept:name' value='&e9;'/></event></trace></log>").encode()


SMALL_LIMIT = {"JOURNEYMAP_MAX_DECOMPRESSED_MB": "16"}

CATALOGUE: tuple[Hostile, ...] = (
    Hostile("bomb.csv.gz", lambda: _zeros_gzip(64, HEADER), r"bomb\.csv\.gz: decompresses to more than 16 MB.*"
            r"JOURNEYMAP_MAX_DECOMPRESSED_MB=32", SMALL_LIMIT),
    Hostile("bomb.xes.gz", lambda: gzip.compress(_xes(" " * (64 * MB)), 9),
            r"bomb\.xes\.gz: decompresses to more than 16 MB", SMALL_LIMIT),
    Hostile("bomb.xlsx", _xlsx_bomb, r"bomb\.xlsx: expands to 64 MB of XML \(the limit is 16 MB\).*"
            r"JOURNEYMAP_MAX_DECOMPRESSED_MB=32", SMALL_LIMIT),
    Hostile("big.parquet", _big_parquet, r"big\.parquet: holds \d+ MB of data uncompressed \(the limit is 16 MB\)",
            SMALL_LIMIT),
    Hostile("deep.xes", lambda: _xes("<trace>" + "<container key='k'>" * 5000 + "</container>" * 5000 + "</trace>"),
            r"deep\.xes: nests elements too deeply \(<container> at level 101\) \(the limit is 100 levels\).*"
            r"JOURNEYMAP_MAX_XML_DEPTH=200"),
    Hostile("long.xes.gz", lambda: gzip.compress(_xes("<trace>\n" + _event("v" * (4 * MB)) + "</trace>")),
            r"long\.xes\.gz, line 2: has a value or tag too long to read \(the limit is 1,024 KB\).*"
            r"JOURNEYMAP_MAX_CELL_KB=2048"),
    Hostile("wide.csv", lambda: (",".join(f"c{i}" for i in range(100_000)) + "\n" + ",".join("x" * 100_000) + "\n"
                                 ).encode(),
            r"wide\.csv, line 1: has 100,000 columns \(the limit is 2,000 columns\).*JOURNEYMAP_MAX_COLUMNS=4000"),
    Hostile("long.csv", lambda: HEADER + b"c1,a," + b"9" * (2 * MB) + b"\n" + ROWS,
            r"long\.csv, column 'timestamp', row 1: has a value of 2,048 KB \(the limit is 1,024 KB\)"),
    Hostile("nul.csv", lambda: b"case,act\0ivity,timestamp\n" + ROWS,
            r"nul\.csv, line 1, column 2: the header holds a NUL byte"),
    Hostile("utf16.csv", lambda: (HEADER + ROWS).decode().encode("utf-16"), None, reads={"rows": 60}),
    Hostile("utf16-nobom.csv", lambda: (HEADER + ROWS).decode().encode("utf-16-le"), None, reads={"rows": 60}),
    Hostile("lists.parquet", _list_parquet, None,
            reads={"rows": 3, "note": "2 columns of lists or structs read as JSON text: 'tags', 'detail'."}),
    Hostile("formulas.xlsx", _formula_only, r"formulas\.xlsx, sheet 'Sheet1', cell A2: holds a formula \(=\"c\"&0\) "
                                            r"without a saved value"),
    Hostile("empty.xlsx", lambda: _workbook({"Sheet1": []}), r"empty\.xlsx: no sheet of the workbook has rows"),
    Hostile("months.xlsx", lambda: _workbook({"Jan": _event_rows("j", 250, 1), "Feb": _event_rows("f", 200, 2),
                                              "Notes": [["written by"], ["someone"]]}), None,
            reads={"rows": 450, "note": "Read the sheets 'Jan' (250 rows), 'Feb' (200 rows) as one log of 450 rows"}),
    Hostile("stray.xes", lambda: _xes(_event("stray") + _trace("c1", "a", "b")), None,
            reads={"rows": 2, "skipped": "1 of 3 rows skipped: 1 outside any trace."}),
    Hostile("ragged.csv", lambda: HEADER + b"c1,a,2024-01-01 10:00\nc1,b,2024-01-02 10:00,x,y\n",
            r"ragged\.csv, line 3: 5 values where the header has 3 columns"),
    Hostile("old-mac.csv", lambda: (HEADER + ROWS).replace(b"\n", b"\r"), None, reads={"rows": 60}),
    Hostile("quote.csv", lambda: HEADER + b'c1,"a,2024-01-01 10:00\n' + ROWS * 60,
            r"quote\.csv, line 2, column 'activity': a quote \(\"\) opens a value that is not closed"),
    Hostile("entities.xes", lambda: _laughs(), r"entities\.xes: declares entities; XES needs none"),
)

BOMBS = tuple(h for h in CATALOGUE if h.name.startswith(("bomb", "deep", "long", "wide", "big")))
