"""The workshop database: its tables as the code queries them, and the migrations that build them.

Migrations are plain SQL, applied in order on open and recorded in `schema_version`. A released
migration never changes; a new schema is a new migration appended to `MIGRATIONS`. A migration that
needs Python (a value SQL cannot compute) names a `backfill` that runs between its statements and
its `then` statements, in the same transaction.

Durability: a SQLite commit is in the write-ahead log on disk (journal_mode WAL, synchronous FULL)
and a PostgreSQL commit is flushed to the server's WAL (synchronous_commit on, set on every
connection so a database or role default of "off" cannot weaken it) before the store returns.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Dialect,
    Engine,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    make_url,
)
from sqlalchemy import text as sql
from sqlalchemy.types import DateTime, TypeDecorator

from journeymap.core.errors import JourneyError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Migration", "UTCDateTime", "backlog_items", "connect",
           "default_database_url", "metadata", "migrate", "migration_statements", "notes", "participants",
           "schema_version", "versions", "votes", "workshops", "durability_settings"]


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out; stored naive (UTC) so both engines agree."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the workshop store; pass an aware (UTC) datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


metadata = MetaData()
versions = Table(
    "schema_version", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False), Column("title", String(200), nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
)
workshops = Table(
    "workshops", metadata,
    Column("id", Integer, primary_key=True), Column("title", String(200), nullable=False),
    Column("journey_id", String(200), nullable=False), Column("join_code", String(16), nullable=False),
    Column("facilitator_token", String(64), nullable=False),
    Column("votes_per_participant", Integer, nullable=False), Column("tally_revealed", Boolean, nullable=False),
    Column("timer_ends_at", UTCDateTime), Column("date_range", String(200), nullable=False),
    Column("filters", Text, nullable=False), Column("created_at", UTCDateTime, nullable=False),
    Column("max_participants", Integer), Column("joining_open", Boolean, nullable=False),  # v4
    Column("on_screen", String(16)), Column("stage_shown", Integer), Column("spotlight", Integer),  # v5
    Column("exit_votes", Boolean, nullable=False), Column("public_url", String(300)),  # v5
)
participants = Table(
    "participants", metadata,
    Column("id", Integer, primary_key=True), Column("workshop_id", ForeignKey("workshops.id"), nullable=False),
    Column("name", String(100), nullable=False), Column("token", String(64), nullable=False),
    Column("joined_at", UTCDateTime, nullable=False),
    Column("name_key", String(100)), Column("removed_at", UTCDateTime),  # v4
)
notes = Table(
    "notes", metadata,
    Column("id", Integer, primary_key=True), Column("workshop_id", ForeignKey("workshops.id"), nullable=False),
    Column("step_id", String(200), nullable=False), Column("kind", String(16), nullable=False),
    Column("text", Text, nullable=False), Column("participant_id", ForeignKey("participants.id")),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime), Column("deleted_at", UTCDateTime),  # v2
)
votes = Table(
    "votes", metadata,
    Column("id", Integer, primary_key=True), Column("workshop_id", ForeignKey("workshops.id"), nullable=False),
    Column("participant_id", ForeignKey("participants.id"), nullable=False),
    Column("step_id", String(200), nullable=False), Column("created_at", UTCDateTime, nullable=False),
)
backlog_items = Table(  # v3
    "backlog_items", metadata,
    Column("id", Integer, primary_key=True), Column("workshop_id", ForeignKey("workshops.id"), nullable=False),
    Column("step_id", String(200)), Column("title", String(300), nullable=False),
    Column("reach", Float), Column("impact", Float), Column("confidence", Float), Column("effort", Float),
    Column("notes", Text, nullable=False), Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class Migration:
    """One schema step: its version, what it does, and its SQL (`{pk}` is the dialect's id column)."""

    version: int
    title: str
    statements: tuple[str, ...]
    backfill: Callable[[Connection], None] | None = None
    then: tuple[str, ...] = ()


_FK = "INTEGER NOT NULL REFERENCES {table}(id) ON DELETE CASCADE"
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "workshops, participants, notes and votes", (
        """CREATE TABLE workshops (id {pk}, title VARCHAR(200) NOT NULL, journey_id VARCHAR(200) NOT NULL,
        join_code VARCHAR(16) NOT NULL UNIQUE, facilitator_token VARCHAR(64) NOT NULL UNIQUE,
        votes_per_participant INTEGER NOT NULL DEFAULT 5, tally_revealed BOOLEAN NOT NULL DEFAULT FALSE,
        timer_ends_at TIMESTAMP, date_range VARCHAR(200) NOT NULL DEFAULT '', filters TEXT NOT NULL DEFAULT '',
        created_at TIMESTAMP NOT NULL)""",
        f"""CREATE TABLE participants (id {{pk}}, workshop_id {_FK.format(table="workshops")},
        name VARCHAR(100) NOT NULL, token VARCHAR(64) NOT NULL UNIQUE, joined_at TIMESTAMP NOT NULL)""",
        # One name per workshop, so a double join shows up instead of silently doubling a budget.
        "CREATE UNIQUE INDEX ux_participants_name ON participants (workshop_id, lower(name))",
        f"""CREATE TABLE notes (id {{pk}}, workshop_id {_FK.format(table="workshops")},
        step_id VARCHAR(200) NOT NULL, kind VARCHAR(16) NOT NULL CHECK (kind IN ('pain', 'idea', 'question')),
        text TEXT NOT NULL, participant_id INTEGER REFERENCES participants(id) ON DELETE CASCADE,
        created_at TIMESTAMP NOT NULL)""",
        "CREATE INDEX ix_notes_workshop ON notes (workshop_id)",
        f"""CREATE TABLE votes (id {{pk}}, workshop_id {_FK.format(table="workshops")},
        participant_id {_FK.format(table="participants")}, step_id VARCHAR(200) NOT NULL,
        created_at TIMESTAMP NOT NULL)""",
        "CREATE INDEX ix_votes_workshop ON votes (workshop_id, step_id)",
        "CREATE INDEX ix_votes_participant ON votes (participant_id)",
    )),
    Migration(2, "notes can be edited and deleted: notes.updated_at, notes.deleted_at", (
        "ALTER TABLE notes ADD COLUMN updated_at TIMESTAMP",
        "ALTER TABLE notes ADD COLUMN deleted_at TIMESTAMP",
        "UPDATE notes SET updated_at = created_at",  # existing notes were last changed when written
        "CREATE INDEX ix_notes_updated ON notes (workshop_id, updated_at)",
    )),
    Migration(3, "the opportunity backlog with RICE fields", (
        f"""CREATE TABLE backlog_items (id {{pk}}, workshop_id {_FK.format(table="workshops")},
        step_id VARCHAR(200), title VARCHAR(300) NOT NULL, reach DOUBLE PRECISION, impact DOUBLE PRECISION,
        confidence DOUBLE PRECISION, effort DOUBLE PRECISION, notes TEXT NOT NULL DEFAULT '',
        created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL)""",
        "CREATE INDEX ix_backlog_workshop ON backlog_items (workshop_id)",
    )),
    Migration(4, "honest joining: names compared by how they look, removed participants, a cap, closed joining, "
                 "deleted notes blanked", (
        "ALTER TABLE participants ADD COLUMN name_key VARCHAR(100)",
        "ALTER TABLE participants ADD COLUMN removed_at TIMESTAMP",
        "ALTER TABLE workshops ADD COLUMN max_participants INTEGER",
        "ALTER TABLE workshops ADD COLUMN joining_open BOOLEAN NOT NULL DEFAULT TRUE",
        "UPDATE notes SET text = '' WHERE deleted_at IS NOT NULL",  # a deleted note's words are gone
        "DROP INDEX ux_participants_name",  # lower() folds ASCII only; name_key replaces it
    ), backfill=lambda conn: _backfill_name_keys(conn), then=(
        "CREATE UNIQUE INDEX ux_participants_name_key ON participants (workshop_id, name_key)",
    )),
    Migration(5, "the room follows the screen: the part, stage and hotspot on screen, dots on exit steps, "
                 "the address participants open", (
        "ALTER TABLE workshops ADD COLUMN on_screen VARCHAR(16)",
        "ALTER TABLE workshops ADD COLUMN stage_shown INTEGER",
        "ALTER TABLE workshops ADD COLUMN spotlight INTEGER",
        "ALTER TABLE workshops ADD COLUMN exit_votes BOOLEAN NOT NULL DEFAULT FALSE",
        "ALTER TABLE workshops ADD COLUMN public_url VARCHAR(300)",
    )),
)
SCHEMA_VERSION = MIGRATIONS[-1].version
_PRIMARY_KEY = {"sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT",  # ids are never reused after a delete
                "postgresql": "INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"}
