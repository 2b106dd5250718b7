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

The baseline, measured in the same run and the same way, is the plain route: Altair's
`chart.to_dict()` handed to vl-convert's one-call export of the format (`vegalite_to_png` at
scale 2, `vegalite_to_svg`, `vegalite_to_pdf`, `vegalite_to_html` with the libraries inlined),
which is what `chart.save(...)` does. `ratio` is ours over the baseline.
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import vl_convert as vlc

from journeymap.charts.map import map_chart
from journeymap.export.render import CHART_FORMATS, DEFAULT_SCALE, export_chart
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import SAMPLE_JOURNEYS, sample_events_path, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.hotspots import find_hotspots
from journeymap.measures.metrics import compute_metrics

TARGETS_S = {"build": None, "png": 0.3, "svg": 0.3, "pdf": 0.5, "html": 1.5}
VL_VERSION = "6.4"  # the Vega-Lite version Altair 6.3 writes


def plain_export(chart: Any, fmt: str) -> bytes:
    """The baseline: the chart's spec straight through vl-convert, as `chart.save` would do it."""
    spec = chart.to_dict()
    if fmt == "png":
        return vlc.vegalite_to_png(spec, vl_version=VL_VERSION, scale=DEFAULT_SCALE)
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec, vl_version=VL_VERSION).encode("utf-8")
    if fmt == "pdf":
        return vlc.vegalite_to_pdf(spec, vl_version=VL_VERSION)
    return vlc.vegalite_to_html(spec, vl_version=VL_VERSION, bundle=True).encode("utf-8")


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
    header = (f"{'journey':18} {'what':6} {'median s':>9} {'cpu s':>7} {'baseline s':>10} {'ratio':>6} "
              f"{'target s':>9} {'ok':>3} {'peak MB':>8} {'bytes':>10}")
    print(header)
    print("-" * len(header))
    for journey_id in SAMPLE_JOURNEYS:
        journey = load_journey(sample_journey_path(journey_id))
        metrics = compute_metrics(read_events(sample_events_path(journey_id)).frame, journey)
        hotspots = find_hotspots(metrics, top=3)
        build = functools.partial(map_chart, metrics, hotspots=hotspots, width=1600, height=900)
        chart = build()
        baseline_chart = chart.properties(width=1600, height=900)
        rows: list[tuple[str, Callable[[], Any], Callable[[], Any] | None]] = [
            ("build", functools.partial(_spec_only, build), None)]
        rows += [(fmt, functools.partial(export_chart, chart, fmt),
                  functools.partial(plain_export, baseline_chart, fmt))
                 for fmt in CHART_FORMATS]
        for what, run, baseline_run in rows:
            run()  # warm-up
            wall, cpu, peak, size = measure(run, args.runs)
            baseline = "–" if baseline_run is None else f"{measure(baseline_run, args.runs)[0]:.3f}"
            ratio = "" if baseline_run is None else f"{wall / float(baseline):.2f}"
            target = TARGETS_S[what]
            verdict = "" if target is None else "yes" if wall <= target else "no"
            shown = "–" if target is None else f"{target:.1f}"
            print(f"{journey_id:18} {what:6} {wall:9.3f} {cpu:7.3f} {baseline:>10} {ratio:>6} {shown:>9} {verdict:>3} "
                  f"{peak:8.1f} {size or '':>10}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of the process: {rss:.0f} MB; load average at end {os.getloadavg()[0]:.1f}")
    print("build = map_chart(...) plus its Vega-Lite spec (to_dict with validation), not part of the export times")


if __name__ == "__main__":
    main()


def _spec_only(build: Callable[[], Any]) -> None:
    """Build a chart and its Vega-Lite spec, and nothing more."""
    build().to_dict()
