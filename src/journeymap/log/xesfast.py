"""XES read by a compiled parser (xml2arrow: Rust, quick-xml) under the contract of `journeymap.log.xes`.

`journeymap.log.xes` feeds expat and builds the columns in Python: some 2.3 s of CPU for a BPIC-size
log (300,000 events, 75 MB). xml2arrow extracts the attributes of traces and events into Arrow
columns (a row per attribute, with its trace and position) in a fifth of that, two halves of a large
document at once on two cores, and Arrow and NumPy turn the rows into our reader's table: the same
columns in the same order, the same text, the same rows set aside. This reader never words a
refusal: whenever it cannot promise our reader's answer it raises `Unsure` (`fast_scan` returns
None) and `journeymap.log.xes` reads the file itself, with its own sentences. It is unsure of:

- what quick-xml does not check: a DOCTYPE (entities, which our reader refuses), an encoding other
  than UTF-8, text before the root, a root not named log, a document not ending with the log's end
  tag (a truncated file), a second root, an entity reference neither predefined nor a character
  reference, a '<' or a character XML forbids in a key or value;
- a limit our reader might reach: half a megabyte without a '<' (a tag or value near the cell
  limit), more elements it does not show than could nest down to the depth limit, more attribute
  keys than could reach the column limit; gzip past the decompression limit; too little memory
  under the process's address-space cap (journeymap.log.isolate's upload budget);
- what our reader answers by counting: events outside a trace, a trace without children (its
  number names the traces after it), an event without attributes, a log without events;
- an event attribute named like a case column (our reader keeps the trace's value), a parse error.

Attribute types: the parser is configured for the types met in the first megabyte (fewer columns
to fill make it faster); if the traces hold elements the tables do not show, they may be attributes
of another type, and the document is parsed again for all six.

The checks on the bytes (the prolog through expat, counting '<', looking for '&') run while
xml2arrow parses (it releases the GIL). Markup inside the log that the tables do not cover is not
checked: a malformed element name, a comment holding '--', an undeclared namespace prefix or a
control character outside keys and values are read here where our reader refuses the file.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from xml.parsers import expat

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from journeymap.core.errors import JourneyError
from journeymap.log.limits import GZIP_MAGIC, CappedGzipReader, Limits

__all__ = ["READER_ENV", "SCALAR_TYPES", "FastTable", "Unsure", "available", "fast_scan", "fast_table"]

# Scalar attribute types of the XES standard (journeymap.log.xes reads the same); <list> and <container>
# carry no single value.
SCALAR_TYPES = ("string", "date", "int", "float", "boolean", "id")
# JOURNEYMAP_XES_READER=python reads every XES file with our reader (for comparisons, or to rule this one out).
READER_ENV = "JOURNEYMAP_XES_READER"
# Peak memory of a fast reading, in bytes per byte of XML (measured: some 4 on a BPIC-size log).
_MEMORY_PER_BYTE = 6
CASE_ID = "case:concept:name"
_TRACE, _CHILD = "<trace>", "<child>"
_PROLOG_PIECE = 64 << 10
_PROLOG_MAX = 4 << 20  # a root element later than this is our reader's to find
_SNIFF_BYTES = 1 << 20  # the types of attribute used in the first megabyte are those parsed for
_SPLIT_BYTES = 8 << 20  # smaller documents parse in one piece
# The attributes read sit at level 4 at most (log, trace, event, attribute).
_USED_LEVELS = 4
_BAD_REFERENCE = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)")
_ROOT_END = re.compile(rb"</(?:[^\s<>/:]+:)?log\s*>\s*\Z")
_TRACE_START = re.compile(rb"<trace[\s/>]")
_TRACE_END = b"</trace>"
_TYPE_TAG = re.compile(rb"<(?:[^\s<>/:!?]+:)?(" + "|".join(SCALAR_TYPES).encode() + rb")[\s/>]")


class Unsure(Exception):
    """The fast reader cannot promise our reader's answer for this file; the message says why."""


