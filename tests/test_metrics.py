"""The metric contract of DESIGN.md, pinned with hand-computed logs on every engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frames import comparable
from journeymap.journey.definition import journey_from_yaml
from journeymap.journey.model import Journey
from journeymap.measures.metrics import JourneyMetrics, _visits_in_memory, _visits_lazy, compute_metrics
from journeymap.testing import EPOCH, build_events

HOUR = 3600.0
DAY = 86400.0

JOURNEY = journey_from_yaml("""
id: tiny
name: Tiny
stale_after: 10d
stages: [{id: s, label: S}]
steps:
  - {id: apply, label: Apply, stage: s, aliases: [application received]}
  - {id: review, label: Review, stage: s, target: {p85: 2h}}
  - {id: done, label: Done, stage: s}
  - {id: withdrawn, label: Withdrawn, stage: s}
transitions:
  - {from: apply, to: review}
  - {from: review, to: review}
  - {from: review, to: done}
  - {from: review, to: withdrawn}
start: apply
end: [done]
exit: [withdrawn]
""", source="tiny.yaml")

Measure = Callable[..., JourneyMetrics]


@pytest.fixture
def measure(engine: Callable[[pl.DataFrame], Any]) -> Measure:
    """compute_metrics on the engine under test."""
    def run(events: pl.DataFrame, journey: Journey | None = JOURNEY, **options: Any) -> JourneyMetrics:
        return compute_metrics(engine(events), journey, **options)
    return run


def transition(metrics: JourneyMetrics, source: str, target: str) -> dict[str, Any]:
    rows = metrics.transitions[(metrics.transitions["from"] == source) & (metrics.transitions["to"] == target)]
    assert len(rows) == 1, f"expected one {source}->{target} row, got {len(rows)}"
    return rows.iloc[0].to_dict()


def step(metrics: JourneyMetrics, step_id: str) -> dict[str, Any]:
    rows = metrics.steps[metrics.steps["step"] == step_id]
    assert len(rows) == 1
    return rows.iloc[0].to_dict()


def status_of(metrics: JourneyMetrics, case: str) -> str:
    return metrics.cases.set_index("case").loc[case, "status"]


class TestOrder:
    def test_timestamp_ties_keep_file_order(self, measure: Measure) -> None:
        """Two events at the same moment follow each other in file order."""
        metrics = measure(build_events({"c1": [("apply", 0), ("review", 1), ("done", 1)]}))
        assert transition(metrics, "review", "done")["count"] == 1
        assert transition(metrics, "review", "done")["median_s"] == 0
        flipped = measure(build_events([("c1", "apply", 0), ("c1", "done", 1), ("c1", "review", 1)]))
        assert set(zip(flipped.transitions["from"], flipped.transitions["to"])) == {
            ("apply", "done"),
            ("done", "review"),
        }

    def test_events_are_ordered_by_time_not_file(self, measure: Measure) -> None:
        """A file listing a case's events out of order still yields the transitions in time order."""
        metrics = measure(build_events([("c1", "done", 5), ("c1", "apply", 0), ("c1", "review", 2)]))
        assert transition(metrics, "apply", "review")["median_s"] == 2 * HOUR
        assert transition(metrics, "review", "done")["median_s"] == 3 * HOUR

    def test_cases_are_listed_by_first_event_then_file_order(self, measure: Measure) -> None:
        """Cases starting at the same moment are listed in the file order of those first events."""
        metrics = measure(build_events([("c2", "review", 3), ("c3", "apply", 2), ("c10", "apply", 0),
                                        ("c1", "apply", 1), ("c2", "apply", 0)]))
        assert metrics.cases["case"].tolist() == ["c10", "c2", "c1", "c3"]
        assert metrics.cases.index.tolist() == [0, 1, 2, 3]
        assert list(metrics.cases.columns[:6]) == ["case", "first_ts", "last_ts", "n_events", "first_step",
                                                   "last_step"]

    def test_activities_map_to_steps_through_aliases(self, measure: Measure) -> None:
        """An alias, in any letter case, counts as its step; an unknown activity stays an off-map step."""
        metrics = measure(build_events({"c1": [("Application RECEIVED", 0), ("chased by phone", 1), ("REVIEW", 2)]}))
        assert step(metrics, "apply")["reached"] == 1
        off_map = step(metrics, "chased by phone")
        assert off_map["reached"] == 1 and not off_map["on_map"]


