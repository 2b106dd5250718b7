"""What every page starts with: make sure it runs inside the app, then the selection and its figures."""

from __future__ import annotations

import runpy

import streamlit as st

from journeymap.ui import data, state
from journeymap.ui.state import Selection

__all__ = ["context", "ensure_routed", "open_page", "NO_CASES"]

NO_CASES = "No case matches these filters. Widen the date range or clear the segment filter in the sidebar."
# Streamlit leaves 6rem above a page's title for its header, which holds only the menu at the right:
# 2rem is enough room for it, and gives a 1280 x 720 screen 64 more pixels of the page (the map's
# first screen). A style-only st.html takes no room on the page.
_COMPACT_TOP = '<style>[data-testid="stMainBlockContainer"] {padding-top: 2rem;}</style>'


def ensure_routed() -> None:
    """Run the page through app.py (the router) when Streamlit ran the page file on its own.

    Streamlit treats a folder named `pages/` beside the entry script as an old-style multipage
    app until some session has called `st.navigation`; a link straight to a page, opened first
    after the server starts, would run that page without the router and its sidebar. Then the
    router runs here, in the same script run (so a button click is not lost), and this copy stops.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    except ImportError:  # a later Streamlit without the old mode
        return
    ctx = get_script_run_ctx()
    if not getattr(PagesManager, "uses_pages_directory", False) or ctx is None:
        return
    PagesManager.uses_pages_directory = False
    runpy.run_path(str(ctx.pages_manager.main_script_path), run_name="__main__")
    st.stop()


def context() -> tuple[Selection, data.Source, data.View]:
    """The selection of this run, its journey and log, and their figures under its filter."""
    ensure_routed()
    st.html(_COMPACT_TOP)
    selection = state.current()
    source = data.get_source(selection.journey)
    return selection, source, data.view(source, selection)


def open_page(title: str) -> tuple[Selection, data.Source, data.View, str]:
    """The start most pages share: the context, a title and subtitle; stops when no case is left."""
    from journeymap.charts.style import chart_subtitle
    from journeymap.ui.text import md

    selection, source, view = context()
    subtitle = chart_subtitle(view.metrics, view.case_filter)
    st.title(md(title), anchor=False)
    st.caption(md(subtitle))
    if view.empty:
        st.info(NO_CASES)
        st.stop()
    return selection, source, view, subtitle
