"""Time and peak memory of the token replay on ~100k cases, beside a rerun-per-frame baseline.

    python benchmarks/bench_replay.py                # ~125k onboarding cases, the last 90 days replayed
    python benchmarks/bench_replay.py --cases 20000

The log comes from the sample generator (onboarding journey, seed 7) and is turned into case
times once (shared with the what-if pages, timed here too). Ours: `replay_frames` (every frame's
cases per step, by difference arrays, plus a sample's moves) and the chart spec built from it,
each once per period; playing it is the browser's. The baseline is what a page that reran once
per frame would compute: for each frame, every case's latest event up to that moment and its step
(pandas, events sorted once), measured for 20 frames and extrapolated to the replay's frame count.
The spec's size is what the browser receives once. Peak memory: tracemalloc, one run.
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pandas as pd

from journeymap.charts.replay import replay_spec
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import generate_events, sample_journey_path
from journeymap.log.columns import ColumnRoles
from journeymap.log.readers import canonical_events
from journeymap.measures.casetimes import case_step_times
from journeymap.measures.metrics import compute_metrics
from journeymap.measures.replay import replay_frames

NAIVE_FRAMES = 20
DAY_US = 86_400 * 1_000_000


def measure(run: Callable[[], Any], repeat: int = 3) -> tuple[float, float, Any]:
    """Best wall time over `repeat` runs (seconds), peak traced memory of one run (MB), and its result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak / 1e6, result


def naive_frames(frame: pd.DataFrame, moments: list[int]) -> list[pd.Series]:
    """Cases per step at each moment, recomputed from the events for every frame (one rerun each)."""
    counts = []
    for moment in moments:
        seen = frame[frame["ts"] <= moment]
        latest = seen.groupby("case", sort=False).tail(1)
        counts.append(latest["step"].value_counts())
    return counts


def main() -> None:
    """Build the log, time the replay and the baseline, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=125_000)
    args = parser.parse_args()
    journey = load_journey(sample_journey_path("onboarding"))
    raw = generate_events("onboarding", args.cases, seed=7, as_datetime=True)
    events = canonical_events(raw, ColumnRoles(case="case_id", activity="activity", timestamp="timestamp")).frame
    metrics = compute_metrics(events, journey)
    extract_s, extract_mb, times = measure(lambda: case_step_times(events, journey), repeat=1)
    end = int(times.as_of_us)
    start = end - 90 * DAY_US
    replay_s, replay_mb, replay = measure(lambda: replay_frames(times, start_us=start, end_us=end))
    chart_s, chart_mb, spec = measure(lambda: replay_spec(metrics, replay, width=1240, height=560, large=True))
    spec_mb = len(json.dumps(spec)) / 1e6

    frame = times.to_frame().sort_values(["ts"], kind="stable")
    moments = [start + i * replay.bucket_ms * 1000 for i in range(NAIVE_FRAMES)]
    naive_s, naive_mb, _ = measure(lambda: naive_frames(frame, moments), repeat=1)
    naive_total = naive_s * replay.frames / NAIVE_FRAMES

    print(f"{times.n_cases:,} cases, {len(times.event_ts):,} events; replayed: {replay.n_cases:,} cases over "
          f"90 days, {replay.frames} frames, {replay.sampled} tokens; spec sent once: {spec_mb:.1f} MB\n")
    print(f"| {'step':40} | {'time':>8} | {'peak MB':>8} |")
    print(f"|{'-' * 42}|{'-' * 10}|{'-' * 10}|")
    for name, seconds, megabytes in (("case times (extraction, shared)", extract_s, extract_mb),
                                     ("replay_frames (all frames, once)", replay_s, replay_mb),
                                     ("replay chart spec (once)", chart_s, chart_mb),
                                     (f"baseline: rerun per frame ({NAIVE_FRAMES} frames)", naive_s, naive_mb),
                                     (f"baseline extrapolated to {replay.frames} frames", naive_total, naive_mb)):
        print(f"| {name:40} | {seconds:>6.3f} s | {megabytes:>8.0f} |")
    per_frame_ms = naive_s / NAIVE_FRAMES * 1000
    print(f"\nbaseline per frame: {per_frame_ms:.0f} ms of server time before any drawing (a 25 fps replay has "
          f"40 ms per frame); ours: {(replay_s + chart_s) * 1000:.0f} ms once, then no server time while playing")


if __name__ == "__main__":
    main()
