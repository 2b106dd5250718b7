"""Tests for journeymap.decide.whatif: replaying completed cases with one step changed, p85 impact, OKR budgets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from journeymap.core.errors import JourneyError
from journeymap.decide.whatif import (
    CHANGES,
    okr_budget,
    okr_gaps,
    okr_times,
    p85_impact,
    what_if,
    with_p85_impact,
)
from journeymap.journey.definition import journey_from_yaml, load_journey
from journeymap.journey.samples import sample_events_path, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.casetimes import case_step_times
from journeymap.measures.metrics import compute_metrics
from journeymap.testing import build_events

JOURNEY = """
id: fix
name: Fix
stages: [{id: s, label: S}]
steps:
  - {id: ask, label: Asked, stage: s}
  - {id: build, label: Built, stage: s, target: {p85: 5h}}
  - {id: test, label: Tested, stage: s}
  - {id: ship, label: Shipped, stage: s}
transitions: [{from: ask, to: build}, {from: build, to: test}, {from: test, to: build}, {from: test, to: ship}]
start: ask
end: [ship]
okrs:
  - {name: Build to ship, from: build, to: ship, statistic: median, baseline: 20h, target: 10h}
"""


@pytest.fixture(scope="module")
def hand_made():
    """Two completed cases (one reworks build) and one still open."""
    events = build_events({
        "one": [("ask", 0), ("build", 10), ("test", 12), ("ship", 20)],
        "two": [("ask", 0), ("build", 4), ("test", 6), ("build", 9), ("test", 10), ("ship", 11)],
        "open": [("ask", 0), ("build", 30)],
    })
    return case_step_times(events, journey_from_yaml(JOURNEY))


@pytest.fixture(scope="module")
def onboarding():
    """Case times and metrics of the shipped onboarding log."""
    events = read_events(sample_events_path("onboarding")).frame
    journey = load_journey(sample_journey_path("onboarding"))
    return case_step_times(events, journey), compute_metrics(events, journey)


def hours(seconds: np.ndarray) -> list[float]:
    """Seconds as hours, per case in case order."""
    return (np.asarray(seconds) / 3600).tolist()


class TestReplay:
    def test_measured_lead_times(self, hand_made):
        """Before any change, lead times are the measured ones (20 h and 11 h); the open case is left out."""
        result = what_if(hand_made, "build", "cut", 0)
        assert sorted(hours(result.lead_time_before_s)) == [11.0, 20.0]
        assert result.n_cases == 2

    @pytest.mark.parametrize(("change", "pct", "expected"), [
        ("cut", 50, [15.0, 7.5]),          # build arrivals 10 -> 5; 4 + 3 -> 2 + 1.5
        ("cap", 0, [15.0, 11.0]),          # capped at the 5 h target: 10 -> 5; 4 and 3 stay
        ("no_rework", 0, [20.0, 8.0]),     # case two's second build (3 h) goes
        ("remove", 0, [10.0, 4.0]),        # every build arrival goes
    ])
    def test_each_change_on_a_hand_made_log(self, hand_made, change, pct, expected):
        """Cut, cap, no-rework and remove give the lead times worked out by hand."""
        result = what_if(hand_made, "Built", change, pct)
        order = np.argsort(hours(result.lead_time_before_s))[::-1]
        assert np.asarray(hours(result.lead_time_after_s))[order].tolist() == expected

    def test_quantile_table(self, hand_made):
        """p50, p85 and p95 before and after, with the change."""
        table = what_if(hand_made, "build", "remove").quantiles.set_index("statistic")
        assert table.index.tolist() == ["p50", "p85", "p95"]
        assert table.loc["p50", "before_s"] == 15.5 * 3600 and table.loc["p50", "after_s"] == 7 * 3600
        assert table.loc["p50", "change"] == pytest.approx(7 / 15.5 - 1)

    def test_cutting_by_zero_changes_nothing(self, onboarding):
        """A 0% cut of any step leaves every lead time exactly as measured."""
        times, metrics = onboarding
        for step in times.steps:
            result = what_if(times, step, "cut", 0)
            assert np.array_equal(result.lead_time_after_s, result.lead_time_before_s)
        measured = np.sort(metrics.cases["lead_time_s"].dropna().to_numpy())
        np.testing.assert_allclose(np.sort(result.lead_time_before_s), measured, atol=1e-6)

    def test_removing_a_step_never_lengthens_a_case(self, onboarding):
        """Whatever step is removed (or stripped of rework, or capped), no case gets longer."""
        times, _ = onboarding
        for step in times.steps:
            for change in ("remove", "no_rework", "cut"):
                result = what_if(times, step, change, 30)
                assert (result.lead_time_after_s <= result.lead_time_before_s + 1e-9).all(), (step, change)

    def test_full_cut_is_removal(self, onboarding):
        """Cutting a step by 100% is the same as removing it."""
        times, _ = onboarding
        cut, removed = what_if(times, "equipment_shipped", "cut", 100), what_if(times, "equipment_shipped", "remove")
        np.testing.assert_allclose(cut.lead_time_after_s, removed.lead_time_after_s)

    def test_sentence_and_okr_gap(self, onboarding):
        """The sentence gives p85 before and after; each OKR gets its value and gap to target."""
        times, _ = onboarding
        result = what_if(times, "equipment_shipped", "cut", 50)
        assert result.sentence.startswith("Equipment shipped 50% faster: p85 lead time 34.9 d → ")
        okr = result.okrs.iloc[0]
        assert okr["before_s"] == pytest.approx(result.quantiles.set_index("statistic").loc["p85", "before_s"])
        assert okr["after_s"] < okr["before_s"] and okr["gap_after_s"] == okr["after_s"] - okr["target_s"]

    @pytest.mark.parametrize(("step", "change", "pct", "message"), [
        ("build", "halve", 0, "Unknown change 'halve'"),
        ("test", "cap", 0, "Tested has no target"),
        ("build", "cut", 120, "percentage from 0 to 100"),
        ("deploy", "cut", 10, "No step 'deploy'"),
    ])
    def test_readable_errors(self, hand_made, step, change, pct, message):
        """Unknown changes, a cap without a target, a cut over 100% and unknown steps say what is wrong."""
        with pytest.raises(JourneyError, match=message):
            what_if(hand_made, step, change, pct)

    def test_changes_are_listed(self):
        """The four changes of the issue, by name."""
        assert CHANGES == ("cut", "cap", "no_rework", "remove")


class TestImpact:
    def test_each_step_matches_a_halving_replay(self, onboarding):
        """A step's p85 impact is exactly the p85 fall of replaying it cut by 50%."""
        times, _ = onboarding
        impact = p85_impact(times).set_index("step")
        for step in ("equipment_shipped", "background_check", "first_login"):
            p85 = what_if(times, step, "cut", 50).quantiles.set_index("statistic").loc["p85"]
            assert impact.loc[step, "p85_impact_s"] == pytest.approx(p85["before_s"] - p85["after_s"])

    def test_ranked_largest_first_and_never_negative(self, onboarding):
        """Steps are ranked by impact; halving a step can only help; the start step has none."""
        impact = p85_impact(onboarding[0])
        assert impact["p85_impact_s"].is_monotonic_decreasing
        assert (impact["p85_impact_s"] >= 0).all()
        assert impact.iloc[0]["step"] == "equipment_shipped"
        assert impact.set_index("step").loc["offer_accepted", "p85_impact_s"] == 0

    def test_small_chunks_give_the_same_answer(self, onboarding):
        """Working through the steps a few at a time changes nothing."""
        times = onboarding[0]
        pd.testing.assert_frame_equal(p85_impact(times), p85_impact(times, chunk=3))

    def test_steps_frame_gets_a_column(self, onboarding):
        """`with_p85_impact` returns a copy of the steps frame with `p85_impact_s`, leaving the original alone."""
        times, metrics = onboarding
        coloured = with_p85_impact(metrics.steps, p85_impact(times))
        assert "p85_impact_s" in coloured and "p85_impact_s" not in metrics.steps
        assert coloured["p85_impact_s"].notna().all() and len(coloured) == len(metrics.steps)