class TestTransitions:
    def test_loops_count_every_occurrence(self, measure: Measure) -> None:
        """A loop taken twice counts twice in `count` but once in `cases`."""
        metrics = measure(build_events({
            "c1": [("apply", 0), ("review", 1), ("review", 3), ("review", 6), ("done", 7)],
            "c2": [("apply", 0), ("review", 2), ("done", 3)],
        }))
        loop = transition(metrics, "review", "review")
        assert (loop["count"], loop["cases"]) == (2, 1)
        assert (loop["min_s"], loop["max_s"], loop["mean_s"]) == (2 * HOUR, 3 * HOUR, 2.5 * HOUR)
        assert step(metrics, "review")["rework_cases"] == 1
        assert step(metrics, "review")["events"] == 4

    def test_statistics_interpolate_linearly(self, measure: Measure) -> None:
        """Median and p85/p95 of [1, 2, 3, 4] hours are 2.5 h, 3.55 h and 3.85 h (linear interpolation)."""
        metrics = measure(build_events({f"c{i}": [("apply", 0), ("review", i)] for i in (1, 2, 3, 4)}))
        row = transition(metrics, "apply", "review")
        assert row["median_s"] == pytest.approx(2.5 * HOUR)
        assert row["p85_s"] == pytest.approx(3.55 * HOUR)
        assert row["p95_s"] == pytest.approx(3.85 * HOUR)
        assert step(metrics, "review")["arrival_p85_s"] == pytest.approx(3.55 * HOUR)

    def test_wait_from_start_times(self, measure: Measure) -> None:
        """With start times, wait is start(B) - complete(A), clipped at 0 when the steps overlap."""
        events = build_events({"c1": [("apply", 0), ("review", 5)], "c2": [("apply", 0), ("review", 5)]},
                              starts={("c1", 1): 3, ("c2", 1): -1})
        metrics = measure(events)
        row = transition(metrics, "apply", "review")
        assert metrics.has_start_times
        assert row["overlaps"] == 1
        assert row["wait_median_s"] == pytest.approx(1.5 * HOUR)  # median of [3 h, 0 (clipped)]


    def test_arrival_histogram_counts_log_spaced_bins(self, measure: Measure) -> None:
        """Bin k of 4 a decade holds [10**(k/4), 10**((k+1)/4)) s; under a second joins bin 0."""
        metrics = measure(build_events({"c1": [("apply", 0), ("review", 0.5)], "c2": [("apply", 0), ("review", 30)],
                                        "c3": [("apply", 0), ("review", 7200)], "c4": [("apply", 0), ("review", 31)]},
                                       unit="s"))
        review = metrics.arrival_histogram.query("step == 'review'")
        assert review["bin"].tolist() == [0, 5, 15]  # 4 * log10 of 1 (clipped), 30 and 31 (5.9, 5.97), 7200 (15.4)
        assert review["count"].tolist() == [1, 2, 1]
        assert review["lower_s"].tolist() == pytest.approx([0.0, 10 ** 1.25, 10 ** 3.75])
        assert review["upper_s"].tolist() == pytest.approx([10 ** 0.25, 10 ** 1.5, 10 ** 4])
        assert set(metrics.arrival_histogram["step"]) == {"review"}  # first events arrive nowhere


