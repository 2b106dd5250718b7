"""The Data page's draft step: how the log's cases start and end, confirmed by the user before drafting."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import streamlit as st

from journeymap.journey.model import Journey
from journeymap.log.columns import ColumnRoles
from journeymap.log.eventlog import EventLog
from journeymap.measures.draft import DraftProposal, propose_draft
from journeymap.ui import upload
from journeymap.ui.text import md

__all__ = ["DraftChoice", "read_log", "show", "draft"]


@dataclass(frozen=True)
class DraftChoice:
    """The start, end and exit activities the user confirmed, with the proposal they came from."""

    start: str
    end: tuple[str, ...]
    exit: tuple[str, ...]
    proposal: DraftProposal


def read_log(log_upload: upload.Upload, table: pl.DataFrame, roles: ColumnRoles) -> EventLog:
    """`upload.read_log`, read once per file and column roles while the user picks the outcomes."""
    return _read_log(f"{log_upload.key}:{roles!r}", log_upload, table, roles)


@st.cache_resource(show_spinner="Reading the events…", max_entries=2)
def _read_log(key: str, _upload: upload.Upload, _table: pl.DataFrame, _roles: ColumnRoles) -> EventLog:
    return upload.read_log(_upload, _table, _roles)


@st.cache_resource(show_spinner="Reading how the cases start and end…", max_entries=4)
def _proposal(key: str, _log: EventLog) -> DraftProposal:
    return propose_draft(_log.frame)


def show(log: EventLog, key: str) -> DraftChoice:
    """Three pickers preset to the proposal, each option with its case count; returns the choice."""
    proposal = _proposal(key, log)
    starting = dict(proposal.starts)
    ending = {o.step: o.ending for o in proposal.outcomes.last_steps}
    by_ending = sorted(proposal.activities, key=lambda a: (-ending.get(a, 0), a))
    st.caption(f"How the {proposal.n_cases:,} cases of this log start and end. The draft measures a case as "
               "completed when its last event is at an end step (lead time = last event − first event); "
               "exit steps are negative outcomes such as rejections. Change them if they are wrong.")
    # The start on a row of its own half; end and exit steps each the full width, their chips wrapped onto
    # more lines: a third of a 1280 x 720 page cut a chip's name and hid the second chip.
    start = st.columns(2)[0].selectbox("Start step", [s for s, _ in proposal.starts], key=f"{key}_start",
                                       format_func=lambda a: f"{a} · {starting[a]:,} start here")
    end = st.multiselect("End steps (completed)", by_ending, default=list(proposal.outcomes.end_steps),
                         key=f"{key}_end", format_func=lambda a: f"{a} · {ending.get(a, 0):,} end here", wrap=True)
    exit_ = st.multiselect("Exit steps (negative outcomes)", by_ending, default=list(proposal.outcomes.exit_steps),
                           key=f"{key}_exit", format_func=lambda a: f"{a} · {ending.get(a, 0):,} end here", wrap=True)
    if proposal.automatic:
        st.caption(md(f"Reached by a timer, not by work: {', '.join(proposal.automatic)}. The wait counts in "
                      "lead time but is not ranked as a hotspot."))
    return DraftChoice(start, tuple(end), tuple(a for a in exit_ if a not in end), proposal)


def draft(log: EventLog, name: str, choice: DraftChoice) -> Journey:
    """The journey drafted with the user's choice."""
    return upload.draft(log, name, start=choice.start, end=choice.end, exit=choice.exit, proposal=choice.proposal)
