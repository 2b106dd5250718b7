"""Designed versus actual: off-map transitions, skipped mandatory steps, rework."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from journeymap.measures.metrics import JourneyMetrics

__all__ = ["Conformance", "conformance"]


@dataclass
class Conformance:
    """How the measured journey departs from the design."""

    off_map_transitions: pd.DataFrame   # from, to, count, cases, median_s
    skipped: pd.DataFrame               # step, label, cases (completed cases that never visited it)
    rework: pd.DataFrame                # step, label, rework_cases, share of reached
    off_map_steps: pd.DataFrame         # activities that map to no step: step, events, reached


def conformance(metrics: JourneyMetrics) -> Conformance:
    """Compare the measured journey with its definition (without one, nothing is off-map)."""
    transitions, steps = metrics.transitions, metrics.steps
    designed = transitions["designed"].astype(bool)  # an empty column comes back as object dtype
    off_map = transitions[~designed] if metrics.journey else transitions.iloc[0:0]
    rework = steps[steps["rework_cases"] > 0].assign(rework_share=lambda s: s["rework_cases"] / s["reached"])
    return Conformance(
        off_map_transitions=off_map[["from", "to", "count", "cases", "median_s"]].reset_index(drop=True),
        skipped=_skipped(metrics),
        rework=rework[["step", "label", "rework_cases", "reached", "rework_share"]]
        .sort_values("rework_cases", ascending=False).reset_index(drop=True),
        off_map_steps=steps[~steps["on_map"]][["step", "events", "reached"]].reset_index(drop=True),
    )


def _skipped(metrics: JourneyMetrics) -> pd.DataFrame:
    """Mandatory steps (dominators of the design) missing from completed cases."""
    journey = metrics.journey
    columns = ["step", "label", "cases"]
    if journey is None:
        return pd.DataFrame(columns=columns)
    completed = metrics.status_counts.get("completed", 0)
    reached_by_completed = metrics.steps.set_index("step")["completed_reached"]
    rows = [(step, journey.step(step).label, int(completed - reached_by_completed.get(step, 0)))
            for step in sorted(journey.mandatory_steps(), key=[s.id for s in journey.steps].index)]
    frame = pd.DataFrame(rows, columns=columns)
    return frame[frame["cases"] > 0].reset_index(drop=True)
