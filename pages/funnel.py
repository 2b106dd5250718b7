"""Funnel: how many cases reach each step, where they are lost, where they leave, how long before silence."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from journeymap.charts import explorer as charts
from journeymap.charts import style as chartstyle
from journeymap.core.durations import format_seconds_as_text as human
from journeymap.core.numbers import format_share
from journeymap.ui import charting, page, share_bars

selection, source, view, subtitle = page.open_page("Funnel")
metrics = view.metrics

counts, total = metrics.status_counts, max(metrics.n_cases, 1)
cells = st.columns(4)
for cell, (status, label, help_text) in zip(cells, [
    ("completed", "Completed", "Reached an end step."),
    ("in_flight", "In flight", "Not finished, with an event recently enough to still be moving."),
    ("dropped", "Dropped", f"Silent for longer than {human(source.journey.stale_after_s)} without finishing."),
    ("exited", "Exited", "Reached a known negative outcome (an exit step)."),
]):
    cell.metric(label, f"{counts.get(status, 0):,}", delta=f"{format_share(counts.get(status, 0) / total)} of cases",
                delta_color="off", delta_arrow="off", help=help_text)

charting.show(view, lambda: charts.funnel_chart(metrics, subtitle=chartstyle.chart_subtitle(metrics, view.case_filter)),
              "funnel", f"{source.journey.id} funnel", "jm_funnel")

steps = metrics.steps[metrics.steps["on_map"]]
exits = set(metrics.exit_steps)
flow = steps[~steps["step"].isin(exits)]
st.subheader("Step by step", anchor=False)
steps_table, share_config = share_bars.share_bars(pd.DataFrame({
    "Step": flow["label"], "Cases reached": flow["reached"], "Of all cases": flow["reached"] / total,
    "In flight here now": flow["in_flight"], "Dropped here": flow["dropped"],
    "Drop-off rate": flow["drop_off_rate"].map(lambda rate: format_share(rate, 1)),
}), ["Of all cases"])
st.dataframe(steps_table, hide_index=True, width="stretch", height="content",
             column_config={**share_config, **{name: st.column_config.NumberColumn(format="localized") for name in (
                 "Cases reached", "In flight here now", "Dropped here")}})

left, right = st.columns([2, 3], gap="large")
with left:
    st.subheader("Exits by reason", anchor=False)
    exit_rows = steps[steps["step"].isin(exits)]
    if exit_rows.empty or not exit_rows["reached"].any():
        st.caption("No case reached an exit step." if exits else "This journey defines no exit steps.")
    else:
        st.dataframe(pd.DataFrame({"Exit": exit_rows["label"], "Cases": exit_rows["reached"],
                                   "Of all cases": (exit_rows["reached"] / total).map(
                                       lambda share: format_share(share, 1))}),
                     hide_index=True, width="stretch", height="content",
                     column_config={"Cases": st.column_config.NumberColumn(format="localized")})
with right:
    st.subheader("Before going silent", anchor=False)
    dropped = metrics.cases[metrics.cases["status"] == "dropped"]
    if dropped.empty:
        st.caption("No case has gone silent: every unfinished case had an event recently.")
    else:
        st.caption(f"{len(dropped):,} dropped cases were in the journey a median of "
                   f"{human(dropped['duration_s'].median())} before their last event, and have been silent "
                   f"for a median of {human(dropped['silent_s'].median())} since.")
        by_step = dropped.groupby("last_step").agg(cases=("case", "size"), active_s=("duration_s", "median"),
                                                    silent_s=("silent_s", "median")).sort_values("cases",
                                                                                                 ascending=False)
        st.dataframe(pd.DataFrame({
            "Last step": [view.step_labels.get(step, step) for step in by_step.index], "Cases": by_step["cases"],
            "Median time in journey": by_step["active_s"].map(human),
            "Median silent for": by_step["silent_s"].map(human),
        }), hide_index=True, width="stretch", height="content")
