"""The house style of journeymap's charts: fonts, colours, titles, duration axes and small helpers."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from collections.abc import Sequence
from typing import Any, Final

import altair as alt
import pandas as pd

from journeymap.charts.textfit import text_width
from journeymap.core.text import shorten
from journeymap.engine.filters import CaseFilter
from journeymap.measures.metrics import JourneyMetrics

__all__ = ["FONT", "INK", "MUTED", "FAINT", "SCHEME", "OUTCOMES", "EDGE_KINDS", "NICE_TICKS_S",
           "RULE_LABEL", "duration_expr", "titled", "chart_subtitle", "duration_ticks", "share_ticks",
           "legend_labels_fit", "text_labels", "records",
           "or_default", "time_unit", "date_text", "change_labels", "wrap_lines"]

INK, MUTED, FAINT = "#1f2933", "#52606d", "#9aa5b1"
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
SCHEME: Final = "orangered"  # sequential, lightness-monotone: readable with every colour-vision deficiency
OUTCOMES = {"Moved on": "#0072B2", "Completed": "#009E73", "In flight here": "#E69F00",  # Okabe-Ito
            "Dropped here": "#D55E00", "Exited here": "#CC79A7"}
# Edge colour and dash; [] is a solid line (a [1, 0] "dash" looks the same but cuts every edge
# into 1-pixel dashes for the rasteriser).
EDGE_KINDS = {"Designed transition": ("#52606d", []), "Loop back (rework)": ("#52606d", [7, 4]),
              "Designed, never taken": ("#c3cad2", []), "Not in the design": ("#9aa5b1", [2, 3]),
              "Through hidden steps": ("#7b8794", [1, 5]),  # the map's stand-in for a path through hidden steps
              # Handoffs between teams, when the map highlights them: Okabe-Ito blue, apart from the
              # greys of the other transitions and from the orange-red of the steps.
              "Handoff between teams": ("#0072B2", []), "Handoff, loop back": ("#0072B2", [7, 4]),
              "Handoff, not in the design": ("#0072B2", [2, 3])}
NICE_TICKS_S = [1, 10, 60, 600, 3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400, 28 * 86400, 91 * 86400, 365 * 86400]


def duration_expr(value: str = "datum.value", trim: bool = False) -> str:
    """A Vega expression writing seconds like `format_seconds_as_text` ("3.1 d")."""
    one = ".1~f" if trim else ".1f"
    return (f"{value} < 60 ? format({value}, '.0f') + ' s' : {value} < 3600 ? format({value} / 60, '.0f') + ' min' : "
            f"{value} < 86400 ? format({value} / 3600, '{one}') + ' h' : {value} < 5184000 ? "
            f"format({value} / 86400, '{one}') + ' d' : format({value} / 604800, '{one}') + ' w'")


def titled(chart: Any, title: str | None, subtitle: str | Sequence[str] | None = None, *, large: bool = False,
           scale: float | None = None) -> Any:
    """Give a chart its title and subtitle, the house style, and a size that includes both."""
    k = type_scale(large, scale)
    padding = {side: 12 * k for side in ("left", "top", "right", "bottom")}  # Streamlit edits padding.bottom
    properties: dict[str, Any] = {"autosize": alt.AutoSizeParams(type="fit", contains="padding"), "padding": padding}
    if title or subtitle:
        lines = wrap_lines([subtitle] if isinstance(subtitle, str) else list(subtitle or []), 760 * k, 14 * k)
        properties["title"] = alt.TitleParams(
            text=title or "", subtitle=lines[0] if len(lines) == 1 else lines or "", anchor="start",
            fontSize=22 * k, subtitleFontSize=14 * k, color=INK, subtitleColor=MUTED, offset=14 * k)
    # One `.properties`: each `.properties` or `.configure` call copies the whole chart. The config replaces
    # any the chart had, as `.configure` does.
    properties["config"] = alt.Config(
        font=FONT, background="white", view=alt.ViewConfig(stroke=None),
        axis=alt.AxisConfig(tickCount=8, labelFontSize=13 * k, titleFontSize=14 * k, labelColor=MUTED, titleColor=INK,
                            titleFontWeight="normal", gridColor="#e4e7eb", domainColor=FAINT, tickColor=FAINT),
        legend=alt.LegendConfig(labelFontSize=13 * k, titleFontSize=14 * k, titleColor=INK, labelColor=INK,
                                titleFontWeight="normal", symbolSize=160 * k, labelLimit=360, titleLimit=360),
        text=alt.MarkConfig(fontSize=13 * k, color=INK, lineBreak="\n"))
    return chart.properties(**properties)


def type_scale(large: bool, scale: float | None = None) -> float:
    """How much larger than on a page type and marks are drawn: `scale` when given, else 1.5 for
    projector type (`large`), else 1 (a 1920-pixel projector passes 2.25, the 1280 look made larger)."""
    return scale if scale else 1.5 if large else 1.0


def chart_subtitle(metrics: JourneyMetrics, case_filter: CaseFilter | None = None) -> str:
    """Journey, date range of the data, the filter in words and the as-of date, for a subtitle."""
    name = metrics.journey.name if metrics.journey else "Event log"
    if metrics.cases.empty:
        span = "no cases"
    else:
        first, last = date_text(metrics.cases["first_ts"].min()), date_text(metrics.cases["last_ts"].max())
        span = f"events {first} to {last}"
    described = case_filter.describe() if case_filter else "all cases"
    clock = " · in working hours" if getattr(metrics, "time", "calendar") == "working" else ""
    return f"{name} · {span} · {described} · as of {metrics.as_of:%Y-%m-%d}{clock}"


def duration_ticks(top: float, most: int = 6) -> list[float]:
    """Legend ticks at round durations (every 12 h, 1 d, 2 d ...) from 0 up to `top` seconds."""
    steps = [60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 5 * 86400,
             7 * 86400, 14 * 86400, 28 * 86400, 91 * 86400]
    step = next((s for s in steps if top / s <= most), steps[-1])
    return [float(step * i) for i in range(int(top // step) + 1)]


def share_ticks(top: float, most: int = 5) -> list[float]:
    """Legend ticks at round shares (every 1%, 2%, 5%, 10% ...) from 0 up to `top`: `most` + 1 ticks at most."""
    steps = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0]
    step = next((s for s in steps if int(top / s + 1e-9) <= most), steps[-1])
    return [round(step * i, 6) for i in range(int(top / step + 1e-9) + 1)]


def legend_labels_fit(length_px: float, font_px: float, chars: int = 4) -> int:
    """How many labels of `chars` characters fit side by side along a legend `length_px` long, with a gap of a
    character and more between: Vega's own ticks crowded a projector's legend ("0%4%6%8%"), and the browser
    measures text after Vega has placed it, so its overlap rule does not always catch it."""
    return max(2, int(length_px // (font_px * (0.62 * chars + 1.2))))


RULE_LABEL = {"align": "left", "dx": 5, "baseline": "top", "fontWeight": "bold"}
_CHANGE_LINE = 34  # characters a line of a change's title: two lines fit beside its rule on a 820-pixel chart


def change_labels(changes: Sequence[Any], span: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows for the titles of dated process changes on a time axis: the day, the title on at most two
    short lines, a height (one below the other) and the side of the rule it reads on.

    A title reads to the right of its rule, or to the left when the change falls in the right half
    of the time `span` (first and last moment drawn), so it stays inside the chart whole: a title
    running off the right edge is cut, and in a chart that fits its container it also squeezes the plot.
    """
    days = [_day(value) for value in span]
    low, high = (min(days), max(days)) if days else (None, None)
    rows = []
    for i, change in enumerate(sorted(changes, key=lambda c: c.date)):
        where = (_day(change.date) - low) / (high - low) if low is not None and high is not None and high > low else 0.0
        lines = textwrap.wrap(shorten(f"{change.date:%d %b}: {change.title}", 2 * _CHANGE_LINE), _CHANGE_LINE)
        rows.append({"x": f"{change.date:%Y-%m-%d}", "text": "\n".join(lines), "ypos": 8 + 36 * i,
                     "side": "right" if where > 0.5 else "left"})
    return rows


