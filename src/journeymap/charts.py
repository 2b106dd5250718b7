"""Altair charts of a journey's metrics: the map, funnel, lead time, arrivals, OKRs and paths.

Every builder returns a finished chart (titled and configured) that the app shows and
`journeymap.export` writes. Data labels are plain text in the data, never markup; every
parameter has an explicit name, so the same inputs give the same spec.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
import textwrap
from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from .durations import format_seconds_as_text as human
from .errors import JourneyError
from .filters import CaseFilter
from .hotspots import Hotspot
from .layout import OFF_MAP_LANE, edge_curve, journey_layout
from .metrics import JourneyMetrics
from .model import Change, Okr

__all__ = ["MEASURES", "map_chart", "funnel_chart", "lead_time_chart", "lead_time_trend_chart", "arrival_chart",
           "okr_chart", "okr_note", "paths_chart", "titled", "chart_subtitle", "duration_expr", "STEP_SELECTION"]

MEASURES: dict[str, str] = {"arrival_median_s": "Median time to arrive", "arrival_p85_s": "p85 time to arrive",
                            "drop_off_rate": "Drop-off rate", "delay_share": "Share of lead time"}
STEP_SELECTION = "step"  # the point selection on map nodes; Streamlit returns it as event.selection["step"]
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
INK, MUTED, FAINT = "#1f2933", "#52606d", "#9aa5b1"
SCHEME = "orangered"  # sequential, lightness-monotone: readable with every colour-vision deficiency
OUTCOMES = {"Moved on": "#0072B2", "Completed": "#009E73", "In flight here": "#E69F00",  # Okabe-Ito
            "Dropped here": "#D55E00", "Exited here": "#CC79A7"}
EDGE_KINDS = {"Designed transition": ("#52606d", [1, 0]), "Loop back (rework)": ("#52606d", [7, 4]),
              "Designed, never taken": ("#c3cad2", [1, 0]), "Not in the design": ("#9aa5b1", [2, 3])}
_OFF_MAP_MIN_SHARE = 0.01  # off-map transitions taken by fewer cases than this are left off the map
_QUANTILE = {"median": 0.5, "p85": 0.85, "p95": 0.95}
_NICE_TICKS_S = [1, 10, 60, 600, 3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400, 28 * 86400, 91 * 86400, 365 * 86400]


def duration_expr(value: str = "datum.value", trim: bool = False) -> str:
    """A Vega expression writing seconds like `format_seconds_as_text` ("3.1 d")."""
    one = ".1~f" if trim else ".1f"
    return (f"{value} < 60 ? format({value}, '.0f') + ' s' : {value} < 3600 ? format({value} / 60, '.0f') + ' min' : "
            f"{value} < 86400 ? format({value} / 3600, '{one}') + ' h' : {value} < 5184000 ? "
            f"format({value} / 86400, '{one}') + ' d' : format({value} / 604800, '{one}') + ' w'")


def titled(chart: Any, title: str | None, subtitle: str | Sequence[str] | None = None, *, large: bool = False) -> Any:
    """Give a chart its title and subtitle, the house style, and a size that includes both."""
    k = 1.5 if large else 1.0
    padding = {side: 12 * k for side in ("left", "top", "right", "bottom")}  # Streamlit edits padding.bottom
    chart = chart.properties(autosize=alt.AutoSizeParams(type="fit", contains="padding"), padding=padding)
    if title or subtitle:
        chart = chart.properties(title=alt.TitleParams(
            text=title or "", subtitle=subtitle or "", anchor="start", fontSize=22 * k, subtitleFontSize=14 * k,
            color=INK, subtitleColor=MUTED, offset=14 * k))
    return (chart.configure(font=FONT, background="white")
            .configure_view(stroke=None)
            .configure_axis(tickCount=8, labelFontSize=13 * k, titleFontSize=14 * k, labelColor=MUTED, titleColor=INK,
                            titleFontWeight="normal", gridColor="#e4e7eb", domainColor=FAINT, tickColor=FAINT)
            .configure_legend(labelFontSize=13 * k, titleFontSize=14 * k, titleColor=INK, labelColor=INK,
                              titleFontWeight="normal", symbolSize=160 * k, labelLimit=360, titleLimit=360)
            .configure_text(fontSize=13 * k, color=INK, lineBreak="\n"))


def chart_subtitle(metrics: JourneyMetrics, case_filter: CaseFilter | None = None) -> str:
    """Journey, date range of the data, the filter in words and the as-of date, for a subtitle."""
    name = metrics.journey.name if metrics.journey else "Event log"
    if metrics.cases.empty:
        span = "no cases"
    else:
        first, last = _date(metrics.cases["first_ts"].min()), _date(metrics.cases["last_ts"].max())
        span = f"events {first} to {last}"
    described = case_filter.describe() if case_filter else "all cases"
    return f"{name} · {span} · {described} · as of {metrics.as_of:%Y-%m-%d}"


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
    datasets = {f"journey_{name}": _records(frame) for name, frame in
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
        layers.append(alt.Chart(data["edges"]).mark_line(interpolate="linear", strokeCap="round").encode(
            x=x, y=y, order="i:Q", detail="edge:N", strokeWidth=alt.StrokeWidth("width:Q", scale=None),
            opacity=alt.Opacity("opacity:Q", scale=None),
            stroke=alt.Stroke("kind:N", scale=alt.Scale(domain=kinds, range=[EDGE_KINDS[c][0] for c in kinds]),
                              legend=legend),
            strokeDash=alt.StrokeDash("kind:N", scale=alt.Scale(domain=kinds, range=[EDGE_KINDS[c][1] for c in kinds]),
                                      legend=legend),
            tooltip=[alt.Tooltip("name:N", title="Transition"), alt.Tooltip("count_text:N", title="Times taken"),
                     alt.Tooltip("median_text:N", title="Median time"), alt.Tooltip("p85_text:N", title="p85 time")]))
        arrow = alt.Chart(data["arrows"]).mark_point(shape="triangle-right", filled=True, strokeWidth=0)
        layers.append(arrow.transform_calculate(
            angle=f"atan2(datum.ty * height / {bottom}, datum.tx * width / {layout.n_layers + 0.6}) * 180 / PI"
        ).encode(x=x, y=y, angle=alt.Angle("angle:Q", scale=None), size=alt.Size("size:Q", scale=None),
                 color=alt.Color("color:N", scale=None), opacity=alt.Opacity("opacity:Q", scale=None)))
    layers.append(alt.Chart(data["rings"]).mark_point(shape="circle", filled=False, color=INK).encode(
        x=x, y=y, size=alt.Size("ring_size:Q", scale=None), strokeWidth=alt.StrokeWidth("ring:Q", scale=None),
        opacity=alt.Opacity("opacity:Q", scale=None)))
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
        layers += _labels(data["nodes"], {"fontSize": 13 * k, **style}, halo=halo, x=x, y=y, text=f"{field}:N",
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
        label = f"{chr(0x245F + rank)}\u00a0{row.label}" if rank else row.label  # no break after the number
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
    extra: dict[str, Any] = ({"labelExpr": duration_expr(trim=True), "values": _duration_ticks(float(top))}
                             if kind == "duration" else {"format": ".0%"} if kind == "share" else {})
    legend = alt.Legend(title=title, orient="right", gradientLength=200 * k, gradientThickness=14 * k, **extra)
    scale = alt.Scale(scheme=SCHEME, domain=[0, float(top) or 1.0], clamp=True)
    return alt.when("datum.valid").then(
        alt.Color("measure:Q", scale=scale, legend=legend)).otherwise(alt.value("#d5dae0"))


def _duration_ticks(top: float, most: int = 6) -> list[float]:
    """Legend ticks at round durations (every 12 h, 1 d, 2 d ...) from 0 up to `top` seconds."""
    steps = [60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 5 * 86400,
             7 * 86400, 14 * 86400, 28 * 86400, 91 * 86400]
    step = next((s for s in steps if top / s <= most), steps[-1])
    return [float(step * i) for i in range(int(top // step) + 1)]


def funnel_chart(metrics: JourneyMetrics, *, title: str | None = None, subtitle: str | None = None) -> alt.LayerChart:
    """Cases reaching each designed step, split into moved on, in flight, dropped, completed and exited."""
    steps = metrics.steps[metrics.steps["on_map"]]
    exits, ends = set(metrics.exit_steps), set(metrics.end_steps)
    ordered = pd.concat([steps[~steps["step"].isin(exits)], steps[steps["step"].isin(exits)]])
    labels = _unique_labels(ordered)
    rows, totals = [], []
    for row, label in zip(ordered.itertuples(index=False), labels):
        if row.step in ends:
            parts = {"Completed": row.reached}
        elif row.step in exits:
            parts = {"Exited here": row.reached}
        else:
            parts = {"Moved on": row.reached - row.dropped - row.in_flight, "In flight here": row.in_flight,
                     "Dropped here": row.dropped}
        rows += [{"label": label, "outcome": name, "cases": int(n), "order": list(OUTCOMES).index(name),
                  "share": f"{n / row.reached:.0%}" if row.reached else "–"} for name, n in parts.items()]
        lost = f" · {row.dropped:,} dropped ({row.drop_off_rate:.0%})" if row.dropped else ""
        totals.append({"label": label, "cases": int(row.reached), "text": f"{row.reached:,}{lost}"})
    top = max((t["cases"] for t in totals), default=1) or 1
    y = alt.Y("label:N", sort=labels, title=None, axis=alt.Axis(labelLimit=320, labelColor=INK))
    x = alt.X("cases:Q", title="Cases", scale=alt.Scale(domain=[0, top * 1.3], nice=False))
    bars = alt.Chart(pd.DataFrame(rows)).mark_bar(height={"band": 0.75}).encode(
        x=x, y=y, order="order:Q",
        color=alt.Color("outcome:N", title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=list(OUTCOMES), range=list(OUTCOMES.values()))),
        tooltip=[alt.Tooltip("label:N", title="Step"), alt.Tooltip("outcome:N", title="Outcome"),
                 alt.Tooltip("cases:Q", title="Cases", format=","), alt.Tooltip("share:N", title="Of those reached")])
    text = alt.Chart(pd.DataFrame(totals)).mark_text(align="left", dx=6).encode(x=x, y=y, text="text:N")
    chart = alt.layer(bars, text).properties(width=1200, height=675)
    return titled(chart, _or(title, "How many cases reach each step"), _or(subtitle, chart_subtitle(metrics)))


def lead_time_chart(metrics: JourneyMetrics, *, title: str | None = None,
                    subtitle: str | None = None) -> alt.LayerChart:
    """Distribution of completed cases' lead times, with median, p85 and p95 marked."""
    seconds = _completed(metrics)["lead_time_s"]
    unit, unit_s = _unit(seconds.median() if len(seconds) else 86400.0)
    values = seconds.to_numpy() / unit_s
    edges = np.histogram_bin_edges(values, bins=int(np.clip(np.sqrt(len(values)), 8, 40)),
                                   range=(0.0, float(values.max()) if len(values) else 1.0))
    counts, _ = np.histogram(values, bins=edges)
    bars = pd.DataFrame({"start": edges[:-1], "end": edges[1:], "count": counts,
                         "range": [f"{human(a * unit_s)} to {human(b * unit_s)}"
                                   for a, b in zip(edges[:-1], edges[1:])]})
    x = alt.X("start:Q", title=f"Lead time of completed cases ({unit})", scale=alt.Scale(nice=False))
    chart = alt.Chart(bars).mark_rect(color="#3b6ea8", stroke="white", strokeWidth=0.5).encode(
        x=x, x2="end:Q", y=alt.Y("count:Q", title="Cases"), y2=alt.datum(0),
        tooltip=[alt.Tooltip("range:N", title="Lead time"), alt.Tooltip("count:Q", title="Cases", format=",")])
    marks = pd.DataFrame([{"start": metrics.lead_time[f"{name}_s"] / unit_s, "ypos": 6 + 20 * i,
                           "text": f"{'median' if name == 'median' else name} {human(metrics.lead_time[f'{name}_s'])}"}
                          for i, name in enumerate(("median", "p85", "p95")) if metrics.lead_time.get(f"{name}_s")])
    layers = [chart]
    if not marks.empty:
        layers += [alt.Chart(marks).mark_rule(color=INK, strokeDash=[6, 4], strokeWidth=1.5).encode(x=x),
                   *_labels(marks, _RULE_LABEL, x=x, y=alt.Y("ypos:Q", scale=None), text="text:N")]
    done = f"{len(seconds):,} completed cases" if len(seconds) else "No case has completed yet"
    return titled(alt.layer(*layers).properties(width=1200, height=675), _or(title, "Lead time: how long cases take"),
                  _or(subtitle, [chart_subtitle(metrics), done]))


