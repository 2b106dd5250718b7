"""What ops teams measure beside the map (issue 15): flow efficiency and satisfaction of one log, computed once.

Both need each case's own events (`casetimes`), which the map's figures do not keep; they are
extracted once here, and only when the log has what they need (start times; a satisfaction
column). `ops_summary` turns them into the plain data `journeymap metrics` prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import narwhals as nw
import pandas as pd

from journeymap.core.jsonable import plain, records
from journeymap.engine.prepare import as_lazy, collect
from journeymap.engine.spark import not_on_spark
from journeymap.journey.model import Journey
from journeymap.measures.casetimes import CaseTimes, case_step_times
from journeymap.measures.flowefficiency import FlowEfficiency, flow_efficiency, with_flow_efficiency
from journeymap.measures.satisfaction import (
    SATISFACTION_MEASURE,
    Satisfaction,
    SatisfactionScale,
    case_scores,
    find_satisfaction_column,
    satisfaction,
    with_satisfaction,
)

__all__ = ["OpsMeasures", "ops_measures", "ops_summary", "with_ops_measures", "OPS_MEASURES", "available_measures"]

# Map colour measures these add to the step table (column -> legend title); low is worse for the first two.
OPS_MEASURES: dict[str, str] = {"satisfaction_mean": "Mean satisfaction",
                                "flow_efficiency": "Flow efficiency",
                                "wait_median_s": "Median wait before work starts"}


@dataclass(frozen=True)
class OpsMeasures:
    """Flow efficiency (None without start times) and satisfaction (None without a satisfaction column)."""

    flow: FlowEfficiency | None
    satisfaction: Satisfaction | None

    def available(self) -> dict[str, str]:
        """The map colour measures these figures can fill."""
        return _fillable(self.satisfaction is not None, self.flow is not None)


def ops_measures(events: Any, journey: Journey | None, attributes: tuple[str, ...] = (), *,
                 times: CaseTimes | None = None, as_of: Any = None, satisfaction_column: str | None = None,
                 threshold_s: float | None = None, seed: int = 0, time: str = "calendar") -> OpsMeasures:
    """Flow efficiency and satisfaction of a log (either None when the log lacks what it needs), durations on
    the clock `time` (that of `times` when given)."""
    not_on_spark(events, "Flow efficiency and satisfaction")
    found, has_start = _inputs(events, attributes, satisfaction_column)
    if found is None and not has_start:
        return OpsMeasures(None, None)
    times = times if times is not None else case_step_times(events, journey, as_of=as_of, time=time)
    flow = flow_efficiency(times)
    feel = None
    if found is not None:
        column, scale = found
        scores, answers = case_scores(events, times, column, scale)
        feel = satisfaction(times, scores, column, scale, answers=answers, threshold_s=threshold_s, seed=seed)
    return OpsMeasures(flow, feel)


def available_measures(events: Any, attributes: tuple[str, ...] = (), satisfaction_column: str | None = None
                       ) -> dict[str, str]:
    """The map colour measures `ops_measures` of these events would fill, without computing them (cheap: the
    satisfaction column's distinct values and whether any event has a start time)."""
    found, has_start = _inputs(events, attributes, satisfaction_column)
    return _fillable(found is not None, has_start)


def _fillable(satisfaction: bool, flow: bool) -> dict[str, str]:
    """The colour measures of `OPS_MEASURES` that a satisfaction column and start times can fill."""
    return {key: title for key, title in OPS_MEASURES.items()
            if (satisfaction if key == SATISFACTION_MEASURE else flow)}


def _inputs(events: Any, attributes: tuple[str, ...], satisfaction_column: str | None
            ) -> tuple[tuple[str, SatisfactionScale] | None, bool]:
    """What the measures need: the satisfaction column and its scale (or None), and whether start times exist."""
    found = find_satisfaction_column(events, attributes, satisfaction_column)
    lazy = as_lazy(events)
    has_start = "start" in lazy.collect_schema().names() and bool(
        collect(lazy.select((~nw.col("start").is_null()).sum())).item())
    return found, has_start


def with_ops_measures(steps: pd.DataFrame, measures: OpsMeasures) -> pd.DataFrame:
    """A step table with the colour measures of `OPS_MEASURES` (NaN where the log cannot tell)."""
    return with_satisfaction(with_flow_efficiency(steps, measures.flow), measures.satisfaction)


def ops_summary(measures: OpsMeasures) -> dict[str, Any]:
    """Plain JSON-ready data: `flow_efficiency` and `satisfaction`, each only when the log can tell."""
    out: dict[str, Any] = {}
    if measures.flow is not None:
        flow = measures.flow
        out["flow_efficiency"] = {**plain(flow.end_to_end), "sentence": flow.sentence,
                                  "steps": records(flow.steps),
                                  "longest_waits": records(flow.longest_waits[["step", "label", "wait_median_s",
                                                                                "work_median_s", "sentence"]])}
    if measures.satisfaction is not None:
        feel = measures.satisfaction
        out["satisfaction"] = {
            "column": feel.column, "scale": feel.scale.name, "low": feel.scale.low, "high": feel.scale.high,
            "answered_cases": feel.answered, "cases_with_several_answers": feel.several, "mean": plain(feel.mean),
            "sentences": feel.sentences(), "steps": records(feel.steps),
            "paths": records(feel.paths.assign(path=[list(p) for p in feel.paths["path"]])),
            "waiting": records(feel.waiting)}
    return out
