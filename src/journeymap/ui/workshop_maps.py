"""The workshop's journey maps: built once per view and size, then sent with a fresh table of dots and notes.

A screen that refreshes every few seconds sends the same chart spec with a new `workshop_marks`
dataset (a few rows), so the chart is never rebuilt on the server, and the map on the screen
keeps its place (and a participant's click) between refreshes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import streamlit as st

from journeymap.charts import map as mapchart
from journeymap.charts.layout import journey_layout
from journeymap.charts.mapdetail import MIN_COLUMN_PX, MIN_ROW_PX, MapDetail, map_detail, map_plot_size
from journeymap.measures.hotspots import Hotspot
from journeymap.ui import charting, data
from journeymap.workshop.reveal import MARKS
from journeymap.workshop.votechart import with_workshop_marks

__all__ = [
    "Size",
    "PROJECTOR_SMALL",
    "PROJECTOR_BIG",
    "BOARD_SMALL",
    "BOARD_BIG",
    "LAPTOP",
    "REVEAL_SMALL",
    "REVEAL_BIG",
    "REVEAL_RANKING_PX",
    "BIG_SCALE",
    "map_spec",
    "draw",
    "clicked_step",
    "not_drawn",
    "dot_room",
]


class Size:
    """A map's designed size: width and height in pixels, and how much larger than a page's its type and
    marks are (`scale`: 1.5 is projector type, labels 18 px or more at 1280×720)."""

    def __init__(self, width: int, height: int, scale: float = 1.0) -> None:
        self.width, self.height, self.scale = width, height, scale

    @property
    def large(self) -> bool:
        """Projector type."""
        return self.scale > 1

    def key(self) -> tuple[int, int, float]:
        return self.width, self.height, self.scale


# The projector view is planned for 1280×720 (below 1600 pixels wide) and for 1920×1080: the
# width of the page less its padding, the height less the one-line header. The 1920 map is the
# 1280 one made 1.5 times larger (type too), so it reads the same from the back of the room.
BIG_SCALE = 2.25
PROJECTOR_SMALL, PROJECTOR_BIG = Size(1240, 615, 1.5), Size(1860, 930, BIG_SCALE)
BOARD_SMALL, BOARD_BIG = Size(1240, 578, 1.5), Size(1860, 885, BIG_SCALE)  # a caption line above the map
# At the reveal the ranked dots stand beside the map, at the right of the same first screen
# (REVEAL_RANKING_PX wide at scale 1), and the map leaves its legends out (the moment is about the
# dots, not the colour scale): the map keeps the screen's height, so under each step two lines of
# name fit clear of its dot. The widths add up, with Streamlit's small gap, to the page's.
REVEAL_RANKING_PX = 180
REVEAL_SMALL, REVEAL_BIG = Size(955, 600, 1.5), Size(1432, 900, BIG_SCALE)
_LEGEND_PX = 64  # what `mapdetail.map_plot_size` keeps under the map for its legends, at scale 1
LAPTOP = Size(780, 520)  # a participant's map beside the step they work on


def map_spec(view: data.View, hotspots: Sequence[Hotspot], size: Size, *, stages: int | None = None,
             spotlight: str | None = None, keep: Iterable[str] = (), fit: bool = False,
             legends: bool = True, reveal: bool = False, dots_on_steps: bool | None = None) -> dict[str, Any]:
    """The Vega-Lite spec of the workshop map (cached per view, size, stages, spotlight and steps kept).

    `keep` are steps the map must draw (voted ones at the reveal) besides the start, the ends and
    the hotspots. With `fit`, the map is laid out over the stages shown only, so one stage fills
    the frame (a laptop); without it, the stages not yet shown keep their room (the projector,
    where a stage appears in its place). Without `legends`, the map takes their room too. At the
    `reveal` the figures above the steps give way to the places, the names of the steps kept stand under
    the dots they may carry (`dot_room` says how big those can be), and the dots cover their steps
    (`dots_on_steps`, default: at the reveal; a laptop's narrow map always wants it).
    """
    kept = tuple(sorted(set(keep)))
    on_steps = reveal if dots_on_steps is None else dots_on_steps
    return view.memo(("workshop_map", size.key(), stages, spotlight, kept, fit, legends, reveal, on_steps),
                     lambda: _built(view, hotspots, size, stages, spotlight, kept, fit, legends, reveal, on_steps))


def _built(view: data.View, hotspots: Sequence[Hotspot], size: Size, stages: int | None, spotlight: str | None,
           kept: tuple[str, ...], fit: bool, legends: bool, reveal: bool, on_steps: bool) -> dict[str, Any]:
    metrics = view.metrics
    drawn = size
    if not legends:  # planned with the legends' room added, then drawn without them at the size asked
        size = Size(size.width, size.height + round(_LEGEND_PX * size.scale), size.scale)
    detail = _fitting_detail(view, [*hotspots, *kept], size)
    if fit and stages is not None and metrics.journey is not None and stages < len(metrics.journey.stages):
        detail = _within_stages(detail, metrics.journey, stages)
        size = drawn = _fitted_height(detail, metrics.journey, size)
    chart = mapchart.map_chart(metrics, hotspots=hotspots, stages_shown=stages, spotlight=spotlight, large=size.large,
                             width=size.width, height=size.height, title="", subtitle="", detail=detail, note=False,
                             scale=size.scale)
    room = None
    if reveal:
        nodes, room = _names_under_dots(chart, size, set(kept))
        chart.datasets = {**chart.datasets, "journey_nodes": nodes}
    spec = charting.streamlit_spec(with_workshop_marks(chart, [], scale=size.scale, on_steps=on_steps))
    if room is not None:
        spec["usermeta"] = {**spec.get("usermeta", {}), _DOT_ROOM: room}
    if not legends:
        _drop_legends(spec)
        spec["height"] = drawn.height
    # SVG, whatever the size of the tables (Streamlit turns to canvas past 2,000 rows): each step is
    # an element a person's click, a screen reader and a browser test can find by its description.
    spec["usermeta"] = {**spec.get("usermeta", {}), "embedOptions": {"renderer": "svg"}}
    return spec


_DOT_ROOM = "journeymap_dot_room_px"  # where the reveal's spec keeps the largest dot its steps have room for


def dot_room(spec: Mapping[str, Any]) -> float | None:
    """The diameter in pixels of the largest dot the reveal's map has room for (None: any size), to pass
    to `mark_rows` as `largest`: the most dots get it, the others are smaller, as always."""
    room = (spec.get("usermeta") or {}).get(_DOT_ROOM)
    return float(room) if room is not None else None


# Around a dot at the reveal: its place above it ("1st", 18 px at scale 1, 2 px off the dot, 1 px spare),
# 3 px between the dot and the name under it, 2 px spare under the name, a hotspot's ring 4 px out.
_PLACE_PX, _UNDER_DOT_PX, _SPARE_PX, _RING_PX = 21, 3, 2, 4


def _names_under_dots(chart: Any, size: Size, kept: set[str]) -> tuple[list[dict[str, Any]], float]:
    """The map's steps at the reveal without their figures, the name of each step kept (voted or noted) moved
    under the dot it may carry; and the largest dot for which every name stays clear of the dots, steps and
    places under it in its column (and inside the map), every place inside the map, every dot in its column.

    The dots are drawn from a small table sent without rebuilding the map, so their room is planned here
    once, for every kept step alike: the biggest dot is still the one with most dots."""
    k = size.scale
    nodes_layer = next(layer for layer in chart.layer if getattr(layer, "name", None) == "journey_nodes")
    (left, right), (_top, bottom) = (nodes_layer.encoding[axis].to_dict()["scale"]["domain"] for axis in ("x", "y"))
    plot_width, plot_height = map_plot_size(size.width, size.height, size.large, False, 1, size.scale)
    row_px, column_px = plot_height / bottom, plot_width / (right - left)
    line_px = _name_line_px(chart)
    rows = chart.datasets["journey_nodes"]
    room = column_px - 4 * k
    for row in (row for row in rows if row["step"] in kept):
        lines = str(row["lines"]).count("\n") + 1
        name_px = (_UNDER_DOT_PX + _SPARE_PX) * k + lines * line_px  # under the dot's lower edge
        room = min(room, 2 * (row["y"] * row_px - _PLACE_PX * k))  # its place inside the map
        under = [other for other in rows if abs(other["x"] - row["x"]) < 0.01 and other["y"] > row["y"]]
        for other in under:  # the name above the next step of its column, its place or its ring
            apart = (other["y"] - row["y"]) * row_px - name_px
            if other["step"] in kept:  # two dots of the same size: each takes half of what is left
                room = min(room, (apart - _PLACE_PX * k), 2 * (apart - other["radius"] - _RING_PX * k - _PLACE_PX * k))
            else:
                room = min(room, 2 * (apart - other["radius"] - _RING_PX * k))
        if not under:
            room = min(room, 2 * ((bottom - row["y"]) * row_px - name_px))
    room = max(room, 0.0)
    under_dot = (room / 2 + _UNDER_DOT_PX * k) / row_px
    moved = [{**row, "value_text": "", "label_y": max(row["label_y"], row["y"] + under_dot)}
             if row["step"] in kept else {**row, "value_text": ""} for row in rows]
    return moved, round(room, 1)


def _name_line_px(chart: Any) -> float:
    """The line height of the steps' names, as the map drew them (the only text layer with one)."""
    for layer in chart.layer:
        mark = layer.mark.to_dict() if hasattr(layer.mark, "to_dict") else {}
        if mark.get("type") == "text" and "lineHeight" in mark:
            return float(mark["lineHeight"])
    raise LookupError("the map has no text layer of step names")


def not_drawn(view: data.View, hotspots: Sequence[Hotspot], size: Size, steps: Iterable[str],
              **options: Any) -> list[str]:
    """Those of `steps` the map of this size would leave out: to pass as `keep`, so a note or a dot on a
    drawn step reuses the cached map (the badge follows within seconds) and only a hidden one costs a new map."""
    drawn = {row["step"] for row in map_spec(view, hotspots, size, **options)["datasets"]["journey_nodes"]}
    return sorted(set(steps) - drawn)


def _drop_legends(spec: dict[str, Any]) -> None:
    """No legend on any layer of the spec."""
    for layer in spec.get("layer", []):
        for channel in (layer.get("encoding") or {}).values():
            if isinstance(channel, dict) and ("field" in channel or "condition" in channel):
                channel["legend"] = None
                if isinstance(channel.get("condition"), dict):
                    channel["condition"]["legend"] = None


def _fitting_detail(view: data.View, forced: Sequence[Any], size: Size) -> MapDetail:
    """The most the map's size holds legibly; when even the eight busiest steps do not fit (the narrower
    map beside the reveal's ranking), only the start, the ends, the hotspots and `forced` steps, joined
    by lines through the hidden ones."""
    metrics = view.metrics
    common: dict[str, Any] = {"hotspots": forced, "width": size.width, "height": size.height,
                              "large": size.large, "titled": False, "scale": size.scale}
    detail = map_detail(metrics, **common)
    journey = metrics.journey
    if journey is None or _fits(detail, journey, size):
        return detail
    return map_detail(metrics, steps=1, **common)


def _fits(detail: MapDetail, journey: Any, size: Size) -> bool:
    """True when the detail's layers and rows have the room `mapdetail` plans for a legible map."""
    width, height = map_plot_size(size.width, size.height, size.large, False, 2, size.scale)
    layout = journey_layout(journey, [s for s in detail.steps if s not in journey.steps_by_id], steps=detail.steps,
                            edges=detail.edges)
    return (layout.n_layers * MIN_COLUMN_PX * size.scale <= width
            and layout.height * MIN_ROW_PX * size.scale <= height)


_FIT_ROW_PX, _FIT_MIN_PX = 130, 300  # a fitted map's rows (at scale 1), and its least height


def _fitted_height(detail: MapDetail, journey: Any, size: Size) -> Size:
    """The size, made shorter when the steps drawn need fewer rows than its height holds (one stage
    is a strip, not a mostly empty frame)."""
    layout = journey_layout(journey, steps=detail.steps, edges=detail.edges)
    fixed = 88 * size.scale  # padding and legends (`mapdetail.map_plot_size`)
    wanted = round(fixed + layout.height * _FIT_ROW_PX * size.scale)
    return Size(size.width, min(size.height, max(wanted, _FIT_MIN_PX)), size.scale)


def _within_stages(detail: MapDetail, journey: Any, stages: int) -> MapDetail:
    """The detail's steps and lines within the first `stages` stages only (laid out on their own)."""
    shown = {stage.id for stage in journey.stages[:stages]}
    inside = {step.id for step in journey.steps if step.stage in shown}
    return replace(detail, steps=tuple(s for s in detail.steps if s in inside),
                   transitions=tuple(e for e in detail.transitions if e[0] in inside and e[1] in inside),
                   bridges={e: through for e, through in detail.bridges.items() if e[0] in inside and e[1] in inside})


def draw(spec: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], key: str, alt_text: str, *,
         clickable: bool = False) -> Any:
    """The map with this moment's dots and notes (`workshop_reveal.mark_rows`); a click selects a step."""
    sent = {**spec, "datasets": {**spec.get("datasets", {}), MARKS: [dict(row) for row in rows]}}
    options: dict[str, Any] = {"on_select": "rerun", "selection_mode": mapchart.STEP_SELECTION} if clickable else {}
    return st.vega_lite_chart(spec=sent, theme=None, key=key, alt=alt_text, width="stretch", **options)


def clicked_step(event: Any) -> str | None:
    """The step a click on the map selected, if any."""
    selection = getattr(event, "selection", None) or {}
    points = selection.get(mapchart.STEP_SELECTION) or []
    return next((point.get("step") for point in points if point.get("step")), None)
