"""Tests for journeymap.charts.explorer: what each chart draws, in words a user would check."""

from __future__ import annotations

import json
import re
from typing import Any

import altair as alt
import pandas as pd
import pytest
import vl_convert as vlc

from journeymap.charts.explorer import (
    arrival_chart,
    funnel_chart,
    lead_time_chart,
    lead_time_trend_chart,
    okr_chart,
    paths_chart,
)
from journeymap.charts.map import MEASURES, STEP_SELECTION, map_chart
from journeymap.charts.style import chart_subtitle, duration_expr
from journeymap.core.durations import format_seconds_as_text
from journeymap.core.errors import JourneyError
from journeymap.engine.filters import CaseFilter, filter_events
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import sample_events_path, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.hotspots import Hotspot, find_hotspots, hotspot_marker
from journeymap.measures.metrics import compute_metrics


def _metrics(journey_id: str, case_filter: CaseFilter | None = None) -> Any:
    journey = load_journey(sample_journey_path(journey_id))
    frame = read_events(sample_events_path(journey_id)).frame
    return compute_metrics(filter_events(frame, case_filter) if case_filter else frame, journey)


@pytest.fixture(scope="module")
def onboarding():
    return _metrics("onboarding")


@pytest.fixture(scope="module")
def service_desk():
    return _metrics("service_desk")


def dataset(chart: Any, name: str) -> pd.DataFrame:
    """One of the map's named tables (journey_nodes, journey_edges ...) as a data frame."""
    return pd.DataFrame(chart.datasets[f"journey_{name}"])


def nodes_of(chart: Any) -> pd.DataFrame:
    """The node table of a map, one row per drawn step."""
    return dataset(chart, "nodes").set_index("step")


def frame_of(chart: Any, index: int) -> pd.DataFrame:
    """The data of one layer (Altair moves data shared by every layer up to the layer chart)."""
    data = chart.layer[index].data
    return data if isinstance(data, pd.DataFrame) else chart.data


class TestMeasures:
    def test_measure_names(self):
        """The colour-by options are the four documented measures with their human names."""
        assert MEASURES == {"arrival_median_s": "Median time to arrive", "arrival_p85_s": "p85 time to arrive",
                            "drop_off_rate": "Drop-off rate", "delay_share": "Share of lead time"}

    def test_duration_expression_matches_python(self):
        """The Vega expression used for legends and axes writes seconds exactly like format_seconds_as_text."""
        values = [5, 59, 61, 3599, 3600, 7200, 86399, 86400, 266_000, 5_183_999, 5_184_000, 9e6]
        chart = alt.Chart(pd.DataFrame({"v": values, "i": range(len(values))})).transform_calculate(
            t=duration_expr("datum.v")).mark_text().encode(y="i:O", text="t:N")
        svg = vlc.vegalite_to_svg(chart.to_dict())
        shown = re.findall(r'<text[^>]*aria-roledescription="text mark"[^>]*>([^<]*)</text>', svg)
        assert shown == [format_seconds_as_text(v).replace("−", "-") for v in values]


