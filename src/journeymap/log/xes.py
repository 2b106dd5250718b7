"""Streaming reader for XES event logs (plain or gzip-compressed) into a polars DataFrame.

The output follows the pm4py column convention: one row per ``<event>``, event attributes under
their own key and trace attributes prefixed with ``case:``. All values are kept as strings;
timestamps are left as the raw ISO text for a later stage to parse.

The file is parsed by expat directly, with handlers for element starts and ends only: text between
elements (XES has none that matters) is never collected, so megabytes of whitespace cost no memory.
Expat 2.5 (Python's) re-scans an unfinished token from its start each time more data is fed; fed in
fixed pieces, one long attribute value cost time quadratic in its length (16 MB: 9 s). While the
parser is inside one token, each piece is therefore twice the last, which makes the re-scans a
geometric sum: linear. A value longer than the cell limit is refused while it is still being read,
nesting deeper than the depth limit at its element, and a DOCTYPE's entities are never followed.

`scan_xes` first asks the fast reader of `journeymap.log.xesfast` (a NumPy scan of the bytes), which gives
this reader's answer in less time or leaves the file to this reader (see there);
JOURNEYMAP_XES_READER=python skips it.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.parsers import expat

import polars as pl

from journeymap.core.errors import JourneyError
from journeymap.log.limits import CappedGzipReader, Limits, over_limit

__all__ = ["read_xes", "scan_xes", "XesTable"]

_GZIP_MAGIC = b"\x1f\x8b"
# Scalar attribute types of the XES standard; <list> and <container> carry no single value.
_SCALAR_TYPES = frozenset({"string", "date", "int", "float", "boolean", "id"})
_CASE_ID = "case:concept:name"
# Rows per chunk handed to polars. Python lists holding millions of strings make every full
# garbage collection walk them all, which turned a 1M-event read quadratic; small chunks keep
# that cost bounded and store the strings compactly in Arrow memory as we go.
_CHUNK_ROWS = 50_000
_PIECE = 64 << 10  # bytes fed to expat at a time while it makes progress
_MAX_PIECE = 64 << 20
_OUTSIDE = "outside any trace"


@dataclass
class XesTable:
    """The events of an XES file as text columns, and the events set aside (by reason)."""

    frame: pl.DataFrame
    skipped: dict[str, int] = field(default_factory=dict)


def read_xes(source: str | os.PathLike[str] | bytes, name: str | None = None, *,
             max_decompressed_bytes: int | None = None, limits: Limits | None = None) -> pl.DataFrame:
    """Read an ``.xes`` or ``.xes.gz`` file (or its bytes) into a DataFrame, one string row per event.

    Gzip data is refused once it expands past `max_decompressed_bytes` (default: the limits' own,
    2,048 MB unless JOURNEYMAP_MAX_DECOMPRESSED_MB says). Events outside any trace are not rows;
    `scan_xes` counts them.
    """
    return scan_xes(source, name, max_decompressed_bytes=max_decompressed_bytes, limits=limits).frame


def scan_xes(source: str | os.PathLike[str] | bytes, name: str | None = None, *,
             max_decompressed_bytes: int | None = None, limits: Limits | None = None) -> XesTable:
    """`read_xes` with the count of events it set aside (events directly under the log, outside a trace)."""
    path = source if isinstance(source, bytes) else Path(source)
    name = name or (path.name if isinstance(path, Path) else "upload.xes")
    limits = (limits or Limits()).resolved()
    byte_limit = max_decompressed_bytes if max_decompressed_bytes is not None else limits.decompressed_bytes
    # The fast reader first (journeymap.log.xesfast), which gives this reader's answer or leaves the file to it.
    from journeymap.log.xesfast import fast_scan

    fast = fast_scan(path, name, byte_limit, limits)
    if fast is not None:
        return XesTable(fast.frame, dict(fast.skipped))
    builder = _Builder(name, limits)
    with _open(path, name, byte_limit) as stream:
        _parse(stream, builder, name, limits.cell_bytes, limits)
    return builder.table()


def _open(source: Path | bytes, name: str, limit: int) -> IO[bytes] | CappedGzipReader:
    """Open a file or in-memory bytes for reading, decompressing when it starts with the gzip magic.

    Decompression is a stream that stops with a JourneyError once it passes `limit` bytes.
    """
    # Sniff the content rather than trust the suffix: logs get renamed and re-compressed.
    if isinstance(source, bytes):
        raw: IO[bytes] = io.BytesIO(source)
        return CappedGzipReader(raw, name, limit) if source[:2] == _GZIP_MAGIC else raw
    try:
        file = open(source, "rb")  # noqa: SIM115 - the caller closes it
    except FileNotFoundError:
        raise JourneyError(f"{name}: no such file.", source=name) from None
    magic = file.read(2)
    file.seek(0)
    return CappedGzipReader(file, name, limit) if magic == _GZIP_MAGIC else file


def _parse(stream: IO[bytes] | CappedGzipReader, builder: _Builder, name: str, cell_bytes: int, limits: Limits) -> None:
    """Feed the stream to expat, doubling the piece while one token is unfinished (see the module's doc)."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.ordered_attributes = False
    refuse_entities = _refuse(name, "declares entities; XES needs none, export the log again without a DOCTYPE")
    parser.EntityDeclHandler = refuse_entities
    # The handler raises, so it never returns the int expat's stub asks of it.
    parser.ExternalEntityRefHandler = _refuse(name, "refers to an external entity; XES needs none")  # type: ignore[assignment]
    fed, size = 0, _PIECE
    try:
        while piece := stream.read(size):
            fed += len(piece)
            parser.Parse(piece, False)
            # expat's position stays at the start of a token it has not finished.
            pending = fed - parser.CurrentByteIndex
            if pending > cell_bytes + _PIECE:
                raise over_limit(f"{name}, line {parser.CurrentLineNumber}",
                                 "has a value or tag too long to read", "cell_kb",
                                 limits.cell_kb)  # type: ignore[arg-type]
            size = min(size * 2, _MAX_PIECE) if pending > size // 2 else _PIECE
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        if builder.elements == 0 and exc.code == expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS]:
            raise JourneyError(f"{name}: the XES file contains no events.", source=name) from None
        raise JourneyError(
            f"{name}: not valid XES at line {exc.lineno}, column {exc.offset} ({expat.ErrorString(exc.code)}). "
            "Check that the file is complete and not truncated.", source=name, line=exc.lineno
        ) from None


