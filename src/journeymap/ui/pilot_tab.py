"""The Compare page's "Did the pilot work?" tab: a segment that tried a change first, against everyone else."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from journeymap.charts import flow as flowcharts
from journeymap.decide.compare import segment_values
from journeymap.decide.pilot import latest_pilot
from journeymap.engine.stats import MIN_CASES
from journeymap.measures.casetimes import CaseTimes
from journeymap.ui import charting, decide
from journeymap.ui.decide import interval, pair
from journeymap.ui.text import md

__all__ = ["show"]

DATE_KEY, PILOT_KEY, COLUMN_KEY, VALUE_KEY = "jm_pilot_change", "jm_pilot", "jm_pilot_column", "jm_pilot_value"


def show(view: Any, times: CaseTimes, subtitle: str, first_day: dt.date, last_day: dt.date) -> None:
    """Pick the change date and the pilot segment; show the effect beyond everyone else's change, and the trend."""
    source = view.source
    columns = [column for column in source.log.attributes if column in times.segments]
    if not columns or last_day <= first_day:
        st.info("A pilot needs an attribute column (department, location …) naming who tried the change, and cases "
                "on more than one day.")
        return
    change = latest_pilot(source.journey)
    named = change.pilot[0] if change and change.pilot and change.pilot[0][0] in columns else None
    default_day = change.date if change and first_day < change.date <= last_day else first_day + (
        last_day - first_day) / 2
    default = f"{named[0]}={named[1]}" if named else ""
    day = decide.option("pilot_date", DATE_KEY, lambda text: _day(text, first_day, last_day), default_day)
    chosen = decide.option("pilot", PILOT_KEY, lambda text: text if _fits(text, columns) else None, default)
    column, _, value = chosen.partition("=") if chosen else (columns[0], "", "")
    values = list(pd.Series(segment_values(times, column)).value_counts().index)
    value = value if value in values else values[0]
    left, middle, right = st.columns([2, 2, 2])
    left.date_input("Date of the change", min_value=first_day + dt.timedelta(days=1), max_value=last_day,
                    key=DATE_KEY, format="YYYY-MM-DD", on_change=decide.remember,
                    args=("pilot_date", DATE_KEY, default_day, dt.date.isoformat))
    st.session_state[COLUMN_KEY], st.session_state[VALUE_KEY] = column, value
    middle.selectbox("Pilot segment", columns, key=COLUMN_KEY, on_change=_remember_pilot, args=(default, True))
    right.selectbox("Pilot value", values, key=VALUE_KEY, on_change=_remember_pilot, args=(default, False))
    if change and change.pilot:
        st.caption(f"The journey records a pilot: {change.date:%Y-%m-%d} {md(change.title)}, piloted by "
                   + md(" and ".join(f"{c} {v}" for c, v in change.pilot)) + ".")
    result = decide.pilot(view, day, None, column, value)
    sizes = result.group_sizes
    st.markdown(f"**{md(column)} {md(value)}: {sizes['pilot_before']:,} cases before {day:%d %b %Y}, "
                f"{sizes['pilot_after']:,} after; everyone else {sizes['others_before']:,} and "
                f"{sizes['others_after']:,}.** The pilot's change beyond everyone else's over the same dates, "
                "with 95% intervals:")
    st.markdown("\n".join(f"- {md(verdict)}" for verdict in result.verdicts()))
    rows = [result.lead_time, *result.steps.to_dict("records")]
    st.dataframe(pd.DataFrame({
        "Step": ["Lead time (end to end)", *result.steps["label"]] if len(result.steps) else ["Lead time (end to end)"],
        "Pilot median": [pair(r["median_s_pilot_before"], r["median_s_pilot_after"]) for r in rows],
        "Everyone else": [pair(r["median_s_others_before"], r["median_s_others_after"]) for r in rows],
        "Effect on the median (95% CI)": [interval(r) for r in rows],
        "Effect on p85 (95% CI)": [interval(r, "p85_") for r in rows],
    }), hide_index=True, width="stretch", height="content")
    st.caption("Effect: (pilot after / before) ÷ (everyone else after / before) − 1, so a season that moved everyone "
               f"is not counted as the pilot's. ◆: the interval excludes no effect. Each of the four groups needs "
               f"{MIN_CASES} cases; intervals from 1,000 seeded bootstrap resamples of each group's cases.")
    charting.show(view, lambda: flowcharts.pilot_chart(result, subtitle=subtitle), ("pilot", day, column, value),
                  f"{source.journey.id} pilot {column} {value}", "jm_pilot_chart")


def _day(text: str, first_day: dt.date, last_day: dt.date) -> dt.date | None:
    day = dt.date.fromisoformat(text)
    return day if first_day < day <= last_day else None


def _fits(text: str, columns: list[str]) -> bool:
    column, sep, value = text.partition("=")
    return bool(sep) and column in columns  # "COL=" is the column's most common value


def _remember_pilot(default: str, column_changed: bool) -> None:
    """Keep the pilot in the URL as COL=VALUE; a new column leaves the value open ("COL=": its most common one)."""
    column = st.session_state[COLUMN_KEY]
    text = f"{column}=" if column_changed else f"{column}={st.session_state[VALUE_KEY]}"
    decide.keep("pilot", None if text == default else text)