class TestMapChart:
    def test_nodes_carry_the_step_selection_for_streamlit(self, onboarding):
        """The map declares a point selection named "step" over the field "step" on a named node layer."""
        spec = map_chart(onboarding).to_dict()
        (param,) = spec["params"]
        assert param["name"] == STEP_SELECTION == "step"
        assert param["select"] == {"type": "point", "fields": ["step"], "on": "click", "clear": "dblclick"}
        assert param["views"] == ["journey_nodes"]

    def test_every_designed_step_is_a_node(self, onboarding):
        """Each designed step is drawn once; off-map steps are not, unless asked for."""
        nodes = nodes_of(map_chart(onboarding))
        assert sorted(nodes.index) == sorted(s.id for s in onboarding.journey.steps)

    def test_off_map_steps_and_transitions_on_request(self, onboarding):
        """With show_off_map, off-map steps appear and frequent off-map transitions are grey dashed lines."""
        chart = map_chart(onboarding, show_off_map=True)
        assert {"Buddy assigned", "Manager pinged HR"} <= set(nodes_of(chart).index)
        edges = dataset(chart, "edges")
        assert "Not in the design" in set(edges["kind"])

    def test_hotspots_have_a_numbered_label_and_a_ring(self, onboarding):
        """The top hotspots get "① Label" text and a ring, not just a colour."""
        hotspots = find_hotspots(onboarding, top=3)
        nodes = nodes_of(map_chart(onboarding, hotspots=hotspots))
        first = hotspots[0]
        assert "①\u00a0" + first.label in nodes.loc[first.step, "lines"].replace("\n", " ")
        ringed = set(nodes.index[nodes["ring"] > 0])
        assert ringed == {h.step for h in hotspots}

    def test_hotspots_past_the_tenth_are_numbered_in_brackets(self, onboarding):
        """The charts' font has circled numbers to ten only: the 11th hotspot is "(11) Label"."""
        ranked = [Hotspot(step, onboarding.step_label(step), ("delay",), 0.0, "")
                  for step in onboarding.journey.graph.nodes][:12]
        nodes = nodes_of(map_chart(onboarding, hotspots=ranked))
        lines = {step: nodes.loc[step, "lines"].replace("\n", " ") for step in nodes.index}
        assert lines[ranked[9].step].startswith("⑩\u00a0") and lines[ranked[10].step].startswith("(11)\u00a0")
        assert [hotspot_marker(rank) for rank in (1, 10, 11, 21)] == ["①", "⑩", "(11)", "(21)"]

    def test_loops_are_dashed_and_designed_transitions_solid(self, onboarding):
        """Back edges are of the dashed "loop" kind; forward designed ones are solid."""
        edges = dataset(map_chart(onboarding), "edges")
        kinds = edges.groupby("name")["kind"].first()
        assert kinds["Documents requested → Background check"] == "Loop back (rework)"
        assert kinds["Background check → Documents requested"] == "Designed transition"
        spec = map_chart(onboarding).to_dict()
        dash = next(layer["encoding"]["strokeDash"] for layer in spec["layer"]
                    if "strokeDash" in layer.get("encoding", {}))
        ranges = dict(zip(dash["scale"]["domain"], dash["scale"]["range"]))
        assert ranges["Loop back (rework)"] == [7, 4] and ranges["Designed transition"] == []  # [] = solid

    def test_edge_width_grows_with_count(self, onboarding):
        """The busiest transition is drawn wider than a rare one."""
        edges = dataset(map_chart(onboarding), "edges")
        widths = edges.groupby("name")["width"].first()
        assert widths["Offer accepted → Background check"] > widths["Equipment returned → Equipment ordered"]

    def test_node_size_follows_cases_reached(self, onboarding):
        """A step more cases reached is drawn bigger."""
        nodes = nodes_of(map_chart(onboarding))
        assert nodes.loc["offer_accepted", "size"] > nodes.loc["equipment_returned", "size"]

    def test_no_list_valued_fields(self, onboarding):
        """Multi-line labels are newline-joined text drawn with lineBreak, so Arrow (Streamlit) keeps them."""
        spec = map_chart(onboarding, hotspots=find_hotspots(onboarding, top=3)).to_dict()
        for rows in spec["datasets"].values():
            assert not any(isinstance(value, list) for row in rows for value in row.values())
        assert spec["config"]["text"]["lineBreak"] == "\n"
        assert "\n" in nodes_of(map_chart(onboarding)).loc["documents_requested", "lines"]

    def test_human_durations_in_labels_and_tooltips(self, onboarding):
        """Times read like "5.2 d", never as raw seconds."""
        nodes = nodes_of(map_chart(onboarding, color_by="arrival_median_s"))
        shipped = onboarding.steps.set_index("step").loc["equipment_shipped"]
        assert nodes.loc["equipment_shipped", "value_text"] == format_seconds_as_text(shipped["arrival_median_s"])
        assert re.fullmatch(r"\d+(\.\d)? (s|min|h|d|w)", nodes.loc["equipment_shipped", "p85_text"])

    def test_colour_by_any_numeric_step_column(self, onboarding):
        """A colleague's extra numeric column (p85_impact_s) can colour the map, with a readable legend title."""
        steps = onboarding.steps.assign(p85_impact_s=range(len(onboarding.steps)))
        metrics = type(onboarding)(**{**onboarding.__dict__, "steps": steps})
        spec = map_chart(metrics, color_by="p85_impact_s").to_dict()
        assert "P85 impact" in json.dumps(spec)

    def test_unknown_measure_is_a_user_error(self, onboarding):
        """Colouring by a column that does not exist, or is text, says what to use instead."""
        for bad in ("nope", "label"):
            with pytest.raises(JourneyError, match="Cannot colour the map"):
                map_chart(onboarding, color_by=bad)

    def test_stage_reveal_keeps_positions(self, onboarding):
        """Showing only the first stage draws its steps alone, at the same places as on the full map."""
        full, first = nodes_of(map_chart(onboarding)), nodes_of(map_chart(onboarding, stages_shown=1))
        preboarding = {s.id for s in onboarding.journey.steps if s.stage == "preboarding"}
        assert set(first.index) == preboarding
        assert first[["x", "y"]].equals(full.loc[first.index, ["x", "y"]])

    def test_spotlight_dims_everything_else(self, onboarding):
        """The spotlit step stays opaque with a heavy ring; every other step is dimmed."""
        nodes = nodes_of(map_chart(onboarding, spotlight="equipment_shipped"))
        assert nodes.loc["equipment_shipped", "opacity"] == 1.0
        assert (nodes.drop(index="equipment_shipped")["opacity"] < 0.5).all()
        assert nodes.loc["equipment_shipped", "ring"] > 0

    def test_large_type_for_projectors(self, onboarding):
        """Large mode raises the font sizes of labels and titles."""
        normal, large = map_chart(onboarding).to_dict(), map_chart(onboarding, large=True).to_dict()
        assert large["title"]["fontSize"] > normal["title"]["fontSize"]
        assert large["config"]["legend"]["labelFontSize"] > normal["config"]["legend"]["labelFontSize"]

    def test_positions_do_not_depend_on_filters(self, onboarding):
        """A filtered log draws every designed step exactly where the full log does."""
        segment = _metrics("onboarding", CaseFilter(segments={"location": ("Warsaw",)}))
        full, part = nodes_of(map_chart(onboarding)), nodes_of(map_chart(segment))
        assert part[["x", "y"]].equals(full.loc[part.index, ["x", "y"]])

    def test_spec_is_deterministic(self, onboarding):
        """Two builds of the same map give the same Vega-Lite JSON (no random ids)."""
        hotspots = find_hotspots(onboarding, top=3)
        one = json.dumps(map_chart(onboarding, hotspots=hotspots).to_dict(), sort_keys=True)
        two = json.dumps(map_chart(onboarding, hotspots=hotspots).to_dict(), sort_keys=True)
        assert one == two
        assert not re.search(r'"(param|selector|view)_\d+', one)
        assert set(json.loads(one)["datasets"]) == {"journey_lanes", "journey_edges", "journey_arrows",
                                                    "journey_nodes", "journey_rings"}

    def test_titles_and_subtitle(self, onboarding):
        """The default title names the journey and measure; the subtitle names the data range and as-of date."""
        spec = map_chart(onboarding).to_dict()
        assert spec["title"]["text"] == "Employee onboarding: share of lead time at each step"
        assert spec["title"]["subtitle"] == chart_subtitle(onboarding)
        assert "title" not in map_chart(onboarding, title="", subtitle="").to_dict()


