"""The journey as a designed graph: stages, steps, transitions, targets, OKRs and changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import networkx as nx

__all__ = ["DEFAULT_STALE_AFTER_S", "Journey", "Stage", "Step", "Transition", "Target", "Okr", "Change",
           "COMPLETION_RULES", "Calendar", "WEEKDAYS", "TIME_BASES"]

# When a case counts as completed, and so where its lead time ends (DESIGN.md, "Case status"):
# "first_end": at its first arrival at an end step (a designed journey: its goal is met);
# "last_event": when its last event is at an end step, lead time = last − first event (case
# duration, as pm4py and Disco measure it: a bare log and a drafted journey).
COMPLETION_RULES = ("first_end", "last_event")
DEFAULT_STALE_AFTER_S = 30 * 86400.0  # a case silent this long is dropped, unless the journey says otherwise
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # as the YAML writes them; Monday is 0
# Which clock a duration is on: "calendar" (every second counts) or "working" (only a team's
# working hours count, by its calendar; journeymap.engine.workingtime).
TIME_BASES = ("calendar", "working")


@dataclass(frozen=True)
class Target:
    """A time limit on a statistic of arrival times, such as p85 within 24 hours."""

    statistic: str
    seconds: float
    time: str = "calendar"  # TIME_BASES: the clock the limit is on


@dataclass(frozen=True)
class Calendar:
    """When a team works: weekdays and local hours in a time zone, less public holidays and closed days."""

    id: str
    timezone: str = "UTC"
    days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    hours: tuple[tuple[int, int], ...] = ((9 * 60, 17 * 60),)  # [start, end) in minutes after local midnight
    holidays: str | None = None  # a country code of the `holidays` package, e.g. "DE"
    subdivision: str | None = None  # a subdivision of that country, e.g. "BE" (Berlin)
    closed: tuple[dt.date, ...] = ()  # further days off (a company day, a shutdown)


@dataclass(frozen=True)
class Stage:
    """A lane of the journey, such as Pre-boarding or Day 1."""

    id: str
    label: str


@dataclass(frozen=True)
class Step:
    """One designed step; `aliases` are the activity names in event data that mean it."""

    id: str
    label: str
    stage: str
    owner: str = ""
    aliases: tuple[str, ...] = ()
    target: Target | None = None
    # A system step (an automatic close after 15 days, say): the wait to reach it is a rule, not
    # work, so it counts in lead time but is never ranked as a hotspot to fix.
    automatic: bool = False
    calendar: str | None = None  # the id of its calendar; else its owner's, else the journey's


@dataclass(frozen=True)
class Transition:
    """A designed move from one step to the next."""

    source: str
    target_step: str
    target: Target | None = None


@dataclass(frozen=True)
class Okr:
    """A key result on the time between two steps, e.g. offer to first login, p85, 48h -> 2h."""

    name: str
    from_step: str
    to_step: str
    statistic: str
    baseline_s: float
    target_s: float
    time: str = "calendar"  # TIME_BASES: the clock the OKR is measured on


@dataclass(frozen=True)
class Change:
    """A dated process change that touched some steps; `pilot` names the segment that tried it first
    (column, value pairs, all of which a case matches), compared against everyone else."""

    date: dt.date
    title: str
    steps: tuple[str, ...] = ()
    pilot: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Journey:
    """A designed journey; build it with `load_journey` or `journey_from_dict`."""

    id: str
    name: str
    stages: tuple[Stage, ...]
    steps: tuple[Step, ...]
    transitions: tuple[Transition, ...]
    start: str
    end: tuple[str, ...]
    exit: tuple[str, ...] = ()
    description: str = ""
    owner: str = ""
    stale_after_s: float = DEFAULT_STALE_AFTER_S
    okrs: tuple[Okr, ...] = ()
    changes: tuple[Change, ...] = ()
    completion: str = "first_end"
    calendars: tuple[Calendar, ...] = ()
    calendar: str | None = None  # the default calendar of every step (by id)
    owner_calendars: tuple[tuple[str, str], ...] = ()  # (owner team, calendar id) from `owners:`
    _graph: nx.DiGraph = field(default=None, init=False, repr=False, compare=False)  # type: ignore[assignment]

    def step(self, step_id: str) -> Step:
        """Return the step with this id."""
        return self.steps_by_id[step_id]

    @property
    def steps_by_id(self) -> dict[str, Step]:
        """Steps keyed by id, in definition order."""
        return {step.id: step for step in self.steps}

    @property
    def graph(self) -> nx.DiGraph:
        """The designed graph (networkx), steps as nodes with their attributes."""
        if self._graph is None:
            graph = nx.DiGraph()
            for step in self.steps:
                graph.add_node(step.id, label=step.label, stage=step.stage, owner=step.owner)
            for transition in self.transitions:
                graph.add_edge(transition.source, transition.target_step)
            object.__setattr__(self, "_graph", graph)
        return self._graph

    def mandatory_steps(self) -> set[str]:
        """Steps every designed path from start to an end step passes through (dominators)."""
        graph = self.graph.copy()
        sink = "__end__"
        graph.add_edges_from((end, sink) for end in self.end)
        dominators = nx.immediate_dominators(graph, self.start)
        mandatory: set[str] = set()
        node = sink
        while node != self.start:
            node = dominators[node]
            mandatory.add(node)
        return mandatory

    def calendar_of(self, step_id: str) -> Calendar | None:
        """The calendar a step's time is counted on: its own, else its owner's, else the journey's."""
        by_id = {calendar.id: calendar for calendar in self.calendars}
        step = self.steps_by_id.get(step_id)
        chosen = step.calendar if step is not None else None
        if chosen is None and step is not None and step.owner:
            chosen = dict(self.owner_calendars).get(step.owner)
        return by_id.get(chosen or self.calendar or "")

    @property
    def names_working_time(self) -> bool:
        """Whether a target or OKR is on working time: its figure needs the working clock whichever clock
        the durations are shown on."""
        targets = [step.target for step in self.steps] + [t.target for t in self.transitions]
        return (any(t is not None and t.time == "working" for t in targets)
                or any(o.time == "working" for o in self.okrs))

    def activity_map(self) -> dict[str, str]:
        """Lower-cased activity name -> step id, from ids, labels and aliases."""
        mapping: dict[str, str] = {}
        for step in self.steps:
            for name in (step.id, step.label, *step.aliases):
                mapping.setdefault(name.strip().lower(), step.id)
        return mapping

    def name_clashes(self) -> list[tuple[str, str, str]]:
        """(activity name, the step it matches, a later step that answers to it too) wherever two steps share
        a name in `activity_map`'s sense (once a pair): events so named count for the first step only."""
        first: dict[str, str] = {}
        clashes: dict[tuple[str, str], str] = {}  # one per pair of steps, whatever names they share
        for step in self.steps:
            for name in dict.fromkeys(n.strip().lower() for n in (step.id, step.label, *step.aliases)):
                owner = first.setdefault(name, step.id)
                if owner != step.id:
                    clashes.setdefault((owner, step.id), name)
        return [(name, owner, other) for (owner, other), name in clashes.items()]
