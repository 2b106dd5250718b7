"""The `journeymap compare` and `journeymap whatif` commands: before/after, segments, replays, p85 impact."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import pandas as pd

from journeymap.cli.options import add_events_options, add_time_option, command, load_inputs
from journeymap.core.durations import clock_words, format_seconds_as_text
from journeymap.core.errors import JourneyError
from journeymap.core.jsonable import plain, records
from journeymap.core.numbers import format_change, format_share
from journeymap.core.text import shorten
from journeymap.decide.compare import Comparison, SegmentComparison, compare_change, compare_segment, latest_change
from journeymap.decide.pilot import GROUPS, PilotComparison, compare_pilot, parse_pilot, pilot_text
from journeymap.decide.whatif import WhatIf, p85_impact, what_if
from journeymap.engine.stats import LEVEL, MIN_CASES, RESAMPLES
from journeymap.measures.casetimes import CaseTimes, case_step_times

__all__ = ["add_compare_commands", "comparison_json", "segment_json", "whatif_json", "pilot_json"]

_GROUP_FIELDS = ("n", "median_s", "p85_s")
_PILOT_FIELDS = ("pilot_change", "others_change", "p85_pilot_change", "p85_others_change")
_DIFF_FIELDS = ("change", "ci_low", "ci_high", "significant", "p85_change", "p85_ci_low", "p85_ci_high",
                "p85_significant", "verdict")


def add_compare_commands(commands: Any) -> None:
    """Add `compare` and `whatif` to the sub-parsers of `journeymap`."""
    compare = commands.add_parser("compare", help="cases before/after a change, or a segment's values, with 95%% CIs")
    compare.add_argument("events")
    compare.add_argument("--journey")
    group = compare.add_mutually_exclusive_group()
    group.add_argument("--change-date", help="ISO date of the change (default: the journey's latest `changes` entry)")
    group.add_argument("--segment", help="attribute column to compare values of, e.g. department")
    compare.add_argument("--pilot", action="append", metavar="COL=VALUE",
                         help="the segment that piloted the change, e.g. department=Sales (repeat to narrow): "
                              "its before/after against everyone else's (difference-in-differences); default: "
                              "the pilot the journey's latest change names, when the date comes from it")
    compare.add_argument("--window-days", type=int, help="only cases started this many days either side of the date")
    compare.add_argument("--min-cases", type=int, default=MIN_CASES, help="fewer per group: 'too few cases to tell'")
    compare.add_argument("--resamples", type=int, default=RESAMPLES)
    compare.add_argument("--seed", type=int, default=0)
    _add_common(compare)

    whatif = commands.add_parser("whatif", help="replay completed cases with one step changed; --impact for all steps")
    whatif.add_argument("events")
    whatif.add_argument("--journey")
    whatif.add_argument("--step", help="step id or label")
    change = whatif.add_mutually_exclusive_group(required=True)
    change.add_argument("--cut", type=float, metavar="PCT", help="cut the step's arrival times by PCT percent")
    change.add_argument("--cap", action="store_true", help="cap the step's arrival times at its target")
    change.add_argument("--no-rework", action="store_true", help="drop second and later arrivals into the step")
    change.add_argument("--remove", action="store_true", help="drop the step's arrival times entirely")
    change.add_argument("--impact", action="store_true", help="p85 lead-time impact of halving each step")
    _add_common(whatif)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", help="ISO moment the statuses are taken at (default: the last event)")
    parser.add_argument("--format", choices=["json", "table"], default="json")
    add_time_option(parser)
    add_events_options(parser)


def _times(args: argparse.Namespace, segments: tuple[str, ...] = ()) -> CaseTimes:
    log, journey = load_inputs(args, args.events, args.journey)
    return case_step_times(log.frame, journey, as_of=args.as_of, segments=segments, time=args.time)


@command("compare")
def _compare(args: argparse.Namespace) -> int:
    if args.pilot and args.segment:
        raise JourneyError("--pilot goes with a change date, not with --segment; give one or the other.")
    pilot = parse_pilot(args.pilot) if args.pilot else ()
    if not pilot and args.change_date is None and not args.segment and args.journey:
        pilot = _journey_pilot(args)
    segments = (args.segment,) if args.segment else tuple(dict.fromkeys(column for column, _ in pilot))
    times = _times(args, segments)
    options = {"min_cases": max(args.min_cases, 1), "resamples": args.resamples, "seed": args.seed}
    if pilot:
        return _compare_pilot(args, times, pilot, options)
    if args.segment:
        comparison = compare_segment(times, args.segment, **options)
        return _emit(args, segment_json(comparison), lambda: _segment_table(comparison))
    date, title = args.change_date, None
    if date is None:
        change = latest_change(times.journey)
        if change is None:
            raise JourneyError("Give --change-date DATE or --segment COLUMN (the journey records no `changes`).")
        date, title = change.date.isoformat(), change.title
    result = compare_change(times, date, window_days=args.window_days, **options)
    payload = {"change_date": date, "change_title": title, **comparison_json(result)}
    return _emit(args, payload, lambda: _comparison_table(result, date, title))


def _journey_pilot(args: argparse.Namespace) -> tuple[tuple[str, str], ...]:
    """The pilot of the journey's latest change, when that change is the one compared."""
    from journeymap.journey.definition import load_journey

    change = latest_change(load_journey(args.journey))
    return change.pilot if change is not None else ()


