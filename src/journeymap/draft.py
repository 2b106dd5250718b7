"""Draft a journey definition from an event log: a starting point an ops lead can trust, then edit.

The draft measures like the log itself: `completion: last_event` (a case completes when its last
event is at an end step; lead time = case duration), end and exit steps as `outcomes.log_outcomes`
proposes them (or as the user chose), every activity a step and every observed transition
designed, so the drafted journey shows no off-map traffic against its own log unless the user left
rare activities out. Steps whose arrival is a system timer are marked `automatic`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import narwhals as nw
import networkx as nx

from .engine import to_pandas
from .errors import JourneyError
from .metrics import DEFAULT_STALE_AFTER_S, JourneyMetrics, compute_metrics
from .model import Journey, Stage, Step, Transition
from .outcomes import Outcome, Outcomes, log_outcomes

__all__ = ["DraftProposal", "propose_draft", "draft_journey", "draft_header", "timer_steps"]

# A step is reached by a timer when at least this share of its arrivals (and this many) take the
# same time to within 1%, and that time is at least an hour: people's work spreads out over
# hours and days, a rule such as "close 15 days after resolution" does not.
_TIMER_SHARE = 0.2
_TIMER_MIN_ARRIVALS = 20
_TIMER_MIN_S = 3600.0
_TIMER_BIN = math.log(1.02)  # bins 2% wide: a value within 1% of a bin's middle


@dataclass(frozen=True)
class DraftProposal:
    """What a draft would use, with case counts, for a user to confirm or change first."""

    n_cases: int
    starts: tuple[tuple[str, int], ...]   # (step, cases that start there), most first
    outcomes: Outcomes
    automatic: tuple[str, ...]
    activities: tuple[str, ...]   # every activity, most cases first
    metrics: JourneyMetrics = field(repr=False, compare=False)  # the bare log's, which the draft reuses

    @property
    def start(self) -> str:
        """The proposed start step: where most cases start."""
        return self.starts[0][0]


def propose_draft(events: Any) -> DraftProposal:
    """The start, end, exit and automatic steps a draft of this log would propose."""
    return _proposal(compute_metrics(events), events)


def draft_journey(events: Any, journey_id: str = "drafted", name: str = "Drafted journey", *,
                  start: str | None = None, end: Sequence[str] | None = None, exit: Sequence[str] | None = None,
                  min_case_share: float = 0.0, proposal: DraftProposal | None = None) -> Journey:
    """A journey drafted from canonical events: steps in their typical order, all observed transitions.

    `start`, `end` and `exit` are activity names the user chose (default: the proposal). Activities
    reached by fewer than `min_case_share` of the cases are left out (they show as off-map steps);
    the chosen start, end and exit steps always stay. `proposal` is `propose_draft(events)` when
    the caller has it already (it is the costly part).
    """
    proposal = proposal or propose_draft(events)
    metrics = proposal.metrics
    start = start or proposal.start
    exit = tuple(exit) if exit is not None else proposal.outcomes.exit_steps
    end = tuple(end) if end else tuple(s for s in proposal.outcomes.end_steps if s not in exit)
    _check_chosen(proposal, start, end, exit)
    reached = dict(zip(metrics.steps["step"], metrics.steps["reached"]))
    chosen = {start, *end, *exit}
    names_kept = {s for s, n in reached.items() if n >= min_case_share * metrics.n_cases or s in chosen}
    order = _typical_position(events)
    names = sorted(names_kept, key=lambda s: (order.get(s, 0.0), s))
    ids = _unique_ids(names)
    automatic = set(proposal.automatic)
    transitions = _observed_transitions(metrics, set(names), start)
    return Journey(
        id=journey_id, name=name, description="Drafted from an event log; edit stages, owners and targets.",
        stages=(Stage("journey", "Journey"),),
        steps=tuple(Step(ids[s], s, "journey", aliases=(s,), automatic=s in automatic) for s in names),
        transitions=tuple(Transition(ids[a], ids[b]) for a, b in transitions),
        start=ids[start], end=tuple(ids[s] for s in end), exit=tuple(ids[s] for s in exit if s not in end),
        stale_after_s=DEFAULT_STALE_AFTER_S, completion="last_event",
    )


def draft_header(proposal: DraftProposal, journey: Journey, source: str) -> str:
    """YAML comment lines that say what the draft chose and from how many cases, to check before editing."""
    labels = {step.id: step.label for step in journey.steps}
    ending = {o.step: o for o in proposal.outcomes.last_steps}
    starting = dict(proposal.starts)

    def counted(ids: Sequence[str], counts: str) -> str:
        named = [labels[i] for i in ids]
        if counts == "start":
            return "; ".join(f"{n} ({starting.get(n, 0):,} cases start here)" for n in named) or "none"
        return "; ".join(f"{n} ({ending[n].ending:,} cases end here)" if n in ending else n for n in named) or "none"

    automatic = [step.label for step in journey.steps if step.automatic]
    lines = [f"Drafted by journeymap from {source}: {proposal.n_cases:,} cases, {len(journey.steps)} steps, "
             f"{len(journey.transitions)} transitions.",
             f"start: {counted([journey.start], 'start')}",
             f"end: {counted(journey.end, 'end')}",
             f"exit: {counted(journey.exit, 'end')}",
             "completion: last_event = a case is completed when its last event is at an end step; lead time is "
             "its last event minus its first.",
             *([f"automatic (reached by a timer, not ranked as hotspots): {', '.join(automatic)}"] if automatic else []),
             "Change them with --start/--end/--exit, or edit below; add stages, owners and targets."]
    return "".join(f"# {line}\n" for line in lines)


def timer_steps(events: Any) -> tuple[str, ...]:
    """Activities whose arrival looks like a system timer (see `_TIMER_SHARE`), by name."""
    frame = nw.from_native(events).lazy().select("case", "activity", "ts", "row")
    gaps = frame.with_columns(
        gap_s=(nw.col("ts") - nw.col("ts").shift(1).over("case", order_by=["ts", "row"])) / 1_000_000)
    gaps = gaps.filter(nw.col("gap_s") >= _TIMER_MIN_S).with_columns(
        bin=(nw.col("gap_s").log() / _TIMER_BIN).round(0).cast(nw.Int64))
    counts = to_pandas(gaps.group_by("activity", "bin").agg(nw.len().alias("n")))
    totals = to_pandas(frame.with_columns(first=nw.col("ts").shift(1).over("case", order_by=["ts", "row"]).is_null())
                       .filter(~nw.col("first")).group_by("activity").agg(nw.len().alias("arrivals")))
    if counts.empty:
        return ()
    peak = counts.groupby("activity")["n"].max().rename("peak").reset_index().merge(totals, on="activity")
    timed = peak[(peak["peak"] >= _TIMER_MIN_ARRIVALS) & (peak["peak"] >= _TIMER_SHARE * peak["arrivals"])]
    return tuple(sorted(timed["activity"]))


def _proposal(metrics: JourneyMetrics, events: Any) -> DraftProposal:
    if metrics.n_cases == 0:
        raise JourneyError("The event log has no events to draft a journey from.")
    firsts = metrics.cases["first_step"].value_counts()
    starts = tuple((str(step), int(count)) for step, count in firsts.items())
    ending = {o.step: o for o in _outcomes_of(metrics)}
    outcomes = Outcomes(tuple(ending[s] for s in metrics.end_steps if s in ending),
                        tuple(ending[s] for s in metrics.exit_steps if s in ending), tuple(ending.values()))
    activities = tuple(metrics.steps.sort_values(["reached", "step"], ascending=[False, True])["step"])
    return DraftProposal(metrics.n_cases, starts, outcomes, timer_steps(events), activities, metrics)


def _outcomes_of(metrics: JourneyMetrics) -> list[Outcome]:
    """Every step cases end at, with its counts, from the measured tables (no second pass)."""
    lasts = metrics.cases["last_step"].value_counts()
    reached = dict(zip(metrics.steps["step"], metrics.steps["reached"]))
    return [Outcome(step, int(count), int(reached[step])) for step, count in lasts.items()]


def _check_chosen(proposal: DraftProposal, start: str, end: Sequence[str], exit: Sequence[str]) -> None:
    known = set(proposal.activities)
    for role, names in (("start", [start]), ("end", end), ("exit", exit)):
        for activity in names:
            if activity not in known:
                raise JourneyError(f"The {role} step '{activity}' is no activity of the log; choose one of: "
                                   f"{', '.join(list(proposal.activities)[:12])}.")
    if not end:
        raise JourneyError("Choose at least one end step: an activity that completes a case.")


def _typical_position(events: Any) -> dict[str, float]:
    """Mean position of each activity's first occurrence within its case (0 = first event)."""
    frame = nw.from_native(events).select("case", "activity", "ts", "row")
    ranked = frame.with_columns(position=nw.col("ts").rank("ordinal").over("case", order_by=["ts", "row"]))
    firsts = ranked.group_by("case", "activity").agg(nw.col("position").min())
    table = to_pandas(firsts.group_by("activity").agg(nw.col("position").mean()))
    return dict(zip(table["activity"], table["position"]))


