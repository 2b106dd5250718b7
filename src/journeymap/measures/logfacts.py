"""What a draft needs to know of a log, from one ordered pass: how cases start and end, how many reach
each activity, the moves between activities, where each activity usually comes, and timer-like waits.

Cheaper than `compute_metrics` (no statuses, statistics or variants), so drafting a journey adds
little to loading a log; the ordering and the end/exit rule are the metrics' own
(`engine.prepare_events`, `outcomes.log_outcomes`), so the draft and the map agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import narwhals as nw
import pandas as pd

from journeymap.engine.prepare import as_lazy, collect, in_order, prepare_events, to_pandas
from journeymap.measures.outcomes import Outcomes, log_outcomes

__all__ = ["LogFacts", "log_facts"]

# A step is reached by a timer when at least this share of its arrivals (and this many) take the
# same time to within 1%, and that time is at least an hour: people's work spreads out over
# hours and days, a rule such as "close 15 days after resolution" does not.
TIMER_SHARE = 0.2
TIMER_MIN_ARRIVALS = 20
TIMER_MIN_S = 3600.0
_TIMER_BIN = math.log(1.02)  # bins 2% wide: a value within 1% of a bin's middle


@dataclass(frozen=True)
class LogFacts:
    """Per activity of a log: `reached` cases, `starting` cases, mean `first_position` in its cases;
    the `transitions` (from, to, cases) between activities; `outcomes`; `timers`."""

    n_cases: int
    reached: dict[str, int]
    starting: dict[str, int]
    first_position: dict[str, float]
    transitions: pd.DataFrame
    outcomes: Outcomes
    timers: tuple[str, ...]


def log_facts(events: Any) -> LogFacts:
    """The facts of canonical events (any engine), every activity its own step."""
    activities = sorted(collect(as_lazy(events).select("activity").unique()).get_column("activity").to_list())
    names = dict(enumerate(activities))
    prepared = prepare_events(events, {a: a for a in activities}, {a: i for i, a in names.items()}, None)
    frame, step = prepared.frame(), in_order(prepared.eager)
    # The first visit of each (case, activity), found on one packed key (a two-key group-by costs
    # twice as much): how many cases reach the activity, and where in them it usually first comes.
    pair = nw.col("case_code").cast(nw.Int64) * max(len(names), 1) + nw.col("step_code")
    visits = to_pandas(frame.select("step_code", "position", pair=pair).filter(nw.col("pair").is_first_distinct())
                       .group_by("step_code").agg(nw.len().alias("reached"), nw.col("position").mean()))
    reached = {names[c]: int(n) for c, n in zip(visits["step_code"], visits["reached"])}
    outcomes = log_outcomes(prepared.events, names, reached=reached)
    starting = to_pandas(frame.filter(nw.col("is_first")).group_by("step_code").agg(nw.len().alias("n")))
    # Only the columns read below: filtering copies every column it keeps.
    moves = frame.select("case_code", "step_code", "is_last", next_code=step(nw.col("step_code").shift(-1)),
                         gap_s=(step(nw.col("ts").shift(-1)) - nw.col("ts")) / 1_000_000)
    moves = moves.filter(~nw.col("is_last")).drop("is_last")
    transitions = to_pandas(moves.group_by("step_code", "next_code").agg(nw.col("case_code").n_unique().alias("cases")))
    transitions = pd.DataFrame({"from": transitions["step_code"].map(names), "to": transitions["next_code"].map(names),
                                "cases": transitions["cases"].astype("int64")})
    return LogFacts(
        n_cases=int(starting["n"].sum()) if len(starting) else 0,
        reached=reached,
        starting={names[c]: int(n) for c, n in zip(starting["step_code"], starting["n"])},
        first_position={names[c]: float(p) for c, p in zip(visits["step_code"], visits["position"])},
        transitions=transitions.sort_values(["cases", "from", "to"], ascending=[False, True, True],
                                            ignore_index=True),
        outcomes=outcomes, timers=_timers(moves, names))


def _timers(moves: Any, names: dict[int, str]) -> tuple[str, ...]:
    """Activities whose arrival looks like a system timer (see `TIMER_SHARE`)."""
    # One key per (activity, bin): a bin number stays far below a million (int64 µs end near 10**13 s).
    key = nw.col("next_code").cast(nw.Int64) * 1_000_000 + (nw.col("gap_s").log() / _TIMER_BIN).round(0).cast(nw.Int64)
    counts = to_pandas(moves.filter(nw.col("gap_s") >= TIMER_MIN_S).select(key=key).group_by("key")
                       .agg(nw.len().alias("n")))
    if counts.empty:
        return ()
    counts["next_code"] = counts["key"] // 1_000_000
    arrivals = to_pandas(moves.group_by("next_code").agg(nw.len().alias("arrivals")))
    peak = counts.groupby("next_code")["n"].max().rename("peak").reset_index().merge(arrivals, on="next_code")
    timed = peak[(peak["peak"] >= TIMER_MIN_ARRIVALS) & (peak["peak"] >= TIMER_SHARE * peak["arrivals"])]
    return tuple(sorted(names[c] for c in timed["next_code"]))
