"""CT-like DICOM series of known content for the volume tests (session, CLI, browser).

The content is a function of patient mm: a ramp along x, y and z plus a lattice of
spheres (``content``), sampled at each slice's pixel centres (PS3.3 eq. C.7.6.2.1-1)
and stored as int16 with Rescale Intercept -1024. The independent reference
(``reference``) rebuilds the volume from the stored values by its own reading of the
geometry and samples it with ``scipy.ndimage.map_coordinates`` (order 1) at the
patient points a reslice describes.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from scipy import ndimage

from tests.support.hand import LINEAR, half_up, reference_voi
from tools import synth

INTERCEPT = -1024.0
#: Spheres of +400 HU, radius 6 mm, every 20 mm.
LATTICE_MM, RADIUS_MM, SPHERE_HU = 20.0, 6.0, 400.0


def content(points: np.ndarray) -> np.ndarray:
    """HU at patient points (..., 3): a ramp plus the sphere lattice."""
    ramp = -200.0 + 3.0 * points[..., 0] + 2.0 * points[..., 1] + 5.0 * points[..., 2]
    nearest = np.round(points / LATTICE_MM) * LATTICE_MM
    inside = np.linalg.norm(points - nearest, axis=-1) <= RADIUS_MM
    result: np.ndarray = ramp + SPHERE_HU * inside
    return result


def axial_orientation(tilt_deg: float = 0.0) -> tuple[float, ...]:
    """Axial cosines, tilted about x by ``tilt_deg`` (a gantry tilt)."""
    t = math.radians(tilt_deg)
    return (1.0, 0.0, 0.0, 0.0, math.cos(t), math.sin(t))


def series(
    distances: Sequence[float],
    *,
    rows: int = 40,
    columns: int = 48,
    pixel_mm: float = 1.25,
    orientation: Sequence[float] = axial_orientation(),
    direction: Sequence[float] | None = None,
    name: str = "volume",
    first: Sequence[float] = (-30.0, -25.0, -20.0),
    field: Callable[[np.ndarray], np.ndarray] | None = None,
) -> list[Dataset]:
    """Slices at ``distances`` (mm) from ``first`` along ``direction`` (default the normal),
    holding ``field`` (HU at patient points; default :func:`content`)."""
    cosines = np.asarray(orientation, dtype=np.float64)
    normal = np.cross(cosines[:3], cosines[3:])
    along = normal if direction is None else np.asarray(direction, dtype=np.float64)
    along = along / np.linalg.norm(along)
    r, c = np.mgrid[0:rows, 0:columns]
    result = []
    for k, distance in enumerate(distances):
        origin = np.asarray(first, dtype=np.float64) + distance * along
        points = (
            origin + c[..., None] * pixel_mm * cosines[:3] + r[..., None] * pixel_mm * cosines[3:]
        )
        ds = synth.ct_dataset(
            (field or content)(points),
            series_uid=f"1.2.826.0.1.3680043.10.543.{zlib.crc32(name.encode())}",
            study_uid="1.2.826.0.1.3680043.10.543.1",
            instance=k + 1,
            z_mm=float(origin[2]),
            spacing=pixel_mm,
            description=name,
        )
        ds.ImagePositionPatient = [float(v) for v in origin]
        ds.ImageOrientationPatient = [float(v) for v in cosines]
        result.append(ds)
    return result


def write(datasets: Sequence[Dataset], folder: Path) -> list[Path]:
    """Write the files (``slice-NNN.dcm``) and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, ds in enumerate(datasets):
        path = folder / f"slice-{k:03d}.dcm"
        path.write_bytes(synth.to_bytes(ds))
        paths.append(path)
    return paths


def reslice_points(reslice: dict[str, Any]) -> np.ndarray:
    """Patient mm (rows, columns, 3) of every pixel of a ``reslice`` record."""
    r, c = np.mgrid[0 : reslice["rows"], 0 : reslice["columns"]]
    result: np.ndarray = (
        np.asarray(reslice["origin"])
        + c[..., None] * reslice["columnSpacing"] * np.asarray(reslice["rowDirection"])
        + r[..., None] * reslice["rowSpacing"] * np.asarray(reslice["columnDirection"])
    )
    return result


