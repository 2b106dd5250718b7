"""Field-change audit tables: one row per changed field, of which only the status changes are events.

ServiceNow's `sys_audit`, Salesforce's field history and Zendesk's ticket audits write a row for every
field that changed (`fieldname`, `oldvalue`, `newvalue`): the state, but also the priority, the
assignee, a work note. Read as they are, "2", "beth.anglin" and "ok" become steps of the journey. Where
a column names the field and one of its fields is a status (state, status, stage, StageName, phase),
the rows of the other fields are set aside, counted under a reason that names them. It takes the
shape of an audit to do so: the activity read from a new-value column with an old-value column beside
it, so that an event log with a "Field" column of its own (a farm's fields) stays as it is.
"""

from __future__ import annotations

import polars as pl

from journeymap.log.columns import column_named

__all__ = ["status_changes"]

_FIELD_NAMES = ("fieldname", "field", "feldname", "feld", "champ", "campo", "changed field", "field changed")
_STATUS_FIELDS = ("state", "status", "stage", "stagename", "phase", "incident_state", "ticket_status",
                  "lifecycle_state", "opportunity_stage")
_NEW_VALUES = ("newvalue", "new_value", "new value", "value", "to", "changed to", "new", "neuer wert",
               "nouvelle valeur", "valor nuevo")
_OLD_VALUES = ("oldvalue", "old_value", "old value", "previous_value", "previous value", "from", "changed from",
               "old", "alter wert", "ancienne valeur", "valor anterior")
_MAX_FIELDS = 500  # distinct values of a column that names fields; more and it is something else


def status_changes(frame: pl.DataFrame, activity: str, activity_column: str, used: set[str]
                   ) -> tuple[pl.DataFrame, dict[str, int]]:
    """The rows that change the status field, and what was set aside, when `frame` is an audit table:
    its activity (`activity`, read from `activity_column`) is the new value ("newvalue", "value", "New
    Value"), a column beside it holds the old one and another names the field; else `frame` as it is.

    `used` holds the columns playing a role: the field and old-value columns are none of them. Rows
    whose field is empty stay: they change no other field."""
    others = [column for column in frame.columns if column not in used and column != activity]
    field = column_named(others, _FIELD_NAMES)
    audit = column_named([activity_column], _NEW_VALUES) and column_named(others, _OLD_VALUES)
    if field is None or not audit:
        return frame, {}
    names = frame.get_column(field).cast(pl.String).str.strip_chars()
    counts = names.value_counts().sort(["count", field], descending=[True, False], nulls_last=True)
    if counts.height > _MAX_FIELDS:
        return frame, {}
    statuses = [value for value in counts.get_column(field).to_list()
                if value is not None and column_named([value], _STATUS_FIELDS)]
    if not statuses:
        return frame, {}
    status = statuses[0]  # the most often changed of them
    keep = (names == status) | names.is_null() | (names == "")
    fields = [value for value in counts.get_column(field).to_list() if value not in (status, None, "")]
    left = frame.height - int(keep.sum())
    if not left:
        return frame, {}
    listed = ", ".join(f"'{str(value)[:30]}'" for value in fields[:3]) + (", …" if len(fields) > 3 else "")
    return frame.filter(keep), {f"changes of fields other than '{status}' in '{field}' ({listed})": left}
