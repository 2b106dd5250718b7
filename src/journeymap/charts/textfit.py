"""How wide a label is, and a label wrapped or shortened to fit a slot of the map.

Widths are measured with the shipped export font (Journeymap Sans, a cut of DejaVu Sans, the
charts' first font on screen too), shaped by HarfBuzz as the exports draw it. A character the cut
lacks counts as 0.62 em, DejaVu Sans's widest common advance, so an estimate errs on the wide side.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

import pyphen
import uharfbuzz as hb

from journeymap.core.fonts import FONT_FILES as _FILES

__all__ = ["text_width", "fit_label", "LINE_HEIGHT", "LabelLanguage", "label_language"]

LINE_HEIGHT = 1.25  # a label line is this many font sizes high (the map sets lineHeight to match)
_FALLBACK_EM = 0.62
# Where a label may break besides spaces: after an underscore, slash, hyphen or dot, as in
# "A_PARTLYSUBMITTED" or "Payment/Refund" (real logs name activities like that).
_BREAK_AFTER = re.compile(r"(?<=[_/\-.])(?=\S)")
ELLIPSIS = "…"
# Words too wide for a line break at a syllable ("Confirma-tion", not "Confirmat-ion"): Liang's
# patterns of Hunspell's hyphenation dictionaries (pyphen ships them), in the language a journey's
# labels are written in (`LabelLanguage`): an ERP export names its activities in German
# ("Waren-eingang", where English patterns give "Warenein-gang"), BPI logs in Dutch. English, the
# language of most logs' activity names, when the labels do not tell.
_DEFAULT_DICTIONARY = "en_US"
# The languages with a pyphen dictionary, by py3langid's code. The identifier tells all its languages
# apart: restricted to these, Finnish labels read as Estonian; any other language keeps English patterns.
_DICTIONARIES = {"en": "en_US", "de": "de_DE", "nl": "nl_NL", "fr": "fr", "es": "es", "it": "it_IT", "pt": "pt_PT",
                 "sv": "sv", "da": "da_DK", "no": "nb_NO", "nn": "nn_NO", "pl": "pl_PL", "cs": "cs_CZ", "sk": "sk_SK",
                 "sl": "sl_SI", "hu": "hu_HU", "ro": "ro_RO", "hr": "hr_HR", "et": "et_EE", "lt": "lt",
                 "lv": "lv_LV", "ca": "ca", "gl": "gl", "eu": "eu", "is": "is", "id": "id_ID", "af": "af_ZA",
                 "ru": "ru_RU", "uk": "uk_UA", "bg": "bg_BG", "el": "el_GR"}
# How sure the identifier must be before a journey's words break by another language's patterns: a
# handful of codes ("A", "B", "NEW") reads as any language, and English patterns are the safer guess.
_SURE = 0.9


@functools.cache
def _font(bold: bool) -> tuple[hb.Font, int]:
    font = hb.Font(hb.Face(hb.Blob.from_file_path(str(_FILES[bold]))))
    return font, font.face.upem


@functools.lru_cache(maxsize=50_000)
def _units(text: str, bold: bool) -> float:
    """Advance of a line in ems."""
    font, upem = _font(bold)
    covered = "".join(char for char in text if font.get_nominal_glyph(ord(char)) is not None)
    missing = len(text) - len(covered)
    if not covered:
        return missing * _FALLBACK_EM
    buffer = hb.Buffer()
    buffer.add_str(covered)
    buffer.guess_segment_properties()
    buffer.language = "en"
    hb.shape(font, buffer)
    advance = sum(position.x_advance for position in buffer.glyph_positions or [])
    return advance / upem + missing * _FALLBACK_EM


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in pixels of one line of text at `size` pixels."""
    return _units(text, bold) * size


def _pieces(text: str) -> list[tuple[str, bool]]:
    """The words of a label, split also after _ / - . so a long activity name can break; each with
    whether a space went before it."""
    pieces: list[tuple[str, bool]] = []
    for word in re.split(r"[ \t\r\n]+", text.strip()):  # not at no-break spaces
        pieces += [(part, i == 0) for i, part in enumerate(_BREAK_AFTER.split(word))]
    return pieces


class LabelLanguage:
    """The language a set of labels (a journey's steps and stages) is written in, as the name of its
    hyphenation dictionary: found when one of their words first needs hyphenating, since most maps'
    labels fit without (reading the identifier's model takes most of a second)."""

    def __init__(self, labels: Iterable[str]) -> None:
        self._labels = tuple(sorted({str(label) for label in labels}))

    @functools.cached_property
    def dictionary(self) -> str:
        return label_language(self._labels)


