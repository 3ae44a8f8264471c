"""Where patient points fall on a stack of parallel planes, nearest neighbour: the plane
nearest each point along the planes' normal (when within half their spacing) and the
pixel of that plane nearest the point. A mask keeps its edge and a contour its colour.

What a SEG on another pixel grid than its image, and a layer on a reformatted view,
are sampled by (issue 16 items 2 and 4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class Hits:
    """For each point (``hit``, the points' shape): the plane it falls on (``plane``) and
    the row and column of that plane's pixel (``rows``, ``columns``), where ``hit``."""

    hit: Array
    plane: Array
    rows: Array
    columns: Array


def nearest_pixels(
    points: Array,
    positions: Array,
    orientation: tuple[float, ...],
    pixel_spacing: tuple[float, float],
    shape: tuple[int, int],
    half: float | None = None,
) -> Hits:
    """Where patient points (..., 3) fall on the planes whose Image Position (Patient) are
    ``positions`` (n, 3), all of ``orientation`` (row and column cosines), ``pixel_spacing``
    (row, column mm) and ``shape`` (rows, columns). ``half``: how far from a plane a point
    may lie (default half the median step between the planes, else 0.5 mm)."""
    o = np.asarray(orientation, np.float64)
    row, column = o[:3], o[3:6]
    normal = np.cross(row, column)
    at = np.asarray(positions, np.float64).reshape(-1, 3)
    along_planes = at @ normal
    order = np.argsort(along_planes, kind="stable")
    ordered = along_planes[order]
    if half is None:
        step = slice_step(at, orientation)
        half = step / 2 if step else 0.5
    along = np.asarray(points, np.float64) @ normal
    if len(order) == 1:
        nearest = np.zeros(along.shape, np.int64)
    else:
        right = np.clip(np.searchsorted(ordered, along), 1, len(order) - 1)
        closer_left = np.abs(along - ordered[right - 1]) <= np.abs(ordered[right] - along)
        nearest = np.where(closer_left, right - 1, right)
    plane = order[nearest]
    delta = np.asarray(points, np.float64) - at[plane]
    cc = np.rint((delta @ row) / float(pixel_spacing[1])).astype(np.int64)
    rr = np.rint((delta @ column) / float(pixel_spacing[0])).astype(np.int64)
    hit = (
        (np.abs(along_planes[plane] - along) <= half + 1e-6)
        & (cc >= 0)
        & (cc < shape[1])
        & (rr >= 0)
        & (rr < shape[0])
    )
    return Hits(hit, plane, rr, cc)


def slice_step(positions: Array, orientation: tuple[float, ...]) -> float | None:
    """The median step (mm) between planes at ``positions`` (n, 3) along the normal of
    ``orientation``; None for fewer than two distinct planes."""
    o = np.asarray(orientation, np.float64)
    along = np.sort(np.asarray(positions, np.float64).reshape(-1, 3) @ np.cross(o[:3], o[3:6]))
    steps = np.diff(along)
    steps = steps[steps > 1e-6]
    return float(np.median(steps)) if steps.size else None


def plane_points(
    origin: Any,
    row_direction: Any,
    column_direction: Any,
    spacing: tuple[float, float],
    shape: tuple[int, int],
) -> Array:
    """Patient mm (rows, columns, 3) of a plane's pixel centres: pixel (r, c) at
    ``origin + c · spacing[1] · row_direction + r · spacing[0] · column_direction``
    (``spacing``: between rows, between columns; PS3.3 C.7.6.2.1.1)."""
    r = np.arange(shape[0], dtype=np.float64)[:, None, None]
    c = np.arange(shape[1], dtype=np.float64)[None, :, None]
    points: Array = (
        np.asarray(origin, np.float64)
        + c * float(spacing[1]) * np.asarray(row_direction, np.float64)
        + r * float(spacing[0]) * np.asarray(column_direction, np.float64)
    )
    return points


def reslice_points(reslice: dict[str, Any]) -> Array:
    """Patient mm of the pixels of a view's ``reslice`` (``{origin, rowDirection,
    columnDirection, rowSpacing, columnSpacing, rows, columns}``)."""
    return plane_points(
        reslice["origin"],
        reslice["rowDirection"],
        reslice["columnDirection"],
        (float(reslice["rowSpacing"]), float(reslice["columnSpacing"])),
        (int(reslice["rows"]), int(reslice["columns"])),
    )
