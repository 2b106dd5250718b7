"""The map's colour, its ① marker and the hotspot ranking name the same step, timers included."""

from __future__ import annotations

from pathlib import Path

from journeymap.charts.map import map_chart
from journeymap.log.readers import read_events
from journeymap.measures.draft import draft_journey
from journeymap.measures.hotspots import find_hotspots
from journeymap.measures.metrics import compute_metrics


def test_timer_step_is_off_the_scale_and_the_first_hotspot_is_darkest(real_data: Path) -> None:
    """On drafted helpdesk, Closed (reached by a timer, 72% of lead time) is grey and says 'timer';
    the darkest coloured step is the ① hotspot."""
    events = read_events(real_data / "helpdesk.xes.gz").frame
    metrics = compute_metrics(events, draft_journey(events))
    hotspots = find_hotspots(metrics)
    nodes = {row["label"] if "label" in row else row["step"]: row
             for row in map_chart(metrics, hotspots=hotspots).datasets["journey_nodes"]}
    closed = next(row for row in nodes.values() if row["step"] == "closed")
    assert not closed["valid"] and closed["value_text"].startswith("timer ")
    coloured = [row for row in nodes.values() if row["valid"]]
    darkest = max(coloured, key=lambda row: row["measure"])
    assert darkest["step"] == hotspots[0].step
