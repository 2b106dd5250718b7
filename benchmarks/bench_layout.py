"""Layout time of a 70-transition journey map, beside a baseline measured in the same run.

    python benchmarks/bench_layout.py            # 15 timed runs after one warm-up
    python benchmarks/bench_layout.py --runs 30

The journey: every activity of a generated log of 25 activities (skips, loops; 400 cases), one
step per activity and one transition per observed pair: 69 transitions, as a draft of a real
log of that size gives. Rows:

- `journey_layout, everything`: ours, all 25 steps and 69 transitions (layers, a slot per layer
  for long transitions, barycentre sweeps, rows); target under 0.2 s.
- `map_detail, default at 820 x 675`: choosing what fits the app's map (several layouts).
- `map_chart at 820 x 675`: the whole map spec, layout, labels fitted and lines routed.
- baseline `networkx multipartite`: the same longest-path layers placed by networkx's
  `multipartite_layout` (no crossing reduction, no lanes, no routing), what the map did before
  in spirit (longest-path layers, steps stacked in their cell).

Each row gives the median wall time, the best, and the peak Python memory of one run
(tracemalloc: allocations made during the run).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx

from journeymap.charts.layout import find_back_edges, journey_layout
from journeymap.charts.map import map_chart
from journeymap.charts.mapdetail import map_detail
from journeymap.measures.hotspots import find_hotspots
from journeymap.measures.metrics import compute_metrics

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from map_cases import every_activity_journey, generated_log  # noqa: E402

TARGET_S = 0.2


def baseline(journey: Any) -> dict[str, Any]:
    """Longest-path layers (back edges dropped) placed by networkx's multipartite layout."""
    back = find_back_edges(journey)
    dag = nx.DiGraph()
    dag.add_nodes_from(step.id for step in journey.steps)
    dag.add_edges_from((t.source, t.target_step) for t in journey.transitions
                       if (t.source, t.target_step) not in back and t.source != t.target_step)
    for step in nx.topological_sort(dag):
        dag.nodes[step]["layer"] = max((dag.nodes[p]["layer"] + 1 for p in dag.predecessors(step)), default=0)
    return nx.multipartite_layout(dag, subset_key="layer")


def measure(run: Callable[[], Any], runs: int) -> tuple[float, float, float]:
    """Median and best wall seconds over `runs`, and the peak traced MB of one run."""
    run()  # warm-up
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        walls.append(time.perf_counter() - start)
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(walls), min(walls), peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    events = generated_log()
    journey = every_activity_journey(events)
    metrics = compute_metrics(events, journey)
    hotspots = find_hotspots(metrics, top=3)
    print(f"journey: {len(journey.steps)} steps, {len(journey.transitions)} transitions; {runs} runs each\n")
    rows = [
        ("journey_layout, everything", lambda: journey_layout(journey), TARGET_S),
        ("map_detail, default at 820 x 675", lambda: map_detail(metrics, hotspots=hotspots, width=820, height=675),
         None),
        ("map_chart at 820 x 675", lambda: map_chart(metrics, hotspots=hotspots, width=820, height=675), None),
        ("baseline: networkx multipartite", lambda: baseline(journey), None),
    ]
    print(f"{'what':<36}{'median s':>10}{'best s':>10}{'peak MB':>10}{'target s':>10}")
    for name, run, target in rows:
        median, best, peak = measure(run, runs)
        print(f"{name:<36}{median:>10.4f}{best:>10.4f}{peak:>10.2f}{target if target else '':>10}")


if __name__ == "__main__":
    main()
