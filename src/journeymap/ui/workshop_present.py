"""The projector view: large type without app chrome, the countdown, the stage-by-stage map and the spotlight."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from journeymap.charts import explorer as charts
from journeymap.charts import style as chartstyle
from journeymap.charts import map as mapchart
from journeymap.core.durations import format_seconds_as_text as human
from journeymap.core.errors import JourneyError
from journeymap.measures.hotspots import Hotspot, hotspot_marker
from journeymap.measures.metrics import JourneyMetrics
from journeymap.workshop.access import AccessDenied
from journeymap.workshop.backlog import Workshop
from journeymap.ui import charting, data
from journeymap.ui import workshop_board as board
from journeymap.ui import workshop_state as ws
from journeymap.ui.text import md

__all__ = ["SECTIONS", "projector_style", "sticky_style", "header", "timer", "section", "stage_reveal", "spotlight",
           "annotated_map", "live_map", "show_map", "show_chart", "controls", "reveal_button", "TOP"]

TOP = 3  # hotspots in the spotlight
SECTIONS = {"map": "Map", "spotlight": "Hotspots", "board": "Notes & votes", "people": "People",
            "backlog": "Backlog", "export": "Export"}
SECTION_KEY, SECTION_PARAM = "jm_ws_view", "view"
MAP_WIDTH, SPOT_HEIGHT, BIG_SPOT_HEIGHT = 1200, 480, 700
# Map heights that fit under the header: up to 1599 pixels wide (a 1280×720 projector) the map is
# drawn in normal type, whose labels do not collide there; from 1600 (1920×1080) in projector type.
MAP_HEIGHT, BIG_MAP_HEIGHT, WIDE = 560, 850, 1600
MAP_REFRESH_S = 10  # the annotated map is slower to draw than the notes, so it refreshes less often
INK = "#0b1220"
_STICKY = {"pain": "#ffd6cc", "idea": "#fff3b0", "question": "#d6e9ff"}  # light enough for black text (AAA)
_BADGE = "#5b2a86"

# Streamlit's own header (menu, toolbar, running man) is hidden; everything is set in rem, so one
# root size makes type readable from the back of a room; captions lose their grey.
_PROJECTOR_CSS = f"""<style>
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"] {{display: none;}}
html {{font-size: 21px;}}
.stApp {{color: {INK};}}
[data-testid="stMainBlockContainer"] {{padding: 0.6rem 1.6rem 1rem; max-width: none;}}
[data-testid="stVerticalBlock"] {{gap: 0.6rem;}}
[data-testid="stCaptionContainer"], [data-testid="stWidgetLabel"] p {{color: {INK}; opacity: 1;}}
[data-testid="stMetricValue"] {{font-size: 2.2rem;}}
.st-key-jm_ws_code p {{font-size: 2.3rem; font-weight: 700; line-height: 1.1; margin: 0;}}
.st-key-jm_ws_title p {{font-size: 1.35rem; font-weight: 700; line-height: 1.2; margin: 0;}}
@media (max-width: {WIDE - 1}px) {{[class*="st-key-jm_ws_big_"] {{display: none;}}}}
@media (min-width: {WIDE}px) {{[class*="st-key-jm_ws_small_"] {{display: none;}} html {{font-size: 28px;}}}}
</style>"""


def projector_style() -> None:
    """Large type, dark text and no Streamlit header, for the shared screen."""
    st.html(_PROJECTOR_CSS + sticky_style(render=False))


def sticky_style(render: bool = True) -> str:
    """Sticky-note colours per kind (containers keyed `jm_sticky_<kind>_<id>`) and a big clock; returns the CSS."""
    rules = "".join(f'[class*="st-key-jm_{sticky}_{kind}_"] {{background: {colour}; color: {INK}; '
                    f"padding: 0.5rem 0.7rem; border-radius: 0.25rem; box-shadow: 0 1px 3px #0004;}}\n"
                    for kind, colour in _STICKY.items() for sticky in ("sticky", "facnote"))
    # The facilitator's notes also carry a thick dark edge (and a badge), whatever the author's name.
    rules += f'[class*="st-key-jm_facnote_"] {{border-left: 0.4rem solid {INK};}}\n'
    clock = (".jm-clock {font-size: 2.3rem; font-weight: 700; line-height: 1.1; margin: 0;} "
             ".jm-clock.up {color: #b00020;}")
    css = f"<style>{rules}{clock}</style>"
    if render:
        st.html(css)
    return css


def header(token: str, workshop: Workshop, journey_name: str) -> None:
    """Workshop title, how to join (address and code) and the countdown, in one row."""
    title, join, code, clock = st.columns([3, 3, 3, 2], vertical_alignment="center")
    title.container(key="jm_ws_title").markdown(md(workshop.title))
    title.caption(md(journey_name))
    address = re.sub(r"^https?://", "", ws.join_url(workshop.join_code).split("?")[0])
    join.markdown(f"Join at **{md(address)}**", text_alignment="right")
    code.container(key="jm_ws_code").markdown(ws.pretty_code(workshop.join_code))
    with clock:
        timer(token)


# The browser ticks the clock from the seconds left (not from its own wall clock, which may be
# off). The server draws it only in full runs; the board's refresh (every REFRESH_S) notices a
# timer started or stopped and reruns the page. A fragment rerun each second per screen cost the
# server tens of milliseconds each: with twenty laptops that alone filled a core and left every
# "saved" waiting behind the ticks.
_CLOCK = """<div class="jm-clock{up}" role="timer" aria-live="off">{text}</div><script>(() => {{
  const me = document.currentScript, shown = me && me.previousElementSibling, left_s = {left};
  if (!shown) return;
  const end = performance.now() + left_s * 1000;
  window.clearInterval(window.__jmClock);
  const draw = () => {{
    if (!shown.isConnected) {{ window.clearInterval(window.__jmClock); return; }}
    const left = Math.ceil((end - performance.now()) / 1000);
    if (left <= 0) {{ shown.textContent = "Time is up"; shown.classList.add("up"); return; }}
    shown.textContent = String(Math.floor(left / 60)).padStart(2, "0") + ":" + String(left % 60).padStart(2, "0");
  }};
  window.__jmClock = window.setInterval(draw, 250);
}})();</script>"""


def clock_html(left: float) -> str:
    """The countdown's HTML: mm:ss as the server sees it now, and the script that ticks it in the browser."""
    if left <= 0:
        return _CLOCK.format(up=" up", text="Time is up", left=0)
    minutes, seconds = divmod(math.ceil(left), 60)
    return _CLOCK.format(up="", text=f"{minutes:02d}:{seconds:02d}", left=round(left, 1))


