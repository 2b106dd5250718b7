"""Tests for `journeymap compare` and `journeymap whatif` (journeymap.cli.compare)."""

from __future__ import annotations

import json

import pytest

from journeymap.cli.main import build_parser, main
from journeymap.journey.samples import generate_events, sample_journey_path

JOURNEY = str(sample_journey_path("onboarding"))


@pytest.fixture(scope="module")
def log_path(tmp_path_factory):
    """A 1,200-case onboarding log (change on 2026-06-01 at equipment_shipped) as a CSV file."""
    path = tmp_path_factory.mktemp("logs") / "onboarding.csv"
    generate_events("onboarding", 1200, seed=11).write_csv(path)
    return str(path)


def run_json(capsys, *argv: str) -> dict:
    """Run the command line and parse its JSON output."""
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


class TestCompare:
    def test_change_date_json(self, capsys, log_path):
        """JSON holds both groups' n, median_s, p85_s, the change, its interval, significance and a verdict."""
        out = run_json(capsys, "compare", log_path, "--journey", JOURNEY, "--change-date", "2026-06-01")
        assert out["change_date"] == "2026-06-01" and out["groups"] == ["before", "after"]
        lead = out["lead_time"]
        assert set(lead["before"]) == {"n", "median_s", "p85_s", "in_flight_share"} and lead["after"]["n"] > 0
        assert {"change", "ci_low", "ci_high", "significant", "verdict"} <= set(lead)
        steps = {row["step"]: row for row in out["steps"]}
        shipped = steps["equipment_shipped"]
        assert shipped["significant"] is True and shipped["ci_high"] < 0
        assert shipped["significant"] == (shipped["ci_low"] > 0 or shipped["ci_high"] < 0)
        assert shipped["verdict"].startswith("Equipment shipped: median fell from ")
        assert shipped["before"]["drop_off_rate"] is not None
        assert out["verdicts"][0] == lead["verdict"]

    def test_change_date_defaults_to_the_journeys_change(self, capsys, log_path):
        """Without --change-date the journey's latest recorded change is used, title included."""
        out = run_json(capsys, "compare", log_path, "--journey", JOURNEY, "--resamples", "200")
        assert out["change_date"] == "2026-06-01"
        assert out["change_title"].startswith("Laptops pre-imaged")
        assert out["resamples"] == 200

    def test_no_date_and_no_changes_is_an_error(self, capsys, log_path):
        """Without a date, a segment or a journey change the command says what to give."""
        assert main(["compare", log_path]) == 1
        assert "--change-date DATE or --segment COLUMN" in capsys.readouterr().err

    def test_segment_json(self, capsys, log_path):
        """A segment compares each value with the rest and ranks the steps where they differ most."""
        out = run_json(capsys, "compare", log_path, "--journey", JOURNEY, "--segment", "location")
        assert out["segment"] == "location"
        assert [v["value"] for v in out["values"]][:2] == ["Berlin", "London"]
        assert set(out["lead_time"][0]) >= {"value", "segment", "rest", "change", "ci_low", "ci_high", "verdict"}
        top = out["ranking"][0]
        assert (top["step"], top["value"]) in {("equipment_shipped", "Warsaw"), ("background_check", "Austin")}

    def test_unknown_segment(self, capsys, log_path):
        """An unknown segment column is named in the error."""
        assert main(["compare", log_path, "--segment", "region"]) == 1
        assert "No segment column 'region'" in capsys.readouterr().err

    def test_table(self, capsys, log_path):
        """The table starts with the change and its verdicts, then one line per step."""
        assert main(["compare", log_path, "--journey", JOURNEY, "--format", "table", "--resamples", "200"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("Change on 2026-06-01: Laptops pre-imaged")
        assert "Equipment shipped" in out and "95% CI" in out


class TestWhatIf:
    def test_cut_json(self, capsys, log_path):
        """Lead time p50/p85/p95 before and after a 50% cut, and the OKR gap."""
        out = run_json(capsys, "whatif", log_path, "--journey", JOURNEY, "--step", "Equipment shipped", "--cut", "50")
        table = {row["statistic"]: row for row in out["lead_time"]}
        assert list(table) == ["p50", "p85", "p95"]
        assert all(row["after_s"] < row["before_s"] for row in table.values())
        assert out["okrs"][0]["okr"] == "Time from offer accepted to first login"
        assert out["step"] == "equipment_shipped" and out["change"] == "cut"

    def test_zero_cut_changes_nothing(self, capsys, log_path):
        """A 0% cut leaves p50, p85 and p95 where they are."""
        out = run_json(capsys, "whatif", log_path, "--journey", JOURNEY, "--step", "background_check", "--cut", "0")
        assert all(row["after_s"] == row["before_s"] for row in out["lead_time"])

    @pytest.mark.parametrize("flag", ["--cap", "--no-rework", "--remove"])
    def test_other_changes(self, capsys, log_path, flag):
        """Cap, no-rework and remove run and never lengthen the p85."""
        out = run_json(capsys, "whatif", log_path, "--journey", JOURNEY, "--step", "background_check", flag)
        p85 = next(row for row in out["lead_time"] if row["statistic"] == "p85")
        assert p85["after_s"] <= p85["before_s"]

    def test_impact(self, capsys, log_path):
        """--impact lists every step's p85 impact, largest first."""
        out = run_json(capsys, "whatif", log_path, "--journey", JOURNEY, "--impact")
        impacts = [row["p85_impact_s"] for row in out["p85_impact"]]
        assert impacts == sorted(impacts, reverse=True) and out["p85_impact"][0]["step"] == "equipment_shipped"
        assert main(["whatif", log_path, "--journey", JOURNEY, "--impact", "--format", "table"]) == 0
        assert "p85 lead time would fall by" in capsys.readouterr().out

    def test_step_is_needed(self, capsys, log_path):
        """A change without --step says to name one."""
        assert main(["whatif", log_path, "--journey", JOURNEY, "--remove"]) == 1
        assert "Name the step" in capsys.readouterr().err

    def test_one_change_is_required(self, capsys, log_path):
        """Giving no change, or two, is a usage error."""
        for extra in ([], ["--cap", "--remove"]):
            with pytest.raises(SystemExit):
                build_parser().parse_args(["whatif", log_path, "--step", "x", *extra])
        capsys.readouterr()

    def test_table(self, capsys, log_path):
        """The table gives the sentence and p50/p85/p95 before and after."""
        assert main(["whatif", log_path, "--journey", JOURNEY, "--step", "equipment_shipped", "--remove",
                     "--format", "table"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("Equipment shipped removed: p85 lead time ")
        assert "p95" in out and "OKR Time from offer accepted" in out
