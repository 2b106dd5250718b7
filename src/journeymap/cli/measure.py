"""The `journeymap metrics` and `journeymap draft` commands: every figure of an event log, a journey drafted from one.

They read a log (Polars, pandas, Narwhals) and measure it; no chart, export or database library.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import polars as pl

from journeymap.cli.options import (
    add_engine_options,
    add_events_options,
    add_measure_options,
    command,
    load_inputs,
    on_engine,
    read_log,
)
from journeymap.core.durations import format_seconds_as_text, parse_duration
from journeymap.core.numbers import format_count, format_share
from journeymap.core.text import shorten
from journeymap.journey.definition import journey_to_yaml
from journeymap.log.eventlog import AttributeChoice
from journeymap.measures.casetimes import metrics_and_times
from journeymap.measures.draft import draft_header, draft_journey, propose_draft
from journeymap.measures.handoffs import team_column
from journeymap.measures.metrics import JourneyMetrics, compute_metrics
from journeymap.measures.opsmeasures import available_measures, ops_measures, ops_summary
from journeymap.measures.satisfaction import NAME_PATTERN, find_satisfaction_column
from journeymap.measures.summary import metrics_summary

__all__ = ["add_measure_commands"]


def add_measure_commands(commands: Any) -> None:
    """Add `metrics` and `draft` to the sub-parsers of `journeymap`."""
    metrics = commands.add_parser("metrics", help="every figure of an event log, as JSON or a table")
    metrics.add_argument("events")
    metrics.add_argument("--journey")
    metrics.add_argument("--as-of", help="ISO moment the statuses are taken at (default: the last event)")
    metrics.add_argument("--format", choices=["json", "table"], default="json")
    add_measure_options(metrics)
    add_engine_options(metrics)
    metrics.add_argument("--satisfaction", metavar="COL",
                         help="column with survey answers (CSAT 1-5, NPS 0-10, sentiment labels); default: a column "
                              "named like csat, nps, satisfaction, sentiment, survey, rating, feedback or score")
    metrics.add_argument("--waited-over", metavar="DURATION",
                         help="satisfaction: compare cases that waited longer than this at each step (e.g. 3d; "
                              "default: each step's median wait, rounded)")
    add_events_options(metrics)

    draft = commands.add_parser("draft", help="draft a journey YAML from an event log")
    draft.add_argument("events")
    draft.add_argument("--id", default="drafted")
    draft.add_argument("--name", default="Drafted journey")
    draft.add_argument("--start", help="the start activity (default: where most cases start)")
    draft.add_argument("--end", action="append", metavar="ACTIVITY",
                       help="an end activity; repeat for several (default: the activities cases really end at)")
    draft.add_argument("--exit", action="append", metavar="ACTIVITY",
                       help="an exit activity (a negative outcome); repeat for several (default: ending "
                            "activities named like a rejection, cancellation or withdrawal)")
    draft.add_argument("--no-exits", action="store_true", help="propose no exit steps")
    draft.add_argument("--min-case-share", type=float, default=0.0, metavar="SHARE",
                       help="leave out activities reached by fewer than this share of cases, e.g. 0.02 "
                            "(they show as off-map); default 0 keeps every activity")
    add_events_options(draft)


@command("metrics")
def _metrics(args: argparse.Namespace) -> int:
    log, journey = load_inputs(args, args.events, args.journey, keep_attributes=_measured_attributes(args))
    events = on_engine(args, log.frame)
    if args.engine == "spark":  # both read every case's events on this machine: not where Spark keeps them
        metrics = compute_metrics(events, journey, as_of=args.as_of, team=args.team, time=args.time)
        summary = metrics_summary(metrics, log)
        print("journeymap: note: flow efficiency and satisfaction are not available with --engine spark "
              "(they read every case's events on this machine); run without --engine spark for them.",
              file=sys.stderr)
    elif not available_measures(log.frame, tuple(log.attributes), args.satisfaction):  # no survey, no start times
        metrics = compute_metrics(events, journey, as_of=args.as_of, team=args.team, time=args.time)
        summary = metrics_summary(metrics, log)
    else:  # the per-case times they read come from the same ordering of the events as the metrics
        log.frame = _survey_as_codes(log.frame, tuple(log.attributes), args.satisfaction)
        events = on_engine(args, log.frame)
        metrics, times = metrics_and_times(events, journey, as_of=args.as_of, team=args.team, time=args.time)
        summary = metrics_summary(metrics, log)
        ops = ops_measures(log.frame, journey, tuple(log.attributes), times=times,
                           satisfaction_column=args.satisfaction,
                           threshold_s=parse_duration(args.waited_over) if args.waited_over else None)
        summary.update(ops_summary(ops))
    if args.format == "json":
        json.dump(summary, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print(_table(metrics, summary, log.counted))
    return 0


def _measured_attributes(args: argparse.Namespace) -> AttributeChoice:
    """Of a log's attribute columns, those a figure of `metrics` reads: only a team column (handoffs) and
    a satisfaction column, each found by its name. On ten million events every text column holds most
    of 200 MB for as long as the figures take (an ingested folder does not read the others at all).
    Every column stays when --team or --satisfaction names one the log lacks, so that the sentence
    saying so lists them all."""
    named = [column for column in (args.team, args.satisfaction) if column]

    def keep(attributes: tuple[str, ...]) -> tuple[str, ...]:
        if any(column not in attributes for column in named):
            return attributes
        return tuple(a for a in attributes if a in named or team_column([a]) is not None or NAME_PATTERN.search(a))

    return keep


def _survey_as_codes(frame: Any, attributes: tuple[str, ...], column: str | None) -> Any:
    """The events with their survey column held as codes of its few answers (a Polars Categorical) while the
    figures are computed: a survey answers few events, and ten million mostly missing texts take 160 MB
    where their codes take 40 (the peak of `metrics` on ten million events; README, "How fast"). Its
    figures read the same answers either way."""
    found = find_satisfaction_column(frame, attributes, column) if isinstance(frame, pl.DataFrame) else None
    if found is None or frame.schema[found[0]] != pl.String:
        return frame
    name, _ = found
    return frame.with_columns(pl.col(name).cast(pl.Categorical))


@command("draft")
def _draft(args: argparse.Namespace) -> int:
    log = read_log(args, args.events)
    proposal = propose_draft(log.frame)
    journey = draft_journey(log.frame, journey_id=args.id, name=args.name, start=args.start, end=args.end,
                            exit=[] if args.no_exits else args.exit, min_case_share=args.min_case_share,
                            proposal=proposal)
    sys.stdout.write(draft_header(proposal, journey, log.source) + journey_to_yaml(journey))
    return 0


def _table(metrics: JourneyMetrics, summary: dict[str, Any], counted: str = "rows") -> str:
    lines = [summary["summary"], "",
             f"{format_count(summary['n_cases'], 'case')}, {format_count(summary['n_events'], 'event')}, "
             f"{summary['skipped_rows']:,} {counted} skipped",
             "cases: " + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in summary["cases"].items()), "",
             f"{'step':32} {'reached':>8} {'median in':>10} {'p85 in':>10} {'dropped':>8} {'delay':>6}"]
    for step in summary["steps"]:
        lines.append(f"{shorten(str(step['label']), 32):32} {step['reached']:>8,} "
                     f"{format_seconds_as_text(step['arrival_median_s']):>10} "
                     f"{format_seconds_as_text(step['arrival_p85_s']):>10} {step['dropped']:>8,} "
                     f"{format_share(step['delay_share']):>6}")
    lines += ["", "hotspots:"] + [f"  {i}. {h['sentence']}" for i, h in enumerate(summary["hotspots"], 1)]
    if "flow_efficiency" in summary:
        lines += ["", "flow efficiency: " + summary["flow_efficiency"]["sentence"]]
    if "satisfaction" in summary:
        feel = summary["satisfaction"]
        lines += ["", f"satisfaction ({feel['column']}, {feel['scale']}, {feel['answered_cases']:,} cases answered):"]
        lines += [f"  {sentence}" for sentence in feel["sentences"]]
    if summary["okrs"]:
        lines += ["", "OKRs:"] + [f"  {okr['name']}: {okr['sentence']}" for okr in summary["okrs"]]
    return "\n".join(lines)
