"""Did the pilot work: the pilot group before and after a change against everyone else (difference-in-differences).

A plain before/after mistakes a season for success: when every team got faster in summer, the
pilot team got faster too. Here the pilot's change is measured against the others' change over the
same dates: the effect on a statistic (median, p85) is

    (pilot after / pilot before) / (others after / others before) - 1,

the pilot's relative change beyond the others' (0 when both moved alike). Its 95% interval comes
from a seeded case bootstrap of each of the four groups on its own (`compare.bootstrap_quantile`),
and the groups, the "too few cases" rule and the words of a verdict are compare.py's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from journeymap.core.durations import format_seconds_as_text
from journeymap.core.errors import JourneyError
from journeymap.core.numbers import format_change, format_share
from journeymap.decide.compare import (
    OPEN_CAUTION,
    _Sorted,
    _sorted_quantile,
    bootstrap_quantile,
    change_groups,
    draw_ratio,
    interval_text,
    segment_values,
)
from journeymap.engine.stats import LEVEL, MIN_CASES, RESAMPLES, quantile_of
from journeymap.journey.model import Change, Journey
from journeymap.measures.casetimes import CaseTimes

__all__ = ["PilotComparison", "compare_pilot", "did_effect", "pilot_mask", "parse_pilot", "pilot_text",
           "latest_pilot", "GROUPS"]

GROUPS = ("pilot_before", "pilot_after", "others_before", "others_after")
_STATS = {name: quantile_of(name) for name in ("median", "p85")}
_BIN_DAYS = (7, 14, 28, 56)  # trend bins: the shortest holding enough pilot cases a bin
_CASES_PER_BIN = 15

Pilot = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PilotComparison:
    """A pilot against everyone else, before and after a change: lead time and every step, and the trend."""

    pilot: Pilot
    day: dt.date
    title: str
    lead_time: dict[str, Any]
    steps: pd.DataFrame
    trend: pd.DataFrame
    group_sizes: dict[str, int]
    min_cases: int
    resamples: int
    seed: int
    window_days: int | None = None

    def verdicts(self) -> list[str]:
        """Lead time, then the steps where the pilot's effect is clear, largest first."""
        steps = self.steps[self.steps["significant"] | self.steps["p85_significant"]] if len(self.steps) else self.steps
        if not len(steps):
            return [self.lead_time["verdict"]]
        size = np.maximum(steps["change"].abs().fillna(0), steps["p85_change"].abs().fillna(0))
        return [self.lead_time["verdict"], *steps.assign(size=size).sort_values("size", ascending=False)["verdict"]]


def parse_pilot(texts: Sequence[str] | str) -> Pilot:
    """`COL=VALUE` texts (one or several, all of which a pilot case matches) as (column, value) pairs."""
    pairs = []
    for text in [texts] if isinstance(texts, str) else texts:
        column, sep, value = text.partition("=")
        if not sep or not column.strip() or not value.strip():
            raise JourneyError(f"--pilot '{text}' is not COLUMN=VALUE; write it like --pilot department=Sales.")
        pairs.append((column.strip(), value.strip()))
    return tuple(pairs)


def pilot_text(pilot: Pilot | Mapping[str, str]) -> str:
    """A pilot as people read it: "department Sales", "department Sales and location Berlin"."""
    pairs = pilot.items() if isinstance(pilot, Mapping) else pilot
    return " and ".join(f"{column} {value}" for column, value in pairs)


def latest_pilot(journey: Journey | None) -> Change | None:
    """The most recent dated change that names a pilot, if any."""
    piloted = sorted((c for c in journey.changes if c.pilot), key=lambda c: c.date) if journey else []
    return piloted[-1] if piloted else None


