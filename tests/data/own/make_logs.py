"""Write the test logs of our own in this folder: `python tests/data/own/make_logs.py`.

They stand in for two logs of the shared data folder whose licence is unknown, with the properties
the tests need from them (see README.md here). The output is deterministic (a seeded generator and
literal rows), and a test checks that the checked-in files are what this script writes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
UTC = dt.UTC
CET = dt.timezone(dt.timedelta(hours=1))
BASE = dt.datetime(2024, 1, 8, 8, 0, tzinfo=UTC)
MIN, HOUR, DAY = 60, 3600, 86400


def _stamp(moment: dt.datetime, zone: dt.timezone) -> str:
    """An ISO timestamp with an explicit offset, written in the given zone (as pm4py CSVs write it)."""
    return moment.astimezone(zone).isoformat(sep=" ")


def interval_rows(seed: int = 11, n_cases: int = 60) -> list[dict[str, str]]:
    """An order-handling log with start and completion times for every event.

    Built in: an invoice and the picking run in parallel, so the event that starts first often
    completes last (ordering by completion differs from file order); payments are instant (start ==
    completion, 0 s); some parcels are shipped in the same second as the payment arrives (a tie,
    broken by file order); repeated stock checks (a self-loop); cancellations; one case with a single
    event; every fifth case written with a +01:00 offset. Rows are in order of their start time, as
    a system writing rows when work begins would leave them.
    """
    rng = random.Random(seed)
    events: list[tuple[dt.datetime, int, str, str, dt.datetime, dt.timezone]] = []

    def later(moment: dt.datetime, low: float, high: float) -> dt.datetime:
        return moment + dt.timedelta(seconds=round(rng.uniform(low, high)))

    def add(case: str, activity: str, start: dt.datetime, end: dt.datetime, zone: dt.timezone) -> dt.datetime:
        events.append((start, len(events), case, activity, end, zone))
        return end

    for number in range(1, n_cases + 1):
        case, zone = f"O{number:03d}", CET if number % 5 == 0 else UTC
        begin = later(BASE, 0, 40 * DAY)
        done = add(case, "order received", begin, later(begin, 0, 5 * MIN), zone)
        if number == n_cases:  # just placed: a case of one event
            continue
        for _ in range(2 if rng.random() < 0.2 else 1):
            start = later(done, 5 * MIN, 2 * HOUR)
            done = add(case, "stock checked", start, later(start, MIN, 20 * MIN), zone)
        if rng.random() < 0.15:
            cancelled = later(done, HOUR, 2 * DAY)
            add(case, "order cancelled", cancelled, cancelled, zone)
            continue
        fork = later(done, 10 * MIN, HOUR)
        invoiced = add(case, "invoice sent", fork, later(fork, 0, 2 * HOUR), zone)
        pick = later(fork, 0, 30 * MIN)
        picked = add(case, "items picked", pick, later(pick, 10 * MIN, 3 * HOUR), zone)
        pack = later(max(invoiced, picked), MIN, HOUR)
        packed = add(case, "parcel packed", pack, later(pack, 2 * MIN, 15 * MIN), zone)
        paid = later(invoiced, HOUR, 6 * DAY)
        if rng.random() < 0.25:
            add(case, "reminder sent", paid, paid, zone)
            paid = later(paid, HOUR, 3 * DAY)
        ship = later(packed, 30 * MIN, DAY)
        tie = rng.random() < 0.2 and paid - dt.timedelta(minutes=20) > packed
        if tie:  # shipped in the very second the payment arrives
            ship = paid - dt.timedelta(minutes=20)
        add(case, "parcel shipped", ship, paid if tie else later(ship, 5 * MIN, 40 * MIN), zone)
        add(case, "payment received", paid, paid, zone)
    events.sort(key=lambda event: (event[0], event[1]))
    return [{"case:concept:name": case, "concept:name": activity, "time:timestamp": _stamp(end, zone),
             "start_timestamp": _stamp(start, zone)} for start, _, case, activity, end, zone in events]


# Six compensation requests, written by hand: (case, activity, resource, cost, day, time). Two
# columns name the activity (`concept:name` and `Activity`) and two the resource, with a pandas
# index column first and integer case ids, as pm4py's CSV export of an XES log leaves them.
TWO_ACTIVITY_COLUMNS = [
    (1, "register request", "Anne", 50, "2024-03-04", "09:10"),
    (1, "check documents", "Bram", 100, "2024-03-04", "11:40"),
    (1, "assess claim", "Chris", 400, "2024-03-05", "10:00"),
    (1, "decide", "Dana", 200, "2024-03-06", "15:30"),
    (1, "pay compensation", "Eve", 200, "2024-03-08", "09:00"),
    (2, "register request", "Anne", 50, "2024-03-04", "10:05"),
    (2, "assess claim", "Chris", 400, "2024-03-04", "16:20"),
    (2, "check documents", "Bram", 100, "2024-03-05", "08:45"),
    (2, "decide", "Dana", 200, "2024-03-05", "14:00"),
    (2, "reject request", "Dana", 200, "2024-03-06", "09:15"),
    (3, "register request", "Bram", 50, "2024-03-05", "09:00"),
    (3, "check documents", "Bram", 100, "2024-03-05", "09:30"),
    (3, "assess claim", "Chris", 400, "2024-03-06", "11:00"),
    (3, "decide", "Dana", 200, "2024-03-07", "10:00"),
    (3, "reopen request", "Dana", 200, "2024-03-07", "12:00"),
    (3, "check documents", "Anne", 100, "2024-03-08", "09:00"),
    (3, "assess claim", "Chris", 400, "2024-03-11", "14:00"),
    (3, "decide", "Dana", 200, "2024-03-12", "10:30"),
    (3, "pay compensation", "Eve", 200, "2024-03-14", "16:00"),
    (4, "register request", "Anne", 50, "2024-03-06", "13:00"),
    (4, "check documents", "Bram", 100, "2024-03-06", "15:00"),
    (4, "assess claim", "Chris", 400, "2024-03-07", "09:00"),
    (4, "decide", "Dana", 200, "2024-03-07", "17:00"),
    (4, "reject request", "Dana", 200, "2024-03-08", "10:00"),
    (5, "register request", "Anne", 50, "2024-03-07", "08:30"),
    (5, "assess claim", "Chris", 400, "2024-03-07", "14:10"),
    (5, "check documents", "Anne", 100, "2024-03-08", "11:00"),
    (5, "decide", "Dana", 200, "2024-03-11", "09:45"),
    (5, "reopen request", "Dana", 200, "2024-03-11", "11:00"),
    (5, "assess claim", "Chris", 400, "2024-03-12", "10:00"),
    (5, "check documents", "Bram", 100, "2024-03-12", "15:00"),
    (5, "decide", "Dana", 200, "2024-03-13", "09:00"),
    (5, "reject request", "Dana", 200, "2024-03-13", "09:30"),
    (6, "register request", "Bram", 50, "2024-03-08", "10:00"),
    (6, "check documents", "Bram", 100, "2024-03-08", "10:20"),
    (6, "assess claim", "Chris", 400, "2024-03-08", "15:00"),
    (6, "decide", "Dana", 200, "2024-03-11", "16:00"),
    (6, "pay compensation", "Eve", 200, "2024-03-12", "11:00"),
]


def two_activity_rows() -> list[dict[str, str]]:
    """The six requests as rows, ordered by case as an XES export is."""
    rows = []
    for index, (case, activity, resource, cost, day, time) in enumerate(TWO_ACTIVITY_COLUMNS):
        stamp = f"{day} {time}:00+01:00"
        rows.append({"": str(index), "concept:name": activity, "org:resource": resource, "time:timestamp": stamp,
                     "Activity": activity, "Resource": resource, "Costs": str(cost),
                     "case:concept:name": str(case), "case:creator": "journeymap tests"})
    return rows


def as_csv(rows: list[dict[str, str]]) -> str:
    """Rows as CSV text with Unix line ends."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


FILES = {"interval.csv": interval_rows, "two_activity_columns.csv": two_activity_rows}


if __name__ == "__main__":
    for name, rows in FILES.items():
        (HERE / name).write_text(as_csv(rows()), encoding="utf-8")
        print(f"wrote {HERE / name}")
