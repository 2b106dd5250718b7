"""Tests for journeymap.export.render: every format, the right size, offline, deterministic and escaped."""

from __future__ import annotations

import copy
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import vl_convert as vlc

from journeymap.charts.explorer import funnel_chart
from journeymap.charts.map import map_chart
from journeymap.core.errors import JourneyError
from journeymap.export.font import with_export_font
from journeymap.export.render import (
    CHART_FORMATS,
    MIME_TYPES,
    chart_spec,
    export_chart,
    format_from_path,
    save_chart,
    stable_svg_ids,
)
from journeymap.export.text import Halo, draw_halos, split_halos, text_after_layout
from journeymap.journey.definition import load_journey
from journeymap.journey.samples import sample_events_path, sample_journey_path
from journeymap.log.readers import read_events
from journeymap.measures.hotspots import find_hotspots
from journeymap.measures.metrics import compute_metrics
from journeymap.testing import EVIL_LABEL, build_events, markup_journey
from pictures import assert_same_picture, png_pixels

EVIL = EVIL_LABEL
EVIL_JOURNEY = markup_journey("Escapes & <b>tags</b>", stage_label="Stage <i>one</i>")
# Every http(s) URL in an exported HTML page is one of these strings inside the inlined Vega
# libraries: XML namespaces, an error message's issue link, the compiled spec's $schema id and
# the default "Open in Vega Editor" address (that action is switched off). None is fetched.
LIBRARY_URLS = {"http://www.w3.org/1999/xlink", "http://www.w3.org/2000/svg", "http://www.w3.org/2000/xmlns/",
                "https://github.com/vega/vega-lite/issues/2415", "https://vega.github.io/editor/",
                "https://vega.github.io/schema/vega/v6.json"}
URL = re.compile(r"https?://[^\s\"'<>)\\]+")


@pytest.fixture(scope="module")
def onboarding() -> Any:
    journey = load_journey(sample_journey_path("onboarding"))
    return compute_metrics(read_events(sample_events_path("onboarding")).frame, journey)


@pytest.fixture(scope="module")
def onboarding_map(onboarding: Any) -> Any:
    return map_chart(onboarding, hotspots=find_hotspots(onboarding, top=3), width=1600, height=900)


@pytest.fixture(scope="module")
def evil_map() -> Any:
    events = build_events({f"c{i}": [("apply", 0), ("review", 5 + i), ("done", 30 + 2 * i)] for i in range(6)})
    return map_chart(compute_metrics(events, EVIL_JOURNEY))


def svg_texts(svg: bytes) -> list[str]:
    """The text of every <text> element, its lines joined by spaces."""
    root = ET.fromstring(svg)
    return [" ".join(part.strip() for part in element.itertext() if part.strip())
            for element in root.iter("{http://www.w3.org/2000/svg}text")]


class TestPng:
    def test_png_has_signature_and_requested_pixel_size(self, onboarding_map):
        """A PNG of 800 x 450 at scale 2 is a real PNG of exactly 1600 x 900 pixels."""
        png = export_chart(onboarding_map, "png", width=800, height=450, scale=2)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", png[16:24]) == (1600, 900)

    def test_default_png_is_a_crisp_16_9_slide(self, onboarding_map):
        """By default a PNG is 1600 x 900 logical pixels at scale 2: 3200 x 1800."""
        png = export_chart(onboarding_map, "png")
        assert struct.unpack(">II", png[16:24]) == (3200, 1800)

    def test_png_is_deterministic(self, onboarding_map):
        """The same chart gives the same PNG bytes."""
        first = export_chart(onboarding_map, "png", width=800, height=450, scale=1)
        assert export_chart(onboarding_map, "png", width=800, height=450, scale=1) == first


class TestSvg:
    def test_svg_parses_and_names_every_step(self, onboarding, onboarding_map):
        """The SVG is well-formed XML, sized 1600 x 900, and every designed step label is in its text."""
        svg = export_chart(onboarding_map, "svg")
        root = ET.fromstring(svg)
        assert (root.get("width"), root.get("height")) == ("1600", "900")
        text = "\n".join(svg_texts(svg))
        for step in onboarding.journey.steps:
            assert step.label in text, step.label

    def test_svg_carries_title_subtitle_and_legend(self, onboarding_map):
        """Title, the subtitle with range and as-of date, and the legend titles are in the file."""
        texts = svg_texts(export_chart(onboarding_map, "svg"))
        assert "Employee onboarding: share of lead time at each step" in texts
        assert any(t.startswith("Employee onboarding · events") and t.endswith("as of 2026-10-30") for t in texts)
        assert {"Transitions", "Share of lead time"} <= set(texts)

    def test_svg_is_deterministic_across_builds(self, onboarding):
        """Building and exporting the map twice gives identical SVG bytes (gradient ids renumbered)."""
        one = export_chart(map_chart(onboarding), "svg")
        two = export_chart(map_chart(onboarding), "svg")
        assert one == two
        assert b'id="gradient_0"' in one

    def test_stable_ids_take_a_prefix_and_keep_references(self):
        """Renumbered ids and every url(#...) reference to them change together."""
        svg = '<svg><defs><linearGradient id="gradient_7"/></defs><path fill="url(#gradient_7)"/></svg>'
        assert stable_svg_ids(svg, prefix="c1-") == ('<svg><defs><linearGradient id="c1-gradient_0"/></defs>'
                                                     '<path fill="url(#c1-gradient_0)"/></svg>')


