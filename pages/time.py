"""Time: how long cases take end to end, week by week, at each step, and against each OKR."""

from __future__ import annotations

import streamlit as st

from journeymap.charts import explorer as charts
from journeymap.core.durations import format_seconds_as_text as human
from journeymap.measures.story import lead_time_rule
from journeymap.ui import charting, page
from journeymap.ui.text import md

selection, source, view, subtitle = page.open_page("Time")
metrics = view.metrics
journey = source.journey

lead = metrics.lead_time
cells = st.columns(4)
cells[0].metric("Completed cases", f"{lead.get('count') or 0:,}")
for cell, (name, label) in zip(cells[1:], (("median", "Median lead time"), ("p85", "p85 lead time"),
                                           ("p95", "p95 lead time"))):
    cell.metric(label, human(lead.get(f"{name}_s")),
                help=f"{label.split()[0]} of the time {lead_time_rule(metrics)}, over completed cases.")


if not lead.get("count"):
    st.info("No case has reached an end step yet, so there is no lead time to show; arrival times follow.")
else:
    charting.show(view, lambda: charts.lead_time_chart(metrics, subtitle=subtitle), "lead time",
                  f"{journey.id} lead time", "jm_lead_time")
    charting.show(view, lambda: charts.lead_time_trend_chart(metrics, journey.changes, subtitle=subtitle),
                  "lead time trend", f"{journey.id} lead time by week", "jm_lead_trend")
    if journey.changes:
        st.caption("Process changes marked on the chart: " + "; ".join(
            f"{change.date:%Y-%m-%d} {md(change.title)}" for change in journey.changes))

st.subheader("Time to arrive at each step", anchor=False)
charting.show(view, lambda: charts.arrival_chart(metrics, subtitle=subtitle), "arrivals",
              f"{journey.id} arrival times", "jm_arrivals")

if journey.okrs:
    st.subheader("OKRs", anchor=False)
for number, status in enumerate(view.story.okrs):
    okr = status.okr
    st.markdown(f"**{md(okr.name)}** ({okr.statistic}): baseline {human(okr.baseline_s)} → target "
                f"{human(okr.target_s)} → now **{human(status.current_s)}**"
                + (" ✓ on target" if status.met else ""))
    st.caption(md(status.sentence))
    charting.show(view, lambda okr=okr: charts.okr_chart(metrics, okr), ("okr", number),
                  f"{journey.id} okr {number + 1}", f"jm_okr_{number}")
