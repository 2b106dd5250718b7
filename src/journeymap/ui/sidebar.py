"""The sidebar every page shares: journey, date range and segment filter, bound to the URL.

The selection (:mod:`.state`) is the one source of truth: each widget is set from it before it is
drawn, and a change to a widget updates it in a callback, so pages, links and widgets never disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import streamlit as st

from journeymap.ui import data, enter_commits, page_history, state
from journeymap.ui.state import Selection
from journeymap.ui.text import md

__all__ = ["show", "measure_labels", "JOURNEY_KEY", "DATES_KEY", "SEGMENT_KEY", "VALUES_KEY"]

JOURNEY_KEY, DATES_KEY, SEGMENT_KEY, VALUES_KEY = "jm_w_journey", "jm_w_dates", "jm_w_segment", "jm_w_values"
TIME_KEY = "jm_w_time"
_TIME_LABELS = {"calendar": "Calendar time", "working": "Working time"}
_NO_SEGMENT = ""
# The date field accepts any date of these centuries: a typed date outside the log's days is then
# applied moved inside them, with a note, instead of being refused by the field and left unapplied
# while it still shows (the field would disagree with the figures).
_EARLIEST, _LATEST = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


def measure_labels() -> dict[str, str]:
    """Map colour measures: column -> label (the chart measures, p85 impact, satisfaction and flow efficiency;
    the map page offers the last ones only where the log holds them)."""
    from journeymap.measures.opsmeasures import OPS_MEASURES
    from journeymap.ui.decide import MEASURES  # imported late: decide builds on this module's selection

    return {**MEASURES, **OPS_MEASURES}


def show() -> Selection:
    """Draw the sidebar and return the selection of this run (also stored for the pages)."""
    labels = data.sources()
    if not state.has_selection() or state.url_changed_outside():
        selection = state.parse_query(state.read_url(), list(labels), measure_labels())
    else:
        selection = state.current()
        if selection.journey not in labels:
            selection = Selection(color_by=selection.color_by).with_note(
                "The journey shown before is no longer available; showing the sample onboarding journey.")
    source = data.get_source(selection.journey)
    selection = _checked(selection, source)
    state.store(selection)
    with st.sidebar:
        _journey_widget(selection, labels)
        st.caption(_source_caption(source))
        _date_widget(selection, source)
        _segment_widgets(selection, source)
        _time_widget(selection, source)
        if not selection.case_filter().is_empty():
            st.button("Clear filters", on_click=_clear_filters, icon=":material/filter_alt_off:")
        for note in selection.notes:
            st.warning(md(note), icon=":material/link_off:")
        enter_commits.enable()
        page_history.enable()
    return selection


def _checked(selection: Selection, source: data.Source) -> Selection:
    """The selection with filter values that fit this source's data (others dropped with a note)."""
    bounds = data.date_bounds(source)
    if bounds is not None:
        low, high = bounds
        for name, value in (("start", selection.start), ("end", selection.end)):
            if value is not None and not low <= value <= high:
                clamped = min(max(value, low), high)
                moved: dict[str, Any] = {name: None if clamped in (low, high) else clamped}
                selection = replace(selection, **moved).with_note(
                    f"The cases in this log started between {low} and {high}; the date {value} was moved inside.")
        if selection.start == low:
            selection = replace(selection, start=None)
        if selection.end == high:
            selection = replace(selection, end=None)
    if selection.time == "working" and not source.journey.calendars:
        selection = replace(selection, time="calendar").with_note(
            "This journey defines no working calendars, so its durations are shown in calendar time.")
    if selection.segment and selection.segment not in source.log.attributes:
        selection = replace(selection, segment=None, values=()).with_note(
            f"This log has no column '{selection.segment}' to filter on; the segment filter was cleared.")
    if selection.segment and selection.values:
        known = set(data.segment_options(source, selection.segment))
        unknown = [value for value in selection.values if value not in known]
        if unknown:
            selection = replace(selection, values=tuple(v for v in selection.values if v in known)).with_note(
                f"No case has {selection.segment} = {', '.join(unknown[:5])}; "
                f"{'that value was' if len(unknown) == 1 else 'those values were'} left out of the filter.")
    return selection


