"""Flow & stuck: what is stuck right now, how work flows week by week, and whether the OKR is on track."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from journeymap.charts import flow as flowcharts
from journeymap.core.durations import clock_words
from journeymap.core.durations import format_seconds_as_text as human
from journeymap.core.numbers import format_share
from journeymap.decide import flow
from journeymap.decide.whatif import okr_budget
from journeymap.ui import charting, decide, downloads
from journeymap.ui.text import md

OKR_KEY = "jm_flow_okr"
_CASE_ROWS = 1000

selection, source, view, subtitle = decide.open_page("Flow & stuck")
journey, metrics = source.journey, view.metrics
times = decide.times(view)
stuck_now, flowing, on_track = st.tabs(["What is stuck now?", "How is the flow?", "Are we on track for the OKR?"])

with stuck_now:
    stuck = decide.stuck(view)
    if stuck.empty:
        st.info("No case is in flight: every case has completed, exited or gone silent.")
    else:
        over_p85, over_target = int(stuck["over_p85"].sum()), int(stuck["over_target"].sum())
        st.markdown(f"##### {len(stuck):,} cases are in flight; {over_p85:,} have waited at their step longer than "
                    f"usual (its p85) and {over_target:,} longer than its target.")
        by_step = flow.stuck_by_step(stuck)
        st.dataframe(pd.DataFrame({
            "Waiting at": by_step["label"], "In flight": by_step["in_flight"], "Over usual p85": by_step["over_p85"],
            "Over target": by_step["over_target"], "Longest wait": by_step["longest_wait_s"].map(human),
        }), hide_index=True, width="stretch", height="content")
        st.subheader("Every case in flight, longest waiting first", anchor=False)
        st.download_button("Download the cases in flight (CSV)", data=flow.stuck_cases_csv(stuck),
                           file_name=downloads.file_stem(f"{journey.id} in flight "
                                                         f"{downloads.filter_name(view.case_filter)}") + ".csv",
                           mime="text/csv", on_click="ignore",
                           icon=":material/download:", key="jm_flow_csv")
        segments = [column for column in source.log.attributes if column in stuck.columns]
        shown = stuck.head(_CASE_ROWS)
        table = pd.DataFrame({
            "Case": shown["case"], "Waiting at": shown["label"], "Waiting for": shown["waiting_s"].map(human),
            "Usual wait (p85)": shown["usual_wait_p85_s"].map(human),
            "Target": [human(seconds) + (clock_words(clock, times.time) if clock else "")
                       for seconds, clock in zip(shown["target_s"], shown["target_time"])],
            "Over usual": shown["over_p85"].map({True: "▲ over", False: ""}),
            "Over target": shown["over_target"].map({True: "▲ over", False: ""}),
            "Age of the case": shown["age_s"].map(human), **{column: shown[column] for column in segments}})
        st.dataframe(table, hide_index=True, width="stretch", height=min(36 * (len(table) + 1) + 2, 460),
                     column_config={"Case": st.column_config.Column(pinned=True)})  # scrolls sideways at 1280 x 720
        if len(stuck) > _CASE_ROWS:
            st.caption(f"The {_CASE_ROWS:,} longest waiting of {len(stuck):,} are listed; the CSV has them all.")
        st.caption("Usual wait: the p85 of the time from an event at the step to the case's next event. Target: "
                   "the tightest target on the steps or transitions that leave it, judged on the clock it names.")

with flowing:
    throughput = flow.weekly_throughput(times)
    charting.show(view, lambda: flowcharts.throughput_chart(throughput, journey.changes, subtitle=subtitle),
                  "throughput", f"{journey.id} throughput", "jm_flow_throughput")
    charting.show(view, lambda: flowcharts.cumulative_flow_chart(flow.cumulative_flow(times), journey.changes,
                                                                 subtitle=subtitle),
                  "cumulative flow", f"{journey.id} cumulative flow", "jm_flow_cfd")
    forecast = flow.forecast_wip(times)
    st.markdown(f"##### {md(forecast.sentence)}")
    st.caption("Monte Carlo: 10,000 runs that draw each coming week's completions from the last complete weeks "
               "(seeded). It assumes no new cases join the queue and the recent pace holds.")
    charting.show(view, lambda: flowcharts.forecast_chart(forecast, flow.work_in_progress(times), journey.changes,
                                                          subtitle=subtitle),
                  "forecast", f"{journey.id} forecast", "jm_flow_forecast")

with on_track:
    okrs = list(journey.okrs)
    if not okrs:
        st.info("This journey has no OKR: add one under `okrs:` in its YAML (from, to, statistic, baseline, target).")
        st.stop()
    number = decide.option("okr", OKR_KEY, lambda text: int(text) if 0 <= int(text) < len(okrs) else None, 0)
    if len(okrs) > 1:
        st.selectbox("OKR", range(len(okrs)), key=OKR_KEY, format_func=lambda i: okrs[i].name,
                     on_change=decide.remember, args=("okr", OKR_KEY, 0))
    status = view.story.okrs[number]
    okr, last = status.okr, status.latest
    st.markdown(f"**{md(okr.name)}**: {okr.statistic} from baseline {human(okr.baseline_s)} to target "
                f"{human(okr.target_s)}. {md(status.sentence)}")
    if last is not None:
        st.markdown(f"##### Week of {last['week']:%d %b %Y}: {okr.statistic} {human(last['value_s'])}, "
                    f"{format_share(last['progress'])} of the way from baseline to target.")
    charting.show(view, lambda: flowcharts.okr_progress_chart(status.weekly, okr, journey.changes, subtitle=subtitle),
                  ("okr progress", number), f"{journey.id} okr {number + 1} progress", "jm_flow_okr_progress")
    st.subheader("Budget per step", anchor=False)
    budget = okr_budget(times, okr)
    if budget.empty:
        st.caption("No completed case went from the OKR's first step to its last, so there is nothing to split.")
    else:
        st.markdown(f"The target of {human(okr.target_s)}{clock_words(okr.time, times.time)} split across the "
                    "usual steps in proportion to their "
                    f"median; what the cases at the {okr.statistic} spend at each step against it:")
        over = budget[budget["over_budget"]].sort_values("over_budget_s", ascending=False)
        st.markdown("\n".join(f"- **{md(row.label)}**: {md(row.sentence.removeprefix(f'{row.label}: '))}"
                              for row in over.itertuples(index=False)) or "Every step is within its budget.")
        charting.show(view, lambda: flowcharts.okr_budget_chart(budget, okr, subtitle=subtitle),
                      ("okr budget", number), f"{journey.id} okr {number + 1} budget", "jm_flow_okr_budget")
