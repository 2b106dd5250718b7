"""The `journeymap` command: validate journeys, measure event logs, draft definitions, compare, export."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Collection, Sequence
from importlib import import_module

from journeymap.cli.options import HANDLERS, Command
from journeymap.core.errors import JourneyError
from journeymap.core.memory import return_freed_memory_promptly

__all__ = ["main", "build_parser"]

# Each command module with the function that adds its sub-parsers and the line `journeymap --help`
# shows for each of its commands. A module is imported only when one of its commands runs (or asks
# for its own --help): `validate` never loads a dataframe library, `metrics` no chart or database.
# The lines repeat the modules' own help texts so that the listing needs no module; a test pins them.
_MODULES: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("validate", "add_validate_command", {"validate": "check a journey definition"}),
    ("measure", "add_measure_commands", {"metrics": "every figure of an event log, as JSON or a table",
                                             "draft": "draft a journey YAML from an event log"}),
    ("ingest", "add_ingest_command", {
        "ingest": "write an event log once as Parquet in case order; every command reads the folder fast"}),
    ("compare", "add_compare_commands", {
        "compare": "cases before/after a change, or a segment's values, with 95%% CIs",
        "whatif": "replay completed cases with one step changed; --impact for all steps"}),
    ("export", "add_export_commands", {
        "export": "draw a chart to PNG, SVG, PDF or self-contained HTML",
        "report": "one self-contained HTML page: map, hotspots, funnel, lead time, OKRs"}),
)


def _lazy(name: str, module: str) -> Command:
    """The handler of `name`, run after importing the module that registers it."""
    def run(args: argparse.Namespace) -> int:
        import_module(f".{module}", __package__)
        return HANDLERS[name](args)
    return run


_COMMANDS: dict[str, Command] = {name: _lazy(name, module) for module, _, lines in _MODULES for name in lines}


def build_parser(commands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser of `journeymap`, with the arguments of `commands` (default: every command's,
    which imports every command module); any other command is there by its name and help line only."""
    parser = argparse.ArgumentParser(prog="journeymap", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module, add_commands, lines in _MODULES:
        if commands is None or not set(commands).isdisjoint(lines):
            getattr(import_module(f".{module}", __package__), add_commands)(subparsers)
        else:
            for name, line in lines.items():
                subparsers.add_parser(name, help=line, add_help=False)
    return parser


def _asked_for(argv: Sequence[str]) -> set[str]:
    """The command a command line runs: its first word that is not an option (the only options before
    it are -h/--help), or none."""
    first = next((word for word in argv if not word.startswith("-")), None)
    return {first} if first in _COMMANDS else set()


EXIT_BUG = 70  # EX_SOFTWARE of sysexits.h: an internal error
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as shells report `yes | head`


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; errors print one sentence and exit 1.

    Like a Unix tool it stops quietly when the reader of its output goes away (`| head`: exit 141,
    the shell's code for a closed pipe) or on Ctrl-C (exit 130). Anything else that goes wrong is a
    bug: one sentence asks for a report, and JOURNEYMAP_DEBUG=1 shows the traceback.
    """
    return_freed_memory_promptly()  # before a command loads Polars (`journeymap.core.memory`)
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser(_asked_for(argv)).parse_args(argv)
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
