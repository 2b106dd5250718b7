"""Tests for journeymap.export.report: the self-contained weekly report page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any

import pytest

from journeymap.engine.filters import CaseFilter
from journeymap.export.report import build_report
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import sample_events_path, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.hotspots import find_hotspots, where_time_goes
from journeymap.measures.metrics import compute_metrics
from journeymap.testing import EVIL_LABEL, build_events, markup_journey

# Inline SVG declares its namespaces; these are identifiers, never fetched. Nothing else may appear.
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
EVIL = EVIL_LABEL
EVIL_JOURNEY = markup_journey("Onboarding <b>&</b> more")


class _Tags(HTMLParser):
    """Collects start tags and their attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


@pytest.fixture(scope="module")
def onboarding() -> tuple[Any, Any]:
    journey = load_journey(sample_journey_path("onboarding"))
    return compute_metrics(read_events(sample_events_path("onboarding")).frame, journey), journey


@pytest.fixture(scope="module")
def report(onboarding: tuple[Any, Any]) -> str:
    metrics, journey = onboarding
    return build_report(metrics, journey)


class TestContent:
    def test_title_sentence_and_hotspots(self, onboarding, report):
        """The page opens with the journey, the where-the-time-goes sentence and each hotspot's sentence."""
        metrics, _ = onboarding
        assert "<h1>Employee onboarding</h1>" in report
        assert where_time_goes(metrics) in report
        for hotspot in find_hotspots(metrics, top=5):
            assert hotspot.sentence in report

    def test_charts_are_inline_svg(self, report):
        """Map, funnel, lead time, its weekly trend and the OKR are inline SVGs that parse as XML."""
        svgs = re.findall(r"<svg .*?</svg>", report, re.S)
        assert len(svgs) == 5
        for svg in svgs:
            ET.fromstring(svg)
        assert all(svg.startswith('<svg role="img" aria-label=') for svg in svgs)

    def test_map_marks_the_top_hotspots(self, onboarding, report):
        """The map in the report labels the first hotspot as ① on the map itself."""
        metrics, _ = onboarding
        first = find_hotspots(metrics, top=1)[0]
        assert f"①\u00a0{first.label.split()[0]}" in report

    def test_okr_and_its_note(self, report):
        """Each OKR gets a heading and the sentence saying what its chart shows."""
        assert "<h3>Time from offer accepted to first login</h3>" in report
        assert "The p85 time from Offer accepted to First login: now 34.9 d over" in report

    def test_filter_is_described(self, onboarding):
        """A filtered report says which cases it covers."""
        metrics, journey = onboarding
        page = build_report(metrics, journey, case_filter=CaseFilter(segments={"location": ("Warsaw",)}))
        assert "· location = Warsaw ·" in page

    def test_journey_without_okrs(self):
        """A journey with no OKRs says so instead of drawing an empty chart."""
        events = build_events({f"c{i}": [("apply", 0), ("review", 3 + i), ("done", 20 + i)] for i in range(6)})
        page = build_report(compute_metrics(events, EVIL_JOURNEY), EVIL_JOURNEY)
        assert "names no OKRs" in page


class TestSelfContained:
    def test_no_external_url(self, report):
        """The only URLs in the page are the SVG and XLink namespace identifiers."""
        assert set(re.findall(r"https?://[^\s\"'<>)]+", report)) == NAMESPACES

    def test_nothing_is_loaded(self, report):
        """No script at all, and no tag with src, href to elsewhere, or a stylesheet link."""
        for tag, attrs in tags(report):
            assert tag not in ("script", "link", "iframe", "img"), tag
            assert "src" not in attrs
            assert not (attrs.get("href") or "#").lstrip().startswith(("http", "//"))

    def test_ids_are_unique_across_charts(self, report):
        """Gradient and clip ids of different charts never clash in the one page."""
        ids = re.findall(r'\sid="([^"]+)"', report)
        assert len(ids) == len(set(ids))

    def test_report_is_deterministic(self, onboarding, report):
        """The same metrics give the same bytes: no timestamps or random ids."""
        metrics, journey = onboarding
        assert build_report(metrics, journey) == report


class TestEscaping:
    def test_labels_and_names_are_escaped(self):
        """A label with <script> and & and a journey name with tags come out as text everywhere."""
        events = build_events({f"c{i}": [("apply", 0), ("review", 3 + i), ("done", 20 + i)] for i in range(6)})
        page = build_report(compute_metrics(events, EVIL_JOURNEY), EVIL_JOURNEY)
        assert "<script" not in page and "<b>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page
        assert "<h1>Onboarding &lt;b&gt;&amp;&lt;/b&gt; more</h1>" in page
        assert [tag for tag, _ in tags(page) if tag in ("script", "b")] == []


class TestMapDetail:
    def test_report_map_hides_and_says_so(self, onboarding, report):
        """With fewer steps asked, the report's map draws fewer and its text says how many are hidden."""
        metrics, journey = onboarding
        page = build_report(metrics, journey, steps=4, transitions=0)
        assert re.search(r"<p>Steps sized[^<]*\d+ of 12 steps and \d+ of 16 transitions are hidden", page)
        def steps_on_the_map(html: str) -> set[str]:
            figure = re.search(r'<figure><svg role="img" aria-label="Journey map".*?</figure>', html, re.S).group(0)
            return set(re.findall(r"Step: ([^;\"]+)", figure))

        assert 4 <= len(steps_on_the_map(page)) < 12 and len(steps_on_the_map(report)) == 12
        assert "are hidden" not in report
