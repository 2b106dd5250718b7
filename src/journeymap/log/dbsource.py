"""Event logs read from a database: a table or a query, over any SQLAlchemy URL, DuckDB and SQLite files too.

The rows come back as a table just as a file's would, and go through the same column-role
detection and canonical events (`events.canonical_events`), so a log loaded into a table gives the
figures of the same log read from its CSV.

Reading only: PostgreSQL runs the query in a read-only transaction, SQLite and DuckDB files are
opened read-only. DuckDB (`duckdb:///events.duckdb`, or the file's path) is read by DuckDB itself,
into Arrow, with no SQLAlchemy dialect needed; every other URL goes through SQLAlchemy and its
driver (psycopg for PostgreSQL is installed; others need theirs), a server-side cursor and batches
of rows, so a large table is not held twice.

A connection URL carries a password: it never appears in an error, a note or a source name. Every
name shown is `masked(url)` (SQLAlchemy's rendering with the password as ***, and any password in
the query string masked too), and every driver message is scrubbed of the password before it is
shown, since some drivers echo the connection string.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import polars as pl

from journeymap.core.errors import JourneyError

__all__ = ["DATABASE_ENV", "DatabaseQuery", "DATABASE_SUFFIXES", "is_database", "masked", "read_database",
           "read_database_events", "database_tables"]

# The app reads its events database URL from here (or the `events_database_url` secret). Not
# JOURNEYMAP_DATABASE_URL: that one is the workshop store's, and the store must never write its
# tables into the database the events come from (nor the events reader need write access).
DATABASE_ENV = "JOURNEYMAP_EVENTS_DATABASE_URL"
DATABASE_SUFFIXES = (".duckdb", ".ddb", ".sqlite", ".sqlite3", ".db")
_BATCH_ROWS = 100_000  # rows fetched at a time over a server-side cursor
_CONNECT_TIMEOUT_S = 10  # an unreachable host answers in seconds, not the driver's minutes
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SQLITE_MAGIC = b"SQLite format 3\x00"
_DUCKDB_MAGIC = b"DUCK"  # at byte 8 of a DuckDB file
_ECHO = 160  # characters of a driver's message shown


@dataclass(frozen=True)
class DatabaseQuery:
    """Where the events are: a database URL (or a DuckDB/SQLite file) and a table or a query."""

    url: str
    table: str | None = None
    query: str | None = None

    @property
    def name(self) -> str:
        """How messages and the log name it: the URL with its password masked, and the table or query."""
        what = f"table {self.table}" if self.table else f"query {_cut(' '.join((self.query or '').split()), 60)}"
        return f"{masked(self.url)} ({what})"


def is_database(source: str) -> bool:
    """Whether a command line's event log is a database: a URL (dialect://...) or a DuckDB/SQLite file."""
    if _SCHEME.match(source):
        return True
    path = Path(source)
    if path.is_file():  # told by its first bytes, whatever its name (a CSV may be called events.db)
        return _database_kind(path) is not None
    return path.suffix.lower() in DATABASE_SUFFIXES


def masked(url: str) -> str:
    """The URL as it can be shown: its password as ***, in the authority and in the query string alike."""
    from sqlalchemy.engine import make_url

    if not _SCHEME.match(url):  # a file path: nothing to hide
        return url
    # A password typed raw may hold '@', '/' or '?', which end it early for a URL parser: everything up
    # to the last '@' after the user name goes first (hiding too much, should a query value hold '@').
    scheme, _, rest = url.partition("://")
    at = rest.rfind("@")
    user, colon, _ = rest[:at].partition(":") if at >= 0 else ("", "", "")
    if colon:
        url = f"{scheme}://{user}:***{rest[at:]}"
    try:
        parsed = make_url(url)
    except Exception:  # not a URL SQLAlchemy reads: show its scheme only, never the rest (it may hold a password)
        return url.split("://", 1)[0] + "://…"
    hidden = {key: "***" for key in parsed.query if "pass" in key.lower() or key.lower() in ("pwd", "token")}
    if hidden:
        parsed = parsed.update_query_dict(hidden)
    return parsed.render_as_string(hide_password=True).replace("%2A%2A%2A", "***")  # the query string is escaped


def read_database(query: DatabaseQuery) -> pl.DataFrame:
    """The rows of the table or query as a Polars table, read only; problems are one JourneyError sentence."""
    if bool(query.table) == bool(query.query):
        raise JourneyError(f"{masked(query.url)}: name the events with --table NAME or --query 'SELECT …' (one of "
                           "them).", source=masked(query.url))
    secrets = _secrets(query.url)
    try:
        frame = _read(query)
    except JourneyError as error:
        raise JourneyError(_scrub(str(error), secrets), source=query.name) from None
    except Exception as error:  # every driver has its own errors; one sentence, the password scrubbed
        raise JourneyError(_sentence(query, error, secrets), source=query.name) from None
    if frame.height == 0:
        raise JourneyError(f"{query.name}: has no rows.", source=query.name)
    return frame