def lead_time_trend_chart(metrics: JourneyMetrics, changes: Sequence[Change] | None = None, *,
                          title: str | None = None, subtitle: str | None = None) -> alt.LayerChart:
    """Weekly median and p85 lead time by week of case start, with dated process changes marked."""
    if changes is None:
        changes = metrics.journey.changes if metrics.journey else ()
    weekly = _weekly(metrics, {"median": 0.5, "p85": 0.85})
    unit, unit_s = _unit(metrics.lead_time.get("median_s") or 86400.0)
    long = weekly.melt(id_vars=["week", "n"], value_vars=["median", "p85"], var_name="statistic", value_name="s")
    long["value"] = long["s"] / unit_s
    long["text"] = [human(s) for s in long["s"]]
    x = alt.X("week:T", title="Week the cases started", scale=alt.Scale(type="utc"),
              axis=alt.Axis(format="%d %b %Y", labelAngle=0))
    y = alt.Y("value:Q", title=f"Lead time ({unit})")
    color = alt.Color("statistic:N", title=None, legend=alt.Legend(orient="top"),
                      scale=alt.Scale(domain=["median", "p85"], range=["#0072B2", "#D55E00"]))
    base = alt.Chart(long).encode(x=x, y=y, color=color, tooltip=[
        alt.Tooltip("week:N", title="Week of"), alt.Tooltip("statistic:N", title="Statistic"),
        alt.Tooltip("text:N", title="Lead time"), alt.Tooltip("n:Q", title="Completed cases", format=",")])
    layers = [_finishing_band(metrics, x), base.mark_line(strokeWidth=2.5),
              base.mark_point(filled=True, size=40).encode(shape=alt.Shape("statistic:N", legend=None))]
    layers += _change_marks(changes, x)
    note = f"weeks with at least {_MIN_WEEK} completed cases; grey: recent starts, many not finished yet"
    return titled(alt.layer(*layers).properties(width=1200, height=675), _or(title, "Lead time week by week"),
                  _or(subtitle, [chart_subtitle(metrics), note]))


