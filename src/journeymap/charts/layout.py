"""Where each step of a journey sits on the map, from the definition alone (never from metrics).

A layered (Sugiyama) layout in stage lanes: loops are broken at the transitions that close them
(`find_back_edges`), steps get layers left to right by the longest path to them, a transition
that spans several layers gets a slot ("dummy") in every layer it passes, the order within each
layer is found by barycentre sweeps that minimise crossings without leaving the stage lanes, and
rows are placed so that a step sits level with its neighbours where the lane has room.

Why not igraph's `layout_sugiyama`: it cannot keep steps inside their stage lanes (the order in a
layer must group by lane), and what is left of it is a few dozen lines on networkx.

Positions depend on the definition and on which steps and transitions are drawn (the map's
detail level), never on measured figures, so a filter never moves a step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from journeymap.journey.model import Journey

__all__ = ["JourneyLayout", "Lane", "journey_layout", "edge_curve", "find_back_edges", "OFF_MAP_LANE",
           "OFF_MAP_LABEL", "DUMMY_HEIGHT"]

OFF_MAP_LANE = "__off_map__"
OFF_MAP_LABEL = "Off the map"
_OFF_MAP_PER_ROW_MIN = 3  # an off-map row holds at least this many steps, even on a short journey
DUMMY_HEIGHT = 0.2  # rows a transition passing through a layer takes there (a step takes 1)
_SWEEPS = 8  # barycentre sweeps (down and up); the best order seen is kept
_ALIGN_ROUNDS = 6
Edge = tuple[str, str]


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
    off-map steps); `back_edges` are the drawn transitions that close a loop; `routes` holds, for
    each drawn transition between designed steps, the points it passes from its source to its
    target: the two steps and a free slot in every layer between them.
    """

    positions: dict[str, tuple[float, float]]
    layers: dict[str, int]
    lanes: tuple[Lane, ...]
    back_edges: set[Edge] = field(default_factory=set)
    n_layers: int = 1
    height: float = 1.0
    routes: dict[Edge, tuple[tuple[float, float], ...]] = field(default_factory=dict)

    def lane_of(self, step: str) -> str:
        """The stage id of the lane a step sits in."""
        y = self.positions[step][1]
        return next(lane.stage for lane in self.lanes if lane.top <= y <= lane.bottom)


def journey_layout(journey: Journey, off_map_steps: Iterable[str] = (), *, steps: Iterable[str] | None = None,
                   edges: Iterable[Edge] | None = None) -> JourneyLayout:
    """Lay a journey out in layers (left to right) and stage lanes (top to bottom).

    `steps` are the designed steps drawn (default all) and `edges` the transitions drawn between
    them (default the designed ones among `steps`; a map at a lower detail level adds transitions
    that stand in for paths through hidden steps). Off-map steps go into a lane of their own.
    """
    shown = set(journey.steps_by_id) if steps is None else set(steps) & set(journey.steps_by_id)
    order = {step.id: index for index, step in enumerate(journey.steps) if step.id in shown}
    if edges is None:
        edges = [(t.source, t.target_step) for t in journey.transitions]
    drawn = list(dict.fromkeys((a, b) for a, b in edges if a in order and b in order))
    roots = [journey.start] if journey.start in order else []
    back_edges = _back_edges(list(order), drawn, roots)
    layers = _longest_path_layers(order, [e for e in drawn if e not in back_edges and e[0] != e[1]])
    n_layers = max(layers.values(), default=0) + 1

    stages = [(stage.id, stage.label) for stage in journey.stages]
    known = {stage_id for stage_id, _ in stages}
    stages += [(step.stage, step.stage) for step in journey.steps if step.stage not in known]
    stages = list(dict.fromkeys(stages))
    lane_index = {stage_id: i for i, (stage_id, _) in enumerate(stages)}
    step_lane = {step.id: lane_index[step.stage] for step in journey.steps if step.id in order}

    chains, items = _chains(drawn, back_edges, layers, step_lane, order)
    columns = _order_layers(items, chains, n_layers, order)
    heights = {item: 1.0 if item in order else DUMMY_HEIGHT for item in items}
    lanes = _lanes(stages, columns, heights, items)
    ys = _rows(columns, chains, heights, items, {i: (lane.top, lane.bottom) for i, lane in enumerate(lanes)})

    positions = {step: (float(layers[step]), ys[step]) for step in order}
    routes: dict[Edge, tuple[tuple[float, float], ...]] = {}
    for edge, chain in chains.items():
        points = tuple((float(layers[i] if i in order else items[i][0]), ys[i]) for i in chain)
        routes[edge] = points[::-1] if edge in back_edges else points
    top = lanes[-1].bottom if lanes else 0.0
    lanes = [lane for lane in lanes if lane.bottom > lane.top or lane.stage in known]

    extra = sorted(set(off_map_steps) - set(positions) - set(journey.steps_by_id))
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
    return JourneyLayout(positions, layers, tuple(lanes), back_edges, n_layers, top, routes)


