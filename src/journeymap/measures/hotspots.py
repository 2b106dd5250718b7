"""Hotspots: the few steps worth fixing, each with one plain sentence an ops lead can repeat."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from journeymap.core.durations import clock_words, format_seconds_as_text
from journeymap.core.numbers import format_share
from journeymap.measures.metrics import JourneyMetrics

__all__ = ["Hotspot", "find_hotspots", "where_time_goes", "hotspot_marker", "automatic_steps", "handoff_sentence",
           "KINDS"]

KINDS = ("delay", "target", "drop_off", "rework", "handoff")
_DELAY_SHARE = 0.15     # a step taking this share of lead time is a hotspot on its own
_DROP_OFF_RATE = 0.05   # below this, losing cases is noise rather than a pattern
_REWORK_RATE = 0.10     # one case in ten doing a step twice is worth a look
_MIN_CASES = 5          # rates over fewer cases than this say nothing
_MIN_FLAGGED = 3        # nor do two or fewer dropped or reworked cases
_REPEATS = 1.5          # visits per case from which a share is "over many repeats"
_LONG_TAIL = 10.0       # p95 this many times the median: the share comes from a few long waits ...
_LONG_TAIL_MEAN = 3.0   # ... as it does when the mean is this many times the median
_HANDOFF_SHARE = 0.10   # the worst team-to-team handoff is a hotspot from this share of lead time ...
_HANDOFFS_SHARE = _DELAY_SHARE  # ... and any handoff from the share that makes a step one
_SAME_WAIT = 0.8        # a handoff whose time arrives this much at one step flagged already is that step's


def hotspot_marker(rank: int) -> str:
    """The mark of the rank-th hotspot on the map and beside its sentence: ① to ⑩, then (11), (12) ...

    Circled numbers past ten are not in the charts' font (DejaVu Sans, which exports ship), so
    they would come out as empty boxes; Unicode has none past twenty.
    """
    return chr(0x245F + rank) if 1 <= rank <= 10 else f"({rank})"


@dataclass(frozen=True)
class Hotspot:
    """A step flagged for one or more reasons (`kinds`), with its sentence.

    A handoff hotspot (`kinds` ("handoff",)) is a team pair (`handoff`, labelled "A → B"), placed at
    the step where most of its waiting arrives, so that the map marks it there.
    """

    step: str
    label: str
    kinds: tuple[str, ...]
    delay_share: float
    sentence: str
    handoff: tuple[str, str] | None = None

    @property
    def detail(self) -> str:
        """The sentence without its leading label, capitalised: what a card under the label says."""
        rest = self.sentence.removeprefix(f"{self.label}: ")
        return rest[:1].upper() + rest[1:]


def find_hotspots(metrics: JourneyMetrics, top: int | None = None) -> list[Hotspot]:
    """Steps ranked by delay share, flagged for delay, a broken target, drop-off or rework (DESIGN.md),
    and the team-to-team handoffs that hold much of the lead time, ranked among them by their share.

    Every surface shows this one ranking, through `journeymap.measures.story.journey_story`. The p85
    impact of halving a step is a What-if figure and a map colour, not a reason here.
    """
    steps = metrics.steps[metrics.steps["reached"] > 0]
    if steps.empty:
        return []
    automatic = automatic_steps(metrics)
    worked = steps[~steps["step"].isin(automatic)]  # waiting for a timer is a rule, not work to fix
    top_delay = set(worked.nlargest(3, "delay_share").query("delay_share > 0")["step"])
    eligible = steps[steps["reached"] >= _MIN_CASES]
    losing = eligible[(eligible["drop_off_rate"] >= _DROP_OFF_RATE) & (eligible["dropped"] >= _MIN_FLAGGED)]
    top_drop = set(losing.nlargest(3, "drop_off_rate")["step"])
    hotspots = []
    for row in steps.itertuples(index=False):
        kinds = []
        if row.step in top_delay or (row.delay_share >= _DELAY_SHARE and row.step not in automatic):
            kinds.append("delay")
        if _breaks_target(row):
            kinds.append("target")
        if row.step in top_drop:
            kinds.append("drop_off")
        if (row.reached >= _MIN_CASES and row.rework_cases >= _MIN_FLAGGED
                and row.rework_cases / row.reached >= _REWORK_RATE):
            kinds.append("rework")
        if kinds:
            sentence = _sentence(row, kinds, metrics)
            hotspots.append(Hotspot(row.step, row.label, tuple(kinds), float(row.delay_share), sentence))
    hotspots = _with_handoffs(hotspots, metrics, automatic)
    # Ranked by the share of lead time a fix could win: a timer's share is none of it.
    hotspots.sort(key=lambda h: (-(0.0 if h.step in automatic else h.delay_share), -len(h.kinds), h.step,
                                 h.handoff is not None))
    return hotspots[:top] if top else hotspots


def where_time_goes(metrics: JourneyMetrics) -> str:
    """One sentence on where the time goes, for the top of a page or a report."""
    completed = metrics.lead_time.get("count", 0)
    if not completed:
        cases = f"{metrics.n_cases:,} case{'' if metrics.n_cases == 1 else 's'}"
        return f"No case has reached an end step yet ({cases} in the log)."
    automatic = automatic_steps(metrics)
    steps = metrics.steps[metrics.steps["delay_share"] > 0]
    timers = steps[steps["step"].isin(automatic)]
    top = steps[~steps["step"].isin(automatic)].nlargest(3, "delay_share")
    parts = [f"{row.label} ({format_share(row.delay_share)})" for row in top.itertuples()]
    working = " of working time" if metrics.time == "working" else ""
    median = format_seconds_as_text(metrics.lead_time['median_s'])
    finished = (f"1 case finished in {median}{working}" if completed == 1 else
                f"{completed:,} cases finished in a median of {median}{working} "
                f"(p85 {format_seconds_as_text(metrics.lead_time['p85_s'])})")
    if timers.empty:
        return (f"{finished}; {format_share(top['delay_share'].sum())} of that time is spent waiting to reach "
                f"{_join(parts)}.")
    waits = (timers["label"].iloc[0] if len(timers) == 1 else
             _join([f"{row.label} ({format_share(row.delay_share)})" for row in timers.itertuples()]))
    return (f"{finished}; {format_share(timers['delay_share'].sum())} of that time is the automatic wait for "
            f"{waits}, and {format_share(top['delay_share'].sum())} is spent waiting to reach {_join(parts)}.")


def automatic_steps(metrics: JourneyMetrics) -> set[str]:
    """Steps the journey marks `automatic` (reached by a system timer, not by work)."""
    journey = metrics.journey
    return {step.id for step in journey.steps if step.automatic} if journey else set()


def _end_phrase(metrics: JourneyMetrics) -> str:
    """'time to first login' where a designed journey's goal is one step; else 'lead time'."""
    if len(metrics.end_steps) == 1 and metrics.completion == "first_end":
        return f"time to {metrics.step_label(metrics.end_steps[0]).lower()}"
    return "lead time"


