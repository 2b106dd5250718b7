"""Timestamps: day-first or month-first decided by the values, ambiguous dates refused, a given format winning."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeymap.cli.main import main
from journeymap.core.errors import JourneyError
from journeymap.log.columns import ColumnRoles
from journeymap.log.contentroles import detect_table_roles
from journeymap.log.readers import read_events
from journeymap.log.timestamps import (
    DAY_FIRST,
    MONTH_FIRST,
    AmbiguousDatesError,
    dated_columns,
    day_month,
    epoch_unit,
    parse_timestamps,
    timestamp_share,
)
from journeymap.ui.upload import Upload, ambiguous_dates, read_log


def moments(values: list[str | None], fmt: str | None = None) -> list[dt.datetime | None]:
    return pl.from_epoch(parse_timestamps(pl.Series("t", values), fmt, source="log.csv"), "us").to_list()


def csv_with(*times: str) -> bytes:
    rows = "".join(f"c{i % 2},step{i},{time}\n" for i, time in enumerate(times))
    return ("case,activity,timestamp\n" + rows).encode()


class TestDayOrMonthFirst:
    @pytest.mark.parametrize("values, expected", [
        (["03/04/2024 14:05", "23/04/2024 09:00"], dt.datetime(2024, 4, 3, 14, 5)),  # 23 proves day-first
        (["03/04/2024 14:05", "04/23/2024 09:00"], dt.datetime(2024, 3, 4, 14, 5)),  # 23 proves month-first
        (["03.04.2024", "13.04.2024"], dt.datetime(2024, 4, 3)),  # dots, no time
        (["03-04-24 8:15", "03-30-24 9:00"], dt.datetime(2024, 3, 4, 8, 15)),  # dashes, two-digit year
        (["3/4/99", "31/4/99"], dt.datetime(1999, 4, 3)),  # %y: 69-99 are the 1900s
        (["03/04/2024 14:05:33.250", "13/04/2024 00:00:00"], dt.datetime(2024, 4, 3, 14, 5, 33, 250000)),
        (["04/03/2024 2:05 PM", "04/13/2024 12:00 AM"], dt.datetime(2024, 4, 3, 14, 5)),  # US, 12-hour clock
    ])
    def test_order_from_any_value(self, values: list[str], expected: dt.datetime) -> None:
        """A value with a first field over 12 makes the column day-first, a second field over 12 month-first."""
        assert moments(values)[0] == expected

    def test_proof_may_be_far_down_the_column(self) -> None:
        """The order is decided over every value, not the first rows only."""
        values = ["03/04/2024 10:00"] * 10_000 + ["04/30/2024 10:00"]
        assert moments(values)[0] == dt.datetime(2024, 3, 4, 10, 0)

    def test_same_day_and_month_is_not_ambiguous(self) -> None:
        """01/01 and 02/02 read the same either way, so nothing needs choosing."""
        assert moments(["01/01/2024", "02/02/2024"]) == [dt.datetime(2024, 1, 1), dt.datetime(2024, 2, 2)]

    def test_iso_is_never_ambiguous(self) -> None:
        """Year-first dates are read as they are, offsets converted to UTC."""
        assert moments(["2024-03-04 10:00", "2024-03-05T10:00:00+02:00"]) == [
            dt.datetime(2024, 3, 4, 10, 0), dt.datetime(2024, 3, 5, 8, 0)]
        assert day_month(pl.Series(["2024-03-04", "2024-04-03"])).order is None

    def test_invalid_dates_are_null_not_shifted(self) -> None:
        """31/02 does not roll over into March; it is unreadable (and counted as such by the reader)."""
        assert moments(["31/02/2024", "13/02/2024"]) == [None, dt.datetime(2024, 2, 13)]


class TestAmbiguous:
    def test_library_refuses_and_names_both_formats(self) -> None:
        """03/04/2024-only dates raise naming the file, the column, a value and the two formats to choose."""
        with pytest.raises(AmbiguousDatesError) as caught:
            read_events(csv_with("03/04/2024 14:05", "05/06/2024 09:00"), name="tickets.csv")
        message = str(caught.value)
        assert message.startswith("tickets.csv: column 'timestamp' has dates such as '03/04/2024 14:05'")
        assert "--timestamp-format '%d/%m/%Y %H:%M' (day-first)" in message
        assert "--timestamp-format '%m/%d/%Y %H:%M' (month-first)" in message
        assert caught.value.formats == {DAY_FIRST: "%d/%m/%Y %H:%M", MONTH_FIRST: "%m/%d/%Y %H:%M"}

    def test_formats_follow_the_shape_of_the_values(self) -> None:
        """Dots, two-digit years and seconds give formats of that shape."""
        found = day_month(pl.Series(["03.04.24 10:11:12", "05.06.24 10:11:12"]))
        assert found.order == "ambiguous"
        assert found.formats == {DAY_FIRST: "%d.%m.%y %H:%M:%S", MONTH_FIRST: "%m.%d.%y %H:%M:%S"}

    def test_given_format_wins(self) -> None:
        """With --timestamp-format the values are read that way, ambiguous or not."""
        times = ("03/04/2024 14:05", "05/06/2024 09:00")
        month_first = read_events(csv_with(*times), name="t.csv", timestamp_format="%m/%d/%Y %H:%M")
        assert pl.from_epoch(month_first.frame["ts"], "us")[0] == dt.datetime(2024, 3, 4, 14, 5)
        day_first = read_events(csv_with(*times), name="t.csv", timestamp_format="%d/%m/%Y %H:%M")
        assert pl.from_epoch(day_first.frame["ts"], "us")[0] == dt.datetime(2024, 4, 3, 14, 5)

    def test_given_format_wins_over_the_values(self) -> None:
        """A format that contradicts the values is obeyed: the values it cannot read are counted as skipped."""
        log = read_events(csv_with("03/04/2024 14:05", "23/04/2024 09:00"), name="t.csv",
                          timestamp_format="%m/%d/%Y %H:%M")
        assert log.frame.height == 1 and log.skipped_rows == 1

    def test_contradicting_values_are_refused(self) -> None:
        """A column with 23/04 and 04/23 holds two formats; the error shows one of each."""
        with pytest.raises(JourneyError, match="day-first dates such as '23/04/2024' and month-first ones such as "
                                               "'04/23/2024'"):
            read_events(csv_with("23/04/2024", "04/23/2024"), name="t.csv")

    def test_cli_says_which_option_to_use(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`journeymap metrics` on ambiguous dates exits 1 with the sentence naming --timestamp-format."""
        path = tmp_path / "tickets.csv"
        path.write_bytes(csv_with("03/04/2024 14:05", "05/06/2024 09:00"))
        assert main(["metrics", str(path)]) == 1
        err = capsys.readouterr().err
        assert "tickets.csv: column 'timestamp'" in err and "--timestamp-format '%d/%m/%Y %H:%M'" in err
        assert main(["metrics", str(path), "--timestamp-format", "%d/%m/%Y %H:%M"]) == 0