def timer(token: str) -> None:
    """The countdown as mm:ss, ticking in the browser; nothing while no timer runs."""
    try:
        workshop = ws.store().workshop(token)
    except AccessDenied:
        return
    board.clock_drawn(workshop)
    left = workshop.timer_remaining()
    if left is None:
        return
    with st.container(key="jm_ws_clock"):
        st.html(clock_html(left), unsafe_allow_javascript=True, width="content")


def section() -> str:
    """The part of the workshop on screen, chosen with a row of buttons and kept in the URL (`?view=`)."""
    wanted = st.query_params.get(SECTION_PARAM)
    st.session_state[SECTION_KEY] = wanted if wanted in SECTIONS else "map"
    chosen = st.segmented_control("Part of the workshop", list(SECTIONS), format_func=SECTIONS.get, required=True,
                                  key=SECTION_KEY, on_change=_section_changed, label_visibility="collapsed")
    return chosen or "map"


def _section_changed() -> None:
    st.query_params[SECTION_PARAM] = st.session_state.get(SECTION_KEY) or "map"


def _stepper(nav: Any, name: str, count: int, noun: str) -> tuple[int, Any]:
    """Back / next buttons in `nav` moving a position (1..count, kept in the URL); the position and a cell."""
    at = ws.position(name, 1, count) or 1
    back, ahead, where = nav.columns([1, 1, 4], vertical_alignment="center")
    back.button("", icon=":material/arrow_back:", disabled=at <= 1, key=f"jm_ws_{name}_back", help=f"Previous {noun}",
                width="stretch", on_click=ws.set_position, args=(name, at - 1))
    ahead.button("", icon=":material/arrow_forward:", disabled=at >= count, key=f"jm_ws_{name}_next",
                 help=f"Next {noun}", type="primary", width="stretch", on_click=ws.set_position, args=(name, at + 1))
    return at, where


def stage_reveal(view: data.View, hotspots: Sequence[Hotspot], nav: Any) -> None:
    """The map one stage at a time: back / next (in `nav`) hide or reveal one stage."""
    stages = view.source.journey.stages
    shown, where = _stepper(nav, "stage", len(stages), "stage")
    where.markdown(f"**Stage {shown} of {len(stages)}** · {md(stages[shown - 1].label)}")
    show_map(lambda large, height: mapchart.map_chart(view.metrics, hotspots=hotspots, stages_shown=shown, large=large,
                                                    width=MAP_WIDTH, height=height, title="", subtitle=""),
             "map", f"Journey map, stages 1 to {shown}")


