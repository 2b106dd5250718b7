"""The `journeymap ingest` command: an event log (file or database) written once as an ingested folder."""

from __future__ import annotations

import argparse
from typing import Any

from journeymap.cli.options import add_events_options, command, read_log

__all__ = ["add_ingest_command"]


def add_ingest_command(commands: Any) -> None:
    """Add `ingest` to the sub-parsers of `journeymap`."""
    ingest = commands.add_parser(
        "ingest", help="write an event log once as Parquet in case order; every command reads the folder fast",
        description="Read an event log once (columns found, timestamps parsed, rows set aside counted) and write "
                    "it to a folder: Parquet sorted by case and time, cases and activities as integer codes, and "
                    "a manifest.json of columns, labels and source. Give that folder wherever a command takes an "
                    "event log, and in the app.")
    ingest.add_argument("events", help="an event log file, or a database URL with --table or --query")
    ingest.add_argument("--out", required=True, metavar="DIR",
                        help="the folder to write (new or empty, or an ingested folder to replace)")
    add_events_options(ingest)


@command("ingest")
def _ingest(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from journeymap.log.ingest import EVENTS_FILE, ingest_log

    log = read_log(args, args.events)
    manifest = ingest_log(log, args.out)
    size = sum(f.stat().st_size for f in Path(args.out).iterdir())
    print(f"Ingested {manifest.n_events:,} events of {manifest.n_cases:,} cases from {manifest.source} into "
          f"{args.out} ({size / (1 << 20):,.1f} MB; {EVENTS_FILE} sorted by case and time). "
          f"{log.skipped_sentence()}", file=sys.stdout)
    return 0
