"""Time and peak memory of reading a BPIC-size XES log: our expat reader (baseline) beside the fast one.

    python benchmarks/bench_xes.py                 # ~300,000 events, 3 runs each
    python benchmarks/bench_xes.py --runs 5 --events 1000000 --dir /tmp/xes-bench

The log is generated once (seeded) into --dir (default: a folder under the system's temporary
directory, never the repository), shaped like BPIC 2012: some 14,000 traces of 3 to 40 events,
each trace with a name, a registration date and an amount, each event with an activity, a
lifecycle transition, a timestamp with its offset and, nine times in ten, a resource. It is read
as plain .xes and as .xes.gz, by `journeymap.log.xes.scan_xes` with JOURNEYMAP_XES_READER=python
(our reader, the baseline) and without (the fast reader first, a NumPy scan of the bytes), each
reading in a fresh process after a warm-up read of a small log (libraries loaded, as in a running app;
interpreter start and imports are not timed), then once more in the same process (its memory already
mapped: the first large reading of a process also pays a page fault per 4 kB it touches). Wall
time and CPU time (all threads) are medians, peak memory (max RSS, interpreter and libraries
included) the largest; kinds take turns run after run. Each child also checks that its table is
the baseline's (a hash of every row) and that the fast reader answered, not our reader for it.
The machine's load average before and after is printed too: on a shared machine wall times are
noise, CPU times less so (but a busy sibling core slows them too).

The issue's target: at least 5 times faster than the baseline.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

READERS = {"ours": "ours (expat, baseline)", "fast": "fast (NumPy scan of the bytes)"}
ACTIVITIES = ([f"A_{n}" for n in ("SUBMITTED", "PARTLYSUBMITTED", "PREACCEPTED", "ACCEPTED", "FINALIZED")]
              + [f"W_{n}" for n in ("Completeren aanvraag", "Nabellen offertes", "Valideren aanvraag")]
              + [f"O_{n}" for n in ("SELECTED", "CREATED", "SENT", "SENT_BACK", "ACCEPTED")])


def make_log(folder: Path, n_events: int, seed: int = 7) -> Path:
    """The BPIC-shaped log of `n_events` events as .xes (and .xes.gz beside it), written once."""
    path = folder / f"bpic_like_{n_events}.xes"
    if path.exists() and path.with_suffix(".xes.gz").exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    resources = [str(10000 + i) for i in range(60)]
    out = [('<?xml version="1.0" encoding="UTF-8" ?>\n<log xes.version="1.0" xes.features="nested-attributes" '
           'xmlns="http://www.xes-standard.org/">\n'
           '\t<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>\n'
           '\t<global scope="trace">\n\t\t<string key="concept:name" value="__INVALID__"/>\n\t</global>\n'
           '\t<classifier name="Activity" keys="concept:name"/>\n')]
    start = datetime(2011, 10, 1, tzinfo=timezone(timedelta(hours=2)))
    done = case = 0
    while done < n_events:
        case += 1
        size = min(rng.randint(3, 40), n_events - done)
        when = start + timedelta(minutes=rng.randint(0, 500_000))
        out.append(f'\t<trace>\n\t\t<string key="concept:name" value="{173_688 + case}"/>\n'
                   f'\t\t<date key="REG_DATE" value="{when.isoformat(timespec="milliseconds")}"/>\n'
                   f'\t\t<string key="AMOUNT_REQ" value="{rng.randint(1, 999) * 100}"/>\n')
        for _ in range(size):
            when += timedelta(seconds=rng.randint(1, 90_000))
            out.append("\t\t<event>\n")
            if rng.random() < 0.9:
                out.append(f'\t\t\t<string key="org:resource" value="{rng.choice(resources)}"/>\n')
            out.append(
                f'\t\t\t<string key="lifecycle:transition" value="{rng.choice(("COMPLETE", "SCHEDULE", "START"))}"/>\n'
                f'\t\t\t<string key="concept:name" value="{rng.choice(ACTIVITIES)}"/>\n'
                f'\t\t\t<date key="time:timestamp" value="{when.isoformat(timespec="milliseconds")}"/>\n'
                "\t\t</event>\n"
            )
        done += size
        out.append("\t</trace>\n")
    out.append("</log>\n")
    data = "".join(out).encode()
    path.write_bytes(data)
    path.with_suffix(".xes.gz").write_bytes(gzip.compress(data, 6))
    return path


def run(reader: str, path: str) -> dict[str, object]:
    """One measured reading of `path` by `reader`, in this (fresh) process."""
    if reader == "ours":
        os.environ["JOURNEYMAP_XES_READER"] = "python"
    from journeymap.log import xesfast
    from journeymap.log.limits import Limits
    from journeymap.log.xes import scan_xes

    warm = (b"<log><trace><string key='concept:name' value='c'/><event><string key='concept:name' value='a'/>"
            b"<date key='time:timestamp' value='2024-01-01T10:00:00'/></event></trace></log>")
    scan_xes(warm, "warm-up.xes")
    started, cpu = time.perf_counter(), _cpu_s()
    frame = scan_xes(path).frame
    seconds, cpu = time.perf_counter() - started, _cpu_s() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    del frame
    again, again_cpu = time.perf_counter(), _cpu_s()  # a second reading: the process has the memory already
    frame = scan_xes(path).frame
    again, again_cpu = time.perf_counter() - again, _cpu_s() - again_cpu
    answered = None
    if reader == "fast":  # did the fast reader answer, or leave the file to ours? (not timed)
        limits = Limits().resolved()
        answered = xesfast.fast_scan(Path(path), Path(path).name, limits.decompressed_bytes, limits) is not None
    return {"seconds": seconds, "cpu_s": cpu, "again_s": again, "again_cpu_s": again_cpu, "peak_mb": peak_mb,
            "rows": frame.height, "columns": frame.columns,
            "hash": int(frame.hash_rows(seed=1).sum()), "fast_answered": answered}


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(reader: str, path: Path) -> dict[str, object]:
    env = {key: value for key, value in os.environ.items() if key != "JOURNEYMAP_XES_READER"}
    output = subprocess.run([sys.executable, __file__, "--child", reader, str(path)], check=True,
                            capture_output=True, text=True, env=env).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "journeymap-bench-xes")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(*args.child)))
        return
    plain = make_log(args.dir, args.events)
    inputs = {"xes": plain, "xes.gz": plain.with_suffix(".xes.gz")}
    results: dict[tuple[str, str], list[dict[str, object]]] = {(i, r): [] for i in inputs for r in READERS}
    load_before = os.getloadavg()[0]
    for _ in range(args.runs):
        for kind, path in inputs.items():
            for reader in READERS:
                results[kind, reader].append(child(reader, path))
    print(f"{args.events:,} events; {plain.stat().st_size / 2**20:,.0f} MB as .xes, "
          f"{inputs['xes.gz'].stat().st_size / 2**20:,.1f} MB as .xes.gz; medians of {args.runs} runs, "
          f"{os.cpu_count()} cores; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after\n")
    print("| input | reader | wall s | CPU s | peak MB | faster (wall) | faster (CPU) | same table "
          "| 2nd reading: wall s | CPU s | faster (wall) | faster (CPU) |")
    print("|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|")
    for kind in inputs:
        base = results[kind, "ours"]
        base_wall, base_cpu, base_again, base_again_cpu = (statistics.median(float(r[k]) for r in base)
                                                           for k in ("seconds", "cpu_s", "again_s", "again_cpu_s"))
        for reader, label in READERS.items():
            rows = results[kind, reader]
            wall, cpu, again, again_cpu = (statistics.median(float(r[k]) for r in rows)
                                           for k in ("seconds", "cpu_s", "again_s", "again_cpu_s"))
            same = all(r["hash"] == base[0]["hash"] and r["columns"] == base[0]["columns"] for r in rows)
            if reader == "fast" and not all(r["fast_answered"] for r in rows):
                label += " (left it to ours)"
            peak = max(float(r["peak_mb"]) for r in rows)
            print(f"| .{kind} | {label} | {wall:.2f} | {cpu:.2f} | {peak:,.0f} | {base_wall / wall:.1f}x | "
                  f"{base_cpu / cpu:.1f}x | {'yes' if same else 'NO'} | {again:.2f} | {again_cpu:.2f} | "
                  f"{base_again / again:.1f}x | {base_again_cpu / again_cpu:.1f}x |")


if __name__ == "__main__":
    main()
