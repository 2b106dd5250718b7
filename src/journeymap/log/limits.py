"""How much work one input may cost: every limit of the readers, its default and how to raise it.

A small file can ask for a lot: a few megabytes of gzip or xlsx (a zip) can expand to many
gigabytes (a decompression bomb), a header line can hold 100,000 columns, a value can run for
megabytes, XML can nest without end. Each reader checks the limits below while it reads, so a
file past one is refused with one sentence naming the file, the limit and how to raise it, in
seconds and with little memory. A genuine file past a limit reads once the limit is raised:

| limit                                    | default  | environment variable               | `Limits(...)`    |
|------------------------------------------|----------|------------------------------------|------------------|
| decompressed size of gzip, xlsx, Parquet | 2,048 MB | JOURNEYMAP_MAX_DECOMPRESSED_MB     | decompressed_mb  |
| columns of a table                       | 2,000    | JOURNEYMAP_MAX_COLUMNS             | columns          |
| length of one value (cell, attribute)    | 1,024 KB | JOURNEYMAP_MAX_CELL_KB             | cell_kb          |
| nesting depth of XES elements            | 100      | JOURNEYMAP_MAX_XML_DEPTH           | xml_depth        |
| cells of an Excel workbook               | 20 M     | JOURNEYMAP_MAX_EXCEL_CELLS         | excel_cells      |
| cells of a milestone table read as events| 50 M     | JOURNEYMAP_MAX_MILESTONE_CELLS     | milestone_cells  |

In Python, `read_events(..., limits=Limits(columns=5000))` (fields left None fall back to the
environment, then to the default); `max_decompressed_mb=` is still taken as before. The server's
own budget for reading one upload (memory, time; see `journeymap.log.isolate`) and the pixel cap of
exports (`journeymap.export.render`) are set the same way, by environment variables named there.

Gzip is read in a stream: a file whose gzip trailer states a size over the limit is refused
before any decompression; data expanding like a bomb is counted before it is kept. 2,048 MB of
decompressed data holds an event log of some 20 million CSV rows while Polars' copy of it still
fits a 24 GB machine.
"""

from __future__ import annotations

import io
import os
import zlib
from dataclasses import dataclass, fields, replace
from typing import IO, Any

from journeymap.core.errors import JourneyError

__all__ = ["DEFAULT_MAX_DECOMPRESSED_MB", "MAX_DECOMPRESSED_ENV", "GZIP_MAGIC", "max_decompressed_bytes",
           "gunzip", "CappedGzipReader", "Limits", "ENV", "env_number", "over_limit"]

DEFAULT_MAX_DECOMPRESSED_MB = 2048
MAX_DECOMPRESSED_ENV = "JOURNEYMAP_MAX_DECOMPRESSED_MB"
GZIP_MAGIC = b"\x1f\x8b"
_PIECE = 1 << 20  # decompressed bytes produced per step, so the limit is checked every megabyte
_MB = 1024 * 1024
# Event logs as text compress some 5 to 20 times; data expanding over 50 times past 64 MB is
# counted before it is kept.
_SUSPECT_RATIO = 50
_SUSPECT_BYTES = 64 * _MB


# Limit name -> (environment variable, default, unit shown in messages).
ENV: dict[str, tuple[str, float, str]] = {
    "decompressed_mb": (MAX_DECOMPRESSED_ENV, DEFAULT_MAX_DECOMPRESSED_MB, "MB"),
    "columns": ("JOURNEYMAP_MAX_COLUMNS", 2000, "columns"),
    "cell_kb": ("JOURNEYMAP_MAX_CELL_KB", 1024, "KB"),
    "xml_depth": ("JOURNEYMAP_MAX_XML_DEPTH", 100, "levels"),
    "excel_cells": ("JOURNEYMAP_MAX_EXCEL_CELLS", 20_000_000, "cells"),
    # Every filled date of a milestone table becomes an event carrying all the row's other columns: a
    # 54 MB export (100,000 rows, 20 dates, 20 other columns) became 46 M cells and read at a peak of
    # 1.8 GB. The conversion runs where the file is taken up (the app's own process), so the default
    # keeps it near that, under an upload's 4 GB budget (`journeymap.log.isolate`).
    "milestone_cells": ("JOURNEYMAP_MAX_MILESTONE_CELLS", 50_000_000, "cells"),
}


