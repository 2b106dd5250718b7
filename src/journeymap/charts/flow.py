"""Charts of flow and goals: weekly throughput, cumulative flow, the WIP forecast, OKR progress and budget.

Every trend chart marks the journey's dated process changes. The comparison charts (before/after,
segments, what-if, p85 impact) live in `journeymap.charts.compare` and are re-exported here, so the
charts of "compare and decide" are all found in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from journeymap.charts.compare import finish
from journeymap.charts.style import INK, MUTED, RULE_LABEL, change_labels, text_labels, time_unit
from journeymap.charts.textfit import fit_label
from journeymap.core.durations import format_seconds_as_text as human
from journeymap.core.numbers import format_change, format_share
from journeymap.decide.flow import Forecast, done_by, level_names
from journeymap.decide.pilot import PilotComparison, pilot_text
from journeymap.journey.model import Change, Okr

__all__ = ["throughput_chart",
           "cumulative_flow_chart", "forecast_chart", "okr_progress_chart", "okr_budget_chart", "pilot_chart",
           "CHANGE_COLOR", "PILOT_COLORS"]

CHANGE_COLOR = "#6b4c9a"
_DATE_AXIS = alt.Axis(format="%d %b %Y", labelAngle=0)
_LEVEL_DASH = {50: [1, 0], 85: [8, 4], 95: [2, 3]}
_PILOT_MIN_BIN = 5  # completed cases a point needs; fewer say nothing about a median
PILOT_COLORS = {"pilot": "#0072B2", "others": "#E69F00"}  # Okabe-Ito blue and orange, told apart by dash too


def throughput_chart(throughput: pd.DataFrame, changes: Sequence[Change] = (), *, title: str | None = None,
                     subtitle: str | None = None) -> Any:
    """Completed cases per week (the current, partial week faded), with dated process changes."""
    table = pd.DataFrame({"week": _days(throughput["week"]), "end": _days(throughput["week"] + pd.Timedelta(days=7)),
                          "completed": throughput["completed"].astype(int),
                          "state": np.where(throughput["complete"], "complete week", "this week so far")})
    x_title = "Week the cases completed"
    x = alt.X("week:T", title=x_title, scale=alt.Scale(type="utc"), axis=_DATE_AXIS)
    bars = alt.Chart(alt.NamedData("flow_weeks")).mark_rect(stroke="white", strokeWidth=1).encode(
        x=x, x2="end:T", y=alt.Y("completed:Q", title="Completed cases"), y2=alt.datum(0),
        color=alt.Color("state:N", title=None, legend=alt.Legend(orient="top"), scale=alt.Scale(
            domain=["complete week", "this week so far"], range=["#0072B2", "#a9c7e3"])),
        tooltip=[alt.Tooltip("week:T", title="Week of", format="%d %b %Y"),
                 alt.Tooltip("completed:Q", title="Completed", format=","), alt.Tooltip("state:N", title="Week")])
    done = table.loc[table["state"] == "complete week", "completed"].tail(12)
    note = (f"mean of the last {len(done)} complete weeks: {done.mean():.0f} a week (range {done.min()}–{done.max()})"
            if len(done) else "no complete week yet")
    layers, datasets = _with_changes([bars], {"flow_weeks": table}, changes, x_title,
                                     [*table["week"][:1], *table["end"][-1:]])
    return finish(layers, datasets, title or "Throughput: cases completed each week", subtitle, note)


def cumulative_flow_chart(flow: pd.DataFrame, changes: Sequence[Change] = (), *, steps: Sequence[str] | None = None,
                          main_share: float = 0.5, title: str | None = None, subtitle: str | None = None) -> Any:
    """Cases that had reached each step by the end of each week: the gap between two lines is work waiting.

    Without `steps`, the steps on the main path: reached by at least `main_share` of the busiest step's cases.
    """
    final = flow.groupby("step", sort=False)["cases"].max()
    chosen = list(steps) if steps is not None else list(final[final >= main_share * final.max()].index)
    table = flow[flow["step"].isin(chosen)].copy()
    labels = {step: label for step, label in zip(table["step"], table["label"])}
    order = [labels[step] for step in final[final.index.isin(chosen)].sort_values(ascending=False, kind="stable").index]
    table = pd.DataFrame({"at": _moments(table["at"]), "label": table["label"].astype(str),
                          "cases": table["cases"].astype(int)})
    ends = _line_ends(table, order)
    # Room right of the last week for the names at the lines' ends (a legend beside the chart took that
    # room from the plot, and matching nine colours to it is no reading).
    span = [pd.Timestamp(value) for value in table["at"]]
    domain = ([_moment(min(span)), _moment(max(span) + (max(span) - min(span)) * _END_ROOM)] if span else None)
    x = alt.X("at:T", title="End of week", scale=alt.Scale(type="utc", domain=domain or alt.Undefined),
              axis=_DATE_AXIS)
    y = alt.Y("cases:Q", title="Cases that had reached the step")
    # Ordered as the lines are (top line first, darkest) in a lightness-monotone scheme, which stays ordered
    # for every colour-vision deficiency; plasma's hue turns from blue through magenta to orange, so
    # neighbouring lines differ more than in viridis; its palest yellow, weak on white, is left out.
    color = alt.Color("label:N", title=None, sort=order, legend=None,
                      scale=alt.Scale(scheme=alt.SchemeParams("plasma", extent=[0.0, 0.8]), domain=order))
    lines = alt.Chart(alt.NamedData("flow_cumulative")).mark_line(strokeWidth=2.5, interpolate="monotone").encode(
        x=x, y=y, color=color,
        tooltip=[alt.Tooltip("label:N", title="Step"), alt.Tooltip("at:T", title="By", format="%d %b %Y"),
                 alt.Tooltip("cases:Q", title="Cases", format=",")])
    names = text_labels(alt.NamedData("flow_cumulative_ends"), {"align": "left", "dx": 6, "fontWeight": "bold"},
                        x=alt.X("at:T"), y=alt.Y("ypos:Q"), text="name:N", color=color)
    note = ("cases that had reached each step on the main path by each week's end; the vertical gap between two "
            "lines is the work in progress between those steps")
    layers, datasets = _with_changes([lines, *names], {"flow_cumulative": table, "flow_cumulative_ends": ends},
                                     changes, "End of week", list(table["at"]))
    return finish(layers, datasets, title or "Cumulative flow: work in progress by step", subtitle, note)


_END_ROOM = 0.28  # the time axis runs on this share of its span past the last week, for the lines' names
_NAME_WIDTH = 160  # pixels of a line's name: what that room holds on the 820-pixel chart of a 1280 x 720 page
_PLOT_HEIGHT = 500  # pixels of a flow chart's plot, at the least (675 less its title, subtitle and axis)
_NAME_GAP = 17  # pixels between two names at the lines' ends: 13-pixel type and a little air


def _line_ends(table: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    """Where each line's name goes: at its last point, moved up or down just enough that no two names touch."""
    last = table[table["at"] == table["at"].max()].set_index("label")["cases"] if len(table) else pd.Series()
    top = float(table["cases"].max()) if len(table) else 0.0
    gap = _NAME_GAP * max(top, 1.0) / _PLOT_HEIGHT  # in cases
    rows = [{"label": label, "at": table["at"].max(), "cases": int(last.get(label, 0))} for label in order]
    rows.sort(key=lambda row: -row["cases"])
    placed: list[float] = []
    for row in rows:  # top down: each name at least a gap below the one above it
        placed.append(min(float(row["cases"]), placed[-1] - gap) if placed else float(row["cases"]))
    if placed and placed[-1] < 0:  # the lowest fell below the axis: lift them all
        placed = [value - placed[-1] for value in placed]
    # A long activity name is cut to the room right of the lines (with an ellipsis; the line's tooltip has it
    # whole): past the room it would squeeze the plot.
    return pd.DataFrame([{**row, "ypos": value, "name": fit_label(row["label"], _NAME_WIDTH, 13, 1, bold=True)[0]}
                         for row, value in zip(rows, placed)], columns=["label", "at", "cases", "ypos", "name"])