def _chains(drawn: list[Edge], back_edges: set[Edge], layers: dict[str, int], step_lane: dict[str, int],
            order: dict[str, int]) -> tuple[dict[Edge, list[str]], dict[str, tuple[int, int]]]:
    """Each drawn transition as the items it passes left to right, and every item's (layer, lane).

    A back edge is laid out as if it ran forwards (then drawn the other way); an item between
    two layers is a free slot named after its transition, in the lane between its ends' lanes.
    """
    items: dict[str, tuple[int, int]] = {step: (layers[step], step_lane[step]) for step in order}
    chains: dict[Edge, list[str]] = {}
    for n, edge in enumerate(drawn):
        source, target = edge
        if source == target:
            continue
        left, right = (target, source) if edge in back_edges else (source, target)
        low, high = layers[left], layers[right]
        chain = [left]
        for layer in range(low + 1, high):
            t = (layer - low) / (high - low)
            lane = int(round(step_lane[left] + t * (step_lane[right] - step_lane[left])))
            name = f"\x00{n}:{layer}"  # cannot clash with a step id
            items[name] = (layer, lane)
            chain.append(name)
        chain.append(right)
        chains[edge] = chain
    return chains, items


def _order_layers(items: dict[str, tuple[int, int]], chains: dict[Edge, list[str]], n_layers: int,
                  order: dict[str, int]) -> list[list[str]]:
    """Items of each layer top to bottom: grouped by lane, and within a lane by barycentre sweeps."""
    columns: list[list[str]] = [[] for _ in range(n_layers)]
    for item, (layer, _) in sorted(items.items(), key=lambda kv: (kv[1][1], order.get(kv[0], len(order)), kv[0])):
        columns[layer].append(item)
    left: dict[str, list[str]] = {item: [] for item in items}
    right: dict[str, list[str]] = {item: [] for item in items}
    for chain in chains.values():
        for a, b in zip(chain, chain[1:]):
            right[a].append(b)
            left[b].append(a)
    lane = {item: lane for item, (_, lane) in items.items()}

    def sweep(layer_range: range, neighbours: dict[str, list[str]], step: int) -> None:
        for layer in layer_range:
            fixed = {item: i for i, item in enumerate(columns[layer - step])}
            current = {item: i for i, item in enumerate(columns[layer])}

            def barycentre(item: str, fixed: dict[str, int] = fixed, current: dict[str, int] = current) -> float:
                seen = [fixed[n] for n in neighbours[item] if n in fixed]
                # An item with no neighbour there keeps its place, scaled to the other layer's length.
                return float(np.mean(seen)) if seen else current[item] * len(fixed) / max(len(current), 1)

            columns[layer].sort(key=lambda item: (lane[item], barycentre(item), current[item]))

    best, best_crossings = [list(c) for c in columns], _crossings(columns, right)
    for _ in range(_SWEEPS):
        if best_crossings == 0:
            break
        sweep(range(1, n_layers), left, 1)
        sweep(range(n_layers - 2, -1, -1), right, -1)
        crossings = _crossings(columns, right)
        if crossings < best_crossings:
            best, best_crossings = [list(c) for c in columns], crossings
    return best


