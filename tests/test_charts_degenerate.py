"""Charts of degenerate data are never blank: 0-second and identical durations, a single value, no
arrivals at all. Each chart is exported to SVG (journeymap.export.render) and its drawn marks are measured."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from journeymap.charts.explorer import arrival_chart, lead_time_chart
from journeymap.cli.main import main
from journeymap.export.render import export_chart
from journeymap.journey.definition import journey_to_yaml
from journeymap.measures.draft import draft_journey
from journeymap.measures.metrics import compute_metrics
from journeymap.testing import build_events

SVG = "{http://www.w3.org/2000/svg}"
RECT_PATH = re.compile(r"M(-?[\d.e+-]+),(-?[\d.e+-]+)h(-?[\d.e+-]+)v(-?[\d.e+-]+)h")

# Hand-made logs, times in hours from journeymap.testing.EPOCH.
LOGS: dict[str, dict[str, list[tuple[str, float]]]] = {
    # every event of a case at the same moment: every arrival takes 0 s
    "all at once": {f"c{i}": [("open", i), ("check", i), ("close", i)] for i in range(6)},
    # every arrival takes exactly 2 h
    "identical": {f"c{i}": [("open", i), ("check", i + 2), ("close", i + 4)] for i in range(6)},
    # one case of two events: a single arrival
    "single value": {"c1": [("open", 0), ("close", 3)]},
    # one step at 0 s, the next always 3 d later
    "zero and identical": {f"c{i}": [("open", i), ("check", i), ("close", i + 72)] for i in range(4)},
}


class Plot(NamedTuple):
    width: float
    height: float
    rects: list[tuple[float, float, float, float]]  # x, y, width, height of every rect of the data
    texts: list[str]
    svg: str


def plot_of(svg: bytes) -> Plot:
    """The plot area of an exported chart, the data's rects drawn in it and every text."""
    root = ET.fromstring(svg)
    frame = next(g for g in root.iter(f"{SVG}g") if "role-frame" in g.get("class", ""))
    background = next(p for p in frame.iter(f"{SVG}path") if p.get("class") == "background")
    _, _, width, height = _rect(background.get("d", ""))
    rects = [_rect(path.get("d", "")) for g in root.iter(f"{SVG}g") if _is_data(g, "mark-rect")
             for path in g.iter(f"{SVG}path")]
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    return Plot(width, height, rects, texts, svg.decode())


def _is_data(group: ET.Element, mark: str) -> bool:
    classes = group.get("class", "").split()
    return mark in classes and "role-mark" in classes


def _rect(d: str) -> tuple[float, float, float, float]:
    match = RECT_PATH.match(d)
    assert match, d
    return tuple(float(v) for v in match.groups())  # type: ignore[return-value]


def visible(plot: Plot) -> list[tuple[float, float, float, float]]:
    """The rects with a positive width and height that lie inside the plot."""
    return [(x, y, w, h) for x, y, w, h in plot.rects if w > 0.5 and h > 0.5 and x >= -0.5 and y >= -0.5
            and x + w <= plot.width + 0.5 and y + h <= plot.height + 0.5]


def metrics_of(name: str) -> Any:
    events = build_events(LOGS[name])
    return compute_metrics(events, draft_journey(events))


def svg_of(chart: Any) -> Plot:
    return plot_of(export_chart(chart, "svg"))


def assert_readable(plot: Plot) -> None:
    """Something is drawn, inside the plot, and nothing was placed at NaN or infinity."""
    assert visible(plot), f"no visible rect among {plot.rects}"
    assert not re.search(r"NaN|Infinity", plot.svg)


@pytest.mark.parametrize("name", sorted(LOGS))
class TestEveryDegenerateLog:
    def test_arrival_heatmap(self, name: str) -> None:
        """The Time page's heatmap draws a cell per step that has arrivals."""
        metrics = metrics_of(name)
        plot = svg_of(arrival_chart(metrics))
        assert_readable(plot)
        assert len(visible(plot)) == metrics.arrival_histogram["step"].nunique()

    def test_step_histogram(self, name: str) -> None:
        """The step-details histogram of every step with arrivals draws its bar inside the plot."""
        metrics = metrics_of(name)
        for step in metrics.arrival_histogram["step"].unique():
            assert_readable(svg_of(arrival_chart(metrics, step)))

    def test_lead_time_histogram(self, name: str) -> None:
        """The lead-time histogram on the same page draws a bar too."""
        assert_readable(svg_of(lead_time_chart(metrics_of(name))))


