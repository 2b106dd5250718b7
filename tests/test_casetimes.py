"""Tests for journeymap.measures.casetimes: the per-case arrival table that compare, what-if and flow build on."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeymap.core.errors import JourneyError
from journeymap.core.moments import to_epoch_us
from journeymap.journey.definition import journey_from_yaml, load_journey
from journeymap.journey.samples import sample_events_path, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.casetimes import NO_TIME, _in_lead_time, case_step_times, metrics_and_times
from journeymap.measures.metrics import compute_metrics
from journeymap.testing import EPOCH, build_events

JOURNEY = """
id: tiny
name: Tiny
stages: [{id: s, label: S}]
steps:
  - {id: a, label: Asked, stage: s}
  - {id: b, label: Built, stage: s, target: {p85: 10h}}
  - {id: c, label: Checked, stage: s}
  - {id: x, label: Cancelled, stage: s}
transitions: [{from: a, to: b}, {from: b, to: c}, {from: c, to: b}, {from: a, to: x}]
start: a
end: [c]
exit: [x]
stale_after: 10d
"""


@pytest.fixture(scope="module")
def tiny():
    """A hand-made log: one completed case with rework after completion, one exited, one in flight, one dropped."""
    events = build_events({
        "done": [("a", 0), ("b", 2), ("c", 5), ("b", 6), ("c", 9)],
        "gone": [("a", 0), ("x", 1)],
        "open": [("a", 300), ("b", 310)],
        "lost": [("a", 0), ("b", 4)],
    }, attributes={"done": {"team": "red"}, "gone": {"team": "blue"}, "open": {"team": "red"}, "lost": {"team": "red"}})
    return events, journey_from_yaml(JOURNEY)


@pytest.fixture(scope="module")
def sample():
    """The shipped onboarding log with its journey."""
    return read_events(sample_events_path("onboarding")).frame, load_journey(sample_journey_path("onboarding"))


def row_of(times, case):
    """The case code of a case id."""
    return int(np.flatnonzero(times.case == case)[0])


class TestExtraction:
    def test_arrivals_are_gaps_between_consecutive_events(self, tiny):
        """Each event's arrival is the time since the case's previous event; a case's first event has none."""
        times = case_step_times(*tiny)
        code = row_of(times, "done")
        mine = times.event_case == code
        assert np.isnan(times.arrival_s[mine][0])
        assert times.arrival_s[mine][1:].tolist() == [7200.0, 10800.0, 3600.0, 10800.0]
        assert times.position[mine].tolist() == [0, 1, 2, 3, 4]
        assert [times.steps[s] for s in times.event_step[mine]] == ["a", "b", "c", "b", "c"]
        assert times.prev_step[mine].tolist() == [-1, 0, 1, 2, 1]

    def test_lead_time_counts_arrivals_up_to_completion_only(self, tiny):
        """Events after a case completes (here a second b, c) are outside its lead time."""
        times = case_step_times(*tiny)
        code = row_of(times, "done")
        assert times.in_lead_time[times.event_case == code].tolist() == [True, True, True, False, False]
        assert times.lead_time_s()[code] == 5 * 3600
        assert np.isnan(times.lead_time_s()[row_of(times, "gone")])

    def test_statuses_and_end_moments(self, tiny):
        """Completed, exited, in-flight and dropped cases end at completion, exit, never and their last event."""
        times = case_step_times(*tiny)
        base = to_epoch_us(EPOCH)
        expected = {"done": ("completed", base + 5 * 3_600_000_000), "gone": ("exited", base + 3_600_000_000),
                    "open": ("in_flight", NO_TIME), "lost": ("dropped", base + 4 * 3_600_000_000)}
        for case, (status, end_us) in expected.items():
            code = row_of(times, case)
            assert times.status_is(status)[code]
            assert times.end_us[code] == end_us

    def test_agrees_with_metrics_on_the_sample_log(self, sample):
        """Lead times, statuses and last steps match `compute_metrics` case by case."""
        events, journey = sample
        times = case_step_times(events, journey)
        cases = compute_metrics(events, journey).cases.set_index("case").loc[times.case]
        np.testing.assert_allclose(times.lead_time_s(), cases["lead_time_s"].to_numpy(float), rtol=0, atol=1e-6)
        assert (np.asarray(("completed", "exited", "in_flight", "dropped"))[times.status] == cases["status"]).all()
        assert (np.asarray(times.steps)[times.last_step] == cases["last_step"].to_numpy()).all()
        assert times.steps[:len(journey.steps)] == tuple(s.id for s in journey.steps)

    def test_pandas_input_gives_the_same_table(self, tiny):
        """The extraction is engine-neutral: a pandas frame gives the same arrays as Polars."""
        events, journey = tiny
        tables = [case_step_times(frame, journey) for frame in (events, events.to_pandas())]
        frames = [t.to_frame().sort_values(["case", "position"]).reset_index(drop=True) for t in tables]
        assert frames[0].equals(frames[1])
        ends = [dict(zip(t.case, t.end_us)) for t in tables]
        assert ends[0] == ends[1]

    def test_duckdb_input_gives_the_same_table(self, sample):
        """A DuckDB relation gives the same events, statuses and segment values as Polars."""
        duckdb = pytest.importorskip("duckdb")
        events, journey = sample
        tables = [case_step_times(frame, journey, segments=["location"])
                  for frame in (events, duckdb.from_arrow(events.to_arrow()))]
        frames = [t.to_frame().sort_values(["case", "position"]).reset_index(drop=True) for t in tables]
        assert frames[0].equals(frames[1])
        for name in ("status", "end_us"):
            assert dict(zip(tables[0].case, getattr(tables[0], name))) == dict(zip(tables[1].case,
                                                                                  getattr(tables[1], name)))
        assert dict(zip(tables[0].case, tables[0].segments["location"])) == dict(
            zip(tables[1].case, tables[1].segments["location"]))

    def test_as_of_drops_later_events(self, tiny):
        """Events after `as_of` are not seen, so a case completed later is still open then."""
        events, journey = tiny
        times = case_step_times(events, journey, as_of=to_epoch_us(EPOCH) + 4 * 3_600_000_000)
        assert times.status_is("in_flight")[row_of(times, "done")]
        assert "open" not in times.case

    def test_without_a_journey_activities_are_steps(self, tiny):
        """With no journey every activity is a step and the usual last activities end cases."""
        times = case_step_times(tiny[0])
        assert set(times.steps) == {"a", "b", "c", "x"}
        assert times.labels == times.steps

    def test_without_a_journey_end_steps_match_metrics(self, sample):
        """Journey-less logs end at the same usual last activities as `compute_metrics` finds."""
        events = sample[0]
        times, metrics = case_step_times(events), compute_metrics(events)
        assert times.end_steps == metrics.end_steps
        assert int(times.status_is("completed").sum()) == metrics.status_counts["completed"]


    def test_without_a_journey_lead_time_is_case_duration(self):
        """A bare log's cases complete with their last event, as in `compute_metrics`: last - first."""
        events = build_events({
            "reopened": [("open", 0), ("close", 2), ("fix", 30), ("close", 50)],
            "still_working": [("open", 0), ("close", 1), ("fix", 5)],
            "plain": [("open", 0), ("fix", 3), ("close", 4)],
            **{f"plain{i}": [("open", 0), ("fix", 3), ("close", 4)] for i in range(2, 6)},
        })
        times, metrics = case_step_times(events), compute_metrics(events)
        lead = dict(zip(times.case, times.lead_time_s()))
        assert lead["reopened"] == 50 * 3600 and lead["plain"] == 4 * 3600
        assert np.isnan(lead["still_working"])
        expected = metrics.cases.set_index("case")["lead_time_s"]
        assert all(lead[c] == expected[c] or (np.isnan(lead[c]) and np.isnan(expected[c])) for c in lead)


