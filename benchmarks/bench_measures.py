"""Time and peak memory of issue 15's measures on the ~1M-event sample, each beside a baseline run in the same process.

    python benchmarks/bench_measures.py                  # 120,000 onboarding cases, ~1M events
    python benchmarks/bench_measures.py --cases 20000

The log comes from the sample generator (onboarding journey, seed 7), with its survey column
(csat). It has no start times, so flow efficiency runs on a copy where each event started a random
share of its arrival before it completed (the first event of a case an hour before). Case times
are extracted once (timed too: every figure of a page shares them). Each figure is the best of
three runs; its peak memory the largest numpy/Python allocation above the start during one run
(tracemalloc). Baselines:

- pilot: the plain before/after comparison (`compare_change`, two groups) on the same cases; and
  the naive bootstrap (resample case indices, np.quantile) of the four groups, run for 20
  resamples and extrapolated to 1,000.
- satisfaction: a straightforward pandas pass for the same step means and waits (merge events
  with scores, group-by), without intervals or paths.
- flow efficiency: a straightforward pandas pass (sort, shift, clip, group-by) for the same
  per-step and end-to-end figures.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from journeymap.decide.compare import change_groups, compare_change, segment_values
from journeymap.decide.pilot import compare_pilot
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import SURVEY_COLUMN, generate_events, sample_journey_path
from journeymap.log.columns import ColumnRoles
from journeymap.log.readers import canonical_events
from journeymap.measures.casetimes import CaseTimes, case_step_times
from journeymap.measures.flowefficiency import flow_efficiency
from journeymap.measures.satisfaction import case_scores, find_satisfaction_column, satisfaction

RESAMPLES = 1000
NAIVE_RESAMPLES = 20
CHANGE = "2026-06-01"


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


def naive_pilot(times: CaseTimes, resamples: int) -> None:
    """Resample case indices of each of the four groups and call np.quantile, for lead time and every step."""
    rng = np.random.default_rng(0)
    pilot = segment_values(times, "department") == "Sales"
    before, after = change_groups(times, pd.Timestamp(CHANGE).date())
    lead = times.lead_time_s()
    has = ~np.isnan(times.arrival_s)
    for group in (pilot & before, pilot & after, ~pilot & before, ~pilot & after):
        values = [lead[group & ~np.isnan(lead)]]
        values += [times.arrival_s[has & (times.event_step == code) & group[times.event_case]]
                   for code in range(len(times.steps))]
        for sample in values:
            if len(sample):
                for _ in range(resamples):
                    np.quantile(sample[rng.integers(0, len(sample), len(sample))], [0.5, 0.85])


def naive_satisfaction(frame: pd.DataFrame, scores: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Mean score of the cases that passed each step, and of those that waited longer than the step's median."""
    with_scores = frame.merge(scores.rename("score"), left_on="case", right_index=True)
    passed = with_scores.drop_duplicates(["case", "step"]).groupby("step")["score"].mean()
    waits = with_scores.groupby(["step", "case"], as_index=False).agg(
        wait=("arrival_s", "sum"), score=("score", "first")
    )
    waits["long"] = waits["wait"] > waits.groupby("step")["wait"].transform("median")
    return passed, waits.groupby(["step", "long"])["score"].mean()


