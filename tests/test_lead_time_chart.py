"""The lead-time histogram reads on skewed logs: a log axis when p95 is over ten medians, linear otherwise.

Real logs often finish most cases in minutes and the rest in weeks (receipt: median 2.6 h, p95 21 d).
On a linear axis from 0 to the longest case such a log is one tall bar at zero and an invisible tail.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.test_charts_degenerate import svg_of, visible

from journeymap.charts.explorer import SKEWED_LEAD_TIMES, lead_time_chart
from journeymap.core.durations import format_seconds_as_text as human
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import SAMPLE_JOURNEYS, sample_events_path, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.draft import draft_journey
from journeymap.measures.metrics import compute_metrics
from journeymap.testing import build_events


def metrics_of(lead_times_m: list[float]) -> Any:
    """Metrics of a log whose cases open at 0 and close after the given minutes."""
    events = build_events({f"c{i}": [("open", 0.0), ("close", m)] for i, m in enumerate(lead_times_m)}, unit="m")
    return compute_metrics(events, draft_journey(events))


def bars_of(chart: Any) -> Any:
    return chart.layer[0].data


def x_scale(chart: Any) -> dict[str, Any]:
    return chart.to_dict()["layer"][0]["encoding"]["x"]


# 16 cases in minutes (two of them at once) and 4 in weeks: median 7.5 min, p95 over 4 w.
SKEWED = [0, 0, 1, 2, 3, 4, 5, 6, 6, 7, 8, 9, 10, 12, 15, 20] + [20_160, 30_240, 40_320, 50_400]
# Lead times within a factor of three of each other.
MILD = [600, 700, 800, 900, 1000, 1100, 1200, 1500, 1800]


class TestSkewed:
    def test_the_axis_is_logarithmic_and_counts_every_case(self) -> None:
        metrics = metrics_of(SKEWED)
        assert metrics.lead_time["p95_s"] > SKEWED_LEAD_TIMES * metrics.lead_time["median_s"]
        chart = lead_time_chart(metrics)
        x = x_scale(chart)
        assert x["scale"]["type"] == "log" and x["title"] == "Lead time of completed cases (log scale)"
        assert bars_of(chart)["count"].sum() == len(SKEWED) == metrics.lead_time["count"]

    def test_cases_of_0_s_are_in_the_first_bar_said_as_0_s(self) -> None:
        bars = bars_of(lead_time_chart(metrics_of(SKEWED)))
        first = bars.iloc[0]
        assert first["range"].startswith("0 s to ") and first["count"] >= 2

    def test_the_minutes_and_the_weeks_are_both_drawn(self) -> None:
        """Bars at the left and at the right of the plot, none of them the whole width."""
        metrics = metrics_of(SKEWED)
        plot = svg_of(lead_time_chart(metrics))
        bars = visible(plot)
        lefts = [x for x, _, _, _ in bars]
        assert min(lefts) < plot.width * 0.1 and max(lefts) > plot.width * 0.6
        assert all(w < plot.width / 4 for _, _, w, _ in bars)
        assert {f"median {human(metrics.lead_time['median_s'])}", "0 s", "1 h", "7 d"} <= set(plot.texts)

    def test_the_rules_stand_where_their_figures_are(self) -> None:
        """median, p85 and p95 in order along the axis, each at its seconds (log axis: seconds, not a unit)."""
        metrics = metrics_of(SKEWED)
        marks = lead_time_chart(metrics).layer[-1].data
        assert list(marks["start"]) == [metrics.lead_time[f"{n}_s"] for n in ("median", "p85", "p95")]


class TestNotSkewed:
    def test_the_axis_stays_linear_in_a_unit(self) -> None:
        chart = lead_time_chart(metrics_of(MILD))
        x = x_scale(chart)
        assert x["scale"].get("type") != "log" and x["title"] == "Lead time of completed cases (hours)"
        assert x["scale"]["domain"][0] == 0.0
        assert bars_of(chart)["count"].sum() == len(MILD)

    @pytest.mark.parametrize("sample", SAMPLE_JOURNEYS)
    def test_the_samples_stay_linear(self, sample: str) -> None:
        """The bundled journeys (p95 two to four medians) keep the axis their users know."""
        events = read_events(sample_events_path(sample)).frame
        metrics = compute_metrics(events, load_journey(sample_journey_path(sample)))
        assert x_scale(lead_time_chart(metrics))["scale"].get("type") != "log"


@pytest.mark.parametrize("log", ["receipt.csv"])
def test_a_real_skewed_log_has_no_bar_of_most_cases(real_data: Path, log: str) -> None:
    """receipt: with a linear axis the first bar held most of its 1,267 completed cases; now no bar
    holds a quarter of them, and the tail past a week is drawn."""
    events = read_events(real_data / log).frame
    metrics = compute_metrics(events, draft_journey(events))
    bars = bars_of(lead_time_chart(metrics))
    assert bars["count"].sum() == metrics.lead_time["count"]
    assert bars["count"].max() < 0.25 * bars["count"].sum()
    assert bars.loc[bars["start"] > 7 * 86400, "count"].sum() > 0