class TestLookups:
    def test_step_code_by_id_or_label(self, tiny):
        """A step is found by id or by label, whatever the case of the letters."""
        times = case_step_times(*tiny)
        assert times.step_code("b") == times.step_code("built") == times.step_code("BUILT") == 1

    def test_unknown_step_is_a_readable_error(self, tiny):
        """An unknown step names itself and lists the steps there are."""
        with pytest.raises(JourneyError, match="No step 'zzz'.*a, b, c, x"):
            case_step_times(*tiny).step_code("zzz")

    def test_segments_hold_each_case_value(self, tiny):
        """Segment columns become one value per case."""
        times = case_step_times(*tiny, segments=["team"])
        assert times.segments["team"][row_of(times, "gone")] == "blue"
        assert times.segments["team"][row_of(times, "done")] == "red"

    def test_unknown_segment_names_the_column(self, tiny):
        """A segment column that is not in the log is an error naming it and the columns there are."""
        with pytest.raises(JourneyError, match="No segment column 'region'.*team"):
            case_step_times(*tiny, segments=["region"])

    def test_to_frame_has_case_ids_and_steps(self, tiny):
        """The pandas view carries case ids and step ids, one row per event."""
        frame = case_step_times(*tiny).to_frame()
        assert len(frame) == 11
        assert frame.loc[frame["case"] == "gone", "step"].tolist() == ["a", "x"]


