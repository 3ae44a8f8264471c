"""The session's segmentations (issue 16 item 4): which image frame each SEG frame lies
on, the mask layer of a frame, and each segment's statistics.

A SEG frame lies on the image it names by SOP Instance UID (and frame number, for a
multi-frame image); where it names none that is open, on the image of the same Frame of
Reference, orientation and grid whose Image Position (Patient) is the frame's (within
a hundredth of a millimetre in the plane and half the slice spacing along the normal).
The masks are read from the SEG's pixel data once, on first need, and kept.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydicom import dcmread

from lightbox.core.records import FrameRef
from lightbox.segment import layer
from lightbox.segment.read import Segmentation, read_masks

#: The opacity of a segmentation shown before the page asks for another.
DEFAULT_OPACITY = 0.5


@dataclass(frozen=True)
class Target:
    """What the resolver needs of one open image frame."""

    ref: FrameRef
    sop_uid: str
    frames_in_file: int
    frame_of_reference: str
    orientation: tuple[float, ...] | None
    position: tuple[float, ...] | None
    rows: int
    columns: int


@dataclass
class Seg:
    """One open SEG: its record, the file it is, its masks once read, where they lie."""

    file: int
    record: Segmentation
    data: bytes
    masks: np.ndarray[Any, np.dtype[np.float32]] | None = None
    #: image frame → SEG frame indices, with the count of files it was resolved against
    targets: dict[FrameRef, list[int]] = field(default_factory=dict)
    resolved_for: int = -1

    def mask_array(self) -> np.ndarray[Any, np.dtype[np.float32]]:
        """Every frame's mask (read on first need)."""
        if self.masks is None:
            ds = dcmread(io.BytesIO(self.data), force=True)
            self.masks = read_masks(self.record.name, ds)
        return self.masks


def _normal(orientation: tuple[float, ...]) -> np.ndarray[Any, Any]:
    row = np.asarray(orientation[:3], np.float64)
    col = np.asarray(orientation[3:6], np.float64)
    return np.asarray(np.cross(row, col))


def resolve(seg: Seg, images: list[Target], spacing: float) -> dict[FrameRef, list[int]]:
    """Image frame → the SEG frames that lie on it (``spacing``: slice spacing, mm)."""
    record = seg.record
    by_uid: dict[str, list[Target]] = {}
    for target in images:
        by_uid.setdefault(target.sop_uid, []).append(target)
    same_grid = [
        t
        for t in images
        if t.frame_of_reference
        and t.frame_of_reference == record.frame_of_reference
        and (t.rows, t.columns) == (record.rows, record.columns)
        and t.position is not None
        and t.orientation is not None
        and record.orientation is not None
        and np.allclose(t.orientation, record.orientation, atol=1e-3)
    ]
    out: dict[FrameRef, list[int]] = {}
    for frame in record.frames:
        found: list[FrameRef] = []
        for uid, number in frame.sources:
            for target in by_uid.get(uid, []):
                if number is None and target.frames_in_file > 1:
                    continue  # a multi-frame image without a frame number: placed below
                if number is None or target.ref.index == number - 1:
                    found.append(target.ref)
        if not found and frame.position is not None and record.orientation is not None:
            normal = _normal(record.orientation)
            tolerance = max(spacing / 2, 0.01)
            for target in same_grid:
                delta = np.asarray(target.position, np.float64) - np.asarray(frame.position)
                along = float(delta @ normal)
                across = delta - along * normal
                if abs(along) < tolerance and float(np.linalg.norm(across)) < 0.01:
                    found.append(target.ref)
        for ref in found:
            out.setdefault(ref, []).append(frame.index)
    return out


def visible_setting(settings: list[dict[str, Any]], uid: str, number: int) -> tuple[bool, float]:
    """Whether segment ``number`` of SEG ``uid`` is shown and its opacity, from the page's
    ``[{uid, visible, opacity, hidden: [segment numbers]}]`` (shown at 0.5 when unlisted)."""
    for item in settings:
        if item.get("uid") == uid:
            hidden = {int(n) for n in item.get("hidden") or []}
            shown = bool(item.get("visible", True)) and number not in hidden
            return shown, float(item.get("opacity", DEFAULT_OPACITY))
    return True, DEFAULT_OPACITY


def frame_layer(
    segs: list[Seg],
    ref: FrameRef,
    rows: int,
    columns: int,
    settings: list[dict[str, Any]],
    extra: tuple[list[layer.Drawn], list[dict[str, Any]]] = ([], []),
    under: tuple[list[layer.Drawn], list[dict[str, Any]]] = ([], []),
) -> tuple[dict[str, Any], np.ndarray[Any, Any]]:
    """The mask layer of image frame ``ref``: (info, RGBA uint8), info listing the
    segments that lie on it (shown or not); ``extra``: more to draw over them and list
    (an RT structure set's ROIs), ``under``: to draw under them (a fusion, a dose wash)."""
    drawn: list[layer.Drawn] = list(under[0])
    present: list[dict[str, Any]] = list(under[1])
    for seg in segs:
        indices = seg.targets.get(ref, [])
        if not indices:
            continue
        masks = seg.mask_array()
        for index in indices:
            number = seg.record.frames[index].segment
            segment = seg.record.segment(number)
            if segment is None or masks.shape[1:] != (rows, columns):
                continue
            shown, opacity = visible_setting(settings, seg.record.uid, number)
            present.append(
                {
                    "uid": seg.record.uid,
                    "segment": number,
                    "label": segment.label,
                    "color": list(segment.color),
                    "visible": shown,
                }
            )
            if shown:
                drawn.append(layer.Drawn(masks[index], segment.color, opacity))
    drawn.extend(extra[0])
    present.extend(extra[1])
    rgba = layer.compose(drawn, rows, columns)
    return {"width": columns, "height": rows, "segments": present}, rgba


def statistics(
    seg: Seg,
    values_of: Callable[[FrameRef], np.ndarray[Any, Any]],
    pixel_spacing: tuple[float, float] | None,
    slice_spacing: float | None,
) -> list[dict[str, Any]]:
    """Per segment: voxels, volume (ml) and the mean image value under it, over the frames
    of the open images it lies on."""
    masks = seg.mask_array()
    out = []
    for segment in seg.record.segments:
        pairs = []
        for ref, indices in sorted(seg.targets.items(), key=lambda kv: astuple_key(kv[0])):
            for index in indices:
                if seg.record.frames[index].segment != segment.number:
                    continue
                values = values_of(ref)
                if values.shape == masks.shape[1:]:
                    pairs.append((masks[index], values))
        stats = layer.statistics(pairs, pixel_spacing, slice_spacing)
        out.append(
            {
                "segment": segment.number,
                "label": segment.label,
                "voxels": stats.voxels,
                "volumeMl": stats.volume_ml,
                "mean": stats.mean,
            }
        )
    return out


def astuple_key(ref: FrameRef) -> tuple[int, int]:
    """A sort key of a frame reference."""
    return (ref.file, ref.index)
