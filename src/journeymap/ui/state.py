"""What the user is looking at (journey, filter, colour, step), kept in the URL so a link reopens it.

The URL is parsed defensively: a value that does not fit falls back to its default and leaves a
note for the user, never a traceback. Journey ids are checked against the known list and are
only ever used as keys, never as paths.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import streamlit as st

from journeymap.engine.filters import CaseFilter
from journeymap.ui.text import md

__all__ = ["Selection", "parse_query", "to_query", "current", "store", "update", "choose", "read_url", "write_url",
           "flash", "show_flash", "has_selection", "url_changed_outside", "history_navigation",
           "DEFAULT_JOURNEY", "DEFAULT_COLOR", "PARAMS"]

DEFAULT_JOURNEY = "onboarding"
DEFAULT_COLOR = "delay_share"  # the map's default (mapchart.DEFAULT_MEASURE): the ① hotspot is the darkest step
PARAMS = ("journey", "from", "to", "segment", "value", "color", "step", "time")
TIMES = ("calendar", "working")  # model.TIME_BASES: the clock durations are shown on
_SESSION_KEY = "jm_selection"
_WRITTEN_KEY = "jm_url_written"
_FLASH_KEY = "jm_flash"
_MAX_VALUE_LENGTH = 200
_MAX_VALUES = 50


@dataclass(frozen=True)
class Selection:
    """The view in one value: which journey, which cases, how the map is coloured, which step is open."""

    journey: str = DEFAULT_JOURNEY
    start: dt.date | None = None
    end: dt.date | None = None
    segment: str | None = None
    values: tuple[str, ...] = ()
    color_by: str = DEFAULT_COLOR
    step: str | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)
    time: str = "calendar"  # durations in calendar or working time

    def case_filter(self) -> CaseFilter:
        """The cases this selection keeps, for `journeymap.engine.filters`."""
        segments = {self.segment: self.values} if self.segment and self.values else {}
        return CaseFilter(self.start, self.end, segments)

    def filter_key(self) -> tuple[Any, ...]:
        """A hashable key of the filter part, for caches."""
        return (self.start, self.end, self.segment if self.values else None, self.values)

    def with_note(self, note: str) -> Selection:
        """This selection with one more note for the user."""
        return replace(self, notes=(*self.notes, note))


def parse_query(params: Mapping[str, str | Sequence[str]], journeys: Sequence[str],
                measures: Iterable[str], default_journey: str = DEFAULT_JOURNEY) -> Selection:
    """A selection from URL query parameters; unusable values fall back to defaults with a note."""
    notes: list[str] = []

    def one(name: str) -> str | None:
        raw = params.get(name)
        values = [raw] if isinstance(raw, str) else list(raw or [])
        values = [str(v).strip() for v in values if str(v).strip()]
        if not values:
            return None
        if len(values[-1]) > _MAX_VALUE_LENGTH:
            notes.append(f"The link's '{name}' value is too long and was ignored.")
            return None
        return values[-1]

    default = default_journey if default_journey in journeys else (journeys[0] if journeys else default_journey)
    journey = one("journey") or default
    if journey not in journeys:
        notes.append(f"The link names a journey '{_short(journey)}' that is not available here (uploads only "
                     f"last for the session that made them); showing '{default}' instead.")
        journey = default
    start, end = _date(one("from"), "from", notes), _date(one("to"), "to", notes)
    if start and end and start > end:
        notes.append(f"The link's date range runs backwards ({start} to {end}); showing all dates.")
        start = end = None
    raw_values = params.get("value")
    given = [raw_values] if isinstance(raw_values, str) else list(raw_values or [])
    values = tuple(dict.fromkeys(str(v) for v in given if str(v).strip() and len(str(v)) <= _MAX_VALUE_LENGTH))
    if len(values) > _MAX_VALUES:
        notes.append(f"The link lists {len(values)} segment values; only the first {_MAX_VALUES} are used.")
        values = values[:_MAX_VALUES]
    segment = one("segment")
    if values and not segment:
        notes.append("The link gives segment values without naming the segment column; they were ignored.")
        values = ()
    measure_list = list(measures)
    color = one("color") or DEFAULT_COLOR
    if color not in measure_list:
        if measure_list:
            notes.append(f"The link asks to colour the map by '{_short(color)}', which is not a measure here; "
                         "colouring by share of lead time.")
        color = DEFAULT_COLOR if DEFAULT_COLOR in measure_list or not measure_list else measure_list[0]
    time = one("time") or "calendar"
    if time not in TIMES:
        notes.append(f"The link asks for durations in '{_short(time)}' time; showing calendar time.")
        time = "calendar"
    return Selection(journey, start, end, segment, values, color, one("step"), tuple(notes), time=time)


def to_query(selection: Selection, default_journey: str = DEFAULT_JOURNEY) -> dict[str, str | list[str]]:
    """The query parameters of a selection; defaults are left out so links stay short."""
    query: dict[str, str | list[str]] = {}
    if selection.journey != default_journey:
        query["journey"] = selection.journey
    if selection.start:
        query["from"] = selection.start.isoformat()
    if selection.end:
        query["to"] = selection.end.isoformat()
    if selection.segment and selection.values:
        query["segment"] = selection.segment
        query["value"] = list(selection.values)
    if selection.color_by != DEFAULT_COLOR:
        query["color"] = selection.color_by
    if selection.step:
        query["step"] = selection.step
    if selection.time != "calendar":
        query["time"] = selection.time
    return query


def read_url() -> dict[str, list[str]]:
    """The current URL query parameters, every key with all its values."""
    return {key: st.query_params.get_all(key) for key in st.query_params}


def write_url(selection: Selection) -> None:
    """Put a selection into the URL (only when it changed, so the browser history stays clean).

    Also when this server's copy of the URL already reads so but the last URL written differs: the
    copy comes from the browser's last request, which can predate the URL written a moment ago, and
    the browser would keep that newer one.
    """
    wanted = {key: value if isinstance(value, list) else [value] for key, value in to_query(selection).items()}
    foreign = {key: value for key, value in read_url().items() if key not in PARAMS}
    if read_url() != {**foreign, **wanted} or st.session_state.get(_WRITTEN_KEY, wanted) != wanted:
        st.query_params.from_dict({**foreign, **wanted})
    st.session_state[_WRITTEN_KEY] = wanted


def url_changed_outside() -> bool:
    """True when the browser went back or forward to view parameters this session did not write last.

    Only a move through the browser's history speaks for the user within a session (an edited link
    opens a new session). On any other rerun the URL the browser sends can be older than the one
    written a moment ago (a page link clicked while a typed date was being committed), and following
    it would undo what the user just chose: then the selection stands and the URL is rewritten.
    """
    ours = {key: value for key, value in read_url().items() if key in PARAMS}
    written = st.session_state.get(_WRITTEN_KEY)
    return written is not None and ours != written and history_navigation()


def history_navigation() -> bool:
    """True when this run was started by the browser's back or forward button."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    return bool(getattr(get_script_run_ctx(), "is_history_navigation", False))


