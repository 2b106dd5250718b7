"""Time and peak memory of reading a 1M-event CSV: explicit columns (baseline) beside detection and the draft.

    python benchmarks/bench_load.py              # ~1M events, 3 runs each
    python benchmarks/bench_load.py --runs 5

The log comes from the sample generator (onboarding journey, seed 7, 120,000 cases, ~1M events),
written once as CSV under benchmarks/data/ in two spellings of its header: the usual names
(case_id, activity, timestamp: found by name) and names no list knows (number, state,
sys_updated_at: found by their values). Rows measured, each in a fresh process (after a warm-up
read of the small sample log, as in a running app) so that its peak memory (max RSS, interpreter
and libraries included) is its own; time is the median of the runs:

- polars.read_csv: the file read as text columns and nothing else, for scale;
- explicit roles (baseline): read_events with case, activity and timestamp given;
- detected by name / by values: read_events finding the columns itself;
- ... + draft: the same, then journeymap.draft.draft_journey on the events.

The issue's budget: detection and the draft add at most 10% to loading (the baseline).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
CASES = 120_000  # the onboarding generator makes ~8.5 events a case
NAMED = ("case_id", "activity", "timestamp")
UNNAMED = ("number", "state", "sys_updated_at")
KINDS = {
    "polars": "polars.read_csv (text only)",
    "explicit": "explicit roles (baseline)",
    "named": "detected by name",
    "named+draft": "detected by name + draft",
    "values": "detected by values",
    "values+draft": "detected by values + draft",
}


def make_csv(header: tuple[str, str, str]) -> Path:
    """The ~1M-event CSV with this header for its case, activity and timestamp columns, written once."""
    path = DATA / f"onboarding_{CASES}_{header[0]}.csv"
    if not path.exists():
        from journeymap.samples import generate_events

        DATA.mkdir(parents=True, exist_ok=True)
        frame = generate_events("onboarding", CASES, seed=7)
        frame.rename(dict(zip(NAMED, header))).write_csv(path)
    return path


def run(kind: str, path: str) -> dict[str, float]:
    """One measured read of `path` in the way `kind` names."""
    import polars as pl

    from journeymap.draft import draft_journey
    from journeymap.events import read_events
    from journeymap.samples import sample_events_path

    draft_journey(read_events(sample_events_path("onboarding")).frame)  # warm-up
    header = UNNAMED if kind.startswith("values") else NAMED
    started = time.perf_counter()
    if kind == "polars":
        events = pl.read_csv(path, infer_schema=False).height
    elif kind == "explicit":
        events = read_events(path, case=header[0], activity=header[1], timestamp=header[2]).frame.height
    else:
        log = read_events(path)
        assert (log.roles.case, log.roles.activity, log.roles.timestamp) == header, log.roles
        if kind.endswith("+draft"):
            draft_journey(log.frame)
        events = log.frame.height
    return {"seconds": time.perf_counter() - started, "events": events,
            "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2}


def measure(kind: str, path: Path, runs: int) -> dict[str, float]:
    results = []
    for _ in range(runs):
        output = subprocess.run([sys.executable, __file__, "--child", kind, str(path)], check=True,
                                capture_output=True, text=True).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
    return {"seconds": statistics.median(r["seconds"] for r in results), "events": results[0]["events"],
            "peak_gb": max(r["peak_gb"] for r in results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(*args.child)))
        return
    paths = {NAMED: make_csv(NAMED), UNNAMED: make_csv(UNNAMED)}
    size_mb = paths[NAMED].stat().st_size / 1024**2
    print(f"~1M-event CSV ({size_mb:,.0f} MB), median of {args.runs} runs, each in a fresh process")
    print(f"{'read':>30} {'events':>11} {'time s':>7} {'peak GB':>8} {'vs baseline':>11}")
    baseline = None
    for kind, label in KINDS.items():
        result = measure(kind, paths[UNNAMED if kind.startswith("values") else NAMED], args.runs)
        baseline = result if kind == "explicit" else baseline
        ratio = f"{result['seconds'] / baseline['seconds']:>10.2f}x" if baseline else f"{'':>11}"
        print(f"{label:>30} {int(result['events']):>11,} {result['seconds']:>7.2f} {result['peak_gb']:>8.2f} {ratio}",
              flush=True)
    print("budget: detection and the draft add at most 10% to loading (<= 1.10x the baseline)")


if __name__ == "__main__":
    main()
