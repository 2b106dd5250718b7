"""Join a workshop (participant): enter the code on the shared screen, then work on the journey map.

After joining, the laptop shows the map the shared screen shows (the stages revealed, the hotspot
in the spotlight), following the facilitator; a click on a step opens it for a dot or a note.

After joining, the participant's own key is in the URL (`?p=`), so a refresh or a restarted server
brings them back to the same workshop, and in a cookie of their browser, so opening the join link
again (a new tab, the next morning) brings back the same participant rather than a new one with a
fresh budget of dots. Nothing of a workshop shows without its join code.
"""

from __future__ import annotations

import streamlit as st

from journeymap.core.errors import JourneyError
from journeymap.ui import page
from journeymap.ui import workshop_board as board
from journeymap.ui import workshop_present as present
from journeymap.ui import workshop_room as room
from journeymap.ui import workshop_state as ws
from journeymap.ui.text import md

page.ensure_routed()


def _join() -> None:
    code, name = str(st.session_state.get("jm_join_code") or ""), str(st.session_state.get("jm_join_name") or "")
    try:
        participant = ws.store().join(code, name, known_token=ws.kept_key(code))
    except JourneyError as error:  # a wrong code says so, and shows nothing of any workshop
        board.say("jm_join", "error", str(error))
        return
    ws.set_token(ws.PARTICIPANT, participant.token or "")


def _join_form() -> None:
    st.title("Join a workshop", anchor=False)
    code = st.query_params.get(ws.CODE)
    again = ws.rejoin_from_browser(code) if code else None
    if again is not None:  # this browser joined before: the same participant, not a second one
        ws.set_token(ws.PARTICIPANT, again)
        st.rerun()
    if code and "jm_join_code" not in st.session_state:
        st.session_state["jm_join_code"] = ws.pretty_code(code)
    with st.form("jm_join_form"):
        st.text_input("Join code (on the shared screen)", key="jm_join_code", max_chars=20, placeholder="ABCD-EFGH")
        st.text_input("Your name", key="jm_join_name", max_chars=100, placeholder="As the others know you")
        st.form_submit_button("Join", icon=":material/login:", type="primary", on_click=_join)
    board.message("jm_join")


found = ws.opened(ws.PARTICIPANT)
if found is None:
    if ws.token(ws.PARTICIPANT):
        ws.forget(ws.PARTICIPANT)
    _join_form()
    st.stop()
token, workshop = found
try:
    me = ws.store().participant(token)
    journey = ws.journey_for(workshop)
    view = ws.view_for(workshop)
except JourneyError as error:
    st.error(md(str(error)))
    st.stop()
steps, stages = board.step_choices(journey), board.stage_of(journey)
hotspots = list(view.story.marked)
present.sticky_style()
room.room_style()
ws.keep_in_browser(workshop.join_code, token)
board.screen_drawn(workshop)  # the board's refresh reruns the page when the shared screen moves on

title, clock = st.columns([5, 1], vertical_alignment="center")
title.title(md(workshop.title), anchor=False)
title.caption(f"You are **{md(me.name)}** · {md(journey.name)} · this page's address is your key: keep it to come "
              "back")
with clock:
    present.timer(token)

room.spotlight_box(view, workshop, hotspots)
room.work_on_the_map(token, view, workshop, journey, hotspots, steps)

st.divider()
st.subheader("Everyone's notes", anchor=False)
board.live_board(token, steps, stages, facilitator=False)
