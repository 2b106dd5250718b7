"""Every figure of a journey over an event log, computed once, engine-neutral (Narwhals)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import narwhals as nw
import numpy as np
import pandas as pd

from journeymap.core.moments import as_of_epoch_us
from journeymap.engine.prepare import (
    EVENT_COLUMNS,
    PreparedEvents,
    as_lazy,
    collect,
    distinct_activities,
    in_order,
    key_type,
    materialise,
    prepare_events,
    sorted_values,
    spark_caches,
    to_pandas,
)
from journeymap.engine.stats import Aggregation, Quantile, duration_stats, grouped_table, quantile_of, seconds_sum
from journeymap.engine.workingtime import (
    CLOCK,
    START_CLOCK,
    arrival_statistics,
    check_time,
    with_clock_for,
)
from journeymap.journey.model import DEFAULT_STALE_AFTER_S, Journey
from journeymap.measures.cases import STATUSES, case_table, mark_cases
from journeymap.measures.handoffs import OWNER_CODE, HandoffOwners, Handoffs, handoff_owners, handoff_table
from journeymap.measures.okr import OKR_CASE_COLUMNS, okr_case_times
from journeymap.measures.outcomes import log_outcomes, log_stale_after_s
from journeymap.measures.variants import variant_table

__all__ = ["JourneyMetrics", "compute_metrics", "arrival_histogram", "activity_to_step", "case_rules", "CaseRules",
           "MeasuredEvents", "compute_metrics_keeping_events"]

_CASE_COLUMNS = ["case", "first_ts", "last_ts", "n_events", "first_step", "last_step", "completion_ts", "exit_ts",
                 "status", "lead_time_s", "age_s", "duration_s", "silent_s"]


@dataclass
class JourneyMetrics:
    """All figures of one journey over one event log at one `as_of` moment (pandas tables)."""

    journey: Journey | None
    as_of_us: int
    n_cases: int
    n_events: int
    end_steps: tuple[str, ...]
    exit_steps: tuple[str, ...]
    transitions: pd.DataFrame
    steps: pd.DataFrame
    cases: pd.DataFrame
    variants: pd.DataFrame
    n_variants: int
    has_start_times: bool
    arrival_histogram: pd.DataFrame = field(default_factory=pd.DataFrame)
    status_counts: dict[str, int] = field(default_factory=dict)
    lead_time: dict[str, float | None] = field(default_factory=dict)
    completion: str = "first_end"
    okr_cases: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=OKR_CASE_COLUMNS))
    handoffs: Handoffs | None = None  # None when neither the journey nor a log column names teams
    time: str = "calendar"  # the clock of every duration: "calendar" or "working" (journeymap.engine.workingtime)
    stale_after_s: float = DEFAULT_STALE_AFTER_S  # the statuses' silence before "dropped" (`case_rules`)

    @property
    def as_of(self) -> dt.datetime:
        """The moment the statuses are taken at, as a UTC datetime."""
        return dt.datetime.fromtimestamp(self.as_of_us / 1_000_000, tz=dt.UTC)

    def step_label(self, step: str) -> str:
        """The human label of a step (off-map steps keep their activity name)."""
        if self.journey and step in self.journey.steps_by_id:
            return self.journey.step(step).label
        return step


def compute_metrics(events: Any, journey: Journey | None = None, *, as_of: Any = None,
                    stale_after_s: float | None = None, top_variants: int = 10,
                    team: str | None = None, time: str = "calendar") -> JourneyMetrics:
    """Compute transitions, steps, case statuses, lead times and variants for canonical events.

    `events` is a canonical event frame (see `journeymap.engine.prepare`) in any supported engine. Without
    a journey every activity is a step, the usual last activities count as end steps and a case
    completes with its last event (`case_rules`). Tables
    are grouped by integer step codes (cheaper than text on every engine) and named at the end.
    Handoffs (`journeymap.measures.handoffs`) are between the journey's step owners, or the teams of the log
    column `team` (found by its name where the journey names no owners). With `time="working"`
    every duration counts only the working hours of the calendar of the step arrived at; targets
    and OKRs are judged on the clock they name either way.
    """
    check_time(time)
    with spark_caches():  # every table below is pandas by the end: Spark's cached events are given back
        return _compute_metrics(events, journey, as_of, stale_after_s, top_variants, team, time)[0]


@dataclass(frozen=True)
class MeasuredEvents:
    """The ordered, marked events and the case table `compute_metrics` built its figures from, for the
    per-case times of the same pass (`casetimes.metrics_and_times`): ordering ten million events twice
    costs more than keeping them a moment longer."""

    prepared: PreparedEvents
    cases: nw.LazyFrame[Any]
    step_of: dict[str, str]
    step_codes: dict[str, int]
    rules: CaseRules
    as_of_us: int
    working: bool


# The case table's columns the per-case times read (it has more: fingerprints, step codes, durations).
CASE_FACTS = ("case_code", "case", "first_ts", "last_ts", "completion_ts", "exit_ts", "status", "lead_time_s")
# The prepared events' columns they do not read (the working clocks and start times they do).
_NOT_FOR_CASE_TIMES = ("pos", "is_last", "case_completed")


def _for_case_times(prepared: PreparedEvents) -> PreparedEvents:
    """The events kept for the per-case times, without the columns they do not read: at ten million
    events the figures' other columns would hold a hundred megabytes through the times' own arrays."""
    names = prepared.events.collect_schema().names()
    kept = materialise(prepared.events.select(*(c for c in names if c not in _NOT_FOR_CASE_TIMES)))
    return PreparedEvents(kept, prepared.source, prepared.eager)  # no plan over the wider frame keeps it alive


def compute_metrics_keeping_events(events: Any, journey: Journey | None = None, *, as_of: Any = None,
                                   stale_after_s: float | None = None, team: str | None = None,
                                   time: str = "calendar") -> tuple[JourneyMetrics, MeasuredEvents | None]:
    """`compute_metrics`, and the events and case table it measured; None for them on lazy engines
    (DuckDB, Spark), whose events live in the engine and are given back when the figures are done."""
    check_time(time)
    with spark_caches():
        return _compute_metrics(events, journey, as_of, stale_after_s, 10, team, time)


def _compute_metrics(events: Any, journey: Journey | None, as_of: Any, stale_after_s: float | None,
                     top_variants: int, team: str | None, time: str) -> tuple[JourneyMetrics, MeasuredEvents | None]:
    activities = distinct_activities(events)
    step_of = activity_to_step(activities, journey)
    step_codes = {step: code for code, step in enumerate(sorted(set(step_of.values())))}
    names = {code: step for step, code in step_codes.items()}
    as_of_us = as_of_epoch_us(as_of)
    attributes = [c for c in as_lazy(events).collect_schema().names() if c not in EVENT_COLUMNS]
    owners, events = handoff_owners(journey, events, attributes, step_codes, team)
    carried = (OWNER_CODE,) if owners is not None and owners.column is not None else ()
    prepared = prepare_events(events, step_of, step_codes, as_of_us, carry=carried)
    events_nw = prepared.events
    if as_of_us is None:
        as_of_us = _scalar(events_nw.select(nw.col("ts").max()))
    rules = case_rules(journey, prepared, names, stale_after_s)
    end_steps, exit_steps, stale = rules.end_steps, rules.exit_steps, rules.stale_after_s
    has_start = "start" in events_nw.collect_schema().names()

    codes_of = lambda steps: [step_codes[s] for s in steps if s in step_codes]  # noqa: E731
    end_codes = codes_of(end_steps)
    prepared = mark_cases(prepared, end_codes, at_last_event=rules.at_last_event)
    prepared, working = with_clock_for(prepared, journey, step_codes, time, as_of_us or 0)
    clock = CLOCK if time == "working" else "ts"
    events_nw = prepared.events
    cases = materialise(case_table(prepared, end_codes, codes_of(exit_steps), as_of_us or 0, stale,
                                   len(step_codes), clock=clock))
    transitions_nw = _transitions(prepared, has_start, owners, clock=clock)
    transitions = _transition_table(transitions_nw, journey, has_start, names)
    steps = _step_table(prepared, transitions_nw, cases, journey, names)
    steps = _with_target_actuals(steps, prepared, journey, step_codes, time)

    variants, n_variants = variant_table(cases, events_nw, names, top_variants)
    histogram = arrival_histogram(transitions_nw, names)
    okr_cases = okr_case_times(prepared, journey.okrs if journey else (), step_codes, end_codes, cases)
    # The users' case table last: at ten million events its 0.2 GB would otherwise be held through
    # the group-bys above, each of which needs as much again for a moment.
    cases_pd = _case_frame(cases, names)
    completed = cases_pd.loc[cases_pd["status"] == "completed", "lead_time_s"]
    handoffs = None if owners is None else handoff_table(transitions_nw, owners, names, len(completed),
                                                         float(completed.sum()), prepared.eager)
    metrics = JourneyMetrics(
        journey=journey, as_of_us=int(as_of_us or 0), n_cases=len(cases_pd),
        n_events=int(cases_pd["n_events"].sum()), end_steps=tuple(end_steps), exit_steps=tuple(exit_steps),
        transitions=transitions, steps=steps, cases=cases_pd, variants=variants, n_variants=n_variants,
        has_start_times=has_start, arrival_histogram=histogram,
        status_counts={status: int((cases_pd["status"] == status).sum()) for status in STATUSES},
        lead_time=_summary(completed), completion=rules.completion, okr_cases=okr_cases, handoffs=handoffs,
        time=time, stale_after_s=stale,
    )
    kept = MeasuredEvents(_for_case_times(prepared), materialise(cases.select(*CASE_FACTS)), step_of, step_codes,
                          rules, int(as_of_us or 0), working) if prepared.eager else None
    return metrics, kept


def _with_target_actuals(steps: pd.DataFrame, prepared: PreparedEvents, journey: Journey | None,
                         step_codes: dict[str, int], time: str) -> pd.DataFrame:
    """`target_time` and `target_actual_s`, the target's statistic on the clock the target names:
    the arrival statistic shown where the clocks agree, else measured on the target's clock."""
    if journey is None:
        return steps
    targets = {step.id: step.target for step in journey.steps if step.target is not None}
    steps["target_time"] = [targets[s].time if s in targets else None for s in steps["step"]]
    actual = [float(getattr(row, f"arrival_{row.target_statistic}_s")) if isinstance(row.target_statistic, str)
              else float("nan") for row in steps.itertuples(index=False)]
    other = {s: t for s, t in targets.items() if t.time != time and s in step_codes}
    if other:
        clock = CLOCK if time == "calendar" else "ts"
        measured = arrival_statistics(prepared, clock, {step_codes[s]: t.statistic for s, t in other.items()})
        actual = [measured.get(step_codes[s], float("nan")) if s in other else value
                  for s, value in zip(steps["step"], actual)]
    steps["target_actual_s"] = actual
    return steps