def arrival_chart(metrics: JourneyMetrics, step: str | None = None, *, title: str | None = None,
                  subtitle: str | None = None) -> alt.LayerChart:
    """How long cases take to arrive at each step (log time axis); with `step`, that step alone."""
    table = metrics.arrival_histogram.copy()
    table["lower_s"] = table["lower_s"].clip(lower=1.0)
    table["range"] = [f"{human(a)} to {human(b)}" for a, b in zip(table["lower_s"], table["upper_s"])]
    ticks = [t for t in _NICE_TICKS_S if table.empty or table["lower_s"].min() <= t <= table["upper_s"].max()]
    x = alt.X("lower_s:Q", title="Time to arrive (log scale)", scale=alt.Scale(type="log", nice=False),
              axis=alt.Axis(values=ticks, labelExpr=duration_expr(trim=True), grid=True))
    steps = metrics.steps.set_index("step")
    if step is not None:
        if step not in steps.index:
            raise JourneyError(f"'{step}' is not a step of this journey or log.")
        row = steps.loc[step]
        bars = alt.Chart(table[table["step"] == step]).mark_rect(color="#3b6ea8", stroke="white",
                                                                 strokeWidth=0.5).encode(
            x=x, x2="upper_s:Q", y=alt.Y("count:Q", title="Arrivals"), y2=alt.datum(0),
            tooltip=[alt.Tooltip("range:N", title="Time to arrive"), alt.Tooltip("count:Q", title="Arrivals")])
        marks = [("median", row["arrival_median_s"], INK, [6, 4]), ("p85", row["arrival_p85_s"], INK, [2, 3])]
        if isinstance(row["target_statistic"], str):
            marks.append((f"target {row['target_statistic']}", row["target_s"], "#D55E00", [1, 0]))
        rules = pd.DataFrame([{"lower_s": v, "text": f"{name} {human(v)}", "color": c, "dash": d, "ypos": 6 + 20 * i}
                              for i, (name, v, c, d) in enumerate(marks) if pd.notna(v)])
        layers = [bars]
        if not rules.empty:
            layers += [alt.Chart(rules).mark_rule(strokeWidth=2).encode(
                x=x, color=alt.Color("color:N", scale=None), strokeDash=alt.StrokeDash("dash:N", scale=None)),
                *_labels(rules, _RULE_LABEL, x=x, y=alt.Y("ypos:Q", scale=None), text="text:N",
                         color=alt.Color("color:N", scale=None))]
        label = metrics.step_label(step)
        return titled(alt.layer(*layers).properties(width=1200, height=675), _or(title, f"Time to arrive at {label}"),
                      _or(subtitle, chart_subtitle(metrics)))
    order = [s for s in metrics.steps.loc[metrics.steps["on_map"], "step"] if s in set(table["step"])]
    labels = dict(zip(order, _unique_labels(steps.loc[order].reset_index())))
    table = table[table["step"].isin(order)].assign(label=lambda t: t["step"].map(labels))
    table["share"] = table["count"] / table.groupby("step")["count"].transform("sum")
    y = alt.Y("label:N", sort=[labels[s] for s in order], title=None, axis=alt.Axis(labelLimit=320, labelColor=INK))
    cells = alt.Chart(table).mark_rect().encode(
        x=x, x2="upper_s:Q", y=y, color=alt.Color("share:Q", title="Share of arrivals", scale=alt.Scale(scheme="blues"),
                                                  legend=alt.Legend(format=".0%", orient="right")),
        tooltip=[alt.Tooltip("label:N", title="Step"), alt.Tooltip("range:N", title="Time to arrive"),
                 alt.Tooltip("count:Q", title="Arrivals", format=","), alt.Tooltip("share:Q", format=".0%")])
    figures = [{"label": labels[s], "lower_s": steps.loc[s, column], "figure": name,
                "text": f"{name} {human(steps.loc[s, column])}"}
               for s in order for name, column in (("median", "arrival_median_s"), ("target", "target_s"))
               if pd.notna(steps.loc[s, column])]
    table_figures = pd.DataFrame(figures, columns=["label", "lower_s", "figure", "text"])
    table_figures["color"] = table_figures["figure"].map({"median": INK, "target": "#D55E00"})
    marks = alt.Chart(table_figures).mark_point(filled=True, size=120, stroke="white", strokeWidth=1, opacity=1).encode(
        x=x, y=y, color=alt.Color("color:N", scale=None),
        shape=alt.Shape("figure:N", title=None, scale=alt.Scale(domain=["median", "target"],
                                                                range=["circle", "triangle-down"])),
        tooltip=[alt.Tooltip("label:N", title="Step"), alt.Tooltip("text:N", title="Figure")])
    chart = alt.layer(cells, marks).resolve_scale(color="independent").properties(width=1200, height=675)
    return titled(chart, _or(title, "How long cases take to arrive at each step"),
                  _or(subtitle, chart_subtitle(metrics)))