def _sentence(row: Any, kinds: list[str], metrics: JourneyMetrics) -> str:
    parts: list[str] = []
    if "delay" in kinds or "target" in kinds:
        parts.append(_delay_phrase(row, metrics, with_spread="target" not in kinds))
    if "target" in kinds:
        statistic = row.target_statistic
        clock = getattr(row, "target_time", None) or "calendar"
        working = clock_words(clock, metrics.time)  # say so where the clocks differ
        parts.append(f"{statistic} {format_seconds_as_text(_target_actual(row))}{working} against a target of "
                     f"{format_seconds_as_text(row.target_s)}")
    if "drop_off" in kinds:
        parts.append(f"{_cases(row.dropped)} ({format_share(row.drop_off_rate)}) went silent here")
    if "rework" in kinds:
        parts.append(f"{_cases(row.rework_cases)} ({format_share(row.rework_cases / row.reached)}) did it more "
                     "than once")
    return f"{row.label}: {', '.join(parts)}."


def _delay_phrase(row: Any, metrics: JourneyMetrics, with_spread: bool) -> str:
    """The share of lead time and where it comes from, so that a big share and a short median agree.

    A share can come from one long wait per case (median and p85 say it), from many short
    visits that add up (say how many), or from a few very long waits (say the tail).
    """
    share = f"{format_share(row.delay_share)} of {_end_phrase(metrics)}"
    median, mean, p95 = row.arrival_median_s, row.arrival_mean_s, row.arrival_p95_s
    if median is None or median != median:
        return share
    visits_per_case = row.events / row.reached if row.reached else 0.0
    floor = max(median, 1.0)
    # The mean far above the median: a long tail holds the time, not the typical arrival.
    long_tail = mean > _LONG_TAIL_MEAN * floor or p95 > _LONG_TAIL * floor
    tail = (f"p95 {format_seconds_as_text(p95)}" if p95 > _LONG_TAIL * floor
            else f"the longest {format_seconds_as_text(row.arrival_max_s)}")
    if visits_per_case >= _REPEATS and long_tail:
        return (f"{share} over {row.events:,} visits ({visits_per_case:.1f} per case), half of them within "
                f"{format_seconds_as_text(median)}, {tail}")
    if long_tail and with_spread:
        return f"{share}, mostly from a few long waits: median {format_seconds_as_text(median)}, {tail}"
    if not with_spread:
        return f"{share}, median {format_seconds_as_text(median)}"
    return f"{share}, median {format_seconds_as_text(median)}, p85 {format_seconds_as_text(row.arrival_p85_s)}"