_LOCK_KEY = 0x6A6D6170  # "jmap": PostgreSQL advisory lock held while migrating
_BUSY_TIMEOUT_S = 30  # how long a SQLite writer waits for another to commit before giving up
# Every session of the app shares one store: enough connections that twenty participants' pages
# (each a write, then the reads that redraw it) never queue for a connection behind each other.
_POOL_SIZE, _POOL_OVERFLOW = 10, 30


def _backfill_name_keys(conn: Connection) -> None:
    """Give every participant the key their name is compared by; earlier look-alike doubles keep distinct keys."""
    from journeymap.workshop.names import name_key  # here, so the schema module stays importable on its own

    taken: set[tuple[int, str]] = set()
    rows = conn.execute(sql("SELECT id, workshop_id, name FROM participants ORDER BY id")).all()
    for row in rows:
        key = name_key(row.name) or f"#{row.id}"
        if (row.workshop_id, key) in taken:  # joined before names were compared honestly: kept, not merged
            key = f"{key[:80]} #{row.id}"
        taken.add((row.workshop_id, key))
        conn.execute(sql("UPDATE participants SET name_key = :key WHERE id = :id"), {"key": key, "id": row.id})


def default_database_url() -> str:
    """`JOURNEYMAP_DATABASE_URL`, else a SQLite file at `JOURNEYMAP_DB_PATH` or ./journeymap-data/."""
    url = os.environ.get("JOURNEYMAP_DATABASE_URL")
    if url:
        return url
    path = Path(os.environ.get("JOURNEYMAP_DB_PATH") or Path("journeymap-data") / "workshops.sqlite")
    return f"sqlite:///{path.resolve()}"


