"""Property tests: the readers give the right events or one JourneyError, never another exception.

Valid logs written in any encoding, delimiter, line ending and date style read back to the events
they were written from; damaged CSV, XES and gzip bytes give a result or a JourneyError.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from xml.sax.saxutils import quoteattr

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from journeymap.core.errors import JourneyError
from journeymap.log.eventlog import EventLog
from journeymap.log.readers import read_events, read_table
from journeymap.log.timestamps import AmbiguousDatesError

SETTINGS = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
# Words as Western exports carry them, cp1252-encodable (a code page cannot be told from random text).
WORDS = ["Apply", "Review", "Prüfung", "Übergabe an Büro", "Café crème", "Größe prüfen", "façade", "Niño",
         "Smørrebrød", "naïve", "résumé", "Ärger", "5 € fee", "“quoted” step", "dash – step", "a, b",
         'say "hi"', "semi;colon", "pipe|step", "tab\tstep", "two\nlines"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom", "cp1252"]
STYLES = {"iso": "%Y-%m-%d %H:%M:%S", "iso-t": "%Y-%m-%dT%H:%M:%SZ", "day-first": "%d/%m/%Y %H:%M",
          "month-first": "%m/%d/%Y %H:%M", "dots": "%d.%m.%Y %H:%M"}
MOMENTS = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2060, 12, 31)).map(
    lambda moment: moment.replace(second=0, microsecond=0))


@st.composite
def logs(draw: st.DrawFn) -> list[tuple[str, str, dt.datetime]]:
    """Events (case, activity, moment) of a few cases with two or more events each."""
    n_cases = draw(st.integers(1, 5))
    events = []
    for number in range(n_cases):
        for _ in range(draw(st.integers(2, 4))):
            events.append((f"C-{number}", draw(st.sampled_from(WORDS)), draw(MOMENTS)))
    return events


def encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-16-be-bom":
        return b"\xfe\xff" + text.encode("utf-16-be")
    return text.encode(encoding)


def as_csv(events: list[tuple[str, str, dt.datetime]], sep: str, newline: str, style: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator=newline, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(["case_id", "activity", "timestamp"])
    for case, activity, moment in events:
        writer.writerow([case, activity, moment.strftime(STYLES[style])])
    return out.getvalue()


def runs_backwards(moments: list[dt.datetime]) -> bool:
    """Whether rows at these moments run newest first, as the readers decide it: adjacent rows go back in time
    at least twice, and more than twice as often as forward."""
    forward = sum(b > a for a, b in zip(moments, moments[1:]))
    backward = sum(b < a for a, b in zip(moments, moments[1:]))
    return backward >= 2 and backward > 2 * forward


def only_journey_errors(read) -> EventLog | None:
    """Call a reader: its result, None for a JourneyError; any other exception fails the test."""
    try:
        return read()
    except JourneyError as error:
        assert str(error).strip() and len(str(error)) < 700, "a short sentence, not a dump"
        return None


class TestRoundTrip:
    @SETTINGS
    @given(events=logs(), encoding=st.sampled_from(ENCODINGS), sep=st.sampled_from([",", ";", "\t", "|"]),
           newline=st.sampled_from(["\n", "\r\n"]), style=st.sampled_from(sorted(STYLES)),
           compress=st.booleans())
    def test_written_log_reads_back(self, events: list[tuple[str, str, dt.datetime]], encoding: str, sep: str,
                                    newline: str, style: str, compress: bool) -> None:
        """Any encoding, delimiter, line ending and date style gives back the events as written.

        Day/month dates that no value tells apart (every day and month 12 or under, not all equal)
        must be refused as ambiguous instead.
        """
        data = encode(as_csv(events, sep, newline, style), encoding)
        name = "log.csv.gz" if compress else "log.csv"
        if compress:
            data = gzip.compress(data)
        numeric = style in ("day-first", "month-first", "dots")
        tells = any(moment.day > 12 for _, _, moment in events) or all(m.day == m.month for _, _, m in events)
        if numeric and not tells:
            with pytest.raises(AmbiguousDatesError):
                read_events(data, name=name)
            return
        log = read_events(data, name=name)
        backwards = runs_backwards([moment for _, _, moment in events])
        assert any("newest first" in note for note in log.notes) == backwards
        frame = log.frame.sort("row", descending=backwards)  # `row` counts from the end of a newest-first file
        assert frame["case"].to_list() == [case for case, _, _ in events]
        assert frame["activity"].to_list() == [activity.strip() for _, activity, _ in events]
        written = [moment.replace(tzinfo=dt.UTC) for _, _, moment in events]
        assert pl.from_epoch(frame["ts"], "us").dt.replace_time_zone("UTC").to_list() == written
        assert log.skipped_rows == 0


class TestDamagedInput:
    @SETTINGS
    @given(data=st.binary(max_size=400), suffix=st.sampled_from(["csv", "txt", "tsv", "csv.gz", "xes", "xes.gz",
                                                                   "parquet", "xlsx"]))
    def test_random_bytes(self, data: bytes, suffix: str) -> None:
        """Arbitrary bytes under any supported name read or raise a JourneyError."""
        only_journey_errors(lambda: read_events(data, name=f"random.{suffix}"))

    @SETTINGS
    @given(events=logs(), cuts=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 8),
                                                  st.sampled_from(['"', ",", ";", "\n", "\r", "\0", "\ufeff", "é",
                                                                   "\\", "", "\t", "'"])), min_size=1, max_size=4),
           encoding=st.sampled_from(ENCODINGS))
    def test_damaged_csv(self, events: list[tuple[str, str, dt.datetime]],
                         cuts: list[tuple[int, int, str]], encoding: str) -> None:
        """A CSV with text cut out and quotes, delimiters or line breaks put in reads or raises a JourneyError."""
        text = as_csv(events, ",", "\n", "iso")
        for at, length, insert in cuts:
            at %= len(text) + 1
            text = text[:at] + insert + text[at + length:]
        data = encode(text, encoding) if encoding != "cp1252" else text.encode("cp1252", errors="replace")
        log = only_journey_errors(lambda: read_events(data, name="damaged.csv"))
        if log is not None:
            assert log.frame.height + log.skipped_rows <= log.rows_read

    @SETTINGS
    @given(events=logs(), cut=st.integers(0, 10_000), length=st.integers(0, 40),
           insert=st.sampled_from(["", "<", ">", "&", '"', "<event>", "</trace>", "&bogus;", "\0", "<!--"]),
           compress=st.booleans())
    def test_damaged_xes(self, events: list[tuple[str, str, dt.datetime]], cut: int, length: int, insert: str,
                         compress: bool) -> None:
        """An XES log with a slice cut out or markup put in reads or raises a JourneyError."""
        text = as_xes(events)
        cut %= len(text) + 1
        data = (text[:cut] + insert + text[cut + length:]).encode()
        data = gzip.compress(data) if compress else data
        only_journey_errors(lambda: read_events(data, name="damaged.xes.gz" if compress else "damaged.xes"))

    @SETTINGS
    @given(events=logs(), cut=st.integers(0, 10_000), flip=st.binary(min_size=1, max_size=8))
    def test_damaged_gzip(self, events: list[tuple[str, str, dt.datetime]], cut: int, flip: bytes) -> None:
        """A gzip CSV with bytes overwritten or cut short reads or raises a JourneyError."""
        data = bytearray(gzip.compress(as_csv(events, ",", "\n", "iso").encode()))
        cut %= len(data)
        data[cut:cut + len(flip)] = flip
        only_journey_errors(lambda: read_table(bytes(data), name="damaged.csv.gz"))
        only_journey_errors(lambda: read_table(bytes(data[:cut]), name="cut.csv.gz"))


def as_xes(events: list[tuple[str, str, dt.datetime]]) -> str:
    traces: dict[str, list[str]] = {}
    for case, activity, moment in events:
        traces.setdefault(case, []).append(
            f"<event><string key='concept:name' value={quoteattr(activity)}/>"
            f"<date key='time:timestamp' value='{moment.isoformat()}'/></event>")
    body = "".join(f"<trace><string key='concept:name' value='{case}'/>{''.join(items)}</trace>\n"
                   for case, items in traces.items())
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<log xmlns="http://www.xes-standard.org/">\n{body}</log>\n'


def test_xes_round_trip_sample() -> None:
    """The XES the damage tests start from reads back to its events (so damage is what they test)."""
    events = [("C-1", "Prüfung", dt.datetime(2024, 1, 2, 10, 0)), ("C-1", 'say "hi"', dt.datetime(2024, 1, 3))]
    frame = read_events(as_xes(events).encode(), name="ok.xes").frame
    assert frame["activity"].to_list() == ["Prüfung", 'say "hi"'] and frame["case"].to_list() == ["C-1", "C-1"]


def _expected(events: list[tuple[str, str, dt.datetime]]) -> list[tuple[str, str, int]]:
    epoch = dt.datetime(1970, 1, 1)
    return sorted((case, activity.strip(), (moment - epoch) // dt.timedelta(microseconds=1))
                  for case, activity, moment in events)


def _read_back(log: EventLog) -> list[tuple[str, str, int]]:
    return sorted(zip(log.frame["case"].to_list(), log.frame["activity"].to_list(), log.frame["ts"].to_list()))


@SETTINGS
@given(logs(), st.integers(0, 2), st.integers(0, 3), st.booleans(), st.booleans())
def test_excel_sheets_read_back_to_their_events(events: list[tuple[str, str, dt.datetime]], others: int,
                                                blanks: int, title: bool, groups: bool) -> None:
    """Events on one sheet among empty and unrelated ones read back exactly, times as Excel stores them,
    with or without a title and blank rows above the header (said in a note when there is a title), and
    with or without a group row over the header ("Case", "", "Event")."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Events"
    if title:
        book.active.append(["Onboarding export – all sites"])
    for _ in range(blanks):
        book.active.append([])
    if groups:
        book.active.append(["Case", None, "Event"])
    book.active.append(["case", "activity", "timestamp"])
    for row in events:
        book.active.append(list(row))
    for number in range(others):  # a notes sheet and an empty one: not the events, never read as them
        extra = book.create_sheet(f"Other {number}")
        if number == 0:
            extra.append(["written by", "when"])
            extra.append(["someone", "today"])
    buffer = io.BytesIO()
    book.save(buffer)
    log = read_events(buffer.getvalue(), name="log.xlsx")
    assert _read_back(log) == _expected(events)
    said = [note for note in log.notes if "header" in note]
    header = 1 + blanks + title  # the row of the names, or of the group row over them
    assert said == ([f"sheet 'Events': the rows above the header on row {header} (a title: 'Onboarding "
                     "export – all sites') were left out."] if title else []) + (
        [f"sheet 'Events': row {header} ('Case', 'Event') groups the header's columns; the header is row "
         f"{header + 1}."] if groups else [])


