"""Workshop values and logic without the database: RICE backlog suggestions and the exports.

RICE here: Reach = cases per quarter through the step; Impact on the 0.25/0.5/1/2/3 scale;
Confidence a share from 0 to 1 (80% is 0.8); Effort in person-months; score = R × I × C / E.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from journeymap.core.errors import JourneyError

if TYPE_CHECKING:  # only for hints: the store imports this module and should not pull in the engines
    from journeymap.measures.hotspots import Hotspot
    from journeymap.measures.metrics import JourneyMetrics

__all__ = ["opportunity_title",
    "IMPACT_SCALE",
    "NOTE_KINDS",
    "BacklogItem",
    "Note",
    "Participant",
    "Workshop",
    "backlog_csv",
    "check_rice_fields",
    "escape_markdown",
    "reach_per_quarter",
    "rice_score",
    "sort_backlog",
    "suggest_backlog",
    "suggest_impact",
    "workshop_markdown",
]

NOTE_KINDS: dict[str, str] = {"pain": "Pain point", "idea": "Idea", "question": "Question"}
IMPACT_SCALE: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 3.0)  # minimal, low, medium, high, massive
# Suggested impact is the higher of two readings; the lowest rungs match the hotspot thresholds.
_DELAY_RUNGS = ((0.30, 3.0), (0.15, 2.0), (0.05, 1.0), (0.01, 0.5))      # share of lead time
_DROP_OFF_RUNGS = ((0.20, 3.0), (0.10, 2.0), (0.05, 1.0), (0.01, 0.5))   # share of cases lost here
_QUARTER_DAYS = 91
# Backslashed, these cannot start emphasis, code, links, tables, maths ($) or an e-mail link (@); a
# colon before a letter (http:, :material/x:, :smile:) and the dot of "www." are backslashed too,
# so times and dates read as typed; html.escape takes care of < > &.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]#|~$@]|:(?=[^\s\d])|(?<=www)\.)", re.IGNORECASE)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas


@dataclass(frozen=True)
class Workshop:
    """A workshop as its people see it; `facilitator_token` is set only in the facilitator's copy."""

    id: int
    title: str
    journey_id: str
    join_code: str
    votes_per_participant: int
    tally_revealed: bool
    timer_ends_at: dt.datetime | None
    date_range: str
    filters: str
    created_at: dt.datetime
    facilitator_token: str | None = None
    max_participants: int | None = None  # None: anyone with the code may join
    joining_open: bool = True
    # What the shared screen shows, so every laptop can follow it (None: not set yet).
    on_screen: str | None = None  # the part of the workshop: "map", "spotlight", "board", ...
    stage_shown: int | None = None  # stages of the map revealed, 1..n
    spotlight: int | None = None  # rank of the hotspot in the spotlight, 1..
    exit_votes: bool = False  # dots allowed on exit steps (known negative outcomes)
    public_url: str | None = None  # the address participants open, as the facilitator set it

    def timer_remaining(self, now: dt.datetime | None = None) -> float | None:
        """Seconds left on the countdown (0 when it has run out), None when no timer is set."""
        if self.timer_ends_at is None:
            return None
        now = now or dt.datetime.now(dt.UTC)
        return max(0.0, (self.timer_ends_at - now).total_seconds())


@dataclass(frozen=True)
class Participant:
    """Someone who joined with the join code; `token` is their key (None in other people's lists)."""

    id: int
    workshop_id: int
    name: str
    token: str | None
    joined_at: dt.datetime
    removed: bool = False  # taken out by the facilitator: their key opens nothing, their dots and notes are gone


@dataclass(frozen=True)
class Note:
    """A sticky note on a step; `participant_id` None means the facilitator wrote it."""

    id: int
    workshop_id: int
    step_id: str
    kind: str
    text: str
    author: str
    participant_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    deleted: bool = False
    mine: bool = False  # written by whoever asked for it, so they may edit or delete it

    @property
    def by_facilitator(self) -> bool:
        """True for the facilitator's notes: from who wrote it (no participant), never from the name shown."""
        return self.participant_id is None

    @property
    def kind_label(self) -> str:
        """The kind as people say it: "Pain point", "Idea", "Question"."""
        return NOTE_KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class BacklogItem:
    """An opportunity with its RICE fields; any field may still be empty (None)."""

    title: str
    step_id: str | None = None
    reach: float | None = None
    impact: float | None = None
    confidence: float | None = None
    effort: float | None = None
    notes: str = ""
    id: int | None = None
    updated_at: dt.datetime | None = None

    @property
    def rice(self) -> float | None:
        """The RICE score, or None while a field is missing."""
        if None in (self.reach, self.impact, self.confidence, self.effort):
            return None
        return rice_score(self.reach, self.impact, self.confidence, self.effort)  # type: ignore[arg-type]


