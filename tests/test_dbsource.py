"""Event logs read from databases: the same figures as the CSV, read only, and never a password shown."""

from __future__ import annotations

import io
import json
import logging
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, make_url

from journeymap.cli.main import main
from journeymap.core.errors import JourneyError
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import sample_events_path, sample_journey_path
from journeymap.log.dbsource import DatabaseQuery, is_database, masked, read_database, read_database_events
from journeymap.log.readers import read_events
from journeymap.measures.metrics import compute_metrics
from journeymap.measures.summary import metrics_summary

POSTGRES_ENV = "JOURNEYMAP_TEST_POSTGRES_URL"
PASSWORD_ROLE_ENV = "JOURNEYMAP_TEST_POSTGRES_PASSWORD_ROLE"
SECRET = "Sesame-7f3kq9"  # never to be seen in any message, log line or output


def postgres_admin_url() -> str:
    """The throwaway server's URL from scripts/test.sh; skip without it, but fail on CI."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        message = f"{POSTGRES_ENV} is not set: run scripts/test.sh, which starts a throwaway PostgreSQL server"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set, so the PostgreSQL tests must run)")
        pytest.skip(message)
    return url


@pytest.fixture(scope="module")
def raw_log() -> pl.DataFrame:
    """The onboarding sample log as its CSV holds it (text columns)."""
    return pl.read_csv(sample_events_path("onboarding"), infer_schema=False)


@pytest.fixture(scope="module")
def typed_log(raw_log: pl.DataFrame) -> pl.DataFrame:
    """The same rows as a database would type them: the timestamp a UTC timestamp, not text."""
    return raw_log.with_columns(pl.col("timestamp").str.to_datetime(time_zone="UTC"))


@pytest.fixture(scope="module")
def csv_figures() -> dict:
    """The figures of the onboarding sample log read from its CSV, against its journey."""
    log = read_events(sample_events_path("onboarding"))
    return metrics_summary(compute_metrics(log.frame, load_journey(sample_journey_path("onboarding"))), log)


def figures(query: DatabaseQuery) -> dict:
    log = read_database_events(query)
    return metrics_summary(compute_metrics(log.frame, load_journey(sample_journey_path("onboarding"))), log)


@pytest.fixture(scope="module")
def postgres_url(typed_log: pl.DataFrame) -> Iterator[str]:
    """A database of this module's own on the throwaway server with the sample log as table `events`."""
    admin_url = postgres_admin_url()
    name = f"jm_test_dbsource_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        typed_log.write_database("events", url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, raw_log: pl.DataFrame, typed_log: pl.DataFrame) -> dict[str, Path]:
    """The sample log as table `events` of a SQLite file (text, as SQLite keeps it) and a DuckDB file (typed)."""
    folder = tmp_path_factory.mktemp("databases")
    sqlite_path, duckdb_path = folder / "events.sqlite", folder / "events.duckdb"
    with sqlite3.connect(sqlite_path) as conn:
        conn.execute(f"CREATE TABLE events ({', '.join(f'{c} TEXT' for c in raw_log.columns)})")
        conn.executemany(f"INSERT INTO events VALUES ({', '.join('?' * raw_log.width)})", raw_log.rows())
        conn.execute("CREATE TABLE untouchable (x INTEGER)")
    conn = duckdb.connect(str(duckdb_path))
    conn.register("typed", typed_log.to_arrow())
    conn.execute("CREATE TABLE events AS SELECT * FROM typed")
    conn.close()
    return {"sqlite": sqlite_path, "duckdb": duckdb_path}