def current() -> Selection:
    """The selection of this run (set by the sidebar before the page runs)."""
    selection = st.session_state.get(_SESSION_KEY)
    return selection if isinstance(selection, Selection) else Selection()


def has_selection() -> bool:
    """True once this session has a selection (after its first run)."""
    return isinstance(st.session_state.get(_SESSION_KEY), Selection)


def store(selection: Selection) -> Selection:
    """Make a selection the current one and put it into the URL."""
    st.session_state[_SESSION_KEY] = selection
    write_url(selection)
    return selection


def update(**changes: Any) -> Selection:
    """Change parts of the current selection (notes are dropped: the user has moved on)."""
    return store(replace(current(), notes=(), **changes))


def choose(**changes: Any) -> Selection:
    """Change parts of the current selection without writing the URL: for widget callbacks, whose choice
    the sidebar checks against the data before it is applied and written (notes are dropped)."""
    selection = replace(current(), notes=(), **changes)
    st.session_state[_SESSION_KEY] = selection
    return selection


def flash(kind: str, text: str) -> None:
    """Leave a message ("success", "warning" or "info") for the next page drawn in this session."""
    st.session_state.setdefault(_FLASH_KEY, []).append((kind, text))


def show_flash() -> list[str]:
    """Show (once) the messages left by `flash`; returns the texts drawn in the page (the Map page makes
    room for them).

    Good news ("All 8,577 rows read.") is a toast for ten seconds: a box for it pushed the map's legend
    off a 1280x720 screen, and the sidebar keeps the log's counts. A warning (rows skipped, activities
    off the journey) stays in the page until the next one is drawn.
    """
    boxed = []
    for kind, text in st.session_state.pop(_FLASH_KEY, []):
        if kind == "success":
            st.toast(md(text), icon=":material/check_circle:", duration="long")
            continue
        {"warning": st.warning}.get(kind, st.info)(md(text))
        boxed.append(text)
    return boxed


def _date(text: str | None, name: str, notes: list[str]) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        notes.append(f"The link's '{name}' date '{_short(text)}' is not a date like 2026-03-01; it was ignored.")
        return None


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
