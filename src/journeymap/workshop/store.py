"""Workshop persistence: workshops, participants, notes, dot votes and the backlog in a real database.

Every method is one transaction, committed before it returns: what a caller saw acknowledged
survives a crash. Callers identify themselves with a token: the facilitator's (from
`create_workshop`) or a participant's (from `join`); a token only ever reaches its own workshop.

Joining is honest: one person per name as it looks on screen (see `workshop_names`), the same
participant again for the key a browser kept, reserved names refused, a cap and a closed door the
facilitator sets, and at most `joins_per_minute` joins per workshop in any minute.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import threading
from collections.abc import Collection, Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, Insert, Update, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from journeymap.core.errors import JourneyError
from journeymap.workshop.access import (
    REMOVED,
    AccessDenied,
    Actor,
    BudgetExceeded,
    JoinRefused,
    actor_for,
    backlog_item_from,
    budget_left,
    check_note_author,
    checked_budget,
    checked_cap,
    checked_kind,
    checked_text,
    count_votes,
    facilitator_for,
    normalise_join_code,
    now,
    participant_from,
    voter_id,
    workshop_from,
    workshop_id_for_code,
)
from journeymap.workshop.backlog import BacklogItem, Note, Participant, Workshop, check_rice_fields, sort_backlog
from journeymap.workshop.joinlink import checked_public_url
from journeymap.workshop.names import check_name
from journeymap.workshop.schema import (
    backlog_items,
    connect,
    default_database_url,
    durability_settings,
    migrate,
    notes,
    participants,
    votes,
    workshops,
)

__all__ = ["ExitVoteRefused", "JOINS_PER_MINUTE", "WorkshopStore"]

_JOIN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are read off a projector
_JOIN_LENGTH = 8  # 31**8 ≈ 8.5e11 codes: not guessable by trying
_FACILITATOR = "Facilitator"
JOINS_PER_MINUTE = "JOURNEYMAP_JOINS_PER_MINUTE"  # the server's setting; a room of 30 joins within a minute
_JOINS_PER_MINUTE = 30


class ExitVoteRefused(JourneyError):
    """A dot on an exit step while the facilitator keeps exit steps closed for dots."""


class WorkshopStore:
    """All workshop data behind one SQLAlchemy engine; the schema is migrated when opened."""

    def __init__(self, url: str | None = None, *, joins_per_minute: int | None = None) -> None:
        self.url = url or default_database_url()
        self.joins_per_minute = joins_per_minute or _joins_per_minute()
        self._engine, self._writer = connect(self.url)
        # SQLite lets one writer in at a time and makes the others poll with growing sleeps, so
        # under twenty writers an unlucky one waits seconds; writers of this process queue here
        # instead and go the moment the one before commits (other processes still meet at the
        # file lock). PostgreSQL locks rows, not the database: no queue.
        self._queue = threading.Lock() if self._engine.dialect.name == "sqlite" else contextlib.nullcontext()
        try:
            migrate(self._writer)
        except BaseException:
            self._engine.dispose()  # a refused database leaves no connection behind
            raise

    def close(self) -> None:
        """Close the connections (the data stays)."""
        self._engine.dispose()

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction, committed when the block ends (rolled back if it raises)."""
        with self._queue, self._writer.begin() as conn:
            yield conn

    def durability(self) -> dict[str, dict[str, str]]:
        """The durability settings the store's reading and writing connections run with, read back."""
        return {"reader": durability_settings(self._engine), "writer": durability_settings(self._writer)}

    def __enter__(self) -> WorkshopStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Workshops -----------------------------------------------------------------------------------
    def create_workshop(self, title: str, journey_id: str, *, votes_per_participant: int = 5,
                        date_range: str = "", filters: str = "", max_participants: int | None = None) -> Workshop:
        """A new workshop with a fresh join code, open for joining; the result carries the facilitator's token."""
        values = {"title": checked_text(title, "The workshop title", 200),
                  "journey_id": checked_text(journey_id, "The journey", 200),
                  "votes_per_participant": checked_budget(votes_per_participant), "tally_revealed": False,
                  "date_range": checked_text(date_range, "The date range", 200, empty=True),
                  "filters": checked_text(filters, "The filters", 5000, empty=True), "created_at": now(),
                  "max_participants": checked_cap(max_participants), "joining_open": True,
                  "exit_votes": False}
        for _ in range(5):  # a join code collision is astronomically rare; try a new one
            values |= {"join_code": "".join(secrets.choice(_JOIN_ALPHABET) for _ in range(_JOIN_LENGTH)),
                       "facilitator_token": secrets.token_urlsafe(24)}
            try:
                with self._write() as conn:
                    workshop_id = conn.execute(insert(workshops).values(values).returning(workshops.c.id)).scalar_one()
                    return workshop_from(conn, workshop_id, facilitator=True)
            except IntegrityError:
                continue
        raise JourneyError("Could not find a free join code; try again.")

    def workshop(self, token: str) -> Workshop:
        """The caller's workshop; `facilitator_token` is filled only for the facilitator."""
        with self._engine.connect() as conn:
            actor = actor_for(conn, token)
            return workshop_from(conn, actor.workshop_id, facilitator=actor.participant_id is None)

    def get_workshop_for_code(self, join_code: str) -> Workshop:
        """The workshop a join code opens, as participants see it; AccessDenied for a wrong code."""
        with self._engine.connect() as conn:
            return workshop_from(conn, workshop_id_for_code(conn, join_code), facilitator=False)

    def update_workshop(self, token: str, *, title: str | None = None, votes_per_participant: int | None = None,
                        date_range: str | None = None, filters: str | None = None,
                        max_participants: int | None = None, joining_open: bool | None = None,
                        exit_votes: bool | None = None, public_url: str | None = None) -> Workshop:
        """Change the given settings (facilitator only); None leaves a setting as it is.

        `max_participants` 0 lifts the cap; a cap below those already in the room only stops new joins.
        `public_url` "" goes back to the address found for this machine.
        """
        changes: dict[str, Any] = {}
        if exit_votes is not None:
            changes["exit_votes"] = bool(exit_votes)
        if public_url is not None:
            changes["public_url"] = checked_public_url(public_url)
        if max_participants is not None:
            changes["max_participants"] = checked_cap(max_participants)
        if joining_open is not None:
            changes["joining_open"] = bool(joining_open)
        if title is not None:
            changes["title"] = checked_text(title, "The workshop title", 200)
        if votes_per_participant is not None:
            changes["votes_per_participant"] = checked_budget(votes_per_participant)
        if date_range is not None:
            changes["date_range"] = checked_text(date_range, "The date range", 200, empty=True)
        if filters is not None:
            changes["filters"] = checked_text(filters, "The filters", 5000, empty=True)
        return self._facilitator_update(token, changes)

    def show_on_screen(self, token: str, *, part: str | None = None, stage: int | None = None,
                       spotlight: int | None = None) -> Workshop:
        """Record what the shared screen shows (facilitator only), for participants' laptops to follow."""
        changes: dict[str, Any] = {}
        if part is not None:
            changes["on_screen"] = checked_text(part, "The part on screen", 16)
        for name, value in (("stage_shown", stage), ("spotlight", spotlight)):
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
                    raise JourneyError(f"The {name.replace('_', ' ')} is a whole number from 1 (got {value!r}).")
                changes[name] = value
        return self._facilitator_update(token, changes)

    def reveal_tally(self, token: str, revealed: bool = True) -> Workshop:
        """Show (or hide again) the vote tally to participants (facilitator only)."""
        return self._facilitator_update(token, {"tally_revealed": bool(revealed)})

    def set_timer(self, token: str, seconds: float | None) -> Workshop:
        """Start a countdown of `seconds` from now; None or 0 stops it (facilitator only)."""
        ends = now() + dt.timedelta(seconds=seconds) if seconds and seconds > 0 else None
        return self._facilitator_update(token, {"timer_ends_at": ends})

    def timer_remaining(self, token: str) -> float | None:
        """Seconds left on the workshop's countdown, None when none is running."""
        return self.workshop(token).timer_remaining()

    # Participants --------------------------------------------------------------------------------
    def join(self, join_code: str, name: str, *, known_token: str | None = None) -> Participant:
        """Join with the code on the screen; the participant's `token` is their key from now on.

        `known_token` is the key this browser kept from an earlier join: when it belongs to this
        workshop the same participant comes back (same dots, same notes), whatever name was typed.
        """
        code = normalise_join_code(join_code)
        try:
            return self._join(code, name, known_token)
        except IntegrityError:  # the unique index, should two joins ever get past the lock together
            raise JourneyError(
                f"Someone called {str(name).strip()!r} has already joined; add an initial to your name."
            ) from None

    def _join(self, code: str, name: str, known_token: str | None) -> Participant:
        with self._write() as conn:
            # The workshop row is locked (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises
            # writers), so the cap and the rate limit count every join before this one.
            room = conn.execute(select(workshops).where(workshops.c.join_code == code).with_for_update()).first()
            if not code or room is None:
                raise AccessDenied("No workshop has that join code; check the code on the shared screen.")
            if known_token:
                row = conn.execute(select(participants).where(participants.c.token == known_token,
                                                              participants.c.workshop_id == room.id)).first()
                if row is not None:
                    if row.removed_at is not None:
                        raise AccessDenied(REMOVED)
                    return participant_from(row, own=True)
            shown, key = check_name(name)
            self._check_door(conn, room)
            same = conn.execute(select(participants.c.name).where(participants.c.workshop_id == room.id,
                                                                  participants.c.name_key == key)).scalar()
            if same is not None:
                raise JourneyError(f"Someone called {same!r} has already joined; add an initial to your name. If "
                                   "that was you, open the workshop from the browser you joined with.")
            row = conn.execute(insert(participants).values(
                workshop_id=room.id, name=shown, name_key=key, token=secrets.token_urlsafe(24), joined_at=now(),
            ).returning(*participants.c)).one()
        return participant_from(row, own=True)

    def _check_door(self, conn: Connection, room: Any) -> None:
        """JoinRefused when joining is closed, the room is full, or too many joined in the last minute."""
        if not room.joining_open:
            raise JoinRefused("The facilitator has closed joining for this workshop; ask them to open it again.")
        if room.max_participants is not None:
            present = conn.execute(select(func.count()).select_from(participants).where(
                participants.c.workshop_id == room.id, participants.c.removed_at.is_(None))).scalar_one()
            if present >= room.max_participants:
                raise JoinRefused(f"This workshop is full: {room.max_participants} people have joined, the most the "
                                  "facilitator allows; ask them to raise the limit.")
        moment = now()
        recent = conn.execute(select(participants.c.joined_at).where(
            participants.c.workshop_id == room.id, participants.c.joined_at > moment - dt.timedelta(minutes=1))
            .order_by(participants.c.joined_at)).scalars().all()
        if len(recent) >= self.joins_per_minute:
            wait = max(1, round((recent[0] + dt.timedelta(minutes=1) - moment).total_seconds()))
            raise JoinRefused(f"{len(recent)} people joined this workshop in the last minute, as many as it takes; "
                              f"try again in {wait} second{'s' if wait != 1 else ''}.")

    def participant(self, token: str) -> Participant:
        """The participant a token belongs to (AccessDenied for the facilitator's token or a removed participant)."""
        with self._engine.connect() as conn:
            row = conn.execute(select(participants).where(participants.c.token == token)).first()
        if row is None:
            raise AccessDenied("This is not a participant's link; join with the code on the shared screen.")
        if row.removed_at is not None:
            raise AccessDenied(REMOVED)
        return participant_from(row, own=True)

    def participants(self, token: str, *, include_removed: bool = False) -> list[Participant]:
        """Everyone in the caller's workshop, in joining order; only the caller's own token shown.

        `include_removed` (the facilitator's) lists those taken out too, marked `removed`.
        """
        with self._engine.connect() as conn:
            actor = actor_for(conn, token)
            query = select(participants).where(participants.c.workshop_id == actor.workshop_id)
            if not (include_removed and actor.is_facilitator):
                query = query.where(participants.c.removed_at.is_(None))
            rows = conn.execute(query.order_by(participants.c.id)).all()
        return [participant_from(row, own=row.id == actor.participant_id) for row in rows]

    def dots_by_participant(self, token: str) -> dict[int, int]:
        """Participant id -> dots placed (facilitator only), to spot a double or an empty seat."""
        with self._engine.connect() as conn:
            actor = facilitator_for(conn, token)
            rows = conn.execute(select(votes.c.participant_id, func.count()).where(
                votes.c.workshop_id == actor.workshop_id).group_by(votes.c.participant_id)).all()
        return {int(participant_id): int(count) for participant_id, count in rows}

    def remove_participant(self, token: str, participant_id: int) -> None:
        """Take someone out (facilitator only): their key stops working, their dots and notes are gone."""
        with self._write() as conn:
            actor = facilitator_for(conn, token)
            row = conn.execute(select(participants.c.removed_at).where(
                participants.c.id == participant_id, participants.c.workshop_id == actor.workshop_id)).first()
            if row is None:
                raise AccessDenied(f"There is no participant {participant_id} in this workshop.")
            if row.removed_at is not None:
                return
            moment = now()
            conn.execute(update(participants).where(participants.c.id == participant_id).values(removed_at=moment))
            conn.execute(delete(votes).where(votes.c.participant_id == participant_id))
            conn.execute(update(notes).where(notes.c.participant_id == participant_id, notes.c.deleted_at.is_(None))
                         .values(text="", deleted_at=moment, updated_at=moment))

    # Notes ---------------------------------------------------------------------------------------
    def add_note(self, token: str, step_id: str, kind: str, text: str) -> Note:
        """A sticky note on a step, written by the caller."""
        moment = now()
        values = {"step_id": checked_text(step_id, "The step", 200), "kind": checked_kind(kind),
                  "text": checked_text(text, "A note", 2000), "created_at": moment, "updated_at": moment}
        with self._write() as conn:
            actor = actor_for(conn, token)
            note_id = conn.execute(insert(notes).values(
                workshop_id=actor.workshop_id, participant_id=actor.participant_id, **values,
            ).returning(notes.c.id)).scalar_one()
            return self._notes(conn, actor, notes.c.id == note_id)[0]

    def edit_note(self, token: str, note_id: int, *, text: str | None = None, kind: str | None = None) -> Note:
        """Change the text or kind of one of the caller's own notes."""
        changes: dict[str, Any] = {"updated_at": now()}
        if text is not None:
            changes["text"] = checked_text(text, "A note", 2000)
        if kind is not None:
            changes["kind"] = checked_kind(kind)
        with self._write() as conn:
            actor = actor_for(conn, token)
            check_note_author(conn, actor, note_id, moderate=False)
            conn.execute(update(notes).where(notes.c.id == note_id).values(changes))
            return self._notes(conn, actor, notes.c.id == note_id)[0]

    def delete_note(self, token: str, note_id: int) -> None:
        """Delete one of the caller's own notes; the facilitator may delete any note of the workshop."""
        with self._write() as conn:
            actor = actor_for(conn, token)
            check_note_author(conn, actor, note_id, moderate=True)
            # Kept as a tombstone so pollers using `since` learn of the deletion; the words are gone.
            moment = now()
            conn.execute(update(notes).where(notes.c.id == note_id).values(text="", deleted_at=moment,
                                                                            updated_at=moment))

    def list_notes(self, token: str, *, since: dt.datetime | None = None, step_id: str | None = None,
                   include_deleted: bool = False) -> list[Note]:
        """The workshop's notes, oldest first; `since` keeps those changed after that moment."""
        with self._engine.connect() as conn:
            actor = actor_for(conn, token)
            where = [notes.c.updated_at > since] if since is not None else []
            where += [notes.c.step_id == step_id] if step_id is not None else []
            return self._notes(conn, actor, *where, include_deleted=include_deleted)

    # Votes ---------------------------------------------------------------------------------------
    def cast_vote(self, token: str, step_id: str, n: int = 1, *, exit_steps: Collection[str] = ()) -> int:
        """Place `n` dots on a step, all or none within the budget; returns the dots left.

        `exit_steps` are the journey's exit steps (the store does not read journeys): a dot on one
        is refused unless the facilitator has opened exit steps for dots.
        """
        step_id, n = checked_text(step_id, "The step", 200), int(n)
        if n < 1:
            raise JourneyError("Place at least one dot.")
        with self._write() as conn:
            # The row lock (PostgreSQL) or BEGIN IMMEDIATE (SQLite) makes count-then-insert atomic.
            actor = actor_for(conn, token, lock=True)
            participant_id = voter_id(actor)
            if step_id in exit_steps and not conn.execute(
                    select(workshops.c.exit_votes).where(workshops.c.id == actor.workshop_id)).scalar_one():
                raise ExitVoteRefused("Dots go on steps worth fixing; exit steps (where cases leave) take none "
                                      "unless the facilitator opens them.")
            left = budget_left(conn, actor.workshop_id, participant_id)
            if n > left:
                raise BudgetExceeded(f"You have {left} dot{'s' if left != 1 else ''} left, not {n}; "
                                     "take a dot off another step first.")
            moment = now()
            conn.execute(insert(votes), [{"workshop_id": actor.workshop_id, "participant_id": participant_id,
                                          "step_id": step_id, "created_at": moment} for _ in range(n)])
            return left - n

    def retract_vote(self, token: str, step_id: str, n: int = 1) -> int:
        """Take up to `n` of the caller's dots off a step; returns the dots left."""
        with self._write() as conn:
            actor = actor_for(conn, token, lock=True)
            participant_id = voter_id(actor)
            newest = (select(votes.c.id).where(votes.c.participant_id == participant_id, votes.c.step_id == step_id)
                      .order_by(votes.c.id.desc()).limit(max(int(n), 0)))
            conn.execute(delete(votes).where(votes.c.id.in_(newest.scalar_subquery())))
            return budget_left(conn, actor.workshop_id, participant_id)

    def my_votes(self, token: str) -> dict[str, int]:
        """The caller's dots per step."""
        with self._engine.connect() as conn:
            actor = actor_for(conn, token)
            return count_votes(conn, votes.c.participant_id == voter_id(actor))

    def votes_left(self, token: str) -> int:
        """How many dots the caller can still place."""
        with self._engine.connect() as conn:
            actor = actor_for(conn, token)
            return budget_left(conn, actor.workshop_id, voter_id(actor))

    def tally(self, token: str) -> dict[str, int] | None:
        """Dots per step, most first; None for a participant while the facilitator keeps it hidden."""
        with self._engine.connect() as conn:
            actor = actor_for(conn, token)
            revealed = conn.execute(select(workshops.c.tally_revealed)
                                    .where(workshops.c.id == actor.workshop_id)).scalar_one()
            if actor.participant_id is not None and not revealed:
                return None
            return count_votes(conn, votes.c.workshop_id == actor.workshop_id)

    # Backlog -------------------------------------------------------------------------------------
    def save_backlog_items(self, token: str, items: Iterable[BacklogItem]) -> list[BacklogItem]:
        """Add items without an id and update those with one, in one go (facilitator only)."""
        saved = []
        with self._write() as conn:
            actor = facilitator_for(conn, token)
            for item in items:
                check_rice_fields(item.reach, item.impact, item.confidence, item.effort)
                values = {"step_id": item.step_id, "title": checked_text(item.title, "An opportunity's title", 300),
                          "reach": item.reach, "impact": item.impact, "confidence": item.confidence,
                          "effort": item.effort, "notes": checked_text(item.notes, "The notes", 5000, empty=True),
                          "updated_at": now()}
                statement: Insert | Update
                if item.id is None:
                    statement = insert(backlog_items).values(workshop_id=actor.workshop_id,
                                                             created_at=values["updated_at"], **values)
                else:
                    statement = update(backlog_items).values(values).where(
                        backlog_items.c.id == item.id, backlog_items.c.workshop_id == actor.workshop_id)
                row = conn.execute(statement.returning(*backlog_items.c)).first()
                if row is None:
                    raise AccessDenied(f"There is no backlog item {item.id} in this workshop.")
                saved.append(backlog_item_from(row))
        return saved

    def save_backlog_item(self, token: str, item: BacklogItem) -> BacklogItem:
        """Add (no id) or update (with id) one backlog item (facilitator only)."""
        return self.save_backlog_items(token, [item])[0]

    def delete_backlog_item(self, token: str, item_id: int) -> None:
        """Remove an item from the backlog (facilitator only)."""
        with self._write() as conn:
            actor = facilitator_for(conn, token)
            result = conn.execute(delete(backlog_items).where(backlog_items.c.id == item_id,
                                                              backlog_items.c.workshop_id == actor.workshop_id))
            if result.rowcount == 0:
                raise AccessDenied(f"There is no backlog item {item_id} in this workshop.")

    def list_backlog(self, token: str) -> list[BacklogItem]:
        """The workshop's backlog, highest RICE score first."""
        with self._engine.connect() as conn:
            actor = actor_for(conn, token)
            rows = conn.execute(select(backlog_items).where(backlog_items.c.workshop_id == actor.workshop_id)
                                .order_by(backlog_items.c.id)).all()
        return sort_backlog(backlog_item_from(row) for row in rows)

    # Helpers that need the connection --------------------------------------------------------------
    def _facilitator_update(self, token: str, changes: dict[str, Any]) -> Workshop:
        with self._write() as conn:
            actor = facilitator_for(conn, token)
            if changes:
                conn.execute(update(workshops).where(workshops.c.id == actor.workshop_id).values(changes))
            return workshop_from(conn, actor.workshop_id, facilitator=True)

    def _notes(self, conn: Connection, actor: Actor, *where: Any, include_deleted: bool = False) -> list[Note]:
        query = (select(notes, participants.c.name).outerjoin(participants, notes.c.participant_id == participants.c.id)
                 .where(notes.c.workshop_id == actor.workshop_id, *where).order_by(notes.c.created_at, notes.c.id))
        if not include_deleted:
            query = query.where(notes.c.deleted_at.is_(None))
        return [Note(id=row.id, workshop_id=row.workshop_id, step_id=row.step_id, kind=row.kind, text=row.text,
                     author=row.name or _FACILITATOR, participant_id=row.participant_id, created_at=row.created_at,
                     updated_at=row.updated_at or row.created_at, deleted=row.deleted_at is not None,
                     mine=row.participant_id == actor.participant_id) for row in conn.execute(query)]


def _joins_per_minute() -> int:
    """The server's join rate limit per workshop: JOURNEYMAP_JOINS_PER_MINUTE, else 30."""
    raw = os.environ.get(JOINS_PER_MINUTE, "").strip()
    if not raw:
        return _JOINS_PER_MINUTE
    if not raw.isdigit() or int(raw) < 1:
        raise JourneyError(f"{JOINS_PER_MINUTE} is {raw!r}; set it to a whole number of joins per minute, such as "
                           f"{_JOINS_PER_MINUTE}.")
    return int(raw)
