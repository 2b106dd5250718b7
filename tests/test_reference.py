"""Our metrics against figures computed independently: pm4py's on real event logs, and a plain-Python
computation of the same semantics on logs of our own (checked against pm4py's figures first)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import statistics
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from journeymap.log.readers import read_events
from journeymap.measures.metrics import JourneyMetrics, compute_metrics

REAL_DATA = Path(__file__).resolve().parent / "data" / "real"  # as the real_data fixture gives it
OWN_DATA = Path(__file__).resolve().parent / "data" / "own"

# Real logs and the pm4py figures stored beside them (tests/data/real/reference).
PM4PY = {"helpdesk": "helpdesk.xes.gz", "receipt": "receipt.csv"}
# Logs of our own (tests/data/own), whose figures are computed below in plain Python.
OWN = {"interval": "interval.csv", "two_activity_columns": "two_activity_columns.csv"}
MAPPING = {"case": "case:concept:name", "activity": "concept:name", "timestamp": "time:timestamp",
           "timestamp_format": None}


def plain_reference(path: Path) -> dict:
    """pm4py's figures for a CSV log, computed with the standard library only.

    The semantics the stored pm4py figures record: events of a case ordered by completion timestamp,
    ties in file order (a stable sort); every occurrence of a directly-follows pair counted; its
    duration from one completion to the next; timestamps compared in UTC.
    """
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    traces: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for row in rows:
        moment = dt.datetime.fromisoformat(row[MAPPING["timestamp"]]).timestamp()
        traces[row[MAPPING["case"]]].append((moment, row[MAPPING["activity"]]))
    pairs: dict[tuple[str, str], list[float]] = defaultdict(list)
    for events in traces.values():
        events.sort(key=lambda event: event[0])  # stable: ties stay in file order
        for (t0, a), (t1, b) in zip(events, events[1:]):
            pairs[(a, b)].append(t1 - t0)
    return {
        "mapping": MAPPING,
        "n_cases": len(traces),
        "n_events": len(rows),
        "start_activities": dict(Counter(events[0][1] for events in traces.values())),
        "end_activities": dict(Counter(events[-1][1] for events in traces.values())),
        "n_variants": len({tuple(a for _, a in events) for events in traces.values()}),
        "case_duration_median_s": statistics.median(events[-1][0] - events[0][0] for events in traces.values()),
        "transitions": [{"from": a, "to": b, "count": len(d), "median_s": statistics.median(d),
                         "mean_s": statistics.fmean(d), "min_s": min(d), "max_s": max(d)}
                        for (a, b), d in sorted(pairs.items())],
    }


def _reference(name: str) -> dict:
    if name in PM4PY:
        return json.loads((REAL_DATA / "reference" / f"{name}.json").read_text())
    return plain_reference(OWN_DATA / OWN[name])


def _path(name: str) -> Path:
    return REAL_DATA / PM4PY[name] if name in PM4PY else OWN_DATA / OWN[name]


@pytest.fixture(scope="module", params=sorted(PM4PY) + sorted(OWN))
def measured(request: pytest.FixtureRequest) -> tuple[dict, JourneyMetrics]:
    """A log read with the column mapping its reference records, and its metrics."""
    reference = _reference(request.param)
    mapping = reference["mapping"]
    log = read_events(_path(request.param), case=mapping["case"], activity=mapping["activity"],
                      timestamp=mapping["timestamp"], timestamp_format=mapping["timestamp_format"])
    return reference, compute_metrics(log.frame)


def _close(ours: float, theirs: float) -> bool:
    return math.isclose(ours, theirs, rel_tol=1e-6, abs_tol=1e-9)


class TestAgainstReference:
    def test_case_and_event_counts(self, measured: tuple[dict, JourneyMetrics]) -> None:
        """Every case and every event of the log is counted, as the reference counts them."""
        reference, metrics = measured
        assert (metrics.n_cases, metrics.n_events) == (reference["n_cases"], reference["n_events"])

    def test_start_and_end_activities(self, measured: tuple[dict, JourneyMetrics]) -> None:
        """The first and last activity of each case agree with the reference, case for case counted."""
        reference, metrics = measured
        assert metrics.cases["first_step"].value_counts().to_dict() == reference["start_activities"]
        assert metrics.cases["last_step"].value_counts().to_dict() == reference["end_activities"]

    def test_number_of_variants(self, measured: tuple[dict, JourneyMetrics]) -> None:
        """Distinct paths through the log match the reference's variant count exactly."""
        reference, metrics = measured
        assert metrics.n_variants == reference["n_variants"]

    def test_median_case_duration(self, measured: tuple[dict, JourneyMetrics]) -> None:
        """The median of first-to-last event time over all cases agrees to 1e-6."""
        reference, metrics = measured
        assert _close(float(metrics.cases["duration_s"].median()), reference["case_duration_median_s"])

    def test_transition_counts_are_exact(self, measured: tuple[dict, JourneyMetrics]) -> None:
        """Every directly-follows pair has exactly the reference's count, and no pair is extra or missing."""
        reference, metrics = measured
        ours = {(r["from"], r["to"]): r["count"] for r in metrics.transitions.to_dict("records")}
        theirs = {(r["from"], r["to"]): r["count"] for r in reference["transitions"]}
        assert ours == theirs

    @pytest.mark.parametrize("statistic", ["median_s", "mean_s", "min_s", "max_s"])
    def test_transition_durations(self, measured: tuple[dict, JourneyMetrics], statistic: str) -> None:
        """Complete-to-complete durations per transition agree with the reference to 1e-6 relative."""
        reference, metrics = measured
        ours = {(r["from"], r["to"]): r[statistic] for r in metrics.transitions.to_dict("records")}
        off = [(r["from"], r["to"], ours.get((r["from"], r["to"])), r[statistic]) for r in reference["transitions"]
               if not _close(ours.get((r["from"], r["to"]), math.nan), r[statistic])]
        assert off == []