def okr_chart(metrics: JourneyMetrics, okr: Okr, *, title: str | None = None,
              subtitle: str | None = None) -> alt.LayerChart:
    """An OKR's statistic week by week against its baseline and target, or the closest honest figure."""
    unit, unit_s = _unit(okr.baseline_s)
    current = _okr_current(metrics, okr)
    figures = [("baseline", okr.baseline_s, FAINT), ("target", okr.target_s, "#009E73")]
    if _okr_spans_lead_time(metrics, okr):
        weekly = _weekly(metrics, {"value_s": _QUANTILE.get(okr.statistic, 0.85)})
        weekly["value"], weekly["text"] = weekly["value_s"] / unit_s, [human(v) for v in weekly["value_s"]]
        x = alt.X("week:T", title="Week the cases started", scale=alt.Scale(type="utc"),
                  axis=alt.Axis(format="%d %b %Y", labelAngle=0))
        y = alt.Y("value:Q", title=f"{okr.statistic} lead time ({unit})", scale=alt.Scale(zero=True))
        line = alt.Chart(weekly).mark_line(point=True, color="#0072B2", strokeWidth=2.5).encode(
            x=x, y=y, tooltip=[alt.Tooltip("week:N", title="Week of"), alt.Tooltip("text:N", title=okr.statistic),
                               alt.Tooltip("n:Q", title="Completed cases", format=",")])
        lines = pd.DataFrame([{"value": v / unit_s, "what": f"{name} {human(v)}", "c": c} for name, v, c in figures])
        rule = alt.Chart(lines).mark_rule(strokeWidth=2, strokeDash=[6, 4]).encode(
            y=y, color=alt.Color("c:N", scale=None))
        layers = [_finishing_band(metrics, x), line, rule,
            *_labels(lines, {"align": "right", "baseline": "bottom", "dx": -4, "dy": -4, "fontWeight": "bold"},
                     x=alt.value("width"), y=y, text="what:N", color=alt.Color("c:N", scale=None))]
    else:
        y = alt.Y("value:Q", title=f"{okr.statistic} ({unit})", scale=alt.Scale(zero=True))
        if current is not None:
            figures.append((f"measured: {okr.statistic} lead time", current, "#3b6ea8"))
        bars = pd.DataFrame([{"bar": name, "value": v / unit_s, "text": human(v), "c": c} for name, v, c in figures])
        xb = alt.X("bar:N", title=None, sort=list(bars["bar"]), axis=alt.Axis(labelAngle=0, labelLimit=400))
        layers = [alt.Chart(bars).mark_bar(size=90).encode(x=xb, y=y, color=alt.Color("c:N", scale=None)),
                  alt.Chart(bars).mark_text(baseline="bottom", dy=-4, fontWeight="bold").encode(
                      x=xb, y=y, text="text:N")]
    chart = alt.layer(*layers).properties(width=1200, height=675)
    return titled(chart, _or(title, okr.name), _or(subtitle, [chart_subtitle(metrics), okr_note(metrics, okr)]))


