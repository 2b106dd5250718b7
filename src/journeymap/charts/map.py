"""The journey map: steps in designed positions, volume and a chosen measure on top, hotspots marked.

Sizes are planned in pixels for the chart's width x height (`mapdetail.map_plot_size`): each
layer is a column as wide as the plot allows, a step's label is wrapped (or cut, with the full
name in the tooltip) to the column less a gap where transitions bend, and each row holds the
measure above a step, the step, and its label under it. Transitions run level through columns
and bend only in the gaps (`layout.edge_curve`), so no line crosses a label.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from journeymap.charts.layout import OFF_MAP_LANE, JourneyLayout, edge_curve, journey_layout
from journeymap.charts.mapdetail import MapDetail, map_detail, map_plot_size
from journeymap.charts.style import (
    EDGE_KINDS,
    INK,
    MUTED,
    SCHEME,
    chart_subtitle,
    duration_expr,
    duration_ticks,
    legend_labels_fit,
    records,
    share_ticks,
    text_labels,
    titled,
    type_scale,
    wrap_lines,
)
from journeymap.charts.textfit import LINE_HEIGHT, LabelLanguage, fit_label, text_width
from journeymap.core.durations import format_seconds_as_text as human
from journeymap.core.errors import JourneyError
from journeymap.core.numbers import format_share
from journeymap.measures.hotspots import Hotspot, automatic_steps, hotspot_marker
from journeymap.measures.metrics import JourneyMetrics
from journeymap.measures.opsmeasures import OPS_MEASURES

__all__ = ["MEASURES", "STEP_SELECTION", "DEFAULT_MEASURE", "map_chart", "handoff_edges"]


MEASURES: dict[str, str] = {"arrival_median_s": "Median time to arrive", "arrival_p85_s": "p85 time to arrive",
                            "drop_off_rate": "Drop-off rate", "delay_share": "Share of lead time"}
# Hotspots are ranked by share of lead time, so colouring by it makes the ① step the darkest.
DEFAULT_MEASURE = "delay_share"
# Where a low value is the worse one, the scale runs the other way: the least satisfied or least
# efficient step is the darkest. Satisfaction spans its steps' range (they differ by tenths of a point).
_LOW_IS_WORSE = ("satisfaction_mean", "flow_efficiency")
_KINDS = {"satisfaction_mean": "score", "flow_efficiency": "share"}
STEP_SELECTION = "step"  # the point selection on map nodes; Streamlit returns it as event.selection["step"]
_GUTTER_PX = 24  # left of the lanes, for their names (turned to read upwards) ...
_GUTTER_TWO_LINES_PX = 40  # ... or for names that need two lines in a short lane


def map_chart(metrics: JourneyMetrics, *, color_by: str = DEFAULT_MEASURE, hotspots: Sequence[Hotspot] | None = None,
              show_off_map: bool = False, stages_shown: int | None = None, spotlight: str | None = None,
              large: bool = False, width: int | None = None, height: int | None = None,
              title: str | None = None, subtitle: str | Sequence[str] | None = None,
              detail: MapDetail | None = None, note: bool = True, handoffs: bool = False,
              scale: float | None = None) -> alt.LayerChart:
    """The journey map: steps in stage lanes, sized by cases reached, coloured by `color_by`.

    `detail` is what to draw (`mapdetail.map_detail`); by default the most that fits the size.
    With `note`, a line under the subtitle says how many steps and transitions are hidden. With
    `handoffs`, transitions between teams (`metrics.handoffs`) are drawn in their own colour.
    `scale` sets type and marks apart from `large` (`style.type_scale`).
    """
    journey = metrics.journey
    if journey is None:
        raise JourneyError("The map needs a journey definition; load one with the event log.")
    measure = _measure_title(metrics, color_by)
    k = type_scale(large, scale)
    width, height = width or 1200, height or 675
    subtitle = chart_subtitle(metrics) if subtitle is None else subtitle
    subtitle_lines = [subtitle] if isinstance(subtitle, str) else list(subtitle)
    titled_ = bool(title is None or title or any(subtitle_lines))
    if detail is None:
        detail = map_detail(metrics, hotspots=hotspots or (), show_off_map=show_off_map, width=width,
                            height=height, large=large, titled=titled_, scale=scale)
    hidden = detail.caption(hint="") if note else ""
    if hidden:
        subtitle_lines = [*[line for line in subtitle_lines if line], hidden]
    off_map = [step for step in detail.steps if step not in journey.steps_by_id]
    layout = journey_layout(journey, off_map, steps=detail.steps, edges=detail.edges)
    lanes = [lane for i, lane in enumerate(layout.lanes) if stages_shown is None or i < stages_shown]
    shown_lanes = {lane.stage for lane in lanes}
    wrapped = wrap_lines([line for line in subtitle_lines if line], 760 * k, 14 * k)  # as `titled` will draw them
    plot_width, plot_height = map_plot_size(width, height, large, titled_, max(len(wrapped), 1), scale)
    language = LabelLanguage([*(s.label for s in journey.steps), *(s.label for s in journey.stages), *off_map])
    geometry = _Geometry(layout, plot_width, plot_height, k, language)
    nodes = _map_nodes(metrics, layout, color_by, hotspots or (), spotlight, shown_lanes, geometry)
    edges, arrows = _map_edges(metrics, layout, detail, set(nodes["step"]), spotlight, geometry, nodes,
                               handoff_edges(metrics) if handoffs else {})
    left, right, bottom = geometry.left, layout.n_layers - 0.5, geometry.bottom
    x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=[left, right], nice=False, zero=False))
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=[0, bottom], nice=False, zero=False, reverse=True))
    x2, y2 = alt.X2("x2:Q"), alt.Y2("y2:Q")
    bands = pd.DataFrame([_band(lane, i, left, right, geometry) for i, lane in enumerate(lanes)],
                         columns=["x", "x2", "y", "y2", "label", "full_label", "label_x", "label_y", "stripe"])
    # The tables go in once as named datasets: no per-layer copies, and no pandas clean-up by
    # Altair on every export (which took a third of the export time).
    datasets = {f"journey_{name}": records(frame) for name, frame in
                (("lanes", bands), ("edges", edges), ("arrows", arrows), ("nodes", nodes),
                 ("rings", nodes[nodes["ring"] > 0]))}
    data = {name.removeprefix("journey_"): alt.NamedData(name) for name in datasets}
    band = alt.Chart(data["lanes"]).mark_rect(opacity=1).encode(
        x=x, x2=x2, y=y, y2=y2, color=alt.Color("stripe:N", scale=alt.Scale(range=["#f2f4f7", "#e8ecf1"]), legend=None),
        tooltip=[alt.Tooltip("full_label:N", title="Stage")])
    band_text = alt.Chart(data["lanes"]).mark_text(align="center", baseline="middle", angle=270, fontWeight="bold",
                                                   fontSize=geometry.lane_font, color=MUTED).encode(
        x=alt.X("label_x:Q", axis=None, scale=alt.Scale(domain=[left, right], nice=False, zero=False)),
        y=alt.Y("label_y:Q", axis=None, scale=alt.Scale(domain=[0, bottom], nice=False, zero=False, reverse=True)),
        text="label:N")
    layers = [band, band_text]
    if not edges.empty:
        kinds = [kind for kind in EDGE_KINDS if kind in set(edges["kind"])]
        legend = alt.Legend(title="Transitions", symbolType="stroke", symbolStrokeWidth=3, orient="bottom",
                            direction="horizontal", columns=2 if width < 1400 * k else 4)
        # Edges, arrows and rings fade through the opacity of their only paint (stroke or fill), not
        # through mark opacity: it looks the same, and a rasteriser need not composite each as a layer.
        layers.append(alt.Chart(data["edges"]).mark_line(interpolate="linear", strokeCap="round").encode(
            x=x, y=y, order="i:Q", detail="edge:N", strokeWidth=alt.StrokeWidth("width:Q", scale=None),
            strokeOpacity=alt.StrokeOpacity("opacity:Q", scale=None),
            stroke=alt.Stroke("kind:N", scale=alt.Scale(domain=kinds, range=[EDGE_KINDS[c][0] for c in kinds]),
                              legend=legend),
            strokeDash=alt.StrokeDash("kind:N", scale=alt.Scale(domain=kinds, range=[EDGE_KINDS[c][1] for c in kinds]),
                                      legend=legend),
            tooltip=[alt.Tooltip("name:N", title="Transition"), alt.Tooltip("count_text:N", title="Times taken"),
                     alt.Tooltip("median_text:N", title="Median time"), alt.Tooltip("p85_text:N", title="p85 time"),
                     *([alt.Tooltip("handoff_text:N", title="Handoff")] if handoffs else [])]))
        arrow = alt.Chart(data["arrows"]).mark_point(shape="triangle-right", filled=True, strokeWidth=0, opacity=1)
        layers.append(arrow.transform_calculate(
            angle=f"atan2(datum.ty * height / {bottom:.6g}, datum.tx * width / {right - left:.6g}) * 180 / PI"
        ).encode(x=x, y=y, angle=alt.Angle("angle:Q", scale=None), size=alt.Size("size:Q", scale=None),
                 color=alt.Color("color:N", scale=None), fillOpacity=alt.FillOpacity("opacity:Q", scale=None)))
    layers.append(alt.Chart(data["rings"]).mark_point(shape="circle", filled=False, color=INK, opacity=1).encode(
        x=x, y=y, size=alt.Size("ring_size:Q", scale=None), strokeWidth=alt.StrokeWidth("ring:Q", scale=None),
        strokeOpacity=alt.StrokeOpacity("opacity:Q", scale=None)))
    selected = alt.selection_point(name=STEP_SELECTION, fields=["step"], on="click", clear="dblclick")
    color = _measure_color(color_by, measure, nodes, k, width)
    layers.append(alt.Chart(data["nodes"]).mark_circle(stroke=INK, opacity=1).encode(
        x=x, y=y, size=alt.Size("size:Q", scale=None), color=color,
        fillOpacity=alt.FillOpacity("opacity:Q", scale=None), strokeOpacity=alt.StrokeOpacity("opacity:Q", scale=None),
        strokeWidth=alt.when(selected, empty=False).then(alt.value(4 * k)).otherwise(alt.value(1)),
        tooltip=[alt.Tooltip(f"{field}:N", title=name) for field, name in _NODE_TOOLTIP.items()],
    ).add_params(selected).properties(name="journey_nodes"))
    # Each text sits at its own place in the data (value_y above the step, label_y under it), so
    # a small step's label sits close under it. Text is the slowest mark to render (each line is
    # measured), so only the labels under the steps, which loops can pass, get a white outline.
    font = geometry.font
    value_y = alt.Y("value_y:Q", axis=None, scale=alt.Scale(domain=[0, bottom], nice=False, zero=False, reverse=True))
    label_y = alt.Y("label_y:Q", axis=None, scale=alt.Scale(domain=[0, bottom], nice=False, zero=False, reverse=True))
    layers += text_labels(data["nodes"], {"fontSize": font, "baseline": "bottom", "fontWeight": "bold"}, halo=0,
                          x=x, y=value_y, text="value_text:N", opacity=alt.Opacity("opacity:Q", scale=None))
    layers += [layer.transform_calculate(shown=_shown_lines(width)) for layer in text_labels(
        data["nodes"], {"fontSize": font, "baseline": "top", "lineHeight": geometry.line_px}, halo=4 * k, x=x,
        y=label_y, text="shown:N", opacity=alt.Opacity("opacity:Q", scale=None))]
    chart = alt.layer(*layers).resolve_scale(color="independent")
    chart = chart.properties(width=width, height=height)
    default_title = f"{journey.name}: {measure.lower()} at each step"
    subtitle = subtitle_lines[0] if len(subtitle_lines) == 1 else subtitle_lines
    chart = titled(chart, default_title if title is None else title, subtitle, large=large, scale=scale)
    # The tables go in last, unchecked: every `.properties` and `.configure` before copies the
    # chart, and Altair would copy and validate thousands of rows each time (two thirds of the time).
    chart.datasets = datasets
    return chart


# Streamlit stretches a chart to the page's column, and only the browser knows how wide that is: the
# map at 1920x1080 is drawn 1.8 times as wide as planned for 1280x720, and its labels, fitted to the
# planned columns, would stay cut to a word each ("T04 / Determine…"). Each step brings its label
# fitted to wider columns too, and the chart picks the widest that fits the width it is drawn at.
_STRETCHES = (1.15, 1.4, 1.7, 2.3)


def _shown_lines(width: float) -> str:
    """The Vega expression for a step's label at the width the chart is drawn (its `width` signal)."""
    shown = "datum.lines"
    for i, stretch in enumerate(_STRETCHES):
        shown = f"width >= {width * stretch:g} ? datum.lines_{i} : {shown}"
    return shown


