"""Text work an export can spare Vega: halos drawn from their labels, labels laid out once.

Measuring text is the dear part of drawing a chart with vl-convert (1.9): each line of a label is
laid out by opening and mapping the font file again, glyph by glyph, so a map spends most of its
Vega time there. Two kinds of that work do not change the picture:
- a text halo (`chartkit.text_labels`: a white, white-stroked copy of a label layer under it) has
  the bounds of its labels: its layer is taken out of the spec (`split_halos`), and the labels
  Vega drew are copied in white under them (`draw_halos`), exactly as Vega draws the halo layer;
- with `fit` autosizing Vega lays everything out twice, first at the full width to size legends
  and title; text marks can be blank in that first pass (`text_after_layout`).
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Halo", "split_halos", "draw_halos", "text_after_layout"]


@dataclass(frozen=True)
class Halo:
    """The white outline drawn under the text mark named `name`: `width` pixels of stroke, `join`ed so."""

    name: str
    width: float
    join: str = "round"


_HALO_MARK = {"stroke": "white", "color": "white"}
_HALO_NAME = "haloed_text_{}"
_PAINT = {"fill", "stroke", "strokeWidth", "strokeJoin", "strokeDash", "strokeOpacity"}  # the outline's own


def split_halos(spec: dict[str, Any]) -> tuple[dict[str, Any], list[Halo]]:
    """The spec without its text halo layers, and the halos to draw under the labels they outline.

    A halo layer is a text layer in white with a white stroke, directly followed by the same text
    layer without the stroke (what `chartkit.text_labels` makes; unnamed layers only). The label
    layer keeps its place and gets a name, so its marks can be found in the SVG; the spec given is
    not changed. Vega bounds text by its glyphs, not its stroke, so halo and labels have the same
    bounds and the layout does not change either.
    """
    halos: list[Halo] = []

    def strip(node: dict[str, Any]) -> dict[str, Any]:
        layers = node.get("layer")
        if not isinstance(layers, list):
            return node
        kept: list[Any] = []
        index = 0
        while index < len(layers):
            layer = layers[index]
            label = layers[index + 1] if index + 1 < len(layers) else None
            if isinstance(layer, dict) and isinstance(label, dict) and _outlines(layer, label):
                mark = layer["mark"]
                name = _HALO_NAME.format(len(halos))
                halos.append(Halo(name, float(mark["strokeWidth"]), str(mark.get("strokeJoin", "miter"))))
                kept.append({**label, "name": name})
                index += 2
                continue
            kept.append(strip(layer) if isinstance(layer, dict) else layer)
            index += 1
        return {**node, "layer": kept}

    stripped = strip(spec)
    return (stripped if halos else spec), halos


def _outlines(halo: dict[str, Any], label: dict[str, Any]) -> bool:
    """True when `halo` is a white-outlined copy of the text layer `label` (as `text_labels` makes it)."""
    mark, text = halo.get("mark"), label.get("mark")
    if not (isinstance(mark, dict) and isinstance(text, dict) and mark.get("type") == "text" == text.get("type")):
        return False
    if any(mark.get(key) != value for key, value in _HALO_MARK.items()) or "stroke" in text or "fill" in mark:
        return False
    if _PAINT & set(label.get("encoding", {})):  # an encoded paint would paint the outline too
        return False
    if not isinstance(mark.get("strokeWidth"), (int, float)) or mark["strokeWidth"] <= 0:
        return False
    outline = {"stroke", "strokeWidth", "strokeJoin", "color"}
    if {k: v for k, v in mark.items() if k not in outline} != {k: v for k, v in text.items() if k != "color"}:
        return False
    if halo.get("encoding", {}) != {k: v for k, v in label.get("encoding", {}).items() if k != "color"}:
        return False
    # Named layers may be referred to (selections): those pairs are left as they are.
    return "name" not in halo and "name" not in label and (
        {k: v for k, v in halo.items() if k not in ("mark", "encoding")}
        == {k: v for k, v in label.items() if k not in ("mark", "encoding")})


# Text marks hold no nested group; a layer with no labels (a filter that keeps none) is an empty `<g .../>`,
# which must not swallow the markup up to the next group's end.
_TEXT_GROUP = r'<g class="mark-text role-mark {name}_marks"[^>]*?(?:/>|>.*?</g>)'
_TEXT_TAG = re.compile(r"<text\b[^>]*>")
_FILL = re.compile(r' fill="[^"]*"')


def draw_halos(svg: str, halos: list[Halo], *, outline_only: bool = False) -> str:
    """Draw each halo under the text marks it outlines, in an SVG of a spec from `split_halos`.

    As Vega draws a halo layer: a copy of the labels' text elements in white with a white stroke,
    just before them. (Giving each label its own stroke, painted first with `paint-order`, would
    shape half the glyphs, but where labels overlap one label's outline would then cover another
    label's letters.) A LookupError means a label mark is not in the SVG under its name.

    `outline_only` leaves out the white inside of each halo whose label is painted in a solid,
    opaque colour: the label covers it exactly, so the picture is the same, and a rasteriser has
    a fill fewer to draw. (The SVG keeps Vega's own halo.)
    """
    for halo in halos:
        svg, found = re.subn(_TEXT_GROUP.format(name=re.escape(halo.name)),
                             functools.partial(_outline_match, halo=halo, outline_only=outline_only),
                             svg, count=1, flags=re.S)
        if not found:
            raise LookupError(f"No text marks named {halo.name} in the SVG")
    return svg


_SOLID_FILL = re.compile(r' fill="#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})"')
_SEE_THROUGH = re.compile(r' (?:fill-)?opacity="(?!1")[^"]*"')


def _outline_match(group: re.Match[str], *, halo: Halo, outline_only: bool) -> str:
    return _outlined(group.group(0), halo, outline_only)


def _outlined(labels: str, halo: Halo, outline_only: bool = False) -> str:
    """A group of label text elements with its halo before it: the same elements, white and stroked."""
    stroke = f' stroke="white" stroke-width="{halo.width:g}" stroke-linejoin="{html.escape(halo.join)}"'

    def white(tag: str) -> str:
        covered = outline_only and _SOLID_FILL.search(tag) and not _SEE_THROUGH.search(tag)
        paint = (' fill="none"' if covered else ' fill="white"') + stroke
        if _FILL.search(tag):
            return _FILL.sub(paint, tag, count=1)
        end = -2 if tag.endswith("/>") else -1  # an empty <text .../> stays empty
        return tag[:end] + paint + tag[end:]

    under = _TEXT_TAG.sub(lambda tag: white(tag.group(0)), labels)
    return under.replace(f" {halo.name}_marks\"", f" {halo.name}_halo_marks\"", 1) + labels


def text_after_layout(vega: dict[str, Any]) -> dict[str, Any]:
    """A Vega spec whose text marks stay empty until the view has its final width.

    To fit legends, title and padding into `width`, Vega first runs the whole dataflow at the
    full width, measures what sticks out, then runs it again at the narrower width that fits.
    Text marks only stick out where a label runs over the plot's edge, so they need not be
    measured in that first run: their text is '' while the `width` signal still has its first
    value (Vega skips empty text) and the label once the width has changed. If a label does
    stick out, Vega simply runs once more. The picture is the same; measuring text is the dear
    part of drawing a chart with vl-convert, and the labels are measured once instead of twice.

    Only for `fit` with the padding inside and some left or right padding, where the final width
    is always smaller than the first; any other spec is returned as it is. The spec given is not
    changed.
    """
    autosize, padding, width = vega.get("autosize"), vega.get("padding", 0), vega.get("width")
    if isinstance(padding, (int, float)):
        padding = {"left": padding, "right": padding}
    if not (isinstance(autosize, dict) and autosize.get("type") in ("fit", "fit-x")
            and autosize.get("contains") == "padding" and isinstance(padding, dict)
            and (padding.get("left") or 0) + (padding.get("right") or 0) > 0
            and isinstance(width, (int, float)) and not isinstance(width, bool)
            and not any(signal.get("name") == "width" for signal in vega.get("signals", []))):
        return vega

    def lazy(marks: list[Any]) -> list[Any]:
        changed = []
        for mark in marks:
            if isinstance(mark, dict) and mark.get("type") == "group" and isinstance(mark.get("marks"), list):
                mark = {**mark, "marks": lazy(mark["marks"])}
            text = mark.get("encode", {}).get("update", {}).get("text") if isinstance(mark, dict) else None
            if isinstance(text, dict) and set(text) == {"signal"} and mark.get("type") == "text":
                update = {
                    **mark["encode"]["update"],
                    "text": {"signal": f"width === {width} ? '' : ({text['signal']})"},
                }
                mark = {**mark, "encode": {**mark["encode"], "update": update}}
            changed.append(mark)
        return changed

    return {**vega, "marks": lazy(vega.get("marks", []))}
