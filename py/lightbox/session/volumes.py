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
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from lightbox.core.messages import with_said
from lightbox.core.records import VoiFunction, Window
from lightbox.display import frames, luts
from lightbox.volume import NotAVolume, PlaneGeometry, Volume, project, project_windowed
from lightbox.volume.records import SliceGeometry
from lightbox.volume.reslice import STANDARD_PLANES, centre, corners, framed
from lightbox.volume.stack import Phases
from lightbox.volume.texture import VolumeTexture

PLANES = (*STANDARD_PLANES, "oblique")


@dataclass(frozen=True, eq=False)
class ViewImage:
    """A reformatted view as drawn: its modality values (float32, rows × columns) and
    where its pixels lie, with the volume (and the phase of it) they were sampled from
    and the view as shown (:func:`view_geometry`)."""

    volume: Volume
    phases: Phases | None
    phase: int | None
    geometry: PlaneGeometry
    shown: dict[str, Any]
    image: np.ndarray[Any, Any]


#: A slab with no projection named is averaged (a thick MPR).
DEFAULT_PROJECTION = "average"
#: What may tell two frames at one position apart (named when a series is refused).
_TELLING = (
    ("TemporalPositionIndex", "(0020,0100) Temporal Position Index"),
    ("DiffusionBValue", "(0018,9087) Diffusion b-value"),
    ("EchoTime", "(0018,0081) Echo Time"),
    ("AcquisitionNumber", "(0020,0012) Acquisition Number"),
    ("TriggerTime", "(0018,1060) Trigger Time"),
    ("EffectiveEchoTime", "(0018,9082) Effective Echo Time"),
)


def frame_value(ds: Dataset, index: int, keyword: str) -> Any:
    """An attribute of frame ``index``: the dataset's own, else in the frame's item of the
    Per-frame Functional Groups Sequence or the shared one, one macro deep (PS3.3
    C.7.6.16: e.g. Frame Content's Temporal Position Index, MR Diffusion's b-value)."""
    value = ds.get(keyword)
    if value is not None:
        return value
    per_frame = ds.get("PerFrameFunctionalGroupsSequence") or []
    shared = ds.get("SharedFunctionalGroupsSequence") or []
    items = ([per_frame[index]] if index < len(per_frame) else []) + list(shared[:1])
    for item in items:
        for element in item:
            if element.VR == "SQ" and element.value:
                found = element.value[0].get(keyword)
                if found is not None:
                    return found
    return None


def slice_geometry(
    ds: Dataset,
    geometry: frames.FrameGeometry,
    rows: int,
    columns: int,
    label: str,
    index: int = 0,
) -> SliceGeometry:
    """Frame ``index``'s geometry for :func:`lightbox.volume.plan_volume` (PS3.3
    C.7.6.2.1.1), with what may tell it from other frames at its position."""
    image_type = ds.get("ImageType") or ()
    values = [image_type] if isinstance(image_type, str) else list(image_type)
    found = ((name, frame_value(ds, index, keyword)) for keyword, name in _TELLING)
    attributes = tuple((name, str(value)) for name, value in found if value is not None)
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
    "minip", "average"; a slab without one is averaged), ``pixels`` ("square", the
    default: the volume's finer in-plane spacing both ways; "natural": along each of
    the view's directions, one voxel step, so that a coronal view of 2 mm slices has
    2 mm rows and no more of them than the volume has slices; the page shows them at
    their aspect). The view as shown adds ``step`` (mm: one voxel along the normal,
    what a scroll moves) and ``range`` (the volume's extent, mm along the normal).
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
    pixels = view.get("pixels") or "square"
    if pixels not in ("square", "natural"):
        raise ValueError(f"pixels must be 'square' or 'natural', not {pixels!r}")
    if name == "oblique":
        row, column = _oblique_directions(view.get("normal") or ())
    else:
        row, column = (np.asarray(v, dtype=np.float64) for v in STANDARD_PLANES[str(name)])
    if position is None:
        position = float(centre(volume) @ np.cross(row, column))
    pixel: float | tuple[float, float] = min(volume.spacing[0], volume.spacing[1])
    if pixels == "natural":  # (row spacing: down the columns, column spacing: along rows)
        pixel = (voxel_step(volume, column), voxel_step(volume, row))
    geometry = framed(volume, tuple(row), tuple(column), position, pixel)
    normal = geometry.normal
    extent = corners(volume) @ normal
    shown = {
        "plane": name,
        "normal": [float(v) for v in normal],
        "position": geometry.position,
        "slab": slab,
        "projection": projection if slab > 0 else None,
        "pixels": pixels,
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


def view_rgba(
    volume: Volume, geometry: PlaneGeometry, shown: dict[str, Any], window: luts.Voi, invert: bool
) -> np.ndarray[Any, Any] | None:
    """A view's RGBA straight from the volume, sampled and windowed in one pass, where
    that applies (:func:`lightbox.volume.project_windowed`: the browser's kernel, one plane
    of a regular volume, a LINEAR window); else None (then :func:`view_values` and the
    display pipeline)."""
    if not isinstance(window, Window) or window.function is not VoiFunction.LINEAR:
        return None
    return project_windowed(volume, geometry, shown["slab"], (window.center, window.width), invert)


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


def chosen_phase(phases: Phases | None, phase: Any) -> int | None:
    """Which of a series' volumes a view asks for: None when it holds one (and asks for
    none, or the first), else an index (default 0)."""
    if phase is None or phase == 0:
        return 0 if phases else None
    if phases is None:
        raise ValueError(f"this series holds one volume: there is no phase {phase!r}")
    if not isinstance(phase, int) or isinstance(phase, bool) or not 0 <= phase < len(phases.values):
        raise ValueError(
            f"phase must be 0 … {len(phases.values) - 1} (by {phases.attribute}), not {phase!r}"
        )
    return phase


def volume_json(
    volume: Volume | NotAVolume, phases: Phases | None = None, chosen: int | None = None
) -> dict[str, Any]:
    """Issue 14's ``volume``: ``{dims: [columns, rows, slices], spacing, warnings}``;
    for images that are not a volume, ``dims`` and ``spacing`` are None and the one
    warning (``not-a-volume``) says why. A series of several volumes at the same
    positions adds ``phases: {attribute, values, chosen}``."""
    record = _volume_record(volume)
    if phases is not None:
        record["phases"] = {
            "attribute": phases.attribute,
            "values": list(phases.values),
            "chosen": chosen,
        }
    return record


def _volume_record(volume: Volume | NotAVolume) -> dict[str, Any]:
    if isinstance(volume, NotAVolume):
        return {
            "dims": None,
            "spacing": None,
            "warnings": [
                with_said({"code": "not-a-volume", "message": volume.reason}, volume.reason)
            ],
        }
    slices, rows, columns = volume.data.shape
    return {
        "dims": [columns, rows, slices],
        "spacing": list(volume.spacing),
        "warnings": [
            with_said({"code": w.code, "message": w.message}, w.message) for w in volume.warnings
        ],
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