class TestSubtitle:
    def test_subtitle_says_journey_range_filter_and_as_of(self, onboarding):
        """The subtitle carries the journey name, event date range, filter in words and as-of date."""
        text = chart_subtitle(onboarding, CaseFilter(segments={"department": ("Sales",)}))
        first = pd.Timestamp(onboarding.cases["first_ts"].min(), unit="us").date()
        assert text == (f"Employee onboarding · events {first} to 2026-10-30 · department = Sales · "
                        "as of 2026-10-30")

    def test_no_filter_reads_all_cases(self, onboarding):
        """Without a filter the subtitle says all cases."""
        assert "· all cases ·" in chart_subtitle(onboarding)


class TestOtherCharts:
    def test_every_chart_is_a_valid_titled_spec(self, onboarding):
        """Each builder returns a chart whose spec validates against Vega-Lite and has a title."""
        journey = onboarding.journey
        for chart in (funnel_chart(onboarding), lead_time_chart(onboarding), lead_time_trend_chart(onboarding),
                      arrival_chart(onboarding), arrival_chart(onboarding, "equipment_shipped"),
                      okr_chart(onboarding, journey.okrs[0]), paths_chart(onboarding)):
            spec = chart.to_dict()  # validates
            assert spec["title"]["text"]

    def test_funnel_lists_designed_steps_with_outcomes(self, onboarding):
        """Designed steps in order, exit steps last; dropped and in-flight cases are shown apart."""
        bars = frame_of(funnel_chart(onboarding), 0)
        order = list(dict.fromkeys(bars["label"]))
        assert order[0] == "Offer accepted" and order[-1] == "Offer withdrawn"
        docs = bars[bars["label"] == "Documents requested"].set_index("outcome")["cases"]
        row = onboarding.steps.set_index("step").loc["documents_requested"]
        assert docs["Dropped here"] == row["dropped"] and docs["In flight here"] == row["in_flight"]
        assert docs.sum() == row["reached"]
        assert set(bars.loc[bars["label"] == "First login", "outcome"]) == {"Completed"}

    def test_lead_time_marks_median_p85_p95(self, onboarding):
        """The lead-time histogram counts every completed case and labels the three percentiles."""
        chart = lead_time_chart(onboarding)
        assert frame_of(chart, 0)["count"].sum() == onboarding.lead_time["count"]
        texts = list(frame_of(chart, -1)["text"])
        assert texts == [f"{name} {format_seconds_as_text(onboarding.lead_time[f'{name}_s'])}"
                         for name in ("median", "p85", "p95")]

    def test_trend_marks_changes_with_titles(self, onboarding):
        """The weekly trend draws the journey's dated change with its title."""
        spec = json.dumps(lead_time_trend_chart(onboarding).to_dict())
        assert "01 Jun: Laptops pre-imaged and\\nshipped from regional vendor stock" in spec  # whole, on two lines

    def test_arrival_for_one_step_shows_its_target(self, onboarding):
        """One step's arrival chart draws its p85 target line with a human label."""
        spec = json.dumps(arrival_chart(onboarding, "equipment_shipped").to_dict(), ensure_ascii=False)
        assert "target p85 7.0 d" in spec

    def test_arrival_for_unknown_step(self, onboarding):
        """Asking for a step that does not exist is a user error."""
        with pytest.raises(JourneyError, match="not a step"):
            arrival_chart(onboarding, "teleport")

    def test_okr_is_weekly_by_week_of_reaching_its_to_step(self, onboarding):
        """The OKR chart plots the OKR's own weekly series (weeks with five cases or more) and says where it stands."""
        from journeymap.measures.okr import okr_status

        okr = onboarding.journey.okrs[0]
        chart = okr_chart(onboarding, okr)
        weekly = [layer.data for layer in chart.layer if isinstance(layer.data, pd.DataFrame) and "week" in layer.data
                  and "value_s" in layer.data]
        status = okr_status(onboarding, okr)
        assert weekly and (weekly[0]["cases"] >= 5).all()
        assert list(weekly[0]["value_s"]) == list(status.weekly["value_s"])
        spec = json.dumps(chart.to_dict(), ensure_ascii=False)
        assert "Week the cases reached First login" in spec
        assert status.sentence in " ".join(chart.to_dict()["title"]["subtitle"])  # wrapped onto lines, whole

    def test_okr_trend_marks_changes(self, onboarding):
        """The weekly OKR chart draws the journey's dated change, as every trend chart does."""
        spec = json.dumps(okr_chart(onboarding, onboarding.journey.okrs[0]).to_dict())
        assert "01 Jun: Laptops pre-imaged and\\nshipped from regional vendor stock" in spec  # whole, on two lines

    def test_okr_that_is_not_lead_time_is_measured_per_case(self, service_desk):
        """New -> resolved is not the lead time, yet it is measured per case: no upper bound in its place."""
        okr = service_desk.journey.okrs[0]
        spec = json.dumps(okr_chart(service_desk, okr).to_dict(), ensure_ascii=False)
        assert "not measured per case" not in spec and "upper bound" not in spec
        assert "The p85 time from New to Resolved: now 9.9 d over" in spec

    def test_paths_describe_variants_against_the_most_common(self, onboarding):
        """Paths read as differences from path #1 ("skips Day-1 orientation"), with counts and lead times."""
        table = frame_of(paths_chart(onboarding), 0)
        first = table["variant"].iloc[0].replace("\n", " ")
        assert first.startswith("#1 most common path: Offer accepted → Background")
        assert "#2 skips Day-1 orientation" in list(table["variant"])
        assert table["text"].iloc[0].startswith(f"{onboarding.variants['count'].iloc[0]:,} cases (46%)")
        assert table["count"].is_monotonic_decreasing
        assert table["text"].iloc[0].startswith(f"{onboarding.variants['count'].iloc[0]:,} cases")


