"""Per-case facts: first and last event, completion, exit, status at `as_of`, lead time, age."""

from __future__ import annotations

from typing import Any, Sequence

import narwhals as nw

from .engine import shifted

__all__ = ["annotate_neighbours", "case_table", "STATUSES"]

STATUSES = ("completed", "exited", "in_flight", "dropped")

# Two independent position weights for the variant fingerprint (see `case_table`). Quadratic in
# the position so that no simple rearrangement of a path keeps the sum; primes below 2**31 keep
# every partial sum far inside int64.
_HASHES = ((2_147_483_647, 1_103_515_245, 12_345, 97), (2_147_483_629, 214_013, 2_531_011, 7_919))


def annotate_neighbours(ordered: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """Add each event's successor (`next_*`) and whether it opens or closes its case."""
    return ordered.with_columns(
        next_case=shifted("case", 1),
        next_step=shifted("step", 1),
        next_ts=shifted("ts", 1),
        next_start=shifted("start", 1),
        next_idx=shifted("idx", 1),
        prev_case=shifted("case", -1),
    ).with_columns(
        is_first=nw.col("prev_case").is_null() | (nw.col("prev_case") != nw.col("case")),
        is_last=nw.col("next_case").is_null() | (nw.col("next_case") != nw.col("case")),
    )


def case_table(events: nw.LazyFrame[Any], end_steps: Sequence[str], exit_steps: Sequence[str],
               as_of_us: int, stale_after_s: float) -> nw.LazyFrame[Any]:
    """One row per case with its status, lead time, age and a fingerprint of its path.

    The fingerprint (`path_h1`, `path_h2`, `n_events`) identifies a variant without string
    aggregation, which not every engine offers: two weighted sums of step codes by position.
    """
    position = nw.col("idx") - nw.col("idx").min().over("case")
    fingerprints = []
    for index, (prime, a, b, c) in enumerate(_HASHES):
        weight = ((position * position % prime) * a % prime + position * b + c) % prime
        fingerprints.append(((nw.col("step_code") + 1) * weight).alias(f"path_h{index + 1}"))
    cases = events.with_columns(*fingerprints).group_by("case").agg(
        nw.col("ts").min().alias("first_ts"),
        nw.col("ts").max().alias("last_ts"),
        nw.len().alias("n_events"),
        nw.col("path_h1").sum(),
        nw.col("path_h2").sum(),
    )
    firsts = events.filter(nw.col("is_first")).select("case", nw.col("step").alias("first_step"))
    lasts = events.filter(nw.col("is_last")).select("case", nw.col("step").alias("last_step"))
    completions = (events.filter(nw.col("step").is_in(list(end_steps))).group_by("case")
                   .agg(nw.col("ts").min().alias("completion_ts"), nw.col("idx").min().alias("completion_idx")))
    exits = (events.filter(nw.col("step").is_in(list(exit_steps))).group_by("case")
             .agg(nw.col("ts").min().alias("exit_ts")))
    for extra in (firsts, lasts, completions, exits):
        cases = cases.join(extra, on="case", how="left")
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
