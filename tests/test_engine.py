"""Ordering events by case takes shortcuts on Polars; every shortcut must give the exact figures.

The exact reference is the engine-neutral path (pandas numbers case ids by a unique-and-join).
Row order in the file is carried by the `row` column, so reordering the physical rows of a log
must not change a single figure.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd
import polars as pl
import pytest

from journeymap.engine import prepare as engine
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import sample_events_path, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.metrics import JourneyMetrics, compute_metrics

JOURNEY = load_journey(sample_journey_path("service_desk"))


@pytest.fixture(scope="module")
def log() -> pl.DataFrame:
    return read_events(sample_events_path("service_desk")).frame


@pytest.fixture(scope="module")
def exact(log: pl.DataFrame) -> JourneyMetrics:
    return compute_metrics(log.to_pandas(), JOURNEY)


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Which ordering paths ran: 'runs' (grouped log), 'hash' (hashed ids), 'exact' (unique-and-join)."""
    taken: Counter[str] = Counter()
    for name, label in (("_run_coded", "runs"), ("_hash_coded", "hash"), ("_with_case_codes", "exact")):
        original = getattr(engine, name)

        def spy(*args: Any, _original: Any = original, _label: str = label) -> Any:
            result = _original(*args)
            taken[_label + ("" if result is not None else " refused")] += 1
            return result
        monkeypatch.setattr(engine, name, spy)
    return taken


def assert_same_figures(actual: JourneyMetrics, expected: JourneyMetrics) -> None:
    for name in ("transitions", "steps", "variants", "cases", "arrival_histogram"):
        pd.testing.assert_frame_equal(getattr(actual, name), getattr(expected, name), check_dtype=False, rtol=1e-12)
    assert (actual.status_counts, actual.lead_time, actual.n_variants) == (
        expected.status_counts, expected.lead_time, expected.n_variants)


def test_log_grouped_by_case_is_numbered_by_runs(log: pl.DataFrame, exact: JourneyMetrics,
                                                 paths: Counter[str]) -> None:
    """A log written case after case (as the samples and every XES file are) takes no hashing."""
    assert_same_figures(compute_metrics(log, JOURNEY), exact)
    assert paths == Counter({"runs": 1})


def test_grouped_log_with_events_out_of_time_order(log: pl.DataFrame, exact: JourneyMetrics,
                                                   paths: Counter[str]) -> None:
    """Cases contiguous but their events reversed: numbered by runs, then sorted by time."""
    reversed_within = log.with_columns(pl.int_range(pl.len()).alias("__i")).sort(
        ["case", "__i"], descending=[False, True], maintain_order=True).drop("__i")
    assert_same_figures(compute_metrics(reversed_within, JOURNEY), exact)
    assert paths == Counter({"runs": 1})


@pytest.mark.parametrize("order", ["by time", "shuffled"])
def test_log_not_grouped_by_case_is_hashed(log: pl.DataFrame, exact: JourneyMetrics, paths: Counter[str],
                                           order: str) -> None:
    frame = log.sort("ts", "row") if order == "by time" else log.sample(fraction=1.0, shuffle=True, seed=3)
    assert_same_figures(compute_metrics(frame, JOURNEY), exact)
    assert paths == Counter({"runs refused": 1, "hash": 1})


def test_hash_collisions_fall_back_to_exact_numbering(log: pl.DataFrame, exact: JourneyMetrics,
                                                      paths: Counter[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A weak first hash (the id's length) merges many ids; the second hash catches it."""
    real = engine._case_hash
    monkeypatch.setattr(engine, "_case_hash", lambda case, seed: case.str.len_bytes().cast(pl.UInt64)
                        if seed == engine._HASH_SEEDS[0] else real(case, seed))
    assert_same_figures(compute_metrics(log.sort("ts", "row"), JOURNEY), exact)
    assert paths == Counter({"runs refused": 1, "hash refused": 1, "exact": 1})


def test_case_seen_again_later_is_not_taken_for_a_new_case(paths: Counter[str]) -> None:
    """Runs a, b, a: three runs but two cases, so numbering by runs is refused."""
    from journeymap.testing import build_events

    events = build_events({"a": [("open", 0), ("close", 2)], "b": [("open", 1)]})
    interleaved = events.sort("ts")  # a, b, a
    metrics = compute_metrics(interleaved, None)
    assert metrics.n_cases == 2
    assert paths["runs refused"] == 1
