"""An event log as read: canonical events (Polars) and what reading them took."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import polars as pl

from journeymap.log.columns import ColumnRoles

__all__ = ["AttributeChoice", "EventLog", "only_attributes"]

# Given a log's attribute columns, the ones a reader should keep (`journeymap.log.readers.read_events`).
AttributeChoice = Callable[[tuple[str, ...]], tuple[str, ...]]


@dataclass
class EventLog:
    """Canonical events (Polars) plus what reading them took: roles used and rows set aside."""

    frame: pl.DataFrame
    source: str
    roles: ColumnRoles
    attributes: tuple[str, ...] = ()
    skipped: dict[str, int] = field(default_factory=dict)
    rows_read: int = 0
    notes: tuple[str, ...] = ()  # what reading the file changed or left out besides rows (sheets, columns)
    counted: str = "rows"  # what `rows_read` counts: a milestone table's events are its "date cells"

    @property
    def skipped_rows(self) -> int:
        """Rows of the file that are not events in `frame`."""
        return sum(self.skipped.values())

    def skipped_sentence(self) -> str:
        """One line on rows set aside, e.g. '12 of 5,000 rows skipped: 12 without a timestamp.'."""
        if not self.skipped:
            return f"All {self.rows_read:,} {self.counted} read."
        reasons = "; ".join(f"{count:,} {reason}" for reason, count in self.skipped.items())
        return f"{self.skipped_rows:,} of {self.rows_read:,} {self.counted} skipped: {reasons}."


def only_attributes(log: EventLog, keep: AttributeChoice | None) -> EventLog:
    """The log without the attribute columns `keep` does not choose (the log itself when it keeps all)."""
    if keep is None:
        return log
    kept = keep(log.attributes)
    if kept == log.attributes:
        return log
    return replace(log, frame=log.frame.drop([a for a in log.attributes if a not in kept]), attributes=kept)
