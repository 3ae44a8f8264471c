"""The session's RT Structure Sets (issue 16 item 5): which frames of a series their
contours lie on, and their drawing over a frame.

A structure set arrives as a document (it has no pixels); its bytes are read once, on
first need. Its contours are drawn over the images of the series whose Frame of
Reference is the ROI's, on the frames whose plane is within half the series' slice
spacing of every point of the contour (the spacing: the median step between the
frames' positions along the normal; Slice Thickness for one frame).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from pydicom import dcmread

from lightbox.core.records import FrameRef
from lightbox.segment import rtstruct
from lightbox.segment.layer import Drawn

if TYPE_CHECKING:
    from lightbox.catalog.series import Series
    from lightbox.session.session import Session

#: The fill opacity of a structure set shown before the page asks for another.
DEFAULT_OPACITY = 0.3


@dataclass
class Structures:
    """One open structure set and, per series UID, its ROIs per frame of that series."""

    document: int
    record: rtstruct.StructureSet
    on_series: dict[str, dict[int, list[int]]] = field(default_factory=dict)


def _plane(session: Session, ref: FrameRef, thickness: float) -> rtstruct.Plane | None:
    found = session.frame_plane(ref)
    if found is None:
        return None
    position, o, spacing = found
    fmt = session.files[ref.file].fmt
    return rtstruct.Plane(position, o[:3], o[3:6], spacing, thickness, fmt.rows, fmt.columns)


class RtStructures:
    """The structure sets open among a session's documents."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._read: dict[int, Structures | None] = {}

    def all(self) -> list[Structures]:
        """Every structure set among the documents (each read once)."""
        for index, (document, data) in enumerate(self.session.documents):
            if index in self._read:
                continue
            found = None
            # the document names its SOP Class (by name where pydicom knows it)
            if document.sop_class in (rtstruct.RTSTRUCT_SOP_CLASS, "RT Structure Set Storage"):
                try:
                    ds = dcmread(io.BytesIO(data), force=True)
                    if rtstruct.is_structure_set(ds):
                        record = rtstruct.read_structure_set(document.name, ds)
                        found = Structures(index, record)
                except Exception as error:  # listed as a document still, with the reason
                    reason = getattr(error, "reason", None) or str(error)
                    said = f"its contours cannot be drawn: {reason}"
                    self.session.documents[index] = (
                        replace(document, warnings=(*document.warnings, said)),
                        data,
                    )
            self._read[index] = found
        return [s for s in self._read.values() if s is not None]

    def thickness(self, series: Series) -> float:
        """The series' slice spacing (mm): how far a contour may lie from a frame."""
        planes = [_plane(self.session, ref, 0.0) for ref in series.frames]
        known = [p for p in planes if p is not None]
        if len(known) >= 2:
            normal = known[0].normal
            steps = np.diff(np.sort([float(p.origin @ normal) for p in known]))
            steps = steps[steps > 1e-6]
            if steps.size:
                return float(np.median(steps))
        geometry = self.session.files[series.frames[0].file].parameters(0).geometry
        return float(geometry.slice_thickness or 1.0)

    def frames_of(self, structures: Structures, series: Series) -> dict[int, list[int]]:
        """Frame index of the series → the ROI numbers with a contour on it."""
        if series.uid in structures.on_series:
            return structures.on_series[series.uid]
        first = self.session.files[series.frames[0].file].header.dataset
        frame_of_reference = str(first.get("FrameOfReferenceUID", "") or "")
        out: dict[int, list[int]] = {}
        rois = [r for r in structures.record.rois if r.frame_of_reference == frame_of_reference]
        if rois and not series.mixed_orientation:
            thickness = self.thickness(series)
            planes = [_plane(self.session, ref, thickness) for ref in series.frames]
            known = [(i, p) for i, p in enumerate(planes) if p is not None]
            if known:
                normal = known[0][1].normal
                positions = np.asarray([float(p.origin @ normal) for _, p in known])
                for roi in rois:
                    for contour in roi.contours:
                        along = contour.points @ normal
                        low, high = float(along.min()), float(along.max())
                        near = (np.abs(positions - low) <= thickness / 2) & (
                            np.abs(positions - high) <= thickness / 2
                        )
                        for k in np.nonzero(near)[0]:
                            frame = known[int(k)][0]
                            if roi.number not in out.setdefault(frame, []):
                                out[frame].append(roi.number)
        structures.on_series[series.uid] = out
        return out

    def over(self, series: Series) -> list[Structures]:
        """The structure sets with a contour on some frame of the series."""
        return [s for s in self.all() if self.frames_of(s, series)]

    def catalog(self, series: Series) -> list[dict[str, Any]]:
        """The catalog's ``rtStructures`` of a series: each set's SOP Instance UID,
        series, label, file, ROIs (as ``segments``: number, label, colour) and frames."""
        out = []
        for s in self.over(series):
            frames = self.frames_of(s, series)
            numbers = {n for ns in frames.values() for n in ns}
            out.append(
                {
                    "kind": "RTSTRUCT",
                    "uid": s.record.uid,
                    "seriesUid": s.record.series_uid,
                    "label": s.record.label,
                    "file": s.record.name,
                    "segments": [
                        {"number": r.number, "label": r.name, "color": list(r.color)}
                        for r in s.record.rois
                        if r.number in numbers
                    ],
                    "frames": sorted(frames),
                }
            )
        return out

    def drawing(
        self, series: Series, frame: int, settings: list[dict[str, Any]]
    ) -> tuple[list[Drawn], list[dict[str, Any]]]:
        """What the structure sets draw over a frame, and the ROIs on it (shown or not)."""
        drawn: list[Drawn] = []
        present: list[dict[str, Any]] = []
        ref = series.frames[frame]
        for s in self.over(series):
            numbers = self.frames_of(s, series).get(frame, [])
            if not numbers:
                continue
            plane = _plane(self.session, ref, self.thickness(series))
            if plane is None:
                continue
            shown_set, opacity = _setting(settings, s.record.uid)
            for number in numbers:
                roi = s.record.roi(number)
                if roi is None:
                    continue
                hidden = number in _hidden(settings, s.record.uid)
                shown = shown_set and not hidden
                present.append(
                    {
                        "uid": s.record.uid,
                        "segment": number,
                        "label": roi.name,
                        "color": list(roi.color),
                        "visible": shown,
                    }
                )
                if shown:
                    drawn.extend(rtstruct.roi_drawing(roi, plane, opacity))
        return drawn, present


def _setting(settings: list[dict[str, Any]], uid: str) -> tuple[bool, float]:
    for item in settings:
        if item.get("uid") == uid:
            return bool(item.get("visible", True)), float(item.get("opacity", DEFAULT_OPACITY))
    return True, DEFAULT_OPACITY


def _hidden(settings: list[dict[str, Any]], uid: str) -> set[int]:
    for item in settings:
        if item.get("uid") == uid:
            return {int(n) for n in item.get("hidden") or []}
    return set()