def pilot_mask(times: CaseTimes, pilot: Pilot) -> np.ndarray:
    """Cases in the pilot: each of its columns holds its value. An unknown value is a JourneyError."""
    if not pilot:
        raise JourneyError("Name the pilot segment, e.g. --pilot department=Sales.")
    mask = np.ones(times.n_cases, dtype=bool)
    for column, value in pilot:
        if column not in times.segments:
            raise JourneyError(f"No segment column '{column}' in the event log; its attribute columns are: "
                               f"{', '.join(times.segments) or 'none'}.", source=column)
        values = segment_values(times, column)
        if not (values == value).any():
            known = pd.Series(values).value_counts().index[:12]
            raise JourneyError(f"No case has {column} = {value}; its values are: {', '.join(map(str, known))}.",
                               source=column)
        mask &= values == value
    return mask


def compare_pilot(times: CaseTimes, date: dt.date | str, pilot: Pilot | Mapping[str, str], *,
                  window_days: int | None = None, min_cases: int = MIN_CASES, resamples: int = RESAMPLES,
                  seed: int = 0, title: str = "") -> PilotComparison:
    """The pilot's effect beyond the others' change, on lead time and on the time to arrive at each step."""
    day = dt.date.fromisoformat(date) if isinstance(date, str) else date
    pilot = tuple(pilot.items()) if isinstance(pilot, Mapping) else tuple(pilot)
    inside = pilot_mask(times, pilot)
    before, after = change_groups(times, day, window_days)
    groups = (inside & before, inside & after, ~inside & before, ~inside & after)
    rng = np.random.default_rng(seed)
    data = _Sorted.of(times)
    tag = f", pilot {pilot_text(pilot)}"
    lead = did_effect([data.lead[g[data.lead_case]] for g in groups], min_cases, resamples, rng)
    lead = {"label": "Lead time", **lead}
    lead["verdict"] = _verdict(lead, tag, min_cases)
    still_open = times.status_is("in_flight")
    shares = {name: float((g & still_open).sum() / max(int(g.sum()), 1)) for name, g in zip(GROUPS, groups)}
    lead.update({f"in_flight_share_{name}": share for name, share in shares.items()})
    worst = max(shares, key=shares.__getitem__)
    if shares[worst] > OPEN_CAUTION:  # as compare: slow cases finish last, so a young group looks fast
        who, when = worst.split("_")
        lead["verdict"] += (f" Caution: {format_share(shares[worst])} of the "
                            f"{'pilot' if who == 'pilot' else 'others'}' cases {when} the change are still open, "
                            "and the slow ones finish last.")
    rows = []
    for code in range(len(times.steps)):
        arrivals = [data.arrivals(code, g) for g in groups]
        if not any(len(a) for a in arrivals):
            continue
        row = {"step": times.steps[code], "label": times.labels[code],
               **did_effect(arrivals, min_cases, resamples, rng)}
        row["verdict"] = _verdict(row, tag, min_cases)
        rows.append(row)
    return PilotComparison(pilot, day, title, lead, pd.DataFrame(rows), _trend(times, data, inside, day),
                           {name: int(g.sum()) for name, g in zip(GROUPS, groups)}, min_cases, resamples, seed,
                           window_days)


