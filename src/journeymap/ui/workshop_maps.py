"""The workshop's journey maps: built once per view and size, then sent with a fresh table of dots and notes.

A screen that refreshes every few seconds sends the same chart spec with a new `workshop_marks`
dataset (a few rows), so the chart is never rebuilt on the server, and the map on the screen
keeps its place (and a participant's click) between refreshes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import streamlit as st

from journeymap.charts import map as mapchart
from journeymap.charts.mapdetail import map_detail
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
    "map_spec",
    "draw",
    "clicked_step",
]


class Size:
    """A map's designed size: width and height in pixels, and projector type (18 px labels or more)."""

    def __init__(self, width: int, height: int, large: bool) -> None:
        self.width, self.height, self.large = width, height, large

    def key(self) -> tuple[int, int, bool]:
        return self.width, self.height, self.large


# The projector view is planned for 1280×720 (below 1600 pixels wide) and for 1920×1080: the
# width of the page less its padding, the height less the one-line header.
PROJECTOR_SMALL, PROJECTOR_BIG = Size(1240, 625, True), Size(1860, 950, True)
BOARD_SMALL, BOARD_BIG = Size(1240, 590, True), Size(1860, 910, True)  # a caption line above the map
LAPTOP = Size(780, 520, False)  # a participant's map beside the step they work on


def map_spec(view: data.View, hotspots: Sequence[Hotspot], size: Size, *, stages: int | None = None,
             spotlight: str | None = None, keep: Iterable[str] = ()) -> dict[str, Any]:
    """The Vega-Lite spec of the workshop map (cached per view, size, stages, spotlight and steps kept).

    `keep` are steps the map must draw (voted ones at the reveal) besides the start, the ends and
    the hotspots.
    """
    kept = tuple(sorted(set(keep)))
    return view.memo(("workshop_map", size.key(), stages, spotlight, kept),
                     lambda: _built(view, hotspots, size, stages, spotlight, kept))


def _built(view: data.View, hotspots: Sequence[Hotspot], size: Size, stages: int | None, spotlight: str | None,
           kept: tuple[str, ...]) -> dict[str, Any]:
    metrics = view.metrics
    detail = map_detail(metrics, hotspots=[*hotspots, *kept], width=size.width, height=size.height,
                        large=size.large, titled=False)
    chart = mapchart.map_chart(metrics, hotspots=hotspots, stages_shown=stages, spotlight=spotlight, large=size.large,
                             width=size.width, height=size.height, title="", subtitle="", detail=detail, note=False)
    spec = charting.streamlit_spec(with_workshop_marks(chart, [], large=size.large))
    # SVG, whatever the size of the tables (Streamlit turns to canvas past 2,000 rows): each step is
    # an element a person's click, a screen reader and a browser test can find by its description.
    spec["usermeta"] = {**spec.get("usermeta", {}), "embedOptions": {"renderer": "svg"}}
    return spec


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
