"""Frame rate of the token replay in a real browser (Debian's Chromium, headless) on a ~100k-case log.

    python benchmarks/bench_replay_browser.py                 # 100k onboarding cases, 10 s of playing
    python benchmarks/bench_replay_browser.py --cases 20000 --seconds 5

A small Streamlit app (written to a temporary folder) shows the workshop's Replay exactly as the
projector view does (`workshop_replay.show`, projector type, its CSS) on a log from the sample
generator (onboarding, seed 7). Playwright opens it at 1280×720 and at 1920×1080, presses Play and
counts, for `--seconds`, how often the replay's canvas is redrawn: Vega clears its canvas once per
render, so a wrapped `clearRect` counts renders; `requestAnimationFrame` counts the frames the
browser could paint. Frames per second is renders per second; the gaps between renders (p50, p95,
max) show stutter; the moment's advance per second checks the replay kept its speed.

The baseline, measured in the same run on the same chart: one Streamlit rerun per frame (a
fragment that reruns every 40 ms and sends the chart with the next moment), what the issue rules
out. The server side of playing is zero for ours (the browser moves the chart).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import sync_playwright

from journeymap.journey.samples import generate_events

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SIZES = {"1280×720": (1280, 720), "1920×1080": (1920, 1080)}

# The app under measurement: the projector's replay (mode "ours") or a rerun per frame ("rerun").
_APP = '''
import os
import streamlit as st
from journeymap.engine.filters import CaseFilter
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.metrics import compute_metrics
from journeymap.ui import data, workshop_present, workshop_replay

st.set_page_config(layout="wide")

@st.cache_resource
def bench_view():
    journey = load_journey(sample_journey_path("onboarding"))
    log = read_events(os.environ["BENCH_LOG"])
    source = data.Source("bench", "Bench", journey, log, key="bench")
    return data.View(source, CaseFilter(), compute_metrics(log.frame, journey))

view = bench_view()
workshop_present.projector_style()
hotspots = list(view.story.marked)
if st.query_params.get("mode") != "rerun":
    workshop_replay.show(view, hotspots, "jm_ws_replay", projector=True)
else:
    import json
    from journeymap.ui.workshop_replay import _built_spec, replay_frames, decide
    times = decide.times(view)
    replay = view.memo("bench_replay", lambda: replay_frames(times, end_us=int(times.as_of_us),
                                                            start_us=int(times.as_of_us) - 90 * 86_400_000_000))
    spec = view.memo("bench_spec", lambda: _built_spec(view.metrics, replay, hotspots, 1240, 560, 1.5))

    @st.fragment(run_every=float(os.environ.get("BENCH_RERUN_S", "0.04")))
    def frame():
        moment = st.session_state.get("bench_t", replay.start_ms)
        st.session_state["bench_t"] = min(moment + replay.bucket_ms, replay.end_ms)
        sent = {**spec, "params": [{**param, "value": moment} if param.get("name") == "replay_t" else param
                                   for param in spec.get("params", [])]}
        st.markdown(f"<div id='bench-moment' data-moment='{moment}'></div>", unsafe_allow_html=True)
        st.vega_lite_chart(spec=sent, theme=None, width="stretch")  # no key: a new chart per frame

    frame()
'''

# Counts renders of the biggest canvas on the page (the replay's) and animation frames.
_COUNTERS = """
window.__bench = {renders: [], frames: 0, on: false};
const clear = CanvasRenderingContext2D.prototype.clearRect;
CanvasRenderingContext2D.prototype.clearRect = function (...args) {
  if (window.__bench.on && this.canvas.width >= 1000 && this.canvas.offsetParent !== null) {
    window.__bench.renders.push(performance.now());
  }
  return clear.apply(this, args);
};
const tick = () => { if (window.__bench.on) window.__bench.frames += 1; requestAnimationFrame(tick); };
requestAnimationFrame(tick);
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def bench_app(log_path: Path) -> Iterator[str]:
    """The measuring app on a free loopback port until the block ends; yields its URL."""
    folder = Path(tempfile.mkdtemp(prefix="jm-bench-replay-"))
    (folder / "app.py").write_text(textwrap.dedent(_APP))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(folder / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "BENCH_LOG": str(log_path)}, stdout=(folder / "server.log").open("w"),
        stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the measuring app did not start")
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


