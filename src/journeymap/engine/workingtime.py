"""Working time: durations that count only a team's working hours, computed for every event at once.

A calendar (`model.Calendar`) becomes a sorted array of working intervals in UTC epoch microseconds,
one per local working period of each working day that is not a public holiday (from the `holidays`
package) nor a closed day, each converted from its local time zone on its own date, so a change to or
from daylight saving time moves the hours in UTC as it does for the team. Its clock W(t), the working
microseconds before t since the first interval, is then a closed form per interval: the working time
of the intervals before t plus the part of t's interval that has passed. Any duration in working time
is W(end) − W(start).

A transition A → B counts on the calendar of B, the step whose arrival it is (DESIGN.md: arrival time);
a step with no calendar counts every second. Lead times, ages and OKR spans add their transitions up,
so the delay shares still add up to 1 in working time. The metrics then read the working clock of
each event (`CLOCK`) instead of its timestamp wherever they subtract times, and keep the timestamp for
the moments (statuses, weeks).

On eager engines (Polars, pandas) the clocks are numpy over the events' columns (`np.searchsorted`,
never row by row); on DuckDB the same closed form is an as-of join of the events with the (small)
table of intervals, in the engine. Narwhals has no as-of join on Spark, but W(t) is a function of t
alone: there the executors apply the eager engines' numpy function (`_clock_of`) to each batch of
events (`mapInArrow`, the calendars travelling with the task), so the events never leave them.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

import narwhals as nw
import numpy as np

from journeymap.core.errors import JourneyError
from journeymap.engine.prepare import PreparedEvents, in_order, to_pandas
from journeymap.engine.spark import check_workers
from journeymap.engine.stats import STATISTICS
from journeymap.journey.model import TIME_BASES, Calendar, Journey

__all__ = ["CLOCK", "START_CLOCK", "AS_OF_CLOCK", "WorkingCalendar", "working_calendar", "working_seconds",
           "with_working_clock", "step_calendars", "with_clock_for", "NEEDS_CALENDARS", "check_time",
           "arrival_statistics"]

CLOCK, START_CLOCK, AS_OF_CLOCK = "wts", "wstart", "wasof"  # per event: its working clock, of its start, of as_of
_US = 1_000_000
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class WorkingCalendar:
    """A calendar's working intervals [starts[i], ends[i]) in UTC epoch µs, and the working µs before each."""

    calendar: Calendar
    starts: np.ndarray
    ends: np.ndarray
    before: np.ndarray  # working microseconds in the intervals before interval i

    def clock(self, ts_us: np.ndarray) -> np.ndarray:
        """W(t) for every t (int64 µs): working microseconds from the first interval to t."""
        ts_us = np.asarray(ts_us, dtype=np.int64)
        if not len(self.starts):
            return np.zeros_like(ts_us)
        at = np.searchsorted(self.starts, ts_us, side="right") - 1
        inside = np.clip(ts_us - self.starts[np.maximum(at, 0)], 0, (self.ends - self.starts)[np.maximum(at, 0)])
        return np.where(at >= 0, self.before[np.maximum(at, 0)] + inside, 0)


def working_calendar(calendar: Calendar, first_us: int, last_us: int) -> WorkingCalendar:
    """The working intervals of `calendar` covering [first_us, last_us] (a day either side)."""
    first = _utc_day(first_us) - _DAY
    last = _utc_day(last_us) + _DAY
    starts, ends = _intervals(calendar, first, last)
    before = np.concatenate([[0], np.cumsum(ends - starts)[:-1]]).astype(np.int64)
    return WorkingCalendar(calendar, starts, ends, before)


def working_seconds(calendar: Calendar, start: dt.datetime, end: dt.datetime) -> float:
    """Working seconds between two moments on one calendar (for checks and tests; the metrics use clocks)."""
    a, b = (int(round(moment.timestamp() * _US)) for moment in (start, end))
    working = working_calendar(calendar, min(a, b), max(a, b))
    clock = working.clock(np.array([a, b], dtype=np.int64))
    return float(clock[1] - clock[0]) / _US


def _intervals(calendar: Calendar, first: dt.date, last: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """Every local working period from `first` to `last` as UTC µs: one pass over the days (a year is
    365), each period placed by its own date's offset, so daylight saving is the zone's."""
    zone = zoneinfo.ZoneInfo(calendar.timezone)
    days_off = _days_off(calendar, first.year, last.year)
    starts, ends = [], []
    day = first
    while day <= last:
        if day.weekday() in calendar.days and day not in days_off:
            midnight = dt.datetime(day.year, day.month, day.day)
            for start, end in calendar.hours:
                starts.append(_utc_us(midnight + dt.timedelta(minutes=start), zone))
                ends.append(_utc_us(midnight + dt.timedelta(minutes=end), zone))
        day += _DAY
    return np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64)