def naive_flow(frame: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Wait and work per arrival the pandas way: sort, shift, clip, group-by per step, then per case."""
    events = frame.sort_values(["case", "ts"], kind="stable")
    previous = events.groupby("case")["ts"].shift(1)
    arrival = (events["ts"] - previous) / 1e6
    wait = ((events["start"] - previous) / 1e6).clip(lower=0)
    wait = np.minimum(wait, arrival)
    events = events.assign(wait=wait, work=arrival - wait)
    per_step = events.groupby("step").agg(wait_median_s=("wait", "median"), work_median_s=("work", "median"),
                                          wait=("wait", "sum"), work=("work", "sum"))
    per_case = events.groupby("case")[["work", "wait"]].sum()
    return per_step, float(per_case["work"].sum() / (per_case["work"] + per_case["wait"]).sum())


def with_starts(events: pl.DataFrame, seed: int = 1) -> pl.DataFrame:
    """The log with start times: each event started a random share of the time since the case's previous event."""
    rng = np.random.default_rng(seed)
    ordered = events.sort("case", "ts", "row")
    previous = ordered["ts"].shift(1)
    first = (ordered["case"] != ordered["case"].shift(1)).fill_null(True).to_numpy()
    gap = (ordered["ts"] - previous).fill_null(0).to_numpy()
    start = ordered["ts"].to_numpy() - (rng.random(len(gap)) * gap).astype(np.int64)
    start[first] = ordered["ts"].to_numpy()[first] - 3_600_000_000
    return ordered.with_columns(start=pl.Series(start, dtype=pl.Int64))


def row(name: str, ours: tuple[float, float], baseline_name: str, baseline: float) -> tuple[str, float, float, str,
                                                                                             float]:
    return name, ours[0], ours[1], baseline_name, baseline


def main() -> None:
    """Build the log, time every figure beside its baseline and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=120_000)
    args = parser.parse_args()
    journey = load_journey(sample_journey_path("onboarding"))
    raw = generate_events("onboarding", args.cases, seed=7, as_datetime=True)
    events = canonical_events(raw, ColumnRoles(case="case_id", activity="activity", timestamp="timestamp")).frame
    segments = ("department",)
    extract = measure(lambda: case_step_times(events, journey, segments=segments), repeat=2)
    times = case_step_times(events, journey, segments=segments)
    rows = [("case times (extraction, shared)", *extract, "", float("nan"))]

    pilot = measure(lambda: compare_pilot(times, CHANGE, {"department": "Sales"}, resamples=RESAMPLES))
    plain, _ = measure(lambda: compare_change(times, CHANGE, resamples=RESAMPLES))
    naive, _ = measure(lambda: naive_pilot(times, NAIVE_RESAMPLES), repeat=1)
    rows.append(row(f"pilot DiD ({RESAMPLES:,} resamples)", pilot, "plain before/after", plain))
    rows.append(row("", (float("nan"), float("nan")), "naive bootstrap (extrapolated)",
                    naive * RESAMPLES / NAIVE_RESAMPLES))

    column, scale = find_satisfaction_column(events, (SURVEY_COLUMN,))

    def feel() -> Any:
        scores, answers = case_scores(events, times, column, scale)
        return satisfaction(times, scores, column, scale, answers=answers, resamples=RESAMPLES)

    scores, _ = case_scores(events, times, column, scale)
    frame = times.to_frame()
    answered = pd.Series(scores, index=times.case)[~np.isnan(scores)]
    ours = measure(feel)
    baseline, _ = measure(lambda: naive_satisfaction(frame, answered))
    rows.append(row(f"satisfaction ({RESAMPLES:,} resamples)", ours, "pandas means, no CIs", baseline))

    timed = with_starts(events)
    timed_times = case_step_times(timed, journey)
    ours = measure(lambda: flow_efficiency(timed_times))
    extract_timed, _ = measure(lambda: case_step_times(timed, journey), repeat=2)
    untimed = timed.with_columns(start=pl.lit(None, dtype=pl.Int64))  # the same rows and order, no start times
    extract_untimed, _ = measure(lambda: case_step_times(untimed, journey), repeat=2)
    flat = pd.DataFrame({"case": timed_times.case[timed_times.event_case], "step": timed_times.event_step,
                         "ts": timed_times.event_ts, "start": timed_times.event_start_us})
    baseline, _ = measure(lambda: naive_flow(flat))
    rows.append(row("flow efficiency", ours, "pandas sort/shift/group-by", baseline))
    rows.append(row("case times with start times", (extract_timed, float("nan")), "the same log without them",
                    extract_untimed))

    completed = int(times.status_is("completed").sum())
    print(f"{args.cases:,} cases, {completed:,} completed, {len(times.event_ts):,} events, "
          f"{int((~np.isnan(scores)).sum()):,} survey answers\n")
    print(f"| {'figure':36} | {'time':>8} | {'peak MB':>8} | {'baseline':32} | {'time':>8} |")
    print(f"|{'-' * 38}|{'-' * 10}|{'-' * 10}|{'-' * 34}|{'-' * 10}|")
    for name, seconds, megabytes, baseline_name, baseline_s in rows:
        ours_text = f"{seconds:6.3f} s" if seconds == seconds else ""
        mb_text = f"{megabytes:8.0f}" if megabytes == megabytes else ""
        base_text = f"{baseline_s:6.3f} s" if baseline_s == baseline_s else ""
        print(f"| {name:36} | {ours_text:>8} | {mb_text:>8} | {baseline_name:32} | {base_text:>8} |")
    print(f"\nnaive bootstrap: {NAIVE_RESAMPLES} resamples measured, extrapolated to {RESAMPLES:,}")


if __name__ == "__main__":
    main()
