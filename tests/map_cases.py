"""Journeys for the map tests: every activity of a log as a step, and a generated ~25-step log.

The draft (`journeymap.measures.draft`) keeps the frequent activities only and is being reworked; these
journeys stand for what a draft of all activities will give, built straight from the log's
transitions so the map tests do not depend on the draft's rules.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from journeymap.journey.model import Journey, Stage, Step, Transition
from journeymap.measures.metrics import compute_metrics
from journeymap.testing import build_events


def every_activity_journey(events: Any, journey_id: str = "every_activity") -> Journey:
    """One stage, a step per activity (in order of first appearance in cases), a transition per observed pair."""
    metrics = compute_metrics(events)
    steps = metrics.steps.sort_values(["arrival_median_s", "step"], na_position="first")
    names = list(steps["step"])
    ids = {name: re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") + f"_{i}" for i, name in enumerate(names)}
    pairs = metrics.transitions[metrics.transitions["from"] != metrics.transitions["to"]]
    firsts = metrics.cases["first_step"].value_counts()
    lasts = metrics.cases["last_step"].value_counts()
    return Journey(
        id=journey_id, name="Every activity", stages=(Stage("journey", "Journey"),),
        steps=tuple(Step(ids[n], n, "journey", aliases=(n,)) for n in names),
        transitions=tuple(Transition(ids[a], ids[b]) for a, b in zip(pairs["from"], pairs["to"])),
        start=ids[firsts.index[0]], end=tuple(ids[n] for n in lasts.index[:2]))


def generated_log(n_steps: int = 25, n_cases: int = 400, seed: int = 7) -> Any:
    """Cases through `n_steps` activities with skips, loops and detours: about 70 distinct transitions."""
    rng = np.random.default_rng(seed)
    names = [f"Activity {chr(65 + i % 26)}{'' if i < 26 else i // 26} {word}" for i, word in
             zip(range(n_steps), ["received", "checked", "approved by manager", "sent back", "documents requested",
                                  "reviewed", "priced", "ordered", "shipped", "returned", "invoiced", "paid",
                                  "escalated to second line", "waiting", "reopened", "closed", "archived",
                                  "quality control", "customer notified", "survey sent", "refund issued",
                                  "cancelled", "merged", "split", "handed over"] * 3)]
    cases: dict[str, list[tuple[str, float]]] = {}
    for case in range(n_cases):
        hours, index, path = 0.0, 0, []
        while index < n_steps and len(path) < 40:
            path.append((names[index], hours))
            hours += float(rng.exponential(6.0))
            roll = rng.random()
            if roll < 0.08 and index > 2:
                index -= 1 if index % 3 else 2  # a loop back
            elif roll < 0.30:
                index += 2  # a skip
            else:
                index += 1
        cases[f"case {case}"] = path
    return build_events(cases)
