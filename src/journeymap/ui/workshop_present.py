"""The projector view: large type without app chrome, a one-line header (how to join, the countdown, the
facilitator's controls), the stage-by-stage map, the spotlight, and the live map of notes and dots."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from journeymap.charts import explorer as charts
from journeymap.charts import map as mapchart
from journeymap.charts import style as chartstyle
from journeymap.core.durations import format_seconds_as_text as human
from journeymap.core.errors import JourneyError
from journeymap.measures.hotspots import Hotspot, hotspot_marker
from journeymap.measures.metrics import JourneyMetrics
from journeymap.ui import charting, data
from journeymap.ui import workshop_board as board
from journeymap.ui import workshop_door as door
from journeymap.ui import workshop_maps as maps
from journeymap.ui import workshop_state as ws
from journeymap.ui.text import md
from journeymap.workshop import joinlink
from journeymap.workshop.access import AccessDenied
from journeymap.workshop.backlog import Workshop
from journeymap.workshop.reveal import StepMark, mark_rows, ranked_votes, step_marks
from journeymap.workshop.votechart import vote_ranking, with_workshop_marks

__all__ = ["SECTIONS", "projector_style", "sticky_style", "header", "timer", "section", "stage_reveal", "spotlight",
           "annotated_map", "live_map", "show_map", "show_chart", "controls", "reveal_button", "TOP", "marks_for",
           "step_marks_now", "BARS_SHOWN"]

TOP = 3  # hotspots in the spotlight
SECTIONS = {"map": "Map", "spotlight": "Hotspots", "board": "Notes & votes", "replay": "Replay",
            "people": "People & joining", "backlog": "Backlog", "export": "Export"}
SECTION_KEY, SECTION_PARAM = "jm_ws_view", "view"
SPOT_HEIGHT, BIG_SPOT_HEIGHT = 480, 760
# Below 1600 pixels wide (a 1280×720 projector) the small charts show, from 1600 (1920×1080) the big
# ones; both in projector type (labels and durations 18 px or more).
WIDE = 1600
# The shared map is one screen, so it can poll more often than the laptops' boards: its badges
# follow a note or a dot within this many seconds plus one redraw, inside the 3 s promised.
MAP_REFRESH_S = 2
INK = "#0b1220"
_STICKY = {"pain": "#ffd6cc", "idea": "#fff3b0", "question": "#d6e9ff"}  # light enough for black text (AAA)

# Streamlit's own header (menu, toolbar, running man) and the toolbar that appears over a chart
# are hidden, so nothing of the app covers the controls; what a refresh is redrawing is not faded
# (the live map reruns every 2 s: on a loaded machine it would blink from the back of the room);
# everything is set in rem, so one root size makes type readable from the back of a room;
# captions lose their grey. The join code and
# the countdown are set in pixels: 48 px or more at 1280×720, 64 px at 1920×1080.
_PROJECTOR_CSS = f"""<style>
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stElementToolbar"], [data-testid="stStatusWidget"] {{display: none !important;}}
html {{font-size: 21px;}}
.stApp {{color: {INK};}}
[data-stale="true"] {{opacity: 1 !important; transition: none !important;}}
[data-testid="stMainBlockContainer"] {{padding: 0.35rem 0.8rem 0.6rem; max-width: none;}}
[data-testid="stVerticalBlock"] {{gap: 0.4rem;}}
[data-testid="stCaptionContainer"], [data-testid="stWidgetLabel"] p {{color: {INK}; opacity: 1;}}
[data-testid="stMetricValue"] {{font-size: 2.2rem;}}
.st-key-jm_ws_code p {{font-size: 50px; font-weight: 700; line-height: 1; margin: 0; letter-spacing: 0.02em;
  white-space: nowrap;}}
