"""Trilinear sampling of a volume at fractional voxel coordinates, vectorised.

The volume holds values at voxel centres 0 .. n-1 along each axis and covers half
a voxel beyond them (as a stack's pixels cover their area). A point inside that box
is interpolated between the eight voxels around it; within the half voxel past the
outer centres the edge value holds (the coordinate is clamped); beyond, ``fill``.
"""

from __future__ import annotations

import numpy as np


def _axis(coordinate: np.ndarray, size: int, clamp: bool) -> tuple[np.ndarray, np.ndarray, int]:
    """Lower voxel index, fraction towards the next one, and the step to it (0 if size 1).

    The lower index stops one short of the last centre, so that the next one exists:
    the last centre itself is reached with fraction 1.
    """
    clamped = np.clip(coordinate, 0, size - 1) if clamp else coordinate.copy()
    lower = clamped.astype(np.intp)
    np.minimum(lower, max(size - 2, 0), out=lower)
    clamped -= lower
    return lower, clamped.astype(np.float32), int(size > 1)


def _span(coordinate: np.ndarray) -> tuple[float, float]:
    return float(coordinate.min()), float(coordinate.max())


def inside(shape: tuple[int, ...], x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Whether each point lies in the volume's box (half a voxel past the outer centres)."""
    nz, ny, nx = shape
    result: np.ndarray = (
        (x >= -0.5)
        & (x <= nx - 0.5)
        & (y >= -0.5)
        & (y <= ny - 0.5)
        & (z >= -0.5)
        & (z <= nz - 0.5)
    )
    return result


def trilinear(
    data: np.ndarray, x: np.ndarray, y: np.ndarray, z: np.ndarray, fill: float
) -> np.ndarray:
    """Sample ``data[z, y, x]`` at fractional coordinates with trilinear interpolation.

    Parameters
    ----------
    data : numpy.ndarray
        (z, y, x) values, C-contiguous.
    x, y, z : numpy.ndarray
        Voxel coordinates of the points, all of one shape.
    fill : float
        The value of points outside the volume (NaN allowed).

    Returns
    -------
    numpy.ndarray
        float32, the shape of ``x``.
    """
    nz, ny, nx = data.shape
    flat = data.reshape(-1)
    spans = [_span(c) for c in (x, y, z)] if x.size else [(0.0, 0.0)] * 3
    edges = [(low < 0 or high > n - 1) for (low, high), n in zip(spans, (nx, ny, nz), strict=True)]
    beyond = any(
        low < -0.5 or high > n - 0.5 for (low, high), n in zip(spans, (nx, ny, nz), strict=True)
    )
    ix, fx, sx = _axis(x, nx, edges[0])
    iy, fy, sy = _axis(y, ny, edges[1])
    iz, fz, sz = _axis(z, nz, edges[2])
    base = iz * (ny * nx)
    base += iy * nx
    base += ix
    sy *= nx
    sz *= nx * ny

    def at(offset: int) -> np.ndarray:
        values: np.ndarray = np.take(flat, base + offset if offset else base)
        return values.astype(np.float32, copy=False)

    def lerp(low: np.ndarray, high: np.ndarray, weight: np.ndarray) -> np.ndarray:
        high -= low
        high *= weight
        high += low
        return high

    near = lerp(lerp(at(0), at(sx), fx), lerp(at(sy), at(sy + sx), fx), fy)
    far = lerp(lerp(at(sz), at(sz + sx), fx), lerp(at(sz + sy), at(sz + sy + sx), fx), fy)
    result: np.ndarray = lerp(near, far, fz)
    if beyond:  # only then can a point lie outside the box
        result[~inside(data.shape, x, y, z)] = fill
    return result
