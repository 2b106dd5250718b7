"""Ingested folders: the same events and figures as their source, read without hashing or sorting."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeymap.cli.main import main
from journeymap.core.errors import JourneyError
from journeymap.engine import prepare as engine
from journeymap.engine.filters import CaseFilter, filter_events
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import sample_events_path, sample_journey_path
from journeymap.log.columns import ACTIVITY_CODE, CASE_CODE, ColumnRoles
from journeymap.log.eventlog import EventLog
from journeymap.log.ingest import ingest_log, is_ingested, read_ingested, read_manifest
from journeymap.log.readers import canonical_events, read_events
from journeymap.measures.metrics import compute_metrics
from journeymap.measures.summary import metrics_summary
from journeymap.testing import build_events
from test_engine import assert_same_figures

JOURNEY = load_journey(sample_journey_path("onboarding"))


@pytest.fixture(scope="module")
def sample() -> EventLog:
    return read_events(sample_events_path("onboarding"))


@pytest.fixture(scope="module")
def ingested(sample: EventLog, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ingest") / "onboarding"
    ingest_log(sample, out)
    return out


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Which ordering paths ran, and whether the events were found in order (no sort needed)."""
    taken: Counter[str] = Counter()
    for name in ("_precoded_order", "_run_coded", "_hash_coded", "_with_case_codes", "_case_hash"):
        original = getattr(engine, name)

        def spy(*args: Any, _original: Any = original, _name: str = name) -> Any:
            taken[_name] += 1
            return _original(*args)
        monkeypatch.setattr(engine, name, spy)
    original_sorted = engine.rows_in_order

    def is_sorted(frame: pl.DataFrame, keys: list[str]) -> bool:
        found = original_sorted(frame, keys)
        taken["in order" if found else "sorted"] += 1
        return found
    monkeypatch.setattr(engine, "rows_in_order", is_sorted)
    return taken


def test_the_same_events_roles_and_counts(sample: EventLog, ingested: Path) -> None:
    """Back from the folder: every event with its exact id, label, times and attributes, in case order."""
    back = read_ingested(ingested)
    assert back.frame.drop(CASE_CODE, ACTIVITY_CODE).sort("row").equals(sample.frame)
    assert (back.roles, back.attributes, back.skipped, back.rows_read, back.notes, back.source) == (
        sample.roles, sample.attributes, sample.skipped, sample.rows_read, sample.notes, sample.source)
    assert back.frame.select(pl.col(CASE_CODE).diff().fill_null(0).ge(0).all()).item()  # grouped by case
    first = back.frame.group_by(CASE_CODE).agg(pl.col("ts").min(), pl.col("row").min()).sort(CASE_CODE)
    assert first.select(pl.struct("ts", "row").rank("ordinal") - 1).to_series().to_list() == list(range(first.height))


def test_figures_equal_the_source_and_no_hash_no_sort(sample: EventLog, ingested: Path, paths: Counter[str]) -> None:
    for journey in (JOURNEY, None):
        expected = compute_metrics(sample.frame, journey)
        paths.clear()
        assert_same_figures(compute_metrics(read_events(ingested).frame, journey), expected)
        assert paths == Counter({"_precoded_order": 1, "in order": 1}), paths


def test_filtered_ingested_log_equals_the_filtered_source(sample: EventLog, ingested: Path,
                                                          paths: Counter[str]) -> None:
    """A filter leaves gaps in the codes; the cases are numbered again, still without a hash or a sort."""
    log = read_events(ingested).frame
    for case_filter in (CaseFilter(start=dt.date(2026, 3, 1), end=dt.date(2026, 6, 30)),
                        CaseFilter(segments={"department": ("Engineering", "Sales")}),
                        CaseFilter(start=dt.date(2026, 2, 1), segments={"location": ("Berlin",)})):
        expected = compute_metrics(filter_events(sample.frame, case_filter), JOURNEY)
        paths.clear()
        narrowed = filter_events(log, case_filter)
        assert narrowed.height == filter_events(sample.frame, case_filter).height > 0
        assert_same_figures(compute_metrics(narrowed, JOURNEY), expected)
        assert paths["_case_hash"] == 0 and paths["sorted"] == 0, paths


