"""Altair charts of a journey's metrics: the map, funnel, lead time, arrivals, OKRs and paths.

Every builder returns a finished chart (titled and configured) that the app shows and
`journeymap.export.render` writes. Data labels are plain text in the data, never markup; every
parameter has an explicit name, so the same inputs give the same spec.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from journeymap.charts.style import (
    FAINT,
    INK,
    NICE_TICKS_S,
    OUTCOMES,
    RULE_LABEL,
    change_labels,
    chart_subtitle,
    duration_expr,
    or_default,
    text_labels,
    time_unit,
    titled,
)
from journeymap.charts.textfit import LabelLanguage, fit_label
from journeymap.core.durations import format_seconds_as_text as human
from journeymap.core.errors import JourneyError
from journeymap.core.moments import week_start
from journeymap.core.numbers import format_share
from journeymap.engine.stats import quantile_of
from journeymap.journey.model import Change, Okr
from journeymap.measures.metrics import JourneyMetrics
from journeymap.measures.okr import MIN_WEEK_CASES, okr_status

__all__ = ["funnel_chart", "lead_time_chart", "lead_time_trend_chart", "arrival_chart", "okr_chart", "paths_chart"]


def funnel_chart(metrics: JourneyMetrics, *, title: str | None = None, subtitle: str | None = None) -> alt.LayerChart:
    """Cases reaching each designed step, split into moved on, in flight, dropped, completed and exited."""
    steps = metrics.steps[metrics.steps["on_map"]]
    exits, ends = set(metrics.exit_steps), set(metrics.end_steps)
    ordered = pd.concat([steps[~steps["step"].isin(exits)], steps[steps["step"].isin(exits)]])
    labels = _unique_labels(ordered)
    rows: list[dict[str, Any]] = []
    totals: list[dict[str, Any]] = []
    for row, label in zip(ordered.itertuples(index=False), labels):
        if row.step in ends:
            parts = {"Completed": row.reached}
        elif row.step in exits:
            parts = {"Exited here": row.reached}
        else:
            parts = {"Moved on": row.reached - row.dropped - row.in_flight, "In flight here": row.in_flight,
                     "Dropped here": row.dropped}
        rows += [{"label": label, "outcome": name, "cases": int(n), "order": list(OUTCOMES).index(name),
                  "share": f"{format_share(n / row.reached)}" if row.reached else "–"} for name, n in parts.items()]
        lost = f" · {row.dropped:,} dropped ({format_share(row.drop_off_rate)})" if row.dropped else ""
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
    return titled(
        chart, or_default(title, "How many cases reach each step"), or_default(subtitle, chart_subtitle(metrics))
    )


def lead_time_chart(metrics: JourneyMetrics, *, title: str | None = None,
                    subtitle: str | None = None) -> alt.LayerChart:
    """Distribution of completed cases' lead times, with median, p85 and p95 marked.

    The time axis is linear, unless the lead times are skewed (p95 over `SKEWED_LEAD_TIMES` times the
    median, as on most real logs: most cases in hours, a tail in weeks): then it is a log axis, so
    the typical cases and the tail both show instead of one tall bar at zero."""
    seconds = _completed(metrics)["lead_time_s"]
    median, p95 = metrics.lead_time.get("median_s"), metrics.lead_time.get("p95_s")
    log = bool(len(seconds)) and _skewed(median, p95)
    bars, x, unit_s = (_log_lead_bins if log else _linear_lead_bins)(seconds.to_numpy(dtype=float))
    counts = bars["count"].to_numpy()
    y = alt.Y("count:Q", title="Cases", scale=alt.Scale(domain=[0, max(int(counts.max(initial=0)), 1) * 1.15]))
    chart = alt.Chart(bars).mark_rect(color="#3b6ea8", stroke="white", strokeWidth=0.5).encode(
        x=x, x2="end:Q", y=y, y2=alt.datum(0),
        tooltip=[alt.Tooltip("range:N", title="Lead time"), alt.Tooltip("count:Q", title="Cases", format=",")])
    quantiles = {name: metrics.lead_time.get(f"{name}_s") for name in ("median", "p85", "p95")}
    marked = {name: float(value) for name, value in quantiles.items() if value is not None and pd.notna(value)}
    marks = pd.DataFrame([{"start": max(value, _LOG_FLOOR_S) if log else value / unit_s, "ypos": 6 + 20 * i,
                           "text": f"{name} {human(value)}"}
                          for i, (name, value) in enumerate(marked.items())])
    layers = [chart]
    if len(seconds) and seconds.min() == seconds.max():  # one bar: say what it means
        same = float(seconds.iloc[0])
        text = ("every case finished at once (0 s)" if same == 0 else
                f"all {len(seconds):,} completed case{'s' if len(seconds) != 1 else ''} took {human(same)}")
        starts, longest = bars["start"].to_numpy(), float(bars["end"].iloc[-1])
        note = pd.DataFrame([{"start": float(starts[np.searchsorted(starts, same / unit_s, side="right") - 1])
                              if same else 0.0, "count": int(counts.max()), "text": text}])
        layers += text_labels(note, {"align": "left" if same / unit_s < longest / 2 else "right", "baseline": "bottom",
                                     "dy": -6, "fontWeight": "bold"}, x=x, y=y, text="text:N")
    if not marks.empty:
        layers += [alt.Chart(marks).mark_rule(color=INK, strokeDash=[6, 4], strokeWidth=1.5).encode(x=x),
                   *text_labels(marks, RULE_LABEL, x=x, y=alt.Y("ypos:Q", scale=None), text="text:N")]
    done = f"{len(seconds):,} completed cases" if len(seconds) else "No case has completed yet"
    return titled(
        alt.layer(*layers).properties(width=1200, height=675),
        or_default(title, "Lead time: how long cases take"),
        [*_context(metrics, subtitle), done],
    )


SKEWED_LEAD_TIMES = 10.0  # p95 over this many medians: the lead-time histogram's axis is logarithmic


def _skewed(median_s: Any, p95_s: Any) -> bool:
    """True when the slowest twentieth of cases take over `SKEWED_LEAD_TIMES` times the median (and over a
    second): a linear axis would put most cases in its first bar."""
    if not (pd.notna(median_s) and pd.notna(p95_s)):
        return False
    return float(p95_s) > max(SKEWED_LEAD_TIMES * float(median_s), _LOG_FLOOR_S)


def _linear_lead_bins(seconds: np.ndarray) -> tuple[pd.DataFrame, alt.X, float]:
    """Equal bins from 0 to the longest lead time, their axis, and the seconds of its unit (the unit the
    median reads best in)."""
    unit, unit_s = time_unit(float(np.median(seconds)) if len(seconds) else 86400.0)
    values = seconds / unit_s
    # When every case took 0 s, the bins span the first unit, so the bar is not the width of a
    # numerical rounding (and the axis never runs below 0).
    longest = float(values.max()) if len(values) and values.max() > 0 else 1.0
    edges = np.histogram_bin_edges(values, bins=int(np.clip(np.sqrt(len(values)), 8, 40)), range=(0.0, longest))
    counts, _ = np.histogram(values, bins=edges)
    bars = pd.DataFrame({"start": edges[:-1], "end": edges[1:], "count": counts,
                         "range": [f"{human(a * unit_s)} to {human(b * unit_s)}"
                                   for a, b in zip(edges[:-1], edges[1:])]})
    x = alt.X("start:Q", title=f"Lead time of completed cases ({unit})",
              scale=alt.Scale(domain=[0.0, longest * 1.1], nice=False))  # room right of the last bar for its labels
    return bars, x, unit_s


_LEAD_BINS_PER_DECADE = 6


def _log_lead_bins(seconds: np.ndarray) -> tuple[pd.DataFrame, alt.X, float]:
    """Bins of equal width on a log axis (in seconds) from the shortest lead time to the longest;
    lead times under a second (0 s included) count in the first bin, which the axis labels "0 s"."""
    low = max(float(seconds.min()), _LOG_FLOOR_S)
    high = max(float(seconds.max()), low * 10)
    bins = int(np.clip(np.ceil(np.log10(high / low) * _LEAD_BINS_PER_DECADE), 8, 40))
    edges = np.geomspace(low, high, bins + 1)
    counts, _ = np.histogram(np.clip(seconds, low, high), bins=edges)
    froms = ["0 s" if i == 0 and seconds.min() < low else human(a) for i, a in enumerate(edges[:-1])]
    bars = pd.DataFrame({"start": edges[:-1], "end": edges[1:], "count": counts,
                         "range": [f"{a} to {human(b)}" for a, b in zip(froms, edges[1:])]})
    return bars, _log_time_x(low, high * 1.5, "start", "Lead time of completed cases (log scale)"), 1.0


def lead_time_trend_chart(metrics: JourneyMetrics, changes: Sequence[Change] | None = None, *,
                          title: str | None = None, subtitle: str | None = None) -> alt.LayerChart:
    """Median and p85 lead time by week of case start, with dated process changes marked; by month, or by
    quarter, where the cases' starts span more weeks or months than a line reads as a line (`_period`)."""
    if changes is None:
        changes = metrics.journey.changes if metrics.journey else ()
    done = _completed(metrics)
    period = _period(done["first_ts"].to_numpy(np.int64))
    weekly = _weekly(done, {name: quantile_of(name) for name in ("median", "p85")}, period)
    unit, unit_s = time_unit(metrics.lead_time.get("median_s") or 86400.0)
    long = weekly.melt(id_vars=["week", "n"], value_vars=["median", "p85"], var_name="statistic", value_name="s")
    long["value"] = long["s"] / unit_s
    long["text"] = [human(s) for s in long["s"]]
    x = alt.X("week:T", title=f"{period.title()} the cases started", scale=alt.Scale(type="utc"),
              axis=alt.Axis(format="%d %b %Y" if period == "week" else "%b %Y", labelAngle=0))
    y = alt.Y("value:Q", title=f"Lead time ({unit})")
    color = alt.Color("statistic:N", title=None, legend=alt.Legend(orient="top"),
                      scale=alt.Scale(domain=["median", "p85"], range=["#0072B2", "#D55E00"]))
    base = alt.Chart(long).encode(x=x, y=y, color=color, tooltip=[
        alt.Tooltip("week:N", title=f"{period.title()} from"), alt.Tooltip("statistic:N", title="Statistic"),
        alt.Tooltip("text:N", title="Lead time"), alt.Tooltip("n:Q", title="Completed cases", format=",")])
    layers = [_finishing_band(metrics, x), base.mark_line(strokeWidth=2.5),
              base.mark_point(filled=True, size=40).encode(shape=alt.Shape("statistic:N", legend=None))]
    layers += _change_marks(changes, x, [*long["week"], metrics.as_of])
    note = f"{period}s with at least {MIN_WEEK_CASES} completed cases; grey: recent starts, many not finished yet"
    return titled(alt.layer(*layers).properties(width=1200, height=675),
                  or_default(title, f"Lead time {period} by {period}"), [*_context(metrics, subtitle), note])


