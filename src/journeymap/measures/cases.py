"""Per-case facts: first and last event, completion, exit, status at `as_of`, lead time, age."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals as nw
import numpy as np

from journeymap.engine.prepare import PreparedEvents, collect, in_order, lookup
from journeymap.engine.workingtime import AS_OF_CLOCK

__all__ = ["mark_cases", "case_table", "STATUSES"]

STATUSES = ("completed", "exited", "in_flight", "dropped")

# Variant fingerprints: a path is identified by two sums over its events of random weights of
# its (position, step) pairs. Two different paths give the same pair of sums with negligible
# chance; polynomial hashes built from + * % alone do not: paths whose (position, step) codes share
# sums and sums of squares collide (seen on real data). The sums are running sums over the whole
# log (a case's sum is the difference at its two ends), so weights stay below 2**30: exact in int64
# up to 2**33 events. When the table of pairs would be large, each weight is a product
# W[position] * V[step] of two smaller random tables instead (twice the lookups).
_WEIGHT_SEED = 20261122
_FINGERPRINTS = 2
_MAX_PAIRS = 2**18


def _weights(count: int, salt: int, bits: int) -> list[list[int]]:
    rng = np.random.default_rng([_WEIGHT_SEED, salt])
    return rng.integers(1, 2**bits, size=(_FINGERPRINTS, max(count, 1))).tolist()


def _with_weights(events: Any, n_positions: int, n_codes: int) -> Any:
    """Per event, its weight `w1`, `w2` in each of the two path fingerprints."""
    n_codes = max(n_codes, 1)
    if n_positions * n_codes <= _MAX_PAIRS:
        table = _weights(n_positions * n_codes, 3, bits=30)
        # 32 bits hold every pair below _MAX_PAIRS
        events = events.with_columns(pair=nw.col("position").cast(nw.Int32) * n_codes + nw.col("step_code"))
        for h in range(_FINGERPRINTS):
            events = lookup(events, "pair", table[h], f"w{h + 1}")
        return events.drop("pair")
    by_position, by_step = _weights(n_positions, 1, bits=15), _weights(n_codes, 2, bits=15)
    for h in range(_FINGERPRINTS):
        events = lookup(lookup(events, "position", by_position[h], "wp"), "step_code", by_step[h], "ws")
        events = events.with_columns((nw.col("wp") * nw.col("ws")).alias(f"w{h + 1}")).drop("wp", "ws")
    return events


def mark_cases(prepared: PreparedEvents, end_codes: Sequence[int], *, at_last_event: bool = False) -> PreparedEvents:
    """Add to every event `ends_so_far`, the end events of its case up to and including this one
    (0 before completion), and `case_completed`, whether its case has an end event.

    With `at_last_event` only a case's last event can be its end event: the case completes when
    it finishes at an end step, and every earlier event is before completion.

    On eager engines a running count along the contiguous cases, filled forward from each case's
    first event and back from its last, replaces a group-by and a join of millions of events by
    case; lazy (SQL) engines compute windows per case well, and orderly fills badly.
    """
    # 32-bit counts: at ten million events each column pass moves half the memory.
    is_end = nw.col("step_code").is_in(list(end_codes))
    if at_last_event:
        is_end = is_end & nw.col("is_last")
    events = prepared.frame().with_columns(is_end=is_end.cast(nw.Int32))
    if not prepared.eager:
        return prepared.replace(events.with_columns(
            ends_so_far=nw.col("is_end").cum_sum().over("case_code", order_by="idx").cast(nw.Int32),
            case_completed=nw.col("is_end").max().over("case_code") > 0).drop("is_end"))
    events = events.with_columns(run_end=nw.col("is_end").cum_sum().cast(nw.Int32))
    before = nw.when(nw.col("is_first")).then(nw.col("run_end") - nw.col("is_end")).fill_null(strategy="forward")
    events = events.with_columns(ends_so_far=(nw.col("run_end") - before).cast(nw.Int32)).drop("is_end", "run_end")
    completed = nw.when(nw.col("is_last")).then(nw.col("ends_so_far") > 0).fill_null(strategy="backward")
    return prepared.replace(events.with_columns(case_completed=completed))


def case_table(prepared: PreparedEvents, end_codes: Sequence[int], exit_codes: Sequence[int], as_of_us: int,
               stale_after_s: float, n_step_codes: int, clock: str = "ts", *,
               fingerprints: bool = True) -> nw.LazyFrame[Any]:
    """One row per case with its status, lead time, age and (unless `fingerprints` is false) a
    fingerprint of its path.

    Needs `mark_cases`. Lead time, age and duration are differences of `clock` (the timestamps, or
    the working clock of `journeymap.engine.workingtime`); statuses and moments are the timestamps'.
    The fingerprint (`path_h1`, `path_h2`, `n_events`) identifies a variant
    without string aggregation, which not every engine offers: two sums of random weights of
    (position, step), taken as differences of running sums at the cases' last events.
    """
    events: Any = prepared.frame()  # eager or lazy, as the engine is
    step = in_order(prepared.eager)
    working = clock != "ts"
    firsts = events.filter(nw.col("is_first")).select(
        "case_code", *prepared.id_columns, nw.col("ts").alias("first_ts"),
        nw.col("step_code").alias("first_code"), *([nw.col(clock).alias("first_clock")] if working else []))
    running = events.select("idx", "case_code", "ts", "step_code", "position", "is_last",
                            *([clock, AS_OF_CLOCK] if working else []))
    paths: list[Any] = []
    if fingerprints:
        longest = collect(events.select(nw.col("position").max())).item()
        n_positions = 1 if longest is None or longest != longest else int(longest) + 1  # NaN: an empty log
        running = _with_weights(running, n_positions, n_step_codes)
        running = running.with_columns(**{f"run_h{h}": step(nw.col(f"w{h}").cum_sum()).cast(nw.Int64)
                                          for h in (1, 2)})
        # Eager: a case's sum is the running sum at its last event minus that at the previous case's
        # last event. Lazy engines run the sums within each case (`in_order`): the last one is the sum.
        paths = [(step(nw.col(f"run_h{h}").diff()).fill_null(nw.col(f"run_h{h}")) if prepared.eager
                  else nw.col(f"run_h{h}")).alias(f"path_h{h}") for h in (1, 2)]
    lasts = running.filter(nw.col("is_last")).select(
        "case_code", nw.col("ts").alias("last_ts"), nw.col("step_code").alias("last_code"),
        (nw.col("position") + 1).alias("n_events"), *paths,
        *([nw.col(clock).alias("last_clock"), nw.col(AS_OF_CLOCK).alias("as_of_clock")] if working else []))
    # The first end event that counts (ends_so_far steps from 0 to 1 there): with completion at
    # the last event, an end step visited earlier in the case has ends_so_far 0.
    completions = events.filter(nw.col("step_code").is_in(list(end_codes)) & (nw.col("ends_so_far") == 1)).select(
        "case_code", nw.col("ts").alias("completion_ts"),
        *([nw.col(clock).alias("completion_clock")] if working else []))
    exits = (events.filter(nw.col("step_code").is_in(list(exit_codes))).group_by("case_code")
             .agg(nw.col("ts").min().alias("exit_ts")))
    cases: Any  # eager or lazy, as the engine is
    if prepared.eager:  # first and last events come in the same case order: side by side, no join
        cases = nw.concat([firsts, lasts.drop("case_code")], how="horizontal").lazy()
    else:
        cases = firsts.join(lasts, on="case_code")
    for extra in (completions, exits):
        cases = cases.join(extra.lazy(), on="case_code", how="left")
    cases = prepared.with_case_ids(cases).select(
        "case_code", "case", nw.col("row").alias("first_row"), "first_ts", "last_ts",
        nw.col("n_events").cast(nw.Int64), *(["path_h1", "path_h2"] if fingerprints else []), "first_code", "last_code",
        "completion_ts", "exit_ts",
        *(["first_clock", "last_clock", "completion_clock", "as_of_clock"] if working else []))
    silent_us = as_of_us - nw.col("last_ts")
    status = (
        nw.when(~nw.col("completion_ts").is_null()).then(nw.lit("completed"))
        .when(~nw.col("exit_ts").is_null()).then(nw.lit("exited"))
        .when(silent_us <= int(stale_after_s * 1_000_000)).then(nw.lit("in_flight"))
        .otherwise(nw.lit("dropped"))
    )
    first, last, done = ("first_clock", "last_clock", "completion_clock") if working else (
        "first_ts", "last_ts", "completion_ts")
    now = nw.col("as_of_clock") if working else nw.lit(as_of_us)
    return cases.with_columns(status=status).with_columns(
        lead_time_s=(nw.col(done) - nw.col(first)) / 1_000_000,
        age_s=nw.when(nw.col("status") == "in_flight").then((now - nw.col(first)) / 1_000_000),
        duration_s=(nw.col(last) - nw.col(first)) / 1_000_000,
        silent_s=silent_us / 1_000_000,
    )
