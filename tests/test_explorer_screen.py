"""The explorer's charts at the 820 pixels a 1280 x 720 page gives them: labels whole, clear of each other
and of the marks they name, and words that say something (issue 14, items 7 and 8).

Charts are exported as SVG the way Vega draws them and read back with `svg_labels` (every text line's box
measured in the shipped font).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import pytest

from journeymap.charts import compare as comparecharts
from journeymap.charts import explorer
from journeymap.charts import flow as flowcharts
from journeymap.core.numbers import format_change, format_share
from journeymap.decide import flow
from journeymap.decide.compare import compare_change
from journeymap.decide.whatif import what_if
from journeymap.engine.filters import CaseFilter
from journeymap.export.render import export_chart
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import sample_events_path, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.casetimes import case_step_times
from journeymap.measures.draft import draft_journey
from journeymap.measures.metrics import compute_metrics
from journeymap.ui.downloads import file_stem, filter_name
from svg_labels import line_paths, overlapping, rule_segments, text_boxes

RECEIPT = Path(__file__).resolve().parent / "data" / "real" / "receipt.csv"  # 27 activities, long names
WIDTH, HEIGHT = 820, 675  # the main column of a 1280 x 720 page with the sidebar open


@cache
def _onboarding():
    journey = load_journey(sample_journey_path("onboarding"))
    log = read_events(sample_events_path("onboarding"))
    return journey, compute_metrics(log.frame, journey), case_step_times(log.frame, journey,
                                                                         segments=tuple(log.attributes))


def _boxes(chart, height: int = HEIGHT):
    svg = export_chart(chart, "svg", width=WIDTH, height=height).decode("utf-8")
    return text_boxes(svg), svg


class TestShares:
    def test_small_shares_are_not_zero(self):
        """A share above 0 that rounds to 0 reads "<1%" (at one decimal "<0.1%"), one short of all ">99%"."""
        assert [format_share(v) for v in (0.0, 0.004, 0.005, 0.46, 0.996, 1.0)] == [
            "0%", "<1%", "<1%", "46%", ">99%", "100%"]
        assert [format_share(v, 1) for v in (0.0004, 0.0149, 0.9996)] == ["<0.1%", "1.5%", ">99.9%"]
        assert format_share(None) == format_share(float("nan")) == "–"

    def test_small_changes_are_not_minus_zero(self):
        """A change of −0.3% reads "−<1%", not "−0%"; no change at all stays "+0%"."""
        assert [format_change(v) for v in (-0.003, 0.0, 0.004, 0.12)] == ["−<1%", "+0%", "+<1%", "+12%"]
        assert format_change(-0.0002, points=True) == "−<0.1 pts"

    def test_a_fall_short_of_all_is_not_minus_100(self):
        """From 2.1 d to 5 min is −99.8%, not "−100%" (which says the time went to nothing); all of it stays −100%."""
        assert [format_change(v) for v in (-1.0, -0.9984, -0.995, -0.99997, -0.994)] == [
            "−100%", "−99.8%", "−99.5%", "−99.9%", "−99%"]


class TestTrendCharts:
    def test_a_page_subtitle_keeps_what_the_chart_adds(self):
        """The Time page gives its own context line (its filter); the week chart still says what its grey band
        is, the lead-time chart how many cases completed, the OKR chart its status, under that line."""
        _, metrics, _ = _onboarding()
        page = "Employee onboarding · location Berlin"
        charts = {"grey: recent starts, many not finished yet": explorer.lead_time_trend_chart(metrics, subtitle=page),
                  "completed cases": explorer.lead_time_chart(metrics, subtitle=page)}
        for added, chart in charts.items():
            subtitle = chart.to_dict()["title"]["subtitle"]
            assert subtitle[0] == page and added in " ".join(subtitle[1:]), subtitle
        okr = explorer.okr_chart(metrics, metrics.journey.okrs[0], subtitle=page).to_dict()["title"]["subtitle"]
        assert okr[0] == page and len(okr) >= 2

    def test_change_title_whole_inside_the_chart(self):
        """The dated change's title is drawn whole, on two lines, inside the chart and the plot full width."""
        _, metrics, _ = _onboarding()
        for chart in (explorer.lead_time_trend_chart(metrics), explorer.okr_chart(metrics, metrics.journey.okrs[0])):
            boxes, _ = _boxes(chart)
            change = [box for box in boxes if "Laptops pre-imaged" in box.text or "regional vendor" in box.text]
            assert len(change) == 2, [box.text for box in change]
            assert all(0 <= box.left and box.right <= WIDTH for box in boxes), [
                box.text for box in boxes if box.right > WIDTH]
            assert not overlapping(boxes)

    def test_cumulative_flow_names_its_lines(self):
        """Each line is named at its end, no two names touching; colours ordered (plasma), no legend to match."""
        _, _, times = _onboarding()
        chart = flowcharts.cumulative_flow_chart(flow.cumulative_flow(times))
        boxes, _ = _boxes(chart)
        names = {"Offer accepted", "Background check", "Equipment shipped", "First login"}
        assert names <= {box.text for box in boxes}
        assert not overlapping(boxes), [(a.text, b.text) for a, b in overlapping(boxes)]
        spec = chart.to_dict()
        colour = spec["layer"][0]["encoding"]["color"]
        assert colour["legend"] is None and colour["scale"]["scheme"]["name"] == "plasma"


    def test_cumulative_flow_on_a_real_log_keeps_its_plot(self):
        """The receipt log's long activity names are cut to the room right of the lines (their tooltip has them
        whole), so they neither run out of the chart nor squeeze the plot."""
        events = read_events(RECEIPT).frame
        times = case_step_times(events, draft_journey(events))
        boxes, _ = _boxes(flowcharts.cumulative_flow_chart(flow.cumulative_flow(times)))
        assert all(box.right <= WIDTH for box in boxes), [box.text for box in boxes if box.right > WIDTH]
        assert not overlapping(boxes), [(a.text, b.text) for a, b in overlapping(boxes)]
        ticks = [box for box in boxes if box.text.endswith(("2011", "2012"))]
        assert ticks and max(box.right for box in ticks) > 0.6 * WIDTH, "the time axis spans most of the chart"


