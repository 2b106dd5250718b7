"""What if: replay the completed cases with one step changed, and which step's fix would move p85 most."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from journeymap.charts import compare as comparecharts
from journeymap.core.durations import clock_words
from journeymap.core.durations import format_seconds_as_text as human
from journeymap.core.numbers import format_change
from journeymap.ui import charting, decide, share_bars, state
from journeymap.ui.text import md

STEP_KEY, CHANGE_KEY, PCT_KEY = "jm_wi_step", "jm_wi_change", "jm_wi_pct"
CHANGES = {"cut": "Cut its time to arrive by …", "cap": "Cap it at its target", "no_rework": "Remove its rework",
           "remove": "Remove the step"}

selection, source, view, subtitle = decide.open_page("What if we fixed it?")
journey, metrics = source.journey, view.metrics
impact = decide.impact(view)
if not metrics.lead_time.get("count"):
    st.info("No case has reached an end step yet, so there is no lead time to replay.")
    st.stop()

labels = dict(zip(impact["step"], impact["label"]))
steps = [step for step in metrics.steps.loc[metrics.steps["completed_reached"] > 0, "step"] if step in labels]
if not steps:
    st.info("No step has arrivals from completed cases to replay.")
    st.stop()
best = next((step for step in impact["step"] if step in steps), steps[0])
step = decide.option("fix", STEP_KEY, lambda text: text if text in steps else None, best)
targets = {s.id for s in journey.steps if s.target is not None}
changes = [change for change in CHANGES if change != "cap" or step in targets]
change = decide.option("how", CHANGE_KEY, lambda text: text if text in changes else None, "cut")
cut = decide.option("pct", PCT_KEY, lambda text: int(text) if 0 <= int(text) <= 100 else None, 50)

left, middle, right = st.columns([3, 3, 2], vertical_alignment="bottom")
left.selectbox("Step to fix", steps, key=STEP_KEY, format_func=lambda s: labels.get(s, s),
               on_change=decide.remember, args=("fix", STEP_KEY, best),
               help="Steps reached by completed cases; the one whose halving saves most p85 lead time comes first.")
middle.selectbox("Change", changes, key=CHANGE_KEY, format_func=CHANGES.get, on_change=decide.remember,
                 args=("how", CHANGE_KEY, "cut"),
                 help="Cap needs a target on the step (e.g. target: {p85: 3d} in the journey YAML).")
if change == "cut":
    right.slider("Cut by (%)", 0, 100, step=5, key=PCT_KEY, on_change=decide.remember, args=("pct", PCT_KEY, 50))

result = decide.replay(view, step, change, cut if change == "cut" else 0)
st.markdown(f"##### {md(result.sentence)}")
cells = st.columns(3)
for cell, row in zip(cells, result.quantiles.itertuples(index=False)):
    moved = row.change_s == row.change_s and abs(row.change_s) >= 1
    sign = "-" if row.change_s < 0 else "+"  # an ASCII sign: Streamlit reads the arrow's direction from it
    cell.metric(f"{row.statistic} lead time", human(row.after_s), border=True,
                delta=(f"{sign}{human(abs(row.change_s))} ({format_change(row.change)}) from {human(row.before_s)}"
                       if moved else f"no change from {human(row.before_s)}"),
                delta_color="inverse" if moved else "off",
                delta_arrow="auto" if moved else "off")
for okr in result.okrs.itertuples(index=False):
    gap = (f"on target ({human(-okr.gap_after_s)} to spare)" if okr.met_after
           else f"still {human(okr.gap_after_s)} over target")
    st.markdown(f"**OKR {md(okr.okr)}** ({okr.statistic}{clock_words(okr.time, result.time)}, target "
                f"{human(okr.target_s)}): "
                f"{human(okr.before_s)} now → {human(okr.after_s)} with this change, {gap}.")
st.caption("The replay changes only this step's measured arrival times and keeps everything else as it was: an "
           "estimate of the direct effect, not a model of queues.")
charting.show(view, lambda: comparecharts.whatif_chart(result, subtitle=subtitle),
              ("whatif", step, change, cut), f"{journey.id} what if {result.description}", "jm_wi_chart")

st.header("Which step is worth fixing?", anchor=False)
st.markdown("If one step's arrival times were **halved**, how much would p85 lead time fall? The steps are ranked by "
            "that p85 impact.")
if st.button("Colour the map by p85 impact", icon=":material/account_tree:"):
    state.update(color_by=decide.P85_IMPACT)
    st.switch_page("pages/map.py")
shown = impact[impact["p85_impact_s"] > 0]
impact_table, share_config = share_bars.share_bars(pd.DataFrame({
    "Step": shown["label"], "p85 lead time saved": shown["p85_impact_s"].map(human),
    "Of p85 lead time": shown["impact_share"], "p85 with the step halved": shown["p85_after_s"].map(human),
}), ["Of p85 lead time"], most=max(float(np.nanmax(shown["impact_share"], initial=0)), 0.01), decimals=1)
st.dataframe(impact_table, hide_index=True, width="stretch", height="content", column_config=share_config)
charting.show(view, lambda: comparecharts.impact_chart(impact, subtitle=subtitle), "impact",
              f"{journey.id} p85 impact", "jm_wi_impact")
