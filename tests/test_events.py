"""Reading event logs: formats, column roles, timestamps, lifecycles, and rows set aside."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from journeymap.core.errors import JourneyError
from journeymap.log.columns import detect_roles
from journeymap.log.readers import read_events

CSV = """case_id,activity,timestamp,department
c1,Apply,2026-03-01T10:00:00+02:00,Sales
c1,Review,2026-03-01T12:30:00+02:00,Sales
c2,Apply,2026-03-02 09:00:00,IT
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


class TestFormats:
    def test_csv_with_offsets_becomes_utc(self, tmp_path: Path) -> None:
        """Offsets are converted to UTC; naive times are taken as UTC; attributes are kept."""
        log = read_events(write(tmp_path, "log.csv", CSV))
        frame = log.frame.sort("row")
        assert frame["ts"].to_list()[:2] == [_us("2026-03-01T08:00:00"), _us("2026-03-01T10:30:00")]
        assert frame["ts"][2] == _us("2026-03-02T09:00:00")
        assert log.attributes == ("department",) and log.skipped_rows == 0

    @pytest.mark.parametrize("sep", [";", "\t", "|"])
    def test_delimiter_is_sniffed(self, tmp_path: Path, sep: str) -> None:
        """Semicolon, tab and pipe files are read without naming the delimiter."""
        log = read_events(write(tmp_path, "log.csv", CSV.replace(",", sep)))
        assert log.frame.height == 3 and log.roles.case == "case_id"

    def test_gzipped_csv(self, tmp_path: Path) -> None:
        """A .csv.gz reads the same as the plain file."""
        path = tmp_path / "log.csv.gz"
        path.write_bytes(gzip.compress(CSV.encode()))
        assert read_events(path).frame.equals(read_events(write(tmp_path, "log.csv", CSV)).frame)

    def test_parquet_with_datetime_column(self, tmp_path: Path) -> None:
        """Parquet with a real timezone-aware datetime column needs no parsing."""
        frame = pl.DataFrame({"Case ID": ["a", "a"], "Activity": ["x", "y"],
                              "Timestamp": pl.Series(["2026-01-01T00:00:00", "2026-01-01T01:00:00"]).str.to_datetime(
                                  time_zone="Europe/Amsterdam")})
        frame.write_parquet(tmp_path / "log.parquet")
        log = read_events(tmp_path / "log.parquet")
        assert log.frame["ts"].to_list() == [_us("2025-12-31T23:00:00"), _us("2026-01-01T00:00:00")]

    def test_excel(self, tmp_path: Path) -> None:
        """An Excel sheet is read with its columns detected."""
        pd.DataFrame({"case": ["a", "a"], "activity": ["x", "y"],
                      "timestamp": pd.to_datetime(["2026-01-01 08:00", "2026-01-01 09:00"])}
                     ).to_excel(tmp_path / "log.xlsx", index=False)
        log = read_events(tmp_path / "log.xlsx")
        assert log.frame["activity"].to_list() == ["x", "y"]
        assert log.frame["ts"][1] - log.frame["ts"][0] == 3600 * 1_000_000

    def test_bytes_with_a_name(self) -> None:
        """An upload (bytes plus file name) reads like the file."""
        log = read_events(CSV.encode(), name="upload.csv")
        assert log.source == "upload.csv" and log.frame.height == 3

    def test_xes_through_read_events(self, real_data: Path) -> None:
        """XES logs get their XES column names detected."""
        log = read_events(real_data / "helpdesk.xes.gz")
        assert (log.roles.case, log.roles.activity, log.roles.timestamp) == (
            "case:concept:name", "concept:name", "time:timestamp")
        assert log.frame.height == 21348


class TestColumns:
    def test_common_spellings_are_detected(self) -> None:
        """XES names and common spellings are recognised; a preferred name wins."""
        roles = detect_roles(["Case ID", "Activity", "Complete Timestamp", "Start Time", "concept:name"])
        assert (roles.case, roles.activity, roles.timestamp, roles.start_timestamp) == (
            "Case ID", "concept:name", "Complete Timestamp", "Start Time")

    def test_explicit_columns_override(self, tmp_path: Path) -> None:
        """Columns given explicitly replace the detected ones."""
        text = "ticket,status,when,activity\nt1,open,2026-01-01,x\n"
        log = read_events(write(tmp_path, "log.csv", text), case="ticket", activity="status", timestamp="when")
        assert log.frame["activity"].to_list() == ["open"]

    def test_missing_timestamp_column(self, tmp_path: Path) -> None:
        """A file with no timestamp column names the file, lists the columns and says what to do."""
        with pytest.raises(JourneyError) as caught:
            read_events(write(tmp_path, "log.csv", "case_id,activity\nc1,x\n"))
        assert "log.csv: no timestamp column" in str(caught.value) and "--timestamp" in str(caught.value)

    def test_named_column_that_does_not_exist(self, tmp_path: Path) -> None:
        """Naming a column the file does not have is an error that lists the columns."""
        with pytest.raises(JourneyError, match="no column 'ts'"):
            read_events(write(tmp_path, "log.csv", CSV), timestamp="ts")


