"""Per-case arrival times: one compact numpy table of every event of every case, for replays and intervals.

`JourneyMetrics` keeps aggregates only; comparing groups of cases, replaying a change and
bootstrapping over cases need each case's own arrivals. `case_step_times` extracts them once
(ordering through `engine.prepare_events`, so every figure agrees with the map) into numpy arrays
indexed by case and by event; statuses follow the contract in DESIGN.md.

Durations are on one clock, `time`: calendar time, or working time (`engine.workingtime`, the clock
`compute_metrics(time="working")` reads, computed by the engine once for all events). Moments
(`start_us`, `end_us`, `event_ts`, `as_of_us`) stay calendar timestamps either way: only the
arrivals and lead times change. Where the journey names a working target or OKR, the working clock
is kept beside calendar time too (`arrivals_on`), so each target is judged on its own clock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from journeymap.core.errors import JourneyError
from journeymap.core.moments import as_of_epoch_us
from journeymap.engine.prepare import EVENT_COLUMNS, as_lazy, collect, distinct_activities, prepare_events
from journeymap.engine.workingtime import (
    AS_OF_CLOCK,
    CLOCK,
    NEEDS_CALENDARS,
    START_CLOCK,
    check_time,
    with_clock_for,
)
from journeymap.journey.model import Journey
from journeymap.log.columns import CASE_CODE
from journeymap.measures.cases import STATUSES, case_table, mark_cases
from journeymap.measures.metrics import (
    CASE_FACTS,
    CaseRules,
    JourneyMetrics,
    MeasuredEvents,
    activity_to_step,
    case_rules,
    compute_metrics_keeping_events,
)

__all__ = ["CaseTimes", "case_step_times", "metrics_and_times", "NO_TIME"]

NO_TIME = np.iinfo(np.int64).max  # an end moment that has not happened (in-flight cases)


@dataclass(frozen=True)
class CaseTimes:
    """Every event of every case as numpy arrays (events in case order, then time order).

    Case arrays are indexed by case (0..n_cases-1); event arrays have one entry per event.
    `arrival_s` is the time from the case's previous event (NaN for its first event) on the clock
    `time`; `in_lead_time` marks the events of completed cases up to and including completion, whose
    arrivals add up to the case's lead time (`case_lead_time_s`, on the same clock).
    """

    journey: Journey | None
    as_of_us: int
    stale_after_s: float  # the statuses' (`metrics.case_rules`): the journey's, or the bare log's own
    steps: tuple[str, ...]
    labels: tuple[str, ...]
    end_steps: tuple[str, ...]
    exit_steps: tuple[str, ...]
    case: np.ndarray
    start_us: np.ndarray
    last_us: np.ndarray
    end_us: np.ndarray
    status: np.ndarray
    last_step: np.ndarray
    event_case: np.ndarray
    event_step: np.ndarray
    event_ts: np.ndarray
    arrival_s: np.ndarray
    prev_step: np.ndarray
    position: np.ndarray
    in_lead_time: np.ndarray
    segments: dict[str, np.ndarray] = field(default_factory=dict)
    case_lead_time_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # Start moment of each event (epoch µs as float, exact below 2**53; NaN where the event has none),
    # or None when the log has no start times at all.
    event_start_us: np.ndarray | None = None
    time: str = "calendar"  # the clock of every duration: "calendar" or "working"
    # The working clock of each event, of its start (NaN where none) and, per case, of `as_of` at its
    # last event (engine.workingtime: CLOCK, START_CLOCK, AS_OF_CLOCK), in µs; None when not computed.
    working_us: np.ndarray | None = None
    working_start_us: np.ndarray | None = None
    as_of_working_us: np.ndarray | None = None

    @property
    def n_cases(self) -> int:
        """Number of cases."""
        return len(self.case)

    @property
    def is_last_event(self) -> np.ndarray:
        """Per event, whether it is its case's last (events are in case order)."""
        return np.r_[self.position[1:] == 0, True] if len(self.position) else np.zeros(0, bool)

    def status_is(self, status: str) -> np.ndarray:
        """Boolean mask over cases with this status (`completed`, `exited`, `in_flight`, `dropped`)."""
        return self.status == STATUSES.index(status)

    def step_code(self, step: str) -> int:
        """The code of a step, found by id or label (case-insensitive); unknown steps are a JourneyError."""
        wanted = step.strip().lower()
        for code, (step_id, label) in enumerate(zip(self.steps, self.labels)):
            if wanted in (step_id.lower(), label.lower()):
                return code
        raise JourneyError(f"No step '{step}' in this journey or log; steps are: {', '.join(self.steps)}.")

    def lead_time_s(self) -> np.ndarray:
        """Lead time of every case in seconds (NaN unless completed): the case table's `lead_time_s`."""
        return self.case_lead_time_s

    def event_clock(self, time: str | None = None) -> np.ndarray:
        """Each event's moment on a clock (µs; default `time`): its timestamp, or its working clock.
        Only differences of one clock are durations."""
        if (time or self.time) == "calendar":
            return self.event_ts
        if self.working_us is None:
            raise JourneyError(NEEDS_CALENDARS)
        return self.working_us

    def start_clock(self) -> np.ndarray | None:
        """Each event's start on the clock `time` (µs as float, NaN where none), None without start times."""
        return self.working_start_us if self.time == "working" else self.event_start_us

    def arrivals_on(self, time: str) -> np.ndarray:
        """`arrival_s` on a clock, which may be the other one than `time` (a target's or an OKR's)."""
        return self.arrival_s if time == self.time else _arrivals(self.event_clock(time), self.position == 0)

    def waiting_s(self, time: str | None = None) -> np.ndarray:
        """Per case, the time from its last event to `as_of` on a clock (default `time`): its wait so far."""
        if (time or self.time) == "calendar":
            return (self.as_of_us - self.last_us) / 1_000_000
        clock = self.event_clock("working")  # the clear error when working time was not computed
        assert self.as_of_working_us is not None
        return (self.as_of_working_us - clock[self.is_last_event]) / 1_000_000

    def to_frame(self) -> pd.DataFrame:
        """The event table as pandas (case id, step, ts, arrival_s, position, in_lead_time)."""
        return pd.DataFrame({"case": self.case[self.event_case], "step": np.asarray(self.steps)[self.event_step],
                             "ts": self.event_ts, "arrival_s": self.arrival_s, "position": self.position,
                             "in_lead_time": self.in_lead_time})


