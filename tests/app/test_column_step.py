"""The Data page's column step: roles found from the values, a day-first/month-first choice where dates can't tell."""

from __future__ import annotations

import datetime as dt

import polars as pl
from app_driver import drafting, no_exception

from journeymap.ui.data import SOURCES_KEY

# Dates that read both ways (no day over 12), under names no list of column names knows.
AMBIGUOUS = "\n".join(["number,state,sys_updated_at,priority"] + [
    f"INC{i:03d},{state},0{day}/0{month}/2024 1{i % 10}:05,{i % 3}"
    for i in range(6) for (day, month), state in zip(((1, 3), (2, 3), (5, 4)), ("New", "In Progress", "Resolved"))
]).encode()


def widget(widgets, suffix: str):
    return next(w for w in widgets if w.key and w.key.startswith("jm_roles_") and w.key.endswith(suffix))


class TestColumnStep:
    def test_roles_found_from_values_are_preselected(self) -> None:
        """number / state / sys_updated_at are preselected as case, activity and timestamp."""
        at = drafting("incidents.csv", AMBIGUOUS)
        assert [widget(at.selectbox, f"_{role}").value for role in ("case", "activity", "timestamp")] == [
            "number", "state", "sys_updated_at"]

    def test_ambiguous_dates_ask_for_a_choice(self) -> None:
        """Until day-first or month-first is chosen the events are not read, and the page says where to choose."""
        at = drafting("incidents.csv", AMBIGUOUS)
        choice = widget(at.radio, "_day_month")
        assert choice.value is None
        assert choice.options == ["day-first: 1 March 2024 10:05", "month-first: 3 January 2024 10:05"]
        assert any("choose which in the column step" in e.value for e in at.error)

    def test_the_choice_reads_the_dates_that_way(self) -> None:
        """Choosing month-first reads 01/03/2024 as 3 January and the map opens."""
        at = drafting("incidents.csv", AMBIGUOUS)
        widget(at.radio, "_day_month").set_value("month-first").run()
        no_exception(at)
        assert not at.error
        at.button(key="jm_load").click().run()
        no_exception(at)
        log = at.session_state[SOURCES_KEY]["upload-1"].log
        first = pl.from_epoch(log.frame.sort("row")["ts"], "us")[0]
        assert first == dt.datetime(2024, 1, 3, 10, 5)


# An SAP-like export: the change date and its time in two columns, German names, day-first dates.
SPLIT = "\n".join(["Belegnummer;Aktivität;Änderungsdatum;Uhrzeit"] + [
    f"4500{i};{activity};2{k}.03.2026;1{k}:{i}5:00"
    for i in range(4) for k, activity in enumerate(("Angelegt", "Geprüft", "Freigegeben"))
]).encode("cp1252")


class TestTimeOfDay:
    def test_the_time_column_is_preselected_and_read(self) -> None:
        """Belegnummer / Aktivität / Änderungsdatum + Uhrzeit are preselected; loading joins date and time."""
        at = drafting("cdhdr.csv", SPLIT)
        assert [widget(at.selectbox, f"_{role}").value for role in ("case", "activity", "timestamp", "time_of_day")
                ] == ["Belegnummer", "Aktivität", "Änderungsdatum", "Uhrzeit"]
        at.button(key="jm_load").click().run()
        no_exception(at)
        log = at.session_state[SOURCES_KEY]["upload-1"].log
        assert pl.from_epoch(log.frame.sort("row")["ts"], "us")[0] == dt.datetime(2026, 3, 20, 10, 5)
