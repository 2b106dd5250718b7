"""Who is looking at which workshop: the store, the access keys in the URL, and the workshop's figures.

The facilitator's page carries `?w=<facilitator token>`, a participant's `?p=<participant token>`,
so a refresh or a restarted server opens the same workshop again. The facilitator's token is only
ever written into the facilitator's own URL; participants get the join code (`?code=`) instead.

A reload keeps the URL but not `st.session_state` (a reload is a new Streamlit session), and a
participant who opens the join link again in a new tab has neither. So the participant's key is
also kept in a cookie of their browser, one per workshop (`jm_p_<join code>`, two days): Streamlit
cannot set cookies from Python, so a one-line script sets it, and `st.context.cookies` reads it
back when the browser next opens a session. Joining again from that browser returns the same
participant, with their dots and notes, instead of a new one with a fresh budget.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse
from typing import TYPE_CHECKING

import streamlit as st

from journeymap.core.errors import JourneyError
from journeymap.ui import data
from journeymap.ui.state import Selection
from journeymap.ui.text import md
from journeymap.workshop import joinlink
from journeymap.workshop.access import AccessDenied, normalise_join_code
from journeymap.workshop.backlog import Workshop
from journeymap.workshop.schema import default_database_url
from journeymap.workshop.store import WorkshopStore

if TYPE_CHECKING:
    from journeymap.journey.model import Journey

__all__ = [
    "FACILITATOR",
    "PARTICIPANT",
    "CODE",
    "PUBLIC_URL",
    "WORKSHOP_PARAMS",
    "chrome_free",
    "store",
    "close_stores",
    "token",
    "set_token",
    "forget",
    "opened",
    "filter_text",
    "selection_for",
    "journey_for",
    "view_for",
    "app_address",
    "unreachable_address",
    "join_url",
    "pretty_code",
    "position",
    "set_position",
    "show_on_screen",
    "kept_key",
    "keep_in_browser",
    "rejoin_from_browser",
]

FACILITATOR, PARTICIPANT, CODE = "w", "p", "code"
PUBLIC_URL = joinlink.PUBLIC_URL  # the server's address for joining, when a workshop sets none
WORKSHOP_PARAMS = (FACILITATOR, PARTICIPANT, CODE)  # any of them in the URL: a chrome-free workshop view
_COOKIE_PREFIX, _COOKIE_DAYS = "jm_p_", 2
_KEY_CHARS = re.compile(r"^[A-Za-z0-9_-]{16,64}$")  # what secrets.token_urlsafe makes; anything else is not ours
_DATES = re.compile(r"^(\d{4}-\d{2}-\d{2}|…) to (\d{4}-\d{2}-\d{2}|…)$")


def chrome_free() -> bool:
    """True when the URL opens a workshop view: no page menu, no explorer sidebar (for app.py)."""
    return any(name in st.query_params for name in WORKSHOP_PARAMS)


@st.cache_resource(show_spinner=False, on_release=WorkshopStore.close)
def _store(url: str) -> WorkshopStore:
    return WorkshopStore(url)


def store() -> WorkshopStore:
    """The workshop store of this server (one per database URL, shared by all sessions)."""
    return _store(default_database_url())


def close_stores() -> None:
    """Close every store this server opened (the data stays); the next call opens them again."""
    _store.clear()


def token(param: str) -> str | None:
    """The access key in the URL under `param` (FACILITATOR or PARTICIPANT), if any."""
    value = st.query_params.get(param)
    return value.strip() if isinstance(value, str) and value.strip() else None


def set_token(param: str, value: str) -> None:
    """Put an access key into the URL (and drop the join code it replaces)."""
    st.query_params.pop(CODE, None)
    st.query_params[param] = value


def forget(param: str) -> None:
    """Take an access key and what belongs to it out of the URL."""
    for name in (param, "view", "stage", "spot"):
        st.query_params.pop(name, None)


def opened(param: str) -> tuple[str, Workshop] | None:
    """The access key in the URL and its workshop; None (with a message shown) when it opens none."""
    key = token(param)
    if key is None:
        return None
    try:
        return key, store().workshop(key)
    except AccessDenied as error:
        st.error(md(str(error)), icon=":material/lock:")
        return None


def filter_text(selection: Selection) -> tuple[str, str]:
    """A selection's date range and segment filter as the store keeps them (readable, and read back)."""
    dates = (f"{selection.start or '…'} to {selection.end or '…'}" if selection.start or selection.end else "")
    segment = (urllib.parse.urlencode([("segment", selection.segment)] + [("value", v) for v in selection.values])
               if selection.segment and selection.values else "")
    return dates, segment


