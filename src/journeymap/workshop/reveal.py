"""The reveal: the dots ranked, the top three, the marks each step carries on the map, and opportunities named
from what people wrote.

No database and no Streamlit: the store hands over the tally and the notes, the app draws what
these functions return.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from journeymap.charts.style import type_scale
from journeymap.workshop.backlog import Note

__all__ = ["TOP_VOTED", "MARKS", "ranked_votes", "place_names", "StepMark", "step_marks", "mark_rows"]

TOP_VOTED = 3  # steps called out at the reveal
MARKS = "workshop_marks"  # the named dataset the map's workshop layers read
_PLACES = ("1st", "2nd", "3rd")


def ranked_votes(tally: Mapping[str, int], order: Sequence[str] = ()) -> list[tuple[str, int]]:
    """(step, dots) with dots, most first; ties in the journey's `order`, then by id."""
    where = {step: i for i, step in enumerate(order)}
    voted = [(step, int(count)) for step, count in tally.items() if count > 0]
    return sorted(voted, key=lambda sc: (-sc[1], where.get(sc[0], len(where)), sc[0]))


def place_names(ranked: Sequence[tuple[str, int]], top: int = TOP_VOTED) -> dict[str, str]:
    """Step -> "1st", "2nd", "3rd" for the steps with the most dots; steps tied share a place."""
    places: dict[str, str] = {}
    place, previous = 0, None
    for index, (step, count) in enumerate(ranked):
        if count != previous:
            place, previous = index, count
        if place >= top:
            break
        places[step] = _PLACES[place] if place < len(_PLACES) else f"{place + 1}th"
    return places


@dataclass(frozen=True)
class StepMark:
    """What a step carries on the workshop map: its dots (None: not shown), its notes, its place."""

    step: str
    dots: int | None
    notes: int
    place: str = ""


def step_marks(notes: Iterable[Note], dots: Mapping[str, int] | None, *, order: Sequence[str] = (),
               called_out: bool = True) -> list[StepMark]:
    """One mark per step with notes or dots; `dots` None keeps the dots hidden (before the reveal).

    With `called_out`, the steps with the most dots carry their place ("1st").
    """
    counted: dict[str, int] = {}
    for note in notes:
        if not note.deleted:
            counted[note.step_id] = counted.get(note.step_id, 0) + 1
    ranked = ranked_votes(dots or {}, order)
    places = place_names(ranked) if called_out and dots is not None else {}
    voted = dict(ranked)
    steps = list(dict.fromkeys([*voted, *sorted(counted, key=lambda s: (order.index(s) if s in order else 1e9, s))]))
    return [StepMark(step, voted.get(step) if dots is not None else None, counted.get(step, 0), places.get(step, ""))
            for step in steps]


def mark_rows(marks: Sequence[StepMark], *, large: bool = False, most: int | None = None,
              scale: float | None = None, largest: float | None = None) -> list[dict[str, object]]:
    """The rows of the map's workshop dataset: a dot's diameter in pixels (area by dots) and the texts drawn.

    The largest dot is for `most` dots (default: the most any step has; a participant's own map
    passes their budget, so one dot of five stays small). `largest` bounds its diameter in pixels
    (the room the reveal's map has between a step's place and its name): every dot shrinks with it,
    so the most dots still make the biggest. There is always one row (an empty step), so the dataset
    is never empty for Vega.
    """
    k = type_scale(large, scale)
    most = max([mark.dots or 0 for mark in marks] + [most or 0])
    biggest = 42 * k if largest is None else max(min(42 * k, largest), 0.0)
    smallest, largest = min(24 * k, biggest * 4 / 7), biggest  # 24:42, as unbounded
    rows: list[dict[str, object]] = [{"step": "", "dots": 0, "notes": 0, "dot_px": 0.0, "dot_text": "",
                                      "note_text": "", "place": ""}]
    for mark in marks:
        dots = mark.dots or 0
        # Area by dots: the diameter grows with the square root, from one dot (smallest) to the most (largest).
        diameter = smallest + (largest - smallest) * math.sqrt(dots / most) if dots and most else 0.0
        rows.append({"step": mark.step, "dots": dots, "notes": mark.notes, "dot_px": round(diameter, 1),
                     "dot_text": f"{dots}" if dots else "", "note_text": f"✎{mark.notes}" if mark.notes else "",
                     "place": mark.place})
    return rows
