"""Tests for journeymap.measures.satisfaction: a survey column against steps, paths and waiting."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from journeymap.core.errors import JourneyError
from journeymap.journey.definition import journey_from_yaml, load_journey
from journeymap.journey.samples import (
    SAMPLE_JOURNEYS,
    SURVEY_COLUMN,
    generate_events,
    sample_events_path,
    sample_journey_path,
)
from journeymap.log.readers import read_events
from journeymap.measures.casetimes import case_step_times
from journeymap.measures.metrics import compute_metrics
from journeymap.measures.satisfaction import (
    SATISFACTION_MEASURE,
    case_scores,
    find_satisfaction_column,
    satisfaction,
    with_satisfaction,
)
from journeymap.testing import build_events

JOURNEY = journey_from_yaml("""
id: abc
name: ABC
stages: [{id: s, label: S}]
steps: [{id: a, label: A, stage: s}, {id: b, label: B, stage: s}, {id: c, label: C, stage: s}]
transitions: [{from: a, to: b}, {from: b, to: c}]
start: a
end: [c]
""")
H = 3600.0


def with_column(events: pl.DataFrame, name: str, values: dict[tuple[str, int], str]) -> pl.DataFrame:
    """`events` with a text column holding values at (case, index within the case), empty elsewhere."""
    index = events.with_columns(i=pl.int_range(pl.len()).over("case"))
    cells = [values.get((case, i)) for case, i in zip(index["case"], index["i"])]
    return events.with_columns(pl.Series(name, cells, dtype=pl.String))


@pytest.fixture(scope="module")
def tiny():
    """c1 waits 1 h for b and scores 5; c2 10 h, 1; c3 2 h, 4; c4 20 h and stops at b, 2; c5 never answers."""
    events = build_events({"c1": [("a", 0), ("b", 1), ("c", 2)], "c2": [("a", 0), ("b", 10), ("c", 11)],
                           "c3": [("a", 0), ("b", 2), ("c", 12)], "c4": [("a", 0), ("b", 20)],
                           "c5": [("a", 0), ("b", 1), ("c", 3)]})
    events = with_column(events, "csat", {("c1", 2): "5", ("c2", 2): "1", ("c3", 2): "4", ("c4", 1): "2"})
    times = case_step_times(events, JOURNEY, as_of=None)
    scores, answers = case_scores(events, times, "csat", find_satisfaction_column(events, ["csat"])[1])
    return events, times, scores, answers


class TestDetection:
    @pytest.mark.parametrize("name, values, scale", [
        ("csat", ["1", "5", "3"], "CSAT 1–5"),
        ("NPS", ["0", "10", "7"], "NPS 0–10"),
        ("nps_score", ["3", "4"], "NPS 0–10"),
        ("Survey rating", ["2", "9"], "NPS 0–10"),
        ("satisfaction", ["1.5", "4.5"], "score 1.5–4.5"),
        ("sentiment", ["Positive", "negative", "neutral"], "sentiment -1 to 1"),
        ("sentiment", ["very positive", "negative"], "sentiment -2 to 2"),
        ("feedback", ["Very satisfied", "dissatisfied"], "CSAT 1–5"),
    ])
    def test_scales(self, name, values, scale) -> None:
        events = build_events({f"c{i}": [("a", 0)] for i in range(len(values))}, attributes={
            f"c{i}": {name: value} for i, value in enumerate(values)})
        column, found = find_satisfaction_column(events, [name])
        assert column == name and found.name == scale

    def test_only_names_like_a_survey_are_detected(self) -> None:
        """A 1–5 priority is no survey: without a satisfaction-like name a column is not taken."""
        events = build_events({"c1": [("a", 0)]}, attributes={"c1": {"priority": "3"}})
        assert find_satisfaction_column(events, ["priority"]) is None
        assert find_satisfaction_column(events, ["priority"], "priority")[1].name == "CSAT 1–5"

    def test_a_named_column_without_a_scale_is_one_sentence(self) -> None:
        events = build_events({"c1": [("a", 0)]}, attributes={"c1": {"mood": "grumpy"}})
        with pytest.raises(JourneyError, match="Column 'mood' holds no satisfaction scale: values such as 'grumpy'"):
            find_satisfaction_column(events, ["mood"], "mood")
        with pytest.raises(JourneyError, match="No satisfaction column 'csat'.*attribute columns are: mood"):
            find_satisfaction_column(events, ["mood"], "csat")

    def test_a_name_alike_without_a_scale_is_skipped(self) -> None:
        events = build_events({"c1": [("a", 0)]}, attributes={"c1": {"survey_id": "S-123", "csat": "4"}})
        assert find_satisfaction_column(events, ["survey_id", "csat"])[0] == "csat"


class TestTinyLog:
    def test_case_scores(self, tiny) -> None:
        _, times, scores, answers = tiny
        by_case = dict(zip(times.case, scores))
        assert [by_case[c] for c in ("c1", "c2", "c3", "c4")] == [5, 1, 4, 2]
        assert np.isnan(by_case["c5"]) and answers.max() == 1

    def test_answers_held_as_codes_read_as_the_text(self, tiny) -> None:
        # `journeymap metrics` holds the survey column as a Categorical while it measures (memory).
        events, times, scores, answers = tiny
        coded = events.with_columns(pl.col("csat").cast(pl.Categorical))
        found = find_satisfaction_column(coded, ["csat"])
        assert found == find_satisfaction_column(events, ["csat"])
        coded_scores, coded_answers = case_scores(coded, times, "csat", found[1])
        np.testing.assert_array_equal(coded_scores, scores)
        np.testing.assert_array_equal(coded_answers, answers)

    def test_steps(self, tiny) -> None:
        """C: cases c1–c3 passed it (mean 3.33) against c4 (2); B: every answering case passed it."""
        _, times, scores, _ = tiny
        found = satisfaction(times, scores, "csat", _csat(), min_cases=1, resamples=200)
        steps = found.steps.set_index("step")
        assert steps.loc["c", "mean"] == pytest.approx(10 / 3) and steps.loc["c", "rest_mean"] == 2
        assert steps.loc["c", "difference"] == pytest.approx(4 / 3)
        assert steps.loc["b", "cases"] == 4 and steps.loc["b", "rest_cases"] == 0
        assert np.isnan(steps.loc["b", "difference"])
        assert found.answered == 4 and found.mean == pytest.approx(3.0)

    def test_waiting(self, tiny) -> None:
        """Waited more than 8 h (the median 6 h, said as people say it) at B: c2 and c4, 1.5 against 4.5."""
        _, times, scores, _ = tiny
        found = satisfaction(times, scores, "csat", _csat(), min_cases=1, resamples=200)
        row = found.waiting.set_index("step").loc["b"]
        assert row["threshold_s"] == 8 * H
        assert (row["mean"], row["rest_mean"], row["difference"]) == (1.5, 4.5, -3.0)
        assert row["significant"] and row["ci_high"] < 0
        assert row["sentence"].startswith("Cases that waited more than 8 h at B scored 3.0 lower (1.5 against 4.5, "
                                          "CSAT 1–5; 95% CI −")
        given = satisfaction(times, scores, "csat", _csat(), min_cases=1, resamples=200, threshold_s=1.5 * H)
        assert given.waiting.set_index("step").loc["b", "cases"] == 3  # 10 h, 2 h, 20 h

    def test_paths(self, tiny) -> None:
        """A → B (c4, 2.0) is less satisfied than A → B → C (c1–c3, 3.33)."""
        _, times, scores, _ = tiny
        paths = satisfaction(times, scores, "csat", _csat(), min_cases=1, resamples=200).paths
        assert list(paths["labels"]) == ["A → B", "A → B → C"]
        assert list(paths["cases"]) == [1, 3] and paths["mean"].iloc[1] == pytest.approx(10 / 3)

    def test_varied_scores_are_drawn_one_by_one(self) -> None:
        """Over 1,000 different case scores (means of many answers) the bootstrap draws cases, not counts of
        scores: the means stay exact and the interval holds the difference. Group scores 0.001 k (k = 0..1199),
        the rest 10 more; every fourth case has not answered."""
        from journeymap.measures.satisfaction import _mean_difference, _ScoreGroups

        scores = np.r_[np.arange(1200) * 0.001, 10 + np.arange(1200) * 0.001, np.full(800, np.nan)]
        groups = _ScoreGroups(scores, ~np.isnan(scores))
        inside = np.arange(1200)
        for rest in (None, np.arange(1200, 2400)):  # the others counted as the whole less the group, or named
            row = _mean_difference(groups, inside, rest, 30, 200, np.random.default_rng(0))
            assert (row["cases"], row["rest_cases"]) == (1200, 1200)
            assert row["mean"] == pytest.approx(0.5995) and row["rest_mean"] == pytest.approx(10.5995)
            assert row["ci_low"] < -10 < row["ci_high"] and row["ci_high"] - row["ci_low"] < 0.2 and row["significant"]

    def test_too_few_answers(self, tiny) -> None:
        _, times, scores, _ = tiny
        found = satisfaction(times, scores, "csat", _csat(), resamples=50)
        assert not found.waiting["significant"].any()
        assert "too few answers to tell" in found.waiting.set_index("step").loc["b", "sentence"]
        assert found.sentences()[0].startswith("No step, path or wait goes with clearly lower CSAT 1–5 scores")

    def test_map_column(self, tiny) -> None:
        events, times, scores, _ = tiny
        metrics = compute_metrics(events, JOURNEY)
        steps = with_satisfaction(metrics.steps, satisfaction(times, scores, "csat", _csat(), min_cases=1,
                                                              resamples=50)).set_index("step")
        assert steps.loc["c", SATISFACTION_MEASURE] == pytest.approx(10 / 3)
        assert with_satisfaction(metrics.steps, None)[SATISFACTION_MEASURE].isna().all()


PLANTED = {"onboarding": ("equipment_shipped", 5), "service_desk": ("assigned", 1),
           "purchase_request": ("finance_approval", 3)}


class TestPlantedRelation:
    @pytest.mark.parametrize("journey_id", SAMPLE_JOURNEYS)
    def test_sample_logs_recover_the_planted_wait(self, journey_id) -> None:
        """In each shipped sample log, the planted step's wait comes first: about 1.2 points lower when longer."""
        log = read_events(sample_events_path(journey_id))
        column, scale = find_satisfaction_column(log.frame, log.attributes)
        assert (column, scale.name) == (SURVEY_COLUMN, "CSAT 1–5")
        times = case_step_times(log.frame, load_journey(sample_journey_path(journey_id)))
        scores, _ = case_scores(log.frame, times, column, scale)
        found = satisfaction(times, scores, column, scale, resamples=300)
        first = found.waiting.iloc[0]
        step, days = PLANTED[journey_id]
        assert first["step"] == step and first["threshold_s"] == days * 86400
        assert first["significant"] and -1.5 < first["difference"] < -0.9
        assert found.sentences()[0].startswith(f"Cases that waited more than {days} d at ")
        others = found.waiting.iloc[1:]
        assert (others["difference"].dropna().abs() < 0.6).all()  # the rest: only the shared slowness of a case

    def test_survey_leaves_every_other_column_as_it_was(self) -> None:
        """The survey draws from its own stream: the other columns equal a log generated without it."""
        frame = generate_events("onboarding", 500, seed=5)
        again = generate_events("onboarding", 500, seed=5)
        assert frame.equals(again)
        answered = frame.filter(pl.col(SURVEY_COLUMN).is_not_null())
        last = frame.group_by("case_id", maintain_order=True).agg(pl.len().alias("n"))
        assert answered["case_id"].n_unique() == len(answered)  # one answer a case, on its last event
        ends = frame.with_columns(last=pl.int_range(pl.len()).over("case_id") == pl.len().over("case_id") - 1)
        assert ends.filter(pl.col(SURVEY_COLUMN).is_not_null())["last"].all()
        assert set(answered[SURVEY_COLUMN].unique()) <= {"1", "2", "3", "4", "5"}
        assert 0.2 < len(answered) / len(last) < 0.6


