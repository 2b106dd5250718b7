"""Our metrics against figures computed by an independent tool (pm4py) on real event logs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from journeymap.events import read_events
from journeymap.metrics import JourneyMetrics, compute_metrics

LOGS = {
    "helpdesk": "helpdesk.xes.gz",
    "receipt": "receipt.csv",
    "interval": "interval_event_log.csv",
    "running_example": "running-example.csv",
}


@pytest.fixture(scope="module", params=sorted(LOGS))
def measured(request: pytest.FixtureRequest, real_data: Path) -> tuple[dict, JourneyMetrics]:
    """A real log read with the column mapping its reference records, and its metrics."""
    reference = json.loads((real_data / "reference" / f"{request.param}.json").read_text())
    mapping = reference["mapping"]
    log = read_events(real_data / LOGS[request.param], case=mapping["case"], activity=mapping["activity"],
                      timestamp=mapping["timestamp"], timestamp_format=mapping["timestamp_format"])
    return reference, compute_metrics(log.frame)


def _close(ours: float, theirs: float) -> bool:
    return math.isclose(ours, theirs, rel_tol=1e-6, abs_tol=1e-9)


class TestAgainstReference:
    def test_case_and_event_counts(self, measured: tuple[dict, JourneyMetrics]) -> None:
        """Every case and every event of the log is counted, as the reference counts them."""
        reference, metrics = measured
        assert (metrics.n_cases, metrics.n_events) == (reference["n_cases"], reference["n_events"])

    def test_start_and_end_activities(self, measured: tuple[dict, JourneyMetrics]) -> None:
        """The first and last activity of each case agree with the reference, case for case counted."""
        reference, metrics = measured
        assert metrics.cases["first_step"].value_counts().to_dict() == reference["start_activities"]
        assert metrics.cases["last_step"].value_counts().to_dict() == reference["end_activities"]

    def test_number_of_variants(self, measured: tuple[dict, JourneyMetrics]) -> None:
        """Distinct paths through the log match the reference's variant count exactly."""
        reference, metrics = measured
        assert metrics.n_variants == reference["n_variants"]

    def test_median_case_duration(self, measured: tuple[dict, JourneyMetrics]) -> None:
        """The median of first-to-last event time over all cases agrees to 1e-6."""
        reference, metrics = measured
        assert _close(float(metrics.cases["duration_s"].median()), reference["case_duration_median_s"])

    def test_transition_counts_are_exact(self, measured: tuple[dict, JourneyMetrics]) -> None:
        """Every directly-follows pair has exactly the reference's count, and no pair is extra or missing."""
        reference, metrics = measured
        ours = {(r["from"], r["to"]): r["count"] for r in metrics.transitions.to_dict("records")}
        theirs = {(r["from"], r["to"]): r["count"] for r in reference["transitions"]}
        assert ours == theirs

    @pytest.mark.parametrize("statistic", ["median_s", "mean_s", "min_s", "max_s"])
    def test_transition_durations(self, measured: tuple[dict, JourneyMetrics], statistic: str) -> None:
        """Complete-to-complete durations per transition agree with the reference to 1e-6 relative."""
        reference, metrics = measured
        ours = {(r["from"], r["to"]): r[statistic] for r in metrics.transitions.to_dict("records")}
        off = [(r["from"], r["to"], ours.get((r["from"], r["to"])), r[statistic]) for r in reference["transitions"]
               if not _close(ours.get((r["from"], r["to"]), math.nan), r[statistic])]
        assert off == []
