"""Twenty people voting at once, from threads and from separate processes, on SQLite and PostgreSQL.

Run as a script, this file is the voting process the process tests start:
`python test_store_concurrency.py URL ATTEMPTS TOKEN...` waits for "go" on stdin, casts ATTEMPTS
single dots per token (one thread per token) and prints {token: [accepted, refused]} as JSON.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from journeymap.workshop.access import BudgetExceeded
from journeymap.workshop.store import WorkshopStore
from test_store import database_url, postgres_database  # noqa: F401  (the engines every store test runs on)

STEPS = ["offer", "laptop", "accounts", "day1"]
PEOPLE = 20


def cast_many(store: WorkshopStore, token: str, attempts: int, start: threading.Barrier | None = None,
              seed: int = 0, n: int = 1) -> tuple[int, int]:
    """Try to cast `attempts` times `n` dots on random steps; count the accepted and refused casts."""
    rng = random.Random(seed)
    if start is not None:
        start.wait()
    accepted = refused = 0
    for _ in range(attempts):
        try:
            store.cast_vote(token, rng.choice(STEPS), n)
            accepted += 1
        except BudgetExceeded:
            refused += 1
    return accepted, refused


@pytest.fixture
def store(database_url: str) -> Iterator[WorkshopStore]:  # noqa: F811
    """A store on an empty database, closed after the test."""
    with WorkshopStore(database_url) as opened:
        yield opened


class TestThreads:
    def test_twenty_participants_voting_at_once(self, store: WorkshopStore) -> None:
        """20 participants with 5 dots each try 8 casts at the same moment: each places exactly 5, tally 100."""
        workshop = store.create_workshop("Crowd", "onboarding", votes_per_participant=5)
        tokens = [store.join(workshop.join_code, f"P{i}").token or "" for i in range(PEOPLE)]
        start = threading.Barrier(PEOPLE)
        with ThreadPoolExecutor(PEOPLE) as pool:
            outcomes = list(pool.map(lambda i: cast_many(store, tokens[i], 8, start, seed=i), range(PEOPLE)))
        assert outcomes == [(5, 3)] * PEOPLE
        tally = store.tally(workshop.facilitator_token or "") or {}
        assert sum(tally.values()) == 5 * PEOPLE
        assert Counter(tally) == sum((Counter(store.my_votes(token)) for token in tokens), Counter())

    @pytest.mark.parametrize("n, budget, accepted", [(1, 7, 7), (2, 7, 3)])
    def test_one_participant_from_twenty_tabs(self, store: WorkshopStore, n: int, budget: int, accepted: int) -> None:
        """20 simultaneous casts with one participant's key never exceed the budget, and no cast is half-placed."""
        workshop = store.create_workshop("Tabs", "onboarding", votes_per_participant=budget)
        token = store.join(workshop.join_code, "Ann").token or ""
        start = threading.Barrier(PEOPLE)
        with ThreadPoolExecutor(PEOPLE) as pool:
            outcomes = list(pool.map(lambda i: cast_many(store, token, 1, start, seed=i, n=n), range(PEOPLE)))
        assert sum(a for a, _ in outcomes) == accepted and sum(r for _, r in outcomes) == PEOPLE - accepted
        assert sum((store.tally(workshop.facilitator_token or "") or {}).values()) == accepted * n

    def test_casting_and_retracting_at_once(self, store: WorkshopStore) -> None:
        """Random casts and retractions by 20 people leave each person's dots exactly as they saw them acknowledged."""
        workshop = store.create_workshop("Churn", "onboarding", votes_per_participant=4)
        tokens = [store.join(workshop.join_code, f"P{i}").token or "" for i in range(PEOPLE)]
        start = threading.Barrier(PEOPLE)

        def churn(i: int) -> Counter[str]:
            rng, mine = random.Random(i), Counter[str]()
            start.wait()
            for _ in range(15):
                step = rng.choice(STEPS)
                if rng.random() < 0.35 and mine[step]:
                    store.retract_vote(tokens[i], step)
                    mine[step] -= 1
                else:
                    try:
                        store.cast_vote(tokens[i], step)
                        mine[step] += 1
                    except BudgetExceeded:
                        assert sum(mine.values()) == 4
            return +mine

        with ThreadPoolExecutor(PEOPLE) as pool:
            expected = list(pool.map(churn, range(PEOPLE)))
        assert [Counter(store.my_votes(token)) for token in tokens] == expected
        assert Counter(store.tally(workshop.facilitator_token or "")) == sum(expected, Counter())


