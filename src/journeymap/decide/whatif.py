"""What if we fixed it: replay the measured completed cases with one step changed, and OKR budgets.

A completed case's lead time is the sum of its arrival times up to completion (the identity the
delay shares rest on), so a change to one step's arrivals gives each case a new lead time. The
replay keeps everything else as measured: it is an estimate of the direct effect, not a model of
queues. Changes: `cut` scales the step's arrival times by (1 - pct/100); `cap` clips each at the
step's target; `no_rework` drops a case's second and later arrivals into the step; `remove` drops
all of them (the next step's arrival is still timed from the removed step's event).

Durations are on the clock of the case times (calendar or working time); an OKR is replayed on
the clock it names, and a cap is at the target on the target's clock. So a change is what it keeps
of each arrival, a share the same on either clock: a cut keeps 1 - pct/100, a removal 0, a cap
target / arrival on the target's clock (where the arrival is longer). On the target's own clock
that is the arrival clipped at the target; on the other it shortens the arrival in proportion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from journeymap.core.durations import format_seconds_as_text
from journeymap.core.errors import JourneyError
from journeymap.engine.stats import quantile_of
from journeymap.journey.model import Okr
from journeymap.measures.casetimes import CaseTimes

__all__ = ["WhatIf", "CHANGES", "what_if", "p85_impact", "with_p85_impact", "okr_gaps", "okr_budget", "okr_times"]

CHANGES = ("cut", "cap", "no_rework", "remove")
QUANTILES = {"p50": "median", "p85": "p85", "p95": "p95"}  # a replay table's rows: label -> statistic


@dataclass(frozen=True)
class WhatIf:
    """Lead times of the completed cases as measured and as replayed with one step changed."""

    step: str
    label: str
    change: str
    description: str
    lead_time_before_s: np.ndarray
    lead_time_after_s: np.ndarray
    quantiles: pd.DataFrame
    okrs: pd.DataFrame
    sentence: str
    time: str = "calendar"  # the clock of the lead times (the OKRs' is in `okrs["time"]`)

    @property
    def n_cases(self) -> int:
        """Completed cases replayed."""
        return len(self.lead_time_before_s)


@dataclass(frozen=True)
class _Replay:
    """Arrivals of completed cases up to completion (0 for a case's first event), cases numbered 0..n-1."""

    case: np.ndarray
    step: np.ndarray
    arrival_s: np.ndarray
    position: np.ndarray
    n: int

    @classmethod
    def of(cls, times: CaseTimes, time: str | None = None) -> _Replay:
        """The replay on a clock (default the case times'; an OKR's or a target's may be the other)."""
        keep = times.in_lead_time
        completed = np.flatnonzero(times.status_is("completed"))
        number = np.full(times.n_cases, -1, dtype=np.int64)
        number[completed] = np.arange(len(completed))
        arrival_s = times.arrivals_on(time or times.time)
        return cls(number[times.event_case[keep]], times.event_step[keep], np.nan_to_num(arrival_s[keep]),
                   times.position[keep], len(completed))

    def total(self, arrival_s: np.ndarray, window: np.ndarray | None = None) -> np.ndarray:
        """Per case, the sum of (windowed) arrival times."""
        return np.bincount(self.case, arrival_s if window is None else arrival_s * window, minlength=self.n)

    def repeat(self) -> np.ndarray:
        """Arrivals into a step the case had already reached (rework)."""
        steps = int(self.step.max(initial=0)) + 1
        _, first = np.unique(self.case * steps + self.step, return_index=True)
        repeat = np.ones(len(self.case), dtype=bool)
        repeat[first] = False
        return repeat


@dataclass(frozen=True)
class _Change:
    """What a change keeps of each arrival of a replay (1: as measured), and a cap's clock and seconds."""

    keep: np.ndarray
    at_step: np.ndarray
    cap: tuple[str, float] | None = None

    def apply(self, arrival_s: np.ndarray, time: str) -> np.ndarray:
        """The changed arrivals of a replay on `time` (the same events, on either clock)."""
        if self.cap is not None and self.cap[0] == time:  # exactly the clip on the target's own clock
            return np.where(self.at_step, np.minimum(arrival_s, self.cap[1]), arrival_s)
        return arrival_s * self.keep


def what_if(times: CaseTimes, step: str, change: str, pct: float = 50.0) -> WhatIf:
    """Replay completed cases with a step cut by `pct`%, capped at its target, without rework, or removed."""
    if change not in CHANGES:
        raise JourneyError(f"Unknown change '{change}'; choose one of {', '.join(CHANGES)}.")
    code = times.step_code(step)
    step_id, label = times.steps[code], times.labels[code]
    replay = _Replay.of(times)
    at_step = replay.step == code
    keep, cap = np.ones(len(replay.arrival_s)), None
    if change == "cut":
        if not 0 <= pct <= 100:
            raise JourneyError(f"A cut is a percentage from 0 to 100, not {pct:g}.")
        keep[at_step] = 1 - pct / 100
        description = f"{label} {pct:g}% faster"
    elif change == "cap":
        target = times.journey.step(step_id).target if times.journey and step_id in times.journey.steps_by_id else None
        if target is None:
            raise JourneyError(f"{label} has no target to cap it at; give it one in the journey YAML "
                               "(e.g. target: {p85: 3d}) or use a cut instead.")
        on_target = _Replay.of(times, target.time).arrival_s[at_step]
        longer = on_target > target.seconds
        keep[at_step] = np.where(longer, target.seconds / np.where(longer, on_target, 1.0), 1.0)
        cap = (target.time, target.seconds)
        description = (f"{label} capped at its target of {format_seconds_as_text(target.seconds)}"
                       + (" of working time" if target.time == "working" else ""))
    elif change == "no_rework":
        keep[at_step & replay.repeat()] = 0.0
        description = f"{label} without rework"
    else:
        keep[at_step] = 0.0
        description = f"{label} removed"
    changed = _Change(keep, at_step, cap)
    before_s, after_s = replay.total(replay.arrival_s), replay.total(changed.apply(replay.arrival_s, times.time))
    table = _quantile_table(before_s, after_s)
    okrs = _okr_gaps(times, changed)
    p85 = table.set_index("statistic").loc["p85"] if len(before_s) else None
    clock = " in working hours" if times.time == "working" else ""
    sentence = (f"{description}: p85 lead time {format_seconds_as_text(p85['before_s'])} → "
                f"{format_seconds_as_text(p85['after_s'])}{clock} over {len(before_s):,} completed cases."
                if p85 is not None else f"{description}: no completed cases to replay.")
    return WhatIf(step_id, label, change, description, before_s, after_s, table, okrs, sentence, times.time)


def p85_impact(times: CaseTimes, share: float = 0.5, chunk: int = 16) -> pd.DataFrame:
    """For every step, how much p85 lead time would fall if its arrival times were cut by `share` (halved)."""
    replay, k = _Replay.of(times), len(times.steps)
    lead = replay.total(replay.arrival_s)
    base = float(np.quantile(lead, quantile_of("p85"))) if replay.n else float("nan")
    after = np.full(k, np.nan)
    codes = np.unique(replay.step[replay.arrival_s > 0])
    for start in range(0, len(codes), chunk):
        part = codes[start:start + chunk]
        column = np.searchsorted(part, replay.step)
        sel = (column < len(part)) & (part[np.minimum(column, len(part) - 1)] == replay.step)
        totals = np.bincount(replay.case[sel] * len(part) + column[sel], replay.arrival_s[sel],
                             minlength=replay.n * len(part)).reshape(replay.n, len(part))
        after[part] = np.quantile(lead[:, None] - share * totals, quantile_of("p85"), axis=0)
    after = np.where(np.isnan(after), base, after)
    table = pd.DataFrame({"step": times.steps, "label": times.labels, "p85_before_s": base, "p85_after_s": after})
    table["p85_impact_s"] = table["p85_before_s"] - table["p85_after_s"]
    table["impact_share"] = table["p85_impact_s"] / base if base and base == base else 0.0
    return table.sort_values(["p85_impact_s", "step"], ascending=[False, True], kind="stable").reset_index(drop=True)


def with_p85_impact(steps: pd.DataFrame, impact: pd.DataFrame) -> pd.DataFrame:
    """A copy of a steps frame with `p85_impact_s` (0 for steps absent from completed cases), for colouring."""
    values = impact.set_index("step")["p85_impact_s"]
    return steps.assign(p85_impact_s=steps["step"].map(values).fillna(0.0).astype(float))


def okr_times(times: CaseTimes, okr: Okr) -> np.ndarray:
    """Per completed case, the time from its first arrival at the OKR's from-step to its to-step (NaN if not
    both), on the OKR's clock."""
    return _okr_times(times, okr, _Replay.of(times, okr.time))


def okr_gaps(times: CaseTimes) -> pd.DataFrame:
    """Each OKR's statistic over the completed cases against its baseline and target, on the OKR's clock."""
    return _okr_gaps(times, None)


def _okr_times(times: CaseTimes, okr: Okr, replay: _Replay, arrival_s: np.ndarray | None = None,
               window: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    inside, valid = window or _okr_window(times, okr, replay)
    return np.where(valid, replay.total(replay.arrival_s if arrival_s is None else arrival_s, inside), np.nan)


def _okr_window(times: CaseTimes, okr: Okr, replay: _Replay) -> tuple[np.ndarray, np.ndarray]:
    """Arrivals after a case's first event at the from-step up to its first arrival at the to-step, and
    the cases that reach both in that order."""
    firsts = [_first_position(replay, _code(times, s)) for s in (okr.from_step, okr.to_step)]
    inside = (replay.position > firsts[0][replay.case]) & (replay.position <= firsts[1][replay.case])
    return inside, (firsts[0] >= 0) & (firsts[1] > firsts[0])


def _code(times: CaseTimes, step: str) -> int:
    return times.steps.index(step) if step in times.steps else -1


def _okr_gaps(times: CaseTimes, change: _Change | None) -> pd.DataFrame:
    rows = []
    for okr in times.journey.okrs if times.journey else ():
        q = quantile_of(okr.statistic)
        replay = _Replay.of(times, okr.time)
        arrival_s = change.apply(replay.arrival_s, okr.time) if change is not None else None
        window = _okr_window(times, okr, replay)
        now = _quantile(_okr_times(times, okr, replay, window=window), q)
        then = _quantile(_okr_times(times, okr, replay, arrival_s, window), q) if arrival_s is not None else now
        rows.append({"okr": okr.name, "statistic": okr.statistic, "time": okr.time, "baseline_s": okr.baseline_s,
                     "target_s": okr.target_s, "before_s": now, "after_s": then, "gap_before_s": now - okr.target_s,
                     "gap_after_s": then - okr.target_s, "met_before": bool(now <= okr.target_s),
                     "met_after": bool(then <= okr.target_s)})
    return pd.DataFrame(rows, columns=["okr", "statistic", "time", "baseline_s", "target_s", "before_s", "after_s",
                                       "gap_before_s", "gap_after_s", "met_before", "met_after"])


def okr_budget(times: CaseTimes, okr: Okr | None = None, min_reach: float = 0.5, band: float = 0.05) -> pd.DataFrame:
    """The OKR target split across its usual steps in proportion to their median; steps over budget flagged.

    Usual steps are those at least `min_reach` of the OKR's cases arrive at inside its window. A
    step's `actual_s` is the mean time spent arriving there by the cases at the OKR's statistic
    (OKR time within `band` of its quantile, e.g. p80-p90 for a p85): these add up to that statistic,
    as the budgets add up to the target. Over budget: `actual_s` above `budget_s`. All on the OKR's clock.
    """
    okr = okr or _first_okr(times)
    replay, q = _Replay.of(times, okr.time), quantile_of(okr.statistic)
    window = _okr_window(times, okr, replay)
    durations = _okr_times(times, okr, replay, window=window)
    valid = ~np.isnan(durations)
    low, high = np.quantile(durations[valid], [max(q - band, 0), min(q + band, 1)]) if valid.any() else (0, -1)
    at_statistic = valid & (durations >= low) & (durations <= high)
    inside = window[0] & valid[replay.case]
    n_cases, n_band = int(valid.sum()), max(int(at_statistic.sum()), 1)
    rows = []
    for code in np.unique(replay.step[inside]):
        here = inside & (replay.step == code)
        reach = len(np.unique(replay.case[here])) / max(n_cases, 1)
        if reach >= min_reach:
            actual = replay.arrival_s[here & at_statistic[replay.case]].sum() / n_band
            rows.append({"step": times.steps[code], "label": times.labels[code], "reach": reach,
                         "median_s": float(np.median(replay.arrival_s[here])), "actual_s": float(actual)})
    table = pd.DataFrame(rows, columns=["step", "label", "reach", "median_s", "actual_s"])
    total = table["median_s"].sum()
    table["budget_s"] = okr.target_s * table["median_s"] / total if total > 0 else float("nan")
    table["over_budget_s"] = table["actual_s"] - table["budget_s"]
    table["over_budget"] = table["over_budget_s"] > 0
    clock = " of working time" if okr.time == "working" else ""
    table["sentence"] = [f"{r.label}: cases at the {okr.statistic} spend {format_seconds_as_text(r.actual_s)}{clock} "
                         "here "
                         f"against a budget of {format_seconds_as_text(r.budget_s)}"
                         + (f" (over by {format_seconds_as_text(r.over_budget_s)})." if r.over_budget else ".")
                         for r in table.itertuples(index=False)]
    return table


def _first_okr(times: CaseTimes) -> Okr:
    if not times.journey or not times.journey.okrs:
        raise JourneyError("This journey has no OKR; add one under `okrs:` in its YAML (from, to, statistic, "
                           "baseline, target).")
    return times.journey.okrs[0]


def _first_position(replay: _Replay, code: int) -> np.ndarray:
    """Per case, the position of its first arrival at a step (-1 when it never arrives)."""
    first = np.full(replay.n, -1, dtype=np.int64)
    sel = replay.step == code
    cases, positions = replay.case[sel], replay.position[sel]
    leading = np.r_[True, cases[1:] != cases[:-1]] if len(cases) else np.zeros(0, bool)
    first[cases[leading]] = positions[leading]
    return first


def _quantile(values: np.ndarray, q: float) -> float:
    values = values[~np.isnan(values)]
    return float(np.quantile(values, q)) if len(values) else float("nan")


def _quantile_table(before_s: np.ndarray, after_s: np.ndarray) -> pd.DataFrame:
    rows = [{"statistic": name, "before_s": _quantile(before_s, quantile_of(statistic)),
             "after_s": _quantile(after_s, quantile_of(statistic))} for name, statistic in QUANTILES.items()]
    table = pd.DataFrame(rows)
    table["change_s"] = table["after_s"] - table["before_s"]
    table["change"] = table["after_s"] / table["before_s"] - 1
    return table