@pytest.mark.parametrize("name", sorted(PM4PY) + sorted(OWN))
def test_columns_are_found_as_the_reference_maps_them(name: str) -> None:
    """Read as a user reads a log, with no column named: the case, activity and timestamp columns found are the
    ones the reference's figures were computed with (two_activity_columns.csv, standing in for the running
    example, also has an `Activity` column)."""
    mapping = _reference(name)["mapping"]
    roles = read_events(_path(name)).roles
    assert (roles.case, roles.activity, roles.timestamp) == (mapping["case"], mapping["activity"], mapping["timestamp"])


class TestPlainReference:
    """The plain-Python computation that stands in for pm4py on our own logs."""

    def test_it_reproduces_pm4py_on_the_receipt_log(self) -> None:
        """On receipt.csv (mixed +01:00/+02:00 offsets) it gives every figure pm4py gave."""
        ours, theirs = plain_reference(REAL_DATA / "receipt.csv"), _reference("receipt")
        for key in ("n_cases", "n_events", "start_activities", "end_activities", "n_variants"):
            assert ours[key] == theirs[key], key
        assert _close(ours["case_duration_median_s"], theirs["case_duration_median_s"])
        ours_by_pair = {(t["from"], t["to"]): t for t in ours["transitions"]}
        assert set(ours_by_pair) == {(t["from"], t["to"]) for t in theirs["transitions"]}
        for t in theirs["transitions"]:
            mine = ours_by_pair[(t["from"], t["to"])]
            assert mine["count"] == t["count"]
            assert all(_close(mine[s], t[s]) for s in ("median_s", "mean_s", "min_s", "max_s")), t

    def test_ordering_is_by_completion_with_ties_in_file_order(self, tmp_path: Path) -> None:
        """A hand-made log: 'b' starts first but completes last, and 'c'/'d' complete in the same second."""
        log = tmp_path / "log.csv"
        log.write_text("case:concept:name,concept:name,time:timestamp,start_timestamp\n"
                       "1,a,2024-01-01 10:00:00+00:00,2024-01-01 09:00:00+00:00\n"
                       "1,b,2024-01-01 13:00:00+01:00,2024-01-01 10:05:00+00:00\n"  # 12:00 UTC
                       "1,c,2024-01-01 11:00:00+00:00,2024-01-01 10:10:00+00:00\n"
                       "1,d,2024-01-01 13:00:00+00:00,2024-01-01 12:30:00+00:00\n"
                       "1,e,2024-01-01 13:00:00+00:00,2024-01-01 13:00:00+00:00\n")
        figures = plain_reference(log)
        assert [(t["from"], t["to"], t["count"], t["min_s"]) for t in figures["transitions"]] == [
            ("a", "c", 1, 3600.0), ("b", "d", 1, 3600.0), ("c", "b", 1, 3600.0), ("d", "e", 1, 0.0)]
        assert figures["case_duration_median_s"] == 3 * 3600


class TestOwnLogs:
    def test_files_are_what_the_script_writes(self) -> None:
        """The checked-in logs of our own are exactly make_logs.py's output (nobody edited them by hand)."""
        import importlib.util

        spec = importlib.util.spec_from_file_location("make_logs", OWN_DATA / "make_logs.py")
        assert spec is not None and spec.loader is not None
        make_logs = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(make_logs)
        for name, rows in make_logs.FILES.items():
            assert (OWN_DATA / name).read_text(encoding="utf-8") == make_logs.as_csv(rows()), name

    def test_interval_log_has_the_properties_it_stands_in_for(self) -> None:
        """Start times beside completions, parallel work completing out of start order, instant events,
        completion ties and a self-loop: the things the interval log was there to exercise."""
        with (OWN_DATA / "interval.csv").open(newline="") as file:
            rows = list(csv.DictReader(file))
        stamp = dt.datetime.fromisoformat
        assert all(stamp(r["start_timestamp"]) <= stamp(r["time:timestamp"]) for r in rows)
        assert sum(r["start_timestamp"] == r["time:timestamp"] for r in rows) >= 10
        figures = plain_reference(OWN_DATA / "interval.csv")
        counts = {(t["from"], t["to"]): t["count"] for t in figures["transitions"]}
        assert counts[("items picked", "invoice sent")] > 0 and counts[("invoice sent", "items picked")] > 0
        assert counts[("stock checked", "stock checked")] > 0
        assert any(t["min_s"] == 0 for t in figures["transitions"])
        assert figures["start_activities"] == {"order received": 60}