@dataclass(frozen=True)
class Limits:
    """The reader limits of one reading; a field left None is taken from its environment variable, else its default."""

    decompressed_mb: float | None = None
    columns: int | None = None
    cell_kb: float | None = None
    xml_depth: int | None = None
    excel_cells: int | None = None
    milestone_cells: int | None = None

    def resolved(self) -> Limits:
        """These limits with every field filled in (given, else environment, else default); checked positive."""
        values: dict[str, Any] = {}
        for field in fields(self):
            given = getattr(self, field.name)
            env, default, _ = ENV[field.name]
            value = env_number(env, default) if given is None else given
            if not value > 0:
                raise JourneyError(f"The limit {field.name} must be a positive number, not {value}.")
            values[field.name] = value
        return replace(self, **values)

    @property
    def decompressed_bytes(self) -> int:
        return int(self.resolved().decompressed_mb * _MB)  # type: ignore[operator]

    @property
    def cell_bytes(self) -> int:
        return int(self.resolved().cell_kb * 1024)  # type: ignore[operator]


def env_number(env: str, default: float) -> float:
    """The number an environment variable holds, `default` when it is unset; a sentence when it is no number."""
    setting = os.environ.get(env, "").strip()
    if not setting:
        return default
    try:
        value = float(setting.replace("_", ""))
    except ValueError:
        raise JourneyError(f"{env} is '{setting[:40]}'; set it to a number, e.g. {env}={_shown(default * 2)}."
                           ) from None
    if not value > 0:
        raise JourneyError(f"{env} is {setting[:40]}; set it to a positive number, e.g. {env}={_shown(default)}.")
    return value


def over_limit(name: str, found: str, limit: str, value: float) -> JourneyError:
    """The sentence for a file past a limit: what was found, the limit, and how to raise it.

    `found` says what the file has ("has 100,000 columns"), `limit` is the key of ENV and `value`
    the limit's current value; the suggestion doubles it.
    """
    env, _, unit = ENV[limit]
    suggestion = _shown(value * 2)
    return JourneyError(
        f"{name}: {found} (the limit is {_shown(value, grouped=True)} {unit}); if it is a genuine event log, "
        f"raise the limit with the environment variable {env} (e.g. {env}={suggestion}) or "
        f"limits=Limits({limit}={suggestion}) in read_events.", source=name)


def _shown(value: float, *, grouped: bool = False) -> str:
    """A limit as a user writes it: whole numbers, or two digits under 1 (0.01); thousands grouped in prose."""
    return (f"{value:,.0f}" if grouped else f"{value:.0f}") if value >= 1 else f"{value:.2g}"


def max_decompressed_bytes(given_mb: float | None = None) -> int:
    """The decompression limit in bytes: the given megabytes, else the environment variable, else 2,048 MB."""
    if given_mb is None:
        setting = os.environ.get(MAX_DECOMPRESSED_ENV, "").strip()
        if not setting:
            return DEFAULT_MAX_DECOMPRESSED_MB * _MB
        try:
            given_mb = float(setting)
        except ValueError:
            raise JourneyError(f"{MAX_DECOMPRESSED_ENV} is '{setting[:40]}'; set it to a number of megabytes, "
                               f"e.g. {MAX_DECOMPRESSED_ENV}=4096.") from None
    if not given_mb > 0:
        raise JourneyError(f"The decompression limit must be a positive number of megabytes, not {given_mb}.")
    return int(given_mb * _MB)


def gunzip(data: bytes, name: str, limit: int) -> bytes:
    """The decompressed content of gzip data (every member), refused once it passes `limit` bytes.

    Data that expands far more than text does (over 50 times) is first only counted, without keeping
    it, and decompressed a second time if it fits: a bomb is refused with little memory used.
    """
    out = _inflate(data, name, limit, watch=True)
    return out if out is not None else _inflate(data, name, limit, watch=False) or b""


