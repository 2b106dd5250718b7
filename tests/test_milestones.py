"""Tests for journeymap.log.milestones: one row per case with a date column per step, read as events."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from journeymap import compute_metrics, read_events
from journeymap.log.milestones import as_events
from journeymap.log.readers import read_raw

DAY = 86_400

HR_EXPORT = (
    "Employee ID;Department;Offer signed;Background check done;Laptop shipped;First login\r\n"
    "E1;Sales;01.03.2024;04.03.2024;10.03.2024;11.03.2024\r\n"
    "E2;IT;05.03.2024;;07.03.2024;15.03.2024\r\n"
    "E3;IT;20.03.2024;22.03.2024;;\r\n"
).encode("cp1252")


class TestReading:
    def test_each_filled_date_is_an_event_of_its_column(self):
        """Hand-counted: 3 rows x 4 date columns, 3 cells empty -> 9 events; the cases' durations are
        last - first date (E1 and E2 10 days, E3 2 days)."""
        log = read_events(HR_EXPORT, name="hr.csv")
        assert log.frame.height == 9
        assert log.attributes == ("Department",)
        events = log.frame.sort("case", "ts", "row")
        assert events.filter(pl.col("case") == "E2")["activity"].to_list() == [
            "Offer signed", "Laptop shipped", "First login"]
        assert events.filter(pl.col("case") == "E3")["Department"].to_list() == ["IT", "IT"]
        metrics = compute_metrics(log.frame)
        assert metrics.n_cases == 3 and "First login" in metrics.end_steps
        durations = metrics.cases.set_index("case")["duration_s"]
        assert durations.to_dict() == {"E1": 10 * DAY, "E2": 10 * DAY, "E3": 2 * DAY}
        assert any("one row per case ('Employee ID')" in note and "9 events from 3 rows" in note
                   and "3 empty date cells" in note for note in log.notes)

    def test_same_day_milestones_keep_the_columns_order(self):
        """Dates without a time: two steps of one day follow each other as the columns do."""
        table = pl.DataFrame({"id": ["a"], "Requested": ["2024-05-02"], "Approved": ["2024-05-02"],
                              "Ordered": ["2024-05-01"]})
        events, _, _, _ = as_events(table, "t.csv")
        log = read_events(events.write_csv().encode(), name="t.csv")
        ordered = log.frame.sort("ts", "row")["activity"].to_list()
        assert ordered == ["Ordered", "Requested", "Approved"]

    def test_excel_dates_beside_text_dates(self):
        """A workbook's typed date cells and text dates in another column stack into one column."""
        table = pl.DataFrame({"Case": ["c1", "c2"], "Opened": [dt.date(2024, 1, 1), dt.date(2024, 1, 3)],
                              "Closed": ["2024-01-05", None]})
        events, note, _, _ = as_events(table, "book.xlsx")
        assert events.height == 3 and events.columns == ["Case", "activity", "timestamp"]
        assert "1 empty date cells" in note

    def test_a_sparse_milestone_column_counts_as_a_date_column(self):
        """A step few cases reach (withdrawn) has no date in the first rows; it is still a step."""
        rows = 3000
        table = pl.DataFrame({"id": [f"c{i}" for i in range(rows)], "Offer": ["2024-01-01"] * rows,
                              "Start": ["2024-02-01"] * (rows - 1) + [None],
                              "Withdrawn": [None] * (rows - 1) + ["2024-01-15"]})
        events, _, _, _ = as_events(table, "t.csv")
        assert set(events["activity"]) == {"Offer", "Start", "Withdrawn"}


    def test_an_unreadable_date_is_set_aside_and_counted_by_its_column(self):
        """31.02 is no date: that cell is skipped, counted under its own column's name, and nothing else is."""
        rows = "".join(f"E{i};01.03.2024;{i:02d}.04.2024\r\n" for i in range(1, 21))
        data = ("Employee ID;Offer signed;First login\r\n" + rows + "E99;05.03.2024;31.02.2024\r\n").encode()
        log = read_events(data, name="hr.csv")
        assert log.skipped == {"without a readable date in 'First login'": 1}
        assert log.frame.height == 41 and log.rows_read == 42
        assert log.frame.filter(pl.col("case") == "E99")["activity"].to_list() == ["Offer signed"]


    def test_a_status_column_is_the_employees_not_an_activity(self):
        """'Status' is named like an activity and Department repeats like a case, but the first column is each
        row's own id: the table is a milestone table and Status an attribute of every event of its row."""
        rows = "".join(f"E{i:03d},{['IT', 'Ops', 'Sales'][i % 3]},{'Active' if i % 2 else 'Onboarding'},"
                       f"0{1 + i % 5}/03/2024,1{i % 9}/03/2024,2{i % 8}/03/2024\r\n" for i in range(40))
        data = ("Employee ID,Department,Status,Offer signed,Laptop shipped,First login\r\n" + rows).encode()
        log = read_events(data, name="hires.csv")
        assert (log.roles.case, log.roles.activity) == ("Employee ID", "activity")
        assert log.frame.get_column("case").n_unique() == 40 and log.frame.height == 120
        assert set(log.frame["activity"]) == {"Offer signed", "Laptop shipped", "First login"}
        assert log.attributes == ("Department", "Status")
        assert log.skipped_sentence() == "All 120 date cells read."

    def test_skipped_date_cells_are_counted_as_date_cells(self):
        rows = "".join(f"E{i};01.03.2024;{i:02d}.04.2024\r\n" for i in range(1, 21))
        data = ("Employee ID;Offer signed;First login\r\n" + rows + "E99;05.03.2024;31.02.2024\r\n").encode()
        assert read_events(data, name="hr.csv").skipped_sentence() == (
            "1 of 42 date cells skipped: 1 without a readable date in 'First login'.")

    def test_the_reader_takes_the_columns_the_conversion_made(self):
        """The roles come with the events: the reader does not guess them again from the long table."""
        raw = read_raw(HR_EXPORT, name="hr.csv")
        assert raw.roles is not None and (raw.roles.case, raw.roles.activity, raw.roles.timestamp) == (
            "Employee ID", "activity", "timestamp")
        assert read_raw(HR_EXPORT, name="hr.csv", milestones=False).roles is None