class TestCaseStatus:
    def test_statuses_and_lead_time(self, measure: Measure) -> None:
        """Completed, exited, in-flight and dropped cases are told apart at as_of (the last event)."""
        metrics = measure(build_events({
            "done": [("apply", 0), ("review", 2 * 24), ("done", 3 * 24), ("review", 4 * 24)],
            "left": [("apply", 0), ("withdrawn", 24)],
            "slow": [("apply", 25 * 24), ("review", 26 * 24)],
            "lost": [("apply", 0), ("review", 24)],
            "last": [("apply", 30 * 24)],
        }, unit="h"))
        statuses = {case: status_of(metrics, case) for case in ("done", "left", "slow", "lost", "last")}
        assert statuses == {"done": "completed", "left": "exited", "slow": "in_flight", "lost": "dropped",
                            "last": "in_flight"}
        cases = metrics.cases.set_index("case")
        assert cases.loc["done", "lead_time_s"] == 3 * DAY  # completion is the first arrival at an end step
        assert cases.loc["slow", "age_s"] == 5 * DAY
        assert metrics.status_counts == {"completed": 1, "exited": 1, "in_flight": 2, "dropped": 1}

    def test_stale_after_boundary(self, measure: Measure) -> None:
        """Silent exactly stale_after is still in flight; one second more is dropped."""
        as_of = EPOCH.timestamp() + 20 * DAY
        metrics = measure(build_events({
            "edge": [("apply", 0), ("review", 10 * DAY)],
            "past": [("apply", 0), ("review", 10 * DAY - 1)],
            "anchor": [("apply", 20 * DAY)],
        }, unit="s"))
        assert metrics.as_of.timestamp() == as_of
        assert status_of(metrics, "edge") == "in_flight"
        assert status_of(metrics, "past") == "dropped"

    def test_as_of_ignores_later_events(self, measure: Measure) -> None:
        """At an earlier as_of, a case that finished later is still in flight."""
        events = build_events({"c1": [("apply", 0), ("review", 24), ("done", 48)]})
        metrics = measure(events, as_of=EPOCH.replace(hour=EPOCH.hour + 1, day=EPOCH.day + 1))
        assert status_of(metrics, "c1") == "in_flight"
        assert metrics.n_events == 2

    def test_single_event_case(self, measure: Measure) -> None:
        """A case with one event is a case: reached its step, no transition, duration zero."""
        metrics = measure(build_events({"solo": [("apply", 0)]}))
        assert metrics.n_cases == 1 and metrics.transitions.empty
        assert step(metrics, "apply")["reached"] == 1
        assert metrics.cases["duration_s"].tolist() == [0.0]