class TestPdf:
    def test_pdf_renders_to_a_16_9_page(self, onboarding_map, tmp_path: Path):
        """pdftoppm renders the PDF to one page of the chart's 16:9 aspect; no creation date is embedded."""
        pdf = export_chart(onboarding_map, "pdf")
        assert pdf.startswith(b"%PDF-") and b"/CreationDate" not in pdf
        if shutil.which("pdftoppm") is None:
            pytest.fail("pdftoppm is needed to check PDF exports (apt-get install poppler-utils)")
        (tmp_path / "map.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "36", "-png", str(tmp_path / "map.pdf"), str(tmp_path / "page")],
                       check=True)
        (page,) = tmp_path.glob("page*.png")
        width, height = struct.unpack(">II", page.read_bytes()[16:24])
        assert width / height == pytest.approx(16 / 9, rel=0.01)


class TestHtml:
    def test_html_is_self_contained(self, onboarding_map):
        """The page is the inlined Vega libraries plus our markup, which loads nothing from anywhere."""
        page = export_chart(onboarding_map, "html").decode("utf-8")
        bundle = vlc.javascript_bundle(vl_version="6.4")
        assert page.count(bundle) == 1
        markup = page.replace(bundle, "")
        assert not re.search(r"\s(src|href)\s*=|<link|@import|url\(", markup, re.I)
        assert markup.count("<script>") == 2 and "vegaEmbed(" in markup

    def test_html_holds_no_url_to_fetch(self, onboarding_map):
        """Our markup has no URL at all (not even the spec's $schema); the library's are inert strings."""
        page = export_chart(onboarding_map, "html").decode("utf-8")
        bundle = vlc.javascript_bundle(vl_version="6.4")
        assert URL.findall(page.replace(bundle, "")) == []
        assert set(URL.findall(page)) == LIBRARY_URLS

    def test_html_is_deterministic(self, onboarding):
        """Two builds of the same map give the same HTML bytes."""
        assert export_chart(map_chart(onboarding), "html") == export_chart(map_chart(onboarding), "html")


class TestEscaping:
    def test_svg_escapes_labels(self, evil_map):
        """A step label with <script> and & is text in the SVG, never markup."""
        svg = export_chart(evil_map, "svg")
        assert b"<script" not in svg
        assert EVIL in "\n".join(svg_texts(svg))

    def test_html_keeps_labels_inside_the_spec(self, evil_map):
        """In the HTML page the label cannot close the script: < > & are JSON escapes, and only our 2 scripts exist."""
        page = export_chart(evil_map, "html").decode("utf-8")
        assert "<script>alert" not in page and "</script> & co" not in page
        assert page.count("<script") == 2 and page.count("</script>") == 2
        assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e \\u0026 co" in page
        assert "<title>Escapes &amp; &lt;b&gt;tags&lt;/b&gt;: share of lead time at each step</title>" in page


class TestFormats:
    def test_formats_and_mime_types(self):
        """Four formats, each with the MIME type a download button needs."""
        assert CHART_FORMATS == ("png", "svg", "pdf", "html")
        assert MIME_TYPES == {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf",
                              "html": "text/html"}

    def test_format_from_file_name(self):
        """The suffix picks the format; an unknown suffix is a user error."""
        assert format_from_path("deck/map.PNG") == "png" and format_from_path("wiki/map.htm") == "html"
        with pytest.raises(JourneyError, match="Cannot tell the format"):
            format_from_path("map.gif")

    def test_bad_format_size_or_scale(self, onboarding):
        """Unknown formats, absurd sizes and scales are refused with a sentence, not a stack trace."""
        chart = funnel_chart(onboarding)
        with pytest.raises(JourneyError, match="not an export format"):
            export_chart(chart, "jpeg")
        with pytest.raises(JourneyError, match="width of 10"):
            export_chart(chart, "svg", width=10)
        with pytest.raises(JourneyError, match="scale of 20"):
            export_chart(chart, "png", scale=20)

    def test_save_chart_writes_by_suffix(self, onboarding, tmp_path: Path):
        """save_chart writes the format its file name asks for."""
        path = save_chart(funnel_chart(onboarding), tmp_path / "funnel.svg", width=800, height=450)
        assert ET.fromstring(path.read_bytes()).get("width") == "800"