def forecast_chart(forecast: Forecast, wip: pd.DataFrame | None = None, changes: Sequence[Change] = (), *,
                   title: str | None = None, subtitle: str | None = None) -> Any:
    """Work in progress week by week, and when today's will be done at the recent pace (50/85/95% likely)."""
    history = pd.DataFrame({"at": _moments(wip["at"]), "wip": wip["wip"].astype(int)}) if wip is not None else (
        pd.DataFrame(columns=["at", "wip"]))
    now = pd.Timestamp(wip["at"].iloc[-1]) if wip is not None and len(wip) else _start(forecast)
    # Levels done on the same day are one line with one label ("Done by 4 Dec 2026 at 50, 85 and 95%
    # confidence"): three labels of one date read as three forecasts that happen to agree.
    same_day: dict[Any, list[int]] = {}
    for level in sorted(forecast.dates):
        if forecast.dates[level] is not None and now is not None:
            same_day.setdefault(forecast.dates[level], []).append(level)
    paths: list[dict[str, Any]] = []
    labels: list[dict[str, Any]] = []
    dashes: dict[str, list[int]] = {}
    for i, (day, done_levels) in enumerate(sorted(same_day.items())):
        end = pd.Timestamp(day, tz="UTC")
        name = level_names(done_levels)
        dashes[name] = _LEVEL_DASH[done_levels[0]]
        weeks = forecast.weeks[done_levels[0]]
        line = f"D{done_by({level: day for level in done_levels})[1:]} ({weeks:g} week{'' if weeks == 1 else 's'})"
        paths += [{"at": _moment(now), "wip": forecast.wip, "level": name, "text": line},
                  {"at": _moment(end), "wip": 0, "level": name, "text": line}]
        # On two lines, the date first: one line of it was half the width of an 820-pixel chart.
        labels.append({"at": _moment(end), "wip": 0, "row": i, "text": line.replace(" at ", "\nat ", 1)})
    table = pd.DataFrame(paths, columns=["at", "wip", "level", "text"])
    # The labels stand at the bottom, left of where the lines reach 0, one above the other (first date lowest):
    # at the top they ran across the work in progress line and a change's rule.
    top = float(max([forecast.wip, *history["wip"]]) if len(history) else forecast.wip) or 1.0
    for label in labels:
        label["ypos"] = top * (0.03 + 0.1 * label.pop("row"))
    x = alt.X("at:T", title=None, scale=alt.Scale(type="utc"), axis=_DATE_AXIS)
    y = alt.Y("wip:Q", title="Cases in progress", scale=alt.Scale(zero=True))
    past = alt.Chart(alt.NamedData("flow_wip")).mark_line(color=INK, strokeWidth=2.5).encode(
        x=x, y=y, tooltip=[alt.Tooltip("at:T", title="At", format="%d %b %Y"),
                           alt.Tooltip("wip:Q", title="In progress")])
    shown_levels = list(dashes) or [f"{level}%" for level in sorted(_LEVEL_DASH)]
    dash_range = list(dashes.values()) or list(_LEVEL_DASH.values())
    fan = alt.Chart(alt.NamedData("flow_forecast")).mark_line(strokeWidth=2.5, color="#0072B2").encode(
        x=x, y=y, detail="level:N", tooltip=[alt.Tooltip("text:N", title="Forecast")],
        strokeDash=alt.StrokeDash("level:N", title="Forecast", legend=alt.Legend(orient="top"),
                                  scale=alt.Scale(domain=shown_levels, range=dash_range)))
    text = text_labels(alt.NamedData("flow_labels"), {"align": "right", "baseline": "bottom", "dx": -16,
                                                      "color": "#0072B2", "fontWeight": "bold"},
                       x=alt.X("at:T"), y=alt.Y("ypos:Q"), text="text:N")
    datasets = {"flow_wip": history, "flow_forecast": table,
                "flow_labels": pd.DataFrame(labels, columns=["at", "wip", "ypos", "text"])}
    layers, datasets = _with_changes([past, fan, *text], datasets, changes, None,
                                     [*history["at"], *table["at"]])
    summary = (f"{forecast.wip:,} cases in flight, {done_by(forecast.dates)} at the recent pace" if same_day
               else forecast.sentence)
    return finish(layers, datasets, title or "When will today's work in progress be done?", subtitle, summary)


