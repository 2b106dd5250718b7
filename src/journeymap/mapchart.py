"""The journey map: steps in designed positions, volume and a chosen measure on top, hotspots marked."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from .chartkit import (
    INK, MUTED, SCHEME, EDGE_KINDS, duration_expr, titled, chart_subtitle, duration_ticks, text_labels, records,
)
from .durations import format_seconds_as_text as human
from .errors import JourneyError
from .hotspots import Hotspot, hotspot_marker
from .layout import OFF_MAP_LANE, edge_curve, journey_layout
from .metrics import JourneyMetrics

__all__ = ["MEASURES", "STEP_SELECTION", "map_chart"]


MEASURES: dict[str, str] = {"arrival_median_s": "Median time to arrive", "arrival_p85_s": "p85 time to arrive",
                            "drop_off_rate": "Drop-off rate", "delay_share": "Share of lead time"}
STEP_SELECTION = "step"  # the point selection on map nodes; Streamlit returns it as event.selection["step"]
_OFF_MAP_MIN_SHARE = 0.01  # off-map transitions taken by fewer cases than this are left off the map
def map_chart(metrics: JourneyMetrics, *, color_by: str = "arrival_median_s", hotspots: Sequence[Hotspot] | None = None,
              show_off_map: bool = False, stages_shown: int | None = None, spotlight: str | None = None,
              large: bool = False, width: int | None = None, height: int | None = None,
              title: str | None = None, subtitle: str | Sequence[str] | None = None) -> alt.LayerChart:
    """The journey map: steps in stage lanes, sized by cases reached, coloured by `color_by`."""
    journey = metrics.journey
    if journey is None:
        raise JourneyError("The map needs a journey definition; load one with the event log.")
    measure = _measure_title(metrics, color_by)
    steps = metrics.steps
    off_map = steps.loc[~steps["on_map"] & (steps["reached"] > 0), "step"].tolist() if show_off_map else []
    layout = journey_layout(journey, off_map)
    lanes = [lane for i, lane in enumerate(layout.lanes) if stages_shown is None or i < stages_shown]
    shown_lanes = {lane.stage for lane in lanes}
    k = 1.5 if large else 1.0
    per_layer = (width or 1200) * 0.8 / (layout.n_layers + 0.6)  # pixels between two layers, roughly
    wrap = max(8, int(per_layer / (7.5 * k)))  # characters of a label line that fit between two steps
    bottom = layout.height + 0.3  # room under the last row for its labels
    counts = k == 1.0 and (height or 675) * 0.85 / bottom >= 125  # a "1,234 cases" line fits under labels
    nodes = _map_nodes(metrics, layout, color_by, hotspots or (), spotlight, shown_lanes, k, wrap, counts)
    edges, arrows = _map_edges(metrics, layout, set(nodes["step"]), spotlight, show_off_map, k)
    x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=[-1.05, layout.n_layers - 0.45], nice=False, zero=False))
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=[0, bottom], nice=False, zero=False, reverse=True))
    x2, y2 = alt.X2("x2:Q"), alt.Y2("y2:Q")
    bands = pd.DataFrame([{"x": -1.05, "x2": layout.n_layers - 0.45, "y": lane.top,
                           "y2": bottom if lane is layout.lanes[-1] else lane.bottom,
                           "label": "\n".join(textwrap.wrap(lane.label, 14)), "stripe": i % 2}
                          for i, lane in enumerate(lanes)], columns=["x", "x2", "y", "y2", "label", "stripe"])
    # The tables go in once as named datasets: no per-layer copies, and no pandas clean-up by
    # Altair on every export (which took a third of the export time).
    datasets = {f"journey_{name}": records(frame) for name, frame in
                (("lanes", bands), ("edges", edges), ("arrows", arrows), ("nodes", nodes),
                 ("rings", nodes[nodes["ring"] > 0]))}
    data = {name.removeprefix("journey_"): alt.NamedData(name) for name in datasets}
    band = alt.Chart(data["lanes"]).mark_rect(opacity=1).encode(
        x=x, x2=x2, y=y, y2=y2, color=alt.Color("stripe:N", scale=alt.Scale(range=["#f2f4f7", "#e8ecf1"]), legend=None))
    band_text = alt.Chart(data["lanes"]).mark_text(align="left", baseline="top", dx=6 * k, dy=6 * k, fontWeight="bold",
                                           fontSize=14 * k, color=MUTED).encode(x=x, y=y, text="label:N")
    layers = [band, band_text]
    if not edges.empty:
        kinds = [kind for kind in EDGE_KINDS if kind in set(edges["kind"])]
        legend = alt.Legend(title="Transitions", symbolType="stroke", symbolStrokeWidth=3, orient="right")
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
                     alt.Tooltip("median_text:N", title="Median time"), alt.Tooltip("p85_text:N", title="p85 time")]))
        arrow = alt.Chart(data["arrows"]).mark_point(shape="triangle-right", filled=True, strokeWidth=0, opacity=1)
        layers.append(arrow.transform_calculate(
            angle=f"atan2(datum.ty * height / {bottom}, datum.tx * width / {layout.n_layers + 0.6}) * 180 / PI"
        ).encode(x=x, y=y, angle=alt.Angle("angle:Q", scale=None), size=alt.Size("size:Q", scale=None),
                 color=alt.Color("color:N", scale=None), fillOpacity=alt.FillOpacity("opacity:Q", scale=None)))
    layers.append(alt.Chart(data["rings"]).mark_point(shape="circle", filled=False, color=INK, opacity=1).encode(
        x=x, y=y, size=alt.Size("ring_size:Q", scale=None), strokeWidth=alt.StrokeWidth("ring:Q", scale=None),
        strokeOpacity=alt.StrokeOpacity("opacity:Q", scale=None)))
    selected = alt.selection_point(name=STEP_SELECTION, fields=["step"], on="click", clear="dblclick")
    color = _measure_color(color_by, measure, nodes, k)
    layers.append(alt.Chart(data["nodes"]).mark_circle(stroke=INK, opacity=1).encode(
        x=x, y=y, size=alt.Size("size:Q", scale=None), color=color,
        fillOpacity=alt.FillOpacity("opacity:Q", scale=None), strokeOpacity=alt.StrokeOpacity("opacity:Q", scale=None),
        strokeWidth=alt.when(selected, empty=False).then(alt.value(4 * k)).otherwise(alt.value(1)),
        tooltip=[alt.Tooltip(f"{field}:N", title=name) for field, name in _NODE_TOOLTIP.items()],
    ).add_params(selected).properties(name="journey_nodes"))
    above = -(nodes["radius"].max() + 4 * k) if not nodes.empty else 0
    below = nodes["radius"].max() + 4 * k if not nodes.empty else 0
    # Text is the slowest mark to render (each line is measured), so only the labels below the
    # nodes, which edges often cross, get a white outline.
    for field, style, halo in (("value_text", {"baseline": "bottom", "dy": float(above), "fontWeight": "bold"}, 0),
                               ("lines", {"baseline": "top", "dy": float(below), "lineHeight": 16 * k}, 4 * k)):
        layers += text_labels(data["nodes"], {"fontSize": 13 * k, **style}, halo=halo, x=x, y=y, text=f"{field}:N",
                          opacity=alt.Opacity("opacity:Q", scale=None))
    chart = alt.layer(*layers).resolve_scale(color="independent").properties(datasets=datasets)
    chart = chart.properties(width=width or 1200, height=height or 675)
    default_title = f"{journey.name}: {measure.lower()} at each step"
    return titled(chart, default_title if title is None else title,
                  chart_subtitle(metrics) if subtitle is None else subtitle, large=large)


_NODE_TOOLTIP = {"label": "Step", "stage_label": "Stage", "owner": "Owner", "reached_text": "Cases reached",
                 "median_text": "Median time to arrive", "p85_text": "p85 time to arrive", "target_text": "Target",
                 "dropped_text": "Dropped here", "in_flight_text": "In flight here", "share_text": "Share of lead time",
                 "rework_text": "Did it more than once", "hotspot_text": "Hotspot"}


def _map_nodes(metrics: JourneyMetrics, layout: Any, color_by: str, hotspots: Sequence[Hotspot],
               spotlight: str | None, shown_lanes: set[str], k: float, wrap: int, counts: bool) -> pd.DataFrame:
    """One row per drawn step: position, size, measure and its human texts."""
    journey = metrics.journey
    stage_label = {stage.id: stage.label for stage in journey.stages}
    ranks = {h.step: i for i, h in enumerate(hotspots[:20], start=1)}
    steps = metrics.steps[metrics.steps["step"].isin(layout.positions)]
    peak = max(int(steps["reached"].max()) if not steps.empty else 1, 1)
    rows = []
    for row in steps.itertuples(index=False):
        lane = row.stage if row.on_map else OFF_MAP_LANE
        if lane not in shown_lanes:
            continue
        x, y = layout.positions[row.step]
        radius = (7 + 19 * math.sqrt(row.reached / peak)) * k
        rank = ranks.get(row.step)
        label = f"{hotspot_marker(rank)}\u00a0{row.label}" if rank else row.label  # no break after the number
        value = getattr(row, color_by)
        lines = textwrap.wrap(label, wrap, break_long_words=False) or [""]
        if counts:  # else the count is in the node's size and tooltip (projectors, small charts)
            lines.append(f"{row.reached:,} cases")
        target = f"{row.target_statistic} ≤ {human(row.target_s)}" if isinstance(row.target_statistic, str) else "–"
        dimmed = spotlight is not None and row.step != spotlight
        rows.append({
            "step": row.step, "label": row.label, "x": x, "y": y, "lines": "\n".join(lines), "radius": radius,
            "size": (2 * radius) ** 2, "measure": 0.0 if pd.isna(value) else float(value), "valid": pd.notna(value),
            "value_text": _value_text(color_by, value), "opacity": 0.25 if dimmed else 1.0,
            "ring": 4 * k if row.step == spotlight else 2.5 * k if rank else 0.0,
            "ring_size": (2 * radius + 12 * k) ** 2, "stage_label": stage_label.get(row.stage, "Off the map"),
            "owner": row.owner or "–", "reached_text": f"{row.reached:,}", "median_text": human(row.arrival_median_s),
            "p85_text": human(row.arrival_p85_s), "target_text": target,
            "dropped_text": f"{row.dropped:,} ({row.drop_off_rate:.0%})", "in_flight_text": f"{row.in_flight:,}",
            "share_text": f"{row.delay_share:.0%}", "rework_text": f"{row.rework_cases:,}",
            "hotspot_text": f"#{rank}" if rank else "–"})
    columns = ["step", "x", "y", "lines", "radius", "size", "measure", "valid", "value_text", "opacity", "ring",
               "ring_size"]
    return pd.DataFrame(rows, columns=list(dict.fromkeys([*columns, *_NODE_TOOLTIP])))


def _map_edges(metrics: JourneyMetrics, layout: Any, drawn: set[str], spotlight: str | None, show_off_map: bool,
               k: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sampled points of every drawn transition, and one arrowhead per transition."""
    journey = metrics.journey
    observed = {(r["from"], r["to"]): r for r in metrics.transitions.to_dict("records")}
    pairs = [(t.source, t.target_step) for t in journey.transitions]
    if show_off_map:  # the frequent ones: a line per one-off would hide the design
        least = max(2, _OFF_MAP_MIN_SHARE * metrics.n_cases)
        pairs += sorted(pair for pair, r in observed.items() if not r["designed"] and r["count"] >= least)
    peak = max((r["count"] for r in observed.values()), default=1)
    points, arrows = [], []
    for n, (source, target) in enumerate(dict.fromkeys(pairs)):
        if source not in drawn or target not in drawn:
            continue
        seen = observed.get((source, target))
        count = int(seen["count"]) if seen else 0
        designed = seen["designed"] if seen else True
        kind = ("Not in the design" if not designed else "Designed, never taken" if not count
                else "Loop back (rework)" if (source, target) in layout.back_edges else "Designed transition")
        width = (1 + 11 * count / peak) * k if count else 1.0 * k
        touches = spotlight is None or spotlight in (source, target)
        opacity = (0.85 if designed else 0.6) if touches else 0.12
        name = f"{metrics.step_label(source)} → {metrics.step_label(target)}"
        common = {"edge": n, "kind": kind, "width": width, "opacity": opacity, "name": name,
                  "count_text": f"{count:,}", "median_text": human(seen["median_s"]) if seen else "–",
                  "p85_text": human(seen["p85_s"]) if seen else "–"}
        curve = edge_curve(layout, source, target)
        points += [{"x": px, "y": py, "i": i, **common} for i, (px, py) in enumerate(curve)]
        mid = len(curve) // 2
        (ax, ay), (bx, by) = curve[mid - 1], curve[mid + 1]
        arrows.append({"x": curve[mid][0], "y": curve[mid][1], "tx": bx - ax, "ty": by - ay, "opacity": opacity,
                       "size": (7 * k + 1.6 * width) ** 2, "color": EDGE_KINDS[kind][0]})
    return pd.DataFrame(points), pd.DataFrame(arrows)