def case_step_times(events: Any, journey: Journey | None = None, *, as_of: Any = None,
                    stale_after_s: float | None = None, segments: Sequence[str] = (),
                    time: str = "calendar") -> CaseTimes:
    """Extract per-case arrival times, statuses and segment values from canonical events.

    Status, completion, exit and lead time come from the case table of `compute_metrics`
    (`cases.mark_cases` and `cases.case_table`, the one definition); only the arrivals are numpy work.
    With `time="working"` every duration is in working time, on the same working clock as the metrics'.
    """
    check_time(time)
    lazy = as_lazy(events)
    _check_segments(lazy, segments)
    if not (lazy.implementation.is_polars() or lazy.implementation.is_pandas()):
        events = lazy = _in_memory(lazy, segments)
    activities = distinct_activities(events)
    step_of = activity_to_step(activities, journey)
    steps = _steps(step_of, journey)
    codes = {step: code for code, step in enumerate(steps)}
    as_of_us = as_of_epoch_us(as_of)
    prepared = prepare_events(events, step_of, codes, as_of_us)
    if as_of_us is None:
        latest = collect(prepared.events.select(nw.col("ts").max())).item()
        as_of_us = 0 if latest is None else int(latest)
    rules = case_rules(journey, prepared, dict(enumerate(steps)), stale_after_s)
    end_codes = [codes[s] for s in rules.end_steps if s in codes]
    exit_codes = [codes[s] for s in rules.exit_steps if s in codes]
    prepared = mark_cases(prepared, end_codes, at_last_event=rules.at_last_event)
    prepared, working = with_clock_for(prepared, journey, codes, time, as_of_us)
    cases = case_table(prepared, end_codes, exit_codes, as_of_us, rules.stale_after_s, len(steps),
                       clock=CLOCK if time == "working" else "ts", fingerprints=False)
    measured = MeasuredEvents(prepared, cases, step_of, codes, rules, as_of_us, working)
    return _times_from(measured, journey, steps, time, lambda case_ids: _segment_values(lazy, segments, case_ids))


def metrics_and_times(events: Any, journey: Journey | None = None, *, as_of: Any = None, team: str | None = None,
                      time: str = "calendar") -> tuple[JourneyMetrics, CaseTimes]:
    """`compute_metrics` and `case_step_times` (no segments) of the same events, the events ordered, marked
    and their case table built once for both (lazy engines: the times are extracted apart, as ever)."""
    metrics, measured = compute_metrics_keeping_events(events, journey, as_of=as_of, team=team, time=time)
    if measured is None:
        return metrics, case_step_times(events, journey, as_of=as_of, time=time)
    return metrics, _times_from(measured, journey, _steps(measured.step_of, journey), time, lambda _: {})


def _steps(step_of: dict[str, str], journey: Journey | None) -> tuple[str, ...]:
    """The steps of the case times, numbered in this order: the journey's in definition order, then off-map ones."""
    designed = [s.id for s in journey.steps] if journey else []
    return tuple(designed + sorted(set(step_of.values()) - set(designed)))