def arrival_chart(metrics: JourneyMetrics, step: str | None = None, *, title: str | None = None,
                  subtitle: str | None = None) -> alt.LayerChart:
    """How long cases take to arrive at each step (log time axis); with `step`, that step alone.

    Degenerate data still draws a readable chart: the axis spans at least two decades around the
    data (one bin of identical durations is a bar, not the whole plot), durations under a second sit
    at the left edge labelled 0 s, a step whose arrivals all took the same time says so in words,
    and a chart with no arrivals at all says why it is empty.
    """
    table = metrics.arrival_histogram.copy()
    table["range"] = [f"{human(a)} to {human(b)}" for a, b in zip(table["lower_s"], table["upper_s"])]
    table["lower_s"] = table["lower_s"].clip(lower=_LOG_FLOOR_S)
    steps = metrics.steps.set_index("step")
    if step is not None:
        if step not in steps.index:
            raise JourneyError(f"'{step}' is not a step of this journey or log.")
        return _step_arrival_chart(metrics, step, table[table["step"] == step], steps.loc[step], title, subtitle)
    order = [s for s in metrics.steps.loc[metrics.steps["on_map"], "step"] if s in set(table["step"])]
    labels = dict(zip(order, _unique_labels(steps.loc[order].reset_index())))
    table = table[table["step"].isin(order)].assign(label=lambda t: t["step"].map(labels))
    table["share"] = table["count"] / table.groupby("step")["count"].transform("sum")
    table["share_text"] = table["share"].map(format_share)
    figures = [{"label": labels[s], "lower_s": max(float(value), _LOG_FLOOR_S), "figure": name,
                "text": f"{name} {human(value)}"}
               for s in order for name, column in (("median", "arrival_median_s"), ("target", "target_s"))
               if pd.notna(value := steps.loc[s].get(column))]  # a bare log's steps have no target column
    table_figures = pd.DataFrame(figures, columns=["label", "lower_s", "figure", "text"])
    low, high = _arrival_domain(table, table_figures["lower_s"])
    x = _arrival_x(low, high)
    legends = bool(order)  # no legend of "NaN%" over an empty chart
    y = alt.Y("label:N", sort=[labels[s] for s in order], title=None, axis=alt.Axis(labelLimit=320, labelColor=INK))
    cells = alt.Chart(table).mark_rect().encode(
        x=x, x2="upper_s:Q", y=y, color=alt.Color("share:Q", title="Share of arrivals", scale=alt.Scale(scheme="blues"),
                                                  legend=alt.Legend(format=".0%", orient="right") if legends else None),
        tooltip=[alt.Tooltip("label:N", title="Step"), alt.Tooltip("range:N", title="Time to arrive"),
                 alt.Tooltip("count:Q", title="Arrivals", format=","), alt.Tooltip("share_text:N", title="Share")])
    table_figures["color"] = table_figures["figure"].map({"median": INK, "target": "#D55E00"})
    marks = alt.Chart(table_figures).mark_point(filled=True, size=120, stroke="white", strokeWidth=1, opacity=1).encode(
        x=x, y=y, color=alt.Color("color:N", scale=None),
        shape=alt.Shape("figure:N", title=None, scale=alt.Scale(domain=["median", "target"],
                                                                range=["circle", "triangle-down"]),
                        legend=alt.Undefined if legends else None),
        tooltip=[alt.Tooltip("label:N", title="Step"), alt.Tooltip("text:N", title="Figure")])
    layers = [cells, marks]
    # A lone cell does not say its value: words beside it do, right of it, or left of it when the
    # cell is near the right edge (where the words would run into the legend).
    beside: dict[bool, list[dict]] = {True: [], False: []}
    for s in order:
        if _same_every_time(steps.loc[s]):
            cell = table[table["step"] == s]
            right = np.log(high / cell["upper_s"].max()) >= 0.25 * np.log(high / low)
            beside[right].append({"label": labels[s], "text": f"all {human(steps.loc[s, 'arrival_min_s'])}",
                                  "lower_s": float(cell["upper_s"].max() if right else cell["lower_s"].min())})
    for right, rows in beside.items():
        if rows:
            layers += text_labels(pd.DataFrame(rows), {"align": "left" if right else "right", "dx": 6 if right else -6,
                                                       "fontWeight": "bold"}, x=x, y=y, text="text:N")
    if not order:
        layers.append(_empty_note("No arrival times yet: no case has moved from one step to another."))
    chart = alt.layer(*layers).resolve_scale(color="independent").properties(width=1200, height=675)
    return titled(chart, or_default(title, "How long cases take to arrive at each step"),
                  or_default(subtitle, chart_subtitle(metrics)))


