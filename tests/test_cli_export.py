"""The `journeymap export` and `journeymap report` commands: files out, readable errors in."""

from __future__ import annotations

import datetime as dt
import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from journeymap.charts.mapdetail import map_detail
from journeymap.cli.export import parse_case_filter
from journeymap.cli.main import main
from journeymap.core.errors import JourneyError
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import generate_events, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.hotspots import find_hotspots
from journeymap.measures.metrics import compute_metrics

JOURNEY = sample_journey_path("onboarding")


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small onboarding log (400 cases, same generator as the samples) as a CSV file."""
    path = tmp_path_factory.mktemp("logs") / "onboarding.csv"
    generate_events("onboarding", 400, seed=11).write_csv(path)
    return path


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


class TestExport:
    def test_map_png_at_the_asked_size(self, capsys, log, tmp_path):
        """`export --chart map` writes a PNG of width x height x scale pixels and says what it wrote."""
        out = tmp_path / "map.png"
        code, said, _ = run(capsys, "export", JOURNEY, "--events", log, "--chart", "map", "--out", out,
                            "--width", 800, "--height", 450, "--scale", 1.5)
        assert code == 0 and "map chart as PNG" in said
        data = out.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (1200, 675)

    def test_format_comes_from_suffix_or_option(self, capsys, log, tmp_path):
        """Without --format the suffix decides; --format wins over a misleading suffix."""
        assert run(capsys, "export", JOURNEY, "--events", log, "--chart", "funnel", "--out", tmp_path / "f.svg")[0] == 0
        ET.fromstring((tmp_path / "f.svg").read_bytes())
        code, _, _ = run(capsys, "export", JOURNEY, "--events", log, "--chart", "paths", "--format", "pdf",
                         "--out", tmp_path / "paths.bin")
        assert code == 0 and (tmp_path / "paths.bin").read_bytes().startswith(b"%PDF-")

    @pytest.mark.parametrize("chart", ["lead-time", "arrival", "okr", "lead-time-trend"])
    def test_every_chart_exports(self, capsys, log, tmp_path, chart):
        """Each chart of the command line writes a self-contained HTML file."""
        out = tmp_path / f"{chart}.html"
        assert run(capsys, "export", JOURNEY, "--events", log, "--chart", chart, "--out", out)[0] == 0
        page = out.read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>") and "vegaEmbed(" in page

    def test_filters_show_in_the_subtitle(self, capsys, log, tmp_path):
        """--from, --to and repeated --segment filter the cases and are named in the chart's subtitle."""
        out = tmp_path / "funnel.svg"
        code, _, _ = run(capsys, "export", JOURNEY, "--events", log, "--chart", "funnel", "--out", out,
                         "--from", "2026-01-01", "--to", "2026-09-30", "--segment", "location=Berlin",
                         "--segment", "location=Warsaw", "--segment", "priority=standard")
        assert code == 0
        text = out.read_text(encoding="utf-8")
        assert "cases started 2026-01-01 to 2026-09-30; location = Berlin or Warsaw; priority = standard" in text

    def test_colour_by_and_one_step(self, capsys, log, tmp_path):
        """--color-by picks the map measure; --step picks the arrival chart's step by id or label."""
        out = tmp_path / "map.svg"
        assert run(capsys, "export", JOURNEY, "--events", log, "--color-by", "drop_off_rate", "--out", out)[0] == 0
        assert "Drop-off rate" in out.read_text(encoding="utf-8")
        out = tmp_path / "arrival.svg"
        code, _, _ = run(capsys, "export", JOURNEY, "--events", log, "--chart", "arrival", "--step",
                         "Equipment shipped", "--out", out)
        assert code == 0 and "Time to arrive at Equipment shipped" in out.read_text(encoding="utf-8")


class TestReport:
    def test_report_is_one_offline_page(self, capsys, log, tmp_path):
        """`report` writes one HTML page with inline SVG charts and no script."""
        out = tmp_path / "report.html"
        code, said, _ = run(capsys, "report", JOURNEY, "--events", log, "--out", out)
        assert code == 0 and "report on 400 cases" in said
        page = out.read_text(encoding="utf-8")
        assert page.count("<svg ") == 5 and "<script" not in page


