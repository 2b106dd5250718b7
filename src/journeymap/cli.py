"""The `journeymap` command: validate journeys, measure event logs, draft definitions."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .definition import journey_to_yaml, load_journey
from .draft import draft_header, draft_journey, propose_draft
from .durations import format_seconds_as_text
from .errors import JourneyError
from .events import EventLog, read_events
from .metrics import JourneyMetrics, compute_metrics
from .model import Journey
from .summary import metrics_summary

__all__ = ["main", "build_parser", "add_events_options", "load_inputs", "command", "read_log"]

Command = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, Command] = {}


def command(name: str) -> Callable[[Command], Command]:
    """Register a sub-command handler (other modules add theirs the same way)."""
    def register(handler: Command) -> Command:
        _COMMANDS[name] = handler
        return handler
    return register


def add_events_options(parser: argparse.ArgumentParser) -> None:
    """The column options every command that reads an event log shares."""
    group = parser.add_argument_group("event log columns (detected when not given)")
    group.add_argument("--case", help="column with the case id")
    group.add_argument("--activity", help="column with the activity name")
    group.add_argument("--timestamp", help="column with the (completion) timestamp")
    group.add_argument("--start-timestamp", help="column with the start timestamp, if any")
    group.add_argument("--lifecycle", help="column with start/complete lifecycle values, if any")
    group.add_argument("--timestamp-format", help="strftime format, e.g. '%%d/%%m/%%Y %%H:%%M' for day-first dates")
    group.add_argument("--sep", help="CSV delimiter (sniffed when not given)")


def read_log(args: argparse.Namespace, path: str) -> EventLog:
    """Read the event log named on the command line with its column options."""
    return read_events(path, case=args.case, activity=args.activity, timestamp=args.timestamp,
                       start_timestamp=args.start_timestamp, lifecycle=args.lifecycle,
                       timestamp_format=args.timestamp_format, sep=args.sep)


def load_inputs(args: argparse.Namespace, events_path: str, journey_path: str | None
                ) -> tuple[EventLog, Journey | None]:
    """The event log and (optional) journey of a command line."""
    journey = load_journey(journey_path) if journey_path else None
    return read_log(args, events_path), journey


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(prog="journeymap", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="check a journey definition")
    validate.add_argument("journey", nargs="+")

    metrics = commands.add_parser("metrics", help="every figure of an event log, as JSON or a table")
    metrics.add_argument("events")
    metrics.add_argument("--journey")
    metrics.add_argument("--as-of", help="ISO moment the statuses are taken at (default: the last event)")
    metrics.add_argument("--format", choices=["json", "table"], default="json")
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
    from .cli_compare import add_compare_commands  # imported here: cli_compare registers through this module
    add_compare_commands(commands)
    from .cli_export import add_export_commands  # imported here: cli_export registers through this module
    add_export_commands(commands)

    return parser


@command("validate")
def _validate(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.journey:
        try:
            journey = load_journey(path)
            print(f"{path}: ok ({len(journey.steps)} steps, {len(journey.transitions)} transitions)")
        except JourneyError as error:
            print(error, file=sys.stderr)
            failed += 1
    return 1 if failed else 0


@command("metrics")
def _metrics(args: argparse.Namespace) -> int:
    log, journey = load_inputs(args, args.events, args.journey)
    metrics = compute_metrics(log.frame, journey, as_of=args.as_of)
    summary = metrics_summary(metrics, log)
    if args.format == "json":
        json.dump(summary, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print(_table(metrics, summary))
    return 0


@command("draft")
def _draft(args: argparse.Namespace) -> int:
    log = read_log(args, args.events)
    proposal = propose_draft(log.frame)
    journey = draft_journey(log.frame, journey_id=args.id, name=args.name, start=args.start, end=args.end,
                            exit=[] if args.no_exits else args.exit, min_case_share=args.min_case_share,
                            proposal=proposal)
    sys.stdout.write(draft_header(proposal, journey, log.source) + journey_to_yaml(journey))
    return 0


def _table(metrics: JourneyMetrics, summary: dict[str, Any]) -> str:
    lines = [summary["summary"], "",
             f"{summary['n_cases']:,} cases, {summary['n_events']:,} events, {summary['skipped_rows']:,} rows skipped",
             "cases: " + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in summary["cases"].items()), "",
             f"{'step':32} {'reached':>8} {'median in':>10} {'p85 in':>10} {'dropped':>8} {'delay':>6}"]
    for step in summary["steps"]:
        lines.append(f"{str(step['label'])[:32]:32} {step['reached']:>8,} "
                     f"{format_seconds_as_text(step['arrival_median_s']):>10} "
                     f"{format_seconds_as_text(step['arrival_p85_s']):>10} {step['dropped']:>8,} "
                     f"{step['delay_share']:>6.0%}")
    lines += ["", "hotspots:"] + [f"  {i}. {h['sentence']}" for i, h in enumerate(summary["hotspots"], 1)]
    return "\n".join(lines)


EXIT_BUG = 70  # EX_SOFTWARE of sysexits.h: an internal error
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as shells report `yes | head`


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; errors print one sentence and exit 1.

    Like a Unix tool it stops quietly when the reader of its output goes away (`| head`: exit 141,
    the shell's code for a closed pipe) or on Ctrl-C (exit 130). Anything else that goes wrong is a
    bug: one sentence asks for a report, and JOURNEYMAP_DEBUG=1 shows the traceback.
    """
    try:
        args = build_parser().parse_args(argv)
        code = _COMMANDS[args.command](args)
        sys.stdout.flush()  # a closed pipe shows here, while the handler below can still catch it
        return code
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("journeymap: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (JourneyError, OSError, ValueError) as error:
        print(f"journeymap: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # the last resort: a bug, not the user's input
        if os.environ.get("JOURNEYMAP_DEBUG"):
            raise
        detail = " ".join(str(error).split())  # on one line, whatever the exception's text
        print(f"journeymap: unexpected error ({type(error).__name__}: {detail}); please report it with the "
              "command you ran (JOURNEYMAP_DEBUG=1 shows the details).", file=sys.stderr)
        return EXIT_BUG


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so that the flush at interpreter exit does not fail on the closed
    pipe again and print "Exception ignored ..." (the recipe of Python's signal module docs)."""
    try:
        fileno = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's capture): nothing to flush
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fileno)
    os.close(devnull)
