"""Compare, What if, Flow and flow efficiency in working time, pinned by hand on a tiny log whose
office calendar (UTC, Monday to Friday 09:00-17:00, German public holidays) spans a weekend and
Labour Day (Friday 1 May 2026): Thursday 16:00 to Monday 10:00 is 90 hours, two of them working."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pytest

from journeymap.cli.main import build_parser, main
from journeymap.core.errors import JourneyError
from journeymap.core.moments import to_epoch_us
from journeymap.decide.compare import compare_change
from journeymap.decide.flow import stuck_cases
from journeymap.decide.pilot import compare_pilot
from journeymap.decide.whatif import okr_budget, okr_gaps, what_if
from journeymap.journey.definition import journey_from_yaml
from journeymap.measures.casetimes import case_step_times, metrics_and_times
from journeymap.measures.flowefficiency import flow_efficiency
from journeymap.measures.metrics import compute_metrics
from journeymap.measures.satisfaction import SatisfactionScale, satisfaction

H = 3600.0
AS_OF = "2026-05-07T12:00:00+00:00"  # a Thursday

JOURNEY_YAML = """
id: desk
name: Desk
calendar: office
calendars:
  - {id: office, timezone: UTC, hours: "09:00-17:00", holidays: DE}
stages: [{id: s, label: S}]
steps:
  - {id: open, label: Open, stage: s}
  - {id: fix, label: Fix, stage: s, target: {p85: 1h, time: working}}
  - {id: close, label: Close, stage: s, target: {p85: 2d, time: working}}
transitions: [{from: open, to: fix}, {from: fix, to: close}]
start: open
end: close
okrs:
  - {name: Open to fix, from: open, to: fix, statistic: median, baseline: 4h, target: 1h, time: working}
"""
JOURNEY = journey_from_yaml(JOURNEY_YAML, source="desk.yaml")

# a: open Thu 30 Apr 16:00 -> fix Mon 4 May 10:00 (90 h; working 1 h Thu + 1 h Mon = 2 h, Labour Day
#    and the weekend off) -> close Mon 12:00 (2 h). Lead time 92 h, in working time 4 h. Fix started
#    Mon 09:30: a wait of 89.5 h (1.5 working h) and 0.5 h of work.
# b: open Wed 6 May 09:00 -> fix 11:00 (2 h) -> close 15:00 (4 h): 6 h on both clocks.
# c: open Thu 30 Apr 15:00 -> fix 16:00, then nothing until as_of Thu 7 May 12:00: waiting at fix
#    164 h, in working time 1 h (Thu) + 8 h (Mon, Tue, Wed each) + 3 h (Thu) = 28 h.
ROWS = [("a", "open", "2026-04-30 16:00", None), ("a", "fix", "2026-05-04 10:00", "2026-05-04 09:30"),
        ("a", "close", "2026-05-04 12:00", None),
        ("b", "open", "2026-05-06 09:00", None), ("b", "fix", "2026-05-06 11:00", None),
        ("b", "close", "2026-05-06 15:00", None),
        ("c", "open", "2026-04-30 15:00", None), ("c", "fix", "2026-04-30 16:00", None)]


def us(text: str) -> int:
    return to_epoch_us(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC))


def desk_log() -> pl.DataFrame:
    return pl.DataFrame([{"case": c, "activity": a, "ts": us(t), "start": us(s) if s else None, "row": i}
                         for i, (c, a, t, s) in enumerate(ROWS)],
                        schema={"case": pl.String, "activity": pl.String, "ts": pl.Int64, "start": pl.Int64,
                                "row": pl.Int64})


def times_on(time: str, events: Any = None) -> Any:
    return case_step_times(desk_log() if events is None else events, JOURNEY, as_of=AS_OF, time=time)


class TestCaseTimes:
    def test_arrivals_and_lead_times_follow_the_clock(self, engine: Callable[[pl.DataFrame], Any]) -> None:
        """Arrivals into fix 90 h / 2 h / 1 h, lead times 92 h and 6 h, become 2 h / 2 h / 1 h and 4 h and 6 h."""
        for time, into_fix, lead_a in (("calendar", [90, 2, 1], 92), ("working", [2, 2, 1], 4)):
            times = times_on(time, engine(desk_log()))
            fix = times.event_step == times.step_code("fix")
            assert times.time == time
            assert list(times.arrival_s[fix] / H) == into_fix
            lead = dict(zip(times.case, times.lead_time_s() / H))
            assert lead["a"] == lead_a and lead["b"] == 6 and np.isnan(lead["c"])

    def test_moments_and_statuses_stay_calendar(self) -> None:
        """Only durations change: start and end moments, timestamps and statuses are the same on both clocks."""
        calendar, working = times_on("calendar"), times_on("working")
        for name in ("start_us", "end_us", "last_us", "event_ts", "status", "in_lead_time"):
            assert np.array_equal(getattr(calendar, name), getattr(working, name)), name

    def test_the_working_clock_is_the_metrics_clock(self) -> None:
        """One definition: the working lead times are the metrics' case table's."""
        metrics = compute_metrics(desk_log(), JOURNEY, as_of=AS_OF, time="working")
        expected = metrics.cases.set_index("case")["lead_time_s"]
        times = times_on("working")
        assert dict(zip(times.case, times.lead_time_s())) == pytest.approx(expected.to_dict(), nan_ok=True)

    def test_working_time_needs_calendars(self) -> None:
        """A journey without calendars says what to add, as the metrics do."""
        bare = journey_from_yaml("""
