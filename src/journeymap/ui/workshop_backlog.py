"""Decide and take home: the backlog of opportunities with RICE fields, and the workshop's exports.

The backlog is edited in a table and saved in one go; the store keeps it sorted by RICE score.
Reach comes from the data (cases per quarter through the step) and Impact is suggested from its
delay share and drop-off; people type Confidence (as a percentage) and Effort (person-months).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from journeymap.core.errors import JourneyError
from journeymap.export import render as export
from journeymap.measures.hotspots import Hotspot
from journeymap.measures.metrics import JourneyMetrics
from journeymap.ui import data
from journeymap.ui import workshop_board as board
from journeymap.ui import workshop_present as present
from journeymap.ui import workshop_state as ws
from journeymap.workshop.backlog import (
    IMPACT_SCALE,
    BacklogItem,
    Workshop,
    backlog_csv,
    reach_per_quarter,
    suggest_backlog,
    suggest_impact,
    workshop_markdown,
)

__all__ = ["COLUMNS", "backlog_table", "apply_edits", "show", "exports"]

COLUMNS = ["Opportunity", "Step", "Reach", "Impact", "Confidence", "Effort", "RICE", "Dots", "Notes"]
_VERSION = "jm_ws_backlog_version"
_KEY = "jm_ws_backlog"


def backlog_table(items: Sequence[BacklogItem], labels: Mapping[str, str],
                  dots: Mapping[str, int] | None = None) -> pd.DataFrame:
    """The backlog as the editor shows it: confidence in percent, steps by label, RICE computed, and the
    dots its step got beside RICE (where the room and the figures agree, or do not)."""
    dots = dots or {}
    return pd.DataFrame([{
        "Opportunity": item.title, "Step": labels.get(item.step_id, item.step_id) if item.step_id else None,
        "Reach": item.reach, "Impact": item.impact,
        "Confidence": None if item.confidence is None else round(item.confidence * 100, 1),
        "Effort": item.effort, "RICE": item.rice, "Dots": dots.get(item.step_id or "", 0) if item.step_id else None,
        "Notes": item.notes,
    } for item in items], columns=COLUMNS).astype({"Reach": float, "Impact": float, "Confidence": float,
                                                   "Effort": float, "RICE": float, "Dots": float})


def apply_edits(items: Sequence[BacklogItem], edits: Mapping[str, Any], labels: Mapping[str, str],
                metrics: JourneyMetrics | None = None) -> tuple[list[BacklogItem], list[int]]:
    """The items to save and the ids to delete for an editor's edit state (edited, added, deleted rows).

    A new row, or a row moved to another step, gets Reach and a suggested Impact from the data when
    they are left empty.
    """
    steps_by_label = {label: step for step, label in labels.items()}
    deleted = {int(row) for row in edits.get("deleted_rows", [])}
    changed: list[BacklogItem] = []
    for row, cells in (edits.get("edited_rows") or {}).items():
        position = int(row)
        if position in deleted or not cells:
            continue
        item = items[position]
        updated = _with_cells(item, cells, steps_by_label)
        if updated.step_id != item.step_id and "Reach" not in cells and "Impact" not in cells:
            updated = _from_data(replace(updated, reach=None, impact=None), metrics)
        changed.append(updated)
    for cells in edits.get("added_rows") or []:
        if any(_value(value) is not None for value in cells.values()):
            changed.append(_from_data(_with_cells(BacklogItem(title=""), cells, steps_by_label), metrics))
    gone = [items[row].id for row in sorted(deleted) if row < len(items) and items[row].id is not None]
    return changed, [item_id for item_id in gone if item_id is not None]


def _with_cells(item: BacklogItem, cells: Mapping[str, Any], steps_by_label: Mapping[str, str]) -> BacklogItem:
    fields: dict[str, Any] = {}
    if "Opportunity" in cells:
        fields["title"] = str(_value(cells["Opportunity"]) or "").strip()
    if "Step" in cells:
        label = _value(cells["Step"])
        fields["step_id"] = steps_by_label.get(label, label) if label else None
    for column, field in (("Reach", "reach"), ("Impact", "impact"), ("Effort", "effort")):
        if column in cells:
            fields[field] = _number(cells[column])
    if "Confidence" in cells:
        percent = _number(cells["Confidence"])
        fields["confidence"] = None if percent is None else percent / 100
    if "Notes" in cells:
        fields["notes"] = str(_value(cells["Notes"]) or "")
    updated = replace(item, **fields)
    if not updated.title and updated.step_id:
        updated = replace(updated, title=steps_by_label.get(updated.step_id, updated.step_id))
    return updated


def _from_data(item: BacklogItem, metrics: JourneyMetrics | None) -> BacklogItem:
    if metrics is None or not item.step_id:
        return item
    steps = metrics.steps.set_index("step")
    if item.step_id not in steps.index or int(steps.at[item.step_id, "reached"]) == 0:
        return item
    reach = item.reach if item.reach is not None else float(reach_per_quarter(metrics)[item.step_id])
    impact = item.impact if item.impact is not None else suggest_impact(
        float(steps.at[item.step_id, "delay_share"]), float(steps.at[item.step_id, "drop_off_rate"]))
    return replace(item, reach=reach, impact=impact, title=item.title or metrics.step_label(item.step_id))


def _value(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) or value == "" else value


def _number(value: Any) -> float | None:
    value = _value(value)
    return None if value is None else float(value)


def show(token: str, view: data.View, steps: Mapping[str, str]) -> None:
    """The backlog editor, sorted by RICE score, with a button that suggests items from votes and notes."""
    store = ws.store()
    items = store.list_backlog(token)
    labels = {**view.step_labels, **steps}
    tally = store.tally(token) or {}
    suggest, why = st.columns([2, 5], vertical_alignment="center")
    if suggest.button("Start from the dots and notes", icon=":material/auto_awesome:", key="jm_ws_suggest",
                      type="primary" if not items else "secondary", width="stretch"):
        _suggest(token, view, items)
    why.caption("One opportunity per voted or noted step, most dots first, named from its first idea (else its "
                "first pain point). Reach: cases per quarter through the step (from the data). Impact: 0.25 "
                "minimal · 0.5 low · 1 medium · 2 high · 3 massive (suggested). Confidence: how sure you are, in "
                "%. Effort: person-months. RICE = Reach × Impact × Confidence ÷ Effort; highest first, unscored "
                "ones in the order of their dots.")
    version = st.session_state.setdefault(_VERSION, 0)
    with st.form("jm_ws_backlog_form", border=False):
        st.data_editor(
            backlog_table(items, labels, tally),
            key=f"{_KEY}_{version}",
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            column_config=_columns(list(steps.values())),
        )
        save = st.form_submit_button("Save backlog", icon=":material/save:", type="primary")
    if save:
        _save(token, items, st.session_state.get(f"{_KEY}_{version}") or {}, labels, view.metrics)
    board.message(_KEY)


def _columns(step_labels: list[str]) -> dict[str, Any]:
    column = st.column_config
    return {
        "Opportunity": column.TextColumn("Opportunity", required=True, max_chars=300, width="medium"),
        "Step": column.SelectboxColumn("Step", options=step_labels, width="medium"),
        "Reach": column.NumberColumn("Reach", min_value=0, format="%.0f", help="Cases per quarter through the step."),
        "Impact": column.SelectboxColumn("Impact", options=list(IMPACT_SCALE),
                                         help="0.25 minimal, 0.5 low, 1 medium, 2 high, 3 massive."),
        "Confidence": column.NumberColumn("Confidence %", min_value=0, max_value=100, step=5, format="%.0f%%"),
        "Effort": column.NumberColumn("Effort", min_value=0.1, step=0.5, format="%.1f", help="Person-months."),
        "RICE": column.NumberColumn("RICE", disabled=True, format="%.0f"),
        "Dots": column.NumberColumn("Dots", disabled=True, format="%.0f", help="Dots the room put on the step."),
        "Notes": column.TextColumn("Notes", max_chars=5000, width="large"),
    }


def _save(token: str, items: Sequence[BacklogItem], edits: Mapping[str, Any], labels: Mapping[str, str],
          metrics: JourneyMetrics) -> None:
    store = ws.store()
    try:
        changed, gone = apply_edits(items, edits, labels, metrics)
        missing = [item for item in changed if not item.title]
        if missing:
            raise JourneyError("Every opportunity needs a title or a step; fill in the empty row or delete it.")
        store.save_backlog_items(token, changed)
        for item_id in gone:
            store.delete_backlog_item(token, item_id)
    except JourneyError as error:  # nothing of a refused save is acknowledged; the edits stay in the table
        board.say(_KEY, "error", str(error))
        return
    st.session_state[_VERSION] = st.session_state.get(_VERSION, 0) + 1
    board.say(_KEY, "success", f"Backlog saved: {len(changed)} added or changed, {len(gone)} removed.")
    st.rerun()


def _suggest(token: str, view: data.View, items: Sequence[BacklogItem]) -> None:
    store = ws.store()
    try:
        suggested = suggest_backlog(view.metrics, store.tally(token) or {}, store.list_notes(token), existing=items)
        store.save_backlog_items(token, suggested)
    except JourneyError as error:
        board.say(_KEY, "error", str(error))
    else:
        board.say(_KEY, "success", f"{len(suggested)} opportunit{'y' if len(suggested) == 1 else 'ies'} added "
                   "from the votes and notes." if suggested else "Every voted or noted step is in the backlog already.")
    st.session_state[_VERSION] = st.session_state.get(_VERSION, 0) + 1
    st.rerun()


def exports(token: str, workshop: Workshop, view: data.View, hotspots: Sequence[Hotspot]) -> None:
    """Downloads: the summary (Markdown), the backlog (CSV) and the annotated map (PNG)."""
    store = ws.store()
    notes, tally, items = store.list_notes(token), store.tally(token) or {}, store.list_backlog(token)
    labels = view.step_labels
    stem = re.sub(r"[^a-z0-9]+", "-", workshop.title.lower()).strip("-")[:60] or "workshop"
    summary = workshop_markdown(workshop, journey_name=view.source.journey.name, hotspots=hotspots, notes=notes,
                                tally=tally, backlog=items, step_labels=labels)
    st.markdown(f"**{len(notes)} notes · {sum(tally.values())} dots · {len(items)} opportunities in the backlog**")
    cells = st.columns(3)
    cells[0].download_button("Summary (Markdown)", summary.encode("utf-8"), file_name=f"{stem}.md",
                             mime="text/markdown", icon=":material/description:", on_click="ignore", width="stretch")
    cells[1].download_button("Backlog (CSV)", backlog_csv(items, labels), file_name=f"{stem}-backlog.csv",
                             mime="text/csv", icon=":material/table:", on_click="ignore", width="stretch")
    rows, _ranked = present.marks_for(token, view, revealed=True, large=True)
    chart = present.annotated_map(view.metrics, hotspots, rows, title=f"{workshop.title}: {view.source.journey.name}",
                                  subtitle=f"Dots (area by votes, top three placed) and ✎ notes from the workshop of "
                                           f"{workshop.created_at:%Y-%m-%d}")
    cells[2].download_button("Annotated map (PNG)", lambda: export.export_chart(chart, "png", scale=2),
                             file_name=f"{stem}-map.png", mime="image/png", icon=":material/image:",
                             on_click="ignore", width="stretch")
    with st.expander("The summary as it will read"):
        st.markdown(summary)
