"""A ~10M-event log three ways (CSV, Parquet, ingested folder) beside a hand-written Polars floor.

    python benchmarks/bench_scale.py                       # 1,200,000 onboarding cases, ~10.2M events
    python benchmarks/bench_scale.py --cases 120000        # ~1M events
    python benchmarks/bench_scale.py --data /tmp/jm-scale  # where the logs are made (never the repository)
    python benchmarks/bench_scale.py --app                 # also the app's first map and a filter change

The log is the onboarding generator's (seed 7), written once as Parquet (its own columns, timestamps
typed), as CSV (ISO text timestamps) and, by `journeymap ingest`, as an ingested folder. Each row is
one fresh process, as a shell starts it, so its time is the whole wait (interpreter, imports,
reading, every figure, the JSON printed), its CPU time (user + system, all threads) and its peak
memory (max RSS, both from `os.wait4`) its own. On a shared machine the wall times wait for the
cores; the CPU times do not, so the ratios to the floor are given for both:

- `journeymap metrics LOG` on the CSV, the Parquet file and the ingested folder;
- the floor: a hand-written Polars pass over the Parquet file (read the three columns, code the case
  ids as integers, one stable sort by code and time, shifts for the transitions, group-bys for the
  transition table and the case spans) and the same pass over the CSV. It computes a small part of
  what `metrics` does (no statuses, variants, steps, histogram, hotspots), so it is a floor, not a
  rival.

`--app` drives the app with AppTest (no browser) in this process: the Data page with
JOURNEYMAP_INGESTED_DIR set, the ingested log and the sample journey picked, "Show the map" pressed
(first map: reading the folder, every figure, the map drawn), then a segment filter on the Map page;
wall time and this process's CPU time (every thread) of each.
This process sets the allocator as the app and the command line do (`journeymap.core.memory`) before
it loads Polars; the processes it starts inherit the setting, the floor's too, so every row runs on
the same allocator.
Targets (issue 13): ingested within 1.2x of the floor; peak memory <= 2 GB; the app's first map
<= 3 s and a filter change <= 1 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from journeymap.core.memory import return_freed_memory_promptly

return_freed_memory_promptly()  # before Polars loads, as the app's own process does
PYTHON = sys.executable


def gb(mib: float) -> float:
    """Decimal gigabytes (the target's unit) of a peak in MiB: 2 GB is 1.86 GiB."""
    return mib * 1024 * 1024 / 1e9


FLOOR = r"""
import sys, polars as pl
path = sys.argv[1]
columns = ["case_id", "activity", "timestamp"]
if path.endswith(".csv"):
    events = pl.read_csv(path, columns=columns, schema_overrides={"timestamp": pl.String}).with_columns(
        pl.col("timestamp").str.to_datetime(time_zone="UTC"))
else:
    events = pl.read_parquet(path, columns=columns)
events = events.with_columns(pl.col("timestamp").dt.epoch("us").alias("ts"),
                             pl.col("case_id").cast(pl.Categorical).to_physical().alias("code"))
events = events.sort("code", "ts", maintain_order=True)
nxt = events.select(pl.col("code").shift(-1).alias("next_code"), pl.col("activity").shift(-1).alias("next"),
                    pl.col("ts").shift(-1).alias("next_ts"))
pairs = pl.concat([events, nxt], how="horizontal").filter(pl.col("next_code") == pl.col("code"))
seconds = (pl.col("next_ts") - pl.col("ts")) / 1e6
table = pairs.group_by("activity", "next").agg(pl.len(), seconds.median().alias("median_s"),
                                               seconds.mean().alias("mean_s"))
spans = events.group_by("code").agg(pl.col("ts").min().alias("first"), pl.col("ts").max().alias("last"), pl.len())
print(table.height, spans.height)
"""


def make_inputs(folder: Path, cases: int) -> dict[str, Path]:
    """The Parquet, CSV and ingested folder of the generated log (made once per folder and size)."""
    folder.mkdir(parents=True, exist_ok=True)
    parquet, csv, ingested = (folder / f"onboarding_{cases}.parquet", folder / f"onboarding_{cases}.csv",
                              folder / f"onboarding_{cases}.ingested")
    if not parquet.exists() or not csv.exists():
        import polars as pl

        from journeymap.journey.samples import generate_events

        raw = generate_events("onboarding", cases, seed=7, as_datetime=True)
        raw.write_parquet(parquet)
        raw.with_columns(pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%SZ")).write_csv(csv)
        del raw
    if not ingested.exists():
        seconds, _, peak = run_once([PYTHON, "-m", "journeymap", "ingest", str(parquet), "--out", str(ingested)])
        print(f"journeymap ingest (once): {seconds:.1f} s, peak {gb(peak):.2f} GB", flush=True)
    return {"csv": csv, "parquet": parquet, "ingested": ingested}


def run_once(argv: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one process; it must exit 0."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {process.returncode}: {error.strip()[-500:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def app_timings(ingested: Path) -> dict[str, tuple[float, float]]:
    """First map and a filter change on the ingested folder, through the Data page (AppTest, in process)."""
    os.environ["JOURNEYMAP_INGESTED_DIR"] = str(ingested)
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=900)
    at.run()
    at.switch_page("pages/data.py").run()
    begin, cpu = time.perf_counter(), time.process_time()  # from picking the ingested log: reading is part of it
    at.radio(key="jm_where").set_value("ingested").run()
    at.radio(key="jm_journey_how").set_value("sample").run()
    at.selectbox(key="jm_sample_journey").set_value("onboarding").run()
    at.button(key="jm_load").click().run()  # reads the folder (cached from the pick above) and switches
    first_map = time.perf_counter() - begin, time.process_time() - cpu
    if at.exception or not at.get("vega_lite_chart"):
        raise SystemExit(f"no map: {at.exception[0].message if at.exception else 'no chart drawn'}")
    at.switch_page("pages/map.py").run()  # AppTest reruns the page it was told, not the one the app switched to
    at.selectbox(key="jm_w_segment").select("location").run()
    begin, cpu = time.perf_counter(), time.process_time()
    at.multiselect(key="jm_w_values").set_value(["Berlin"]).run()
    change = time.perf_counter() - begin, time.process_time() - cpu
    if at.exception or not at.get("vega_lite_chart"):
        raise SystemExit("the filtered map was not drawn")
    return {"first map (Data page: pick the ingested log, a sample journey, Show the map)": first_map,
            "filter change (location = Berlin, first time)": change}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_200_000, help="onboarding cases (~8.5 events each)")
    parser.add_argument("--data", type=Path, default=Path("/tmp/journeymap-bench-scale"))
    parser.add_argument("--app", action="store_true", help="also time the app on the ingested folder")
    args = parser.parse_args()
    inputs = make_inputs(args.data, args.cases)
    rows = {
        "floor: hand-written Polars pass, Parquet": [PYTHON, "-c", FLOOR, str(inputs["parquet"])],
        "floor: hand-written Polars pass, CSV": [PYTHON, "-c", FLOOR, str(inputs["csv"])],
        "journeymap metrics, CSV": [PYTHON, "-m", "journeymap", "metrics", str(inputs["csv"])],
        "journeymap metrics, Parquet": [PYTHON, "-m", "journeymap", "metrics", str(inputs["parquet"])],
        "journeymap metrics, ingested folder": [PYTHON, "-m", "journeymap", "metrics", str(inputs["ingested"])],
    }
    run_once([PYTHON, "-m", "journeymap", "metrics", str(inputs["ingested"])])  # .pyc written, files cached
    results = {name: run_once(argv) for name, argv in rows.items()}
    floor, floor_cpu = results["floor: hand-written Polars pass, Parquet"][:2]
    import polars as pl

    events = pl.scan_parquet(inputs["parquet"]).select(pl.len()).collect().item()
    print(f"\n{events:,} events, {args.cases:,} cases; one fresh process each (whole-process time, peak RSS)\n")
    print(f"| {'run':<42} | {'s':>7} | {'x floor':>7} | {'CPU s':>7} | {'x floor':>7} | {'peak GB':>7} |")
    print(f"|{'-' * 44}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 9}|")
    for name, (seconds, cpu, peak) in results.items():
        print(f"| {name:<42} | {seconds:>7.1f} | {seconds / floor:>6.2f}x | {cpu:>7.1f} | {cpu / floor_cpu:>6.2f}x "
              f"| {gb(peak):>7.2f} |")
    ingested_s, ingested_cpu, ingested_peak = results["journeymap metrics, ingested folder"]
    print(f"\ningested vs floor {ingested_s / floor:.2f}x wall, {ingested_cpu / floor_cpu:.2f}x CPU (target <= 1.2x: "
          f"{'met' if ingested_s <= 1.2 * floor else 'MISSED'}); peak of metrics on the ingested folder "
          f"{gb(ingested_peak):.2f} GB (target <= 2 GB: {'met' if gb(ingested_peak) <= 2 else 'MISSED'})")
    if args.app:
        timings = app_timings(inputs["ingested"])
        print()
        for name, (seconds, cpu) in timings.items():
            print(f"| {name:<68} | {seconds:>6.1f} s | CPU {cpu:>6.1f} s |")
    print(f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