def measure(browser, url: str, size: tuple[int, int], mode: str, seconds: float) -> dict[str, float]:
    """Play the replay for `seconds` and count renders, animation frames and the moment's advance."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    context.add_init_script(_COUNTERS)
    page = context.new_page()
    page.set_default_timeout(300_000)
    page.goto(f"{url}/?mode={mode}")
    try:
        page.locator('[data-testid="stVegaLiteChart"]:visible canvas').first.wait_for()
    except Exception:
        page.screenshot(path=str(Path(tempfile.gettempdir()) / f"bench-replay-{mode}-failed.png"))
        raise
    page.wait_for_timeout(3000)  # the first draw, and the replay script binding to the chart
    if mode == "ours":
        bar = page.locator('[data-testid="jm-replay"]')
        bar.get_by_role("button", name="Play").click()
        moment = lambda: int(bar.get_attribute("data-moment") or 0)  # noqa: E731
    else:
        moment = lambda: int(page.locator("#bench-moment").get_attribute("data-moment") or 0)  # noqa: E731
    page.wait_for_timeout(1000)  # warm up
    start_moment = moment()
    page.evaluate("() => { window.__bench.renders = []; window.__bench.frames = 0; window.__bench.on = true; }")
    page.wait_for_timeout(seconds * 1000)
    found = page.evaluate("() => { window.__bench.on = false; return window.__bench; }")
    advanced = moment() - start_moment
    context.close()
    renders = found["renders"]
    gaps = [b - a for a, b in zip(renders, renders[1:])] or [float("nan")]
    gaps.sort()
    return {"fps": len(renders) / seconds, "raf": found["frames"] / seconds, "p50": statistics.median(gaps),
            "p95": gaps[min(len(gaps) - 1, int(0.95 * len(gaps)))], "max": gaps[-1],
            "days_per_s": advanced / 86_400_000 / seconds}


def main() -> None:
    """Build the log, start the app, measure ours and the baseline at both sizes, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="jm-bench-log-"))
    log_path = folder / "onboarding.parquet"
    events = generate_events("onboarding", args.cases, seed=7, as_datetime=True)
    events.write_parquet(log_path)
    print(f"{args.cases:,} cases, {events.height:,} events; the last 90 days replayed, "
          f"{args.seconds:g} s of playing per row\n")
    rows = []
    with bench_app(log_path) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, size in SIZES.items():
            for mode, label in (("ours", "ours: played in the browser"), ("rerun", "baseline: a rerun per frame")):
                if mode == "rerun" and size != SIZES["1280×720"]:
                    continue  # the baseline's chart is planned for 1280 only
                rows.append((name, label, measure(browser, url, size, mode, args.seconds)))
        browser.close()
    load = os.getloadavg()
    print(f"load average during the run (1, 5, 15 min): {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} on "
          f"{os.cpu_count()} cores: other work on the machine lowers every row alike\n")
    print(f"| {'screen':9} | {'replay':28} | {'renders/s':>9} | {'rAF/s':>6} | {'gap p50':>8} | {'gap p95':>8} | "
          f"{'gap max':>8} | {'log days/s':>10} |")
    print(f"|{'-' * 11}|{'-' * 30}|{'-' * 11}|{'-' * 8}|{'-' * 10}|{'-' * 10}|{'-' * 10}|{'-' * 12}|")
    for name, label, found in rows:
        print(f"| {name:9} | {label:28} | {found['fps']:>9.1f} | {found['raf']:>6.1f} | {found['p50']:>5.0f} ms | "
              f"{found['p95']:>5.0f} ms | {found['max']:>5.0f} ms | {found['days_per_s']:>10.2f} |")


if __name__ == "__main__":
    main()
