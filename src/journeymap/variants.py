"""Variants: the distinct paths cases take, most common first, with their median lead time."""

from __future__ import annotations

from typing import Any

import narwhals as nw
import pandas as pd

from .engine import to_pandas

__all__ = ["variant_table"]

_KEY = ["path_h1", "path_h2", "n_events"]


def variant_table(cases: pd.DataFrame, events: nw.LazyFrame[Any], names: dict[int, str], top: int
                  ) -> tuple[pd.DataFrame, int]:
    """The `top` variants (path, count, share, median lead time) and the number of variants."""
    if cases.empty:
        return pd.DataFrame(columns=["path", "count", "share", "median_lead_time_s", "example_case"]), 0
    grouped = cases.groupby(_KEY, sort=False).agg(
        count=("case", "size"), example_case=("case", "min"), median_lead_time_s=("lead_time_s", "median"))
    grouped = grouped.reset_index().sort_values(["count", "example_case"], ascending=[False, True]).head(top)
    examples = grouped["example_case"].tolist()
    steps = to_pandas(events.filter(nw.col("case").is_in(examples)).select("case", "idx", "step_code"))
    steps["step"] = steps["step_code"].map(names)
    paths = steps.sort_values("idx").groupby("case", sort=False)["step"].agg(tuple)
    table = pd.DataFrame({
        "path": [paths[case] for case in examples],
        "count": grouped["count"].to_numpy(),
        "share": grouped["count"].to_numpy() / len(cases),
        "median_lead_time_s": grouped["median_lead_time_s"].to_numpy(),
        "example_case": examples,
    })
    n_variants = int(cases[_KEY].drop_duplicates().shape[0])
    return table, n_variants
