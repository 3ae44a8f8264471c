"""The session's segmentations (issue 16 item 4): which image frame each SEG frame lies
on, the mask layer of a frame, and each segment's statistics.

A SEG frame lies on the image it names by SOP Instance UID (and frame number, for a
multi-frame image); where it names none that is open, on the image of the same Frame of
Reference, orientation and grid whose Image Position (Patient) is the frame's (within
a hundredth of a millimetre in the plane and half the slice spacing along the normal).
A SEG frame placed on no image that way, but with its own geometry in the images' Frame
of Reference (another pixel grid, spacing or orientation than the images'), is
resampled onto each image frame it reaches: each pixel takes the mask of the segment's
SEG frame nearest its patient point, at that frame's nearest pixel
(:func:`lightbox.segment.nearest.nearest_pixels`).
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
from lightbox.segment.nearest import nearest_pixels
from lightbox.segment.read import Segmentation, frame_mask, read_masks

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
    pixel_spacing: tuple[float, ...] | None = None


Points = Callable[[FrameRef], "np.ndarray[Any, Any] | None"]


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
    #: the SEG frames placed on no image but by their own geometry, and the image frames
    #: they reach (resampled onto them)
    loose: tuple[int, ...] = ()
    reach: set[FrameRef] = field(default_factory=set)

    def mask_array(self) -> np.ndarray[Any, np.dtype[np.float32]]:
        """Every frame's mask (read on first need)."""
        if self.masks is None:
            ds = dcmread(io.BytesIO(self.data), force=True)
            self.masks = read_masks(self.record.name, ds)
        return self.masks

    def mask(self, index: int) -> np.ndarray[Any, np.dtype[np.float32]]:
        """The mask (0..1) of SEG frame ``index``."""
        return frame_mask(self.record, self.mask_array(), index)

    def covers(self) -> set[FrameRef]:
        """The image frames it draws on: placed there or resampled onto them."""
        return set(self.targets) | self.reach

    def resampled(self, points: np.ndarray[Any, Any], number: int) -> np.ndarray[Any, Any]:
        """Segment ``number``'s mask at patient points (..., 3) from its loose frames,
        nearest neighbour; 0 where none lies within half the slice spacing."""
        record = self.record
        out = np.zeros(points.shape[:-1], np.float32)
        loose = [i for i in self.loose if record.frames[i].segment == number]
        if not loose or record.orientation is None or record.pixel_spacing is None:
            return out
        spacing = record.slice_spacing
        hits = nearest_pixels(
            points,
            np.asarray([record.frames[i].position for i in loose], np.float64),
            record.orientation,
            record.pixel_spacing,
            (record.rows, record.columns),
            spacing / 2 if spacing else None,
        )
        for plane in np.unique(hits.plane[hits.hit]).tolist():
            hit = hits.hit & (hits.plane == plane)
            out[hit] = self.mask(loose[plane])[hits.rows[hit], hits.columns[hit]]
        return out


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


