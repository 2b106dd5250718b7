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
from journeymap.charts.textfit import LINE_HEIGHT, LabelLanguage, fit_label, text_width
from journeymap.workshop.reveal import MARKS, place_names

__all__ = ["VOTE", "VOTE_LIGHT", "with_workshop_marks", "vote_ranking"]

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
    # label under it and the dot to its right (or, on the step, of the dot where it is wider).
    noted = base.transform_filter("datum.notes > 0")
    edge = "max(datum.radius, datum.dot_px / 2)" if on_steps else "datum.radius"
    note: dict[str, Any] = {
        "align": "right",
        "baseline": "middle",
        "fontWeight": "bold",
        "fontSize": 18 * k,
        "font": FONT,
        "dx": alt.ExprRef(f"-{edge} - {4 * k}"),
    }
    position: dict[str, Any] = {"x": nodes.encoding.x, "y": nodes.encoding.y}
    layers += [noted.mark_text(**note, stroke="white", strokeWidth=5 * k, strokeJoin="round").encode(
        **position, text="note_text:N"), noted.mark_text(**note, color=INK).encode(**position, text="note_text:N")]
    marked = chart.copy()
    marked.layer = [*chart.layer, *layers]
    marked.datasets = {**chart.datasets, MARKS: [dict(row) for row in rows]}
    return marked


def vote_ranking(ranked: Sequence[tuple[str, int]], labels: Mapping[str, str], *, width: int = 270,
                 height: int = 600, scale: float | None = None) -> tuple[alt.Chart, int]:
    """The dots ranked as a narrow column of bars beside the map, most first from the top: each step's name
    (whole, on up to two lines) over its bar, the count and place ("3 · 1st") at the bar's end, the top three
    in purple. Returns the chart and how many steps it ranks: as many of `ranked` as `height` holds."""
    k = type_scale(False, scale)
    places = place_names(ranked)
    font, pad, bar_px, gap_px = 13 * k, 6 * k, 14 * k, 8 * k
    line_px = font * LINE_HEIGHT
    plot_width = width - 2 * pad
    language = LabelLanguage(labels.values())
    names = {step: fit_label(labels.get(step, step), plot_width, font, 2, language=language) for step, _count in ranked}
    counts = {step: f"{count} · {places[step]}" if step in places else f"{count}" for step, count in ranked}
    # Every step the same height (its name on as many lines as the longest takes), so the bars read as a list.
    item_px = max((len(lines) for lines in names.values()), default=1) * line_px + 3 * k + bar_px + gap_px
    shown = max(1, min(len(ranked), int((height - 2 * pad) // item_px)))
    ranked = ranked[:shown]
    # The longest bar leaves room at its end for the widest count ("12 · 1st").
    count_px = max((text_width(counts[step], font, bold=True) for step, _count in ranked), default=0) + 5 * k
    most = max((count for _step, count in ranked), default=1)
    rows = []
    for rank, (step, count) in enumerate(ranked, start=1):
        top = (rank - 1) * item_px
        bar_top = top + len(names[step]) * line_px + 3 * k
        rows.append({"step": step, "label": labels.get(step, step), "dots": count, "rank": rank,
                     "name": "\n".join(names[step]), "count_text": counts[step], "top": step in places,
                     "name_y": top, "bar_y": bar_top, "bar_y2": bar_top + bar_px, "bar_mid": bar_top + bar_px / 2})
    frame = pd.DataFrame(rows, columns=["step", "label", "dots", "rank", "name", "count_text", "top", "name_y",
                                        "bar_y", "bar_y2", "bar_mid"])
    plot_height = shown * item_px
    x_scale = alt.Scale(domain=[0, most], range=[0, max(plot_width - count_px, 10 * k)], nice=False, zero=True)
    x = alt.X("dots:Q", axis=None, scale=x_scale)
    y_scale = alt.Scale(domain=[0, plot_height], range=[0, plot_height], nice=False, zero=False)
    base = alt.Chart(frame, width=plot_width, height=plot_height)
    bars = base.mark_rect(cornerRadiusTopRight=3 * k, cornerRadiusBottomRight=3 * k).encode(
        x=alt.X("zero:Q", scale=x_scale, axis=None), x2="dots:Q",
        y=alt.Y("bar_y:Q", scale=y_scale, axis=None), y2="bar_y2:Q",
        color=alt.condition("datum.top", alt.value(VOTE), alt.value(VOTE_LIGHT)),
        tooltip=[alt.Tooltip("label:N", title="Step"), alt.Tooltip("dots:Q", title="Dots")],
    ).transform_calculate(zero="0")
    count_marks = base.mark_text(align="left", baseline="middle", dx=4 * k, fontSize=font, fontWeight="bold",
                                 color=INK).encode(x=x, y=alt.Y("bar_mid:Q", scale=y_scale, axis=None),
                                                   text="count_text:N")
    name_marks = base.mark_text(align="left", baseline="top", fontSize=font, color=INK, lineBreak="\n",
                                lineHeight=line_px).encode(x=alt.value(0), y=alt.Y("name_y:Q", scale=y_scale,
                                                                                    axis=None), text="name:N")
    chart = alt.layer(bars, count_marks, name_marks).properties(
        padding={side: pad for side in ("left", "top", "right", "bottom")})
    return chart.configure(font=FONT, background="white").configure_view(stroke=None), shown
