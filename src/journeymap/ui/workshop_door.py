"""The way in, on the shared screen: the join address, the code, the QR code, and the facilitator's address setting."""

from __future__ import annotations

import streamlit as st

from journeymap.core.errors import JourneyError
from journeymap.ui import workshop_board as board
from journeymap.ui import workshop_state as ws
from journeymap.ui.text import md
from journeymap.workshop import joinlink
from journeymap.workshop.backlog import Workshop

__all__ = ["qr", "door", "address_setting", "ADDRESS_KEY"]

ADDRESS_KEY = "jm_ws_address"
_XMLNS = 'xmlns="http://www.w3.org/2000/svg" '


def qr(workshop: Workshop, px: int, key: str) -> None:
    """The QR code of the join link (address and code), `px` pixels square."""
    svg = joinlink.qr_svg(ws.join_url(workshop)).replace("<svg ", "<svg " + _XMLNS, 1)
    with st.container(key=key):
        st.image(svg, width=px, caption=None)


def door(token: str, workshop: Workshop) -> None:
    """How to join, large: the QR code, the address to type and the code, for the start of the workshop."""
    code, words = st.columns([2, 3], vertical_alignment="center", gap="large")
    with code:
        qr(workshop, 320, "jm_ws_door_qr")
    with words:
        st.container(key="jm_ws_title_big").markdown(md(workshop.title))
        st.markdown("Scan the code, or open")
        st.container(key="jm_ws_door_address").markdown(f"**{md(joinlink.short_address(ws.app_address(workshop)))}**")
        st.markdown("and type the code")
        st.container(key="jm_ws_door_code").markdown(ws.pretty_code(workshop.join_code))
        if ws.unreachable_address(workshop):
            st.warning(_unreachable(workshop), icon=":material/wifi_off:")


def _unreachable(workshop: Workshop) -> str:
    return (f"Laptops cannot open {md(ws.app_address(workshop) or 'this address')}: it names this computer only. "
            "Set the address participants open in the Facilitator menu (this computer's network address, such as "
            "http://192.168.1.20:8501), or start the app with its network address.")


def address_setting(token: str, workshop: Workshop) -> None:
    """The address participants open, as the facilitator sets it (empty: the one found for this machine)."""
    st.text_input("Address participants open", value=workshop.public_url or "", key=ADDRESS_KEY, max_chars=300,
                  placeholder=ws.app_address(None) or "http://192.168.1.20:8501", on_change=_save_address,
                  args=(token,), help="Leave it empty to use this computer's address on the network, found by the "
                                      "app. Set it when participants reach the app by another name or address.")
    board.message(ADDRESS_KEY)
    if ws.unreachable_address(workshop):
        st.warning(_unreachable(workshop), icon=":material/wifi_off:")


def _save_address(token: str) -> None:
    try:
        saved = ws.store().update_workshop(token, public_url=str(st.session_state.get(ADDRESS_KEY) or ""))
    except JourneyError as error:
        board.say(ADDRESS_KEY, "error", str(error))
        return
    board.say(ADDRESS_KEY, "success", f"Participants now join at {joinlink.short_address(ws.app_address(saved))}.")
