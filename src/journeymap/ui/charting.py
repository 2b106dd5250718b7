"""Showing a journeymap chart in Streamlit as it looks in its exports, with its download menu underneath."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import altair as alt
import streamlit as st

from journeymap.ui import data, downloads

__all__ = ["show", "streamlit_spec"]


def streamlit_spec(chart: Any) -> dict[str, Any]:
    """The chart's Vega-Lite spec, adjusted to what Streamlit's chart element can draw.

    Three things differ from a plain Vega-Lite embed: Streamlit writes `padding.bottom` into the
    spec (which fails on the numeric shorthand, so padding becomes an object); it ships datasets
    as Arrow tables, where a list-valued text field (a multi-line label) turns into one string
    with brackets, so such labels become newline-joined text drawn with `lineBreak`; and it sets
    the width to the page column's, so a mark placed at a fixed pixel near the right edge of the
    designed width is placed the same distance from the right edge of the drawn width.

    The spec is not checked against the Vega-Lite schema again (as for exports): its parts were
    checked as the chart was built, and every chart's whole spec is checked by the test suite.
    """
    spec = _unchecked_dict(chart)
    designed_width = spec.get("width")
    if isinstance(designed_width, (int, float)):
        _anchor_right(spec, float(designed_width))
    padding = spec.get("padding")
    if isinstance(padding, (int, float)) and not isinstance(padding, bool):
        spec["padding"] = {side: padding for side in ("left", "top", "right", "bottom")}
    joined = False
    for rows in spec.get("datasets", {}).values():
        if not isinstance(rows, list):
            continue
        for row in rows:
            if not isinstance(row, dict):
                continue
            for field, value in row.items():
                if isinstance(value, list) and all(isinstance(item, str) for item in value):
                    row[field] = "\n".join(value)
                    joined = True
    if joined:
        spec.setdefault("config", {}).setdefault("text", {})["lineBreak"] = "\n"
    return spec


def _unchecked_dict(chart: Any) -> dict[str, Any]:
    """`chart.to_dict()` (the same keys in the same order) without the schema check, and without Altair's
    walk through named datasets that are JSON-ready rows already (they are copied in as they are)."""
    if not isinstance(chart, alt.TopLevelMixin):  # a spec made already (the replay's), behind a `to_dict`
        return dict(chart.to_dict())
    datasets = getattr(chart, "datasets", alt.Undefined)
    if not isinstance(datasets, dict) or not all(
            isinstance(rows, list) and all(isinstance(row, dict) for row in rows) for rows in datasets.values()):
        return dict(chart.to_dict(validate=False))
    shell: Any = chart.copy(deep=False)  # type: ignore[attr-defined]  # every top-level chart is a SchemaBase
    shell.datasets = {name: [] for name in datasets}  # keeps the key where Altair puts it
    spec = shell.to_dict(validate=False)
    for name, rows in datasets.items():
        spec["datasets"][name] = [dict(row) for row in rows]
    return dict(spec)


def _anchor_right(node: dict[str, Any], width: float) -> None:
    for layer in node.get("layer", []):
        if isinstance(layer, dict):
            _anchor_right(layer, width)
    x = node.get("encoding", {}).get("x")
    if isinstance(x, dict) and set(x) == {"value"} and isinstance(x["value"], (int, float)) and x["value"] > width / 2:
        x["value"] = {"expr": f"width - {width - float(x['value']):g}"}


def show(view: data.View, build: Callable[[], Any], memo_key: Hashable, name: str, key: str,
         **options: Any) -> Any:
    """Draw the chart `build` makes (once per view and `memo_key`) with its downloads.

    `name` (the journey and the chart) and the view's filter name the downloaded files. `options` go to
    `st.vega_lite_chart`; returns what Streamlit returns (the selection state when
    `on_select` is given).
    """
    chart, spec = view.memo(("chart", memo_key), lambda: _built(build))
    shown = st.vega_lite_chart(spec=spec, theme=None, key=key, **options)
    downloads.show(chart, f"{name} {downloads.filter_name(view.case_filter)}", key=f"dl_{key}")
    return shown


def _built(build: Callable[[], Any]) -> tuple[Any, dict[str, Any]]:
    chart = build()
    return chart, streamlit_spec(chart)
