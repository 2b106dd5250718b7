"""Where each step of a journey sits on the map, from the definition alone (never from metrics)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from .model import Journey

__all__ = ["JourneyLayout", "Lane", "journey_layout", "edge_curve", "find_back_edges", "OFF_MAP_LANE", "OFF_MAP_LABEL"]

OFF_MAP_LANE = "__off_map__"
OFF_MAP_LABEL = "Off the map"
_OFF_MAP_PER_ROW_MIN = 3  # an off-map row holds at least this many steps, even on a short journey


@dataclass(frozen=True)
class Lane:
    """A horizontal band of the map: one stage (or the off-map steps), `top` to `bottom` in rows."""

    stage: str
    label: str
    top: float
    bottom: float

    @property
    def middle(self) -> float:
        """The row in the middle of the lane, where its label goes."""
        return (self.top + self.bottom) / 2


@dataclass(frozen=True)
class JourneyLayout:
    """Positions of steps: `x` is the layer (0 = start, left), `y` the row from the top (0.5 = first row).

    `lanes` lists the stage lanes top to bottom (and the off-map lane last, when there are
    off-map steps); `back_edges` are the designed transitions that close a loop.
    """

    positions: dict[str, tuple[float, float]]
    layers: dict[str, int]
    lanes: tuple[Lane, ...]
    back_edges: set[tuple[str, str]] = field(default_factory=set)
    n_layers: int = 1
    height: float = 1.0

    def lane_of(self, step: str) -> str:
        """The stage id of the lane a step sits in."""
        y = self.positions[step][1]
        return next(lane.stage for lane in self.lanes if lane.top <= y <= lane.bottom)


def journey_layout(journey: Journey, off_map_steps: Iterable[str] = ()) -> JourneyLayout:
    """Lay a journey out in layers (left to right) and stage lanes (top to bottom)."""
    order = {step.id: index for index, step in enumerate(journey.steps)}
    back_edges = find_back_edges(journey)
    layers = _longest_path_layers(journey, back_edges, order)
    n_layers = max(layers.values(), default=0) + 1

    cells: dict[tuple[str, int], list[str]] = {}
    for step in journey.steps:
        cells.setdefault((step.stage, layers[step.id]), []).append(step.id)
    stages = [(stage.id, stage.label) for stage in journey.stages]
    known = {stage_id for stage_id, _ in stages}
    stages += [(step.stage, step.stage) for step in journey.steps if step.stage not in known]
    stages = list(dict.fromkeys(stages))

    positions: dict[str, tuple[float, float]] = {}
    lanes: list[Lane] = []
    top = 0.0
    for stage_id, label in stages:
        stage_cells = {layer: steps for (stage, layer), steps in cells.items() if stage == stage_id}
        rows = max((len(steps) for steps in stage_cells.values()), default=1)
        for layer, steps in stage_cells.items():
            offset = (rows - len(steps)) / 2
            for index, step in enumerate(steps):
                positions[step] = (float(layer), top + offset + index + 0.5)
        lanes.append(Lane(stage_id, label, top, top + rows))
        top += rows

    extra = sorted(set(off_map_steps) - set(positions))
    if extra:
        per_row = max(n_layers, _OFF_MAP_PER_ROW_MIN)
        rows = -(-len(extra) // per_row)
        for index, step in enumerate(extra):
            row, column = divmod(index, per_row)
            in_row = min(per_row, len(extra) - row * per_row)
            x = (column + 0.5) * n_layers / in_row - 0.5
            positions[step] = (x, top + row + 0.5)
        lanes.append(Lane(OFF_MAP_LANE, OFF_MAP_LABEL, top, top + rows))
        top += rows
    return JourneyLayout(positions, layers, tuple(lanes), back_edges, n_layers, top)


def edge_curve(layout: JourneyLayout, source: str, target: str, *, points: int = 15,
               aspect: float = 1.4) -> list[tuple[float, float]]:
    """Points along the drawn line of a transition: straight, or bent where it would be hidden.

    Loops (back edges) and lines that would run through another step bend, to whichever side
    stays on the map and keeps further from other steps (their left on a tie), so a loop never
    lies on top of the forward transition it returns along. `aspect` is how many rows one layer
    is wide on screen, to keep bends round.
    """
    (x0, y0), (x1, y1) = layout.positions[source], layout.positions[target]
    if source == target:  # a self-loop: a small arc above the step
        return [(x0 + 0.36 * np.sin(t) / aspect, y0 - 0.45 * (1 - np.cos(t)) / 2)
                for t in np.linspace(0, 2 * np.pi, points)]
    dx, dy = (x1 - x0) * aspect, y1 - y0
    length = max((dx * dx + dy * dy) ** 0.5, 1e-9)
    if (source, target) not in layout.back_edges and not _passes_a_step(layout, source, target):
        return [(x0 + t * (x1 - x0), y0 + t * (y1 - y0)) for t in np.linspace(0, 1, points)]
    others = [(x * aspect, y) for step, (x, y) in layout.positions.items() if step not in (source, target)]

    def curve(bend: float) -> list[tuple[float, float]]:
        cx, cy = (x0 + x1) / 2 + dy / length * bend / aspect, (y0 + y1) / 2 - dx / length * bend
        return [((1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t * t * x1,
                 (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t * t * y1) for t in np.linspace(0, 1, points)]

    def clearance(line: list[tuple[float, float]]) -> float:
        inner = line[2:-2] or line
        return min((((px * aspect - ox) ** 2 + (py - oy) ** 2) ** 0.5 for px, py in inner for ox, oy in others),
                   default=float("inf"))

    def inside(line: list[tuple[float, float]]) -> bool:
        return all(0 <= py <= layout.height for _, py in line)

    bend = 0.5 + 0.12 * length  # the middle of the curve moves half of this
    return max((curve(bend), curve(-bend)), key=lambda line: (inside(line), round(clearance(line), 2)))


def _passes_a_step(layout: JourneyLayout, source: str, target: str, clearance: float = 0.3) -> bool:
    """True when the straight line between two steps runs close to a third step."""
    (x0, y0), (x1, y1) = layout.positions[source], layout.positions[target]
    for step, (x, y) in layout.positions.items():
        if step in (source, target):
            continue
        vx, vy, wx, wy = x1 - x0, y1 - y0, x - x0, y - y0
        t = (vx * wx + vy * wy) / max(vx * vx + vy * vy, 1e-9)
        if 0.05 < t < 0.95 and ((x0 + t * vx - x) ** 2 + (y0 + t * vy - y) ** 2) ** 0.5 < clearance:
            return True
    return False


def find_back_edges(journey: Journey) -> set[tuple[str, str]]:
    """Transitions that point back to a step still open in a depth-first walk from `start`.

    The walk follows transitions in definition order, so the same YAML always gives the same loops.
    """
    successors: dict[str, list[str]] = {step.id: [] for step in journey.steps}
    for transition in journey.transitions:
        successors.setdefault(transition.source, []).append(transition.target_step)
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    back: set[tuple[str, str]] = set()
    roots = [journey.start] + [step.id for step in journey.steps]
    for root in roots:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(successors.get(root, [])))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(successors.get(child, []))))
    return back


def _longest_path_layers(journey: Journey, back_edges: set[tuple[str, str]],
                         order: dict[str, int]) -> dict[str, int]:
    """Layer of each step: the longest path to it from a source of the loop-free graph."""
    dag = nx.DiGraph()
    dag.add_nodes_from(order)
    dag.add_edges_from((t.source, t.target_step) for t in journey.transitions
                       if (t.source, t.target_step) not in back_edges and t.source != t.target_step)
    layers: dict[str, int] = {}
    for step in nx.lexicographical_topological_sort(dag, key=order.__getitem__):
        layers[step] = max((layers[source] + 1 for source in dag.predecessors(step)), default=0)
    return layers
