"""Calendars in a journey definition: read, written back, and refused with the line and a sentence."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from journeymap.core.errors import JourneyError
from journeymap.journey.calendars import format_hours, parse_hours
from journeymap.journey.definition import journey_from_yaml, journey_to_yaml

BASE = """id: cal
name: Calendars
{head}
stages: [{{id: s, label: S}}]
steps:
  - {{id: a, label: A, stage: s, owner: Red}}
  - {{id: b, label: B, stage: s, owner: Blue{step}}}
transitions: [{{from: a, to: b}}]
start: a
end: b
{tail}
"""


def journey(head: str = "", step: str = "", tail: str = "") -> str:
    return BASE.format(head=head, step=step, tail=tail)


CALENDARS = """calendar: office
calendars:
  - id: office
    timezone: Europe/Berlin
    days: [mon, tue, wed, thu, fri]
    hours: ["09:00-12:00", "13:00-17:00"]
    holidays: {country: DE, subdivision: BE}
    closed: [2026-12-24]
  - id: ny
    timezone: America/New_York
    hours: 08:00-16:00
    holidays: US
owners:
  - {name: Blue, calendar: ny}"""


class TestReading:
    def test_calendars_and_which_step_uses_which(self) -> None:
        """A step's calendar is its own, else its owner's, else the journey's."""
        loaded = journey_from_yaml(journey(CALENDARS, ", target: {p85: 8h, time: working}"))
        office, ny = loaded.calendars
        assert office.hours == ((540, 720), (780, 1020)) and office.days == (0, 1, 2, 3, 4)
        assert (office.holidays, office.subdivision, office.closed) == ("DE", "BE", (dt.date(2026, 12, 24),))
        assert (ny.timezone, ny.hours, ny.holidays) == ("America/New_York", ((480, 960),), "US")
        assert loaded.calendar_of("a") == office and loaded.calendar_of("b") == ny
        assert loaded.step("b").target.time == "working"

    def test_a_step_calendar_wins(self) -> None:
        loaded = journey_from_yaml(journey(CALENDARS, ", calendar: office"))
        assert loaded.calendar_of("b").id == "office"

    def test_written_back_equal(self) -> None:
        """journey_to_yaml keeps calendars, owners, a step's calendar and the time of targets and OKRs."""
        okr = ("okrs:\n  - {name: o, from: a, to: b, statistic: p85, baseline: 3d, target: 2d, time: working}")
        loaded = journey_from_yaml(journey(CALENDARS, ", calendar: office, target: {p85: 8h, time: working}", okr))
        assert journey_from_yaml(journey_to_yaml(loaded)) == loaded

    def test_no_calendars_means_none(self) -> None:
        loaded = journey_from_yaml(journey())
        assert loaded.calendars == () and loaded.calendar_of("a") is None
        assert "calendar" not in journey_to_yaml(loaded)


@pytest.mark.parametrize(("head", "step", "tail", "line", "words"), [
    ("calendars:\n  - {id: x, timezone: Europe/Berln}", "", "", 4, "no time zone"),
    ("calendars:\n  - {id: x, hours: 17:00-09:00}", "", "", 4, "ends before it starts"),
    ("calendars:\n  - {id: x, hours: [09:00-13:00, 12:00-17:00]}", "", "", 4, "overlap"),
    ("calendars:\n  - {id: x, hours: 25:00-26:00}", "", "", 4, "no time of day"),
    ("calendars:\n  - {id: x, holidays: XY}", "", "", 4, "knows no country"),
    ("calendars:\n  - {id: x, holidays: {country: DE, subdivision: ZZ}}", "", "", 4, "not a subdivision of DE"),
    ("calendars:\n  - {id: x, closed: [2026-02-30]}", "", "", 4, "no date"),
    ("calendars:\n  - {id: x}\n  - {id: x}", "", "", 5, "duplicate calendar id"),
    ("calendars:\n  - {id: x, days: [mon, funday]}", "", "", 4, "funday"),
    ("calendar: nowhere\ncalendars:\n  - {id: x}", "", "", 3, "not defined under calendars"),
    ("calendars:\n  - {id: x}", ", calendar: y", "", 8, "'y'"),
    ("calendars:\n  - {id: x}\nowners:\n  - {name: Green, calendar: x}", "", "", 6, "owns no step"),
    ("", ", target: {p85: 8h, time: working}", "", 7, "defines no calendars"),
    ("", "", "okrs:\n  - {name: o, from: a, to: b, statistic: p85, baseline: 3d, target: 2d, time: working}", 12,
     "defines no calendars"),
    ("", ", target: {time: working}", "", 7, "one statistic"),
])
def test_refused_with_line_and_sentence(head: str, step: str, tail: str, line: int, words: str) -> None:
    """A calendar that cannot be used is refused at its line, in one sentence, not at measuring time."""
    with pytest.raises(JourneyError) as raised:
        journey_from_yaml(journey(head, step, tail), source="cal.yaml")
    assert words in str(raised.value)
    assert raised.value.line == line, str(raised.value)
    assert str(raised.value).startswith(f"cal.yaml, line {line}: ")


@given(st.integers(0, 24 * 60 - 1), st.integers(1, 24 * 60))
def test_hours_read_back(start: int, length: int) -> None:
    """Every range of hours written by format_hours reads back the same, or is refused in a sentence."""
    end = start + length
    if end > 24 * 60:
        with pytest.raises(ValueError, match="HH:MM|time of day"):
            parse_hours(f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}")
        return
    assert parse_hours(format_hours((start, end))) == (start, end)
