"""Reading a Segmentation (SEG) object: its segments, and per frame which segment it is of
and which image it lies on (PS3.3 C.8.20, A.51).

A SEG frame names its image by Referenced SOP Instance UID (and frame number) in its
Derivation Image Sequence's Source Image Sequence, per frame or shared; it also has its
Image Position (Patient) in the Frame of Reference, which places it where no image is
named. The masks are the object's pixel data read by pydicom: BINARY frames are 0 or 1,
FRACTIONAL ones are scaled by Maximum Fractional Value to 0..1.

A Label Map Segmentation (PS3.3 C.8.20.2, Segmentation Type LABELMAP) holds every segment
in one frame: each pixel's value is its segment's number. Its frames are read as one
:class:`SegFrame` per (pixel frame, segment), whose mask is where the pixel frame holds
that number, so that it is drawn, toggled and counted as a binary SEG is; a pixel equal
to its Pixel Padding Value is background, in no segment (even one numbered so).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from lightbox.core.errors import InvalidDicomError
from lightbox.core.messages import say
from lightbox.segment.color import DEFAULT_COLOR, lab_to_srgb

#: Segmentation Storage.
SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
#: Label Map Segmentation Storage.
LABELMAP_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.7"


@dataclass(frozen=True)
class Segment:
    """One segment: its number, label and display colour (sRGB)."""

    number: int
    label: str
    color: tuple[int, int, int]


@dataclass(frozen=True)
class SegFrame:
    """One frame of a SEG: its segment, the images it names, where it lies."""

    index: int
    segment: int
    #: (Referenced SOP Instance UID, Referenced Frame Number or None), as listed.
    sources: tuple[tuple[str, int | None], ...]
    position: tuple[float, float, float] | None
    #: The frame of the pixel data it is (``index`` but in a label map, whose pixel
    #: frames hold every segment).
    pixel_frame: int = -1

    @property
    def pixels(self) -> int:
        """The index of its frame in the pixel data."""
        return self.index if self.pixel_frame < 0 else self.pixel_frame


@dataclass(frozen=True)
class Segmentation:
    """What a SEG says, without its pixels."""

    name: str
    uid: str
    series_uid: str
    label: str
    fractional: bool
    #: A label map: each pixel value a segment number (PS3.3 C.8.20.2).
    labelmap: bool
    rows: int
    columns: int
    frame_of_reference: str
    orientation: tuple[float, ...] | None
    #: Pixel Spacing (row, column) and the slice spacing (Spacing Between Slices, else
    #: Slice Thickness) of its Pixel Measures, mm.
    pixel_spacing: tuple[float, float] | None
    slice_spacing: float | None
    segments: tuple[Segment, ...]
    frames: tuple[SegFrame, ...]
    #: A label map's Pixel Padding Value: the background, in no segment.
    padding: int | None = None

    def segment(self, number: int) -> Segment | None:
        """The segment numbered ``number``, or None."""
        return next((s for s in self.segments if s.number == number), None)


def is_segmentation(ds: Dataset) -> bool:
    """Whether a data set is a Segmentation Storage object."""
    return str(ds.get("SOPClassUID", "")) in (SEG_SOP_CLASS, LABELMAP_SOP_CLASS)


def _is_labelmap(ds: Dataset) -> bool:
    kind = str(ds.get("SegmentationType", "")).upper()
    return kind == "LABELMAP" or str(ds.get("SOPClassUID", "")) == LABELMAP_SOP_CLASS


def _item(ds: Dataset | None, keyword: str) -> Dataset | None:
    seq = ds.get(keyword) if ds is not None else None
    return seq[0] if seq else None


def _groups(ds: Dataset, index: int) -> tuple[Dataset | None, Dataset | None]:
    per = ds.get("PerFrameFunctionalGroupsSequence")
    frame = per[index] if per is not None and index < len(per) else None
    return frame, _item(ds, "SharedFunctionalGroupsSequence")


def _macro(ds: Dataset, index: int, keyword: str) -> Dataset | None:
    """A functional group macro of frame ``index``: its per-frame item, else the shared."""
    frame, shared = _groups(ds, index)
    return _item(frame, keyword) or _item(shared, keyword)


def _sources(ds: Dataset, index: int) -> tuple[tuple[str, int | None], ...]:
    frame, shared = _groups(ds, index)
    found: list[tuple[str, int | None]] = []
    for group in (frame, shared):
        for derivation in (group.get("DerivationImageSequence") or []) if group else []:
            for source in derivation.get("SourceImageSequence") or []:
                uid = str(source.get("ReferencedSOPInstanceUID", "") or "")
                numbers = source.get("ReferencedFrameNumber")
                if not uid:
                    continue
                if numbers is None or numbers == "":
                    found.append((uid, None))
                else:
                    listed = (
                        numbers if isinstance(numbers, list | tuple | MultiValue) else [numbers]
                    )
                    found.extend((uid, int(n)) for n in listed)
        if found:
            break
    return tuple(found)


def _floats(value: Any, count: int) -> tuple[float, ...] | None:
    try:
        out = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return out if len(out) == count else None


def read_segmentation(name: str, ds: Dataset) -> Segmentation:
    """The segments and frames of a SEG (``ds`` may stop before its pixel data)."""
    segments = []
    for item in ds.get("SegmentSequence") or []:
        lab = item.get("RecommendedDisplayCIELabValue")
        color = lab_to_srgb(lab) if lab is not None and len(lab) == 3 else DEFAULT_COLOR
        number = int(item.get("SegmentNumber", 0) or 0)
        label = str(item.get("SegmentLabel", "") or f"Segment {number}")
        segments.append(Segment(number, label, color))
    if not segments:
        raise InvalidDicomError(name, say("engine.seg_no_segments"))
    count = int(ds.get("NumberOfFrames", 1) or 1)
    labelmap = _is_labelmap(ds)
    frames: list[SegFrame] = []
    for index in range(count):
        plane = _macro(ds, index, "PlanePositionSequence")
        position = _floats(plane.get("ImagePositionPatient"), 3) if plane else None
        sources = _sources(ds, index)
        if labelmap:
            for segment in segments:
                frames.append(SegFrame(len(frames), segment.number, sources, position, index))  # type: ignore[arg-type]
            continue
        ident = _macro(ds, index, "SegmentIdentificationSequence")
        number = int(ident.get("ReferencedSegmentNumber", 0) or 0) if ident else 0
        if not number and len(segments) == 1:
            number = segments[0].number
        frames.append(SegFrame(index, number, sources, position))  # type: ignore[arg-type]
    orient = _macro(ds, 0, "PlaneOrientationSequence")
    measures = _macro(ds, 0, "PixelMeasuresSequence")
    spacing = _floats(measures.get("PixelSpacing"), 2) if measures else None
    between = _floats([measures.get("SpacingBetweenSlices")], 1) if measures else None
    thickness = _floats([measures.get("SliceThickness")], 1) if measures else None
    slice_spacing = (between or thickness or (None,))[0]
    label = str(ds.get("SeriesDescription", "") or ds.get("ContentLabel", "") or "Segmentation")
    return Segmentation(
        name=name,
        uid=str(ds.get("SOPInstanceUID", "") or ""),
        series_uid=str(ds.get("SeriesInstanceUID", "") or ""),
        label=label,
        fractional=str(ds.get("SegmentationType", "")).upper() == "FRACTIONAL",
        labelmap=labelmap,
        rows=int(ds.get("Rows", 0) or 0),
        columns=int(ds.get("Columns", 0) or 0),
        frame_of_reference=str(ds.get("FrameOfReferenceUID", "") or ""),
        orientation=_floats(orient.get("ImageOrientationPatient"), 6) if orient else None,
        pixel_spacing=(spacing[0], spacing[1]) if spacing else None,
        slice_spacing=abs(slice_spacing) if slice_spacing else None,
        segments=tuple(segments),
        frames=tuple(frames),
        padding=int(ds.PixelPaddingValue) if labelmap and "PixelPaddingValue" in ds else None,
    )


def read_masks(name: str, ds: Dataset) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Every frame's mask, (frames, rows, columns) float32 in 0..1 (``ds`` read whole); a
    label map's frames as they are stored, segment numbers (see :func:`frame_mask`)."""
    try:
        values = np.asarray(ds.pixel_array)
    except Exception as error:  # pydicom says why it cannot: the message names the file
        raise InvalidDicomError(name, say("engine.seg_unreadable", detail=str(error))) from error
    if values.ndim == 2:
        values = values[np.newaxis]
    masks = values.astype(np.float32)
    if _is_labelmap(ds):
        return masks
    if str(ds.get("SegmentationType", "")).upper() == "FRACTIONAL":
        top = float(ds.get("MaximumFractionalValue", 0) or 0) or float(2 ** int(ds.BitsStored) - 1)
        masks /= top
    return np.clip(masks, 0.0, 1.0)


def frame_mask(
    record: Segmentation, masks: np.ndarray[Any, np.dtype[np.float32]], index: int
) -> np.ndarray[Any, np.dtype[np.float32]]:
    """The mask (0..1) of frame ``index`` of ``record`` from its :func:`read_masks`: the
    pixel frame, or in a label map where the pixel frame holds the frame's segment."""
    frame = record.frames[index]
    values: np.ndarray[Any, np.dtype[np.float32]] = masks[frame.pixels]
    if record.labelmap and frame.segment == record.padding:
        return np.zeros(values.shape, np.float32)  # the background (PS3.3 C.8.20.2)
    if record.labelmap:
        labelled: np.ndarray[Any, np.dtype[np.float32]] = (values == frame.segment).astype(
            np.float32
        )
        return labelled
    return values