class TestSameFiguresAsTheCsv:
    @pytest.mark.parametrize("how", ["path", "url"])
    def test_sqlite_file(self, files: dict[str, Path], csv_figures: dict, how: str) -> None:
        url = str(files["sqlite"]) if how == "path" else f"sqlite:///{files['sqlite']}"
        assert figures(DatabaseQuery(url, table="events")) == csv_figures

    @pytest.mark.parametrize("how", ["path", "url"])
    def test_duckdb_file(self, files: dict[str, Path], csv_figures: dict, how: str) -> None:
        url = str(files["duckdb"]) if how == "path" else f"duckdb:///{files['duckdb']}"
        assert figures(DatabaseQuery(url, table="events")) == csv_figures

    @pytest.mark.postgres
    def test_postgres_table_and_query(self, postgres_url: str, csv_figures: dict) -> None:
        assert figures(DatabaseQuery(postgres_url, table="events")) == csv_figures
        assert figures(DatabaseQuery(postgres_url, query='SELECT * FROM "events"')) == csv_figures

    @pytest.mark.postgres
    def test_postgres_query_narrows_like_the_same_rows_of_the_csv(self, postgres_url: str,
                                                                  raw_log: pl.DataFrame) -> None:
        """A WHERE in the query gives the figures of the CSV with the same rows left out."""
        narrowed = read_database_events(DatabaseQuery(postgres_url, query="SELECT * FROM events WHERE "
                                                                          "department = 'Engineering'"))
        buffer = io.BytesIO()
        raw_log.filter(pl.col("department") == "Engineering").write_csv(buffer)
        expected = read_events(buffer.getvalue(), name="engineering.csv")
        assert narrowed.frame.height == expected.frame.height > 0
        assert metrics_summary(compute_metrics(narrowed.frame)) == metrics_summary(compute_metrics(expected.frame))

    @pytest.mark.postgres
    def test_cli_metrics_and_ingest_from_postgres(self, postgres_url: str, tmp_path: Path) -> None:
        """`journeymap metrics URL --table` prints what the CSV gives; `ingest URL --table` makes the same folder."""
        journey = str(sample_journey_path("onboarding"))
        from_csv = run(["metrics", str(sample_events_path("onboarding")), "--journey", journey])
        assert run(["metrics", postgres_url, "--table", "events", "--journey", journey]) == from_csv
        run(["ingest", postgres_url, "--query", "select * from events", "--out", str(tmp_path / "ingested")])
        assert run(["metrics", str(tmp_path / "ingested"), "--journey", journey]) == from_csv


def run(argv: list[str]) -> str:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    assert code == 0, err.getvalue()
    return out.getvalue()


