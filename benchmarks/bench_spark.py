"""Spark in local mode beside Polars on the same ~1M-event log: time, peak memory, Spark jobs.

    python benchmarks/bench_spark.py                  # ~1M events (the onboarding log of bench_metrics)
    python benchmarks/bench_spark.py --cases 12000    # a smaller log
    python benchmarks/bench_spark.py --times calendar working   # also in working time


Each engine runs in a fresh process after a warm-up on the small sample log (for Spark: the session
is started and the JVM has compiled the code once, as in a long-running job). Spark reads the
canonical Parquet itself (`spark.read.parquet`), so the events never pass through the driver; Polars
reads it with `pl.read_parquet`. "metrics s" is `compute_metrics` plus `find_hotspots`, reading
included; "CPU s" the CPU time of that part (user and system, all threads; for Spark, the Python
process and the JVM), which a busy machine stretches less than the wall time. Peak memory is the
Python process's maximum resident set, plus the JVM's for Spark (its VmHWM, read from /proc before
the session stops). "jobs" counts the Spark jobs of one computation. In working time the journey is
bench_working_time's (the onboarding sample with a calendar per team), in calendar time the sample's.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_metrics import SIZES, make_log  # noqa: E402  (the same generated log, made once)

LOCAL_CORES = 2  # this kind of machine; Spark local mode uses them all, as Polars does


def run(engine: str, path: str, clock: str) -> dict[str, Any]:
    from bench_working_time import journey_with_calendars

    from journeymap.journey.definition import load_journey
    from journeymap.journey.samples import sample_events_path, sample_journey_path
    from journeymap.log.readers import read_events
    from journeymap.measures.hotspots import find_hotspots
    from journeymap.measures.metrics import compute_metrics as compute

    journey = journey_with_calendars() if clock == "working" else load_journey(sample_journey_path("onboarding"))
    compute_metrics = functools.partial(compute, time=clock)
    sample = read_events(sample_events_path("onboarding")).frame
    result: dict[str, Any] = {}
    if engine == "spark":
        from journeymap.engine.spark import spark_session, to_spark

        started = time.perf_counter()
        session = spark_session(f"local[{LOCAL_CORES}]")
        result["session_s"] = time.perf_counter() - started
        find_hotspots(compute_metrics(to_spark(sample, session), journey))  # warm-up
        context = session.sparkContext
        context.setJobGroup("measured", "compute_metrics on the benchmark log")
        started, cpu = time.perf_counter(), _cpu_s() + _jvm_cpu_s(context)
        metrics = compute_metrics(session.read.parquet(path), journey)
        find_hotspots(metrics)
        result["metrics_s"] = time.perf_counter() - started
        result["cpu_s"] = _cpu_s() + _jvm_cpu_s(context) - cpu
        result["jobs"] = len(context.statusTracker().getJobIdsForGroup("measured"))
        result["jvm_peak_gb"] = _jvm_peak_gb(context)
        session.stop()
    else:
        import polars as pl

        find_hotspots(compute_metrics(sample, journey))  # warm-up
        started, cpu = time.perf_counter(), _cpu_s()
        metrics = compute_metrics(pl.read_parquet(path), journey)
        find_hotspots(metrics)
        result["metrics_s"] = time.perf_counter() - started
        result["cpu_s"] = _cpu_s() - cpu
    result["events"], result["cases"] = metrics.n_events, metrics.n_cases
    result["status_counts"], result["lead_time"] = metrics.status_counts, metrics.lead_time
    result["python_peak_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return result


def _cpu_s() -> float:
    """CPU seconds (user and system, every thread) this Python process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _jvm_cpu_s(context: Any) -> float:
    """CPU seconds (user and system, every thread) the JVM that PySpark started has used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in _jvm_pids(context):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, and those of children it has waited for (fields 14-17 of stat): Python workers
        # (working time) are children of the JVM, and one that has exited is only in its parent's figures
        total += sum(int(field) for field in fields[11:15])
    return total / ticks


def _jvm_peak_gb(context: Any) -> float:
    """The peak resident memory of the JVM that PySpark started (and of its children), from /proc."""
    total_kb = 0
    for pid in _jvm_pids(context):
        try:
            lines = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            continue
        total_kb += sum(int(line.split()[1]) for line in lines if line.startswith("VmHWM:"))
    return total_kb / 1024**2


def _jvm_pids(context: Any) -> set[int]:
    """The process PySpark launched for its JVM and every descendant of it, from /proc."""
    root = context._gateway.proc.pid  # the launcher PySpark started; the JVM is it or its child
    pids, parents = {root}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    grew = True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in pids} - pids
        pids |= found
        grew = bool(found)
    return pids


def measure(engine: str, path: Path, clock: str) -> dict[str, Any]:
    output = subprocess.run([sys.executable, __file__, "--child", engine, str(path), clock], check=True,
                            capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=SIZES["1m"])
    parser.add_argument("--times", nargs="+", choices=("calendar", "working"), default=["calendar"])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(*args.child)))
        return
    path = make_log(args.cases)
    load = os.getloadavg()[0]
    print(f"{'engine':>22} {'time':>9} {'events':>11} {'metrics s':>9} {'CPU s':>7} {'peak GB':>8} {'jobs':>5} "
          f"{'vs Polars':>9}  same figures as Polars")
    for clock in args.times:
        results = {engine: measure(engine, path, clock) for engine in ("polars", "spark")}
        polars, spark = results["polars"], results["spark"]
        same = (polars["status_counts"], polars["lead_time"], polars["cases"]) == (
            spark["status_counts"], spark["lead_time"], spark["cases"])
        for name, result in results.items():
            peak = result["python_peak_gb"] + result.get("jvm_peak_gb", 0.0)
            label = "Polars (default)" if name == "polars" else f"Spark local[{LOCAL_CORES}]"
            print(f"{label:>22} {clock:>9} {result['events']:>11,} {result['metrics_s']:>9.2f} {result['cpu_s']:>7.1f} "
                  f"{peak:>8.2f} {result.get('jobs', '-'):>5} {result['metrics_s'] / polars['metrics_s']:>8.1f}x  "
                  f"{same if name == 'spark' else ''}", flush=True)
        print(f"  Spark session start (not in metrics s): {spark['session_s']:.1f} s; JVM peak "
              f"{spark['jvm_peak_gb']:.2f} GB of the Spark row's peak", flush=True)
    print(f"load average before the run: {load:.1f}, after: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(wall time grows with it; CPU s less so); same figures: statuses, lead times and case count")

if __name__ == "__main__":
    main()
