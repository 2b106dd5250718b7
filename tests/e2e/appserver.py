"""The app under test: `streamlit run app.py` on a free loopback port, and where Chromium lives.

Screenshots and server logs go to tests/e2e/screenshots/ (git-ignored), for a person to look at.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
            return answer.read().decode().strip() == "ok"
    except OSError:
        return False


@contextlib.contextmanager
def running_app(log_name: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port until the block ends; yields its URL."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    SHOTS.mkdir(exist_ok=True)
    log = (SHOTS / log_name).open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not _healthy(url):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the app did not start; see {log.name}")
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def settle(page: Any) -> None:
    """Wait until the script run is over and every visible chart has drawn."""
    page.wait_for_selector('[data-testid="stSidebar"]')
    page.wait_for_selector("h1")
    page.wait_for_timeout(1000)  # the running indicator shows a moment after a run starts
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
    charts = page.locator('[data-testid="stVegaLiteChart"]:visible')
    for index in range(charts.count()):
        charts.nth(index).locator("svg, canvas").first.wait_for()
    page.wait_for_timeout(600)


def shoot(page: Any, name: str) -> Path:
    """Save what the browser shows as tests/e2e/screenshots/<name>.png."""
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