def did_effect(groups: Sequence[np.ndarray], min_cases: int = MIN_CASES, resamples: int = RESAMPLES,
               rng: np.random.Generator | None = None) -> dict[str, Any]:
    """The difference-in-differences of sorted values in GROUPS order, on the median and the p85.

    `change` (and `p85_change`) is the pilot's relative change beyond the others'; `pilot_change`
    and `others_change` are each group's plain before/after. NaN with fewer than `min_cases` a group.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    row: dict[str, Any] = {}
    for name, values in zip(GROUPS, groups):
        row[f"n_{name}"] = len(values)
        for stat, q in _STATS.items():
            row[f"{stat}_s_{name}"] = _sorted_quantile(values, q)
    enough = min(len(g) for g in groups) >= min_cases
    for stat, q in _STATS.items():
        prefix = "" if stat == "median" else f"{stat}_"
        pb, pa, ob, oa = (row[f"{stat}_s_{name}"] for name in GROUPS)
        usable = enough and pb > 0 and ob > 0 and oa > 0
        pilot, others = (pa / pb - 1, oa / ob - 1) if usable else (float("nan"), float("nan"))
        change = (pa / pb) / (oa / ob) - 1 if usable else float("nan")
        low = high = float("nan")
        if usable:
            draws = [bootstrap_quantile(g, q, resamples, rng) for g in groups]
            effect = draw_ratio(draw_ratio(draws[1], draws[0]), draw_ratio(draws[3], draws[2]))
            low, high = (float(x) - 1 for x in np.quantile(effect, [(1 - LEVEL) / 2, (1 + LEVEL) / 2]))
        row.update({f"{prefix}change": change, f"{prefix}ci_low": low, f"{prefix}ci_high": high,
                    f"{prefix}significant": bool(low > 0 or high < 0), f"{prefix}pilot_change": pilot,
                    f"{prefix}others_change": others})
    return row


def _verdict(row: dict[str, Any], tag: str, min_cases: int) -> str:
    """One sentence: the effect beyond the others' change and its interval, then what each group did."""
    label = row["label"] + tag
    sizes = [row[f"n_{name}"] for name in GROUPS]
    if min(sizes) < min_cases:
        counts = ", ".join(f"{n:,} {name.replace('_', ' ')}" for n, name in zip(sizes, GROUPS))
        return f"{label}: too few cases to tell ({counts}; {min_cases} each needed)."
    parts = []
    for stat in _STATS:
        prefix = "" if stat == "median" else f"{stat}_"
        pb, pa, ob, oa = (format_seconds_as_text(row[f"{stat}_s_{name}"]) for name in GROUPS)
        change = row[f"{prefix}change"]
        if change != change:
            parts.append(f"{stat} pilot {pb} → {pa}, others {ob} → {oa}")
            continue
        interval = interval_text(change, row[f"{prefix}ci_low"], row[f"{prefix}ci_high"])
        if row[f"{prefix}significant"]:
            head = (
                f"{stat} {'fell' if change < 0 else 'rose'} {format_change(abs(change))[1:]} beyond the others' change"
            )
        else:
            head = f"{stat}: no clear effect beyond the others' change"
        parts.append(f"{head} {interval}: pilot {pb} → {pa} ({format_change(row[f'{prefix}pilot_change'])}), "
                     f"others {ob} → {oa} ({format_change(row[f'{prefix}others_change'])})")
    return f"{label}: {'; '.join(parts)}."


def _trend(times: CaseTimes, data: _Sorted, inside: np.ndarray, day: dt.date) -> pd.DataFrame:
    """Median lead time of completed cases by when they started, pilot and others, in equal bins of days.

    The bin is the shortest of 1, 2, 4 or 8 weeks that gives the pilot a median of `_CASES_PER_BIN`
    cases a bin; bins are aligned on the change date, so none straddles it.
    """
    columns = ["start", "end", "group", "cases", "median_s"]
    if not len(data.lead):
        return pd.DataFrame(columns=columns)
    start = times.start_us[data.lead_case]
    cut = pd.Timestamp(day, tz="UTC").value // 1000
    pilot = inside[data.lead_case]
    for days in _BIN_DAYS:
        width = days * 86_400_000_000
        bins = (start - cut) // width
        counts = np.bincount(bins[pilot] - bins.min(), minlength=1) if pilot.any() else np.zeros(1)
        if np.median(counts[counts > 0]) >= _CASES_PER_BIN if (counts > 0).any() else False:
            break
    frame = pd.DataFrame({"bin": bins, "group": np.where(pilot, "pilot", "others"), "lead_s": data.lead})
    table = frame.groupby(["bin", "group"], sort=True)["lead_s"].agg(cases="size", median_s="median").reset_index()
    table["start"] = pd.to_datetime(cut + table["bin"] * width, unit="us", utc=True)
    table["end"] = table["start"] + pd.Timedelta(days=days)
    return table[columns]
