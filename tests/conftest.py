"""Shared fixtures: where the test logs live, and the engines every metric test runs on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pytest

TEST_DATA = Path(__file__).resolve().parent / "data"
REAL_DATA = TEST_DATA / "real"  # public logs that may be redistributed (CC BY 4.0), with attribution
OWN_DATA = TEST_DATA / "own"  # logs written for these tests, by tests/data/own/make_logs.py

ENGINES: dict[str, Callable[[pl.DataFrame], Any]] = {
    "polars": lambda frame: frame,
    "polars-lazy": lambda frame: frame.lazy(),
    "pandas": lambda frame: frame.to_pandas(),
    "duckdb": lambda frame: duckdb.from_arrow(frame.to_arrow()),
}


@pytest.fixture(params=sorted(ENGINES))
def engine(request: pytest.FixtureRequest) -> Callable[[pl.DataFrame], Any]:
    """Turns a Polars event frame into the same events on another engine."""
    return ENGINES[request.param]


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The folder of real event logs in the repository (tests/data/real)."""
    return REAL_DATA


@pytest.fixture(scope="session")
def own_data() -> Path:
    """The folder of event logs written for the tests (tests/data/own)."""
    return OWN_DATA


def as_pandas(frame: Any) -> pd.DataFrame:
    """Any frame the tests produce, as pandas."""
    return frame if isinstance(frame, pd.DataFrame) else pl.DataFrame(frame).to_pandas()
