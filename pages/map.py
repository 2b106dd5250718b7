"""Map: the journey drawn from its definition, the measured figures on it, and the hotspots beside it."""

from __future__ import annotations

import streamlit as st

from journeymap.charts import map as mapchart
from journeymap.charts import style as chartstyle
from journeymap.charts.mapdetail import legible_height
from journeymap.measures.hotspots import hotspot_marker
from journeymap.measures.opsmeasures import OPS_MEASURES
from journeymap.measures.story import MARKED_HOTSPOTS
from journeymap.ui import charting, decide, map_screen, ops_panel, page, state, step_details, workshop_replay
from journeymap.ui.map_detail import detail_control
from journeymap.ui.text import md

COLOR_KEY, STEP_KEY, OFF_MAP_KEY, CLICK_KEY = "jm_w_color", "jm_w_step", "jm_w_off_map", "jm_map_click"
HANDOFFS_KEY, HOTSPOTS_KEY = "jm_w_handoffs", "jm_map_hotspots"
# Labels and the default detail are planned for the main column of a 1280 x 720 screen with the sidebar
# open (`map_screen`): its width, and the height left under the header. The chart stretches to the column
# it gets, so on a wider screen its columns only get wider.
MAP_WIDTH = map_screen.COLUMN_PX

selection, source, view = page.context()
metrics = view.metrics

if view.empty:
    st.title(md(source.journey.name), anchor=False)
    _ = state.show_flash()
    st.info(page.NO_CASES)
    st.stop()
map_screen.header(source.journey.name, view.summary)
flashed = state.show_flash()
hotspot_slot = st.container()

step_ids = [step for step in metrics.steps["step"] if step in view.step_labels]
if selection.step and selection.step not in step_ids:
    st.caption(f"The link opens a step '{md(selection.step[:40])}' that this journey does not have.")
    selection = state.update(step=None)


def _color_changed() -> None:
    state.update(color_by=st.session_state[COLOR_KEY])


def _step_changed() -> None:
    state.update(step=st.session_state[STEP_KEY] or None)


measures = decide.measures(view)
if selection.color_by not in measures:  # a link's satisfaction or flow efficiency, on a log without them
    st.caption(f"This log cannot colour steps by {md(ops_panel.measure_name(selection.color_by))}; showing the "
               "share of lead time.")
    selection = state.update(color_by=state.DEFAULT_COLOR)
# One row of controls (colour, the detail sliders, the two switches stacked), so the map starts higher.
left, middle, right = st.columns([3, 4, 2], vertical_alignment="center")
st.session_state[COLOR_KEY] = selection.color_by
left.selectbox("Colour steps by", list(measures), format_func=lambda measure: f"Colour steps by: {measures[measure]}",
               key=COLOR_KEY, on_change=_color_changed, label_visibility="collapsed")
show_off_map = right.toggle("Off-map activity", key=OFF_MAP_KEY,
                            help="Activities and transitions that are not in the design, drawn grey and dashed.")
show_handoffs = right.toggle("Highlight handoffs", key=HANDOFFS_KEY, disabled=metrics.handoffs is None,
                             help="Transitions between steps owned by different teams, drawn blue."
                             if metrics.handoffs is not None else "No step of this journey names an owner team.")

hotspots = list(view.story.marked)
named = " · ".join(f"{hotspot_marker(rank)} {hotspot.label}" for rank, hotspot in enumerate(hotspots, 1))
fold = f"The top {len(hotspots)} hotspots, marked on the map: {named}"
MAP_HEIGHT = map_screen.map_height(view.summary, flashed)
with hotspot_slot:
    # Folded, so the map shows in the first screen at 1280 x 720; the label names the hotspots already.
    if hotspots:
        with st.expander(md(fold), key=HOTSPOTS_KEY,
                         icon=":material/local_fire_department:"):
            for cell, (rank, hotspot) in zip(st.columns(MARKED_HOTSPOTS), enumerate(hotspots, start=1)):
                with cell.container(border=True):
                    st.markdown(f"**{hotspot_marker(rank)} {md(hotspot.label)}**  \n{md(hotspot.detail)}")
    else:
        st.caption("No step stands out: no big share of lead time, broken target, drop-off or rework.")

with middle:
    detail = detail_control(selection, source, view, hotspots, show_off_map, MAP_WIDTH, MAP_HEIGHT)
# Past the first screen rather than with labels cut to one line, when the steps drawn need more rows.
MAP_HEIGHT = legible_height(source.journey, detail, MAP_WIDTH, MAP_HEIGHT)
event = charting.show(
    view, lambda: mapchart.map_chart(decide.map_metrics(view, selection.color_by), color_by=selection.color_by,
                                   hotspots=hotspots, show_off_map=show_off_map, detail=detail,
                                   subtitle=chartstyle.chart_subtitle(metrics, view.case_filter), width=MAP_WIDTH,
                                   height=MAP_HEIGHT, handoffs=show_handoffs),
    ("map", selection.color_by, show_off_map, detail.steps, detail.edges, show_handoffs), f"{source.journey.id} map",
    "jm_map",
    on_select="rerun", selection_mode=mapchart.STEP_SELECTION, width="stretch",
    alt=f"Journey map of {source.journey.name}")
clicked = [point.get("step") for point in (event.selection.get(mapchart.STEP_SELECTION) or []) if point.get("step")]
if clicked and clicked != st.session_state.get(CLICK_KEY):
    selection = state.update(step=clicked[0])
    st.toast(f"{md(view.step_labels.get(clicked[0], clicked[0]))}: details below the map", icon=":material/info:")
st.session_state[CLICK_KEY] = clicked

ops_panel.show(measures, lambda: decide.ops(view), filled=selection.color_by in OPS_MEASURES)

st.divider()
st.session_state[STEP_KEY] = selection.step or ""
st.selectbox("Step details (or click a step on the map)", ["", *step_ids], key=STEP_KEY, on_change=_step_changed,
             format_func=lambda step: view.step_labels.get(step, step) if step else "Choose a step…")
if selection.step:
    step_details.show(view, selection.step)

st.divider()
if st.toggle("Replay the journey: cases moving along the map", key="jm_map_replay_on"):
    workshop_replay.show(view, hotspots, "jm_map_replay")