def okr_note(metrics: JourneyMetrics, okr: Okr) -> str:
    """One sentence saying what an OKR chart shows, and what it cannot measure."""
    name = f"{okr.statistic} time from {metrics.step_label(okr.from_step)} to {metrics.step_label(okr.to_step)}"
    current = _okr_current(metrics, okr)
    if _okr_spans_lead_time(metrics, okr):
        now = f"now {human(current)} over all completed cases" if current is not None else "no case has completed yet"
        return (f"The {name}, by week of case start: {now}; baseline {human(okr.baseline_s)}, "
                f"target {human(okr.target_s)}.")
    journey = metrics.journey
    upper = journey is not None and okr.from_step == journey.start and okr.to_step in journey.mandatory_steps()
    end = " or ".join(metrics.step_label(s) for s in metrics.end_steps)
    return (f"The {name} is not measured per case yet; the measured bar is the {okr.statistic} time from the first "
            f"event to {end}, {'an upper bound' if upper else 'a different span'}.")


def _okr_spans_lead_time(metrics: JourneyMetrics, okr: Okr) -> bool:
    """True when the OKR runs from the start step to an end step, i.e. it is the lead time."""
    journey = metrics.journey
    return journey is not None and okr.from_step == journey.start and okr.to_step in metrics.end_steps


