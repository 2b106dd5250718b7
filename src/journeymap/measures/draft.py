"""Draft a journey definition from an event log: a starting point an ops lead can trust, then edit.

The draft measures like the log itself: `completion: last_event` (a case completes when its last
event is at an end step; lead time = case duration), end and exit steps as `outcomes.log_outcomes`
proposes them (or as the user chose), every activity a step and every observed transition
designed, so the drafted journey shows no off-map traffic against its own log unless the user left
rare activities out. Steps whose arrival is a system timer are marked `automatic`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import narwhals as nw
import networkx as nx

from journeymap.core.durations import format_duration
from journeymap.core.errors import JourneyError
from journeymap.engine.prepare import collect
from journeymap.journey.model import DEFAULT_STALE_AFTER_S, Journey, Stage, Step, Transition
from journeymap.log.columns import ACTIVITY_CODE, CASE_CODE
from journeymap.measures.logfacts import LogFacts, log_facts
from journeymap.measures.outcomes import WAIT_QUANTILE, Outcomes

__all__ = ["DraftProposal", "propose_draft", "draft_journey", "draft_header", "one_spelling", "timer_steps"]


@dataclass(frozen=True)
class DraftProposal:
    """What a draft would use, with case counts, for a user to confirm or change first."""

    n_cases: int
    starts: tuple[tuple[str, int], ...]   # (step, cases that start there), most first
    outcomes: Outcomes
    automatic: tuple[str, ...]
    activities: tuple[str, ...]   # every activity, most cases first
    facts: LogFacts = field(repr=False, compare=False)  # what the draft is built from

    @property
    def start(self) -> str:
        """The proposed start step: where most cases start."""
        return self.starts[0][0]


def propose_draft(events: Any) -> DraftProposal:
    """The start, end, exit and automatic steps a draft of this log would propose (activities that differ
    only in letter case or surrounding spaces are one, `one_spelling`: looked for in the facts' names, so
    the usual log is read once)."""
    facts = log_facts(events)
    if _spelled_apart(facts.reached):  # rare: the facts again, of the events with one spelling each
        facts = log_facts(one_spelling(events, list(facts.reached)))
    if facts.n_cases == 0:
        raise JourneyError("The event log has no events to draft a journey from.")
    starts = tuple(sorted(facts.starting.items(), key=lambda item: (-item[1], item[0])))
    activities = tuple(sorted(facts.reached, key=lambda a: (-facts.reached[a], a)))
    return DraftProposal(facts.n_cases, starts, facts.outcomes, facts.timers, activities, facts)


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
    facts = proposal.facts
    spelled = {activity.strip().lower(): activity for activity in proposal.activities}

    def as_written(name: str) -> str:  # a choice spelled as another spelling of a merged activity
        return spelled.get(name.strip().lower(), name)

    start = as_written(start) if start else proposal.start
    exit = tuple(map(as_written, exit)) if exit is not None else proposal.outcomes.exit_steps
    end = tuple(map(as_written, end)) if end else tuple(s for s in proposal.outcomes.end_steps if s not in exit)
    _check_chosen(proposal, start, end, exit)
    chosen = {start, *end, *exit}
    kept = {s for s, n in facts.reached.items() if n >= min_case_share * facts.n_cases or s in chosen}
    names = sorted(kept, key=lambda s: (facts.first_position.get(s, 0.0), s))
    ids = _unique_ids(names)
    automatic = set(proposal.automatic)
    transitions = _observed_transitions(facts.transitions, set(names), start)
    return Journey(
        id=journey_id, name=name, description="Drafted from an event log; edit stages, owners and targets.",
        stages=(Stage("journey", "Journey"),),
        steps=tuple(Step(ids[s], s, "journey", aliases=(s,), automatic=s in automatic) for s in names),
        transitions=tuple(Transition(ids[a], ids[b]) for a, b in transitions),
        start=ids[start], end=tuple(ids[s] for s in end), exit=tuple(ids[s] for s in exit if s not in end),
        stale_after_s=facts.stale_after_s, completion="last_event",
    )


def _spelled_apart(activities: Any) -> bool:
    """Whether two activities differ only in letter case or surrounding spaces."""
    names = [str(activity).strip().lower() for activity in activities]
    return len(set(names)) < len(names)


def one_spelling(events: Any, activities: Sequence[str]) -> Any:
    """The events with activities (`activities`: those they have) that differ only in letter case or
    surrounding spaces ("STEP A", "Step A ") written the way most of their events write them; the same
    events when none do.

    A journey matches activities so (`Journey.activity_map`): two drafted steps for one name would leave
    the second unreached and `validate` silent."""
    spellings: dict[str, list[str]] = {}
    for activity in activities:
        spellings.setdefault(activity.strip().lower(), []).append(activity)
    alike = [name for group in spellings.values() if len(group) > 1 for name in group]
    if not alike:
        return events
    frame = nw.from_native(events).with_columns(nw.col("activity").cast(nw.String))
    counts = collect(frame.lazy().filter(nw.col("activity").is_in(alike)).group_by("activity").agg(nw.len()))
    events_of = dict(zip(counts.get_column("activity").to_list(), counts.get_column("len").to_list()))
    written = {name: max(group, key=lambda a: (events_of.get(a, 0), a))
               for group in spellings.values() if len(group) > 1 for name in group}
    # An ingested log's activity codes are of the spellings as they were: dropped, so the engine codes anew.
    codes = [column for column in (CASE_CODE, ACTIVITY_CODE) if column in frame.columns]
    return frame.drop(codes).with_columns(
        nw.col("activity").replace_strict(written, default=nw.col("activity"), return_dtype=nw.String)).to_native()


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
    lines = [
        f"Drafted by journeymap from {source}: {proposal.n_cases:,} cases, {len(journey.steps):,} steps, "
        f"{len(journey.transitions):,} transitions.",
        f"start: {counted([journey.start], 'start')}",
        f"end: {counted(journey.end, 'end')}",
        f"exit: {counted(journey.exit, 'end')}",
        "completion: last_event = a case is completed when its last event is at an end step; lead time is "
        "its last event minus its first.",
        *([f"automatic (reached by a timer, not ranked as hotspots): {', '.join(automatic)}"] if automatic else []),
        f"stale_after: {format_duration(journey.stale_after_s)} = a case silent longer than this counts as dropped "
        + ("(30 days, or the log's own longest usual wait where that is longer)."
           if journey.stale_after_s == DEFAULT_STALE_AFTER_S else
           f"(longer than {WAIT_QUANTILE:.0%} of this log's waits between two events of a case; 30 days would "
           "call slow cases dropped)."),
        "Change them with --start/--end/--exit, or edit below; add stages, owners and targets.",
    ]
    return "".join(f"# {line}\n" for line in lines)


def timer_steps(events: Any) -> tuple[str, ...]:
    """Activities whose arrival looks like a system timer (`logfacts.TIMER_SHARE`), by name."""
    return log_facts(events).timers


def _check_chosen(proposal: DraftProposal, start: str, end: Sequence[str], exit: Sequence[str]) -> None:
    known = set(proposal.activities)
    for role, names in (("start", [start]), ("end", end), ("exit", exit)):
        for activity in names:
            if activity not in known:
                raise JourneyError(f"The {role} step '{activity}' is no activity of the log; choose one of: "
                                   f"{', '.join(list(proposal.activities)[:12])}.")
    if not end:
        raise JourneyError("Choose at least one end step: an activity that completes a case.")


def _observed_transitions(table: Any, names: set[str], start: str) -> list[tuple[str, str]]:
    """Every observed transition between kept steps (loops included), and for a step no kept step
    leads to, one from the start, so that every step is reachable as a definition requires."""
    # A few hundred moves: plain Python beats pandas' isin on Arrow text, which builds a scalar per name.
    graph = nx.DiGraph([(a, b) for a, b in zip(table["from"], table["to"]) if a in names and b in names])
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
