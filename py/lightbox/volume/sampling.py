"""Trilinear sampling of a volume at fractional voxel coordinates, vectorised.

The volume holds values at voxel centres 0 .. n-1 along each axis and covers half
a voxel beyond them (as a stack's pixels cover their area). A point inside that box
is interpolated between the eight voxels around it; within the half voxel past the
outer centres the edge value holds (the coordinate is clamped); beyond, ``fill``.

An uneven stack keeps its true slices: a :class:`SliceMap` turns the z coordinate of
the volume's nominal grid into a fractional slice index, so that a point is
interpolated between the two nearest slices at their true positions. A point inside
a gap of missing slices, farther than half a regular step from both slices beside
it, takes the map's ``background`` (the gap shows; nothing is interpolated across).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

#: A faster equal of :func:`trilinear` on a plane of a regular volume: ``kernel(data, out,
#: start, along_row, down_column, fill)`` fills ``out`` (float32, rows × columns). The
#: browser installs the worker's (web/js/worker/kernels.js); natively there is none.
PlaneKernel = Callable[
    [
        np.ndarray[Any, Any],
        np.ndarray[Any, Any],
        tuple[float, float, float],
        tuple[float, float, float],
        tuple[float, float, float],
        float,
    ],
    None,
]
_plane_kernel: PlaneKernel | None = None
#: :data:`PlaneKernel` with the linear window applied: ``kernel(data, out, start, along_row,
#: down_column, fill, center, width, invert)`` fills ``out`` (uint32, rows × columns) with
#: opaque grey RGBA pixels. The browser installs the worker's; natively there is none.
WindowedKernel = Callable[
    [
        np.ndarray[Any, Any],
        np.ndarray[Any, Any],
        tuple[float, float, float],
        tuple[float, float, float],
        tuple[float, float, float],
        float,
        float,
        float,
        bool,
    ],
    None,
]
_windowed_kernel: WindowedKernel | None = None


def use_plane_kernel(kernel: PlaneKernel | None, windowed: WindowedKernel | None = None) -> None:
    """Sample the planes of regular volumes with ``kernel`` (None: numpy's), and, with
    ``windowed``, window them to RGBA in the same pass (:func:`windowed_plane`)."""
    global _plane_kernel, _windowed_kernel  # noqa: PLW0603 -- one per process, at start-up
    _plane_kernel = kernel
    _windowed_kernel = windowed


@dataclass(frozen=True, eq=False)
class SliceMap:
    """Where the stored slices of an uneven stack lie on the volume's nominal z axis.

    Attributes
    ----------
    grid : numpy.ndarray
        float64, ascending: the nominal z coordinate (steps of the volume's z spacing
        from the first slice) of each stored slice; ``grid[0]`` is 0.
    gap : numpy.ndarray
        bool, one per step between stored slices: the step is a gap of missing slices.
    background : float
        The value of points inside a gap.
    """

    grid: np.ndarray[Any, Any]
    gap: np.ndarray[Any, Any]
    background: float

    @property
    def extent(self) -> float:
        """The nominal z coordinate of the last slice."""
        return float(self.grid[-1])

    def index(self, z: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Fractional slice indices of nominal z coordinates, and which lie in a gap.

        Between two slices the index runs linearly from one to the other (their true
        positions); past the outer slices it runs at one index per nominal step, so the
        box half a step beyond them holds. Within half a step of a slice beside a gap,
        the slice's index (its value holds); farther inside the gap, flagged.
        """
        grid = self.grid
        last = len(grid) - 1
        k = np.clip(np.searchsorted(grid, z, side="right") - 1, 0, max(last - 1, 0))
        low, high = grid[k], grid[np.minimum(k + 1, last)]
        width = np.maximum(high - low, 1e-12)
        result = k + (z - low) / width
        np.copyto(result, z, where=z < 0)
        np.copyto(result, last + (z - grid[-1]), where=z > grid[-1])
        in_gap = self.gap[k] & (z > low) & (z < high) if len(self.gap) else np.zeros(z.shape, bool)
        near_low = in_gap & (z - low <= 0.5)
        near_high = in_gap & (high - z <= 0.5)
        np.copyto(result, k.astype(np.float64), where=near_low)
        np.copyto(result, (k + 1).astype(np.float64), where=near_high)
        hole: np.ndarray[Any, Any] = in_gap & ~near_low & ~near_high
        return result, hole


def _axis(
    coordinate: np.ndarray[Any, Any], size: int, clamp: bool
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], int]:
    """Lower voxel index, fraction towards the next one, and the step to it (0 if size 1).

    The lower index stops one short of the last centre, so that the next one exists:
    the last centre itself is reached with fraction 1.
    """
    clamped = np.clip(coordinate, 0, size - 1) if clamp else coordinate.copy()
    lower = clamped.astype(np.intp)
    np.minimum(lower, max(size - 2, 0), out=lower)
    clamped -= lower
    return lower, clamped.astype(np.float32), int(size > 1)


