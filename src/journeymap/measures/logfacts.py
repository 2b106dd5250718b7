"""What a draft needs to know of a log, from one ordered pass: how cases start and end, how many reach
each activity, the moves between activities, where each activity usually comes, and timer-like waits.

Cheaper than `compute_metrics` (no statuses, statistics or variants), so drafting a journey adds
little to loading a log (`benchmarks/bench_load.py`): numpy passes over the events in case order
(`logarrays`), no group-by. Counts are `bincount`s over small activity codes, taken in slices that
stay in the processor's cache; first visits come from a word of bits per case, position by position
(or a radix sort of the few cases that visit an activity twice); only those cases are sorted to
count each move once per case. The ordering and the end/exit rule are the metrics' own
(`engine.prepare_events`, `outcomes.proposed_outcomes`), so the draft and the map agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd
import polars as pl

from journeymap.engine.logarrays import SLICE, OrderedLog, ordered_log, small_codes
from journeymap.journey.model import DEFAULT_STALE_AFTER_S
from journeymap.measures.outcomes import WAIT_QUANTILE, Outcomes, proposed_outcomes, stale_after_of_waits

__all__ = ["LogFacts", "log_facts"]

# A step is reached by a timer when at least this share of its arrivals (and this many) take the
# same time to within 1%, and that time is at least an hour: people's work spreads out over
# hours and days, a rule such as "close 15 days after resolution" does not.
TIMER_SHARE = 0.2
TIMER_MIN_ARRIVALS = 20
TIMER_MIN_S = 3600.0
_TIMER_BIN = math.log(1.02)  # bins 2% wide: a value within 1% of a bin's middle
# The bins a wait from TIMER_MIN_S to the longest int64 span of microseconds can fall in.
_LOWEST_BIN = round(math.log(TIMER_MIN_S) / _TIMER_BIN)
_BIN_RANGE = round(math.log(2**63 / 1_000_000) / _TIMER_BIN) + 1 - _LOWEST_BIN
_TIMER_MIN_US = int(TIMER_MIN_S * 1_000_000)
_DAY_US = 86_400 * 1_000_000
# Waits are first counted in coarse bins, the bits of a float32 past the top 4 of its mantissa:
# bins 3.1% to 6.25% wide, so that a 2% timer bin lies within two neighbouring ones, whose sum bounds
# how many waits it holds. Only an activity whose bound can pass the timer rule gets its waits'
# logarithms (`_timer_peaks`). Bin 0 holds the waits under TIMER_MIN_S (and moves to the next case).
_COARSE_SHIFT = 23 - 4
_COARSE_LONG = int(np.float32(_TIMER_MIN_US).view(np.int32)) >> _COARSE_SHIFT
_COARSE_RANGE = (int(np.float32(2.0**63).view(np.int32)) >> _COARSE_SHIFT) - _COARSE_LONG + 2
_WORD = 64  # bits of the word that holds a case's activities so far (`_visits_by_position`)


@dataclass(frozen=True)
class LogFacts:
    """Per activity of a log: `reached` cases, `starting` cases, mean `first_position` in its cases;
    the `transitions` (from, to, cases) between activities; `outcomes`; `timers`; `stale_after_s`, how
    long a case may be silent before it counts as dropped (`outcomes.stale_after_of_waits`)."""

    n_cases: int
    reached: dict[str, int]
    starting: dict[str, int]
    first_position: dict[str, float]
    transitions: pd.DataFrame
    outcomes: Outcomes
    timers: tuple[str, ...]
    stale_after_s: float


def log_facts(events: Any) -> LogFacts:
    """The facts of canonical events (any engine), every activity its own step."""
    log = ordered_log(events)
    names, first = log.names, log.first
    n_steps = len(names)
    step = small_codes(log.step, n_steps)
    starts = log.starts
    lengths = np.diff(starts, append=len(step))
    by_position = _by_position(n_steps, lengths)
    tally = _tally(step, first, log, starts, lengths, n_steps, positions=not by_position)
    reached, position_sum, looping = _visits(step, starts, lengths, tally, by_position)
    starting = np.bincount(step[starts], minlength=n_steps)
    ending = np.bincount(step[starts + lengths - 1], minlength=n_steps)
    alone = np.bincount(step[starts[lengths == 1]], minlength=n_steps)  # cases of one event
    reached_by_name = {names[c]: int(n) for c, n in enumerate(reached) if n}
    return LogFacts(
        n_cases=len(starts),
        reached=reached_by_name,
        starting={names[c]: int(n) for c, n in enumerate(starting) if n},
        first_position={names[c]: float(p / n) for c, (p, n) in enumerate(zip(position_sum, reached)) if n},
        transitions=_transitions(step, first, looping, tally, names),
        outcomes=proposed_outcomes({names[c]: int(n) for c, n in enumerate(ending) if n}, reached_by_name,
                                   {names[c]: int(n) for c, n in enumerate(alone) if n}),
        timers=_timers(step, first, log, tally, _arrivals(tally, starting), names),
        stale_after_s=_stale_after(log))


def _stale_after(log: OrderedLog) -> float:
    """The bare-log rule of `outcomes.log_stale_after_s` on these arrays (the same linear quantile of the
    same waits), so that a drafted journey's cases get the statuses the bare log gave them."""
    waits = log.waits(0, len(log.ts) - 1)[~log.first[1:]]
    longer = int(np.count_nonzero(waits > int(DEFAULT_STALE_AFTER_S * 1_000_000)))
    return stale_after_of_waits(len(waits), longer, lambda: float(np.quantile(waits, WAIT_QUANTILE)) / 1_000_000)


