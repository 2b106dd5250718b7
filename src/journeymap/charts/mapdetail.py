"""What the journey map draws at a detail level: the busiest steps and transitions, and what fits.

Two settings, as the two sliders process-mining users know from Disco and Celonis: *Steps*, how
many of the steps to draw, the ones most cases reached first; *Transitions*, the share of the
transitions between drawn steps to draw, busiest first. `map_detail` is the one function that
decides (the app, `journeymap export` and `journeymap report` all call it), and without settings
it picks the most the map's size can hold legibly, never fewer than the eight busiest steps.

Steps and transitions are ranked on the `reference` metrics, the unfiltered log's in the app:
what is drawn, and so where it sits, does not change when a filter does.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from journeymap.charts.layout import journey_layout
from journeymap.charts.style import type_scale
from journeymap.core.errors import JourneyError
from journeymap.measures.metrics import JourneyMetrics

__all__ = ["MapDetail", "map_detail", "parse_steps", "parse_transitions", "MIN_STEPS", "map_plot_size",
           "legible_height",
           "MIN_COLUMN_PX", "MIN_ROW_PX", "OFF_MAP_MIN_SHARE", "EXIT_SHOWN_SHARE"]

MIN_STEPS = 8  # a default never shows fewer than the eight busiest steps
MIN_COLUMN_PX = 84  # a layer of the map needs this many pixels: a label slot ("Background" at 12 px) and a gap
MIN_ROW_PX = 84  # a row: the measure above a step, the step (8 px or more), two lines of label under it
OFF_MAP_MIN_SHARE = 0.01  # off-map transitions taken by fewer cases than this are never drawn
EXIT_SHOWN_SHARE = 0.10  # an exit step this share of the cases reach is always drawn
_EDGES_PER_STEP = 1.6  # by default, about this many transitions per drawn step: more reads as spaghetti
Edge = tuple[str, str]


@dataclass(frozen=True)
class MapDetail:
    """The steps and transitions a map draws, and how many it leaves out.

    `bridges` are drawn lines standing in for the busiest path between two drawn steps through
    hidden ones (key: the two steps, value: the hidden steps passed), so no drawn step floats
    unconnected. `steps_setting` and `transitions_setting` are the two controls' values
    (a number of steps; a percentage).
    """

    steps: tuple[str, ...]
    transitions: tuple[Edge, ...]
    bridges: dict[Edge, tuple[str, ...]] = field(default_factory=dict)
    n_steps: int = 0
    n_transitions: int = 0
    steps_setting: int = 0
    transitions_setting: int = 100

    @property
    def edges(self) -> tuple[Edge, ...]:
        """Every line drawn between two steps: transitions, then bridges."""
        return (*self.transitions, *self.bridges)

    @property
    def hidden_steps(self) -> int:
        return self.n_steps - len(self.steps)

    @property
    def hidden_transitions(self) -> int:
        return self.n_transitions - len(self.transitions)

    def caption(self, hint: str = "drag Steps to show more") -> str:
        """What is left out, in one sentence ("" when the map shows everything)."""
        parts = []
        if self.hidden_steps:
            parts.append(f"{self.hidden_steps:,} of {self.n_steps:,} steps")
        if self.hidden_transitions:
            parts.append(f"{self.hidden_transitions:,} of {self.n_transitions:,} transitions")
        if not parts:
            return ""
        verb = "is" if len(parts) == 1 and (self.hidden_steps or self.hidden_transitions) == 1 else "are"
        text = f"{' and '.join(parts)} {verb} hidden"
        if self.bridges:
            text += "; dotted lines run through hidden steps"
        return f"{text}; {hint}." if hint else f"{text}."


def parse_steps(text: str) -> int | float:
    """`--steps`: a number of steps ("12"), a share of them ("60%") or "all"."""
    value = text.strip().lower()
    if value == "all":
        return 1.0
    try:
        if value.endswith("%"):
            share = float(value[:-1]) / 100
            if 0 < share <= 1:
                return share
        elif int(value) >= 1:
            return int(value)
    except ValueError:
        pass
    raise JourneyError(f"--steps '{text}' is not a number of steps or a percentage: write e.g. --steps 12, "
                       "--steps 60% or --steps all.")


def parse_transitions(text: str) -> int:
    """`--transitions`: the percentage of transitions between drawn steps to draw ("40%", "40" or "all")."""
    value = text.strip().lower()
    if value == "all":
        return 100
    try:
        percent = float(value.removesuffix("%"))
        if 0 <= percent <= 100:
            return int(math.ceil(percent))
    except ValueError:
        pass
    raise JourneyError(f"--transitions '{text}' is not a percentage from 0 to 100: write e.g. --transitions 40% "
                       "or --transitions all.")


def map_plot_size(width: int | None, height: int | None, large: bool = False, titled: bool = True,
                  subtitle_lines: int = 1, scale: float | None = None) -> tuple[float, float]:
    """Pixels left for the map's lanes in a chart of width x height: less padding, the lane
    names' gutter, the title and subtitle lines and the legends under the map."""
    k = type_scale(large, scale)
    plot_width = (width or 1200) - 24 * k - 24 * k
    title = (22 * k * 1.2 + 14 * k + subtitle_lines * 14 * k * 1.25) if titled else 0
    plot_height = (height or 675) - 24 * k - 64 * k - title
    return plot_width, plot_height


