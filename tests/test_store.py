"""The workshop store on SQLite and PostgreSQL: access rules, notes, votes, backlog and migrations."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, make_url, text

from journeymap.core.errors import JourneyError
from journeymap.workshop.access import AccessDenied, BudgetExceeded
from journeymap.workshop.backlog import BacklogItem, Workshop
from journeymap.workshop.schema import SCHEMA_VERSION, connect, default_database_url, metadata, migrate, schema_version
from journeymap.workshop.store import WorkshopStore

POSTGRES_ENV = "JOURNEYMAP_TEST_POSTGRES_URL"
ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def postgres_admin_url() -> str:
    """The throwaway server's URL from scripts/test.sh; skip without it, but fail on CI."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        message = f"{POSTGRES_ENV} is not set: run scripts/test.sh, which starts a throwaway PostgreSQL server"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set, so the PostgreSQL store tests must run)")
        pytest.skip(message)
    return url


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[str]:
    """A PostgreSQL database of this test module's own on the throwaway server, dropped afterwards."""
    admin_url = postgres_admin_url()
    name = f"jm_test_store_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database for one test: a SQLite file, or a fresh schema in the module's PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'workshops.sqlite'}"
        return
    database = request.getfixturevalue("postgres_database")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:  # search_path puts every table the store creates into this test's schema
        yield make_url(database).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def store(database_url: str) -> Iterator[WorkshopStore]:
    """A store on an empty database."""
    with WorkshopStore(database_url) as opened:
        yield opened


@pytest.fixture
def room(store: WorkshopStore) -> tuple[Workshop, str, str]:
    """A workshop (3 dots each) with two participants: the workshop, Ann's token and Bo's token."""
    workshop = store.create_workshop("Onboarding retro", "onboarding", votes_per_participant=3)
    return workshop, store.join(workshop.join_code, "Ann").token or "", store.join(workshop.join_code, "Bo").token or ""


class TestDatabaseLocation:
    def test_url_from_the_environment_wins(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """JOURNEYMAP_DATABASE_URL is used as given, whatever the path variable says."""
        monkeypatch.setenv("JOURNEYMAP_DATABASE_URL", "postgresql+psycopg://u@db/journeymap")
        monkeypatch.setenv("JOURNEYMAP_DB_PATH", "/elsewhere.sqlite")
        assert default_database_url() == "postgresql+psycopg://u@db/journeymap"

    def test_sqlite_path_from_the_environment(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """Without a URL, JOURNEYMAP_DB_PATH names the SQLite file, and its folder is created on open."""
        monkeypatch.delenv("JOURNEYMAP_DATABASE_URL", raising=False)
        monkeypatch.setenv("JOURNEYMAP_DB_PATH", str(tmp_path / "deep" / "jm.sqlite"))
        with WorkshopStore() as store:
            store.create_workshop("t", "onboarding")
        assert (tmp_path / "deep" / "jm.sqlite").is_file()

    def test_default_is_a_file_under_the_working_directory(self, monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
        """With neither variable set, the store is ./journeymap-data/workshops.sqlite."""
        monkeypatch.delenv("JOURNEYMAP_DATABASE_URL", raising=False)
        monkeypatch.delenv("JOURNEYMAP_DB_PATH", raising=False)
        monkeypatch.chdir(tmp_path)
        WorkshopStore().close()
        assert (tmp_path / "journeymap-data" / "workshops.sqlite").is_file()

    @pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "mysql://u:secret@h/db"])
    def test_memory_and_other_databases_are_refused(self, url: str) -> None:
        """An in-memory SQLite database (it would lose everything) or another engine is a JourneyError."""
        with pytest.raises(JourneyError) as refused:
            WorkshopStore(url)
        assert "secret" not in str(refused.value)

    @pytest.mark.postgres
    def test_plain_postgres_urls_use_the_installed_driver(self) -> None:
        """postgresql:// and postgres:// URLs (as hosting services hand them out) open with psycopg 3."""
        url = make_url(postgres_admin_url())
        for scheme in ("postgresql", "postgres"):
            engine, _ = connect(url.set(drivername=scheme).render_as_string(hide_password=False))
            try:
                assert engine.dialect.driver == "psycopg"
                with engine.connect() as conn:
                    assert conn.execute(text("SELECT 1")).scalar() == 1
            finally:
                engine.dispose()

    def test_sqlite_runs_in_wal_mode_with_foreign_keys(self, tmp_path: Path) -> None:
        """SQLite connections use WAL, full sync, foreign keys and a busy timeout."""
        with WorkshopStore(f"sqlite:///{tmp_path / 'w.sqlite'}") as store, store._engine.connect() as conn:
            pragmas = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                       for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")}
        assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000, "synchronous": 2}


