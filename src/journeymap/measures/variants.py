"""Variants: the distinct paths cases take, most common first, with their median lead time."""

from __future__ import annotations

from typing import Any

import narwhals as nw
import pandas as pd

from journeymap.engine.prepare import collect, to_pandas

__all__ = ["variant_table"]

_KEY = ["path_h1", "path_h2", "n_events"]


def variant_table(cases: nw.LazyFrame[Any], events: nw.LazyFrame[Any], names: dict[int, str], top: int
                  ) -> tuple[pd.DataFrame, int]:
    """The `top` variants (path, count, share, median lead time) and the number of variants."""
    grouped = cases.group_by(*_KEY).agg(
        nw.len().alias("count"), nw.col("case").min().alias("example_case"),
        nw.col("lead_time_s").median().alias("median_lead_time_s"))
    counts = collect(grouped.select(nw.len().alias("variants"), nw.col("count").sum().alias("cases")))
    n_variants, n_cases = (int(counts.item(0, column) or 0) for column in ("variants", "cases"))
    if not n_variants:
        return pd.DataFrame(columns=["path", "count", "share", "median_lead_time_s", "example_case"]), 0
    chosen = to_pandas(grouped.sort(["count", "example_case"], descending=[True, False]).head(top))
    examples = chosen["example_case"].tolist()
    codes = to_pandas(cases.filter(nw.col("case").is_in(examples)).select("case", "case_code"))
    code_of = dict(zip(codes["case"], codes["case_code"]))
    steps = to_pandas(events.filter(nw.col("case_code").is_in([code_of[case] for case in examples]))
                      .select("case_code", "idx", "step_code"))
    steps["step"] = steps["step_code"].map(names)
    paths = steps.sort_values("idx").groupby("case_code", sort=False)["step"].agg(tuple)
    table = pd.DataFrame({
        "path": [paths[code_of[case]] for case in examples],
        "count": chosen["count"].to_numpy(),
        "share": chosen["count"].to_numpy() / n_cases,
        "median_lead_time_s": chosen["median_lead_time_s"].to_numpy(),
        "example_case": examples,
    })
    return table, n_variants