def _crossings(columns: list[list[str]], right: dict[str, list[str]]) -> int:
    """How many pairs of segments cross between neighbouring layers."""
    total = 0
    for here, there in zip(columns, columns[1:]):
        where = {item: i for i, item in enumerate(there)}
        segments = sorted((i, where[b]) for i, a in enumerate(here) for b in right[a] if b in where)
        for index, (a, b) in enumerate(segments):
            total += sum(1 for (c, d) in segments[index + 1:] if c > a and d < b)
    return total


def _lanes(stages: list[tuple[str, str]], columns: list[list[str]], heights: dict[str, float],
           items: dict[str, tuple[int, int]]) -> list[Lane]:
    """Stage lanes stacked from row 0, each as tall as its fullest layer (in whole or half rows)."""
    lanes, top = [], 0.0
    for index, (stage_id, label) in enumerate(stages):
        fullest = max((sum(heights[i] for i in column if items[i][1] == index) for column in columns), default=0.0)
        rows = max(float(np.ceil(fullest * 2) / 2), 1.0) if fullest else 0.0
        lanes.append(Lane(stage_id, label, top, top + rows))
        top += rows
    return lanes


def _rows(columns: list[list[str]], chains: dict[Edge, list[str]], heights: dict[str, float],
          items: dict[str, tuple[int, int]], bounds: dict[int, tuple[float, float]]) -> dict[str, float]:
    """The row of every item: level with its neighbours where its lane and the items beside it allow."""
    neighbours: dict[str, list[str]] = {item: [] for item in items}
    for chain in chains.values():
        for a, b in zip(chain, chain[1:]):
            neighbours[a].append(b)
            neighbours[b].append(a)
    lanes = sorted(bounds)
    cells = [[[i for i in column if items[i][1] == lane] for lane in lanes] for column in columns]
    ys: dict[str, float] = {}
    for layer_cells in cells:  # start centred in each lane
        for lane, cell in zip(lanes, layer_cells):
            top, bottom = bounds[lane]
            y = top + (bottom - top - sum(heights[i] for i in cell)) / 2
            for item in cell:
                ys[item] = y + heights[item] / 2
                y += heights[item]
    for round_ in range(_ALIGN_ROUNDS):  # then pulled level with their neighbours, alternating direction
        layer_order = range(len(cells)) if round_ % 2 == 0 else range(len(cells) - 1, -1, -1)
        for layer in layer_order:
            for lane, cell in zip(lanes, cells[layer]):
                if not cell:
                    continue
                top, bottom = bounds[lane]
                wanted = []
                for item in cell:
                    near = [min(max(ys[n], top), bottom) for n in neighbours[item]]
                    wanted.append(float(np.median(near)) if near else ys[item])
                for item, y in zip(cell, _spread(wanted, [heights[i] for i in cell], top, bottom)):
                    ys[item] = y
    return ys