def okr_progress_chart(progress: pd.DataFrame, okr: Okr, changes: Sequence[Change] = (), *,
                       title: str | None = None, subtitle: str | None = None) -> Any:
    """An OKR's statistic per week of reaching its end step, against its baseline and target."""
    unit, unit_s = time_unit(okr.baseline_s)
    table = pd.DataFrame({"week": _days(progress["week"]), "value": progress["value_s"] / unit_s,
                          "text": progress["value_s"].map(human), "cases": progress["cases"].astype(int),
                          "progress": progress["progress"].map(format_share)})
    marks = pd.DataFrame([{"value": okr.baseline_s / unit_s, "text": f"baseline {human(okr.baseline_s)}", "c": MUTED},
                          {"value": okr.target_s / unit_s, "text": f"target {human(okr.target_s)}", "c": "#009E73"}])
    x_title = "Week the cases reached the OKR's end step"
    x = alt.X("week:T", title=x_title, scale=alt.Scale(type="utc"), axis=_DATE_AXIS)
    y = alt.Y("value:Q", title=f"{okr.statistic} ({unit})", scale=alt.Scale(zero=True))
    line = alt.Chart(alt.NamedData("flow_okr")).mark_line(point=True, color="#0072B2", strokeWidth=2.5).encode(
        x=x, y=y, tooltip=[alt.Tooltip("week:T", title="Week of", format="%d %b %Y"),
                           alt.Tooltip("text:N", title=okr.statistic), alt.Tooltip("cases:Q", title="Cases"),
                           alt.Tooltip("progress:N", title="Of the way to target")])
    rules = alt.Chart(alt.NamedData("flow_okr_marks")).mark_rule(strokeWidth=2, strokeDash=[6, 4]).encode(
        y=y, color=alt.Color("c:N", scale=None))
    text = text_labels(alt.NamedData("flow_okr_marks"), {"align": "right", "baseline": "bottom", "dx": -4, "dy": -4,
                                                         "fontWeight": "bold"},
                       x=alt.value("width"), y=y, text="text:N", color=alt.Color("c:N", scale=None))
    layers, datasets = _with_changes([line, rules, *text], {"flow_okr": table, "flow_okr_marks": marks}, changes,
                                     x_title, list(table["week"]))
    latest = f"latest week {table['text'].iloc[-1]}" if len(table) else "no case has reached it yet"
    return finish(layers, datasets, title or okr.name, subtitle, f"{okr.statistic} per week: {latest}; "
                  f"baseline {human(okr.baseline_s)} → target {human(okr.target_s)}")


