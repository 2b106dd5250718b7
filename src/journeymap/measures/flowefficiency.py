"""How much of the time is work: waiting and working in each arrival, per step and end to end (flow efficiency).

Where the log has start times, each arrival at a step (ts of the previous event to ts of this one,
DESIGN.md's duration) splits in two: the **wait** before work starts, start − previous ts (the
contract's `wait`, clipped at 0 where work began before the previous step finished, and at the
arrival where a start lies after its own completion), and the **work** after it, the rest. Wait +
work = the arrival, so the split adds up to the lead time as arrivals do.

Per step, over every arrival whose event has a start time: median and p85 wait, median work, and
flow efficiency = total work / total arrival time. End to end, over completed cases whose every
arrival inside the lead time has a start time: flow efficiency = total work / total lead time
(and each case's own, whose median is reported too). A case's first event starts the lead time at
its completion, so its own work lies before the lead time and is not counted (the contract's
lead time). Arrivals into events without a start time are counted as untimed, never guessed.
In working time (`case_step_times(time="working")`) the wait and the work are both working time:
the start's working clock is the engine's (`engine.workingtime.START_CLOCK`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from journeymap.core.durations import format_seconds_as_text as human
from journeymap.core.numbers import format_share
from journeymap.measures.casetimes import CaseTimes

__all__ = ["FlowEfficiency", "flow_efficiency", "with_flow_efficiency", "STEP_COLUMNS"]

STEP_COLUMNS = ["step", "label", "timed_arrivals", "untimed_arrivals", "overlaps", "wait_median_s", "wait_p85_s",
                "work_median_s", "wait_total_s", "work_total_s", "flow_efficiency"]


@dataclass(frozen=True)
class FlowEfficiency:
    """Waiting and working per step (`steps`), end to end, and the steps where cases wait longest."""

    steps: pd.DataFrame
    end_to_end: dict[str, Any]
    longest_waits: pd.DataFrame

    @property
    def sentence(self) -> str:
        """One line: how much of the lead time is work, and where cases wait longest before work starts."""
        e2e = self.end_to_end
        if not e2e["cases"]:
            return "No completed case has a start time on every step, so flow efficiency cannot be told."
        text = (f"{format_share(e2e['flow_efficiency'])} of the lead time is work, "
                f"{format_share(1 - e2e['flow_efficiency'])} waiting ({e2e['cases']:,} completed cases with start "
                "times)")
        if len(self.longest_waits):
            text += f"; cases wait longest before work starts at {self.longest_waits['sentence'].iloc[0]}"
        return text + "."


def flow_efficiency(times: CaseTimes, top: int = 5) -> FlowEfficiency | None:
    """Waiting and working per step and end to end, or None when the log has no start times."""
    if times.event_start_us is None:
        return None
    wait, work, timed = _split(times)
    steps = _per_step(times, wait, work, timed)
    longest = steps[steps["timed_arrivals"] > 0].sort_values(["wait_median_s", "step"], ascending=[False, True])
    longest = longest.head(top)
    longest = longest.assign(sentence=[
        f"{row.label}: a median {human(row.wait_median_s)} waiting, then {human(row.work_median_s)} of work "
        f"(flow efficiency {format_share(row.flow_efficiency)})" for row in longest.itertuples(index=False)])
    return FlowEfficiency(steps, _end_to_end(times, work, timed), longest.reset_index(drop=True))


def with_flow_efficiency(steps: pd.DataFrame, found: FlowEfficiency | None) -> pd.DataFrame:
    """A step table with each step's flow efficiency and median wait before work (map colour measures)."""
    columns = ["flow_efficiency", "wait_median_s", "work_median_s"]
    if found is None:
        return steps.assign(**{column: np.nan for column in columns})
    extra = found.steps.set_index("step")[columns]
    return steps.drop(columns=[c for c in columns if c in steps], errors="ignore").merge(
        extra, left_on="step", right_index=True, how="left")


def _split(times: CaseTimes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per event: wait and work seconds of its arrival, and whether both are known."""
    arrival = times.arrival_s  # on the clock of `times`: so are the previous event's moment and the start
    clock = times.event_clock()
    previous_ts = np.r_[np.nan, clock[:-1].astype(np.float64)] if len(arrival) else np.zeros(0)
    start = times.start_clock()
    assert start is not None  # flow_efficiency returns None before splitting a log without start times
    timed = ~np.isnan(arrival) & ~np.isnan(start)
    with np.errstate(invalid="ignore"):
        wait = np.clip((start - previous_ts) / 1_000_000, 0.0, None)
        wait = np.where(timed, np.minimum(wait, arrival), np.nan)
    return wait, arrival - wait, timed


def _per_step(times: CaseTimes, wait: np.ndarray, work: np.ndarray, timed: np.ndarray) -> pd.DataFrame:
    assert times.event_start_us is not None  # flow_efficiency returns None before this without start times
    has_arrival = ~np.isnan(times.arrival_s)
    k = len(times.steps)
    previous_ts = np.r_[0, times.event_ts[:-1]] if len(timed) else np.zeros(0, np.int64)
    overlap = timed & (times.event_start_us < previous_ts)
    table = pd.DataFrame({"code": times.event_step[timed], "wait": wait[timed], "work": work[timed]})
    grouped = table.groupby("code")
    stats = pd.DataFrame({"wait_median_s": grouped["wait"].median(), "wait_p85_s": grouped["wait"].quantile(0.85),
                          "work_median_s": grouped["work"].median(), "wait_total_s": grouped["wait"].sum(),
                          "work_total_s": grouped["work"].sum()}).reindex(range(k))
    total = stats["wait_total_s"] + stats["work_total_s"]
    stats["flow_efficiency"] = np.where(total > 0, stats["work_total_s"] / total.where(total > 0, 1.0), np.nan)
    stats["timed_arrivals"] = np.bincount(times.event_step[timed], minlength=k)
    stats["untimed_arrivals"] = np.bincount(times.event_step[has_arrival & ~timed], minlength=k)
    stats["overlaps"] = np.bincount(times.event_step[overlap], minlength=k)
    stats.insert(0, "step", times.steps)
    stats.insert(1, "label", times.labels)
    reached = (stats["timed_arrivals"] + stats["untimed_arrivals"]) > 0
    return stats.loc[reached, STEP_COLUMNS].reset_index(drop=True)


def _end_to_end(times: CaseTimes, work: np.ndarray, timed: np.ndarray) -> dict[str, Any]:
    """Completed cases whose every arrival in the lead time is timed: their work over their lead time."""
    inside = times.in_lead_time & ~np.isnan(times.arrival_s)
    missing = np.bincount(times.event_case[inside & ~timed], minlength=times.n_cases)
    work_s = np.bincount(times.event_case[inside & timed], work[inside & timed], minlength=times.n_cases)
    lead = times.lead_time_s()
    completed = times.status_is("completed")
    chosen = completed & (missing == 0) & (lead > 0)
    lead_total = float(lead[chosen].sum())
    share = work_s[chosen] / lead[chosen]
    return {"cases": int(chosen.sum()), "untimed_cases": int((completed & (missing > 0)).sum()),
            "flow_efficiency": float(work_s[chosen].sum() / lead_total) if lead_total > 0 else float("nan"),
            "median_case_flow_efficiency": float(np.median(share)) if len(share) else float("nan"),
            "work_s": float(work_s[chosen].sum()), "lead_time_s": lead_total}