class TestShortcuts:
    """The exporter draws text halos itself and lays labels out once: the picture must not change."""

    @pytest.mark.parametrize("size", [(1600, 900), (800, 450)])  # labels overlap at 800 x 450
    def test_png_is_the_picture_vl_convert_draws_of_the_whole_spec(self, onboarding_map, size, monkeypatch):
        """Halos drawn by the exporter, no ARIA and labels measured once give the very same PNG bytes.

        (With the labels drawn as text by vl-convert: `test_exportfont` compares the outlines with that.)
        """
        import journeymap.export.render as export

        monkeypatch.setattr(export, "text_as_paths", lambda svg: svg)
        width, height = size
        assert export_chart(onboarding_map, "png", width=width, height=height, scale=1) == vlc.vegalite_to_png(
            with_export_font(chart_spec(onboarding_map, width=width, height=height)), vl_version="6.4", scale=1)

    def test_png_with_labels_as_outlines_looks_as_vl_convert_draws_it(self, onboarding_map):
        """The default PNG's pixels differ from vl-convert's by anti-aliasing only.

        (That its labels reach the rasteriser as outlines is `test_exportfont`'s to check.)
        """
        ours = png_pixels(export_chart(onboarding_map, "png", width=800, height=450))
        theirs = png_pixels(vlc.vegalite_to_png(with_export_font(chart_spec(onboarding_map, width=800, height=450)),
                                                vl_version="6.4", scale=2))
        assert_same_picture(ours, theirs)

    def test_svg_is_what_vega_draws_but_for_the_names_of_the_label_marks(self, onboarding_map):
        """The halo stays a white copy of the labels just under them, as Vega draws the halo layer."""
        ours = export_chart(onboarding_map, "svg").decode("utf-8")
        vegas = stable_svg_ids(vlc.vegalite_to_svg(chart_spec(onboarding_map), vl_version="6.4"))
        assert ours != vegas and "haloed_text_0_halo_marks" in ours and "haloed_text_0_marks" in ours
        unnamed = re.compile(r'class="mark-text role-mark [^"]*"')
        assert unnamed.sub("", ours) == unnamed.sub("", vegas)

    def test_a_label_mark_vega_named_otherwise_falls_back_to_the_halo_layers(self, onboarding_map, monkeypatch):
        """If a label group cannot be found in the SVG, the whole spec is drawn as it came."""
        import journeymap.export.render as export

        split = export.split_halos
        monkeypatch.setattr(export, "split_halos",
                            lambda spec: (split(spec)[0], [Halo("no_such_marks", 4.0, "round")]))
        vegas = stable_svg_ids(vlc.vegalite_to_svg(chart_spec(onboarding_map), vl_version="6.4"))
        assert export_chart(onboarding_map, "svg").decode("utf-8") == vegas

    def test_chart_spec_is_altairs(self, onboarding_map):
        """Copying the named datasets in directly gives the spec Altair's to_dict gives."""
        altairs = onboarding_map.properties(width=1000, height=600).to_dict(validate=False)
        altairs.setdefault("autosize", {"type": "fit", "contains": "padding"})
        assert chart_spec(onboarding_map, width=1000, height=600) == altairs

    def test_split_halos_takes_out_the_outline_layer_only(self, onboarding_map):
        """The map's one halo layer goes, its labels get a name; the spec given is left as it was."""
        spec = chart_spec(onboarding_map)
        before = copy.deepcopy(spec)
        unhaloed, halos = split_halos(spec)
        assert spec == before
        assert halos == [Halo("haloed_text_0", 4.0, "round")]
        assert len(unhaloed["layer"]) == len(spec["layer"]) - 1
        assert [layer.get("name") for layer in unhaloed["layer"]].count("haloed_text_0") == 1

    def test_split_halos_leaves_unlike_or_named_pairs(self):
        """A white text layer over different text, or a named one, is not taken for a halo."""
        text = {"mark": {"type": "text", "dy": 4}, "encoding": {"text": {"field": "a", "type": "nominal"}}}
        halo = {"mark": {"type": "text", "dy": 4, "stroke": "white", "strokeWidth": 4, "strokeJoin": "round",
                         "color": "white"}, "encoding": {"text": {"field": "a", "type": "nominal"}}}
        other = {**text, "encoding": {"text": {"field": "b", "type": "nominal"}}}
        assert split_halos({"layer": [halo, other]}) == ({"layer": [halo, other]}, [])
        assert split_halos({"layer": [{**halo, "name": "mine"}, text]})[1] == []
        stroked = {"stroke": {"field": "c", "type": "nominal"}}
        assert split_halos({"layer": [{**halo, "encoding": {**halo["encoding"], **stroked}},
                                      {**text, "encoding": {**text["encoding"], **stroked}}]})[1] == []
        unhaloed, halos = split_halos(
            {"layer": [{"layer": [halo, {**text, "mark": {**text["mark"], "color": "red"}}]}]}
        )
        assert halos == [Halo("haloed_text_0", 4.0, "round")] and len(unhaloed["layer"][0]["layer"]) == 1

    def test_draw_halos(self):
        """Each label group gets a white, stroked copy of its text elements just before it."""
        group = ('<g class="mark-text role-mark t_marks" role="graphics-object"><text x="1" fill="#111" '
                 'opacity="1">A &amp; B</text><text x="2" opacity="0.25"><tspan>C</tspan></text></g>')
        halo = ('<g class="mark-text role-mark t_halo_marks" role="graphics-object"><text x="1" fill="white" '
                'stroke="white" stroke-width="4" stroke-linejoin="round" opacity="1">A &amp; B</text><text x="2" '
                'opacity="0.25" fill="white" stroke="white" stroke-width="4" stroke-linejoin="round">'
                '<tspan>C</tspan></text></g>')
        assert draw_halos(f"<svg>{group}<g/></svg>", [Halo("t", 4.0, "round")]) == f"<svg>{halo}{group}<g/></svg>"
        with pytest.raises(LookupError):
            draw_halos("<svg></svg>", [Halo("t", 4.0, "round")])

    def test_draw_halos_of_a_layer_without_labels(self):
        """A label layer that shows nothing (a change label filtered to the other side) is an empty group;
        its halo is empty too, and the markup after it is left whole (a PNG with a change rule once broke)."""
        empty = '<g class="mark-text role-mark t_marks" role="graphics-object"/>'
        after = '<g class="mark-text role-mark u_marks"><text x="1">U</text></g></g>'
        drawn = draw_halos(f"<svg><g>{empty}<g><path/></g>{after}</svg>", [Halo("t", 4.0, "round")])
        assert drawn == (f'<svg><g><g class="mark-text role-mark t_halo_marks" role="graphics-object"/>{empty}'
                         f"<g><path/></g>{after}</svg>")
        ET.fromstring(drawn)

    def test_halos_of_opaque_labels_can_be_outlines_only(self):
        """For a PNG the white inside goes where a solid, opaque label covers it, and only there.

        (The PNG test above draws the map so and still gets vl-convert's bytes: the picture is the same.)
        """
        group = ('<g class="mark-text role-mark t_marks"><text fill="#1f2933" opacity="1">A</text>'
                 '<text fill="#1f2933" opacity="0.4">B</text><text fill="#123" fill-opacity="0.5">C</text>'
                 '<text fill="white">D</text><text>E</text></g>')
        drawn = draw_halos(f"<svg>{group}</svg>", [Halo("t", 4.0, "round")], outline_only=True)
        halo = re.search(r'<g class="mark-text role-mark t_halo_marks">(.*?)</g>', drawn).group(1)
        assert re.findall(r' fill="(\w+)"', halo) == ["none", "white", "white", "white", "white"]
        assert draw_halos(f"<svg>{group}</svg>", [Halo("t", 4.0, "round")]).count('fill="none"') == 0

    def test_draw_halos_keeps_an_empty_text_element_well_formed(self):
        """A label Vega left empty (`<text .../>`, no fill) gets its halo paint inside the tag."""
        group = '<g class="mark-text role-mark t_marks"><text x="1"/></g>'
        drawn = draw_halos(f"<svg>{group}</svg>", [Halo("t", 4.0, "round")])
        assert '<text x="1" fill="white" stroke="white" stroke-width="4" stroke-linejoin="round"/>' in drawn
        ET.fromstring(drawn)

    def test_text_waits_for_the_layout_only_where_the_width_must_shrink(self):
        """Text marks are blank at the first width only under fit with padding inside; else untouched."""
        mark = {"type": "text", "encode": {"update": {"text": {"signal": "datum.a"}}}}
        spec = {"width": 500, "autosize": {"type": "fit", "contains": "padding"}, "padding": 5, "marks": [mark]}
        lazy = text_after_layout(spec)
        assert lazy["marks"][0]["encode"]["update"]["text"] == {"signal": "width === 500 ? '' : (datum.a)"}
        assert spec["marks"][0] is mark and mark["encode"]["update"]["text"] == {"signal": "datum.a"}
        for other in ({**spec, "autosize": {"type": "pad"}}, {**spec, "padding": 0},
                      {**spec, "autosize": {"type": "fit", "contains": "content"}}):
            assert text_after_layout(other) == other
