"""RT Structure Sets (issue 16 item 5): their ROIs and planar contours (PS3.3 C.8.8.5,
C.8.8.6), and a contour's drawing on an image plane.

A structure set lists its ROIs (Structure Set ROI Sequence: number, name, the Frame of
Reference their contours are in) and, per ROI, its display colour and contours (ROI
Contour Sequence): each contour a Contour Geometric Type (POINT, OPEN_PLANAR,
OPEN_NONPLANAR, CLOSED_PLANAR) and its points in patient mm (Contour Data, x\\y\\z ...).

On an image, a planar contour is drawn where it lies within half the slice spacing of
the image plane: its points go to the image's continuous pixel coordinates (pixel (r, c)
has its centre at Image Position + c·Δc·row + r·Δr·column, per PS3.3 C.7.6.2.1.1); a
closed contour's inside (pixel centres, the even-odd rule over every closed contour of
the ROI on the plane, so that a hole is a hole) is filled at the opacity asked for and
its outline (every pixel the path crosses, sampled at a quarter pixel) drawn opaque.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from lightbox.core.errors import InvalidDicomError
from lightbox.core.messages import say
from lightbox.segment.layer import Drawn

#: RT Structure Set Storage.
RTSTRUCT_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"

#: The colour of an ROI without an ROI Display Color.
DEFAULT_COLOR = (255, 255, 0)

Points = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True)
class Contour:
    """One contour: its geometric type and points (n × 3, patient mm)."""

    kind: str
    points: Points


@dataclass(frozen=True)
class Roi:
    """One ROI: its number, name, colour, Frame of Reference and contours."""

    number: int
    name: str
    color: tuple[int, int, int]
    frame_of_reference: str
    contours: tuple[Contour, ...]


@dataclass(frozen=True)
class StructureSet:
    """What an RT Structure Set holds."""

    name: str
    uid: str
    series_uid: str
    label: str
    rois: tuple[Roi, ...]

    def roi(self, number: int) -> Roi | None:
        """The ROI numbered ``number``, or None."""
        return next((r for r in self.rois if r.number == number), None)


def is_structure_set(ds: Dataset) -> bool:
    """Whether a data set is an RT Structure Set."""
    return str(ds.get("SOPClassUID", "")) == RTSTRUCT_SOP_CLASS


def _color(value: Any) -> tuple[int, int, int]:
    try:
        r, g, b = (min(max(int(v), 0), 255) for v in value)
    except (TypeError, ValueError):
        return DEFAULT_COLOR
    return (r, g, b)


def read_structure_set(name: str, ds: Dataset) -> StructureSet:
    """The ROIs and contours of an RT Structure Set read whole."""
    described = {}
    for item in ds.get("StructureSetROISequence") or []:
        number = int(item.get("ROINumber", 0) or 0)
        described[number] = (
            str(item.get("ROIName", "") or f"ROI {number}"),
            str(item.get("ReferencedFrameOfReferenceUID", "") or ""),
        )
    if not described:
        raise InvalidDicomError(name, say("engine.rtstruct_no_rois"))
    frames = [
        str(item.get("FrameOfReferenceUID", "") or "")
        for item in ds.get("ReferencedFrameOfReferenceSequence") or []
    ]
    rois = []
    for item in ds.get("ROIContourSequence") or []:
        number = int(item.get("ReferencedROINumber", 0) or 0)
        label, frame = described.get(number, (f"ROI {number}", ""))
        contours = []
        for contour in item.get("ContourSequence") or []:
            try:
                values = np.asarray([float(v) for v in contour.get("ContourData") or []])
            except (TypeError, ValueError):
                continue
            if values.size < 3 or values.size % 3:
                continue
            kind = str(contour.get("ContourGeometricType", "") or "CLOSED_PLANAR").upper()
            contours.append(Contour(kind, values.reshape(-1, 3)))
        rois.append(
            Roi(
                number,
                label,
                _color(item.get("ROIDisplayColor")),
                frame or (frames[0] if frames else ""),
                tuple(contours),
            )
        )
    label = str(ds.get("StructureSetLabel", "") or ds.get("SeriesDescription", "") or "RTSTRUCT")
    return StructureSet(
        name=name,
        uid=str(ds.get("SOPInstanceUID", "") or ""),
        series_uid=str(ds.get("SeriesInstanceUID", "") or ""),
        label=label,
        rois=tuple(rois),
    )


@dataclass(frozen=True)
class Plane:
    """An image plane: origin (pixel (0, 0)'s centre), row and column directions, pixel
    spacing (row, column) in mm, the slice spacing, its size."""

    origin: Points
    row: Points
    column: Points
    spacing: tuple[float, float]
    thickness: float
    rows: int
    columns: int

    @property
    def normal(self) -> Points:
        return np.asarray(np.cross(self.row, self.column))


def on_plane(contour: Contour, plane: Plane) -> Points | None:
    """The contour's points in the plane's (column, row) pixel coordinates, when it lies
    within half the slice spacing of the plane; else None."""
    delta = contour.points - plane.origin
    along = delta @ plane.normal
    if float(np.abs(along).max()) > plane.thickness / 2:
        return None
    columns = (delta @ plane.row) / plane.spacing[1]
    rows = (delta @ plane.column) / plane.spacing[0]
    out: Points = np.stack([columns, rows], axis=1)
    return out


def _inside(polygons: list[Points], rows: int, columns: int) -> np.ndarray[Any, Any]:
    """Pixel centres inside the polygons by the even-odd rule (pixel (r, c)'s centre is
    at (c, r) in these coordinates)."""
    y = np.arange(rows, dtype=np.float64)[:, None]
    x = np.arange(columns, dtype=np.float64)[None, :]
    odd = np.zeros((rows, columns), bool)
    for poly in polygons:
        x0, y0 = poly[:, 0], poly[:, 1]
        x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
        for ax, ay, bx, by in zip(x0, y0, x1, y1, strict=True):
            if ay == by:
                continue
            crosses = (ay > y) != (by > y)
            at = ax + (y - ay) * (bx - ax) / (by - ay)
            odd ^= crosses & (x < at)
    return odd


def _outline(points: Points, closed: bool, rows: int, columns: int) -> np.ndarray[Any, Any]:
    """The pixels a path through ``points`` crosses (a point: its pixel)."""
    mask = np.zeros((rows, columns), bool)
    path = np.vstack([points, points[:1]]) if closed and len(points) > 2 else points
    samples = [path[:1]]
    for a, b in itertools.pairwise(path):
        steps = max(int(np.ceil(float(np.abs(b - a).max()) * 4)), 1)
        t = np.linspace(0.0, 1.0, steps + 1)[1:, None]
        samples.append(a + (b - a) * t)
    every = np.rint(np.vstack(samples)).astype(np.int64)
    keep = (every[:, 0] >= 0) & (every[:, 0] < columns) & (every[:, 1] >= 0)
    keep &= every[:, 1] < rows
    mask[every[keep, 1], every[keep, 0]] = True
    return mask


def roi_drawing(roi: Roi, plane: Plane, opacity: float) -> list[Drawn]:
    """What an ROI draws on a plane: its inside at ``opacity``, its outline opaque;
    empty where none of its contours lies on it."""
    closed: list[Points] = []
    lines = np.zeros((plane.rows, plane.columns), bool)
    for contour in roi.contours:
        if contour.kind == "OPEN_NONPLANAR":
            continue
        flat = on_plane(contour, plane)
        if flat is None:
            continue
        is_closed = contour.kind == "CLOSED_PLANAR"
        if is_closed and len(flat) > 2:
            closed.append(flat)
        lines |= _outline(flat, is_closed, plane.rows, plane.columns)
    if not lines.any():
        return []
    drawn = []
    if closed and opacity > 0:
        fill = _inside(closed, plane.rows, plane.columns) & ~lines
        drawn.append(Drawn(fill.astype(np.float32), roi.color, opacity))
    drawn.append(Drawn(lines.astype(np.float32), roi.color, 1.0))
    return drawn