@SETTINGS
@given(logs(), st.sampled_from(["text", "datetime"]), st.booleans())
def test_parquet_reads_back_to_its_events(events: list[tuple[str, str, dt.datetime]], kind: str, nested: bool
                                          ) -> None:
    """Parquet with text or datetime timestamps (and a list column beside) reads back to its events."""
    times = [moment if kind == "datetime" else moment.isoformat(sep=" ") for _, _, moment in events]
    frame = pl.DataFrame({"case": [e[0] for e in events], "activity": [e[1] for e in events], "timestamp": times})
    if nested:
        frame = frame.with_columns(pl.Series("tags", [[len(e[1]), 1] for e in events]))
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    log = read_events(buffer.getvalue(), name="log.parquet")
    assert _read_back(log) == _expected(events)
    assert bool([note for note in log.notes if "lists or structs" in note]) == nested  # the list column's note


def _valid(kind: str) -> bytes:
    buffer = io.BytesIO()
    frame = pl.DataFrame({"case": ["c1", "c1", "c2"], "activity": ["a", "b", "a"],
                          "timestamp": ["2024-01-01 10:00", "2024-01-02 10:00", "2024-01-03 10:00"]})
    if kind == "parquet":
        frame.write_parquet(buffer)
    else:
        import openpyxl

        book = openpyxl.Workbook()
        for row in [frame.columns, *frame.rows()]:
            book.active.append(list(row))
        book.save(buffer)
    return buffer.getvalue()