def read_database_events(query: DatabaseQuery, *, case: str | None = None, activity: str | None = None,
                         timestamp: str | None = None, start_timestamp: str | None = None,
                         lifecycle: str | None = None, timestamp_format: str | None = None,
                         time_of_day: str | None = None) -> Any:
    """Canonical events (`events.EventLog`) of a database table or query, the columns found as in a file."""
    from journeymap.log.columns import ColumnRoles
    from journeymap.log.contentroles import detect_table_roles
    from journeymap.log.limits import Limits
    from journeymap.log.readers import canonical_events, check_table

    table = read_database(query)
    check_table(table, query.name, Limits().resolved())
    roles = detect_table_roles(table, case=case, activity=activity, timestamp=timestamp,
                               start_timestamp=start_timestamp, lifecycle=lifecycle, time_of_day=time_of_day)
    roles = ColumnRoles(**{**roles.__dict__, "timestamp_format": timestamp_format})
    try:
        return canonical_events(table, roles, source=query.name)
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException) as error:
        raise JourneyError(f"{query.name}: the events could not be made from its columns "
                           f"({_first_line(error)}).", source=query.name) from None


def database_tables(url: str) -> list[str]:
    """The tables and views a database URL can read (for a picker), schema-qualified outside the default."""
    secrets = _secrets(url)
    probe = DatabaseQuery(url, table="?")
    try:
        kind, target = _target(url)
        if kind == "duckdb":
            with _duckdb(target) as conn:
                rows = conn.execute("SELECT table_schema, table_name FROM information_schema.tables "
                                    "ORDER BY table_schema, table_name").fetchall()
            return [name if schema == "main" else f"{schema}.{name}" for schema, name in rows]
        from sqlalchemy import inspect

        with _engine(target) as engine:
            inspector = inspect(engine)
            default = inspector.default_schema_name
            names = []
            for schema in inspector.get_schema_names():
                if schema in ("information_schema", "pg_catalog") or schema.startswith("pg_"):
                    continue
                found = inspector.get_table_names(schema=schema) + inspector.get_view_names(schema=schema)
                names += [name if schema == default else f"{schema}.{name}" for name in sorted(found)]
            return names
    except JourneyError as error:
        raise JourneyError(_scrub(str(error), secrets), source=masked(url)) from None
    except Exception as error:
        raise JourneyError(_sentence(probe, error, secrets, listing=True), source=masked(url)) from None


def _read(query: DatabaseQuery) -> pl.DataFrame:
    kind, target = _target(query.url)
    if kind == "duckdb":
        with _duckdb(target) as conn:
            sql = query.query or f"SELECT * FROM {_duckdb_table(query.table or '')}"
            return pl.from_arrow(conn.sql(sql).to_arrow_table())  # type: ignore[return-value]
    import sqlalchemy as sa

    with _engine(target) as engine, engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(postgresql_readonly=True)
        statement = sa.text(query.query) if query.query else _table_select(query.table or "")
        streamed = conn.execution_options(stream_results=True, max_row_buffer=_BATCH_ROWS)
        batches = list(pl.read_database(statement, streamed, iter_batches=True, batch_size=_BATCH_ROWS,
                                        infer_schema_length=None))
    return pl.concat(batches, how="vertical_relaxed") if batches else pl.DataFrame()


def _target(url: str) -> tuple[str, Any]:
    """('duckdb', path) for a DuckDB file, else ('sqlalchemy', URL); a bare path is sniffed for its kind."""
    from sqlalchemy.engine import URL, make_url

    if not _SCHEME.match(url):
        path = Path(url)
        if not path.is_file():
            raise JourneyError(f"{url}: no such file.", source=url)
        kind = _database_kind(path)
        if kind is None:
            raise JourneyError(f"{url}: is neither a DuckDB nor a SQLite database file.", source=url)
        return ("duckdb", str(path)) if kind == "duckdb" else ("sqlalchemy", URL.create("sqlite", database=str(path)))
    try:
        parsed = make_url(url)
    except Exception:
        raise JourneyError(f"{masked(url)}: is not a database URL SQLAlchemy can read; write it as "
                           "dialect+driver://user:password@host:port/database.", source=masked(url)) from None
    if parsed.get_backend_name() == "duckdb":
        return "duckdb", parsed.database or ":memory:"
    if parsed.drivername in ("postgres", "postgresql"):  # the installed driver, not SQLAlchemy's psycopg2 default
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).is_file():
        raise JourneyError(f"{masked(url)}: no such SQLite file.", source=masked(url))
    return "sqlalchemy", parsed


