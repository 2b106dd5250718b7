"""Who may do what in a workshop: tokens to callers, budgets, and checks on what people type."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, func, select

from journeymap.core.errors import JourneyError
from journeymap.workshop.backlog import NOTE_KINDS, BacklogItem, Participant, Workshop
from journeymap.workshop.schema import notes, participants, votes, workshops

__all__ = ["AccessDenied", "Actor", "BudgetExceeded", "JoinRefused", "actor_for", "backlog_item_from",
           "budget_left", "check_note_author", "checked_budget", "checked_cap", "checked_kind", "checked_text",
           "count_votes", "facilitator_for", "normalise_join_code", "now", "participant_from", "voter_id",
           "workshop_from", "workshop_id_for_code"]

_MAX_VOTES = 100
_MAX_CAP = 1000
REMOVED = "The facilitator has taken you out of this workshop; ask them if that was a mistake."


class AccessDenied(JourneyError):
    """The token or join code does not give access to what was asked."""


class BudgetExceeded(JourneyError):
    """A participant tried to place more dots than they have left."""


class JoinRefused(JourneyError):
    """Joining is closed, full, or too many joined in the last minute; the message says which and what to do."""


@dataclass(frozen=True)
class Actor:
    """The caller behind a token: the facilitator (`participant_id` None) or a participant."""

    workshop_id: int
    participant_id: int | None
    name: str

    @property
    def is_facilitator(self) -> bool:
        """True for the facilitator's token."""
        return self.participant_id is None


def now() -> dt.datetime:
    """The current moment in UTC."""
    return dt.datetime.now(dt.UTC)


def normalise_join_code(code: str) -> str:
    """A join code as stored: upper case, without the spaces or dashes people type."""
    return "".join(ch for ch in str(code).upper() if ch.isalnum())


def actor_for(conn: Connection, token: str, *, lock: bool = False) -> Actor:
    """The caller a token stands for; `lock` holds their participant row until commit (PostgreSQL)."""
    if not isinstance(token, str) or not token:
        raise AccessDenied("This link has no access key; open the workshop with its join code.")
    workshop_id = conn.execute(select(workshops.c.id).where(workshops.c.facilitator_token == token)).scalar()
    if workshop_id is not None:
        return Actor(workshop_id, None, "Facilitator")
    query = select(participants.c.id, participants.c.workshop_id, participants.c.name,
                   participants.c.removed_at).where(participants.c.token == token)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise AccessDenied("This access key belongs to no workshop; join again with the code on the shared screen.")
    if row.removed_at is not None:
        raise AccessDenied(REMOVED)
    return Actor(row.workshop_id, row.id, row.name)


def facilitator_for(conn: Connection, token: str) -> Actor:
    """The facilitator behind a token, or AccessDenied for anyone else."""
    actor = actor_for(conn, token)
    if not actor.is_facilitator:
        raise AccessDenied("Only the facilitator can do that.")
    return actor


def voter_id(actor: Actor) -> int:
    """The participant id of a voter; the facilitator has no dots of their own."""
    if actor.participant_id is None:
        raise AccessDenied("The facilitator has no dots; join as a participant to vote.")
    return actor.participant_id


def workshop_id_for_code(conn: Connection, join_code: str) -> int:
    """The workshop a join code opens, or AccessDenied."""
    code = normalise_join_code(join_code)
    workshop_id = conn.execute(select(workshops.c.id).where(workshops.c.join_code == code)).scalar() if code else None
    if workshop_id is None:
        raise AccessDenied("No workshop has that join code; check the code on the shared screen.")
    return int(workshop_id)


def check_note_author(conn: Connection, actor: Actor, note_id: int, *, moderate: bool) -> None:
    """AccessDenied unless the note is live, in the caller's workshop and theirs (or `moderate` by the facilitator)."""
    row = conn.execute(select(notes.c.participant_id, notes.c.deleted_at).where(
        notes.c.id == note_id, notes.c.workshop_id == actor.workshop_id)).first()
    if row is None or row.deleted_at is not None:
        raise AccessDenied(f"There is no note {note_id} in this workshop (it may have been deleted).")
    if row.participant_id != actor.participant_id and not (moderate and actor.is_facilitator):
        raise AccessDenied("Only the person who wrote a note can change or delete it.")


