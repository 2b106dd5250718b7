"""Every file of the hostile catalogue gets its answer from the library and from the command line.

The command line must answer a file it refuses with exit code 1 and one line on stderr (the
sentence), never a traceback; a file it reads exits 0. The app's upload path is in
tests/app/test_hostile_upload.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hostile_files import CATALOGUE, HEADER, ROWS, Hostile
from journeymap.core.errors import JourneyError
from journeymap.log.readers import read_events

CLI = [sys.executable, "-m", "journeymap"]


def _write(tmp_path: Path, hostile: Hostile) -> Path:
    path = tmp_path / hostile.name
    path.write_bytes(hostile.make())
    return path


def _cli(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("hostile", CATALOGUE, ids=lambda h: h.id)
def test_library_answer(hostile: Hostile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """read_events raises the catalogue's sentence, or reads what the catalogue says."""
    for key, value in hostile.env.items():
        monkeypatch.setenv(key, value)
    path = _write(tmp_path, hostile)
    if hostile.answer is not None:
        with pytest.raises(JourneyError) as caught:
            read_events(path)
        message = str(caught.value)
        assert re.search(hostile.answer, message), message
        assert len(message) < 600 and "\n" not in message
        return
    log = read_events(path)
    assert log.frame.height == hostile.reads["rows"]
    if "note" in hostile.reads:
        assert any(str(hostile.reads["note"]) in note for note in log.notes), log.notes
    if "skipped" in hostile.reads:
        assert log.skipped_sentence() == hostile.reads["skipped"]


@pytest.mark.parametrize("hostile", CATALOGUE, ids=lambda h: h.id)
def test_command_line_answer(hostile: Hostile, tmp_path: Path) -> None:
    """`journeymap metrics FILE`: exit 1 with the sentence as the one line on stderr, or exit 0."""
    path = _write(tmp_path, hostile)
    done = _cli(["metrics", str(path), "--format", "json"], hostile.env)
    assert "Traceback" not in done.stderr
    if hostile.answer is None:
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("journeymap: ") and re.search(hostile.answer, lines[0]), lines[0]


class TestCommandLineCases:
    def test_draft_of_a_formula_only_workbook_is_an_error(self, tmp_path: Path) -> None:
        """Not 0 events and exit 0: formulas without values are named with their cell."""
        hostile = next(h for h in CATALOGUE if h.name == "formulas.xlsx")
        done = _cli(["draft", str(_write(tmp_path, hostile))])
        assert done.returncode == 1 and "cell A2: holds a formula" in done.stderr and "Traceback" not in done.stderr

    def test_draft_of_an_empty_workbook_is_an_error(self, tmp_path: Path) -> None:
        hostile = next(h for h in CATALOGUE if h.name == "empty.xlsx")
        done = _cli(["draft", str(_write(tmp_path, hostile))])
        assert done.returncode == 1 and "no sheet of the workbook has rows" in done.stderr

    def test_one_column_for_two_roles_is_refused(self, tmp_path: Path) -> None:
        """`--case activity`: the activity column cannot be the case id as well."""
        path = tmp_path / "log.csv"
        path.write_bytes(HEADER + ROWS)
        done = _cli(["metrics", str(path), "--case", "activity"])
        assert done.returncode == 1
        assert "the column 'activity' is given for both the case and the activity" in done.stderr

    def test_sheet_option_reads_one_sheet_and_says_what_was_left(self, tmp_path: Path) -> None:
        """--sheet Feb reads the 200 rows of Feb; a note on stderr names the sheets not read."""
        hostile = next(h for h in CATALOGUE if h.name == "months.xlsx")
        done = _cli(["metrics", str(_write(tmp_path, hostile)), "--sheet", "Feb"])
        assert done.returncode == 0, done.stderr
        assert '"n_events": 200' in done.stdout
        assert "note: Read the sheet 'Feb' (200 rows); not read: 'Jan' (250 rows), 'Notes' (1 row)" in done.stderr

    def test_unknown_sheet_names_the_sheets(self, tmp_path: Path) -> None:
        hostile = next(h for h in CATALOGUE if h.name == "months.xlsx")
        done = _cli(["metrics", str(_write(tmp_path, hostile)), "--sheet", "Mar"])
        assert done.returncode == 1 and "has no sheet 'Mar'; its sheets are 'Jan', 'Feb', 'Notes'." in done.stderr

    def test_the_unbalanced_quote_echoes_nothing_of_the_file(self, tmp_path: Path) -> None:
        hostile = next(h for h in CATALOGUE if h.name == "quote.csv")
        done = _cli(["metrics", str(_write(tmp_path, hostile))])
        assert done.returncode == 1 and len(done.stderr) < 300


class TestExportSize:
    def test_a_giant_png_is_refused_before_it_is_drawn(self, tmp_path: Path) -> None:
        """10,000 x 10,000 at scale 8 (6.4 gigapixels, 25.6 GB to draw): one sentence, exit 1, no file."""
        from journeymap.journey.samples import sample_events_path, sample_journey_path

        out = tmp_path / "map.png"
        done = _cli(
            [
                "export",
                str(sample_journey_path("onboarding")),
                "--events",
                str(sample_events_path("onboarding")),
                "--out",
                str(out),
                "--width",
                "10000",
                "--height",
                "10000",
                "--scale",
                "8",
            ]
        )
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert done.stderr.strip().splitlines() == [
            "journeymap: A PNG of 10,000 x 10,000 at scale 8 would have 6,400 megapixels, more than the cap of 50; "
            "lower --width, --height or --scale (1600 x 900 at scale 2 is 5.8), export SVG or PDF, or raise the cap "
            "with the environment variable JOURNEYMAP_MAX_MEGAPIXELS (e.g. JOURNEYMAP_MAX_MEGAPIXELS=6400)."]
        assert not out.exists()

    def test_the_cap_is_raised_by_its_variable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from journeymap.export.render import _check_pixels

        with pytest.raises(JourneyError, match="would have 60 megapixels, more than the cap of 50"):
            _check_pixels(5000, 3000, 2)
        monkeypatch.setenv("JOURNEYMAP_MAX_MEGAPIXELS", "70")
        _check_pixels(5000, 3000, 2)  # within the raised cap: no error
