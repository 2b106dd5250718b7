"""The token replay in the app (workshop and Map page): a period to choose, then play, pause and step in the browser.

The replay is computed once per view and period (`replay.replay_frames`, cached) and sent as one
chart (`replaychart.replay_chart`); the buttons are a few lines of script that move the chart's
moment, so playing never reruns the page. The date, the speed and the counts of the moment are
written beside the buttons by the same script.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import streamlit as st

from journeymap.charts.replay import replay_spec
from journeymap.core.errors import JourneyError
from journeymap.measures.hotspots import Hotspot
from journeymap.measures.replay import SPEEDS_S, Replay, default_speed_s, replay_frames, speed_text
from journeymap.ui import charting, data, decide
from journeymap.ui.text import md

__all__ = ["show", "default_period", "PERIOD_DAYS"]

PERIOD_DAYS = 90  # a long log replays its last quarter unless another period is chosen
# Projector: 1280×720 in projector type, and 1920×1080 as the same look 1.5 times larger (type too).
_SIZES = {"projector": (("small", 1240, 495, 1.5), ("big", 1860, 760, 2.25)),
          "page": (("page", 820, 560, 1.0),)}


def default_period(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """The whole log when it spans a quarter or less, else its last PERIOD_DAYS days."""
    return (first if (last - first).days <= PERIOD_DAYS else last - dt.timedelta(days=PERIOD_DAYS)), last


def show(view: data.View, hotspots: Sequence[Hotspot], key: str, *, projector: bool = False, nav: Any = None) -> None:
    """The period picker (in `nav` when given), the replay chart and its play / pause / step controls."""
    if view.empty:
        st.info("No cases to replay under this filter.")
        return
    times = decide.times(view)
    first, last = _day(int(times.start_us.min())), _day(int(times.as_of_us))
    period_key = f"{key}_period"
    if period_key not in st.session_state:
        st.session_state[period_key] = default_period(first, last)
    where = nav if nav is not None else st
    chosen = where.date_input("Replay period", min_value=first, max_value=last, key=period_key, format="YYYY-MM-DD",
                              help="The cases on the map between these dates, played back in the browser.",
                              label_visibility="collapsed" if projector else "visible")
    if not isinstance(chosen, (tuple, list)) or len(chosen) != 2:
        st.caption("Choose the last day of the period too.")
        return
    start, end = chosen
    try:
        replay = view.memo(("replay", start, end), lambda: replay_frames(
            times, start_us=_us(start), end_us=min(_us(end + dt.timedelta(days=1)), int(times.as_of_us))))
    except JourneyError as error:
        st.error(md(str(error)))
        return
    _controls(replay, key, projector)
    for name, width, height, scale in _SIZES["projector" if projector else "page"]:
        spec = view.memo(("replay_spec", start, end, width, height, scale), functools.partial(
            _built_spec, view.metrics, replay, list(hotspots), width, height, scale))
        container = f"{key}_chart_{name}" if not projector else f"jm_ws_{name}_{key}_chart"
        with st.container(key=container):
            st.vega_lite_chart(spec=spec, theme=None, key=f"{container}_vl", width="stretch",
                               alt=f"Token replay of {view.source.journey.name}, {start} to {end}")
    st.caption(f"Each moving dot is one case of a random {replay.sampled:,} of the {replay.n_cases:,} cases on the "
               "map in this period; the numbers above the steps count every case there at that moment (done "
               "with that step, not yet at the next). Frames every "
               f"{_interval(replay.bucket_ms)}; play, pause and step run in this browser.")


def _controls(replay: Replay, key: str, projector: bool) -> None:
    speed = default_speed_s(replay)
    options = "".join(f'<option value="{s}"{" selected" if s == speed else ""}>{speed_text(s)}</option>'
                      for s in SPEEDS_S)
    totals = replay.totals[["open", "completed", "exited", "dropped"]].to_numpy().tolist()
    config = json.dumps({"key": key, "start": replay.start_ms, "end": replay.end_ms, "bucket": replay.bucket_ms,
                         "totals": totals, "hours": replay.end_ms - replay.start_ms < 14 * 86_400_000,
                         "charts": f'[class*="{key}_chart"]'})
    size = 20 if projector else 16
    bar = (f'<div class="jm-replay" data-testid="jm-replay" style="display:flex;gap:0.5em;align-items:center;'
           f'flex-wrap:wrap;font-size:{size}px;line-height:1.2">'
           '<strong class="jm-replay-date" role="status" aria-live="off"></strong>'
           '<button type="button" data-act="back" aria-label="Step back" title="Step back">←</button>'
           '<button type="button" data-act="play" aria-label="Play" title="Play">▶ Play</button>'
           '<button type="button" data-act="fwd" aria-label="Step forward" title="Step forward">→</button>'
           f'<select aria-label="Speed" title="Speed">{options}</select>'
           f'<input type="range" aria-label="Moment" min="{replay.start_ms}" max="{replay.end_ms}" '
           f'step="{max(replay.bucket_ms // 4, 1)}" value="{replay.start_ms}">'
           '<span class="jm-replay-counts"></span></div>')
    style = (f"<style>.jm-replay button, .jm-replay select {{font: inherit; padding: 0.15em 0.6em; border-radius: "
             f"0.4em; border: 1px solid #9aa5b1; background: white; color: #0b1220; cursor: pointer;}}"
             f".jm-replay button[data-act=play] {{background: #1f5f99; color: white; border-color: #1f5f99;}}"
             f".jm-replay input[type=range] {{flex: 1 1 12em; min-width: 10em; accent-color: #1f5f99;}}"
             f".jm-replay .jm-replay-counts {{font-size: 0.85em; flex-basis: 100%;}}"
             f".jm-replay .jm-replay-date {{font-size: 1.5em; min-width: 8.2em; white-space: nowrap;}}"
             # The chart's own input is the script's way in; people use the one in the bar.
             f'[class*="{key}_chart"] .vega-bindings {{display: none !important;}}'
             + (f"@media (min-width: 1600px) {{.jm-replay {{font-size: {size * 1.35:.0f}px !important;}}}}"
                if projector else "") + "</style>")
    with st.container(key=f"{key}_controls"):
        st.html(style + bar + _SCRIPT.replace("__CONFIG__", config), unsafe_allow_javascript=True, width="stretch")


# The moment lives in this script; every 40 ms while playing it moves on by the speed (log
# milliseconds per real millisecond) and is written into the visible chart's own range input
# (hidden), which Vega reads as the chart's parameter. Dragging the bar's slider moves it too.
_SCRIPT = """<script>(() => {
  const cfg = __CONFIG__;
  const bar = document.currentScript && document.currentScript.previousElementSibling;
  if (!bar) return;
  const button = bar.querySelector('[data-act=play]'), speed = bar.querySelector('select');
  const date = bar.querySelector('.jm-replay-date'), counts = bar.querySelector('.jm-replay-counts');
  const scrub = bar.querySelector('input[type=range]');
  const all = window.__jmReplays = window.__jmReplays || {};
  if (all[cfg.key]) window.clearInterval(all[cfg.key].timer);
  const me = all[cfg.key] = {t: cfg.start, playing: false, last: 0, timer: 0};
  const day = new Intl.DateTimeFormat('en-GB', {weekday: 'short', day: 'numeric', month: 'short', year: 'numeric',
                                               timeZone: 'UTC'});
  const hour = new Intl.DateTimeFormat('en-GB', {hour: '2-digit', minute: '2-digit', timeZone: 'UTC'});
  const n = (x) => x.toLocaleString('en');
  // The charts' own range inputs (hidden): only those of the chart on screen (small or big) are moved.
  const inputs = () => [...document.querySelectorAll(cfg.charts + ' input[type=range]')]
    .filter((el) => el.closest(cfg.charts).offsetParent !== null);
  const draw = () => {
    for (const input of inputs()) {
      if (+input.value !== me.t) { input.value = me.t; input.dispatchEvent(new Event('input', {bubbles: true})); }
    }
    scrub.value = me.t;
    text();
  };
  scrub.addEventListener('input', () => { playing(false); me.t = +scrub.value; draw(); });
  const text = () => {
    const at = new Date(me.t);
    date.textContent = day.format(at) + (cfg.hours ? ' ' + hour.format(at) : '');
    const k = Math.min(Math.max(Math.floor((me.t - cfg.start) / cfg.bucket), 0), cfg.totals.length - 1);
    const [open, completed, exited, dropped] = cfg.totals[k];
    counts.textContent = `${n(open)} cases on the map · since the period began: ${n(completed)} completed, ` +
      `${n(exited)} exited, ${n(dropped)} dropped · playing at ${speed.options[speed.selectedIndex].text}`;
    bar.dataset.moment = String(Math.round(me.t));
    bar.dataset.playing = me.playing ? '1' : '0';
  };
  const playing = (on) => {
    me.playing = on; me.last = performance.now();
    button.textContent = on ? 'Pause' : '▶ Play';
    button.setAttribute('aria-label', on ? 'Pause' : 'Play'); button.title = on ? 'Pause' : 'Play';
    text();
  };
  const step = (by) => {
    playing(false); me.t = Math.min(cfg.end, Math.max(cfg.start, me.t + by * cfg.bucket)); draw();
  };
  button.addEventListener('click', () => {
    if (!me.playing && me.t >= cfg.end) me.t = cfg.start;
    playing(!me.playing);
  });
  bar.querySelector('[data-act=back]').addEventListener('click', () => step(-1));
  bar.querySelector('[data-act=fwd]').addEventListener('click', () => step(1));
  speed.addEventListener('change', text);
  let synced = 0;
  me.timer = window.setInterval(() => {
    if (!bar.isConnected) { window.clearInterval(me.timer); return; }
    const now = performance.now();
    if (me.playing) {
      me.t = Math.min(cfg.end, me.t + (now - me.last) * (+speed.value));
      me.last = now;
      if (me.t >= cfg.end) playing(false);
      draw();
    } else if (synced < 50) { synced += 1; draw(); }  // the chart draws after this script: bind to it
  }, 40);
  text();
})();</script>"""


def _spec(built: dict[str, Any]) -> dict[str, Any]:
    """The replay's spec for Streamlit, drawn on a canvas: a frame redraws hundreds of tokens, faster than SVG."""
    spec = charting.streamlit_spec(SimpleNamespace(to_dict=lambda: built))
    spec["usermeta"] = {**spec.get("usermeta", {}), "embedOptions": {"renderer": "canvas"}}
    return spec


def _day(epoch_us: int) -> dt.date:
    return dt.datetime.fromtimestamp(epoch_us / 1_000_000, tz=dt.UTC).date()


def _us(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1_000_000)


def _interval(bucket_ms: int) -> str:
    hours = bucket_ms / 3_600_000
    return (
        f"{hours:g} hour{'s' if hours != 1 else ''}"
        if hours < 24
        else f"{hours / 24:g} day{'s' if hours != 24 else ''}"
    )


def _built_spec(metrics: Any, replay: Any, hotspots: list[Any], width: int, height: int, scale: float) -> Any:
    """The replay chart of one size as the browser gets it (made once per period and size)."""
    return _spec(replay_spec(metrics, replay, hotspots=hotspots, width=width, height=height, large=scale > 1,
                             scale=scale))
