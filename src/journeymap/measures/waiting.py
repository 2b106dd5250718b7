"""Cases in flight and how long each has waited at its last step: the one definition behind the step
details ("waiting here now") and the Flow page's stuck cases."""

from __future__ import annotations

import numpy as np
import pandas as pd

from journeymap.measures.metrics import JourneyMetrics

__all__ = ["in_flight_cases"]


def in_flight_cases(metrics: JourneyMetrics, step: str | None = None) -> pd.DataFrame:
    """In-flight cases (status from the case table) with `case`, `step` (their last step), `label`,
    `waiting_s` (since their last event, at `as_of`) and `age_s`, both on the metrics' clock, longest
    waiting first (ties by case id); only those waiting at `step` when given."""
    cases = metrics.cases
    flying = cases[(cases["status"] == "in_flight") & ((cases["last_step"] == step) if step is not None else True)]
    # On the metrics' clock: in working time the age less the duration (the case table's two working
    # spans from its first event) is the working time since the last event; silence stays calendar.
    waiting = flying["silent_s"] if metrics.time == "calendar" else flying["age_s"] - flying["duration_s"]
    table = pd.DataFrame({
        "case": flying["case"].to_numpy(object),
        "step": flying["last_step"].to_numpy(object),
        "label": np.asarray([metrics.step_label(s) for s in flying["last_step"]], dtype=object),
        "waiting_s": waiting.to_numpy(np.float64),
        "age_s": flying["age_s"].to_numpy(np.float64),
    })
    return table.sort_values(["waiting_s", "case"], ascending=[False, True], kind="stable").reset_index(drop=True)