def _csat():
    from journeymap.measures.satisfaction import SatisfactionScale

    return SatisfactionScale("CSAT 1–5", 1.0, 5.0)


class TestMetricsCommand:
    def test_json_gains_satisfaction(self, capsys) -> None:
        """`journeymap metrics` on a sample log: the survey column found, the planted wait first."""
        import json

        from journeymap.cli.main import main

        assert main(["metrics", str(sample_events_path("onboarding")), "--journey",
                     str(sample_journey_path("onboarding"))]) == 0
        feel = json.loads(capsys.readouterr().out)["satisfaction"]
        assert (feel["column"], feel["scale"], feel["low"], feel["high"]) == ("csat", "CSAT 1–5", 1.0, 5.0)
        assert feel["answered_cases"] > 500 and feel["cases_with_several_answers"] == 0
        assert feel["waiting"][0]["step"] == "equipment_shipped" and feel["waiting"][0]["significant"]
        assert feel["sentences"][0].startswith("Cases that waited more than 5 d at Equipment shipped scored")
        assert {"step", "mean", "cases", "difference", "ci_low", "ci_high", "sentence"} <= set(feel["steps"][0])
        assert isinstance(feel["paths"][0]["path"], list)

    def test_the_command_holds_a_text_survey_as_codes(self, tiny) -> None:
        from journeymap.cli.measure import _survey_as_codes

        events = tiny[0]
        assert _survey_as_codes(events, ("csat",), None).schema["csat"] == pl.Categorical
        numbers = events.with_columns(pl.col("csat").cast(pl.Int64))  # not text: nothing to save
        assert _survey_as_codes(numbers, ("csat",), None).schema["csat"] == pl.Int64
        assert _survey_as_codes(events.drop("csat"), (), None).columns == events.drop("csat").columns

    def test_named_column_and_threshold(self, capsys) -> None:
        import json

        from journeymap.cli.main import main

        assert main(["metrics", str(sample_events_path("onboarding")), "--journey",
                     str(sample_journey_path("onboarding")), "--satisfaction", "csat", "--waited-over", "3d"]) == 0
        waiting = json.loads(capsys.readouterr().out)["satisfaction"]["waiting"]
        assert {row["threshold_s"] for row in waiting} == {3 * 86400}
        assert main(["metrics", str(sample_events_path("onboarding")), "--satisfaction", "channel"]) == 1
        assert "Column 'channel' holds no satisfaction scale" in capsys.readouterr().err


