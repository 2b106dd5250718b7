"""Charts that compare and decide: before/after a change, segments side by side, a what-if, p85 impact.

Same house style as `journeymap.charts.explorer` (`chartkit`): every table goes in once as a named dataset
(`compare_*`), durations read as people write them ("3.1 d"), labels are plain text in the data,
and what is significant is marked by a symbol (named in the legend), never by colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from journeymap.charts.style import FAINT, INK, MUTED, RULE_LABEL, records, text_labels, time_unit, titled
from journeymap.core.durations import format_seconds_as_text as human
from journeymap.core.numbers import format_change, format_share
from journeymap.decide.compare import Comparison, SegmentComparison
from journeymap.decide.whatif import WhatIf

__all__ = ["comparison_chart", "segment_chart", "whatif_chart", "impact_chart", "finish",
           "STATISTIC_COLORS", "CLEAR", "UNCLEAR"]

STATISTIC_COLORS = {"median": "#0072B2", "p85": "#D55E00"}  # Okabe-Ito blue and vermillion
CLEAR, UNCLEAR = "95% CI excludes no change", "no clear difference"
WIDTH, HEIGHT = 1200, 675
_STATS = ("median", "p85")


def finish(layers: Sequence[Any], datasets: dict[str, pd.DataFrame], title: str, subtitle: str | None,
           *lines: str, height: int = HEIGHT) -> Any:
    """Layers with their named datasets, sized and titled in the house style.

    The subtitle is the context (journey, data, filter: `chartkit.chart_subtitle`); `lines` follow it.
    """
    chart = alt.layer(*layers).properties(datasets={name: records(frame) for name, frame in datasets.items()})
    return titled(chart.properties(width=WIDTH, height=height), title, [line for line in (subtitle, *lines) if line])


def comparison_chart(comparison: Comparison, *, title: str | None = None, subtitle: str | None = None) -> Any:
    """Relative change of median and p85 lead time and time to arrive at each step, with 95% intervals."""
    first, second = comparison.names
    rows = [comparison.lead_time, *comparison.steps.to_dict("records")]
    order = ["Lead time (end to end)", *_unique(comparison.steps)]
    table = pd.DataFrame([_interval_row(row, label, stat, first, second, comparison.min_cases)
                          for row, label in zip(rows, order) for stat in _STATS])
    low, high = _domain(table)
    # Every label in one column right of the widest interval: beside its own interval's end, a median's label
    # ran over the p85 interval drawn just under it.
    right = table[["hi", "change"]].to_numpy(float)
    table["x_text"] = float(np.clip(np.nanmax(right, initial=0.0), low, high))
    for column in ("change", "lo", "hi"):
        table[column] = table[column].clip(low, high)
    data = alt.NamedData("compare_rows")
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=320, labelColor=INK))
    offset = alt.YOffset("statistic:N", sort=list(_STATS), scale=alt.Scale(paddingOuter=0.3))
    scale, axis = alt.Scale(domain=[low, high], nice=False), alt.Axis(format="+.0%")
    x_title = f"Change {second} against {first} (95% interval)"
    x = alt.X("change:Q", title=x_title, scale=scale, axis=axis)
    color = alt.Color("statistic:N", title="Statistic", legend=alt.Legend(orient="top"),
                      scale=alt.Scale(domain=list(_STATS), range=list(STATISTIC_COLORS.values())))
    shape = alt.Shape("verdict:N", title=None, legend=alt.Legend(orient="top"),
                      scale=alt.Scale(domain=[CLEAR, UNCLEAR], range=["diamond", "circle"]))
    tooltip = [alt.Tooltip("label:N", title="Step"), alt.Tooltip("text:N", title="Change")]
    zero = alt.Chart(alt.NamedData("compare_zero")).mark_rule(color=INK, strokeWidth=1.5).encode(x="x:Q")
    bars = alt.Chart(data).mark_rule(strokeWidth=3).encode(
        x=alt.X("lo:Q", title=x_title, scale=scale, axis=axis), x2="hi:Q", y=y, yOffset=offset, color=color,
        tooltip=tooltip)
    points = alt.Chart(data).mark_point(size=150, strokeWidth=2, opacity=1).encode(
        x=x, y=y, yOffset=offset, color=color, shape=shape, fill=alt.Fill("fill:N", scale=None), tooltip=tooltip)
    text = alt.Chart(data).mark_text(align="left", dx=10, fontSize=12).encode(
        x=alt.X("x_text:Q"), y=y, yOffset=offset, text="text:N", color=alt.value(MUTED))
    note = "median and p85 with 95% bootstrap intervals; ◆ filled: the interval excludes no change"
    height = max(HEIGHT, 56 * len(order))
    return finish([zero, bars, points, text], {"compare_rows": table, "compare_zero": pd.DataFrame({"x": [0.0]})},
                  title or "What changed, step by step", subtitle, comparison.title, note, height=height)


def segment_chart(segments: SegmentComparison, statistic: str = "p85", *, title: str | None = None,
                  subtitle: str | None = None) -> Any:
    """Each segment value against the rest: lead time and time to arrive at each step, widest gaps first."""
    prefix = "" if statistic == "median" else f"{statistic}_"
    ranked = list(dict.fromkeys(segments.ranking["label"])) if len(segments.ranking) else []
    rows = [("Lead time (end to end)", row) for row in segments.lead_time.to_dict("records")]
    rows += [(row["label"], row) for row in segments.steps.to_dict("records")]
    order = ["Lead time (end to end)", *ranked]
    counts = dict(zip(segments.values["value"], segments.values["cases"]))
    columns = [_column(value, counts) for value in segments.values["value"]]
    cells = []
    for label, row in rows:
        change, significant = row.get(f"{prefix}change", np.nan), bool(row.get(f"{prefix}significant"))
        seconds = row.get(f"{statistic}_s_segment", np.nan)
        known = change == change
        mark = ("▲ " if change > 0 else "▼ ") if significant and known else ""
        cells.append(
            {
                "label": label,
                "value": _column(row["value"], counts),
                "change": change if known else None,
                "opacity": 1.0 if significant else 0.35,
                "text": f"{human(seconds)}\n{mark}{format_change(change)}" if known else f"{human(seconds)}\ntoo few",
                "verdict": str(row.get("verdict", "")),
            }
        )
    table = pd.DataFrame(cells, columns=["label", "value", "change", "opacity", "text", "verdict"])
    order += [label for label in dict.fromkeys(table["label"]) if label not in order]
    data = alt.NamedData("compare_cells")
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=320, labelColor=INK))
    x = alt.X("value:N", sort=columns, title=segments.column, axis=alt.Axis(
        orient="top", labelAngle=0, labelLimit=160, labelColor=INK, labelExpr="split(datum.label, '\\n')"))
    color = alt.Color("change:Q", title=f"{statistic} against the rest", scale=alt.Scale(
        scheme="blueorange", domain=[-0.6, 0.6], clamp=True), legend=alt.Legend(format="+.0%", orient="right"))
    rect = alt.Chart(data).mark_rect(stroke="white", strokeWidth=2).encode(
        x=x, y=y, color=alt.when("isValid(datum.change)").then(color).otherwise(alt.value("#e4e7eb")),
        opacity=alt.Opacity("opacity:Q", scale=None), tooltip=[alt.Tooltip("verdict:N", title="Verdict")])
    text = alt.Chart(data).mark_text(fontSize=12, lineHeight=15).encode(
        x=x, y=y, text="text:N", color=alt.when("datum.opacity == 1 && abs(datum.change) > 0.4").then(
            alt.value("white")).otherwise(alt.value(INK)))
    note = f"{statistic} and its change against the rest; ▲ slower, ▼ faster: the 95% interval excludes no change"
    return finish([rect, text], {"compare_cells": table}, title or f"Who is it worse for? By {segments.column}",
                  subtitle, note, "faded: no clear difference; steps where the values differ most come first",
                  height=max(HEIGHT, 50 * len(order) + 200))


def whatif_chart(what_if: WhatIf, *, title: str | None = None, subtitle: str | None = None) -> Any:
    """Lead times of the completed cases as measured and as replayed, with p50, p85 and p95 of both."""
    before, after = what_if.lead_time_before_s, what_if.lead_time_after_s
    unit, unit_s = time_unit(float(np.median(before)) if len(before) else 86400.0)
    top = float(max(before.max(initial=0.0), after.max(initial=0.0))) / unit_s or 1.0
    edges = np.linspace(0.0, top, int(np.clip(np.sqrt(len(before)), 10, 40)) + 1)
    scenarios = {"As measured": before, f"What if: {what_if.description}": after}
    bins = pd.DataFrame([{"scenario": name, "start": float(a), "end": float(b), "cases": int(n),
                          "range": f"{human(a * unit_s)} to {human(b * unit_s)}"}
                         for name, values in scenarios.items()
                         for a, b, n in zip(edges[:-1], edges[1:], np.histogram(values / unit_s, edges)[0])])
    quantiles = what_if.quantiles
    rules = pd.DataFrame([{"scenario": name, "x": row[column] / unit_s, "statistic": row["statistic"]}
                          for name, column in zip(scenarios, ("before_s", "after_s"))
                          for row in quantiles.to_dict("records") if row[column] == row[column]],
                         columns=["scenario", "x", "statistic"])
    # The figures in one block in the emptier top corner, one line each; at each replayed line only its short
    # name, one row lower per line: three long labels beside their lines ran over each other and over the
    # next line whenever the quantiles were close.
    replayed = [row for row in quantiles.to_dict("records") if row["after_s"] == row["after_s"]]
    middle = float(np.median([row["after_s"] for row in replayed])) / unit_s / top if replayed else 0.0
    corner = "left" if middle > 0.5 else "right"
    labels = pd.DataFrame([{"x": row["after_s"] / unit_s, "ypos": 8 + 20 * i, "tag": row["statistic"],
                            "text": f"{row['statistic']} {human(row['before_s'])} → {human(row['after_s'])} "
                                    f"({format_change(row['change'])})"}
                           for i, row in enumerate(replayed)], columns=["x", "ypos", "tag", "text"])
    names = list(scenarios)
    color = alt.Color("scenario:N", title=None, legend=alt.Legend(orient="top", labelLimit=600),
                      scale=alt.Scale(domain=names, range=[FAINT, "#0072B2"]))
    x = alt.X("start:Q", title=f"Lead time of completed cases ({unit})", scale=alt.Scale(domain=[0, top], nice=False))
    bars = alt.Chart(alt.NamedData("compare_bins")).mark_rect(opacity=0.55).encode(
        x=x, x2="end:Q", y=alt.Y("cases:Q", title="Completed cases"), y2=alt.datum(0), color=color,
        tooltip=[alt.Tooltip("scenario:N", title="Scenario"), alt.Tooltip("range:N", title="Lead time"),
                 alt.Tooltip("cases:Q", title="Cases", format=",")])
    rule = alt.Chart(alt.NamedData("compare_rules")).mark_rule(strokeWidth=2).encode(
        x=alt.X("x:Q"), color=color, strokeDash=alt.StrokeDash("scenario:N", legend=None, scale=alt.Scale(
            domain=names, range=[[6, 4], [1, 0]])))
    tags = text_labels(alt.NamedData("compare_labels"), {**RULE_LABEL, "color": "#0072B2"}, x=alt.X("x:Q"),
                       y=alt.Y("ypos:Q", scale=None), text="tag:N")
    block = text_labels(alt.NamedData("compare_labels"), {**RULE_LABEL, "color": "#0072B2", "align": corner,
                                                          "dx": -8 if corner == "right" else 8},
                        x=alt.value({"expr": "width"}) if corner == "right" else alt.value(0),
                        y=alt.Y("ypos:Q", scale=None), text="text:N")
    text = [*tags, *block]
    note = f"{what_if.n_cases:,} completed cases replayed; lines at p50, p85 and p95 (dashed grey: as measured)"
    return finish([bars, rule, *text], {"compare_bins": bins, "compare_rules": rules, "compare_labels": labels},
                  title or f"What if: {what_if.description}", subtitle, what_if.sentence, note)


def impact_chart(impact: pd.DataFrame, *, top: int = 12, title: str | None = None,
                 subtitle: str | None = None) -> Any:
    """For each step, how much p85 lead time would fall if its arrival times were halved (largest first)."""
    shown = impact[impact["p85_impact_s"] > 0].head(top)
    base = float(impact["p85_before_s"].iloc[0]) if len(impact) else float("nan")
    unit, unit_s = time_unit(float(shown["p85_impact_s"].max()) if len(shown) else 86400.0)
    labels = _unique(shown)
    table = pd.DataFrame({"label": labels, "value": shown["p85_impact_s"].to_numpy() / unit_s,
                          "text": [f"−{human(s)} ({format_share(share)})" for s, share in
                                   zip(shown["p85_impact_s"], shown["impact_share"])]})
    y = alt.Y("label:N", sort=labels, title=None, axis=alt.Axis(labelLimit=320, labelColor=INK))
    top_value = float(table["value"].max()) if len(table) else 1.0
    x = alt.X("value:Q", title=f"p85 lead time saved if the step's arrival times were halved ({unit})",
              scale=alt.Scale(domain=[0, top_value * 1.25], nice=False))
    data = alt.NamedData("compare_impact")
    bars = alt.Chart(data).mark_bar(color="#0072B2", height={"band": 0.7}).encode(
        x=x, y=y, tooltip=[alt.Tooltip("label:N", title="Step"), alt.Tooltip("text:N", title="p85 impact")])
    text = alt.Chart(data).mark_text(align="left", dx=6).encode(x=x, y=y, text="text:N")
    note = f"p85 lead time now {human(base)}; each bar: the completed cases replayed with one step halved"
    return finish([bars, text], {"compare_impact": table}, title or "Which step is worth fixing: p85 impact",
                  subtitle, note)


def _interval_row(row: dict[str, Any], label: str, stat: str, first: str, second: str,
                  min_cases: int) -> dict[str, Any]:
    prefix = "" if stat == "median" else f"{stat}_"
    change, low, high = (row.get(f"{prefix}{key}", np.nan) for key in ("change", "ci_low", "ci_high"))
    a, b = row.get(f"{stat}_s_{first}", np.nan), row.get(f"{stat}_s_{second}", np.nan)
    significant = bool(row.get(f"{prefix}significant")) and change == change
    if change == change:
        text = f"{stat} {human(a)} → {human(b)} ({format_change(change)})" + (" ◆" if significant else "")
    else:
        text = f"{stat}: too few cases ({row.get(f'n_{first}', 0):,} {first}, {row.get(f'n_{second}', 0):,} {second})"
    return {"label": label, "statistic": stat, "change": change, "lo": low, "hi": high, "text": text,
            "verdict": CLEAR if significant else UNCLEAR,
            "fill": STATISTIC_COLORS[stat] if significant else "white"}


def _column(value: Any, counts: dict[Any, int]) -> str:
    """A segment value with its case count, on two lines."""
    return f"{value}\n{counts.get(value, 0):,} cases"


def _domain(table: pd.DataFrame) -> tuple[float, float]:
    """The x range: every interval and 0, clipped to −100%..+300%, with room on the right for the labels."""
    values = table[["change", "lo", "hi"]].to_numpy(float)
    values = values[np.isfinite(values)]
    low = max(float(min(values.min(initial=0.0), -0.1)), -1.0)
    high = min(float(max(values.max(initial=0.0), 0.1)), 3.0)
    span = high - low
    return low - 0.05 * span, high + 0.75 * span


def _unique(steps: pd.DataFrame) -> list[str]:
    """Step labels made unique with the step id where two steps share one."""
    if steps.empty:
        return []
    counts = steps["label"].value_counts()
    return [str(label) if counts[label] == 1 else f"{label} ({step})"
            for step, label in zip(steps["step"], steps["label"])]