def selection_for(workshop: Workshop) -> Selection:
    """The journey and filter a workshop was created with."""
    start = end = None
    found = _DATES.match(workshop.date_range.strip())
    if found:
        start, end = (dt.date.fromisoformat(part) if part != "…" else None for part in found.groups())
    query = urllib.parse.parse_qs(workshop.filters)
    segments = query.get("segment")
    segment = segments[0] if segments else None
    values = tuple(query.get("value") or ()) if segment else ()
    return Selection(journey=workshop.journey_id, start=start, end=end, segment=segment, values=values)


def journey_for(workshop: Workshop) -> Journey:
    """The workshop's journey definition; JourneyError when this server does not have it."""
    return _source(workshop).journey


def view_for(workshop: Workshop) -> data.View:
    """The workshop's figures: its journey's log under the filter it was created with (cached)."""
    return data.view(_source(workshop), selection_for(workshop))


def _source(workshop: Workshop) -> data.Source:
    try:
        return data.get_source(workshop.journey_id)
    except JourneyError:
        raise JourneyError(f"This workshop runs on the journey '{workshop.journey_id}', which this server does not "
                           "have (uploaded journeys last only for the session that loaded them).") from None


def app_address(workshop: Workshop | None = None) -> str:
    """This app's address as participants reach it (`joinlink.participant_address`): never localhost
    while the machine has a network address and the server listens on it."""
    port = st.get_option("server.port")
    return joinlink.participant_address(workshop_url=workshop.public_url if workshop else None,
                                        browser_url=st.context.url or "", port=int(port) if port else None,
                                        listening=str(st.get_option("server.address") or ""))


def unreachable_address(workshop: Workshop | None = None) -> bool:
    """True when the address shown names this machine only (localhost), which laptops cannot reach."""
    return joinlink.is_loopback(app_address(workshop))


def join_url(workshop: Workshop) -> str:
    """The link participants open: this app's join page with the workshop's code filled in."""
    return joinlink.join_link(app_address(workshop), workshop.join_code)


def pretty_code(join_code: str) -> str:
    """A join code in two groups of four, easy to read off a projector: ABCD-EFGH."""
    return f"{join_code[:4]}-{join_code[4:]}" if len(join_code) == 8 else join_code


def position(name: str, default: int, upper: int) -> int:
    """A presentation position kept in the URL (stage shown, hotspot in the spotlight), within 0..upper."""
    raw = st.query_params.get(name)
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        value = default
    return min(max(value, 0), upper)


def set_position(name: str, value: int) -> None:
    """Keep a presentation position in the URL, so a refresh shows the same stage or hotspot."""
    st.query_params[name] = str(value)


def show_on_screen(token: str, workshop: Workshop, *, part: str | None = None, stage: int | None = None,
                   spotlight: int | None = None) -> Workshop:
    """Record in the store what the facilitator's screen shows, when it differs, for laptops to follow."""
    new_part = part if part != workshop.on_screen else None
    new_stage = stage if stage != workshop.stage_shown else None
    new_spotlight = spotlight if spotlight != workshop.spotlight else None
    if new_part is None and new_stage is None and new_spotlight is None:
        return workshop
    try:
        return store().show_on_screen(token, part=new_part, stage=new_stage, spotlight=new_spotlight)
    except JourneyError:  # following is a convenience: the screen itself shows what it shows
        return workshop


def _cookie_name(join_code: str) -> str:
    return _COOKIE_PREFIX + normalise_join_code(join_code)


def kept_key(join_code: str) -> str | None:
    """The participant key this browser kept for a workshop's join code, if any."""
    if not normalise_join_code(join_code):
        return None
    value = st.context.cookies.get(_cookie_name(join_code))
    return value if isinstance(value, str) and _KEY_CHARS.match(value) else None


def keep_in_browser(join_code: str, key: str) -> None:
    """Keep a participant's key in a cookie of their browser (once per session), for `kept_key` to find."""
    marker = f"jm_ws_kept_{key}"
    if st.session_state.get(marker) or not _KEY_CHARS.match(key):
        return
    cookie = json.dumps(f"{_cookie_name(join_code)}={key}; path=/; max-age={_COOKIE_DAYS * 86_400}; samesite=strict")
    st.html(f"<script>document.cookie = {cookie};</script>", unsafe_allow_javascript=True, width="content")
    st.session_state[marker] = True


def rejoin_from_browser(join_code: str) -> str | None:
    """The key of the participant this browser joined a workshop as, when it still opens that workshop."""
    key = kept_key(join_code)
    if key is None:
        return None
    try:
        me, room = store().participant(key), store().get_workshop_for_code(join_code)
    except AccessDenied:  # a removed participant's key: the join page says so when they try again
        return None
    return key if me.workshop_id == room.id else None
