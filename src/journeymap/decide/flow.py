"""How is the flow and what is stuck: weekly throughput, WIP, cumulative flow, a forecast, stuck cases.

Weeks start on Monday 00:00 UTC. A case is in progress from its first event until it completes,
exits or goes silent (its last event, for dropped cases); in-flight cases are in progress at
`as_of`. Stuck cases are the in-flight ones, measured by how long they have waited at their last
step against two yardsticks: the usual wait, the p85 of the measured time from an event at that
step to the case's next event, and the target, the tightest target on the designed next steps or
transitions. Waits are on the clock of the metrics and case times (calendar or working time); a
target is judged on the clock it names. Weeks, dates and the forecast stay on the calendar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from journeymap.core.durations import format_seconds_as_text
from journeymap.core.moments import week_start
from journeymap.engine.stats import quantile_of
from journeymap.measures.casetimes import CaseTimes
from journeymap.measures.metrics import JourneyMetrics
from journeymap.measures.waiting import in_flight_cases

__all__ = ["Forecast", "done_by", "level_names", "weekly_throughput", "work_in_progress", "cumulative_flow",
           "forecast_wip", "stuck_cases", "stuck_by_step", "stuck_cases_csv"]

_DAY_US = 86_400_000_000
_WEEK_US = 7 * _DAY_US
_LEVELS = (50, 85, 95)


@dataclass(frozen=True)
class Forecast:
    """When today's work in progress will be done, from sampled weekly throughput (Monte Carlo)."""

    wip: int
    history: tuple[int, ...]
    weeks: dict[int, float]
    dates: dict[int, dt.date | None]
    sentence: str


def weekly_throughput(times: CaseTimes) -> pd.DataFrame:
    """Completed cases per week from the first case to `as_of`; the last, partial week is not `complete`."""
    weeks = _weeks(times)
    done = times.end_us[times.status_is("completed")]
    counts = np.bincount((week_start(done) - weeks[0]).astype(np.int64) // 7, minlength=len(weeks))
    ends = _us(weeks) + _WEEK_US
    return pd.DataFrame({"week": pd.to_datetime(weeks), "completed": counts[:len(weeks)],
                         "complete": ends <= times.as_of_us})


def work_in_progress(times: CaseTimes) -> pd.DataFrame:
    """Cases in progress at the end of each week (the last point is `as_of`)."""
    moments = _moments(times)
    started = np.searchsorted(np.sort(times.start_us), moments, side="right")
    ended = np.searchsorted(np.sort(times.end_us), moments, side="right")
    return pd.DataFrame({"at": pd.to_datetime(moments, unit="us", utc=True), "wip": started - ended})


def cumulative_flow(times: CaseTimes) -> pd.DataFrame:
    """Cumulative count of cases that had reached each step by the end of each week (long format)."""
    moments, k = _moments(times), len(times.steps)
    keys, first = np.unique(times.event_case * k + times.event_step, return_index=True)
    steps, reached_us = keys % k, times.event_ts[first]
    frames = []
    for code in np.unique(steps):
        counts = np.searchsorted(np.sort(reached_us[steps == code]), moments, side="right")
        frames.append(pd.DataFrame({"at": pd.to_datetime(moments, unit="us", utc=True), "step": times.steps[code],
                                    "label": times.labels[code], "cases": counts}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["at", "step", "label", "cases"])


def forecast_wip(times: CaseTimes, *, history_weeks: int = 12, runs: int = 10_000, seed: int = 0,
                 max_weeks: int = 520) -> Forecast:
    """Monte Carlo: weeks until today's in-flight cases are done, sampling the last complete weeks' throughput."""
    wip = int(times.status_is("in_flight").sum())
    weekly = weekly_throughput(times)
    history = tuple(int(c) for c in weekly.loc[weekly["complete"], "completed"].tail(history_weeks))
    as_of = dt.datetime.fromtimestamp(times.as_of_us / 1e6, tz=dt.UTC).date()
    if wip == 0 or not any(history):
        reason = "nothing is in flight" if wip == 0 else "no case completed in the weeks sampled"
        return Forecast(wip, history, {}, {}, f"No forecast: {reason}.")
    rng = np.random.default_rng(seed)
    horizon = int(min(max_weeks, np.ceil(3 * wip / np.mean(history)) + 10))
    done = np.cumsum(rng.choice(np.array(history), size=(runs, horizon)), axis=1) >= wip
    needed = np.where(done.any(axis=1), done.argmax(axis=1) + 1, np.inf)
    weeks = {level: float(np.quantile(needed, level / 100, method="inverted_cdf")) for level in _LEVELS}
    dates = {level: as_of + dt.timedelta(weeks=w) if np.isfinite(w) else None for level, w in weeks.items()}
    sentence = (f"The {wip:,} cases in flight should be {done_by(dates)}, at the {len(history)} last weeks' pace of "
                f"{min(history)}–{max(history)} completions a week.")
    return Forecast(wip, history, weeks, dates, sentence)


def done_by(dates: dict[int, dt.date | None]) -> str:
    """When a forecast's levels are done, in words; levels on the same day share it ("done by 4 Dec 2026 at
    50, 85 and 95% confidence"), so three equal dates do not read as three forecasts."""
    days: dict[dt.date, list[int]] = {}
    for level, day in sorted(dates.items()):
        if day is not None:
            days.setdefault(day, []).append(level)
    if not days:
        return "not done within the forecast's horizon"
    parts = [f"{day.day} {day:%b %Y} at {level_names(levels)} confidence" for day, levels in sorted(days.items())]
    return "done by " + (parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1])


def level_names(levels: list[int]) -> str:
    """50 -> "50%"; 50, 85, 95 -> "50, 85 and 95%"."""
    named = [str(level) for level in levels]
    return (named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]) + "%"


