"""One step up close: how long cases take to get there, who owns it, who is lost or waiting there now."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from journeymap.charts import explorer as charts
from journeymap.core.durations import format_seconds_as_text as human
from journeymap.core.numbers import format_share
from journeymap.measures.waiting import in_flight_cases
from journeymap.ui import charting, data, decide, ops_panel
from journeymap.ui.text import md

__all__ = ["show", "step_row"]

_WAITING_ROWS = 500


def step_row(view: data.View, step: str) -> pd.Series | None:
    """The metrics row of a step, or None when the step is not in these figures."""
    steps = view.metrics.steps
    rows = steps[steps["step"] == step]
    return None if rows.empty else rows.iloc[0]


def show(view: data.View, step: str) -> None:
    """Details of one step: arrival times against target, drop-off, rework, owner, cases waiting now."""
    row = step_row(view, step)
    if row is None:
        st.info("That step has no events under the current filter.")
        return
    journey = view.source.journey
    stages = {stage.id: stage.label for stage in journey.stages}
    place = [f"Stage: {stages.get(row['stage'], row['stage'])}" if row["stage"] else "Off the map (not in the design)"]
    if row["owner"]:
        place.append(f"Owner: {row['owner']}")
    target = _target_text(row)
    if target:
        place.append(f"Target: {target}")
    st.subheader(md(row["label"]), anchor=False)
    st.caption(md(" · ".join(place)))
    reached = int(row["reached"])
    cols = st.columns(5)
    cols[0].metric("Cases reached", f"{reached:,}")
    cols[1].metric("Median arrival", human(_number(row["arrival_median_s"])),
                   help="Time from the previous step to this one, per arrival.")
    cols[2].metric("p85 arrival", human(_number(row["arrival_p85_s"])), delta=_target_delta(row),
                   delta_color="inverse", help="85% of arrivals took at most this long.")
    cols[3].metric("Went silent here", f"{int(row['dropped']):,}", help="Dropped cases whose last event is here.",
                   delta=f"{format_share(row['drop_off_rate'], 1)} of reached" if reached else None, delta_color="off",
                   delta_arrow="off")
    cols[4].metric("Did it twice or more", f"{int(row['rework_cases']):,}",
                   delta=f"{format_share(row['rework_cases'] / reached, 1)} of reached" if reached else None,
                   delta_color="off", delta_arrow="off", help="Cases that reached this step more than once (rework).")
    ops_panel.show_step(decide.ops(view), step)
    charting.show(view, lambda: charts.arrival_chart(view.metrics, step=step), ("arrival", step),
                  f"{view.source.journey.id} {step} arrival times", f"jm_arrival_{step}")
    _waiting(view, step)


def _waiting(view: data.View, step: str) -> None:
    waiting = in_flight_cases(view.metrics, step)
    if waiting.empty:
        st.caption("No case in flight is waiting here now.")
        return
    st.markdown(f"**{len(waiting):,} case{'s' if len(waiting) != 1 else ''} in flight waiting here now**, "
                "longest first")
    shown = waiting.head(_WAITING_ROWS)
    table = pd.DataFrame({"Case": shown["case"], "Waiting here": shown["waiting_s"].map(human),
                          "Age of the case": shown["age_s"].map(human)})
    st.dataframe(table, hide_index=True, width="stretch", height=min(36 * (len(table) + 1) + 2, 300))
    if len(waiting) > _WAITING_ROWS:
        st.caption(f"The {_WAITING_ROWS:,} longest waiting of {len(waiting):,} are listed.")


def _target_text(row: pd.Series) -> str:
    statistic = row.get("target_statistic")
    if not isinstance(statistic, str):
        return ""
    return f"{statistic} within {human(float(row['target_s']))}"


def _target_delta(row: pd.Series) -> str | None:
    statistic = row.get("target_statistic")
    if not isinstance(statistic, str):
        return None
    actual = _number(row.get(f"arrival_{statistic}_s"))
    if actual is None:
        return None
    gap = actual - float(row["target_s"])
    return f"+{human(gap)} over target" if gap > 0 else f"-{human(-gap)} under target"


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number