def spotlight(view: data.View, hotspots: Sequence[Hotspot], nav: Any) -> None:
    """One hotspot at a time: its sentence and numbers beside how long cases take to get there (or the map)."""
    if not hotspots:
        st.markdown("### No step stands out: no big share of lead time, broken target, drop-off or rework.")
        return
    rank, where = _stepper(nav, "spot", len(hotspots), "hotspot")
    hotspot = hotspots[rank - 1]
    count, switch = where.columns([2, 3], vertical_alignment="center")
    count.markdown(f"**{rank} of {len(hotspots)}**")
    on_map = switch.toggle("On the map", key="jm_ws_spot_on_map")
    sentence = hotspot.sentence.removeprefix(f"{hotspot.label}: ")
    sentence = sentence[:1].upper() + sentence[1:]
    if on_map:
        st.markdown(f"**{hotspot_marker(rank)} {md(hotspot.label)}:** {md(sentence)}")
        show_map(lambda large, height: mapchart.map_chart(view.metrics, hotspots=hotspots, spotlight=hotspot.step,
                                                        large=large, width=MAP_WIDTH, height=height - 40, title="",
                                                        subtitle=""),
                 f"spot_{hotspot.step}", f"Journey map with {hotspot.label} in the spotlight")
        return
    words, figure = st.columns([2, 3], gap="medium")
    with words:
        st.markdown(f"## {hotspot_marker(rank)} {md(hotspot.label)}")
        st.markdown(f"**{md(sentence)}**")
        _numbers(view.metrics, hotspot.step)
    chart = chartstyle.titled(charts.arrival_chart(view.metrics, step=hotspot.step, title="", subtitle=""),
                          "How long cases take to get here", None, large=True)
    with figure:
        show_map(lambda _large, height: chart.properties(height=height), f"spot_chart_{hotspot.step}",
                 f"Arrival times at {hotspot.label}", heights=(SPOT_HEIGHT, BIG_SPOT_HEIGHT))


def _numbers(metrics: JourneyMetrics, step: str) -> None:
    row = metrics.steps.set_index("step").loc[step]
    reached = int(row["reached"])
    top, bottom = st.columns(2), st.columns(2)
    top[0].metric("Share of lead time", f"{row['delay_share']:.0%}")
    top[1].metric("Median wait here", _time(row["arrival_median_s"]),
                  help="Median time from the previous step to this one.")
    bottom[0].metric("p85 wait", _time(row["arrival_p85_s"]), help="85 of 100 cases got here within this time.")
    bottom[1].metric("Cases reached", f"{reached:,}")
    if reached:
        st.markdown(f"{row['drop_off_rate']:.0%} of them went silent here; "
                    f"{row['rework_cases'] / reached:.0%} did it more than once.")


def _time(seconds: Any) -> str:
    return "–" if seconds is None or pd.isna(seconds) else human(float(seconds))


def annotated_map(metrics: JourneyMetrics, hotspots: Sequence[Hotspot], counts: Mapping[str, str], *,
                  large: bool = True, height: int = BIG_MAP_HEIGHT, title: str = "",
                  subtitle: str = "") -> alt.LayerChart:
    """The map with a badge at each step that has workshop results ("●5 ✎2": five dots, two notes)."""
    chart = mapchart.map_chart(metrics, hotspots=hotspots, large=large, width=MAP_WIDTH, height=height,
                             title=title, subtitle=subtitle)
    nodes = next((layer for layer in chart.layer if getattr(layer, "name", None) == "journey_nodes"), None)
    if nodes is None or not counts:
        return chart
    # The badges read the nodes' own table (positions, radius) and look their text up by step.
    lookup = alt.LookupData(data=alt.InlineData(values=[{"step": step, "badge": text} for step, text in counts.items()]),
                            key="step", fields=["badge"])
    mark = {"align": "left", "baseline": "bottom", "fontSize": 22 if large else 15, "fontWeight": "bold",
            "dx": alt.ExprRef("datum.radius * 0.72"), "dy": alt.ExprRef("-datum.radius * 0.72")}
    encoding = {"x": nodes.encoding.x, "y": nodes.encoding.y, "text": alt.Text("badge:N")}
    base = (alt.Chart(nodes.data).transform_lookup(lookup="step", from_=lookup)
            .transform_filter("isValid(datum.badge)"))
    halo = base.mark_text(**mark, stroke="white", strokeWidth=5, strokeJoin="round").encode(**encoding)
    ink = base.mark_text(**mark, color=_BADGE).encode(**encoding)
    chart = chart.copy()
    chart.layer = [*chart.layer, halo, ink]
    return chart


