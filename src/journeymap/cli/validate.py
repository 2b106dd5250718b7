"""The `journeymap validate` command: check journey definitions (YAML and its schema; no event-log library)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from journeymap.cli.options import command
from journeymap.core.errors import JourneyError
from journeymap.journey.definition import load_journey

__all__ = ["add_validate_command"]


def add_validate_command(commands: Any) -> None:
    """Add `validate` to the sub-parsers of `journeymap`."""
    validate = commands.add_parser("validate", help="check a journey definition")
    validate.add_argument("journey", nargs="+")


@command("validate")
def _validate(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.journey:
        try:
            journey = load_journey(path)
            print(f"{path}: ok ({len(journey.steps)} steps, {len(journey.transitions)} transitions)")
            for name, owner, other in journey.name_clashes():
                print(f"{path}: note: the steps '{owner}' and '{other}' both answer to the activity name "
                      f"'{name}', so its events count for '{owner}' only; merge the two steps or rename one.",
                      file=sys.stderr)
        except JourneyError as error:
            print(error, file=sys.stderr)
            failed += 1
    return 1 if failed else 0
