"""The token replay as one Vega-Lite chart: the journey map, tokens sliding along its transitions, and the
cases at each step, all driven by one parameter, the moment (`REPLAY_PARAM`, epoch milliseconds).

Everything a frame needs is in the chart's datasets (`replay.Replay`), so playing is the browser
changing the moment: a range input bound to the parameter, which a play button can move. Each
transition's drawn line is resampled into `PATH_POINTS` points by length, and a token at a
fraction of its move sits between two of them.
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd

from journeymap.charts import map as mapchart
from journeymap.charts.mapdetail import MapDetail, map_detail, map_plot_size
from journeymap.charts.style import FONT, type_scale
from journeymap.measures.hotspots import Hotspot
from journeymap.measures.metrics import JourneyMetrics
from journeymap.measures.replay import Replay

__all__ = ["REPLAY_PARAM", "PATH_POINTS", "TOKEN", "replay_chart", "replay_spec", "path_points"]

REPLAY_PARAM = "replay_t"
PATH_POINTS = 32
TOKEN, TOKEN_DARK = "#0072B2", "#005a8c"  # Okabe-Ito blue: apart from the map's orange-red steps


def replay_chart(metrics: JourneyMetrics, replay: Replay, *, hotspots: list[Hotspot] | None = None,
                 width: int = 1200, height: int = 640, large: bool = False,
                 detail: MapDetail | None = None, scale: float | None = None) -> alt.LayerChart:
    """The map with the replay's tokens and counts, at the moment `REPLAY_PARAM` (a range input under the map)."""
    detail = detail or map_detail(metrics, hotspots=hotspots or (), width=width, height=height, large=large,
                                  titled=False, scale=scale)
    chart = mapchart.map_chart(metrics, hotspots=hotspots, large=large, width=width, height=height, title="",
                             subtitle="", detail=detail, note=False, scale=scale)
    k = type_scale(large, scale)
    nodes = next(layer for layer in chart.layer if getattr(layer, "name", None) == "journey_nodes")
    x_scale, y_scale = (alt.Scale(**nodes.encoding[axis].to_dict()["scale"]) for axis in ("x", "y"))
    plot_width, plot_height = map_plot_size(width, height, large, False, 1, scale)
    aspect = (plot_width / (x_scale.domain[1] - x_scale.domain[0])) / (plot_height / y_scale.domain[1])
    datasets = dict(chart.datasets)
    # The measure above each step gives way to the cases there at the moment.
    datasets["journey_nodes"] = [{**row, "value_text": ""} for row in datasets["journey_nodes"]]
    datasets["replay_paths"] = path_points(datasets["journey_edges"], detail, aspect)
    datasets["replay_moves"] = [{"case": int(row.case), "path": f"{row.source}|{row.target}",
                                 "from_ms": int(row.from_ms), "to_ms": int(row.to_ms)}
                                for row in replay.moves.itertuples(index=False)] or [
        {"case": -1, "path": "", "from_ms": 0, "to_ms": 0}]
    datasets["replay_here"] = [{"frame": int(row.frame), "step": row.step, "cases": f"{int(row.cases):,}"}
                               for row in replay.here.itertuples(index=False)] or [
        {"frame": -1, "step": "", "cases": ""}]
    moment = alt.param(name=REPLAY_PARAM, value=replay.start_ms, bind=alt.binding_range(
        min=replay.start_ms, max=replay.end_ms, step=max(replay.bucket_ms // 4, 1), name="Moment "))
    at = {"x": alt.X("tx:Q", scale=x_scale, axis=None), "y": alt.Y("ty:Q", scale=y_scale, axis=None)}
    last = PATH_POINTS - 1
    tokens = (alt.Chart(alt.NamedData("replay_moves"))
              .transform_filter(f"datum.from_ms <= {REPLAY_PARAM} && {REPLAY_PARAM} < datum.to_ms")
              .transform_calculate(f=f"({REPLAY_PARAM} - datum.from_ms) / (datum.to_ms - datum.from_ms) * {last}")
              .transform_calculate(j=f"min(floor(datum.f), {last - 1})")
              .transform_calculate(u="datum.f - datum.j", k0="datum.path + '|' + datum.j",
                                   k1="datum.path + '|' + (datum.j + 1)")
              .transform_lookup(lookup="k0", from_=alt.LookupData(alt.NamedData("replay_paths"), "key", ["x", "y"]),
                                as_=["x0", "y0"])
              .transform_lookup(lookup="k1", from_=alt.LookupData(alt.NamedData("replay_paths"), "key", ["x", "y"]),
                                as_=["x1", "y1"])
              .transform_filter("isValid(datum.x0) && isValid(datum.x1)")
              .transform_calculate(tx="datum.x0 + (datum.x1 - datum.x0) * datum.u",
                                   ty="datum.y0 + (datum.y1 - datum.y0) * datum.u")
              .mark_circle(color=TOKEN, opacity=0.8, stroke="white", strokeWidth=1 * k, size=(7 * k) ** 2 * math.pi / 2)
              .encode(**at))
    frame = f"floor(({REPLAY_PARAM} - {replay.start_ms}) / {replay.bucket_ms})"
    here_base = (alt.Chart(alt.NamedData("replay_here")).transform_filter(f"datum.frame == {frame}")
                 .transform_lookup(lookup="step", from_=alt.LookupData(alt.NamedData("journey_nodes"), "step",
                                                                      ["x", "value_y"])))
    here_mark: dict[str, Any] = {"baseline": "bottom", "fontWeight": "bold", "fontSize": 15 * k, "font": FONT}
    here_at: dict[str, Any] = {
        "x": alt.X("x:Q", scale=x_scale, axis=None),
        "y": alt.Y("value_y:Q", scale=y_scale, axis=None),
        "text": "cases:N",
    }
    layers = [tokens, here_base.mark_text(**here_mark, stroke="white", strokeWidth=4 * k, strokeJoin="round")
              .encode(**here_at), here_base.mark_text(**here_mark, color=TOKEN_DARK).encode(**here_at)]
    chart.datasets = alt.Undefined  # copied below otherwise, row by row
    played = chart.copy(deep=False)
    played.layer = [*chart.layer, *layers]
    played = played.add_params(moment)
    played.datasets = datasets
    return played


def replay_spec(metrics: JourneyMetrics, replay: Replay, **options: Any) -> dict[str, Any]:
    """`replay_chart` as a Vega-Lite spec, its tables added after Altair's check of the spec (which would
    read every row of them: seconds on a big log)."""
    chart = replay_chart(metrics, replay, **options)
    tables, chart.datasets = chart.datasets, alt.Undefined
    spec = chart.to_dict()
    spec["datasets"] = tables
    return spec


def path_points(edge_rows: list[dict[str, Any]], detail: MapDetail, aspect: float) -> list[dict[str, Any]]:
    """Each drawn transition's line as PATH_POINTS points evenly spaced along it, keyed "source|target|j".

    `aspect` is pixels per x unit over pixels per y unit, so spacing is even on screen. Lines that
    stand for a path through hidden steps carry no tokens (a token moves between two steps).
    """
    frame = pd.DataFrame(edge_rows)
    rows: list[dict[str, Any]] = []
    if frame.empty:
        return [{"key": "", "x": 0.0, "y": 0.0}]
    for edge, points in frame.sort_values(["edge", "i"]).groupby("edge", sort=True):
        source, target = detail.edges[int(edge)]
        if (source, target) in detail.bridges:
            continue
        xs, ys = points["x"].to_list(), points["y"].to_list()
        lengths = [0.0]
        for (ax, ay), (bx, by) in zip(zip(xs, ys), zip(xs[1:], ys[1:])):
            lengths.append(lengths[-1] + math.hypot((bx - ax) * aspect, by - ay))
        total = lengths[-1] or 1.0
        at = 0
        for j in range(PATH_POINTS):
            wanted = total * j / (PATH_POINTS - 1)
            while at < len(lengths) - 2 and lengths[at + 1] < wanted:
                at += 1
            span = (lengths[at + 1] - lengths[at]) if len(lengths) > 1 else 0.0
            u = 0.0 if span <= 0 else min(max((wanted - lengths[at]) / span, 0.0), 1.0)
            x1, y1 = (xs[at + 1], ys[at + 1]) if len(xs) > 1 else (xs[at], ys[at])
            rows.append({"key": f"{source}|{target}|{j}", "x": xs[at] + (x1 - xs[at]) * u,
                         "y": ys[at] + (y1 - ys[at]) * u})
    return rows or [{"key": "", "x": 0.0, "y": 0.0}]
