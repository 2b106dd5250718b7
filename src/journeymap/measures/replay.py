"""The token replay, computed once: where the cases were at every moment of a period, ready to play in a browser.

Two tables carry it. `here`: at each frame (a moment every `bucket_s`), how many cases were at
each step, for every case in the log, counted with one pass of difference arrays: a case is at a
step from its event there until its next event, or until it finished (completion, exit), or went
silent for longer than `stale_after` (dropped), or until `as_of` (in flight). `moves`: every step
to step move of a seeded random sample of the cases (at most `tokens` of them), with its start
and end, so the browser can slide each token along its transition at any moment between frames.
Counts are exact; the tokens are a sample, and say so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from journeymap.core.errors import JourneyError
from journeymap.measures.cases import STATUSES
from journeymap.measures.casetimes import CaseTimes

__all__ = ["Replay", "replay_frames", "FRAMES", "TOKENS", "SPEEDS_S", "default_speed_s", "speed_text"]

FRAMES = 480  # moments counted in a period: enough for a smooth counter, small enough to send at once
TOKENS = 600  # cases drawn as moving tokens
# Playback speeds, in log time per second of replay.
SPEEDS_S = (3600, 6 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400, 91 * 86400)
_US = 1_000_000
_NICE_BUCKETS_S = (60, 300, 900, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400,
                   7 * 86400)
_COMPLETED, _EXITED, _IN_FLIGHT, _DROPPED = (STATUSES.index(s) for s in ("completed", "exited", "in_flight",
                                                                           "dropped"))


@dataclass(frozen=True)
class Replay:
    """A period replayed: frame moments, cases per step per frame, totals per frame, and the sample's moves.

    Times are epoch milliseconds (what a browser's clock counts). `here`: frame, step, cases.
    `totals`: frame, moment_ms, open (on the map then), and started, completed, exited, dropped (cases
    since the period began).
    `moves`: case (token number), source, target, from_ms, to_ms.
    """

    start_ms: int
    end_ms: int
    bucket_ms: int
    here: pd.DataFrame
    totals: pd.DataFrame
    moves: pd.DataFrame
    n_cases: int
    sampled: int

    @property
    def frames(self) -> int:
        """Number of frame moments (the first at `start_ms`)."""
        return len(self.totals)


def replay_frames(times: CaseTimes, *, start_us: int | None = None, end_us: int | None = None,
                  frames: int = FRAMES, tokens: int = TOKENS, stale_after_s: float | None = None,
                  seed: int = 7) -> Replay:
    """The replay of the cases between `start_us` and `end_us` (default: the whole log)."""
    if times.n_cases == 0:
        raise JourneyError("There are no cases to replay under this filter.")
    first, last = int(times.start_us.min()), int(times.as_of_us)
    start_us = first if start_us is None else int(start_us)
    end_us = last if end_us is None else int(end_us)
    if end_us <= start_us:
        raise JourneyError("The replay's period ends before it starts; choose a later end date.")
    stale_us = int((stale_after_s if stale_after_s is not None else times.stale_after_s) * _US)
    bucket_us = _bucket_us(end_us - start_us, frames)
    n_frames = int(math.ceil((end_us - start_us) / bucket_us)) + 1
    finish = _finish_us(times, stale_us)
    here = _cases_here(times, finish, start_us, bucket_us, n_frames)
    totals = _totals(times, finish, here, start_us, bucket_us, n_frames)
    overlapping = np.flatnonzero((times.start_us <= end_us) & (finish > start_us))
    moves, sampled = _sample_moves(times, finish, overlapping, start_us, end_us, tokens, seed)
    return Replay(start_ms=start_us // 1000, end_ms=end_us // 1000, bucket_ms=bucket_us // 1000, here=here,
                  totals=totals, moves=moves, n_cases=len(overlapping), sampled=sampled)


def _bucket_us(span_us: int, frames: int) -> int:
    """The frame interval: the smallest round interval that keeps the period within `frames` frames."""
    wanted_s = span_us / _US / max(frames - 1, 1)
    return int(next((s for s in _NICE_BUCKETS_S if s >= wanted_s), math.ceil(wanted_s / 86400) * 86400) * _US)


def _finish_us(times: CaseTimes, stale_us: int) -> np.ndarray:
    """When each case stops being anywhere on the map: completion, exit, silence past stale_after, or never."""
    finish = np.full(times.n_cases, np.iinfo(np.int64).max, dtype=np.int64)
    done = (times.status == _COMPLETED) | (times.status == _EXITED)
    finish[done] = times.end_us[done]
    dropped = times.status == _DROPPED
    finish[dropped] = times.last_us[dropped] + stale_us
    return finish


def _stays(times: CaseTimes, finish: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each event's stay at its step: step code, from, until (the next event or the case's finish)."""
    ts, case = times.event_ts, times.event_case
    following = np.r_[ts[1:], 0] if len(ts) else ts
    last = np.r_[case[1:] != case[:-1], True] if len(ts) else np.zeros(0, bool)
    until = np.where(last, finish[case], np.minimum(following, finish[case]))
    keep = until > ts  # an event at or after the finish (a step past completion) is no stay
    return times.event_step[keep], ts[keep], until[keep]


def _frame_index(moment_us: np.ndarray, start_us: int, bucket_us: int, n_frames: int) -> np.ndarray:
    """The first frame at or after each moment (0..n_frames): a stay [a, b) covers frames index(a)..index(b)-1."""
    over = np.clip(moment_us, start_us - bucket_us, start_us + n_frames * bucket_us) - start_us
    return np.clip(-(-over // bucket_us), 0, n_frames).astype(np.int64)


def _cases_here(times: CaseTimes, finish: np.ndarray, start_us: int, bucket_us: int, n_frames: int) -> pd.DataFrame:
    """Cases at each step at each frame, by difference arrays (one pass over the events)."""
    step, since, until = _stays(times, finish)
    n_steps = len(times.steps)
    begin = _frame_index(since, start_us, bucket_us, n_frames)
    end = _frame_index(until, start_us, bucket_us, n_frames)
    size = (n_frames + 1) * n_steps
    change = (np.bincount(begin * n_steps + step, minlength=size)
              - np.bincount(end * n_steps + step, minlength=size)).reshape(n_frames + 1, n_steps)
    counts = np.cumsum(change, axis=0)[:n_frames]
    frame, code = np.nonzero(counts)
    return pd.DataFrame({"frame": frame.astype(np.int32), "step": np.asarray(times.steps, dtype=object)[code],
                         "cases": counts[frame, code].astype(np.int64)})


def _totals(times: CaseTimes, finish: np.ndarray, here: pd.DataFrame, start_us: int, bucket_us: int,
            n_frames: int) -> pd.DataFrame:
    """Per frame: cases started, on the map, completed, exited and dropped so far."""
    def so_far(moments: np.ndarray) -> np.ndarray:  # within the period: what happened before it is not counted
        index = _frame_index(moments[moments >= start_us], start_us, bucket_us, n_frames)
        return np.cumsum(np.bincount(index, minlength=n_frames + 1))[:n_frames]

    gone = times.status == _DROPPED
    open_ = here.groupby("frame")["cases"].sum().reindex(range(n_frames), fill_value=0).to_numpy()
    return pd.DataFrame({
        "frame": np.arange(n_frames, dtype=np.int32),
        "moment_ms": (start_us + np.arange(n_frames, dtype=np.int64) * bucket_us) // 1000,
        "started": so_far(times.start_us), "open": open_,
        "completed": so_far(times.end_us[times.status == _COMPLETED]),
        "exited": so_far(times.end_us[times.status == _EXITED]),
        "dropped": so_far(finish[gone]),
    })


def _sample_moves(times: CaseTimes, finish: np.ndarray, overlapping: np.ndarray, start_us: int, end_us: int,
                  tokens: int, seed: int) -> tuple[pd.DataFrame, int]:
    """The moves (event to next event, up to the case's finish) of a seeded sample of the cases in the period."""
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(overlapping, size=min(tokens, len(overlapping)), replace=False))
    token = np.full(times.n_cases, -1, dtype=np.int64)
    token[chosen] = np.arange(len(chosen))
    case, ts, step = times.event_case, times.event_ts, times.event_step
    if len(ts) < 2:
        return pd.DataFrame(columns=["case", "source", "target", "from_ms", "to_ms"]), len(chosen)
    same = (case[1:] == case[:-1]) & (token[case[:-1]] >= 0)
    source = np.flatnonzero(same)
    target = source + 1
    keep = (ts[target] <= finish[case[target]]) & (ts[target] > ts[source]) & (ts[target] >= start_us) & \
        (ts[source] <= end_us)
    source, target = source[keep], target[keep]
    names = np.asarray(times.steps, dtype=object)
    moves = pd.DataFrame({"case": token[case[source]].astype(np.int32), "source": names[step[source]],
                          "target": names[step[target]], "from_ms": ts[source] // 1000, "to_ms": ts[target] // 1000})
    return moves, len(chosen)


def default_speed_s(replay: Replay, seconds: float = 40.0) -> int:
    """The playback speed that plays the whole period in about `seconds` (one of SPEEDS_S)."""
    span_s = (replay.end_ms - replay.start_ms) / 1000
    wanted = span_s / seconds
    return min(SPEEDS_S, key=lambda speed: abs(math.log(speed / wanted)))


def speed_text(speed_s: int) -> str:
    """A speed as people say it: "1 day per second", "2 weeks per second"."""
    for unit, size in (("week", 7 * 86400), ("day", 86400), ("hour", 3600)):
        if speed_s >= size and speed_s % size == 0:
            count = speed_s // size
            return f"{count} {unit}{'s' if count != 1 else ''} per second"
    return f"{speed_s:,} seconds per second"