_LOG_FLOOR_S = 1.0  # durations under a second (0 s included) are drawn from here, the axis's "0 s"
_MIN_DECADES = 2.0  # a log axis spans at least this many powers of ten


def _step_arrival_chart(metrics: JourneyMetrics, step: str, table: pd.DataFrame, row: pd.Series,
                        title: str | None, subtitle: str | None) -> alt.LayerChart:
    """One step's arrival times as a histogram, with median, p85 and target marked."""
    marks = [("median", row.get("arrival_median_s"), INK, [6, 4]), ("p85", row.get("arrival_p85_s"), INK, [2, 3])]
    if isinstance(row.get("target_statistic"), str):
        marks.append((f"target {row['target_statistic']}", row["target_s"], "#D55E00", [1, 0]))
    rules = pd.DataFrame([{"lower_s": max(float(v), _LOG_FLOOR_S), "text": f"{name} {human(v)}", "color": c,
                           "dash": d, "ypos": 6 + 20 * i} for i, (name, v, c, d) in enumerate(marks) if pd.notna(v)],
                         columns=["lower_s", "text", "color", "dash", "ypos"])
    x = _arrival_x(*_arrival_domain(table, rules["lower_s"]))
    top = float(table["count"].max()) if len(table) else 1.0
    y = alt.Y("count:Q", title="Arrivals", scale=alt.Scale(domain=[0, top * 1.15], nice=False))
    layers = [alt.Chart(table).mark_rect(color="#3b6ea8", stroke="white", strokeWidth=0.5).encode(
        x=x, x2="upper_s:Q", y=y, y2=alt.datum(0),
        tooltip=[alt.Tooltip("range:N", title="Time to arrive"), alt.Tooltip("count:Q", title="Arrivals")])]
    if not rules.empty:
        layers += [alt.Chart(rules).mark_rule(strokeWidth=2).encode(
            x=x, color=alt.Color("color:N", scale=None), strokeDash=alt.StrokeDash("dash:N", scale=None)),
            *text_labels(rules, RULE_LABEL, x=x, y=alt.Y("ypos:Q", scale=None), text="text:N",
                         color=alt.Color("color:N", scale=None))]
    label = metrics.step_label(step)
    if table.empty:
        layers.append(_empty_note(f"No arrival times at {label}: no case came here from an earlier step."))
    elif _same_every_time(row):  # one bar: say what it means above it
        seconds, arrivals = float(row["arrival_min_s"]), int(table["count"].sum())
        text = ("every case arrived at once (0 s)" if seconds == 0
                else f"all {arrivals:,} arrival{'s' if arrivals != 1 else ''} took {human(seconds)}")
        note = pd.DataFrame([{"lower_s": float(table["lower_s"].min()), "count": top, "text": text}])
        layers += text_labels(note, {"align": "left", "baseline": "bottom", "dy": -6, "fontWeight": "bold"},
                              x=x, y=y, text="text:N")
    return titled(
        alt.layer(*layers).properties(width=1200, height=675),
        or_default(title, f"Time to arrive at {label}"),
        or_default(subtitle, chart_subtitle(metrics)),
    )


