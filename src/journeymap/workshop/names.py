"""Participant names as people see them: cleaned for display, compared by how they look, reserved words refused.

Two names are "the same" when they would look the same on the projector: after NFKC
normalisation and case folding, without invisible characters (zero-width spaces and joiners,
BOM, soft hyphen, direction marks and every other format character), with runs of white space
collapsed, and with the Cyrillic and Greek letters that are drawn like Latin ones read as Latin.
"""

from __future__ import annotations

import unicodedata

from journeymap.core.errors import JourneyError

__all__ = ["RESERVED_NAMES", "clean_name", "name_key", "check_name"]

# Words that would make a participant look like the one who runs the workshop.
RESERVED_NAMES = frozenset({"facilitator", "moderator", "host", "admin", "administrator", "organiser", "organizer",
                            "journeymap", "you", "everyone", "anonymous"})
_RESERVED_INSIDE = ("facilitator", "moderator")  # refused even inside a longer name ("The Facilitator")
# Default-ignorable characters that are not format (Cf) characters: combining grapheme joiner,
# Hangul fillers, Mongolian free variation selectors and the variation selectors.
_IGNORABLE = {0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0, *range(0x180B, 0x1810), *range(0xFE00, 0xFE10),
              *range(0xE0100, 0xE01F0)}
# Letters of other scripts drawn exactly like Latin ones (a subset of Unicode's confusables that
# covers what a keyboard layout switch produces); applied before case folding.
_LOOKALIKES = str.maketrans({
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X",
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "І": "I",
    "Ј": "J", "Ѕ": "S", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o", "ι": "i", "κ": "k", "ν": "v", "ρ": "p",
})


def _visible(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category not in ("Cf", "Cc", "Co", "Cs", "Cn") and ord(ch) not in _IGNORABLE


def clean_name(name: str) -> str:
    """A name as it is stored and shown: NFC, invisible and control characters dropped, white space collapsed."""
    text = "".join(ch if _visible(ch) else (" " if ch in "\t\n\r\v\f" else "") for ch in str(name))
    return " ".join(unicodedata.normalize("NFC", text).split())


def name_key(name: str) -> str:
    """What two names are compared by: `clean_name`, look-alike letters read as Latin, NFKC, case folded."""
    text = unicodedata.normalize("NFKC", clean_name(name)).translate(_LOOKALIKES)
    # Folding makes look-alikes too (U+0345 folds to a Greek iota): read them as Latin once more.
    folded = unicodedata.normalize("NFKC", text.casefold()).translate(_LOOKALIKES)
    return " ".join("".join(ch for ch in folded if _visible(ch)).split())


def check_name(name: str, limit: int = 100) -> tuple[str, str]:
    """The cleaned name and its key, or a JourneyError saying what is wrong with it."""
    if not isinstance(name, str):
        raise JourneyError("Your name must be text.")
    shown = clean_name(name)
    if not shown:
        raise JourneyError("Your name is empty; type the name the others know you by.")
    if len(shown) > limit:
        raise JourneyError(f"Your name is {len(shown):,} characters long; keep it to {limit:,}.")
    key = name_key(shown)
    letters = "".join(ch for ch in key if ch.isalnum())
    if not letters:
        raise JourneyError("Your name needs at least one letter or digit.")
    if letters in RESERVED_NAMES or any(word in letters for word in _RESERVED_INSIDE):
        raise JourneyError(f"{shown!r} is kept for the people who run the workshop; join under your own name.")
    return shown, key
