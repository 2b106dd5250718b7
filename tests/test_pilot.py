"""Tests for journeymap.decide.pilot: a pilot against everyone else before and after a change
(difference-in-differences)."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import polars as pl
import pytest

from journeymap.core.errors import JourneyError
from journeymap.core.moments import to_epoch_us
from journeymap.decide.compare import change_groups, compare_groups
from journeymap.decide.pilot import GROUPS, compare_pilot, did_effect, latest_pilot, parse_pilot, pilot_mask
from journeymap.journey.definition import journey_from_yaml, journey_to_yaml
from journeymap.measures.casetimes import case_step_times
from journeymap.testing import EPOCH

BASE_US = to_epoch_us(EPOCH)
DAY_US = 86_400_000_000
CHANGE = EPOCH.date() + dt.timedelta(days=150)  # before-cases start in days 0-100, after-cases in days 200-300
STEPS = {"a": 10.0, "b": 20.0, "c": 30.0}  # lognormal median hours from the previous step


def pilot_log(seed: int, n: int, season: dict[str, float], effect: dict[str, float], pilot_share: float = 0.4,
              sigma: float = 0.5) -> pl.DataFrame:
    """Cases start -> a -> b -> c; after CHANGE every case's steps scale by `season`, the pilot's also by `effect`."""
    rng = np.random.default_rng(seed)
    after = np.arange(2 * n) >= n
    pilot = rng.random(2 * n) < pilot_share
    start = BASE_US + rng.integers(0, 100 * DAY_US, 2 * n) + np.where(after, 200 * DAY_US, 0)
    columns = [start]
    for step, hours in STEPS.items():
        factor = np.where(after, season.get(step, 1.0), 1.0) * np.where(after & pilot, effect.get(step, 1.0), 1.0)
        columns.append(columns[-1] + (hours * 3_600e6 * factor * rng.lognormal(0, sigma, 2 * n)).astype(np.int64))
    names = ["start", *STEPS]
    k = len(names)
    return pl.DataFrame({"case": np.repeat([f"c{i:05d}" for i in range(2 * n)], k), "activity": np.tile(names, 2 * n),
                         "ts": np.column_stack(columns).ravel(),
                         "start": pl.Series([None] * (2 * n * k), dtype=pl.Int64), "row": np.arange(2 * n * k),
                         "department": np.repeat(np.where(pilot, "Sales", "Engineering"), k)})


def times_of(frame: pl.DataFrame):
    return case_step_times(frame, as_of=BASE_US + 1000 * DAY_US, segments=("department",))


@pytest.fixture(scope="module")
def seasonal():
    """Everyone 30% faster at b after the date (a season); the pilot alone 40% faster at c (its real effect)."""
    times = times_of(pilot_log(1, 1500, season={"b": 0.7}, effect={"c": 0.6}))
    return times, compare_pilot(times, CHANGE, {"department": "Sales"}, seed=3)


class TestDifferenceInDifferences:
    def test_season_is_not_mistaken_for_success(self, seasonal) -> None:
        """A plain before/after of the pilot cases says b fell ~30%; against the others it did not move."""
        times, result = seasonal
        pilot = pilot_mask(times, (("department", "Sales"),))
        plain = compare_groups(times, *(pilot & g for g in change_groups(times, CHANGE)))
        b_plain = plain.steps.set_index("step").loc["b"]
        assert b_plain["significant"] and -0.36 < b_plain["change"] < -0.24
        b = result.steps.set_index("step").loc["b"]
        assert not b["significant"]
        assert b["ci_low"] < 0 < b["ci_high"]
        assert abs(b["change"]) < 0.06
        assert ": no clear effect beyond the others' change" in b["verdict"]

    def test_known_effect_is_recovered(self, seasonal) -> None:
        """The pilot's own 40% cut at c comes out as about −40%, its interval holding the truth."""
        _, result = seasonal
        c = result.steps.set_index("step").loc["c"]
        assert c["significant"] and c["ci_low"] < -0.4 < c["ci_high"]
        assert -0.46 < c["change"] < -0.34
        assert re.match(r"c, pilot department Sales: median fell 3\d% beyond the others' change \(−3\d%, 95% CI ",
                        c["verdict"]), c["verdict"]

    def test_effect_is_ratio_of_ratios_of_medians(self, seasonal) -> None:
        """change = (pilot after / before) / (others after / before) − 1, from the four groups' medians."""
        _, result = seasonal
        for row in [result.lead_time, *result.steps.to_dict("records")]:
            pb, pa, ob, oa = (row[f"median_s_{g}"] for g in GROUPS)
            assert row["change"] == pytest.approx((pa / pb) / (oa / ob) - 1)
            assert row["pilot_change"] == pytest.approx(pa / pb - 1)
            assert row["others_change"] == pytest.approx(oa / ob - 1)

    def test_lead_time_and_groups(self, seasonal) -> None:
        """Lead time: the pilot gains its cut at c beyond the season; group sizes add up to every case."""
        times, result = seasonal
        assert sum(result.group_sizes.values()) == times.n_cases
        assert result.lead_time["significant"] and result.lead_time["change"] < -0.1
        assert result.verdicts()[0] == result.lead_time["verdict"]
        assert result.lead_time["verdict"].startswith("Lead time, pilot department Sales: median fell")

    def test_seeded(self, seasonal) -> None:
        """The same seed gives the same intervals; another seed others."""
        times, result = seasonal
        again = compare_pilot(times, CHANGE, {"department": "Sales"}, seed=3)
        other = compare_pilot(times, CHANGE, {"department": "Sales"}, seed=4)
        assert again.lead_time["ci_low"] == result.lead_time["ci_low"]
        assert other.lead_time["ci_low"] != result.lead_time["ci_low"]

    def test_too_few_cases(self) -> None:
        """Fewer than min_cases in any of the four groups: no effect, and the sentence says so."""
        times = times_of(pilot_log(2, 60, season={}, effect={}, pilot_share=0.1))
        result = compare_pilot(times, CHANGE, (("department", "Sales"),))
        assert result.lead_time["change"] != result.lead_time["change"]
        assert "too few cases to tell" in result.lead_time["verdict"]
        assert not result.lead_time["significant"]

    def test_trend_has_both_groups_either_side(self, seasonal) -> None:
        """The trend holds pilot and others bins before and after the date, none straddling it."""
        times, result = seasonal
        trend = result.trend
        assert set(trend["group"]) == {"pilot", "others"}
        cut = pd.Timestamp(CHANGE, tz="UTC")
        assert ((trend["end"] <= cut) | (trend["start"] >= cut)).all()
        assert trend["cases"].sum() == int(times.status_is("completed").sum())