class TestTwentyWriters:
    def test_every_writer_gets_its_confirmation_and_every_note_is_stored(self, store: WorkshopStore) -> None:
        """20 participants each press "Add note" 5 times at the same moment: every press returns its note (the
        page's "saved"), and the 100 notes are all stored, each with its author and words."""
        workshop = store.create_workshop("Crowd", "onboarding")
        people = [store.join(workshop.join_code, f"P{i}") for i in range(PEOPLE)]
        start = threading.Barrier(PEOPLE)

        def press(i: int) -> list[tuple[int, str, str]]:
            start.wait()
            confirmed = []
            for n in range(5):
                note = store.add_note(people[i].token or "", STEPS[n % len(STEPS)], "pain", f"{i}-{n}")
                store.workshop(people[i].token or "")  # the rerun that draws "saved" reads as it writes
                confirmed.append((note.id, note.author, note.text))
            return confirmed

        with ThreadPoolExecutor(PEOPLE) as pool:
            confirmed = [c for result in pool.map(press, range(PEOPLE)) for c in result]
        stored = {(n.id, n.author, n.text) for n in store.list_notes(workshop.facilitator_token or "")}
        assert len(confirmed) == 5 * PEOPLE and set(confirmed) == stored
        assert {text for _, _, text in stored} == {f"{i}-{n}" for i in range(PEOPLE) for n in range(5)}
        assert all(author == f"P{text.split('-')[0]}" for _, author, text in stored)


class TestProcesses:
    def run_voters(self, url: str, groups: list[list[str]], attempts: int) -> dict[str, list[int]]:
        """Start one process per group of tokens, release them together, and merge what they report."""
        processes = [subprocess.Popen([sys.executable, __file__, url, str(attempts), *group],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for group in groups]
        try:
            for process in processes:  # every process has its store open before anyone votes
                assert process.stdout is not None and process.stdout.readline().strip() == "ready"
            for process in processes:
                assert process.stdin is not None
                process.stdin.write("go\n")
                process.stdin.flush()
            merged: dict[str, list[int]] = {}
            for process in processes:
                out, err = process.communicate(timeout=120)
                assert process.returncode == 0, err
                for token, (accepted, refused) in json.loads(out).items():
                    totals = merged.setdefault(token, [0, 0])
                    totals[0] += accepted
                    totals[1] += refused
            return merged
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()

    def test_twenty_participants_in_four_processes(self, store: WorkshopStore, database_url: str) -> None:  # noqa: F811
        """Four app processes with five voters each: every participant places exactly their 5 dots, tally 100."""
        workshop = store.create_workshop("Processes", "onboarding", votes_per_participant=5)
        tokens = [store.join(workshop.join_code, f"P{i}").token or "" for i in range(PEOPLE)]
        outcomes = self.run_voters(database_url, [tokens[i::4] for i in range(4)], attempts=8)
        assert outcomes == {token: [5, 3] for token in tokens}
        assert sum((store.tally(workshop.facilitator_token or "") or {}).values()) == 5 * PEOPLE
        assert all(sum(store.my_votes(token).values()) == 5 for token in tokens)

    def test_one_participant_in_four_processes(self, store: WorkshopStore, database_url: str) -> None:  # noqa: F811
        """The same participant voting from four processes at once gets exactly their budget of 13 dots."""
        workshop = store.create_workshop("One key", "onboarding", votes_per_participant=13)
        token = store.join(workshop.join_code, "Ann").token or ""
        outcomes = self.run_voters(database_url, [[token]] * 4, attempts=10)
        assert outcomes == {token: [13, 27]}
        assert sum(store.my_votes(token).values()) == 13 and store.votes_left(token) == 0


def _voter_process(url: str, attempts: int, tokens: list[str]) -> None:
    """Open the store, say ready, wait for go, vote from one thread per token, report as JSON."""
    store = WorkshopStore(url)
    print("ready", flush=True)
    assert sys.stdin.readline().strip() == "go"
    start = threading.Barrier(len(tokens))
    with ThreadPoolExecutor(len(tokens)) as pool:
        outcomes = list(pool.map(lambda i: cast_many(store, tokens[i], attempts, start, seed=i), range(len(tokens))))
    store.close()
    print(json.dumps({token: list(outcome) for token, outcome in zip(tokens, outcomes, strict=True)}), flush=True)


if __name__ == "__main__":
    _voter_process(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