VALID = {kind: _valid(kind) for kind in ("parquet", "xlsx")}


@SETTINGS
@given(st.sampled_from(sorted(VALID)), st.data())
def test_damaged_workbooks_and_parquet_give_a_sentence(kind: str, data: st.DataObject) -> None:
    """Cut short or with bytes changed, an .xlsx or .parquet reads or gives one JourneyError; nothing else."""
    content = bytearray(VALID[kind])
    if data.draw(st.booleans(), label="truncate"):
        content = content[: data.draw(st.integers(1, len(content) - 1), label="length")]
    for _ in range(data.draw(st.integers(1, 8), label="changes")):
        content[data.draw(st.integers(0, len(content) - 1))] = data.draw(st.integers(0, 255))
    try:
        read_events(bytes(content), name=f"log.{kind}")
    except JourneyError as error:
        assert "\n" not in str(error) and str(error).startswith("log.")


class TestFileDirection:
    @SETTINGS
    @given(events=logs(), day_only=st.booleans())
    def test_newest_first_reads_as_oldest_first(self, events: list[tuple[str, str, dt.datetime]],
                                                day_only: bool) -> None:
        """A log written oldest first and the same rows written newest first (as many systems export their
        history) read into the same order of events, ties of time included: a date-only export has many, and
        read in file order the newest-first one put a case's payment before its fine."""
        if day_only:
            events = [(case, activity, moment.replace(hour=0, minute=0)) for case, activity, moment in events]
        events = sorted(events, key=lambda event: event[2])  # oldest first; ties keep their order
        assume(sum(b[2] > a[2] for a, b in zip(events, events[1:])) >= 2)  # a file that runs one way

        def ordered(rows: list[tuple[str, str, dt.datetime]]) -> list[tuple[str, str, int]]:
            text = as_csv(rows, ",", "\n", "iso")
            frame = read_events(text.encode(), name="log.csv").frame.sort("case", "ts", "row")
            return list(zip(frame["case"], frame["activity"], frame["ts"]))

        assert ordered(events[::-1]) == ordered(events)

    def test_a_date_only_export_newest_first(self) -> None:
        """Two events of a case on one day, in a file written newest first: the fine comes before its payment."""
        rows = "case,activity,date\nB,Payment,2006-07-25\nB,Create Fine,2006-07-25\nA,Payment,2006-07-24\n" \
               "A,Send Fine,2006-07-24\nA,Create Fine,2006-07-20\n"
        log = read_events(rows.encode(), name="fines.csv")
        frame = log.frame.sort("case", "ts", "row")
        assert frame["activity"].to_list() == ["Create Fine", "Send Fine", "Payment", "Create Fine", "Payment"]
        assert any("newest first" in note for note in log.notes)
        oldest_first = "case,activity,date\nA,Create Fine,2006-07-20\nA,Send Fine,2006-07-24\nA,Payment,2006-07-24\n"
        assert not [note for note in read_events(oldest_first.encode(), name="fines.csv").notes if "newest" in note]
