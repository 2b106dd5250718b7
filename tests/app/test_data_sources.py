"""The Data page's events database and ingested logs (AppTest): the same figures as the file, no password shown."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb
import polars as pl
import pytest
from app_driver import no_exception, open_app
from sqlalchemy import create_engine, make_url
from streamlit.testing.v1 import AppTest

from journeymap.journey.definition import load_journey
from journeymap.journey.samples import sample_events_path, sample_journey_path
from journeymap.log.columns import CASE_CODE
from journeymap.log.dbsource import DATABASE_ENV
from journeymap.log.ingest import ingest_log
from journeymap.log.readers import read_events
from journeymap.measures.metrics import compute_metrics
from journeymap.measures.summary import metrics_summary
from journeymap.ui.sources import INGESTED_ENV

SECRET = "Sesame-7f3kq9"


@pytest.fixture(scope="module")
def csv_figures() -> dict:
    log = read_events(sample_events_path("onboarding"))
    return metrics_summary(compute_metrics(log.frame, load_journey(sample_journey_path("onboarding"))))


@pytest.fixture(scope="module")
def duckdb_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The onboarding sample log as table `events` (timestamps typed) of a DuckDB file."""
    path = tmp_path_factory.mktemp("db") / "events.duckdb"
    typed = pl.read_csv(sample_events_path("onboarding")).with_columns(
        pl.col("timestamp").str.to_datetime(time_zone="UTC")
    )
    conn = duckdb.connect(str(path))
    conn.register("typed", typed.to_arrow())
    conn.execute("CREATE TABLE events AS SELECT * FROM typed")
    conn.close()
    return path


def everything_shown(at: AppTest) -> str:
    """The text of every element on the page (texts, messages, widgets' labels, values and options, tables)."""
    texts = [str(element.value) for kind in ("title", "subheader", "markdown", "caption", "error", "warning", "info",
                                             "success", "text", "code") for element in getattr(at, kind)]
    for kind in ("selectbox", "radio", "text_area", "text_input", "multiselect"):
        for widget in getattr(at, kind):
            texts += [str(widget.label), str(widget.value), *map(str, getattr(widget, "options", []))]
    texts += [frame.value.to_csv() for frame in at.dataframe]
    return "\n".join(texts).replace("\\", "")  # markdown escapes, taken out


def show_map(at: AppTest, journey: str = "onboarding") -> AppTest:
    at.radio(key="jm_journey_how").set_value("sample").run()
    at.selectbox(key="jm_sample_journey").set_value(journey).run()
    at.button(key="jm_load").click().run()
    no_exception(at)
    return at


def loaded_log(at: AppTest):  # the EventLog the page added to this session
    sources = at.session_state["jm_sources"]
    return next(iter(sources.values())).log


