"""Where the shipped font lives: Journeymap Sans (a cut of DejaVu Sans), used to measure labels and to
set exported text."""

from __future__ import annotations

from pathlib import Path

__all__ = ["FONT_DIR", "FONT_FILES"]

FONT_DIR = Path(__file__).parents[1] / "fonts"
FONT_FILES = {False: FONT_DIR / "JourneymapSans.ttf", True: FONT_DIR / "JourneymapSans-Bold.ttf"}  # by bold
