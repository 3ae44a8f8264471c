"""A series as a volume, and a view of it: the session's glue to :mod:`lightbox.volume`.

What the session reads of its frames (geometry, Image Type, what tells frames at one
position apart, the modality step) becomes the volume package's plain records here; a
view as the page or the command line gives it (``{plane, normal?, position?, slab?,
projection?}``) becomes a plane geometry; the results go back as JSON (issue 14 item 6:
``view``, ``reslice``, ``volume``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from lightbox.display import frames, luts
from lightbox.volume import NotAVolume, PlaneGeometry, Volume, project, standard_geometry
from lightbox.volume.records import SliceGeometry
from lightbox.volume.reslice import STANDARD_PLANES, centre, corners, framed
from lightbox.volume.texture import VolumeTexture

PLANES = (*STANDARD_PLANES, "oblique")
#: A slab with no projection named is averaged (a thick MPR).
DEFAULT_PROJECTION = "average"
#: What may tell two frames at one position apart (named when a series is refused).
_TELLING = (
    ("TemporalPositionIndex", "(0020,0100) Temporal Position Index"),
    ("DiffusionBValue", "(0018,9087) Diffusion b-value"),
    ("EchoTime", "(0018,0081) Echo Time"),
    ("AcquisitionNumber", "(0020,0012) Acquisition Number"),
    ("TriggerTime", "(0018,1060) Trigger Time"),
)


def slice_geometry(
    ds: Dataset, geometry: frames.FrameGeometry, rows: int, columns: int, label: str
) -> SliceGeometry:
    """One frame's geometry for :func:`lightbox.volume.plan_volume` (PS3.3 C.7.6.2.1.1)."""
    image_type = ds.get("ImageType") or ()
    values = [image_type] if isinstance(image_type, str) else list(image_type)
    attributes = tuple(
        (name, str(ds.get(keyword))) for keyword, name in _TELLING if ds.get(keyword) is not None
    )
    return SliceGeometry(
        position=geometry.position,
        orientation=geometry.orientation,
        spacing=geometry.pixel_spacing,
        rows=rows,
        columns=columns,
        image_type=tuple(str(v) for v in values),
        attributes=attributes,
        label=label,
    )


def volume_dtype(modalities: Sequence[luts.Modality]) -> str:
    """int16 when every frame's rescale has an integral slope and intercept (the frames'
    values are then integers; whether they fit int16 shows only as they are decoded),
    else float32 (a Modality LUT, a fractional slope or intercept)."""
    for modality in modalities:
        if not isinstance(modality, luts.Rescale):
            return "float32"
        if modality.slope != int(modality.slope) or modality.intercept != int(modality.intercept):
            return "float32"
    return "int16"


def fits_int16(values: np.ndarray[Any, Any]) -> bool:
    """Whether integer modality values fit the int16 volume."""
    return bool(values.size == 0 or (values.min() >= -32768 and values.max() <= 32767))


def _number(value: Any, what: str) -> float | None:
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, not {value!r}")
    return number