def _arrival_domain(table: pd.DataFrame, figures: pd.Series) -> tuple[float, float]:
    """The seconds a log arrival axis spans: the bins and figures drawn, at least two decades."""
    values = pd.concat([table["lower_s"], table["upper_s"], figures]).astype(float)
    values = values[np.isfinite(values) & (values > 0)]
    low, high = (float(values.min()), float(values.max())) if len(values) else (_LOG_FLOOR_S, 86400.0)
    if high / low < 10 ** _MIN_DECADES:  # widen around the middle, never below the floor
        middle = np.sqrt(low * high)
        low = max(middle / 10 ** (_MIN_DECADES / 2), _LOG_FLOOR_S)
        high = max(middle * 10 ** (_MIN_DECADES / 2), low * 10 ** _MIN_DECADES)
    return low, high


def _arrival_x(low: float, high: float) -> alt.X:
    """The log time axis of arrival charts from `low` to `high` seconds."""
    return _log_time_x(low, high, "lower_s", "Time to arrive (log scale)")


def _log_time_x(low: float, high: float, field: str, title: str) -> alt.X:
    """A log time axis of seconds from `low` to `high`, ticks at nice durations, the floor written "0 s"."""
    ticks: list[float] = [t for t in NICE_TICKS_S if low <= t <= high]
    if len(ticks) < 2:  # beyond the nice ticks (years): the ends of the axis
        ticks = sorted({low, *ticks, high})
    labels = f"datum.value <= {_LOG_FLOOR_S} ? '0 s' : " + duration_expr(trim=True)
    return alt.X(f"{field}:Q", title=title, scale=alt.Scale(type="log", domain=[low, high], nice=False, clamp=True),
                 axis=alt.Axis(values=ticks, labelExpr=labels, grid=True))


