"""Tests for the compare-and-decide charts (journeymap.charts.flow, journeymap.charts.compare)."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import pandas as pd
import pytest

from journeymap.charts import compare as comparecharts
from journeymap.charts import flow as flowcharts
from journeymap.charts.compare import CLEAR, UNCLEAR
from journeymap.decide import flow
from journeymap.decide.compare import compare_change, compare_segment
from journeymap.decide.whatif import okr_budget, p85_impact, what_if
from journeymap.export.render import export_chart
from journeymap.journey.definition import load_journey
from journeymap.journey.model import Journey
from journeymap.journey.samples import sample_events_path, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.casetimes import CaseTimes, case_step_times

HUMAN = re.compile(r"\d+(\.\d)? (s|min|h|d|w)\b")


@pytest.fixture(scope="module")
def onboarding() -> tuple[Journey, CaseTimes]:
    journey = load_journey(sample_journey_path("onboarding"))
    log = read_events(sample_events_path("onboarding"))
    return journey, case_step_times(log.frame, journey, segments=tuple(log.attributes))


@functools.lru_cache(maxsize=1)
def onboarding_okr_weekly() -> pd.DataFrame:
    """The onboarding OKR's weekly series, as every surface reads it (`okr.okr_status`)."""
    from journeymap.measures.metrics import compute_metrics
    from journeymap.measures.okr import okr_status

    journey = load_journey(sample_journey_path("onboarding"))
    metrics = compute_metrics(read_events(sample_events_path("onboarding")).frame, journey)
    return okr_status(metrics, journey.okrs[0]).weekly


def table(chart: Any, name: str) -> pd.DataFrame:
    """One of a chart's named datasets as a data frame."""
    return pd.DataFrame(chart.datasets[name])


def spec_text(chart: Any) -> str:
    return json.dumps(chart.to_dict(), ensure_ascii=False)


def all_charts(journey: Journey, times: CaseTimes) -> dict[str, Any]:
    okr = journey.okrs[0]
    return {
        "comparison": comparecharts.comparison_chart(compare_change(times, "2026-06-01")),
        "segment": comparecharts.segment_chart(compare_segment(times, "department")),
        "whatif": comparecharts.whatif_chart(what_if(times, "equipment_shipped", "cut", 50)),
        "impact": comparecharts.impact_chart(p85_impact(times)),
        "throughput": flowcharts.throughput_chart(flow.weekly_throughput(times), journey.changes),
        "cumulative_flow": flowcharts.cumulative_flow_chart(flow.cumulative_flow(times), journey.changes),
        "forecast": flowcharts.forecast_chart(flow.forecast_wip(times), flow.work_in_progress(times), journey.changes),
        "okr_progress": flowcharts.okr_progress_chart(onboarding_okr_weekly(), okr, journey.changes),
        "okr_budget": flowcharts.okr_budget_chart(okr_budget(times, okr), okr),
    }