@pytest.mark.parametrize("database_url", ENGINES, indirect=True)
class TestMigrations:
    def test_a_new_database_gets_the_latest_schema(self, database_url: str) -> None:
        """Opening an empty database creates every table with exactly the columns the code queries."""
        WorkshopStore(database_url).close()
        engine = create_engine(database_url)
        try:
            assert schema_version(engine) == SCHEMA_VERSION
            found = inspect(engine)
            for table in metadata.sorted_tables:
                assert {c["name"] for c in found.get_columns(table.name)} == set(table.columns.keys()), table.name
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM schema_version")).scalar() == SCHEMA_VERSION
        finally:
            engine.dispose()

    def test_a_version_1_database_is_migrated_without_loss(self, database_url: str) -> None:
        """Notes, votes and people written at schema version 1 are all there after the upgrade."""
        engine = create_engine(database_url)
        assert migrate(engine, target=1) == 1
        with engine.begin() as conn:
            def insert(sql: str) -> int:
                return int(conn.execute(text(sql + " RETURNING id")).scalar_one())
            workshop = insert("INSERT INTO workshops (title, journey_id, join_code, facilitator_token, "
                              "votes_per_participant, created_at) VALUES ('Old', 'onboarding', 'OLDCODE2', "
                              "'old-facilitator', 4, '2026-01-02 03:04:05')")
            ann = insert(f"INSERT INTO participants (workshop_id, name, token, joined_at) "
                         f"VALUES ({workshop}, 'Ann', 'old-ann', '2026-01-02 03:05:00')")
            note_id = insert(f"INSERT INTO notes (workshop_id, step_id, kind, text, participant_id, created_at) "
                             f"VALUES ({workshop}, 'it_setup', 'pain', 'Laptop late', {ann}, '2026-01-02 03:06:00')")
            insert(f"INSERT INTO votes (workshop_id, participant_id, step_id, created_at) "
                   f"VALUES ({workshop}, {ann}, 'it_setup', '2026-01-02 03:07:00')")
        engine.dispose()
        with WorkshopStore(database_url) as store:
            [note] = store.list_notes("old-ann")
            assert (note.id, note.text, note.author, note.mine) == (note_id, "Laptop late", "Ann", True)
            assert note.updated_at == note.created_at == dt.datetime(2026, 1, 2, 3, 6, tzinfo=dt.UTC)
            assert store.my_votes("old-ann") == {"it_setup": 1} and store.votes_left("old-ann") == 3
            assert store.get_workshop_for_code("oldcode2").title == "Old"
            assert store.save_backlog_item("old-facilitator", BacklogItem("New table works")).id is not None
            assert store.add_note("old-ann", "it_setup", "idea", "Pre-image laptops").id > note_id

    def test_reopening_applies_nothing_twice(self, database_url: str) -> None:
        """Opening an up-to-date database again changes no data and records no migration twice."""
        with WorkshopStore(database_url) as store:
            workshop = store.create_workshop("t", "onboarding")
        with WorkshopStore(database_url) as store:
            assert store.workshop(workshop.facilitator_token or "").title == "t"
        engine = create_engine(database_url)
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version FROM schema_version ORDER BY version")).scalars().all()
        engine.dispose()
        assert versions == list(range(1, SCHEMA_VERSION + 1))

    def test_a_newer_database_is_refused(self, database_url: str) -> None:
        """A database written by a newer journeymap is not touched; the error says to upgrade."""
        WorkshopStore(database_url).close()
        engine = create_engine(database_url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO schema_version (version, title, applied_at) "
                              "VALUES (99, 'future', '2030-01-01 00:00:00')"))
        engine.dispose()
        with pytest.raises(JourneyError, match="upgrade journeymap"):
            WorkshopStore(database_url)