class _OtherTypes(Unsure):
    """Elements the tables do not show sit inside traces: they may be attributes of a type not parsed for."""


@dataclass(frozen=True)
class FastTable:
    """The table of events and the events set aside (always none: a file with some is our reader's)."""

    frame: pl.DataFrame
    skipped: dict[str, int]


def fast_scan(source: Path | bytes, name: str, byte_limit: int, limits: Limits) -> FastTable | None:
    """The table of an XES file or its bytes (gzip or plain) as our reader makes it; None: our reader's to read.

    None when xml2arrow is not installed or JOURNEYMAP_XES_READER=python, when the file cannot be
    read or decompressed within `byte_limit` (our reader words why), when the process's memory cap
    (the upload budget of journeymap.log.isolate) leaves too little room, or when this reader is unsure.
    """
    if os.environ.get(READER_ENV, "").strip().lower() == "python" or not available():
        return None
    raw = source if isinstance(source, bytes) else _file_bytes(source)
    if raw is None:
        return None
    size = len(raw)
    if raw[:2] == GZIP_MAGIC and len(raw) >= 18:
        size = max(size, int.from_bytes(raw[-4:], "little"))  # the trailer's size (modulo 4 GiB)
    if not _memory_allows((_MEMORY_PER_BYTE + 1) * size):
        return None
    try:
        data = _decompressed(raw, name, byte_limit)
        limits = limits.resolved()
        return fast_table(data, int(limits.xml_depth), int(limits.columns), limits.cell_bytes)  # type: ignore[arg-type]
    except (Unsure, JourneyError, MemoryError):
        return None


def _file_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _decompressed(raw: bytes, name: str, limit: int) -> bytes:
    """The document's bytes: gzip data through the capped reader (a JourneyError past the limit)."""
    if raw[:2] != GZIP_MAGIC:
        return raw
    reader = CappedGzipReader(io.BytesIO(raw), name, limit)
    pieces = []
    while piece := reader.read(1 << 20):
        pieces.append(piece)
    return b"".join(pieces)


def _memory_allows(need: int) -> bool:
    """Whether the address-space cap, if the process has one (journeymap.log.isolate sets it), leaves `need` bytes."""
    try:
        import resource
    except ImportError:  # Windows: no cap
        return True
    cap = resource.getrlimit(resource.RLIMIT_AS)[0]
    if cap == resource.RLIM_INFINITY:
        return True
    try:
        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return False
    return cap - used > need


def available() -> bool:
    """Whether xml2arrow is installed (and loads)."""
    return _parser(SCALAR_TYPES) is not None


