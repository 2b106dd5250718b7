"""Streaming reader for XES event logs (plain or gzip-compressed) into a polars DataFrame.

The output follows the pm4py column convention: one row per ``<event>``, event attributes under
their own key and trace attributes prefixed with ``case:``. All values are kept as strings;
timestamps are left as the raw ISO text for a later stage to parse.
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element, ParseError, iterparse
from xml.parsers.expat import ErrorString, errors

import polars as pl

from .errors import JourneyError
from .limits import CappedGzipReader
from .limits import max_decompressed_bytes as max_decompressed

__all__ = ["read_xes"]

_GZIP_MAGIC = b"\x1f\x8b"
# Scalar attribute types of the XES standard; <list> and <container> carry no single value.
_SCALAR_TYPES = frozenset({"string", "date", "int", "float", "boolean", "id"})
_CASE_ID = "case:concept:name"
# Rows per chunk handed to polars. Python lists holding millions of strings make every full
# garbage collection walk them all, which turned a 1M-event read quadratic; small chunks keep
# that cost bounded and store the strings compactly in Arrow memory as we go.
_CHUNK_ROWS = 50_000


def _attributes(elem: Element, scalar_tags: frozenset[str]) -> Iterator[tuple[str, str]]:
    """Yield the (key, value) pairs of the scalar attributes directly under ``elem``."""
    # Only direct children count, so attributes nested inside attributes are skipped.
    for child in elem:
        if child.tag in scalar_tags:
            key = child.get("key")
            value = child.get("value")
            if key is not None and value is not None:
                yield key, value


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
        # The same key appeared twice in one event or trace: the last value wins, as in a dict.
        col[row : row + len(values)] = values


def _frame(columns: dict[str, list[str | None]], n_rows: int) -> pl.DataFrame:
    """Turn padded-on-demand column lists into a string DataFrame of ``n_rows`` rows."""
    for col in columns.values():
        col.extend([None] * (n_rows - len(col)))  # attributes missing from the last events
    return pl.DataFrame([pl.Series(key, col, dtype=pl.String) for key, col in columns.items()])


def _open(source: Path | bytes, name: str, limit: int) -> IO[bytes]:
    """Open a file or in-memory bytes for reading, decompressing when it starts with the gzip magic.

    Decompression is a stream that stops with a JourneyError once it passes `limit` bytes.
    """
    # Sniff the content rather than trust the suffix: logs get renamed and re-compressed.
    if isinstance(source, bytes):
        raw: IO[bytes] = io.BytesIO(source)
        return CappedGzipReader(raw, name, limit) if source[:2] == _GZIP_MAGIC else raw
    file = open(source, "rb")  # noqa: SIM115 - the caller closes it
    magic = file.read(2)
    file.seek(0)
    return CappedGzipReader(file, name, limit) if magic == _GZIP_MAGIC else file


def read_xes(source: str | os.PathLike[str] | bytes, name: str | None = None, *,
             max_decompressed_bytes: int | None = None) -> pl.DataFrame:
    """Read an ``.xes`` or ``.xes.gz`` file (or its bytes) into a DataFrame, one string row per event.

    Gzip data is refused once it expands past `max_decompressed_bytes` (default: the limit of
    `journeymap.limits.max_decompressed_bytes`, 2,048 MB unless JOURNEYMAP_MAX_DECOMPRESSED_MB says).
    """
    path = source if isinstance(source, bytes) else Path(source)
    name = name or (path.name if isinstance(path, Path) else "upload.xes")
    limit = max_decompressed_bytes if max_decompressed_bytes is not None else max_decompressed()
    # Columns grow as plain lists (not a list of row dicts) and are handed to polars per chunk.
    event_cols: dict[str, list[str | None]] = {}
    case_cols: dict[str, list[str | None]] = {}
    event_order: dict[str, None] = {}  # first appearance across all chunks
    case_order: dict[str, None] = {}
    chunks: list[pl.DataFrame] = []
    n_rows = 0  # rows in the current chunk
    n_traces = 0
    root: Element | None = None
    trace_tag = event_tag = ""
    scalar_tags: frozenset[str] = frozenset()

    def flush() -> None:
        """Move the current chunk's columns into a DataFrame and start a new chunk."""
        nonlocal n_rows
        if not n_rows:
            return
        event_order.update(dict.fromkeys(event_cols))
        case_order.update(dict.fromkeys(case_cols))
        # A trace attribute wins over an event attribute spelled like its case: column.
        merged = {k: v for k, v in event_cols.items() if k not in case_cols} | case_cols
        chunks.append(_frame(merged, n_rows))
        event_cols.clear()
        case_cols.clear()
        n_rows = 0

    with _open(path, name, limit) as stream:
        try:
            for event, elem in iterparse(stream, events=("start", "end")):
                if event == "start":
                    if root is None:
                        # Take the namespace from the root, so any (or no) xmlns works and the
                        # hot loop compares whole tags instead of stripping "{ns}" every time.
                        root = elem
                        ns = root.tag[: root.tag.index("}") + 1] if root.tag[0] == "{" else ""
                        trace_tag, event_tag = ns + "trace", ns + "event"
                        scalar_tags = frozenset(ns + t for t in _SCALAR_TYPES)
                    continue
                if elem.tag != trace_tag:
                    continue
                # A whole trace is handled at its end, so trace attributes may follow its events.
                n_traces += 1
                start = n_rows
                for child in elem:
                    if child.tag != event_tag:
                        continue
                    for key, value in _attributes(child, scalar_tags):
                        col = event_cols.get(key)
                        if col is not None and len(col) == n_rows:
                            col.append(value)  # the common case, kept inline for speed
                        else:
                            _put(event_cols, key, n_rows, [value])
                    n_rows += 1
                n_events = n_rows - start
                if n_events:
                    case_attrs = dict(_attributes(elem, scalar_tags))
                    case_attrs.setdefault("concept:name", f"trace-{n_traces}")
                    for key, value in case_attrs.items():
                        _put(case_cols, f"case:{key}", start, [value] * n_events)
                # Drop the finished trace (and everything before it) so memory stays flat.
                elem.clear()
                if root is not None:
                    root.clear()
                if n_rows >= _CHUNK_ROWS:
                    flush()
        except ParseError as exc:
            line, column = exc.position
            if root is None and exc.code == errors.codes[errors.XML_ERROR_NO_ELEMENTS]:
                raise JourneyError(f"{name}: the XES file contains no events.", source=name) from None
            raise JourneyError(
                f"{name}: not valid XES at line {line}, column {column} ({ErrorString(exc.code)}). "
                "Check that the file is complete and not truncated.", source=name, line=line
            ) from None
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise JourneyError(
                f"{name}: the gzip data is damaged or truncated ({exc}). "
                "Check that the file downloaded completely.", source=name
            ) from None
    flush()

    if not chunks:
        raise JourneyError(f"{name}: the XES file contains no events.", source=name)
    # Order: case id first, then event attributes as first seen, then the other case attributes.
    order = [_CASE_ID]
    order += [k for k in event_order if k not in case_order and k != _CASE_ID]
    order += [k for k in case_order if k != _CASE_ID]
    # "diagonal" fills columns a chunk never saw with nulls.
    return pl.concat(chunks, how="diagonal").select(order)