class TestTimestamps:
    def test_day_first_needs_a_format(self, tmp_path: Path) -> None:
        """Day-first dates read correctly once their format is named."""
        text = "case,activity,timestamp\na,x,13/02/2026 09:30\na,y,14/02/2026 10:00\n"
        log = read_events(write(tmp_path, "log.csv", text), timestamp_format="%d/%m/%Y %H:%M")
        assert log.frame["ts"][0] == _us("2026-02-13T09:30:00")

    def test_unparseable_column_names_column_and_example(self, tmp_path: Path) -> None:
        """A column with no readable timestamp names the column and shows a value."""
        text = "case,activity,timestamp\na,x,yesterday\na,y,today\n"
        with pytest.raises(JourneyError) as caught:
            read_events(write(tmp_path, "log.csv", text))
        assert "'timestamp'" in str(caught.value) and "'yesterday'" in str(caught.value)

    def test_bad_rows_are_counted_not_lost(self, tmp_path: Path) -> None:
        """Rows without a case or a readable time are skipped, counted by reason, and the rest kept."""
        text = "case,activity,timestamp\na,x,2026-01-01\n,y,2026-01-02\nb,z,not a date\nb,w,2026-01-03\n"
        log = read_events(write(tmp_path, "log.csv", text))
        assert log.frame.height == 2 and log.rows_read == 4
        assert log.skipped == {"without a case id": 1, "without a readable timestamp in 'timestamp'": 1}
        assert "2 of 4 rows skipped" in log.skipped_sentence()


class TestLifecycle:
    def test_start_and_complete_are_paired(self, tmp_path: Path) -> None:
        """Start events become the start time of the next complete of the same case and activity."""
        text = ("case,activity,timestamp,lifecycle:transition\n"
                "a,x,2026-01-01 08:00,start\na,x,2026-01-01 09:00,complete\n"
                "a,y,2026-01-01 09:30,schedule\na,y,2026-01-01 10:00,complete\n"
                "a,x,2026-01-01 11:00,start\na,x,2026-01-01 12:00,complete\n")
        log = read_events(write(tmp_path, "log.csv", text))
        frame = log.frame.sort("ts")
        assert frame["activity"].to_list() == ["x", "y", "x"]
        assert frame["start"].to_list() == [_us("2026-01-01T08:00:00"), None, _us("2026-01-01T11:00:00")]
        assert log.skipped == {"lifecycle events other than start/complete": 1}

    def test_statuses_in_a_lifecycle_column_are_an_attribute(self, tmp_path: Path) -> None:
        """BPIC 2013's lifecycle:transition holds sub-statuses ("In Progress", "Resolved"): pairing
        would set every event aside; they stay events, the column an attribute, and a note says so."""
        text = ("case:concept:name,concept:name,lifecycle:transition,time:timestamp\n"
                "1-1,Accepted,In Progress,2012-04-01T08:00:00+02:00\n"
                "1-1,Queued,Awaiting Assignment,2012-04-01T09:00:00+02:00\n"
                "1-1,Completed,Resolved,2012-04-02T08:00:00+02:00\n1-1,Completed,Closed,2012-04-03T08:00:00+02:00\n")
        log = read_events(write(tmp_path, "incidents.csv", text))
        assert log.frame.height == 4 and not log.skipped
        assert log.roles.lifecycle is None and "lifecycle:transition" in log.attributes
        assert log.frame.sort("ts")["lifecycle:transition"].to_list()[-1] == "Closed"
        assert log.notes == ("column 'lifecycle:transition' holds statuses (such as 'In Progress'), not start/complete "
                             "lifecycle transitions; it is read as an attribute and every event kept.",)


