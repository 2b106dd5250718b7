"""Charts out of the app: PNG, SVG, PDF and self-contained HTML, rendered by vl-convert (no browser).

Size: charts are laid out at `width` x `height` logical pixels (default 1600 x 900, a 16:9
slide) with title, legends and padding inside that box. PNG multiplies by `scale` (default 2,
so 3200 x 1800 pixels: crisp on a projector or a 4K screen); SVG and PDF are vectors of the
logical size; HTML is the interactive chart with every script inlined, so it opens offline.

Pixels: a PNG is width x height x scale² pixels, four bytes each while it is drawn; 10,000 x 10,000
at scale 8 would be 6.4 gigapixels (25.6 GB). PNGs over 50 megapixels (twice a 4K screen at scale 2)
are refused with a sentence; JOURNEYMAP_MAX_MEGAPIXELS raises the cap.

Determinism: the same chart gives the same SVG, PNG and HTML bytes. PDF carries no date, but
vl-convert (1.9) writes its font resources in a varying order, so PDF bytes can differ run to run
while the rendered page is the same.

Text: exports are set in the shipped export font (`exportfont`), so they look the same on every
machine; the SVG names the screen fonts again for whoever opens it.

Speed: PNG, SVG and PDF all start from one SVG drawn by Vega, which PNG and PDF then rasterise
(`svg_to_png`) or convert (`svg_to_pdf`). Text is the dear part of vl-convert's work, so text
halos are drawn from their labels and labels are laid out once (`exporttext`); PNG and PDF
carry no ARIA descriptions (nothing reads them there, so Vega-Lite need not build one per
mark; the SVG keeps them); and a PNG gets its labels as outlines (`exportfont.text_as_paths`),
with halos of opaque labels as outlines only. Drawn with its labels as text, a PNG is the same
bytes vl-convert makes of the whole spec; with outlines, the same picture but for anti-aliasing
(the tests check both).
"""

from __future__ import annotations

import functools
import html
import json
import re
from pathlib import Path
from typing import Any

import altair as alt
import vl_convert as vlc

from journeymap.core.errors import JourneyError
from journeymap.export.font import text_as_paths, with_export_font, with_screen_fonts
from journeymap.export.text import draw_halos, split_halos, text_after_layout
from journeymap.log.limits import env_number

__all__ = ["export_chart", "save_chart", "chart_spec", "format_from_path", "standalone_html", "stable_svg_ids",
           "CHART_FORMATS", "MIME_TYPES",
           "DEFAULT_WIDTH", "DEFAULT_HEIGHT", "DEFAULT_SCALE", "MAX_MEGAPIXELS_ENV", "DEFAULT_MAX_MEGAPIXELS"]

CHART_FORMATS: tuple[str, ...] = ("png", "svg", "pdf", "html")
MIME_TYPES: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf",
                              "html": "text/html"}
DEFAULT_WIDTH, DEFAULT_HEIGHT, DEFAULT_SCALE = 1600, 900, 2
MAX_MEGAPIXELS_ENV, DEFAULT_MAX_MEGAPIXELS = "JOURNEYMAP_MAX_MEGAPIXELS", 50
_EMBED_OPTIONS = {"renderer": "svg", "actions": {"export": True, "source": False, "compiled": False, "editor": False}}
_ID_NUMBER = re.compile(r"_?\d+$")
_SCRIPT_SAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def export_chart(chart: Any, fmt: str, *, width: int | None = None, height: int | None = None,
                 scale: float = DEFAULT_SCALE) -> bytes:
    """The chart as `png`, `svg`, `pdf` or `html` bytes, laid out at width x height logical pixels."""
    fmt = fmt.lower().lstrip(".")
    if fmt not in CHART_FORMATS:
        raise JourneyError(f"'{fmt}' is not an export format: use one of {', '.join(CHART_FORMATS)}.")
    if not 0.5 <= scale <= 8:
        raise JourneyError(f"A scale of {scale:g} is out of range: use a number from 0.5 to 8 (2 suits projectors).")
    spec = chart_spec(chart, width=width, height=height)
    if fmt == "png":
        _check_pixels(spec["width"], spec["height"], scale)
    if fmt == "html":
        return standalone_html(spec).encode("utf-8")
    spec = with_export_font(spec)
    if fmt != "svg":  # no reader of a PNG or PDF sees ARIA descriptions
        spec["config"] = {**spec["config"], "aria": False}
    unhaloed, halos = split_halos(spec)
    try:
        svg = draw_halos(_vega_svg(unhaloed), halos, outline_only=fmt == "png")
    except LookupError:  # Vega named a label mark otherwise: draw the halos as layers after all
        svg = _vega_svg(spec)
    if fmt == "svg":
        return stable_svg_ids(with_screen_fonts(svg)).encode("utf-8")
    return vlc.svg_to_png(text_as_paths(svg), scale=scale) if fmt == "png" else vlc.svg_to_pdf(svg)


def _check_pixels(width: int, height: int, scale: float) -> None:
    """Refuse a PNG of more pixels than the cap (JOURNEYMAP_MAX_MEGAPIXELS, default 50) before drawing it."""
    cap = env_number(MAX_MEGAPIXELS_ENV, DEFAULT_MAX_MEGAPIXELS)
    pixels = width * scale * height * scale / 1e6
    if pixels > cap:
        raise JourneyError(
            f"A PNG of {width:,} x {height:,} at scale {scale:g} would have {pixels:,.0f} megapixels, more than the "
            f"cap of {cap:,g}; lower --width, --height or --scale (1600 x 900 at scale 2 is 5.8), export SVG or PDF, "
            f"or raise the cap with the environment variable {MAX_MEGAPIXELS_ENV} (e.g. {MAX_MEGAPIXELS_ENV}="
            f"{max(cap * 2, pixels):.0f}).")


