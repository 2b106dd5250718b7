"""Metrics as plain JSON-ready data: the contract of `journeymap metrics --format json`."""

from __future__ import annotations

from typing import Any

from journeymap.core.durations import format_duration
from journeymap.core.jsonable import plain, records
from journeymap.log.eventlog import EventLog
from journeymap.measures.handoffs import handoffs_json
from journeymap.measures.metrics import JourneyMetrics
from journeymap.measures.story import journey_story

__all__ = ["metrics_summary"]

TRANSITION_FIELDS = ["from", "to", "count", "cases", "min_s", "median_s", "mean_s", "p85_s", "p95_s", "max_s"]
STEP_FIELDS = ["step", "label", "reached", "events", "rework_cases", "dropped", "in_flight", "drop_off_rate",
               "arrival_median_s", "arrival_p85_s", "delay_share"]


def metrics_summary(metrics: JourneyMetrics, log: EventLog | None = None) -> dict[str, Any]:
    """Every headline figure of a journey, with plain types (no NaN: missing is None)."""
    transitions = metrics.transitions.assign(designed=metrics.transitions["designed"])
    story = journey_story(metrics)
    return {
        "journey": metrics.journey.id if metrics.journey else None,
        "as_of": metrics.as_of.isoformat(),
        "n_cases": metrics.n_cases,
        "n_events": metrics.n_events,
        "skipped_rows": log.skipped_rows if log else 0,
        "skipped": dict(log.skipped) if log else {},
        "end_steps": list(metrics.end_steps),
        "exit_steps": list(metrics.exit_steps),
        "completion": metrics.completion,
        "stale_after": format_duration(metrics.stale_after_s),
        "time": metrics.time,
        "summary": story.summary,
        "cases": {status: metrics.status_counts[status] for status in ("completed", "in_flight", "dropped", "exited")},
        "lead_time": {key: plain(metrics.lead_time.get(key)) for key in ("count", "median_s", "p85_s", "p95_s")},
        "transitions": records(transitions, TRANSITION_FIELDS + ["designed"]),
        "steps": records(metrics.steps, STEP_FIELDS + ["on_map"]),
        "variants": {
            "count": metrics.n_variants,
            "top": [{"path": list(row.path), "count": int(row.count), "share": float(row.share),
                     "median_lead_time_s": plain(row.median_lead_time_s)}
                    for row in metrics.variants.itertuples(index=False)],
        },
        "hotspots": [{"step": h.step, "label": h.label, "kinds": list(h.kinds), "delay_share": h.delay_share,
                      "sentence": h.sentence, "handoff": list(h.handoff) if h.handoff else None}
                     for h in story.hotspots],
        "okrs": [{"name": s.okr.name, "from": s.okr.from_step, "to": s.okr.to_step, "statistic": s.okr.statistic,
                  "baseline_s": s.okr.baseline_s, "target_s": s.okr.target_s, "cases": s.cases,
                  "current_s": s.current_s, "progress": s.progress, "met": s.met, "sentence": s.sentence,
                  "latest_week": None if s.latest is None else {
                      "week": s.latest["week"].strftime("%Y-%m-%d"), "cases": int(s.latest["cases"]),
                      "value_s": float(s.latest["value_s"]), "progress": plain(s.latest["progress"])}}
                 for s in story.okrs],
        "handoffs": handoffs_json(metrics.handoffs),
    }
