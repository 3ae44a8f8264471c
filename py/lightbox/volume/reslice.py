"""Planes through a volume: axial, coronal, sagittal and oblique, by trilinear sampling.

A plane is described as an image would be (PS3.3 C.7.6.2.1.1): pixel (r, c) lies at
``origin + c * column_spacing * row_direction + r * row_spacing * column_direction``
in patient mm; its normal is ``row_direction × column_direction`` and its position the
signed distance ``origin · normal``. The standard planes are the patient's, whatever
the acquisition: axial (rows +x, columns +y: seen from the feet), coronal (+x, -z: seen
from the front) and sagittal (+y, -z: seen from the patient's left).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lightbox.volume import sampling
from lightbox.volume.build import Volume
from lightbox.volume.labels import edge_labels
from lightbox.volume.records import Vector

#: (row direction, column direction) of the standard planes in patient space.
STANDARD_PLANES: dict[str, tuple[Vector, Vector]] = {
    "axial": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
    "coronal": ((1.0, 0.0, 0.0), (0.0, 0.0, -1.0)),
    "sagittal": ((0.0, 1.0, 0.0), (0.0, 0.0, -1.0)),
}


def _unit(vector: Sequence[float], what: str) -> np.ndarray[Any, Any]:
    array = np.asarray(vector, dtype=np.float64)
    length = float(np.linalg.norm(array))
    if array.shape != (3,) or not math.isfinite(length) or length < 1e-9:
        raise ValueError(f"{what} must be a non-zero 3-vector, not {vector!r}")
    result: np.ndarray[Any, Any] = array / length
    return result


def _vector(array: np.ndarray[Any, Any]) -> Vector:
    return float(array[0]), float(array[1]), float(array[2])


@dataclass(frozen=True)
class PlaneGeometry:
    """Where a reformatted image lies in the patient (the issue's ``reslice`` record).

    Attributes
    ----------
    origin : Vector
        Patient mm of the centre of pixel (0, 0).
    row_direction, column_direction : Vector
        Unit vectors along a row (increasing column) and down a column (increasing row).
    row_spacing, column_spacing : float
        mm between rows and between columns.
    rows, columns : int
    """

    origin: Vector
    row_direction: Vector
    column_direction: Vector
    row_spacing: float
    column_spacing: float
    rows: int
    columns: int

    @property
    def normal(self) -> np.ndarray[Any, Any]:
        """Unit normal, ``row_direction × column_direction`` (away from the viewer)."""
        result: np.ndarray[Any, Any] = np.cross(self.row_direction, self.column_direction)
        return result

    @property
    def position(self) -> float:
        """Signed distance (mm) of the plane from the patient origin along its normal."""
        return float(np.dot(self.origin, self.normal))

    @property
    def labels(self) -> dict[str, str]:
        """Orientation labels of the four edges ("right", "left", "bottom", "top")."""
        return edge_labels(self.row_direction, self.column_direction)

    def to_patient(
        self, row: np.ndarray[Any, Any] | float, column: np.ndarray[Any, Any] | float
    ) -> np.ndarray[Any, Any]:
        """Patient mm (..., 3) of pixel coordinates (fractional allowed)."""
        r = np.asarray(row, dtype=np.float64)[..., None]
        c = np.asarray(column, dtype=np.float64)[..., None]
        result: np.ndarray[Any, Any] = (
            np.asarray(self.origin)
            + c * self.column_spacing * np.asarray(self.row_direction)
            + r * self.row_spacing * np.asarray(self.column_direction)
        )
        return result

    def shifted(self, offset_mm: float) -> PlaneGeometry:
        """The same plane moved ``offset_mm`` along its normal."""
        origin = np.asarray(self.origin) + offset_mm * self.normal
        return PlaneGeometry(
            _vector(origin),
            self.row_direction,
            self.column_direction,
            self.row_spacing,
            self.column_spacing,
            self.rows,
            self.columns,
        )


@dataclass(frozen=True, eq=False)
class Reslice:
    """A reformatted image (float32 modality values) and where it lies."""

    image: np.ndarray[Any, Any]
    geometry: PlaneGeometry

    @property
    def labels(self) -> dict[str, str]:
        return self.geometry.labels


def _pair(value: float | tuple[float, float]) -> tuple[float, float]:
    pair = (value, value) if isinstance(value, (int, float)) else value
    return float(pair[0]), float(pair[1])


def plane_geometry(
    center_mm: Sequence[float],
    normal: Sequence[float],
    up: Sequence[float],
    size_px: int | tuple[int, int],
    pixel_mm: float | tuple[float, float],
) -> PlaneGeometry:
    """The plane through ``center_mm`` facing along ``normal``, with ``up`` at the top.

    Parameters
    ----------
    center_mm : 3 floats
        Patient mm of the image centre.
    normal : 3 floats
        Direction away from the viewer (need not be unit).
    up : 3 floats
        Towards the top edge; only its part perpendicular to ``normal`` counts.
    size_px : int or (rows, columns)
    pixel_mm : float or (row spacing, column spacing)

    Returns
    -------
    PlaneGeometry
        ``column_direction`` is ``-up`` made perpendicular to the normal, and
        ``row_direction = column_direction × normal`` so that the normal is
        ``row_direction × column_direction``.
    """
    n = _unit(normal, "normal")
    upward = np.asarray(up, dtype=np.float64)
    upward = upward - (upward @ n) * n
    column = -_unit(upward, "up (perpendicular to the normal)")
    row = np.cross(column, n)
    rows, columns = (size_px, size_px) if isinstance(size_px, int) else size_px
    row_mm, column_mm = _pair(pixel_mm)
    if rows < 1 or columns < 1 or min(row_mm, column_mm) <= 0:
        raise ValueError(f"a plane needs a positive size and pixel, not {size_px}, {pixel_mm}")
    origin = (
        np.asarray(center_mm, dtype=np.float64)
        - (columns - 1) / 2 * column_mm * row
        - (rows - 1) / 2 * row_mm * column
    )
    return PlaneGeometry(
        _vector(origin), _vector(row), _vector(column), row_mm, column_mm, int(rows), int(columns)
    )


def plane_steps(
    volume: Volume, geometry: PlaneGeometry
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Voxel coordinates (x, y, z) of pixel (0, 0), the voxel steps from one column and
    from one row to the next, and the voxel step per mm along the plane's normal."""
    inverse = np.linalg.inv(volume.grid)
    start = inverse @ (np.asarray(geometry.origin) - np.asarray(volume.origin))
    along_row = inverse @ (np.asarray(geometry.row_direction) * geometry.column_spacing)
    down_column = inverse @ (np.asarray(geometry.column_direction) * geometry.row_spacing)
    return start, along_row, down_column, inverse @ geometry.normal


def plane_coordinates(
    volume: Volume, geometry: PlaneGeometry
) -> tuple[list[np.ndarray[Any, Any]], np.ndarray[Any, Any]]:
    """Voxel coordinates (x, y, z arrays of the plane's shape) of every pixel, and the
    voxel step (x, y, z) per mm along the plane's normal."""
    start, along_row, down_column, per_mm = plane_steps(volume, geometry)
    r = np.arange(geometry.rows, dtype=np.float64)[:, None]
    c = np.arange(geometry.columns, dtype=np.float64)[None, :]
    coordinates = [start[a] + r * down_column[a] + c * along_row[a] for a in range(3)]
    return coordinates, per_mm


def sample(
    volume: Volume, geometry: PlaneGeometry, fill: float | None = None
) -> np.ndarray[Any, Any]:
    """The volume sampled on a plane (trilinear), float32 (rows, columns).

    ``fill`` is the value outside the volume (default ``volume.background``).
    """
    value = volume.background if fill is None else fill
    start, along_row, down_column, _ = plane_steps(volume, geometry)
    size = (geometry.rows, geometry.columns)
    return sampling.plane(volume.data, start, along_row, down_column, size, value, volume.slices)


def plane(
    volume: Volume,
    center_mm: Sequence[float],
    normal: Sequence[float],
    up: Sequence[float],
    size_px: int | tuple[int, int],
    pixel_mm: float | tuple[float, float],
) -> np.ndarray[Any, Any]:
    """Sample any plane (axial, coronal, sagittal, oblique) of the volume, trilinear.

    See :func:`plane_geometry` for the parameters; :func:`sample` with that geometry
    gives the same image, and the geometry maps its pixels to patient mm.
    """
    return sample(volume, plane_geometry(center_mm, normal, up, size_px, pixel_mm))


def corners(volume: Volume) -> np.ndarray[Any, Any]:
    """Patient mm (8, 3) of the corners of the volume's box (half a voxel past the centres)."""
    lx, ly, lz = volume.extent
    box = np.array(
        [[x, y, z] for x in (-0.5, lx + 0.5) for y in (-0.5, ly + 0.5) for z in (-0.5, lz + 0.5)]
    )
    return volume.to_patient(box)


def centre(volume: Volume) -> np.ndarray[Any, Any]:
    """Patient mm of the centre of the volume's box."""
    result: np.ndarray[Any, Any] = corners(volume).mean(axis=0)
    return result


def framed(
    volume: Volume,
    row_direction: Sequence[float],
    column_direction: Sequence[float],
    position_mm: float,
    pixel_mm: float | tuple[float, float],
) -> PlaneGeometry:
    """The plane with these directions at ``position_mm`` along its normal, framed to
    show the whole volume (the frame stays put as the plane moves along its normal).
    ``pixel_mm``: square pixels, or (row spacing, column spacing)."""
    row_mm, column_mm = _pair(pixel_mm)
    row, column = np.asarray(row_direction, float), np.asarray(column_direction, float)
    box = corners(volume)
    sizes, starts = [], []
    for direction, step in ((row, column_mm), (column, row_mm)):
        extent = box @ direction
        count = max(1, math.ceil((extent.max() - extent.min()) / step - 1e-6))
        sizes.append(count)
        starts.append((extent.max() + extent.min()) / 2 - (count - 1) / 2 * step)
    normal = np.cross(row, column)
    origin = starts[0] * row + starts[1] * column + position_mm * normal
    return PlaneGeometry(
        _vector(origin), _vector(row), _vector(column), row_mm, column_mm, sizes[1], sizes[0]
    )


def standard_geometry(
    volume: Volume, name: str, position_mm: float | None = None, pixel_mm: float | None = None
) -> PlaneGeometry:
    """The axial, coronal or sagittal plane at ``position_mm`` (default: the centre).

    Pixels are square, ``pixel_mm`` (default the finer in-plane spacing of the volume).
    """
    if name not in STANDARD_PLANES:
        raise ValueError(f"plane must be one of {sorted(STANDARD_PLANES)}, not {name!r}")
    row, column = STANDARD_PLANES[name]
    if position_mm is None:
        position_mm = float(centre(volume) @ np.cross(row, column))
    pixel = pixel_mm if pixel_mm is not None else min(volume.spacing[0], volume.spacing[1])
    return framed(volume, row, column, position_mm, pixel)


def standard_planes(
    volume: Volume, point_mm: Sequence[float], pixel_mm: float | None = None
) -> dict[str, Reslice]:
    """Axial, coronal and sagittal images through a point (patient mm), each with its
    geometry (pixel spacing, pixel → patient mm) and edge labels."""
    point = np.asarray(point_mm, dtype=np.float64)
    result = {}
    for name, (row, column) in STANDARD_PLANES.items():
        geometry = standard_geometry(volume, name, float(point @ np.cross(row, column)), pixel_mm)
        result[name] = Reslice(sample(volume, geometry), geometry)
    return result