def okr_budget_chart(budget: pd.DataFrame, okr: Okr, *, title: str | None = None, subtitle: str | None = None) -> Any:
    """The OKR target split across its usual steps; what the cases at the statistic spend there against it."""
    unit, unit_s = time_unit(max(float(budget["actual_s"].max()) if len(budget) else 0.0, okr.target_s / 4))
    labels = [str(label) for label in budget["label"]]
    table = pd.DataFrame({
        "label": labels, "actual": budget["actual_s"] / unit_s, "budget": budget["budget_s"] / unit_s,
        "state": np.where(budget["over_budget"], "over budget", "within budget"),
        "text": [f"{human(a)} against {human(b)}" + (f" · ▲ over by {human(o)}" if over else " · within budget")
                 for a, b, o, over in zip(budget["actual_s"], budget["budget_s"], budget["over_budget_s"],
                                          budget["over_budget"])]})
    top = float(np.nanmax(table[["actual", "budget"]].to_numpy(float), initial=1.0))
    y = alt.Y("label:N", sort=labels, title=None, axis=alt.Axis(labelLimit=320, labelColor=INK))
    x = alt.X("actual:Q", title=f"Time spent arriving at the step by cases at the {okr.statistic} ({unit})",
              scale=alt.Scale(domain=[0, top * 1.8], nice=False))
    data = alt.NamedData("flow_budget")
    bars = alt.Chart(data).mark_bar(height={"band": 0.6}).encode(
        x=x, y=y, color=alt.Color("state:N", title=None, legend=alt.Legend(orient="top"), scale=alt.Scale(
            domain=["over budget", "within budget"], range=["#D55E00", "#009E73"])),
        tooltip=[alt.Tooltip("label:N", title="Step"), alt.Tooltip("text:N", title="Spent of budget")])
    tick = alt.Chart(data).mark_tick(color=INK, thickness=3, size=30).encode(x=alt.X("budget:Q"), y=y)
    text = alt.Chart(data).mark_text(align="left", dx=8).encode(
        x=alt.X("max_x:Q"), y=y, text="text:N")
    over = int(budget["over_budget"].sum()) if len(budget) else 0
    note = (f"target {human(okr.target_s)} split in proportion to each step's median (black tick: the step's "
            f"budget); {over} of {len(budget)} steps over budget")
    return finish([bars, tick, text.transform_calculate(max_x="max(datum.actual, datum.budget)")],
                  {"flow_budget": table}, title or f"Budget: {okr.name}", subtitle, note)