# The version-1 schema exactly as the first release wrote it to SQLite, typed out by hand.
V1_SQLITE = """
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, title VARCHAR(200) NOT NULL, applied_at TIMESTAMP NOT NULL);
CREATE TABLE workshops (id INTEGER PRIMARY KEY AUTOINCREMENT, title VARCHAR(200) NOT NULL,
  journey_id VARCHAR(200) NOT NULL, join_code VARCHAR(16) NOT NULL UNIQUE,
  facilitator_token VARCHAR(64) NOT NULL UNIQUE, votes_per_participant INTEGER NOT NULL DEFAULT 5,
  tally_revealed BOOLEAN NOT NULL DEFAULT FALSE, timer_ends_at TIMESTAMP, date_range VARCHAR(200) NOT NULL DEFAULT '',
  filters TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL);
CREATE TABLE participants (id INTEGER PRIMARY KEY AUTOINCREMENT,
  workshop_id INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE, name VARCHAR(100) NOT NULL,
  token VARCHAR(64) NOT NULL UNIQUE, joined_at TIMESTAMP NOT NULL);
CREATE UNIQUE INDEX ux_participants_name ON participants (workshop_id, lower(name));
CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT,
  workshop_id INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE, step_id VARCHAR(200) NOT NULL,
  kind VARCHAR(16) NOT NULL CHECK (kind IN ('pain', 'idea', 'question')), text TEXT NOT NULL,
  participant_id INTEGER REFERENCES participants(id) ON DELETE CASCADE, created_at TIMESTAMP NOT NULL);
CREATE INDEX ix_notes_workshop ON notes (workshop_id);
CREATE TABLE votes (id INTEGER PRIMARY KEY AUTOINCREMENT,
  workshop_id INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
  participant_id INTEGER NOT NULL REFERENCES participants(id) ON DELETE CASCADE, step_id VARCHAR(200) NOT NULL,
  created_at TIMESTAMP NOT NULL);
CREATE INDEX ix_votes_workshop ON votes (workshop_id, step_id);
CREATE INDEX ix_votes_participant ON votes (participant_id);
INSERT INTO schema_version VALUES (1, 'workshops, participants, notes and votes', '2026-01-01 00:00:00');
INSERT INTO workshops (id, title, journey_id, join_code, facilitator_token, votes_per_participant, created_at)
  VALUES (1, 'Kick-off', 'service_desk', 'KICK2345', 'fac-1', 2, '2026-01-05 09:00:00.000000');
INSERT INTO participants VALUES (1, 1, 'Cem', 'tok-cem', '2026-01-05 09:01:00.000000');
INSERT INTO notes VALUES (1, 1, 'triage', 'question', 'Who owns triage?', 1, '2026-01-05 09:02:00.000000');
INSERT INTO notes VALUES (2, 1, 'triage', 'idea', 'Auto-route <b>P1</b>', NULL, '2026-01-05 09:03:00.000000');
INSERT INTO votes VALUES (1, 1, 1, 'triage', '2026-01-05 09:04:00.000000');
INSERT INTO votes VALUES (2, 1, 1, 'resolve', '2026-01-05 09:04:01.000000');
"""


class TestHandWrittenVersion1:
    def test_sqlite_file_from_the_first_release_opens_and_keeps_everything(self, tmp_path: Path) -> None:
        """A v1 SQLite file made with plain sqlite3 is migrated to the latest version with all its rows."""
        path = tmp_path / "v1.sqlite"
        with sqlite3.connect(path) as conn:
            conn.executescript(V1_SQLITE)
        conn.close()
        with WorkshopStore(f"sqlite:///{path}") as store:
            notes = store.list_notes("fac-1")
            assert [(n.id, n.author, n.text, n.mine) for n in notes] == [
                (1, "Cem", "Who owns triage?", False), (2, "Facilitator", "Auto-route <b>P1</b>", True)]
            assert store.tally("fac-1") == {"resolve": 1, "triage": 1}
            with pytest.raises(BudgetExceeded):
                store.cast_vote("tok-cem", "triage")
            assert store.edit_note("tok-cem", 1, text="Who owns triage now?").updated_at > notes[0].updated_at
            assert store.list_backlog("fac-1") == []
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT max(version) FROM schema_version").fetchone() == (SCHEMA_VERSION,)
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.close()