def _times_from(measured: MeasuredEvents, journey: Journey | None, steps: tuple[str, ...], time: str,
                segment_values: Callable[[np.ndarray], dict[str, np.ndarray]]) -> CaseTimes:
    """The case times of events ordered and marked by `prepare_events` and `mark_cases` and their case
    table, whatever numbering of the steps they were coded in (`measured.step_codes`)."""
    prepared, as_of_us = measured.prepared, measured.as_of_us
    cases = _case_arrays(collect(measured.cases.select(*CASE_FACTS).sort("case_code")))
    has_start = "start" in prepared.events.collect_schema().names()
    clocks = [CLOCK, AS_OF_CLOCK, *([START_CLOCK] if has_start else [])] if measured.working else []
    table = _event_arrays(collect(prepared.events.select(
        "idx", "case_code", "step_code", "ts", "position", "is_first", "ends_so_far", *(["start"] if has_start else []),
        *clocks)))
    position = {step: code for code, step in enumerate(steps)}
    # Step codes (and positions) are int32: every product with them (`event_case * k + event_step`) has an
    # int64 operand, and ten million events save 40 MB an array.
    renumber = np.zeros(max(measured.step_codes.values(), default=-1) + 1, dtype=np.int32)
    for step, code in measured.step_codes.items():
        renumber[code] = position[step]
    event_step = renumber[table["step_code"]]
    times = _assemble(journey, as_of_us, steps, measured.rules, cases, table, event_step,
                      segment_values(cases["case"]))
    if has_start:
        times = replace(times, event_start_us=table["start"].astype(np.float64))
    if measured.working:
        times = _with_working(times, table, has_start)
    return times if time == "calendar" else replace(
        times, time=time, arrival_s=_arrivals(times.event_clock("working"), times.position == 0))


def _event_arrays(frame: nw.DataFrame[Any]) -> dict[str, np.ndarray]:
    """The event columns as numpy arrays in event order (`idx`), missing starts as NaN.

    Polars hands its columns over without a pandas frame between (ten million events: a second and
    a copy of every column saved); other engines go through pandas, sorted where rows come in any order.
    """
    if frame.implementation.is_polars():
        native = frame.to_native()
        if not native.get_column("idx").is_sorted():
            native = native.sort("idx")
        return {name: native.get_column(name).to_numpy() for name in native.columns}
    table = frame.to_pandas()
    if not table["idx"].is_monotonic_increasing:  # lazy engines return rows in any order
        table = table.sort_values("idx")
    floats = {"start", START_CLOCK}  # nullable: NaN where an event has no start
    return {name: table[name].to_numpy(np.float64, na_value=np.nan) if name in floats else table[name].to_numpy()
            for name in table.columns}


def _case_arrays(frame: nw.DataFrame[Any]) -> dict[str, np.ndarray]:
    """The case facts as numpy arrays, straight from the engine's columns (no pandas frame between: at a
    million cases its text ids alone are a second copy); moments that may be missing are floats (NaN)."""
    floats = {"completion_ts", "exit_ts", "lead_time_s"}
    arrays = {name: frame[name].cast(nw.Float64).to_numpy() if name in floats else frame[name].to_numpy()
              for name in frame.columns if name != "status"}
    arrays["case"] = np.asarray(arrays["case"], dtype=object)
    named = frame["status"].to_numpy()
    arrays["status"] = np.full(len(named), -1, dtype=np.int8)
    for code, status in enumerate(STATUSES):
        arrays["status"][named == status] = code
    return arrays


def _in_memory(lazy: nw.LazyFrame[Any], segments: Sequence[str]) -> nw.LazyFrame[Any]:
    """The events of a lazy SQL engine (DuckDB, Spark) collected into Polars, the columns used only.

    Per-case times hold every event in memory anyway, and in memory Polars orders the events and
    reads the working clock (numpy) several times faster than SQL windows and as-of joins do
    (benchmarks/bench_working_time.py, 1M events: 10 s in calendar and 34 s in working time in DuckDB,
    3.5 s and 4.8 s so); the figures are the same on every engine. Polars and pandas frames are used
    as they are."""
    names = lazy.collect_schema().names()
    return lazy.select(*(c for c in names if c in EVENT_COLUMNS or c in segments)).collect(backend="polars").lazy()


def _with_working(times: CaseTimes, table: dict[str, np.ndarray], has_start: bool) -> CaseTimes:
    """The engine's working clocks of every event (and of `as_of`, per case at its last event)."""
    return replace(times, working_us=table[CLOCK].astype(np.int64),
                   as_of_working_us=table[AS_OF_CLOCK].astype(np.int64)[times.is_last_event],
                   working_start_us=table[START_CLOCK].astype(np.float64) if has_start else None)