id: b
name: B
stages: [{id: s, label: S}]
steps: [{id: open, label: Open, stage: s}, {id: close, label: Close, stage: s}]
transitions: [{from: open, to: close}]
start: open
end: close
""")
        with pytest.raises(JourneyError, match="calendars:"):
            case_step_times(desk_log(), bare, time="working")


class TestCompare:
    def test_a_change_that_looks_good_on_the_calendar_is_worse_in_working_hours(self) -> None:
        """Before 5 May: a (92 h, 4 working h); after: b (6 h). The median falls 93.5% in calendar time
        (92 h -> 6 h) but rises 50% in working time (4 h -> 6 h): the weekend and the holiday were the gap."""
        calendar, working = (compare_change(times_on(t), "2026-05-05", min_cases=1, resamples=50).lead_time
                             for t in ("calendar", "working"))
        assert (calendar["median_s_before"], calendar["median_s_after"]) == (92 * H, 6 * H)
        assert (working["median_s_before"], working["median_s_after"]) == (4 * H, 6 * H)
        assert calendar["change"] == pytest.approx(6 / 92 - 1)
        assert working["change"] == pytest.approx(0.5)


class TestWhatIf:
    def test_a_cut_in_working_time(self) -> None:
        """Fix 50% faster: working lead times 4 h, 6 h -> 3 h, 5 h (median 5 h -> 4 h); calendar 92 h, 6 h
        -> 47 h, 5 h (median 49 h -> 26 h)."""
        for time, before, after in (("calendar", 49, 26), ("working", 5, 4)):
            result = what_if(times_on(time), "fix", "cut", 50)
            median = result.quantiles.set_index("statistic").loc["p50"]
            assert (median["before_s"], median["after_s"]) == (before * H, after * H)
            assert result.time == time
        assert "in working hours" in what_if(times_on("working"), "fix", "cut", 50).sentence
        assert "in working hours" not in what_if(times_on("calendar"), "fix", "cut", 50).sentence

    def test_a_cap_is_on_the_targets_clock(self) -> None:
        """Fix's target is 1 working hour. In working time the arrivals into fix (2 h, 2 h) are clipped at
        1 h: lead times 3 h and 5 h. In calendar time each is shortened as much, in proportion (half): a's
        90 h to 45 h, b's 2 h to 1 h, so lead times 47 h and 5 h."""
        working = what_if(times_on("working"), "fix", "cap")
        assert sorted(working.lead_time_after_s / H) == [3, 5]
        calendar = what_if(times_on("calendar"), "fix", "cap")
        assert sorted(calendar.lead_time_after_s / H) == pytest.approx([5, 47])
        assert "of working time" in calendar.description

    def test_an_okr_is_replayed_on_its_own_clock(self) -> None:
        """Open to fix (median, working): a 2 h and b 2 h of working time on either clock shown (90 h and 2 h
        in calendar time would give 46 h); halving Fix brings it to 1 h, on target."""
        for time in ("calendar", "working"):
            gaps = what_if(times_on(time), "fix", "cut", 50).okrs.iloc[0]
            assert (gaps["before_s"], gaps["after_s"], gaps["time"]) == (2 * H, 1 * H, "working")
            assert bool(gaps["met_after"]) and not bool(gaps["met_before"])
            assert okr_gaps(times_on(time)).iloc[0]["before_s"] == 2 * H
            assert okr_budget(times_on(time))["median_s"].tolist() == [2 * H]