def check_rice_fields(reach: float | None = None, impact: float | None = None, confidence: float | None = None,
                      effort: float | None = None) -> None:
    """Raise a JourneyError naming the field when a given RICE value is out of range."""
    if reach is not None and reach < 0:
        raise JourneyError(f"Reach is cases per quarter and cannot be negative (got {reach}).")
    if impact is not None and impact < 0:
        raise JourneyError(f"Impact is on the scale 0.25, 0.5, 1, 2, 3 and cannot be negative (got {impact}).")
    if confidence is not None and not 0 <= confidence <= 1:
        raise JourneyError(f"Confidence is a share from 0 to 1, so 80% is 0.8 (got {confidence}).")
    if effort is not None and effort <= 0:
        raise JourneyError(f"Effort is in person-months and must be more than 0 (got {effort}).")


def rice_score(reach: float, impact: float, confidence: float, effort: float) -> float:
    """Reach × Impact × Confidence (0–1) ÷ Effort (person-months)."""
    check_rice_fields(reach, impact, confidence, effort)
    return reach * impact * confidence / effort


def sort_backlog(items: Iterable[BacklogItem]) -> list[BacklogItem]:
    """Highest RICE first; items not yet scored last, in the order given."""
    return sorted(items, key=lambda item: (item.rice is None, -(item.rice or 0.0)))


def suggest_impact(delay_share: float, drop_off_rate: float) -> float:
    """Impact on the RICE scale: the higher of what the step's delay share and drop-off rate suggest.

    Delay share ≥ 30% → 3, ≥ 15% → 2, ≥ 5% → 1, ≥ 1% → 0.5; drop-off rate ≥ 20% → 3, ≥ 10% → 2,
    ≥ 5% → 1, ≥ 1% → 0.5; below both → 0.25.
    """
    def rung(value: float, rungs: tuple[tuple[float, float], ...]) -> float:
        # value == value is False for NaN (no data): it reaches no rung
        return next((impact for floor, impact in rungs if value == value and value >= floor), IMPACT_SCALE[0])
    return max(rung(delay_share, _DELAY_RUNGS), rung(drop_off_rate, _DROP_OFF_RUNGS))


def reach_per_quarter(metrics: JourneyMetrics) -> dict[str, int]:
    """Cases per quarter (91 days) through each step: `reached` scaled by the span of case starts.

    The span runs from the first to the last case's first event, at least one day, so a log of a
    few weeks is scaled up and a log of a year scaled down.
    """
    first = metrics.cases["first_ts"] if len(metrics.cases) else None
    span_days = 0.0 if first is None else (int(first.max()) - int(first.min())) / 86_400_000_000
    scale = _QUARTER_DAYS / max(span_days, 1.0)
    return {str(row.step): round(float(row.reached) * scale) for row in metrics.steps.itertuples(index=False)}


def suggest_backlog(metrics: JourneyMetrics, tally: Mapping[str, int], notes: Iterable[Note],
                    existing: Iterable[BacklogItem] = ()) -> list[BacklogItem]:
    """One opportunity per step that got votes or a pain point or idea, most votes first.

    Each is named from the step's notes (its first idea, else its first pain point) beside the
    step's name. Reach and Impact come from the data (None for a step the data never reached);
    Confidence and Effort are left for people to type. Steps already in `existing` are skipped.
    """
    taken = {item.step_id for item in existing}
    by_step: dict[str, list[Note]] = {}
    for note in notes:
        if not note.deleted and note.kind in ("pain", "idea"):
            by_step.setdefault(note.step_id, []).append(note)
    candidates = {step for step, count in tally.items() if count > 0} | set(by_step)
    reach = reach_per_quarter(metrics)
    steps = metrics.steps.set_index("step")
    items = []
    for step in candidates - taken:
        known = step in steps.index and int(steps.at[step, "reached"]) > 0
        impact = (suggest_impact(float(steps.at[step, "delay_share"]), float(steps.at[step, "drop_off_rate"]))
                  if known else None)
        items.append(
            BacklogItem(
                title=opportunity_title(metrics.step_label(step), by_step.get(step, [])),
                step_id=step,
                reach=float(reach[step]) if known else None,
                impact=impact,
                notes="\n".join(f"{note.kind_label}: {note.text}" for note in by_step.get(step, [])),
            )
        )
    return sorted(items, key=lambda item: (-tally.get(item.step_id or "", 0), -(item.reach or 0), item.title))


def escape_markdown(text: str) -> str:
    """Text shown literally in Markdown: HTML escaped, Markdown marks backslashed, one line."""
    one_line = " ".join(str(text).split())
    return html.escape(_MARKDOWN_SPECIALS.sub(r"\\\1", one_line), quote=False)