def wrap_lines(lines: Sequence[str], width: float = 760, size: float = 14) -> list[str]:
    """Subtitle lines wrapped to `width` pixels of `size`-pixel type (measured in the shipped font): Vega cuts
    a longer subtitle line with an ellipsis at the chart's width, and a 1280 x 720 page gives a chart 820.
    A line breaks between its " · " parts first (the journey, the dates, the filter stay whole), and between
    words only inside a part too long for a line of its own."""
    wrapped: list[str] = []
    for line in lines:
        current = ""
        for part in line.split(" · "):
            candidate = f"{current} · {part}" if current else part
            if not current or text_width(candidate, size) <= width:
                current = candidate
                continue
            wrapped += _wrap_words(current, width, size)
            current = part
        wrapped += _wrap_words(current, width, size)
    return wrapped


def _wrap_words(line: str, width: float, size: float) -> list[str]:
    """A line wrapped between words to `width` pixels."""
    wrapped: list[str] = []
    current = ""
    for word in line.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and text_width(candidate, size) > width:
            wrapped.append(current)
            candidate = word
        current = candidate
    return [*wrapped, current]


def _day(value: Any) -> pd.Timestamp:
    """A date or moment as a plain (naive, UTC) day."""
    stamp = pd.Timestamp(value)
    return (stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp).normalize()


def text_labels(data: Any, mark: dict[str, Any], halo: float = 4, **encoding: Any) -> list[alt.Chart]:
    """A text layer over a white outline of itself, so labels stay readable where they cross lines.

    Exports recognise this pair (`exporttext.split_halos`: the outline directly before its text,
    the same mark and encoding but for the white stroke and colour) and draw the outline from the
    labels instead of having Vega lay the text out twice.
    """
    text = alt.Chart(data).mark_text(**mark).encode(**encoding)
    if not halo:
        return [text]
    outline = {key: value for key, value in encoding.items() if key != "color"}
    under = {**mark, "stroke": "white", "strokeWidth": halo, "strokeJoin": "round", "color": "white"}
    return [alt.Chart(data).mark_text(**under).encode(**outline), text]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-ready rows (NaN as null), for a named dataset of a spec."""
    return json.loads(frame.to_json(orient="records", double_precision=15))


def or_default(value: Any, default: Any) -> Any:
    """`value` unless it is None: an empty title means no title, None the default one."""
    return default if value is None else value


def time_unit(seconds: float) -> tuple[str, float]:
    """The unit a duration axis reads best in: hours, days or weeks."""
    if seconds < 2 * 86400:
        return "hours", 3600.0
    return ("days", 86400.0) if seconds < 70 * 86400 else ("weeks", 7 * 86400.0)


def date_text(epoch_us: Any) -> str:
    """Epoch microseconds as a UTC date."""
    return f"{dt.datetime.fromtimestamp(int(epoch_us) / 1e6, tz=dt.UTC):%Y-%m-%d}"