class _Geometry:
    """Pixel sizes of one map: columns, rows, fonts, step radii and where labels go."""

    def __init__(self, layout: JourneyLayout, plot_width: float, plot_height: float, k: float,
                 language: LabelLanguage | None = None) -> None:
        self.k = k
        self.language = language  # where the labels' long words break (`textfit.LabelLanguage`)
        self.bottom = max(layout.height, 1.0)
        self.row_px = plot_height / self.bottom
        self.lane_font = 13 * k
        # A lane's name reads along its height; where a short lane cannot hold it on one line it
        # takes two (a wider gutter) rather than being cut to "Equipmen…".
        self.lane_lines = 1 if all(
            fit_label(lane.label, self.lane_room(lane), self.lane_font, 1, bold=True,
                      language=self.language) == [lane.label]
            for lane in layout.lanes) else 2
        self.gutter_px = (_GUTTER_PX if self.lane_lines == 1 else _GUTTER_TWO_LINES_PX) * k
        self.column_px = (plot_width - self.gutter_px + _GUTTER_PX * k) / max(layout.n_layers, 1)
        self.left = -0.5 - self.gutter_px / self.column_px
        self.font = 13 * k if self.column_px >= 110 * k else 12 * k  # never under 12 px
        self.line_px = round(self.font * LINE_HEIGHT, 2)
        self.gap_px = max(10 * k, 0.12 * self.column_px)  # between the labels of two columns, where lines bend
        self.label_px = self.label_room(1.0)
        # Around a step: the value line above, 3 px either side of the step, 4 px more either
        # side for a hotspot ring (4 px out, 2.5 px wide), and 4 px spare.
        fixed = 3 * k + self.line_px + 3 * k + 8 * k + 4 * k

        def radius(lines: int) -> float:
            return min(26 * k, (self.row_px - fixed - lines * self.line_px) / 2)

        self.max_lines = 3 if radius(3) >= 16 * k else 2 if radius(2) >= 8 * k else 1
        self.counts = k == 1.0 and radius(self.max_lines + 1) >= 18 * k  # a "1,234 cases" line fits
        self.r_max = max(radius(self.max_lines + self.counts), 4 * k)
        self.r_min = min(7 * k, self.r_max * 0.5)
        # Lift steps above the middle of their slot by as much as the label under them outweighs
        # the value above, so both fit in the row.
        below = self.r_max + 7 * k + (self.max_lines + self.counts) * self.line_px  # clear of a ring
        above = self.r_max + 7 * k + self.line_px
        self.lift = (below - above) / 2 / self.row_px

    def label_room(self, stretch: float) -> float:
        """Pixels for a step's label when the map is drawn `stretch` times as wide as planned: its
        columns widen with it, and so does the gap between their labels."""
        column = self.column_px * stretch
        return column - max(10 * self.k, 0.12 * column)

    def lane_room(self, lane: Any) -> float:
        """Pixels along a lane's height for its name."""
        return (lane.bottom - lane.top) * self.row_px - 8 * self.k

    def rows(self, px: float) -> float:
        return px / self.row_px

    def layers(self, px: float) -> float:
        return px / self.column_px


