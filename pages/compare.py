"""Compare: did our change work (cases started before against after a date), and who is it worse for."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import streamlit as st

from journeymap.charts import compare as comparecharts
from journeymap.core.numbers import format_share
from journeymap.decide.compare import latest_change
from journeymap.engine.stats import MIN_CASES
from journeymap.ui import charting, decide, pilot_tab, share_bars
from journeymap.ui.decide import interval, pair
from journeymap.ui.text import md

DATE_KEY, WINDOW_KEY, SEGMENT_KEY = "jm_cmp_change", "jm_cmp_window", "jm_cmp_by"
WINDOWS = [0, 30, 60, 90, 180]

selection, source, view, subtitle = decide.open_page("Compare")
journey, metrics = source.journey, view.metrics
times = decide.times(view)
first_day, last_day = (dt.datetime.fromtimestamp(us / 1e6, tz=dt.UTC).date()
                       for us in (times.start_us.min(), times.start_us.max()))


def did_our_change_work() -> None:
    """The first tab: before and after a change date. Returns early (not st.stop, which would
    blank the second tab too) when there is nothing to compare."""
    if last_day <= first_day:
        st.info("Every case here started on the same day: there is no before and after to compare.")
        return
    latest = latest_change(journey)
    middle = dt.datetime.fromtimestamp(float(np.median(times.start_us)) / 1e6, tz=dt.UTC).date()
    default = (latest.date if latest and first_day < latest.date <= last_day
               else max(middle, first_day + dt.timedelta(days=1)))

    def _in_range(text: str) -> dt.date | None:
        day = dt.date.fromisoformat(text)
        return day if first_day < day <= last_day else None

    day = decide.option("change", DATE_KEY, _in_range, default)
    window = decide.option("window", WINDOW_KEY, lambda text: int(text) if int(text) in WINDOWS else None, 0)
    left, right, _ = st.columns([2, 2, 3])
    left.date_input("Date of the change", min_value=first_day + dt.timedelta(days=1), max_value=last_day,
                    key=DATE_KEY, format="YYYY-MM-DD", on_change=decide.remember,
                    args=("change", DATE_KEY, default, dt.date.isoformat),
                    help="Cases that started before this day against those that started on or after it.")
    right.selectbox("Cases compared", WINDOWS, key=WINDOW_KEY, on_change=decide.remember,
                    args=("window", WINDOW_KEY, 0),
                    format_func=lambda days: f"Started within {days} days either side" if days else "All cases")
    if journey.changes:
        st.caption("Process changes recorded in the journey: " + "; ".join(
            f"{change.date:%Y-%m-%d} {md(change.title)}" for change in journey.changes))
    else:
        st.caption("This journey records no process changes (add them under `changes:` in its YAML); pick the "
                   "date of yours above. It starts at the middle of the cases' start dates.")
    result = decide.comparison(view, day, window or None)
    n_before, n_after = decide.group_sizes(times, day, window or None)
    st.markdown(f"**{n_before:,} cases started before {day:%d %b %Y}, {n_after:,} on or after it.** "
                "What moved, with 95% intervals:")
    verdicts = result.verdicts()
    st.markdown("\n".join(f"- {md(verdict)}" for verdict in verdicts))
    if len(verdicts) == 2:
        st.caption("No step's median or p85 time to arrive moved clearly (or too few cases to tell).")
    steps = result.steps
    st.dataframe(pd.DataFrame({
        "Step": steps["label"], "Arrivals": [f"{a:,} → {b:,}" for a, b in zip(steps["n_before"], steps["n_after"])],
        "Median arrival": [pair(a, b) for a, b in zip(steps["median_s_before"], steps["median_s_after"])],
        "Median change (95% CI)": [interval(row) for _, row in steps.iterrows()],
        "p85 arrival": [pair(a, b) for a, b in zip(steps["p85_s_before"], steps["p85_s_after"])],
        "p85 change (95% CI)": [interval(row, "p85_") for _, row in steps.iterrows()],
        "Drop-off": [f"{format_share(a, 1)} → {format_share(b, 1)}" if a == a and b == b else "–"
                     for a, b in zip(steps["drop_off_rate_before"], steps["drop_off_rate_after"])],
        "Drop-off change (95% CI)": [interval(row, "drop_off_", points=True) for _, row in steps.iterrows()],
    }), hide_index=True, width="stretch", height="content",  # wider than 1280 x 720: it scrolls, the step stays
        column_config={"Step": st.column_config.Column(pinned=True)})
    st.caption(f"◆: the 95% interval excludes no change. Intervals come from 1,000 seeded bootstrap resamples over "
               f"cases; a group with fewer than {MIN_CASES} cases is too few to tell. Cases still open lean fast: "
               "slow cases finish last.")
    charting.show(view, lambda: comparecharts.comparison_chart(result, subtitle=subtitle), ("compare", day, window),
                  f"{journey.id} before and after {day}", "jm_cmp_chart")


def who_is_it_worse_for() -> None:
    """The second tab: each segment value against the rest."""
    columns = list(source.log.attributes)
    if not columns:
        st.info("This log has no attribute columns (department, priority, channel …) to compare cases by.")
        return
    column = decide.option("by", SEGMENT_KEY, lambda text: text if text in columns else None, columns[0])
    st.selectbox("Compare the values of", columns, key=SEGMENT_KEY, on_change=decide.remember,
                 args=("by", SEGMENT_KEY, columns[0]), help="Each value against all other cases.")
    if selection.segment == column and selection.values:
        st.caption(f"The sidebar keeps only {md(column)} = {md(' or '.join(selection.values))}: clear that filter to "
                   "compare all its values.")
    found = decide.segments(view, column)
    lead = found.lead_time
    clear = lead["significant"] | lead["p85_significant"]
    if clear.any():
        st.markdown("\n".join(f"- {md(verdict)}" for verdict in lead.loc[clear, "verdict"]))
    unclear = [md(value) for value in lead.loc[~clear, "value"]]
    if unclear:
        st.markdown(f"Lead time: no clear difference from the rest for {', '.join(unclear)}.")
    ranked = found.ranking[found.ranking["significant"] | found.ranking["p85_significant"]]
    if len(ranked):
        st.markdown("**Where the values differ most**, surest gap first:")
        st.markdown("\n".join(f"{rank}. {md(verdict)}" for rank, verdict in enumerate(ranked["verdict"].head(5), 1)))
    else:
        st.caption("No step differs clearly between the values (or too few cases to tell).")
    st.dataframe(pd.DataFrame({
        column: found.values["value"],
        "Cases": [f"{n:,} ({format_share(share)})" for n, share in zip(found.values["cases"], found.values["share"])],
        "Median lead time": [pair(a, b) for a, b in zip(lead["median_s_rest"], lead["median_s_segment"])],
        "Median against the rest (95% CI)": [interval(row) for _, row in lead.iterrows()],
        "p85 lead time": [pair(a, b) for a, b in zip(lead["p85_s_rest"], lead["p85_s_segment"])],
        "p85 against the rest (95% CI)": [interval(row, "p85_") for _, row in lead.iterrows()],
        "Completion": [f"{format_share(b)} (rest {format_share(a)})" if b == b else "–"
                       for a, b in zip(lead["completion_rate_rest"], lead["completion_rate_segment"])],
        "Completion against the rest": [interval(row, "completion_", points=True) for _, row in lead.iterrows()],
    }), hide_index=True, width="stretch", height="content",
        column_config={column: st.column_config.Column(pinned=True)})
    st.caption("Lead times read rest → this value.")
    charting.show(view, lambda: comparecharts.segment_chart(found, subtitle=subtitle), ("segment", column),
                  f"{journey.id} by {column}", "jm_cmp_segment")
    st.subheader("Funnel by value", anchor=False)
    # The comparison lists a step for a value only where some of its cases reached it: elsewhere none did.
    funnel = found.funnel.pivot_table(index="label", columns="value", values="share", sort=False, fill_value=0.0)
    funnel = funnel[[value for value in found.values["value"] if value in funnel.columns]]
    by_value, share_config = share_bars.share_bars(funnel.rename_axis("Step").reset_index(),
                                                   list(funnel.columns), narrow=True)
    st.dataframe(by_value, hide_index=True, width="content", height="content",  # many values: it scrolls
                 column_config={**share_config, "Step": st.column_config.Column(pinned=True)})
    st.caption("Share of each value's cases that reached the step.")


worked, worse, piloted = st.tabs(["Did our change work?", "Who is it worse for?", "Did the pilot work?"])
with worked:
    did_our_change_work()
with worse:
    who_is_it_worse_for()
with piloted:
    pilot_tab.show(view, times, subtitle, first_day, last_day)
