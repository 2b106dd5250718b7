"""The Map page's first screen: a compact header, and the map's height from what is left under it.

At 1280×720 the page's column is 820 pixels wide and 720 high. Streamlit's title (89 px with its
margins), a two-line summary in heading type, the folded hotspots and the controls left the map
a third of the map in the first screen; here the header takes about 270 px and the map is planned
for the rest, whole in the first screen. A wider screen stretches the same map.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from journeymap.charts.textfit import text_width
from journeymap.ui.text import md

__all__ = ["COLUMN_PX", "header", "map_height"]

COLUMN_PX, SCREEN_PX = 820, 720  # the main column of a 1280×720 screen with the sidebar open, and its height
# The title in the type of a subheading (under Streamlit's 60-pixel header, which holds the menu), the summary
# in body type: a line each less than before.
_CSS = """<style>
.st-key-jm_map_header h1 {font-size: 1.75rem; line-height: 1.25; padding: 28px 0 0;}
.st-key-jm_map_header [data-testid="stHeading"] [data-testid="stMarkdownContainer"] {margin-bottom: 0;}
.st-key-jm_map_header [data-testid="stVerticalBlock"] {gap: 0.2rem;}
.st-key-jm_map_header [data-testid="stMarkdownContainer"] p {font-size: 1rem; font-weight: 600; margin: 0;}
.st-key-jm_map_hotspots summary [data-testid="stMarkdownContainer"], .st-key-jm_map_hotspots summary p {
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; min-width: 0;}
.st-key-jm_map [data-testid="stElementToolbar"] {top: 2px !important;}
</style>"""
# The chart's toolbar (fullscreen, table) shows on hover 44 px above the chart by default, over the label of the
# "Highlight handoffs" toggle; inside the chart's top right it covers only the end of the title's row.
# The hotspots' fold keeps to one line (long names end in "…" there: they are whole on its cards and beside
# their marks on the map), so the map's room does not depend on how long the names are.
# Measured in Chromium at 1280×720: the page's top padding, the title, the gap to the summary; under the
# summary the gaps, the folded hotspots (one line), the row of controls and the gap above the map.
_ABOVE_MAP_PX = 32 + 28 + 35 + 3 + 16 + 40 + 16 + 68 + 16
_LINE_PX, _BODY_PX = 24, 16  # a line of the summary, and its type size
_PAGE_FONT = 0.9  # the page's font (Source Sans) runs at most this much as wide as the map's, measured here
_BOX_PX = 56 + 16  # a one-line message box and the gap under it
_LEAST_PX = 300  # `mapdetail.legible_height` makes a map taller where its rows need it


def header(title: str, summary: str) -> None:
    """The journey's name and the sentence of where its time goes, compact."""
    st.html(_CSS)
    with st.container(key="jm_map_header"):
        st.title(md(title), anchor=False)
        st.markdown(md(summary))


def _lines(text: str, room_px: float) -> int:
    # Measured in the map's font, which runs a little wider than the page's: a line too many, never too few.
    return max(1, -int(-text_width(text, _BODY_PX, bold=True) * _PAGE_FONT // room_px))


def map_height(summary: str, messages: Sequence[str] = ()) -> int:
    """The map's height in pixels for a 1280×720 screen under this summary and `messages` (a log just
    loaded says how many rows were read, once)."""
    boxes = sum(_BOX_PX + _LINE_PX * (_lines(message, COLUMN_PX - 32) - 1) for message in messages)
    return max(_LEAST_PX, round(SCREEN_PX - _ABOVE_MAP_PX - _lines(summary, COLUMN_PX) * _LINE_PX - boxes - 4))