def budget_left(conn: Connection, workshop_id: int, participant_id: int) -> int:
    """Dots a participant can still place (never below 0, even after the facilitator lowers the budget)."""
    budget = conn.execute(select(workshops.c.votes_per_participant).where(workshops.c.id == workshop_id)).scalar_one()
    used = conn.execute(select(func.count()).select_from(votes).where(votes.c.participant_id == participant_id))
    return max(0, int(budget) - int(used.scalar_one()))


def count_votes(conn: Connection, where: ColumnElement[bool]) -> dict[str, int]:
    """Dots per step among the votes `where` selects, most first, ties by step id."""
    rows = conn.execute(select(votes.c.step_id, func.count().label("n")).where(where).group_by(votes.c.step_id))
    return {step: int(n) for step, n in sorted(rows, key=lambda row: (-row[1], row[0]))}


def checked_text(value: str, what: str, limit: int, *, empty: bool = False) -> str:
    """Text within `limit` characters (and not blank unless `empty`), else a JourneyError naming it."""
    if not isinstance(value, str):
        raise JourneyError(f"{what} must be text.")
    if not empty and not value.strip():
        raise JourneyError(f"{what} is empty; type something first.")
    if len(value) > limit:
        raise JourneyError(f"{what} is {len(value):,} characters long; keep it to {limit:,}.")
    return value.strip()


def checked_kind(kind: str) -> str:
    """A note kind (`pain`, `idea`, `question`), else a JourneyError listing them."""
    if kind not in NOTE_KINDS:
        raise JourneyError(f"A note is a pain point, an idea or a question ({', '.join(NOTE_KINDS)}), not {kind!r}.")
    return kind


def checked_cap(cap: int | None) -> int | None:
    """How many may join: None (or 0) for no limit, else a whole number from 1 to 1000."""
    if cap is None or cap == 0:
        return None
    if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= _MAX_CAP:
        raise JourneyError(f"The number of participants is a whole number from 1 to {_MAX_CAP}, or 0 for no limit "
                           f"(got {cap!r}).")
    return cap


def checked_budget(count: int) -> int:
    """Dots per participant: a whole number from 0 to 100."""
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= _MAX_VOTES:
        raise JourneyError(f"Dots per participant is a whole number from 0 to {_MAX_VOTES} (got {count!r}).")
    return count


def workshop_from(conn: Connection, workshop_id: int, *, facilitator: bool) -> Workshop:
    """A workshop as a value; the facilitator's token only in the facilitator's copy."""
    row = conn.execute(select(workshops).where(workshops.c.id == workshop_id)).one()
    return Workshop(id=row.id, title=row.title, journey_id=row.journey_id, join_code=row.join_code,
                    votes_per_participant=row.votes_per_participant, tally_revealed=bool(row.tally_revealed),
                    timer_ends_at=row.timer_ends_at, date_range=row.date_range, filters=row.filters,
                    created_at=row.created_at, facilitator_token=row.facilitator_token if facilitator else None,
                    max_participants=row.max_participants, joining_open=bool(row.joining_open),
                    on_screen=row.on_screen, stage_shown=row.stage_shown, spotlight=row.spotlight,
                    exit_votes=bool(row.exit_votes), public_url=row.public_url)


def participant_from(row: Row[Any], *, own: bool) -> Participant:
    """A participant row as a value; the token only when it is the caller's own."""
    return Participant(id=row.id, workshop_id=row.workshop_id, name=row.name, token=row.token if own else None,
                       joined_at=row.joined_at, removed=row.removed_at is not None)


def backlog_item_from(row: Row[Any]) -> BacklogItem:
    """A backlog row as a value."""
    return BacklogItem(id=row.id, step_id=row.step_id, title=row.title, reach=row.reach, impact=row.impact,
                       confidence=row.confidence, effort=row.effort, notes=row.notes, updated_at=row.updated_at)

