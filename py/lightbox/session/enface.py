"""OCT B-scans on their en-face image (issue 15 item 3).

PS3.3 C.8.17.10.1 (Ophthalmic Frame Location Macro): each frame of an Ophthalmic
Tomography image may say where it lies on another image (its Ophthalmic Frame Location
Sequence (0022,0031), in the per-frame functional groups): the Referenced SOP Instance
UID of that image and Reference Coordinates (0022,0032), row/column pairs (row first) of
the points on it that the frame's columns (A-scans) correspond to, first to last. They
are sub-pixel and 0-based at the pixel's edge: 0.0\\0.0 is the top left corner of the top
left pixel, Rows\\Columns the bottom right corner of the last, which is the page's image
coordinate system as it is (x = column, y = row), so the line is drawn from the first
pair to the last: the B-scan's extent. Each en-face series gets ``bscans: {series,
lines}`` (per B-scan of that series, in its order, ``[x0, y0, x1, y1]`` from the first
pair to the last, or None), each B-scan series ``enFace`` (the en-face series' index).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydicom.dataset import Dataset

from lightbox.catalog.series import Series
from lightbox.core.records import FrameRef


def frame_line(item: Dataset | None) -> tuple[str, list[float]] | None:
    """(the referenced image's SOP Instance UID, [x0, y0, x1, y1]) of one frame's
    Ophthalmic Frame Location, None when it has none to draw."""
    seq = item.get("OphthalmicFrameLocationSequence") if item is not None else None
    if not seq:
        return None
    location = seq[0]
    uid = str(location.get("ReferencedSOPInstanceUID", "") or "")
    try:
        values = [float(v) for v in (location.get("ReferenceCoordinates") or [])]
    except (TypeError, ValueError):
        return None
    if not uid or len(values) < 4:
        return None
    rows, columns = values[0::2], values[1::2]  # row/column pairs
    return uid, [columns[0], rows[0], columns[-1], rows[-1]]


def links(series: Sequence[Series], dataset: Callable[[int], Dataset]) -> dict[int, dict[str, Any]]:
    """For each series index linked: ``{"bscans": ...}`` (an en-face image) or
    ``{"enFace": index}`` (its B-scans); ``dataset(file)`` is a file's header."""
    where: dict[str, int] = {}
    for index, s in enumerate(series):
        for ref in s.frames:
            uid = str(dataset(ref.file).get("SOPInstanceUID", "") or "")
            where.setdefault(uid, index)
    out: dict[int, dict[str, Any]] = {}
    for index, s in enumerate(series):
        found = [_line_of(dataset, ref) for ref in s.frames]
        targets = {f[0] for f in found if f is not None and f[0] in where}
        if len(targets) != 1:
            continue
        (target,) = targets
        en_face = where[target]
        if en_face == index or en_face in out:
            continue
        lines = [f[1] if f is not None and f[0] == target else None for f in found]
        out[en_face] = {"bscans": {"series": index, "lines": lines}}
        out[index] = {"enFace": en_face}
    return out


def _line_of(dataset: Callable[[int], Dataset], ref: FrameRef) -> tuple[str, list[float]] | None:
    per_frame = dataset(ref.file).get("PerFrameFunctionalGroupsSequence")
    if not per_frame or ref.index >= len(per_frame):
        return None
    return frame_line(per_frame[ref.index])