class TestComparisonChart:
    def test_every_step_with_both_statistics_and_intervals(self, onboarding):
        """Each compared step (and lead time) appears with its median and p85 change and 95% interval bounds."""
        _, times = onboarding
        result = compare_change(times, "2026-06-01")
        rows = table(comparecharts.comparison_chart(result), "compare_rows")
        assert set(result.steps["label"]) <= set(rows["label"])
        assert rows["label"].iloc[0] == "Lead time (end to end)"
        shipped = rows[rows["label"] == "Equipment shipped"].set_index("statistic")
        expected = result.steps.set_index("step").loc["equipment_shipped"]
        assert shipped.loc["p85", "lo"] == pytest.approx(expected["p85_ci_low"])
        assert shipped.loc["p85", "hi"] == pytest.approx(expected["p85_ci_high"])
        assert shipped.loc["median", "change"] == pytest.approx(expected["change"])

    def test_significance_is_a_symbol_and_words_not_colour_alone(self, onboarding):
        """A clear difference is a filled diamond; no clear difference a hollow circle and the words."""
        _, times = onboarding
        chart = comparecharts.comparison_chart(compare_change(times, "2026-06-01"))
        rows = table(chart, "compare_rows").set_index(["label", "statistic"])
        assert rows.loc[("Equipment shipped", "p85"), "verdict"] == CLEAR
        assert "13.2 d → 7.2 d" in rows.loc[("Equipment shipped", "p85"), "text"]
        assert rows.loc[("Contract signed", "median"), "verdict"] == UNCLEAR
        assert rows.loc[("Contract signed", "median"), "text"].endswith(")")
        assert rows.loc[("Equipment shipped", "p85"), "text"].endswith("◆")
        assert rows.loc[("Contract signed", "median"), "fill"] == "white"
        spec = spec_text(chart)
        assert '"diamond"' in spec and '"circle"' in spec

    def test_too_few_cases_is_said(self, onboarding):
        """A step with fewer cases than the minimum says so instead of drawing an interval."""
        _, times = onboarding
        rows = table(comparecharts.comparison_chart(compare_change(times, "2026-06-01", min_cases=10_000)),
                     "compare_rows")
        assert rows["text"].str.contains("too few cases").all()

    def test_the_same_inputs_give_the_same_spec(self, onboarding):
        """Datasets have explicit names, so the spec is the same every time."""
        _, times = onboarding
        first = spec_text(comparecharts.comparison_chart(compare_change(times, "2026-06-01")))
        again = spec_text(comparecharts.comparison_chart(compare_change(times, "2026-06-01")))
        assert first == again
        assert '"compare_rows"' in first and "data-" not in json.loads(first).get("datasets", {})


class TestSegmentChart:
    def test_every_value_and_step_with_the_surest_gap_first(self, onboarding):
        """Each department is a column; lead time comes first, then the steps ranked by their gap."""
        _, times = onboarding
        found = compare_segment(times, "department")
        chart = comparecharts.segment_chart(found)
        cells = table(chart, "compare_cells")
        assert {value.split("\n")[0] for value in cells["value"]} == set(found.values["value"])
        sort = chart.to_dict()["layer"][0]["encoding"]["y"]["sort"]
        assert sort[0] == "Lead time (end to end)" and sort[1] == found.ranking["label"].iloc[0]
        engineering = cells[(cells["label"] == "Accounts created") & cells["value"].str.startswith("Engineering")]
        assert engineering["text"].iloc[0].startswith("7.4 d\n▲ +")


class TestWhatIfChart:
    def test_quantiles_before_and_after(self, onboarding):
        """p50, p85 and p95 are labelled as measured → replayed, in human durations."""
        _, times = onboarding
        result = what_if(times, "equipment_shipped", "cut", 50)
        labels = table(comparecharts.whatif_chart(result), "compare_labels")["text"].tolist()
        assert [label.split()[0] for label in labels] == ["p50", "p85", "p95"]
        assert "p85 34.9 d → 29.7 d" in labels[1]

    def test_a_zero_cut_changes_nothing(self, onboarding):
        """Cutting by 0% leaves both distributions and every quantile the same."""
        _, times = onboarding
        chart = comparecharts.whatif_chart(what_if(times, "equipment_shipped", "cut", 0))
        bins = table(chart, "compare_bins")
        before, after = (bins[bins["scenario"] == name]["cases"].tolist() for name in bins["scenario"].unique())
        assert before == after
        assert all("(+0%)" in text for text in table(chart, "compare_labels")["text"])


class TestImpactChart:
    def test_largest_impact_first_with_its_share(self, onboarding):
        """Steps are ranked by the p85 lead time their halving saves, labelled with duration and share."""
        _, times = onboarding
        impact = p85_impact(times)
        rows = table(comparecharts.impact_chart(impact), "compare_impact")
        assert rows["label"].iloc[0] == impact["label"].iloc[0] == "Equipment shipped"
        assert rows["text"].iloc[0] == "−5.2 d (15%)"


