"""Tests for journeymap.charts.mapdetail: which steps and transitions the map draws at a detail level."""

from __future__ import annotations

import pytest

from journeymap.charts.layout import journey_layout
from journeymap.charts.map import map_chart
from journeymap.charts.mapdetail import (
    EXIT_SHOWN_SHARE,
    MIN_ROW_PX,
    MIN_STEPS,
    legible_height,
    map_detail,
    map_plot_size,
    parse_steps,
    parse_transitions,
)
from journeymap.core.errors import JourneyError
from journeymap.engine.filters import CaseFilter, filter_events
from journeymap.journey.definition import journey_from_yaml, load_journey
from journeymap.journey.samples import SAMPLE_JOURNEYS, sample_events_path, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.hotspots import find_hotspots
from journeymap.measures.metrics import compute_metrics
from journeymap.testing import build_events
from map_cases import every_activity_journey, generated_log

# a -> b -> c -> e, with a rare detour b -> d -> e and a rarer c -> d
CHAIN_YAML = """
id: chain
name: Chain
stages: [{id: s, label: S}]
steps:
  - {id: a, label: A, stage: s}
  - {id: b, label: B, stage: s}
  - {id: c, label: C, stage: s}
  - {id: d, label: D, stage: s}
  - {id: e, label: E, stage: s}
transitions:
  - {from: a, to: b}
  - {from: b, to: c}
  - {from: c, to: e}
  - {from: b, to: d}
  - {from: c, to: d}
  - {from: d, to: e}
start: a
end: [e]
"""
CHAIN = journey_from_yaml(CHAIN_YAML)


def _chain_metrics():
    cases = {f"main{i}": [("A", 0), ("B", 1), ("C", 2), ("E", 3)] for i in range(10)}
    cases |= {f"detour{i}": [("A", 0), ("B", 1), ("D", 2), ("E", 3)] for i in range(4)}
    cases |= {"rare": [("A", 0), ("B", 1), ("C", 2), ("D", 3), ("E", 4)]}
    return compute_metrics(build_events(cases), CHAIN)


@pytest.fixture(scope="module")
def chain():
    return _chain_metrics()


@pytest.fixture(scope="module")
def onboarding():
    journey = load_journey(sample_journey_path("onboarding"))
    return compute_metrics(read_events(sample_events_path("onboarding")).frame, journey)


class TestSteps:
    def test_busiest_steps_first_and_the_ends_always(self, chain):
        """Two steps asked: A and B are the busiest (15 cases); E, the end step, is drawn anyway."""
        detail = map_detail(chain, steps=2, transitions=100)
        assert detail.steps == ("a", "b", "e")
        assert (detail.n_steps, detail.hidden_steps, detail.steps_setting) == (5, 2, 2)

    def test_hotspot_steps_are_never_hidden(self, chain):
        """A hotspot on a rare step (D, 5 cases) is drawn even at the lowest setting."""
        assert "d" in map_detail(chain, steps=1, hotspots=["d"]).steps
        assert "d" not in map_detail(chain, steps=1).steps

    @pytest.mark.parametrize(("leaving", "drawn"), [(3, True), (1, False)])
    def test_an_exit_many_cases_reach_is_never_hidden(self, leaving: int, drawn: bool):
        """D as an exit: reached by 3 of 20 cases (15%, over EXIT_SHOWN_SHARE) it is drawn at the lowest setting,
        as the end is; reached by 1 of 20 (5%) it waits for its rank like any step."""
        journey = journey_from_yaml(CHAIN_YAML.replace("end: [e]", "end: [e]\nexit: [d]"))
        cases = {f"main{i}": [("A", 0), ("B", 1), ("C", 2), ("E", 3)] for i in range(20 - leaving)}
        cases |= {f"left{i}": [("A", 0), ("B", 1), ("D", 2)] for i in range(leaving)}
        metrics = compute_metrics(build_events(cases), journey)
        assert ("d" in map_detail(metrics, steps=1).steps) == drawn
        assert (leaving / len(cases) >= EXIT_SHOWN_SHARE) == drawn

    def test_share_of_steps(self, chain):
        """--steps 80% of five steps is four: A, B and E (15 cases each), then C (11); D (5) is left out."""
        assert map_detail(chain, steps=0.8).steps == ("a", "b", "c", "e")
        assert map_detail(chain, steps=0.6).steps == ("a", "b", "e")

    def test_reference_ranks_so_a_filter_never_changes_the_shape(self, onboarding):
        """Ranked on the whole log, a segment draws the same steps and positions as the whole log."""
        journey = onboarding.journey
        events = read_events(sample_events_path("onboarding")).frame
        warsaw = compute_metrics(filter_events(events, CaseFilter(segments={"location": ("Warsaw",)})), journey)
        whole = map_detail(onboarding, steps=6, transitions=40)
        part = map_detail(warsaw, steps=6, transitions=40, reference=onboarding)
        assert part == whole


