"""SUVpeak: the highest mean over a 1 cm³ sphere (radius 6.2035 mm) centred on a voxel of
a region, the sphere taking the voxels whose centres lie within it on the region's slice
and on its neighbours (PERCIST 1.0; the sphere's centres are the region's voxels on the
slice it was drawn on). Voxels beyond the image are left out of a sphere's mean.

Pure numpy over modality values already multiplied into SUV.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

#: The radius of a 1 cm³ sphere, mm.
RADIUS_MM = (3000.0 / (4.0 * math.pi)) ** (1.0 / 3.0)


def suv_peak(
    slices: Sequence[tuple[float, np.ndarray[Any, Any]]],
    pixel_spacing: tuple[float, float],
    mask: np.ndarray[Any, Any],
) -> float | None:
    """The peak over centres in ``mask`` (of the slice at offset 0) of sphere means.

    ``slices``: (signed distance from the region's slice along the normal in mm, SUV
    values of that slice, all of one shape); ``pixel_spacing``: (row, column) mm.
    """
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return None
    rows, columns = mask.shape
    row_mm, col_mm = pixel_spacing
    ry = math.floor(RADIUS_MM / row_mm)
    rx = math.floor(RADIUS_MM / col_mm)
    top, bottom = int(ys.min()), int(ys.max()) + 1
    left, right = int(xs.min()), int(xs.max()) + 1
    height, width = bottom - top, right - left
    total = np.zeros((height, width), np.float64)
    count = np.zeros((height, width), np.float64)
    for dz, values in slices:
        if abs(dz) > RADIUS_MM:
            continue
        padded = np.full((rows + 2 * ry, columns + 2 * rx), np.nan)
        padded[ry : ry + rows, rx : rx + columns] = values
        for dy in range(-ry, ry + 1):
            for dx in range(-rx, rx + 1):
                if (dy * row_mm) ** 2 + (dx * col_mm) ** 2 + dz * dz > RADIUS_MM**2:
                    continue
                window = padded[top + ry + dy : bottom + ry + dy, left + rx + dx : right + rx + dx]
                present = ~np.isnan(window)
                total += np.where(present, window, 0.0)
                count += present
    with np.errstate(invalid="ignore", divide="ignore"):
        means = total / count
    inside = mask[top:bottom, left:right] & (count > 0)
    if not inside.any():
        return None
    return float(means[inside].max())
