"""Tests for journeymap.export.font: the shipped font, and labels drawn as outlines looking as vl-convert draws text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import uharfbuzz as hb
import vl_convert as vlc

from journeymap.charts.explorer import funnel_chart
from journeymap.charts.map import map_chart
from journeymap.core.fonts import FONT_DIR
from journeymap.export.font import FAMILY, text_as_paths, with_export_font, with_screen_fonts
from journeymap.export.render import export_chart
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import sample_events_path, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.hotspots import hotspot_marker
from journeymap.measures.metrics import compute_metrics
from pictures import assert_same_picture, png_pixels

FONT = f"{FAMILY}, DejaVu Sans, Verdana, Arial, sans-serif"
SOURCE = Path(__file__).resolve().parents[1] / "src" / "journeymap"


def label(text: str, *, attributes: str = "", font: str = FONT, transform: str = "translate(150,45)") -> str:
    return (f'<text text-anchor="middle" transform="{transform}" font-family="{font}" font-size="13px" '
            f'fill="#1f2933"{attributes}>{text}</text>')


def picture(body: str, background: str = "white") -> bytes:
    """Body in a 300 x 90 SVG on a plain background, drawn by vl-convert at scale 2."""
    with_export_font({})  # registers the export font with vl-convert
    return vlc.svg_to_png(f'<svg xmlns="http://www.w3.org/2000/svg" width="300" height="90">'
                          f'<rect width="300" height="90" fill="{background}"/>{body}</svg>', scale=2)


DRAWN_ALIKE = {
    "centred": label("Contract signed"),
    "from the start": label("Offer accepted", attributes="").replace('"middle"', '"start"', 1),
    "to the end": label("2,400 cases").replace('"middle"', '"end"', 1),
    "bold": label("23.7 h", attributes=' font-weight="bold"'),
    "numeric bold": label("Median time", attributes=' font-weight="700"'),
    "kerning and quotes": label("AVATAR Tŷ “quoted” WAVE"),
    "markup as text": label("Escapes &amp; &lt;b&gt;tags&lt;/b&gt;"),
    "other scripts": label("Приём заявки · Ωmega · café"),
    "symbols": label("① → ≥ ✓ ● … −5 × 2"),
    "lines": label('<tspan>Equipment &amp;</tspan><tspan x="0" dy="16">access</tspan>'
                   '<tspan x="0" dy="16">128 cases</tspan>', transform="translate(150,20)"),
    "turned": label("Week 12", transform="translate(150,60) rotate(-30)"),
    "see-through": label("Faded edge label", attributes=' opacity="0.4" fill-opacity="0.7"'),
    "large": label("Employee onboarding").replace('font-size="13px"', 'font-size="22px"'),
    "an in-between weight": label("Median time", attributes=' font-weight="550"'),  # resvg: regular
    "outlined, 1 px by default": label("Outlined label", attributes=' stroke="#d55e00"'),
    "lines from the start, turned": label('<tspan>Equipment</tspan><tspan x="0" dy="16">returned</tspan>',
                                          transform="translate(120,20) rotate(20)").replace('"middle"', '"start"', 1),
    "lines to the end": label('<tspan>Offer</tspan><tspan x="0" dy="-16">withdrawn</tspan>',
                              transform="translate(250,70)").replace('"middle"', '"end"', 1),
}


@pytest.mark.parametrize("body", DRAWN_ALIKE.values(), ids=DRAWN_ALIKE.keys())
def test_a_label_as_outlines_looks_as_vl_convert_draws_its_text(body):
    """Same glyphs, same places: the pictures differ by anti-aliasing only, and there is ink to compare."""
    outlined = text_as_paths(body)
    assert "<text" not in outlined and outlined.startswith("<path ")
    theirs = png_pixels(picture(body))
    assert (theirs.min(axis=2) < 200).sum() > 200  # the label is drawn, not a blank picture
    assert_same_picture(png_pixels(picture(outlined)), theirs)


def test_a_halo_keeps_its_width_in_pixels():
    """A white, white-stroked copy under a label (the map's halo) outlines it as wide as vl-convert's."""
    halo = label("Background check", attributes=' fill="white" stroke="white" stroke-width="4" '
                                                 'stroke-linejoin="round"').replace(' fill="#1f2933"', "", 1)
    outlined = text_as_paths(halo)
    assert 'stroke-width="4"' in outlined and "<text" not in outlined  # the path is drawn in pixels too
    theirs = png_pixels(picture(halo, background="#52606d"))
    assert (theirs.min(axis=2) > 200).sum() > 2000  # the white outline is there to compare
    assert_same_picture(png_pixels(picture(outlined, background="#52606d")), theirs)


def test_a_misplaced_outline_would_be_seen():
    """The comparison is sharp enough to catch a label one pixel out of place."""
    body = label("Contract signed")
    moved = text_as_paths(body.replace("translate(150,45)", "translate(151,45)"))
    with pytest.raises(AssertionError):
        assert_same_picture(png_pixels(picture(moved)), png_pixels(picture(body)))


STAYS_TEXT = {
    "another font first": label("Contract signed", font="DejaVu Sans, sans-serif"),
    "italics": label("Contract signed", attributes=' font-style="italic"'),
    "a character outside the font": label("東京 office"),
    "spaces the renderer would collapse": label("two  spaces"),
    "a leading space": label(" leading"),
    "an attribute not known here": label("Contract signed", attributes=' dx="3"'),
    "content other than lines": label("<title>Tip</title>Contract signed"),
    "a line that does not start at the left": label('<tspan>one</tspan><tspan x="5" dy="16">two</tspan>'),
    "a size that is not pixels": label("Contract signed").replace('font-size="13px"', 'font-size="1em"'),
    "no size": label("Contract signed").replace('font-size="13px"', 'font-size="0px"'),
    "a size that is not a number": label("Contract signed").replace('font-size="13px"', 'font-size="NaNpx"'),
    "a negative size": label("Contract signed").replace('font-size="13px"', 'font-size="-13px"'),
    "a right-to-left override": label("abc\u202edef"),
    "right-to-left letters": label("שלום"),
    "a character reference": label("&#233;t&#233;"),
    "an attribute in single quotes": label("Contract signed", attributes=" dy='20'"),
}


@pytest.mark.parametrize("body", STAYS_TEXT.values(), ids=STAYS_TEXT.keys())
def test_labels_it_cannot_draw_alike_stay_text(body):
    """vl-convert then draws them as before (and falls back to the machine's fonts where it must)."""
    svg = f"<g>{body}<text font-family=\"{FONT}\"/></g>"
    assert text_as_paths(svg) == svg


def test_an_empty_label_draws_nothing():
    """A text element with no content (or an empty line of it) becomes nothing, as it draws nothing."""
    assert text_as_paths(label("")) == ""
    assert text_as_paths(label('<tspan></tspan><tspan x="0" dy="16">two</tspan>')).startswith("<path ")


def test_only_text_elements_change():
    """Marks around the labels, and empty text elements, are left exactly as they were."""
    before = '<g class="mark-symbol"><path d="M0,0L5,5"/></g><text transform="translate(1,2)"/>'
    converted = text_as_paths(before + label("Day 1") + before)
    assert converted.startswith(before) and converted.endswith(before)
    assert converted.count("<path") == 3 and '<path transform="translate(150,45)" fill="#1f2933" d="M' in converted


def test_every_character_journeymap_writes_into_charts_is_in_the_font():
    """Separators, arrows, markers and signs in the chart code are drawn as outlines, in both faces."""
    code = "".join(path.read_text(encoding="utf-8") for path in sorted(SOURCE.rglob("*.py")))
    written = {char for char in code if ord(char) > 127} | {hotspot_marker(rank) for rank in range(1, 11)}
    assert {"·", "→", "…", "①", "−", "≥"} <= written
    for face in ("JourneymapSans.ttf", "JourneymapSans-Bold.ttf"):
        font = hb.Font(hb.Face(hb.Blob.from_file_path(str(FONT_DIR / face))))
        missing = sorted(char for char in written if font.get_nominal_glyph(ord(char)) is None)
        assert missing == [], f"{face} lacks {missing}"


def test_the_font_is_dejavu_sans_renamed_with_its_licence():
    """The faces are named Journeymap Sans, no name says Vera, Bitstream or Arev, and DejaVu's licence
    is beside them."""
    licence = (FONT_DIR / "LICENSE-DejaVu.txt").read_text(encoding="utf-8")
    assert 'names not containing either the words "Bitstream"' in licence and "Arev Fonts Copyright" in licence
    for face_file, style in (("JourneymapSans.ttf", "Regular"), ("JourneymapSans-Bold.ttf", "Bold")):
        face = hb.Face(hb.Blob.from_file_path(str(FONT_DIR / face_file)))
        names = {name_id: face.get_name(name_id) for name_id in (1, 2, 3, 4, 6, 16, 17)}
        assert (names[1], names[2], names[16]) == (FAMILY, style, FAMILY)
        assert not [name for name in names.values() if re.search("Vera|Bitstream|Arev|Tavmjong", name)]
        assert "Bitstream" in face.get_name(0)  # the copyright notices stay in the font


@pytest.fixture(scope="module")
def onboarding():
    journey = load_journey(sample_journey_path("onboarding"))
    return compute_metrics(read_events(sample_events_path("onboarding")).frame, journey)


def test_exports_are_set_in_the_shipped_font(onboarding):
    """The PDF embeds Journeymap Sans; the SVG names the screen fonts, as the chart on screen does."""
    assert b"JourneymapSans" in export_chart(funnel_chart(onboarding), "pdf")
    svg = export_chart(map_chart(onboarding), "svg").decode("utf-8")
    assert FAMILY not in svg and 'font-family="DejaVu Sans, Verdana, Arial, sans-serif"' in svg


def test_screen_fonts_only_drop_the_export_font():
    """Only the export font's name goes, from tags only; a label in another font, or about fonts, is left alone."""
    about = f'uses font-family="{FAMILY}, Arial" here'
    svg = f'<text font-family="{FONT}">a</text><text font-family="Arial">b</text><text x="1">{about}</text>'
    assert with_screen_fonts(svg) == ('<text font-family="DejaVu Sans, Verdana, Arial, sans-serif">a</text>'
                                      f'<text font-family="Arial">b</text><text x="1">{about}</text>')


def test_the_export_font_goes_first_and_the_spec_is_not_changed():
    spec = {"mark": "text", "config": {"font": "DejaVu Sans, sans-serif", "aria": False}}
    assert with_export_font(spec)["config"] == {"font": f"{FAMILY}, DejaVu Sans, sans-serif", "aria": False}
    assert spec["config"]["font"] == "DejaVu Sans, sans-serif"
    assert with_export_font({"mark": "text"})["config"]["font"] == f"{FAMILY}, sans-serif"


def test_every_chart_png_is_drawn_without_text(onboarding, monkeypatch):
    """Map and funnel reach the rasteriser with each label as one path (the fast path is taken)."""
    import journeymap.export.render as export

    drawn: list[str] = []
    monkeypatch.setattr(export.vlc, "svg_to_png", lambda svg, scale: drawn.append(svg) or b"")
    for chart in (map_chart(onboarding), funnel_chart(onboarding)):
        export_chart(chart, "png", width=800, height=450)
        svg = export_chart(chart, "svg", width=800, height=450).decode("utf-8")
        labels = len(re.findall(r"<text\b[^>]*(?<!/)>", svg))
        assert labels > 10 and re.findall(r"<text\b[^>]*(?<!/)>", drawn[-1]) == []
        assert drawn[-1].count("<path") - svg.count("<path") == labels
