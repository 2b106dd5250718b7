"""A download menu under a chart: PNG, SVG, PDF and self-contained HTML, made only when asked for."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import streamlit as st

from journeymap.engine.filters import CaseFilter

__all__ = ["show", "file_stem", "filter_name"]

_LABELS = {"png": "PNG image", "svg": "SVG drawing", "pdf": "PDF", "html": "HTML page"}


def file_stem(name: str) -> str:
    """A safe file name stem from a chart name: lower-case words joined by dashes."""
    stem = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return stem[:120].rstrip("-") or "chart"


def filter_name(case_filter: CaseFilter) -> str:
    """The filter in a file name's words ("all cases", "2026-03-01 to 2026-05-31 department Sales Finance"),
    so two downloads of one chart under two filters never share a name."""
    parts = []
    if case_filter.start or case_filter.end:
        parts.append(f"{case_filter.start or 'start'} to {case_filter.end or 'end'}")
    parts += [f"{column} {' '.join(values)}" for column, values in case_filter.segments.items() if values]
    return " ".join(parts) or "all cases"


def show(chart: Any, name: str, key: str) -> None:
    """Buttons that download `chart` in every export format, each file rendered on click."""
    from journeymap.export import render as export

    stem = file_stem(name)
    with st.popover("Download chart", icon=":material/download:", key=f"{key}_downloads"):
        st.caption("The chart as shown here, with its title and filter.")
        for fmt in export.CHART_FORMATS:
            st.download_button(_LABELS.get(fmt, fmt.upper()), data=_renderer(export.export_chart, chart, fmt),
                               file_name=f"{stem}.{fmt}", mime=export.MIME_TYPES[fmt], key=f"{key}_{fmt}",
                               on_click="ignore", width="stretch")


def _renderer(export_chart: Callable[..., bytes], chart: Any, fmt: str) -> Callable[[], bytes]:
    def render() -> bytes:
        return export_chart(chart, fmt)

    return render
