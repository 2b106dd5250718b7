"""Where the labels and lines of a chart's SVG (as Vega draws it) fall on the page.

Text boxes are estimated the way a reader sees them: the width of each line measured with the
shipped font (`journeymap.charts.textfit.text_width`, HarfBuzz on DejaVu Sans), from 0.79 of the font
size above the baseline to 0.21 below (the offsets Vega itself uses for "top" and "bottom"
baselines). Every transform of the text and of the groups around it is applied, rotations too.
White text is a halo under a label, not a label, and is left out.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from journeymap.charts.textfit import text_width

_SVG = "{http://www.w3.org/2000/svg}"
_TRANSFORM = re.compile(r"(translate|rotate|scale)\(([^)]*)\)")
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?", re.I)
Matrix = tuple[float, float, float, float, float, float]  # a, b, c, d, e, f as in SVG
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass(frozen=True)
class Box:
    """One line of text on the page: its words, font size and bounding box in pixels."""

    text: str
    size: float
    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box, tolerance: float = 0.5) -> bool:
        return (min(self.right, other.right) - max(self.left, other.left) > tolerance
                and min(self.bottom, other.bottom) - max(self.top, other.top) > tolerance)

    def crossed_by(self, a: tuple[float, float], b: tuple[float, float], margin: float = 1.0) -> bool:
        """True when the segment a-b passes through this box shrunk by `margin` on every side."""
        left, top, right, bottom = self.left + margin, self.top + margin, self.right - margin, self.bottom - margin
        if left >= right or top >= bottom:
            return False
        t0, t1 = 0.0, 1.0
        (x0, y0), (dx, dy) = a, (b[0] - a[0], b[1] - a[1])
        for p, q in ((-dx, x0 - left), (dx, right - x0), (-dy, y0 - top), (dy, bottom - y0)):
            if p == 0:
                if q < 0:
                    return False
            else:
                t = q / p
                if p < 0:
                    t0 = max(t0, t)
                else:
                    t1 = min(t1, t)
        return t0 < t1


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + c * b2, b * a2 + d * b2, a * c2 + c * d2, b * c2 + d * d2, a * e2 + c * f2 + e,
            b * e2 + d * f2 + f)


def _parse_transform(text: str | None) -> Matrix:
    matrix = IDENTITY
    for name, args in _TRANSFORM.findall(text or ""):
        values = [float(v) for v in _NUMBER.findall(args)]
        if name == "translate":
            step = (1.0, 0.0, 0.0, 1.0, values[0], values[1] if len(values) > 1 else 0.0)
        elif name == "scale":
            step = (values[0], 0.0, 0.0, values[1] if len(values) > 1 else values[0], 0.0, 0.0)
        else:
            angle = math.radians(values[0])
            step = (math.cos(angle), math.sin(angle), -math.sin(angle), math.cos(angle), 0.0, 0.0)
        matrix = _multiply(matrix, step)
    return matrix


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def _pixels(value: str | None, default: float) -> float:
    return float(value.removesuffix("px")) if value else default


def text_boxes(svg: str) -> list[Box]:
    """Every line of visible text in the SVG, with its box on the page."""
    boxes: list[Box] = []

    def walk(node: ET.Element, matrix: Matrix, inherited: dict[str, str]) -> None:
        matrix = _multiply(matrix, _parse_transform(node.get("transform")))
        style = {**inherited, **{k: v for k, v in node.attrib.items()
                                 if k in ("font-size", "font-weight", "text-anchor", "fill", "opacity")}}
        if node.tag == f"{_SVG}text":
            if style.get("fill", "").lower() in ("white", "#fff", "#ffffff") or style.get("opacity") == "0":
                return
            size = _pixels(style.get("font-size"), 11.0)
            bold = style.get("font-weight", "normal") in ("bold", "bolder", "600", "700", "800", "900")
            anchor = style.get("text-anchor", "start")
            spans = list(node.iter(f"{_SVG}tspan")) or [node]
            baseline = 0.0
            for span in spans:
                line = (span.text or "") if span is not node else "".join(node.itertext())
                baseline += float(span.get("dy", "0")) if span is not node else 0.0
                if not line.strip():
                    continue
                width = text_width(line, size, bold)
                x0 = -width / 2 if anchor == "middle" else -width if anchor == "end" else 0.0
                corners = [_apply(matrix, x, y) for x in (x0, x0 + width)
                           for y in (baseline - 0.79 * size, baseline + 0.21 * size)]
                xs, ys = [c[0] for c in corners], [c[1] for c in corners]
                boxes.append(Box(line, size, min(xs), min(ys), max(xs), max(ys)))
            return
        for child in node:
            walk(child, matrix, style)

    walk(ET.fromstring(svg), IDENTITY, {})
    return boxes


def overlapping(boxes: list[Box]) -> list[tuple[Box, Box]]:
    """Every pair of text boxes that overlap."""
    ordered = sorted(boxes, key=lambda box: box.left)
    pairs = []
    for i, box in enumerate(ordered):
        for other in ordered[i + 1:]:
            if other.left >= box.right:
                break
            if box.overlaps(other):
                pairs.append((box, other))
    return pairs


def line_paths(svg: str, group_class: str = "mark-line") -> list[list[tuple[float, float]]]:
    """The polylines of the line marks (the map's transitions), in page pixels."""
    paths: list[list[tuple[float, float]]] = []

    def walk(node: ET.Element, matrix: Matrix, inside: bool) -> None:
        matrix = _multiply(matrix, _parse_transform(node.get("transform")))
        inside = inside or group_class in (node.get("class") or "").split()
        if inside and node.tag == f"{_SVG}path" and node.get("d"):
            numbers = [float(v) for v in _NUMBER.findall(node.get("d", ""))]
            points = [_apply(matrix, x, y) for x, y in zip(numbers[::2], numbers[1::2])]
            if len(points) > 1:
                paths.append(points)
        for child in node:
            walk(child, matrix, inside)

    walk(ET.fromstring(svg), IDENTITY, False)
    return paths


def rule_segments(svg: str) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """The straight lines of the rule marks (a forest plot's intervals, a chart's reference lines), in page
    pixels; axis ticks and grid lines are left out."""
    segments: list[tuple[tuple[float, float], tuple[float, float]]] = []

    def walk(node: ET.Element, matrix: Matrix, inside: bool) -> None:
        matrix = _multiply(matrix, _parse_transform(node.get("transform")))
        classes = (node.get("class") or "").split()
        inside = inside or ("mark-rule" in classes and "role-mark" in classes)
        if inside and node.tag == f"{_SVG}line":
            x1, y1 = float(node.get("x1", "0")), float(node.get("y1", "0"))
            x2, y2 = float(node.get("x2", "0")), float(node.get("y2", "0"))
            segments.append((_apply(matrix, x1, y1), _apply(matrix, x2, y2)))
            return
        for child in node:
            walk(child, matrix, inside)

    walk(ET.fromstring(svg), IDENTITY, False)
    return segments