class TestErrors:
    @pytest.mark.parametrize(("args", "message"), [
        (["--from", "2026-13-01"], "--from '2026-13-01' is not a date"),
        (["--from", "2026-06-01", "--to", "2026-01-01"], "is after --to"),
        (["--segment", "colour=red"], "--segment 'colour' is not a column"),
        (["--segment", "department"], "is not KEY=VALUE"),
        (["--color-by", "nonsense"], "Cannot colour the map by 'nonsense'"),
        (["--chart", "okr", "--okr", "7"], "--okr '7' is not an OKR"),
        (["--chart", "arrival", "--step", "teleport"], "--step 'teleport' is not a step"),
        (["--width", "5"], "A width of 5 is out of range"),
        (["--segment", "department=Nobody"], "No case in"),
        (["--steps", "many"], "--steps 'many' is not a number of steps or a percentage"),
        (["--steps", "0"], "--steps '0' is not a number of steps"),
        (["--transitions", "150%"], "--transitions '150%' is not a percentage from 0 to 100"),
    ])
    def test_bad_values_give_one_sentence_and_exit_1(self, capsys, log, tmp_path, args, message):
        """A bad option value prints one line naming the problem and exits 1, writing no file."""
        out = tmp_path / "x.png"
        code, _, err = run(capsys, "export", JOURNEY, "--events", log, "--out", out, *args)
        assert code == 1 and message in err
        assert err.count("\n") == 1 and err.startswith("journeymap: ")
        assert not out.exists()

    def test_map_detail_options(self, capsys, log, tmp_path):
        """--steps and --transitions choose what the map draws, and the subtitle says what is hidden."""
        out = tmp_path / "map.svg"
        code, _, _ = run(capsys, "export", JOURNEY, "--events", log, "--out", out, "--steps", 5,
                         "--transitions", "0%", "--width", 1600, "--height", 900)
        assert code == 0
        svg = out.read_text(encoding="utf-8")
        shown = set(re.findall(r"Step: ([^;\"]+)", svg))  # the steps' marks carry their tooltip as ARIA text
        assert shown <= {step.label for step in load_journey(JOURNEY).steps}
        assert 5 <= len(shown) < 12 and {"Offer accepted", "First login"} <= shown  # busiest five, start, end
        assert re.search(r"\d+ of 12 steps and \d+ of 16 transitions are hidden[.;]", svg)
        code, _, _ = run(capsys, "export", JOURNEY, "--events", log, "--out", out, "--steps", "all",
                         "--transitions", "all", "--width", 1600, "--height", 900)
        assert code == 0 and "are hidden" not in out.read_text(encoding="utf-8")

    def test_map_default_detail_matches_the_library(self, capsys, log, tmp_path):
        """Without detail options the export draws what map_detail picks for that size (the app's rule)."""
        out = tmp_path / "map.svg"
        assert run(capsys, "export", JOURNEY, "--events", log, "--out", out, "--width", 820, "--height", 675)[0] == 0
        metrics = compute_metrics(read_events(log).frame, load_journey(JOURNEY))
        detail = map_detail(metrics, hotspots=find_hotspots(metrics, top=3), width=820, height=675)
        svg = out.read_text(encoding="utf-8")
        assert set(re.findall(r"Step: ([^;\"]+)", svg)) == {metrics.step_label(step) for step in detail.steps}

    def test_unknown_suffix(self, capsys, log, tmp_path):
        """An --out name whose suffix is no format, without --format, says how to fix it."""
        code, _, err = run(capsys, "export", JOURNEY, "--events", log, "--out", tmp_path / "map.gif")
        assert code == 1 and "Cannot tell the format" in err


class TestCaseFilter:
    def test_repeated_key_means_either_value(self):
        """Two values for one segment keep cases with either; dates become a start/end range."""
        case_filter = parse_case_filter("2026-01-01", None, ["department=Sales", "department = Finance"],
                                        ["department", "location"])
        assert case_filter.segments == {"department": ("Sales", "Finance")}
        assert case_filter.start == dt.date(2026, 1, 1) and case_filter.end is None

    def test_no_options_keep_every_case(self):
        """No filter options give an empty filter."""
        assert parse_case_filter(None, None, [], ["department"]).is_empty()

    def test_value_may_contain_equals(self):
        """Only the first = splits key from value."""
        assert parse_case_filter(None, None, ["channel=a=b"], ["channel"]).segments == {"channel": ("a=b",)}

    def test_unknown_column(self):
        """A segment key that is not a column lists the columns there are."""
        with pytest.raises(JourneyError, match="segments: department, location"):
            parse_case_filter(None, None, ["team=x"], ["department", "location"])