class TestBadFiles:
    def test_empty_file(self, tmp_path: Path) -> None:
        """An empty file is named and the user told to export it again."""
        with pytest.raises(JourneyError, match="log.csv: the file is empty"):
            read_events(write(tmp_path, "log.csv", ""))

    def test_header_only(self, tmp_path: Path) -> None:
        """A header with no rows is an error, not an empty analysis."""
        with pytest.raises(JourneyError, match="no rows"):
            read_events(write(tmp_path, "log.csv", "case,activity,timestamp\n"))

    def test_broken_parquet(self, tmp_path: Path) -> None:
        """A file that is not what its suffix says gets one sentence naming it."""
        (tmp_path / "log.parquet").write_bytes(b"not parquet at all")
        with pytest.raises(JourneyError, match="log.parquet: could not be read as Parquet"):
            read_events(tmp_path / "log.parquet")

    def test_unbalanced_quote_names_line_and_column(self) -> None:
        """A quote that is never closed is one sentence with the line it opens on and its column, no dump."""
        text = ("case_id,activity,timestamp\nc1,Apply,2026-01-01\nc1,\"Review,2026-01-02\n"
                + "c2,Apply,2026-01-03\n" * 50)
        with pytest.raises(JourneyError) as caught:
            read_events(text.encode(), name="log.csv")
        message = str(caught.value)
        assert message.startswith("log.csv, line 3, column 'activity': a quote (\") opens a value")
        assert "\n" not in message and "c2,Apply" not in message and len(message) < 200

    def test_text_after_a_closing_quote_names_its_line(self) -> None:
        """A quoted value followed by more text is named by line and column."""
        text = 'case_id,activity,timestamp\nc1,Apply,2026-01-01\nc1,"Re"view,2026-01-02\n'
        with pytest.raises(JourneyError, match=r"^log\.csv, line 3, column 'activity': a quote"):
            read_events(text.encode(), name="log.csv")

    def test_quote_inside_a_value_is_text(self) -> None:
        """A quote in the middle of an unquoted value (5" screen) is part of the value, as Excel reads it."""
        text = 'case_id,activity,timestamp\nc1,Order 5" screen,2026-01-01\nc1,Ship,2026-01-02\n'
        assert read_events(text.encode(), name="log.csv").frame["activity"].to_list() == ['Order 5" screen', "Ship"]

    def test_ragged_row_names_its_line(self) -> None:
        """A row with more values than the header names its line and the delimiter to check."""
        text = "case_id,activity,timestamp\nc1,Apply,2026-01-01\nc1,Review,extra,2026-01-02\n"
        with pytest.raises(JourneyError, match=r"^log\.csv, line 3: 4 values where the header has 3 columns; "
                                               r"check that the delimiter is ','"):
            read_events(text.encode(), name="log.csv")

    def test_line_numbers_count_quoted_line_breaks(self) -> None:
        """A value spanning two lines moves the line numbers of the rows after it."""
        text = 'case_id,activity,timestamp\nc1,"Apply\nonline",2026-01-01\nc1,Review,x,2026-01-02\n'
        with pytest.raises(JourneyError, match=r"^log\.csv, line 4: "):
            read_events(text.encode(), name="log.csv")

    def test_delimiter_after_every_row_is_no_extra_value(self) -> None:
        """Rows that end with a delimiter the header lacks read as if it were not there."""
        text = "case_id,activity,timestamp\nc1,Apply,2026-01-01,\nc1,Review,2026-01-02,\n"
        log = read_events(text.encode(), name="log.csv")
        assert log.frame["activity"].to_list() == ["Apply", "Review"] and log.skipped_rows == 0

    def test_missing_file(self, tmp_path: Path) -> None:
        """A path that does not exist is named."""
        with pytest.raises(JourneyError, match="no such file"):
            read_events(tmp_path / "nope.csv")


