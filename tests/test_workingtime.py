"""Working time, pinned with hand-computed spans: weekends, public holidays, closed days, lunch breaks,
time zones and both changes of daylight saving time; then the metrics in working time on every engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeymap.core.errors import JourneyError
from journeymap.core.moments import to_epoch_us
from journeymap.engine.workingtime import working_calendar, working_seconds
from journeymap.journey.definition import journey_from_yaml
from journeymap.journey.model import Calendar
from journeymap.measures.hotspots import find_hotspots
from journeymap.measures.metrics import compute_metrics
from journeymap.measures.okr import okr_status

H = 3600.0
UTC = dt.UTC
BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
OFFICE = Calendar("office", timezone="UTC")  # Monday to Friday, 09:00-17:00
BERLIN_OFFICE = Calendar("berlin", timezone="Europe/Berlin", holidays="DE", subdivision="BE")


def at(text: str, zone: Any = UTC) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=zone)


class TestSpans:
    def test_across_a_weekend(self) -> None:
        """Friday 16:00 to Monday 10:00 is one hour on Friday and one on Monday."""
        assert working_seconds(OFFICE, at("2026-01-09 16:00"), at("2026-01-12 10:00")) == 2 * H

    def test_outside_hours_counts_nothing(self) -> None:
        """Friday 18:00 to Monday 08:00 is no working time at all."""
        assert working_seconds(OFFICE, at("2026-01-09 18:00"), at("2026-01-12 08:00")) == 0

    def test_across_public_holidays(self) -> None:
        """Berlin, Easter 2026: Good Friday (3 April) and Easter Monday (6 April) are holidays, so
        Thursday 16:00 to Tuesday 10:00 is two hours, not the eighteen of an ordinary week."""
        start, end = at("2026-04-02 16:00", BERLIN), at("2026-04-07 10:00", BERLIN)
        assert working_seconds(BERLIN_OFFICE, start, end) == 2 * H
        assert working_seconds(Calendar("plain", timezone="Europe/Berlin"), start, end) == 18 * H

    def test_a_closed_day(self) -> None:
        """A day listed under closed counts nothing: Friday 16:00 to Tuesday 10:00 over a closed Monday."""
        closed = Calendar("c", closed=(dt.date(2026, 1, 12),))
        assert working_seconds(closed, at("2026-01-09 16:00"), at("2026-01-13 10:00")) == 2 * H

    def test_a_lunch_break(self) -> None:
        """09:00-12:00 and 13:00-17:00: 11:00 to 14:00 is two working hours."""
        split = Calendar("split", hours=((9 * 60, 12 * 60), (13 * 60, 17 * 60)))
        assert working_seconds(split, at("2026-01-12 11:00"), at("2026-01-12 14:00")) == 2 * H

    def test_time_zones(self) -> None:
        """12:00 to 20:00 UTC on a January Monday is 07:00-15:00 in New York (6 working hours) and
        13:00-21:00 in Berlin (4)."""
        start, end = at("2026-01-12 12:00"), at("2026-01-12 20:00")
        assert working_seconds(Calendar("ny", timezone="America/New_York"), start, end) == 6 * H
        assert working_seconds(Calendar("de", timezone="Europe/Berlin"), start, end) == 4 * H

    def test_clocks_go_forward(self) -> None:
        """Berlin moves to summer time on Sunday 29 March 2026: Monday 08:00 UTC is 10:00 local, so
        Friday 16:00 UTC (17:00 local) to then is one working hour (none with the winter offset)."""
        calendar = Calendar("de", timezone="Europe/Berlin")
        assert working_seconds(calendar, at("2026-03-27 16:00"), at("2026-03-30 08:00")) == 1 * H

    def test_clocks_go_back(self) -> None:
        """Back to winter time on Sunday 25 October 2026: Friday 14:00 UTC is 16:00 local, Monday
        09:00 UTC 10:00 local: an hour each side."""
        calendar = Calendar("de", timezone="Europe/Berlin")
        assert working_seconds(calendar, at("2026-10-23 14:00"), at("2026-10-26 09:00")) == 2 * H

    def test_all_day_every_day_is_calendar_time_across_daylight_saving(self) -> None:
        """00:00-24:00 every day in Berlin counts the 23-hour day of the change as 23 hours."""
        always = Calendar("always", timezone="Europe/Berlin", days=tuple(range(7)), hours=((0, 24 * 60),))
        start, end = at("2026-03-28 00:00", BERLIN), at("2026-03-30 00:00", BERLIN)
        elapsed = (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()  # same-zone subtraction is wall time
        assert working_seconds(always, start, end) == 47 * H == elapsed


def minute_by_minute(calendar: Calendar, start: dt.datetime, end: dt.datetime) -> float:
    """A slow, obvious reference: count the minutes whose local time is a working minute."""
    zone, total = ZoneInfo(calendar.timezone), 0
    moment = start
    while moment < end:
        local = moment.astimezone(zone)
        minute = local.hour * 60 + local.minute
        if local.weekday() in calendar.days and any(a <= minute < b for a, b in calendar.hours):
            total += 60
        moment += dt.timedelta(minutes=1)
    return float(total)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 24 * 60 * 40), st.integers(0, 60 * 24 * 6), st.sampled_from(["UTC", "Europe/Berlin",
                                                                                      "America/New_York"]))
def test_the_clock_agrees_with_counting_minutes(offset_min: int, length_min: int, zone: str) -> None:
    """Over spans that cross weekends and both changes of summer time, the closed form gives the
    minute count of a plain loop."""
    calendar = Calendar("c", timezone=zone, hours=((8 * 60 + 30, 12 * 60), (13 * 60, 17 * 60 + 15)))
    start = at("2026-03-10 00:00") + dt.timedelta(minutes=offset_min)
    end = start + dt.timedelta(minutes=length_min)
    assert working_seconds(calendar, start, end) == minute_by_minute(calendar, start, end)


def test_the_clock_is_vectorised_and_additive() -> None:
    """W(c) − W(a) = (W(b) − W(a)) + (W(c) − W(b)) for many times at once, never above the elapsed time."""
    rng = np.random.default_rng(5)
    first = to_epoch_us(at("2026-01-01 00:00"))
    times = np.sort(first + rng.integers(0, 300 * 86400 * 1_000_000, size=5000))
    clock = working_calendar(BERLIN_OFFICE, int(times[0]), int(times[-1])).clock(times)
    assert (np.diff(clock) >= 0).all()
    assert (np.diff(clock) <= np.diff(times)).all()
    assert clock[-1] - clock[0] == np.diff(clock).sum()


JOURNEY = journey_from_yaml("""
id: ticket
name: Ticket
calendars:
  - {id: office, timezone: UTC}
  - {id: ny, timezone: America/New_York, days: [mon, tue, wed, thu, fri], hours: "09:00-17:00"}