def connect(url: str) -> tuple[Engine, Engine]:
    """An engine for reads and one for writes (on SQLite its transactions BEGIN IMMEDIATE)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):  # the installed driver, not SQLAlchemy's psycopg2 default
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        engine = create_engine(parsed, pool_pre_ping=True, pool_size=_POOL_SIZE, max_overflow=_POOL_OVERFLOW)
        event.listen(engine, "connect", _postgres_connect)
        return engine, engine
    if backend != "sqlite":
        raise JourneyError(f"The workshop store runs on SQLite or PostgreSQL; {backend!r} in "
                           f"{parsed.render_as_string(hide_password=True)!r} is neither.")
    if parsed.database in (None, "", ":memory:") or str(parsed.database).startswith("file::memory:"):
        raise JourneyError("The workshop store needs a SQLite file, not an in-memory database: nothing typed in "
                           "a workshop may be lost.")
    Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"timeout": _BUSY_TIMEOUT_S}, pool_timeout=60,
                           pool_size=_POOL_SIZE, max_overflow=_POOL_OVERFLOW)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine, engine.execution_options(journeymap_write=True)


def _sqlite_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Take BEGIN away from the sqlite3 module (it never begins before SELECT or DDL); _sqlite_begin emits it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_S * 1000}")
    cursor.execute("PRAGMA journal_mode = WAL")  # readers never wait for the writer
    # FULL, not NORMAL: in WAL mode NORMAL syncs only at checkpoints, so a power cut could take the
    # last acknowledged notes and dots with it; FULL syncs the log at every commit.
    cursor.execute("PRAGMA synchronous = FULL")  # a commit is on disk before the caller is told so
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA secure_delete = ON")  # a deleted note's text is overwritten in the file, not left behind
    cursor.close()


def _postgres_connect(dbapi_connection: Any, _record: Any) -> None:
    # Every connection commits synchronously, whatever the server, database or role default says.
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO on")
    dbapi_connection.autocommit = autocommit


def durability_settings(engine: Engine) -> dict[str, str]:
    """The durability settings a connection of `engine` runs with, read back from the database."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            return {"synchronous_commit": str(conn.exec_driver_sql("SHOW synchronous_commit").scalar())}
        synchronous = {0: "off", 1: "normal", 2: "full", 3: "extra"}
        return {"journal_mode": str(conn.exec_driver_sql("PRAGMA journal_mode").scalar()).lower(),
                "synchronous": synchronous.get(int(conn.exec_driver_sql("PRAGMA synchronous").scalar() or 0), "?")}


def _sqlite_begin(conn: Connection) -> None:
    # A writer takes the write lock up front: count-then-insert (the vote budget) cannot interleave,
    # and waiting happens in busy_timeout rather than failing on a read-to-write upgrade.
    write = conn.get_execution_options().get("journeymap_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def migration_statements(migration: Migration, dialect: str) -> list[str]:
    """The SQL of one migration for a dialect (`sqlite` or `postgresql`)."""
    if dialect not in _PRIMARY_KEY:
        raise JourneyError(f"The workshop store supports SQLite and PostgreSQL, not {dialect}.")
    return [statement.replace("{pk}", _PRIMARY_KEY[dialect]) for statement in migration.statements]


def schema_version(engine: Engine) -> int:
    """The version of the schema in a database (0 when it has none yet)."""
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, "schema_version"):
            return 0
        return int(conn.execute(sql("SELECT max(version) FROM schema_version")).scalar() or 0)


def migrate(engine: Engine, target: int | None = None) -> int:
    """Bring the schema up to `target` (default: the latest) in one transaction; return the version."""
    target = SCHEMA_VERSION if target is None else target
    dialect = engine.dialect.name
    with engine.begin() as conn:
        if dialect == "postgresql":  # two processes opening a new database must not both migrate it
            conn.execute(sql("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                             "title VARCHAR(200) NOT NULL, applied_at TIMESTAMP NOT NULL)")
        current = int(conn.execute(sql("SELECT max(version) FROM schema_version")).scalar() or 0)
        if current > SCHEMA_VERSION:
            raise JourneyError(f"The workshop database is at schema version {current}, newer than this journeymap "
                               f"knows ({SCHEMA_VERSION}); upgrade journeymap to open it.")
        for migration in MIGRATIONS:
            if current < migration.version <= target:
                for statement in migration_statements(migration, dialect):
                    conn.exec_driver_sql(statement)
                if migration.backfill is not None:
                    migration.backfill(conn)
                for statement in migration.then:
                    conn.exec_driver_sql(statement.replace("{pk}", _PRIMARY_KEY[dialect]))
                conn.execute(versions.insert().values(version=migration.version, title=migration.title,
                                                      applied_at=dt.datetime.now(dt.UTC)))
                current = migration.version
    return current

