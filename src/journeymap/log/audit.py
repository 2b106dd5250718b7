"""Field-change audit tables: one row per changed field, of which only the status changes are events.

ServiceNow's `sys_audit`, Salesforce's field history and Zendesk's ticket audits write a row for every
field that changed (`fieldname`, `oldvalue`, `newvalue`): the state, but also the priority, the
assignee, a work note. Read as they are, "2", "beth.anglin" and "ok" become steps of the journey. Where
a column names the field and one of its fields is a status (state, status, stage, StageName, phase),
the rows of the other fields are set aside, counted under a reason that names them.
"""

from __future__ import annotations

import re

import polars as pl

__all__ = ["status_changes"]

_FIELD_NAMES = ("fieldname", "field", "feldname", "feld", "champ", "campo", "changed field", "field changed")
_STATUS_FIELDS = ("state", "status", "stage", "stagename", "phase", "incident_state", "ticket_status",
                  "lifecycle_state", "opportunity_stage")
_MAX_FIELDS = 500  # distinct values of a column that names fields; more and it is something else


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def status_changes(frame: pl.DataFrame, activity: str, used: set[str]) -> tuple[pl.DataFrame, dict[str, int]]:
    """The rows that change the status field, and what was set aside, when `frame` is an audit table
    whose `activity` is the new value of the field a field-name column names; else `frame` as it is.

    `used` holds the columns playing a role: a field-name column is none of them."""
    field = next((column for column in frame.columns if column not in used and column != activity
                  and _squash(column) in map(_squash, _FIELD_NAMES)), None)
    if field is None:
        return frame, {}
    names = frame.get_column(field).cast(pl.String).str.strip_chars()
    counts = names.value_counts().sort(["count", field], descending=[True, False], nulls_last=True)
    if counts.height > _MAX_FIELDS:
        return frame, {}
    statuses = [value for value in counts.get_column(field).to_list()
                if value is not None and _squash(value) in map(_squash, _STATUS_FIELDS)]
    if not statuses:
        return frame, {}
    status = statuses[0]  # the most often changed of them
    keep = names == status
    others = [value for value in counts.get_column(field).to_list() if value != status][:3]
    left = frame.height - int(keep.sum())
    if not left:
        return frame, {}
    listed = ", ".join(f"'{str(value)[:30]}'" for value in others if value is not None)
    return frame.filter(keep), {f"changes of fields other than '{status}' in '{field}' ({listed}…)": left}