@cache
def _parser(types: tuple[str, ...]) -> Any:
    """An xml2arrow parser for these attribute types, compiled once per process (None: not installed)."""
    try:
        from xml2arrow import XmlToArrowParser
    except ImportError:
        return None
    # The parser compiles its configuration from a file; the file is not needed after.
    handle, path = tempfile.mkstemp(suffix=".yaml", prefix="journeymap-xes-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(_config(types))
        return XmlToArrowParser(path)
    finally:
        os.unlink(path)


def _config(types: tuple[str, ...]) -> str:
    """Three tables: the log's children, a trace's children, an event's children; key and value by type.

    The log table's fields are never filled (traces and events carry no XML attributes of their own);
    they make every <trace> and <event> under the log a row of it, so its rows count both.
    """
    def pairs(parent: str) -> str:
        return "".join(f"      - {{name: {kind}_{part}, xml_path: {parent}/{kind}/@{part}, data_type: Utf8, "
                       "nullable: true}\n" for kind in types for part in ("key", "value"))

    return ("tables:\n"
            "  - name: log\n    xml_path: /log\n    levels: [trace]\n    fields:\n"
            "      - {name: trace_mark, xml_path: /log/trace/@journeymap, data_type: Utf8, nullable: true}\n"
            "      - {name: event_mark, xml_path: /log/event/@journeymap, data_type: Utf8, nullable: true}\n"
            "  - name: trace\n    xml_path: /log/trace\n    levels: [trace, child]\n    fields:\n"
            f"{pairs('/log/trace')}"
            "  - name: event\n    xml_path: /log/trace/event\n    levels: [trace, child]\n    fields:\n"
            f"{pairs('/log/trace/event')}")


def fast_table(data: bytes, depth_limit: int, column_limit: int, cell_bytes: int) -> FastTable:
    """The table our reader makes of this XES document (its decompressed bytes), or `Unsure`."""
    if _parser(SCALAR_TYPES) is None:
        raise Unsure("xml2arrow is not installed")
    found = {match.group(1).decode() for match in _TYPE_TAG.finditer(data, 0, _SNIFF_BYTES)}
    types = tuple(kind for kind in SCALAR_TYPES if kind in found) or SCALAR_TYPES
    parts, counts = _parse(data, types, cell_bytes)

    def exact() -> None:
        _exact_limits(data, depth_limit, column_limit)

    try:
        return _assemble(parts, counts, types, depth_limit, column_limit, exact)
    except _OtherTypes:  # the document may hold types the first megabyte did not: parse for all of them
        parts, counts = _parse(data, SCALAR_TYPES, cell_bytes)
        return _assemble(parts, counts, SCALAR_TYPES, depth_limit, column_limit, exact)


def _exact_limits(data: bytes, depth_limit: int, column_limit: int) -> None:
    """Depth and attribute keys as our reader counts them, by expat with two small handlers (`Unsure` past one).

    Used only when the counts of '<' cannot show the limits are far: a log with many nested
    attributes, lists or containers. It costs about half of our reader's time.
    """
    scalar = frozenset(SCALAR_TYPES)
    keys: set[str] = set()
    depth = 0

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        if depth >= depth_limit:
            raise Unsure("nesting past the depth limit")
        if depth in (2, 3) and tag.rpartition("}")[2] in scalar:
            key = attrs.get("key")
            if key is not None and "value" in attrs and key not in keys:
                keys.add(key)
                if len(keys) > column_limit:
                    raise Unsure("more attribute keys than the column limit")
        depth += 1

    def end(tag: str) -> None:
        nonlocal depth
        depth -= 1

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler, parser.EndElementHandler = start, end
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise Unsure(f"expat: {error}") from None


@dataclass(frozen=True)
class _Counts:
    """The '<' of the document before its first trace, from it to the end of the last, and after."""

    header: int
    traces: int
    trailer: int


def _parse(data: bytes, types: tuple[str, ...], cell_bytes: int) -> tuple[list[dict[str, Any]], _Counts]:
    """xml2arrow's tables of each piece of the document, and the byte checks made meanwhile."""
    parser = _parser(types)
    pieces = _pieces(data)
    parsed: list[dict[str, Any]] = [{} for _ in pieces]
    workers = [threading.Thread(target=_parse_into, args=(parser, piece, types, out), daemon=True)
               for piece, out in zip(pieces, parsed)]
    for worker in workers:
        worker.start()  # xml2arrow releases the GIL: the pieces parse side by side, the checks beside them
    try:
        counts = _check_bytes(data, cell_bytes)
    finally:
        for worker in workers:
            worker.join()
    for out in parsed:
        if "error" in out:
            raise Unsure(f"xml2arrow: {out['error']}")
    return [out["tables"] for out in parsed], counts


def _pieces(data: bytes) -> list[Callable[[], Any]]:
    """The document as one piece, or as two documents cut before a trace near its middle.

    The first piece is read from the document's own bytes up to the cut (a reader, not a copy) and
    ends there: quick-xml stops at the end of its input without asking for the open elements' end
    tags. The second is a copy from the cut on, behind an added <log>. A cut that is not between two
    traces of the log (inside a comment, a nested element) makes the second piece ill-formed, so
    xml2arrow refuses it and our reader reads the file.
    """
    if len(data) < _SPLIT_BYTES or _cores() < 2:
        return [lambda: data]
    cut = _TRACE_START.search(data, len(data) // 2)
    if cut is None:
        return [lambda: data]
    return [lambda: _Prefix(data, cut.start()), lambda: b"<log>" + data[cut.start():]]


class _Prefix:
    """The first `end` bytes of the document as a file xml2arrow reads (in pieces, without a copy of them all)."""

    def __init__(self, data: bytes, end: int) -> None:
        self._view, self._at, self._end = memoryview(data), 0, end

    def read(self, size: int = -1) -> bytes:
        stop = self._end if size < 0 else min(self._end, self._at + size)
        piece = self._view[self._at:stop].tobytes()
        self._at = stop
        return piece


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _parse_into(parser: Any, source: Callable[[], Any], types: tuple[str, ...], out: dict[str, Any]) -> None:
    """Parse one piece, and make its child rows (Arrow and NumPy release the GIL: this too runs beside the rest)."""
    try:
        tables = parser.parse(source())
        out["tables"] = {"log": tables["log"].column(_TRACE).to_numpy(),
                         "trace": _Children.of_batch(tables["trace"], types),
                         "event": _Children.of_batch(tables["event"], types)}
    except MemoryError:
        out["error"] = "out of memory"
    except Exception as error:  # noqa: BLE001 - any parse failure is our reader's to word
        out["error"] = f"{type(error).__name__}: {str(error)[:200]}"


def _check_bytes(data: bytes, cell_bytes: int) -> _Counts:
    """What quick-xml does not check, on the bytes, and the counts of '<' for the depth bound."""
    _check_prolog(data)
    if not _ROOT_END.search(data[-4096:]):
        raise Unsure("the document does not end with the log's end tag")
    # No stretch of half the cell limit without a '<': every tag and value is shorter than the limit.
    window = max(cell_bytes // 2, 1)
    for start in range(0, len(data) - window, window):
        if data.find(b"<", start, start + window) < 0:
            raise Unsure("a stretch of the document without markup is near the cell limit")
    if data.find(b"&") >= 0 and _BAD_REFERENCE.search(data):
        raise Unsure("an entity reference that is neither predefined nor a character")
    first, last = _TRACE_START.search(data), data.rfind(_TRACE_END)
    if first is None or last < first.start():
        raise Unsure("no <trace> element spelled without a prefix")
    last += len(_TRACE_END)
    return _Counts(data.count(b"<", 0, first.start()), data.count(b"<", first.start(), last),
                   data.count(b"<", last))


class _Root(Exception):
    pass


def _check_prolog(data: bytes) -> None:
    """Expat on the document up to its root element: declaration, encoding, DOCTYPE, text before the root."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise Unsure("UTF-16")
    found: dict[str, Any] = {}
    parser = expat.ParserCreate(namespace_separator="}")

    def declaration(version: str, encoding: str | None, standalone: int) -> None:
        found["encoding"] = encoding

    def doctype(*_: object) -> None:
        raise Unsure("a DOCTYPE (our reader refuses its entities)")

    def root(tag: str, attrs: object) -> None:
        found["root"] = tag.rpartition("}")[2]
        raise _Root

    parser.XmlDeclHandler = declaration
    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = root
    try:
        for start in range(0, min(len(data), _PROLOG_MAX), _PROLOG_PIECE):
            parser.Parse(data[start:start + _PROLOG_PIECE], False)
    except _Root:
        pass
    except expat.ExpatError as error:
        raise Unsure(f"expat: {error}") from None
    if found.get("root") != "log":
        raise Unsure("no <log> root element near the start")
    encoding = found.get("encoding")
    if encoding is not None and encoding.lower() not in ("utf-8", "utf8"):
        raise Unsure(f"encoding {encoding}")


@dataclass
class _Children:
    """Child rows of traces (or of events) over all pieces: trace number, child number, key, value."""

    trace: np.ndarray
    child: np.ndarray
    key: pa.Array
    value: pa.Array

    @classmethod
    def of_batch(cls, batch: pa.RecordBatch, types: tuple[str, ...]) -> _Children:
        return cls(batch.column(_TRACE).to_numpy().astype(np.int64), batch.column(_CHILD).to_numpy(),
                   _one_of(batch, types, "key"), _one_of(batch, types, "value"))

    @classmethod
    def joined(cls, pieces: list[_Children], offsets: list[int]) -> _Children:
        if len(pieces) == 1:
            return pieces[0]
        return cls(
            np.concatenate([piece.trace + offset for piece, offset in zip(pieces, offsets)]),
            np.concatenate([piece.child for piece in pieces]),
            pa.concat_arrays([piece.key for piece in pieces]),
            pa.concat_arrays([piece.value for piece in pieces]),
        )

    def where(self, keep: np.ndarray) -> _Children:
        if keep.all():
            return self
        mask = pa.array(keep)
        return _Children(self.trace[keep], self.child[keep], self.key.filter(mask), self.value.filter(mask))

    def complete(self) -> np.ndarray:
        """Rows with both a key and a value (our reader skips the others)."""
        return _valid(self.key) & _valid(self.value)


def _one_of(batch: pa.RecordBatch, types: tuple[str, ...], part: str) -> pa.Array:
    """A row's key (or value) whatever its type: a row is one element, so one type column has it."""
    columns = [batch.column(f"{kind}_{part}") for kind in types]
    used = [column for column in columns if column.null_count < len(column)] or columns[:1]
    return used[0] if len(used) == 1 else pc.coalesce(*used)


def _valid(array: pa.Array) -> np.ndarray:
    if not array.null_count:
        return np.ones(len(array), dtype=bool)
    return array.is_valid().to_numpy(zero_copy_only=False)


def _assemble(parts: list[dict[str, Any]], counts: _Counts, types: tuple[str, ...], depth_limit: int,
              column_limit: int, exact: Callable[[], None]) -> FastTable:
    """Our reader's table from xml2arrow's, or `Unsure` where the tables cannot say what it would answer.

    `exact` checks the depth and column limits as our reader does, for when the counts cannot.
    """
    sizes = [len(part["log"]) for part in parts]
    for part, size in zip(parts, sizes):
        if not np.array_equal(part["log"], np.arange(size)):
            raise Unsure("a second root element")
    n_traces = sum(sizes)
    offsets = [int(offset) for offset in np.cumsum([0, *sizes[:-1]])]
    traces = _Children.joined([part["trace"] for part in parts], offsets)
    events = _Children.joined([part["event"] for part in parts], offsets)
    if not len(events.trace):
        raise Unsure("no events")  # our reader says so, or counts events outside traces
    # The log table's rows are traces and events outside a trace, and every trace must show rows of its own:
    # so no event is outside a trace (our reader counts them) and no trace is empty (its number names others).
    if np.count_nonzero(np.diff(traces.trace)) + 1 != n_traces:
        raise Unsure("events outside a trace, or a trace without children")
    # Events in file order: a new (trace, child) pair starts the next one.
    starts = np.empty(len(events.trace), dtype=bool)
    starts[0] = True
    starts[1:] = (np.diff(events.trace) != 0) | (np.diff(events.child) != 0)
    event_id = np.cumsum(starts) - 1
    n_events = int(event_id[-1]) + 1
    # A trace child with neither key nor value is an event, or an attribute lacking both (which ours skips).
    if np.count_nonzero(~_valid(traces.key) & ~_valid(traces.value)) != n_events:
        raise Unsure("an event without attributes, or an attribute with neither key nor value")

    # Elements the tables do not show ('<' left over once they and the certain end tags are counted).
    inside = counts.traces - (n_traces + len(traces.trace) + len(events.trace)) - (n_traces + n_events)
    if inside < 0:
        raise Unsure("fewer '<' than elements")
    if inside and types != SCALAR_TYPES:
        raise _OtherTypes(f"{inside:,} elements inside traces not shown")
    unseen = inside + counts.header + counts.trailer
    # Each may nest a level deeper than the attributes read (our reader refuses past the depth limit), and
    # each may hold an attribute key our reader counts towards the column limit.
    checked = unseen + _USED_LEVELS > depth_limit
    if checked:
        exact()

    event_trace = events.trace[starts]
    traces = traces.where(traces.complete())
    keep = events.complete()
    events, event_id = events.where(keep), event_id[keep]
    keys = pa.concat_arrays([traces.key, events.key]).unique()
    if len(keys) > column_limit or (len(keys) + unseen > column_limit and not checked):
        exact()
    if any(_not_xml(column) for column in (keys, traces.value, events.value)):
        raise Unsure("a '<' or a character XML does not allow in a value")

    # Trace attributes count for the traces that have events (our reader adds a trace at its end).
    has_events = np.zeros(n_traces, dtype=bool)
    has_events[event_trace] = True
    traces = traces.where(has_events[traces.trace])
    with ThreadPoolExecutor(2) as pool:  # the two halves release the GIL in Arrow and NumPy
        spread_cases = pool.submit(_spread, traces.trace, traces.key, traces.value, n_traces)
        event_columns = _spread(event_id, events.key, events.value, n_events)
        case_columns = spread_cases.result()
    if {f"case:{key}" for key in case_columns} & event_columns.keys() or CASE_ID in event_columns:
        raise Unsure("an event attribute named like a case column")
    names = case_columns.pop("concept:name", None)
    if names is None or names.null_count:  # our reader names a trace without one by its number
        numbers = pa.array([f"trace-{number}" for number in range(1, n_traces + 1)])
        names = numbers if names is None else pc.coalesce(names, numbers)
    index = pa.array(event_trace)
    columns = {CASE_ID: names.take(index), **event_columns}
    columns.update({f"case:{key}": values.take(index) for key, values in case_columns.items()})
    frame = pl.from_arrow(pa.table(columns))
    assert isinstance(frame, pl.DataFrame)
    return FastTable(frame, {})


def _not_xml(text: pa.Array) -> bool:
    """Whether any value holds a '<' (the file may have '&lt;' or a bare '<') or a character XML 1.0 forbids."""
    text = text.cast(pa.large_string()) if pa.types.is_string(text.type) else text
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset:text.offset + len(text) + 1]
    if not len(offsets) or offsets[0] == offsets[-1]:
        return False
    raw = np.frombuffer(text.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    if np.any(raw == 0x3C):
        return True
    low = raw < 0x20
    if low.any() and np.any(low & (raw != 0x09) & (raw != 0x0A) & (raw != 0x0D)):
        return True
    # U+FFFE and U+FFFF are EF BF BE and EF BF BF in UTF-8.
    lead = np.flatnonzero(raw[:-2] == 0xEF)
    return bool(lead.size and np.any((raw[lead + 1] == 0xBF) & (raw[lead + 2] >= 0xBE)))


def _spread(ids: np.ndarray, keys: pa.Array, values: pa.Array, n: int) -> dict[str, pa.Array]:
    """Rows (id, key, value) as one text column per key (first seen first) over ids 0..n-1; the last value wins."""
    if not len(keys):
        return {}
    encoded = pc.dictionary_encode(keys)  # codes in the order keys first appear
    codes = encoded.indices.to_numpy()
    names = encoded.dictionary.to_pylist()
    order = np.argsort(codes, kind="stable")  # by key, in file order within a key
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=len(names)))])
    out = {}
    for code, name in enumerate(names):
        rows = order[bounds[code]:bounds[code + 1]]
        where = ids[rows]
        # A key repeated in one event or trace keeps its last value, as a dict does.
        last = np.ones(len(rows), dtype=bool)
        last[:-1] = where[1:] != where[:-1]
        rows, where = rows[last], where[last]
        if len(rows) == n:  # the key in every row: its values are in order already
            out[name] = values.take(pa.array(rows))
            continue
        index = np.full(n, -1, dtype=np.int64)
        index[where] = rows
        out[name] = values.take(pa.array(index, mask=index < 0))
    return out