def _us(iso: str) -> int:
    return int(pd.Timestamp(iso, tz="UTC").value // 1000)


def test_upload_bytes_helper_is_plain_io() -> None:
    """read_events takes bytes, not a file object: callers read uploads themselves."""
    with pytest.raises(TypeError):
        read_events(io.BytesIO(CSV.encode()))  # type: ignore[arg-type]


class TestSequenceColumn:
    """Celonis writes `_SORTING`, the order of a case's events, beside times that often tie (a date, a batch)."""

    DATA = ("_CASE_KEY;ACTIVITY_DE;EVENTTIME;_SORTING\n"
            "K1;Zahlung durchgeführt;2024-03-01;3\nK1;Bestellanforderung angelegt;2024-03-01;1\n"
            "K1;Bestellung angelegt;2024-03-01;2\nK2;Bestellung angelegt;2024-03-02;20\n"
            "K2;Bestellanforderung angelegt;2024-03-02;10\n").encode()

    def test_events_at_one_moment_follow_the_sequence(self) -> None:
        log = read_events(self.DATA, name="celonis.csv")
        ordered = log.frame.sort("case", "ts", "row")
        assert ordered.filter(pl.col("case") == "K1")["activity"].to_list() == [
            "Bestellanforderung angelegt", "Bestellung angelegt", "Zahlung durchgeführt"]
        assert ordered.filter(pl.col("case") == "K2")["activity"].to_list()[0] == "Bestellanforderung angelegt"
        assert "events of a case at the same moment are taken in the order of '_SORTING'." in log.notes
        assert log.roles.activity == "ACTIVITY_DE"

    def test_a_sequence_of_other_than_whole_numbers_is_not_used(self) -> None:
        """"_SORTING" of text leaves the file's order, and no note claims otherwise."""
        log = read_events(self.DATA.replace(b";3\n", b";c\n"), name="celonis.csv")
        assert log.frame.sort("case", "ts", "row").filter(pl.col("case") == "K1")["activity"][0] == (
            "Zahlung durchgeführt")
        assert not any("_SORTING" in note for note in log.notes)


class TestFieldAudits:
    """ServiceNow's sys_audit: a row per changed field; only the state's rows are the journey's events."""

    DATA = (b"documentkey,fieldname,oldvalue,newvalue,sys_created_on,user\n"
            b"a1,state,,New,2024-03-01 09:00,admin\na1,priority,,2,2024-03-01 09:00,admin\n"
            b"a1,state,New,In Progress,2024-03-02 10:00,beth\na1,assigned_to,,beth.anglin,2024-03-02 10:00,admin\n"
            b"a1,state,In Progress,Closed,2024-03-04 10:00,beth\na2,state,,New,2024-03-01 11:00,admin\n"
            b"a2,work_notes,,called back,2024-03-01 12:00,joe\na2,state,New,Closed,2024-03-03 11:00,joe\n")

    def test_only_status_changes_are_events_and_the_rest_is_counted(self) -> None:
        log = read_events(self.DATA, name="sys_audit.csv", case="documentkey", activity="newvalue",
                          timestamp="sys_created_on")
        assert sorted(set(log.frame["activity"])) == ["Closed", "In Progress", "New"]
        assert log.frame.height == 5 and log.rows_read == 8
        assert log.skipped == {"changes of fields other than 'state' in 'fieldname' ('assigned_to', 'priority', "
                               "'work_notes')": 3}

    def test_an_event_log_with_a_field_column_is_no_audit(self) -> None:
        """A CRM log's own "field" column (which field an "Field updated" event changed) beside its activity
        column: no new-value activity, no old-value column, so every event stays."""
        data = (b"case,activity,field,timestamp\nL1,Lead created,,2024-03-01 09:00\nL1,Field updated,Status,"
                b"2024-03-02 09:00\nL1,Field updated,Owner,2024-03-03 09:00\nL1,Won,,2024-03-04 09:00\n")
        log = read_events(data, name="crm.csv")
        assert log.frame.height == 4 and not log.skipped

    def test_a_field_column_without_a_status_field_changes_nothing(self) -> None:
        """A "field" column of other values (a farm's fields, say) is an attribute like any other."""
        data = self.DATA.replace(b",state,", b",north,")
        log = read_events(data, name="audit.csv", case="documentkey", activity="newvalue",
                          timestamp="sys_created_on")
        assert log.frame.height == 8 and not log.skipped


def _sheet(rows: list[list[object]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class TestGroupedIds:
    """A report writes a case's id on its first row only (merged cells in Excel)."""

    DATA = (b"Claim ID,Activity,Timestamp,Handler,Problem ID\n"
            b"CL-1,Claim received,2024-03-02 10:00,Ben,\n,Documents checked,2024-03-04 09:00,Cid,P-7\n"
            b",Claim closed,2024-03-06 12:00,Ann,\nCL-2,Claim received,2024-03-03 10:00,Ann,\n"
            b",Claim closed,2024-03-05 10:00,Ben,P-9\n")

    def test_the_id_is_filled_down_and_said(self) -> None:
        rows = [[value or None for value in line.split(",")] for line in self.DATA.decode().splitlines()]
        log = read_events(_sheet(rows), name="claims.xlsx", case="Claim ID")
        assert log.frame["case"].to_list() == ["CL-1"] * 3 + ["CL-2"] * 2 and not log.skipped
        assert log.notes[0] == ("'Claim ID' is written on the first row of each case only (merged or grouped "
                                "cells): the 3 rows under an id take it, up to the next one.")
        assert log.frame["Problem ID"].null_count() == 3  # an attribute further right is never filled

    def test_ids_that_repeat_are_left_as_they_are(self) -> None:
        """Blanks in a column whose ids repeat are rows without a case id: set aside and counted."""
        data = self.DATA.replace(b"\n,Claim closed,2024-03-06", b"\nCL-1,Claim closed,2024-03-06")
        rows = [[value or None for value in line.split(",")] for line in data.decode().splitlines()]
        log = read_events(_sheet(rows), name="claims.xlsx", case="Claim ID")
        assert log.skipped == {"without a case id": 2} and not any("first row" in n for n in log.notes)

    def test_a_csv_keeps_its_blanks(self) -> None:
        """In a CSV an invoice number on the "Receive invoice" rows only is no grouped case id: the PO is the case."""
        data = (b"Invoice No,PO,Activity,Timestamp\nINV-1,PO-1,Receive invoice,2024-12-22 10:00\n"
                b",PO-1,Receive goods,2024-12-21 10:00\n,PO-1,Create PO,2024-12-20 10:00\n"
                b",PO-2,Pay,2024-12-16 13:35\nINV-2,PO-2,Receive invoice,2024-12-15 10:00\n"
                b",PO-2,Create PO,2024-12-10 10:00\n")
        log = read_events(data, name="p2p.csv", case="PO")
        assert log.frame["Invoice No"].null_count() == 4 and not any("first row" in n for n in log.notes)


def test_work_begun_and_not_done_is_placed_at_its_start() -> None:
    """A deal's current stage has a start and no end yet: it stays, at its start, and a note says so."""
    data = (b"deal,stage,entered,exited\nD1,Qualified,2024-03-01 09:00,2024-03-04 09:00\n"
            b"D1,Proposal,2024-03-04 09:00,\nD2,Qualified,2024-03-02 09:00,2024-03-03 09:00\n")
    log = read_events(data, name="deals.csv", case="deal", activity="stage", start_timestamp="entered",
                      timestamp="exited")
    assert log.frame.height == 3 and not log.skipped
    proposal = log.frame.filter(pl.col("activity") == "Proposal")
    assert proposal["ts"].to_list() == proposal["start"].to_list()
    assert "1 event with a start in 'entered' and no end yet (still under way) is placed at its start." in log.notes


def test_a_log_of_one_activity_says_so() -> None:
    """Every event "page_view": the note names the column and how to choose another; two activities draw none."""
    data = b"session,event,page,timestamp\ns1,page_view,/home,2024-03-01 09:00\ns1,page_view,/cart,2024-03-01 09:05\n"
    log = read_events(data, name="clicks.csv", case="session", activity="event")
    assert ("every event's activity in 'event' is 'page_view', so the journey has one step; if another column says "
            "what happened (a page, a status), name it with --activity.") in log.notes
    other = read_events(data.replace(b"s1,page_view,/cart", b"s1,add_to_cart,/cart"), name="c.csv", case="session",
                        activity="event")
    assert not any("one step" in note for note in other.notes)


def test_an_end_that_cannot_be_read_is_no_work_under_way() -> None:
    """"#VALUE!" in the end column is an end that cannot be read: the row is set aside and counted, not kept."""
    data = (b"deal,stage,entered,exited\nD1,Qualified,2024-03-01 09:00,#VALUE!\n"
            b"D1,Proposal,2024-03-04 09:00,2024-03-05 09:00\n")
    log = read_events(data, name="deals.csv", case="deal", activity="stage", start_timestamp="entered",
                      timestamp="exited")
    assert log.skipped == {"without a readable timestamp in 'exited'": 1} and log.frame.height == 1


def test_a_header_with_unnamed_columns_is_no_group_row() -> None:
    """Names, then two unnamed columns, over rows of text in every cell: the names are the header."""
    rows = [["case", "activity", "timestamp", None, None],
            *[[f"c{i // 2}", f"step {i % 2}", f"2024-03-0{i % 2 + 1} 10:00", "x", "y"] for i in range(6)]]
    log = read_events(_sheet(rows), name="log.xlsx")
    assert log.frame.height == 6 and not any("groups the header" in note for note in log.notes)