def _okr_current(metrics: JourneyMetrics, okr: Okr) -> float | None:
    """The OKR's statistic of lead time over all completed cases, if any completed."""
    seconds = _completed(metrics)["lead_time_s"]
    return float(seconds.quantile(_QUANTILE.get(okr.statistic, 0.85))) if len(seconds) else None


def paths_chart(metrics: JourneyMetrics, *, title: str | None = None, subtitle: str | None = None) -> alt.LayerChart:
    """The most common paths through the journey: cases per path, with median lead time."""
    variants = metrics.variants
    first = [metrics.step_label(s) for s in variants["path"].iloc[0]] if len(variants) else []
    rows = []
    for rank, row in enumerate(variants.itertuples(index=False), start=1):
        labels = [metrics.step_label(s) for s in row.path]
        how = "most common path" if rank == 1 else _difference(first, labels)
        last = row.path[-1] if row.path else ""
        outcome = ("Finished" if last in metrics.end_steps else "Exited" if last in metrics.exit_steps
                   else "Not finished")
        lead = f" · median lead time {human(row.median_lead_time_s)}" if pd.notna(row.median_lead_time_s) else ""
        rows.append({"variant": f"#{rank} {_shorten(how, 70)}", "count": int(row.count), "outcome": outcome,
                     "text": f"{row.count:,} cases ({row.share:.0%}){lead}",
                     "path": " → ".join(labels)})
    table = pd.DataFrame(rows, columns=["variant", "count", "outcome", "text", "path"])
    top = max(table["count"].max() if len(table) else 1, 1)
    y = alt.Y("variant:N", sort=list(table["variant"]), title=None, axis=alt.Axis(labelLimit=520, labelColor=INK))
    x = alt.X("count:Q", title="Cases", scale=alt.Scale(domain=[0, top * 1.6], nice=False))
    bars = alt.Chart(table).mark_bar(height={"band": 0.7}).encode(
        x=x, y=y, color=alt.Color("outcome:N", title="Path ends", legend=alt.Legend(orient="top"), scale=alt.Scale(
            domain=["Finished", "Exited", "Not finished"], range=["#009E73", "#CC79A7", "#E69F00"])),
        tooltip=[alt.Tooltip("path:N", title="Path"), alt.Tooltip("text:N", title="Cases")])
    text = alt.Chart(table).mark_text(align="left", dx=6).encode(x=x, y=y, text="text:N")
    head = f"#1: {' → '.join(first)}" if first else "no cases"
    shown = f"top {len(table)} of {metrics.n_variants:,} paths"
    return titled(alt.layer(bars, text).properties(width=1200, height=675), _or(title, "The paths cases take"),
                  _or(subtitle, [chart_subtitle(metrics), f"{shown}; {head}"]))