def pilot_chart(result: PilotComparison, *, title: str | None = None, subtitle: str | None = None) -> Any:
    """Median lead time of the pilot and of everyone else by when their cases started, the change marked."""
    trend = result.trend[result.trend["cases"] >= _PILOT_MIN_BIN]
    unit, unit_s = time_unit(float(trend["median_s"].median()) if len(trend) else 86400.0)
    names = {"pilot": f"Pilot: {pilot_text(result.pilot)}", "others": "Everyone else"}
    table = pd.DataFrame({"start": _days(trend["start"]), "end": _days(trend["end"]),
                          "group": trend["group"].map(names), "value": trend["median_s"] / unit_s,
                          "text": trend["median_s"].map(human), "cases": trend["cases"].astype(int),
                          "period": np.where(trend["start"] < pd.Timestamp(result.day, tz="UTC"), "before", "after")})
    table["mid"] = [f"{pd.Timestamp(a) + (pd.Timestamp(b) - pd.Timestamp(a)) / 2:%Y-%m-%dT%H:%M:%S}Z"
                    for a, b in zip(table["start"], table["end"])]
    x_title = "When the cases started"
    x = alt.X("mid:T", title=x_title, scale=alt.Scale(type="utc"), axis=_DATE_AXIS)
    domain = [names["pilot"], names["others"]]
    lines = alt.Chart(alt.NamedData("flow_pilot")).mark_line(point=True, strokeWidth=2.5).encode(
        x=x, y=alt.Y("value:Q", title=f"Median lead time of completed cases ({unit})", scale=alt.Scale(zero=True)),
        color=alt.Color("group:N", title=None, legend=alt.Legend(orient="top", labelLimit=480), scale=alt.Scale(
            domain=domain, range=list(PILOT_COLORS.values()))),
        strokeDash=alt.StrokeDash("group:N", legend=None, scale=alt.Scale(domain=domain, range=[[1, 0], [6, 4]])),
        detail="period:N",  # no line across the change: before and after are two stories
        tooltip=[alt.Tooltip("group:N", title="Group"), alt.Tooltip("start:T", title="Started from", format="%d %b %Y"),
                 alt.Tooltip("text:N", title="Median lead time"), alt.Tooltip("cases:Q", title="Completed cases")])
    change = Change(result.day, result.title or f"change piloted by {pilot_text(result.pilot)}")
    layers, datasets = _with_changes([lines], {"flow_pilot": table}, [change], x_title,
                                     [*table["start"][:1], *table["end"][-1:]])
    lead = result.lead_time
    if lead["change"] == lead["change"]:
        notes = [f"median lead time: pilot {format_change(lead['pilot_change'])}, everyone else "
                 f"{format_change(lead['others_change'])}",
                 f"the pilot's effect beyond the others' change: {format_change(lead['change'])} (95% CI "
                 f"{format_change(lead['ci_low'])} to {format_change(lead['ci_high'])})"
                 + ("" if lead["significant"] else ", no clear effect")]
    else:
        notes = ["too few cases in one of the four groups to tell the pilot's effect"]
    days = int((trend["end"].iloc[0] - trend["start"].iloc[0]).days) if len(trend) else 7
    return finish(layers, datasets, title or f"Did the pilot work? {pilot_text(result.pilot)} against everyone else",
                  subtitle, *notes, f"each point: the median of the completed cases that started in {days} days "
                  f"(at least {_PILOT_MIN_BIN})")


def _start(forecast: Forecast) -> pd.Timestamp | None:
    """The day the forecast starts from (its as-of day), from its first dated level."""
    for level, day in sorted(forecast.dates.items()):
        if day is not None:
            return pd.Timestamp(day, tz="UTC") - pd.Timedelta(weeks=forecast.weeks[level])
    return None


def _with_changes(layers: list[Any], datasets: dict[str, pd.DataFrame], changes: Sequence[Change],
                  title: str | None, span: Sequence[Any]) -> tuple[list[Any], dict[str, pd.DataFrame]]:
    """Layers and datasets with a rule and a title at each dated process change.

    A title reads to the right of its rule, or to the left when the change falls in the right part
    of the time `span` (first and last moment drawn), so it stays inside the chart.
    """
    if not changes:
        return layers, datasets
    rows = change_labels(changes, span)
    at = alt.X("x:T", title=title, scale=alt.Scale(type="utc"), axis=_DATE_AXIS)
    data = alt.NamedData("flow_changes")
    rule = alt.Chart(data).mark_rule(color=CHANGE_COLOR, strokeWidth=2, strokeDash=[4, 3]).encode(x=at)
    text = []
    for side, style in (("left", RULE_LABEL), ("right", {**RULE_LABEL, "align": "right", "dx": -5})):
        text += [layer.transform_filter(f"datum.side == '{side}'") for layer in text_labels(
            data, {**style, "color": CHANGE_COLOR}, x=at, y=alt.Y("ypos:Q", scale=None), text="text:N")]
    return [*layers, rule, *text], {**datasets, "flow_changes": pd.DataFrame(rows)}


def _days(values: Any) -> list[str]:
    """Dates as ISO day strings (read as UTC by Vega)."""
    return [f"{pd.Timestamp(v):%Y-%m-%d}" for v in values]


def _moment(value: Any) -> str:
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return f"{stamp:%Y-%m-%dT%H:%M:%S}Z"


def _moments(values: Any) -> list[str]:
    """Moments as ISO UTC strings."""
    return [_moment(v) for v in values]