class TestAppChoice:
    TABLE = pl.DataFrame({"case": ["a", "a", "b"], "activity": ["x", "y", "x"],
                          "timestamp": ["03/04/2024 14:05", "05/04/2024 09:00", "06/04/2024 10:00"]})
    ROLES = ColumnRoles(case="case", activity="activity", timestamp="timestamp")

    def test_column_step_offers_both_readings(self) -> None:
        """The helper behind the column step's choice names the column, an example and each reading."""
        choice = ambiguous_dates(self.TABLE, self.ROLES)
        assert choice is not None and choice.column == "timestamp" and choice.example == "03/04/2024 14:05"
        assert choice.readings == {DAY_FIRST: "3 April 2024 14:05", MONTH_FIRST: "4 March 2024 14:05"}

    def test_the_chosen_format_reads_the_log(self) -> None:
        """Passing the chosen order's format reads the dates that way."""
        choice = ambiguous_dates(self.TABLE, self.ROLES)
        assert choice is not None
        roles = ColumnRoles(**{**self.ROLES.__dict__, "timestamp_format": choice.formats[MONTH_FIRST]})
        log = read_log(Upload("t.csv", b""), self.TABLE, roles)
        assert pl.from_epoch(log.frame["ts"], "us")[0] == dt.datetime(2024, 3, 4, 14, 5)

    def test_no_choice_when_the_values_tell(self) -> None:
        """Day-first proven by a value, ISO dates, or a format already given: nothing to choose."""
        proven = self.TABLE.with_columns(pl.Series("timestamp", ["03/04/2024", "05/04/2024", "23/04/2024"]))
        assert ambiguous_dates(proven, self.ROLES) is None
        iso = self.TABLE.with_columns(pl.Series("timestamp", ["2024-04-03", "2024-04-05", "2024-04-06"]))
        assert ambiguous_dates(iso, self.ROLES) is None
        given = ColumnRoles(**{**self.ROLES.__dict__, "timestamp_format": "%d/%m/%Y %H:%M"})
        assert ambiguous_dates(self.TABLE, given) is None

    def test_unchosen_order_asks_in_the_column_step(self) -> None:
        """Loading without a choice says to choose in the column step (not a command-line option)."""
        with pytest.raises(JourneyError, match="t.csv: the dates in 'timestamp' read day-first or month-first alike; "
                                               "choose which in the column step."):
            read_log(Upload("t.csv", b""), self.TABLE, self.ROLES)


