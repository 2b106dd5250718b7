"""Tests for journeymap.charts.layout: map positions from the definition alone."""

from __future__ import annotations

import math

import pytest

from journeymap.charts.layout import OFF_MAP_LABEL, OFF_MAP_LANE, edge_curve, find_back_edges, journey_layout
from journeymap.journey.definition import journey_from_yaml, load_journey
from journeymap.journey.samples import SAMPLE_JOURNEYS, sample_journey_path

LOOPY = journey_from_yaml("""
id: loopy
name: Loopy
stages: [{id: first, label: First}, {id: second, label: Second}]
steps:
  - {id: a, label: A, stage: first}
  - {id: b, label: B, stage: first}
  - {id: c, label: C, stage: second}
  - {id: d, label: D, stage: second}
  - {id: e, label: E, stage: second}
transitions:
  - {from: a, to: b}
  - {from: b, to: c}
  - {from: c, to: a}
  - {from: c, to: c}
  - {from: b, to: d}
  - {from: a, to: d}
  - {from: d, to: e}
  - {from: c, to: e}
start: a
end: [e]
""")


@pytest.fixture(scope="module")
def onboarding():
    return load_journey(sample_journey_path("onboarding"))


class TestBackEdges:
    def test_onboarding_loops_are_the_two_rework_transitions(self, onboarding):
        """The DFS from start finds exactly the designed loops back: documents and returned equipment."""
        assert journey_layout(onboarding).back_edges == {("documents_requested", "background_check"),
                                                         ("equipment_returned", "equipment_ordered")}

    def test_cycle_is_broken_at_the_edge_that_closes_it(self):
        """In a -> b -> c -> a the edge back to the start is the loop, not a -> b; a self-loop is one too."""
        assert find_back_edges(LOOPY) == {("c", "a"), ("c", "c")}

    def test_every_sample_has_a_loop_free_remainder(self):
        """Removing the back edges leaves every forward transition pointing to a later layer."""
        for journey_id in SAMPLE_JOURNEYS:
            journey = load_journey(sample_journey_path(journey_id))
            layout = journey_layout(journey)
            for t in journey.transitions:
                if (t.source, t.target_step) not in layout.back_edges:
                    assert layout.layers[t.target_step] > layout.layers[t.source], (journey_id, t)


class TestLayers:
    def test_longest_path_layering(self):
        """A step's layer is the longest path to it: d is reached by a->d and a->b->d, so it sits in layer 2."""
        layout = journey_layout(LOOPY)
        assert layout.layers == {"a": 0, "b": 1, "c": 2, "d": 2, "e": 3}
        assert layout.n_layers == 4

    def test_onboarding_runs_left_to_right(self, onboarding):
        """Offer accepted is leftmost (x 0) and first login rightmost (the last layer)."""
        layout = journey_layout(onboarding)
        assert layout.positions["offer_accepted"][0] == 0
        assert layout.positions["first_login"][0] == layout.n_layers - 1 == 8


class TestLanes:
    def test_lanes_follow_stage_order_top_to_bottom(self, onboarding):
        """Stage lanes keep the YAML order and stack without gaps from row 0."""
        lanes = journey_layout(onboarding).lanes
        assert [lane.stage for lane in lanes] == ["preboarding", "equipment", "day1"]
        assert lanes[0].top == 0
        assert all(upper.bottom == lower.top for upper, lower in zip(lanes, lanes[1:]))

    def test_every_step_sits_in_its_stage_lane(self):
        """Each step's y lies inside the lane of its stage, for every sample journey."""
        for journey_id in SAMPLE_JOURNEYS:
            journey = load_journey(sample_journey_path(journey_id))
            layout = journey_layout(journey)
            for step in journey.steps:
                assert layout.lane_of(step.id) == step.stage, (journey_id, step.id)

    def test_steps_sharing_a_layer_and_lane_are_spread_vertically(self, onboarding):
        """Documents requested and contract signed share layer 2 of pre-boarding but not a position."""
        layout = journey_layout(onboarding)
        (x1, y1), (x2, y2) = layout.positions["documents_requested"], layout.positions["contract_signed"]
        assert x1 == x2 and abs(y1 - y2) >= 1

    def test_positions_are_unique(self):
        """No two steps of any sample journey are drawn on the same spot."""
        for journey_id in SAMPLE_JOURNEYS:
            positions = list(journey_layout(load_journey(sample_journey_path(journey_id))).positions.values())
            assert len(set(positions)) == len(positions), journey_id