def _with_handoffs(hotspots: list[Hotspot], metrics: JourneyMetrics, automatic: set[str]) -> list[Hotspot]:
    """The step hotspots and the team pairs whose handoffs hold much of the lead time: the worst from
    `_HANDOFF_SHARE`, any from `_HANDOFFS_SHARE`; a handoff into a timer step is a rule, not a wait.

    A handoff whose time is nearly all the arrival at one step already flagged says the same as
    that step: it joins that hotspot (kind and a clause) rather than being listed twice.
    """
    handoffs = metrics.handoffs
    if handoffs is None or handoffs.pairs.empty:
        return hotspots
    pairs = handoffs.pairs[(handoffs.pairs["cases"] >= _MIN_CASES) & ~handoffs.pairs["step"].isin(automatic)
                           & (handoffs.pairs["share_of_lead_time"] > 0)]
    at_step = {h.step: i for i, h in enumerate(hotspots)}
    for rank, row in enumerate(pairs.itertuples(index=False)):
        if row.share_of_lead_time < (_HANDOFF_SHARE if rank == 0 else _HANDOFFS_SHARE):
            continue
        label, pair = f"{row.from_owner} → {row.to_owner}", (row.from_owner, row.to_owner)
        same = at_step.get(row.step)
        if same is not None and row.step_share >= _SAME_WAIT and hotspots[same].handoff is None:
            step = hotspots[same]
            hotspots[same] = replace(step, kinds=(*step.kinds, "handoff"), handoff=pair,
                                     sentence=f"{step.sentence.removesuffix('.')}, at the handoff {label}.")
        else:
            hotspots.append(Hotspot(row.step, label, ("handoff",), float(row.share_of_lead_time),
                                    handoff_sentence(label, row, metrics), handoff=pair))
    return hotspots


def handoff_sentence(label: str, row: Any, metrics: JourneyMetrics) -> str:
    """'IT Procurement → IT Service Desk: 31% of lead time waits at this handoff, 1.4 handoffs per case, ...'."""
    return (f"{label}: {format_share(row.share_of_lead_time)} of lead time waits at this handoff, "
            f"{row.per_case:.1f} handoffs per case, median {format_seconds_as_text(row.median_s)}, most of it before "
            f"{metrics.step_label(row.step)}.")


def _breaks_target(row: Any) -> bool:
    statistic = getattr(row, "target_statistic", None)
    if not isinstance(statistic, str):
        return False
    actual = _target_actual(row)
    return actual is not None and not math.isnan(actual) and actual > row.target_s


def _target_actual(row: Any) -> float:
    """The target's statistic on the clock the target names (`metrics._with_target_actuals`)."""
    actual = getattr(row, "target_actual_s", None)
    if actual is None or actual != actual:
        return getattr(row, f"arrival_{row.target_statistic}_s", float("nan"))
    return actual


def _cases(count: int) -> str:
    return f"{count:,} case" if count == 1 else f"{count:,} cases"


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts) or "no step"
    return ", ".join(parts[:-1]) + " and " + parts[-1]