def reference(datasets: Sequence[Dataset], points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """HU at patient points by map_coordinates (order 1) over the stored slices, and which
    points lie inside the stack (between the outer voxel centres), for an even stack.

    The grid: voxel (x, y, z) at ``p0 + x cs row + y rs column + z (p_last - p0) / (n - 1)``
    with the slices sorted along the normal (a tilted stack is sheared along the table).
    """
    ordered = sorted(
        datasets,
        key=lambda d: float(
            np.dot(
                np.cross(
                    np.asarray(d.ImageOrientationPatient[:3], float),
                    np.asarray(d.ImageOrientationPatient[3:], float),
                ),
                np.asarray(d.ImagePositionPatient, float),
            )
        ),
    )
    stored = np.stack([d.pixel_array.astype(np.float64) for d in ordered]) + INTERCEPT
    cosines = np.asarray(ordered[0].ImageOrientationPatient, dtype=np.float64)
    rs, cs = (float(v) for v in ordered[0].PixelSpacing)
    p0 = np.asarray(ordered[0].ImagePositionPatient, dtype=np.float64)
    step = (np.asarray(ordered[-1].ImagePositionPatient, float) - p0) / (len(ordered) - 1)
    grid = np.column_stack([cosines[:3] * cs, cosines[3:] * rs, step])
    index = (points - p0) @ np.linalg.inv(grid).T  # (x, y, z)
    z, y, x = stored.shape
    inside = np.all((index >= 0) & (index <= np.array([x - 1, y - 1, z - 1])), axis=-1)
    coords = [index[..., 2], index[..., 1], index[..., 0]]
    values = ndimage.map_coordinates(stored, coords, order=1, mode="nearest")
    return values, inside


def windowed(values: np.ndarray, center: float, width: float) -> np.ndarray:
    """8-bit grey of HU through a LINEAR window (PS3.3 C.11.2.1.2.1), rounded half up."""
    lut = np.vectorize(lambda v: half_up(reference_voi(float(v), center, width, LINEAR)))
    result: np.ndarray = lut(values).astype(np.int16)
    return result


def check_view(
    got: np.ndarray,
    datasets: Sequence[Dataset],
    reslice: dict[str, Any],
    window: tuple[float, float],
    offsets: Sequence[float] = (0.0,),
    reduce: Any = None,
    invert: bool = False,
) -> None:
    """Assert that a rendered view (rows, columns, 4) is the reference sampled where its
    ``reslice`` says (planes ``offsets`` mm along the normal reduced by ``reduce`` for a
    slab), through the LINEAR ``window`` (then 255 - grey when ``invert``), within one grey
    level, inside the stack."""
    assert got.shape == (reslice["rows"], reslice["columns"], 4)
    # Opaque grey everywhere (R = G = B, A = 255), inside the stack or not.
    assert (got[..., 1] == got[..., 0]).all() and (got[..., 2] == got[..., 0]).all()
    assert (got[..., 3] == 255).all()
    points = reslice_points(reslice)
    normal = np.cross(reslice["rowDirection"], reslice["columnDirection"])
    planes = [reference(datasets, points + d * normal) for d in offsets]
    values = planes[0][0] if reduce is None else reduce([v for v, _ in planes], axis=0)
    inside = np.logical_and.reduce([i for _, i in planes])
    assert inside.sum() > 500
    expected = windowed(values[inside], *window)
    if invert:
        expected = 255 - expected
    difference = np.abs(got[..., 0].astype(np.int16)[inside] - expected)
    assert difference.max() <= 1, difference.max()


def uneven_reference(
    datasets: Sequence[Dataset], points: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """HU at patient points of an axial stack at any positions: bilinear in each slice
    (map_coordinates, order 1), then linear along the normal between the two slices
    that bracket the point at their true positions. Also which points lie between the
    outer slices and in the plane's extent."""
    ordered = sorted(datasets, key=lambda d: float(d.ImagePositionPatient[2]))
    z = np.array([float(d.ImagePositionPatient[2]) for d in ordered])
    rs, cs = (float(v) for v in ordered[0].PixelSpacing)
    p0 = np.asarray(ordered[0].ImagePositionPatient, dtype=np.float64)
    column = (points[..., 0] - p0[0]) / cs
    row = (points[..., 1] - p0[1]) / rs
    per_slice = np.stack(
        [
            ndimage.map_coordinates(
                d.pixel_array.astype(np.float64) + INTERCEPT, [row, column], order=1, mode="nearest"
            )
            for d in ordered
        ]
    )
    k = np.clip(np.searchsorted(z, points[..., 2], side="right") - 1, 0, len(z) - 2)
    t = (points[..., 2] - z[k]) / (z[k + 1] - z[k])
    low = np.take_along_axis(per_slice, k[None], axis=0)[0]
    high = np.take_along_axis(per_slice, (k + 1)[None], axis=0)[0]
    rows, columns = ordered[0].pixel_array.shape
    inside = (
        (points[..., 2] >= z[0])
        & (points[..., 2] <= z[-1])
        & (row >= 0)
        & (row <= rows - 1)
        & (column >= 0)
        & (column <= columns - 1)
    )
    return low + t * (high - low), inside
