"""What a log's timestamps say about its file (journeymap.log.timeline): events dated far from the rest."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from journeymap.log.readers import read_events
from journeymap.log.timeline import date_only_note, far_dated_note


def _log(moments: list[dt.datetime]) -> bytes:
    rows = [f"C{i // 4},step {i % 4},{moment:%Y-%m-%d %H:%M:%S}" for i, moment in enumerate(moments)]
    return ("case,activity,timestamp\n" + "\n".join(rows) + "\n").encode()


def _bulk(n: int) -> list[dt.datetime]:
    """n events spread over 2018, in time order."""
    return [dt.datetime(2018, 1, 1) + dt.timedelta(hours=8 * i) for i in range(n)]


def test_events_of_1948_and_2030_among_2018_are_named() -> None:
    """A BPIC-2019-like log: three events decades away from a year of events are counted and dated; the
    events stay (the note says how they are measured)."""
    moments = _bulk(1000)
    moments[10] = dt.datetime(1948, 1, 29, 10)
    moments[500] = dt.datetime(2030, 11, 11, 9)
    moments[501] = dt.datetime(2030, 11, 11, 10)
    log = read_events(_log(moments), name="po.csv")
    notes = [note for note in log.notes if "dated far" in note]
    assert len(notes) == 1, log.notes
    assert notes[0].startswith("3 events are dated far from the rest of the log (1948-01-29 to 2030-11-11")
    assert "most events lie between 2018-01-" in notes[0]
    assert log.frame.height == 1000 and log.skipped_rows == 0


def test_a_log_without_outliers_has_no_note() -> None:
    assert not [note for note in read_events(_log(_bulk(1000)), name="po.csv").notes if "dated far" in note]


def test_one_event_reads_as_one() -> None:
    moments = [*(dt.datetime(2018, 1, 1) + dt.timedelta(days=i) for i in range(300)), dt.datetime(1990, 5, 1)]
    note = far_dated_note(pl.Series([int((m - dt.datetime(1970, 1, 1)).total_seconds() * 1e6) for m in moments]))
    assert note is not None and note.startswith("1 event is dated far from the rest of the log (1990-05-01, where")
    assert "it is measured as dated" in note


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(st.integers(0, 10**15), min_size=2, max_size=300))
def test_only_events_beyond_the_bulk_are_named(values: list[int]) -> None:
    """Whatever the timestamps, an event counted as far lies more than a day and more than the bulk's length
    (1st to 99th percentile) from the bulk; and between the extremes of the bulk nothing is counted."""
    ts = pl.Series(values, dtype=pl.Int64)
    note = far_dated_note(ts)
    low, high = (int(ts.quantile(q, interpolation="nearest")) for q in (0.01, 0.99))
    reach = max(high - low, 86_400 * 10**6)
    far = [v for v in values if v < low - reach or v > high + reach]
    assert (note is None) == (not far)
    if note is not None:
        assert note.startswith(f"{len(far):,} event")


def test_dates_without_a_time_of_day_are_said() -> None:
    """A log of dates only says that events of one day cannot be told apart; one time of day anywhere, and
    it does not."""
    dates = "case,activity,date\nA,Create Fine,2006-07-20\nA,Payment,2006-07-20\nB,Create Fine,2006-07-21\n"
    notes = read_events(dates.encode(), name="fines.csv").notes
    assert any(note.startswith("its timestamps are dates without a time of day") for note in notes), notes
    timed = dates.replace("2006-07-21", "2006-07-21 09:30")
    assert not [note for note in read_events(timed.encode(), name="fines.csv").notes if "time of day" in note]
    assert date_only_note(pl.Series([0, 86_400 * 10**6 + 1])) is None