class TestTransitions:
    def test_busiest_share_between_drawn_steps(self, chain):
        """At 50% of the six transitions the three busiest (A→B, B→C, C→E) are drawn, and D keeps its
        busiest way in (B→D, 4 cases, not C→D, 1) and out (D→E), so it does not float."""
        detail = map_detail(chain, steps=5, transitions=50)
        assert set(detail.transitions) == {("a", "b"), ("b", "c"), ("c", "e"), ("b", "d"), ("d", "e")}
        assert not detail.bridges and detail.hidden_transitions == 1
        full = map_detail(chain, steps=5, transitions=100)
        assert len(full.transitions) == 6 and full.hidden_transitions == 0

    def test_no_step_floats_at_zero_percent(self, chain):
        """At 0% every drawn step still has its busiest way in and out (D keeps B→D and D→E)."""
        detail = map_detail(chain, steps=5, transitions=0)
        ins = {b for _, b in detail.edges}
        outs = {a for a, _ in detail.edges}
        assert {"b", "c", "d", "e"} <= ins and {"a", "b", "c", "d"} <= outs
        assert ("b", "d") in detail.transitions and ("c", "d") not in detail.transitions  # 4 cases against 1

    def test_bridge_through_hidden_steps(self):
        """With B hidden, A's only way on runs through it: a dotted line A→C stands for A→B→C."""
        cases = {f"c{i}": [("A", 0), ("B", 1), ("C", 2), ("E", 3)] for i in range(3)}
        cases |= {f"x{i}": [("D", 0), ("C", 1)] for i in range(9)}  # C and D busier than B
        journey = journey_from_yaml("""
id: bridged
name: Bridged
stages: [{id: s, label: S}]
steps: [{id: a, label: A, stage: s}, {id: b, label: B, stage: s}, {id: c, label: C, stage: s},
        {id: d, label: D, stage: s}, {id: e, label: E, stage: s}]
transitions: [{from: a, to: b}, {from: b, to: c}, {from: c, to: e}, {from: d, to: c}, {from: a, to: d}]
start: a
end: [e]
""")
        metrics = compute_metrics(build_events(cases), journey)
        detail = map_detail(metrics, steps=3, transitions=100)
        assert "b" not in detail.steps
        assert detail.bridges == {("a", "c"): ("b",)}
        assert "dotted lines run through hidden steps" in detail.caption()
        edges = map_chart(metrics, detail=detail).datasets["journey_edges"]
        assert {row["kind"] for row in edges if row["name"].startswith("A → C")} == {"Through hidden steps"}

    def test_default_is_about_one_and_a_half_per_step(self):
        """A busy journey (25 steps, ~70 transitions) draws at most ~1.6 transitions per drawn step by default."""
        events = generated_log()
        metrics = compute_metrics(events, every_activity_journey(events))
        detail = map_detail(metrics, steps=1.0)
        assert len(detail.steps) == 25
        assert len(detail.transitions) <= 1.6 * 25 + 1 and detail.transitions_setting < 100