def _spread(wanted: Sequence[float], heights: Sequence[float], top: float, bottom: float) -> list[float]:
    """Rows as near as possible to `wanted` (least squares), in this order, not overlapping, inside the lane.

    With offsets S (each item's distance below the first), y - S must not decrease: an isotonic
    regression (pool adjacent violators), then clamped to the lane.
    """
    offsets = [0.0]
    for a, b in zip(heights, heights[1:]):
        offsets.append(offsets[-1] + (a + b) / 2)
    targets = [w - s for w, s in zip(wanted, offsets)]
    blocks: list[list[float]] = []  # [sum, count]
    for target in targets:
        blocks.append([target, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    z: list[float] = []
    for total, count in blocks:
        z += [total / count] * int(count)
    low, high = top + heights[0] / 2, bottom - heights[-1] / 2 - offsets[-1]
    return [min(max(value, low), max(high, low)) + offset for value, offset in zip(z, offsets)]


def edge_curve(layout: JourneyLayout, source: str, target: str, *, points: int = 15,
               aspect: float = 1.4, port: float | Mapping[int, float] = 0.3,
               loop: tuple[float, float] = (0.12, 0.2)) -> list[tuple[float, float]]:
    """Points along the drawn line of a transition.

    A transition between designed steps follows its route: level through each layer it passes
    (out to `port` layers either side of the step or slot, where the labels are), and an S-bend
    in the free space between two layers, so it never crosses a label or another step. `port`
    can be given per layer. A loop back to the layer before bows away from the forward
    transition it returns along.
    A self-loop is a small arc at the step's upper right, `loop` (layers, rows) in size.
    Transitions to or from off-map steps bend where they would run through a step, to whichever
    side keeps further from other steps. `aspect` is how many rows one layer is wide on screen.
    """
    if source == target:
        return _self_loop(layout.positions[source], loop, points)
    route = layout.routes.get((source, target))
    if route is None:
        return _bent_curve(layout, source, target, points, aspect)
    half = (lambda x: port.get(int(round(x)), 0.3)) if isinstance(port, Mapping) else (lambda x: float(port))
    back = (source, target) in layout.back_edges
    line: list[tuple[float, float]] = [route[0]]
    steps = max(4, points - 4)
    for (xa, ya), (xb, yb) in zip(route, route[1:]):
        way = 1.0 if xb >= xa else -1.0
        ax, bx = xa + way * half(xa), xb - way * half(xb)
        line.append((ax, ya))
        bow = 0.15 if back and len(route) == 2 else 0.0  # a longer loop has slots of its own
        for t in np.linspace(0, 1, steps)[1:-1]:
            # A cubic S-bend with level ends; a loop back also bows down, off its forward twin.
            s = 3 * t * t - 2 * t ** 3
            line.append((ax + (bx - ax) * t, ya + (yb - ya) * s + bow * np.sin(np.pi * t)))
        line.append((bx, yb))
        line.append((xb, yb))
    return _dedupe(line)


def _self_loop(at: tuple[float, float], size: tuple[float, float], points: int) -> list[tuple[float, float]]:
    """A small closed arc leaving and rejoining a step at its upper right, reaching out `size` at most."""
    x0, y0 = at
    rx, ry = size
    line = []
    for t in np.linspace(0, 1, points):
        angle = np.radians(-10 - 70 * t)  # from just above the right side to just right of the top
        reach = 0.35 + 0.65 * np.sin(np.pi * t)  # out and back
        line.append((x0 + rx * reach * np.cos(angle), y0 + ry * reach * np.sin(angle)))
    line[0], line[-1] = (x0, y0), (x0, y0)
    return line


def _dedupe(line: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out = [line[0]]
    for point in line[1:]:
        if abs(point[0] - out[-1][0]) > 1e-9 or abs(point[1] - out[-1][1]) > 1e-9:
            out.append(point)
    return out


def _bent_curve(layout: JourneyLayout, source: str, target: str, points: int,
                aspect: float) -> list[tuple[float, float]]:
    """A straight line, or one bent to the side that keeps further from other steps (off-map transitions)."""
    (x0, y0), (x1, y1) = layout.positions[source], layout.positions[target]
    dx, dy = (x1 - x0) * aspect, y1 - y0
    length = max((dx * dx + dy * dy) ** 0.5, 1e-9)
    if not _passes_a_step(layout, source, target):
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


def find_back_edges(journey: Journey) -> set[Edge]:
    """Transitions that point back to a step still open in a depth-first walk from `start`.

    The walk follows transitions in definition order, so the same YAML always gives the same loops.
    """
    return _back_edges([step.id for step in journey.steps],
                       [(t.source, t.target_step) for t in journey.transitions], [journey.start])


def _back_edges(nodes: list[str], edges: list[Edge], roots: list[str]) -> set[Edge]:
    """The edges closing a loop in a depth-first walk from `roots`, then from every node not yet seen."""
    successors: dict[str, list[str]] = {node: [] for node in nodes}
    for source, target in edges:
        successors.setdefault(source, []).append(target)
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    back: set[Edge] = set()
    for root in [*roots, *nodes]:
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


def _longest_path_layers(order: dict[str, int], edges: list[Edge]) -> dict[str, int]:
    """Layer of each step: the longest path to it from a source of the loop-free graph."""
    dag = nx.DiGraph()
    dag.add_nodes_from(order)
    dag.add_edges_from(edges)
    layers: dict[str, int] = {}
    for step in nx.lexicographical_topological_sort(dag, key=order.__getitem__):
        layers[step] = max((layers[source] + 1 for source in dag.predecessors(step)), default=0)
    return layers
