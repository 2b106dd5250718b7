"""Helpers for tests (ours and users'): build small canonical event logs by hand, and a journey
whose texts carry markup, for checking that labels come out as text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import polars as pl

from journeymap.core.moments import to_epoch_us
from journeymap.journey.definition import journey_from_yaml
from journeymap.journey.model import Journey

__all__ = ["build_events", "EPOCH", "EVIL_LABEL", "markup_journey"]

EPOCH = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
EVIL_LABEL = "<script>alert(1)</script> & co"


def markup_journey(name: str, stage_label: str = "S") -> Journey:
    """Steps apply -> review -> done, the first labelled `EVIL_LABEL`; the journey's name and its
    stage's label as given (put markup in them too)."""
    return journey_from_yaml(f"""
id: evil
name: "{name}"
stages: [{{id: s, label: "{stage_label}"}}]
steps:
  - {{id: apply, label: "{EVIL_LABEL}", stage: s}}
  - {{id: review, label: Review, stage: s}}
  - {{id: done, label: Done, stage: s}}
transitions:
  - {{from: apply, to: review}}
  - {{from: review, to: done}}
start: apply
end: [done]
""", source="markup.yaml")


def build_events(cases: dict[str, Sequence[tuple[str, float]]] | Iterable[tuple[str, str, float]],
                 *, unit: str = "h", starts: dict[tuple[str, int], float] | None = None,
                 attributes: dict[str, dict[str, str]] | None = None) -> pl.DataFrame:
    """Canonical events from `{case: [(activity, time), ...]}` or `[(case, activity, time), ...]`.

    Times are offsets from `EPOCH` in `unit` (`s`, `m`, `h`, `d`); rows keep the given order as file
    order. `starts` maps (case, index within the case) to a start offset; `attributes` maps case to
    segment values, e.g. `{"c1": {"department": "Sales"}}`.
    """
    scale = {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit] * 1_000_000
    rows = ([(case, a, t) for case, events in cases.items() for a, t in events]
            if isinstance(cases, dict) else list(cases))
    base, seen = to_epoch_us(EPOCH), dict[str, int]()
    records = []
    for row, (case, activity, offset) in enumerate(rows):
        index = seen.get(case, 0)
        seen[case] = index + 1
        start = (starts or {}).get((case, index))
        records.append({"case": case, "activity": activity, "ts": base + int(round(offset * scale)),
                        "start": None if start is None else base + int(round(start * scale)), "row": row,
                        **(attributes or {}).get(case, {})})
    schema = {"case": pl.String, "activity": pl.String, "ts": pl.Int64, "start": pl.Int64, "row": pl.Int64}
    if not records:
        return pl.DataFrame(schema=schema)
    return pl.DataFrame(records, schema_overrides=schema, infer_schema_length=None)
