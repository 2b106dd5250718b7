"""The map's labels, as drawn: none overlaps another, none is under 12 px, no line runs through one.

Each map is exported to SVG (Vega through vl-convert, as `journeymap export` does) and its text
read back with positions, font sizes and widths measured in the shipped font (`svg_labels`), at
the app's width (820 x 416: the Map page's column on a 1280 x 720 screen, under its header; and
820 x 675, as it was), at slide size
(1920 x 1080), at the export default (1600 x 900) and at the report's size (1200 x 675).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from journeymap.charts.map import map_chart
from journeymap.charts.mapdetail import map_detail
from journeymap.export.render import export_chart
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import SAMPLE_JOURNEYS, sample_events_path, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.draft import draft_journey
from journeymap.measures.hotspots import find_hotspots
from journeymap.measures.metrics import compute_metrics
from map_cases import every_activity_journey, generated_log
from svg_labels import Box, line_paths, overlapping, text_boxes

SIZES = [(820, 416), (820, 675), (1920, 1080), (1600, 900), (1200, 675)]


@cache
def _sample(journey_id: str):
    return compute_metrics(
        read_events(sample_events_path(journey_id)).frame, load_journey(sample_journey_path(journey_id))
    )


@cache
def _real(path: Path, every_activity: bool):
    events = read_events(path).frame
    journey = every_activity_journey(events) if every_activity else draft_journey(events)
    return compute_metrics(events, journey)


@cache
def _generated():
    events = generated_log()
    return compute_metrics(events, every_activity_journey(events))


def _boxes(metrics, width: int, height: int, drawn_width: int | None = None, **options) -> tuple[list[Box], str]:
    """The labels of the map planned for width x height, drawn `drawn_width` wide (Streamlit stretches a
    chart to its column: the spec is the same, its width the column's)."""
    chart = map_chart(metrics, hotspots=find_hotspots(metrics, top=3), width=width, height=height, **options)
    svg = export_chart(chart, "svg", width=drawn_width or width, height=height).decode("utf-8")
    return text_boxes(svg), svg


def _assert_readable(metrics, width: int, height: int, lines_clear: bool = True, drawn_width: int | None = None,
                     **options) -> None:
    boxes, svg = _boxes(metrics, width, height, drawn_width, **options)
    width = drawn_width or width
    assert len(boxes) > 10, "the map has too few labels to be a map"
    clashes = [(a.text, b.text) for a, b in overlapping(boxes)]
    assert not clashes, f"labels overlap at {width}x{height}: {clashes}"
    small = sorted({(box.text, box.size) for box in boxes if box.size < 12})
    assert not small, f"labels under 12 px: {small}"
    outside = [box.text for box in boxes if box.left < 0 or box.top < 0 or box.right > width or box.bottom > height]
    assert not outside, f"labels cut off at the edge: {outside}"
    crossed = sorted({box.text for path in line_paths(svg) for a, b in zip(path, path[1:])
                      for box in boxes if box.crossed_by(a, b)})
    assert not lines_clear or not crossed, f"transitions run through labels: {crossed}"


class TestSamples:
    @pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
    @pytest.mark.parametrize("journey_id", SAMPLE_JOURNEYS)
    def test_labels_apart(self, journey_id: str, size: tuple[int, int]) -> None:
        """Every sample map: labels apart, 12 px or more, inside the picture, no transition through one."""
        _assert_readable(_sample(journey_id), *size)

    def test_with_off_map_activity(self) -> None:
        """Off-map steps and transitions, drawn on request, keep the labels apart too.

        (Lines to off-map steps are bent around steps, not routed between columns: they may
        still cross a label.)
        """
        _assert_readable(_sample("onboarding"), 820, 675, lines_clear=False, show_off_map=True)
        _assert_readable(_sample("service_desk"), 1920, 1080, lines_clear=False, show_off_map=True)

    def test_projector_size(self) -> None:
        """The large type of the workshop's projector view keeps labels apart."""
        _assert_readable(_sample("onboarding"), 1600, 900, large=True)

    def test_the_checker_sees_a_clash(self) -> None:
        """The test would notice: two labels drawn on one spot are reported, with their texts."""
        svg = ('<svg xmlns="http://www.w3.org/2000/svg"><g transform="translate(10,10)">'
               '<text transform="translate(50,20)" font-size="13px" text-anchor="middle">Equipment ordered</text>'
               '<text transform="translate(90,24)" font-size="13px">Equipment shipped</text>'
               '<text transform="translate(300,200) rotate(270)" font-size="13px">Far away</text></g></svg>')
        boxes = text_boxes(svg)
        assert [(a.text, b.text) for a, b in overlapping(boxes)] == [("Equipment ordered", "Equipment shipped")]
        far = next(box for box in boxes if box.text == "Far away")
        assert far.bottom - far.top > far.right - far.left  # turned upright


class TestRealLogs:
    @pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
    def test_drafted_helpdesk(self, real_data: Path, size: tuple[int, int]) -> None:
        """The drafted journey of the helpdesk log, on that log."""
        _assert_readable(_real(real_data / "helpdesk.xes.gz", False), *size)

    @pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
    @pytest.mark.parametrize("log", ["helpdesk.xes.gz", "receipt.csv"])
    def test_every_activity(self, real_data: Path, log: str, size: tuple[int, int]) -> None:
        """Every activity of a real log as a step (14 and 27 steps, 47 and 98 transitions), at the default detail."""
        metrics = _real(real_data / log, True)
        assert len(metrics.journey.steps) >= 14 and len(metrics.journey.transitions) >= 45
        _assert_readable(metrics, *size)

    def test_every_step_of_receipt_at_slide_size(self, real_data: Path) -> None:
        """All 27 steps of the receipt log on one slide, with the default share of transitions, still readable."""
        metrics = _real(real_data / "receipt.csv", True)
        detail = map_detail(metrics, steps=1.0, width=1920, height=1080)
        assert len(detail.steps) == 27
        _assert_readable(metrics, 1920, 1080, detail=detail)


class TestGenerated:
    @pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
    def test_25_steps_70_transitions(self, size: tuple[int, int]) -> None:
        """A generated journey of 25 steps and about 70 transitions, at the default detail."""
        metrics = _generated()
        assert len(metrics.journey.steps) == 25 and 60 <= len(metrics.journey.transitions) <= 80
        _assert_readable(metrics, *size)

    def test_everything_shown(self) -> None:
        """Every step and transition of the generated journey drawn at once at slide size: still apart."""
        metrics = _generated()
        detail = map_detail(metrics, steps=1.0, transitions=100, width=1920, height=1080)
        assert len(detail.steps) == 25
        _assert_readable(metrics, 1920, 1080, detail=detail)


class TestWholeNames:
    @pytest.mark.parametrize("size", [(820, 675), (1920, 1080)], ids=lambda size: f"{size[0]}x{size[1]}")
    @pytest.mark.parametrize("journey_id", SAMPLE_JOURNEYS)
    def test_sample_names_are_not_cut(self, journey_id: str, size: tuple[int, int]) -> None:
        """On the samples every step's name is drawn whole (wrapped, never cut), at the app's size and on a slide."""
        metrics = _sample(journey_id)
        chart = map_chart(metrics, hotspots=find_hotspots(metrics, top=3), width=size[0], height=size[1])
        for row in chart.datasets["journey_nodes"]:
            drawn = row["lines"].split("\n")
            name = " ".join(line for line in drawn if not re.fullmatch(r"[\d,]+( cases)?", line)).split("\u00a0")[-1]
            assert name == row["label"], (row["label"], drawn)


class TestStretched:
    """The Map page plans its map for 820 px (the column at 1280x720) and Streamlit stretches it to the
    column it gets: 1,460 px at 1920x1080. The labels follow the width it is drawn at."""

    @pytest.mark.parametrize("drawn_width", [820, 1000, 1460, 2000])
    def test_receipt_labels_apart_at_every_width(self, real_data: Path, drawn_width: int) -> None:
        """The drafted receipt map (27 activities), planned for 820 x 416, stays readable however wide it is drawn."""
        _assert_readable(_real(real_data / "receipt.csv", False), 820, 416, drawn_width=drawn_width)

    def test_wider_drawing_cuts_fewer_names(self, real_data: Path) -> None:
        """Drawn 1,460 px wide, the receipt map's names are cut far less often than at the planned 820 px:
        at 820 most names end in "…" after a word or two; at 1,460 the wider columns hold more of each."""
        metrics = _real(real_data / "receipt.csv", False)

        def cut(drawn_width: int) -> tuple[int, int]:
            labels = [box.text for box in _boxes(metrics, 820, 416, drawn_width)[0]]
            return sum(text.endswith("…") for text in labels), sum(len(text) for text in labels)

        (cut_planned, chars_planned), (cut_wide, chars_wide) = cut(820), cut(1460)
        assert cut_planned >= 4, "the planned width should cut receipt's long names (else this test shows nothing)"
        assert cut_wide < cut_planned and chars_wide > chars_planned


def test_a_count_that_does_not_fit_in_words_is_a_number(real_data: Path) -> None:
    """Where "1,434 cases" is wider than a step's column (14 of receipt's activities at the app's width), the
    line under the name is the number alone, never cut to "1,434…"."""
    metrics = _real(real_data / "receipt.csv", True)
    chart = map_chart(metrics, width=820, height=900, detail=map_detail(metrics, steps=14, width=820, height=900))
    counts = [row["lines"].split("\n")[-1] for row in chart.datasets["journey_nodes"]]
    assert "1,434" in counts and "40 cases" in counts, counts  # the first step's 1,434 needs the room 40 leaves
    assert all(re.fullmatch(r"[\d,]+( cases)?", line) for line in counts), counts