_MIN_WEEK = 5  # weekly figures over fewer completed cases than this are left out


_RULE_LABEL = {"align": "left", "dx": 5, "baseline": "top", "fontWeight": "bold"}


def _labels(data: Any, mark: dict[str, Any], halo: float = 4, **encoding: Any) -> list[alt.Chart]:
    """A text layer over a white outline of itself, so labels stay readable where they cross lines."""
    text = alt.Chart(data).mark_text(**mark).encode(**encoding)
    if not halo:
        return [text]
    outline = {key: value for key, value in encoding.items() if key != "color"}
    under = {**mark, "stroke": "white", "strokeWidth": halo, "strokeJoin": "round", "color": "white"}
    return [alt.Chart(data).mark_text(**under).encode(**outline), text]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-ready rows (NaN as null), for a named dataset of a spec."""
    return json.loads(frame.to_json(orient="records", double_precision=15))


def _or(value: Any, default: Any) -> Any:
    """`value` unless it is None: an empty title means no title, None the default one."""
    return default if value is None else value


def _completed(metrics: JourneyMetrics) -> pd.DataFrame:
    """The completed cases of the metrics, with their lead times."""
    cases = metrics.cases
    return cases[(cases["status"] == "completed") & cases["lead_time_s"].notna()]


def _weekly(metrics: JourneyMetrics, quantiles: dict[str, float]) -> pd.DataFrame:
    """Quantiles of lead time per week of case start (Monday, UTC), weeks with enough cases only."""
    done = _completed(metrics)
    started = pd.to_datetime(done["first_ts"], unit="us", utc=True).dt.tz_localize(None).dt.normalize()
    week = (started - pd.to_timedelta(started.dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d")
    grouped = done.groupby(week)["lead_time_s"]
    table = pd.DataFrame({name: grouped.quantile(q) for name, q in quantiles.items()})
    table["n"] = grouped.size()
    table = table[table["n"] >= _MIN_WEEK].rename_axis("week").reset_index()
    return table.astype({"week": str})


def _finishing_band(metrics: JourneyMetrics, x: alt.X) -> alt.Chart:
    """A grey band over the recent weeks whose cases have not had time to finish (p85 lead time)."""
    p85 = metrics.lead_time.get("p85_s") or 0.0
    end = metrics.as_of
    start = end - dt.timedelta(seconds=float(p85))
    band = pd.DataFrame([{"week": f"{start:%Y-%m-%d}", "end": f"{end:%Y-%m-%d}", "text": "still finishing"}])
    return alt.Chart(band).mark_rect(color="#e4e7eb", opacity=0.7).encode(x=x, x2="end:T")


def _change_marks(changes: Sequence[Change], x: alt.X) -> list[alt.Chart]:
    """Vertical rules at dated process changes, each with its title."""
    if not changes:
        return []
    table = pd.DataFrame([{"week": f"{c.date:%Y-%m-%d}", "text": f"{c.date:%d %b}: {_shorten(c.title, 60)}",
                           "ypos": 6 + 20 * i} for i, c in enumerate(changes)])
    rule = alt.Chart(table).mark_rule(color="#6b4c9a", strokeWidth=2, strokeDash=[4, 3]).encode(x=x)
    return [rule, *_labels(table, {**_RULE_LABEL, "color": "#6b4c9a"}, x=x, y=alt.Y("ypos:Q", scale=None),
                           text="text:N")]


def _unit(seconds: float) -> tuple[str, float]:
    """The unit a duration axis reads best in: hours, days or weeks."""
    if seconds < 2 * 86400:
        return "hours", 3600.0
    return ("days", 86400.0) if seconds < 70 * 86400 else ("weeks", 7 * 86400.0)


def _unique_labels(steps: pd.DataFrame) -> list[str]:
    """Step labels for a category axis, made unique with the step id where two steps share one."""
    counts = steps["label"].value_counts()
    return [label if counts[label] == 1 else f"{label} ({step})" for step, label in zip(steps["step"], steps["label"])]


def _difference(base: list[str], path: list[str]) -> str:
    """How a path differs from the most common one, in words ("skips X; adds Y")."""
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, base, path, autojunk=False).get_opcodes():
        if op == "delete":
            parts.append(f"stops after {path[-1]}" if i2 == len(base) and j1 == len(path) and path
                         else f"skips {', '.join(base[i1:i2])}")
        elif op == "insert":
            where = f" after {path[j1 - 1]}" if j1 else " first"
            parts.append(f"adds {' → '.join(path[j1:j2])}{where}")
        elif op == "replace" and i2 == len(base) and j2 == len(path) and j1:
            parts.append(f"ends at {' → '.join(path[j1:j2])} after {path[j1 - 1]}")
        elif op == "replace":
            parts.append(f"{' → '.join(path[j1:j2])} instead of {' → '.join(base[i1:i2])}")
    return "; ".join(dict.fromkeys(parts)) or "same steps"


def _shorten(text: str, limit: int) -> str:
    """Text cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _date(epoch_us: Any) -> str:
    """Epoch microseconds as a UTC date."""
    return f"{dt.datetime.fromtimestamp(int(epoch_us) / 1e6, tz=dt.timezone.utc):%Y-%m-%d}"
