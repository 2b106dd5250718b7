"""One story on every surface: each sample journey's hotspots and OKRs, read back from the metrics JSON,
the report, `journeymap export` and the What-if replay, give the same steps, order, sentences and numbers.

The expected story is the one `journeymap metrics --format json` prints; it is also pinned equal to
`journey_story`, the one definition every surface calls. The pages and the workshop view are
checked the same way in tests/app/test_one_story_pages.py.
"""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from journeymap.cli.main import main
from journeymap.decide.whatif import what_if
from journeymap.export.report import build_report
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import SAMPLE_JOURNEYS, sample_events_path, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.casetimes import case_step_times
from journeymap.measures.metrics import compute_metrics

MARKED, LISTED = 3, 5  # numbered on the map, listed in the report


def metrics_json(capsys: pytest.CaptureFixture[str], journey: str) -> dict[str, Any]:
    """What `journeymap metrics --format json` prints for a sample journey."""
    code = main(["metrics", str(sample_events_path(journey)), "--journey", str(sample_journey_path(journey)),
                 "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0
    return json.loads(out)


def map_ranks(svg: str) -> list[str]:
    """The step labels a map SVG numbers as hotspots, in the order of their numbers."""
    found = {int(rank): html.unescape(label)
             for label, rank in re.findall(r"Step: ([^;\"]+);[^\"]*?Hotspot: #(\d+)", svg)}
    return [found[rank] for rank in sorted(found)]


def marked_steps(summary: dict[str, Any]) -> list[str]:
    """The labels of the steps the top hotspots are marked at (a handoff's is where its wait arrives)."""
    labels = {step["step"]: step["label"] for step in summary["steps"]}
    return [labels[h["step"]] for h in summary["hotspots"][:MARKED]]


class _Items(HTMLParser):
    """The text of each <li> of the report's hotspot list, and of each OKR paragraph."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[str] = []
        self._in_list = self._in_item = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "ol" and ("class", "hotspots") in attrs:
            self._in_list = True
        elif tag == "li" and self._in_list:
            self._in_item = True
            self.items.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "ol":
            self._in_list = False
        elif tag == "li":
            self._in_item = False

    def handle_data(self, data: str) -> None:
        if self._in_item:
            self.items[-1] += data


@pytest.fixture(scope="module", params=SAMPLE_JOURNEYS)
def sample(request: pytest.FixtureRequest) -> tuple[str, Any, Any]:
    journey = load_journey(sample_journey_path(request.param))
    frame = read_events(sample_events_path(request.param)).frame
    return request.param, journey, frame


class TestOneStory:
    def test_metrics_json_is_the_story(self, capsys, sample) -> None:
        """The JSON's hotspots and OKRs are `journey_story`'s: same steps, order, sentences and figures."""
        from journeymap.measures.story import journey_story

        name, journey, frame = sample
        story = journey_story(compute_metrics(frame, journey))
        summary = metrics_json(capsys, name)
        assert summary["summary"] == story.summary
        assert [(h["step"], h["sentence"]) for h in summary["hotspots"]] == [(h.step, h.sentence)
                                                                             for h in story.hotspots]
        assert [(o["name"], o["statistic"], o["met"]) for o in summary["okrs"]] == [
            (s.okr.name, s.okr.statistic, s.met) for s in story.okrs]
        for shown, status in zip(summary["okrs"], story.okrs):
            assert shown["current_s"] == pytest.approx(status.current_s, rel=1e-12)
            assert shown["progress"] == pytest.approx(status.progress, rel=1e-12)
            assert shown["baseline_s"] == status.okr.baseline_s and shown["target_s"] == status.okr.target_s
            assert shown["sentence"] == status.sentence

    def test_report_lists_and_marks_the_same_hotspots_and_okrs(self, capsys, sample) -> None:
        """The report lists the top five sentences in order, numbers the top three on its map, and says each
        OKR's sentence."""
        name, journey, frame = sample
        summary = metrics_json(capsys, name)
        page = build_report(compute_metrics(frame, journey), journey)
        parser = _Items()
        parser.feed(page)
        sentences = [h["sentence"] for h in summary["hotspots"][:LISTED]]
        assert len(parser.items) == len(sentences)
        for item, sentence in zip(parser.items, sentences):
            assert item.startswith(sentence)
        assert map_ranks(page) == marked_steps(summary)
        assert summary["okrs"], "every sample journey has an OKR"
        for okr in summary["okrs"]:
            assert html.escape(okr["sentence"]) in page

    def test_export_marks_the_same_hotspots_and_says_the_same_okr(self, capsys, sample, tmp_path: Path) -> None:
        """`journeymap export` numbers the same three steps on its map; its OKR chart gives the same sentence."""
        name, _, _ = sample
        summary = metrics_json(capsys, name)
        out = tmp_path / "map.svg"
        args = [str(sample_journey_path(name)), "--events", str(sample_events_path(name))]
        assert main(["export", *args, "--out", str(out)]) == 0
        assert map_ranks(out.read_text(encoding="utf-8")) == marked_steps(summary)
        for number, okr in enumerate(summary["okrs"], start=1):
            chart = tmp_path / f"okr{number}.svg"
            assert main(["export", *args, "--chart", "okr", "--okr", str(number), "--out", str(chart)]) == 0
            assert html.escape(okr["sentence"], quote=False) in chart.read_text(encoding="utf-8")
        capsys.readouterr()

    def test_what_if_starts_from_the_same_okr_value(self, capsys, sample) -> None:
        """The What-if replay's "now" for each OKR is the OKR's current value everywhere else."""
        name, journey, frame = sample
        summary = metrics_json(capsys, name)
        times = case_step_times(frame, journey)
        result = what_if(times, summary["hotspots"][0]["step"], "cut", 0)
        assert list(result.okrs["okr"]) == [okr["name"] for okr in summary["okrs"]]
        for row, okr in zip(result.okrs.itertuples(index=False), summary["okrs"]):
            assert row.before_s == pytest.approx(okr["current_s"], rel=1e-9)
            assert row.met_before == okr["met"]