def _utc_us(local: dt.datetime, zone: zoneinfo.ZoneInfo) -> int:
    """A local wall time as UTC µs. A time the clocks skip (02:30 on the night they go forward) is
    read with the offset before the change, as Python does (fold=0), so it lands an hour later on the
    new clock (03:30); a time they repeat (02:30 when they go back) is its first occurrence."""
    return int(local.replace(tzinfo=zone).timestamp()) * _US


def _days_off(calendar: Calendar, first_year: int, last_year: int) -> frozenset[dt.date]:
    off = set(calendar.closed)
    if calendar.holidays:
        off |= _public_holidays(calendar.holidays, calendar.subdivision, first_year, last_year)
    return frozenset(off)


@lru_cache(maxsize=64)
def _public_holidays(country: str, subdivision: str | None, first_year: int, last_year: int) -> frozenset[dt.date]:
    import holidays

    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=range(first_year, last_year + 1)))


def _utc_day(epoch_us: int) -> dt.date:
    return dt.datetime.fromtimestamp(epoch_us / _US, tz=dt.UTC).date()


def check_time(time: str) -> str:
    """`time` if it is one of `TIME_BASES`; else a ValueError a user can read."""
    if time not in TIME_BASES:
        raise ValueError(f"time '{time}' is neither calendar nor working; choose one of {', '.join(TIME_BASES)}.")
    return time


def step_calendars(journey: Journey | None, step_codes: dict[str, int]) -> tuple[list[Calendar], list[int]]:
    """The calendars the journey's steps use, and for each step code the index of its calendar (-1: none)."""
    used: list[Calendar] = []
    by_code = [-1] * len(step_codes)
    if journey is None:
        return used, by_code
    for step, code in step_codes.items():
        calendar = journey.calendar_of(step)
        if calendar is not None:
            if calendar not in used:
                used.append(calendar)
            by_code[code] = used.index(calendar)
    return used, by_code


NEEDS_CALENDARS = ("Working time needs calendars: add `calendars:` to the journey and a `calendar:` to it, "
                   "its steps or their owners (see the README, Calendars).")


def with_clock_for(prepared: PreparedEvents, journey: Journey | None, step_codes: dict[str, int], time: str,
                   as_of_us: int) -> tuple[PreparedEvents, bool]:
    """The events with the working clock where a figure needs it, and whether they have it.

    The working clock is added when durations are shown in working time, or when a target or OKR is
    on working time (its figure needs the clock whichever clock the page shows). Working time asked
    of a journey without calendars is a sentence that says how to add them.
    """
    calendars, calendar_of_code = step_calendars(journey, step_codes)
    if time == "working" and not calendars:
        raise JourneyError(NEEDS_CALENDARS)
    if not calendars or not (time == "working" or (journey is not None and journey.names_working_time)):
        return prepared, False
    return with_working_clock(prepared, calendars, calendar_of_code, as_of_us), True


def with_working_clock(prepared: PreparedEvents, calendars: Sequence[Calendar], by_code: Sequence[int],
                       as_of_us: int) -> PreparedEvents:
    """The events with their working clocks (`CLOCK`, `START_CLOCK` with start times, `AS_OF_CLOCK`).

    Along a case the clock starts at the first event's timestamp and advances, transition by
    transition, by the working time of the step arrived at: so the difference of two events' clocks
    is the working time between them as the transitions between them count it, the difference at
    the last event to `AS_OF_CLOCK` is the working time since, on the last step's calendar.
    """
    has_start = "start" in prepared.events.collect_schema().names()
    frame: Any = prepared.frame()  # eager or lazy, as the engine is
    span = frame.select(nw.col("ts").min().alias("lo"), nw.col("ts").max().alias("hi"))
    lo, hi = (span.collect() if isinstance(span, nw.LazyFrame) else span).row(0)
    lo, hi = (0, 0) if lo is None else (int(lo), max(int(hi), int(as_of_us)))
    working = [working_calendar(calendar, lo, hi) for calendar in calendars]
    if prepared.eager:
        return prepared.replace(_eager_clocks(frame, working, np.asarray(by_code, dtype=np.int64), as_of_us,
                                              has_start))
    return prepared.replace(_lazy_clocks(frame, working, list(by_code), as_of_us, has_start))


