"""The mask layer of one image frame: the visible segments that lie on it, each in its
colour, as an RGBA image of the frame's size whose alpha is the segment's fraction (1 in
a binary mask) times the opacity asked for; where segments overlap, the later one is
drawn over the earlier (source-over). Transparent where no segment is.

And the statistics of a segment over the referenced images: its voxel count, its volume
and the mean of the image's values (modality values: HU for CT) under it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

Mask = np.ndarray[Any, np.dtype[np.float32]]


@dataclass(frozen=True)
class Drawn:
    """One mask to draw: its fractions (0..1), its colour (or one per pixel, rows ×
    columns × 3, as a dose wash or a fused image has), its opacity (0..1)."""

    mask: Mask
    color: tuple[int, int, int] | np.ndarray[Any, Any]
    opacity: float


def compose(drawn: Iterable[Drawn], rows: int, columns: int) -> np.ndarray[Any, Any]:
    """The RGBA (uint8, rows × columns × 4) of the masks drawn in order, over nothing."""
    rgb = np.zeros((rows, columns, 3), np.float32)
    alpha = np.zeros((rows, columns), np.float32)
    for item in drawn:
        a = np.clip(item.mask, 0.0, 1.0) * float(min(max(item.opacity, 0.0), 1.0))
        color = np.asarray(item.color, np.float32)
        out_alpha = a + alpha * (1 - a)
        with np.errstate(invalid="ignore", divide="ignore"):
            premultiplied = color * a[..., None] + rgb * (alpha * (1 - a))[..., None]
            rgb = np.where(out_alpha[..., None] > 0, premultiplied / out_alpha[..., None], 0)
        alpha = out_alpha
    out = np.empty((rows, columns, 4), np.uint8)
    out[..., :3] = np.rint(rgb).astype(np.uint8)
    out[..., 3] = np.rint(alpha * 255).astype(np.uint8)
    return out


@dataclass(frozen=True)
class Statistics:
    """A segment over its images: voxels (fractions summed), volume (ml), mean value."""

    voxels: float
    volume_ml: float | None
    mean: float | None


def statistics(
    pairs: Iterable[tuple[Mask, np.ndarray[Any, Any]]],
    pixel_spacing: tuple[float, float] | None,
    slice_spacing: float | None,
) -> Statistics:
    """Voxel count × pixel spacing × slice spacing (mm³ / 1000 = ml), and the mean of the
    image values weighted by the mask, over (mask, image values) pairs of one segment."""
    voxels = 0.0
    weighted = 0.0
    for mask, values in pairs:
        voxels += float(mask.sum(dtype=np.float64))
        weighted += float((mask.astype(np.float64) * values.astype(np.float64)).sum())
    volume = None
    if pixel_spacing and slice_spacing:
        volume = voxels * pixel_spacing[0] * pixel_spacing[1] * slice_spacing / 1000.0
    return Statistics(voxels, volume, weighted / voxels if voxels else None)