class TestWorkshops:
    def test_join_code_is_random_and_readable(self, store: WorkshopStore) -> None:
        """Join codes are 8 upper-case letters and digits without look-alikes, different every time."""
        codes = {store.create_workshop(f"w{i}", "onboarding").join_code for i in range(20)}
        assert len(codes) == 20
        assert all(len(code) == 8 and not set(code) - set("ABCDEFGHJKMNPQRSTUVWXYZ23456789") for code in codes)

    def test_code_opens_the_workshop_without_the_facilitator_key(self, store: WorkshopStore) -> None:
        """The join code, typed in any case with spaces, shows the workshop but never the facilitator's token."""
        workshop = store.create_workshop("Retro", "onboarding", date_range="2026-Q1", filters="department=IT")
        code = workshop.join_code
        seen = store.get_workshop_for_code(f" {code[:4].lower()} {code[4:]} ")
        assert seen == replace(workshop, facilitator_token=None)
        assert workshop.facilitator_token and (seen.date_range, seen.filters) == ("2026-Q1", "department=IT")

    @pytest.mark.parametrize("code", ["", "WRONG123", "' OR 1=1 --"])
    def test_a_wrong_code_shows_nothing(self, store: WorkshopStore, code: str) -> None:
        """Without the right join code there is no workshop to see or join."""
        store.create_workshop("Retro", "onboarding")
        with pytest.raises(AccessDenied):
            store.get_workshop_for_code(code)
        with pytest.raises(AccessDenied):
            store.join(code, "Mallory")

    def test_settings_timer_and_reveal_are_the_facilitators(self, store: WorkshopStore,
                                                            room: tuple[Workshop, str, str]) -> None:
        """Only the facilitator's token changes settings, starts the timer or reveals the tally."""
        workshop, ann, _ = room
        actions: list[Callable[[], object]] = [lambda: store.update_workshop(ann, title="Mine"),
                                               lambda: store.set_timer(ann, 60), lambda: store.reveal_tally(ann)]
        for action in actions:
            with pytest.raises(AccessDenied, match="facilitator"):
                action()
        key = workshop.facilitator_token or ""
        updated = store.update_workshop(key, title="Renamed", votes_per_participant=4)
        assert (updated.title, updated.votes_per_participant, updated.join_code) == ("Renamed", 4, workshop.join_code)
        assert store.workshop(ann).title == "Renamed" and store.workshop(ann).facilitator_token is None

    def test_countdown(self, store: WorkshopStore, room: tuple[Workshop, str, str]) -> None:
        """A timer set for 90 s shows just under 90 s to everyone; stopping it shows None."""
        workshop, ann, _ = room
        store.set_timer(workshop.facilitator_token or "", 90)
        remaining = store.timer_remaining(ann)
        assert remaining is not None and 85 < remaining <= 90
        store.set_timer(workshop.facilitator_token or "", None)
        assert store.timer_remaining(ann) is None

    @pytest.mark.parametrize("votes", [-1, 101, 2.5, True])
    def test_dot_budget_must_be_a_small_whole_number(self, store: WorkshopStore, votes: object) -> None:
        """Dots per participant outside 0–100 or not whole is refused."""
        with pytest.raises(JourneyError, match="Dots per participant"):
            store.create_workshop("t", "onboarding", votes_per_participant=votes)  # type: ignore[arg-type]


