"""Reading in a child process: the same tables as reading in the process, and a sentence past each budget."""

from __future__ import annotations

import pytest

from hostile_files import CATALOGUE
from journeymap.core.errors import JourneyError
from journeymap.log.isolate import read_file_isolated
from journeymap.log.readers import read_file


def _hostile(name: str) -> bytes:
    return next(h for h in CATALOGUE if h.name == name).make()


@pytest.mark.parametrize("name", ["months.xlsx", "stray.xes", "lists.parquet", "utf16.csv"])
def test_same_tables_notes_and_counts_as_in_process(name: str) -> None:
    """Every table (each sheet of a workbook), note and count arrives through the pipe unchanged."""
    content = _hostile(name)
    here, there = read_file(content, name=name), read_file_isolated(content, name)
    assert there.table().frame.equals(here.table().frame)
    assert (there.table().notes, there.table().skipped) == (here.table().notes, here.table().skipped)
    assert [s.name for s in there.sheets] == [s.name for s in here.sheets]


def test_a_refusal_is_the_readers_sentence() -> None:
    with pytest.raises(JourneyError, match=r"^nul\.csv, line 1, column 2: the header holds a NUL byte"):
        read_file_isolated(_hostile("nul.csv"), "nul.csv")


def test_past_the_time_budget_the_child_is_stopped_with_a_sentence() -> None:
    """A budget shorter than the child's start-up: killed, and the sentence names the budget and its variable."""
    with pytest.raises(JourneyError, match=r"^utf16\.csv: reading it took longer than 0\.2 s, the time one upload "
                                           r"may take; .*JOURNEYMAP_UPLOAD_SECONDS=0\.4"):
        read_file_isolated(_hostile("utf16.csv"), "utf16.csv", seconds=0.2)


def test_past_the_memory_budget_a_sentence() -> None:
    """Too little address space for the libraries themselves: the child fails and the sentence names the budget."""
    with pytest.raises(JourneyError, match=r"^utf16\.csv: reading it needed more than 512 MB of memory, the budget "
                                           r"of one upload; .*JOURNEYMAP_UPLOAD_MEMORY_MB=1024"):
        read_file_isolated(_hostile("utf16.csv"), "utf16.csv", memory_mb=512)