class TestCoverage:
    def test_interval_covers_the_truth_about_95_percent(self) -> None:
        """Over 400 seeds of four lognormal groups, the 95% interval holds the true effect 91–98% of the time."""
        truth_median, truth_p85 = 0.8 * 1.0 - 1, 0.8 - 1  # pilot × 0.8 beyond a season of × 0.7 for all
        hits = np.zeros(2)
        seeds = 400
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            scales = (10.0, 10.0 * 0.7 * 0.8, 12.0, 12.0 * 0.7)
            groups = [np.sort(s * rng.lognormal(0, 0.6, n)) for s, n in zip(scales, (120, 140, 300, 320))]
            row = did_effect(groups, resamples=400, rng=rng)
            hits += [
                row["ci_low"] <= truth_median <= row["ci_high"],
                row["p85_ci_low"] <= truth_p85 <= row["p85_ci_high"],
            ]
        coverage = hits / seeds
        assert ((0.91 <= coverage) & (coverage <= 0.985)).all(), coverage


class TestPilotInputs:
    def test_parse_pilot(self) -> None:
        assert parse_pilot("department=Sales") == (("department", "Sales"),)
        assert parse_pilot(["department = Sales", "location=Berlin"]) == (("department", "Sales"),
                                                                          ("location", "Berlin"))
        with pytest.raises(JourneyError, match="not COLUMN=VALUE"):
            parse_pilot("department")

    def test_unknown_column_and_value(self, seasonal) -> None:
        times, _ = seasonal
        with pytest.raises(JourneyError, match="No segment column 'team'"):
            pilot_mask(times, (("team", "x"),))
        with pytest.raises(JourneyError, match="No case has department = Marketing; its values are: .*Sales"):
            pilot_mask(times, (("department", "Marketing"),))

    def test_journey_change_names_its_pilot(self) -> None:
        """`changes: [{date, title, steps, pilot: {department: Sales}}]` loads, saves and reads back."""
        journey = journey_from_yaml(JOURNEY)
        change = latest_pilot(journey)
        assert change is not None and change.pilot == (("department", "Sales"),)
        assert change.title == "New laptop vendor"
        again = journey_from_yaml(journey_to_yaml(journey))
        assert again == journey

    def test_pilot_must_name_a_value(self) -> None:
        with pytest.raises(JourneyError, match="line 12: changes.1.pilot"):
            journey_from_yaml(JOURNEY.replace("pilot: {department: Sales}", "pilot: {}"))


JOURNEY = """
id: p
name: P
stages: [{id: s, label: S}]
steps: [{id: a, label: a, stage: s}, {id: b, label: b, stage: s}]
transitions: [{from: a, to: b}]
start: a
end: [b]
changes:
  - {date: 2026-03-01, title: Old change, steps: [b]}
  - {date: 2026-06-01, title: New laptop vendor, steps: [b],
     pilot: {department: Sales}}
"""



