"""Time and peak memory of the full metric set, and of the per-case times (`case_step_times`, behind
Compare, What if, Flow and the ops measures), in working time beside the same in calendar time.

    python benchmarks/bench_working_time.py                  # ~1M events, Polars and DuckDB, both
    python benchmarks/bench_working_time.py --engines polars --measures casetimes

The log is the ~1M-event onboarding sample of benchmarks/bench_metrics.py (made once under
benchmarks/data/). The journey is the onboarding sample with a working calendar for each of its five
teams (three time zones, German, British and US public holidays, a lunch break), so that every
transition is counted on a calendar. Each measurement runs in a fresh process after one warm-up on
the small sample log, as bench_metrics does; "metrics" is compute_metrics plus the hotspots,
"casetimes" is case_step_times. The target: working time at most 2x the calendar-time figures, on
each engine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_metrics import SIZES, make_log  # noqa: E402

TIMES = ("calendar", "working")
MEASURES = ("metrics", "casetimes")


def journey_with_calendars() -> Any:
    """The onboarding sample with a calendar per owner team."""
    from journeymap.journey.definition import load_journey
    from journeymap.journey.model import Calendar
    from journeymap.journey.samples import sample_journey_path

    journey = load_journey(sample_journey_path("onboarding"))
    lunch = ((9 * 60, 12 * 60 + 30), (13 * 60 + 30, 17 * 60 + 30))
    calendars = (
        Calendar("people", "Europe/Berlin", hours=lunch, holidays="DE", subdivision="BE"),
        Calendar("recruiting", "Europe/London", holidays="GB"),
        Calendar("it", "America/New_York", hours=((8 * 60, 18 * 60),), holidays="US"),
        Calendar("desk", "Europe/Berlin", days=(0, 1, 2, 3, 4, 5), hours=((7 * 60, 19 * 60),), holidays="DE"),
    )
    owners = (("People Operations", "people"), ("Recruiting", "recruiting"), ("IT Procurement", "it"),
              ("IT Service Desk", "desk"), ("Hiring manager", "people"))
    return replace(journey, calendars=calendars, owner_calendars=owners)


def load(path: str, engine: str) -> Any:
    if engine == "polars":
        import polars as pl
        return pl.read_parquet(path)
    if engine == "duckdb":
        import duckdb
        return duckdb.read_parquet(path)
    import pandas as pd
    return pd.read_parquet(path)


def run(path: str, engine: str, clock: str, what: str = "metrics") -> dict[str, float]:
    import numpy as np

    from journeymap.journey.samples import sample_events_path
    from journeymap.log.readers import read_events
    from journeymap.measures.casetimes import case_step_times
    from journeymap.measures.hotspots import find_hotspots
    from journeymap.measures.metrics import compute_metrics

    journey = journey_with_calendars()
    small = read_events(sample_events_path("onboarding")).frame
    small = small.to_pandas() if engine == "pandas" else small
    if what == "casetimes":
        case_step_times(small, journey, time=clock)
    else:
        find_hotspots(compute_metrics(small, journey, time=clock))
    events = load(path, engine)
    started = time.perf_counter()
    if what == "casetimes":
        times = case_step_times(events, journey, time=clock)
        n_events, lead = len(times.event_ts), float(np.nanmedian(times.lead_time_s()))
    else:
        metrics = compute_metrics(events, journey, time=clock)
        find_hotspots(metrics)
        n_events, lead = metrics.n_events, metrics.lead_time["median_s"] or 0
    done = time.perf_counter()
    return {"metrics_s": done - started, "events": n_events, "lead_median_h": lead / 3600,
            "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2}


def measure(path: Path, engine: str, clock: str, what: str) -> dict[str, float]:
    output = subprocess.run([sys.executable, __file__, "--child", str(path), engine, clock, what], check=True,
                            capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", choices=sorted(SIZES), default=["1m"])
    parser.add_argument("--engines", nargs="+", default=["polars", "duckdb"])
    parser.add_argument("--measures", nargs="+", choices=MEASURES, default=list(MEASURES))
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(*args.child)))
        return
    print(f"{'log':>5} {'engine':>8} {'measure':>10} {'time':>9} {'events':>11} {'seconds':>8} {'peak GB':>8} "
          f"{'median lead':>12} {'vs calendar':>12}")
    for size in args.sizes:
        path = make_log(SIZES[size])
        for engine in args.engines:
            for what in args.measures:
                results = {clock: measure(path, engine, clock, what) for clock in TIMES}
                for clock, result in results.items():
                    ratio = result["metrics_s"] / results["calendar"]["metrics_s"]
                    print(f"{size:>5} {engine:>8} {what:>10} {clock:>9} {int(result['events']):>11,} "
                          f"{result['metrics_s']:>8.2f} {result['peak_gb']:>8.2f} {result['lead_median_h']:>10.1f} h "
                          f"{ratio:>11.2f}x", flush=True)
    print("target: working time <= 2x calendar time (metrics: compute_metrics and hotspots; casetimes: "
          "case_step_times; after loading)")


if __name__ == "__main__":
    main()