def _band(lane: Any, index: int, left: float, right: float, geometry: _Geometry) -> dict[str, Any]:
    """A lane's band and its name, turned to read upwards in the gutter and cut to the lane's height."""
    label = "\n".join(fit_label(lane.label, geometry.lane_room(lane), geometry.lane_font, geometry.lane_lines,
                                 bold=True, language=geometry.language))
    return {"x": left, "x2": right, "y": lane.top, "y2": lane.bottom, "label": label, "full_label": lane.label,
            "label_x": left + geometry.layers(geometry.gutter_px) / 2, "label_y": lane.middle,
            "stripe": index % 2}


_NODE_TOOLTIP = {"label": "Step", "stage_label": "Stage", "owner": "Owner", "reached_text": "Cases reached",
                 "median_text": "Median time to arrive", "p85_text": "p85 time to arrive", "target_text": "Target",
                 "dropped_text": "Dropped here", "in_flight_text": "In flight here", "share_text": "Share of lead time",
                 "rework_text": "Did it more than once", "hotspot_text": "Hotspot"}


def _map_nodes(metrics: JourneyMetrics, layout: JourneyLayout, color_by: str, hotspots: Sequence[Hotspot],
               spotlight: str | None, shown_lanes: set[str], g: _Geometry) -> pd.DataFrame:
    """One row per drawn step: position, size, measure and its human texts, fitted to the step's slot."""
    journey = metrics.journey
    assert journey is not None  # journey_map, the only caller, raises before drawing without one
    stage_label = {stage.id: stage.label for stage in journey.stages}
    # A step can carry two numbers: its own and a handoff's whose waiting arrives there ("② ④").
    all_ranks: dict[str, list[int]] = {}
    for i, h in enumerate(hotspots[:20], start=1):
        all_ranks.setdefault(h.step, []).append(i)
    ranks = {step: found[0] for step, found in all_ranks.items()}
    automatic = automatic_steps(metrics)
    steps = metrics.steps[metrics.steps["step"].isin(layout.positions)]
    peak = max(int(steps["reached"].max()) if not steps.empty else 1, 1)
    looped = {t.source for t in journey.transitions if t.source == t.target_step}
    # A hotspot's number goes before its name ("① Equipment shipped", as beside the map), unless a
    # column is too narrow for the number and a name's first word on one line: then every number
    # goes above its step, before the measure ("① 30%"), rather than breaking a name.
    first_words = {row.step: row.label.split(" ")[0] for row in steps.itertuples(index=False) if row.step in ranks}
    markers = {step: "".join(f"{hotspot_marker(r)}\u00a0" for r in found) for step, found in all_ranks.items()}
    by_name = all(text_width(f"{markers[step]}{word}", g.font) <= g.label_px for step, word in first_words.items())
    # A label for the planned width, and one for each wider drawing (`_STRETCHES`, `_shown_lines`).
    rooms = (g.label_px, *(g.label_room(stretch) for stretch in _STRETCHES))
    rows = []
    k = g.k
    for row in steps.itertuples(index=False):
        lane = row.stage if row.on_map else OFF_MAP_LANE
        if lane not in shown_lanes:
            continue
        x, y = layout.positions[row.step]
        y -= g.lift
        radius = g.r_min + (g.r_max - g.r_min) * math.sqrt(max(row.reached, 0) / peak)
        rank = ranks.get(row.step)
        marker = markers.get(row.step, "")  # no break after a number
        value = getattr(row, color_by)
        # A timer's wait is a rule, not work: off the time scales (grey, like an unmeasured step),
        # so the darkest step is the ① hotspot, as the ranking says; its value still reads.
        timer = row.step in automatic and color_by not in ("drop_off_rate", "satisfaction_mean")
        name = marker + row.label if by_name else row.label
        variants = [fit_label(name, room, g.font, g.max_lines, language=g.language) for room in rooms]
        if g.counts:  # else the count is in the node's size and tooltip (projectors, small charts)
            variants = [[*found, _count_line(row.reached, room, g.font)] for found, room in zip(variants, rooms)]
        lines = variants[0]
        value_text = (marker if not by_name else "") + ("timer " if timer else "") + _value_text(color_by, value)
        loop_lift = g.rows(12 * k) if row.step in looped else 0.0  # a self-loop arcs where the value would be
        target = f"{row.target_statistic} ≤ {human(row.target_s)}" if isinstance(row.target_statistic, str) else "–"
        dimmed = spotlight is not None and row.step != spotlight
        rows.append({
            "step": row.step, "label": row.label, "x": x, "y": y, "lines": "\n".join(lines), "radius": radius,
            **{f"lines_{i}": "\n".join(found) for i, found in enumerate(variants[1:])},
            "value_y": y - g.rows(radius + (7 if rank or row.step == spotlight else 3) * k) - loop_lift,
            "label_y": y + g.rows(radius + (7 if rank or row.step == spotlight else 3) * k),
            "half_width_px": max([text_width(line, g.font) for line in lines]
                                 + [text_width(value_text, g.font, bold=True), 2 * radius]) / 2,
            "size": (2 * radius) ** 2, "measure": 0.0 if pd.isna(value) or timer else float(value),
            "valid": pd.notna(value) and not timer,
            "value_text": value_text, "opacity": 0.25 if dimmed else 1.0,
            "ring": 4 * k if row.step == spotlight else 2.5 * k if rank else 0.0,
            "ring_size": (2 * radius + 8 * k) ** 2, "stage_label": stage_label.get(row.stage, "Off the map"),
            "owner": row.owner or "–", "reached_text": f"{row.reached:,}", "median_text": human(row.arrival_median_s),
            "p85_text": human(row.arrival_p85_s), "target_text": target,
            "dropped_text": f"{row.dropped:,} ({format_share(row.drop_off_rate)})",
            "in_flight_text": f"{row.in_flight:,}", "share_text": format_share(row.delay_share),
            "rework_text": f"{row.rework_cases:,}",
            "hotspot_text": f"#{rank}" if rank else "–"})
    columns = ["step", "x", "y", "lines", *(f"lines_{i}" for i in range(len(_STRETCHES))), "radius", "value_y",
               "label_y", "half_width_px", "size", "measure", "valid",
               "value_text", "opacity", "ring", "ring_size"]
    return pd.DataFrame(rows, columns=list(dict.fromkeys([*columns, *_NODE_TOOLTIP])))


