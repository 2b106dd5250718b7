"""The command line: validate, metrics and draft, with readable errors and exit codes."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from journeymap.cli.main import _COMMANDS, build_parser, main
from journeymap.core.errors import JourneyError
from journeymap.journey.definition import journey_from_yaml
from journeymap.journey.samples import sample_events_path, sample_journey_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


class TestValidate:
    def test_good_journey(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A valid journey exits 0 and says ok."""
        code, out, _ = run(capsys, "validate", sample_journey_path("onboarding"))
        assert code == 0 and "ok (12 steps" in out

    def test_bad_journey(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """An invalid journey prints the file, line and problem and exits 1."""
        bad = tmp_path / "bad.yaml"
        bad.write_text(
            sample_journey_path("onboarding").read_text().replace("stale_after: 30d", "stale_after: 30 days")
        )
        code, _, err = run(capsys, "validate", bad)
        assert code == 1 and "bad.yaml, line" in err and "'30 days'" in err


class TestMetrics:
    def test_json_contract(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The JSON holds every field the contract names, with consistent totals."""
        code, out, _ = run(capsys, "metrics", sample_events_path("onboarding"),
                           "--journey", sample_journey_path("onboarding"))
        data = json.loads(out)
        assert code == 0
        assert sum(data["cases"].values()) == data["n_cases"] == 2400
        assert set(data["transitions"][0]) >= {"from", "to", "count", "cases", "min_s", "median_s", "mean_s",
                                                "p85_s", "p95_s", "max_s"}
        assert set(data["steps"][0]) >= {"step", "reached", "events", "rework_cases", "dropped", "in_flight",
                                         "drop_off_rate", "arrival_median_s", "arrival_p85_s", "delay_share"}
        assert set(data["lead_time"]) >= {"median_s", "p85_s", "p95_s"}
        assert data["variants"]["count"] >= len(data["variants"]["top"]) == 10
        assert data["hotspots"][0]["step"] == "equipment_shipped" and data["hotspots"][0]["sentence"]
        assert sum(s["delay_share"] for s in data["steps"]) == pytest.approx(1.0)
        assert data["skipped_rows"] == 0

    def test_without_journey_uses_activity_names(self, capsys: pytest.CaptureFixture[str], own_data: Path) -> None:
        """Without --journey, transitions are named by activity and every figure still comes out, on a
        log with two activity-like columns (`concept:name` and `Activity`) and an index column."""
        code, out, _ = run(capsys, "metrics", own_data / "two_activity_columns.csv")
        data = json.loads(out)
        assert code == 0 and (data["n_cases"], data["n_events"]) == (6, 38)
        counts = {(t["from"], t["to"]): t["count"] for t in data["transitions"]}
        # Counted by hand from make_logs.TWO_ACTIVITY_COLUMNS: cases 1, 3, 4, 6 check documents first.
        assert counts[("register request", "check documents")] == 4
        assert counts[("register request", "assess claim")] == 2
        assert counts[("decide", "reopen request")] == 2
        assert data["lead_time"]["median_s"] is not None

    def test_column_options_and_as_of(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """Named columns, a separator, a day-first format and --as-of are all honoured."""
        log = tmp_path / "log.txt"
        log.write_text("id;what;when\na;open;01/02/2026 10:00\na;close;03/02/2026 10:00\nb;open;02/02/2026 09:00\n")
        code, out, _ = run(capsys, "metrics", log, "--case", "id", "--activity", "what", "--timestamp", "when",
                           "--sep", ";", "--timestamp-format", "%d/%m/%Y %H:%M", "--as-of", "2026-02-02T12:00:00Z")
        data = json.loads(out)
        assert code == 0 and data["n_events"] == 2 and data["as_of"].startswith("2026-02-02T12:00")

    def test_table_format(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The table format reads as text with human durations and the hotspots."""
        code, out, _ = run(capsys, "metrics", sample_events_path("service_desk"), "--journey",
                           sample_journey_path("service_desk"), "--format", "table")
        assert code == 0 and "hotspots:" in out and " d " in out and "1. " in out

    def test_errors_are_one_sentence(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """A log with no timestamp column prints one readable line and exits 1, no traceback."""
        log = tmp_path / "log.csv"
        log.write_text("case,activity\na,b\n")
        code, out, err = run(capsys, "metrics", log)
        assert code == 1 and out == "" and err.count("\n") == 1 and "Traceback" not in err
        assert "log.csv: no timestamp column" in err


class TestDraft:
    def test_draft_is_a_valid_journey(self, capsys: pytest.CaptureFixture[str], own_data: Path) -> None:
        """The drafted YAML loads back, starts where cases start, ends where they end and exits at the rejection."""
        code, out, _ = run(capsys, "draft", own_data / "two_activity_columns.csv", "--id", "compensation")
        journey = journey_from_yaml(out)
        assert code == 0 and journey.id == "compensation"
        assert journey.step(journey.start).label == "register request"
        assert [journey.step(e).label for e in journey.end] == ["pay compensation"]
        assert [journey.step(e).label for e in journey.exit] == ["reject request"]
        assert out.startswith("# Drafted by journeymap from two_activity_columns.csv: 6 cases")


def test_python_dash_m_runs_the_cli() -> None:
    """`python -m journeymap` is the same command line, exit codes included."""
    result = subprocess.run([sys.executable, "-m", "journeymap", "validate", "/nonexistent.yaml"],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "no such journey file" in result.stderr


def _subcommands() -> list[str]:
    """Every sub-command the parser registers."""
    (choices,) = [action.choices for action in build_parser()._actions
                  if isinstance(action, argparse._SubParsersAction)]
    return sorted(choices)


class TestUnixBehaviour:
    """Help on every command, quiet exits on a closed pipe or a bug, as a Unix tool behaves."""

    def test_every_registered_command_has_a_handler(self) -> None:
        """The parser's sub-commands and the registered handlers are the same set (none forgotten)."""
        assert set(_subcommands()) == set(_COMMANDS) >= {"validate", "metrics", "draft", "export", "report"}

    def test_help_through_the_console_script(self) -> None:
        """`journeymap --help` (the installed script) prints its usage and every command, exit 0."""
        script = Path(sys.executable).with_name("journeymap")
        result = subprocess.run([str(script), "--help"], capture_output=True, text=True)
        assert (result.returncode, result.stderr) == (0, "")
        assert result.stdout.startswith("usage: journeymap")
        assert all(name in result.stdout for name in _subcommands())
        assert "95% CIs" in result.stdout  # the '%' that used to crash the help

    @pytest.mark.parametrize("name", _subcommands())
    def test_help_on_every_command(self, name: str) -> None:
        """`python -m journeymap <command> --help` prints that command's usage line and exits 0."""
        result = subprocess.run([sys.executable, "-m", "journeymap", name, "--help"], capture_output=True, text=True)
        assert (result.returncode, result.stderr) == (0, "")
        assert result.stdout.startswith(f"usage: journeymap {name} ")

    @pytest.mark.parametrize("args, exit_code", [
        (["metrics", "{events}", "--format", "table"], 141),
        (["metrics", "{events}", "--journey", "{journey}"], 141),
        (["draft", "{events}"], 141),
        (["export", "{journey}", "--events", "{events}", "--chart", "funnel", "--format", "svg",
          "--out", "/dev/stdout"], 141),
        (["--help"], 0),  # argparse itself ignores a failed write of the help, and exits 0
    ], ids=["metrics-table", "metrics-json", "draft", "export-svg", "help"])
    def test_closed_pipe_exits_quietly(self, args: list[str], exit_code: int) -> None:
        """Writing into a pipe whose reader is gone exits 141 (128 + SIGPIPE) with nothing on stderr:
        no traceback, no 'Exception ignored', no 'Broken pipe' sentence."""
        paths = {"events": str(sample_events_path("service_desk")), "journey": str(sample_journey_path("service_desk"))}
        read_end, write_end = os.pipe()
        os.close(read_end)  # closed before the command starts: its first write meets a closed pipe
        try:
            result = subprocess.run([sys.executable, "-m", "journeymap", *(a.format(**paths) for a in args)],
                                    stdout=write_end, stderr=subprocess.PIPE, text=True)
        finally:
            os.close(write_end)
        assert (result.returncode, result.stderr) == (exit_code, "")

    def test_head_in_a_shell_pipeline(self) -> None:
        """`journeymap metrics LOG | head -1` prints the first line only and nothing on stderr; the JSON
        (80 KB) outgrows the pipe buffer, so journeymap is still writing when head leaves."""
        command = f"{shlex.quote(sys.executable)} -m journeymap metrics " \
                  f"{shlex.quote(str(sample_events_path('onboarding')))} | head -1"
        result = subprocess.run(["bash", "-c", "set -o pipefail; " + command], capture_output=True, text=True)
        assert (result.stdout, result.stderr) == ("{\n", "")
        assert result.returncode in (0, 141)

    def test_unexpected_error_is_one_sentence(self, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
        """A bug (an exception no one anticipated) gets one sentence asking for a report, exit 70."""
        def broken(args: argparse.Namespace) -> int:
            raise KeyError("steps")
        monkeypatch.setitem(_COMMANDS, "validate", broken)
        monkeypatch.delenv("JOURNEYMAP_DEBUG", raising=False)
        code, out, err = run(capsys, "validate", "any.yaml")
        assert (code, out) == (70, "") and err.count("\n") == 1 and "Traceback" not in err
        assert err.startswith("journeymap: unexpected error (KeyError: 'steps'); please report it")

    def test_debug_shows_the_traceback(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With JOURNEYMAP_DEBUG=1 the unexpected exception is raised, for the person fixing it."""
        def broken(args: argparse.Namespace) -> int:
            raise KeyError("steps")
        monkeypatch.setitem(_COMMANDS, "validate", broken)
        monkeypatch.setenv("JOURNEYMAP_DEBUG", "1")
        with pytest.raises(KeyError):
            main(["validate", "any.yaml"])

    def test_journey_errors_keep_their_message(self, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
        """A JourneyError is the user's to fix: its sentence is printed as it is, exit 1, never 'unexpected'."""
        def refuses(args: argparse.Namespace) -> int:
            raise JourneyError("log.csv, line 3: the case id is empty; fill it in or drop the row.")
        monkeypatch.setitem(_COMMANDS, "validate", refuses)
        code, _, err = run(capsys, "validate", "any.yaml")
        assert (code, err) == (1, "journeymap: log.csv, line 3: the case id is empty; fill it in or drop the row.\n")

    def test_ctrl_c_exits_130_without_a_traceback(self, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
        """Ctrl-C stops with the shell's code for an interrupt and one line."""
        def interrupted(args: argparse.Namespace) -> int:
            raise KeyboardInterrupt
        monkeypatch.setitem(_COMMANDS, "validate", interrupted)
        code, _, err = run(capsys, "validate", "any.yaml")
        assert (code, err) == (130, "journeymap: interrupted\n")


class TestLazyCommands:
    """The parser lists every command without importing its module; a command loads its own module only."""

    def test_listed_help_lines_are_the_modules_own(self) -> None:
        """journeymap.cli.main repeats each command's help line (so that --help imports no command module):
        the lines agree with the ones the command modules give their sub-parsers."""
        from journeymap.cli.main import _MODULES

        (full,) = [action for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction)]
        (listed,) = [action for action in build_parser(())._actions
                     if isinstance(action, argparse._SubParsersAction)]
        own = {choice.dest: choice.help for choice in full._choices_actions}
        assert {choice.dest: choice.help for choice in listed._choices_actions} == own
        assert own == {name: line for _, _, lines in _MODULES for name, line in lines.items()}

    def test_parser_for_one_command_parses_it(self) -> None:
        """build_parser({'whatif'}) knows whatif's own options (and refuses a missing change as before)."""
        args = build_parser({"whatif"}).parse_args(["whatif", "log.csv", "--impact"])
        assert (args.command, args.impact, args.format) == ("whatif", True, "json")

    def test_unknown_command_is_a_usage_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A misspelt command is argparse's 'invalid choice', exit 2, naming the commands there are."""
        with pytest.raises(SystemExit) as done:
            main(["metric", "log.csv"])
        err = capsys.readouterr().err
        assert done.value.code == 2 and "invalid choice: 'metric'" in err and "'metrics'" in err


class TestMeasuredColumns:
    """`metrics` keeps only the attribute columns a figure reads (a team and a satisfaction column)."""

    def test_unread_columns_change_nothing(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """One more text column (a note per event) gives the very same JSON: it is dropped before any
        figure, while the satisfaction column stays."""
        import polars as pl

        from journeymap.cli.measure import _measured_attributes
        from journeymap.log.eventlog import only_attributes
        from journeymap.log.readers import read_events

        sample = pl.read_csv(sample_events_path("onboarding"), infer_schema=False)
        base, wider = tmp_path / "base.csv", tmp_path / "wider.csv"
        sample.write_csv(base)
        sample.with_row_index().with_columns(pl.format("note {}", pl.col("index")).alias("note")).drop(
            "index").write_csv(wider)
        outputs = []
        for path in (base, wider):
            code, out, _ = run(capsys, "metrics", path)
            assert code == 0
            outputs.append(json.loads(out))
        assert outputs[0] == outputs[1] and "satisfaction" in outputs[0]
        args = build_parser().parse_args(["metrics", str(wider)])
        log = read_events(wider)
        kept = only_attributes(log, _measured_attributes(args))
        assert "note" in log.attributes and "note" not in kept.attributes and "note" not in kept.frame.columns
        assert "csat" in kept.attributes and set(kept.attributes) < set(log.attributes)
        named = only_attributes(log, _measured_attributes(
            build_parser().parse_args(["metrics", str(wider), "--team", "note"])))
        assert "note" in named.attributes  # a column the options name stays

    def test_an_ingested_folder_reads_only_the_measured_columns(self, capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:
        """Of an ingested folder `metrics` reads only the columns a figure needs, and gives the JSON of the
        source: the other attributes are never read (they are not in the frame at all)."""
        from journeymap.cli.measure import _measured_attributes
        from journeymap.log.ingest import ingest_log
        from journeymap.log.readers import read_events

        source = sample_events_path("onboarding")
        folder = tmp_path / "ingested"
        ingest_log(read_events(source), folder)
        outputs = []
        for path in (source, folder):
            code, out, _ = run(capsys, "metrics", path)
            assert code == 0
            outputs.append(json.loads(out))
        assert outputs[0]["steps"] == outputs[1]["steps"] and outputs[0]["satisfaction"] == outputs[1]["satisfaction"]
        every = read_events(folder)
        measured = read_events(folder, keep_attributes=_measured_attributes(build_parser().parse_args(
            ["metrics", str(folder)])))
        assert measured.attributes == ("csat",) and len(every.attributes) > 1
        assert set(measured.frame.columns) == set(every.frame.columns) - (set(every.attributes) - {"csat"})