def _compare_pilot(args: argparse.Namespace, times: CaseTimes, pilot: tuple[tuple[str, str], ...],
                   options: dict[str, Any]) -> int:
    date, title = args.change_date, None
    change = latest_change(times.journey)
    if date is None:
        if change is None:
            raise JourneyError("Give --change-date DATE with --pilot (the journey records no `changes`).")
        date, title = change.date.isoformat(), change.title
    result = compare_pilot(times, date, pilot, window_days=args.window_days, title=title or "", **options)
    payload = {"change_date": date, "change_title": title, **pilot_json(result)}
    return _emit(args, payload, lambda: _pilot_table(result))


def pilot_json(result: PilotComparison) -> dict[str, Any]:
    """A pilot comparison as plain data: the four groups' n, median_s, p85_s, the effect and its interval."""
    def row(values: dict[str, Any]) -> dict[str, Any]:
        row = _row(values, GROUPS)
        row.update({key: plain(values[key]) for key in _PILOT_FIELDS})
        return row

    return {"pilot": dict(result.pilot), "groups": list(GROUPS), "group_sizes": result.group_sizes, "level": LEVEL,
            "resamples": result.resamples, "seed": result.seed, "min_cases": result.min_cases,
            "window_days": result.window_days, "lead_time": row(result.lead_time),
            "steps": [row(values) for values in result.steps.to_dict("records")], "verdicts": result.verdicts()}


def _pilot_table(result: PilotComparison) -> str:
    lines = [f"Pilot {pilot_text(result.pilot)}, change on {result.day.isoformat()}"
             + (f": {result.title}" if result.title else ""), "", *result.verdicts(), "",
             f"{'step':28} {'pilot':>17} {'others':>17} {'effect':>7} {'95% CI':>15}  sig"]
    for row in [result.lead_time, *result.steps.to_dict("records")]:
        lines.append(
            f"{shorten(str(row['label']), 28):28} "
            f"{_pair(row['median_s_pilot_before'], row['median_s_pilot_after']):>17} "
            f"{_pair(row['median_s_others_before'], row['median_s_others_after']):>17} "
            f"{format_change(row['change']):>7} "
            f"{format_change(row['ci_low']) + '..' + format_change(row['ci_high']):>15}  "
            f"{'*' if row['significant'] else ''}"
        )
    return "\n".join(lines)


@command("whatif")
def _whatif(args: argparse.Namespace) -> int:
    times = _times(args)
    if args.impact:
        impact = p85_impact(times)
        return _emit(args, {"p85_impact": records(impact)}, lambda: _impact_table(impact))
    if not args.step:
        raise JourneyError("Name the step to change with --step (id or label), or use --impact for every step.")
    change = "cut" if args.cut is not None else "cap" if args.cap else "no_rework" if args.no_rework else "remove"
    result = what_if(times, args.step, change, args.cut if args.cut is not None else 0.0)
    return _emit(args, whatif_json(result), lambda: _whatif_table(result))


def comparison_json(result: Comparison) -> dict[str, Any]:
    """A comparison as plain JSON-ready data: both groups' n, median_s, p85_s, the change and its interval."""
    return {"groups": list(result.names), "level": LEVEL, "resamples": result.resamples, "seed": result.seed,
            "min_cases": result.min_cases, "lead_time": _row(result.lead_time, result.names),
            "completion": plain(result.completion),
            "steps": [_row(row, result.names) for row in result.steps.to_dict("records")],
            "verdicts": result.verdicts()}


