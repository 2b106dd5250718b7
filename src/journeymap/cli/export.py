"""The `journeymap export` and `journeymap report` commands: charts and the weekly report, offline."""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

from journeymap.charts.explorer import (
    arrival_chart,
    funnel_chart,
    lead_time_chart,
    lead_time_trend_chart,
    okr_chart,
    paths_chart,
)
from journeymap.charts.map import DEFAULT_MEASURE, MEASURES, map_chart
from journeymap.charts.mapdetail import map_detail, parse_steps, parse_transitions
from journeymap.charts.style import chart_subtitle
from journeymap.cli.options import add_events_options, add_measure_options, command, load_inputs
from journeymap.core.errors import JourneyError
from journeymap.engine.filters import CaseFilter, filter_events
from journeymap.export.render import (
    CHART_FORMATS,
    DEFAULT_HEIGHT,
    DEFAULT_SCALE,
    DEFAULT_WIDTH,
    export_chart,
    format_from_path,
)
from journeymap.export.report import build_report
from journeymap.journey.model import Journey
from journeymap.measures.metrics import JourneyMetrics, compute_metrics
from journeymap.measures.okr import okr_status
from journeymap.measures.opsmeasures import OPS_MEASURES, ops_measures, with_ops_measures
from journeymap.measures.story import journey_story

__all__ = ["add_export_commands", "CHARTS", "parse_case_filter"]

CHARTS = ("map", "funnel", "lead-time", "lead-time-trend", "arrival", "okr", "paths")


def add_export_commands(commands: Any) -> None:
    """Add `export` and `report` to the sub-parsers of `journeymap`."""
    export = commands.add_parser("export", help="draw a chart to PNG, SVG, PDF or self-contained HTML")
    export.add_argument("journey", help="journey definition (YAML)")
    export.add_argument("--events", required=True, help="event log (CSV, Parquet, Excel or XES)")
    export.add_argument("--chart", choices=CHARTS, default="map")
    export.add_argument("--format", choices=CHART_FORMATS, help="default: from the --out file's suffix")
    export.add_argument("--out", required=True, help="file to write")
    export.add_argument("--color-by", default=DEFAULT_MEASURE,
                        help=f"map colour: {', '.join([*MEASURES, *OPS_MEASURES])} or another numeric step column "
                             f"(default {DEFAULT_MEASURE})")
    export.add_argument("--show-off-map", action="store_true", help="map: draw off-map steps and transitions")
    export.add_argument("--handoffs", action="store_true",
                        help="map: draw the transitions between teams (handoffs) in their own colour")
    _add_detail_options(export)
    export.add_argument("--step", help="arrival: one step (id or label)")
    export.add_argument("--okr", default="1", help="okr: which OKR of the journey, 1 = the first")
    export.add_argument("--width", type=int, default=DEFAULT_WIDTH, help=f"logical pixels (default {DEFAULT_WIDTH})")
    export.add_argument("--height", type=int, default=DEFAULT_HEIGHT, help=f"logical pixels (default {DEFAULT_HEIGHT})")
    export.add_argument("--scale", type=float, default=DEFAULT_SCALE, help="PNG pixels per logical pixel (default 2)")
    _add_filter_options(export)
    add_measure_options(export)
    add_events_options(export)

    report = commands.add_parser("report", help="one self-contained HTML page: map, hotspots, funnel, lead time, OKRs")
    report.add_argument("journey", help="journey definition (YAML)")
    report.add_argument("--events", required=True, help="event log (CSV, Parquet, Excel or XES)")
    report.add_argument("--out", required=True, help="HTML file to write")
    _add_detail_options(report)
    _add_filter_options(report)
    add_measure_options(report)
    add_events_options(report)


def _add_detail_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("map detail (default: the most that fits, at least the 8 busiest steps)")
    group.add_argument("--steps", metavar="N|PCT",
                       help="steps to draw, most cases reached first: a number, a percentage (60%%) or 'all'")
    group.add_argument("--transitions", metavar="PCT",
                       help="percentage of the transitions between drawn steps to draw, busiest first, or 'all'")