class TestOkr:
    def test_okr_time_runs_from_first_from_step_to_first_to_step(self, hand_made):
        """Build to ship: from the first build to ship (10 h and 7 h), NaN for cases that never ship."""
        okr = hand_made.journey.okrs[0]
        assert sorted(hours(okr_times(hand_made, okr))) == [7.0, 10.0]

    def test_gaps_against_target(self, hand_made):
        """The OKR's median (8.5 h) is measured against its 10 h target: met."""
        gap = okr_gaps(hand_made).iloc[0]
        assert gap["before_s"] == 8.5 * 3600 and gap["met_before"]
        assert gap["gap_before_s"] == -1.5 * 3600

    def test_budget_splits_the_target_by_median(self, onboarding):
        """Budgets add up to the target in proportion to medians; over budget means above its share."""
        times, _ = onboarding
        budget = okr_budget(times)
        okr = times.journey.okrs[0]
        assert budget["budget_s"].sum() == pytest.approx(okr.target_s)
        np.testing.assert_allclose(budget["budget_s"] / budget["median_s"], okr.target_s / budget["median_s"].sum())
        assert (budget["over_budget"] == (budget["actual_s"] > budget["budget_s"])).all()
        assert "equipment_returned" not in set(budget["step"])  # a detour few cases take gets no budget
        shipped = budget.set_index("step").loc["equipment_shipped", "sentence"]
        assert shipped.startswith("Equipment shipped: cases at the p85 spend ")

    def test_budget_actuals_add_up_to_the_statistic(self, onboarding):
        """The time cases at the p85 spend per step adds up to about the p85 itself."""
        times, _ = onboarding
        budget = okr_budget(times, min_reach=0.0)
        p85 = okr_gaps(times).iloc[0]["before_s"]
        assert budget["actual_s"].sum() == pytest.approx(p85, rel=0.05)

    def test_no_okr_is_a_readable_error(self, onboarding):
        """A journey without OKRs says where to add one."""
        events = build_events({"c": [("a", 0), ("b", 1)]})
        with pytest.raises(JourneyError, match="no OKR"):
            okr_budget(case_step_times(events))