class TestParticipants:
    def test_joining_gives_a_private_key(self, store: WorkshopStore, room: tuple[Workshop, str, str]) -> None:
        """Each participant gets their own token; the list of people shows only the caller's own."""
        workshop, ann, bo = room
        assert ann != bo and len(ann) >= 32
        listed = store.participants(ann)
        assert [(p.name, p.token) for p in listed] == [("Ann", ann), ("Bo", None)]
        assert [p.token for p in store.participants(workshop.facilitator_token or "")] == [None, None]
        assert store.participant(bo).name == "Bo"

    def test_the_same_name_twice_is_refused(self, store: WorkshopStore, room: tuple[Workshop, str, str]) -> None:
        """A second 'ann' in the same workshop is refused, so a budget cannot be doubled by rejoining as her."""
        workshop, _, _ = room
        with pytest.raises(JourneyError, match="already joined"):
            store.join(workshop.join_code, " ann ")
        other = store.create_workshop("Other", "onboarding")
        assert store.join(other.join_code, "Ann").name == "Ann"

    @pytest.mark.parametrize("token", ["", "not-a-token", None])
    def test_unknown_tokens_see_nothing(self, store: WorkshopStore, room: tuple[Workshop, str, str],
                                        token: str) -> None:
        """An unknown or empty token reads and writes nothing."""
        for action in (lambda: store.workshop(token), lambda: store.list_notes(token), lambda: store.tally(token),
                       lambda: store.add_note(token, "s", "idea", "x"), lambda: store.cast_vote(token, "s"),
                       lambda: store.list_backlog(token), lambda: store.participant(token)):
            with pytest.raises(AccessDenied):
                action()

    def test_a_token_reaches_only_its_own_workshop(self, store: WorkshopStore,
                                                   room: tuple[Workshop, str, str]) -> None:
        """Notes and votes in another workshop are invisible and untouchable with this workshop's tokens."""
        workshop, ann, _ = room
        other = store.create_workshop("Other", "onboarding")
        stranger = store.join(other.join_code, "Zed").token or ""
        secret = store.add_note(stranger, "s", "pain", "private")
        store.cast_vote(stranger, "s")
        assert store.list_notes(ann) == [] and store.tally(workshop.facilitator_token or "") == {}
        for action in (lambda: store.edit_note(ann, secret.id, text="x"), lambda: store.delete_note(ann, secret.id),
                       lambda: store.delete_note(workshop.facilitator_token or "", secret.id)):
            with pytest.raises(AccessDenied):
                action()
        assert store.list_notes(stranger)[0].text == "private"


class TestNotes:
    def test_notes_are_stored_as_typed(self, store: WorkshopStore, room: tuple[Workshop, str, str]) -> None:
        """A note keeps its step, kind, author and its exact text, markup included."""
        workshop, ann, _ = room
        text = "<script>alert(1)</script> **not bold** ünïcode"
        added = store.add_note(ann, "it_setup", "pain", text)
        store.add_note(workshop.facilitator_token or "", "it_setup", "question", "Who orders laptops?")
        notes = store.list_notes(ann)
        assert [(n.id, n.text, n.kind_label, n.author, n.mine) for n in notes] == [
            (added.id, text, "Pain point", "Ann", True), (notes[1].id, "Who orders laptops?", "Question",
                                                          "Facilitator", False)]

    @pytest.mark.parametrize("kind, text", [("complaint", "x"), ("pain", "   "), ("idea", "x" * 2001)])
    def test_bad_notes_are_refused(self, store: WorkshopStore, room: tuple[Workshop, str, str],
                                   kind: str, text: str) -> None:
        """An unknown kind, a blank note or one over 2000 characters is a JourneyError, and nothing is saved."""
        _, ann, _ = room
        with pytest.raises(JourneyError):
            store.add_note(ann, "s", kind, text)
        assert store.list_notes(ann) == []

    def test_authors_edit_and_delete_their_own_notes_only(self, store: WorkshopStore,
                                                          room: tuple[Workshop, str, str]) -> None:
        """Bo can neither edit nor delete Ann's note; Ann can do both."""
        _, ann, bo = room
        note = store.add_note(ann, "s", "idea", "first")
        with pytest.raises(AccessDenied, match="wrote"):
            store.edit_note(bo, note.id, text="hijacked")
        with pytest.raises(AccessDenied, match="wrote"):
            store.delete_note(bo, note.id)
        edited = store.edit_note(ann, note.id, text="second", kind="pain")
        assert (edited.text, edited.kind) == ("second", "pain") and edited.updated_at >= note.updated_at
        store.delete_note(ann, note.id)
        assert store.list_notes(bo) == []
        with pytest.raises(AccessDenied, match="deleted"):
            store.edit_note(ann, note.id, text="third")

    def test_facilitator_may_remove_but_not_reword_a_note(self, store: WorkshopStore,
                                                           room: tuple[Workshop, str, str]) -> None:
        """The facilitator can take an offensive note down but cannot put words in a participant's mouth."""
        workshop, ann, _ = room
        note = store.add_note(ann, "s", "pain", "rude words")
        with pytest.raises(AccessDenied):
            store.edit_note(workshop.facilitator_token or "", note.id, text="polite words")
        store.delete_note(workshop.facilitator_token or "", note.id)
        [tombstone] = store.list_notes(ann, include_deleted=True)
        assert tombstone.deleted and tombstone.text == "", "a taken-down note's words are gone, not hidden"

    def test_since_returns_only_what_changed(self, store: WorkshopStore, room: tuple[Workshop, str, str]) -> None:
        """Polling with `since` returns new and edited notes and deletions, not older untouched ones."""
        _, ann, bo = room
        old = store.add_note(ann, "s", "idea", "old")
        doomed = store.add_note(ann, "s", "idea", "doomed")
        mark = store.list_notes(bo)[-1].updated_at
        new = store.add_note(bo, "t", "question", "new")
        store.delete_note(ann, doomed.id)
        changed = store.list_notes(bo, since=mark, include_deleted=True)
        assert [(n.id, n.deleted) for n in changed] == [(doomed.id, True), (new.id, False)]
        assert [n.id for n in store.list_notes(bo, step_id="s")] == [old.id]