def _detail(args: argparse.Namespace) -> tuple[int | float | None, int | None]:
    """The map detail the options ask for (None: the default); a bad value is one sentence, exit 1."""
    steps = parse_steps(args.steps) if args.steps is not None else None
    transitions = parse_transitions(args.transitions) if args.transitions is not None else None
    return steps, transitions


def _add_filter_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("which cases")
    group.add_argument("--from", dest="date_from", metavar="DATE", help="cases started on or after (YYYY-MM-DD)")
    group.add_argument("--to", dest="date_to", metavar="DATE", help="cases started on or before (YYYY-MM-DD)")
    group.add_argument("--segment", action="append", default=[], metavar="KEY=VALUE",
                       help="only cases with this attribute value; repeat for more (same key: either value)")
    group.add_argument("--as-of", help="ISO moment the statuses are taken at (default: the last event)")


@command("export")
def _export(args: argparse.Namespace) -> int:
    fmt = args.format or format_from_path(args.out)
    _detail(args)  # a bad value says so before the log is read
    metrics, journey, case_filter, reference = _measure(args)
    chart = _chart(args, metrics, journey, chart_subtitle(metrics, case_filter), reference)
    data = export_chart(chart, fmt, width=args.width, height=args.height, scale=args.scale)
    Path(args.out).write_bytes(data)
    print(f"{args.out}: {args.chart} chart as {fmt.upper()} ({len(data):,} bytes)")
    return 0


@command("report")
def _report(args: argparse.Namespace) -> int:
    steps, transitions = _detail(args)
    metrics, journey, case_filter, reference = _measure(args)
    page = build_report(metrics, journey, case_filter=case_filter, steps=steps, transitions=transitions,
                        reference=reference)
    Path(args.out).write_text(page, encoding="utf-8")
    print(f"{args.out}: report on {metrics.n_cases:,} cases ({len(page.encode('utf-8')):,} bytes)")
    return 0


def _measure(args: argparse.Namespace) -> tuple[JourneyMetrics, Journey, CaseFilter, JourneyMetrics]:
    """Read the journey and log, keep the cases the filter asks for, and compute their metrics.

    Also the metrics of the whole log, which rank the map's steps and transitions (as in the
    app, a filter changes the figures on the map, not which steps it draws).
    """
    log, journey = load_inputs(args, args.events, args.journey)
    if journey is None:  # load_inputs returns one whenever a journey path is given, as it always is here
        raise JourneyError("These commands need a journey definition.")
    case_filter = parse_case_filter(args.date_from, args.date_to, args.segment, log.attributes)
    events = filter_events(log.frame, case_filter)
    metrics = compute_metrics(events, journey, as_of=args.as_of, team=args.team, time=args.time)
    if metrics.n_cases == 0:
        raise JourneyError(f"No case in {args.events} matches {case_filter.describe()}: widen the dates or segments.")
    map_drawn = getattr(args, "chart", "map") == "map"
    if map_drawn and getattr(args, "color_by", None) in OPS_MEASURES:
        metrics = _with_ops(metrics, events, journey, tuple(log.attributes), args)
    reference = metrics if case_filter.is_empty() or not map_drawn else compute_metrics(log.frame, journey,
                                                                                       as_of=args.as_of, team=args.team,
                                                                                       time=args.time)
    return metrics, journey, case_filter, reference


