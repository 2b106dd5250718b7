"""Time and peak memory of what-if, p85 impact and compare on ~100k completed cases, beside naive versions.

    python benchmarks/bench_compare.py               # ~125k onboarding cases, ~100k of them completed
    python benchmarks/bench_compare.py --cases 20000

The log comes from the sample generator (onboarding journey, seed 7) and is turned into case
times once (that extraction is timed too, but it is shared by every figure of a page). Each figure
is timed as the best of three runs; its peak memory is the largest numpy/Python allocation above
the starting point during one run (tracemalloc). The naive baselines are the straightforward
versions: a pandas group-by replay per step, and a bootstrap that resamples case indices and
calls np.quantile 1,000 times (run for 20 resamples and extrapolated).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from journeymap.decide.compare import compare_change
from journeymap.decide.whatif import p85_impact, what_if
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import generate_events, sample_journey_path
from journeymap.log.columns import ColumnRoles
from journeymap.log.readers import canonical_events
from journeymap.measures.casetimes import CaseTimes, case_step_times

TARGET_S = 1.0
RESAMPLES = 1000
NAIVE_RESAMPLES = 20


def measure(run: Callable[[], Any], repeat: int = 3) -> tuple[float, float]:
    """Best wall time over `repeat` runs (seconds) and peak traced memory of one run (MB)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak / 1e6


def naive_whatif(frame: pd.DataFrame, step: str) -> float:
    """p85 lead time with a step halved, the pandas way: copy, scale, group-by sum, quantile."""
    replay = frame.copy()
    replay.loc[replay["step"] == step, "arrival_s"] *= 0.5
    return float(replay.groupby("case")["arrival_s"].sum().quantile(0.85))


def naive_impact(frame: pd.DataFrame, steps: list[str]) -> list[float]:
    """The naive what-if once per step."""
    return [naive_whatif(frame, step) for step in steps]


def naive_bootstrap(times: CaseTimes, cut_us: int, resamples: int) -> None:
    """Resample case indices per group and call np.quantile, for lead time and every step."""
    rng = np.random.default_rng(0)
    lead = times.lead_time_s()
    has = ~np.isnan(times.arrival_s)
    for group in (times.start_us < cut_us, times.start_us >= cut_us):
        values = [lead[group & ~np.isnan(lead)]]
        values += [times.arrival_s[has & (times.event_step == code) & group[times.event_case]]
                   for code in range(len(times.steps))]
        for sample in values:
            if len(sample):
                for _ in range(resamples):
                    np.quantile(sample[rng.integers(0, len(sample), len(sample))], [0.5, 0.85])


def main() -> None:
    """Build the log, time every figure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=125_000)
    args = parser.parse_args()
    journey = load_journey(sample_journey_path("onboarding"))
    raw = generate_events("onboarding", args.cases, seed=7, as_datetime=True)
    events = canonical_events(raw, ColumnRoles(case="case_id", activity="activity", timestamp="timestamp")).frame
    extract_s, extract_mb = measure(lambda: case_step_times(events, journey), repeat=1)
    times = case_step_times(events, journey)
    completed = int(times.status_is("completed").sum())
    cut_us = int(pd.Timestamp("2026-06-01", tz="UTC").value // 1000)
    frame = times.to_frame()[times.in_lead_time].fillna({"arrival_s": 0.0})
    steps = list(times.steps)

    rows = [("case times (extraction, shared)", extract_s, extract_mb, None, None)]
    whatif_s, whatif_mb = measure(lambda: what_if(times, "equipment_shipped", "cut", 50))
    naive_w, _ = measure(lambda: naive_whatif(frame, "equipment_shipped"), repeat=1)
    rows.append(("what-if (cut 50%, one step)", whatif_s, whatif_mb, TARGET_S, naive_w))
    impact_s, impact_mb = measure(lambda: p85_impact(times))
    naive_i, _ = measure(lambda: naive_impact(frame, steps), repeat=1)
    rows.append((f"p85 impact ({len(steps)} steps)", impact_s, impact_mb, TARGET_S, naive_i))
    compare_s, compare_mb = measure(lambda: compare_change(times, "2026-06-01", resamples=RESAMPLES))
    naive_c, _ = measure(lambda: naive_bootstrap(times, cut_us, NAIVE_RESAMPLES), repeat=1)
    rows.append((f"compare ({RESAMPLES:,} resamples)", compare_s, compare_mb, TARGET_S,
                 naive_c * RESAMPLES / NAIVE_RESAMPLES))

    print(f"{args.cases:,} cases, {completed:,} completed, {len(times.event_ts):,} events\n")
    print(f"| {'figure':34} | {'time':>8} | {'peak MB':>8} | {'target':>6} | {'naive':>9} | {'speed-up':>8} |")
    print(f"|{'-' * 36}|{'-' * 10}|{'-' * 10}|{'-' * 8}|{'-' * 11}|{'-' * 10}|")
    for name, seconds, megabytes, target, naive in rows:
        target_text = f"{target:.0f} s" if target else ""
        naive_text = f"{naive:.2f} s" if naive else ""
        ratio = "" if not naive else f"{naive / seconds:.1f}×" if naive < 10 * seconds else f"{naive / seconds:.0f}×"
        print(f"| {name:34} | {seconds:>6.3f} s | {megabytes:>8.0f} | {target_text:>6} | {naive_text:>9} "
              f"| {ratio:>8} |")
    print(f"\nnaive compare: {NAIVE_RESAMPLES} resamples measured, extrapolated to {RESAMPLES:,}")


if __name__ == "__main__":
    main()
