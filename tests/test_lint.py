"""The codebase passes ruff and mypy as configured in pyproject.toml (the test command runs both)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)


def test_ruff_finds_nothing():
    done = _run(str(BIN / "ruff"), "check", "--no-cache", "--output-format", "concise", ".")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_mypy_finds_nothing():
    """Default mode over src/journeymap (the `files` of [tool.mypy]); the cache stays out of the checkout."""
    done = _run(sys.executable, "-m", "mypy", "--cache-dir", "/tmp/journeymap-mypy-cache")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