class TestOffMap:
    def test_off_map_steps_get_a_bottom_lane(self, onboarding):
        """Off-map steps go into an extra lane at the bottom, labelled "Off the map"."""
        layout = journey_layout(onboarding, ["Buddy assigned", "Manager pinged HR"])
        assert layout.lanes[-1].stage == OFF_MAP_LANE and layout.lanes[-1].label == OFF_MAP_LABEL
        for step in ("Buddy assigned", "Manager pinged HR"):
            assert layout.lane_of(step) == OFF_MAP_LANE
        assert layout.height == layout.lanes[-1].bottom

    def test_off_map_placement_is_deterministic(self, onboarding):
        """The order off-map steps are given in does not move them."""
        names = ["zeta", "alpha", "Buddy assigned", "mid"]
        assert journey_layout(onboarding, names).positions == journey_layout(onboarding, names[::-1]).positions

    def test_off_map_steps_never_move_designed_steps(self, onboarding):
        """Designed positions and lanes are the same with or without off-map steps."""
        plain = journey_layout(onboarding)
        extra = journey_layout(onboarding, [f"activity {i}" for i in range(25)])
        assert {s: extra.positions[s] for s in plain.positions} == plain.positions
        assert extra.lanes[:len(plain.lanes)] == plain.lanes

    def test_many_off_map_steps_wrap_into_rows(self, onboarding):
        """More off-map steps than layers wrap into a second row instead of overlapping."""
        names = [f"activity {i:02d}" for i in range(12)]
        layout = journey_layout(onboarding, names)
        assert layout.lanes[-1].bottom - layout.lanes[-1].top == 2
        assert len({layout.positions[n] for n in names}) == 12


class TestEdgeCurves:
    def test_adjacent_forward_transition_is_straight(self, onboarding):
        """Equipment ordered -> shipped runs straight: every point lies on the line between them."""
        layout = journey_layout(onboarding)
        points = edge_curve(layout, "equipment_ordered", "equipment_shipped")
        (x0, y0), (x1, y1) = layout.positions["equipment_ordered"], layout.positions["equipment_shipped"]
        assert points[0] == pytest.approx((x0, y0)) and points[-1] == pytest.approx((x1, y1))
        assert all(y == pytest.approx(y0) for _, y in points)

    def test_loop_bends_away_from_its_forward_transition(self, onboarding):
        """The back edge documents -> background check bends, so it does not hide the forward line."""
        layout = journey_layout(onboarding)
        forward = edge_curve(layout, "background_check", "documents_requested")
        back = edge_curve(layout, "documents_requested", "background_check")
        mid_f, mid_b = forward[len(forward) // 2], back[len(back) // 2]
        assert math.dist(mid_f, mid_b) > 0.1

    def test_transition_skipping_a_step_bends_around_it(self, onboarding):
        """Laptop set up -> first login would run through day-1 orientation; its middle is lifted off it."""
        layout = journey_layout(onboarding)
        points = edge_curve(layout, "laptop_setup", "first_login")
        assert math.dist(points[len(points) // 2], layout.positions["day1_orientation"]) > 0.15

    def test_loop_keeps_clear_of_the_step_it_would_cross(self, onboarding):
        """Equipment returned -> ordered would cross equipment shipped; its curve keeps a third of a row away."""
        layout = journey_layout(onboarding)
        shipped = layout.positions["equipment_shipped"]
        points = edge_curve(layout, "equipment_returned", "equipment_ordered")
        assert min(math.dist(point, shipped) for point in points[2:-2]) > 0.3

    def test_self_loop_is_a_small_closed_arc(self):
        """A step's transition to itself starts and ends at the step and arcs out to its upper right, as
        far as asked."""
        layout = journey_layout(LOOPY)
        points = edge_curve(layout, "c", "c", loop=(0.2, 0.4))
        x, y = layout.positions["c"]
        assert points[0] == pytest.approx((x, y)) and points[-1] == pytest.approx((x, y))
        assert min(py for _, py in points) < y - 0.3 and max(px for px, _ in points) > x + 0.15
        assert all(py <= y + 1e-9 and px >= x - 1e-9 for px, py in points)  # never below or left of the step
        assert max(math.dist((px / 0.2, py / 0.4), (x / 0.2, y / 0.4)) for px, py in points) <= 1.0 + 1e-9

    def test_curves_stay_on_the_map(self):
        """No transition of a sample journey is bent out of the lanes (above the first or below the last)."""
        for journey_id in SAMPLE_JOURNEYS:
            journey = load_journey(sample_journey_path(journey_id))
            layout = journey_layout(journey)
            for t in journey.transitions:
                assert all(0 <= y <= layout.height for _, y in edge_curve(layout, t.source, t.target_step)), t
