"""The export font: exported charts are laid out and drawn in a font journeymap ships.

Journeymap Sans (`fonts/`) is DejaVu Sans, the charts' first font on screen, cut down to the
characters labels use (see `scripts/build_export_font.py`). Exports name it first
(`with_export_font`), so a PNG, SVG or PDF has the same text whatever fonts the machine has;
characters it lacks fall back to the machine's fonts, as they do on screen. An exported SVG is
opened on other machines, so it names the screen fonts again (`with_screen_fonts`).

PNGs draw their text as outlines (`text_as_paths`). vl-convert (1.9) opens and maps the font file
again for every glyph it draws, which took half of a map's PNG time. Here the font file is read
once, each line is shaped by HarfBuzz (resvg, vl-convert's renderer, shapes with rustybuzz, a port
of it), and each glyph's outline is kept after its first use; each label becomes one path at the
place of its text. The pixels differ from vl-convert's own text by anti-aliasing only.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from pathlib import Path
from typing import Any

import uharfbuzz as hb
import vl_convert as vlc

from journeymap.core.fonts import FONT_DIR
from journeymap.core.fonts import FONT_FILES as _FILES

__all__ = ["FAMILY", "with_export_font", "with_screen_fonts", "text_as_paths"]

FAMILY = "Journeymap Sans"
_VEGA_DEFAULT_FONT = "sans-serif"
_EXPORT_FONT_NAMED = re.compile(rf'(<text\b[^>]*? font-family="){re.escape(FAMILY)}, ')


def with_export_font(spec: dict[str, Any]) -> dict[str, Any]:
    """A Vega-Lite spec whose text is set in Journeymap Sans before its own fonts (registered with vl-convert)."""
    _register()
    config = spec.get("config", {})
    return {**spec, "config": {**config, "font": f"{FAMILY}, {config.get('font') or _VEGA_DEFAULT_FONT}"}}


def with_screen_fonts(svg: str) -> str:
    """An SVG from a spec of `with_export_font` naming only the chart's own fonts (same glyphs and widths).

    Only in text elements' tags: a label's own text is left as it is, whatever it says.
    """
    return _EXPORT_FONT_NAMED.sub(r"\1", svg)


@functools.cache
def _register() -> None:
    vlc.register_font_directory(str(FONT_DIR))


class _PathPen:
    """A glyph's outline as SVG path data in pixels at one font size (y down): the first point
    absolute, the rest relative.

    Relative after the first point, so a glyph is placed by writing only its first point. Points
    are rounded to thousandths of a pixel first (finer than the renderer's 1/64 grid, mostly) and
    the steps taken between rounded points, so the steps add up exactly. (Pixels, not font units:
    resvg works out a stroke's bounds in the path's own units, and a halo's round joins measured in
    font units cost it a hundred times the segments.)
    """

    def __init__(self, pixels_per_unit: float) -> None:
        self.scale = pixels_per_unit * _STEPS_PER_PIXEL
        self.start: tuple[int, int] | None = None
        self.data: list[str] = []
        self._at = self._subpath = (0, 0)

    def _point(self, point: tuple[float, float]) -> tuple[int, int]:
        return round(point[0] * self.scale), round(-point[1] * self.scale)

    def _steps(self, points: tuple[tuple[float, float], ...]) -> str:
        x0, y0 = self._at
        steps = [self._point(point) for point in points]
        self._at = steps[-1]
        return " ".join(f"{_pixels_text(x - x0)} {_pixels_text(y - y0)}" for x, y in steps)

    def moveTo(self, point: tuple[float, float]) -> None:  # noqa: N802 (the pen protocol's names)
        if self.start is None:
            self.start = self._at = self._point(point)
        else:
            self.data.append("m" + self._steps((point,)))
        self._subpath = self._at

    def lineTo(self, point: tuple[float, float]) -> None:  # noqa: N802
        self.data.append("l" + self._steps((point,)))

    def qCurveTo(self, *points: tuple[float, float]) -> None:  # noqa: N802
        self.data.append("q" + self._steps(points))

    def curveTo(self, *points: tuple[float, float]) -> None:  # noqa: N802
        self.data.append("c" + self._steps(points))

    def closePath(self) -> None:  # noqa: N802
        self.data.append("z")
        self._at = self._subpath


_STEPS_PER_PIXEL = 1000


def _pixels_text(steps: int) -> str:
    """Thousandths of a pixel as a decimal number of pixels: -12340 -> '-12.34', 500 -> '0.5'."""
    if steps % _STEPS_PER_PIXEL == 0:
        return str(steps // _STEPS_PER_PIXEL)
    return f"{steps / _STEPS_PER_PIXEL:.3f}".rstrip("0")


class _Font:
    """One face of the export font: HarfBuzz shaping and glyph outlines, each outline drawn once per size."""

    def __init__(self, path: Path) -> None:
        self.font = hb.Font(hb.Face(hb.Blob.from_file_path(str(path))))
        self.units_per_em = self.font.face.upem
        # Bounded: a chart could size its labels from data, with a size per label.
        self.outline = functools.lru_cache(maxsize=20_000)(self._outline)

    def covers(self, text: str) -> bool:
        return all(self.font.get_nominal_glyph(ord(char)) is not None for char in text)

    def _outline(self, glyph: int, size: float) -> tuple[tuple[int, int], str] | None:
        """The glyph's first point (thousandths of a pixel) and the path data after it; None for a blank glyph."""
        pen = _PathPen(size / self.units_per_em)
        self.font.draw_glyph_with_pen(glyph, pen)
        return None if pen.start is None else (pen.start, "".join(pen.data))

    def path_data(self, text: str, size: float, baseline: float, anchor: str) -> str:
        """Path data of one line of text at `size` pixels, its baseline at y = `baseline`, `anchor`ed at x = 0."""
        buffer = hb.Buffer()
        buffer.add_str(text)
        buffer.guess_segment_properties()
        buffer.language = "en"  # not the process's locale: the same glyphs on every machine
        hb.shape(self.font, buffer)
        positions = buffer.glyph_positions or []  # None for an empty line
        scale = size / self.units_per_em * _STEPS_PER_PIXEL  # font units to steps
        width = sum(position.x_advance for position in positions)
        pen_x = -(width / 2 if anchor == "middle" else width if anchor == "end" else 0)
        origin_y = baseline * _STEPS_PER_PIXEL
        data = []
        for info, position in zip(buffer.glyph_infos, positions):
            outline = self.outline(info.codepoint, size)
            if outline is not None:
                (start_x, start_y), rest = outline
                x = round((pen_x + position.x_offset) * scale) + start_x
                y = round(origin_y - position.y_offset * scale) + start_y
                data.append(f"M{_pixels_text(x)} {_pixels_text(y)}{rest}")
            pen_x += position.x_advance
        return "".join(data)


@functools.cache
def _font(bold: bool) -> _Font:
    return _Font(_FILES[bold])


_TEXT = re.compile(r"<text\b([^>]*)(?<!/)>(.*?)</text>", re.S)  # not an empty <text .../>
_ATTRIBUTES = re.compile(r'(?:\s+[a-z-]+="[^"]*")*\s*')  # all double-quoted, as Vega writes them
_ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')
_NUMBER = r"-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?"
_LINE = re.compile(rf'<tspan((?: x="0")?(?: dy="{_NUMBER}")?)>([^<]*)</tspan>')
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'"}
_ENTITY = re.compile("|".join(_ENTITIES))
_SPACING = re.compile(r"^ | $|  |[\t\n\r]")  # text the renderer would re-space (xml:space="default")
# Characters that make a renderer reorder text (right-to-left letters, bidi controls): one
# left-to-right run of glyphs would put them in the wrong order.
_REORDERING = {"R", "AL", "AN", "LRE", "LRO", "RLE", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}
_FONT_ATTRIBUTES = {"font-family", "font-size", "font-weight", "font-style", "font-variant", "text-anchor"}
# Kept on the path: where and how it is painted.
_KEPT_ATTRIBUTES = {"transform", "fill", "fill-opacity", "opacity", "stroke", "stroke-width", "stroke-opacity",
                    "stroke-linejoin", "stroke-linecap", "stroke-miterlimit"}


def text_as_paths(svg: str) -> str:
    """The SVG (as Vega draws it) with each label set in the export font drawn as a path instead.

    A `<text>` element becomes a `<path>` with the same transform and paint (drawn in pixels, so a
    stroke keeps its width) when the export font comes first in its family list, in a face the
    font has (regular or bold, upright), at a size above 0, with every character in the font and
    none that reorders text; its lines are Vega's `<tspan x="0" dy="...">`. Anything else (another
    font, italics, a character outside the font, right-to-left text, spacing the renderer would
    change, an attribute or entity not known here) stays text, for vl-convert to draw as before.
    """
    return _TEXT.sub(_label_as_path, svg)


def _label_as_path(match: re.Match[str]) -> str:
    text_element = match.group(0)
    if not _ATTRIBUTES.fullmatch(match.group(1)):
        return text_element
    attributes = dict(_ATTRIBUTE.findall(match.group(1)))
    if (not set(attributes) <= _FONT_ATTRIBUTES | _KEPT_ATTRIBUTES
            or attributes.get("font-family", "").split(",")[0].strip().strip("'\"") != FAMILY
            or attributes.get("font-style", "normal") != "normal"
            or attributes.get("font-variant", "normal") != "normal"
            or attributes.get("text-anchor", "start") not in ("start", "middle", "end")):
        return text_element
    lines = _lines(match.group(2))
    size = _pixels(attributes.get("font-size", ""))
    if lines is None or size is None or size <= 0 or not all(_drawable(line) for _, line in lines):
        return text_element
    font = _font(_is_bold(attributes.get("font-weight", "normal")))
    if not all(font.covers(line) for _, line in lines):
        return text_element
    data, baseline = [], 0.0
    for dy, line in lines:
        baseline += dy
        data.append(font.path_data(line, size, baseline, attributes.get("text-anchor", "start")))
    painted = "".join(f' {name}="{value}"' for name, value in attributes.items() if name in _KEPT_ATTRIBUTES)
    return f'<path{painted} d="{"".join(data)}"/>' if any(data) else ""


def _drawable(line: str) -> bool:
    """True for a line drawn as one left-to-right run, spaced as written."""
    return not _SPACING.search(line) and not any(unicodedata.bidirectional(char) in _REORDERING for char in line)


def _lines(body: str) -> list[tuple[float, str]] | None:
    """(dy, text) of each line of a text element's content; None for content other than Vega's."""
    if "<" not in body:
        lines = [("", body)]
    else:
        lines = _LINE.findall(body)
        if "".join(f"<tspan{attributes}>{text}</tspan>" for attributes, text in lines) != body:
            return None
        if any(not attributes.startswith(' x="0"') for attributes, _ in lines[1:]):
            return None  # a line that does not start again at the left is not a line of Vega's
    texts = [_ENTITY.sub(lambda entity: _ENTITIES[entity.group(0)], text) for _, text in lines]
    if "&" in _ENTITY.sub("", "".join(text for _, text in lines)):
        return None  # character references: Vega writes none, and XML reads them otherwise than HTML
    steps = [re.search(r'dy="([^"]+)"', attributes) for attributes, _ in lines]
    return [(float(step.group(1)) if step else 0.0, text) for step, text in zip(steps, texts)]


def _pixels(value: str) -> float | None:
    """A finite length in pixels (`13px` or `13`), or None."""
    try:
        pixels = float(value.removesuffix("px"))
    except ValueError:
        return None
    return pixels if math.isfinite(pixels) else None


def _is_bold(weight: str) -> bool:
    """The bold face for `bold`, `bolder` and 600 to 900, as resvg picks between a regular and a bold face."""
    return weight in ("bold", "bolder", "600", "700", "800", "900")
