"""Tests for journeymap.decide.compare: before/after and segment comparisons with bootstrap intervals."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from journeymap.core.moments import to_epoch_us
from journeymap.decide.compare import bootstrap_quantile, compare_change, compare_groups, compare_segment, latest_change
from journeymap.journey.definition import journey_from_yaml, load_journey
from journeymap.journey.samples import sample_events_path, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.casetimes import case_step_times
from journeymap.measures.metrics import compute_metrics
from journeymap.testing import EPOCH, build_events

BASE_US = to_epoch_us(EPOCH)
DAY_US = 86_400_000_000
TWO_STEPS = """
id: two
name: Two steps
stages: [{id: s, label: S}]
steps: [{id: a, label: a, stage: s}, {id: b, label: b, stage: s}]
transitions: [{from: a, to: b}]
start: a
end: [b]
stale_after: 30d
"""
CHANGE = EPOCH.date() + dt.timedelta(days=150)  # before-cases start in days 0-100, after-cases in days 200-300


def synthetic_log(seed: int, n: int, hours: dict[str, float], after_factor: dict[str, float], sigma: float = 0.6,
                  segment: dict[str, float] | None = None) -> pl.DataFrame:
    """Cases walking start -> each step in `hours` (lognormal medians); after CHANGE some steps scale."""
    rng = np.random.default_rng(seed)
    after = np.arange(2 * n) >= n
    start = BASE_US + rng.integers(0, 100 * DAY_US, 2 * n) + np.where(after, 200 * DAY_US, 0)
    columns = [start]
    for step, median_h in hours.items():
        factor = np.where(after, after_factor.get(step, 1.0), 1.0)
        columns.append(columns[-1] + (median_h * 3_600e6 * factor * rng.lognormal(0, sigma, 2 * n)).astype(np.int64))
    names = ["start", *hours]
    frame = pl.DataFrame({"case": np.repeat([f"c{i:04d}" for i in range(2 * n)], len(names)),
                          "activity": np.tile(names, 2 * n), "ts": np.column_stack(columns).ravel(),
                          "start": pl.Series([None] * (2 * n * len(names)), dtype=pl.Int64),
                          "row": np.arange(2 * n * len(names))})
    if segment:
        values = rng.choice(list(segment), 2 * n, p=list(segment.values()))
        frame = frame.with_columns(team=pl.Series(np.repeat(values, len(names))))
    return frame


def times_of(frame: pl.DataFrame, **options):
    """Case times of a synthetic log, every case long finished."""
    return case_step_times(frame, as_of=BASE_US + 1000 * DAY_US, **options)


@pytest.fixture(scope="module")
def onboarding():
    """Case times and metrics of the shipped onboarding log (change on 2026-06-01 at equipment_shipped)."""
    events = read_events(sample_events_path("onboarding")).frame
    journey = load_journey(sample_journey_path("onboarding"))
    return case_step_times(events, journey, segments=["location"]), compute_metrics(events, journey)


@pytest.fixture(scope="module")
def injected():
    """400 cases each side of a change that halves the arrival into `fix` only."""
    frame = synthetic_log(3, 400, {"review": 20, "fix": 40, "ship": 10}, {"fix": 0.5})
    return compare_change(times_of(frame), CHANGE)


@pytest.fixture(scope="module")
def teams():
    """Team 'slow' takes twice as long at `fix`; everything else is alike."""
    frame = synthetic_log(8, 600, {"review": 20, "fix": 40}, {}, segment={"fast": 0.5, "mid": 0.3, "slow": 0.2})
    frame = frame.with_columns(pl.col("ts") + pl.when((pl.col("team") == "slow") & (pl.col("activity") == "fix"))
                               .then(pl.lit(40 * 3_600_000_000)).otherwise(0))
    return compare_segment(times_of(frame, segments=["team"]), "team", resamples=500)


class TestBootstrapQuantile:
    @pytest.mark.parametrize("q", [0.5, 0.85])
    def test_matches_resampling_every_case(self, q):
        """Order-statistic draws follow the same distribution as np.quantile over full resamples."""
        rng = np.random.default_rng(7)
        values = np.sort(rng.lognormal(0, 1, 41))
        fast = bootstrap_quantile(values, q, 40_000, np.random.default_rng(1))
        naive = np.quantile(values[rng.integers(0, 41, (40_000, 41))], q, axis=1)
        assert fast.mean() == pytest.approx(naive.mean(), rel=0.02)
        assert fast.std() == pytest.approx(naive.std(), rel=0.05)
        np.testing.assert_allclose(np.quantile(fast, [0.025, 0.5, 0.975]), np.quantile(naive, [0.025, 0.5, 0.975]),
                                   rtol=0.05)

    def test_single_value(self):
        """One value resamples to itself."""
        assert bootstrap_quantile(np.array([3.0]), 0.85, 10, np.random.default_rng(0)).tolist() == [3.0] * 10


class TestChangeDate:
    def test_only_the_changed_step_is_significant(self, injected):
        """The step the change touched is significant, in median and p85; the untouched steps are not."""
        steps = injected.steps.set_index("step")
        assert steps.loc["fix", "significant"] and steps.loc["fix", "p85_significant"]
        assert not steps.loc[["review", "ship"], ["significant", "p85_significant"]].to_numpy().any()

    def test_the_interval_holds_the_injected_change(self, injected):
        """Halving a step shows as about -50%, inside its 95% interval."""
        fix = injected.steps.set_index("step").loc["fix"]
        assert fix["ci_low"] < -0.5 < fix["ci_high"]
        assert fix["change"] == pytest.approx(-0.5, abs=0.1)
        assert fix["n_before"] == fix["n_after"] == 400

    def test_verdict_is_a_plain_sentence(self, injected):
        """The verdict names the step, the direction, both values as people read them and the interval."""
        fix = injected.steps.set_index("step").loc["fix"]
        assert fix["verdict"].startswith("fix: median fell from 1.6 d to 20.4 h (−47%, 95% CI −52% to −41%)")
        assert "95% CI −" in fix["verdict"] and "p85 fell from" in fix["verdict"]
        review = injected.steps.set_index("step").loc["review", "verdict"]
        assert "no clear difference" in review and "fell" not in review
        assert injected.verdicts()[0] == injected.lead_time["verdict"]
        assert "fix: median fell" in injected.verdicts()[2]

    def test_too_few_cases_to_tell(self):
        """Below the minimum sample there is no interval and the verdict says so."""
        frame = synthetic_log(4, 10, {"review": 20}, {"review": 0.5})
        result = compare_change(times_of(frame), CHANGE, min_cases=30)
        row = result.steps.set_index("step").loc["review"]
        assert not row["significant"] and np.isnan(row["ci_low"])
        assert row["verdict"] == "review: too few cases to tell (10 before, 10 after; 30 each needed)."

    def test_seeded_numbers_are_stable(self):
        """The same seed gives the same intervals; another seed gives nearly the same."""
        times = times_of(synthetic_log(5, 200, {"review": 20}, {"review": 0.7}))
        first, again, other = (compare_change(times, CHANGE, seed=s).lead_time for s in (0, 0, 1))
        assert first == again
        assert other["ci_low"] != first["ci_low"]
        assert other["ci_low"] == pytest.approx(first["ci_low"], abs=0.05)

    def test_window_days_keeps_cases_near_the_date(self):
        """A window keeps only the cases started that many days either side of the change."""
        times = times_of(synthetic_log(6, 200, {"review": 20}, {}))
        result = compare_change(times, CHANGE, window_days=75)
        cut = to_epoch_us(CHANGE)
        before = (times.start_us >= cut - 75 * DAY_US) & (times.start_us < cut)
        after = (times.start_us >= cut) & (times.start_us < cut + 75 * DAY_US)
        assert result.lead_time["n_before"] == before.sum() < 200
        assert result.lead_time["n_after"] == after.sum() < 200

    def test_rates_leave_in_flight_cases_out(self):
        """Rates count settled cases only (a slow open case is not a loss); many open cases earn a caution."""
        events = build_events({"old1": [("a", 0), ("b", 1)], "old2": [("a", 0)], "new1": [("a", 2000), ("b", 2001)],
                                "new2": [("a", 2400)]})
        journey = journey_from_yaml(TWO_STEPS)
        times = case_step_times(events, journey, as_of=to_epoch_us(EPOCH) + 2401 * 3_600_000_000)
        result = compare_change(times, EPOCH.date() + dt.timedelta(days=30), min_cases=1, resamples=200)
        assert result.completion["rate_before"] == 0.5  # old2 dropped
        assert result.completion["rate_after"] == 1.0   # new2 is in flight, not counted
        assert result.lead_time["in_flight_share_after"] == 0.5
        assert "Caution: 50% of the after cases are still open" in result.lead_time["verdict"]

    def test_sample_change_on_equipment_shipped(self, onboarding):
        """The onboarding sample's change (about -45% at Equipment shipped) is found there and stated."""
        times, _ = onboarding
        change = latest_change(times.journey)
        assert change is not None and change.date == dt.date(2026, 6, 1)
        result = compare_change(times, change.date)
        shipped = result.steps.set_index("step").loc["equipment_shipped"]
        assert shipped["significant"] and shipped["ci_high"] < -0.3 and shipped["ci_low"] > -0.6
        for step in ("contract_signed", "equipment_ordered", "first_login"):
            assert not result.steps.set_index("step").loc[step, "significant"]
        assert "Equipment shipped: median fell from" in shipped["verdict"]

    def test_whole_log_figures_match_the_map(self, onboarding):
        """All cases against all cases gives the map's own arrival median and p85 per step."""
        times, metrics = onboarding
        everyone = np.ones(times.n_cases, dtype=bool)
        steps = compare_groups(times, everyone, everyone, resamples=10).steps.set_index("step")
        mapped = metrics.steps.set_index("step").loc[steps.index]
        np.testing.assert_allclose(steps["median_s_after"], mapped["arrival_median_s"])
        np.testing.assert_allclose(steps["p85_s_after"], mapped["arrival_p85_s"])
        assert steps["change"].fillna(0).eq(0).all()


