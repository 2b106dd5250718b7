"""Designed versus actual: off-map transitions, skipped mandatory steps, rework."""

from __future__ import annotations

from journeymap.journey.definition import journey_from_yaml
from journeymap.measures.conformance import conformance
from journeymap.measures.metrics import compute_metrics
from journeymap.testing import build_events

JOURNEY = journey_from_yaml("""
id: buy
name: Buy
stages: [{id: s, label: S}]
steps:
  - {id: submit, label: Submit, stage: s}
  - {id: approve, label: Approve, stage: s}
  - {id: order, label: Order, stage: s}
  - {id: expedite, label: Expedite, stage: s}
transitions:
  - {from: submit, to: approve}
  - {from: approve, to: order}
  - {from: approve, to: expedite}
  - {from: expedite, to: order}
start: submit
end: [order]
""")


class TestConformance:
    def test_off_map_skipped_and_rework(self) -> None:
        """A jump past approval is off-map and a skip; a repeated approval is rework (and an undesigned loop)."""
        metrics = compute_metrics(build_events({
            "ok": [("submit", 0), ("approve", 1), ("order", 2)],
            "skip": [("submit", 0), ("order", 1)],
            "again": [("submit", 0), ("approve", 1), ("approve", 2), ("expedite", 3), ("order", 4)],
        }), JOURNEY)
        result = conformance(metrics)
        off_map = set(zip(result.off_map_transitions["from"], result.off_map_transitions["to"]))
        assert off_map == {("submit", "order"), ("approve", "approve")}
        assert result.skipped.to_dict("records") == [{"step": "approve", "label": "Approve", "cases": 1}]
        assert result.rework["step"].tolist() == ["approve"] and result.rework["rework_cases"].tolist() == [1]

    def test_optional_branch_is_not_skipped(self) -> None:
        """Expedite is on one designed path only, so cases without it did not skip anything."""
        metrics = compute_metrics(build_events({"ok": [("submit", 0), ("approve", 1), ("order", 2)]}), JOURNEY)
        assert conformance(metrics).skipped.empty


    def test_no_transitions_at_all(self) -> None:
        """A log of single-event cases has no transitions, hence nothing off-map (and no error)."""
        metrics = compute_metrics(build_events({"a": [("submit", 0)], "b": [("order", 1)]}), JOURNEY)
        assert conformance(metrics).off_map_transitions.empty