class TestNotAMilestoneTable:
    def test_an_event_log_stays_as_it_is(self, real_data):
        """A log with start and completion times has two date columns and an activity: it is not melted."""
        table = read_raw(real_data / "receipt.csv", name="receipt.csv").frame
        assert as_events(table, "receipt.csv") is None
        log = pl.DataFrame({"case": ["1", "1", "2"], "activity": ["A", "B", "A"],
                            "start": ["2024-01-01 09:00", "2024-01-02 09:00", "2024-01-01 10:00"],
                            "end": ["2024-01-01 10:00", "2024-01-02 11:00", "2024-01-01 12:00"]})
        assert as_events(log, "log.csv") is None

    def test_an_event_log_with_a_row_id_and_three_dates_is_not_one(self):
        """A database export's primary key 'id' never repeats, but the log has an activity and a repeating case."""
        rows = [(i, f"o{i // 3}", ["Ordered", "Packed", "Shipped"][i % 3], f"2024-01-{1 + i % 28:02d} 09:00",
                 f"2024-01-{1 + i % 28:02d} 10:00", "2024-01-01") for i in range(150)]
        log = pl.DataFrame(rows, schema=["id", "order_number", "activity", "started_at", "completed_at", "order_date"],
                           orient="row")
        assert as_events(log, "orders.csv") is None

    def test_a_status_history_with_a_row_key_stays_an_event_log(self):
        """A database table of status changes ("id, issue_id, status, changed_at, created_at, updated_at"):
        its 'status' is the activity, its row key no case id; nor does an event id beside a Ticket column
        make a milestone table of it."""
        rows = [(str(i + 1), str(i // 4), ["new", "open", "closed", "new"][i % 4], f"2024-01-{1 + i % 28:02d} 09:00",
                 "2024-01-01 08:00", f"2024-02-{1 + i % 28:02d} 10:00") for i in range(60)]
        table = pl.DataFrame(rows, schema=["id", "issue_id", "status", "changed_at", "created_at", "updated_at"],
                             orient="row")
        assert as_events(table, "status_changes.csv") is None
        events = table.rename({"id": "event_id", "issue_id": "Ticket"}).with_columns("EV" + pl.col("event_id"))
        assert as_events(events, "audit.csv") is None

    def test_a_table_of_dates_named_status_is_no_case_table(self):
        """No column but dates (one of them named Status): no case id, no milestone table, no error."""
        table = pl.DataFrame({"Status": ["2024-01-01", "2024-01-02"], "Opened": ["2024-01-01", "2024-01-02"],
                              "Closed": ["2024-01-03", "2024-01-04"]})
        assert as_events(table, "t.csv") is None

    def test_one_date_column_or_no_row_id_is_not_one(self):
        assert as_events(pl.DataFrame({"id": ["a", "b"], "Opened": ["2024-01-01", "2024-01-02"]}), "t") is None
        same = pl.DataFrame({"team": ["x", "x"], "Opened": ["2024-01-01", "2024-01-02"],
                             "Closed": ["2024-01-03", "2024-01-04"]})
        assert as_events(same, "t") is None  # no column tells the rows apart: no case id

    def test_a_named_activity_column_reads_the_table_as_an_event_log(self):
        """`--activity` given: the user says it is an event log, whatever its shape."""
        raw = read_raw(HR_EXPORT, name="hr.csv", milestones=False)
        assert raw.frame.height == 3 and "Offer signed" in raw.frame.columns


@settings(max_examples=60, deadline=None)
@given(cells=st.lists(st.lists(st.one_of(st.none(), st.integers(min_value=0, max_value=400)), min_size=2, max_size=5),
                      min_size=1, max_size=30).filter(lambda rows: len({len(r) for r in rows}) == 1))
def test_every_filled_cell_is_one_event_in_its_case(cells):
    """Whatever the table, the events are exactly its filled date cells, each in its own row's case."""
    columns = [f"Step {i}" for i in range(len(cells[0]))]
    base = dt.date(2024, 1, 1)
    table = pl.DataFrame({"id": [f"case {i}" for i in range(len(cells))],
                         **{c: [None if row[j] is None else (base + dt.timedelta(days=row[j])).isoformat()
                                for row in cells] for j, c in enumerate(columns)}},
                         schema={"id": pl.String, **dict.fromkeys(columns, pl.String)})
    found = as_events(table, "t.csv")
    filled = sum(value is not None for row in cells for value in row)
    dated = [j for j in range(len(columns)) if any(row[j] is not None for row in cells)]
    if len(dated) < 2:  # fewer than two steps hold a date: not a milestone table
        assert found is None
        return
    assert found is not None
    events = found[0]
    assert events.height == filled
    for i, row in enumerate(cells):
        mine = events.filter(pl.col("id") == f"case {i}")
        assert mine["activity"].to_list() == [columns[j] for j, value in enumerate(row) if value is not None]


def test_an_ingested_milestone_table_still_counts_date_cells(tmp_path):
    """The folder's manifest keeps what the reading counted, so the app's message stays the same."""
    from journeymap.log.ingest import ingest_log, read_ingested

    ingest_log(read_events(HR_EXPORT, name="hr.csv"), tmp_path / "hr")
    assert read_ingested(tmp_path / "hr").skipped_sentence() == "All 9 date cells read."


def test_a_milestone_table_too_big_as_events_is_refused_with_the_limit_named():
    """9 events x 4 columns = 36 cells: over a limit of 30 the file is refused in one sentence naming the
    file, what it would hold and how to raise the limit; at 36 it reads."""
    from journeymap.core.errors import JourneyError
    from journeymap.log.limits import Limits

    try:
        read_events(HR_EXPORT, name="hr.csv", limits=Limits(milestone_cells=30))
    except JourneyError as error:
        message = str(error)
    else:
        raise AssertionError("the limit was not applied")
    assert message.startswith("hr.csv: read as events, this milestone table (3 rows, 4 date columns, 1 other "
                              "column) would hold 36 cells (the limit is 30 cells)")
    assert "JOURNEYMAP_MAX_MILESTONE_CELLS" in message and "\n" not in message
    assert read_events(HR_EXPORT, name="hr.csv", limits=Limits(milestone_cells=36)).frame.height == 9


def test_the_cli_table_counts_date_cells(tmp_path, capsys):
    """`metrics --format table` of a milestone table says what it skipped in the cells it read."""
    from journeymap.cli.main import main

    path = tmp_path / "hr.csv"
    path.write_bytes(HR_EXPORT)
    assert main(["metrics", str(path), "--format", "table"]) == 0
    assert "3 cases, 9 events, 0 date cells skipped" in capsys.readouterr().out
