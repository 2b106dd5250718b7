"""Workshop (facilitator): create a workshop on the current journey, then run it on the shared screen.

Without `?w=` the page offers to start a workshop on the journey and filter chosen in the sidebar.
With the facilitator's key in the URL it is the projector view, in large type without app chrome,
under a one-line header (how to join, the countdown, the facilitator's menu): stage-by-stage map,
hotspot spotlight, notes and votes (the reveal), the token replay, who joined (and the door with
its QR code), backlog, and the take-home exports. What is on screen is kept in the store, so the
participants' laptops follow it.
"""

from __future__ import annotations

import streamlit as st

from journeymap.core.errors import JourneyError
from journeymap.ui import data, page, state
from journeymap.ui import workshop_backlog as backlog
from journeymap.ui import workshop_board as board
from journeymap.ui import workshop_door as door
from journeymap.ui import workshop_people as people
from journeymap.ui import workshop_present as present
from journeymap.ui import workshop_replay as replay
from journeymap.ui import workshop_state as ws
from journeymap.ui.text import md

page.ensure_routed()


def _create() -> None:
    selection = state.current()
    dates, filters = ws.filter_text(selection)
    try:
        workshop = ws.store().create_workshop(
            str(st.session_state.get("jm_ws_title") or ""), selection.journey,
            votes_per_participant=int(st.session_state.get("jm_ws_votes") or 5), date_range=dates, filters=filters)
    except JourneyError as error:
        board.say("jm_ws_create", "error", str(error))
        return
    ws.set_token(ws.FACILITATOR, workshop.facilitator_token or "")


def _setup() -> None:
    """The form that starts a workshop on the journey and filter of the sidebar."""
    st.title("Run a workshop", anchor=False)
    selection = state.current()
    try:
        source = data.get_source(selection.journey)
    except JourneyError as error:
        st.error(md(str(error)))
        st.stop()
    st.markdown(f"Put **{md(source.journey.name)}** ({md(selection.case_filter().describe())}) on the shared "
                "screen, walk it stage by stage, spotlight its hotspots, and collect notes and dot votes from "
                "everyone's laptop. Choose another journey or filter in the sidebar first if you need to.")
    if source.origin != "sample":
        st.warning("Workshops run on the journeys every session can open, the sample journeys: an uploaded journey "
                   "lasts only for the session that loaded it, so participants could not see its steps. Pick a "
                   "sample journey in the sidebar.", icon=":material/warning:")
        st.stop()
    with st.form("jm_ws_create_form"):
        st.text_input("Workshop title", value=f"{source.journey.name} workshop", key="jm_ws_title", max_chars=200)
        st.number_input("Dots per participant", min_value=1, max_value=100, value=5, key="jm_ws_votes")
        st.form_submit_button("Start the workshop", icon=":material/groups:", type="primary", on_click=_create)
    board.message("jm_ws_create")
    if ws.unreachable_address():
        st.info(f"Participants' laptops cannot open {md(ws.app_address() or 'this address')}: this server listens on "
                "this computer only. Start it on the network (`--server.address 0.0.0.0`), or set the address "
                "participants open in the workshop's Facilitator menu.", icon=":material/wifi_off:")
    st.caption("The address of the workshop page is the facilitator's key: bookmark it to come back, and share only "
               "the join code shown on screen. Participants open the Join page.")


found = ws.opened(ws.FACILITATOR)
if found is None:
    _setup()
    st.stop()
token, workshop = found
if workshop.facilitator_token is None:
    st.error("This is a participant's key, not the facilitator's: open the Join page instead.", icon=":material/lock:")
    st.stop()

present.projector_style()
try:
    view = ws.view_for(workshop)
    journey = ws.journey_for(workshop)
except JourneyError as error:
    st.error(md(str(error)))
    st.stop()
steps, stages = board.step_choices(journey), board.stage_of(journey)
hotspots = list(view.story.marked)

part, nav = present.header(token, workshop)
if part not in ("map", "spotlight"):
    workshop = ws.show_on_screen(token, workshop, part=part)
if part == "map":
    present.stage_reveal(token, workshop, view, hotspots, nav)
elif part == "spotlight":
    present.spotlight(token, workshop, view, hotspots, nav)
elif part == "board":
    reveal, add = nav.columns(2, vertical_alignment="center")
    with reveal:
        present.reveal_button(token, workshop)
    with add.popover("Add a note", icon=":material/sticky_note_2:", width="stretch"):
        board.note_form(token, steps, "jm_ws_note")
    present.live_map(token, view, hotspots)
    board.live_board(token, steps, stages, facilitator=True)
elif part == "replay":
    replay.show(view, hotspots, "jm_ws_replay", projector=True, nav=nav)
elif part == "people":
    door.door(token, workshop)
    people.show(token, workshop)
elif part == "backlog":
    backlog.show(token, view, steps)
else:
    backlog.exports(token, workshop, view, hotspots)