def _count_line(reached: int, room: float, font: float) -> str:
    """The cases a step reached under its name: "1,234 cases", or the number alone where the words do not
    fit (not "5,000…")."""
    words = f"{reached:,} cases"
    return words if text_width(words, font) <= room else fit_label(f"{reached:,}", room, font, 1)[0]


def handoff_edges(metrics: JourneyMetrics) -> dict[tuple[str, str], str]:
    """The transitions that are handoffs (at least half of the times taken), each with its tooltip text."""
    found = metrics.handoffs
    if found is None:
        return {}
    table = metrics.transitions
    counts = {(a, b): int(n) for a, b, n in zip(table["from"], table["to"], table["count"])}
    owners = {step.id: step.owner for step in metrics.journey.steps} if metrics.journey else {}
    edges = {}
    for source, target, handoffs in zip(found.edges["from"], found.edges["to"], found.edges["handoffs"]):
        taken = counts.get((source, target), 0)
        if taken and 2 * handoffs >= taken:
            by_step = found.owners.column is None and owners.get(source) and owners.get(target)
            edges[(source, target)] = (f"{owners[source]} → {owners[target]}" if by_step else
                                       f"{handoffs:,} of {taken:,} times between teams")
    return edges


_HANDOFF_KIND = {"Designed transition": "Handoff between teams", "Loop back (rework)": "Handoff, loop back",
                 "Not in the design": "Handoff, not in the design"}


