"""Pictures in tests: a PNG's pixels, and two renderings that must look the same."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

# Outlines drawn by us and glyphs drawn by vl-convert land on the same pixels; only the
# anti-aliasing of a few edge pixels differs. The renderer samples each pixel on four rows, so
# where an edge lies on a row's boundary a rounding difference moves a quarter of the pixel's
# coverage: up to 64/255 (measured: 56 at most, on 0.2% of the inked pixels of a map). A label
# half a pixel out of place puts a good part of its edges 100/255 and more apart.
EDGE_TOLERANCE = 64
STRAY_SHARE = 0.01


def png_pixels(png: bytes) -> np.ndarray:
    """The PNG's pixels as an RGB array of ints (height x width x 3)."""
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def assert_same_picture(ours: np.ndarray, theirs: np.ndarray) -> None:
    """Same size, and apart from the anti-aliasing of edges the same pixels.

    Stray pixels (more than 16/255 apart) are counted against the inked ones: those that differ
    from the top-left pixel's colour in either picture.
    """
    assert ours.shape == theirs.shape
    difference = np.abs(ours - theirs).max(axis=2)
    assert difference.max() <= EDGE_TOLERANCE, f"pixels differ by up to {difference.max()}/255"
    background = theirs[0, 0]
    inked = (np.abs(ours - background).max(axis=2) > 8) | (np.abs(theirs - background).max(axis=2) > 8)
    stray = (difference > 16).sum()
    assert stray <= STRAY_SHARE * inked.sum(), f"{stray} of {inked.sum()} inked pixels differ by more than 16/255"
