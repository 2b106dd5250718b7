"""The package stands alone: a wheel built from this checkout, installed in a clean venv, runs the
command line on its own sample data and serves the app.

One build for the module (a fixture): `pip wheel` of a copy of pyproject.toml and src/ (so that
the build leaves nothing in the checkout), installed without dependencies into a venv made with
`--without-pip`. That venv gets the dependencies through a .pth line naming the dev venv's
site-packages: a directory added by a .pth line has its own .pth files left unread, so the dev
venv's editable install (the line that puts this checkout's src/ on sys.path) never runs, and
`import journeymap` finds the wheel's copy, which the tests check. Everything runs from a folder
outside the checkout, without PYTHONPATH: app.py and pages/ are not in the wheel, so the app is a
copy of them, run against the installed package.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest

from journeymap.journey.samples import SAMPLE_JOURNEYS

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parents[1]
DEV_PIP = [sys.executable, "-m", "pip"]


def run(argv: list[Any], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a command to completion; a failure shows its output."""
    result = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{' '.join(map(str, argv))} exited {result.returncode}:\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Build the wheel, install it into a clean venv; the paths and environment to use it with."""
    base = tmp_path_factory.mktemp("wheel")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    source = base / "source"
    source.mkdir()
    shutil.copy2(ROOT / "pyproject.toml", source)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    run([*DEV_PIP, "wheel", "--no-deps", "--quiet", "-w", base / "dist", source], cwd=base, env=env)
    (wheel,) = (base / "dist").glob("journeymap-*.whl")

    venv = base / "clean"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=base, env=env)
    python = venv / "bin" / "python"
    run([*DEV_PIP, "--python", python, "install", "--no-deps", "--no-index", "--quiet", wheel], cwd=base, env=env)
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    cwd=base, env=env).stdout.strip())
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    app = base / "app"  # the app from the checkout, nothing of src/ beside it
    app.mkdir()
    shutil.copy2(ROOT / "app.py", app)
    shutil.copytree(ROOT / "pages", app / "pages", ignore=shutil.ignore_patterns("__pycache__"))
    return {"base": base, "wheel": wheel, "python": python, "bin": venv / "bin", "site": site, "app": app,
            "env": env}


def where(installed: dict[str, Any]) -> dict[str, Any]:
    """What the clean venv's interpreter imports: journeymap's file, sys.path and the sample paths."""
    code = (
        "import json, sys, journeymap\nfrom journeymap.journey.samples import sample_events_path, sample_journey_path\n"
        "print(json.dumps({'file': journeymap.__file__, 'path': sys.path,"
        " 'journey': str(sample_journey_path('onboarding')), 'events': str(sample_events_path('onboarding'))}))"
    )
    return json.loads(run([installed["python"], "-c", code], cwd=installed["base"], env=installed["env"]).stdout)


def test_wheel_ships_the_samples(installed: dict[str, Any]) -> None:
    """The wheel holds each sample journey and its log beside the schema and the export font."""
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for journey_id in SAMPLE_JOURNEYS:
        assert {f"journeymap/journeys/{journey_id}.yaml", f"journeymap/journeys/{journey_id}.events.csv.gz"} <= names
    assert {"journeymap/journey/journey.schema.json", "journeymap/fonts/JourneymapSans.ttf"} <= names


def test_journeymap_comes_from_the_wheel(installed: dict[str, Any]) -> None:
    """The clean venv imports the installed copy, not this checkout's src/, and finds the samples in it."""
    found = where(installed)
    site = str(installed["site"])
    assert found["file"] == f"{site}/journeymap/__init__.py"
    assert found["journey"].startswith(site) and found["events"].startswith(site)
    assert not any(entry.startswith(str(ROOT / "src")) for entry in found["path"])  # the editable install's line


def test_metrics_and_validate_on_a_packaged_sample(installed: dict[str, Any]) -> None:
    """The installed console script validates the packaged journey and measures its packaged log."""
    found, base, env = where(installed), installed["base"], installed["env"]
    journeymap = installed["bin"] / "journeymap"
    assert "ok (12 steps" in run([journeymap, "validate", found["journey"]], cwd=base, env=env).stdout
    out = run([journeymap, "metrics", found["events"], "--journey", found["journey"]], cwd=base, env=env).stdout
    data = json.loads(out)
    assert data["journey"] == "onboarding" and data["n_cases"] == 2400
    assert data["hotspots"] and data["hotspots"][0]["sentence"]


def test_app_runs_against_the_wheel(installed: dict[str, Any]) -> None:
    """`streamlit run app.py` (a copy) answers its health check, and the Map page draws the onboarding
    journey through the installed package (AppTest runs the script itself, which a health check does not)."""
    python, app, env = installed["python"], installed["app"], installed["env"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [python, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=app, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        script = ("import json, journeymap\nfrom streamlit.testing.v1 import AppTest\n"
                  "at = AppTest.from_file('app.py', default_timeout=90).run()\n"
                  "print(json.dumps({'exceptions': [e.value for e in at.exception], 'file': journeymap.__file__,"
                  " 'title': at.title[0].value if at.title else None,"
                  " 'text': ' '.join(m.value for m in at.markdown)}))")
        page = json.loads(run([python, "-c", script], cwd=app, env=env).stdout.strip().splitlines()[-1])
        assert page["exceptions"] == [] and page["file"].startswith(str(installed["site"]))
        assert page["title"] == "Employee onboarding"
        assert "of that time is spent waiting to reach" in page["text"]

        deadline = time.monotonic() + 60
        while not _healthy(port):
            assert server.poll() is None, f"streamlit exited {server.returncode}: {server.stderr.read()[-2000:]}"
            assert time.monotonic() < deadline, "streamlit run did not answer its health check within 60 s"
            time.sleep(0.3)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        if server.stderr:
            server.stderr.close()


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
            return answer.read().decode().strip() == "ok"
    except OSError:
        return False