def _map_edges(metrics: JourneyMetrics, layout: JourneyLayout, detail: MapDetail, drawn: set[str],
               spotlight: str | None, g: _Geometry, nodes: pd.DataFrame,
               handoffs: dict[tuple[str, str], str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sampled points of every drawn transition, and one arrowhead per transition (handoffs in their
    own kind when `handoffs` names them)."""
    k = g.k
    observed = {(r["from"], r["to"]): r for r in metrics.transitions.to_dict("records")}
    peak = max((r["count"] for r in observed.values()), default=1)
    # How far each column's labels reach either side of it: lines run level that far before bending.
    reach: dict[int, float] = {}
    for x, half in zip(nodes["x"], nodes["half_width_px"]):
        column = int(round(x))
        reach[column] = max(reach.get(column, 0.0), g.layers(half + 3 * k))
    cap = g.layers((g.column_px - 8 * k) / 2)
    port = {column: min(value, cap) for column, value in reach.items()}
    radius = dict(zip(nodes["step"], nodes["radius"]))
    points, arrows = [], []
    for n, (source, target) in enumerate(detail.edges):
        if source not in drawn or target not in drawn:
            continue
        hidden = detail.bridges.get((source, target))
        seen = observed.get((source, target))
        if hidden is not None:
            path = [source, *hidden, target]
            counts = [int(observed[pair]["count"]) if pair in observed else 0 for pair in zip(path, path[1:])]
            count, designed = min(counts), True
            kind = "Through hidden steps"
            through = ", ".join(metrics.step_label(step) for step in hidden)
            name = f"{metrics.step_label(source)} → {metrics.step_label(target)} (through {through})"
        else:
            count = int(seen["count"]) if seen else 0
            designed = seen["designed"] if seen else True
            kind = ("Not in the design" if not designed else "Designed, never taken" if not count
                    else "Loop back (rework)" if (source, target) in layout.back_edges else "Designed transition")
            name = f"{metrics.step_label(source)} → {metrics.step_label(target)}"
            if (source, target) in (handoffs or {}):
                kind = _HANDOFF_KIND.get(kind, kind)
        width = (1 + 9 * count / peak) * k if count else 1.0 * k
        touches = spotlight is None or spotlight in (source, target)
        opacity = (0.85 if designed else 0.6) if touches else 0.12
        common = {
            "edge": n,
            "kind": kind,
            "width": width,
            "opacity": opacity,
            "name": name,
            "count_text": f"{count:,}",
            "median_text": human(seen["median_s"]) if seen and hidden is None else "–",
            "p85_text": human(seen["p85_s"]) if seen and hidden is None else "–",
            "handoff_text": (handoffs or {}).get((source, target), "–") if hidden is None else "–",
        }
        loop_px = radius.get(source, 7 * k) + 12 * k
        curve = [(px, py - g.lift) for px, py in edge_curve(
            layout, source, target, aspect=g.column_px / g.row_px, port=port,
            loop=(g.layers(loop_px), g.rows(loop_px)))]
        points += [{"x": px, "y": py, "i": i, **common} for i, (px, py) in enumerate(curve)]
        mid = _arrow_at(curve)
        (ax, ay), (bx, by) = curve[max(mid - 1, 0)], curve[min(mid + 1, len(curve) - 1)]
        arrows.append({"x": curve[mid][0], "y": curve[mid][1], "tx": bx - ax, "ty": by - ay, "opacity": opacity,
                       "size": (6 * k + 1.2 * width) ** 2, "color": EDGE_KINDS[kind][0]})
    return pd.DataFrame(points), pd.DataFrame(arrows)


def _arrow_at(curve: list[tuple[float, float]]) -> int:
    """Where a transition's arrowhead goes: the middle of its last bend (clear of labels), else its middle."""
    bending = [i for i in range(1, len(curve) - 1) if abs(curve[i][0] - round(curve[i][0])) > 0.2]
    if not bending:
        return len(curve) // 2
    last = [bending[-1]]
    for i in reversed(bending[:-1]):
        if i != last[-1] - 1:
            break
        last.append(i)
    return last[len(last) // 2]


def _measure_kind(color_by: str) -> str:
    """How a measure reads: a duration in seconds, a share of one, or a plain number."""
    if color_by in _KINDS:
        return _KINDS[color_by]
    if color_by.endswith("_s"):
        return "duration"
    return "share" if color_by.endswith(("_rate", "_share")) else "number"


def _measure_title(metrics: JourneyMetrics, color_by: str) -> str:
    """The legend title of a colour-by measure; unknown or non-numeric columns are a user error."""
    if color_by in MEASURES or color_by in OPS_MEASURES:
        return MEASURES.get(color_by) or OPS_MEASURES[color_by]
    column = metrics.steps.get(color_by)
    if column is None or not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        raise JourneyError(f"Cannot colour the map by '{color_by}': use one of {', '.join(MEASURES)} "
                           "or another numeric column of the step table.")
    return color_by.removesuffix("_s").replace("_", " ").capitalize()


def _value_text(color_by: str, value: Any) -> str:
    """A measure value as a person reads it ("3.1 d", "12%")."""
    if value is None or pd.isna(value):
        return ""
    kind = _measure_kind(color_by)
    if kind == "score":
        return f"{value:.1f}"
    return human(float(value)) if kind == "duration" else format_share(value) if kind == "share" else f"{value:,.3g}"


def _measure_color(color_by: str, title: str, nodes: pd.DataFrame, k: float, width: int) -> Any:
    """Fill of map nodes: the measure on a colour-blind-safe scale, grey where there is no value."""
    kind = _measure_kind(color_by)
    valid = nodes.loc[nodes["valid"].astype(bool), "measure"]
    top = 1.0 if color_by == "flow_efficiency" else valid.max() if len(valid) else 1.0  # efficiency: on 0-100%
    bottom = float(valid.min()) if kind == "score" and len(valid) and valid.min() < top else 0.0
    length = min(200 * k, width / 4)
    steps = legend_labels_fit(length, 13 * k) - 1  # ticks at round values, as many as the gradient holds apart
    ticks = share_ticks(float(top), steps) if kind == "share" else []
    extra: dict[str, Any] = (
        {"labelExpr": duration_expr(trim=True), "values": duration_ticks(float(top), steps)} if kind == "duration"
        else {"format": ".1%" if len(ticks) > 1 and ticks[1] < 0.01 else ".0%", "values": ticks}
        if kind == "share" else {"format": ".1f", "tickCount": steps} if kind == "score" else {"tickCount": steps})
    # Under the map and lying down: the values sit under the gradient, never on its title.
    legend = alt.Legend(title=title, orient="bottom", direction="horizontal", gradientLength=length,
                        gradientThickness=12 * k, labelOverlap="greedy", **extra)
    scale = alt.Scale(scheme=SCHEME, domain=[bottom, float(top) or 1.0], clamp=True,
                      reverse=color_by in _LOW_IS_WORSE)
    return alt.when("datum.valid").then(
        alt.Color("measure:Q", scale=scale, legend=legend)).otherwise(alt.value("#d5dae0"))