def reach(seg: Seg, images: list[Target]) -> tuple[tuple[int, ...], set[FrameRef]]:
    """The SEG frames placed on no image (in ``seg.targets``) that have a position, and
    the image frames of their Frame of Reference whose plane comes within half the SEG's
    slice spacing of one of them (its corners' distances along the SEG's normal)."""
    record = seg.record
    placed = {i for indices in seg.targets.values() for i in indices}
    loose = tuple(
        f.index for f in record.frames if f.index not in placed and f.position is not None
    )
    if not loose or record.orientation is None or record.pixel_spacing is None:
        return (), set()
    normal = _normal(record.orientation)
    along = np.asarray([record.frames[i].position for i in loose], np.float64) @ normal
    half = (record.slice_spacing or 1.0) / 2
    found: set[FrameRef] = set()
    for t in images:
        if t.frame_of_reference != record.frame_of_reference or not t.frame_of_reference:
            continue
        if t.position is None or t.orientation is None or not t.pixel_spacing:
            continue
        o = np.asarray(t.orientation, np.float64)
        corners = np.asarray(
            [
                np.asarray(t.position, np.float64) + a * o[:3] + b * o[3:6]
                for a in (0.0, (t.columns - 1) * float(t.pixel_spacing[1]))
                for b in (0.0, (t.rows - 1) * float(t.pixel_spacing[0]))
            ]
        )
        reach_along = corners @ normal
        low, high = float(reach_along.min()) - half, float(reach_along.max()) + half
        if np.any((along >= low - 1e-6) & (along <= high + 1e-6)):
            found.add(t.ref)
    return loose, found


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
    points: Points | None = None,
) -> tuple[dict[str, Any], np.ndarray[Any, Any]]:
    """The mask layer of image frame ``ref``: (info, RGBA uint8), info listing the
    segments that lie on it (shown or not); ``extra``: more to draw over them and list
    (an RT structure set's ROIs), ``under``: to draw under them (a fusion, a dose wash);
    ``points``: the patient points of a frame's pixels (for a SEG on another grid)."""
    drawn: list[layer.Drawn] = list(under[0])
    present: list[dict[str, Any]] = list(under[1])
    for seg in segs:
        # (segment, mask, listed even where empty: a binary frame named for this image)
        masks: list[tuple[int, np.ndarray[Any, Any], bool]] = []
        if seg.targets.get(ref) and seg.mask_array().shape[1:] == (rows, columns):
            masks = [
                (seg.record.frames[i].segment, seg.mask(i), not seg.record.labelmap)
                for i in seg.targets[ref]
            ]
        if ref in seg.reach and points is not None:
            at = points(ref)
            numbers = dict.fromkeys(seg.record.frames[i].segment for i in seg.loose)
            if at is not None and at.shape[:2] == (rows, columns):
                masks += [(n, seg.resampled(at, n), False) for n in numbers]
        for number, mask, always in masks:
            segment = seg.record.segment(number)
            if segment is None or not (always or mask.any()):
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
                drawn.append(layer.Drawn(mask, segment.color, opacity))
    drawn.extend(extra[0])
    present.extend(extra[1])
    rgba = layer.compose(drawn, rows, columns)
    return {"width": columns, "height": rows, "segments": present}, rgba


def statistics(
    seg: Seg,
    values_of: Callable[[FrameRef], np.ndarray[Any, Any]],
    pixel_spacing: tuple[float, float] | None,
    slice_spacing: float | None,
    points: Points | None = None,
) -> list[dict[str, Any]]:
    """Per segment: voxels, volume (ml) and the mean image value under it, over the frames
    of the open images it lies on; a SEG placed on none but resampled onto them
    (``points``), over its masks resampled onto the images (voxels and spacings then the
    images')."""
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
                    pairs.append((seg.mask(index), values))
        if not seg.targets and points is not None:
            for ref in sorted(seg.reach, key=astuple_key):
                at = points(ref)
                if at is not None:
                    pairs.append((seg.resampled(at, segment.number), values_of(ref)))
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


#: A fractional segment holds a voxel where its fraction is at least this (the 50 %
#: surface); a binary or label map mask is 0 or 1.
INSIDE = 0.5


def frame_labels(
    seg: Seg, ref: FrameRef, rows: int, columns: int, points: Points | None = None
) -> np.ndarray[Any, Any] | None:
    """The segment index (1 + the segment's place in the SEG's Segment Sequence; 0: none)
    of each pixel of image frame ``ref`` (rows × columns), from the masks placed on it or
    resampled onto it, as :func:`frame_layer` draws them: a pixel is in a segment where its
    mask is at least :data:`INSIDE`, and where two segments hold it, the later one in the
    sequence. None where the SEG draws nothing on the frame."""
    record = seg.record
    index = {s.number: i + 1 for i, s in enumerate(record.segments)}
    masks: list[tuple[int, np.ndarray[Any, Any]]] = []
    if seg.targets.get(ref) and seg.mask_array().shape[1:] == (rows, columns):
        masks = [(record.frames[i].segment, seg.mask(i)) for i in seg.targets[ref]]
    if ref in seg.reach and points is not None:
        at = points(ref)
        if at is not None and at.shape[:2] == (rows, columns):
            numbers = dict.fromkeys(record.frames[i].segment for i in seg.loose)
            masks += [(n, seg.resampled(at, n)) for n in numbers]
    masks = [(index[n], m) for n, m in masks if n in index]
    if not masks:
        return None
    dtype = np.uint8 if len(record.segments) < 256 else np.uint16
    out = np.zeros((rows, columns), dtype)
    for value, mask in sorted(masks, key=lambda item: item[0]):
        out[mask >= INSIDE] = value
    return out