def segment_json(result: SegmentComparison) -> dict[str, Any]:
    """A segment comparison as plain data: each value against the rest, and the steps ranked by their gap."""
    names = ("rest", "segment")
    return {"segment": result.column, "level": LEVEL, "values": records(result.values),
            "lead_time": [{"value": row["value"], **_row(row, names)} for row in result.lead_time.to_dict("records")],
            "steps": [{"value": row["value"], **_row(row, names)} for row in result.steps.to_dict("records")],
            "ranking": records(result.ranking)}


def whatif_json(result: WhatIf) -> dict[str, Any]:
    """A what-if as plain data: lead time p50/p85/p95 before and after, and the OKR gaps."""
    return {"step": result.step, "label": result.label, "change": result.change, "description": result.description,
            "n_cases": result.n_cases, "lead_time": records(result.quantiles), "okrs": records(result.okrs),
            "sentence": result.sentence}


def _row(row: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    fields: dict[str, Any] = {key: row[key] for key in ("step", "label") if key in row}
    fields.update({name: {field: row[f"{field}_{name}"] for field in _GROUP_FIELDS} for name in names})
    for name in names:
        fields[name].update({field: row[f"{field}_{name}"] for field in ("drop_off_rate", "in_flight_share")
                            if f"{field}_{name}" in row})
    fields.update({key: row[key] for key in _DIFF_FIELDS})
    fields.update({key: row[key] for key in row if key.startswith("drop_off_") and not key.startswith("drop_off_rate")})
    return plain(fields)


def _emit(args: argparse.Namespace, payload: dict[str, Any], table: Any) -> int:
    """Print the JSON (with `time`, the clock of every duration in it) or the table (saying so when working)."""
    if args.format == "json":
        json.dump({"time": args.time, **payload}, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print(("Durations in working hours (the journey's calendars).\n\n" if args.time == "working" else "") + table())
    return 0


def _comparison_table(result: Comparison, date: str, title: str | None) -> str:
    lines = [f"Change on {date}" + (f": {title}" if title else ""), "", *result.verdicts(), "",
             f"{'step':28} {'n before':>9} {'n after':>8} {'median':>17} {'change':>7} {'95% CI':>15}  sig"]
    for row in result.steps.itertuples(index=False):
        lines.append(
            f"{shorten(str(row.label), 28):28} {row.n_before:>9,} {row.n_after:>8,} "
            f"{_pair(row.median_s_before, row.median_s_after):>17} {format_change(row.change):>7} "
            f"{format_change(row.ci_low) + '..' + format_change(row.ci_high):>15}  {'*' if row.significant else ''}"
        )
    return "\n".join(lines)


def _segment_table(result: SegmentComparison) -> str:
    lines = [f"{result.column}: each value against the rest", ""]
    lines += [row.verdict for row in result.lead_time.itertuples(index=False)]
    lines += ["", "Steps where the values differ most:"]
    lines += [f"  {i}. {row.verdict}" for i, row in enumerate(result.ranking.itertuples(index=False), 1)
              if row.significant or row.p85_significant]
    return "\n".join(lines)


def _whatif_table(result: WhatIf) -> str:
    lines = [result.sentence, "", f"{'lead time':10} {'before':>9} {'after':>9} {'change':>8}"]
    for row in result.quantiles.itertuples(index=False):
        lines.append(f"{row.statistic:10} {format_seconds_as_text(row.before_s):>9} "
                     f"{format_seconds_as_text(row.after_s):>9} {format_change(row.change):>8}")
    for okr in result.okrs.itertuples(index=False):
        lines.append(f"OKR {okr.okr}: {okr.statistic}{clock_words(okr.time, result.time)} "
                     f"{format_seconds_as_text(okr.before_s)} → "
                     f"{format_seconds_as_text(okr.after_s)}, target {format_seconds_as_text(okr.target_s)}"
                     f" ({'met' if okr.met_after else 'gap ' + format_seconds_as_text(okr.gap_after_s)})")
    return "\n".join(lines)


def _impact_table(impact: pd.DataFrame) -> str:
    lines = ["If a step's arrival times were halved, p85 lead time would fall by:", ""]
    lines += [f"{shorten(str(row.label), 32):32} {format_seconds_as_text(row.p85_impact_s):>9} "
              f"{format_share(row.impact_share, 1):>6}" for row in impact.itertuples(index=False)]
    return "\n".join(lines)


def _pair(before: float, after: float) -> str:
    return f"{format_seconds_as_text(before)} → {format_seconds_as_text(after)}"