class TestZeroSeconds:
    def test_every_case_arrived_at_once_says_so(self) -> None:
        """One step whose arrivals all took 0 s: a bar at the axis's '0 s' and the sentence above it."""
        plot = svg_of(arrival_chart(metrics_of("all at once"), "check"))
        (bar,) = visible(plot)
        assert bar[0] == pytest.approx(0, abs=0.5) and bar[2] < plot.width / 2  # at the left edge, not the whole width
        assert "every case arrived at once (0 s)" in plot.texts
        assert "median 0 s" in plot.texts and "0 s" in plot.texts  # the rule's label and the axis's first tick

    def test_heatmap_cells_say_all_0_s(self) -> None:
        """Each step's lone cell in the heatmap is labelled with its one value."""
        plot = svg_of(arrival_chart(metrics_of("all at once")))
        assert plot.texts.count("all 0 s") >= 2  # check and close (each with its white outline, in SVG)

    def test_axis_starts_at_a_second_and_spans_two_decades(self) -> None:
        """The log axis never starts at 0 (where a log scale has no place) and is wide enough to read."""
        spec = arrival_chart(metrics_of("all at once")).to_dict()
        (low, high) = next(layer["encoding"]["x"]["scale"]["domain"] for layer in spec["layer"]
                           if layer["encoding"]["x"].get("scale", {}).get("domain"))
        assert low >= 1 and math.log10(high / low) >= 2

    def test_lead_time_of_zero(self) -> None:
        """Cases that finish the moment they start: a bar from 0, no negative axis, and the sentence."""
        plot = svg_of(lead_time_chart(metrics_of("all at once")))
        assert "every case finished at once (0 s)" in plot.texts and "median 0 s" in plot.texts
        assert not any(text.startswith(("-", "−")) for text in plot.texts)


class TestIdenticalDurations:
    def test_one_bar_is_not_the_whole_plot(self) -> None:
        """Arrivals that all took 2 h: one bar in a domain around it, and the words 'all 6 arrivals took 2.0 h'."""
        plot = svg_of(arrival_chart(metrics_of("identical"), "check"))
        (bar,) = visible(plot)
        assert 0 < bar[0] and bar[0] + bar[2] < plot.width and bar[2] < plot.width / 4
        assert "all 6 arrivals took 2.0 h" in plot.texts

    def test_the_axis_has_ticks(self) -> None:
        """At least two labelled ticks on the time axis, so the bar's place can be read."""
        plot = svg_of(arrival_chart(metrics_of("identical"), "check"))
        assert {"1 h", "4 h"} <= set(plot.texts)

    def test_a_label_near_the_right_edge_stays_inside(self) -> None:
        """'all 3.0 d' of the right-most cell is written to its left, not over the legend."""
        root = ET.fromstring(export_chart(arrival_chart(metrics_of("zero and identical")), "svg"))
        anchors = {"".join(t.itertext()): t.get("text-anchor") for t in root.iter(f"{SVG}text")}
        assert anchors["all 3.0 d"] == "end" and anchors["all 0 s"] == "start"

    def test_lead_times_all_alike(self) -> None:
        """Lead times that are all the same say so over their one bar."""
        plot = svg_of(lead_time_chart(metrics_of("identical")))
        assert "all 6 completed cases took 4.0 h" in plot.texts


class TestNothingToDraw:
    def test_a_step_without_arrivals_says_why(self) -> None:
        """The start step has no arrival times: a sentence instead of an empty plot, no NaN anywhere."""
        plot = svg_of(arrival_chart(metrics_of("single value"), "open"))
        assert "No arrival times at open: no case came here from an earlier step." in plot.texts
        assert not re.search(r"NaN|Infinity", plot.svg)

    def test_a_log_without_transitions(self) -> None:
        """Cases of one event each: the heatmap says that no case moved on, with no 'NaN%' legend."""
        events = build_events({"c1": [("open", 0)], "c2": [("open", 1)]})
        plot = svg_of(arrival_chart(compute_metrics(events, draft_journey(events))))
        assert "No arrival times yet: no case has moved from one step to another." in plot.texts
        assert not re.search(r"NaN|Infinity", plot.svg)

    def test_a_bare_log_without_targets(self) -> None:
        """Metrics without a journey have no target column; the charts draw all the same."""
        metrics = compute_metrics(build_events(LOGS["all at once"]))
        assert_readable(svg_of(arrival_chart(metrics)))
        assert_readable(svg_of(arrival_chart(metrics, "check")))


class TestExportCommand:
    @pytest.fixture
    def files(self, tmp_path: Path) -> tuple[Path, Path]:
        """The 'all at once' log as a CSV and its drafted journey as YAML."""
        events = tmp_path / "events.csv"
        rows = [f"{case},{activity},2026-01-05T{9 + int(hour):02d}:00:00Z"
                for case, steps in LOGS["all at once"].items() for activity, hour in steps]
        events.write_text("case_id,activity,timestamp\n" + "\n".join(rows) + "\n")
        journey = tmp_path / "journey.yaml"
        journey.write_text(journey_to_yaml(draft_journey(build_events(LOGS["all at once"]))))
        return events, journey

    @pytest.mark.parametrize("step", [None, "check"])
    def test_export_chart_arrival(self, files: tuple[Path, Path], tmp_path: Path, step: str | None,
                                  capsys: pytest.CaptureFixture[str]) -> None:
        """`journeymap export --chart arrival` (all steps, and one) writes an SVG with visible bars."""
        events, journey = files
        out = tmp_path / "arrival.svg"
        code = main(["export", str(journey), "--events", str(events), "--chart", "arrival", "--out", str(out),
                     *(["--step", step] if step else [])])
        assert code == 0, capsys.readouterr().err
        plot = plot_of(out.read_bytes())
        assert_readable(plot)
        assert ("every case arrived at once (0 s)" if step else "all 0 s") in plot.texts
