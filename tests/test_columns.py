"""Column roles: names first, then the values (case repeats over time, timestamp parses, activity few-valued)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeymap.core.errors import JourneyError
from journeymap.log.columns import detect_roles
from journeymap.log.contentroles import detect_table_roles
from journeymap.log.readers import read_events, read_table


def roles_of(table: pl.DataFrame, **given: str) -> tuple[str | None, str | None, str | None]:
    roles = detect_table_roles(table, **given)
    return roles.case, roles.activity, roles.timestamp


# A service-desk export as a ticket system writes it: no column carries a name from the usual lists.
SERVICE_DESK = pl.DataFrame({
    "sys_id": [f"a{i:03d}" for i in range(9)],  # one per row: an event id, not a case id
    "number": ["INC001", "INC001", "INC001", "INC002", "INC002", "INC003", "INC003", "INC003", "INC003"],
    "state": ["New", "In Progress", "Resolved", "New", "Resolved", "New", "In Progress", "On Hold", "Resolved"],
    "priority": ["2", "2", "2", "4", "4", "1", "1", "1", "1"],
    "short_description": ["Printer jam"] * 3 + ["VPN down"] * 2 + ["Laptop slow"] * 4,
    "opened_at": ["2024-04-02 08:00"] * 3 + ["2024-04-03 09:00"] * 2 + ["2024-04-04 10:00"] * 4,
    "sys_updated_at": ["23/04/2024 14:05", "24/04/2024 09:10", "25/04/2024 16:00", "23/04/2024 10:00",
                       "26/04/2024 11:30", "24/04/2024 08:00", "24/04/2024 12:00", "29/04/2024 09:00",
                       "30/04/2024 17:45"],
})


class TestByContent:
    def test_service_desk_export(self) -> None:
        """`number` repeats over time (case), `sys_updated_at` differs per event (not `opened_at`), `state` changes."""
        assert roles_of(SERVICE_DESK) == ("number", "state", "sys_updated_at")

    def test_siebel_style_names(self) -> None:
        """'SR Number', 'Status' and 'Change Date+Time' (day-first) are found and read."""
        table = SERVICE_DESK.rename({"number": "SR Number", "state": "Status", "sys_updated_at": "Change Date+Time"})
        assert roles_of(table) == ("SR Number", "Status", "Change Date+Time")
        log = read_events(table.write_csv().encode(), name="sr.csv")
        assert log.frame.height == 9 and log.frame["case"].n_unique() == 3
        assert pl.from_epoch(log.frame["ts"], "us")[0].isoformat() == "2024-04-23T14:05:00"

    def test_process_as_the_case(self) -> None:
        """A case column called 'process' with an 'Activity' and a 'Time stamp' column."""
        table = SERVICE_DESK.select(pl.col("number").alias("process"), pl.col("state").alias("Activity"),
                                    pl.col("sys_updated_at").alias("Time stamp"), "priority")
        assert roles_of(table) == ("process", "Activity", "Time stamp")

    def test_who_did_it_is_not_the_activity(self) -> None:
        """A resource that stays over several events loses to the activity that changes every event."""
        table = pl.DataFrame({
            "ticket": ["T1"] * 4 + ["T2"] * 4,
            "who": ["ann", "ann", "ann", "bob", "bob", "bob", "cy", "cy"],
            "what": ["open", "triage", "fix", "close", "open", "triage", "fix", "close"],
            "at": [f"2024-05-0{d} 10:00" for d in range(1, 9)],
        })
        assert roles_of(table) == ("ticket", "what", "at")

    def test_case_needs_events_at_different_times(self) -> None:
        """An import batch (more distinct values, all its events at one moment) is not the case; the id is."""
        rows = [(f"B{k}", f"R{ref}", f"2024-01-0{k + 1} 08:00") for k in range(6) for ref in (k % 3, (k + 1) % 3)]
        table = pl.DataFrame(rows, schema=["batch", "ref", "when"], orient="row").with_columns(
            pl.Series("step", ["receive", "check", "send", "file"] * 3))
        assert roles_of(table) == ("ref", "step", "when")


class TestNamesFirst:
    def test_bpic_2019_csv_names(self) -> None:
        """The BPI Challenge 2019 CSV writes the XES names after "case " and "event "; "case Item" and
        "event User" stay attributes."""
        columns = ["eventID ", "case Item", "case concept:name", "event User", "event org:resource",
                   "event concept:name", "event time:timestamp"]
        roles = detect_roles(columns)
        assert (roles.case, roles.activity, roles.timestamp) == ("case concept:name", "event concept:name",
                                                                 "event time:timestamp")

    def test_names_win_over_values(self) -> None:
        """Columns found by name are kept even where another column's values would also fit."""
        table = SERVICE_DESK.rename({"number": "case_id"}).with_columns(
            activity=pl.Series(["log", "route", "fix", "log", "fix", "log", "route", "wait", "fix"]))
        assert roles_of(table)[:2] == ("case_id", "activity")

    def test_named_activity_that_never_changes_in_a_case_gives_way(self) -> None:
        """A Jira changelog: "Status" is the issue's status now, the same on every row of an issue; the
        history is in "Changed (to)", which changes from row to row (its word "to" says the new value,
        not "Changed (from)")."""
        flow = ["Open", "In Progress", "In QA", "Blocked", "Done"]
        rows = [(f"OPS-{issue}", flow[-1 - issue % 2], flow[k], flow[k + 1], f"{issue + 1:02d}/Mar/24 {k + 1}:15 PM")
                for issue in range(10) for k in range(4)]
        table = pl.DataFrame(rows, schema=["Issue key", "Status", "Changed (from)", "Changed (to)", "Change date"],
                             orient="row")
        assert roles_of(table) == ("Issue key", "Changed (to)", "Change date")
        assert roles_of(table, activity="Status")[1] == "Status"  # a chosen column is never changed

    def test_an_identifier_name_loses_to_finer_ids(self) -> None:
        """"Customer ID" names an identifier, but each "Ref" belongs to one customer: the Ref is the case. And a
        clerk's "Personalnummer", there all year, is no case beside the "Vorgang" ids that last days."""
        refs = [(f"R-{1000 + case}", activity, f"2024-{case % 12 + 1:02d}-0{k + 1} 10:00", f"K{case % 5:03d}")
                for case in range(30) for k, activity in enumerate(["Open", "Review", "Close"])]
        table = pl.DataFrame(refs, schema=["Ref", "Activity", "Timestamp", "Customer ID"], orient="row")
        assert roles_of(table)[0] == "Ref"
        files = [(f"V{5000 + case}", activity, f"2024-{case % 12 + 1:02d}-{k * 3 + 1:02d} 10:00",
                  str(100 + (case + k) % 8))
                 for case in range(30) for k, activity in enumerate(["Eingang", "Prüfung", "Bescheid"])]
        table = pl.DataFrame(files, schema=["Vorgang", "Aktivität", "Datum", "Personalnummer"], orient="row")
        assert roles_of(table) == ("Vorgang", "Aktivität", "Datum")

    def test_assigned_to_is_who_not_what(self) -> None:
        """ServiceNow's incident event log (Kaggle): "assigned_to" changes on every event, but its "to" is no new
        value; "incident_state" is the activity."""
        states = ["New", "Active", "Active", "Awaiting User Info", "Active", "Active", "Resolved", "Closed"]
        rows = [(f"INC{case:07d}", state, f"Resolver {(case * 5 + k) % 23}", f"Group {case % 4}",
                 f"{k + 1}/3/2016 {case % 12 + 8:02d}:{k * 7:02d}", f"29/2/2016 0{case % 9}:16")
                for case in range(15) for k, state in enumerate(states)]
        table = pl.DataFrame(rows, schema=["number", "incident_state", "assigned_to", "assignment_group",
                                           "sys_updated_at", "opened_at"], orient="row")
        assert roles_of(table) == ("number", "incident_state", "sys_updated_at")

    def test_a_named_activity_that_repeats_stays(self) -> None:
        """A loan's "activity" is Open, Payment twelve times, Close: it rarely changes, but it does, and no
        column named as an activity stands beside it; the payment channel (which changes more) is no activity."""
        rows = [(f"L{case}", activity, f"2024-{month + 1:02d}-0{case % 9 + 1} 10:00", ["online", "branch"][month % 2])
                for case in range(10)
                for month, activity in enumerate(["Open", *["Payment"] * 10, "Close"])]
        table = pl.DataFrame(rows, schema=["case_id", "activity", "timestamp", "channel"], orient="row")
        assert roles_of(table)[1] == "activity"
        log = read_events(table.write_csv().encode(), name="loans.csv")
        assert not any("found from the values" in note for note in log.notes)

    def test_the_note_names_a_named_column_that_gave_way(self) -> None:
        """Jira's "Status" gave way to "Changed (to)": the note says the named column did not fit."""
        flow = ["Open", "In Progress", "In QA", "Blocked", "Done"]
        rows = [(f"OPS-{issue}", "Done", flow[k + 1], f"{issue + 1:02d}/Mar/24 {k + 1}:15 PM")
                for issue in range(10) for k in range(4)]
        table = pl.DataFrame(rows, schema=["Issue key", "Status", "Changed (to)", "Change date"], orient="row")
        note = read_events(table.write_csv().encode(), name="jira.csv").notes[-1]
        assert "the activity from 'Changed (to)'" in note
        assert "where the column named for it ('Status') did not fit" in note

    def test_identifier_name_wins_over_a_code_with_more_values(self) -> None:
        """BPIC13-like: a team code that events share ("Involved ST") has more values in the rows than there
        are service requests; "SR Number" names an identifier and is the case (lead times of days, not months).
        "Agent ID" names who did the work, not the case."""
        rows = [(f"1-{500 + case}", f"G{(case * 7 + k) % 40}", f"A{(case + k) % 30}",
                 f"2024-04-{case + 1:02d} {k + 8}:00", ["Queued", "Accepted", "Completed"][k % 3])
                for case in range(12) for k in range(3)]
        table = pl.DataFrame(rows, schema=["SR Number", "Involved ST", "Agent ID", "Change Date+Time", "Status"],
                             orient="row")
        assert table["Involved ST"].n_unique() > table["SR Number"].n_unique()
        assert roles_of(table)[0] == "SR Number"
        assert roles_of(table.drop("SR Number"))[0] in ("Involved ST", "Agent ID")  # the rule is the name, not luck

    def test_activity_named_column_of_numbers_gives_way(self) -> None:
        """An 'activity' column holding numbers (a code, a count) yields to the text column that changes."""
        table = SERVICE_DESK.rename({"priority": "activity"})
        assert roles_of(table)[1] == "state"

    def test_case_named_column_whose_values_never_repeat_gives_way(self) -> None:
        """An 'id' column with a new value on every row is an event id; the repeating column is the case."""
        table = SERVICE_DESK.rename({"sys_id": "id"})
        assert roles_of(table)[0] == "number"

    def test_timestamp_named_column_that_does_not_parse_gives_way(self) -> None:
        """A 'date' column of words yields to the column that holds the times."""
        table = SERVICE_DESK.with_columns(pl.lit("see notes").alias("date"))
        assert roles_of(table)[2] == "sys_updated_at"

    def test_misnamed_column_is_kept_when_nothing_else_fits(self) -> None:
        """With no better column, the named one stays (so the error about it names it and a value)."""
        table = pl.DataFrame({"case": ["a", "a"], "activity": ["x", "y"], "timestamp": ["soon", "later"]})
        assert roles_of(table) == ("case", "activity", "timestamp")

    def test_xes_activity_of_numbers_stays_the_activity(self) -> None:
        """An XES log whose concept:name is a number (an <int>, or a code) keeps it: the standard says what the
        column is, where an "activity" column of numbers gives way to the resource's names."""
        table = pl.DataFrame({"case:concept:name": ["1"] * 3 + ["2"] * 3, "concept:name": ["10", "20", "30"] * 2,
                              "org:resource": ["Pete", "Sue", "Pete", "Sue", "Pete", "Sue"],
                              "time:timestamp": [f"2024-05-0{d} 10:00" for d in range(1, 7)]})
        assert roles_of(table) == ("case:concept:name", "concept:name", "time:timestamp")

    def test_a_mistyped_case_option_is_one_sentence(self) -> None:
        """--case naming no column says which columns there are (no check of values runs on a missing column)."""
        with pytest.raises(JourneyError, match=r"there is no column 'Nope' for the case; the columns are: sys_id"):
            read_events(SERVICE_DESK.write_csv().encode(), name="desk.csv", case="Nope")

    def test_given_columns_are_never_changed(self) -> None:
        """An explicitly given role stays, even on a column whose values look wrong for it."""
        assert roles_of(SERVICE_DESK, case="sys_id")[0] == "sys_id"
        assert roles_of(SERVICE_DESK, activity="priority")[1] == "priority"