def _same_every_time(row: pd.Series) -> bool:
    """True when every arrival at the step took the same time (all at once, or a fixed delay)."""
    low, high = row.get("arrival_min_s"), row.get("arrival_max_s")
    return bool(pd.notna(low) and pd.notna(high) and low == high)


def _empty_note(text: str) -> alt.Chart:
    """A sentence in the middle of a chart that has nothing to draw, instead of a blank plot."""
    return alt.Chart(pd.DataFrame([{"text": text}])).mark_text(fontSize=16, color=INK).encode(
        x=alt.value({"expr": "width / 2"}), y=alt.value({"expr": "height / 2"}), text="text:N")


def okr_chart(metrics: JourneyMetrics, okr: Okr, *, title: str | None = None,
              subtitle: str | Sequence[str] | None = None) -> alt.LayerChart:
    """An OKR's statistic week by week (by the week its cases reached the to-step) against its baseline and
    target; `okr.okr_status` is the one source of the figures."""
    status = okr_status(metrics, okr)
    unit, unit_s = time_unit(okr.baseline_s)
    figures = [("baseline", okr.baseline_s, FAINT), ("target", okr.target_s, "#009E73")]
    weekly = status.weekly.assign(week=status.weekly["week"].dt.strftime("%Y-%m-%d"))
    weekly["value"], weekly["text"] = weekly["value_s"] / unit_s, [human(v) for v in weekly["value_s"]]
    x = alt.X("week:T", title=f"Week the cases reached {metrics.step_label(okr.to_step)}", scale=alt.Scale(type="utc"),
              axis=alt.Axis(format="%d %b %Y", labelAngle=0))
    y = alt.Y("value:Q", title=f"{okr.statistic} time ({unit})", scale=alt.Scale(zero=True))
    line = alt.Chart(weekly).mark_line(point=True, color="#0072B2", strokeWidth=2.5).encode(
        x=x, y=y, tooltip=[alt.Tooltip("week:N", title="Week of"), alt.Tooltip("text:N", title=okr.statistic),
                           alt.Tooltip("cases:Q", title="Completed cases", format=",")])
    lines = pd.DataFrame([{"value": v / unit_s, "what": f"{name} {human(v)}", "c": c} for name, v, c in figures])
    rule = alt.Chart(lines).mark_rule(strokeWidth=2, strokeDash=[6, 4]).encode(y=y, color=alt.Color("c:N", scale=None))
    changes = metrics.journey.changes if metrics.journey else ()
    layers = [line, rule, *_change_marks(changes, x, list(weekly["week"])),
              *text_labels(lines, {"align": "right", "baseline": "bottom", "dx": -4, "dy": -4, "fontWeight": "bold"},
                           x=alt.value("width"), y=y, text="what:N", color=alt.Color("c:N", scale=None))]
    chart = alt.layer(*layers).properties(width=1200, height=675)
    return titled(chart, or_default(title, okr.name), [*_context(metrics, subtitle), status.sentence])


