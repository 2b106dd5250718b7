"""The weekly report: one self-contained HTML page with the map, hotspots, funnel, lead time and OKRs.

Charts are inlined as SVG (no script, no external file, no URL), so the page opens offline, pastes
into a wiki and survives being attached to an email. Every text from the data goes through
`html.escape`; the SVGs escape their own text.
"""

from __future__ import annotations

import html
from typing import Any

from journeymap.charts.explorer import funnel_chart, lead_time_chart, lead_time_trend_chart, okr_chart
from journeymap.charts.map import map_chart
from journeymap.charts.mapdetail import map_detail
from journeymap.charts.style import chart_subtitle
from journeymap.core.durations import format_seconds_as_text
from journeymap.engine.filters import CaseFilter
from journeymap.export.render import export_chart, stable_svg_ids
from journeymap.journey.model import Journey
from journeymap.measures.hotspots import Hotspot
from journeymap.measures.metrics import JourneyMetrics
from journeymap.measures.okr import MIN_WEEK_CASES
from journeymap.measures.story import journey_story

__all__ = ["build_report", "REPORT_WIDTH", "REPORT_HEIGHT"]

REPORT_WIDTH, REPORT_HEIGHT = 1200, 675  # logical size of each chart; the page scales them to fit
_KIND_WORDS = {"delay": "slow", "target": "misses its target", "drop_off": "loses cases", "rework": "rework"}

_STYLE = """
body { margin: 0 auto; max-width: 1200px; padding: 24px; color: #1f2933; background: #fff;
       font: 16px/1.5 "DejaVu Sans", Verdana, Arial, sans-serif; }
h1 { font-size: 28px; margin: 0 0 4px; } h2 { font-size: 21px; margin: 36px 0 8px; border-top: 1px solid #e4e7eb;
padding-top: 20px; } .sub { color: #52606d; margin: 0 0 16px; } .lead { font-size: 19px; }
figure { margin: 8px 0; } figure svg { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; margin: 8px 0; } td, th { padding: 4px 14px 4px 0; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } .kinds { color: #52606d; font-size: 14px; }
ol.hotspots li { margin-bottom: 8px; } footer { margin-top: 40px; color: #52606d; font-size: 14px; }
"""


def build_report(metrics: JourneyMetrics, journey: Journey, *, case_filter: CaseFilter | None = None,
                 steps: int | float | None = None, transitions: int | None = None,
                 reference: JourneyMetrics | None = None) -> str:
    """The report page as one HTML string (deterministic: no dates but the data's own).

    `steps` and `transitions` set the map's detail as `mapdetail.map_detail` reads them (default:
    the most that fits); `reference`, the unfiltered log's metrics, ranks what the map draws.
    """
    subtitle = chart_subtitle(metrics, case_filter)
    story = journey_story(metrics)
    marked = list(story.marked)
    detail = map_detail(metrics, steps=steps, transitions=transitions, hotspots=marked, reference=reference,
                        width=REPORT_WIDTH, height=REPORT_HEIGHT, titled=False)
    hidden = detail.caption(hint="")
    charts = _Charts()
    parts = [
        f"<h1>{_e(journey.name)}</h1>", f'<p class="sub">{_e(subtitle)}</p>',
        f'<p class="lead">{_e(story.summary)}</p>', _summary_table(metrics),
        "<h2>The journey map</h2>",
        "<p>Steps sized by the cases that reached them and coloured by their share of lead time; "
        "numbered rings mark the top hotspots, dashed lines are loops back."
        + (f" {_e(hidden)} The busiest are drawn.</p>" if hidden else "</p>"),
        charts.figure(map_chart(metrics, hotspots=marked, title="", subtitle="", width=REPORT_WIDTH,
                                height=REPORT_HEIGHT, detail=detail, note=False), "Journey map"),
        "<h2>Hotspots</h2>", _hotspot_list(story.listed),
        "<h2>How many cases reach each step</h2>",
        charts.figure(funnel_chart(metrics, title="", subtitle=""), "Funnel"),
        "<h2>Lead time</h2>", charts.figure(lead_time_chart(metrics, title="", subtitle=""), "Lead time"),
        f"<p>Week by week, by the week the cases started (weeks with at least {MIN_WEEK_CASES} completed cases). "
        "The grey "
        "band covers recent starts: many of those cases have not finished, so those weeks look faster than they "
        "will end up.</p>",
        charts.figure(lead_time_trend_chart(metrics, journey.changes, title="", subtitle=""), "Lead time by week"),
        "<h2>Objectives and key results</h2>",
    ]
    if story.okrs:
        for status in story.okrs:
            parts += [f"<h3>{_e(status.okr.name)}</h3>", f'<p class="okr">{_e(status.sentence)}</p>',
                      charts.figure(okr_chart(metrics, status.okr, title="", subtitle=""), status.okr.name)]
    else:
        parts.append("<p>The journey definition names no OKRs.</p>")
    parts.append(f"<footer>Made with journeymap from {metrics.n_events:,} events of {metrics.n_cases:,} cases; "
                 f"figures as of {metrics.as_of:%Y-%m-%d %H:%M} UTC.</footer>")
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(journey.name)}: journey report</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
        *parts, "</body>", "</html>", ""])


class _Charts:
    """Renders charts to inline SVG, each with its own id prefix so gradients never clash."""

    def __init__(self) -> None:
        self.count = 0

    def figure(self, chart: Any, caption: str) -> str:
        """A chart as an inline SVG figure with an accessible label."""
        self.count += 1
        svg = export_chart(chart, "svg", width=REPORT_WIDTH, height=REPORT_HEIGHT).decode("utf-8")
        svg = stable_svg_ids(svg, prefix=f"c{self.count}-")
        svg = svg.replace("<svg ", f'<svg role="img" aria-label="{_e(caption)}" ', 1)
        return f"<figure>{svg}</figure>"


def _summary_table(metrics: JourneyMetrics) -> str:
    """Cases by status and the lead-time figures, as a small table."""
    counts = metrics.status_counts
    lead = metrics.lead_time
    rows = [("Cases", f"{metrics.n_cases:,}"), ("Completed", f"{counts.get('completed', 0):,}"),
            ("In flight", f"{counts.get('in_flight', 0):,}"), ("Dropped", f"{counts.get('dropped', 0):,}"),
            ("Exited", f"{counts.get('exited', 0):,}"),
            ("Median lead time", format_seconds_as_text(lead.get("median_s"))),
            ("p85 lead time", format_seconds_as_text(lead.get("p85_s")))]
    body = "".join(f'<tr><th scope="row">{_e(name)}</th><td class="n">{_e(value)}</td></tr>' for name, value in rows)
    return f"<table>{body}</table>"


def _hotspot_list(hotspots: tuple[Hotspot, ...]) -> str:
    """The hotspots as a numbered list of their sentences."""
    if not hotspots:
        return "<p>No step stands out: no hotspot was found.</p>"
    items = [f'<li>{_e(h.sentence)} <span class="kinds">({_e(", ".join(_KIND_WORDS.get(k, k) for k in h.kinds))})'
             "</span></li>" for h in hotspots]
    return '<ol class="hotspots">' + "".join(items) + "</ol>"


def _e(text: Any) -> str:
    """Text made safe for HTML."""
    return html.escape(str(text), quote=True)
