"""The Data page with AppTest: good files open their map, bad files get the right message."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_driver import chart_specs, no_exception, open_app
from streamlit import config
from streamlit.testing.v1 import AppTest

from journeymap.journey.samples import sample_events_path, sample_journey_path

TEST_DATA = Path(__file__).resolve().parents[1] / "data"
REAL = TEST_DATA / "real"  # public logs in the repository (CC BY 4.0)
OWN = TEST_DATA / "own"  # logs written for the tests
ROLES = ("case", "activity", "timestamp", "start_timestamp", "lifecycle")


def upload(at: AppTest, name: str, content: bytes, *, how: str = "draft", journey: tuple[str, bytes] | None = None,
           load: bool = True) -> AppTest:
    """Upload an event log (and maybe a journey) on the Data page and press 'Show the map'."""
    at.file_uploader(key="jm_upload_log").upload(name, content)
    at.run()
    no_exception(at)
    if at.error or not load:
        return at
    at.radio(key="jm_journey_how").set_value(how).run()
    if journey is not None:
        at.file_uploader(key="jm_upload_yaml").upload(*journey)
        at.run()
    at.button(key="jm_load").click().run()
    no_exception(at)
    return at


def roles_shown(at: AppTest) -> dict[str, str]:
    """The column picked for each role in the column mapping."""
    return {role: box.value for role in ROLES for box in at.selectbox
            if box.key and re.fullmatch(rf"jm_roles_[0-9a-f]+_{role}", box.key)}


def messages(at: AppTest) -> str:
    """Every error, warning, success and toast text on the page, unescaped."""
    texts = [m.value for kind in (at.error, at.warning, at.success, at.toast) for m in kind]
    return " ".join(texts).replace("\\", "")


@pytest.fixture
def data_page() -> AppTest:
    """The app opened on its Data page."""
    return open_app("pages/data.py")


class TestGoodFiles:
    def test_xes_with_a_drafted_journey_shows_its_map(self, data_page: AppTest) -> None:
        """The helpdesk XES log, drafted into a journey, opens its map; it can be picked in the sidebar."""
        at = upload(data_page, "helpdesk.xes.gz", (REAL / "helpdesk.xes.gz").read_bytes())
        assert at.title[0].value == "Drafted from helpdesk"
        assert "All 21,348 rows read." in messages(at)
        assert not at.success, "good news is a toast: a box would push the map's legend off a 1280x720 screen"
        assert chart_specs(at) and '"name": "step"' in chart_specs(at)[0].replace('":"', '": "')
        assert at.query_params["journey"] == "upload-1"
        picker = at.selectbox(key="jm_w_journey")
        assert picker.value == "upload-1" and "Drafted from helpdesk (upload 1)" in picker.options

    def test_csv_with_its_journey_yaml_shows_the_designed_map(self, data_page: AppTest) -> None:
        """A CSV log with a journey YAML opens that journey's map, hotspots and all."""
        at = upload(data_page, "my_onboarding.csv.gz", sample_events_path("onboarding").read_bytes(), how="yaml",
                    journey=("onboarding.yaml", sample_journey_path("onboarding").read_bytes()))
        assert at.title[0].value == "Employee onboarding"
        assert at.query_params["journey"] == "upload-1"
        assert "①" in " ".join(m.value for m in at.markdown)

    def test_detected_roles_are_preselected_with_a_preview(self, data_page: AppTest) -> None:
        """Column roles found from the names are preselected, start times included, above a preview."""
        at = upload(data_page, "interval.csv", (OWN / "interval.csv").read_bytes(), load=False)
        assert roles_shown(at) == {"case": "case:concept:name", "activity": "concept:name",
                                   "timestamp": "time:timestamp", "start_timestamp": "start_timestamp",
                                   "lifecycle": ""}
        assert len(at.dataframe[0].value) == 8

    def test_skipped_rows_are_counted(self, data_page: AppTest) -> None:
        """Rows without a timestamp are skipped and counted in a readable warning."""
        rows = "case_id,activity,timestamp\n" + "".join(
            f"C{i},{step},2026-01-0{day}T10:00:00Z\n" for i in range(1, 6) for day, step in ((1, "A"), (2, "B")))
        at = upload(data_page, "gaps.csv", (rows + "C9,A,\nC9,B,not a time\n").encode())
        assert "2 of 12 rows skipped: 2 without a readable timestamp in 'timestamp'." in messages(at)
        assert at.title[0].value == "Drafted from gaps"

    def test_a_milestone_export_with_a_status_column_is_read_as_events(self, data_page: AppTest) -> None:
        """An HR export (one row per employee, a date column per step, the employee's Status): the case, the
        activity and the timestamp reading made are preselected, and the toast counts date cells, not rows."""
        rows = "".join(f"E{i:03d},{'IT' if i % 3 else 'Ops'},{'Active' if i % 2 else 'Onboarding'},"
                       f"0{1 + i % 5}/03/2024,1{i % 9}/03/2024,2{i % 8}/03/2024\n" for i in range(30))
        content = ("Employee ID,Department,Status,Offer signed,Laptop shipped,First login\n" + rows).encode()
        at = upload(data_page, "hires.csv", content, load=False)
        assert roles_shown(at) == {"case": "Employee ID", "activity": "activity", "timestamp": "timestamp",
                                   "start_timestamp": "", "lifecycle": ""}
        at.button(key="jm_load").click().run()
        no_exception(at)
        assert "All 90 date cells read." in messages(at)
        assert at.title[0].value == "Drafted from hires"

    def test_the_milestone_reading_can_be_turned_off(self, data_page: AppTest) -> None:
        """Turned off, the file's own rows are the table and the roles are those detected from them; turned on
        again, the roles the reading made come back. Each file has its own switch."""
        import polars as pl

        from journeymap.log.contentroles import detect_table_roles

        content = ("Employee ID,Worker,Offer signed,First login\n"
                   + "".join(f"E{i},W{i % 3},0{1 + i % 5}/03/2024,2{i % 8}/03/2024\n" for i in range(20))).encode()
        at = upload(data_page, "hires.csv", content, load=False)
        made = {"case": "Employee ID", "activity": "activity", "timestamp": "timestamp", "start_timestamp": "",
                "lifecycle": ""}
        assert roles_shown(at) == made
        (switch,) = [t for t in at.toggle if t.label.startswith("Read one row per case")]
        switch.set_value(False).run()
        no_exception(at)
        rows = detect_table_roles(pl.read_csv(content, infer_schema_length=0))
        assert list(at.dataframe[0].value.columns) == ["Employee ID", "Worker", "Offer signed", "First login"]
        assert roles_shown(at) == {role: getattr(rows, role) or "" for role in made}
        assert roles_shown(at) != made
        at.toggle(key=switch.key).set_value(True).run()
        no_exception(at)
        assert roles_shown(at) == made
        at.button(key="jm_load").click().run()
        no_exception(at)
        assert "All 40 date cells read." in messages(at)

    def test_a_milestone_table_too_large_as_events_is_read_as_its_rows(self, data_page: AppTest,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
        """Past the cells limit the page says so, with the limit's name, and shows the file's own rows."""
        monkeypatch.setenv("JOURNEYMAP_MAX_MILESTONE_CELLS", "10")
        content = ("Employee ID,Offer signed,First login\n"
                   + "".join(f"E{i},0{1 + i % 5}/03/2024,2{i % 8}/03/2024\n" for i in range(20))).encode()
        at = upload(data_page, "hires.csv", content, load=False)
        warned = " ".join(w.value for w in at.warning).replace("\\", "")
        assert "would hold 120 cells" in warned and "JOURNEYMAP_MAX_MILESTONE_CELLS" in warned
        assert "Its rows are read as they are instead" in warned
        assert list(at.dataframe[0].value.columns) == ["Employee ID", "Offer signed", "First login"]

    def test_far_dated_events_and_a_newest_first_file_are_said_beside_the_map(self, data_page: AppTest) -> None:
        """A file written newest first, with a case dated 1948 among 2026: the Data page and the map say both,
        naming the file; the events are all kept."""
        rows = [f"C{i},{step},2026-01-{day:02d}T10:00:00Z" for i in range(1, 40) for day, step in ((1 + i % 20, "A"),
                                                                                                  (2 + i % 20, "B"))]
        rows.append("C99,A,1948-01-29T10:00:00Z")
        content = ("case_id,activity,timestamp\n" + "\n".join(reversed(rows)) + "\n").encode()
        at = upload(data_page, "old.csv", content, load=False)
        infos = " ".join(box.value for box in at.info).replace("\\", "")
        assert "old.csv: its rows run newest first" in infos
        assert "old.csv: 1 event is dated far from the rest of the log (1948-01-29, where most events lie" in infos
        at.button(key="jm_load").click().run()
        no_exception(at)
        beside_map = " ".join(box.value for box in at.info).replace("\\", "")
        assert "1 event is dated far from the rest" in beside_map and "All 79 rows read." in messages(at)


class TestBadFiles:
    @pytest.mark.parametrize("name, content, expected", [
        ("empty.csv", b"", "empty.csv: the file is empty"),
        ("header_only.csv", b"case_id,activity,timestamp\n", "header_only.csv: has a header but no rows"),
        ("broken.parquet", b"this is not parquet", "broken.parquet: could not be read as Parquet"),
        ("broken.xes", b"<log><trace><event>", "broken.xes"),
    ])
    def test_unreadable_file(self, data_page: AppTest, name: str, content: bytes, expected: str) -> None:
        """A file that cannot be read gets one sentence naming it, and no column mapping."""
        at = upload(data_page, name, content)
        assert expected in messages(at), messages(at)
        assert not roles_shown(at), "no column mapping for a file that cannot be read"

    def test_unreadable_timestamps(self, data_page: AppTest) -> None:
        """Timestamps in an unknown format give an error naming the column and an example value."""
        at = upload(data_page, "dates.csv", b"case_id,activity,timestamp\n1,A,Monday morning\n1,B,Tuesday noon\n")
        assert "column 'timestamp' has no readable timestamps (for example 'Monday morning')" in messages(at)
        assert at.title[0].value == "Your data"

    def test_missing_role_column(self, data_page: AppTest) -> None:
        """A log whose timestamp column is not recognised asks for it to be picked."""
        at = upload(data_page, "when.csv", b"case_id,activity,wann\n1,A,Montag\n")
        assert roles_shown(at)["timestamp"] == ""
        assert "when.csv: choose a column for Timestamp." in messages(at)

    def test_bad_journey_yaml_names_the_line(self, data_page: AppTest) -> None:
        """A journey YAML with a syntax error is refused with its file and line."""
        at = upload(data_page, "log.csv.gz", sample_events_path("onboarding").read_bytes(), how="yaml",
                    journey=("bad.yaml", b"id: x\nname: [unclosed\nsteps: []\n"))
        assert "bad.yaml, line" in messages(at)
        assert at.title[0].value == "Your data"

    def test_yaml_choice_without_a_file(self, data_page: AppTest) -> None:
        """Choosing a YAML journey but not giving one says what to do."""
        at = upload(data_page, "log.csv.gz", sample_events_path("onboarding").read_bytes(), how="yaml")
        assert "Choose a journey definition file (.yaml) first" in messages(at)

    def test_over_the_size_limit(self, data_page: AppTest) -> None:
        """A file over server.maxUploadSize is refused with its size and the limit."""
        config.set_option("server.maxUploadSize", 1)
        try:
            at = upload(data_page, "big.csv.gz", gzip.compress(b"x" * 10) + b"\0" * 2_200_000)
        finally:
            config.set_option("server.maxUploadSize", 200)
        assert "The file is 2.1 MB; uploads are limited to 1 MB." in messages(at)


@pytest.fixture(autouse=True)
def _restore_upload_limit() -> Iterator[None]:
    yield
    config.set_option("server.maxUploadSize", 200)
