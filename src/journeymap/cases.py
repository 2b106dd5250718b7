"""Per-case facts: first and last event, completion, exit, status at `as_of`, lead time, age."""

from __future__ import annotations

from typing import Any, Sequence

import narwhals as nw
import numpy as np

from .engine import collect

__all__ = ["case_table", "STATUSES"]

STATUSES = ("completed", "exited", "in_flight", "dropped")

# Variant fingerprints: a path is identified by two sums over its events of random weights of
# its (position, step) pairs. Two different paths give the same pair of sums with negligible
# chance; polynomial hashes built from + * % alone do not: paths whose (position, step) codes share
# sums and sums of squares collide (seen on real data). Weights stay below 2**40 so that the sums of
# up to 2**23 events a case are exact in int64. When the table of pairs would be large, each weight
# is a product W[position] * V[step] of two smaller random tables instead (twice the lookups).
_WEIGHT_SEED = 20261122
_FINGERPRINTS = 2
_MAX_PAIRS = 2**18


def _weights(count: int, salt: int, bits: int = 20) -> list[list[int]]:
    rng = np.random.default_rng([_WEIGHT_SEED, salt])
    return rng.integers(1, 2**bits, size=(_FINGERPRINTS, max(count, 1))).tolist()


def _fingerprints(n_positions: int, n_codes: int) -> list[nw.Expr]:
    """Per event, its weight in each of the two path fingerprints."""
    n_codes = max(n_codes, 1)
    if n_positions * n_codes <= _MAX_PAIRS:
        pairs = list(range(n_positions * n_codes))
        table = _weights(len(pairs), 3, bits=40)
        pair = nw.col("position") * n_codes + nw.col("step_code")
        return [pair.replace_strict(pairs, table[h], default=0, return_dtype=nw.Int64).alias(f"path_h{h + 1}")
                for h in range(_FINGERPRINTS)]
    by_position, by_step = _weights(n_positions, 1), _weights(n_codes, 2)
    positions, codes = list(range(n_positions)), list(range(n_codes))
    return [(nw.col("position").replace_strict(positions, by_position[h], default=0, return_dtype=nw.Int64)
             * nw.col("step_code").replace_strict(codes, by_step[h], default=0, return_dtype=nw.Int64)
             ).alias(f"path_h{h + 1}") for h in range(_FINGERPRINTS)]


def case_table(events: nw.LazyFrame[Any], end_codes: Sequence[int], exit_codes: Sequence[int],
               as_of_us: int, stale_after_s: float, n_step_codes: int) -> nw.LazyFrame[Any]:
    """One row per case with its status, lead time, age and a fingerprint of its path.

    The fingerprint (`path_h1`, `path_h2`, `n_events`) identifies a variant without string
    aggregation, which not every engine offers: two sums of random weights of (position, step).
    """
    longest = collect(events.select(nw.col("position").max())).item()
    n_positions = 1 if longest is None or longest != longest else int(longest) + 1  # NaN: an empty log
    cases = events.with_columns(*_fingerprints(n_positions, n_step_codes)).group_by("case_code").agg(
        nw.col("ts").min().alias("first_ts"),
        nw.col("ts").max().alias("last_ts"),
        nw.len().alias("n_events"),
        nw.col("path_h1").sum(),
        nw.col("path_h2").sum(),
    )
    firsts = events.filter(nw.col("is_first")).select("case_code", "case", nw.col("step_code").alias("first_code"))
    lasts = events.filter(nw.col("is_last")).select("case_code", nw.col("step_code").alias("last_code"))
    completions = (events.filter(nw.col("step_code").is_in(list(end_codes))).group_by("case_code")
                   .agg(nw.col("ts").min().alias("completion_ts"), nw.col("idx").min().alias("completion_idx")))
    exits = (events.filter(nw.col("step_code").is_in(list(exit_codes))).group_by("case_code")
             .agg(nw.col("ts").min().alias("exit_ts")))
    for extra in (firsts, lasts, completions, exits):
        cases = cases.join(extra, on="case_code", how="left")
    silent_us = as_of_us - nw.col("last_ts")
    status = (
        nw.when(~nw.col("completion_ts").is_null()).then(nw.lit("completed"))
        .when(~nw.col("exit_ts").is_null()).then(nw.lit("exited"))
        .when(silent_us <= int(stale_after_s * 1_000_000)).then(nw.lit("in_flight"))
        .otherwise(nw.lit("dropped"))
    )
    return cases.with_columns(status=status).with_columns(
        lead_time_s=(nw.col("completion_ts") - nw.col("first_ts")) / 1_000_000,
        age_s=nw.when(nw.col("status") == "in_flight").then((as_of_us - nw.col("first_ts")) / 1_000_000),
        duration_s=(nw.col("last_ts") - nw.col("first_ts")) / 1_000_000,
        silent_s=silent_us / 1_000_000,
    )
