"""Nothing acknowledged is lost: SIGKILL a process in the middle of a workshop, reopen, check everything.

Run as a script, this file is that process: `python test_store_kill.py URL FACILITATOR PARTICIPANT ITEM`
adds notes, edits them, places dots and edits a backlog item in an endless loop, printing one JSON
line per action only after the store has returned (that is, committed) it.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import make_url

from journeymap.workshop.backlog import BacklogItem
from journeymap.workshop.store import WorkshopStore
from test_store import database_url, postgres_database  # noqa: F401  (the engines every store test runs on)

ACKS_BEFORE_KILL = 150


@pytest.fixture
def store(database_url: str) -> Iterator[WorkshopStore]:  # noqa: F811
    """A store on an empty database, closed after the test."""
    with WorkshopStore(database_url) as opened:
        yield opened


def run_and_kill(args: list[str], acks: int) -> tuple[list[dict[str, Any]], int]:
    """Start the writer, SIGKILL it once it has acknowledged `acks` actions; every line it printed, and its code."""
    process = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    watchdog = threading.Timer(120, process.kill)  # a hung writer fails the test instead of hanging it
    watchdog.start()
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while len(lines) < acks:
            line = process.stdout.readline()
            assert line, f"the writer stopped by itself: {process.stderr.read() if process.stderr else ''}"
            lines.append(line)
        os.kill(process.pid, signal.SIGKILL)  # mid-loop: the next write is already under way
        out, _ = process.communicate(timeout=60)
        lines += out.splitlines()  # printed before the kill: acknowledged too
    finally:
        watchdog.cancel()
    return [json.loads(line) for line in lines if line.strip()], process.returncode


class TestKill:
    def test_every_acknowledged_write_survives_sigkill(self, store: WorkshopStore,
                                                       database_url: str) -> None:  # noqa: F811
        """Killed mid-workshop twice (restarted between), every acknowledged note, edit, dot and backlog edit stays."""
        workshop = store.create_workshop("Kill", "onboarding", votes_per_participant=100)
        key = workshop.facilitator_token or ""
        ann = store.join(workshop.join_code, "Ann").token or ""
        item = store.save_backlog_item(key, BacklogItem("Kept", reach=10, impact=1, confidence=0.5, effort=1))
        store.close()

        rounds = []
        for _ in range(2):  # the second writer starts on whatever the first one's kill left behind
            acks, code = run_and_kill([database_url, key, ann, str(item.id)], ACKS_BEFORE_KILL)
            assert code == -signal.SIGKILL and len(acks) >= ACKS_BEFORE_KILL
            rounds.append(acks)
        everything = rounds[0] + rounds[1]

        if make_url(database_url).get_backend_name() == "sqlite":
            with sqlite3.connect(make_url(database_url).database or "") as raw:
                assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            raw.close()
        with WorkshopStore(database_url) as reopened:
            notes = {note.id: note.text for note in reopened.list_notes(key)}
            expected = {ack["id"]: ack["text"] for ack in everything if ack["action"] in ("note", "edit")}
            for acks in rounds:  # each kill may land after a commit and before its acknowledgement
                last = [ack for ack in acks if ack["action"] == "note"][-1]
                if notes.get(last["id"]) == f"edited {last['i']}":
                    expected[last["id"]] = notes[last["id"]]
            assert {note_id: notes.get(note_id) for note_id in expected} == expected
            assert len(notes) <= len([ack for ack in everything if ack["action"] == "note"]) + len(rounds)

            dots = Counter(ack["step"] for ack in everything if ack["action"] == "vote")
            placed = Counter(reopened.my_votes(ann))
            assert placed >= dots and sum(placed.values()) <= sum(dots.values()) + len(rounds)

            last_edit = [ack["effort"] for ack in rounds[-1] if ack["action"] == "backlog"][-1]
            [kept] = reopened.list_backlog(key)
            assert kept.effort in (last_edit, last_edit + 1) and kept.notes == f"edit {kept.effort:g}"


def _writer(url: str, key: str, token: str, item_id: int) -> None:
    """Write forever, printing each action after the store has acknowledged it."""
    store = WorkshopStore(url)
    [item] = [item for item in store.list_backlog(key) if item.id == item_id]

    def ack(action: str, **fields: object) -> None:
        print(json.dumps({"action": action, **fields}), flush=True)

    for i in itertools.count():
        step = f"step{i % 4}"
        note = store.add_note(token, step, "idea", f"note {i} <script>x</script>")
        ack("note", id=note.id, text=note.text, i=i)
        if i % 3 == 0:
            edited = store.edit_note(token, note.id, text=f"edited {i}")
            ack("edit", id=edited.id, text=edited.text)
        if i % 2 == 0 and store.votes_left(token):
            store.cast_vote(token, step)
            ack("vote", step=step)
        item = store.save_backlog_item(key, replace(item, effort=float(i + 1), notes=f"edit {i + 1}"))
        ack("backlog", effort=item.effort)


if __name__ == "__main__":
    _writer(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
