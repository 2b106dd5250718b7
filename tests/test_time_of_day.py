"""Date and time in two columns (SAP's change date and time, spreadsheets' Date and Time): the time
of day is found beside a date-only timestamp and joined to it; times of day are never a case."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeymap.cli.main import main
from journeymap.core.errors import JourneyError
from journeymap.log.contentroles import detect_table_roles
from journeymap.log.readers import read_events
from journeymap.log.timestamps import clock_times

# Three documents, each created, checked and released; the times make the lead times: document
# 45001 from 23 March 09:15 to 24 March 17:45 (32.5 h), 45002 within 23 March (08:00 to 08:30).
ROWS = [("45001", "Created", "23.03.2026", "09:15:00"), ("45001", "Checked", "23.03.2026", "16:40:00"),
        ("45001", "Released", "24.03.2026", "17:45:00"), ("45002", "Created", "23.03.2026", "08:00:00"),
        ("45002", "Checked", "23.03.2026", "08:10:00"), ("45002", "Released", "23.03.2026", "08:30:00"),
        ("45003", "Created", "25.03.2026", "11:00:00"), ("45003", "Checked", "25.03.2026", "11:00:00"),
        ("45003", "Released", "26.03.2026", "11:00:00")]


def write(tmp_path: Path, rows: list[tuple[str, ...]] = ROWS, header: str = "Document;Activity;Change Date;Change Time",
          encoding: str = "utf-8") -> Path:
    path = tmp_path / "changes.csv"
    path.write_bytes((header + "\n" + "\n".join(";".join(row) for row in rows) + "\n").encode(encoding))
    return path


def times(path: Path, **given: str) -> list[dt.datetime]:
    return pl.from_epoch(read_events(path, **given).frame.sort("row")["ts"], "us").to_list()


def test_found_beside_a_date_only_timestamp(tmp_path: Path) -> None:
    log = read_events(write(tmp_path))
    assert (log.roles.case, log.roles.activity, log.roles.timestamp, log.roles.time_of_day) == (
        "Document", "Activity", "Change Date", "Change Time")
    assert times(write(tmp_path))[:3] == [dt.datetime(2026, 3, 23, 9, 15), dt.datetime(2026, 3, 23, 16, 40),
                                          dt.datetime(2026, 3, 24, 17, 45)]
    assert "Change Time" not in log.attributes


def test_lead_times_come_from_date_and_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Median of 32.5 h, 0.5 h and 24 h is 24 h; with the dates alone it would be 1 d, 0 s and 1 d."""
    assert main(["metrics", str(write(tmp_path)), "--format", "table"]) == 0
    assert "3 cases finished in a median of 1.0 d (p85" in capsys.readouterr().out


def test_a_time_column_is_no_case_even_where_it_repeats(tmp_path: Path) -> None:
    """Times repeat over events (11:00 three times) and have more distinct values than the documents."""
    frame = pl.DataFrame({"a": [r[0] for r in ROWS], "b": [r[1] for r in ROWS], "c": [r[2] for r in ROWS],
                          "d": [r[3] for r in ROWS]})
    roles = detect_table_roles(frame)
    assert (roles.case, roles.timestamp, roles.time_of_day) == ("a", "c", "d")


def test_no_time_column_when_the_timestamp_has_times(tmp_path: Path) -> None:
    rows = [(case, activity, f"{date} {time}", "01:30") for case, activity, date, time in ROWS]
    log = read_events(write(tmp_path, rows, header="Document;Activity;Changed;Duration"))
    assert (log.roles.timestamp, log.roles.time_of_day) == ("Changed", None)
    assert "Duration" in log.attributes


def test_dates_alone_stay_dates(tmp_path: Path) -> None:
    rows = [(case, activity, date, "ann") for case, activity, date, _ in ROWS]
    log = read_events(write(tmp_path, rows, header="Document;Activity;Change Date;User"))
    assert log.roles.time_of_day is None
    assert pl.from_epoch(log.frame.sort("row")["ts"], "us")[0] == dt.datetime(2026, 3, 23)


def test_given_by_option_and_unreadable_times_counted(tmp_path: Path) -> None:
    rows = [*ROWS[:-1], ("45003", "Released", "26.03.2026", "late")]
    path = write(tmp_path, rows, header="Document;Activity;Day;Clock")
    log = read_events(path, time_of_day="Clock")
    assert log.roles.time_of_day == "Clock"
    assert log.skipped == {"without a readable timestamp in 'Day' and 'Clock'": 1}


def test_a_column_of_no_times_is_a_sentence(tmp_path: Path) -> None:
    path = write(tmp_path, header="Document;Activity;Day;User")
    with pytest.raises(JourneyError, match=r"changes.csv: column 'Activity' has no readable times of day \(for "
                                           r"example 'Created'\); times read as 14:05, 14:05:33 or 2:05 PM."):
        read_events(path, time_of_day="Activity", case="Document", activity="User")


def test_cli_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, header="Document;Activity;Day;Clock")
    assert main(["metrics", str(path), "--time-of-day", "Clock", "--format", "table"]) == 0
    assert "3 cases finished in a median of 1.0 d" in capsys.readouterr().out


@pytest.mark.parametrize("value, expected", [
    ("09:15", dt.time(9, 15)), ("9:15:07", dt.time(9, 15, 7)), ("09:15:07.25", dt.time(9, 15, 7, 250000)),
    ("2:05 PM", dt.time(14, 5)), ("12:00 AM", dt.time(0, 0)), ("12:30 p.m.", dt.time(12, 30)),
    ("24:00", None), ("13:00 PM", None), ("09:61", None), ("0915", None), ("late", None),
])
def test_clock_values(value: str, expected: dt.time | None) -> None:
    micros = clock_times(pl.Series([value]))[0]
    got = None if micros is None else (dt.datetime(2000, 1, 1) + dt.timedelta(microseconds=micros)).time()
    assert got == expected


@settings(max_examples=100, deadline=None, database=None)
@given(st.times(), st.sampled_from(["%H:%M:%S", "%H:%M", "%I:%M %p", "%H:%M:%S.%f"]))
def test_clock_round_trip(moment: dt.time, fmt: str) -> None:
    value = moment.strftime(fmt)
    expected = dt.datetime.strptime(value, fmt).time()
    micros = clock_times(pl.Series([value]))[0]
    assert (dt.datetime(2000, 1, 1) + dt.timedelta(microseconds=micros)).time() == expected
