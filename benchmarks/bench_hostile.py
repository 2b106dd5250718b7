"""Hostile input: XES parse time against an attribute's length, and peak memory of each bomb through the upload path.

    python benchmarks/bench_hostile.py              # baseline up to 16 MB (it is quadratic: 64 MB takes minutes)
    python benchmarks/bench_hostile.py --full       # the baseline at 64 MB too

Table 1: one XES event whose activity is 1, 4, 16 and 64 MB long, read by journeymap's reader
(`xes.scan_xes`, the cell limit raised for the purpose) beside the reader it replaced, measured in
the same run: ElementTree's `iterparse` fed 16 KB at a time, as that reader was. Each cell is a fresh
process, so peak memory (max RSS from `os.wait4`) is that reading's alone; time is the reading's own.

Table 2: each bomb of the test catalogue (tests/hostile_files.py), plus a 2.5 GB gzip bomb at the
default limits, handed to `isolate.read_file_isolated` as the Data page hands an upload: the answer,
wall time, the peak RSS of the process that plays the server, and that of the child that read the file.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

SIZES_MB = (1, 4, 16, 64)

_XES_RUN = r"""
import sys, time
mb, reader = int(sys.argv[1]), sys.argv[2]
value = "a" * (mb << 20)
data = ('<log><trace><string key="concept:name" value="c1"/><event><string key="concept:name" value="'
        + value + '"/><date key="time:timestamp" value="2024-01-01T10:00:00"/></event></trace></log>').encode()
del value
from journeymap.log.limits import Limits
from journeymap.log.xes import scan_xes
start = time.perf_counter()
if reader == "ours":
    rows = scan_xes(data, "long.xes", limits=Limits(cell_kb=1 << 21)).frame.height
else:  # the reader before: iterparse, which feeds expat 16 KB at a time
    import io
    from xml.etree.ElementTree import iterparse
    rows = 0
    for _, element in iterparse(io.BytesIO(data), events=("end",)):
        if element.tag == "event":
            rows += 1
print(time.perf_counter() - start)
"""

_UPLOAD_RUN = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from hostile_files import CATALOGUE
from journeymap.core.errors import JourneyError
from journeymap.log.isolate import read_file_isolated
name = sys.argv[1]
if name == "default-bomb.csv.gz":
    import gzip
    content = gzip.compress(b"case,activity,timestamp\n") + gzip.compress(b"\0" * (64 << 20), 6) * 40
else:
    content = next(h for h in CATALOGUE if h.name == name).make()
start = time.perf_counter()
try:
    raw = read_file_isolated(content, name)
    answer = f"read: {raw.table().frame.height:,} rows"
except JourneyError as error:
    answer = str(error)
took = time.perf_counter() - start
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
server = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps({"answer": answer, "seconds": took, "child_mb": child, "server_mb": server, "bytes": len(content)}))
"""


def _run(code: str, *args: str, env: dict[str, str] | None = None) -> tuple[str, float]:
    """A fresh Python process's stdout and its peak RSS in MB."""
    child = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, **(env or {})})
    out = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    if status:
        raise RuntimeError(f"the benchmark process failed with status {status}")
    return out.strip(), usage.ru_maxrss / 1024


def xes_table(full: bool) -> None:
    print("XES: one event with an activity of N MB (time in s, peak RSS in MB of the reading process)")
    print(f"{'MB':>4} {'journeymap':>11} {'RSS':>7} {'iterparse (before)':>19} {'RSS':>7}")
    for mb in SIZES_MB:
        ours, ours_rss = _run(_XES_RUN, str(mb), "ours")
        if mb <= 16 or full:
            base, base_rss = _run(_XES_RUN, str(mb), "iterparse")
            before = f"{float(base):>19.2f} {base_rss:>7.0f}"
        else:
            before = f"{'(skipped, --full)':>19} {'':>7}"
        print(f"{mb:>4} {float(ours):>11.2f} {ours_rss:>7.0f} {before}")


def bomb_table() -> None:
    from hostile_files import BOMBS

    print()
    print("Bombs through the upload path (isolate.read_file_isolated): wall time, peak RSS of the server process "
          "and of the reading child (MB)")
    print(f"{'file':<22} {'size KB':>8} {'s':>6} {'server':>7} {'child':>6}  answer")
    cases = [(h.name, h.env) for h in BOMBS] + [("default-bomb.csv.gz", {})]
    for name, env in cases:
        out, _ = _run(_UPLOAD_RUN, name, str(ROOT / "tests"), env=env)  # wait4's peak folds the child in
        found = json.loads(out)
        server_rss = found["server_mb"]
        answer = found["answer"]
        print(f"{name:<22} {found['bytes'] / 1024:>8,.0f} {found['seconds']:>6.2f} {server_rss:>7.0f} "
              f"{found['child_mb']:>6}  {answer[:90]}{'…' if len(answer) > 90 else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="run the quadratic baseline at 64 MB as well")
    args = parser.parse_args()
    started = time.perf_counter()
    xes_table(args.full)
    bomb_table()
    print(f"\n({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
