"""Whole-process wall time and peak memory of `journeymap` commands, beside a bare `python -c pass`.

    python benchmarks/bench_cli.py                                # 5 runs each, median
    python benchmarks/bench_cli.py --runs 9
    python benchmarks/bench_cli.py --beside /tmp/jm_before/src    # also another checkout's src/

Every row is a fresh process started as a shell starts it (the venv's `journeymap` console script),
so its time is what a person waits for: the interpreter, every import, the work and the exit. Peak
memory is that process's max RSS, read from the rusage `os.wait4` returns for that one child
(`resource.getrusage(RUSAGE_CHILDREN)` is the same counter, but the maximum over every child so
far). The kinds take turns run after run, so a busy machine slows them alike; time is the median.

Rows: `python -c pass` (the interpreter alone); `python -c "import polars, pandas, narwhals"` (the
libraries `metrics` cannot do without: its floor); `journeymap --help`; `journeymap validate` on
the onboarding journey; `journeymap metrics` on the onboarding sample log (2,400 cases) and on a
~1M-event log (the onboarding generator, 120,000 cases, seed 7, made once as Parquet under
benchmarks/data/). `--beside SRC` runs the journeymap rows a second time
with PYTHONPATH=SRC, e.g. a `git worktree add /tmp/jm_before <commit>` of an older revision, so that
before and after are measured in the same run on the same inputs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
BIG_CASES = 120_000  # the onboarding generator makes ~8.5 events a case: ~1M events
PYTHON = sys.executable
JOURNEYMAP = str(Path(sys.executable).with_name("journeymap"))  # the console script the venv installed


# Run in a child: the ~1M-event log as a person would hand it over (the generator's columns, real
# timestamps), as Parquet so that the row times the metrics rather than CSV parsing; made once (seed
# 7, as bench_metrics.py and bench_load.py make theirs). It prints the paths of the inputs.
INPUTS = f"""
from pathlib import Path
from journeymap.journey.samples import generate_events, sample_events_path, sample_journey_path
big = Path({str(DATA)!r}) / "onboarding_{BIG_CASES}_events.parquet"
if not big.exists():
    big.parent.mkdir(parents=True, exist_ok=True)
    generate_events("onboarding", {BIG_CASES}, seed=7, as_datetime=True).write_parquet(big)
print(sample_journey_path("onboarding"), sample_events_path("onboarding"), big, sep="\\n")
"""


def commands() -> dict[str, list[str]]:
    """Each measured row and the command line it runs."""
    inputs = subprocess.run([PYTHON, "-c", INPUTS], check=True, capture_output=True, text=True).stdout
    journey, events, big = inputs.split("\n")[:3]
    return {
        "python -c pass": [PYTHON, "-c", "pass"],
        "python -c 'import polars, pandas, narwhals'": [PYTHON, "-c", "import polars, pandas, narwhals"],
        "journeymap --help": [JOURNEYMAP, "--help"],
        "journeymap validate onboarding.yaml": [JOURNEYMAP, "validate", journey],
        "journeymap metrics onboarding (2,400 cases)": [JOURNEYMAP, "metrics", events, "--journey", journey],
        "journeymap metrics 1M events (120,000 cases)": [JOURNEYMAP, "metrics", big, "--journey", journey],
    }


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one process running `argv`; it must exit 0."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
    error = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {process.returncode}: {error.strip()}")
    return elapsed, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--beside", type=Path, metavar="SRC", help="another checkout's src/ to time as well")
    args = parser.parse_args()

    plain = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    setups = {"this": plain}
    if args.beside:
        setups[str(args.beside)] = {**plain, "PYTHONPATH": str(args.beside.resolve())}
    rows = [(name, setup, argv) for name, argv in commands().items()
            for setup in (setups if name.startswith("journeymap") else ["this"])]
    for _, setup, argv in rows:  # one untimed run each: files in the page cache, .pyc written
        run_once(argv, setups[setup])
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {(name, setup): [] for name, setup, _ in rows}
    for _ in range(args.runs):
        for name, setup, argv in rows:
            samples[name, setup].append(run_once(argv, setups[setup]))

    floor = statistics.median(t for t, _ in samples["python -c pass", "this"])
    print(f"{'command':46} {'code':>22} {'median s':>9} {'min s':>7} {'- pass s':>9} {'peak MB':>8}")
    for (name, setup), runs in samples.items():
        times = [t for t, _ in runs]
        median = statistics.median(times)
        print(f"{name:46} {setup[-22:]:>22} {median:>9.2f} {min(times):>7.2f} {median - floor:>9.2f} "
              f"{statistics.median(m for _, m in runs):>8.0f}", flush=True)
    print(f"{args.runs} runs each, taking turns; '- pass' is the median less `python -c pass`'s; "
          f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