def test_start_times_and_ties(tmp_path: Path) -> None:
    """Ties in time are ordered by start (missing last) and file row, as the engine orders them."""
    events = build_events([("b", "open", 0), ("a", "open", 0), ("a", "work", 1), ("a", "check", 1), ("b", "work", 2),
                           ("a", "done", 3), ("b", "done", 2)], starts={("a", 1): 0.5, ("b", 1): 1.5})
    log = EventLog(events, "hand.csv", ColumnRoles("case", "activity", "ts", "start"), rows_read=7)
    ingest_log(log, tmp_path / "hand")
    back = read_ingested(tmp_path / "hand")
    assert back.frame.get_column("case").to_list() == ["b", "b", "b", "a", "a", "a", "a"]  # b's first event is row 0
    # b at 2 h: "work" (started 1.5 h) before "done" (no start time: last), though "done" is later in the file
    assert back.frame.get_column("activity").to_list() == ["open", "work", "done", "open", "work", "check", "done"]
    assert_same_figures(compute_metrics(back.frame), compute_metrics(events))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["c1", "c2", "c 3", "ç4", "5"]), st.sampled_from(["A", "B", "C", "d é"]),
                          st.integers(0, 6)), min_size=1, max_size=30))
def test_any_small_log_gives_the_same_figures(rows: list[tuple[str, str, int]]) -> None:
    """Whatever the order and ties of a log, its ingested folder gives the figures of the log itself."""
    import tempfile

    events = build_events(rows)
    log = EventLog(events, "random.csv", ColumnRoles("case", "activity", "ts"), rows_read=len(rows))
    with tempfile.TemporaryDirectory() as folder:
        ingest_log(log, Path(folder) / "log")
        back = read_ingested(Path(folder) / "log")
    assert back.frame.drop(CASE_CODE, ACTIVITY_CODE).sort("row").equals(events)
    assert_same_figures(compute_metrics(back.frame), compute_metrics(events))


def test_a_files_own_code_column_is_an_attribute() -> None:
    """A column of a file that happens to be named like a working column is kept as an attribute, not used."""
    table = pl.DataFrame({"case": ["a", "a", "b"], "activity": ["x", "y", "x"],
                          "timestamp": ["2026-01-01", "2026-01-02", "2026-01-01"], "__case_code": ["9", "9", "9"]})
    log = canonical_events(table, ColumnRoles("case", "activity", "timestamp"))
    assert "__case_code (attribute)" in log.attributes and CASE_CODE not in log.frame.columns
    assert compute_metrics(log.frame).n_cases == 2


def run(argv: list[str], code: int = 0) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        assert main(argv) == code, err.getvalue()
    return out.getvalue(), err.getvalue()


def test_cli_ingest_then_every_command_reads_the_folder(tmp_path: Path) -> None:
    source, journey = str(sample_events_path("onboarding")), str(sample_journey_path("onboarding"))
    out, _ = run(["ingest", source, "--out", str(tmp_path / "ing")])
    assert out.startswith("Ingested 20,463 events of 2,400 cases from onboarding.events.csv.gz into ")
    assert is_ingested(tmp_path / "ing")
    manifest = read_manifest(tmp_path / "ing")
    assert (manifest.n_events, manifest.n_cases, manifest.roles["case"], manifest.journeymap_version) == (
        20_463, 2_400, "case_id", "0.1.0")
    folder = str(tmp_path / "ing")
    for argv in (["metrics", "{}", "--journey", journey], ["metrics", "{}", "--format", "table"], ["draft", "{}"],
                 ["compare", "{}", "--journey", journey, "--segment", "department"],
                 ["whatif", "{}", "--journey", journey, "--impact"]):
        assert run([folder if a == "{}" else a for a in argv]) == run([source if a == "{}" else a for a in argv])
    _, err = run(["metrics", folder, "--case", "case_id"], code=1)
    assert err == (f"journeymap: {folder}: is an ingested log, whose columns were chosen when it was ingested; "
                   "drop --case, or ingest the source again with it.\n")


