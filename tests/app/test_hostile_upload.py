"""The hostile catalogue through the app's upload path: each file gets its sentence in an st.error, or reads.

No run may raise (no red exception box), and no session may be left "running": a file that the
issue saw kill the script thread (a NUL byte in the header, UTF-16) ends its run like any other.
"""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

import pytest
from app_driver import no_exception, open_app
from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the catalogue lives beside the library tests
from hostile_files import CATALOGUE, Hostile  # noqa: E402


def _unescaped(texts: list[str]) -> str:
    return " ".join(texts).replace("\\", "")


def _upload(at: AppTest, hostile: Hostile) -> AppTest:
    at.file_uploader(key="jm_upload_log").upload(hostile.name, hostile.make())
    at.run()
    no_exception(at)
    return at


@pytest.mark.parametrize("hostile", CATALOGUE, ids=lambda h: h.id)
def test_upload_answer(hostile: Hostile, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sentence in one st.error (and nothing after it), or the columns step of a file that reads."""
    for key, value in hostile.env.items():
        monkeypatch.setenv(key, value)  # the reading process inherits the server's environment
    at = _upload(open_app("pages/data.py"), hostile)
    errors = [e.value for e in at.error]
    if hostile.answer is not None:
        assert len(errors) == 1, errors
        assert re.search(hostile.answer, _unescaped(errors)), errors
        assert not [s for s in at.subheader if "Columns" in s.value]
        return
    assert not errors, errors
    caption = _unescaped([c.value for c in at.caption])
    assert f"{hostile.name}: {hostile.reads['rows']:,} rows" in caption, caption
    if "note" in hostile.reads:
        assert str(hostile.reads["note"]) in _unescaped([i.value for i in at.info])


def test_a_sheet_can_be_picked_and_the_log_loads() -> None:
    """A workbook of several sheets gets a picker: the default reads Jan and Feb together, Feb alone on request."""
    months = next(h for h in CATALOGUE if h.name == "months.xlsx")
    at = _upload(open_app("pages/data.py"), months)
    picker = at.selectbox(key="jm_log_sheet")
    assert picker.options[1:] == ["Jan · 250 rows", "Feb · 200 rows", "Notes · 1 rows"] or \
        picker.options[1:] == ["Jan · 250 rows", "Feb · 200 rows", "Notes · 1 row"]
    picker.set_value("Feb").run()
    no_exception(at)
    assert "months.xlsx: 200 rows" in _unescaped([c.value for c in at.caption])
    at.button(key="jm_load").click().run()
    no_exception(at)
    assert not at.error
    assert "All 200 rows read." in _unescaped([m.value for kind in (at.toast, at.warning) for m in kind])


def test_stray_xes_events_are_counted_when_loaded() -> None:
    """An event outside any trace is not dropped silently: the load message counts it."""
    stray = next(h for h in CATALOGUE if h.name == "stray.xes")
    at = _upload(open_app("pages/data.py"), stray)
    at.button(key="jm_load").click().run()
    no_exception(at)
    shown = _unescaped([m.value for kind in (at.toast, at.warning, at.error) for m in kind])
    assert "1 of 3 rows skipped: 1 outside any trace." in shown, shown


def test_a_file_over_the_memory_budget_gets_a_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reading process that runs out of its memory budget ends in one sentence naming the budget.

    The reader limit is raised out of the way, so that only the budget stops 2.5 GB of CSV (40
    gzip members of 64 MB each) from being held; the libraries alone reserve some 1.5 GB of address space.
    """
    monkeypatch.setenv("JOURNEYMAP_UPLOAD_MEMORY_MB", "2048")
    monkeypatch.setenv("JOURNEYMAP_MAX_DECOMPRESSED_MB", "100000")
    member = gzip.compress(b"c1,a,2024-01-01 10:00\n" * ((64 << 20) // 22), 1)
    huge = Hostile("huge.csv.gz", lambda: gzip.compress(b"case,activity,timestamp\n") + member * 40, None)
    at = _upload(open_app("pages/data.py"), huge)
    errors = _unescaped([e.value for e in at.error])
    assert "huge.csv.gz: reading it needed more than 2,048 MB of memory" in errors, errors
    assert "JOURNEYMAP_UPLOAD_MEMORY_MB=4096" in errors


def test_a_small_file_reads_within_a_small_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """The budget that refuses the file above reads an ordinary log: it is the file, not the process, that is big."""
    monkeypatch.setenv("JOURNEYMAP_UPLOAD_MEMORY_MB", "2048")
    utf16 = next(h for h in CATALOGUE if h.name == "utf16.csv")
    at = _upload(open_app("pages/data.py"), utf16)
    assert not at.error and "utf16.csv: 60 rows" in _unescaped([c.value for c in at.caption])
