"""Parquet files read within bounds, every column as a value an event log can hold.

The footer states the columns and the size of the data uncompressed; both are checked against the
limits (`journeymap.log.limits`) before any data is read. Parquet can hold lists, structs, maps and
binary data, which no step label or segment can be: such columns are kept as text (lists and
structs as JSON, binary as UTF-8 text or, when it is not text, as hex) and a note counts them.
"""

from __future__ import annotations

import io

import polars as pl

from journeymap.core.errors import JourneyError
from journeymap.log.limits import Limits, over_limit

__all__ = ["read_parquet"]

_NESTED = (pl.List, pl.Array, pl.Struct)


def read_parquet(data: bytes, name: str, limits: Limits | None = None) -> tuple[pl.DataFrame, list[str]]:
    """The table of Parquet bytes, nested and binary columns as text, with a note on each such conversion."""
    import pyarrow.parquet as pq

    limits = (limits or Limits()).resolved()
    try:
        metadata = pq.ParquetFile(io.BytesIO(data)).metadata
    except Exception as error:  # pyarrow's errors for a damaged footer are of several kinds
        raise JourneyError(f"{name}: could not be read as Parquet ({str(error).splitlines()[0][:100]}). Check the "
                           "file type and that the file is complete.", source=name) from None
    if metadata.num_columns > limits.columns:  # type: ignore[operator]
        raise over_limit(name, f"has {metadata.num_columns:,} columns", "columns", limits.columns)  # type: ignore
    size = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    if size > limits.decompressed_bytes:
        raise over_limit(name, f"holds {size / (1 << 20):,.0f} MB of data uncompressed", "decompressed_mb",
                         limits.decompressed_mb)  # type: ignore[arg-type]
    frame = pl.read_parquet(io.BytesIO(data))
    return as_text_columns(frame)


def as_text_columns(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """Nested columns as JSON text and binary columns as text (hex when not UTF-8), with notes saying so."""
    nested = [c for c, dtype in frame.schema.items() if isinstance(dtype, _NESTED)]
    binary = [c for c, dtype in frame.schema.items() if dtype == pl.Binary]
    notes = []
    if nested:
        frame = frame.with_columns(_json(c) for c in nested)
        notes.append(f"{len(nested):,} column{'s' * (len(nested) > 1)} of lists or structs read as JSON text: "
                     f"{_names(nested)}.")
    hexed = []
    for column in binary:
        try:
            frame = frame.with_columns(pl.col(column).cast(pl.String))
        except pl.exceptions.PolarsError:  # not UTF-8: hex keeps every byte readable
            frame = frame.with_columns(pl.col(column).bin.encode("hex"))
            hexed.append(column)
    if binary:
        text = [c for c in binary if c not in hexed]
        parts = ([f"as text: {_names(text)}"] if text else []) + ([f"as hex: {_names(hexed)}"] if hexed else [])
        notes.append(f"{len(binary):,} binary column{'s' * (len(binary) > 1)} read {'; '.join(parts)}.")
    return frame, notes


def _json(column: str) -> pl.Expr:
    # Polars writes JSON of structs only: wrap the value as {"v": ...} and cut the wrapper off again.
    encoded = pl.struct(pl.col(column).alias("v")).struct.json_encode().str.slice(5).str.head(-1)
    return pl.when(pl.col(column).is_null()).then(None).otherwise(encoded).alias(column)


def _names(columns: list[str]) -> str:
    shown = ", ".join(f"'{c[:40]}'" for c in columns[:5])
    return shown + (f" and {len(columns) - 5:,} more" if len(columns) > 5 else "")