def failure(argv: list[str]) -> str:
    """The stderr of a command that must fail with exit 1 and one line."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    assert code == 1, (out.getvalue(), err.getvalue())
    assert out.getvalue() == ""
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def with_password(url: str, password: str = SECRET, user: str | None = None) -> str:
    parsed = make_url(url).set(password=password)
    return (parsed.set(username=user) if user else parsed).render_as_string(hide_password=False)


class TestNoPasswordShown:
    @pytest.mark.postgres
    def test_wrong_password(self, postgres_url: str, caplog: pytest.LogCaptureFixture) -> None:
        """A role that must give its password, given the wrong one: one sentence, the password masked."""
        role = os.environ.get(PASSWORD_ROLE_ENV, "journeymap_password_check")
        admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
            conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD 'the-right-one'")
        admin.dispose()
        try:
            caplog.set_level(logging.DEBUG)
            url = with_password(postgres_url, user=role)
            with pytest.raises(JourneyError) as refused:
                read_database_events(DatabaseQuery(url, table="events"))
            message = str(refused.value)
            if "could not connect" not in message:  # the server trusts everybody: it was not started by scripts/test.sh
                if os.environ.get("CI"):
                    pytest.fail(f"the server accepted a wrong password: {message}")
                pytest.skip("this PostgreSQL server does not check passwords (run scripts/test.sh)")
            assert "password authentication failed" in message and f"{role}:***@" in message
            assert SECRET not in message and "\n" not in message
            assert SECRET not in caplog.text
            assert SECRET not in failure(["metrics", url, "--table", "events"])
        finally:
            admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
            admin.dispose()

    def test_bad_host(self, caplog: pytest.LogCaptureFixture) -> None:
        """Nothing listens on port 1 of this machine: 'could not connect', the password masked."""
        caplog.set_level(logging.DEBUG)
        url = f"postgresql://ops:{SECRET}@127.0.0.1:1/events"
        line = failure(["metrics", url, "--table", "events"])
        assert line.startswith("journeymap: postgresql://ops:***@127.0.0.1:1/events: could not connect (")
        assert SECRET not in line and SECRET not in caplog.text

    @pytest.mark.postgres
    def test_bad_query_and_missing_table(self, postgres_url: str, caplog: pytest.LogCaptureFixture) -> None:
        """The server trusts this role, so the password in the URL is accepted and must still never show."""
        caplog.set_level(logging.DEBUG)
        url = with_password(postgres_url)
        line = failure(["metrics", url, "--query", "SELEC case_id FROM events"])
        assert "the query failed (syntax error at or near" in line and ":***@" in line and SECRET not in line
        line = failure(["metrics", url, "--table", "no_such_table"])
        assert 'the query failed (relation "no_such_table" does not exist)' in line and SECRET not in line
        assert SECRET not in caplog.text

    @pytest.mark.postgres
    def test_a_password_never_reaches_the_output(self, postgres_url: str, tmp_path: Path) -> None:
        """Read with a password in the URL: neither the figures, the log's name nor an ingested manifest hold it."""
        url = with_password(postgres_url)
        log = read_database_events(DatabaseQuery(url, table="events"))
        assert SECRET not in log.source and ":***@" in log.source
        assert SECRET not in run(["metrics", url, "--table", "events", "--format", "table"])
        run(["ingest", url, "--table", "events", "--out", str(tmp_path / "ingested")])
        for file in (tmp_path / "ingested").iterdir():
            assert SECRET.encode() not in file.read_bytes()

    def test_password_in_the_query_string_and_url_encoded(self) -> None:
        assert masked(f"postgresql://u@h/db?password={SECRET}&sslmode=require") == \
            "postgresql://u@h/db?password=***&sslmode=require"
        assert masked("postgresql://u:p%40ss%2Fword@h/db") == "postgresql://u:***@h/db"
        assert masked("not a url at all") == "not a url at all"  # a path: nothing to hide
        assert masked(f"postgresql://u:{SECRET}@[broken") in ("postgresql://…", "postgresql://u:***@[broken")

    @settings(max_examples=60, deadline=None)
    @given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=6, max_size=30))
    def test_masked_never_shows_the_password(self, password: str) -> None:
        """Whatever the password, typed raw or URL-encoded, neither form is left in what is shown."""
        from urllib.parse import quote

        assume(password.strip() == password and password)
        for typed in (quote(password, safe=""), password):
            url = f"postgresql+psycopg://ops:{typed}@db.internal:5432/events"
            assume(password not in "postgresql+psycopg://ops:***@db.internal:5432/events")
            shown = masked(url)
            assert password not in shown and quote(password, safe="") not in shown

    def test_scrubbed_when_a_driver_echoes_the_url(self) -> None:
        """A driver message quoting the connection string is scrubbed of the password before it is shown."""
        from journeymap.log.dbsource import _scrub, _secrets

        url = f"postgresql://ops:{SECRET}@127.0.0.1:1/db"
        echoed = f"invalid dsn: 'host=127.0.0.1 password={SECRET} user=ops'"
        assert SECRET not in _scrub(echoed, _secrets(url)) and "password=***" in _scrub(echoed, _secrets(url))


