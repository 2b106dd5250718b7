"""Draft a journey definition from an event log: a starting point to edit by hand."""

from __future__ import annotations

import re
from typing import Any

import narwhals as nw
import networkx as nx

from .engine import to_pandas
from .metrics import DEFAULT_STALE_AFTER_S, compute_metrics
from .model import Journey, Stage, Step, Transition

__all__ = ["draft_journey"]


def draft_journey(events: Any, journey_id: str = "drafted", name: str = "Drafted journey",
                  min_case_share: float = 0.02, min_transition_share: float = 0.05) -> Journey:
    """Steps in their typical order, the transitions that carry most traffic, the usual end steps.

    Activities reached by fewer than `min_case_share` of cases stay out (they will show as off-map
    steps); a transition is kept when it carries `min_transition_share` of the cases leaving its
    step, or when a step would otherwise be unreachable.
    """
    metrics = compute_metrics(events)
    steps = metrics.steps[metrics.steps["reached"] >= max(1, min_case_share * metrics.n_cases)]
    order = _typical_position(events)
    names = sorted(steps["step"], key=lambda s: (order.get(s, 0.0), s))
    firsts = metrics.cases["first_step"].value_counts()
    start = next((s for s in firsts.index if s in names), names[0])
    ends = [s for s in metrics.end_steps if s in names] or [names[-1]]
    ids = _unique_ids(names)
    transitions = _main_transitions(metrics.transitions, set(names), start, min_transition_share)
    return Journey(
        id=journey_id, name=name, description="Drafted from an event log; edit stages, owners and targets.",
        stages=(Stage("journey", "Journey"),),
        steps=tuple(Step(ids[s], s, "journey", aliases=(s,)) for s in names),
        transitions=tuple(Transition(ids[a], ids[b]) for a, b in transitions),
        start=ids[start], end=tuple(ids[s] for s in ends), stale_after_s=DEFAULT_STALE_AFTER_S,
    )


def _typical_position(events: Any) -> dict[str, float]:
    """Mean position of each activity's first occurrence within its case (0 = first event)."""
    frame = nw.from_native(events).select("case", "activity", "ts", "row")
    ranked = frame.with_columns(position=nw.col("ts").rank("ordinal").over("case", order_by=["ts", "row"]))
    firsts = ranked.group_by("case", "activity").agg(nw.col("position").min())
    table = to_pandas(firsts.group_by("activity").agg(nw.col("position").mean()))
    return dict(zip(table["activity"], table["position"]))


def _main_transitions(table: Any, names: set[str], start: str, min_share: float) -> list[tuple[str, str]]:
    table = table[table["from"].isin(names) & table["to"].isin(names) & (table["from"] != table["to"])]
    leaving = table.groupby("from")["cases"].transform("sum")
    kept = table[table["cases"] >= min_share * leaving]
    graph = nx.DiGraph(list(zip(kept["from"], kept["to"])))
    graph.add_nodes_from(names)
    ordered = table.sort_values("cases", ascending=False)
    for source, target in zip(ordered["from"], ordered["to"]):
        reachable = nx.descendants(graph, start) | {start}
        if target not in reachable and source in reachable:
            graph.add_edge(source, target)
    reachable = nx.descendants(graph, start) | {start}
    for name in sorted(names - reachable):  # never seen after a reachable step: hang it off the start
        graph.add_edge(start, name)
    return sorted(graph.edges)


def _unique_ids(names: list[str]) -> dict[str, str]:
    ids: dict[str, str] = {}
    for name in names:
        base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "step"
        candidate, n = base, 2
        while candidate in ids.values():
            candidate, n = f"{base}_{n}", n + 1
        ids[name] = candidate
    return ids
