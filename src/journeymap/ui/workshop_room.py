"""A participant's laptop: the map the shared screen shows, the hotspot in the spotlight, and the step they work on.

The map follows the facilitator (the stages revealed, the hotspot in the spotlight), because
the store keeps what the shared screen shows and the board's refresh reruns the page when it
moves. Clicking a step on the map (or choosing it below the map) opens it: its figures, the
participant's dots on it with + and −, and a note form. The map carries the participant's own
dots and notes (everyone's once the tally is revealed); their dots left stay in view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from journeymap.journey.model import Journey
from journeymap.measures.hotspots import Hotspot, hotspot_marker
from journeymap.ui import data
from journeymap.ui import workshop_board as board
from journeymap.ui import workshop_maps as maps
from journeymap.ui import workshop_present as present
from journeymap.ui import workshop_state as ws
from journeymap.ui.text import md
from journeymap.workshop.backlog import NOTE_KINDS, Workshop

__all__ = [
    "STEP_KEY",
    "NOTE_KEY",
    "VOTE_KEY",
    "room_style",
    "spotlight_box",
    "dots_left",
    "work_on_the_map",
    "shown_steps",
    "spotlit",
]

STEP_KEY, NOTE_KEY, VOTE_KEY = "jm_join_note_step", "jm_join_note", "jm_ws_vote"
_CLICK_KEY = "jm_room_clicked"
_MAX_DOTS_DRAWN = 15


# A laptop screen holds the header, the spotlight and the map at once: no app header, little
# padding, a smaller title.
_ROOM_CSS = """<style>
header[data-testid="stHeader"] {display: none;}
[data-testid="stMainBlockContainer"] {padding-top: 0.8rem; padding-bottom: 2rem; max-width: 1500px;}
[data-testid="stMainBlockContainer"] h1 {font-size: 1.9rem; padding: 0.2rem 0 0;}
.st-key-jm_room_spotlight p {margin-bottom: 0.2rem;}
</style>"""


def room_style() -> None:
    """The participant's page, compact enough for a laptop's first screen."""
    st.html(_ROOM_CSS)


def shown_steps(journey: Journey, workshop: Workshop) -> list[str]:
    """The steps of the stages the shared screen has revealed (all of them before the facilitator presents)."""
    revealed = [stage.id for stage in journey.stages][:workshop.stage_shown or len(journey.stages)]
    return [step.id for step in journey.steps if step.stage in revealed]


def spotlit(workshop: Workshop, hotspots: Sequence[Hotspot]) -> tuple[int, Hotspot] | None:
    """The hotspot in the spotlight on the shared screen, with its rank, while the screen shows hotspots."""
    if workshop.on_screen != "spotlight" or not hotspots:
        return None
    rank = min(max(workshop.spotlight or 1, 1), len(hotspots))
    return rank, hotspots[rank - 1]


def spotlight_box(view: data.View, workshop: Workshop, hotspots: Sequence[Hotspot]) -> None:
    """What the shared screen spotlights: the hotspot's name, its sentence and its numbers."""
    found = spotlit(workshop, hotspots)
    if found is None:
        return
    rank, hotspot = found
    row = view.metrics.steps.set_index("step").loc[hotspot.step]
    reached = int(row["reached"])
    figures = (f"{reached:,} cases reached it; {row['drop_off_rate']:.0%} of them went silent there, "
               f"{row['rework_cases'] / reached:.0%} did it more than once." if reached else "")
    with st.container(border=True, key="jm_room_spotlight"):
        st.markdown(f"**On the shared screen · hotspot {rank} of {len(hotspots)}:** {hotspot_marker(rank)} "
                    f"**{md(hotspot.label)}** · {md(present.spot_sentence(hotspot))}  \n{figures}")


def dots_left(token: str, budget: int) -> None:
    """The participant's dots: how many are left, the ones in hand filled (●), the ones placed hollow (○)."""
    left = ws.store().votes_left(token)
    shown = min(budget, _MAX_DOTS_DRAWN)
    circles = "●" * min(left, shown) + "○" * max(shown - left, 0)
    st.markdown(f"**{left} of {budget} dot{'s' if budget != 1 else ''} left** {circles}"
                + ("" if left else " · all placed"))


