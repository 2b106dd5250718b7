"""Shared fixtures: where the real logs live, and the engines every metric test runs on."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import duckdb
import pandas as pd
import polars as pl
import pytest

REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"

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
    """The folder of real event logs beside the checkout (../shared/data/real)."""
    if not REAL_DATA.is_dir():
        pytest.fail(f"The real event logs are missing: expected {REAL_DATA} (../shared beside the checkout).")
    return REAL_DATA


def as_pandas(frame: Any) -> pd.DataFrame:
    """Any frame the tests produce, as pandas."""
    return frame if isinstance(frame, pd.DataFrame) else pl.DataFrame(frame).to_pandas()