class TestCoverage:
    def test_interval_covers_the_true_ratio_about_95_percent_of_the_time(self):
        """Over 200 seeds, the 95% interval of the median lead-time change holds the true -30% 90-99% of the time."""
        true_change, covered, runs = -0.3, 0, 200
        for seed in range(runs):
            frame = synthetic_log(1000 + seed, 100, {"done": 24}, {"done": 1 + true_change}, sigma=0.8)
            lead = compare_change(times_of(frame), CHANGE).lead_time
            covered += lead["ci_low"] <= true_change <= lead["ci_high"]
        # 200 runs at p = 0.95: sd 1.5 points; 0.90-0.99 is about -3.2 to +2.6 sd
        assert 0.90 <= covered / runs <= 0.99


class TestSegments:
    def test_values_most_frequent_first(self, teams):
        """Values are listed most frequent first with their share of cases."""
        assert teams.values["value"].tolist() == ["fast", "mid", "slow"]
        assert teams.values["share"].sum() == pytest.approx(1.0)

    def test_the_slow_step_ranks_first_for_the_slow_team(self, teams):
        """The step and value that differ most come first, significant, with a sentence naming both."""
        top = teams.ranking.iloc[0]
        assert (top["step"], top["value"]) == ("fix", "slow")
        assert top["significant"] and top["change"] > 0.3
        assert top["verdict"].startswith("fix (team slow): median ")
        assert "for the rest" in top["verdict"]

    def test_funnel_and_lead_time_per_value(self, teams):
        """Each value has its funnel (every case reaches every step here) and its lead time against the rest."""
        assert set(teams.funnel["value"]) == {"fast", "mid", "slow"}
        assert (teams.funnel["share"] == 1.0).all()
        slow = teams.lead_time.set_index("value").loc["slow"]
        assert slow["significant"] and slow["median_s_segment"] > slow["median_s_rest"]

    def test_segment_must_be_extracted(self):
        """Comparing a segment the case times lack says how to extract it."""
        times = times_of(synthetic_log(9, 20, {"review": 1}, {}))
        with pytest.raises(ValueError, match="segments=\\['team'\\]"):
            compare_segment(times, "team")
