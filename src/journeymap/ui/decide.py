"""What the Compare, What if and Flow pages share: per-case times and their results, cached, and page options.

Per-case times (`journeymap.measures.casetimes`) are extracted once per source and filter, as the figures
of `data.view` are, and every result built on them (a comparison, a replay, the p85 impact) once
per its inputs. Page options (a change date, a step to fix) live in the session and are shown in the
URL beside the sidebar's, read from it defensively: a value that does not fit falls back to the
default and leaves the URL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import streamlit as st

from journeymap.charts import map as mapchart
from journeymap.core.durations import format_seconds_as_text as human
from journeymap.core.errors import JourneyError
from journeymap.core.numbers import format_change
from journeymap.decide import flow
from journeymap.decide.compare import Comparison, SegmentComparison, change_groups, compare_change, compare_segment
from journeymap.decide.pilot import PilotComparison, compare_pilot
from journeymap.decide.whatif import WhatIf, p85_impact, what_if, with_p85_impact
from journeymap.measures.casetimes import CaseTimes, case_step_times
from journeymap.measures.metrics import JourneyMetrics
from journeymap.measures.opsmeasures import (
    OPS_MEASURES,
    OpsMeasures,
    available_measures,
    ops_measures,
    with_ops_measures,
)
from journeymap.ui import data, state

__all__ = ["open_page", "MEASURES", "P85_IMPACT", "PAGE_PARAMS", "times", "impact", "map_metrics", "measures", "ops",
           "pilot", "comparison",
           "segments", "replay", "stuck", "group_sizes", "option", "remember", "keep", "forget_other_journeys",
           "interval", "pair"]

P85_IMPACT = "p85_impact_s"
MEASURES: dict[str, str] = {**mapchart.MEASURES, P85_IMPACT: "p85 impact (time saved if halved)"}
PAGE_PARAMS = ("change", "window", "by", "fix", "how", "pct", "okr", "pilot", "pilot_date")  # this module's URL options
_JOURNEY_KEY, _OPTIONS_KEY = "jm_decide_journey", "jm_page_options"
_TIMES_ENTRIES = 8  # per-case arrays are ~50 bytes an event: keep few
_CACHE_ENTRIES = 48
T = TypeVar("T")


def open_page(title: str) -> tuple[Any, data.Source, data.View, str]:
    """`page.open_page`, and only this journey's per-case arrays kept in the cache."""
    from journeymap.ui import page  # imported late: page builds the selection this module reads

    selection, source, view, subtitle = page.open_page(title)
    forget_other_journeys(source.id)
    return selection, source, view, subtitle


def _key(view: data.View) -> tuple[str, tuple[Any, ...]]:
    """The source, and the filter and clock (the sidebar's "Durations in") every result here depends on."""
    found = view.case_filter
    return view.source.key, (found.start, found.end, tuple(sorted((k, tuple(v)) for k, v in found.segments.items())),
                             view.metrics.time)


def times(view: data.View) -> CaseTimes:
    """Every case's arrivals, status and segment values under the view's filter, durations on the view's
    clock (cached)."""
    return _times(*_key(view), view)


@st.cache_resource(show_spinner="Timing each case…", max_entries=_TIMES_ENTRIES)
def _times(key: str, filter_key: tuple[Any, ...], _view: data.View) -> CaseTimes:
    source = _view.source
    events = data.events(source, _view.case_filter)
    return case_step_times(events, source.journey, segments=tuple(source.log.attributes), time=_view.metrics.time)


def impact(view: data.View) -> pd.DataFrame:
    """p85 lead time saved if each step's arrival times were halved, largest first (cached)."""
    return _impact(*_key(view), view)


@st.cache_resource(show_spinner="Replaying the cases step by step…", max_entries=_CACHE_ENTRIES)
def _impact(key: str, filter_key: tuple[Any, ...], _view: data.View) -> pd.DataFrame:
    return p85_impact(times(_view))


def map_metrics(view: data.View, color_by: str) -> JourneyMetrics:
    """The view's metrics, with each step's p85 impact, satisfaction or flow efficiency when the map is
    coloured by it."""
    if color_by in OPS_MEASURES:
        return replace(view.metrics, steps=with_ops_measures(view.metrics.steps, ops(view)))
    if color_by != P85_IMPACT:
        return view.metrics
    return replace(view.metrics, steps=with_p85_impact(view.metrics.steps, impact(view)))


def measures(view: data.View) -> dict[str, str]:
    """The map colour measures this view can fill: the chart measures, p85 impact, then satisfaction and flow
    efficiency where the log holds them."""
    return {**MEASURES, **_available(*_key(view), view)}


@st.cache_resource(show_spinner=False, max_entries=_CACHE_ENTRIES)
def _available(key: str, filter_key: tuple[Any, ...], _view: data.View) -> dict[str, str]:
    # Whether the log has a survey column and start times is cheap to tell; the measures themselves are
    # computed when a page shows them (ten million events: most of the first map's wait otherwise).
    source = _view.source
    return available_measures(data.events(source, _view.case_filter), tuple(source.log.attributes))


def ops(view: data.View) -> OpsMeasures:
    """Flow efficiency and satisfaction under the view's filter (cached; None parts where the log cannot tell)."""
    return _ops(*_key(view), view)


@st.cache_resource(show_spinner="Reading the surveys and the work times…", max_entries=_CACHE_ENTRIES)
def _ops(key: str, filter_key: tuple[Any, ...], _view: data.View) -> OpsMeasures:
    source = _view.source
    events = data.events(source, _view.case_filter)
    return ops_measures(events, source.journey, tuple(source.log.attributes), times=times(_view))