class TestVotes:
    def test_dots_within_the_budget(self, store: WorkshopStore, room: tuple[Workshop, str, str]) -> None:
        """Several dots may go on one step; each cast returns the dots left."""
        _, ann, _ = room
        assert store.cast_vote(ann, "a", 2) == 1
        assert store.cast_vote(ann, "b") == 0
        assert store.my_votes(ann) == {"a": 2, "b": 1} and store.votes_left(ann) == 0

    def test_the_budget_cannot_be_exceeded(self, store: WorkshopStore, room: tuple[Workshop, str, str]) -> None:
        """A cast beyond the budget is refused whole: no partial dots are placed."""
        _, ann, _ = room
        store.cast_vote(ann, "a", 2)
        with pytest.raises(BudgetExceeded, match="1 dot left"):
            store.cast_vote(ann, "b", 2)
        assert store.my_votes(ann) == {"a": 2}
        with pytest.raises(JourneyError):
            store.cast_vote(ann, "b", 0)

    def test_retracting_frees_dots(self, store: WorkshopStore, room: tuple[Workshop, str, str]) -> None:
        """Taking dots off a step gives them back; taking more than placed takes only what is there."""
        _, ann, _ = room
        store.cast_vote(ann, "a", 3)
        assert store.retract_vote(ann, "a") == 1
        assert store.retract_vote(ann, "a", 5) == 3 and store.my_votes(ann) == {}
        assert store.retract_vote(ann, "never-voted") == 3

    def test_the_facilitator_has_no_dots(self, store: WorkshopStore, room: tuple[Workshop, str, str]) -> None:
        """The facilitator's token cannot vote."""
        workshop, _, _ = room
        with pytest.raises(AccessDenied, match="no dots"):
            store.cast_vote(workshop.facilitator_token or "", "a")

    def test_tally_stays_hidden_until_revealed(self, store: WorkshopStore, room: tuple[Workshop, str, str]) -> None:
        """Participants see no tally until the facilitator reveals it; the facilitator always sees it."""
        workshop, ann, bo = room
        key = workshop.facilitator_token or ""
        store.cast_vote(ann, "a", 2)
        store.cast_vote(bo, "b", 3)
        assert store.tally(ann) is None and store.tally(bo) is None
        assert list(store.tally(key).items()) == [("b", 3), ("a", 2)]  # type: ignore[union-attr]
        assert store.reveal_tally(key).tally_revealed
        assert store.tally(ann) == {"b": 3, "a": 2}
        store.reveal_tally(key, False)
        assert store.tally(bo) is None

    def test_lowering_the_budget_keeps_placed_dots(self, store: WorkshopStore,
                                                    room: tuple[Workshop, str, str]) -> None:
        """When the facilitator lowers the budget, placed dots stay and no new ones fit."""
        workshop, ann, _ = room
        store.cast_vote(ann, "a", 3)
        store.update_workshop(workshop.facilitator_token or "", votes_per_participant=1)
        assert store.votes_left(ann) == 0 and store.my_votes(ann) == {"a": 3}
        with pytest.raises(BudgetExceeded):
            store.cast_vote(ann, "b")