class TestFlowCharts:
    def test_throughput_marks_the_partial_week_and_the_change(self, onboarding):
        """Weekly completions, the current partial week told apart, and the 1 June change marked."""
        journey, times = onboarding
        chart = flowcharts.throughput_chart(flow.weekly_throughput(times), journey.changes)
        weeks = table(chart, "flow_weeks")
        assert weeks["state"].iloc[-1] == "this week so far" and weeks["completed"].sum() > 1900
        changes = table(chart, "flow_changes")
        assert changes["x"].tolist() == ["2026-06-01"] and "Laptops pre-imaged" in changes["text"].iloc[0]

    def test_cumulative_flow_has_the_main_path_steps(self, onboarding):
        """The main-path steps each get a line; optional ones (documents requested) are left out."""
        journey, times = onboarding
        chart = flowcharts.cumulative_flow_chart(flow.cumulative_flow(times), journey.changes)
        labels = set(table(chart, "flow_cumulative")["label"])
        assert {"Offer accepted", "Equipment shipped", "First login"} <= labels
        assert "Documents requested" not in labels
        assert "flow_changes" in chart.datasets

    def test_forecast_labels_each_level(self, onboarding):
        """The forecast labels 50, 85 and 95% with a date; with nothing in flight it still draws."""
        journey, times = onboarding
        chart = flowcharts.forecast_chart(flow.forecast_wip(times), flow.work_in_progress(times), journey.changes)
        texts = table(chart, "flow_labels")["text"].tolist()
        dates = flow.forecast_wip(times).dates
        days = sorted(set(dates.values()))
        assert len(texts) == len(days), "one label a date: levels done on the same day share one"
        for text, day in zip(texts, days):
            levels = [level for level in (50, 85, 95) if dates[level] == day]
            assert text.replace("\n", " ").startswith(f"Done by {day.day} {day:%b %Y} at {flow.level_names(levels)} "
                                                      "confidence")
        empty = flow.Forecast(0, (), {}, {}, "No forecast: nothing is in flight.")
        assert export_chart(flowcharts.forecast_chart(empty), "svg")

    def test_okr_progress_and_budget(self, onboarding):
        """Progress shows baseline and target; the budget calls out each step over it with a symbol."""
        journey, times = onboarding
        okr = journey.okrs[0]
        progress = flowcharts.okr_progress_chart(onboarding_okr_weekly(), okr, journey.changes)
        assert table(progress, "flow_okr_marks")["text"].tolist() == ["baseline 37.0 d", "target 25.0 d"]
        budget = okr_budget(times, okr)
        rows = table(flowcharts.okr_budget_chart(budget, okr), "flow_budget")
        assert rows["label"].tolist() == budget["label"].tolist()
        over = rows[rows["state"] == "over budget"]
        assert len(over) == int(budget["over_budget"].sum()) > 0
        assert over["text"].str.contains("▲ over by").all()


class TestEveryChart:
    @pytest.mark.parametrize("name", ["comparison", "segment", "whatif", "impact", "throughput", "cumulative_flow",
                                      "forecast", "okr_progress", "okr_budget"])
    def test_exports_to_svg_with_title_and_human_durations(self, onboarding, name):
        """Each chart exports to SVG, has a title, and writes durations as people do (never raw seconds)."""
        journey, times = onboarding
        chart = all_charts(journey, times)[name]
        spec = chart.to_dict()
        assert spec["title"]["text"]
        texts = [str(row.get("text", "")) for rows in spec["datasets"].values() for row in rows]
        assert not any(re.search(r"\d{5,}", text) for text in texts), "raw seconds in a label"
        if name not in ("throughput", "cumulative_flow", "forecast"):
            assert any(HUMAN.search(text) for text in texts)
        svg = export_chart(chart, "svg").decode()
        assert svg.startswith("<svg") and spec["title"]["text"].split(":")[0] in svg