def legible_height(journey: Any, detail: MapDetail, width: int, height: int, subtitle_lines: int = 2) -> int:
    """`height`, or more when the steps drawn need more rows than it holds at `MIN_ROW_PX` each (a measure,
    a step and two lines of label): the least detail (the eight busiest steps) can need more rows than a
    short map has, and there its labels would be cut to one line."""
    layout = journey_layout(journey, [s for s in detail.steps if s not in journey.steps_by_id], steps=detail.steps,
                            edges=detail.edges)
    _, plot_height = map_plot_size(width, height, subtitle_lines=subtitle_lines)
    return height + max(0, math.ceil(layout.height * MIN_ROW_PX - plot_height))


def map_detail(metrics: JourneyMetrics, *, steps: int | float | None = None, transitions: int | None = None,
               hotspots: Iterable[Any] = (), show_off_map: bool = False, reference: JourneyMetrics | None = None,
               width: int | None = None, height: int | None = None, large: bool = False,
               titled: bool = True, scale: float | None = None) -> MapDetail:
    """The steps and transitions the map draws.

    `steps`: how many (an int), a share of them (a float up to 1.0), or None for the most that
    fit a width x height chart (at least the eight busiest). `transitions`: the percentage of the
    transitions between drawn steps to draw, busiest first, or None for about 1.6 per step.
    The start and end steps, every exit step that `EXIT_SHOWN_SHARE` of the cases reach and every
    hotspot in `hotspots` (steps or `Hotspot`s) are always drawn. Ranks come from `reference` (default: `metrics`).
    """
    journey = metrics.journey
    if journey is None:
        raise JourneyError("The map needs a journey definition; load one with the event log.")
    reference = reference or metrics
    reached = dict(zip(reference.steps["step"], reference.steps["reached"]))
    on_map = [step.id for step in journey.steps]
    universe = list(on_map)
    if show_off_map:
        off = reference.steps[~reference.steps["on_map"] & (reference.steps["reached"] > 0)]
        universe += sorted(set(off["step"]) - set(on_map))
    rank = {step: i for i, step in enumerate(sorted(universe, key=lambda s: (-int(reached.get(s, 0) or 0),
                                                                              universe.index(s))))}
    # Where a tenth of the cases leave is part of the story even when few steps are drawn: in a log like
    # BPIC 2012, A_DECLINED (46% of the cases) was hidden behind a straight happy path. (Onboarding's Offer
    # withdrawn, 6%, waits for its rank: drawn, it would push the sample's map past a 1280x720 screen.)
    exits = [step for step in journey.exit if reached.get(step, 0) >= EXIT_SHOWN_SHARE * reference.n_cases > 0]
    must = [journey.start, *journey.end, *exits,
            *(getattr(h, "step", h) for h in hotspots)]
    forced = {step for step in must if step in rank}
    traffic = {(r["from"], r["to"]): int(r["count"]) for r in reference.transitions.to_dict("records")}
    candidates = _candidate_transitions(reference, journey, show_off_map)
    ends = set(journey.end) | set(journey.exit)

    def choose(count: int, percent: int | None) -> MapDetail:
        ranked = sorted(rank, key=rank.__getitem__)
        chosen = set(ranked[:count]) | forced
        shown = [s for s in universe if s in chosen]
        return _with_transitions(shown, candidates, traffic, percent, journey.start, ends, len(universe), count)

    total = len(universe)
    if steps is None:
        detail = _fitting(choose, total, transitions, journey, width, height, large, titled, len(forced), scale)
    else:
        count = int(math.ceil(steps * total)) if isinstance(steps, float) else int(steps)
        detail = choose(min(max(count, 1), total), transitions)
    return detail


def _candidate_transitions(reference: JourneyMetrics, journey: Any, show_off_map: bool) -> list[Edge]:
    """Transitions the map can draw: the designed ones, and with off-map activity the frequent others."""
    pairs = [(t.source, t.target_step) for t in journey.transitions]
    if show_off_map:  # only the frequent ones: a line per one-off would hide the design
        least = max(2, OFF_MAP_MIN_SHARE * reference.n_cases)
        table = reference.transitions
        pairs += sorted((a, b) for a, b, designed, count in
                        zip(table["from"], table["to"], table["designed"], table["count"])
                        if not designed and count >= least)
    return list(dict.fromkeys(pairs))