def _clock_of(working: Sequence[WorkingCalendar], calendar: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """W of each event's calendar at its time; no calendar (-1) counts every microsecond."""
    out = ts.astype(np.int64, copy=True)
    for index, found in enumerate(working):
        chosen = calendar == index
        if chosen.any():
            out[chosen] = found.clock(ts[chosen])
    return out


def _eager_clocks(frame: nw.DataFrame[Any], working: Sequence[WorkingCalendar], by_code: np.ndarray, as_of_us: int,
                  has_start: bool) -> nw.DataFrame[Any]:
    """numpy over the events in case order: two clock readings per event, a difference, a running sum."""
    ts = frame.get_column("ts").to_numpy().astype(np.int64)
    is_first = frame.get_column("is_first").to_numpy().astype(bool)
    is_last = frame.get_column("is_last").to_numpy().astype(bool)
    own = by_code[frame.get_column("step_code").to_numpy().astype(np.int64)] if len(ts) else np.zeros(0, np.int64)
    following = np.roll(own, -1)
    arrived = np.roll(_clock_of(working, own, ts), -1) - _clock_of(working, following, ts)  # A -> B on B's calendar
    arrived[is_last] = 0
    before = np.cumsum(arrived) - arrived  # working time of the transitions before each event, log-wide
    first = np.maximum.accumulate(np.where(is_first, np.arange(len(ts)), 0))
    clock = ts[first] + before - before[first]
    columns = {CLOCK: clock,
               AS_OF_CLOCK: clock + _clock_of(working, own, np.full_like(ts, as_of_us)) - _clock_of(working, own, ts)}
    if has_start:
        start = frame.get_column("start")
        missing = start.is_null().to_numpy()
        starts = np.where(missing, ts, start.fill_null(0).to_numpy().astype(np.int64))
        # the step's own service time in working time, taken off its clock
        columns[START_CLOCK] = clock - (_clock_of(working, own, ts) - _clock_of(working, own, starts))
    backend = frame.implementation
    added = [nw.new_series(name, values, nw.Int64, backend=backend) for name, values in columns.items()]
    result = frame.with_columns(*added)
    if has_start:
        result = result.with_columns(nw.when(~nw.col("start").is_null()).then(nw.col(START_CLOCK)).alias(START_CLOCK))
    return result


def _lazy_clocks(frame: nw.LazyFrame[Any], working: Sequence[WorkingCalendar], by_code: list[int], as_of_us: int,
                 has_start: bool) -> nw.LazyFrame[Any]:
    """The same clocks in a lazy engine: the clock readings of each event (as-of joins with the
    intervals table, or on Spark numpy on the executors), then windows along the case."""
    codes = {code: cal for code, cal in enumerate(by_code)}
    step = in_order(False)
    events = frame.with_columns(cal=nw.col("step_code").replace_strict(codes, default=-1, return_dtype=nw.Int64))
    events = events.with_columns(next_cal=step(nw.col("cal").shift(-1)).fill_null(-1))
    if frame.implementation.is_spark_like():  # Narwhals has no as-of join on Spark
        events = _spark_readings(events, working, as_of_us, has_start)
    else:
        events = _asof_readings(events, working, as_of_us, has_start)
    arrived = nw.when(nw.col("is_last")).then(nw.lit(0, nw.Int64)).otherwise(
        step(nw.col("_own").shift(-1)) - nw.col("_for_next"))
    events = events.with_columns(_arrived=arrived)
    before = nw.col("_arrived").cum_sum().over("case_code", order_by="idx") - nw.col("_arrived")
    first_ts = nw.col("ts").min().over("case_code")
    events = events.with_columns((first_ts + before).cast(nw.Int64).alias(CLOCK))
    events = events.with_columns((nw.col(CLOCK) + nw.col("_own_as_of") - nw.col("_own")).alias(AS_OF_CLOCK))
    if has_start:
        events = events.with_columns(nw.when(~nw.col("start").is_null()).then(
            nw.col(CLOCK) - (nw.col("_own") - nw.col("_own_start"))).alias(START_CLOCK))
    return events.drop("cal", "next_cal", "_own", "_for_next", "_own_as_of", "_arrived",
                       *(["_own_start"] if has_start else []))


_READINGS = ("_own", "_for_next", "_own_as_of", "_own_start")  # the clock readings `_lazy_clocks` windows over


def _asof_readings(events: nw.LazyFrame[Any], working: Sequence[WorkingCalendar], as_of_us: int,
                   has_start: bool) -> nw.LazyFrame[Any]:
    """The clock readings of `_lazy_clocks` as as-of joins of the events with the intervals table, in the engine."""
    import pyarrow as pa

    rows = [(index, int(s), int(e), int(b)) for index, found in enumerate(working)
            for s, e, b in zip(found.starts, found.ends, found.before)]
    names = ("cal", "iv_start", "iv_end", "iv_before")
    table = pa.table({name: pa.array([r[k] for r in rows], pa.int64()) for k, name in enumerate(names)})
    # The join keeps the left key only: the interval's start also rides as a plain column.
    intervals = nw.from_arrow(table, backend="pyarrow").lazy(backend=events.implementation).with_columns(
        iv_from=nw.col("iv_start"))

    def clock(events: nw.LazyFrame[Any], calendar: str, moment: nw.Expr, name: str) -> nw.LazyFrame[Any]:
        keyed = events.with_columns(_at=moment, _cal=nw.col(calendar))
        joined = keyed.join_asof(intervals, left_on="_at", right_on="iv_start", by_left="_cal", by_right="cal",
                                 strategy="backward")
        inside = nw.min_horizontal(nw.max_horizontal(nw.col("_at") - nw.col("iv_from"), nw.lit(0)),
                                   nw.col("iv_end") - nw.col("iv_from"))
        value = (nw.when(nw.col("_cal") < 0).then(nw.col("_at"))
                 .otherwise((nw.col("iv_before") + inside).fill_null(0)))
        return joined.with_columns(value.cast(nw.Int64).alias(name)).drop(
            "_at", "_cal", "cal_right", "iv_start", "iv_from", "iv_end", "iv_before", strict=False)

    events = clock(events, "cal", nw.col("ts"), "_own")
    events = clock(events, "next_cal", nw.col("ts"), "_for_next")
    events = clock(events, "cal", nw.lit(as_of_us, nw.Int64), "_own_as_of")
    if has_start:
        events = clock(events, "cal", nw.col("start").fill_null(nw.col("ts")), "_own_start")
    return events


def _spark_readings(events: nw.LazyFrame[Any], working: Sequence[WorkingCalendar], as_of_us: int,
                    has_start: bool) -> nw.LazyFrame[Any]:
    """The clock readings of `_lazy_clocks` on Spark: `_clock_of` over each Arrow batch of events, on the
    executors (their Python needs journeymap). A narrow step: no shuffle, nothing to the driver."""
    from pyspark.sql.types import LongType, StructField, StructType

    native = events.to_native()
    check_workers(native, "Working time")
    names = _READINGS if has_start else _READINGS[:-1]
    schema = StructType([*native.schema.fields, *(StructField(name, LongType(), False) for name in names)])
    readings = partial(_batch_readings, tuple(working), as_of_us, has_start)
    return nw.from_native(native.mapInArrow(readings, schema))


def _batch_readings(working: Sequence[WorkingCalendar], as_of_us: int, has_start: bool,
                    batches: Iterator[Any]) -> Iterator[Any]:
    """Each Arrow batch with its events' clock readings: on its own calendar at its time, on the next
    event's calendar at its time, on its own at `as_of_us` and at its start (its time if none)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for batch in batches:
        ts = batch.column("ts").to_numpy(zero_copy_only=False).astype(np.int64)
        own, following = (batch.column(name).to_numpy(zero_copy_only=False).astype(np.int64)
                          for name in ("cal", "next_cal"))
        readings = [_clock_of(working, own, ts), _clock_of(working, following, ts),
                    _clock_of(working, own, np.full_like(ts, as_of_us))]
        if has_start:
            starts = pc.fill_null(batch.column("start"), batch.column("ts")).to_numpy(zero_copy_only=False)
            readings.append(_clock_of(working, own, starts.astype(np.int64)))
        yield pa.RecordBatch.from_arrays([*batch.columns, *(pa.array(r, pa.int64()) for r in readings)],
                                         names=[*batch.schema.names, *_READINGS[:len(readings)]])


def arrival_statistics(prepared: PreparedEvents, clock: str, wanted: dict[int, str]) -> dict[int, float]:
    """For each step code in `wanted`, that statistic (median, p85, p95) of the arrival times into it
    on `clock`: what a target on the other clock than the metrics' is judged by."""
    step = in_order(prepared.eager)
    arrivals = prepared.frame().with_columns(
        next_step_code=step(nw.col("step_code").shift(-1)),
        duration_s=(step(nw.col(clock).shift(-1)) - nw.col(clock)) / _US,
    ).lazy().filter(~nw.col("is_last") & nw.col("next_step_code").is_in(list(wanted)))
    table = to_pandas(arrivals.group_by("next_step_code").agg(
        *(nw.col("duration_s").quantile(q, interpolation="linear").alias(name) for name, q in STATISTICS.items())))
    return {int(code): float(row[wanted[int(code)]]) for code, row in zip(table["next_step_code"],
                                                                           table.to_dict("records"))}