def _transitions(prepared: PreparedEvents, has_start: bool, owners: HandoffOwners | None = None,
                 clock: str = "ts") -> nw.LazyFrame[Any]:
    """Every event but a case's last begins a transition to the next event.

    They are taken out once, with only the columns the tables read: three tables group them, and
    filtering ten million events three times costs more than keeping one copy; the next event's
    step and time are read here rather than kept on every event. A transition idx -> idx + 1 is
    inside the lead time when its case completes and no end event comes at or before idx.
    With `owners` (handoffs) the team of both events comes along when a log column gives it, and
    on lazy engines `idx`, which orders the handoffs of a case. Durations and waits are differences
    of `clock`: the timestamps, or the working clocks (`journeymap.engine.workingtime`).
    """
    start = START_CLOCK if clock != "ts" else "start"
    step = in_order(prepared.eager)
    by_column = owners is not None and owners.column is not None
    owner_columns = [OWNER_CODE, f"next_{OWNER_CODE}"] if by_column else []
    order = ["idx"] if owners is not None and not prepared.eager else []
    following = prepared.frame().with_columns(
        next_step_code=step(nw.col("step_code").shift(-1)),
        **({f"next_{OWNER_CODE}": step(nw.col(OWNER_CODE).shift(-1))} if by_column else {}),
        duration_s=(step(nw.col(clock).shift(-1)) - nw.col(clock)) / 1_000_000,
        **({"wait_s": (step(nw.col(start).shift(-1)) - nw.col(clock)) / 1_000_000} if has_start else {}),
    )
    return materialise(following.lazy().filter(~nw.col("is_last")).select(
        "case_code", "step_code", "next_step_code", "duration_s", *(["wait_s"] if has_start else []),
        *owner_columns, *order, in_lead=nw.col("case_completed") & (nw.col("ends_so_far") == 0)))


