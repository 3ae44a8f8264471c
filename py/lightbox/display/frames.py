"""Per-frame display parameters: Enhanced multi-frame functional groups, or the classic header.

An Enhanced object (Enhanced CT, MR, XA, US, ...) keeps what may vary per
frame in functional group macros: each macro sits either in the frame's item
of (5200,9230) Per-frame Functional Groups Sequence or, the same for all
frames, in (5200,9229) Shared Functional Groups Sequence (PS3.3 C.7.6.16).
The selectors here read, for each frame, its rescale, windows and VOI LUTs,
and its geometry, falling back to the top-level attributes of a classic
image. They reuse the display selectors on the macro items, whose attributes
have the same keywords.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset

from lightbox.core.records import Window
from lightbox.core.values import float_or_none, floats, functional_group
from lightbox.display import readers
from lightbox.display.luts import Lut, Modality

#: Functional group macros read here (PS3.3 C.7.6.16.2.x) by their sequence keyword.
PIXEL_MEASURES = "PixelMeasuresSequence"  # (0028,9110), C.7.6.16.2.1
PLANE_POSITION = "PlanePositionSequence"  # (0020,9113), C.7.6.16.2.3
PLANE_ORIENTATION = "PlaneOrientationSequence"  # (0020,9116), C.7.6.16.2.4
PIXEL_VALUE_TRANSFORMATION = "PixelValueTransformationSequence"  # (0028,9145), C.7.6.16.2.9
FRAME_VOI_LUT = "FrameVOILUTSequence"  # (0028,9132), C.7.6.16.2.10


@dataclass(frozen=True)
class FrameGeometry:
    """Where one frame sits: (0020,0032), (0020,0037), (0028,0030), (0018,0050)."""

    position: tuple[float, ...] | None = None
    orientation: tuple[float, ...] | None = None
    pixel_spacing: tuple[float, ...] | None = None
    slice_thickness: float | None = None


@dataclass(frozen=True)
class FrameParameters:
    """What the display pipeline needs of one frame.

    Attributes
    ----------
    modality : Rescale or Lut
        The Modality LUT step (PS3.3 C.11.1).
    windows : tuple of Window
        Every window of the frame, the first being the default (C.11.2).
    voi_luts : tuple of Lut
        The frame's VOI LUTs, selectable after the windows.
    geometry : FrameGeometry
    """

    modality: Modality
    windows: tuple[Window, ...]
    voi_luts: tuple[Lut, ...]
    geometry: FrameGeometry


def is_enhanced(ds: Dataset) -> bool:
    """Whether the object has Multi-frame Functional Groups (PS3.3 C.7.6.16)."""
    return bool(ds.get("PerFrameFunctionalGroupsSequence")) or bool(
        ds.get("SharedFunctionalGroupsSequence")
    )


def read_geometry(ds: Dataset, frame: int) -> FrameGeometry:
    """Position, orientation, pixel spacing and thickness of one frame.

    From the Plane Position (Patient), Plane Orientation (Patient) and Pixel
    Measures macros (PS3.3 C.7.6.16.2.3, .4, .1) when present, else from the
    Image Plane Module (C.7.6.2).
    """
    position = functional_group(ds, frame, PLANE_POSITION) or ds
    orientation = functional_group(ds, frame, PLANE_ORIENTATION) or ds
    measures = functional_group(ds, frame, PIXEL_MEASURES) or ds
    return FrameGeometry(
        position=floats(position.get("ImagePositionPatient"), 3),
        orientation=floats(orientation.get("ImageOrientationPatient"), 6),
        pixel_spacing=floats(measures.get("PixelSpacing"), 2),
        slice_thickness=float_or_none(measures.get("SliceThickness")),
    )


def read_modality(ds: Dataset, frame: int) -> Modality:
    """The frame's rescale from its Pixel Value Transformation macro, else the header's.

    An Enhanced CT frame without (0028,1054) Rescale Type is in HU, as a
    classic CT image with an intercept is (see :func:`readers.read_rescale`).
    """
    item = functional_group(ds, frame, PIXEL_VALUE_TRANSFORMATION)
    if item is None:
        return readers.read_modality(ds)
    return readers.read_rescale(item, str(ds.get("Modality", "")))


def read_voi(ds: Dataset, frame: int, modality: Modality) -> tuple[list[Window], list[Lut]]:
    """The frame's windows and VOI LUTs: its Frame VOI LUT macro, else the header's."""
    item = functional_group(ds, frame, FRAME_VOI_LUT) or ds
    signed = readers.modality_output_signed(ds, modality)
    luts = readers.read_voi_luts(item, signed, readers.little_endian(ds))
    return readers.read_windows(item), luts


def read_frame(ds: Dataset, frame: int) -> FrameParameters:
    """Everything the display pipeline needs of frame ``frame`` (0-based)."""
    modality = read_modality(ds, frame)
    windows, luts = read_voi(ds, frame, modality)
    return FrameParameters(modality, tuple(windows), tuple(luts), read_geometry(ds, frame))


def read_frames(ds: Dataset, count: int) -> tuple[FrameParameters, ...]:
    """The parameters of every frame, read once (a classic image's frames share one)."""
    if not is_enhanced(ds):
        return (read_frame(ds, 0),) * max(count, 1)
    return tuple(read_frame(ds, i) for i in range(max(count, 1)))


def geometry_json(geometry: FrameGeometry) -> dict[str, Any]:
    """A frame's geometry for the viewer (lists, or None where absent)."""
    return {
        "position": list(geometry.position) if geometry.position else None,
        "orientation": list(geometry.orientation) if geometry.orientation else None,
        "pixelSpacing": list(geometry.pixel_spacing) if geometry.pixel_spacing else None,
        "sliceThickness": geometry.slice_thickness,
    }