def _inflate(data: bytes, name: str, limit: int, *, watch: bool) -> bytes | None:
    """The decompressed bytes; None (when watching) for data that expanded like a bomb but fits."""
    reader = CappedGzipReader(io.BytesIO(data), name, limit)
    out = bytearray()
    while piece := reader.read(_PIECE):
        out += piece
        if watch and len(out) > _SUSPECT_BYTES and len(out) > _SUSPECT_RATIO * len(data):
            out = bytearray()
            while reader.read(_PIECE):  # raises once past the limit
                pass
            return None
    return bytes(out)


class CappedGzipReader(io.RawIOBase):
    """A readable stream of gzip data's decompressed bytes that refuses to go past `limit` bytes."""

    def __init__(self, raw: IO[bytes], name: str, limit: int) -> None:
        super().__init__()
        self._raw, self._name, self._limit = raw, name, limit
        self._inflate = zlib.decompressobj(wbits=31)  # 31: a gzip header and trailer around deflate data
        self._pending = b""  # compressed bytes read but not yet fed to zlib
        self._produced = 0
        self._ended = False
        if self._trailer_size() > limit:
            raise self._too_big()

    def _trailer_size(self) -> int:
        """The size the gzip trailer states for the last member: a lower bound of the whole (0 if unknown).

        It is the true size modulo 4 GiB, so it can be wrong only by being too small: a file it puts
        over the limit is over it, and is refused before any decompression; others are still counted.
        """
        try:
            if not self._raw.seekable():
                return 0
            start = self._raw.tell()
            end = self._raw.seek(0, io.SEEK_END)
            if end - start < 18:  # header and trailer of the smallest gzip member
                self._raw.seek(start)
                return 0
            self._raw.seek(end - 4)
            size = int.from_bytes(self._raw.read(4), "little")
            self._raw.seek(start)
            return size
        except OSError:
            return 0

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()
        super().close()

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        wanted = min(len(buffer), _PIECE)
        piece = self._next(wanted)
        buffer[: len(piece)] = piece
        return len(piece)

    def _next(self, wanted: int) -> bytes:
        while not self._ended:
            if self._inflate.unconsumed_tail:
                compressed = self._inflate.unconsumed_tail
            else:
                compressed = self._pending or self._raw.read(_PIECE)
                self._pending = b""
            if not compressed:
                if not self._inflate.eof:
                    raise JourneyError(f"{self._name}: the gzip data is truncated; check that the file downloaded "
                                       "completely.", source=self._name)
                self._ended = True
                break
            try:
                piece = self._inflate.decompress(compressed, wanted)
            except zlib.error:
                raise JourneyError(f"{self._name}: the gzip data is damaged; check that the file downloaded "
                                   "completely.", source=self._name) from None
            if self._inflate.eof:
                self._next_member()
            if piece:
                self._produced += len(piece)
                if self._produced > self._limit:
                    raise self._too_big()
                return piece
        return b""

    def _next_member(self) -> None:
        """Start on the next gzip member if one follows (concatenated gzip files are one stream)."""
        rest = self._inflate.unused_data
        if not rest:
            rest = self._raw.read(_PIECE)
        if rest[:2] == GZIP_MAGIC:
            self._inflate = zlib.decompressobj(wbits=31)
            self._pending = rest
        elif rest.strip(b"\0"):
            raise JourneyError(f"{self._name}: has data after the end of its gzip stream; check that it is one "
                               "complete .gz file.", source=self._name)
        else:
            self._ended = True

    def _too_big(self) -> JourneyError:
        limit_mb = self._limit / _MB
        shown = f"{limit_mb:,.0f}" if limit_mb >= 1 else f"{limit_mb:.2g}"
        return JourneyError(
            f"{self._name}: decompresses to more than {shown} MB, the limit for compressed files; if it "
            f"is a genuine event log, raise the limit with the environment variable {MAX_DECOMPRESSED_ENV} "
            f"(e.g. {MAX_DECOMPRESSED_ENV}={max(int(limit_mb) * 2, 1)}) or max_decompressed_mb= in read_events.",
            source=self._name)