class TestSparseData:
    def test_every_chart_draws_before_any_case_completes(self):
        """Two cases, none completed: every chart still builds a valid spec that renders to SVG."""
        from journeymap.export.render import export_chart
        from journeymap.testing import build_events

        journey = load_journey(sample_journey_path("onboarding"))
        events = build_events({"c1": [("Offer accepted", 0), ("Background check", 30)], "c2": [("Offer accepted", 1)]})
        metrics = compute_metrics(events, journey)
        assert metrics.lead_time["count"] == 0
        for chart in (map_chart(metrics), map_chart(metrics, stages_shown=0), funnel_chart(metrics),
                      lead_time_chart(metrics), lead_time_trend_chart(metrics), arrival_chart(metrics),
                      okr_chart(metrics, journey.okrs[0]), paths_chart(metrics)):
            chart.to_dict()
            assert export_chart(chart, "svg", width=600, height=400).startswith(b"<svg")
        from journeymap.measures.okr import okr_status
        assert "no completed case has gone from one to the other yet" in okr_status(metrics, journey.okrs[0]).sentence


def _colour_legend(spec: Any) -> tuple[dict[str, Any], list[float]]:
    """The map's colour legend (the one with a gradient) and its scale's domain, found anywhere in the spec."""
    if isinstance(spec, dict):
        legend = spec.get("legend")
        if isinstance(legend, dict) and "gradientLength" in legend:
            return legend, spec["scale"]["domain"]
        children = list(spec.values())
    else:
        children = list(spec) if isinstance(spec, list) else []
    for child in children:
        found = _colour_legend(child)
        if found[0]:
            return found
    return {}, []