def _span(coordinate: np.ndarray[Any, Any]) -> tuple[float, float]:
    return float(coordinate.min()), float(coordinate.max())


def inside(
    shape: tuple[int, ...],
    x: np.ndarray[Any, Any],
    y: np.ndarray[Any, Any],
    z: np.ndarray[Any, Any],
) -> np.ndarray[Any, Any]:
    """Whether each point lies in the volume's box (half a voxel past the outer centres)."""
    nz, ny, nx = shape
    result: np.ndarray[Any, Any] = (
        (x >= -0.5)
        & (x <= nx - 0.5)
        & (y >= -0.5)
        & (y <= ny - 0.5)
        & (z >= -0.5)
        & (z <= nz - 0.5)
    )
    return result


def _lerp(
    low: np.ndarray[Any, Any], high: np.ndarray[Any, Any], weight: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """``low + (high - low) * weight``, in ``high``'s memory."""
    high -= low
    high *= weight
    high += low
    return high


def trilinear(
    data: np.ndarray[Any, Any],
    x: np.ndarray[Any, Any],
    y: np.ndarray[Any, Any],
    z: np.ndarray[Any, Any],
    fill: float,
    slices: SliceMap | None = None,
) -> np.ndarray[Any, Any]:
    """Sample ``data[z, y, x]`` at fractional coordinates with trilinear interpolation.

    Parameters
    ----------
    data : numpy.ndarray
        (z, y, x) values, C-contiguous.
    x, y, z : numpy.ndarray
        Voxel coordinates of the points, all of one shape.
    fill : float
        The value of points outside the volume (NaN allowed).
    slices : SliceMap, optional
        For an uneven stack: ``z`` is then the nominal z coordinate, looked up by
        position among the stored slices; points in a gap take its background.

    Returns
    -------
    numpy.ndarray
        float32, the shape of ``x``.
    """
    hole = None
    if slices is not None:
        z, hole = slices.index(np.asarray(z, dtype=np.float64))
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

    def at(offset: int) -> np.ndarray[Any, Any]:
        values: np.ndarray[Any, Any] = np.take(flat, base + offset if offset else base)
        return values.astype(np.float32, copy=False)

    lerp = _lerp
    near = lerp(lerp(at(0), at(sx), fx), lerp(at(sy), at(sy + sx), fx), fy)
    far = lerp(lerp(at(sz), at(sz + sx), fx), lerp(at(sz + sy), at(sz + sy + sx), fx), fy)
    result: np.ndarray[Any, Any] = lerp(near, far, fz)
    if beyond:  # only then can a point lie outside the box
        result[~inside(data.shape, x, y, z)] = fill
    if hole is not None and np.any(hole):
        result[hole] = slices.background if slices is not None else fill
    return result


def plane(
    data: np.ndarray[Any, Any],
    start: np.ndarray[Any, Any],
    along_row: np.ndarray[Any, Any],
    down_column: np.ndarray[Any, Any],
    size: tuple[int, int],
    fill: float,
    slices: SliceMap | None = None,
) -> np.ndarray[Any, Any]:
    """:func:`trilinear` on the plane whose pixel (r, c) lies at voxel coordinates
    ``start + c * along_row + r * down_column``: float32 (rows, columns), by the fastest
    way this process has: the installed kernel (one pass; the browser's) for a regular
    volume, else :func:`separable` for a plane along the voxel axes, else numpy's
    :func:`trilinear` at every pixel (the reference)."""
    if _plane_kernel is not None and slices is None:
        out = np.empty(size, dtype=np.float32)
        _plane_kernel(data, out, _triple(start), _triple(along_row), _triple(down_column), fill)
        return out
    axes = aligned_axes(along_row, down_column)
    if axes is not None:
        return separable(data, start, along_row, down_column, size, axes, fill, slices)
    rows, columns = size
    r = np.arange(rows, dtype=np.float64)[:, None]
    c = np.arange(columns, dtype=np.float64)[None, :]
    x, y, z = (start[a] + r * down_column[a] + c * along_row[a] for a in range(3))
    return trilinear(data, x, y, z, fill, slices)


def windowed_plane(
    data: np.ndarray[Any, Any],
    start: np.ndarray[Any, Any],
    along_row: np.ndarray[Any, Any],
    down_column: np.ndarray[Any, Any],
    size: tuple[int, int],
    fill: float,
    window: tuple[float, float],
    invert: bool,
) -> np.ndarray[Any, Any] | None:
    """:func:`plane` of a regular volume through the linear window (PS3.3 C.11.2.1.2.1,
    ``window`` its (center, width), width above 1) to opaque grey RGBA, uint8 (rows,
    columns, 4), in one pass by the installed windowed kernel: the display pipeline's
    common case without the float samples. None where this process has no such kernel
    (natively): the caller then samples with :func:`plane` and windows in numpy."""
    if _windowed_kernel is None:
        return None
    center, width = window
    if not width > 1:
        raise ValueError(f"the windowed kernel needs a width above 1, not {width!r}")
    rows, columns = size
    pixels = np.empty(size, dtype=np.uint32)
    _windowed_kernel(
        data,
        pixels,
        _triple(start),
        _triple(along_row),
        _triple(down_column),
        fill,
        center,
        width,
        invert,
    )
    rgba: np.ndarray[Any, Any] = pixels.view(np.uint8).reshape(rows, columns, 4)
    return rgba


def _triple(vector: np.ndarray[Any, Any]) -> tuple[float, float, float]:
    return float(vector[0]), float(vector[1]), float(vector[2])


#: A direction's voxel-step component below this is none (the plane runs along an axis).
_ALIGNED = 1e-9


def aligned_axes(
    along_row: np.ndarray[Any, Any], down_column: np.ndarray[Any, Any]
) -> tuple[int, int, int] | None:
    """When a plane's column step and row step each run along one voxel axis (0 = x,
    1 = y, 2 = z): those axes and the third, across the plane; else None."""
    found = []
    for step in (along_row, down_column):
        moving = [k for k in range(3) if abs(step[k]) > _ALIGNED]
        if len(moving) != 1:
            return None
        found.append(moving[0])
    a, b = found
    return (a, b, 3 - a - b) if a != b else None


def _lerp_along(
    values: np.ndarray[Any, Any], axis: int, coordinate: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """``values`` interpolated linearly along ``axis`` at fractional ``coordinate``s (the
    edge value past the outer centres, as :func:`trilinear`)."""
    lower, fraction, step = _axis(coordinate, values.shape[axis], True)
    low = np.take(values, lower, axis=axis).astype(np.float32, copy=False)
    high: np.ndarray[Any, Any] = np.take(values, lower + step, axis=axis).astype(np.float32)
    shape = [1] * values.ndim
    shape[axis] = fraction.size
    return _lerp(low, high, fraction.reshape(shape))


def separable(
    data: np.ndarray[Any, Any],
    start: np.ndarray[Any, Any],
    along_row: np.ndarray[Any, Any],
    down_column: np.ndarray[Any, Any],
    size: tuple[int, int],
    axes: tuple[int, int, int],
    fill: float,
    slices: SliceMap | None = None,
) -> np.ndarray[Any, Any]:
    """:func:`trilinear` on a plane that runs along the voxel axes (``aligned_axes``):
    the same values, as three one-dimensional interpolations (across the plane, then
    down, then along), touching two voxel slices instead of gathering eight voxels per
    pixel.

    Parameters
    ----------
    start : numpy.ndarray
        Voxel coordinates (x, y, z) of pixel (0, 0).
    along_row, down_column : numpy.ndarray
        Voxel steps (x, y, z) from one column, and one row, to the next.
    size : (rows, columns)
    axes : (column axis, row axis, across axis), from :func:`aligned_axes`.
    """
    rows, columns = size
    a, b, c = axes
    coordinates = {
        a: start[a] + np.arange(columns, dtype=np.float64) * along_row[a],
        b: start[b] + np.arange(rows, dtype=np.float64) * down_column[b],
        c: np.array([start[c]], dtype=np.float64),
    }
    hole = None
    if slices is not None:  # z is the nominal grid's: look up the stored slice
        coordinates[2], hole = slices.index(coordinates[2])
    nz, ny, nx = data.shape
    counts = (nx, ny, nz)
    outside = {k: (v < -0.5) | (v > counts[k] - 0.5) for k, v in coordinates.items()}
    plane = data
    for k in (c, b, a):  # data axis of voxel axis k is 2 - k
        plane = _lerp_along(plane, 2 - k, coordinates[k])
    plane = plane.reshape([columns if k == a else rows for k in (2, 1, 0) if k != c])
    result: np.ndarray[Any, Any] = np.ascontiguousarray(plane if b > a else plane.T)
    masked = outside[b][:, None] | outside[a][None, :] | outside[c][0]
    if np.any(masked):
        result[masked] = fill
    if hole is not None and slices is not None and np.any(hole):  # z's gaps
        if c == 2:
            result[:] = slices.background
        elif b == 2:
            result[hole, :] = slices.background
        else:
            result[:, hole] = slices.background
    return result
