"""Workshop charts: the journey map with each step's dots and notes on it, and the dots ranked as bars.

The map's workshop layers read one named dataset (`workshop_reveal.MARKS`), looked up by step
from the map's own nodes table (positions and radii), so a screen that refreshes every few
seconds sends the same chart with a new small table, never a new chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from journeymap.charts.style import FONT, INK, type_scale
from journeymap.charts.textfit import LINE_HEIGHT, fit_label
from journeymap.workshop.reveal import MARKS, place_names

__all__ = ["VOTE", "VOTE_LIGHT", "with_workshop_marks", "vote_bars"]

VOTE, VOTE_LIGHT = "#5b2a86", "#b79fd0"  # the dots' purple: apart from the map's orange-red scale
_MARK_FIELDS = ["dots", "notes", "dot_px", "dot_text", "note_text", "place"]


def with_workshop_marks(chart: alt.LayerChart, rows: Sequence[Mapping[str, Any]], *, large: bool = False,
                        scale: float | None = None, on_steps: bool = False) -> alt.LayerChart:
    """The map with a dot (area by dots, the count inside), a place for the top three and a ✎ note count per step.

    `rows` come from `workshop_reveal.mark_rows`; a screen may swap the `MARKS` dataset of the
    chart's spec for newer rows without rebuilding anything else. With `on_steps` (the reveal), a
    dot covers its step and its place stands over it, where the step's figure was: nothing reaches
    into the next column, whose label may be close on a wide journey.
    """
    nodes = next((layer for layer in chart.layer if getattr(layer, "name", None) == "journey_nodes"), None)
    if nodes is None:
        return chart
    k = type_scale(large, scale)
    x_scale, y_scale = (alt.Scale(**nodes.encoding[axis].to_dict()["scale"]) for axis in ("x", "y"))
    (left, right), (top, bottom) = x_scale.domain, y_scale.domain
    # A dot sits just right of its step and a little up (clear of the step, its ring and the figure
    # above it), on the line leaving it; the offset is in pixels, turned into the map's units by the plot's width and
    # height (signals), so it holds at any size.
    per_px_x, per_px_y = f"({right} - ({left})) / width", f"({bottom} - ({top})) / height"
    shift = "0" if on_steps else f"(datum.radius + datum.dot_px * 0.5 + {3 * k})"
    base = (alt.Chart(nodes.data)
            .transform_lookup(lookup="step", from_=alt.LookupData(data=alt.NamedData(MARKS), key="step",
                                                                  fields=_MARK_FIELDS))
            .transform_filter("isValid(datum.dots) && (datum.dots > 0 || datum.notes > 0)")
            .transform_calculate(dot_x=f"datum.x + {shift} * 0.97 * {per_px_x}",
                                 dot_y=f"datum.y - {shift} * 0.26 * {per_px_y}"))
    at_dot = {"x": alt.X("dot_x:Q", scale=x_scale, axis=None), "y": alt.Y("dot_y:Q", scale=y_scale, axis=None)}
    voted = base.transform_filter("datum.dots > 0")
    layers = [
        voted.mark_circle(color=VOTE, opacity=1, stroke="white", strokeWidth=2 * k).encode(
            **at_dot, size=alt.Size("dot_area:Q", scale=None),
            tooltip=[alt.Tooltip("label:N", title="Step"), alt.Tooltip("dots:Q", title="Dots"),
                     alt.Tooltip("notes:Q", title="Notes")]).transform_calculate(
            dot_area="datum.dot_px * datum.dot_px"),
        voted.mark_text(color="white", fontWeight="bold", baseline="middle", align="center", font=FONT).encode(
            **at_dot, text="dot_text:N", size=alt.Size("dot_font:Q", scale=None)).transform_calculate(
            dot_font=f"min(datum.dot_px * 0.56, {30 * k})"),
    ]
    # The top three's place ("1st") over their dot, leaning right, away from the figure above the
    # step, outlined in white to read over lines and labels.
    placed = voted.transform_filter("datum.place != ''")
    place: dict[str, Any] = {
        "align": "left",
        "baseline": "bottom",
        "fontWeight": "bold",
        "fontSize": 18 * k,
        "font": FONT,
        "dx": alt.ExprRef("-datum.dot_px * 0.2"),
        "dy": alt.ExprRef("-datum.dot_px / 2 + 1"),
    }
    if on_steps:  # centred over the dot (or the step's ring, if wider)
        place.update(align="center", dx=0, dy=alt.ExprRef(f"-max(datum.dot_px / 2, datum.radius + {4 * k}) - {2 * k}"))
    layers += [placed.mark_text(**place, stroke="white", strokeWidth=5 * k, strokeJoin="round").encode(
        **at_dot, text="place:N"), placed.mark_text(**place, color=VOTE).encode(**at_dot, text="place:N")]
    # Notes: "✎3" left of the step, on the line coming in: clear of the figure above the step, the
    # label under it and the dot to its right.
    noted = base.transform_filter("datum.notes > 0")
    note: dict[str, Any] = {
        "align": "right",
        "baseline": "middle",
        "fontWeight": "bold",
        "fontSize": 18 * k,
        "font": FONT,
        "dx": alt.ExprRef(f"-datum.radius - {4 * k}"),
    }
    position: dict[str, Any] = {"x": nodes.encoding.x, "y": nodes.encoding.y}
    layers += [noted.mark_text(**note, stroke="white", strokeWidth=5 * k, strokeJoin="round").encode(
        **position, text="note_text:N"), noted.mark_text(**note, color=INK).encode(**position, text="note_text:N")]
    marked = chart.copy()
    marked.layer = [*chart.layer, *layers]
    marked.datasets = {**chart.datasets, MARKS: [dict(row) for row in rows]}
    return marked


def vote_bars(ranked: Sequence[tuple[str, int]], labels: Mapping[str, str], *, large: bool = False,
              width: int = 1200, height: int = 150, title: str = "Dots per step",
              scale: float | None = None) -> alt.Chart:
    """The dots ranked as columns, most first from the left: the count (and "1st") over each column, the
    step's name under it on up to two lines, the top three in purple. Short, so it fits under the map
    in the same screen: with `height` 100 at scale 1, columns up to about 40 px tall."""
    k = type_scale(large, scale)
    places = place_names(ranked)
    font, pad = 13 * k, 8 * k
    # A column's slot: the width shared out, but no wider than a name on two lines needs (a few
    # voted steps stay together on the left instead of spreading over the screen).
    slot = min((width - 2 * pad) / max(len(ranked), 1), 150 * k)
    names_fitted = {step: fit_label(labels.get(step, step), slot - 12 * k, font, 2) for step, _count in ranked}
    frame = pd.DataFrame([{"step": step, "label": labels.get(step, step), "dots": count,
                           "name": "\n".join(names_fitted[step]),
                           "place": places.get(step, ""), "rank": rank, "top": step in places}
                          for rank, (step, count) in enumerate(ranked, start=1)],
                         columns=["step", "label", "dots", "name", "place", "rank", "top"])
    # Two lines of name under the columns, inside the plot: Streamlit redraws the bottom padding.
    names_px = 2 * font * LINE_HEIGHT + 6 * k + 2 * pad
    title_px = 16 * k * 1.3 if title else 0
    plot_height = max(height - 2 * pad - title_px, names_px + 20 * k)
    floor_px = plot_height - names_px  # the columns stand on this line, their names under it
    x = alt.X("rank:O", axis=None, scale=alt.Scale(paddingInner=0.25, paddingOuter=0.1))
    most = max((count for _step, count in ranked), default=1)
    # Room above the tallest column for its "12 · 1st".
    y = alt.Y("dots:Q", title=None, axis=None, scale=alt.Scale(domain=[0, most * 1.45], nice=False,
                                                                range=[floor_px, 0]))
    base = alt.Chart(frame, width=slot * max(len(ranked), 1), height=plot_height)
    columns = base.mark_bar(cornerRadiusEnd=3 * k).encode(
        x=x, y=y, color=alt.condition("datum.top", alt.value(VOTE), alt.value(VOTE_LIGHT)),
        tooltip=[alt.Tooltip("label:N", title="Step"), alt.Tooltip("dots:Q", title="Dots")])
    counts = base.mark_text(baseline="bottom", dy=-3 * k, fontSize=font, fontWeight="bold", color=INK).encode(
        x=x, y=y, text=alt.Text("count_text:N")).transform_calculate(
        count_text="datum.place ? datum.dots + ' · ' + datum.place : '' + datum.dots")
    names = base.mark_text(baseline="top", dy=4 * k, fontSize=font, color=INK, lineBreak="\n",
                           lineHeight=font * LINE_HEIGHT).encode(x=x, y=alt.value(floor_px), text="name:N")
    chart = alt.layer(columns, counts, names).properties(padding={side: pad for side in ("left", "top", "right",
                                                                                       "bottom")})
    if title:
        chart = chart.properties(title=alt.TitleParams(title, anchor="start", fontSize=16 * k, color=INK))
    return chart.configure(font=FONT, background="white").configure_view(stroke=None)