def _vega_svg(spec: dict[str, Any]) -> str:
    """The SVG Vega draws of a Vega-Lite spec (its text marks laid out once, see `text_after_layout`)."""
    return vlc.vega_to_svg(text_after_layout(vlc.vegalite_to_vega(spec, vl_version=_vl_version())))


def save_chart(chart: Any, path: str | Path, fmt: str | None = None, **options: Any) -> Path:
    """Write a chart to a file; the format comes from `fmt` or the file's suffix."""
    path = Path(path)
    path.write_bytes(export_chart(chart, fmt or format_from_path(path), **options))
    return path


def format_from_path(path: str | Path) -> str:
    """The export format a file name asks for (`map.png` -> `png`, `map.htm` -> `html`)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    suffix = "html" if suffix == "htm" else suffix
    if suffix not in CHART_FORMATS:
        raise JourneyError(f"Cannot tell the format of '{path}': end the name with "
                           f"{', '.join('.' + f for f in CHART_FORMATS)}, or give --format.")
    return suffix


def chart_spec(chart: Any, *, width: int | None = None, height: int | None = None) -> dict[str, Any]:
    """The Vega-Lite spec of a chart sized for export (title, legends and padding inside the box)."""
    size = {"width": width or DEFAULT_WIDTH, "height": height or DEFAULT_HEIGHT}
    for name, value in size.items():
        if not isinstance(value, int) or not 100 <= value <= 10_000:
            raise JourneyError(f"A {name} of {value} is out of range: use whole pixels from 100 to 10000.")
    spec = _chart_dict(chart) if isinstance(chart, alt.TopLevelMixin) else dict(chart)
    spec.update(size)
    spec.setdefault("autosize", {"type": "fit", "contains": "padding"})
    return spec


def _chart_dict(chart: Any) -> dict[str, Any]:
    """`chart.to_dict()`, without Altair's schema check and without its walk through named datasets.

    Our charts are validated by the test suite; skipping the check saves ~0.1 s. Named datasets
    (`.properties(datasets=...)`) are JSON-ready rows already, which Altair would visit value by
    value: they are copied in as they are, which halves the time of this step.
    """
    datasets = getattr(chart, "datasets", alt.Undefined)
    if not isinstance(datasets, dict) or not all(
            isinstance(rows, list) and all(isinstance(row, dict) for row in rows) for rows in datasets.values()):
        return chart.to_dict(validate=False)
    spec = chart.to_dict(validate=False, ignore=["datasets"])
    spec["datasets"] = {**{name: [dict(row) for row in rows] for name, rows in datasets.items()},
                        **spec.get("datasets", {})}  # any inline data Altair moved there
    return spec


def stable_svg_ids(svg: str, prefix: str = "") -> str:
    """Renumber Vega's gradient and clip ids from 0, in order of appearance (after `prefix`).

    Vega numbers them with a counter that lives as long as the renderer, so the same chart
    rendered twice would otherwise get different ids and different bytes. A prefix keeps the
    ids of several SVGs inlined in one page apart.
    """
    ids = list(dict.fromkeys(re.findall(r'id="((?:gradient|clip|pattern)_?\d+)"', svg)))
    mapping = {old: prefix + _ID_NUMBER.sub("", old) + f"_{index}" for index, old in enumerate(ids)}
    if not mapping:
        return svg
    return re.sub(r'(?<=id=")[^"]+(?=")|(?<=url\(#)[^)]+(?=\))|(?<=href="#)[^"]+(?=")',
                  lambda match: mapping.get(match.group(0), match.group(0)), svg)


def standalone_html(spec: dict[str, Any]) -> str:
    """One HTML page showing the chart interactively, with Vega, Vega-Lite and Vega-Embed inlined.

    The spec is written into a script as JSON with `<`, `>` and `&` escaped, so text from the data
    (a label such as `</script>`) can never end the script or become markup.
    """
    spec = {key: value for key, value in spec.items() if key != "$schema"}
    title = spec.get("title", "")
    title = title.get("text", "") if isinstance(title, dict) else title
    title = " ".join(title) if isinstance(title, list) else str(title or "Chart")
    data = json.dumps(spec, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    options = json.dumps(_EMBED_OPTIONS, separators=(",", ":"))
    for char, escaped in _SCRIPT_SAFE.items():
        data = data.replace(char, escaped)
    return "".join([
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>{html.escape(title or 'Chart')}</title>\n",
        "<style>body{margin:0;padding:16px;background:#fff}#chart{max-width:100%}</style>\n",
        f"<script>{_bundle(_vl_version())}</script>\n</head>\n<body>\n<div id=\"chart\"></div>\n<script>\n",
        f"vegaEmbed('#chart', {data}, {options}).catch(function (error) {{\n",
        "  document.getElementById('chart').textContent = String(error);\n});\n</script>\n</body>\n</html>\n",
    ])


@functools.lru_cache(maxsize=4)
def _bundle(version: str | None) -> str:
    """Vega-Embed, Vega-Lite and Vega as one script (cached: building it takes a second or two)."""
    bundle = vlc.javascript_bundle(vl_version=version)  # type: ignore[call-arg]  # the stub omits snippet's default
    if "</script" in bundle.lower():
        raise RuntimeError("The vl-convert JavaScript bundle contains '</script' and cannot be inlined safely.")
    return bundle


@functools.lru_cache(maxsize=1)
def _vl_version() -> str | None:
    """The Vega-Lite version Altair writes, in vl-convert's spelling (`6.4`), if vl-convert has it."""
    version = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return version if version in vlc.get_vegalite_versions() else None