@contextmanager
def _engine(url: Any) -> Iterator[Any]:
    import sqlalchemy as sa

    backend = url.get_backend_name()
    connect_args: dict[str, Any] = {}
    if backend == "postgresql":
        connect_args["connect_timeout"] = _CONNECT_TIMEOUT_S
    if backend == "sqlite" and url.database:  # read-only: the file is opened as a URI with mode=ro
        url = url.set(database=f"file:{quote(str(Path(url.database).resolve()))}?mode=ro",
                      query={**url.query, "uri": "true"})
    # hide_parameters: a failing statement's parameters never reach the message
    engine = sa.create_engine(url, connect_args=connect_args, hide_parameters=True, poolclass=sa.pool.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _duckdb(path: str) -> Iterator[Any]:
    import duckdb

    if path != ":memory:" and not Path(path).is_file():
        raise JourneyError(f"{path}: no such DuckDB file.", source=path)
    conn = duckdb.connect(path, read_only=path != ":memory:")
    try:
        yield conn
    finally:
        conn.close()


def _table_select(table: str) -> Any:
    """SELECT * FROM the table, its name (schema.table) quoted by the dialect: a name is never SQL."""
    import sqlalchemy as sa

    schema, _, name = table.rpartition(".")
    return sa.select(sa.text("*")).select_from(sa.table(name, schema=schema or None))


def _duckdb_table(table: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in table.split("."))


def _database_kind(path: Path) -> str | None:
    try:
        with path.open("rb") as file:
            head = file.read(16)
    except OSError:
        return None
    if head.startswith(_SQLITE_MAGIC):
        return "sqlite"
    if head[8:12] == _DUCKDB_MAGIC:
        return "duckdb"
    return None


def _secrets(url: str) -> list[str]:
    """The password of a URL (and its encodings) and any password in its query string: what to scrub."""
    from sqlalchemy.engine import make_url

    found: list[str] = []
    if _SCHEME.match(url):
        try:
            parsed = make_url(url)
            found += [str(parsed.password)] if parsed.password else []
            found += [str(value) for key, value in parsed.query.items()
                      if "pass" in key.lower() or key.lower() in ("pwd", "token")]
        except Exception:
            pass
        authority = url.split("://", 1)[1].split("/", 1)[0]
        if "@" in authority and ":" in authority.rsplit("@", 1)[0]:  # as typed, whether or not it parses
            found.append(authority.rsplit("@", 1)[0].split(":", 1)[1])
    expanded = {variant for secret in found if secret for variant in (secret, quote(secret, safe=""),
                                                                        quote_plus(secret))}
    return sorted(expanded, key=len, reverse=True)


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _sentence(query: DatabaseQuery, error: BaseException, secrets: list[str], *, listing: bool = False) -> str:
    """One sentence for a driver's error: what failed (connecting, the query) and the driver's first line."""
    detail = _scrub(_driver_line(error), secrets)
    name = masked(query.url) if listing else query.name
    kind = type(error).__name__
    if kind == "NoSuchModuleError" or isinstance(error, ModuleNotFoundError):
        return (f"{masked(query.url)}: no driver for this kind of database is installed ({detail}); install its "
                "Python driver, or give a PostgreSQL, SQLite or DuckDB URL.")
    if _is_connection_problem(error):
        return (f"{masked(query.url)}: could not connect ({detail}). Check the host, port, user name and password "
                "of the URL.")
    what = "the tables could not be listed" if listing else "the query failed"
    return f"{name}: {what} ({detail})."


def _is_connection_problem(error: BaseException) -> bool:
    import sqlalchemy.exc as sa_exc

    if isinstance(error, sa_exc.OperationalError):
        text = str(getattr(error, "orig", error)).lower()
        return any(word in text for word in ("connect", "password", "authentication", "host", "refused",
                                             "timeout", "unable to open"))
    return type(error).__name__ in ("IOException", "ConnectionException") or isinstance(error, ConnectionError)


def _driver_line(error: BaseException) -> str:
    """The driver's own first line (SQLAlchemy wraps it with the statement and a link), cut short."""
    inner = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(inner).strip().splitlines() if line.strip()]
    return _cut(lines[0] if lines else type(error).__name__, _ECHO).rstrip(".")


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return _cut(lines[0] if lines else type(error).__name__, _ECHO)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
