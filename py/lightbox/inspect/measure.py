"""Region statistics and pixel probes, on modality values (HU for CT).

Pure functions over arrays: masks for rectangles and ellipses given in image
pixel coordinates, and the statistics of the values they cover.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class RegionStats:
    """Statistics of a region, in the frame's modality units."""

    pixels: int
    mean: float
    std: float
    minimum: float
    maximum: float


def _box(shape: tuple[int, int], box: tuple[float, float, float, float]) -> tuple[float, ...]:
    x0, y0, x1, y1 = box
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def rectangle_mask(
    shape: tuple[int, int], box: tuple[float, float, float, float]
) -> np.ndarray[Any, Any]:
    """Pixels whose centres lie inside the box (x0, y0, x1, y1) in pixel coordinates.

    Pixel (r, c) covers [c, c+1) x [r, r+1); its centre is (c + 0.5, r + 0.5).
    """
    left, top, right, bottom = _box(shape, box)
    rows, cols = shape
    cx = np.arange(cols) + 0.5
    cy = np.arange(rows) + 0.5
    inside_x = (cx >= left) & (cx <= right)
    inside_y = (cy >= top) & (cy <= bottom)
    return np.outer(inside_y, inside_x)


def ellipse_mask(
    shape: tuple[int, int], box: tuple[float, float, float, float]
) -> np.ndarray[Any, Any]:
    """Pixels whose centres lie inside the ellipse inscribed in the box."""
    left, top, right, bottom = _box(shape, box)
    rows, cols = shape
    a, b = (right - left) / 2, (bottom - top) / 2
    if a <= 0 or b <= 0:
        return np.zeros(shape, dtype=bool)
    cx, cy = (left + right) / 2, (top + bottom) / 2
    y, x = np.ogrid[0:rows, 0:cols]
    return ((x + 0.5 - cx) / a) ** 2 + ((y + 0.5 - cy) / b) ** 2 <= 1.0


def region_stats(values: np.ndarray[Any, Any], mask: np.ndarray[Any, Any]) -> RegionStats | None:
    """Mean, standard deviation (population), minimum and maximum under a mask."""
    selected = values[mask]
    if selected.size == 0:
        return None
    return RegionStats(
        pixels=int(selected.size),
        mean=float(selected.mean()),
        std=float(selected.std()),
        minimum=float(selected.min()),
        maximum=float(selected.max()),
    )