owners:
  - {name: Desk, calendar: office}
stages: [{id: s, label: S}]
steps:
  - {id: open, label: Open, stage: s, owner: Requester}
  - {id: fix, label: Fix, stage: s, owner: Desk, target: {p85: 3h, time: working}}
  - {id: check, label: Check, stage: s, owner: Desk, calendar: ny}
  - {id: close, label: Close, stage: s, owner: Requester}
transitions: [{from: open, to: fix}, {from: fix, to: check}, {from: check, to: close}]
start: open
end: close
okrs:
  - {name: Open to check, from: open, to: check, statistic: median, baseline: 10h, target: 4h, time: working}
""", source="ticket.yaml")


def ticket_log() -> pl.DataFrame:
    """x: open Fri 16:00 -> fix Mon 10:00 (office: 2 h) -> check Mon 20:00 (New York 05:00-15:00: 6 h)
    -> close Tue 08:00 (no calendar: 12 h). y: open Mon 09:00 -> fix Mon 13:00 (4 h), in flight."""
    rows = [("x", "open", "2026-01-09 16:00"), ("x", "fix", "2026-01-12 10:00"), ("x", "check", "2026-01-12 20:00"),
            ("x", "close", "2026-01-13 08:00"), ("y", "open", "2026-01-12 09:00"), ("y", "fix", "2026-01-12 13:00")]
    return pl.DataFrame([{"case": c, "activity": a, "ts": to_epoch_us(at(t)), "start": None, "row": i}
                         for i, (c, a, t) in enumerate(rows)],
                        schema={"case": pl.String, "activity": pl.String, "ts": pl.Int64, "start": pl.Int64,
                                "row": pl.Int64})


class TestMetricsInWorkingTime:
    def test_arrivals_count_the_calendar_of_the_step_arrived_at(self, engine: Callable[[pl.DataFrame], Any]) -> None:
        """Each transition counts the working hours of the step it arrives at (into fix: x 2 h, y 4 h);
        lead time adds them up."""
        metrics = compute_metrics(engine(ticket_log()), JOURNEY, time="working")
        durations = {(r["from"], r["to"]): r["median_s"] for r in metrics.transitions.to_dict("records")}
        assert durations == {("open", "fix"): 3 * H, ("fix", "check"): 6 * H, ("check", "close"): 12 * H}
        x = metrics.cases.set_index("case").loc["x"]
        assert x["lead_time_s"] == (2 + 6 + 12) * H and x["duration_s"] == 20 * H
        assert metrics.steps["delay_share"].sum() == pytest.approx(1.0)
        assert metrics.time == "working"

    def test_in_flight_age_counts_working_time_until_as_of(self, engine: Callable[[pl.DataFrame], Any]) -> None:
        """y opened Monday 09:00, fixed 13:00 (4 h); as of Tuesday 08:00 nothing more: age 4 h + 4 h on
        the office calendar of Fix (13:00-17:00)."""
        y = compute_metrics(engine(ticket_log()), JOURNEY, time="working").cases.set_index("case").loc["y"]
        assert y["status"] == "in_flight"
        assert y["age_s"] == 8 * H

    def test_calendar_time_is_unchanged(self, engine: Callable[[pl.DataFrame], Any]) -> None:
        """By default every second counts, even with calendars in the journey."""
        metrics = compute_metrics(engine(ticket_log()), JOURNEY)
        assert metrics.time == "calendar"
        assert metrics.cases.set_index("case").loc["x", "lead_time_s"] == (3 * 24 + 16) * H

    def test_statuses_and_moments_stay_on_the_calendar(self) -> None:
        """Working time changes durations only: statuses, first and last moments are the same."""
        calendar, working = (compute_metrics(ticket_log(), JOURNEY, time=t).cases for t in ("calendar", "working"))
        for column in ("case", "status", "first_ts", "last_ts", "completion_ts", "silent_s"):
            assert calendar[column].equals(working[column]), column

    def test_a_working_target_is_judged_in_working_time_on_a_calendar_map(self) -> None:
        """Fix's target (p85 3 h of working time) is judged on working arrivals (2 h and 4 h: p85 3.7 h)
        even when the figures shown are in calendar time (66 h and 4 h)."""
        for time in ("calendar", "working"):
            metrics = compute_metrics(ticket_log(), JOURNEY, time=time)
            fix = metrics.steps.set_index("step").loc["fix"]
            assert fix["target_time"] == "working"
            assert fix["target_actual_s"] == pytest.approx(2 * H + 0.85 * 2 * H)
            hotspot = next(h for h in find_hotspots(metrics) if h.step == "fix")
            assert "p85 3.7 h in working hours against a target of 3.0 h" in hotspot.sentence

    def test_a_working_okr_is_measured_in_working_time(self) -> None:
        """Open → Check for x is 2 h + 6 h of working time, whichever clock the figures are on."""
        for time in ("calendar", "working"):
            metrics = compute_metrics(ticket_log(), JOURNEY, time=time)
            status = okr_status(metrics, JOURNEY.okrs[0])
            assert status.current_s == 8 * H
            assert "median working time from Open to Check" in status.sentence

    def test_working_time_needs_calendars(self) -> None:
        """A journey without calendars cannot be measured in working time: one sentence says what to add."""
        bare = journey_from_yaml("""
id: b
name: B
stages: [{id: s, label: S}]
steps: [{id: a, label: A, stage: s}, {id: b, label: B, stage: s}]
transitions: [{from: a, to: b}]
start: a
end: b
""")
        with pytest.raises(JourneyError, match="calendars:"):
            compute_metrics(ticket_log(), bare, time="working")
