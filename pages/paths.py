"""Paths: the routes cases really take, and where they depart from the design."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from journeymap.charts import explorer as charts
from journeymap.charts import style as chartstyle
from journeymap.core.durations import format_seconds_as_text as human
from journeymap.core.numbers import format_share
from journeymap.ui import charting, page
from journeymap.ui.text import md

selection, source, view, subtitle = page.open_page("Paths")
metrics = view.metrics
labels = view.step_labels

variants = metrics.variants
covered = int(variants["count"].sum()) if len(variants) else 0
st.markdown(f"{metrics.n_cases:,} cases took **{metrics.n_variants:,}** different paths; the {len(variants)} most "
            f"common cover {format_share(covered / max(metrics.n_cases, 1))} of cases.")
charting.show(view, lambda: charts.paths_chart(metrics, subtitle=chartstyle.chart_subtitle(metrics, view.case_filter)),
              "paths", f"{source.journey.id} paths", "jm_paths")

st.table(
    pd.DataFrame(
        {
            "#": [str(rank) for rank in range(1, len(variants) + 1)],
            "Path": [md(" → ".join(labels.get(step, step) for step in path)) for path in variants["path"]],
            "Cases": [f"{count:,}" for count in variants["count"]],
            "Share": [format_share(share, 1) for share in variants["share"]],
            "Median lead time": [
                human(value) if pd.notna(value) else "not finished" for value in variants["median_lead_time_s"]
            ],
            "Example case": [md(case) for case in variants["example_case"]],
        }
    ),
    hide_index=True,
    border="horizontal",
)

st.header("Designed vs actual", anchor=False)
found = view.conformance
completed = metrics.status_counts.get("completed", 0)
off, steps_off, skipped, rework = found.off_map_transitions, found.off_map_steps, found.skipped, found.rework
tabs = st.tabs([f"Off-map transitions ({len(off):,})", f"Skipped mandatory steps ({len(skipped):,})",
                f"Rework ({len(rework):,})", f"Off-map activities ({len(steps_off):,})"])
with tabs[0]:
    if off.empty:
        st.caption("Every observed transition is in the design.")
    else:
        st.caption("Moves between steps that the design does not have, most taken first.")
        st.dataframe(
            pd.DataFrame(
                {
                    "From": [labels.get(step, step) for step in off["from"]],
                    "To": [labels.get(step, step) for step in off["to"]],
                    "Times": off["count"],
                    "Cases affected": off["cases"],
                    "Median time": off["median_s"].map(human),
                }
            ),
            hide_index=True,
            width="stretch",
            height=min(35 * (len(off) + 1) + 3, 420),
        )
with tabs[1]:
    if skipped.empty:
        st.caption("Every completed case went through every step the design makes mandatory.")
    else:
        st.caption("Steps every designed path passes through, missing from completed cases.")
        st.dataframe(pd.DataFrame({"Step": skipped["label"], "Completed cases that skipped it": skipped["cases"],
                                   "Of completed": (skipped["cases"] / max(completed, 1)).map(
                                       lambda share: format_share(share, 1))}),
                     hide_index=True, width="stretch", height="content")
with tabs[2]:
    if rework.empty:
        st.caption("No case did a step twice.")
    else:
        st.dataframe(pd.DataFrame({"Step": rework["label"], "Cases that did it twice or more": rework["rework_cases"],
                                   "Of cases reaching it": rework["rework_share"].map(
                                       lambda share: format_share(share, 1))}),
                     hide_index=True, width="stretch", height="content")
with tabs[3]:
    if steps_off.empty:
        st.caption("Every activity in the log maps to a step.")
    else:
        st.caption("Activities in the log that map to no step of the journey (kept, shown off the map).")
        st.dataframe(pd.DataFrame({"Activity": steps_off["step"], "Events": steps_off["events"],
                                   "Cases affected": steps_off["reached"]}), hide_index=True, width="stretch",
                     height=min(35 * (len(steps_off) + 1) + 3, 420))
