"""Tests for journeymap.decide.flow: throughput, work in progress, cumulative flow, forecast and stuck cases."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import polars as pl
import pytest

from journeymap.core.moments import to_epoch_us, week_start
from journeymap.decide.flow import (
    cumulative_flow,
    forecast_wip,
    stuck_by_step,
    stuck_cases,
    stuck_cases_csv,
    weekly_throughput,
    work_in_progress,
)
from journeymap.journey.definition import journey_from_yaml, load_journey
from journeymap.journey.samples import sample_events_path, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.casetimes import case_step_times
from journeymap.measures.metrics import compute_metrics
from journeymap.measures.waiting import in_flight_cases
from journeymap.testing import EPOCH, build_events

DAY_US = 86_400_000_000
JOURNEY = """
id: flow
name: Flow
stages: [{id: s, label: S}]
steps:
  - {id: a, label: Asked, stage: s}
  - {id: b, label: Built, stage: s, target: {p85: 2d}}
  - {id: c, label: Closed, stage: s}
  - {id: x, label: Cancelled, stage: s}
transitions: [{from: a, to: b, target: {p85: 1d}}, {from: b, to: c}, {from: a, to: x}]
start: a
end: [c]
exit: [x]
stale_after: 10d
"""


@pytest.fixture(scope="module")
def weeks():
    """Six cases over three weeks (EPOCH is a Monday): completed, exited, dropped and one in flight."""
    events = build_events({
        "c1": [("a", 0), ("c", 3)], "c2": [("a", 1), ("c", 8)], "c3": [("a", 2), ("x", 9)],
        "c4": [("a", 9)], "c5": [("a", 3)], "c6": [("a", 15), ("c", 16)],
    }, unit="d")
    return case_step_times(events, journey_from_yaml(JOURNEY))


class TestWeeks:
    def test_week_starts_on_monday(self):
        """Any moment falls in the week that starts on the Monday before it (UTC)."""
        sunday = to_epoch_us(dt.datetime(2026, 1, 11, 23, 59))
        monday = to_epoch_us(dt.datetime(2026, 1, 12))
        assert week_start(np.array([sunday, monday])).tolist() == [dt.date(2026, 1, 5), dt.date(2026, 1, 12)]

    def test_throughput_counts_completions_per_week(self, weeks):
        """One completion in each of three weeks; the week of `as_of` is not complete yet."""
        table = weekly_throughput(weeks)
        assert table["week"].dt.strftime("%Y-%m-%d").tolist() == ["2026-01-05", "2026-01-12", "2026-01-19"]
        assert table["completed"].tolist() == [1, 1, 1]
        assert table["complete"].tolist() == [True, True, False]

    def test_work_in_progress_at_each_week_end(self, weeks):
        """Cases count from their first event until they complete, exit or fall silent; the last point is as_of."""
        table = work_in_progress(weeks)
        assert table["wip"].tolist() == [2, 1, 1]  # c2, c3; then c4; then c4 (c6 done)
        assert table["at"].iloc[-1] == pd.Timestamp(EPOCH + dt.timedelta(days=16))

    def test_cumulative_flow_by_step(self, weeks):
        """Cases that had reached each step by each week end, never decreasing."""
        table = cumulative_flow(weeks).pivot(index="at", columns="step", values="cases")
        assert table["a"].tolist() == [4, 5, 6]
        assert table["c"].tolist() == [1, 2, 3]
        assert table["x"].tolist() == [0, 1, 1]

    def test_cumulative_flow_ends_at_reach(self):
        """On the sample log, the last point of each step is the number of cases that reached it."""
        events = read_events(sample_events_path("onboarding")).frame
        journey = load_journey(sample_journey_path("onboarding"))
        flow = cumulative_flow(case_step_times(events, journey))
        assert flow.groupby("step")["cases"].apply(lambda s: s.is_monotonic_increasing).all()
        last = flow.groupby("step")["cases"].last()
        reached = compute_metrics(events, journey).steps.set_index("step")["reached"]
        assert (last == reached.loc[last.index]).all()


def steady(weeks_of_history: int, per_week: int, in_flight: int) -> pl.DataFrame:
    """Cases completing `per_week` every week, then `in_flight` cases started in the last days."""
    base = to_epoch_us(EPOCH)
    rows = []
    for week in range(weeks_of_history):
        for i in range(per_week):
            start = base + week * 7 * DAY_US + i * 3_600_000_000
            rows += [(f"w{week}-{i}", "a", start), (f"w{week}-{i}", "c", start + DAY_US)]
    last = base + weeks_of_history * 7 * DAY_US
    rows += [(f"f{i}", "a", last + i * 60_000_000) for i in range(in_flight)]
    return pl.DataFrame({"case": [r[0] for r in rows], "activity": [r[1] for r in rows], "ts": [r[2] for r in rows],
                         "start": pl.Series([None] * len(rows), dtype=pl.Int64), "row": range(len(rows))})


class TestForecast:
    def test_steady_pace_gives_a_sure_date(self):
        """At exactly 10 a week, 25 cases in flight take 3 weeks at every confidence level."""
        times = case_step_times(steady(12, 10, 25), journey_from_yaml(JOURNEY))
        result = forecast_wip(times)
        assert result.wip == 25 and result.history == (10,) * 12
        assert result.weeks == {50: 3.0, 85: 3.0, 95: 3.0}
        as_of = dt.datetime.fromtimestamp(times.as_of_us / 1e6, tz=dt.UTC).date()
        assert result.dates[85] == as_of + dt.timedelta(weeks=3)
        assert result.sentence.startswith("The 25 cases in flight should be done by ")

    def test_seeded_and_ordered(self):
        """On the sample log the forecast is stable for a seed and 50% <= 85% <= 95%."""
        events = read_events(sample_events_path("onboarding")).frame
        journey = load_journey(sample_journey_path("onboarding"))
        times = case_step_times(events, journey)
        first, again = forecast_wip(times, history_weeks=8, seed=3), forecast_wip(times, history_weeks=8, seed=3)
        assert first == again
        assert first.weeks[50] <= first.weeks[85] <= first.weeks[95]

    def test_no_throughput_no_forecast(self, weeks):
        """Without completions in the sampled weeks there is no date, and the sentence says why."""
        result = forecast_wip(weeks, history_weeks=0)
        assert result.dates == {} and result.sentence == "No forecast: no case completed in the weeks sampled."


@pytest.fixture(scope="module")
def stuck():
    """Four finished cases set the usual waits; three cases are in flight at day 20."""
    events = build_events({
        **{f"k{i}": [("a", 0), ("b", i), ("c", i + 1)] for i in range(1, 5)},
        "f1": [("a", 14)], "f2": [("a", 18)], "f3": [("a", 10), ("b", 17)],
    }, unit="d")
    journey, as_of = journey_from_yaml(JOURNEY), to_epoch_us(EPOCH) + 20 * DAY_US
    times = case_step_times(events, journey, as_of=as_of, stale_after_s=30 * 86400)
    return stuck_cases(compute_metrics(events, journey, as_of=as_of, stale_after_s=30 * 86400), times)


class TestStuck:
    def test_in_flight_cases_longest_wait_first(self, stuck):
        """Only in-flight cases, by how long they have waited at their last step."""
        assert stuck["case"].tolist() == ["f1", "f3", "f2"]
        assert (stuck["waiting_s"] / 86400).tolist() == [6.0, 3.0, 2.0]
        assert (stuck["age_s"] / 86400).tolist() == [6.0, 10.0, 2.0]

    def test_measured_against_usual_wait_and_target(self, stuck):
        """Usual wait: p85 of the time from the step to the next event; target: tightest on the way out."""
        rows = stuck.set_index("case")
        waits_d = [1, 2, 3, 4, 7]  # the k cases, and f3 before it moved on
        assert rows.loc["f1", "usual_wait_p85_s"] == pytest.approx(np.quantile(waits_d, 0.85) * 86400)
        assert rows.loc["f1", "target_s"] == 86400  # transition a -> b: 1d, tighter than step b's 2d
        assert rows.loc["f1", "over_p85"] and rows.loc["f1", "over_target"]
        assert not rows.loc["f2", "over_p85"] and rows.loc["f2", "over_target"]
        assert rows.loc["f3", "over_p85"] and not rows.loc["f3", "over_target"] and np.isnan(rows.loc["f3", "target_s"])

    def test_waiting_at_a_step_is_the_same_cases(self):
        """The step details' "waiting here now" and the stuck cases are one definition: at step a, the
        in-flight cases whose last event is there, waits and ages from the case table."""
        events = build_events({"k1": [("a", 0), ("b", 1), ("c", 2)], "f1": [("a", 14)], "f2": [("a", 18)],
                               "f3": [("a", 10), ("b", 17)]}, unit="d")
        metrics = compute_metrics(events, journey_from_yaml(JOURNEY), as_of=to_epoch_us(EPOCH) + 20 * DAY_US,
                                  stale_after_s=30 * 86400)
        at_a = in_flight_cases(metrics, "a")
        assert at_a["case"].tolist() == ["f1", "f2"]
        assert (at_a["waiting_s"] / 86400).tolist() == [6.0, 2.0]
        assert (at_a["age_s"] / 86400).tolist() == [6.0, 2.0]
        assert in_flight_cases(metrics)["case"].tolist() == ["f1", "f3", "f2"]

    def test_counted_by_step(self, stuck):
        """Per step: in flight, over the usual wait, over target, longest wait."""
        table = stuck_by_step(stuck).set_index("step")
        assert table.loc["a", ["in_flight", "over_p85", "over_target"]].tolist() == [2, 1, 2]
        assert table.loc["b", ["in_flight", "over_p85", "over_target"]].tolist() == [1, 1, 0]
        assert table.loc["a", "longest_wait_s"] == 6 * 86400

    def test_csv_download_has_case_ids(self, stuck):
        """The CSV holds every stuck case id and a readable wait."""
        table = pd.read_csv(io.BytesIO(stuck_cases_csv(stuck)))
        assert table["case"].tolist() == ["f1", "f3", "f2"]
        assert table["waiting"].tolist() == ["6.0 d", "3.0 d", "2.0 d"]