def parse_case_filter(date_from: str | None, date_to: str | None, segments: list[str],
                      columns: tuple[str, ...] | list[str]) -> CaseFilter:
    """The case filter of `--from`, `--to` and `--segment KEY=VALUE` options, checked against the log."""
    start, end = _date("--from", date_from), _date("--to", date_to)
    if start and end and start > end:
        raise JourneyError(f"--from {start} is after --to {end}: swap them.")
    chosen: dict[str, tuple[str, ...]] = {}
    for text in segments:
        key, sep, value = text.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise JourneyError(f"--segment '{text}' is not KEY=VALUE, e.g. --segment department=Sales.")
        if key not in columns:
            known = ", ".join(columns) or "none"
            raise JourneyError(f"--segment '{key}' is not a column of the event log (segments: {known}).")
        chosen[key] = (*chosen.get(key, ()), value)
    return CaseFilter(start=start, end=end, segments=chosen)


def _with_ops(metrics: JourneyMetrics, events: Any, journey: Journey, attributes: tuple[str, ...],
              args: argparse.Namespace) -> JourneyMetrics:
    """The metrics with satisfaction or flow efficiency on the steps, for a map coloured by one of them."""
    ops = ops_measures(events, journey, attributes, as_of=args.as_of, time=metrics.time)
    if args.color_by not in ops.available():
        need = "a satisfaction column (csat, nps …)" if args.color_by == "satisfaction_mean" else "start times"
        raise JourneyError(f"--color-by {args.color_by} needs {need} in the event log, and {args.events} has none.")
    return replace(metrics, steps=with_ops_measures(metrics.steps, ops))


def _date(option: str, text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise JourneyError(f"{option} '{text}' is not a date: write it as YYYY-MM-DD, e.g. 2026-06-01.") from None


def _chart(args: argparse.Namespace, metrics: JourneyMetrics, journey: Journey, subtitle: str,
           reference: JourneyMetrics) -> Any:
    """The chart the command line asks for."""
    if args.chart == "map":
        hotspots = list(journey_story(metrics).marked)
        steps, transitions = _detail(args)
        detail = map_detail(metrics, steps=steps, transitions=transitions, hotspots=hotspots,
                            show_off_map=args.show_off_map, reference=reference, width=args.width,
                            height=args.height)
        if args.handoffs and metrics.handoffs is None:
            raise JourneyError("--handoffs: no step of the journey names an owner and the log has no team column; "
                               "add `owner:` to the steps or name the column with --team.")
        return map_chart(metrics, color_by=args.color_by, hotspots=hotspots, show_off_map=args.show_off_map,
                         width=args.width, height=args.height, subtitle=subtitle, detail=detail,
                         handoffs=args.handoffs)
    if args.chart == "arrival":
        return arrival_chart(metrics, _step_id(metrics, args.step) if args.step else None, subtitle=subtitle)
    if args.chart == "okr":
        okr = _okr(journey, args.okr)
        return okr_chart(metrics, okr, subtitle=[subtitle, okr_status(metrics, okr).sentence])
    if args.chart == "lead-time-trend":
        return lead_time_trend_chart(metrics, journey.changes, subtitle=subtitle)
    builders = {"funnel": funnel_chart, "lead-time": lead_time_chart, "paths": paths_chart}
    return builders[args.chart](metrics, subtitle=subtitle)


def _okr(journey: Journey, which: str) -> Any:
    if not journey.okrs:
        raise JourneyError(f"The journey '{journey.id}' names no OKRs: add one under `okrs:` or pick another chart.")
    names = [okr.name for okr in journey.okrs]
    if which.isdigit() and 1 <= int(which) <= len(names):
        return journey.okrs[int(which) - 1]
    for okr in journey.okrs:
        if okr.name.lower() == which.strip().lower():
            return okr
    raise JourneyError(f"--okr '{which}' is not an OKR of '{journey.id}': give 1 to {len(names)} or a name "
                       f"({'; '.join(names)}).")


def _step_id(metrics: JourneyMetrics, text: str) -> str:
    wanted = text.strip().lower()
    for row in metrics.steps[["step", "label"]].itertuples(index=False):
        if wanted in (str(row.step).lower(), str(row.label).lower()):
            return str(row.step)
    raise JourneyError(f"--step '{text}' is not a step of this journey or log; use a step id or label.")
