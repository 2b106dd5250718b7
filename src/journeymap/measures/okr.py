"""OKRs: the time between an OKR's two steps, case by case, and where each OKR stands.

An OKR such as "offer accepted to first login, p85, 48 h -> 24 h" is measured on each completed
case as the time from its first event at the from-step to its first arrival at the to-step, when
that arrival comes after it and at or before completion (DESIGN.md, "OKRs"). This is the one
definition: the Time and Flow pages, the report, `journeymap export`, the metrics JSON and the
What-if replay (`journeymap.decide.whatif`, pinned equal by the tests) all read it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import narwhals as nw
import numpy as np
import pandas as pd

from journeymap.core.durations import format_seconds_as_text
from journeymap.core.moments import week_start
from journeymap.core.numbers import format_share
from journeymap.engine.prepare import PreparedEvents, to_pandas
from journeymap.engine.stats import quantile_of
from journeymap.engine.workingtime import CLOCK
from journeymap.journey.model import Okr

if TYPE_CHECKING:
    from journeymap.measures.metrics import JourneyMetrics

__all__ = ["OkrStatus", "okr_status", "okr_case_times", "okr_progress_share", "MIN_WEEK_CASES", "OKR_CASE_COLUMNS"]

MIN_WEEK_CASES = 5  # a week's statistic over fewer cases than this says nothing
OKR_CASE_COLUMNS = ["okr", "case", "okr_s", "reached_ts"]


def okr_case_times(prepared: PreparedEvents, okrs: Sequence[Okr], step_codes: dict[str, int],
                   end_codes: Sequence[int], cases: nw.LazyFrame[Any]) -> pd.DataFrame:
    """Every OKR's time per completed case: `okr` (its index), `case`, `okr_s` and `reached_ts`
    (the moment the case reached the to-step, epoch microseconds).

    Needs `cases.mark_cases`. An event is before completion while its case has had no end event,
    or when it is the end event that completes it (the first, `ends_so_far == 1`); the time between
    the two steps is the difference of their timestamps, which is the sum of the arrivals between
    them that the What-if replay adds up.
    """
    if not okrs:
        return pd.DataFrame(columns=OKR_CASE_COLUMNS)
    events = prepared.frame().lazy()
    has_clock = CLOCK in events.collect_schema().names()  # an OKR in working time reads the working clock
    in_lead = nw.col("case_completed") & ((nw.col("ends_so_far") == 0) | (
        (nw.col("ends_so_far") == 1) & nw.col("step_code").is_in(list(end_codes))))
    ids = cases.select("case_code", "case")
    tables = []
    for number, okr in enumerate(okrs):
        if okr.from_step not in step_codes or okr.to_step not in step_codes:
            continue

        clock = CLOCK if okr.time == "working" and has_clock else "ts"

        def first(step: str, name: str, clock: str = clock) -> nw.LazyFrame[Any]:
            return (events.filter(in_lead & (nw.col("step_code") == step_codes[step])).group_by("case_code")
                    .agg(nw.col("position").min().alias(f"{name}_pos"), nw.col("ts").min().alias(f"{name}_ts"),
                         nw.col(clock).min().alias(f"{name}_clock")))

        pairs = first(okr.from_step, "from").join(first(okr.to_step, "to"), on="case_code")
        pairs = pairs.filter(nw.col("to_pos") > nw.col("from_pos")).join(ids, on="case_code").select(
            "case", okr_s=(nw.col("to_clock") - nw.col("from_clock")) / 1_000_000, reached_ts=nw.col("to_ts"))
        # Sorted in the engine: pandas sorts a million text ids several times slower (one row per case, no ties).
        table = to_pandas(pairs.sort(["reached_ts", "case"]))
        table.insert(0, "okr", number)
        tables.append(table)
    if not tables:
        return pd.DataFrame(columns=OKR_CASE_COLUMNS)
    return pd.concat(tables, ignore_index=True)[OKR_CASE_COLUMNS]  # by OKR, each by reached_ts, then case


def okr_progress_share(okr: Okr, value_s: float | None) -> float:
    """How far a value has come from the OKR's baseline (0) to its target (1); NaN when unknown."""
    span = okr.baseline_s - okr.target_s
    if value_s is None or not span or value_s != value_s:
        return float("nan")
    return (okr.baseline_s - value_s) / span


@dataclass(frozen=True)
class OkrStatus:
    """Where one OKR stands: its statistic over the measured cases, week by week, in one sentence."""

    okr: Okr
    cases: int
    current_s: float | None
    met: bool | None
    progress: float | None
    weekly: pd.DataFrame  # week (Monday the cases reached the to-step), cases, value_s, progress
    sentence: str

    @property
    def latest(self) -> pd.Series | None:
        """The last week with enough cases, or None."""
        return self.weekly.iloc[-1] if len(self.weekly) else None


def okr_status(metrics: JourneyMetrics, okr: Okr) -> OkrStatus:
    """One OKR of the metrics' journey: current value, whether met, progress, weekly series, sentence."""
    okrs = metrics.journey.okrs if metrics.journey else ()
    number = next((i for i, found in enumerate(okrs) if found == okr), None)
    table = metrics.okr_cases
    mine = table[table["okr"] == number] if number is not None and len(table) else table.iloc[0:0]
    q = quantile_of(okr.statistic)
    seconds = mine["okr_s"].to_numpy(float)
    current = float(np.quantile(seconds, q)) if len(seconds) else None
    met = None if current is None else bool(current <= okr.target_s)
    progress = None if current is None else _none_if_nan(okr_progress_share(okr, current))
    weeks = week_start(mine["reached_ts"].to_numpy(np.int64))
    grouped = pd.DataFrame({"week": weeks, "seconds": seconds}).groupby("week")["seconds"]
    weekly = pd.DataFrame({"cases": grouped.size(), "value_s": grouped.quantile(q)}).reset_index()
    weekly = weekly[weekly["cases"] >= MIN_WEEK_CASES].reset_index(drop=True)
    weekly["progress"] = [okr_progress_share(okr, value) for value in weekly["value_s"]]
    return OkrStatus(okr, len(seconds), current, met, progress, weekly[["week", "cases", "value_s", "progress"]],
                     _sentence(metrics, okr, current, len(seconds), progress))


def _sentence(metrics: JourneyMetrics, okr: Okr, current: float | None, cases: int, progress: float | None) -> str:
    span = (f"{okr.statistic} {'working ' if okr.time == 'working' else ''}time from "
            f"{metrics.step_label(okr.from_step)} to {metrics.step_label(okr.to_step)}")
    goal = f"baseline {format_seconds_as_text(okr.baseline_s)}, target {format_seconds_as_text(okr.target_s)}"
    if current is None:
        return f"The {span}: no completed case has gone from one to the other yet; {goal}."
    where = ("on target" if current <= okr.target_s else
             f"{format_share(progress)} of the way from baseline to target" if progress is not None else "off target")
    return (f"The {span}: now {format_seconds_as_text(current)} over {cases:,} completed "
            f"{'case' if cases == 1 else 'cases'}, {where}; {goal}.")


def _none_if_nan(value: float) -> float | None:
    return None if math.isnan(value) else value
