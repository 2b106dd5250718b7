"""Real logs nobody here wrote, first contact: lead time is case duration, drafts measure like the log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from journeymap.log.readers import read_events
from journeymap.measures.conformance import conformance
from journeymap.measures.draft import draft_journey
from journeymap.measures.hotspots import find_hotspots, where_time_goes
from journeymap.measures.metrics import compute_metrics

LOGS = {"helpdesk": "helpdesk.xes.gz", "receipt": "receipt.csv"}


@pytest.fixture(scope="module", params=sorted(LOGS))
def real_log(request: pytest.FixtureRequest, real_data: Path):
    """A real log, read once, with its pm4py reference figures."""
    name = request.param
    reference = json.loads((real_data / "reference" / f"{name}.json").read_text("utf-8"))
    return name, read_events(real_data / LOGS[name]).frame, reference


class TestCaseDuration:
    def test_lead_time_is_last_minus_first_event(self, real_log) -> None:
        """With no journey, a completed case's lead time is its duration, first event to last."""
        _, events, _ = real_log
        cases = compute_metrics(events).cases
        completed = cases[cases["status"] == "completed"]
        assert len(completed) > 0.5 * len(cases)
        assert (completed["lead_time_s"] == completed["duration_s"]).all()

    def test_case_durations_match_the_reference(self, real_log) -> None:
        """The median case duration over all cases is pm4py's."""
        _, events, reference = real_log
        cases = compute_metrics(events).cases
        assert cases["duration_s"].median() == pytest.approx(reference["case_duration_median_s"], abs=1e-3)

    def test_end_steps_are_reference_end_activities(self, real_log) -> None:
        """Every proposed end step is one where reference cases end, and together they end most cases."""
        _, events, reference = real_log
        metrics = compute_metrics(events)
        ends = reference["end_activities"]
        assert set(metrics.end_steps) <= set(ends)
        assert sum(ends[s] for s in metrics.end_steps) >= 0.8 * reference["n_cases"]


class TestDraftOnItsOwnLog:
    def test_no_off_map_transitions(self, real_log) -> None:
        """A drafted journey measured on its own log has every observed transition on the map."""
        _, events, reference = real_log
        journey = draft_journey(events)
        metrics = compute_metrics(events, journey)
        assert conformance(metrics).off_map_transitions.empty
        assert len(journey.steps) == reference["n_activities"]

    def test_draft_measures_like_the_bare_log(self, real_log) -> None:
        """The drafted journey gives the bare log's lead times: one meaning, whichever way the user came."""
        _, events, _ = real_log
        bare, drafted = compute_metrics(events), compute_metrics(events, draft_journey(events))
        assert drafted.lead_time == bare.lead_time
        assert drafted.status_counts == bare.status_counts


def test_helpdesk_auto_close_is_not_the_top_hotspot(real_data: Path) -> None:
    """Helpdesk tickets close by a timer after resolution: that wait is named, never ranked."""
    events = read_events(real_data / "helpdesk.xes.gz").frame
    journey = draft_journey(events)
    assert [s.label for s in journey.steps if s.automatic] == ["Closed"]
    metrics = compute_metrics(events, journey)
    assert find_hotspots(metrics)[0].label != "Closed"
    assert "automatic wait for Closed" in where_time_goes(metrics)


def test_receipt_sentences_do_not_contradict(real_data: Path) -> None:
    """A big share with a median of seconds says where the time really is (a long tail)."""
    events = read_events(real_data / "receipt.csv").frame
    metrics = compute_metrics(events, draft_journey(events))
    for hotspot in find_hotspots(metrics):
        if "delay" in hotspot.kinds and hotspot.delay_share >= 0.1:
            row = metrics.steps.set_index("step").loc[hotspot.step]
            if row["arrival_median_s"] < 60:
                assert "long waits" in hotspot.sentence or "visits" in hotspot.sentence, hotspot.sentence