@pytest.fixture(scope="module")
def pilot_csv(tmp_path_factory):
    """The seasonal pilot log as a CSV file (case_id, activity, timestamp, department) and a journey naming it."""
    frame = pilot_log(1, 600, season={"b": 0.7}, effect={"c": 0.6})
    folder = tmp_path_factory.mktemp("pilot")
    path = folder / "pilot.csv"
    frame.select(pl.col("case").alias("case_id"), "activity",
                 pl.col("ts").cast(pl.Datetime("us", "UTC")).dt.strftime("%Y-%m-%dT%H:%M:%SZ").alias("timestamp"),
                 "department").write_csv(path)
    journey = folder / "pilot.yaml"
    journey.write_text(f"""
id: pilot
name: Pilot
stages: [{{id: s, label: S}}]
steps: [{{id: start, label: Start, stage: s}}, {{id: a, label: A, stage: s}}, {{id: b, label: B, stage: s}},
        {{id: c, label: C, stage: s}}]
transitions: [{{from: start, to: a}}, {{from: a, to: b}}, {{from: b, to: c}}]
start: start
end: [c]
changes:
  - {{date: {CHANGE.isoformat()}, title: Faster c, steps: [c], pilot: {{department: Sales}}}}
""")
    return str(path), str(journey)


class TestPilotCommand:
    def run(self, capsys, *argv: str) -> dict:
        from journeymap.cli.main import main

        assert main(list(argv)) == 0
        return json.loads(capsys.readouterr().out)

    def test_json(self, capsys, pilot_csv) -> None:
        """`compare --change-date D --pilot COL=VALUE`: per step and lead time change, ci, significant, verdict."""
        path, _ = pilot_csv
        out = self.run(capsys, "compare", path, "--change-date", CHANGE.isoformat(), "--pilot", "department=Sales",
                       "--resamples", "300")
        assert out["pilot"] == {"department": "Sales"} and out["groups"] == list(GROUPS)
        assert out["change_date"] == CHANGE.isoformat()
        steps = {row["step"]: row for row in out["steps"]}
        for row in (out["lead_time"], *steps.values()):
            assert {"change", "ci_low", "ci_high", "significant", "verdict", "pilot_change", "others_change"} <= set(
                row
            )
            assert set(row["pilot_before"]) >= {"n", "median_s", "p85_s"}
        assert steps["c"]["significant"] and steps["c"]["ci_high"] < 0
        assert not steps["b"]["significant"] and steps["b"]["pilot_change"] < -0.2
        assert out["verdicts"][0] == out["lead_time"]["verdict"]
        assert sum(out["group_sizes"].values()) == 1200

    def test_pilot_from_the_journey(self, capsys, pilot_csv) -> None:
        """Without --change-date and --pilot, the journey's latest change gives both."""
        path, journey = pilot_csv
        out = self.run(capsys, "compare", path, "--journey", journey, "--resamples", "200")
        assert out["pilot"] == {"department": "Sales"} and out["change_title"] == "Faster c"
        assert {row["step"]: row for row in out["steps"]}["c"]["significant"]

    def test_table(self, capsys, pilot_csv) -> None:
        from journeymap.cli.main import main

        path, _ = pilot_csv
        assert main(["compare", path, "--change-date", CHANGE.isoformat(), "--pilot", "department=Sales",
                     "--resamples", "200", "--format", "table"]) == 0
        text = capsys.readouterr().out
        assert text.startswith(f"Pilot department Sales, change on {CHANGE.isoformat()}")
        assert "beyond the others' change" in text

    def test_bad_pilot_is_one_sentence(self, capsys, pilot_csv) -> None:
        from journeymap.cli.main import main

        path, _ = pilot_csv
        assert main(["compare", path, "--change-date", CHANGE.isoformat(), "--pilot", "department=Legal"]) == 1
        err = capsys.readouterr().err
        assert "No case has department = Legal" in err and "Traceback" not in err
        assert main(["compare", path, "--segment", "department", "--pilot", "department=Sales"]) == 1
        assert "--pilot goes with a change date" in capsys.readouterr().err


class TestPilotChart:
    def test_chart_draws_both_groups_and_the_change(self, seasonal) -> None:
        """Two lines (pilot, everyone else) by start date, a rule at the change, the effect in the subtitle; PNG too."""
        from journeymap.charts.flow import pilot_chart
        from journeymap.export.render import export_chart

        _, result = seasonal
        chart = pilot_chart(result, subtitle="context")
        spec = chart.to_dict()
        groups = {row["group"] for row in spec["datasets"]["flow_pilot"]}
        assert groups == {"Pilot: department Sales", "Everyone else"}
        assert [row["x"] for row in spec["datasets"]["flow_changes"]] == [CHANGE.isoformat()]
        assert "the pilot's effect beyond the others' change: −" in " ".join(spec["title"]["subtitle"])
        assert export_chart(chart, "png").startswith(b"\x89PNG")