@st.fragment
def work_on_the_map(token: str, view: data.View, workshop: Workshop, journey: Journey, hotspots: Sequence[Hotspot],
                    steps: Mapping[str, str]) -> None:
    """The followed map (click a step) beside the chosen step: its figures, the participant's dots, a note form.

    One fragment: a click, a dot or a note reruns this part only, and the map's marks follow at once.
    """
    found = spotlit(workshop, hotspots)
    offered = shown_steps(journey, workshop)
    rows, _ranked = present.marks_for(token, view, revealed=workshop.tally_revealed, large=False, mine=True,
                                      budget=workshop.votes_per_participant)
    on_map, side = st.columns([3, 2], gap="medium")
    with on_map:
        # Laid out over the stages shown only: one stage fills the laptop's frame instead of a corner of it.
        # Steps carrying the participant's dots or notes are drawn even where the map would hide them.
        marked = [str(row["step"]) for row in rows if row["step"] and (row["dots"] or row["notes"])]
        shown: dict[str, Any] = {"stages": workshop.stage_shown, "spotlight": found[1].step if found else None,
                                 "fit": True, "reveal": workshop.tally_revealed, "dots_on_steps": True}
        keep = maps.not_drawn(view, hotspots, maps.LAPTOP, marked, **shown)
        spec = maps.map_spec(view, hotspots, maps.LAPTOP, keep=keep, **shown)
        event = maps.draw(spec, rows, "jm_room_map", f"Journey map of {journey.name}: click a step to work on it",
                          clickable=True)
        st.caption("Click a step to put a dot or a note on it. " + (
            "● everyone's dots (the tally is revealed) · ✎ notes" if workshop.tally_revealed
            else "● your dots · ✎ your notes"))
    clicked = maps.clicked_step(event)
    if clicked and clicked != st.session_state.get(_CLICK_KEY) and clicked in offered:
        st.session_state[STEP_KEY] = clicked
    st.session_state[_CLICK_KEY] = clicked
    if st.session_state.get(STEP_KEY) not in ("", None, *offered):
        st.session_state[STEP_KEY] = ""
    if not st.session_state.get(STEP_KEY) and found and found[1].step in offered:
        st.session_state[STEP_KEY] = found[1].step  # the spotlight's step, until they choose another
    with side:
        dots_left(token, workshop.votes_per_participant)
        step = st.selectbox(
            "Step",
            ["", *offered],
            key=STEP_KEY,
            format_func=lambda s: steps.get(s, s) if s else "Click a step on the map, or choose it here",
        )
        if step:
            _step_panel(token, view, workshop, journey, step, steps)
    with st.expander("Your notes: edit or delete", icon=":material/edit_note:"):
        board.my_notes(token, steps)


def _step_panel(token: str, view: data.View, workshop: Workshop, journey: Journey, step: str,
                steps: Mapping[str, str]) -> None:
    label = steps.get(step, step)
    row = view.metrics.steps.set_index("step").loc[step] if step in set(view.metrics.steps["step"]) else None
    if row is not None and int(row["reached"]):
        st.caption(f"{row['delay_share']:.0%} of lead time · median wait "
                   f"{present.time_text(row['arrival_median_s'])} · {int(row['reached']):,} cases reached")
    mine = ws.store().my_votes(token).get(step, 0)
    exits = tuple(journey.exit)
    st.markdown(f"**Your dots on {md(label)}:** " + ("●" * min(mine, _MAX_DOTS_DRAWN) + f" {mine}" if mine else "none"))
    if step in exits and not workshop.exit_votes:
        st.caption("Cases leave the journey here: exit steps take no dots unless the facilitator opens them. "
                   "A note is welcome.")
    else:
        left = ws.store().votes_left(token)
        add, take = st.columns(2)
        add.button("Put a dot", icon=":material/add:", key=f"{VOTE_KEY}_add_{step}", help=f"Put a dot on {md(label)}",
                   disabled=left <= 0, on_click=board.vote, args=(token, step, 1, VOTE_KEY, exits), width="stretch",
                   type="primary")
        take.button("Take one back", icon=":material/remove:", key=f"{VOTE_KEY}_take_{step}",
                    help=f"Take a dot off {md(label)}", disabled=mine <= 0, on_click=board.vote,
                    args=(token, step, -1, VOTE_KEY), width="stretch")
    board.message(VOTE_KEY)
    with st.form(f"{NOTE_KEY}_form", border=True):
        st.radio("Kind", list(NOTE_KINDS), format_func=NOTE_KINDS.get, horizontal=True, key=f"{NOTE_KEY}_kind")
        st.text_area("Note", key=f"{NOTE_KEY}_text", max_chars=2000, height=90,
                     placeholder=f"What hurts at {label}, what could be better, what you want to know…")
        st.form_submit_button("Add note", icon=":material/sticky_note_2:", type="primary",
                              on_click=board.add_note, args=(token, NOTE_KEY))
    board.message(NOTE_KEY)
