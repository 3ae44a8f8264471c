"""Phantoms of the volume tests: slice geometries, and frames sampled from a known field.

The truth is computed here, outside the code under test: a frame's pixel (r, c) lies at
``IPP + c * column_spacing * row_cosines + r * row_spacing * column_cosines`` (PS3.3
C.7.6.2.1.1, equation C.7.6.2.1-1) and its value is the field at that point.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from lightbox.volume import Volume, VolumePlan, build_volume, plan_volume
from lightbox.volume.records import SliceGeometry

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
CORONAL = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)
SAGITTAL = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)

Field = Callable[[np.ndarray], np.ndarray]


def turn(axis: str, degrees: float) -> np.ndarray:
    """The rotation matrix of ``degrees`` about patient axis "x", "y" or "z"."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    i, j = {"x": (1, 2), "y": (2, 0), "z": (0, 1)}[axis]
    m = np.eye(3)
    m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
    return m


def turned(orientation: Sequence[float], axis: str, degrees: float) -> tuple[float, ...]:
    """An Image Orientation (Patient) turned about a patient axis."""
    m = turn(axis, degrees)
    row, col = m @ np.asarray(orientation[:3]), m @ np.asarray(orientation[3:])
    return tuple(float(v) for v in (*row, *col))


def linear(point: np.ndarray) -> np.ndarray:
    """The linear field every interpolation must reproduce exactly: 0.7x - 1.3y + 2.1z + 50."""
    return point @ np.array([0.7, -1.3, 2.1]) + 50.0


def stack(
    count: int = 6,
    *,
    rows: int = 8,
    columns: int = 10,
    spacing: tuple[float, float] = (1.0, 1.0),
    orientation: Sequence[float] = AXIAL,
    first: Sequence[float] = (0.0, 0.0, 0.0),
    direction: Sequence[float] | None = None,
    step: float = 1.0,
    distances: Sequence[float] | None = None,
    **extra: object,
) -> list[SliceGeometry]:
    """``count`` slices from ``first``, ``step`` mm apart along ``direction`` (default the
    normal), or at the given ``distances`` along it; ``extra`` goes to every geometry."""
    normal = np.cross(orientation[:3], orientation[3:])
    along = np.asarray(direction if direction is not None else normal, dtype=np.float64)
    along = along / np.linalg.norm(along)
    if distances is None:
        distances = [k * step for k in range(count)]
    return [
        SliceGeometry(
            tuple(float(v) for v in np.asarray(first) + d * along),
            tuple(orientation),
            spacing,
            rows,
            columns,
            **extra,
        )  # type: ignore[arg-type]
        for d in distances
    ]


def pixel_points(geometry: SliceGeometry) -> np.ndarray:
    """Patient mm (rows, columns, 3) of every pixel centre (PS3.3 eq. C.7.6.2.1-1)."""
    row_cos, col_cos = np.asarray(geometry.orientation[:3]), np.asarray(geometry.orientation[3:])
    r = np.arange(geometry.rows)[:, None, None]
    c = np.arange(geometry.columns)[None, :, None]
    return (
        np.asarray(geometry.position)
        + c * geometry.spacing[1] * row_cos
        + r * geometry.spacing[0] * col_cos
    )


def field_frames(
    geometries: Sequence[SliceGeometry], field: Field, dtype: str = "float32"
) -> Callable[[int], np.ndarray]:
    """The frame callback: frame i holds ``field`` at its pixel centres."""

    def frame(index: int) -> np.ndarray:
        values = field(pixel_points(geometries[index]))
        return np.rint(values).astype(dtype) if dtype == "int16" else values.astype(dtype)

    return frame


def planned(geometries: Sequence[SliceGeometry], **options: object) -> VolumePlan:
    plan = plan_volume(geometries, **options)  # type: ignore[arg-type]
    assert isinstance(plan, VolumePlan), plan
    return plan


def build_field(
    geometries: Sequence[SliceGeometry], field: Field = linear, dtype: str = "float32"
) -> Volume:
    """Plan and build the volume of ``field`` sampled on the slices."""
    return build_volume(planned(geometries, dtype=dtype), field_frames(geometries, field, dtype))


def voxel_points(volume: Volume) -> np.ndarray:
    """Patient mm (z, y, x, 3) of every voxel centre, by the volume's own grid (an uneven
    stack's slices at their true positions on the nominal z axis)."""
    _, ny, nx = volume.data.shape
    z, y, x = np.meshgrid(volume.slice_grid, np.arange(ny), np.arange(nx), indexing="ij")
    return volume.to_patient(np.stack([x, y, z], axis=-1).astype(np.float64))
