"""Time and peak memory of the full metric set, per engine, beside a plain pandas baseline.

    python benchmarks/bench_metrics.py                 # ~1M and ~10M events, both row orders
    python benchmarks/bench_metrics.py --sizes 1m      # just ~1M
    python benchmarks/bench_metrics.py --orders time   # just the log sorted by time

Logs come from the sample generator (onboarding journey), stored once as canonical Parquet under
benchmarks/data/, in two row orders: as generated, one case after another (as XES files and many
exports are), and sorted by timestamp (as an export of a busy system often is). Ordering events
by case is cheaper on the first, so both are measured. Every measurement runs in a fresh process
so that its peak memory (max RSS, interpreter and libraries included) is its own, after one
warm-up run on the small sample log (as in a running app, where libraries and thread pools have
started). "metrics" is what the map needs: transitions, steps, statuses, lead times, variants and
hotspots. The baseline is a straightforward pandas
pass (sort, shift, group-by) for transitions, case spans and reach, run on the same file.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
SIZES = {"1m": 120_000, "10m": 1_200_000}  # cases; the onboarding generator makes ~8.5 events a case


ORDERS = {"case": "grouped by case", "time": "sorted by time"}


def make_log(cases: int, order: str = "case") -> Path:
    """The canonical Parquet log for this many cases in this row order, generated once."""
    from journeymap.journey.samples import generate_events
    from journeymap.log.columns import ColumnRoles
    from journeymap.log.readers import canonical_events

    path = DATA / f"onboarding_{cases}.parquet"
    if order == "time":
        import polars as pl

        by_time = DATA / f"onboarding_{cases}_by_time.parquet"
        if not by_time.exists():
            pl.read_parquet(make_log(cases)).sort("ts", "row").write_parquet(by_time)
        return by_time
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        raw = generate_events("onboarding", cases, seed=7, as_datetime=True)
        log = canonical_events(raw, ColumnRoles(case="case_id", activity="activity", timestamp="timestamp"))
        log.frame.write_parquet(path)
    return path


def run_journeymap(path: str, engine: str) -> dict[str, float]:
    """Load the log into `engine`, then compute every figure the map needs."""
    from journeymap.journey.definition import load_journey
    from journeymap.journey.samples import sample_journey_path
    from journeymap.measures.hotspots import find_hotspots
    from journeymap.measures.metrics import compute_metrics

    journey = load_journey(sample_journey_path("onboarding"))
    warm_up(lambda frame: find_hotspots(compute_metrics(frame, journey)), engine)
    started = time.perf_counter()
    if engine == "polars":
        import polars as pl
        events = pl.read_parquet(path)
    elif engine == "duckdb":
        import duckdb
        events = duckdb.read_parquet(path)
    else:
        import pandas as pd
        events = pd.read_parquet(path)
    loaded = time.perf_counter()
    metrics = compute_metrics(events, journey)
    find_hotspots(metrics)
    done = time.perf_counter()
    return {"load_s": loaded - started, "metrics_s": done - loaded, "events": metrics.n_events}


def warm_up(compute: Any, engine: str) -> None:
    """One run on the small sample log first, as in a running app: libraries and thread pools start."""
    from journeymap.journey.samples import sample_events_path
    from journeymap.log.readers import read_events

    frame = read_events(sample_events_path("onboarding")).frame
    compute(frame.to_pandas() if engine in ("pandas", "baseline") else frame)


def run_baseline(path: str) -> dict[str, float]:
    """Plain pandas: sort by case and time, shift, group-by for transitions, case spans and reach."""
    import pandas as pd

    warm_up(_baseline_pass, "baseline")
    started = time.perf_counter()
    events = pd.read_parquet(path, columns=["case", "activity", "ts", "row"])
    loaded = time.perf_counter()
    _baseline_pass(events)
    done = time.perf_counter()
    return {"load_s": loaded - started, "metrics_s": done - loaded, "events": len(events)}


def _baseline_pass(events: Any) -> None:
    import pandas as pd

    events = events.sort_values(["case", "ts", "row"], kind="stable")
    same = events["case"].shift(-1) == events["case"]
    pairs = pd.DataFrame({"from": events["activity"], "to": events["activity"].shift(-1),
                          "duration_s": (events["ts"].shift(-1) - events["ts"]) / 1e6})[same]
    pairs.groupby(["from", "to"])["duration_s"].agg(["count", "median", "mean", "min", "max"])
    events.groupby("case")["ts"].agg(["min", "max", "count"])
    events.groupby("activity")["case"].nunique()


def child(kind: str, path: str) -> None:
    result = run_baseline(path) if kind == "baseline" else run_journeymap(path, kind)
    result["peak_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(json.dumps(result))


def measure(kind: str, path: Path) -> dict[str, float]:
    output = subprocess.run([sys.executable, __file__, "--child", kind, str(path)], check=True,
                            capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", choices=sorted(SIZES), default=["1m", "10m"])
    parser.add_argument("--engines", nargs="+", default=["polars", "duckdb", "pandas"])
    parser.add_argument("--orders", nargs="+", choices=sorted(ORDERS), default=["case", "time"])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"{'log':>5} {'rows':>15} {'engine':>9} {'events':>11} {'load s':>7} {'metrics s':>9} {'peak GB':>8} "
          f"{'vs baseline':>11}")
    for size in args.sizes:
        for order in args.orders:
            path = make_log(SIZES[size], order)
            baseline = measure("baseline", path)
            rows = [("baseline", baseline)] + [(engine, measure(engine, path)) for engine in args.engines]
            for name, result in rows:
                ratio = result["metrics_s"] / baseline["metrics_s"]
                print(f"{size:>5} {ORDERS[order]:>15} {name:>9} {int(result['events']):>11,} "
                      f"{result['load_s']:>7.2f} {result['metrics_s']:>9.2f} {result['peak_gb']:>8.2f} {ratio:>10.2f}x",
                      flush=True)
    print("targets: ~1M events <= 0.5 s; ~10M events <= 5 s with peak memory <= 3 GB (metrics, after loading)")


if __name__ == "__main__":
    main()