# A ticket log whose times are epoch numbers, as database and JSON exports write them, in a column whose
# name says time but is on no list of timestamp names.
EPOCH_MS = [1709283600000, 1709290800000, 1709377200000, 1709290800000, 1709463600000, 1709550000000]
EPOCH_LOG = pl.DataFrame({"ticket": ["000101"] * 3 + ["000102"] * 3,
                          "event": ["Created", "Assigned", "Resolved"] * 2,
                          "amount": [1700000000, 1700000500, 1700001000, 1700001500, 1700002000, 1700002500],
                          "ts_ms": EPOCH_MS})


class TestFoundByValuesIsSaid:
    def test_a_note_names_the_columns_found_from_values(self) -> None:
        """The service-desk export: every role found from the values, and the note says which columns were read
        and which option changes each."""
        log = read_events(SERVICE_DESK.write_csv().encode(), name="desk.csv")
        assert log.notes == ("read the case from 'number', the activity from 'state', the timestamp from "
                             "'sys_updated_at' (case, activity and timestamp found from the values, as no column "
                             "name said; name another with --case, --activity, --timestamp).",)

    def test_no_note_when_names_or_options_tell(self) -> None:
        """Columns found by their names, or given, need no note; one found by values among them is the only one
        named as guessed."""
        named = SERVICE_DESK.rename({"number": "case_id", "state": "activity", "sys_updated_at": "timestamp"})
        assert read_events(named.write_csv().encode(), name="desk.csv").notes == ()
        given = read_events(SERVICE_DESK.write_csv().encode(), name="desk.csv", case="number", activity="state",
                            timestamp="sys_updated_at")
        assert given.notes == ()
        partly = read_events(SERVICE_DESK.rename({"number": "case_id"}).write_csv().encode(), name="desk.csv",
                             timestamp="sys_updated_at")
        assert "(activity found from the values" in partly.notes[0] and "--activity)" in partly.notes[0]