class TestForecast:
    def test_three_equal_dates_read_as_one(self):
        """All three levels on 4 Dec: one label and one sentence, "done by 4 Dec 2026 at 50, 85 and 95% confidence"."""
        day = dt.date(2026, 12, 4)
        forecast = flow.Forecast(198, (40, 45), {50: 5.0, 85: 5.0, 95: 5.0}, {50: day, 85: day, 95: day}, "")
        chart = flowcharts.forecast_chart(forecast)
        labels = chart.datasets["flow_labels"]
        assert [row["text"] for row in labels] == ["Done by 4 Dec 2026\nat 50, 85 and 95% confidence (5 weeks)"]
        assert flow.done_by(forecast.dates) == "done by 4 Dec 2026 at 50, 85 and 95% confidence"
        subtitle = chart.to_dict()["title"]["subtitle"]
        assert "198 cases in flight, done by 4 Dec 2026 at 50, 85 and 95% confidence" in (
            subtitle if isinstance(subtitle, str) else " ".join(subtitle))

    def test_label_clear_of_the_lines(self):
        """The forecast's label stands clear of the work-in-progress line, the forecast line and a change's rule."""
        journey, _, times = _onboarding()
        chart = flowcharts.forecast_chart(flow.forecast_wip(times), flow.work_in_progress(times), journey.changes)
        boxes, svg = _boxes(chart)
        labels = [box for box in boxes if box.text.startswith(("Done by ", "at 50"))]
        assert labels
        segments = [*rule_segments(svg), *((a, b) for path in line_paths(svg) for a, b in zip(path, path[1:]))]
        crossed = [box.text for box in labels for a, b in segments if box.crossed_by(a, b)]
        assert not crossed, crossed

    def test_different_dates_keep_their_levels(self):
        """Two levels on one day, the third later: two labels, each naming its levels."""
        day, later = dt.date(2026, 12, 4), dt.date(2026, 12, 11)
        dates = {50: day, 85: day, 95: later}
        assert flow.done_by(dates) == "done by 4 Dec 2026 at 50 and 85% confidence or 11 Dec 2026 at 95% confidence"
        chart = flowcharts.forecast_chart(flow.Forecast(9, (3,), {50: 1.0, 85: 1.0, 95: 2.0}, dates, ""))
        assert [row["text"].replace("\n", " ") for row in chart.datasets["flow_labels"]] == [
            "Done by 4 Dec 2026 at 50 and 85% confidence (1 week)", "Done by 11 Dec 2026 at 95% confidence (2 weeks)"]