def same_times(one, other) -> None:
    """Two case-time tables hold the same arrays, case by case and event by event."""
    for name in ("steps", "labels", "end_steps", "exit_steps", "as_of_us", "time"):
        assert getattr(one, name) == getattr(other, name), name
    for name in ("case", "start_us", "last_us", "end_us", "status", "last_step", "event_case", "event_step",
                 "event_ts", "arrival_s", "prev_step", "position", "in_lead_time", "case_lead_time_s",
                 "event_start_us", "working_us", "working_start_us", "as_of_working_us"):
        left, right = getattr(one, name), getattr(other, name)
        assert (left is None) == (right is None), name
        if left is not None:
            np.testing.assert_array_equal(left, right, err_msg=name)


class TestOnePass:
    """`metrics_and_times` orders the events once for the metrics and the case times: both as computed apart."""

    def test_steps_numbered_apart_give_the_same_times(self, tiny):
        """The metrics number steps by name ('Zebra' before 'a'), the times the journey's first: the
        events' steps are renumbered, so every array is that of `case_step_times`."""
        journey = tiny[1]
        events = build_events({"done": [("a", 0), ("b", 2), ("c", 5), ("Zebra", 6), ("c", 9)],
                               "gone": [("a", 0), ("x", 1)], "open": [("a", 300), ("Zebra", 310)]})
        metrics, times = metrics_and_times(events, journey)
        alone = case_step_times(events, journey)
        same_times(times, alone)
        assert times.steps[-1] == "Zebra" and "Zebra" in set(metrics.steps["step"])
        assert metrics.transitions.equals(compute_metrics(events, journey).transitions)

    @pytest.mark.parametrize("as_of", [None, "2026-03-01"])
    def test_the_sample_log(self, sample, as_of):
        events, journey = sample
        metrics, times = metrics_and_times(events, journey, as_of=as_of)
        same_times(times, case_step_times(events, journey, as_of=as_of))
        apart = compute_metrics(events, journey, as_of=as_of)
        assert metrics.steps.equals(apart.steps) and metrics.cases.equals(apart.cases)

    def test_pandas_and_duckdb(self, tiny):
        """pandas keeps its events for the times too; DuckDB's are extracted apart: the same arrays."""
        duckdb = pytest.importorskip("duckdb")
        events, journey = tiny
        for frame in (events.to_pandas(), duckdb.from_arrow(events.to_arrow())):
            same_times(metrics_and_times(frame, journey)[1], case_step_times(events, journey))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.booleans(), min_size=1, max_size=6), min_size=1, max_size=8),
       st.lists(st.booleans(), min_size=8, max_size=8))
def test_lead_time_events_are_those_up_to_the_first_end(cases, completed):
    """In lead time: the events of a completed case up to and including its first end event, whatever
    ends come before or after (reference: the index of that event, case by case)."""
    case_of = np.repeat(np.arange(len(cases)), [len(events) for events in cases])
    first = np.r_[True, case_of[1:] != case_of[:-1]]
    ends_so_far = np.concatenate([np.cumsum(events) for events in cases]).astype(np.int32)
    done = np.array(completed[:len(cases)]) & np.array([any(events) for events in cases])
    expected = []
    for code, events in enumerate(cases):
        until = events.index(True) if done[code] else -1
        expected += [done[code] and at <= until for at in range(len(events))]
    assert _in_lead_time(ends_so_far, first, done[case_of]).tolist() == expected