def _with_transitions(shown: list[str], candidates: list[Edge], traffic: dict[Edge, int], percent: int | None,
                      start: str, ends: set[str], n_steps: int, count: int) -> MapDetail:
    """The drawn steps with the busiest transitions between them, and bridges so none floats."""
    drawn = set(shown)
    between = [e for e in candidates if e[0] in drawn and e[1] in drawn]
    order = {edge: i for i, edge in enumerate(candidates)}
    busiest = sorted(between, key=lambda e: (-traffic.get(e, 0), order[e]))
    if percent is None:
        wanted = math.ceil(_EDGES_PER_STEP * len(shown))
        percent = 100 if len(between) <= wanted else int(math.ceil(100 * wanted / len(between)))
    kept = set(busiest[:int(math.ceil(percent / 100 * len(between)))])
    bridges = _bridges(shown, candidates, traffic, kept, start, ends)
    for edge, hidden in list(bridges.items()):
        if not hidden:  # a direct transition the Transitions setting had hidden: draw it as itself
            kept.add(edge)
            del bridges[edge]
    transitions = tuple(e for e in candidates if e in kept)
    return MapDetail(tuple(shown), transitions, bridges, n_steps, len(candidates), count, percent)


def _bridges(shown: list[str], candidates: list[Edge], traffic: dict[Edge, int], kept: set[Edge],
             start: str, ends: set[str]) -> dict[Edge, tuple[str, ...]]:
    """For each drawn step with no drawn way in (but the start) or out (but end and exit steps),
    the busiest path from or to another drawn step: a hidden transition, or a run through hidden steps.

    Why: a step drawn without a line into it reads as "nothing leads here", which the data
    contradicts; Disco keeps every drawn activity connected at its lowest path setting for the
    same reason. The path is the one whose quietest transition is busiest (the widest path), so
    the line stands for traffic that really runs that way; it is drawn dotted, as its own kind.
    """
    drawn = set(shown)
    into: dict[str, list[tuple[str, int]]] = {}
    out_of: dict[str, list[tuple[str, int]]] = {}
    for a, b in candidates:
        if a != b and traffic.get((a, b), 0) > 0:
            out_of.setdefault(a, []).append((b, traffic[(a, b)]))
            into.setdefault(b, []).append((a, traffic[(a, b)]))
    # A designed transition nobody took is drawn, but it is no way in or out.
    has_in = {b for a, b in kept if a != b and traffic.get((a, b), 0) > 0}
    has_out = {a for a, b in kept if a != b and traffic.get((a, b), 0) > 0}
    bridges: dict[Edge, tuple[str, ...]] = {}
    for step in shown:
        if step != start and step not in has_in:
            found = _widest(step, into, drawn)
            if found:
                other, hidden = found
                bridges.setdefault((other, step), hidden[::-1])
                has_out.add(other)
        if step not in ends and step not in has_out:
            found = _widest(step, out_of, drawn)
            if found:
                other, hidden = found
                bridges.setdefault((step, other), hidden)
                has_in.add(other)
    return bridges


def _widest(step: str, links: dict[str, list[tuple[str, int]]], drawn: set[str]
            ) -> tuple[str, tuple[str, ...]] | None:
    """The drawn step reached from `step` along `links` through hidden steps only, by the path whose
    quietest link is busiest (fewer hidden steps on a tie), with the hidden steps passed in order."""
    queue: list[tuple[int, int, str, tuple[str, ...]]] = [(-math.inf, 0, step, ())]  # type: ignore[list-item]
    done: set[str] = set()
    while queue:
        width, hops, node, passed = heapq.heappop(queue)
        if node != step and node in drawn:
            return node, passed
        if node in done:
            continue
        done.add(node)
        for other, count in links.get(node, []):
            if other != step and other not in done:
                through = passed if other in drawn else (*passed, other)
                heapq.heappush(queue, (max(width, -count), hops + 1, other, through))
    return None


def _fitting(choose: Any, total: int, transitions: int | None, journey: Any, width: int | None,
             height: int | None, large: bool, titled: bool, forced: int, scale: float | None = None) -> MapDetail:
    """The detail with the most steps whose layout fits the chart, and at least the eight busiest."""
    k = type_scale(large, scale)
    plot_width, plot_height = map_plot_size(width, height, large, titled, 2, scale)  # the subtitle and a hidden note
    max_layers = max(1, int(plot_width // (MIN_COLUMN_PX * k)))
    max_rows = max(1.0, plot_height / (MIN_ROW_PX * k))

    def fits(detail: MapDetail) -> bool:
        layout = journey_layout(journey, [s for s in detail.steps if s not in journey.steps_by_id],
                                steps=detail.steps, edges=detail.edges)
        return layout.n_layers <= max_layers and layout.height <= max_rows

    low = min(MIN_STEPS, total)
    best = choose(total, transitions)
    if fits(best) or total <= low:
        return best
    good = choose(low, transitions)
    high = total - 1  # the largest count that fits lies in [low, high]; assumes fewer steps fit better
    while low < high:
        middle = (low + high + 1) // 2
        detail = choose(middle, transitions)
        if fits(detail):
            low, good = middle, detail
        else:
            high = middle - 1
    return good