class TestPathsChart:
    def test_names_whole_and_clear(self):
        """Every path's name fits beside its bar (none cut but the long #1), the figures inside the chart, and
        #1 says what the path is."""
        _, metrics, _ = _onboarding()
        chart = explorer.paths_chart(metrics)
        boxes, _ = _boxes(chart, chart.to_dict()["height"])
        assert not overlapping(boxes), [(a.text, b.text) for a, b in overlapping(boxes)]
        assert all(box.right <= WIDTH for box in boxes), [box.text for box in boxes if box.right > WIDTH]
        texts = [box.text for box in boxes]
        assert any(text.startswith("#1 most common path: Offer accepted") for text in texts)
        assert "#2 skips Day-1 orientation" in texts
        assert any(text.startswith("1,114 cases (46%)") for text in texts)


class TestForestPlot:
    def test_labels_clear_of_the_intervals(self):
        """No label of the before/after chart is crossed by an interval or the zero line."""
        _, _, times = _onboarding()
        boxes, svg = _boxes(comparecharts.comparison_chart(compare_change(times, dt.date(2026, 6, 1))))
        labels = [box for box in boxes if box.text.startswith(("median ", "p85 "))]
        assert len(labels) >= 20
        crossed = [box.text for box in labels for a, b in rule_segments(svg) if box.crossed_by(a, b)]
        assert not crossed, crossed


class TestWhatIfChart:
    @pytest.mark.parametrize("step, pct", [("equipment_shipped", 50), ("day1_orientation", 10)])
    def test_quantile_labels_never_crowd(self, step, pct):
        """p50, p85 and p95 close together (a 10% cut of a small step): no label overlaps another or is crossed
        by a quantile line."""
        _, _, times = _onboarding()
        boxes, svg = _boxes(comparecharts.whatif_chart(what_if(times, step, "cut", pct)))
        assert not overlapping(boxes), [(a.text, b.text) for a, b in overlapping(boxes)]
        figures = [box for box in boxes if box.text.startswith(("p50 ", "p85 ", "p95 "))]
        assert len(figures) == 3
        crossed = [box.text for box in figures for a, b in rule_segments(svg) if box.crossed_by(a, b)]
        assert not crossed, crossed


class TestExportNames:
    def test_file_names_carry_journey_and_filter(self):
        """Two downloads of one chart under two filters never share a name."""
        assert file_stem(f"onboarding map {filter_name(CaseFilter())}") == "onboarding-map-all-cases"
        chosen = CaseFilter(dt.date(2026, 3, 1), dt.date(2026, 5, 31), {"department": ("Sales", "Finance")})
        assert file_stem(f"onboarding lead time {filter_name(chosen)}") == (
            "onboarding-lead-time-2026-03-01-to-2026-05-31-department-sales-finance")
        assert file_stem(f"x {filter_name(CaseFilter(dt.date(2026, 3, 1), None, {}))}") == "x-2026-03-01-to-end"