def workshop_markdown(workshop: Workshop, *, journey_name: str, hotspots: Sequence[Hotspot],
                      notes: Iterable[Note], tally: Mapping[str, int], backlog: Iterable[BacklogItem],
                      step_labels: Mapping[str, str] | None = None) -> str:
    """The workshop summary as Markdown: journey, date range, hotspots, notes, votes and backlog."""
    label = _labeller(step_labels)
    lines = [f"# {escape_markdown(workshop.title)}", "",
             f"- Journey: {escape_markdown(journey_name)} ({escape_markdown(workshop.journey_id)})",
             f"- Data: {escape_markdown(workshop.date_range or 'all dates')}"
             + (f"; filters: {escape_markdown(workshop.filters)}" if workshop.filters else ""),
             f"- Workshop held: {workshop.created_at:%Y-%m-%d}", "", "## Hotspots", ""]
    lines += [f"{rank}. {escape_markdown(h.sentence)}" for rank, h in enumerate(hotspots, 1)] or ["No hotspots."]
    lines += ["", "## Notes", ""]
    by_step: dict[str, list[Note]] = {}
    for note in notes:
        if not note.deleted:
            by_step.setdefault(note.step_id, []).append(note)
    for step, step_notes in by_step.items():
        lines += [f"### {label(step)}", ""]
        lines += [f"- **{note.kind_label}** ({_author(note)}): {escape_markdown(note.text)}"
                  for note in step_notes] + [""]
    if not by_step:
        lines += ["No notes.", ""]
    lines += ["## Votes", "", "| Step | Votes |", "|---|---:|"]
    ranked = sorted(((count, step) for step, count in tally.items() if count > 0), key=lambda cv: (-cv[0], cv[1]))
    lines += [f"| {label(step)} | {count} |" for count, step in ranked] or ["| no votes | 0 |"]
    lines += ["", "## Backlog", "", "| # | Opportunity | Step | Reach | Impact | Confidence | Effort | RICE | Notes |",
              "|---:|---|---|---:|---:|---:|---:|---:|---|"]
    for rank, item in enumerate(sort_backlog(backlog), 1):
        lines.append(f"| {rank} | {escape_markdown(item.title)} | {label(item.step_id) if item.step_id else ''} | "
                     + " | ".join(_figures(item)) + f" | {escape_markdown(item.notes)} |")
    return "\n".join(lines) + "\n"


def backlog_csv(items: Iterable[BacklogItem], step_labels: Mapping[str, str] | None = None) -> bytes:
    """The backlog as CSV bytes (UTF-8 with a BOM so spreadsheets read accents), highest RICE first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["rank", "title", "step_id", "step", "reach", "impact", "confidence", "effort", "rice", "notes"])
    labels = step_labels or {}
    for rank, item in enumerate(sort_backlog(items), 1):
        numbers = [item.reach, item.impact, item.confidence, item.effort, item.rice]
        writer.writerow([rank, _cell(item.title), _cell(item.step_id or ""),
                         _cell(labels.get(item.step_id or "", item.step_id or "")),
                         *("" if value is None else _plain(value) for value in numbers), _cell(item.notes)])
    return buffer.getvalue().encode("utf-8-sig")


def _author(note: Note) -> str:
    """Who wrote a note, for the summary: the facilitator in bold (a mark no escaped name can make)."""
    return "**Facilitator**" if note.by_facilitator else escape_markdown(note.author)


def _labeller(step_labels: Mapping[str, str] | None) -> Callable[[str], str]:
    labels = step_labels or {}
    return lambda step: escape_markdown(labels.get(step, step))


def _figures(item: BacklogItem) -> list[str]:
    """Reach, impact, confidence (as a percentage), effort and RICE as table cells; – when empty."""
    def show(value: float | None, form: str, suffix: str = "") -> str:
        return "–" if value is None else (format(value, form) if form else _plain(value)) + suffix
    confidence = None if item.confidence is None else item.confidence * 100
    return [show(item.reach, ",.0f"), show(item.impact, ""), show(confidence, ".0f", "%"),
            show(item.effort, ""), show(item.rice, ",.1f")]


def _plain(value: float) -> str:
    """A number without exponent or trailing zeros, to four decimals: 1234567, 0.5, 33.6."""
    return f"{round(float(value), 4):f}".rstrip("0").rstrip(".")


def _cell(text: str) -> str:
    """Text a spreadsheet shows as text: a leading formula character is quoted with an apostrophe."""
    return "'" + text if text.startswith(_FORMULA_START) else text


_TITLE_CHARS = 90  # an opportunity's title, step name included


def opportunity_title(step_label: str, notes: Iterable[Note]) -> str:
    """An opportunity named from what people wrote on its step: the first idea, else the first pain point.

    "Ship laptops from stock (Equipment shipped)"; "Fix: laptop arrives after day 1 (Equipment
    shipped)"; only the step's name when nobody wrote an idea or a pain point there.
    """
    live = [note for note in notes if not note.deleted and note.text.strip()]
    idea = next((note for note in live if note.kind == "idea"), None)
    pain = next((note for note in live if note.kind == "pain"), None)
    if idea is None and pain is None:
        return step_label
    text = _first_sentence(idea.text if idea else pain.text)  # type: ignore[union-attr]
    if idea is None:  # a pain point names what to fix; "IT ..." keeps its capitals
        text = "Fix: " + (text[:1].lower() + text[1:] if text[1:2].islower() else text)
    room = _TITLE_CHARS - len(step_label) - 3
    if len(text) > room:
        text = text[:max(room - 1, 10)].rstrip(" ,;:-") + "…"
    return f"{text} ({step_label})"


def _first_sentence(text: str) -> str:
    one_line = " ".join(text.split())
    found = re.match(r"^(.+?[.!?])(\s|$)", one_line)
    return (found.group(1) if found else one_line).rstrip(".")