.st-key-jm_ws_join p {{font-size: 17px; line-height: 1.2; margin: 0; white-space: nowrap;}}
.st-key-jm_ws_title p {{font-size: 17px; font-weight: 700; line-height: 1.2; margin: 0; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis;}}
.st-key-jm_ws_clock .jm-clock {{font-size: 54px; line-height: 1; white-space: nowrap;}}
.st-key-jm_ws_title_big p {{font-size: 2rem; font-weight: 700; margin: 0;}}
.st-key-jm_ws_door_address p {{font-size: 2.2rem; margin: 0;}}
.st-key-jm_ws_door_code p {{font-size: 96px; font-weight: 700; line-height: 1; margin: 0;}}
.st-key-jm_ws_header {{border-bottom: 2px solid #d5dae0; padding-bottom: 0.25rem;}}
.st-key-jm_ws_header [data-testid="stMarkdownContainer"] {{margin-bottom: 0 !important;}}
.st-key-jm_ws_header [data-testid="stVerticalBlock"] {{gap: 0.15rem;}}
@media (max-width: {WIDE - 1}px) {{[class*="st-key-jm_ws_big_"] {{display: none;}}}}
@media (min-width: {WIDE}px) {{[class*="st-key-jm_ws_small_"] {{display: none;}} html {{font-size: 28px;}}
  .st-key-jm_ws_code p {{font-size: 66px;}} .st-key-jm_ws_clock .jm-clock {{font-size: 70px;}}
  .st-key-jm_ws_join p, .st-key-jm_ws_title p {{font-size: 22px;}}}}
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


def header(token: str, workshop: Workshop) -> tuple[str, Any]:
    """The one-line header: the part on screen, a cell for its controls, how to join (address, code, QR
    code), the countdown and the facilitator's menu. Returns the part chosen and the controls' cell."""
    with st.container(key="jm_ws_header"):
        menu, context, join, code, clock, settings = st.columns([2.3, 4.4, 3.6, 0.85, 1.75, 0.65],
                                                               vertical_alignment="center", gap="small")
    with menu:
        st.container(key="jm_ws_title").markdown(md(workshop.title))
        part = section(workshop)
    with join:
        st.container(key="jm_ws_join").markdown(f"Join at **{md(joinlink.short_address(ws.app_address(workshop)))}**")
        st.container(key="jm_ws_code").markdown(ws.pretty_code(workshop.join_code))
    with code:
        door.qr(workshop, 74, "jm_ws_qr")
    with clock:
        timer(token)
    with settings:
        controls(token, workshop)
    return part, context


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


def section(workshop: Workshop | None = None) -> str:
    """The part of the workshop on screen, chosen from a short menu and kept in the URL (`?view=`).

    Without `?view=` it is the part the store says was on screen last (a new tab picks up where the
    facilitator was).
    """
    wanted = st.query_params.get(SECTION_PARAM) or (workshop.on_screen if workshop else None)
    st.session_state[SECTION_KEY] = wanted if wanted in SECTIONS else "map"
    chosen = st.selectbox("Part of the workshop", list(SECTIONS), format_func=SECTIONS.__getitem__, key=SECTION_KEY,
                          on_change=_section_changed, label_visibility="collapsed")
    return chosen or "map"


def _section_changed() -> None:
    st.query_params[SECTION_PARAM] = st.session_state.get(SECTION_KEY) or "map"


def _stepper(nav: Any, name: str, count: int, noun: str, default: int | None = None) -> tuple[int, Any]:
    """Back / next buttons in `nav` moving a position (1..count, kept in the URL); the position and a cell."""
    at = ws.position(name, default or 1, count) or 1
    back, ahead, where = nav.columns([1, 1, 4], vertical_alignment="center")
    back.button("", icon=":material/arrow_back:", disabled=at <= 1, key=f"jm_ws_{name}_back", help=f"Previous {noun}",
                width="stretch", on_click=ws.set_position, args=(name, at - 1))
    ahead.button("", icon=":material/arrow_forward:", disabled=at >= count, key=f"jm_ws_{name}_next",
                 help=f"Next {noun}", type="primary", width="stretch", on_click=ws.set_position, args=(name, at + 1))
    return at, where


def stage_reveal(token: str, workshop: Workshop, view: data.View, hotspots: Sequence[Hotspot], nav: Any) -> int:
    """The map one stage at a time: back / next (in `nav`) hide or reveal one stage; returns the stages shown."""
    stages = view.source.journey.stages
    shown, where = _stepper(nav, "stage", len(stages), "stage", workshop.stage_shown)
    where.markdown(f"**Stage {shown} of {len(stages)}** · {md(stages[shown - 1].label)}")
    ws.show_on_screen(token, workshop, part="map", stage=shown)
    rows = mark_rows([], large=True)
    for size, name in ((maps.PROJECTOR_SMALL, "small"), (maps.PROJECTOR_BIG, "big")):
        with st.container(key=f"jm_ws_{name}_map"):
            maps.draw(maps.map_spec(view, hotspots, size, stages=shown), rows, f"jm_ws_chart_{name}_map",
                      f"Journey map, stages 1 to {shown}")
    return shown


def spotlight(token: str, workshop: Workshop, view: data.View, hotspots: Sequence[Hotspot], nav: Any) -> None:
    """One hotspot at a time: its sentence and numbers beside how long cases take to get there (or the map)."""
    if not hotspots:
        st.markdown("### No step stands out: no big share of lead time, broken target, drop-off or rework.")
        return
    rank, where = _stepper(nav, "spot", len(hotspots), "hotspot", workshop.spotlight)
    ws.show_on_screen(token, workshop, part="spotlight", spotlight=rank)
    hotspot = hotspots[rank - 1]
    count, switch = where.columns([2, 3], vertical_alignment="center")
    count.markdown(f"**{rank} of {len(hotspots)}**")
    on_map = switch.toggle("On the map", key="jm_ws_spot_on_map")
    sentence = spot_sentence(hotspot)
    if on_map:
        st.markdown(f"**{hotspot_marker(rank)} {md(hotspot.label)}:** {md(sentence)}")
        rows = mark_rows([], large=True)
        for size, name in ((maps.PROJECTOR_SMALL, "small"), (maps.PROJECTOR_BIG, "big")):
            with st.container(key=f"jm_ws_{name}_spot_{hotspot.step}"):
                fitted = maps.Size(size.width, size.height - 50, size.scale)
                maps.draw(
                    maps.map_spec(view, hotspots, fitted, spotlight=hotspot.step),
                    rows,
                    f"jm_ws_chart_{name}_spot_{hotspot.step}",
                    f"Journey map with {hotspot.label} in the spotlight",
                )
        return
    words, figure = st.columns([2, 3], gap="medium")
    with words:
        st.markdown(f"## {hotspot_marker(rank)} {md(hotspot.label)}")
        st.markdown(f"**{md(sentence)}**")
        numbers(view.metrics, hotspot.step)
    chart = chartstyle.titled(charts.arrival_chart(view.metrics, step=hotspot.step, title="", subtitle=""),
                          "How long cases take to get here", None, large=True)
    with figure:
        show_map(lambda _large, height: chart.properties(height=height), f"spot_chart_{hotspot.step}",
                 f"Arrival times at {hotspot.label}", heights=(SPOT_HEIGHT, BIG_SPOT_HEIGHT))


def spot_sentence(hotspot: Hotspot) -> str:
    """A hotspot's sentence without its step's name in front, starting with a capital."""
    sentence = hotspot.sentence.removeprefix(f"{hotspot.label}: ")
    return sentence[:1].upper() + sentence[1:]


def numbers(metrics: JourneyMetrics, step: str, *, wide: bool = False) -> None:
    """A step's figures: share of lead time, median and p85 wait, cases reached, drop-off and rework."""
    row = metrics.steps.set_index("step").loc[step]
    reached = int(row["reached"])
    cells = st.columns(4) if wide else [*st.columns(2), *st.columns(2)]
    cells[0].metric("Share of lead time", f"{row['delay_share']:.0%}")
    cells[1].metric("Median wait here", time_text(row["arrival_median_s"]),
                    help="Median time from the previous step to this one.")
    cells[2].metric("p85 wait", time_text(row["arrival_p85_s"]), help="85 of 100 cases got here within this time.")
    cells[3].metric("Cases reached", f"{reached:,}")
    if reached:
        st.markdown(f"{row['drop_off_rate']:.0%} of them went silent here; "
                    f"{row['rework_cases'] / reached:.0%} did it more than once.")


def time_text(seconds: Any) -> str:
    """Seconds as people read them (\"3.1 d\"), – when there are none."""
    return "–" if seconds is None or pd.isna(seconds) else human(float(seconds))


def marks_for(token: str, view: data.View, *, revealed: bool, large: bool = False, mine: bool = False,
              budget: int | None = None, scale: float | None = None) -> tuple[
        list[dict[str, Any]], list[tuple[str, int]]]:
    """This moment's dots and notes for the map (rows) and the dots ranked; dots only once revealed, or
    one's own (`mine`) on a participant's laptop."""
    marks, ranked = step_marks_now(token, view, revealed=revealed, mine=mine)
    return mark_rows(marks, large=large, most=budget if mine and not revealed else None, scale=scale), ranked


def step_marks_now(token: str, view: data.View, *, revealed: bool, mine: bool = False) -> tuple[
        list[StepMark], list[tuple[str, int]]]:
    """What each step carries now (notes, and dots once revealed or one's own) and the dots ranked."""
    store = ws.store()
    notes = store.list_notes(token)
    order = list(view.metrics.steps["step"])
    if mine and not revealed:
        notes = [note for note in notes if note.mine]
        dots: dict[str, int] | None = store.my_votes(token)
    else:
        dots = (store.tally(token) or {}) if revealed else None
    ranked = ranked_votes(dots or {}, order) if revealed else []
    return step_marks(notes, dots, order=order, called_out=revealed), ranked


def annotated_map(metrics: JourneyMetrics, hotspots: Sequence[Hotspot], rows: Sequence[Mapping[str, Any]], *,
                  large: bool = True, height: int = 850, width: int = 1200, title: str = "",
                  subtitle: str = "") -> alt.LayerChart:
    """The map with each step's dots (area by dots, top three placed) and notes, for the export."""
    chart = mapchart.map_chart(metrics, hotspots=hotspots, large=large, width=width, height=height,
                             title=title, subtitle=subtitle)
    return with_workshop_marks(chart, rows, large=large)


@st.fragment(run_every=MAP_REFRESH_S)
def live_map(token: str, view: data.View, hotspots: Sequence[Hotspot]) -> None:
    """The map with the workshop's notes (and, once revealed, the dots with the top three beside the ranked
    bars, all in the first screen), redrawn every few seconds: a new small table on the same chart."""
    try:
        revealed = ws.store().workshop(token).tally_revealed
        marks, ranked = step_marks_now(token, view, revealed=revealed)
    except JourneyError as error:
        st.error(md(str(error)))
        return
    if not revealed:
        st.caption("On the map: ✎ notes per step · the dots show when you reveal the tally")
        noted = [mark.step for mark in marks if mark.notes]  # a note on a step the map would hide shows it
        for size, name in ((maps.BOARD_SMALL, "small"), (maps.BOARD_BIG, "big")):
            with st.container(key=f"jm_ws_{name}_board"):
                keep = maps.not_drawn(view, hotspots, size, noted)
                maps.draw(maps.map_spec(view, hotspots, size, keep=keep), mark_rows(marks, scale=size.scale),
                          f"jm_ws_chart_{name}_board", "Journey map with the workshop's notes")
        return
    # No caption line: the map and the ranking beside it take the whole screen below the header; the ranking
    # stands at the right so the map keeps the screen's height, for two lines of name under each step clear
    # of the dots (under the map, it left rows too short and the names were cut to "Documents…").
    voted = [step for step, _count in ranked]
    for size, name in ((maps.REVEAL_SMALL, "small"), (maps.REVEAL_BIG, "big")):
        with st.container(key=f"jm_ws_{name}_reveal"):
            spec = maps.map_spec(view, hotspots, size, keep=[*voted, *(m.step for m in marks if m.notes)],
                                 legends=False, reveal=True)
            beside = round(maps.REVEAL_RANKING_PX * size.scale)
            on_map, ranking = st.columns([size.width, beside], gap="small")
            with on_map:
                maps.draw(spec, mark_rows(marks, scale=size.scale, largest=maps.dot_room(spec)),
                          f"jm_ws_chart_{name}_reveal", "Journey map with the workshop's dots and notes")
            with ranking:
                _ranked_bars(view, ranked, size, beside, name)


BARS_SHOWN = 8  # steps ranked at most beside the reveal's map; the rest are counted under them


def _ranked_bars(view: data.View, ranked: Sequence[tuple[str, int]], size: maps.Size, width: int, name: str) -> None:
    if not ranked:
        st.markdown("**No dots placed yet.**")
        return
    places = ", ".join(f"{view.step_labels.get(step, step)} ({count})" for step, count in ranked[:TOP])
    chart, shown = vote_ranking(ranked[:BARS_SHOWN], view.step_labels, scale=size.scale, width=width,
                                height=size.height)
    if shown < len(ranked):  # room under the bars for "and 3 more steps with 4 dots"
        chart, shown = vote_ranking(ranked[:BARS_SHOWN], view.step_labels, scale=size.scale, width=width,
                                    height=size.height - round(60 * size.scale))
    st.vega_lite_chart(spec=charting.streamlit_spec(chart), theme=None, key=f"jm_ws_chart_{name}_bars",
                       alt=f"Dots per step, most first: {places}", width="content")
    if len(ranked) > shown:
        rest = ranked[shown:]
        dots = sum(count for _step, count in rest)
        st.caption(f"and {len(rest)} more step{'s' if len(rest) != 1 else ''} with "
                   f"{dots} dot{'s' if dots != 1 else ''}")


def show_map(build: Callable[[bool, int], Any], key: str, alt_text: str,
             heights: tuple[int, int] = (SPOT_HEIGHT, BIG_SPOT_HEIGHT)) -> None:
    """A chart drawn twice, `build(large, height)` for narrow and wide screens; CSS shows the one that fits."""
    with st.container(key=f"jm_ws_small_{key}"):
        show_chart(build(True, heights[0]), f"jm_ws_chart_small_{key}", alt_text)
    with st.container(key=f"jm_ws_big_{key}"):
        show_chart(build(True, heights[1]), f"jm_ws_chart_big_{key}", alt_text)


def show_chart(chart: Any, key: str, alt_text: str) -> None:
    """A chart on the projector, as wide as the screen, without a download menu."""
    st.vega_lite_chart(spec=charting.streamlit_spec(chart), theme=None, key=key, alt=alt_text)


def controls(token: str, workshop: Workshop) -> None:
    """The facilitator's settings in one menu: countdown, dots, exit steps, the join address, removing a note."""
    with st.popover("Menu", icon=":material/tune:", key="jm_ws_controls"):
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
        st.toggle("Dots on exit steps too", value=workshop.exit_votes, key="jm_ws_exit_votes",
                  on_change=_set_exit_votes, args=(token,),
                  help="Exit steps are where cases leave (an offer withdrawn): off, they take no dots.")
        board.message("jm_ws_exit_votes")
        door.address_setting(token, workshop)
        st.markdown("**Take a note off the board**")
        board.remove_note(token)
        st.page_link("pages/map.py", label="Back to the explorer", icon=":material/arrow_back:")


def _set_exit_votes(token: str) -> None:
    allowed = bool(st.session_state.get("jm_ws_exit_votes"))
    try:
        ws.store().update_workshop(token, exit_votes=allowed)
    except JourneyError as error:
        board.say("jm_ws_exit_votes", "error", str(error))
    else:
        board.say("jm_ws_exit_votes", "success", "Exit steps take dots now." if allowed
                  else "Exit steps take no dots.")


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