def _measure_kind(color_by: str) -> str:
    """How a measure reads: a duration in seconds, a share of one, or a plain number."""
    if color_by.endswith("_s"):
        return "duration"
    return "share" if color_by.endswith(("_rate", "_share")) else "number"


def _measure_title(metrics: JourneyMetrics, color_by: str) -> str:
    """The legend title of a colour-by measure; unknown or non-numeric columns are a user error."""
    if color_by in MEASURES:
        return MEASURES[color_by]
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
    return human(float(value)) if kind == "duration" else f"{value:.0%}" if kind == "share" else f"{value:,.3g}"


def _measure_color(color_by: str, title: str, nodes: pd.DataFrame, k: float) -> Any:
    """Fill of map nodes: the measure on a colour-blind-safe scale, grey where there is no value."""
    kind = _measure_kind(color_by)
    top = nodes.loc[nodes["valid"].astype(bool), "measure"].max() if nodes["valid"].any() else 1.0
    extra: dict[str, Any] = ({"labelExpr": duration_expr(trim=True), "values": duration_ticks(float(top))}
                             if kind == "duration" else {"format": ".0%"} if kind == "share" else {})
    legend = alt.Legend(title=title, orient="right", gradientLength=200 * k, gradientThickness=14 * k, **extra)
    scale = alt.Scale(scheme=SCHEME, domain=[0, float(top) or 1.0], clamp=True)
    return alt.when("datum.valid").then(
        alt.Color("measure:Q", scale=scale, legend=legend)).otherwise(alt.value("#d5dae0"))