class TestReadOnlyAndNames:
    def test_a_table_name_is_quoted_not_run(self, files: dict[str, Path]) -> None:
        """A table 'name' carrying SQL is looked up as a name (and not found); nothing is dropped."""
        with pytest.raises(JourneyError, match=r"the query failed \(no such table"):
            read_database(DatabaseQuery(str(files["sqlite"]), table="events; DROP TABLE untouchable"))
        with sqlite3.connect(files["sqlite"]) as conn:
            assert conn.execute("SELECT count(*) FROM untouchable").fetchone() == (0,)

    def test_sqlite_and_duckdb_files_are_opened_read_only(self, files: dict[str, Path]) -> None:
        with pytest.raises(JourneyError, match="the query failed .*readonly"):
            read_database(DatabaseQuery(str(files["sqlite"]), query="DELETE FROM events RETURNING *"))
        with pytest.raises(JourneyError, match="the query failed .*read-only"):
            read_database(DatabaseQuery(str(files["duckdb"]), query="DELETE FROM events RETURNING *"))
        assert read_database(DatabaseQuery(str(files["sqlite"]), table="events")).height == 20_463
        assert read_database(DatabaseQuery(str(files["duckdb"]), table="events")).height == 20_463

    @pytest.mark.postgres
    def test_postgres_query_runs_read_only(self, postgres_url: str) -> None:
        """A statement that changes data is refused (a cursor holds SELECTs only), and so is a SELECT that
        writes, because the transaction is read-only."""
        admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql("CREATE SEQUENCE IF NOT EXISTS ticket_numbers")
        admin.dispose()
        with pytest.raises(JourneyError, match="the query failed"):
            read_database(DatabaseQuery(postgres_url, query="DELETE FROM events RETURNING *"))
        with pytest.raises(JourneyError, match=r"cannot execute nextval\(\) in a read-only transaction"):
            read_database(DatabaseQuery(postgres_url, query="SELECT nextval('ticket_numbers'), * FROM events"))
        assert read_database(DatabaseQuery(postgres_url, table="events")).height == 20_463

    def test_what_counts_as_a_database(self, files: dict[str, Path], tmp_path: Path) -> None:
        unnamed = tmp_path / "export"  # a SQLite file without a suffix is told by its first bytes
        unnamed.write_bytes(files["sqlite"].read_bytes())
        assert is_database("postgresql://u@h/db") and is_database(str(files["duckdb"])) and is_database(str(unnamed))
        assert not is_database(str(sample_events_path("onboarding")))
        misnamed = tmp_path / "events.db"  # a CSV by another name is read as the CSV it is
        misnamed.write_bytes(b"case,activity,timestamp\nc1,open,2026-01-01\n")
        assert not is_database(str(misnamed)) and is_database(str(tmp_path / "not-yet.duckdb"))
        assert figures(DatabaseQuery(str(unnamed), table="events"))["n_events"] == 20_463

    def test_a_database_needs_a_table_or_query(self, files: dict[str, Path]) -> None:
        line = failure(["metrics", str(files["duckdb"])])
        assert line == f"journeymap: {files['duckdb']}: is a database; name the events with --table NAME or " \
                       "--query 'SELECT …'."
        assert "--sep is for files" in failure(["metrics", str(files["duckdb"]), "--table", "events", "--sep", ";"])

    def test_empty_result_and_missing_driver(self, files: dict[str, Path]) -> None:
        line = failure(["metrics", str(files["duckdb"]), "--query", "select * from events where false"])
        assert line.endswith("has no rows.")
        line = failure(["metrics", f"mysql://ops:{SECRET}@127.0.0.1/db", "--table", "events"])
        assert "no driver for this kind of database is installed" in line and "ops:***@" in line
        assert SECRET not in line

    def test_rows_go_through_the_same_column_detection(self, tmp_path: Path) -> None:
        """Columns named unlike any role are found by their values, as in a file; skipped rows are counted."""
        path = tmp_path / "odd.duckdb"
        conn = duckdb.connect(str(path))
        conn.execute("CREATE TABLE t (ticket VARCHAR, what VARCHAR, happened TIMESTAMP)")
        conn.execute(
            "INSERT INTO t VALUES ('T1', 'Opened', '2026-01-01 09:00'), ('T1', 'Closed', '2026-01-02 09:00'),"
            "('T2', 'Opened', '2026-01-01 10:00'), ('T2', 'Closed', NULL), ('T3', 'Opened', '2026-01-03 10:00'),"
            "('T3', 'Closed', '2026-01-04 10:00')"
        )
        conn.close()
        log = read_database_events(DatabaseQuery(str(path), table="t"))
        assert (log.roles.case, log.roles.activity, log.roles.timestamp) == ("ticket", "what", "happened")
        assert log.frame.height == 5 and log.skipped == {"without a readable timestamp in 'happened'": 1}
        assert json.loads(run(["metrics", str(path), "--table", "t"]))["skipped_rows"] == 1