def _refuse(name: str, why: str) -> Callable[..., None]:
    def handler(*_: object) -> None:
        raise JourneyError(f"{name}: {why}.", source=name)
    return handler


class _Builder:
    """Expat handlers that build the columns: attributes directly under an event or a trace count."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.name, self.depth_limit = name, int(limits.xml_depth)  # type: ignore[arg-type]
        self.column_limit = int(limits.columns)  # type: ignore[arg-type]
        self.keys: set[str] = set()  # every attribute key met, to hold the columns under their limit
        self.elements = 0
        self.path: list[str] = []  # local names of the open elements
        self.trace_attrs: dict[str, str] | None = None  # set while inside a trace
        self.trace_events: list[dict[str, str]] = []
        self.event: dict[str, str] | None = None
        self.n_traces = self.outside = 0
        self.event_cols: dict[str, list[str | None]] = {}
        self.case_cols: dict[str, list[str | None]] = {}
        self.event_order: dict[str, None] = {}  # first appearance across all chunks
        self.case_order: dict[str, None] = {}
        self.chunks: list[pl.DataFrame] = []
        self.n_rows = 0  # rows in the current chunk
        self.local: dict[str, str] = {}  # tag as expat reports it -> local name, without namespace

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.elements += 1
        local = self.local.get(tag)
        if local is None:
            local = self.local[tag] = tag.rpartition("}")[2]
        path = self.path
        depth = len(path)
        if depth >= self.depth_limit:
            raise over_limit(self.name, f"nests elements too deeply (<{local[:40]}> at level {depth + 1:,})",
                             "xml_depth", self.depth_limit)
        path.append(local)
        if depth == 1:
            if local == "trace":
                self.trace_attrs, self.trace_events = {}, []
            elif local == "event":
                self.outside += 1
        elif depth == 2 and local == "event" and self.trace_attrs is not None:
            self.event = {}
        elif local in _SCALAR_TYPES and depth in (2, 3):
            key, value = attrs.get("key"), attrs.get("value")
            if key is None or value is None:
                return
            if key not in self.keys:
                self._new_key(key)
            parent = path[-2]
            if depth == 3 and parent == "event" and self.event is not None:
                self.event[key] = value  # the same key twice: the last wins, as in a dict
            elif depth == 2 and parent == "trace" and self.trace_attrs is not None:
                self.trace_attrs[key] = value

    def _new_key(self, key: str) -> None:
        self.keys.add(key)
        if len(self.keys) > self.column_limit:
            raise over_limit(self.name, "has too many different attribute keys (columns)",
                             "columns", self.column_limit)

    def end(self, tag: str) -> None:
        local = self.path.pop()
        depth = len(self.path)
        if depth == 2 and local == "event" and self.event is not None:
            self.trace_events.append(self.event)
            self.event = None
        elif depth == 1 and local == "trace" and self.trace_attrs is not None:
            self._add_trace(self.trace_attrs, self.trace_events)
            self.trace_attrs, self.trace_events = None, []

    def _add_trace(self, attrs: dict[str, str], events: list[dict[str, str]]) -> None:
        """A whole trace is added at its end, so trace attributes may follow its events."""
        self.n_traces += 1
        if not events:
            return
        start = self.n_rows
        event_cols = self.event_cols
        for event in events:
            n_rows = self.n_rows
            for key, value in event.items():
                col = event_cols.get(key)
                if col is not None and len(col) == n_rows:
                    col.append(value)  # the common case, kept inline for speed
                else:
                    _put(event_cols, key, n_rows, [value])
            self.n_rows += 1
        attrs.setdefault("concept:name", f"trace-{self.n_traces}")
        for key, value in attrs.items():
            _put(self.case_cols, f"case:{key}", start, [value] * len(events))
        if self.n_rows >= _CHUNK_ROWS:
            self._flush()

    def _flush(self) -> None:
        """Move the current chunk's columns into a DataFrame and start a new chunk."""
        if not self.n_rows:
            return
        self.event_order.update(dict.fromkeys(self.event_cols))
        self.case_order.update(dict.fromkeys(self.case_cols))
        # A trace attribute wins over an event attribute spelled like its case: column.
        merged = {k: v for k, v in self.event_cols.items() if k not in self.case_cols} | self.case_cols
        self.chunks.append(_frame(merged, self.n_rows))
        self.event_cols, self.case_cols = {}, {}
        self.n_rows = 0

    def table(self) -> XesTable:
        self._flush()
        if not self.chunks:
            detail = f" ({self.outside:,} events outside any trace)" if self.outside else ""
            raise JourneyError(f"{self.name}: the XES file contains no events{detail}.", source=self.name)
        # Order: case id first, then event attributes as first seen, then the other case attributes.
        order = [_CASE_ID]
        order += [k for k in self.event_order if k not in self.case_order and k != _CASE_ID]
        order += [k for k in self.case_order if k != _CASE_ID]
        # "diagonal" fills columns a chunk never saw with nulls.
        frame = pl.concat(self.chunks, how="diagonal").select(order)
        return XesTable(frame, {_OUTSIDE: self.outside} if self.outside else {})


def _put(columns: dict[str, list[str | None]], key: str, row: int, values: list[str]) -> None:
    """Write ``values`` into column ``key`` starting at ``row``, padding earlier gaps with None."""
    col = columns.get(key)
    if col is None:
        col = columns[key] = []
    gap = row - len(col)
    if gap >= 0:
        col.extend([None] * gap)
        col.extend(values)
    else:
        col[row : row + len(values)] = values


def _frame(columns: dict[str, list[str | None]], n_rows: int) -> pl.DataFrame:
    """Turn padded-on-demand column lists into a string DataFrame of ``n_rows`` rows."""
    for col in columns.values():
        col.extend([None] * (n_rows - len(col)))  # attributes missing from the last events
    return pl.DataFrame([pl.Series(key, col, dtype=pl.String) for key, col in columns.items()])