def test_ingest_replaces_its_own_folder_but_no_one_elses(sample: EventLog, tmp_path: Path) -> None:
    ingest_log(sample, tmp_path / "ing")
    ingest_log(sample, tmp_path / "ing")  # again: replaced whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ing"]
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.docx").write_text("years of work")
    with pytest.raises(JourneyError, match="the folder is not empty and holds no ingested log"):
        ingest_log(sample, tmp_path / "mine")
    assert (tmp_path / "mine" / "thesis.docx").read_text() == "years of work"


@pytest.mark.parametrize("damage, sentence", [
    (lambda d: (d / "manifest.json").unlink(), "is a folder; give an event log file, or a folder written by "
                                               "journeymap ingest."),
    (lambda d: (d / "manifest.json").write_text("{not json"), "manifest.json: is not valid JSON"),
    (lambda d: (d / "manifest.json").write_text(json.dumps({**json.loads((d / "manifest.json").read_text()),
                                                            "format_version": 99})),
     "was written in format 99, newer than this journeymap reads (1); update journeymap or ingest the log again."),
    (lambda d: (d / "events.parquet").unlink(), "events.parquet: is missing; ingest the log again."),
    (lambda d: (d / "events.parquet").write_bytes(b"PAR1 damaged"), "events.parquet: could not be read as Parquet"),
    (lambda d: pl.DataFrame({"case": ["only-one"]}).write_parquet(d / "cases.parquet"),
     "its files hold 20,463 events of 1 cases, the manifest says 20,463 of 2,400; ingest the log again."),
])
def test_a_damaged_folder_is_one_sentence(sample: EventLog, tmp_path: Path, damage: Any, sentence: str) -> None:
    ingest_log(sample, tmp_path / "ing")
    damage(tmp_path / "ing")
    _, err = run(["metrics", str(tmp_path / "ing")], code=1)
    assert sentence in err and len(err.strip().splitlines()) == 1, err


def test_codes_out_of_range_are_refused(sample: EventLog, tmp_path: Path) -> None:
    ingest_log(sample, tmp_path / "ing")
    events = pl.read_parquet(tmp_path / "ing" / "events.parquet")
    events.with_columns(pl.col("activity_code") + 100).write_parquet(tmp_path / "ing" / "events.parquet")
    with pytest.raises(JourneyError, match=r"the column 'activity_code' of events.parquet has codes outside 0..\d+"):
        read_ingested(tmp_path / "ing")


def test_summary_of_the_folder_matches_the_source(sample: EventLog, ingested: Path) -> None:
    """What `metrics --format json` prints, including the skipped rows of the source's reading."""
    back = read_events(ingested)
    assert metrics_summary(compute_metrics(back.frame, JOURNEY), back) == \
        metrics_summary(compute_metrics(sample.frame, JOURNEY), sample)


def test_activities_of_a_filtered_folder_are_those_present(sample: EventLog, ingested: Path) -> None:
    """The activities are counted from the codes, yet only those left after a filter: a case filter that keeps
    no "Offer withdrawn" event leaves that activity out, as the labels do."""
    log = read_events(ingested).frame
    kept = log.filter(pl.col("activity") != "Offer withdrawn")
    codes = kept.schema[ACTIVITY_CODE]
    assert isinstance(codes, pl.Enum) and "Offer withdrawn" in codes.categories  # the Enum still names it
    assert engine.distinct_activities(kept) == sorted(kept.get_column("activity").unique().to_list())
    assert "Offer withdrawn" not in engine.distinct_activities(kept)
    assert engine.distinct_activities(log) == sorted(sample.frame.get_column("activity").unique().to_list())
