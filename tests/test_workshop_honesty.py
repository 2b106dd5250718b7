"""A workshop nobody can game: one person per name as it looks, rejoining returns the same person, the door
is the facilitator's, joins are rate-limited, the facilitator's mark cannot be taken, deleted words are gone,
and the store's durability settings are what it promises."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import example, given
from hypothesis import strategies as hs
from sqlalchemy import create_engine, make_url, text

from journeymap.core.errors import JourneyError
from journeymap.workshop.access import AccessDenied, BudgetExceeded, JoinRefused
from journeymap.workshop.backlog import Workshop
from journeymap.workshop.names import check_name, clean_name, name_key
from journeymap.workshop.schema import migrate
from journeymap.workshop.store import WorkshopStore
from test_store import database_url, postgres_database  # noqa: F401  (the engines every store test runs on)

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u202e", "\u034f", "\ufe0f"]


@pytest.fixture
def store(database_url: str) -> Iterator[WorkshopStore]:  # noqa: F811
    """A store on an empty database, joins limited to 5 a minute so the limit is quick to reach."""
    with WorkshopStore(database_url, joins_per_minute=5) as opened:
        yield opened


@pytest.fixture
def workshop(store: WorkshopStore) -> Workshop:
    return store.create_workshop("Retro", "onboarding", votes_per_participant=3)


def key(workshop: Workshop) -> str:
    return workshop.facilitator_token or ""


class TestNames:
    @pytest.mark.parametrize("first, second", [
        ("ÄNN", "änn"), ("Ann", "A\u200bnn"), ("Ann", "\ufeffAnn"), ("Ann", "An\u00adn"), ("Ann", "ＡＮＮ"),
        ("Änn", "A\u0308nn"), ("Ann Lee", "Ann \u00a0  Lee"),
        ("Ann", "Аnn"), ("Straße", "STRASSE"), ("Ann", " ann\t"),
    ])
    def test_names_that_look_alike_share_a_key(self, first: str, second: str) -> None:
        """Case, width, composed accents, invisible characters, spacing and Cyrillic look-alikes make no new name."""
        assert name_key(first) == name_key(second)

    @pytest.mark.parametrize("first, second", [("Ann", "Anne"), ("Ann", "Änn"), ("Ann Lee", "AnnLee"), ("Li", "Lì")])
    def test_different_names_stay_different(self, first: str, second: str) -> None:
        """Letters that look different on screen are different names."""
        assert name_key(first) != name_key(second)

    def test_shown_name_loses_invisible_characters(self) -> None:
        """What is stored and shown has no zero-width or direction characters and single spaces."""
        assert clean_name(" A\u200bn\u202en \n\t Lee\ufeff ") == "Ann Lee"

    @given(hs.text(hs.characters(codec="utf-8"), max_size=30), hs.sampled_from(INVISIBLE), hs.integers(0, 30))
    def test_an_invisible_character_never_makes_a_new_name(self, name: str, invisible: str, at: int) -> None:
        """Inserting any invisible character anywhere in any name gives the same key."""
        assert name_key(name[:at] + invisible + name[at:]) == name_key(name)

    @example("\u0345")  # folds to a Greek iota, a look-alike of i (found by Hypothesis in CI)
    @given(hs.text(max_size=30))
    def test_keys_are_stable(self, name: str) -> None:
        """The key of a key is itself: comparing twice never changes the answer."""
        assert name_key(name_key(name)) == name_key(name)

    @pytest.mark.parametrize("name", ["Facilitator", "facilitator", "FACILITATOR ", "Fac\u200bilitator",
                                      "The Facilitator", "Facilitator 2", "Faсilitator", "Ｆａｃｉｌｉｔａｔｏｒ",
                                      "Moderator", "Host", "admin", "F-a-c-i-l-i-t-a-t-o-r"])
    def test_reserved_names_are_refused(self, name: str) -> None:
        """Nobody joins under a name that would read as the one running the workshop."""
        with pytest.raises(JourneyError, match="kept for the people who run the workshop"):
            check_name(name)

    @pytest.mark.parametrize("name", ["", "   ", "\u200b\u200d", "..."])
    def test_a_name_needs_something_to_read(self, name: str) -> None:
        """Empty, invisible-only or punctuation-only names are refused with a sentence."""
        with pytest.raises(JourneyError, match="Your name"):
            check_name(name)


class TestJoining:
    @pytest.mark.parametrize("second", ["änn", "A\u200bnn", "ＡＮＮ", "Аnn"])
    def test_a_look_alike_name_is_refused(self, store: WorkshopStore, workshop: Workshop, second: str) -> None:
        """ÄNN joined; änn, a zero-width space, full width or a Cyrillic A cannot join as a second one."""
        store.join(workshop.join_code, "ÄNN" if second == "änn" else "Ann")
        with pytest.raises(JourneyError, match="already joined"):
            store.join(workshop.join_code, second)
        assert len(store.participants(key(workshop))) == 1

    def test_the_name_is_stored_without_invisible_characters(self, store: WorkshopStore,
                                                             workshop: Workshop) -> None:
        """A zero-width space typed into a name is not kept: the facilitator sees the name as it reads."""
        ann = store.join(workshop.join_code, "An\u200bn ")
        assert ann.name == "Ann" and [p.name for p in store.participants(key(workshop))] == ["Ann"]

    def test_a_participant_named_facilitator_is_refused(self, store: WorkshopStore, workshop: Workshop) -> None:
        """'Facilitator' is not a name a participant can take."""
        with pytest.raises(JourneyError, match="kept for the people"):
            store.join(workshop.join_code, "Facilitator")
        assert store.participants(key(workshop)) == []

    def test_rejoining_with_the_kept_key_returns_the_same_participant(self, store: WorkshopStore,
                                                                     workshop: Workshop) -> None:
        """The key a browser kept brings back the same person, dots and all, whatever name is typed."""
        ann = store.join(workshop.join_code, "Ann")
        store.cast_vote(ann.token or "", "first_login", 3)
        again = store.join(workshop.join_code, "Ann 2", known_token=ann.token)
        assert (again.id, again.token) == (ann.id, ann.token)
        assert store.votes_left(again.token or "") == 0, "no fresh budget"
        assert [p.name for p in store.participants(key(workshop))] == ["Ann"]

    def test_a_key_from_another_workshop_does_not_rejoin(self, store: WorkshopStore, workshop: Workshop) -> None:
        """A kept key only returns its own workshop's participant; elsewhere it is a normal join."""
        other = store.create_workshop("Other", "onboarding")
        ann = store.join(other.join_code, "Ann")
        bo = store.join(workshop.join_code, "Bo", known_token=ann.token)
        assert bo.id != ann.id and bo.workshop_id == workshop.id

    def test_closed_joining_refuses_newcomers_not_returners(self, store: WorkshopStore, workshop: Workshop) -> None:
        """Once the facilitator closes the door nobody new joins; someone who joined comes back in."""
        ann = store.join(workshop.join_code, "Ann")
        store.update_workshop(key(workshop), joining_open=False)
        with pytest.raises(JoinRefused, match="closed joining"):
            store.join(workshop.join_code, "Bo")
        assert store.join(workshop.join_code, "", known_token=ann.token).id == ann.id
        store.update_workshop(key(workshop), joining_open=True)
        assert store.join(workshop.join_code, "Bo").name == "Bo"

    def test_the_cap_counts_who_is_in_the_room(self, store: WorkshopStore, workshop: Workshop) -> None:
        """At most the cap joins; taking someone out frees a seat; 0 lifts the cap."""
        store.update_workshop(key(workshop), max_participants=2)
        ann, _ = store.join(workshop.join_code, "Ann"), store.join(workshop.join_code, "Bo")
        with pytest.raises(JoinRefused, match="full: 2 people"):
            store.join(workshop.join_code, "Cem")
        store.remove_participant(key(workshop), ann.id)
        store.join(workshop.join_code, "Cem")
        store.update_workshop(key(workshop), max_participants=0)
        assert store.workshop(key(workshop)).max_participants is None
        store.join(workshop.join_code, "Dee")

    @pytest.mark.parametrize("cap", [-1, 1001, 2.5, True])
    def test_a_silly_cap_is_refused(self, store: WorkshopStore, workshop: Workshop, cap: object) -> None:
        with pytest.raises(JourneyError, match="whole number from 1 to 1000"):
            store.update_workshop(key(workshop), max_participants=cap)  # type: ignore[arg-type]

    def test_only_the_facilitator_opens_and_closes_the_door(self, store: WorkshopStore, workshop: Workshop) -> None:
        ann = store.join(workshop.join_code, "Ann")
        with pytest.raises(AccessDenied, match="Only the facilitator"):
            store.update_workshop(ann.token or "", joining_open=False)
        with pytest.raises(AccessDenied, match="Only the facilitator"):
            store.remove_participant(ann.token or "", ann.id)

    def test_joins_are_rate_limited_per_workshop(self, store: WorkshopStore, workshop: Workshop,
                                                 database_url: str) -> None:  # noqa: F811
        """The sixth join within a minute is refused with a sentence; another workshop is not affected; after a
        minute joining works again."""
        for i in range(5):
            store.join(workshop.join_code, f"P{i}")
        with pytest.raises(JoinRefused, match=r"5 people joined this workshop in the last minute.*try again in \d+"):
            store.join(workshop.join_code, "Late")
        other = store.create_workshop("Other", "onboarding")
        store.join(other.join_code, "Late")
        engine = create_engine(database_url)
        with engine.begin() as conn:  # a minute passes
            conn.execute(text("UPDATE participants SET joined_at = :t WHERE workshop_id = :w"),
                         {"t": dt.datetime(2020, 1, 1), "w": workshop.id})
        engine.dispose()
        store.join(workshop.join_code, "Late")

    def test_racing_joins_respect_the_cap(self, store: WorkshopStore, workshop: Workshop) -> None:
        """Twenty people joining at the same moment into a room for eight: exactly eight get in."""
        store.update_workshop(key(workshop), max_participants=8)
        store.joins_per_minute = 100
        start = threading.Barrier(20)

        def join(i: int) -> bool:
            start.wait()
            try:
                store.join(workshop.join_code, f"P{i}")
                return True
            except JoinRefused:
                return False

        with ThreadPoolExecutor(20) as pool:
            assert sum(pool.map(join, range(20))) == 8
        assert len(store.participants(key(workshop))) == 8

    def test_the_server_setting_for_the_rate_limit(self, monkeypatch: pytest.MonkeyPatch,
                                                   database_url: str) -> None:  # noqa: F811
        """JOURNEYMAP_JOINS_PER_MINUTE sets the limit; a value that is not a number is one sentence."""
        monkeypatch.setenv("JOURNEYMAP_JOINS_PER_MINUTE", "120")
        with WorkshopStore(database_url) as opened:
            assert opened.joins_per_minute == 120
        monkeypatch.setenv("JOURNEYMAP_JOINS_PER_MINUTE", "lots")
        with pytest.raises(JourneyError, match="JOURNEYMAP_JOINS_PER_MINUTE is 'lots'"):
            WorkshopStore(database_url)