def _node_scale(chart) -> dict:
    """The colour scale of the map's step layer."""
    for layer in chart.to_dict()["layer"]:
        encoding = layer.get("encoding", {})
        color = encoding.get("color", {})
        if "condition" in color and color["condition"].get("field") == "measure":
            return color["condition"]["scale"]
    raise AssertionError("no measure colour on the map")


class TestMapColour:
    def test_low_is_worse_runs_the_scale_the_other_way(self, tiny) -> None:
        """Satisfaction: the least satisfied step is the darkest, on its steps' range; flow efficiency on 0–100%."""
        from dataclasses import replace

        from journeymap.charts.map import map_chart

        events, times, scores, _ = tiny
        metrics = compute_metrics(events, JOURNEY)
        found = satisfaction(times, scores, "csat", _csat(), min_cases=1, resamples=50)
        shown = replace(metrics, steps=with_satisfaction(metrics.steps, found))
        scale = _node_scale(map_chart(shown, color_by=SATISFACTION_MEASURE))
        assert scale["reverse"] is True and scale["domain"] == [pytest.approx(3.0), pytest.approx(10 / 3)]
        assert _node_scale(map_chart(metrics, color_by="delay_share")).get("reverse") in (None, False)
        spec = map_chart(shown, color_by=SATISFACTION_MEASURE).to_dict()
        texts = [row["value_text"] for row in spec["datasets"]["journey_nodes"]]
        assert "3.3" in texts and "3.0" in texts


def test_export_map_by_satisfaction(tmp_path, capsys) -> None:
    """`journeymap export map --color-by satisfaction_mean` colours by the survey; a log without one says so."""
    from journeymap.cli.main import main

    out = tmp_path / "map.svg"
    journey = str(sample_journey_path("onboarding"))
    assert main(["export", journey, "--events", str(sample_events_path("onboarding")), "--out", str(out),
                 "--color-by", "satisfaction_mean"]) == 0
    assert "mean satisfaction at each step" in out.read_text()
    plain = tmp_path / "plain.csv"
    generate_events("onboarding", 50, seed=1).drop(SURVEY_COLUMN).write_csv(plain)
    assert main(["export", journey, "--events", str(plain), "--out", str(out),
                 "--color-by", "flow_efficiency"]) == 1
    assert "--color-by flow_efficiency needs start times in the event log" in capsys.readouterr().err
