"""What a log's timestamps say about the file: the direction its rows run, dates without a time of day, and
events dated far from the rest.

Both are read once, as the events are made canonical (`readers.canonical_events`), and said in the log's notes:
neither is an error, and no event is dropped for either.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

__all__ = ["in_file_direction", "far_dated_note", "date_only_note"]

# The bulk of a log's time: from this quantile of its timestamps to the one opposite. An event more than the
# bulk's own length (at least a day) before or after it is dated far from the rest.
_BULK_QUANTILE = 0.01
_LEAST_BULK_US = 86_400 * 1_000_000


def in_file_direction(frame: pl.DataFrame) -> tuple[pl.DataFrame, bool]:
    """The events with `row` counted in the direction the file runs, and whether that is backwards.

    `row` breaks ties of time (DESIGN.md: timestamp, then start, then file order). Many systems export
    their history newest first; read in file order, two events of one day in a date-only export came out
    reversed ("Payment → Create Fine"). A file whose adjacent rows go back in time more than twice as
    often as forward is read from its end; a file with no clear direction keeps its order.
    """
    step = frame.get_column("ts").diff()
    forward, backward = int((step > 0).sum()), int((step < 0).sum())
    if backward < 2 or backward <= 2 * forward:
        return frame, False
    return frame.with_columns((pl.col("row").max() - pl.col("row")).alias("row")), True


def far_dated_note(ts: pl.Series) -> str | None:
    """A sentence on the events dated far before or after the bulk of the log, or None when there are none.

    A BPIC-2019-like log has a dozen events of 1948 and 2030 among 2018–2019: the latest sets the moment
    statuses are taken at (every open case 'dropped'), the earliest a lead time of seventy years, and the
    time charts span the gap. They are measured as they are; the note says which and where to look.
    """
    if ts.len() < 2:
        return None
    low, high = (int(ts.quantile(q, interpolation="nearest") or 0) for q in (_BULK_QUANTILE, 1 - _BULK_QUANTILE))
    reach = max(high - low, _LEAST_BULK_US)
    far = ts.filter((ts < low - reach) | (ts > high + reach)).to_numpy()
    if not len(far):
        return None
    count = len(far)
    first, last = _day(int(far.min())), _day(int(far.max()))
    return (f"{count:,} event{'s are' if count != 1 else ' is'} dated far from the rest of the log "
            f"({first if first == last else f'{first} to {last}'}, where most events lie between {_day(low)} and "
            f"{_day(high)}); {'they are' if count != 1 else 'it is'} measured as dated, so check the timestamps: "
            "the latest event sets the moment statuses are taken at (--as-of on the command line sets another), "
            "and the earliest can stretch a lead time over decades.")


def _day(epoch_us: int) -> str:
    return (dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=epoch_us)).strftime("%Y-%m-%d")


def date_only_note(ts: pl.Series) -> str | None:
    """A sentence when every timestamp is a date without a time of day (midnight UTC), else None: a fines log
    said "median lead time 0 s" with nothing to tell that two events of one day cannot be told apart."""
    if ts.len() < 2 or bool((ts % _LEAST_BULK_US != 0).any()):
        return None
    return ("its timestamps are dates without a time of day: events of one day are 0 s apart and keep the order "
            "of the file's rows, and every duration is a whole number of days.")
