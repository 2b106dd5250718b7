"""The Map page's detail control: the Steps and Transitions sliders and the caption of what they hide.

What is drawn is decided by `journeymap.charts.mapdetail.map_detail` (as for exports and the report),
ranked on the unfiltered log, so a filter changes the figures on the map but not its shape.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from journeymap.charts.mapdetail import MapDetail, map_detail
from journeymap.ui import data
from journeymap.ui.state import Selection

__all__ = ["detail_control"]

_STEPS_KEY, _TRANSITIONS_KEY, _SCOPE_KEY = "jm_w_steps", "jm_w_transitions", "jm_map_detail_scope"
_CHOSEN_KEY = "jm_map_detail_chosen"  # the sliders' applied values, kept where Streamlit does not drop them


def detail_control(selection: Selection, source: data.Source, view: data.View, hotspots: list, show_off_map: bool,
                   width: int, height: int) -> MapDetail:
    """Draw the two sliders (starting at what fits the map's size) and return what the map shows."""
    reference = data.view(source, replace(selection, start=None, end=None, segment=None, values=())).metrics
    metrics = view.metrics

    def decide(steps: int | None, transitions: int | None) -> MapDetail:
        return view.memo(("map_detail", steps, transitions, show_off_map, tuple(h.step for h in hotspots)),
                         lambda: map_detail(metrics, steps=steps, transitions=transitions, hotspots=hotspots,
                                            show_off_map=show_off_map, reference=reference, width=width,
                                            height=height))

    fitting = decide(None, None)
    # The sliders start again from what fits whenever the journey or the off-map switch changes.
    scope = (source.id, show_off_map)
    if st.session_state.get(_SCOPE_KEY) != scope:
        st.session_state[_SCOPE_KEY] = scope
        st.session_state[_CHOSEN_KEY] = (fitting.steps_setting, fitting.transitions_setting)
        st.session_state[_STEPS_KEY], st.session_state[_TRANSITIONS_KEY] = st.session_state[_CHOSEN_KEY]
    # Streamlit drops a widget's value when a page without the widget runs; back on the map, the sliders
    # would open at their minimum (one step, no transition). They get back what was applied.
    if _STEPS_KEY not in st.session_state or _TRANSITIONS_KEY not in st.session_state:
        st.session_state[_STEPS_KEY], st.session_state[_TRANSITIONS_KEY] = st.session_state.get(
            _CHOSEN_KEY, (fitting.steps_setting, fitting.transitions_setting))
    if fitting.n_steps < 3:
        return fitting
    left, right = st.columns(2)
    steps = left.slider("Steps", 1, fitting.n_steps, key=_STEPS_KEY,
                        help="Show the steps most cases reached; start, end and hotspot steps always show. "
                             "The map's subtitle says how many are hidden: drag right to show more.")
    transitions = right.slider("Transitions", 0, 100, key=_TRANSITIONS_KEY, format="%d%%",
                               help="Show this share of the transitions between the steps shown, busiest first. "
                                    "Every step shown keeps a way in and out, through hidden steps if need be.")
    st.session_state[_CHOSEN_KEY] = (steps, transitions)
    detail = fitting if (steps, transitions) == (fitting.steps_setting, fitting.transitions_setting) \
        else decide(steps, transitions)
    # What is hidden is said once, in the chart's own subtitle (so downloads say it too): a caption here as
    # well took two lines at 1280 x 720 and pushed the map further down the first screen.
    return detail