def pilot(view: data.View, day: dt.date, window_days: int | None, column: str, value: str) -> PilotComparison:
    """The pilot (column = value) before and after a change date against everyone else (cached)."""
    return _pilot(*_key(view), day, window_days, column, value, view)


@st.cache_resource(show_spinner="Bootstrapping the intervals…", max_entries=64)
def _pilot(key: str, filter_key: tuple[Any, ...], day: dt.date, window_days: int | None, column: str, value: str,
           _view: data.View) -> PilotComparison:
    return compare_pilot(times(_view), day, ((column, value),), window_days=window_days)


def comparison(view: data.View, day: dt.date, window_days: int | None) -> Comparison:
    """Cases started before a change date against on or after it (cached)."""
    return _comparison(*_key(view), day, window_days, view)


@st.cache_resource(show_spinner="Bootstrapping the intervals…", max_entries=64)
def _comparison(key: str, filter_key: tuple[Any, ...], day: dt.date, window_days: int | None,
                _view: data.View) -> Comparison:
    return compare_change(times(_view), day, window_days=window_days)


def segments(view: data.View, column: str) -> SegmentComparison:
    """Each value of a segment column against the rest (cached)."""
    return _segments(*_key(view), column, view)


@st.cache_resource(show_spinner="Bootstrapping the intervals…", max_entries=64)
def _segments(key: str, filter_key: tuple[Any, ...], column: str, _view: data.View) -> SegmentComparison:
    return compare_segment(times(_view), column)


def replay(view: data.View, step: str, change: str, pct_cut: float) -> WhatIf:
    """The completed cases replayed with one step changed (cached)."""
    return _replay(*_key(view), step, change, float(pct_cut), view)


@st.cache_resource(show_spinner=False, max_entries=64)
def _replay(key: str, filter_key: tuple[Any, ...], step: str, change: str, pct_cut: float,
            _view: data.View) -> WhatIf:
    return what_if(times(_view), step, change, pct_cut)


def stuck(view: data.View) -> pd.DataFrame:
    """In-flight cases, longest waiting first, against their step's usual p85 wait and target (cached)."""
    return _stuck(*_key(view), view)


@st.cache_resource(show_spinner=False, max_entries=_CACHE_ENTRIES)
def _stuck(key: str, filter_key: tuple[Any, ...], _view: data.View) -> pd.DataFrame:
    return flow.stuck_cases(_view.metrics, times(_view))


def group_sizes(case_times: CaseTimes, day: dt.date, window_days: int | None) -> tuple[int, int]:
    """Cases started before a day and on or after it (within the window either side, if any)."""
    before, after = change_groups(case_times, day, window_days)
    return int(before.sum()), int(after.sum())


def option(name: str, key: str, parse: Callable[[str], T | None], default: T) -> T:
    """A page option as applied in this session, or the default; sets the widget `key` to it before it is drawn.

    The URL (`?name=`) is read once, when the session first meets the option (a link opened), and again when
    the browser's Back or Forward button brings other options; on every other run the URL the browser sends
    can be older than the choice made a moment ago (a widget changed, then at once a click elsewhere), and
    reading it would undo that choice. The URL is then written from what is applied, as the sidebar's is.
    """
    options = _options()
    raw = options[name] if name in options and not state.history_navigation() else st.query_params.get(name)
    value = None
    if raw is not None:
        try:
            value = parse(raw)
        except (ValueError, TypeError, JourneyError):
            value = None
    keep(name, None if value is None else raw)
    chosen = default if value is None else value
    st.session_state[key] = chosen
    return chosen


def remember(name: str, key: str, default: Any, text: Callable[[Any], str] = str) -> None:
    """Widget callback: apply the widget's value as the option `name` (left out of the URL when it is the default)."""
    value = st.session_state.get(key)
    keep(name, None if value is None or value == default else text(value))


def keep(name: str, text: str | None) -> None:
    """Apply a page option (its URL text, or None for the default) and write it into the URL."""
    _options()[name] = text
    if text is None:
        if name in st.query_params:
            del st.query_params[name]
    elif st.query_params.get(name) != text:
        st.query_params[name] = text


def _options() -> dict[str, str | None]:
    """The page options applied in this session: name -> its URL text, None for the default."""
    options = st.session_state.get(_OPTIONS_KEY)
    if not isinstance(options, dict):
        options = st.session_state[_OPTIONS_KEY] = {}
    return options


def forget_other_journeys(source_id: str) -> None:
    """Drop the page options of the journey shown before in this session (a date or step means nothing here)."""
    shown = st.session_state.get(_JOURNEY_KEY)
    if shown is not None and shown != source_id:
        for name in PAGE_PARAMS:
            keep(name, None)
    st.session_state[_JOURNEY_KEY] = source_id


def interval(row: Any, prefix: str = "", points: bool = False) -> str:
    """A change with its 95% interval, marked ◆ when the interval excludes no change."""
    change = row[f"{prefix}change"]
    if change is None or not np.isfinite(change):
        return "too few cases"
    mark = " ◆" if row[f"{prefix}significant"] else ""
    return (f"{format_change(change, points)} ({format_change(row[f'{prefix}ci_low'], points)} to "
            f"{format_change(row[f'{prefix}ci_high'], points)}){mark}")


def pair(before: float, after: float) -> str:
    """Two durations as "6.8 d → 4.0 d"."""
    return f"{human(before)} → {human(after)}"