class TestTakingSomeoneOut:
    def test_a_removed_participant_loses_key_dots_and_notes(self, store: WorkshopStore, workshop: Workshop) -> None:
        """Taken out: their key opens nothing, their dots leave the tally, their notes' words are gone, and the
        kept key cannot bring them back under another name."""
        ann, bo = store.join(workshop.join_code, "Ann"), store.join(workshop.join_code, "Bo")
        store.cast_vote(ann.token or "", "first_login", 2)
        store.cast_vote(bo.token or "", "first_login", 1)
        store.add_note(ann.token or "", "first_login", "pain", "stuffed ballot")
        store.remove_participant(key(workshop), ann.id)
        for call in (lambda: store.workshop(ann.token or ""), lambda: store.participant(ann.token or ""),
                     lambda: store.cast_vote(ann.token or "", "first_login"),
                     lambda: store.join(workshop.join_code, "Ann again", known_token=ann.token)):
            with pytest.raises(AccessDenied, match="taken you out"):
                call()
        store.reveal_tally(key(workshop))
        assert store.tally(bo.token or "") == {"first_login": 1}
        assert store.list_notes(bo.token or "") == []
        assert [n.text for n in store.list_notes(key(workshop), include_deleted=True)] == [""]
        assert [p.name for p in store.participants(key(workshop))] == ["Bo"]
        assert [(p.name, p.removed) for p in store.participants(key(workshop), include_removed=True)] == [
            ("Ann", True), ("Bo", False)]
        assert store.dots_by_participant(key(workshop)) == {bo.id: 1}


