"""Export times of the journey map of every sample journey, per format, beside the targets.

    python benchmarks/bench_export.py            # 9 timed runs per format after one warm-up
    python benchmarks/bench_export.py --runs 15

For each sample journey the metrics are computed once and the map (top three hotspots marked)
is built once; building it is timed on its own. Each format is then exported once to warm up
(vl-convert starts its JavaScript runtime, and the HTML bundle of Vega is built and cached),
then timed `--runs` times: the table gives the median wall time, the median CPU time of the
process (vl-convert renders on its own threads, so CPU can exceed wall), and the peak Python
memory of one run (tracemalloc: Python-side allocations only, not vl-convert's own heap).
The process's peak RSS is printed at the end. Sizes are the defaults: 1600 x 900, PNG at scale 2.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from journeymap.charts import map_chart
from journeymap.definition import load_journey
from journeymap.events import read_events
from journeymap.export import CHART_FORMATS, export_chart
from journeymap.hotspots import find_hotspots
from journeymap.metrics import compute_metrics
from journeymap.samples import SAMPLE_JOURNEYS, sample_events_path, sample_journey_path

TARGETS_S = {"build": None, "png": 0.3, "svg": 0.3, "pdf": 0.5, "html": 1.5}


def measure(run: Callable[[], Any], runs: int) -> tuple[float, float, float, int]:
    """Median wall and CPU seconds over `runs`, peak traced MB of one run, and the output size."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    tracemalloc.start()
    output = run()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(walls), statistics.median(cpus), peak, len(output) if output is not None else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start; {args.runs} runs after warm-up\n")
    header = (f"{'journey':18} {'what':6} {'median s':>9} {'cpu s':>7} {'target s':>9} {'ok':>3} {'peak MB':>8} "
              f"{'bytes':>10}")
    print(header)
    print("-" * len(header))
    for journey_id in SAMPLE_JOURNEYS:
        journey = load_journey(sample_journey_path(journey_id))
        metrics = compute_metrics(read_events(sample_events_path(journey_id)).frame, journey)
        hotspots = find_hotspots(metrics, top=3)
        build = lambda: map_chart(metrics, hotspots=hotspots, width=1600, height=900)  # noqa: E731
        chart = build()
        rows: list[tuple[str, Callable[[], Any]]] = [("build", lambda: build().to_dict() and None)]
        rows += [(fmt, lambda fmt=fmt: export_chart(chart, fmt)) for fmt in CHART_FORMATS]
        for what, run in rows:
            run()  # warm-up
            wall, cpu, peak, size = measure(run, args.runs)
            target = TARGETS_S[what]
            verdict = "" if target is None else "yes" if wall <= target else "no"
            shown = "–" if target is None else f"{target:.1f}"
            print(f"{journey_id:18} {what:6} {wall:9.3f} {cpu:7.3f} {shown:>9} {verdict:>3} {peak:8.1f} "
                  f"{size or '':>10}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of the process: {rss:.0f} MB; load average at end {os.getloadavg()[0]:.1f}")
    print("build = map_chart(...) plus its Vega-Lite spec (to_dict with validation), not part of the export times")


if __name__ == "__main__":
    main()
