"""The Data page's other places events can come from: a database the server is set up with, an ingested folder.

Neither is typed in on the page. The database URL (with its password) comes from the server's
environment (`JOURNEYMAP_EVENTS_DATABASE_URL`) or the app's secrets (`events_database_url` in
.streamlit/secrets.toml), and the page shows it only with the password masked; the person at the
screen picks a table or writes a query. Ingested folders (`journeymap ingest`) are offered from the
folder `JOURNEYMAP_INGESTED_DIR` names (itself, or the ingested folders inside it). Without either
setting the page offers files only, as before.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import streamlit as st

from journeymap.core.errors import JourneyError
from journeymap.log.dbsource import DATABASE_ENV, DatabaseQuery, database_tables, masked, read_database
from journeymap.log.eventlog import EventLog
from journeymap.log.ingest import MANIFEST, is_ingested, read_ingested
from journeymap.ui import data
from journeymap.ui.text import md
from journeymap.ui.upload import Upload

__all__ = ["FILE", "DATABASE", "INGESTED", "INGESTED_ENV", "SECRET_KEY", "database_url", "ingested_folders",
           "choose_where", "database_table", "ingested_log", "shown_frame"]

FILE, DATABASE, INGESTED = "file", "database", "ingested"
INGESTED_ENV = "JOURNEYMAP_INGESTED_DIR"
SECRET_KEY = "events_database_url"
_TABLE, _QUERY = "table", "query"


def database_url() -> str | None:
    """The events database URL the server is set up with: the environment first, then the app's secrets."""
    url = os.environ.get(DATABASE_ENV, "").strip()
    if url:
        return url
    try:
        found = st.secrets.get(SECRET_KEY)
    except Exception:  # no secrets file at all: Streamlit raises rather than answering None
        return None
    return str(found).strip() or None if found else None


def ingested_folders() -> dict[str, Path]:
    """The ingested folders on offer: name -> path (the configured folder, or the ingested ones inside it)."""
    setting = os.environ.get(INGESTED_ENV, "").strip()
    if not setting:
        return {}
    root = Path(setting)
    if is_ingested(root):
        return {root.name: root}
    if not root.is_dir():
        return {}
    return {child.name: child for child in sorted(root.iterdir()) if is_ingested(child)}


def choose_where() -> str:
    """Where the events come from: a file, unless the server offers a database or ingested folders too."""
    options = [FILE, *([DATABASE] if database_url() else []), *([INGESTED] if ingested_folders() else [])]
    if len(options) == 1:
        return FILE
    labels = {FILE: "A file", DATABASE: "The events database", INGESTED: "An ingested log (fast)"}
    return st.radio("Where the events are", options, format_func=labels.get, key="jm_where", horizontal=True)


def database_table() -> tuple[Upload, pl.DataFrame]:
    """The rows of a table or query of the configured database, read once per choice; stops the page on an error."""
    url = database_url() or ""
    st.caption(md(f"Reading from {masked(url)}, as the server is set up ({DATABASE_ENV} or the app's secrets). "
                  "The rows are read only; nothing is written to the database."))
    how = st.radio("Read", [_TABLE, _QUERY], key="jm_db_how", horizontal=True,
                   format_func={_TABLE: "A table", _QUERY: "A query"}.get)
    try:
        if how == _TABLE:
            tables = _tables(data.content_key(url), url)
            if not tables:
                raise JourneyError(f"{masked(url)}: has no tables this user can read.")
            table = st.selectbox("Table", tables, key="jm_db_table")
            query = DatabaseQuery(url, table=table)
        else:
            text = st.text_area("Query (one row per event)", key="jm_db_query", height=100,
                                placeholder="SELECT ticket_id, status, changed_at, team FROM ticket_history "
                                            "WHERE changed_at >= '2026-01-01'")
            if not text.strip():
                st.info("Write a SELECT that gives one row per event: a case id, an activity and a timestamp.",
                        icon=":material/info:")
                st.stop()
            query = DatabaseQuery(url, query=text)
        frame = _rows(data.content_key(url, query.table or "", query.query or ""), query)
    except JourneyError as error:
        st.error(md(str(error)), icon=":material/error:")
        st.stop()
    # The cache key of the rows, never the URL: nothing derived from the password is kept in the upload.
    content = data.content_key(masked(url), query.table or "", query.query or "").encode()
    return Upload(query.name, content), frame


def ingested_log() -> tuple[Upload, EventLog]:
    """The events of the ingested folder picked (read once per folder and manifest); stops the page on an error."""
    folders = ingested_folders()
    name = st.selectbox("Ingested log", list(folders), key="jm_ingested")
    folder = folders[name]
    try:
        manifest = (folder / MANIFEST).read_bytes()
        log = _ingested(data.content_key(str(folder), manifest), folder)
    except (JourneyError, OSError) as error:
        st.error(md(str(error)), icon=":material/error:")
        st.stop()
    st.caption(md(f"{name}: ingested from {log.source}; its columns were chosen when it was ingested (case "
                  f"'{log.roles.case}', activity '{log.roles.activity}', timestamp '{log.roles.timestamp}')."))
    return Upload(f"{name} (ingested)", str(folder).encode() + b"\0" + manifest), log


def shown_frame(log: EventLog) -> pl.DataFrame:
    """An ingested log's first rows as a person reads them: without the engine's code columns."""
    return log.frame.head(8).select("case", "activity", pl.from_epoch("ts", time_unit="us").alias("timestamp"),
                                    *log.attributes)


@st.cache_resource(show_spinner="Listing the tables…", max_entries=4, ttl=300)
def _tables(key: str, _url: str) -> list[str]:
    return database_tables(_url)


@st.cache_resource(show_spinner="Reading the rows from the database…", max_entries=4, ttl=600)
def _rows(key: str, _query: DatabaseQuery) -> pl.DataFrame:
    return read_database(_query)


@st.cache_resource(show_spinner="Reading the ingested log…", max_entries=2)
def _ingested(key: str, _folder: Path) -> EventLog:
    return read_ingested(_folder)
