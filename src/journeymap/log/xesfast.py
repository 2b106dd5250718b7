"""XES read by array arithmetic over its bytes (NumPy, Arrow, Polars) under the contract of `journeymap.log.xes`.

`journeymap.log.xes` feeds expat and builds the columns in Python: some 2.2 s of CPU for a BPIC-size
log (300,000 events, 72 MB). Here the tags are found and read by `journeymap.log.xestags` without a
Python step per tag, each attribute goes to its event or trace by the levels of the tags, and Polars
spreads them into our reader's table: the same columns in the same order, the same text. This
reader never words a refusal: whenever it cannot promise our reader's answer it raises `Unsure`
(`fast_scan` returns None) and `journeymap.log.xes` reads the file itself, with its own sentences.
It is unsure of:

- what only a parser of the prolog decides: a DOCTYPE (entities, which our reader refuses), an
  encoding other than UTF-8, text before the root, a root not named log; and what
  `journeymap.log.xestags` is unsure of (bytes that are not UTF-8, characters and references XML
  does not allow, malformed or unusual markup, too many tags not in the usual form);
- a limit our reader might reach: a tag or value near the cell limit, nesting past the depth limit,
  attribute keys past the column limit; gzip past the decompression limit; too little memory
  under the process's address-space cap (journeymap.log.isolate's upload budget);
- what our reader answers by counting: events outside a trace, a log without events;
- an event attribute named like a case column (our reader keeps the trace's value).

Why hand-written and not a compiled parser (measured on that log on this machine): xml2arrow
(Rust) needed 0.4 to 0.55 s of CPU to parse and as much again to turn its rows (one per attribute)
into our table, 1.8 to 2.2 times our reader in all; lxml (libxml2) needs 1.25 s of CPU to build its
tree and 2.5 s to iterparse the events without making a single column; rustxes types the values
(see the README). This scan reads the log in a third to a half of our reader's CPU time and, two parts
of the document at a time, less wall time still.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.parsers import expat

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from journeymap.core.errors import JourneyError
from journeymap.log.limits import GZIP_MAGIC, CappedGzipReader, Limits
from journeymap.log.xestags import EVENT, LOG, TRACE, Document, Tags, Unsure, read_tags

__all__ = ["READER_ENV", "FastTable", "fast_scan", "fast_table"]

# JOURNEYMAP_XES_READER=python reads every XES file with our reader (for comparisons, or to rule this one out).
READER_ENV = "JOURNEYMAP_XES_READER"
# Peak memory of a fast reading, in bytes per byte of XML (measured: some 3.5 on a BPIC-size log).
_MEMORY_PER_BYTE = 6
CASE_ID = "case:concept:name"
_PROLOG_PIECE = 64 << 10
_PROLOG_MAX = 4 << 20  # a root element later than this is our reader's to find


@dataclass(frozen=True)
class FastTable:
    """The table of events and the events set aside (always none: a file with some is our reader's)."""

    frame: pl.DataFrame
    skipped: dict[str, int]


def fast_scan(source: Path | bytes, name: str, byte_limit: int, limits: Limits) -> FastTable | None:
    """The table of an XES file or its bytes (gzip or plain) as our reader makes it; None: our reader's to read.

    None when JOURNEYMAP_XES_READER=python, when the file cannot be
    read or decompressed within `byte_limit` (our reader words why), when the process's memory cap
    (the upload budget of journeymap.log.isolate) leaves too little room, or when this reader is unsure.
    """
    if os.environ.get(READER_ENV, "").strip().lower() == "python":
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
    except Exception:  # noqa: BLE001 - a fault of this reader must not cost the user the file: ours reads it
        return None


def _file_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _decompressed(raw: bytes, name: str, limit: int) -> Document:
    """The document's bytes: gzip data through the capped reader (a JourneyError past the limit).

    Decompressed straight into one buffer of the size the gzip trailer states, one byte more to see
    that it is right (it is modulo 4 GiB, and only the last member's): no pieces to copy and join.
    """
    if raw[:2] != GZIP_MAGIC:
        return raw
    reader = CappedGzipReader(io.BytesIO(raw), name, limit)  # refuses a trailer's size past the limit
    out = bytearray((int.from_bytes(raw[-4:], "little") if len(raw) >= 18 else 0) + 1)
    filled = 0
    while True:
        with memoryview(out) as view:
            while filled < len(out) and (got := reader.readinto(view[filled:])):
                filled += got
        if filled < len(out):
            break
        out.extend(bytes(len(out)))  # the trailer was wrong: twice the room
    del out[filled:]
    return out


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


def fast_table(data: Document, depth_limit: int, column_limit: int, cell_bytes: int) -> FastTable:
    """The table our reader makes of this XES document (its decompressed bytes), or `Unsure`."""
    _check_prolog(data)
    return _assemble(read_tags(data, cell_bytes), depth_limit, column_limit)


class _Root(Exception):
    pass


def _check_prolog(data: Document) -> None:
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


def _assemble(tags: Tags, depth_limit: int, column_limit: int) -> FastTable:
    """Our reader's table from the tags: each attribute to its event or trace by the levels of the tags."""
    depth, meaning, opens = tags.depth, tags.meaning, tags.opens
    starts = ~tags.closes  # start tags and empty elements
    if meaning[0] != LOG:
        raise Unsure("a root not named log")
    if np.any(depth[starts] >= depth_limit):
        raise Unsure("nesting past the depth limit")
    if np.any(starts & (depth == 1) & (meaning == EVENT)):
        raise Unsure("events outside a trace")  # our reader counts them
    index = np.arange(len(depth), dtype=np.int32)

    def parent(level: int) -> np.ndarray:
        """For each tag, the last tag opened at `level` before it: the parent of a tag one level down."""
        return np.maximum.accumulate(np.where(opens & (depth == level), index, np.int32(-1)))

    in_trace, in_event = parent(1), parent(2)
    is_trace = starts & (depth == 1) & (meaning == TRACE)
    trace_number = np.cumsum(is_trace, dtype=np.int32)  # from 1, as our reader numbers traces
    is_event = starts & (depth == 2) & (meaning == EVENT) & is_trace[in_trace]
    n_events, n_traces = int(np.count_nonzero(is_event)), int(trace_number[-1])
    if not n_events:
        raise Unsure("no events")  # our reader says so
    event_number = np.cumsum(is_event, dtype=np.int32) - 1
    event_trace = trace_number[in_trace[is_event]] - 1

    at, code = tags.attribute_tag, tags.key_code
    level = depth[at]
    # Our reader counts the keys of attributes on levels 2 and 3 towards the column limit, wherever they are.
    if np.count_nonzero(np.bincount(code[(level == 2) | (level == 3)])) > column_limit:
        raise Unsure("more attribute keys than the column limit")
    of_event = np.flatnonzero((level == 3) & is_event[in_event[at]])
    of_trace = np.flatnonzero((level == 2) & is_trace[in_trace[at]])
    has_events = np.zeros(n_traces, dtype=bool)
    has_events[event_trace] = True
    trace_of = trace_number[in_trace[at[of_trace]]] - 1
    kept = has_events[trace_of]  # trace attributes count for the traces that have events
    of_trace, trace_of = of_trace[kept], trace_of[kept]
    event_columns = _spread(tags, of_event, event_number[in_event[at[of_event]]], n_events)
    case_columns = _spread(tags, of_trace, trace_of, n_traces)
    if {f"case:{key}" for key in case_columns} & event_columns.keys() or CASE_ID in event_columns:
        raise Unsure("an event attribute named like a case column")
    names = case_columns.pop("concept:name", None)
    if names is None or names.null_count():  # our reader names a trace without one by its number
        numbers = pl.Series([f"trace-{number}" for number in range(1, n_traces + 1)], dtype=pl.String)
        names = numbers if names is None else pl.select(pl.coalesce(names, numbers)).to_series()
    columns = {CASE_ID: names.gather(event_trace), **event_columns}
    columns.update({f"case:{key}": column.gather(event_trace) for key, column in case_columns.items()})
    return FastTable(pl.DataFrame(columns), {})


def _spread(tags: Tags, rows: np.ndarray, ids: np.ndarray, n: int) -> dict[str, pl.Series]:
    """Attribute rows (their owner's id in `ids`) as one text column per key (first seen first) over ids 0..n-1.

    A key repeated in one event or trace keeps its last value, as a dict does.
    """
    if not len(rows):
        return {}
    seen = pc.dictionary_encode(pa.array(tags.key_code[rows]))  # the keys in the order they first appear
    local = seen.indices.to_numpy()
    # By key, in document order within a key (NumPy's stable sort of 16-bit numbers is a radix sort).
    order = np.argsort(local.astype(np.int16) if len(seen.dictionary) < 1 << 15 else local, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(local, minlength=len(seen.dictionary)))])
    out = {}
    for number, key in enumerate(seen.dictionary.to_numpy()):
        chosen = order[bounds[number]:bounds[number + 1]]
        where = ids[chosen]
        last = np.ones(len(chosen), dtype=bool)
        last[:-1] = where[1:] != where[:-1]
        chosen, where = chosen[last], where[last]
        if len(chosen) < n:  # owners without the key get a null
            index = np.full(n, -1, dtype=np.int64)
            index[where] = rows[chosen]
            positions = pl.from_arrow(pa.array(index, mask=index < 0))
            assert isinstance(positions, pl.Series)
        else:
            positions = pl.Series(rows[chosen])
        values = tags.values.gather(positions)  # one gather, straight from the attributes
        out[tags.key_names[key]] = values
    return out