_PATH_LABEL_WIDTH = 330  # pixels of a path's name beside its bar: 3 lines of it leave 450 for the bars at 820
_PATH_LABEL_LINES = 3
_PATH_BAR = 16  # pixels: the bar, with its figures on a line above it
_PATH_ROW = 62  # pixels a path's row: three lines of its name (48) and air between the rows


def paths_chart(metrics: JourneyMetrics, *, title: str | None = None, subtitle: str | None = None) -> alt.LayerChart:
    """The most common paths through the journey: cases per path, with median lead time.

    `subtitle` is the context line (journey, data, filter); the lines under it, what is shown and path #1
    step by step, are always there. Path #1 is named step by step; every other path by how it differs
    from #1 ("skips Day-1 orientation"), each on up to three lines beside its bar, whole or cut with an ellipsis (the
    tooltip has the whole path). The figures stand on a line of their own above the bar, from its
    left end, so neither a long bar nor a long name can push them out of the chart.
    """
    variants = metrics.variants
    first = [metrics.step_label(s) for s in variants["path"].iloc[0]] if len(variants) else []
    language = LabelLanguage(metrics.step_label(s) for s in metrics.steps["step"])
    rows = []
    for rank, row in enumerate(variants.itertuples(index=False), start=1):
        labels = [metrics.step_label(s) for s in row.path]
        how = f"most common path: {' → '.join(labels)}" if rank == 1 else _difference(first, labels)
        last = row.path[-1] if row.path else ""
        outcome = ("Finished" if last in metrics.end_steps else "Exited" if last in metrics.exit_steps
                   else "Not finished")
        lead = f" · median lead time {human(row.median_lead_time_s)}" if pd.notna(row.median_lead_time_s) else ""
        name = fit_label(f"#{rank} {how}", _PATH_LABEL_WIDTH, 13, _PATH_LABEL_LINES, language=language)
        rows.append({"variant": "\n".join(name), "count": int(row.count), "outcome": outcome,
                     "text": f"{row.count:,} cases ({format_share(row.share)}){lead}", "path": " → ".join(labels)})
    table = pd.DataFrame(rows, columns=["variant", "count", "outcome", "text", "path"])
    top = max(table["count"].max() if len(table) else 1, 1)
    y = alt.Y("variant:N", sort=list(table["variant"]), title=None,
              axis=alt.Axis(labelLimit=_PATH_LABEL_WIDTH + 10, labelColor=INK, labelLineHeight=16,
                            labelExpr="split(datum.label, '\\n')"))
    x = alt.X("count:Q", title="Cases", scale=alt.Scale(domain=[0, top * 1.02], nice=False))
    bars = alt.Chart(table).mark_bar(height=_PATH_BAR, yOffset=_PATH_BAR / 2).encode(
        x=x, y=y, color=alt.Color("outcome:N", title="Path ends", legend=alt.Legend(orient="top"), scale=alt.Scale(
            domain=["Finished", "Exited", "Not finished"], range=["#009E73", "#CC79A7", "#E69F00"])),
        tooltip=[alt.Tooltip("path:N", title="Path"), alt.Tooltip("text:N", title="Cases")])
    text = alt.Chart(table).mark_text(align="left", baseline="bottom", dx=3, dy=-2).encode(
        x=alt.value(0), y=y, text="text:N")
    shown = f"top {len(table)} of {metrics.n_variants:,} paths; each after #1 told by how it differs from #1"
    head = f"#1: {' → '.join(first)}" if first else "no cases"
    height = max(675, _PATH_ROW * len(table) + 240)  # a row holds three lines of name; the title, legend and axis
    return titled(alt.layer(bars, text).properties(width=1200, height=height),
                  or_default(title, "The paths cases take"),
                  [*_context(metrics, subtitle), shown, head])