class TestFacilitatorMark:
    def test_the_mark_comes_from_the_author_not_the_name(self, store: WorkshopStore, workshop: Workshop,
                                                         database_url: str) -> None:  # noqa: F811
        """Only the facilitator's notes are marked; a participant's never are, even one called "Facilitator"
        (as a database from before reserved names may hold)."""
        engine = create_engine(database_url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO participants (workshop_id, name, name_key, token, joined_at) VALUES "
                              "(:w, 'Facilitator', 'facilitator', 'tok-fake-facilitator', '2026-01-02 03:05:00')"),
                         {"w": workshop.id})
        engine.dispose()
        store.add_note(key(workshop), "first_login", "idea", "from the facilitator")
        store.add_note("tok-fake-facilitator", "first_login", "idea", "from the impostor")
        notes = store.list_notes("tok-fake-facilitator")
        assert {n.text: (n.author, n.by_facilitator) for n in notes} == {
            "from the facilitator": ("Facilitator", True), "from the impostor": ("Facilitator", False)}


class TestDeletedNotes:
    def test_deleted_text_is_gone_from_the_database(self, store: WorkshopStore, workshop: Workshop,
                                                    database_url: str) -> None:  # noqa: F811
        """After a delete the words are in no row: not through any key of the library, not in the table."""
        ann, bo = store.join(workshop.join_code, "Ann"), store.join(workshop.join_code, "Bo")
        note = store.add_note(ann.token or "", "first_login", "pain", "secret words")
        store.delete_note(ann.token or "", note.id)
        for token in (ann.token or "", bo.token or "", key(workshop)):
            seen = store.list_notes(token, include_deleted=True) + store.list_notes(
                token, since=dt.datetime(2000, 1, 1, tzinfo=dt.UTC), include_deleted=True)
            assert all("secret" not in n.text for n in seen) and all(n.deleted for n in seen)
        engine = create_engine(database_url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT text FROM notes WHERE id = :id"), {"id": note.id}).scalar() == ""
        engine.dispose()

    def test_sqlite_file_keeps_no_copy_of_deleted_words(self, tmp_path: object) -> None:
        """secure_delete and a checkpoint leave the deleted words nowhere in the SQLite file."""
        path = tmp_path / "w.sqlite"  # type: ignore[operator]
        with WorkshopStore(f"sqlite:///{path}") as opened:
            workshop = opened.create_workshop("t", "onboarding")
            ann = opened.join(workshop.join_code, "Ann")
            note = opened.add_note(ann.token or "", "s", "pain", "zebra-crossing-secret " * 20)
            opened.delete_note(ann.token or "", note.id)
        with sqlite3.connect(path) as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.close()
        assert b"zebra-crossing-secret" not in path.read_bytes()


class TestOldDatabases:
    def test_look_alike_doubles_from_before_are_kept_and_deleted_words_blanked(
            self, database_url: str) -> None:  # noqa: F811
        """A version-3 database with Ann and A\u200bnn (allowed then) and a deleted note opens: both people stay,
        a third look-alike cannot join, and the deleted note's words are gone."""
        engine = create_engine(database_url)
        assert migrate(engine, target=3) == 3
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO workshops (id, title, journey_id, join_code, facilitator_token, "
                              "votes_per_participant, created_at) VALUES (7, 'Old', 'onboarding', 'OLDCODE2', "
                              "'old-fac', 4, '2026-01-02 03:04:05')"))
            for pid, name in ((1, "Ann"), (2, "A\u200bnn")):  # a zero-width space: allowed then
                conn.execute(text("INSERT INTO participants (id, workshop_id, name, token, joined_at) VALUES "
                                  f"({pid}, 7, '{name}', 'tok-{pid}', '2026-01-02 03:05:00')"))
            conn.execute(text("INSERT INTO notes (workshop_id, step_id, kind, text, participant_id, created_at, "
                              "updated_at, deleted_at) VALUES (7, 's', 'pain', 'old secret', 1, "
                              "'2026-01-02 03:06:00', '2026-01-02 03:07:00', '2026-01-02 03:07:00')"))
        engine.dispose()
        with WorkshopStore(database_url) as opened:
            assert [p.name for p in opened.participants("old-fac")] == ["Ann", "A\u200bnn"]
            assert opened.workshop("old-fac").joining_open and opened.workshop("old-fac").max_participants is None
            with pytest.raises(JourneyError, match="already joined"):
                opened.join("OLDCODE2", "ANN")
            assert [n.text for n in opened.list_notes("old-fac", include_deleted=True)] == [""]
            opened.cast_vote("tok-2", "s")
            with pytest.raises(BudgetExceeded):
                opened.cast_vote("tok-2", "s", 4)


