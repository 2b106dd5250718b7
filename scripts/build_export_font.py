"""Build the export font, `src/journeymap/fonts/JourneymapSans*.ttf`, from DejaVu Sans.

    python3 -m venv /tmp/fontvenv && /tmp/fontvenv/bin/pip install fonttools==4.68.0
    /tmp/fontvenv/bin/python scripts/build_export_font.py [--dejavu /usr/share/fonts/truetype/dejavu]

The files are committed; this script records how they were made (Debian's fonts-dejavu-core 2.37
was the source). Exports lay charts out and draw them with this font whatever the machine has
installed, so a PNG looks the same on every machine. It is DejaVu Sans (the charts' first font on
screen), with the same glyphs and metrics, cut down to what labels mostly use (Latin with the
European accents, Greek, Cyrillic, punctuation, a few arrows and signs, (1) to (10) circled,
shapes, check marks) and without hinting, which the renderer does not use. The cut is small on
purpose: vl-convert 1.9 opens and maps the font file again for every glyph it measures, and a
90 KB file makes a map's layout about a fifth faster than the whole 260 KB range of scripts
did. Characters outside the cut fall back to the machine's fonts, as they did before.

The Bitstream Vera and Arev licences let a modified font be distributed under a name without
"Bitstream", "Vera", "Arev" or "Tavmjong Bah"; DejaVu's licence text (the font's own, name ID 13)
goes beside the files (`LICENSE-DejaVu.txt`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

FAMILY = "Journeymap Sans"
OUT = Path(__file__).resolve().parents[1] / "src" / "journeymap" / "fonts"
UNICODES = ",".join([
    "U+0020-007E", "U+00A0-017F",  # Basic Latin, Latin-1, Latin Extended-A (Central European, Turkish, Baltic)
    "U+0218-021B",                 # Romanian S and T with comma below
    "U+0300-036F",                 # combining accents (labels written decomposed)
    "U+0370-03FF",                 # Greek
    "U+0400-045F", "U+0490-0491",  # Cyrillic (Russian, Ukrainian, Bulgarian, Serbian ...)
    "U+2000-206F", "U+20A0-20BF",  # punctuation, currency
    "U+2116", "U+2122",            # numero, trade mark
    "U+2190-2199", "U+21D0-21D4",  # arrows
    "U+2211", "U+2212", "U+221E", "U+2248", "U+2260-2265",  # sum, minus, infinity, approx, (in)equalities
    "U+2460-2469",                 # (1) to (10) circled: hotspot markers
    "U+25A0-25FF",                 # shapes (legend and state markers)
    "U+270E", "U+2713-2718",       # pencil, check and cross marks
    "U+FFFD",                      # replacement character
])
LICENCE_HEADER = """\
JourneymapSans.ttf and JourneymapSans-Bold.ttf are DejaVu Sans and DejaVu Sans Bold 2.37
(https://dejavu-fonts.github.io/), cut down to fewer characters and renamed, as the licences
below require of a modified font. scripts/build_export_font.py makes them. DejaVu's licence,
as the fonts carry it:

"""
STYLES = {"DejaVuSans.ttf": ("Regular", "JourneymapSans.ttf"),
          "DejaVuSans-Bold.ttf": ("Bold", "JourneymapSans-Bold.ttf")}


def build(source: Path, style: str, target: Path) -> None:
    subset.main([str(source), f"--unicodes={UNICODES}", f"--output-file={target}",
                 "--layout-features=*", "--no-hinting", "--name-IDs=*", "--notdef-outline"])
    font = TTFont(target)
    full = FAMILY if style == "Regular" else f"{FAMILY} {style}"
    postscript = FAMILY.replace(" ", "") + ("" if style == "Regular" else f"-{style}")
    names = {1: FAMILY, 2: style, 3: f"{full}; subset of DejaVu Sans", 4: full, 6: postscript,
             16: FAMILY, 17: style}
    table = font["name"]
    for record in list(table.names):
        if record.nameID in (1, 2, 3, 4, 6, 16, 17):
            table.removeNames(nameID=record.nameID)
    for name_id, value in names.items():
        table.setName(value, name_id, 3, 1, 0x409)  # Windows, Unicode BMP, English
        table.setName(value, name_id, 1, 0, 0)      # Mac, Roman, English
    font.save(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dejavu", type=Path, default=Path("/usr/share/fonts/truetype/dejavu"))
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    licence = TTFont(args.dejavu / "DejaVuSans.ttf")["name"].getDebugName(13)
    (OUT / "LICENSE-DejaVu.txt").write_text(LICENCE_HEADER + licence.strip() + "\n", encoding="utf-8")
    for source, (style, target) in STYLES.items():
        build(args.dejavu / source, style, OUT / target)
        print(f"{OUT / target}: {(OUT / target).stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