class TestFlow:
    def test_stuck_waits_are_on_the_clock_and_targets_on_theirs(self) -> None:
        """c waits at Fix 164 h (28 working h); its age 165 h (29 working h). The usual wait after Fix is the
        p85 of 2 h and 4 h (3.7 h) on both clocks. Close's target, 2 working days (48 h), is met in working
        time (28 h) on either clock shown, though 164 calendar hours are more."""
        for time, waiting, age in (("calendar", 164, 165), ("working", 28, 29)):
            metrics = compute_metrics(desk_log(), JOURNEY, as_of=AS_OF, time=time)
            row = stuck_cases(metrics, times_on(time)).set_index("case").loc["c"]
            assert (row["waiting_s"], row["age_s"]) == pytest.approx((waiting * H, age * H))
            assert row["usual_wait_p85_s"] == pytest.approx(3.7 * H)
            assert row["target_s"] == 48 * H and row["target_time"] == "working"
            assert not row["over_target"] and row["over_p85"]

    def test_stuck_cases_need_the_metrics_clock(self) -> None:
        """Case times on another clock than the metrics are a programming error, said plainly."""
        metrics = compute_metrics(desk_log(), JOURNEY, as_of=AS_OF, time="working")
        with pytest.raises(ValueError, match="working time"):
            stuck_cases(metrics, times_on("calendar"))


def test_flow_efficiency_in_working_time() -> None:
    """a's Fix started Monday 09:30: 89.5 h of waiting and 0.5 h of work in calendar time, 1.5 working
    hours of waiting (Thursday 16:00-17:00, Monday 09:00-09:30) and the same 0.5 h of work."""
    for time, wait in (("calendar", 89.5), ("working", 1.5)):
        found = flow_efficiency(times_on(time))
        assert found is not None
        fix = found.steps.set_index("step").loc["fix"]
        assert (fix["wait_median_s"], fix["work_median_s"]) == (wait * H, 0.5 * H)
        assert fix["flow_efficiency"] == pytest.approx(0.5 / (wait + 0.5))


@pytest.fixture()
def desk_files(tmp_path: Any) -> tuple[str, str]:
    """The tiny log as a CSV file (ISO times, a start column) and its journey as YAML."""
    log, journey = tmp_path / "desk.csv", tmp_path / "desk.yaml"
    log.write_text("case,activity,timestamp,start_timestamp\n" + "".join(
        f"{c},{a},{t.replace(' ', 'T')}:00Z,{s.replace(' ', 'T') + ':00Z' if s else ''}\n" for c, a, t, s in ROWS))
    journey.write_text(JOURNEY_YAML)
    return str(log), str(journey)


class TestCommandLine:
    def run(self, capsys: Any, *argv: str) -> dict[str, Any]:
        assert main(list(argv)) == 0
        return json.loads(capsys.readouterr().out)

    def test_compare_in_working_time(self, capsys: Any, desk_files: tuple[str, str]) -> None:
        """`compare --time working`: before 4 h, after 6 h (calendar time, the default: 92 h and 6 h)."""
        log, journey = desk_files
        common = ("compare", log, "--journey", journey, "--change-date", "2026-05-05", "--min-cases", "1",
                  "--as-of", AS_OF, "--resamples", "50")
        for extra, before, time in (((), 92, "calendar"), (("--time", "working"), 4, "working")):
            out = self.run(capsys, *common, *extra)
            assert out["time"] == time
            lead = out["lead_time"]
            assert (lead["before"]["median_s"], lead["after"]["median_s"]) == (before * H, 6 * H)

    def test_whatif_in_working_time(self, capsys: Any, desk_files: tuple[str, str]) -> None:
        """`whatif --step fix --cut 50 --time working`: median lead time 5 h -> 4 h, the OKR 2 h -> 1 h."""
        log, journey = desk_files
        out = self.run(capsys, "whatif", log, "--journey", journey, "--step", "fix", "--cut", "50", "--as-of", AS_OF,
                       "--time", "working")
        median = next(row for row in out["lead_time"] if row["statistic"] == "p50")
        assert (out["time"], median["before_s"], median["after_s"]) == ("working", 5 * H, 4 * H)
        assert (out["okrs"][0]["before_s"], out["okrs"][0]["after_s"], out["okrs"][0]["time"]) == (2 * H, H, "working")

    def test_metrics_flow_efficiency_in_working_time(self, capsys: Any, desk_files: tuple[str, str]) -> None:
        """`metrics --time working`: the wait before Fix's work is 1.5 working hours (89.5 h in calendar time)."""
        log, journey = desk_files
        for extra, wait in (((), 89.5), (("--time", "working"), 1.5)):
            out = self.run(capsys, "metrics", log, "--journey", journey, "--as-of", AS_OF, "--format", "json", *extra)
            fix = next(row for row in out["flow_efficiency"]["steps"] if row["step"] == "fix")
            assert fix["wait_median_s"] == wait * H

    def test_the_table_says_the_clock(self, capsys: Any, desk_files: tuple[str, str]) -> None:
        """The table output starts by naming the clock in working time, and does not in calendar time."""
        log, journey = desk_files
        argv = ["whatif", log, "--journey", journey, "--impact", "--as-of", AS_OF, "--format", "table"]
        assert main([*argv, "--time", "working"]) == 0
        assert capsys.readouterr().out.startswith("Durations in working hours")
        assert main(argv) == 0
        assert "working hours" not in capsys.readouterr().out

    def test_working_time_without_calendars_is_one_sentence(self, capsys: Any, desk_files: tuple[str, str],
                                                             tmp_path: Any) -> None:
        """A journey without calendars: exit 1 and what to add, no traceback."""
        log, _ = desk_files
        bare = tmp_path / "bare.yaml"
        bare.write_text("id: b\nname: B\nstages: [{id: s, label: S}]\nsteps: [{id: open, label: Open, stage: s}, "
                        "{id: close, label: Close, stage: s}]\ntransitions: [{from: open, to: close}]\n"
                        "start: open\nend: close\n")
        assert main(["whatif", log, "--journey", str(bare), "--impact", "--time", "working"]) == 1
        err = capsys.readouterr().err
        assert "calendars:" in err and "Traceback" not in err

    def test_the_option_reads_as_on_metrics(self) -> None:
        """`--time` says the same on compare, whatif and metrics."""
        def help_of(command: str) -> str:
            parser = build_parser()
            commands = next(a for a in parser._actions if a.dest == "command")
            sub = commands.choices[command]  # type: ignore[index]
            return next(a.help for a in sub._actions if a.dest == "time")

        assert help_of("compare") == help_of("whatif") == help_of("metrics")
        assert build_parser().parse_args(["compare", "x.csv", "--time", "working"]).time == "working"