def _oblique_directions(
    normal: Sequence[float],
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Row and column directions of an oblique plane facing ``normal``: the patient's
    head at the top (its anterior when the normal is nearly head-foot)."""
    n = np.asarray(normal, dtype=np.float64)
    length = float(np.linalg.norm(n)) if n.shape == (3,) else 0.0
    if not (math.isfinite(length) and length > 1e-9):
        raise ValueError(f"an oblique view needs a non-zero normal [x, y, z], not {normal!r}")
    n /= length
    up = np.array([0.0, 0.0, 1.0]) if abs(n[2]) < 0.9 else np.array([0.0, -1.0, 0.0])
    column = -(up - (up @ n) * n)
    column /= np.linalg.norm(column)
    return np.cross(column, n), column


def view_geometry(volume: Volume, view: dict[str, Any]) -> tuple[PlaneGeometry, dict[str, Any]]:
    """The plane a view asks for, framed to show the whole volume, and the view as shown.

    ``view``: ``plane`` ("axial", "coronal", "sagittal", "oblique"), ``normal`` (oblique:
    patient [x, y, z]), ``position`` (mm along the normal; default through the volume's
    centre), ``slab`` (total mm, 0 or absent: the plane), ``projection`` ("mip",
    "minip", "average"; a slab without one is averaged). Pixels are square, the
    volume's finer in-plane spacing. The view as shown adds ``step`` (mm: one voxel
    along the normal, what a scroll moves) and ``range`` (the volume's extent, mm
    along the normal).
    """
    name = view.get("plane")
    if name not in PLANES:
        raise ValueError(f"plane must be one of {list(PLANES)}, not {name!r}")
    position = _number(view.get("position"), "position")
    slab = _number(view.get("slab"), "slab") or 0.0
    projection = view.get("projection")
    if slab > 0 and projection is None:
        projection = DEFAULT_PROJECTION
    if slab < 0 or projection not in (None, "mip", "minip", "average"):
        raise ValueError(f"a slab of 0 mm or more and a projection, not {slab!r}, {projection!r}")
    pixel = min(volume.spacing[0], volume.spacing[1])
    if name == "oblique":
        row, column = _oblique_directions(view.get("normal") or ())
        if position is None:
            position = float(centre(volume) @ np.cross(row, column))
        geometry = framed(volume, tuple(row), tuple(column), position, pixel)
    else:
        geometry = standard_geometry(volume, str(name), position, pixel)
    normal = geometry.normal
    extent = corners(volume) @ normal
    shown = {
        "plane": name,
        "normal": [float(v) for v in normal],
        "position": geometry.position,
        "slab": slab,
        "projection": projection if slab > 0 else None,
        "step": voxel_step(volume, normal),
        "range": [float(extent.min()), float(extent.max())],
    }
    return geometry, shown


def voxel_step(volume: Volume, normal: np.ndarray[Any, Any]) -> float:
    """mm along ``normal`` that moves one voxel along the volume axis it crosses most
    (scrolling a view moves by this: one slice of an axial view of an axial stack)."""
    per_mm = np.linalg.inv(volume.grid) @ normal
    return float(1.0 / np.max(np.abs(per_mm)))


def view_values(
    volume: Volume, geometry: PlaneGeometry, shown: dict[str, Any]
) -> np.ndarray[Any, Any]:
    """The modality values (float32) of a view: its plane, or its slab projected."""
    return project(volume, geometry, shown["slab"], shown["projection"] or "mip")


def reslice_json(geometry: PlaneGeometry) -> dict[str, Any]:
    """Issue 14's ``reslice``: pixel (r, c) lies at ``origin + c * columnSpacing *
    rowDirection + r * rowSpacing * columnDirection`` (patient mm, PS3.3 C.7.6.2.1.1)."""
    return {
        "origin": list(geometry.origin),
        "rowDirection": list(geometry.row_direction),
        "columnDirection": list(geometry.column_direction),
        "rowSpacing": geometry.row_spacing,
        "columnSpacing": geometry.column_spacing,
        "rows": geometry.rows,
        "columns": geometry.columns,
    }


def volume_json(volume: Volume | NotAVolume) -> dict[str, Any]:
    """Issue 14's ``volume``: ``{dims: [columns, rows, slices], spacing, warnings}``;
    for images that are not a volume, ``dims`` and ``spacing`` are None and the one
    warning (``not-a-volume``) says why."""
    if isinstance(volume, NotAVolume):
        return {
            "dims": None,
            "spacing": None,
            "warnings": [{"code": "not-a-volume", "message": volume.reason}],
        }
    slices, rows, columns = volume.data.shape
    return {
        "dims": [columns, rows, slices],
        "spacing": list(volume.spacing),
        "warnings": [{"code": w.code, "message": w.message} for w in volume.warnings],
    }


def texture_json(texture: VolumeTexture, volume: Volume) -> dict[str, Any]:
    """What the page's 3D view needs of a volume's grid besides its voxels: ``dims``
    ([columns, rows, slices] of the voxels sent), ``spacing`` (mm, same order),
    ``origin`` (patient mm of voxel (0, 0, 0)'s centre), ``axes`` (the unit patient
    vectors of increasing column, row and slice), ``dtype``, ``range`` ([lowest,
    highest] value), ``factors`` (source voxels per voxel sent, per axis) and
    ``volume`` (the full volume's record, :func:`volume_json`)."""
    nz, ny, nx = texture.data.shape
    return {
        "dims": [nx, ny, nz],
        "spacing": list(texture.spacing),
        "origin": list(texture.origin),
        "axes": [list(axis) for axis in texture.axes],
        "dtype": str(texture.data.dtype),
        "range": list(texture.value_range),
        "factors": list(texture.factors),
        "volume": volume_json(volume),
    }