class TestCompletionRule:
    """Which event completes a case: DESIGN.md "Case status", as issue 11 ruled it."""

    LOG = {
        # closes, is reopened and closes again: its last event is at the end step
        "reopened": [("open", 0), ("close", 2), ("fix", 30), ("close", 50)],
        # closed early, then more work: its last event is not at an end step
        "still_working": [("open", 0), ("close", 1), ("fix", 5)],
        "plain": [("open", 0), ("fix", 3), ("close", 4)],
        **{f"plain{i}": [("open", 0), ("fix", 3), ("close", 4)] for i in range(2, 6)},
    }

    def test_bare_log_lead_time_is_case_duration(self, measure: Measure) -> None:
        """Without a journey a case completes when its last event is at an end step; lead time = last - first."""
        metrics = measure(build_events(self.LOG), journey=None)
        assert metrics.end_steps == ("close",) and metrics.completion == "last_event"
        cases = metrics.cases.set_index("case")
        assert cases.loc["reopened", "lead_time_s"] == 50 * HOUR
        assert cases.loc["reopened", "lead_time_s"] == cases.loc["reopened", "duration_s"]
        assert cases.loc["plain", "lead_time_s"] == 4 * HOUR
        assert cases.loc["still_working", "status"] != "completed"
        assert metrics.lead_time["median_s"] == pytest.approx(4 * HOUR)

    def test_bare_log_delay_shares_cover_the_whole_case(self, measure: Measure) -> None:
        """Every transition of a completed case counts in its lead time, so shares still add up to 1."""
        metrics = measure(build_events(self.LOG), journey=None)
        shares = metrics.steps.set_index("step")["delay_share"]
        assert shares.sum() == pytest.approx(1.0)
        # into close: 2 + 20 (reopened) + 1 x 5 (plain); into fix: 28 (reopened) + 3 x 5 (plain); of 70 h
        assert shares["close"] == pytest.approx(27 / 70)
        assert shares["fix"] == pytest.approx(43 / 70)

    @staticmethod
    def open_fix_close(completion: str = "") -> Journey:
        """open -> fix/close with loops, with the given `completion:` line (none: the default)."""
        return journey_from_yaml(f"""
id: ofc
name: Open, fix, close
{completion}
stages: [{{id: s, label: S}}]
steps:
  - {{id: open, label: open, stage: s}}
  - {{id: fix, label: fix, stage: s}}
  - {{id: close, label: close, stage: s}}
transitions: [{{from: open, to: close}}, {{from: close, to: fix}}, {{from: fix, to: close}}, {{from: open, to: fix}}]
start: open
end: [close]
""", source="ofc.yaml")

    def test_journey_with_last_event_completion(self, measure: Measure) -> None:
        """A journey that says `completion: last_event` (what a draft writes) gets the bare-log meaning."""
        metrics = measure(build_events(self.LOG), journey=self.open_fix_close("completion: last_event"))
        cases = metrics.cases.set_index("case")
        assert cases.loc["reopened", "lead_time_s"] == 50 * HOUR
        assert cases.loc["still_working", "status"] != "completed"

    def test_designed_journey_completes_at_first_arrival(self, measure: Measure) -> None:
        """A designed journey keeps the documented rule: its goal is met at the first end step."""
        metrics = measure(build_events(self.LOG), journey=self.open_fix_close())
        cases = metrics.cases.set_index("case")
        assert metrics.completion == "first_end"
        assert cases.loc["reopened", "lead_time_s"] == 2 * HOUR
        assert cases.loc["still_working", "status"] == "completed"
        assert cases.loc["still_working", "lead_time_s"] == 1 * HOUR


class TestDropOffAndDelay:
    def test_drop_off_counts_dropped_cases_at_their_last_step(self, measure: Measure) -> None:
        """Drop-off at a step is dropped cases that went silent there, over cases that reached it."""
        metrics = measure(build_events({
            "a": [("apply", 0), ("review", 1)],
            "b": [("apply", 0)],
            "c": [("apply", 0), ("review", 1), ("done", 2)],
            "d": [("apply", 30 * 24)],
        }))
        review, apply = step(metrics, "review"), step(metrics, "apply")
        assert (review["dropped"], review["reached"], review["drop_off_rate"]) == (1, 2, 0.5)
        assert (apply["dropped"], apply["in_flight"]) == (1, 1)

    def test_delay_shares_add_up_to_one(self, measure: Measure) -> None:
        """Arrival time into each step, over completed cases, adds up to their total lead time."""
        metrics = measure(build_events({
            "a": [("apply", 0), ("review", 1), ("review", 4), ("done", 10), ("review", 50)],
            "b": [("apply", 0), ("noise", 2), ("review", 3), ("done", 4)],
            "open": [("apply", 0), ("review", 100)],
        }))
        shares = metrics.steps.set_index("step")["delay_share"]
        assert shares.sum() == pytest.approx(1.0)
        assert shares["done"] == pytest.approx((6 + 1) / 14)
        assert shares["noise"] == pytest.approx(2 / 14)  # off-map time is part of the lead time too

    def test_log_matching_no_step(self, measure: Measure) -> None:
        """Activities that match no step all show as off-map; designed steps are listed with zero cases."""
        metrics = measure(build_events({"c1": [("x", 0), ("y", 1)]}))
        designed = metrics.steps[metrics.steps["on_map"]]
        assert designed["step"].tolist() == ["apply", "review", "done", "withdrawn"]
        assert designed["reached"].sum() == 0
        assert sorted(metrics.steps.loc[~metrics.steps["on_map"], "step"]) == ["x", "y"]
        assert metrics.status_counts["completed"] == 0 and metrics.lead_time["count"] == 0


