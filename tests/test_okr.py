"""Tests for journeymap.measures.okr: an OKR's time per case, where it stands, and its weekly series."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

from journeymap.decide.whatif import okr_gaps, okr_times
from journeymap.journey.definition import journey_from_yaml
from journeymap.measures.casetimes import case_step_times
from journeymap.measures.metrics import compute_metrics
from journeymap.measures.okr import MIN_WEEK_CASES, okr_progress_share, okr_status
from journeymap.testing import build_events

JOURNEY = journey_from_yaml("""
id: okr
name: OKR
stages: [{id: s, label: S}]
steps:
  - {id: ask, label: Asked, stage: s}
  - {id: build, label: Built, stage: s}
  - {id: ship, label: Shipped, stage: s}
  - {id: done, label: Done, stage: s}
transitions: [{from: ask, to: build}, {from: build, to: ship}, {from: ship, to: build}, {from: ship, to: done}]
start: ask
end: [done]
okrs:
  - {name: Build to ship, from: build, to: ship, statistic: median, baseline: 20h, target: 10h}
""")
H = 3600


def hand_made() -> pd.DataFrame:
    """Cases whose OKR time is known by hand (hours from build's first event to ship's first arrival)."""
    return build_events({
        "plain": [("ask", 0), ("build", 1 * H), ("ship", 5 * H), ("done", 6 * H)],               # 4 h
        "rework": [("ask", 0), ("build", 2 * H), ("ship", 8 * H), ("build", 9 * H), ("ship", 20 * H),
                   ("done", 21 * H)],                                                            # 6 h: first ship
        "ship_first": [("ask", 0), ("ship", 1 * H), ("build", 2 * H), ("ship", 3 * H), ("done", 4 * H)],  # none
        "after_done": [("ask", 0), ("build", 1 * H), ("done", 2 * H), ("ship", 3 * H)],            # none: after end
        "in_flight": [("ask", 0), ("build", 1 * H), ("ship", 2 * H)],                              # none: not done
    }, unit="s")


class TestPerCase:
    def test_hand_made_cases_on_every_engine(self, engine: Callable[[pl.DataFrame], Any]) -> None:
        """First build event to first ship arrival, completed cases only, the to-step before completion."""
        metrics = compute_metrics(engine(hand_made()), JOURNEY)
        table = metrics.okr_cases.set_index("case")
        assert table["okr_s"].to_dict() == {"plain": 4 * H, "rework": 6 * H}
        assert list(table["okr"]) == [0, 0]

    def test_equals_the_what_if_window_on_a_sample(self, onboarding_like) -> None:
        """The per-case times the metrics keep are the What-if replay's, case by case."""
        events, journey = onboarding_like
        metrics = compute_metrics(events, journey)
        times = case_step_times(events, journey)
        replayed = pd.Series(okr_times(times, journey.okrs[0]), index=times.case[times.status_is("completed")])
        replayed = replayed.dropna().sort_index()
        kept = metrics.okr_cases.set_index("case")["okr_s"].sort_index()
        assert list(kept.index) == list(replayed.index)
        assert np.allclose(kept.to_numpy(), replayed.to_numpy(), rtol=1e-12)
        assert okr_status(metrics, journey.okrs[0]).current_s == pytest.approx(okr_gaps(times).iloc[0]["before_s"])


class TestStatus:
    def test_current_met_progress_and_sentence(self) -> None:
        """Median of 4 h and 6 h is 5 h: under the 10 h target, so met, past the target on the way from 20 h."""
        status = okr_status(compute_metrics(hand_made(), JOURNEY), JOURNEY.okrs[0])
        assert status.cases == 2 and status.current_s == 5 * H and status.met is True
        assert status.progress == pytest.approx((20 - 5) / (20 - 10))
        assert status.sentence == ("The median time from Built to Shipped: now 5.0 h over 2 completed cases, on "
                                   "target; baseline 20.0 h, target 10.0 h.")

    def test_weeks_of_reaching_the_to_step_with_enough_cases(self) -> None:
        """Weekly values by the Monday the cases reached the to-step; a week of fewer than five cases is left out."""
        week = 7 * 24 * H
        cases = {f"a{i}": [("ask", 0), ("build", H), ("ship", (2 + i) * H), ("done", 30 * H)]
                 for i in range(MIN_WEEK_CASES)}
        cases.update({f"b{i}": [("ask", week), ("build", week + H), ("ship", week + 3 * H), ("done", week + 4 * H)]
                      for i in range(MIN_WEEK_CASES - 1)})
        status = okr_status(compute_metrics(build_events(cases, unit="s"), JOURNEY), JOURNEY.okrs[0])
        assert len(status.weekly) == 1 and status.weekly["cases"].iloc[0] == MIN_WEEK_CASES
        assert status.weekly["week"].iloc[0].day_of_week == 0
        assert status.weekly["value_s"].iloc[0] == 3 * H  # median of 1..5 h
        assert status.latest is not None and status.latest["progress"] == pytest.approx(okr_progress_share(
            JOURNEY.okrs[0], 3 * H))
        assert status.cases == 2 * MIN_WEEK_CASES - 1

    def test_nothing_measured(self) -> None:
        """No case went from one step to the other: no value, no verdict, and the sentence says so."""
        events = build_events({"c": [("ask", 0), ("done", H)]}, unit="s")
        status = okr_status(compute_metrics(events, JOURNEY), JOURNEY.okrs[0])
        assert status.current_s is None and status.met is None and status.progress is None
        assert "no completed case has gone from one to the other yet" in status.sentence

    def test_progress_share(self) -> None:
        """0 at the baseline, 1 at the target, NaN when the two are the same or the value is unknown."""
        okr = JOURNEY.okrs[0]
        assert okr_progress_share(okr, okr.baseline_s) == 0 and okr_progress_share(okr, okr.target_s) == 1
        assert math.isnan(okr_progress_share(okr, None))


@pytest.fixture(scope="module")
def onboarding_like():
    from journeymap.journey.definition import load_journey
    from journeymap.journey.samples import sample_events_path, sample_journey_path
    from journeymap.log.readers import read_events

    return read_events(sample_events_path("service_desk")).frame, load_journey(sample_journey_path("service_desk"))