def _context(metrics: JourneyMetrics, subtitle: str | Sequence[str] | None) -> list[str]:
    """The context lines over a chart: the page's own (its filter), else the journey's and data's; the lines a
    chart adds under them (what is shown, what the grey band means) come after either way."""
    if subtitle is None:
        return [chart_subtitle(metrics)]
    return [subtitle] if isinstance(subtitle, str) else list(subtitle)


def _completed(metrics: JourneyMetrics) -> pd.DataFrame:
    """The completed cases of the metrics, with their lead times."""
    cases = metrics.cases
    return cases[(cases["status"] == "completed") & cases["lead_time_s"].notna()]


# A line of more points than this reads as a zigzag (twelve years of weeks on a 1280 screen): the next period.
_MOST_PERIODS = 130


def _period(starts: np.ndarray) -> str:
    """'week', 'month' or 'quarter': the shortest period of which the completed cases' starts (epoch µs)
    span at most `_MOST_PERIODS`."""
    weeks = (int(starts.max()) - int(starts.min())) / (7 * 86_400 * 1e6) if len(starts) else 0.0
    return "week" if weeks <= _MOST_PERIODS else "month" if weeks / 4.35 <= _MOST_PERIODS else "quarter"


def _period_start(first_ts: np.ndarray, period: str) -> pd.Series:
    """The start of each case's week (Monday), month or quarter, UTC, as a date."""
    if period == "week":
        return pd.Series(week_start(first_ts)).dt.strftime("%Y-%m-%d")
    months = first_ts.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64)
    if period == "quarter":
        months = months - months % 3
    return pd.Series(months.astype("datetime64[M]")).dt.strftime("%Y-%m-%d")


