"""Journeys with their event logs, and their figures for a filter, computed once and cached.

Sample journeys are loaded once per server; a journey uploaded (or drafted) on the Data page is
kept in this session only. Figures are cached by the content key of the log and journey plus the
filter, so switching back to a filter already seen answers at once, even on a million events.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

import streamlit as st

from journeymap.core.errors import JourneyError
from journeymap.engine.filters import CaseFilter, filter_events, segment_values, start_bounds
from journeymap.journey.definition import journey_to_yaml, load_journey
from journeymap.journey.model import Journey
from journeymap.journey.samples import SAMPLE_JOURNEYS, sample_events_path, sample_journey_path
from journeymap.log.columns import CASE_CODE
from journeymap.log.eventlog import EventLog
from journeymap.log.readers import read_events
from journeymap.measures.conformance import Conformance, conformance
from journeymap.measures.hotspots import Hotspot
from journeymap.measures.metrics import JourneyMetrics, compute_metrics
from journeymap.measures.story import JourneyStory, journey_story
from journeymap.ui.state import Selection

__all__ = ["Source", "View", "sources", "get_source", "add_source", "upload_key", "view", "events", "date_bounds",
           "segment_options", "log_counts", "sample_journey", "content_key", "SOURCES_KEY"]

SOURCES_KEY = "jm_sources"
_CACHE_ENTRIES = 48
_MEMO_ENTRIES = 16  # charts kept per view: colours x off-map x a few opened steps
T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class Source:
    """A journey definition with the event log measured against it."""

    id: str
    label: str
    journey: Journey
    log: EventLog
    key: str
    origin: str = "sample"

    @property
    def log_name(self) -> str:
        """The file the events came from."""
        return self.log.source


class View:
    """Every figure of a source for one filter: metrics and their story (headline, hotspots, OKRs)."""

    def __init__(self, source: Source, case_filter: CaseFilter, metrics: JourneyMetrics) -> None:
        self.source = source
        self.case_filter = case_filter
        self.metrics = metrics
        self._memo: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def memo(self, key: Hashable, make: Callable[[], T]) -> T:
        """A value made once per view and key (charts, their specs), the last few kept."""
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
        value = make()
        with self._lock:
            self._memo[key] = value
            while len(self._memo) > _MEMO_ENTRIES:
                self._memo.popitem(last=False)
        return value

    @property
    def empty(self) -> bool:
        """True when no case passes the filter."""
        return self.metrics.n_cases == 0

    @cached_property
    def story(self) -> JourneyStory:
        """What every surface says about these figures: the headline, the hotspots, the OKRs."""
        return journey_story(self.metrics)

    @property
    def hotspots(self) -> list[Hotspot]:
        """Hotspots, most delay first (the story's)."""
        return list(self.story.hotspots)

    @property
    def summary(self) -> str:
        """One sentence on where the time goes (the story's)."""
        return self.story.summary

    @cached_property
    def conformance(self) -> Conformance:
        """Designed versus actual."""
        return conformance(self.metrics)

    @cached_property
    def step_labels(self) -> dict[str, str]:
        """Step id -> label, for every step in the metrics."""
        return dict(zip(self.metrics.steps["step"], self.metrics.steps["label"]))


def content_key(*parts: bytes | str) -> str:
    """A short digest naming some content, for cache keys."""
    digest = hashlib.blake2b(digest_size=12)
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


@st.cache_resource(show_spinner=False)
def _sample_journey(journey_id: str) -> Journey:
    if journey_id not in SAMPLE_JOURNEYS:  # ids are keys, never paths
        raise JourneyError(f"There is no sample journey '{journey_id}'.")
    return load_journey(sample_journey_path(journey_id))


@st.cache_resource(show_spinner="Loading the sample journey…")
def _sample_source(journey_id: str) -> Source:
    journey = _sample_journey(journey_id)
    log = read_events(sample_events_path(journey_id))
    return Source(journey_id, journey.name, journey, log, key=f"sample:{journey_id}", origin="sample")


def sample_journey(journey_id: str) -> Journey:
    """A sample journey's definition (loaded once per server)."""
    return _sample_journey(journey_id)


def _session_sources() -> dict[str, Source]:
    found = st.session_state.get(SOURCES_KEY)
    if not isinstance(found, dict):
        found = {}
        st.session_state[SOURCES_KEY] = found
    return found


def sources() -> dict[str, str]:
    """Every journey this session can show: id -> label (samples first, then this session's uploads)."""
    labels = {journey_id: _sample_label(journey_id) for journey_id in SAMPLE_JOURNEYS}
    labels.update({source.id: source.label for source in _session_sources().values()})
    return labels


def get_source(source_id: str) -> Source:
    """The journey and log of an id from `sources()`."""
    uploaded = _session_sources().get(source_id)
    return uploaded if uploaded is not None else _sample_source(source_id)


def add_source(journey: Journey, log: EventLog, key: str) -> str:
    """Keep an uploaded or drafted journey with its log for this session; returns its id."""
    found = _session_sources()
    for source in found.values():
        if source.key == key:
            return source.id
    number = 1 + sum(1 for source_id in found if source_id.startswith("upload-"))
    source_id = f"upload-{number}"
    label = f"{journey.name} (upload {number})"
    found[source_id] = Source(source_id, label, journey, log, key=key, origin="upload")
    return source_id


def upload_key(data: bytes, roles: Any, journey: Journey) -> str:
    """The content key of an uploaded log read with some roles against some journey."""
    return "upload:" + content_key(data, repr(roles), journey_to_yaml(journey))


def view(source: Source, selection: Selection) -> View:
    """The figures of a source for the selection's filter (cached)."""
    time = selection.time if source.journey.calendars else "calendar"
    return _view(source.key, selection.filter_key(), source, time)


@st.cache_resource(show_spinner="Computing the journey's figures…", max_entries=_CACHE_ENTRIES)
def _view(key: str, filter_key: tuple[Any, ...], _source: Source, time: str = "calendar") -> View:
    start, end, segment, values = filter_key
    case_filter = CaseFilter(start, end, {segment: tuple(values)} if segment and values else {})
    return View(_source, case_filter, compute_metrics(events(_source, case_filter), _source.journey, time=time))


def events(source: Source, case_filter: CaseFilter) -> Any:
    """The source's events of the cases that pass the filter (native frame): filtered once per source and
    filter, and only the last filtered frame kept (ten million events are a gigabyte)."""
    if case_filter.is_empty():
        return source.log.frame
    segments = tuple(sorted((column, tuple(values)) for column, values in case_filter.segments.items() if values))
    return _events(source.key, (case_filter.start, case_filter.end, segments), source, case_filter)


@st.cache_resource(show_spinner=False, max_entries=1)
def _events(key: str, filter_key: tuple[Any, ...], _source: Source, _case_filter: CaseFilter) -> Any:
    return filter_events(_source.log.frame, _case_filter)


def date_bounds(source: Source) -> tuple[dt.date, dt.date] | None:
    """The first and last day a case started on (None for an empty log)."""
    return _date_bounds(source.key, source)


@st.cache_resource(show_spinner=False, max_entries=_CACHE_ENTRIES)
def _date_bounds(key: str, _source: Source) -> tuple[dt.date, dt.date] | None:
    bounds = start_bounds(_source.log.frame)  # an ingested log's from its case order, without grouping
    return None if bounds is None else (_day(bounds[0]), _day(bounds[1]))


def log_counts(source: Source) -> tuple[int, int]:
    """Cases and events in a source's log."""
    return _log_counts(source.key, source)


@st.cache_resource(show_spinner=False, max_entries=_CACHE_ENTRIES)
def _log_counts(key: str, _source: Source) -> tuple[int, int]:
    frame = _source.log.frame
    return (frame.get_column(_case_key(frame.columns)).n_unique() if frame.height else 0), frame.height


def _case_key(columns: list[str]) -> str:
    """The column that tells cases apart most cheaply: an ingested log's integer codes, else the ids."""
    return CASE_CODE if CASE_CODE in columns else "case"


def segment_options(source: Source, column: str) -> list[str]:
    """The values of a segment column, most frequent first."""
    return _segment_options(source.key, column, source)


@st.cache_resource(show_spinner=False, max_entries=_CACHE_ENTRIES * 4)
def _segment_options(key: str, column: str, _source: Source) -> list[str]:
    if column not in _source.log.attributes:
        return []
    return segment_values(_source.log.frame, column)


def _sample_label(journey_id: str) -> str:
    try:
        return _sample_journey(journey_id).name
    except JourneyError:
        return journey_id


def _day(epoch_us: int) -> dt.date:
    return dt.datetime.fromtimestamp(epoch_us / 1_000_000, tz=dt.UTC).date()
