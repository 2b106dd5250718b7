"""How long twenty participants writing at once wait for their "saved": confirmation latency, ours beside one writer.

    python benchmarks/bench_workshop.py                 # the store, as the pages call it (threads)
    python benchmarks/bench_workshop.py --browser       # the app itself: streamlit run + Chromium tabs
    python benchmarks/bench_workshop.py --people 40     # a bigger room

Store mode: each of N threads (one per participant, as the server runs one script thread per
session) does what the participant page does when "Add note" is pressed: the store call that
writes the note, then the reads of the rerun up to where the confirmation is drawn. Latency is
press to confirmation. The baseline is one participant writing alone, the same number of notes.

Browser mode: `streamlit run app.py` on a temporary database, the facilitator's board open in
one tab and N participant tabs (each its own browser context, so its own session and cookies).
All N press "Add note" within a moment; each tab's own clock records the press and the moment
"saved" shows. The baseline is one tab doing the same with nobody else writing.

Peak memory: the Python heap's peak during the run (tracemalloc) in store mode; the server's
resident peak (VmHWM) in browser mode. Target: every confirmation within 3 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 3.0
STEPS = ["offer_accepted", "contract_signed", "equipment_shipped", "first_login"]


def _row(label: str, latencies: list[float], peak_mb: float) -> str:
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (f"| {label:<34} | {len(ordered):>5} | {statistics.median(ordered):>7.3f} | {p95:>7.3f} | "
            f"{ordered[-1]:>7.3f} | {peak_mb:>9.1f} |")


def _table(rows: list[str]) -> None:
    print("| scenario                           | notes | p50 (s) | p95 (s) | max (s) | peak (MB) |")
    print("|------------------------------------|------:|--------:|--------:|--------:|----------:|")
    for row in rows:
        print(row)


# Store mode -------------------------------------------------------------------------------------
def _press_add_note(store: object, token: str, i: int) -> float:
    """One "Add note" as the participant page runs it; seconds until the confirmation is drawn."""
    started = time.perf_counter()
    store.add_note(token, STEPS[i % len(STEPS)], "pain", f"note {i}")  # type: ignore[attr-defined]  # the callback
    store.workshop(token)  # type: ignore[attr-defined]  # the rerun: ws.opened
    store.participant(token)  # type: ignore[attr-defined]  # "You are …"
    store.timer_remaining(token)  # type: ignore[attr-defined]  # the countdown, then note_form shows "saved"
    return time.perf_counter() - started


def _store_round(url: str, people: int, notes_each: int, together: bool) -> tuple[list[float], float, int]:
    from journeymap.workshop.store import WorkshopStore

    with WorkshopStore(url, joins_per_minute=10_000) as store:
        workshop = store.create_workshop("Bench", "onboarding")
        tokens = [store.join(workshop.join_code, f"P{i}").token or "" for i in range(people)]
        tracemalloc.start()
        if together:
            start = threading.Barrier(people)

            def person(index: int) -> list[float]:
                start.wait()
                return [_press_add_note(store, tokens[index], n) for n in range(notes_each)]

            with ThreadPoolExecutor(people) as pool:
                latencies = [s for result in pool.map(person, range(people)) for s in result]
        else:
            latencies = [_press_add_note(store, tokens[0], n) for n in range(people * notes_each)]
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        stored = len(store.list_notes(workshop.facilitator_token or ""))
    return latencies, peak, stored


def store_mode(people: int, notes_each: int, postgres: str | None) -> None:
    rows = []
    for label, together in ((f"{people} participants at once", True), ("1 participant alone (baseline)", False)):
        with tempfile.TemporaryDirectory() as folder:
            url = postgres or f"sqlite:///{Path(folder) / 'bench.sqlite'}"
            latencies, peak, stored = _store_round(url, people, notes_each, together)
            assert stored == people * notes_each, f"{stored} notes stored of {people * notes_each}"
            rows.append(_row(label, latencies, peak))
    print(f"Store: {people} participants x {notes_each} notes, {'PostgreSQL' if postgres else 'SQLite'} "
          f"(target: max <= {TARGET_S:g} s)")
    _table(rows)


# Browser mode -----------------------------------------------------------------------------------
_WATCH = """() => { window.__jm_seen = null; window.__jm_pressed = Date.now();
  const look = () => { if (window.__jm_seen === null && document.body.innerText.includes('saved.'))
    window.__jm_seen = Date.now(); };
  new MutationObserver(look).observe(document.body, {subtree: true, childList: true, characterData: true}); }"""


def _server_peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _browser_round(browser: object, url: str, tokens: list[str]) -> list[float]:
    pages = []
    for token in tokens:
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()  # type: ignore[attr-defined]
        page.set_default_timeout(120_000)
        begun = time.monotonic()
        page.goto(f"{url}/join?p={token}")
        page.get_by_text("dots left", exact=False).wait_for()
        page.get_by_role("combobox", name="Step").click()  # open a step, as a click on the map does
        page.get_by_role("option", name="Offer accepted", exact=True).click()
        print(f"tab {len(pages) + 1} open in {time.monotonic() - begun:.1f} s", file=sys.stderr)
        pages.append(page)
    for index, page in enumerate(pages):
        page.get_by_label("Note", exact=True).fill(f"Laptop late, says tab {index}")
    time.sleep(2)  # every tab idle, its fragments ticking, before anyone presses
    for page in pages:
        page.evaluate(_WATCH)
        page.get_by_role("button", name="Add note").click(no_wait_after=True)
    latencies = []
    deadline = time.monotonic() + 120
    for page in pages:
        page.wait_for_function("() => window.__jm_seen !== null", timeout=max(1, deadline - time.monotonic()) * 1000)
        latencies.append(page.evaluate("() => (window.__jm_seen - window.__jm_pressed) / 1000"))
    for page in pages:
        page.context.close()
    return latencies


def browser_mode(people: int) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    from appserver import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    from journeymap.workshop.store import WorkshopStore

    rows = []
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        database = Path(folder) / "bench.sqlite"
        env = {**os.environ, "JOURNEYMAP_DB_PATH": str(database), "JOURNEYMAP_JOINS_PER_MINUTE": "10000"}
        env.pop("JOURNEYMAP_DATABASE_URL", None)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        with _server(env) as (url, pid), WorkshopStore(f"sqlite:///{database}") as store:
            for label, count in ((f"{people} participants at once", people), ("1 participant alone (baseline)", 1)):
                workshop = store.create_workshop(label, "onboarding")
                store.set_timer(workshop.facilitator_token or "", 15 * 60)
                screen = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
                screen.goto(f"{url}/workshop?w={workshop.facilitator_token}&view=board")
                screen.get_by_text("Reveal the tally").wait_for(timeout=120_000)
                tokens = [store.join(workshop.join_code, f"P{i}").token or "" for i in range(count)]
                latencies = _browser_round(browser, url, tokens)
                assert len(store.list_notes(workshop.facilitator_token or "")) == count
                rows.append(_row(label, latencies, _server_peak_mb(pid)))
                screen.context.close()
        browser.close()
    print(f"Browser: {people} participant tabs and the facilitator's board, one server (target: max <= "
          f"{TARGET_S:g} s; peak is the server's resident peak so far)")
    _table(rows)


def _server(env: dict[str, str]) -> Callable[[], object]:
    import contextlib
    import signal
    import subprocess

    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    from appserver import _free_port, _healthy

    @contextlib.contextmanager
    def running() -> object:
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = open(Path(tempfile.gettempdir()) / "bench_workshop_streamlit.log", "w")  # noqa: SIM115
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                                   "--server.address", "127.0.0.1", "--server.headless", "true",
                                   "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                                  cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while not _healthy(url):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the app did not start; see {log.name}")
                time.sleep(0.3)
            yield url, server.pid
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
            log.close()

    return running()  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=20, help="participants writing at once")
    parser.add_argument("--notes", type=int, default=5, help="notes each participant writes (store mode)")
    parser.add_argument("--browser", action="store_true", help="drive the app in Chromium instead of the store")
    parser.add_argument("--postgres", metavar="URL", help="run store mode on this PostgreSQL database")
    args = parser.parse_args()
    if args.browser:
        browser_mode(args.people)
    else:
        store_mode(args.people, args.notes, args.postgres)


if __name__ == "__main__":
    main()