def _weekly(done: pd.DataFrame, quantiles: dict[str, float], period: str) -> pd.DataFrame:
    """Quantiles of lead time of the completed cases `done` per week (Monday, UTC), month or quarter of case
    start, those with enough cases only (the `week` column holds the period's first day whichever it is)."""
    week = _period_start(done["first_ts"].to_numpy(np.int64), period).set_axis(done.index)
    grouped = done.groupby(week)["lead_time_s"]
    table = pd.DataFrame({name: grouped.quantile(q) for name, q in quantiles.items()})
    table["n"] = grouped.size()
    table = table[table["n"] >= MIN_WEEK_CASES].rename_axis("week").reset_index()
    return table.astype({"week": str})


def _finishing_band(metrics: JourneyMetrics, x: alt.X) -> alt.Chart:
    """A grey band over the recent weeks whose cases have not had time to finish (p85 lead time)."""
    p85 = metrics.lead_time.get("p85_s") or 0.0
    end = metrics.as_of
    start = end - dt.timedelta(seconds=float(p85))
    band = pd.DataFrame([{"week": f"{start:%Y-%m-%d}", "end": f"{end:%Y-%m-%d}", "text": "still finishing"}])
    return alt.Chart(band).mark_rect(color="#e4e7eb", opacity=0.7).encode(x=x, x2="end:T")


def _change_marks(changes: Sequence[Change], x: alt.X, span: Sequence[Any]) -> list[alt.Chart]:
    """Vertical rules at dated process changes, each with its title whole (`style.change_labels`: two short
    lines, on the side of the rule that has room within the `span` of weeks drawn)."""
    if not changes:
        return []
    table = pd.DataFrame(change_labels(changes, span)).rename(columns={"x": "week"})
    rule = alt.Chart(table).mark_rule(color="#6b4c9a", strokeWidth=2, strokeDash=[4, 3]).encode(x=x)
    text: list[alt.Chart] = []
    for side, style in (("left", RULE_LABEL), ("right", {**RULE_LABEL, "align": "right", "dx": -5})):
        text += [layer.transform_filter(f"datum.side == '{side}'") for layer in text_labels(
            table, {**style, "color": "#6b4c9a"}, x=x, y=alt.Y("ypos:Q", scale=None), text="text:N")]
    return [rule, *text]


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
        elif op == "insert" and j1 and set(path[j1:j2]) == {path[j1 - 1]}:  # not "adds Payment after Payment"
            more = j2 - j1
            parts.append(f"repeats {path[j1 - 1]}" + (f" {more} more times" if more > 1 else ""))
        elif op == "insert":
            where = f" after {path[j1 - 1]}" if j1 else " first"
            parts.append(f"adds {' → '.join(path[j1:j2])}{where}")
        elif op == "replace" and i2 == len(base) and j2 == len(path) and j1 and j2 - j1 == 1:
            parts.append(f"ends at {path[j1]} after {path[j1 - 1]}")  # a longer new ending reads as "… instead of …"
        elif op == "replace":
            parts.append(f"{' → '.join(path[j1:j2])} instead of {' → '.join(base[i1:i2])}")
    return "; ".join(dict.fromkeys(parts)) or "same steps"