def _visits(step: np.ndarray, starts: np.ndarray, lengths: np.ndarray, tally: _Tally, by_position: bool
            ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per activity: the cases that reach it and the sum of the positions where they first do; and
    the events of the cases that (may) visit an activity twice (`_events_of`).

    A case that visits no activity twice makes no move twice either: its events and moves count as
    they are, and only the other cases (often few) are sorted, for first visits (unless found
    position by position, `_by_position`) and for moves (`_transitions`)."""
    n_steps = len(tally.events)
    if by_position:
        reached, position_sum, looping_cases = _visits_by_position(step, starts, lengths, n_steps)
        return reached, position_sum, _events_of(looping_cases, starts, lengths)
    looping = _events_of(_may_repeat(step, starts, n_steps), starts, lengths)
    return (*_first_visits(step, looping, tally), looping)


def _arrivals(tally: _Tally, starting: np.ndarray) -> np.ndarray:
    """Per activity: the events arrived at from an event before them (all but a case's first)."""
    n_steps = len(starting)
    if tally.moves is not None:  # the moves into each activity
        return tally.moves[:n_steps * n_steps].reshape(n_steps, n_steps).sum(axis=0)
    return tally.events - starting


@dataclass(frozen=True)
class _Tally:
    """What one pass over the events counts: per activity its `events` and the sum of their
    positions in their cases (zeros when not asked for); per move key (from * n_steps + to) its
    `moves`; per (coarse bin, activity) key the `waits` that arrive there (`_COARSE_SHIFT`). A
    table too large for the number of activities is None (moves are counted later, and every
    activity's waits get their logarithms)."""

    events: np.ndarray
    position_sum: np.ndarray
    moves: np.ndarray | None
    waits: np.ndarray | None


def _tally(step: np.ndarray, first: np.ndarray, log: OrderedLog, starts: np.ndarray, lengths: np.ndarray,
           n_steps: int, positions: bool = True) -> _Tally:
    """Count the events, moves and long waits (`_Tally`) in slices that stay in the processor's
    cache: on a million events, fresh memory for whole-log temporaries costs more than the counting."""
    n, n_keys = len(step), n_steps * n_steps
    events, position_sum = np.zeros(n_steps, dtype=np.int64), np.zeros(n_steps)
    moves = np.zeros(n_keys + 1, dtype=np.int64) if n_keys < 2**16 else None  # + 1: from one case to the next
    waits = np.zeros(n_steps * _COARSE_RANGE, dtype=np.int64) if n_steps * _COARSE_RANGE <= 2**22 else None
    case_start = np.repeat(starts.astype(np.int32 if n < 2**31 else np.int64), lengths) if positions else None
    for lo in range(0, n, SLICE):
        hi = min(lo + SLICE, n)
        if case_start is not None:
            here = step[lo:hi]
            events += np.bincount(here, minlength=n_steps)
            position = np.arange(lo, hi, dtype=case_start.dtype)
            position -= case_start[lo:hi]
            position_sum += np.bincount(here, weights=position, minlength=n_steps)  # whole numbers: exact
        ahead = min(hi, n - 1)  # moves from the events here to the next ones (the log's last has none)
        source, target, new_case = step[lo:ahead], step[lo + 1:ahead + 1], first[lo + 1:ahead + 1]
        if moves is not None:
            key = source.astype(np.uint16)
            key *= n_steps
            key += target
            np.putmask(key, new_case, n_keys)
            moves += np.bincount(key, minlength=n_keys + 1)
        if waits is not None:
            key = log.waits(lo, ahead).astype(np.float32).view(np.int32)  # a wait's float bits grow with it
            key >>= _COARSE_SHIFT
            key -= _COARSE_LONG - 1
            np.maximum(key, 0, out=key)
            np.putmask(key, new_case, 0)
            key *= n_steps
            key += target
            waits += np.bincount(key, minlength=len(waits))
    return _Tally(events, position_sum, moves, waits)


def _by_position(n_steps: int, lengths: np.ndarray) -> bool:
    """Whether first visits are found position by position (`_visits_by_position`): the activities
    fit a word, and the longest case is short beside the log (one small pass per position)."""
    return n_steps <= _WORD and int(lengths.max(initial=0)) * _WORD <= int(lengths.sum())


def _visits_by_position(step: np.ndarray, starts: np.ndarray, lengths: np.ndarray, n_steps: int
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per activity: the cases that reach it and the sum of the positions where they first do; per
    case, whether it visits an activity twice. Position by position over all cases
    at once, each case's activities so far as bits of a word (`n_steps` at most `_WORD`)."""
    longest = int(lengths.max(initial=0))
    # The cases still going at a position: a prefix (a radix sort of small keys; ties stay in order).
    longest_first = np.argsort(small_codes(longest - lengths, longest + 1), kind="stable")
    at = starts[longest_first]
    going = np.searchsorted(-lengths[longest_first], -np.arange(longest), side="left")
    word = np.uint32 if n_steps <= 32 else np.uint64
    one = word(1)
    seen: np.ndarray[Any, Any] = np.zeros(len(starts), dtype=word)
    reached, position_sum = np.zeros(n_steps, dtype=np.int64), np.zeros(n_steps, dtype=np.int64)
    for position, n_going in enumerate(going):
        here = step[at[:n_going]]
        bit = np.left_shift(one, here, dtype=word)  # a shift: a table lookup would widen the codes to indexes first
        going_seen = seen[:n_going]
        new = (going_seen & bit) == 0
        going_seen |= bit
        visits = np.bincount(here[new], minlength=n_steps)
        reached += visits
        position_sum += position * visits
        at[:n_going] += 1
    looping = np.empty(len(starts), dtype=bool)
    looping[longest_first] = np.bitwise_count(seen) < lengths[longest_first]
    return reached, position_sum, looping


def _may_repeat(step: np.ndarray, starts: np.ndarray, n_steps: int) -> np.ndarray:
    """Per case: whether it may visit an activity twice. Certainly not when its activities, as bits
    of a word, are as many as its events; codes a word's width apart share a bit, which only sends
    a case to the exact count."""
    dtype = np.uint32 if n_steps <= 32 else np.uint64
    bits = np.left_shift(dtype(1), np.arange(np.dtype(dtype).itemsize * 8, dtype=dtype))
    codes = step if n_steps <= len(bits) else step % len(bits)
    seen = np.zeros(len(starts), dtype=dtype)
    per_slice = max(1, SLICE * len(starts) // max(len(step), 1))  # cases in a slice of about SLICE events
    for first_case in range(0, len(starts), per_slice):
        cases = slice(first_case, first_case + per_slice)
        lo, hi = starts[first_case], starts[cases.stop] if cases.stop < len(starts) else len(step)
        seen[cases] = np.bitwise_or.reduceat(bits[codes[lo:hi]], starts[cases] - lo)
    return np.bitwise_count(seen) < np.diff(starts, append=len(step))


def _events_of(cases: np.ndarray, starts: np.ndarray, lengths: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The events of the chosen cases (a mask over cases), in order: index in the log, case number,
    position in the case (32-bit numbers where they fit: fresh memory is what these cost)."""
    index_type = np.int32 if int(lengths.sum()) < 2**31 else np.int64
    lengths = lengths[cases]
    local = np.zeros(len(lengths), dtype=index_type)
    np.cumsum(lengths[:-1], out=local[1:])
    position: np.ndarray[Any, Any] = np.arange(int(lengths.sum()), dtype=index_type)
    position -= np.repeat(local, lengths)
    index = np.repeat(starts[cases].astype(index_type), lengths)
    index += position
    return index, np.repeat(np.flatnonzero(cases).astype(index_type), lengths), position


def _grouped(key: np.ndarray, case: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Events grouped by `key` (0..n_keys-1) with a stable sort, which keeps each group in case order:
    the order, the case of each event in it, and where each group's events start in it (n_keys + 1)."""
    order = np.argsort(key, kind="stable")
    bounds = np.zeros(n_keys + 1, dtype=np.int64)
    np.cumsum(np.bincount(key, minlength=n_keys), out=bounds[1:])
    return order, case[order], bounds


def _first_in_group(grouped_case: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where in a grouping each case's first event of a group is, and how many there are before each bound."""
    new = np.empty(len(grouped_case), dtype=bool)
    new[:1] = True
    np.not_equal(grouped_case[1:], grouped_case[:-1], out=new[1:])
    inner = bounds[1:-1]
    new[inner[inner < len(new)]] = True  # a group's first event is new even in the case before it
    firsts = np.flatnonzero(new)
    return firsts, np.searchsorted(firsts, bounds)


def _first_visits(step: np.ndarray, looping: tuple[np.ndarray, np.ndarray, np.ndarray], tally: _Tally
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Per activity: the cases that reach it, and the sum of the positions in them where they first do.

    Every event counts, less the events of the `looping` cases (`_events_of`), plus their first visits."""
    n_steps = len(tally.events)
    reached, position_sum = tally.events.copy(), tally.position_sum.copy()
    index, case, position = looping
    if len(index):
        inner_step = step[index]
        reached -= np.bincount(inner_step, minlength=n_steps)
        position_sum -= np.bincount(inner_step, weights=position, minlength=n_steps)
        order, grouped_case, bounds = _grouped(inner_step, case, n_steps)
        visits, before = _first_in_group(grouped_case, bounds)
        total = np.zeros(len(visits) + 1, dtype=np.int64)
        np.cumsum(position[order[visits]], out=total[1:])
        reached += np.diff(before)
        position_sum += total[before[1:]] - total[before[:-1]]
    return reached, position_sum  # sums of whole numbers far below 2**53: exact in float64


def _transitions(step: np.ndarray, first: np.ndarray, looping: tuple[np.ndarray, np.ndarray, np.ndarray],
                 tally: _Tally, names: tuple[str, ...]) -> pd.DataFrame:
    """The moves between activities, with the number of cases that make each, busiest first.

    Every move counts, less the moves of the `looping` cases (`_events_of`), plus one per case and
    move among those."""
    n_steps = len(names)
    n_keys = n_steps * n_steps
    if tally.moves is not None:
        cases = tally.moves[:n_keys].copy()
        index, case, _ = looping
        inside = case[1:] == case[:-1]  # the cases' events are contiguous: a move where the case goes on
        if inside.any():
            at = index[:-1][inside]
            inner_key = step[at].astype(np.uint16)
            inner_key *= n_steps
            inner_key += step[1:][at]
            cases -= np.bincount(inner_key, minlength=n_keys)
            _, grouped_case, bounds = _grouped(inner_key, case[:-1][inside], n_keys)
            cases += np.diff(_first_in_group(grouped_case, bounds)[1])
        pairs = np.flatnonzero(cases)
        cases = cases[pairs]
    else:  # very many activities: count the (move, case) pairs there are
        case, at = np.cumsum(first) - 1, np.flatnonzero(~first[1:])
        n_cases = int(case[-1]) + 1
        distinct = np.unique((step[at].astype(np.int64) * n_steps + step[at + 1]) * n_cases + case[at])
        pairs, cases = np.unique(distinct // n_cases, return_counts=True)
    label = np.asarray(names, dtype=object)
    table = pd.DataFrame({"from": label[pairs // n_steps].tolist(), "to": label[pairs % n_steps].tolist(),
                          "cases": cases.astype("int64")}) if len(pairs) else \
        pd.DataFrame({"from": pd.Series([], dtype="str"), "to": pd.Series([], dtype="str"),
                      "cases": pd.Series([], dtype="int64")})
    return table.sort_values(["cases", "from", "to"], ascending=[False, True, True], ignore_index=True)


def _timers(step: np.ndarray, first: np.ndarray, log: OrderedLog, tally: _Tally, arrivals: np.ndarray,
            names: tuple[str, ...]) -> tuple[str, ...]:
    """Activities whose arrival looks like a system timer (see `TIMER_SHARE`); `arrivals` per activity.

    The waits in two neighbouring coarse bins bound the busiest 2% bin from above, so an activity
    whose bound fails the rule is no timer; the others are counted exactly. A log of dates without a
    time of day has none: every wait is a whole number of days, so "done the next day" would peak at
    one day for every step like a timer does."""
    n_steps = len(names)
    if len(log.ts) > 1 and not np.any(log.ts % _DAY_US):
        return ()
    if tally.waits is not None:
        coarse = tally.waits.reshape(_COARSE_RANGE, n_steps)[1:]
        bound = (coarse[:-1] + coarse[1:]).max(axis=0, initial=0)
        candidates = (bound >= TIMER_MIN_ARRIVALS) & (bound >= TIMER_SHARE * arrivals)
    else:
        candidates = np.ones(n_steps, dtype=bool)
    peak = _timer_peaks(step, first, log, candidates) if candidates.any() else np.zeros(n_steps, dtype=np.int64)
    timed = (peak >= TIMER_MIN_ARRIVALS) & (peak >= TIMER_SHARE * arrivals)
    return tuple(sorted(names[c] for c in np.flatnonzero(timed)))


def _timer_peaks(step: np.ndarray, first: np.ndarray, log: OrderedLog, candidates: np.ndarray) -> np.ndarray:
    """Per activity: the most waits of `TIMER_MIN_S` or more that arrive there in one 2% bin
    (`_timer_bins`), counted for the `candidates` only (zero for the others)."""
    n, n_steps = len(step), len(candidates)
    waits = np.zeros(n_steps * _BIN_RANGE, dtype=np.int64) if n_steps * _BIN_RANGE <= 2**22 else None
    keys: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
    for lo in range(0, n - 1, SLICE):
        hi = min(lo + SLICE, n - 1)
        target, wait = step[lo + 1:hi + 1], log.waits(lo, hi)
        long = wait >= _TIMER_MIN_US
        long &= ~first[lo + 1:hi + 1]
        long &= candidates[target]
        if long.any():
            key = target[long].astype(np.int64)
            key *= _BIN_RANGE
            key += _timer_bins(wait[long])
            key -= _LOWEST_BIN
            if waits is not None:
                waits += np.bincount(key, minlength=len(waits))
            else:
                keys.append(key)
    if waits is not None:
        return waits.reshape(n_steps, _BIN_RANGE).max(axis=1, initial=0)
    pairs, counts = np.unique(np.concatenate(keys), return_counts=True)  # very many activities
    peak = np.zeros(n_steps, dtype=np.int64)
    np.maximum.at(peak, pairs // _BIN_RANGE, counts)
    return peak


def _timer_bins(wait_us: np.ndarray) -> np.ndarray:
    """The 2%-wide bin of the log of each wait (in seconds): Polars' logarithm, rounded half to even.

    numpy's logarithm may differ from Polars' in the last bit, which moves a bin only for a value
    a hair from a bin's edge; those few are taken from Polars, so the bins are Polars' own.
    """
    scaled = wait_us / 1_000_000
    np.log(scaled, out=scaled)
    scaled /= _TIMER_BIN
    rounded = np.rint(scaled)
    bins = rounded.astype(np.int64)
    scaled -= rounded
    edge = np.flatnonzero(np.abs(scaled, out=scaled) > 0.5 - 1e-6)
    if len(edge):
        exact = nw.from_native(pl.DataFrame({"gap_s": wait_us[edge] / 1_000_000})).select(
            (nw.col("gap_s").log() / _TIMER_BIN).round(0).cast(nw.Int64))
        bins[edge] = exact.get_column("gap_s").to_numpy()
    return bins
