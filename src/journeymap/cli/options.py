"""What the command modules share: the event-log column options, reading the inputs, the handler registry.

Light on purpose: every command module imports it, `journeymap validate` too, so the event-log
readers (Polars and friends) are imported inside the functions that read a log.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from journeymap.journey.model import Journey
    from journeymap.log.eventlog import AttributeChoice, EventLog

__all__ = ["HANDLERS", "Command", "add_events_options", "add_measure_options", "add_engine_options",
           "add_time_option", "command", "load_inputs", "read_log", "on_engine"]

Command = Callable[[argparse.Namespace], int]
HANDLERS: dict[str, Command] = {}  # filled by @command as each command module is imported


def command(name: str) -> Callable[[Command], Command]:
    """Register the handler of a sub-command (journeymap.cli.main runs it once its module is imported)."""
    def register(handler: Command) -> Command:
        HANDLERS[name] = handler
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
    group.add_argument("--time-of-day", help="column with each event's time of day, when the timestamp column "
                                             "holds dates only (found when not given)")
    group.add_argument("--timestamp-format", help="strftime format, e.g. '%%d/%%m/%%Y %%H:%%M' for day-first dates")
    group.add_argument("--sep", help="CSV delimiter (sniffed when not given)")
    group.add_argument("--sheet", help="Excel: the sheet to read, or '*' for all sheets of the same columns "
                                       "(default: the sheet(s) with the event columns)")
    database = parser.add_argument_group(
        "events from a database (the event log is a URL such as postgresql://user@host/db, or a DuckDB or "
        "SQLite file; the password is best left out of the URL and given in PGPASSWORD or ~/.pgpass)")
    which = database.add_mutually_exclusive_group()
    which.add_argument("--table", help="the table (or view) of events, e.g. events or audit.ticket_events")
    which.add_argument("--query", help="a SELECT giving one row per event, e.g. \"select * from events where "
                                       "created > '2026-01-01'\"")


def add_measure_options(parser: argparse.ArgumentParser) -> None:
    """How the commands that measure a log count: whose handoffs, on which clock."""
    group = parser.add_argument_group("how to measure")
    add_time_option(group)
    group.add_argument("--team", metavar="COLUMN",
                       help="handoffs between the teams (or people) of this log column (default: the journey's "
                            "step owners, else a column named like team, org:group or resource)")


def add_time_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """`--time calendar|working`, the clock of every duration, worded alike on every command that has it."""
    parser.add_argument("--time", choices=["calendar", "working"], default="calendar",
                        help="durations in calendar time (default) or in working time: only the working hours of "
                             "each step's calendar count (the journey's calendars:)")


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """Where the figures are computed: Polars on this machine (default) or Spark."""
    group = parser.add_argument_group("engine")
    from journeymap.engine.spark import ENGINES  # PySpark itself is imported only when a session starts

    group.add_argument("--engine", choices=ENGINES, default=ENGINES[0],
                       help="compute on Polars in this process (default) or on Spark: local mode on this machine, "
                            "or the cluster of --spark-master (needs pip install 'journeymap[spark]' and Java 17+)")
    group.add_argument("--spark-master", metavar="URL",
                       help="with --engine spark: the cluster's master, e.g. spark://host:7077 or yarn "
                            "(default: local mode on every core)")


def on_engine(args: argparse.Namespace, frame: Any) -> Any:
    """The events on the engine the command line chose: the frame itself, or a Spark DataFrame."""
    if getattr(args, "spark_master", None) and getattr(args, "engine", "polars") != "spark":
        from journeymap.core.errors import JourneyError

        raise JourneyError("--spark-master goes with --engine spark.")
    if getattr(args, "engine", "polars") != "spark":
        return frame
    from journeymap.engine.spark import spark_session, to_spark

    return to_spark(frame, spark_session(args.spark_master))


def read_log(args: argparse.Namespace, path: str, keep_attributes: AttributeChoice | None = None) -> EventLog:
    """Read the event log named on the command line with its column options: a file, a folder that
    `journeymap ingest` wrote, or a database URL (or DuckDB/SQLite file) with --table or --query;
    with only the attribute columns `keep_attributes` chooses (`readers.read_events`)."""
    import sys

    table, query = getattr(args, "table", None), getattr(args, "query", None)
    from journeymap.log.dbsource import is_database
    from journeymap.log.eventlog import only_attributes

    if table or query or is_database(path):
        log = only_attributes(_read_database(args, path, table, query), keep_attributes)
    else:
        from journeymap.log.readers import read_events

        log = read_events(path, case=args.case, activity=args.activity, timestamp=args.timestamp,
                          start_timestamp=args.start_timestamp, lifecycle=args.lifecycle,
                          timestamp_format=args.timestamp_format, time_of_day=args.time_of_day, sep=args.sep,
                          sheet=getattr(args, "sheet", None), keep_attributes=keep_attributes)
    for note in log.notes:  # what reading changed or left out (sheets, converted columns), beside the output
        print(f"journeymap: note: {note}", file=sys.stderr)
    return log


def _read_database(args: argparse.Namespace, url: str, table: str | None, query: str | None) -> EventLog:
    from journeymap.core.errors import JourneyError
    from journeymap.log.dbsource import DatabaseQuery, masked, read_database_events

    if not (table or query):
        raise JourneyError(f"{masked(url)}: is a database; name the events with --table NAME or --query "
                           "'SELECT …'.", source=masked(url))
    for option in ("sep", "sheet"):
        if getattr(args, option, None):
            raise JourneyError(f"{masked(url)}: --{option} is for files; a database's columns need none.",
                               source=masked(url))
    return read_database_events(DatabaseQuery(url, table=table, query=query), case=args.case,
                                activity=args.activity, timestamp=args.timestamp,
                                start_timestamp=args.start_timestamp, lifecycle=args.lifecycle,
                                timestamp_format=args.timestamp_format, time_of_day=args.time_of_day)


def load_inputs(args: argparse.Namespace, events_path: str, journey_path: str | None,
                keep_attributes: AttributeChoice | None = None) -> tuple[EventLog, Journey | None]:
    """The event log and (optional) journey of a command line."""
    from journeymap.journey.definition import load_journey

    journey = load_journey(journey_path) if journey_path else None
    return read_log(args, events_path, keep_attributes), journey
