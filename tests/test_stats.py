"""Sums of seconds are exact to the microsecond, so a figure cannot change with the order of adding."""

from __future__ import annotations

from fractions import Fraction

import narwhals as nw
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeymap.engine.stats import ExactSeconds, Quantile, grouped_table, seconds_sum

# Durations as whole microseconds, up to ten years each: what two timestamps can be apart.
MICROS = st.integers(min_value=0, max_value=10 * 366 * 86_400 * 1_000_000)


def _sum(seconds: list[float], native: str = "polars") -> float:
    frame = pl.DataFrame({"s": seconds}, schema={"s": pl.Float64})
    data = nw.from_native(frame.to_pandas() if native == "pandas" else frame)
    return float(data.select(seconds_sum("s")).item())


def test_tenths_add_up_to_the_exact_total() -> None:
    # 0.1 + 0.2 + 0.3 is 0.6000000000000001 in floats, and adding in another order gives 0.6.
    assert _sum([0.1, 0.2, 0.3]) == 0.6
    assert _sum([0.3, 0.2, 0.1]) == 0.6


@settings(max_examples=200, deadline=None)
@given(st.lists(MICROS, min_size=1, max_size=60), st.randoms(use_true_random=False))
def test_sum_is_exact_and_the_same_in_any_order(micros: list[int], rnd) -> None:  # type: ignore[no-untyped-def]
    seconds = [m / 1_000_000 for m in micros]
    exact = float(Fraction(sum(micros), 1_000_000))
    shuffled = seconds[:]
    rnd.shuffle(shuffled)
    total = _sum(seconds)
    assert total == _sum(shuffled) == _sum(seconds, "pandas")
    assert abs(total - exact) <= 2 * abs(exact) * 2.0 ** -52


def test_a_million_cases_of_a_year_each_neither_overflow_nor_lose_a_microsecond() -> None:
    # 31.7 million years of microseconds: past 2**53 for a float sum, past nothing for two Int64 sums.
    year = 365 * 86_400 + 0.000001
    total = _sum([year] * 1_000_000)
    assert total == float(Fraction(365 * 86_400 * 1_000_000 + 1, 1_000_000) * 1_000_000)


@pytest.mark.parametrize("native", ["pandas", "polars"])
def test_grouped_sums_are_exact_and_keep_the_asked_order(native: str) -> None:
    frame = pl.DataFrame({"g": [1, 1, 1, 2, 2], "s": [0.1, 0.2, 0.3, 1.5, None]})
    data = nw.from_native(frame.to_pandas() if native == "pandas" else frame).lazy()
    table = grouped_table(data, "g", [ExactSeconds("s", "total_s"), nw.len().alias("n"),
                                      Quantile("s", 0.5, "median_s"), ExactSeconds("s", "again_s")])
    table = table.sort_values("g").reset_index(drop=True)
    assert list(table.columns) == ["g", "total_s", "n", "median_s", "again_s"]
    assert table["total_s"].tolist() == table["again_s"].tolist() == [0.6, 1.5]  # a missing value adds nothing
    assert table["n"].tolist() == [3, 2]
    assert table["median_s"].tolist() == [0.2, 1.5]