def _observed_transitions(metrics: JourneyMetrics, names: set[str], start: str) -> list[tuple[str, str]]:
    """Every observed transition between kept steps (loops included), and for a step no kept step
    leads to, one from the start, so that every step is reachable as a definition requires."""
    table = metrics.transitions
    kept = table[table["from"].isin(names) & table["to"].isin(names)]
    graph = nx.DiGraph(list(zip(kept["from"], kept["to"])))
    graph.add_nodes_from(names)
    reachable = nx.descendants(graph, start) | {start}
    ordered = table.sort_values("cases", ascending=False)
    for source, target in zip(ordered["from"], ordered["to"]):  # through hidden steps: the busiest way in
        if target in names and target not in reachable and source not in names:
            graph.add_edge(start, target)
            reachable |= nx.descendants(graph, target) | {target}
    for name in sorted(names - reachable):
        graph.add_edge(start, name)
        reachable |= nx.descendants(graph, name) | {name}
    return sorted(graph.edges)


def _unique_ids(names: list[str]) -> dict[str, str]:
    ids: dict[str, str] = {}
    for name in names:
        base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "step"
        if not base[0].isalnum():
            base = f"step_{base}"
        candidate, n = base, 2
        while candidate in ids.values():
            candidate, n = f"{base}_{n}", n + 1
        ids[name] = candidate
    return ids