@st.fragment(run_every=MAP_REFRESH_S)
def live_map(token: str, view: data.View, hotspots: Sequence[Hotspot]) -> None:
    """The map with the workshop's notes (and dots, once revealed) on it, redrawn every few seconds."""
    try:
        revealed = ws.store().workshop(token).tally_revealed
        badges = board.vote_badges(token, with_votes=revealed)
    except JourneyError as error:
        st.error(md(str(error)))
        return
    st.caption(f"On the map: {board.BADGE_KEY if revealed else '✎ notes (dots once the tally is revealed)'}")
    show_map(lambda large, height: annotated_map(view.metrics, hotspots, badges, large=large, height=height),
             "board", "Journey map with the workshop's dots and notes")


def show_map(build: Callable[[bool, int], Any], key: str, alt_text: str,
             heights: tuple[int, int] = (MAP_HEIGHT, BIG_MAP_HEIGHT)) -> None:
    """A chart drawn twice, `build(large, height)` for narrow and wide screens; CSS shows the one that fits."""
    with st.container(key=f"jm_ws_small_{key}"):
        show_chart(build(False, heights[0]), f"jm_ws_chart_small_{key}", alt_text)
    with st.container(key=f"jm_ws_big_{key}"):
        show_chart(build(True, heights[1]), f"jm_ws_chart_big_{key}", alt_text)


def show_chart(chart: Any, key: str, alt_text: str) -> None:
    """A chart on the projector, as wide as the screen, without a download menu."""
    st.vega_lite_chart(spec=charting.streamlit_spec(chart), theme=None, key=key, alt=alt_text)


def controls(token: str, workshop: Workshop) -> None:
    """The facilitator's settings in one menu: countdown, dots per person, removing a note, leaving."""
    with st.popover("Facilitator", icon=":material/tune:", key="jm_ws_controls"):
        if ws.unreachable_address():
            st.warning(f"Laptops cannot reach {ws.app_address() or 'this address'}: open this page through the "
                       f"computer's network address, or set {ws.PUBLIC_URL}.", icon=":material/wifi_off:")
        st.number_input("Countdown (minutes)", min_value=1, max_value=120, value=5, step=1, key="jm_ws_minutes")
        start, stop = st.columns(2)
        start.button("Start", icon=":material/timer:", key="jm_ws_timer_start", type="primary", width="stretch",
                     on_click=_set_timer, args=(token, True))
        stop.button("Stop", icon=":material/timer_off:", key="jm_ws_timer_stop", width="stretch",
                    on_click=_set_timer, args=(token, False))
        board.message("jm_ws_timer")
        st.number_input("Dots per participant", min_value=1, max_value=100, value=workshop.votes_per_participant,
                        key="jm_ws_budget", on_change=_set_budget, args=(token,))
        board.message("jm_ws_budget")
        st.markdown("**Take a note off the board**")
        board.remove_note(token)
        st.page_link("pages/map.py", label="Back to the explorer", icon=":material/arrow_back:")


def _set_timer(token: str, start: bool) -> None:
    minutes = float(st.session_state.get("jm_ws_minutes") or 0)
    try:
        ws.store().set_timer(token, minutes * 60 if start else None)
    except JourneyError as error:
        board.say("jm_ws_timer", "error", str(error))


def _set_budget(token: str) -> None:
    try:
        ws.store().update_workshop(token, votes_per_participant=int(st.session_state["jm_ws_budget"]))
    except JourneyError as error:
        board.say("jm_ws_budget", "error", str(error))
    else:
        board.say("jm_ws_budget", "success", f"Each participant now has {st.session_state['jm_ws_budget']} dots.")


def reveal_button(token: str, workshop: Workshop) -> None:
    """Reveal the vote tally to the room (or hide it again)."""
    revealed = workshop.tally_revealed
    st.button("Hide the tally" if revealed else "Reveal the tally", key="jm_ws_reveal",
              icon=":material/visibility_off:" if revealed else ":material/visibility:",
              type="secondary" if revealed else "primary", on_click=_reveal, args=(token, not revealed))
    board.message("jm_ws_reveal")


def _reveal(token: str, revealed: bool) -> None:
    try:
        ws.store().reveal_tally(token, revealed)
    except JourneyError as error:
        board.say("jm_ws_reveal", "error", str(error))