class TestMapLegendTicks:
    @pytest.mark.parametrize("scale, width", [(1.0, 820), (1.0, 1460), (1.5, 1240), (2.25, 1860)])
    @pytest.mark.parametrize("color_by", ["delay_share", "drop_off_rate", "arrival_median_s"])
    def test_tick_labels_stand_apart(self, onboarding, scale, width, color_by):
        """The colour legend's tick labels, measured in the chart's font at its size, keep a gap between them
        at the page's and the projectors' sizes (at 1920×1080 Vega's own ticks read "0%4%6%8%")."""
        from journeymap.charts.textfit import text_width

        spec = map_chart(onboarding, color_by=color_by, width=width, height=675, scale=scale).to_dict()
        legend, (low, top) = _colour_legend(spec)
        values = legend["values"]
        assert 3 <= len(values) <= 6 and values[0] == 0 and values[-1] <= top
        size = spec["config"]["legend"]["labelFontSize"]
        words = [f"{v:.0%}" if color_by != "arrival_median_s" else format_seconds_as_text(v) for v in values]
        centres = [legend["gradientLength"] * (v - low) / (top - low) for v in values]
        for (a, wa), (b, wb) in zip(zip(centres, words), zip(centres[1:], words[1:])):
            gap = (b - a) - (text_width(wa, size) + text_width(wb, size)) / 2
            assert gap >= size / 2, f"{wa} and {wb} at {scale}x are {gap:.1f} px apart"


@pytest.mark.parametrize(("path", "words"), [
    (["Create Fine", "Send Fine", "Add penalty"], "Send Fine → Add penalty instead of Payment"),
    (["Create Fine", "Payment", "Payment"], "repeats Payment"),
    (["Create Fine", "Payment", "Payment", "Payment"], "repeats Payment 2 more times"),
    (["Create Fine", "Appeal"], "ends at Appeal after Create Fine"),
    (["Create Fine"], "stops after Create Fine"),
])
def test_a_path_is_told_by_how_it_differs(path: list[str], words: str) -> None:
    """Against #1 (Create Fine → Payment) a path reads as an ops lead would say it: not "adds Payment after
    Payment", not "ends at A → B → C after Create Fine"."""
    from journeymap.charts.explorer import _difference

    assert _difference(["Create Fine", "Payment"], path) == words


@pytest.mark.parametrize(("years", "period"), [(1.5, "week"), (5, "month"), (12, "quarter")])
def test_the_trend_reads_by_week_month_or_quarter(years: float, period: str) -> None:
    """Starts over 1.5 years draw week by week; over 5 years (260 weeks) month by month; over 12 (144 months)
    quarter by quarter: twelve years of weeks were an unreadable zigzag. Each point is its period's median."""
    from journeymap.testing import build_events

    span_h = int(years * 365.25 * 24)
    cases = {f"c{i}": [("open", i * span_h // 600), ("close", i * span_h // 600 + 24 + i % 5)] for i in range(600)}
    metrics = compute_metrics(build_events(cases))
    spec = lead_time_trend_chart(metrics).to_dict()
    assert spec["title"]["text"] == f"Lead time {period} by {period}"
    rows = next(rows for rows in spec["datasets"].values() if rows and "statistic" in rows[0])
    starts = sorted({row["week"] for row in rows})
    if period != "week":
        assert all(start.endswith("-01") for start in starts), starts[:5]  # the first day of a month
    if period == "quarter":
        assert {start[5:7] for start in starts} <= {"01", "04", "07", "10"}
    assert len(starts) <= 130
