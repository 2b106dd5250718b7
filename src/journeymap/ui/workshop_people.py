"""Who is in the room (facilitator): the participants, taking one out, a cap on joining, and closing the door."""

from __future__ import annotations

import streamlit as st

from journeymap.core.errors import JourneyError
from journeymap.ui import workshop_board as board
from journeymap.ui import workshop_state as ws
from journeymap.ui.text import md
from journeymap.workshop.backlog import Workshop

__all__ = ["show"]

_KEY = "jm_ws_people"


def show(token: str, workshop: Workshop) -> None:
    """The door (open or closed, and how many may join) and everyone who joined, each with Take out."""
    door, cap = st.columns([1, 1], vertical_alignment="bottom")
    door.toggle("Joining open", value=workshop.joining_open, key=f"{_KEY}_open", on_change=_set_door, args=(token,),
                help="Close it once everyone is in: nobody else can join with the code.")
    cap.number_input("At most this many participants (0: no limit)", min_value=0, max_value=1000, step=1,
                     value=workshop.max_participants or 0, key=f"{_KEY}_cap", on_change=_set_door, args=(token,))
    board.message(_KEY)
    people = ws.store().participants(token)
    dots = _dots_by_person(token)
    limit = f" of at most {workshop.max_participants}" if workshop.max_participants else ""
    st.markdown(f"**{len(people)} participant{'s' if len(people) != 1 else ''}{limit}** · joining "
                + ("open" if workshop.joining_open else "closed"))
    if not people:
        st.caption("Nobody has joined yet.")
    for person in people:
        name, placed, out = st.columns([6, 2, 2], vertical_alignment="center")
        name.markdown(f"{md(person.name)} · joined {person.joined_at:%H:%M} UTC")
        placed.markdown(f"{dots.get(person.id, 0)} dot{'s' if dots.get(person.id, 0) != 1 else ''}")
        out.button("Take out", icon=":material/person_remove:", key=f"{_KEY}_out_{person.id}", width="stretch",
                   help="Their key stops working; their dots and notes are removed.",
                   on_click=_take_out, args=(token, person.id, person.name))


def _dots_by_person(token: str) -> dict[int, int]:
    return ws.store().dots_by_participant(token)


def _set_door(token: str) -> None:
    try:
        ws.store().update_workshop(token, joining_open=bool(st.session_state.get(f"{_KEY}_open")),
                                   max_participants=int(st.session_state.get(f"{_KEY}_cap") or 0))
    except JourneyError as error:
        board.say(_KEY, "error", str(error))
        return
    board.say(_KEY, "success", "Joining settings saved.")


def _take_out(token: str, participant_id: int, name: str) -> None:
    try:
        ws.store().remove_participant(token, participant_id)
    except JourneyError as error:
        board.say(_KEY, "error", str(error))
        return
    board.say(_KEY, "success", f"{name} is out of the workshop; their dots and notes are gone.")