@functools.lru_cache(maxsize=64)
def label_language(labels: tuple[str, ...]) -> str:
    """The hyphenation dictionary of the language `labels` are written in; English unless the labels,
    read together, are clearly of another language that has a dictionary."""
    text = " . ".join(re.sub(r"[_/]+", " ", label) for label in labels)
    if not re.search(r"[^\W\d_]{4}", text):  # no word of four letters: codes, numbers
        return _DEFAULT_DICTIONARY
    language, probability = _identifier().classify(text)
    return _DICTIONARIES.get(language, _DEFAULT_DICTIONARY) if probability >= _SURE else _DEFAULT_DICTIONARY


@functools.cache
def _identifier() -> Any:
    # py3langid (BSD) over a hand-written guess: a naive Bayes model of byte n-grams trained on
    # a hundred languages, read from NumPy arrays (no pickle); a journey's labels are classified in a millisecond.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def fit_label(text: str, width: float, size: float, max_lines: int, bold: bool = False,
              language: LabelLanguage | None = None) -> list[str]:
    """`text` wrapped into at most `max_lines` lines no wider than `width` pixels.

    Breaks go between words (and after _ / - .); a word wider than the slot breaks at a syllable of
    the labels' `language` (English when not given), else by characters; what does not fit on the
    last line is cut off with an ellipsis (the full name is in the tooltip).
    """
    pieces = _pieces(text)
    lines: list[str] = []
    current = ""
    index = 0
    while index < len(pieces) and len(lines) < max_lines:
        piece, spaced = pieces[index]
        candidate = (current + (" " if spaced else "") + piece) if current else piece
        if text_width(candidate, size, bold) <= width:
            current, index = candidate, index + 1
        elif current and text_width(piece, size, bold) > width:  # too wide for any line: fill this one first
            joined = current + (" " if spaced else "")
            cut = _break_at(joined, piece, width, size, bold, language)
            if cut >= 3:
                lines.append(joined + piece[:cut] + ("-" if piece[cut - 1].isalpha() and piece[cut].isalpha() else ""))
                pieces[index] = (piece[cut:], False)
            else:
                lines.append(current)
            current = ""
        elif current:
            lines.append(current)
            current = ""
        else:  # one piece alone is too wide: cut it by characters, with a hyphen
            cut = _break_at("", piece, width, size, bold, language)
            if 3 < cut and len(piece) - cut < 3:  # no "Confirmatio-" / "n": carry three letters over
                cut = max(3, len(piece) - 3)
            lines.append(piece[:cut] + ("-" if piece[cut - 1].isalpha() and piece[cut:cut + 1].isalpha() else ""))
            pieces[index] = (piece[cut:], False)
    if index == len(pieces):
        if current and len(lines) < max_lines:
            lines.append(current)
            current = ""
        if not current:
            return lines or [""]
    # Out of lines with text left over: end the last line with an ellipsis that fits.
    last = lines[-1]
    while last and text_width(last.rstrip(" _/-.") + ELLIPSIS, size, bold) > width:
        last = last[:-1]
    lines[-1] = last.rstrip(" _/-.") + ELLIPSIS
    return lines


def _break_at(head: str, word: str, width: float, size: float, bold: bool, language: LabelLanguage | None) -> int:
    """How many leading characters of `word` go on the line after `head`: up to its last hyphenation
    point that fits with its hyphen, else (no point fits, or the word has none) as many as fit."""
    dictionary = language.dictionary if language is not None else _DEFAULT_DICTIONARY
    fitting = [point for point in _hyphenation_points(word, dictionary)
               if text_width(head + word[:point] + "-", size, bold) <= width]
    if fitting:
        return fitting[-1]
    return _longest_prefix(head + word, width, size, bold, hyphen=True) - len(head)


@functools.lru_cache(maxsize=10_000)
def _hyphenation_points(word: str, dictionary: str) -> tuple[int, ...]:
    """Where `word` may be hyphenated, ascending (two letters at least before, three after: the
    wrapping's own rule, so a dictionary point is never moved)."""
    return tuple(_hyphenator(dictionary).positions(word))


@functools.cache
def _hyphenator(dictionary: str) -> pyphen.Pyphen:
    return pyphen.Pyphen(lang=dictionary, left=2, right=3)  # read a dictionary when a word first needs it


def _longest_prefix(word: str, width: float, size: float, bold: bool, hyphen: bool = False) -> int:
    """How many leading characters of `word` fit in `width`, with room for a hyphen if asked
    (at least one, so wrapping always moves on)."""
    low, high = 1, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if text_width(word[:middle] + ("-" if hyphen else ""), size, bold) <= width:
            low = middle
        else:
            high = middle - 1
    return low