def _arrivals(clock: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Seconds from each event's predecessor in its case on a clock (NaN for a case's first event).

    Written into one array (a difference, a concatenation and a division would each make a copy of
    ten million values)."""
    arrival_s = np.empty(len(clock), dtype=np.float64)
    if len(clock):
        arrival_s[0] = np.nan
        np.subtract(clock[1:], clock[:-1], out=arrival_s[1:], casting="unsafe")  # int64 microseconds to float
        arrival_s[1:] /= 1_000_000
    arrival_s[first] = np.nan
    return arrival_s


def _assemble(journey: Journey | None, as_of_us: int, steps: tuple[str, ...], rules: CaseRules,
              cases: dict[str, np.ndarray], table: dict[str, np.ndarray], event_step: np.ndarray,
              segments: dict[str, np.ndarray]) -> CaseTimes:
    """The case table's statuses and end moments as arrays, and every event's arrival (`event_step`: each
    event's step numbered as `steps`)."""
    # No copy where the engine's column has the type already: at ten million events each is 80 MB.
    event_case = table["case_code"].astype(np.int64, copy=False)  # int64: products with it never overflow
    event_ts = table["ts"].astype(np.int64, copy=False)
    first = table["is_first"].astype(bool, copy=False)
    n_cases, n_events = len(cases["case"]), len(event_ts)
    last = np.r_[first[1:], True] if n_events else first
    arrival_s = _arrivals(event_ts, first)
    prev_step = np.empty_like(event_step)
    prev_step[1:] = event_step[:-1]
    prev_step[first] = -1
    position = table["position"].astype(np.int32, copy=False)
    status = cases["status"]
    last_us = cases["last_ts"].astype(np.int64, copy=False)
    end_us = np.full(n_cases, NO_TIME, dtype=np.int64)
    for code, moment in ((0, cases["completion_ts"]), (1, cases["exit_ts"]), (3, last_us)):  # codes as STATUSES
        end_us[status == code] = moment[status == code]
    labels = tuple(journey.step(s).label if journey and s in journey.steps_by_id else s for s in steps)
    return CaseTimes(
        journey=journey, as_of_us=as_of_us, stale_after_s=rules.stale_after_s, steps=steps, labels=labels,
        end_steps=rules.end_steps, exit_steps=rules.exit_steps, case=cases["case"],
        start_us=cases["first_ts"].astype(np.int64, copy=False),
        last_us=last_us, end_us=end_us, status=status, last_step=event_step[last], event_case=event_case,
        event_step=event_step, event_ts=event_ts, arrival_s=arrival_s, prev_step=prev_step, position=position,
        in_lead_time=_in_lead_time(table["ends_so_far"], first, status[event_case] == 0), segments=segments,
        case_lead_time_s=cases["lead_time_s"])


def _in_lead_time(ends_so_far: np.ndarray, first: np.ndarray, completed: np.ndarray) -> np.ndarray:
    """The events of completed cases up to and including completion, the first counted end event
    (`ends_so_far` counts a case's end events up to each one): those before any end, and the one at
    which the count leaves zero. Boolean arrays only (an index per event would be 80 MB at ten million)."""
    before_any = ends_so_far == 0
    reaching = ~before_any
    reaching[1:] &= before_any[:-1] | first[1:]
    return (before_any | reaching) & completed


def _check_segments(lazy: nw.LazyFrame[Any], segments: Sequence[str]) -> None:
    columns = lazy.collect_schema().names()
    for column in segments:
        if column not in columns:
            others = [c for c in columns if c not in EVENT_COLUMNS]
            raise JourneyError(f"No segment column '{column}' in the event log; its attribute columns are: "
                               f"{', '.join(others) or 'none'}.", source=column)


def _segment_values(lazy: nw.LazyFrame[Any], segments: Sequence[str], case_ids: np.ndarray) -> dict[str, np.ndarray]:
    """Each case's value of each segment column (the smallest, should a case carry several)."""
    if not segments:
        return {}
    # An ingested log's integer case codes group faster than its ids (equal codes, equal ids).
    key = CASE_CODE if CASE_CODE in lazy.collect_schema().names() else "case"
    values = collect(lazy.group_by(key).agg(*(nw.col(c).cast(nw.String).min() for c in segments),
                                            *([nw.col("case").min()] if key != "case" else []))).to_pandas()
    where = pd.Index(values["case"]).get_indexer(case_ids)
    return {c: values[c].astype(object).to_numpy()[where] for c in segments}