class TestTimeOfDayBesideDate:
    def test_a_time_column_named_time_joins_the_date(self) -> None:
        """"Date" holds days and "Time" the clock: "Time" is named like a timestamp but holds no dates, and is
        the time of day of the date column, not dropped."""
        table = pl.DataFrame({"Ticket": ["T1", "T1", "T2", "T2"], "Activity": ["open", "close"] * 2,
                              "Date": ["2024-03-04", "2024-03-05", "2024-03-04", "2024-03-04"],
                              "Time": ["09:15", "17:40", "10:00", "16:30"]})
        roles = detect_table_roles(table)
        assert (roles.timestamp, roles.time_of_day) == ("Date", "Time")
        log = read_events(table.write_csv().encode(), name="tickets.csv")
        assert pl.from_epoch(log.frame["ts"], "us")[1].isoformat() == "2024-03-05T17:40:00"


class TestEpochNumbersByName:
    @pytest.mark.parametrize(("name", "scale"), [("ts_ms", 1), ("unix_time", 1000), ("createdAtMs", 1),
                                                 ("Event epoch", 1000)])
    def test_a_time_named_column_of_epoch_numbers_is_the_timestamp(self, name: str, scale: int) -> None:
        """With no column of dates, "ts_ms" (milliseconds) or "unix_time" (seconds) is the timestamp and is read
        as such; the ten-digit "amount" beside it, whose name says no time, is not."""
        table = EPOCH_LOG.with_columns(pl.col("ts_ms") // scale).rename({"ts_ms": name})
        assert roles_of(table) == ("ticket", "event", name)
        log = read_events(table.write_csv().encode(), name="tickets.csv")
        assert log.frame.height == 6 and log.frame["case"].to_list()[:1] == ["000101"]
        assert pl.from_epoch(log.frame["ts"], "us")[0].isoformat() == "2024-03-01T09:00:00"

    def test_numbers_whose_name_says_no_time_are_never_taken(self) -> None:
        """Epoch-sized numbers under a name without a time word ("amount", "ref") stay no timestamp."""
        table = EPOCH_LOG.rename({"ts_ms": "ref"})
        assert roles_of(table)[2] is None

    def test_a_column_of_dates_wins_over_epoch_numbers(self) -> None:
        """Where a column reads as dates, it is the timestamp, even beside a time-named column of numbers."""
        table = EPOCH_LOG.with_columns(changed=pl.Series([f"2024-03-0{d} 10:00" for d in range(1, 7)]))
        assert roles_of(table)[2] == "changed"

    @settings(max_examples=40, deadline=None)
    @given(seconds=st.lists(st.integers(1_000_000_000, 9_999_999_999), min_size=4, max_size=30),
           unit=st.sampled_from([("s", 1), ("ms", 1000)]))
    def test_epoch_numbers_read_back_to_their_moments(self, seconds: list[int], unit: tuple[str, int]) -> None:
        """Any epoch seconds (or milliseconds) from 2001 to 2286 in a column "time_<unit>" are read as the
        moments they count, none skipped."""
        suffix, scale = unit
        table = pl.DataFrame({"case_no": [f"C{i % 3}" for i in range(len(seconds))],
                              "step": [f"s{i % 4}" for i in range(len(seconds))],
                              f"time_{suffix}": [value * scale for value in seconds]})
        log = read_events(table.write_csv().encode(), name="t.csv", case="case_no", activity="step")
        assert log.roles.timestamp == f"time_{suffix}" and not log.skipped
        assert sorted(log.frame["ts"].to_list()) == sorted(value * 1_000_000 for value in seconds)


class TestRealLogsRenamed:
    @pytest.mark.parametrize("names", [
        {"case:concept:name": "process", "concept:name": "state", "time:timestamp": "sys_updated_at"},
        {"case:concept:name": "x1", "concept:name": "x2", "time:timestamp": "x3", "lifecycle:transition": "x4"},
    ])
    def test_receipt_without_its_names(self, real_data: Path, names: dict[str, str]) -> None:
        """On the receipt log, with five other date columns and four other text columns, the values decide."""
        table = read_table(real_data / "receipt.csv", name="receipt.csv").rename(names)
        assert roles_of(table) == tuple(names[c] for c in ("case:concept:name", "concept:name", "time:timestamp"))

    def test_helpdesk_without_its_names(self, real_data: Path) -> None:
        """On the helpdesk log (resources, workgroups, customers beside the activity) the values decide."""
        table = read_table(real_data / "helpdesk.xes.gz", name="helpdesk.xes.gz").rename(
            {"case:concept:name": "SR Number", "concept:name": "what", "time:timestamp": "Change Date+Time"})
        assert roles_of(table) == ("SR Number", "what", "Change Date+Time")