def test_columns_without_a_date_read_as_none() -> None:
    """Detection skips text columns that hold no date's digits anywhere: their timestamp share is 0,
    found in one pass; a column with one such value among words still gets its share counted."""
    frame = pl.DataFrame({"when": ["2024-03-01 10:00", "2024-03-02 11:00"], "what": ["open", "close"],
                          "once": ["n/a", "01/02/2024"], "amount": ["12.50", "3"], "n": [1, 2]})
    assert dated_columns(frame) == {"when", "once"}
    assert all(timestamp_share(frame[c]) == 0.0 for c in set(frame.columns) - dated_columns(frame))
    assert timestamp_share(frame["once"]) == 0.5


class TestMonthNames:
    """Dates that name their month (Jira, Oracle, Excel's long dates) read without a format and
    without the day/month question: the name says which field is the month."""

    @pytest.mark.parametrize("value, expected", [
        ("23/Mar/26 09:18 AM", dt.datetime(2026, 3, 23, 9, 18)),  # Jira's export
        ("02/Dec/26 1:52 PM", dt.datetime(2026, 12, 2, 13, 52)),
        ("23-MAR-2026 09:18:00", dt.datetime(2026, 3, 23, 9, 18)),  # Oracle
        ("23 March 2026", dt.datetime(2026, 3, 23)),
        ("Mar 3, 2026 9:18 AM", dt.datetime(2026, 3, 3, 9, 18)),  # US long date: day 3, not March of day 9
        ("Monday, March 23, 2026", dt.datetime(2026, 3, 23)),
        ("Wed, 2 Dec 2026 13:52:07", dt.datetime(2026, 12, 2, 13, 52, 7)),
        ("2nd Dec 2026", dt.datetime(2026, 12, 2)),
        ("Sept 3, 2026", dt.datetime(2026, 9, 3)),
        ("23/Mar/2026:09:18:00", dt.datetime(2026, 3, 23, 9, 18)),  # web server logs
    ])
    def test_shapes(self, value: str, expected: dt.datetime) -> None:
        assert moments([value]) == [expected]

    def test_impossible_dates_and_other_words_read_as_none(self) -> None:
        assert moments(["31 Feb 2026", "23 Foo 2026", "Mary 3, 2026", "March"]) == [None] * 4

    def test_counted_as_timestamps(self) -> None:
        assert dated_columns(pl.DataFrame({"updated": ["23/Mar/26 09:18 AM"], "status": ["Open"]})) == {"updated"}
        assert timestamp_share(pl.Series(["23/Mar/26 09:18 AM", "24/Mar/26 10:00 PM", "n/a"])) == pytest.approx(2 / 3)

    def test_a_jira_export_is_read_by_its_values(self, tmp_path: Path) -> None:
        path = tmp_path / "jira.csv"
        path.write_text("Issue key,Status,Updated,Assignee\n"
                        "PROJ-1,Open,01/Dec/26 9:00 AM,ann\nPROJ-1,In Progress,01/Dec/26 2:30 PM,ann\n"
                        "PROJ-2,Open,02/Dec/26 8:00 AM,bo\nPROJ-1,Closed,03/Dec/26 11:15 AM,bo\n"
                        "PROJ-2,Closed,02/Dec/26 12:00 PM,bo\n")
        log = read_events(path)
        assert (log.roles.case, log.roles.activity, log.roles.timestamp) == ("Issue key", "Status", "Updated")
        first = log.frame.sort("ts").row(0, named=True)
        assert (first["case"], first["activity"]) == ("PROJ-1", "Open")
        assert pl.from_epoch(log.frame.get_column("ts"), "us").max() == dt.datetime(2026, 12, 3, 11, 15)

    @settings(max_examples=100, deadline=None, database=None)
    # 1970 to 2068: a two-digit year reads as Python's %y does (69-99 are the 1900s).
    @given(st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2068, 12, 31)).map(
        lambda moment: moment.replace(second=0, microsecond=0)),
        st.sampled_from(["%d/%b/%y %I:%M %p", "%d-%b-%Y %H:%M", "%b %d, %Y %I:%M %p", "%A, %B %d, %Y %H:%M",
                         "%d %B %Y %H:%M"]))
    def test_round_trip(self, moment: dt.datetime, fmt: str) -> None:
        value = moment.strftime(fmt)
        assert moments([value]) == [moment], value