class TestFitting:
    def test_samples_fit_whole_at_slide_size(self):
        """The sample journeys are drawn whole on a 1920 x 1080 slide."""
        for journey_id in SAMPLE_JOURNEYS:
            metrics = compute_metrics(read_events(sample_events_path(journey_id)).frame,
                                      load_journey(sample_journey_path(journey_id)))
            detail = map_detail(metrics, width=1920, height=1080)
            assert detail.hidden_steps == 0 and detail.hidden_transitions == 0, journey_id

    def test_big_map_fits_the_app_and_keeps_the_eight_busiest(self):
        """At the app's 820 x 675 a 25-step journey shows fewer steps, never fewer than the 8 busiest."""
        events = generated_log()
        metrics = compute_metrics(events, every_activity_journey(events))
        detail = map_detail(metrics, hotspots=find_hotspots(metrics, top=3), width=820, height=675)
        busiest = metrics.steps.sort_values("reached", ascending=False)["step"].head(MIN_STEPS)
        assert MIN_STEPS <= len(detail.steps) < 25 and set(busiest) <= set(detail.steps)
        wide = map_detail(metrics, width=1920, height=1080)
        assert len(wide.steps) > len(detail.steps)  # a bigger picture holds more

    def test_default_layout_fits_its_columns(self):
        """What the default picks at 1920 x 1080 lays out in no more layers than 84-pixel columns allow."""
        events = generated_log()
        metrics = compute_metrics(events, every_activity_journey(events))
        detail = map_detail(metrics, width=1920, height=1080)
        layout = journey_layout(metrics.journey, steps=detail.steps, edges=detail.edges)
        assert layout.n_layers <= (1920 - 48) // 84


class TestLegibleHeight:
    def test_a_short_map_grows_to_two_label_lines_a_row(self, onboarding):
        """Onboarding's eight busiest steps take three rows; at 820 x 300 they would have 45 px a row (labels
        cut to one line), so the map grows until each row has MIN_ROW_PX; a tall map keeps its height."""
        detail = map_detail(onboarding, steps=8)
        rows = journey_layout(onboarding.journey, steps=detail.steps, edges=detail.edges).height
        grown = legible_height(onboarding.journey, detail, 820, 300)
        assert grown > 300
        assert map_plot_size(820, grown, subtitle_lines=2)[1] == pytest.approx(rows * MIN_ROW_PX, abs=1)
        assert legible_height(onboarding.journey, detail, 820, 900) == 900


class TestCaption:
    def test_says_what_is_hidden_and_how_to_show_it(self, chain):
        """Steps C and D hidden leave A→B drawn and B's way to E through C as a dotted line."""
        detail = map_detail(chain, steps=2, transitions=100)
        assert detail.bridges == {("b", "e"): ("c",)}
        assert detail.caption() == ("2 of 5 steps and 5 of 6 transitions are hidden; dotted lines run through "
                                    "hidden steps; drag Steps to show more.")
        assert detail.caption(hint="").endswith("dotted lines run through hidden steps.")
        assert map_detail(chain, steps=5, transitions=100).caption() == ""


class TestParsing:
    @pytest.mark.parametrize("text, value", [("12", 12), ("60%", 0.6), ("all", 1.0), (" 100% ", 1.0)])
    def test_steps(self, text, value):
        assert parse_steps(text) == value

    @pytest.mark.parametrize("text, value", [("40", 40), ("40%", 40), ("all", 100), ("0", 0), ("12.5%", 13)])
    def test_transitions(self, text, value):
        assert parse_transitions(text) == value

    @pytest.mark.parametrize("text", ["0", "-3", "0%", "120%", "lots", ""])
    def test_bad_steps_name_the_option(self, text):
        with pytest.raises(JourneyError, match="--steps"):
            parse_steps(text)

    @pytest.mark.parametrize("text", ["-1", "101", "half"])
    def test_bad_transitions_name_the_option(self, text):
        with pytest.raises(JourneyError, match="--transitions"):
            parse_transitions(text)


class TestDefaultColour:
    def test_the_first_hotspot_is_the_darkest_step(self, onboarding):
        """By default the map is coloured by share of lead time: the ① step has the top value of the scale."""
        hotspots = find_hotspots(onboarding, top=3)
        nodes = {row["step"]: row for row in map_chart(onboarding, hotspots=hotspots).datasets["journey_nodes"]}
        top = max(nodes.values(), key=lambda row: row["measure"])
        assert top["step"] == hotspots[0].step
        assert top["measure"] == pytest.approx(hotspots[0].delay_share)
        assert "①" in top["lines"] + top["value_text"]