def test_satisfaction_waits_say_working_time() -> None:
    """Waiting into Fix: a 90 h (2 working h), b 2 h, c 1 h. Over a 3 h threshold, in calendar time a alone
    waited longer; in working time nobody did, and the sentence says "of working time"."""
    scale = SatisfactionScale("CSAT 1–5", 1.0, 5.0)
    for time, longer in (("calendar", 1), ("working", 0)):
        times = times_on(time)
        scores = np.array([{"a": 1.0, "b": 4.0, "c": 5.0}[case] for case in times.case])
        found = satisfaction(times, scores, "csat", scale, threshold_s=3 * H, min_cases=1, resamples=50)
        fix = found.waiting.set_index("step").loc["fix"]
        assert fix["cases"] == longer
        assert ("more than 3 h of working time at Fix" in fix["sentence"]) == (time == "working")


def test_the_pilot_in_working_time() -> None:
    """a and b piloted (department Sales); d (others, before: Thu 30 Apr 09:00 -> 10:00 -> 11:00, 2 h) and e
    (others, after: Wed 6 May 09:00 -> 10:00 -> 12:00, 3 h) did not. The effect on the median lead time,
    (pilot after / before) / (others after / before) - 1: in calendar time (6 / 92) / (3 / 2) - 1 = -96%,
    in working time (6 / 4) / (3 / 2) - 1 = 0, no effect at all."""
    extra = [("d", "open", "2026-04-30 09:00"), ("d", "fix", "2026-04-30 10:00"), ("d", "close", "2026-04-30 11:00"),
             ("e", "open", "2026-05-06 09:00"), ("e", "fix", "2026-05-06 10:00"), ("e", "close", "2026-05-06 12:00")]
    log = pl.concat([desk_log(), pl.DataFrame([{"case": c, "activity": a, "ts": us(t), "start": None, "row": 100 + i}
                                              for i, (c, a, t) in enumerate(extra)], schema=desk_log().schema)])
    log = log.with_columns(department=pl.when(pl.col("case").is_in(["a", "b"])).then(pl.lit("Sales"))
                           .otherwise(pl.lit("Ops")))
    for time, effect in (("calendar", (6 / 92) / (3 / 2) - 1), ("working", 0.0)):
        times = case_step_times(log, JOURNEY, as_of=AS_OF, time=time, segments=["department"])
        lead = compare_pilot(times, "2026-05-05", {"department": "Sales"}, min_cases=1, resamples=50).lead_time
        assert lead["change"] == pytest.approx(effect)


def test_one_pass_keeps_the_working_clocks() -> None:
    """`metrics_and_times` in working time: the same working clocks, arrivals and lead times as
    `case_step_times`, and the same metrics as `compute_metrics`."""
    metrics, times = metrics_and_times(desk_log(), JOURNEY, as_of=AS_OF, time="working")
    alone = times_on("working")
    assert times.time == alone.time == "working"
    for name in ("working_us", "working_start_us", "as_of_working_us", "arrival_s", "case_lead_time_s", "event_step"):
        np.testing.assert_array_equal(getattr(times, name), getattr(alone, name), err_msg=name)
    assert metrics.steps.equals(compute_metrics(desk_log(), JOURNEY, as_of=AS_OF, time="working").steps)