def _journey_widget(selection: Selection, labels: dict[str, str]) -> None:
    st.session_state[JOURNEY_KEY] = selection.journey
    st.selectbox("Journey", list(labels), format_func=lambda key: labels.get(key, key), key=JOURNEY_KEY,
                 on_change=_journey_changed, help="The sample journeys, and any you loaded on the Data page.")


def _journey_changed() -> None:
    chosen = st.session_state.get(JOURNEY_KEY)
    state.choose(journey=chosen, start=None, end=None, segment=None, values=(), step=None)


def _date_widget(selection: Selection, source: data.Source) -> None:
    bounds = data.date_bounds(source)
    if bounds is None:
        return
    low, high = bounds
    st.session_state[DATES_KEY] = (selection.start or low, selection.end or high)
    st.date_input("Cases started between", min_value=min(low, _EARLIEST), max_value=max(high, _LATEST), key=DATES_KEY,
                  on_change=_dates_changed, args=(low, high), format="YYYY-MM-DD",
                  help="Keeps the cases whose first event falls in this range (both days included).")


def _dates_changed(low: dt.date, high: dt.date) -> None:
    chosen: Any = st.session_state.get(DATES_KEY) or ()
    start = chosen[0] if len(chosen) > 0 else None
    end = chosen[1] if len(chosen) > 1 else None
    if start and end and start > end:  # typed backwards: the range the user means
        start, end = end, start
    state.choose(start=None if start in (None, low) else start, end=None if end in (None, high) else end)


def _segment_widgets(selection: Selection, source: data.Source) -> None:
    columns = list(source.log.attributes)
    if not columns:
        st.caption("This log has no attribute columns to filter on.")
        return
    st.session_state[SEGMENT_KEY] = selection.segment or _NO_SEGMENT
    st.selectbox("Segment", [_NO_SEGMENT, *columns], key=SEGMENT_KEY, on_change=_segment_changed,
                 format_func=lambda column: column or "All cases (no segment filter)",
                 help="Filter on any attribute column of the event log.")
    if not selection.segment:
        return
    options = data.segment_options(source, selection.segment)
    st.session_state[VALUES_KEY] = [value for value in selection.values if value in options]
    st.multiselect(md(f"{selection.segment} is any of"), options, key=VALUES_KEY, on_change=_values_changed,
                   placeholder="Choose values (none = all cases)", wrap=True)


def _time_widget(selection: Selection, source: data.Source) -> None:
    """Durations in calendar or working time, for journeys with calendars."""
    if not source.journey.calendars:
        return
    st.session_state[TIME_KEY] = selection.time
    st.radio("Durations in", list(_TIME_LABELS), format_func=_TIME_LABELS.__getitem__, key=TIME_KEY,
             on_change=_time_changed, horizontal=True,
             help="Working time counts only the working hours of each step's calendar (the journey's "
                  "calendars); targets and OKRs keep the clock they name.")


def _time_changed() -> None:
    state.update(time=st.session_state.get(TIME_KEY) or "calendar")


def _segment_changed() -> None:
    state.choose(segment=st.session_state.get(SEGMENT_KEY) or None, values=())


def _values_changed() -> None:
    state.choose(values=tuple(st.session_state.get(VALUES_KEY) or ()))


def _clear_filters() -> None:
    state.choose(start=None, end=None, segment=None, values=())


def _source_caption(source: data.Source) -> str:
    cases, events = data.log_counts(source)
    origin = "sample log" if source.origin == "sample" else "uploaded"
    return md(f"Events: {source.log_name} ({origin}) · {cases:,} cases · {events:,} events")