def stuck_cases(metrics: JourneyMetrics, times: CaseTimes) -> pd.DataFrame:
    """In-flight cases (`waiting.in_flight_cases`) with their wait at their last step against its usual
    p85 wait and target, longest first; `times` (of the same events, on the same clock) gives the usual waits
    and segments. A target on the other clock than the metrics' is judged by the wait on its own clock."""
    if times.time != metrics.time:
        raise ValueError(f"The case times are in {times.time} time, the metrics in {metrics.time} time.")
    table = in_flight_cases(metrics)
    waits, (targets, clocks) = _usual_wait_p85(times), _leaving_targets(times)
    codes = np.asarray([times.steps.index(step) for step in table["step"]], dtype=np.int64)
    where = pd.Index(times.case).get_indexer(table["case"])
    table["usual_wait_p85_s"], table["target_s"] = waits[codes], targets[codes]
    table["target_time"] = clocks[codes]
    judged = table["waiting_s"].to_numpy(np.float64).copy()
    for clock in set(clocks[codes]) - {metrics.time, None}:
        other = table["target_time"].to_numpy() == clock
        judged[other] = times.waiting_s(clock)[where[other]]
    table["over_p85"] = table["waiting_s"] > table["usual_wait_p85_s"]
    table["over_target"] = judged > table["target_s"].to_numpy(np.float64)
    for column, values in times.segments.items():
        table[column] = values[where]
    return table


def stuck_by_step(stuck: pd.DataFrame) -> pd.DataFrame:
    """Stuck cases counted per step: in flight, over the usual p85 wait, over target, longest wait."""
    table = stuck.groupby(["step", "label"], sort=False).agg(
        in_flight=("case", "count"), over_p85=("over_p85", "sum"), over_target=("over_target", "sum"),
        longest_wait_s=("waiting_s", "max")).reset_index()
    table[["over_p85", "over_target"]] = table[["over_p85", "over_target"]].astype("int64")
    return table.sort_values(["over_p85", "in_flight", "step"], ascending=[False, False, True]).reset_index(drop=True)


def stuck_cases_csv(stuck: pd.DataFrame) -> bytes:
    """Stuck cases as CSV bytes (UTF-8), case ids first, waits also written for people."""
    table = stuck.assign(waiting=stuck["waiting_s"].map(format_seconds_as_text),
                         usual_wait_p85=stuck["usual_wait_p85_s"].map(format_seconds_as_text))
    return table.to_csv(index=False).encode("utf-8")


def _usual_wait_p85(times: CaseTimes) -> np.ndarray:
    """Per step, the p85 of the time from an event at the step to the case's next event."""
    has = times.prev_step >= 0
    frame = pd.DataFrame({"step": times.prev_step[has], "wait_s": times.arrival_s[has]})
    p85 = frame.groupby("step")["wait_s"].quantile(quantile_of("p85"))
    waits = np.full(len(times.steps), np.nan)
    waits[p85.index.to_numpy(np.int64)] = p85.to_numpy()
    return waits


def _leaving_targets(times: CaseTimes) -> tuple[np.ndarray, np.ndarray]:
    """Per step, the tightest target among its designed next steps and outgoing transitions (NaN if none),
    and the clock it names (None if none)."""
    targets = np.full(len(times.steps), np.nan)
    clocks = np.full(len(times.steps), None, dtype=object)
    journey = times.journey
    if journey is None:
        return targets, clocks
    for transition in journey.transitions:
        if transition.source not in times.steps:
            continue
        code = times.steps.index(transition.source)
        for target in (transition.target, journey.step(transition.target_step).target):
            if target is not None and not target.seconds >= targets[code]:  # NaN: none yet
                targets[code], clocks[code] = target.seconds, target.time
    return targets, clocks


def _weeks(times: CaseTimes) -> np.ndarray:
    if not times.n_cases:
        return week_start(np.array([times.as_of_us]))
    first, last = week_start(np.array([times.start_us.min(), times.as_of_us]))
    return np.arange(first, last + np.timedelta64(7, "D"), np.timedelta64(7, "D"))


def _us(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[us]").astype(np.int64)


def _moments(times: CaseTimes) -> np.ndarray:
    """Each complete week's end, then `as_of`."""
    ends = _us(_weeks(times)) + _WEEK_US
    return np.append(ends[ends < times.as_of_us], times.as_of_us)