def _case_frame(cases: nw.LazyFrame[Any], names: dict[int, str]) -> pd.DataFrame:
    """The case table users see: by first event, ties in file order, steps named, and none of the
    working columns (codes, fingerprints).

    Named, sorted and narrowed in the engine, so that only the finished table crosses into pandas: at a
    million cases every copy made on the pandas side (a column taken, the columns put in order) was
    another 0.15 GB at the moment memory peaks."""
    named = {f"{column}_step": nw.col(f"{column}_code").replace_strict(names, default=None, return_dtype=nw.String)
             for column in ("first", "last")}
    return to_pandas(cases.with_columns(**named).sort(["first_ts", "first_row"]).select(*_CASE_COLUMNS)
                     ).reset_index(drop=True)


def arrival_histogram(transitions: nw.LazyFrame[Any], names: dict[int, str], bins_per_decade: int = 4
                      ) -> pd.DataFrame:
    """Arrival times per step counted in log-spaced bins (journey-sized, for distribution charts).

    Bin k holds durations in [10**(k/b), 10**((k+1)/b)) seconds; durations under a second fall in
    bin 0 together with the first second.
    """
    bin_index = (nw.col("duration_s").clip(lower_bound=1.0).log(base=10) * bins_per_decade).floor().cast(nw.Int64)
    # One key per (step, bin), as one-key group-bys cost half; a bin number stays far below 1,000
    # (int64 microseconds end at 10**13 seconds).
    key = nw.col("next_step_code").cast(nw.Int64) * 1000 + bin_index
    table = to_pandas(transitions.select(key=key).group_by("key").agg(nw.len().alias("count")))
    key = table.pop("key")
    table.insert(0, "step", (key // 1000).map(names))
    table.insert(1, "bin", key % 1000)
    table = table.sort_values(["step", "bin"]).reset_index(drop=True)
    table["lower_s"] = 10 ** (table["bin"] / bins_per_decade)
    table["upper_s"] = 10 ** ((table["bin"] + 1) / bins_per_decade)
    table.loc[table["bin"] == 0, "lower_s"] = 0.0
    return table[["step", "bin", "lower_s", "upper_s", "count"]]


class CaseRules(NamedTuple):
    """What decides a case's status: end and exit steps, the silence after which it is dropped,
    and the completion rule (`journeymap.journey.model.COMPLETION_RULES`)."""

    end_steps: tuple[str, ...]
    exit_steps: tuple[str, ...]
    stale_after_s: float
    completion: str

    @property
    def at_last_event(self) -> bool:
        """True when a case completes with its last event (lead time = case duration)."""
        return self.completion == "last_event"


def case_rules(journey: Journey | None, prepared: PreparedEvents, names: dict[int, str],
               stale_after_s: float | None) -> CaseRules:
    """The journey's rules, or for a bare log: the end and exit steps its cases really end at
    (`outcomes.log_outcomes`), 30 days or the log's own longest usual wait
    (`outcomes.log_stale_after_s`), and completion with the last event (case duration, as pm4py and
    Disco measure it)."""
    if journey is not None:
        stale = journey.stale_after_s if stale_after_s is None else stale_after_s
        return CaseRules(tuple(journey.end), tuple(journey.exit), stale, journey.completion)
    stale = log_stale_after_s(prepared) if stale_after_s is None else stale_after_s
    outcomes = log_outcomes(prepared.events, names)
    return CaseRules(outcomes.end_steps, outcomes.exit_steps, stale, "last_event")


def activity_to_step(activities: list[str], journey: Journey | None) -> dict[str, str]:
    """Each activity's step: through the journey's ids and aliases (any letter case), else itself."""
    if journey is None:
        return {activity: activity for activity in activities}
    names = journey.activity_map()
    return {activity: names.get(str(activity).strip().lower(), activity) for activity in activities}


def _transition_table(transitions: nw.LazyFrame[Any], journey: Journey | None, has_start: bool,
                      names: dict[int, str]) -> pd.DataFrame:
    extra: list[Aggregation] = [Quantile("wait_clipped_s", quantile_of("median"), "wait_median_s"),
                                nw.col("overlap").sum().alias("overlaps")] if has_start else []
    if has_start:  # derived columns first: engines such as pandas only aggregate plain columns well
        transitions = transitions.with_columns(wait_clipped_s=nw.col("wait_s").clip(lower_bound=0),
                                               overlap=(nw.col("wait_s") < 0).cast(nw.Int64))
    # One integer key per (from, to): grouping by one key costs half of grouping by two.
    n_codes = max(len(names), 1)
    pair_key = nw.col("step_code").cast(key_type(n_codes * n_codes)) * n_codes + nw.col("next_step_code")
    table = grouped_table(transitions.with_columns(pair=pair_key), "pair",
                          [nw.len().alias("count"), nw.col("case_code").n_unique().alias("cases"),
                           *duration_stats("duration_s"), *extra])
    pair = table.pop("pair")
    table.insert(0, "from", (pair // n_codes).map(names))
    table.insert(1, "to", (pair % n_codes).map(names))
    designed = {(t.source, t.target_step) for t in journey.transitions} if journey else set()
    table["designed"] = [(a, b) in designed for a, b in zip(table["from"], table["to"])]
    return table.sort_values(["count", "from", "to"], ascending=[False, True, True], kind="stable").reset_index(
        drop=True
    )


def _step_table(prepared: PreparedEvents, transitions: nw.LazyFrame[Any], cases: nw.LazyFrame[Any],
                journey: Journey | None, names: dict[int, str]) -> pd.DataFrame:
    n_codes = max(len(names), 1)
    completed = cases.filter(nw.col("status") == "completed")
    # One integer key per (case, step), sorted: a case's visits to a step become adjacent, so the
    # first visit (reach) and the second (rework) are told by comparing neighbours, without
    # grouping millions of keys. Events are in case order already, so the sort is nearly free;
    # the completion flag rides in the lowest bit, as sorting one column beats sorting two.
    key = (nw.col("case_code").cast(nw.Int64) * n_codes + nw.col("step_code")) * 2 + nw.col("case_completed").cast(
        nw.Int64)
    if prepared.eager:
        visits = _visits_in_memory(sorted_values(prepared.frame().select(key=key), "key"), n_codes)
    else:
        visits = to_pandas(_visits_lazy(prepared.events.select("idx", "case_code", key=key), n_codes))
    # Arrival times and the lead time spent arriving, in one pass.
    arrivals = grouped_table(
        transitions.with_columns(lead_s=nw.when(nw.col("in_lead")).then(nw.col("duration_s")).otherwise(0.0)),
        "next_step_code", [*duration_stats("duration_s", "arrival_"), nw.col("lead_s").sum().alias("delay_s")],
    ).rename(columns={"next_step_code": "step_code"})
    waiting = cases.with_columns(
        is_dropped=(nw.col("status") == "dropped").cast(nw.Int64),
        is_in_flight=(nw.col("status") == "in_flight").cast(nw.Int64),
    ).group_by("last_code").agg(nw.col("is_dropped").sum().alias("dropped"),
                                nw.col("is_in_flight").sum().alias("in_flight")).rename({"last_code": "step_code"})
    table = visits.merge(arrivals, on="step_code", how="left")
    table = table.merge(to_pandas(waiting), on="step_code", how="left")
    table.insert(0, "step", table.pop("step_code").map(names))
    table[["dropped", "in_flight"]] = table[["dropped", "in_flight"]].fillna(0).astype("int64")
    total_lead_s = _scalar(completed.select(seconds_sum("lead_time_s"))) or 0.0
    table["delay_s"] = table["delay_s"].fillna(0.0)
    table["delay_share"] = table["delay_s"] / total_lead_s if total_lead_s > 0 else 0.0
    table["drop_off_rate"] = table["dropped"] / table["reached"]
    return _with_design(table, journey)


_VISIT_COUNTS = ["reached", "events", "rework_cases", "completed_reached"]


def _visits_in_memory(keys: np.ndarray, n_codes: int) -> pd.DataFrame:
    """Per step with events: cases that reached it, its events, cases that came back to it (a second
    visit) and completed cases that reached it, from the sorted (case, step, completed) keys, which
    it overwrites.

    Eager engines count in numpy: a handful of boolean arrays, where a frame of the same columns
    held seven columns of ten million values at once (300 MB). `_visits_lazy` is the same count in the
    engine, for engines whose data stays where it lives; the engine tests hold the two equal."""
    completed = (keys & 1).astype(bool)
    visit = np.right_shift(keys, 1, out=keys)  # in place: the keys are this call's own (80 MB at 10M events)
    new = np.ones(len(visit), dtype=bool)  # the first event of a (case, step): the case reached the step
    np.not_equal(visit[1:], visit[:-1], out=new[1:])
    second = np.zeros_like(new)  # the second event of a (case, step): the case came back to the step
    second[1:] = ~new[1:] & new[:-1]
    step = np.remainder(visit, n_codes, out=visit)
    counts = [np.bincount(step[chosen], minlength=n_codes) for chosen in (new, slice(None), second, new & completed)]
    table = pd.DataFrame(dict(zip(_VISIT_COUNTS, counts)), dtype="int64").rename_axis("step_code").reset_index()
    return table[table["events"] > 0].reset_index(drop=True)


def _visits_lazy(keys: nw.LazyFrame[Any], n_codes: int) -> nw.LazyFrame[Any]:
    """`_visits_in_memory` in a lazy engine, whose windows order ties of equal keys by event so that
    every window sees the same order."""
    step = in_order(False, order_by=["key", "idx"])
    visit, previous = nw.col("key") // 2, step(nw.col("key").shift(1)) // 2
    keys = keys.with_columns(step_code=(visit % n_codes).cast(nw.Int32), new=(visit != previous) | previous.is_null(),
                             completed=(nw.col("key") % 2).cast(nw.Int32))
    return (keys.with_columns(second=~nw.col("new") & step(nw.col("new").shift(1)))  # the 2nd visit of a run
            .with_columns(new=nw.col("new").cast(nw.Int32), second=nw.col("second").cast(nw.Int32))
            .with_columns(new_completed=nw.col("new") * nw.col("completed"))
            .group_by("step_code").agg(nw.col("new").sum().alias("reached"), nw.len().alias("events"),
                                       nw.col("second").sum().alias("rework_cases"),
                                       nw.col("new_completed").sum().alias("completed_reached"))
            .with_columns(nw.col(*_VISIT_COUNTS).cast(nw.Int64)))


def _with_design(table: pd.DataFrame, journey: Journey | None) -> pd.DataFrame:
    """Designed steps first in definition order (even when unreached), then off-map steps."""
    if journey is None:
        table["label"], table["stage"], table["owner"], table["on_map"] = table["step"], "", "", True
        return table.sort_values(["reached", "step"], ascending=[False, True], kind="stable").reset_index(drop=True)
    design = pd.DataFrame({
        "step": [s.id for s in journey.steps], "label": [s.label for s in journey.steps],
        "stage": [s.stage for s in journey.steps], "owner": [s.owner for s in journey.steps],
        "target_statistic": [s.target.statistic if s.target else None for s in journey.steps],
        "target_s": [s.target.seconds if s.target else float("nan") for s in journey.steps],
        "order": range(len(journey.steps)),
    })
    merged = design.merge(table, on="step", how="outer")
    merged["on_map"] = merged["order"].notna()
    merged["label"] = merged["label"].fillna(merged["step"])
    merged[["stage", "owner"]] = merged[["stage", "owner"]].fillna("")
    for column in ("reached", "events", "rework_cases", "dropped", "in_flight", "completed_reached"):
        merged[column] = merged[column].fillna(0).astype("int64")
    merged["delay_s"] = merged["delay_s"].fillna(0.0)
    merged["delay_share"] = merged["delay_share"].fillna(0.0)
    merged["drop_off_rate"] = merged["drop_off_rate"].fillna(0.0)
    merged = merged.sort_values(["on_map", "order", "reached", "step"], ascending=[False, True, False, True])
    return merged.drop(columns="order").reset_index(drop=True)


def _summary(seconds: pd.Series) -> dict[str, float | None]:
    if seconds.empty:
        return {"count": 0, "median_s": None, "mean_s": None, "p85_s": None, "p95_s": None}
    return {"count": int(seconds.count()), "median_s": float(seconds.median()), "mean_s": float(seconds.mean()),
            "p85_s": float(seconds.quantile(quantile_of("p85"))), "p95_s": float(seconds.quantile(quantile_of("p95")))}


def _scalar(frame: nw.LazyFrame[Any]) -> Any:
    value = collect(frame).item()
    return None if value is None or value != value else value