class TestEventsDatabase:
    def test_without_settings_the_page_offers_files_only(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv(DATABASE_ENV, raising=False)
        monkeypatch.delenv(INGESTED_ENV, raising=False)
        at = open_app("pages/data.py")
        no_exception(at)
        assert not [r for r in at.radio if r.key == "jm_where"]

    def test_a_table_gives_the_figures_of_the_csv(self, monkeypatch: pytest.MonkeyPatch, duckdb_file: Path,
                                                  csv_figures: dict) -> None:
        monkeypatch.setenv(DATABASE_ENV, f"duckdb:///{duckdb_file}")
        at = open_app("pages/data.py")
        at.radio(key="jm_where").set_value("database").run()
        no_exception(at)
        assert at.selectbox(key="jm_db_table").value == "events"
        at = show_map(at)
        log = loaded_log(at)
        assert (
            metrics_summary(compute_metrics(log.frame, load_journey(sample_journey_path("onboarding")))) == csv_figures
        )

    def test_the_url_may_come_from_the_apps_secrets(self, monkeypatch: pytest.MonkeyPatch, duckdb_file: Path) -> None:
        monkeypatch.delenv(DATABASE_ENV, raising=False)
        at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=120)
        at.secrets["events_database_url"] = f"duckdb:///{duckdb_file}"
        at.run()
        at.switch_page("pages/data.py").run()
        at.radio(key="jm_where").set_value("database").run()
        no_exception(at)
        assert at.selectbox(key="jm_db_table").options == ["events"]

    def test_a_query_and_a_bad_query(self, monkeypatch: pytest.MonkeyPatch, duckdb_file: Path) -> None:
        monkeypatch.setenv(DATABASE_ENV, f"duckdb:///{duckdb_file}")
        at = open_app("pages/data.py")
        at.radio(key="jm_where").set_value("database").run()
        at.radio(key="jm_db_how").set_value("query").run()
        at.text_area(key="jm_db_query").input("SELEC * FROM events").run()
        no_exception(at)
        assert [e.value.replace("\\", "") for e in at.error] == [
            f"duckdb:///{duckdb_file} (query SELEC * FROM events): the query failed (Parser Error: syntax error at or "
            "near \"SELEC\")."]
        at.text_area(key="jm_db_query").input("SELECT * FROM events WHERE department = 'Engineering'").run()
        no_exception(at)
        assert not at.error
        log = loaded_log(show_map(at))
        expected = read_events(sample_events_path("onboarding")).frame.filter(pl.col("department") == "Engineering")
        assert log.frame.height == expected.height > 0

    @pytest.mark.postgres
    def test_the_password_is_never_on_the_page(self, monkeypatch: pytest.MonkeyPatch, duckdb_file: Path) -> None:
        """A PostgreSQL URL with a password (the test server trusts the role, so it connects): the page shows it
        masked, in its caption, a bad query's error and the loaded log's name alike."""
        admin_url = os.environ.get("JOURNEYMAP_TEST_POSTGRES_URL")
        if not admin_url:
            pytest.skip("JOURNEYMAP_TEST_POSTGRES_URL is not set: run scripts/test.sh")
        name = f"jm_test_app_db_{uuid.uuid4().hex[:10]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            url = make_url(admin_url).set(database=name, password=SECRET).render_as_string(hide_password=False)
            pl.read_csv(sample_events_path("onboarding")).write_database("events", url)
            monkeypatch.setenv(DATABASE_ENV, url)
            at = open_app("pages/data.py")
            at.radio(key="jm_where").set_value("database").run()
            no_exception(at)
            assert ":***@" in " ".join(c.value.replace("\\", "") for c in at.caption)
            at.radio(key="jm_db_how").set_value("query").run()
            at.text_area(key="jm_db_query").input("SELECT * FROM nowhere").run()
            shown = everything_shown(at)
            assert at.error and "127.0.0.1" in shown and "nowhere" in shown  # the walk does see the page's text
            assert SECRET not in shown
            at.text_area(key="jm_db_query").input("SELECT * FROM events").run()
            at = show_map(at)
            assert SECRET not in everything_shown(at) and SECRET not in loaded_log(at).source
            at.switch_page("pages/map.py").run()
            no_exception(at)
            assert SECRET not in everything_shown(at)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


class TestIngestedLogs:
    def test_an_ingested_log_opens_its_map_without_a_column_step(self, monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path, csv_figures: dict) -> None:
        ingest_log(read_events(sample_events_path("onboarding")), tmp_path / "onboarding")
        (tmp_path / "not-ingested").mkdir()
        monkeypatch.setenv(INGESTED_ENV, str(tmp_path))
        at = open_app("pages/data.py")
        at.radio(key="jm_where").set_value("ingested").run()
        no_exception(at)
        assert at.selectbox(key="jm_ingested").options == ["onboarding"]
        assert not [box for box in at.selectbox if (box.key or "").startswith("jm_roles_")]  # no column pickers
        at = show_map(at)
        log = loaded_log(at)
        assert CASE_CODE in log.frame.columns  # the ingested frame itself, codes and all
        assert (
            metrics_summary(compute_metrics(log.frame, load_journey(sample_journey_path("onboarding")))) == csv_figures
        )
        at.switch_page("pages/map.py").run()
        no_exception(at)