class TestDurability:
    def test_sqlite_commits_reach_the_disk(self, tmp_path: object) -> None:
        """Both of the store's engines run WAL with synchronous FULL: a commit is synced before it is acknowledged."""
        with WorkshopStore(f"sqlite:///{tmp_path / 'w.sqlite'}") as opened:  # type: ignore[operator]
            settings = opened.durability()
        assert settings == {"reader": {"journal_mode": "wal", "synchronous": "full"},
                            "writer": {"journal_mode": "wal", "synchronous": "full"}}

    def test_every_pooled_sqlite_connection_is_durable(self, tmp_path: object) -> None:
        """Several connections open at once (as twenty sessions make) each read back FULL and WAL."""
        with WorkshopStore(f"sqlite:///{tmp_path / 'w.sqlite'}") as opened:  # type: ignore[operator]
            connections = [opened._engine.connect() for _ in range(6)]  # readers: writers would queue
            try:
                found = {(c.exec_driver_sql("PRAGMA journal_mode").scalar(),
                          c.exec_driver_sql("PRAGMA synchronous").scalar()) for c in connections}
            finally:
                for connection in connections:
                    connection.close()
        assert found == {("wal", 2)}

    @pytest.mark.parametrize("database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)],
                             indirect=True)
    def test_postgresql_commits_synchronously_whatever_the_default(self, database_url: str) -> None:  # noqa: F811
        """Connections whose default is synchronous_commit=off still commit synchronously through the store."""
        url = make_url(database_url)
        url = url.update_query_dict({"options": f"{url.query['options']} -csynchronous_commit=off"})
        plain = create_engine(url)
        with plain.connect() as conn:  # the weakened default really is in force for other clients
            assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "off"
        plain.dispose()
        with WorkshopStore(url.render_as_string(hide_password=False)) as opened:
            assert opened.durability() == {"reader": {"synchronous_commit": "on"},
                                           "writer": {"synchronous_commit": "on"}}