class TestEmptyAndEngines:
    def test_empty_log(self, measure: Measure) -> None:
        """An empty log gives zero cases and empty tables, not an error."""
        empty = build_events({}).head(0)
        metrics = measure(empty)
        assert (metrics.n_cases, metrics.n_events, metrics.n_variants) == (0, 0, 0)
        assert metrics.transitions.empty and metrics.steps["reached"].sum() == 0

    def test_without_journey_every_activity_is_a_step(self, measure: Measure) -> None:
        """Without a journey, activities are the steps and the usual last activity is the end."""
        metrics = measure(build_events({f"c{i}": [("open", 0), ("fix", i), ("close", i + 1)] for i in range(5)}),
                          journey=None)
        assert metrics.end_steps == ("close",)
        assert metrics.status_counts["completed"] == 5
        assert set(metrics.steps["step"]) == {"open", "fix", "close"}


def test_engines_agree(engine: Callable[[pl.DataFrame], Any]) -> None:
    """Polars, lazy Polars, pandas and DuckDB give the same tables on a sample journey."""
    from journeymap.journey.definition import load_journey
    from journeymap.journey.samples import sample_events_path, sample_journey_path
    from journeymap.log.readers import read_events

    journey = load_journey(sample_journey_path("service_desk"))
    frame = read_events(sample_events_path("service_desk")).frame
    expected, actual = compute_metrics(frame, journey), compute_metrics(engine(frame), journey)
    for name in ("transitions", "steps", "variants"):
        pd.testing.assert_frame_equal(comparable(getattr(actual, name)), comparable(getattr(expected, name)),
                                      check_dtype=False, rtol=1e-9)
    pd.testing.assert_frame_equal(comparable(actual.cases), comparable(expected.cases), check_dtype=False, rtol=1e-9)
    assert (actual.status_counts, actual.n_variants) == (expected.status_counts, expected.n_variants)


def test_variants_of_long_cases_with_many_activities() -> None:
    """Paths too long and varied for the pair table use the product weights, and still tell paths apart."""
    path = [(f"a{i % 500}", i) for i in range(600)]  # 600 positions x 500 activities: over the pair table
    swapped = path[:10] + [path[11], path[10]] + path[12:]
    metrics = compute_metrics(build_events({"x": path, "y": path, "z": [(a, t) for (a, _), (_, t) in
                                                                       zip(swapped, path)]}), None)
    assert metrics.n_variants == 2
    assert metrics.variants["count"].tolist() == [2, 1]


# The step table's visit counts: eager engines count in numpy, lazy ones in the engine's windows.


def test_visits_are_counted_by_hand() -> None:
    # Case 0: steps 1, 1, 2 (completed); case 1: step 1, then 0 (not completed). Three step codes.
    events = [(0, 1, 1), (0, 1, 1), (0, 2, 1), (1, 1, 0), (1, 0, 0)]
    keys = np.sort(np.array([(case * 3 + step) * 2 + done for case, step, done in events]), kind="stable")
    table = _visits_in_memory(keys, 3).set_index("step_code")
    assert table.loc[1].tolist() == [2, 3, 1, 1]  # reached by both, 3 events, case 0 came back, 1 completed
    assert table.loc[0].tolist() == [1, 1, 0, 0]
    assert table.loc[2].tolist() == [1, 1, 0, 1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3), st.booleans()), min_size=1, max_size=60))
def test_visits_in_memory_equal_the_lazy_count(events: list[tuple[int, int, bool]]) -> None:
    # A case is completed or not for all its events, as the key is built from the case's flag.
    done = {case: flag for case, _, flag in events}
    keys = [(case * 4 + step) * 2 + int(done[case]) for case, step, _ in events]
    eager = _visits_in_memory(np.sort(np.array(keys, dtype=np.int64), kind="stable"), 4)
    frame = nw.from_native(pl.DataFrame({"idx": range(len(keys)), "case_code": [k // 8 for k in keys], "key": keys}))
    lazy = _visits_lazy(frame.lazy(), 4).collect().to_pandas().sort_values("step_code").reset_index(drop=True)
    assert eager.astype("int64").equals(lazy[eager.columns].astype("int64"))