class TestBacklog:
    def test_items_are_saved_sorted_and_edited(self, store: WorkshopStore, room: tuple[Workshop, str, str]) -> None:
        """Saved items come back highest RICE first, and an edit changes only that item."""
        workshop, ann, _ = room
        key = workshop.facilitator_token or ""
        low, high, empty = store.save_backlog_items(key, [
            BacklogItem("Low", step_id="a", reach=10, impact=1, confidence=0.5, effort=1),
            BacklogItem("High", step_id="b", reach=100, impact=2, confidence=0.8, effort=2, notes="Idea: <b>x</b>"),
            BacklogItem("Empty")])
        assert [item.title for item in store.list_backlog(ann)] == ["High", "Low", "Empty"]
        raised = store.save_backlog_item(key, replace(low, reach=1000.0))
        assert raised.id == low.id and raised.rice == 500.0
        assert raised.updated_at and low.updated_at and raised.updated_at >= low.updated_at
        assert store.list_backlog(key) == [raised, high, empty]

    def test_only_the_facilitator_edits_the_backlog(self, store: WorkshopStore,
                                                     room: tuple[Workshop, str, str]) -> None:
        """Participants can read the backlog but not add, change or delete items."""
        workshop, ann, _ = room
        item = store.save_backlog_item(workshop.facilitator_token or "", BacklogItem("x"))
        for action in (lambda: store.save_backlog_item(ann, BacklogItem("mine")),
                       lambda: store.save_backlog_item(ann, replace(item, title="changed")),
                       lambda: store.delete_backlog_item(ann, item.id or 0)):
            with pytest.raises(AccessDenied):
                action()
        assert store.list_backlog(ann) == [item]

    def test_bad_fields_and_foreign_items_are_refused(self, store: WorkshopStore,
                                                       room: tuple[Workshop, str, str]) -> None:
        """Confidence as a percentage is refused, and items of another workshop cannot be reached."""
        workshop, _, _ = room
        key = workshop.facilitator_token or ""
        with pytest.raises(JourneyError, match="Confidence"):
            store.save_backlog_item(key, BacklogItem("x", confidence=80))
        other = store.create_workshop("Other", "onboarding")
        theirs = store.save_backlog_item(other.facilitator_token or "", BacklogItem("theirs"))
        with pytest.raises(AccessDenied):
            store.save_backlog_item(key, replace(theirs, title="mine now"))
        with pytest.raises(AccessDenied):
            store.delete_backlog_item(key, theirs.id or 0)
        store.delete_backlog_item(other.facilitator_token or "", theirs.id or 0)
        assert store.list_backlog(other.facilitator_token or "") == []

    def test_everything_survives_closing_and_reopening(self, database_url: str) -> None:
        """A new store on the same database sees every workshop, note, vote and backlog edit."""
        with WorkshopStore(database_url) as store:
            workshop = store.create_workshop("Retro", "onboarding")
            key = workshop.facilitator_token or ""
            ann = store.join(workshop.join_code, "Ann").token or ""
            note = store.add_note(ann, "a", "idea", "keep me")
            store.cast_vote(ann, "a", 2)
            item = store.save_backlog_item(key, BacklogItem("x", reach=5, impact=1, confidence=1, effort=1))
            store.set_timer(key, 600)
        with WorkshopStore(database_url) as store:
            assert store.list_notes(ann) == [note]
            assert store.tally(key) == {"a": 2} and store.list_backlog(key) == [item]
            assert store.workshop(key).timer_ends_at is not None