class TestEpochNumbers:
    """Times as databases and JSON exports write them: seconds, milliseconds, microseconds or
    nanoseconds since 1970, told apart by their digits, in a column named or chosen as the timestamp."""

    MOMENT = dt.datetime(2026, 3, 23, 9, 18)

    @pytest.mark.parametrize("values, expected", [
        (["1774257480"], [MOMENT]),
        (["1774257480.25", "1774257481"], [MOMENT.replace(microsecond=250000), MOMENT.replace(second=1)]),
        (["1774257480123"], [MOMENT.replace(microsecond=123000)]),
        (["1774257480123456"], [MOMENT.replace(microsecond=123456)]),
        (["1774257480123456789"], [MOMENT.replace(microsecond=123456)]),
    ])
    def test_units_by_their_digits(self, values: list[str], expected: list[dt.datetime]) -> None:
        assert moments(values) == expected

    def test_excel_serial_dates(self) -> None:
        """A CSV saved from a sheet in the General format: days since 1899-12-30, the time a fraction."""
        assert moments(["45376.3875", "45377"]) == [dt.datetime(2024, 3, 25, 9, 18), dt.datetime(2024, 3, 26)]
        assert epoch_unit(pl.Series(["12345", "23456"])) is None  # before 1970: a code, not a date

    def test_integers_typed_as_such(self) -> None:
        parsed = parse_timestamps(pl.Series("t", [1774257480, None]))
        assert pl.from_epoch(parsed, "us").to_list() == [self.MOMENT, None]

    def test_mixed_sizes_are_no_epoch(self) -> None:
        assert epoch_unit(pl.Series(["1774257480", "1774257480123"])) is None
        assert epoch_unit(pl.Series(["123", "456"])) is None
        assert epoch_unit(pl.Series(["1774257480123.5"])) is None  # a fraction only on seconds

    def test_a_named_epoch_column_is_read(self, tmp_path: Path) -> None:
        path = tmp_path / "api.csv"
        path.write_text("id,event,time\nT1,open,1774257480000\nT1,close,1774261080000\nT2,open,1774257490000\n")
        log = read_events(path)
        assert log.roles.timestamp == "time"
        assert sorted(pl.from_epoch(log.frame.get_column("ts"), "us").to_list())[-1] == self.MOMENT.replace(hour=10)

    def test_numbers_are_never_found_as_times_by_their_values(self) -> None:
        frame = pl.DataFrame({"a": ["T1", "T1", "T2", "T2"], "b": ["open", "close", "open", "close"],
                              "c": ["1774257480", "1774261080", "1774257490", "1774261090"]})
        assert detect_table_roles(frame).timestamp is None

    def test_a_wrong_unit_is_a_sentence(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Milliseconds read as seconds land past year 9999: unreadable, said in one sentence."""
        path = tmp_path / "api.csv"
        path.write_text("id,event,time\nT1,open,1774257480000\nT1,close,1774261080000\n")
        assert main(["metrics", str(path), "--timestamp-format", "%s"]) == 1
        assert "api.csv: column 'time' has no readable timestamps (for example '1774257480000')" in \
            capsys.readouterr().err


class TestZoneWords:
    def test_utc_and_gmt_after_the_time_are_the_offset_zero(self) -> None:
        """BigQuery writes '2026-03-23 09:18:00 UTC'."""
        assert moments(["2026-03-23 09:18:00 UTC", "2026-03-23 09:18:00.5 GMT"]) == [
            dt.datetime(2026, 3, 23, 9, 18), dt.datetime(2026, 3, 23, 9, 18, 0, 500000)]

    def test_other_zone_names_get_a_sentence_that_says_why(self, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
        path = tmp_path / "cet.csv"
        path.write_text("case,activity,timestamp\nc1,a,2026-03-23 09:18:00 CET\nc1,b,2026-03-23 10:18:00 CET\n")
        assert main(["metrics", str(path)]) == 1
        err = capsys.readouterr().err
        assert "cet.csv: column 'timestamp' has no readable timestamps (for example '2026-03-23 09:18:00 CET'); " \
               "time-zone names such as 'CET' are not read" in err
        assert main(["metrics", str(path), "--timestamp-format", "%Y-%m-%d %H:%M:%S CET", "--format", "table"]) == 0
        assert "1 case finished in 1.0 h;" in capsys.readouterr().out
