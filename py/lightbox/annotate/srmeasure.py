"""Measurements of a structured report with where they were made (issue 16 item 3): the
NUM content items of TID 1500 (and of any template) with the spatial coordinates they are
inferred from or that their measurement group names (SCOORD, PS3.3 C.18.6: POINT,
MULTIPOINT, POLYLINE, POLYGON, CIRCLE, ELLIPSE, in image pixel coordinates of the IMAGE it
is selected from; SCOORD3D, C.18.9, in patient mm of a Frame of Reference), or the
segment the group's measurements are of (TID 1411 "Referenced Segment"). A SCOORD with no
measurement is kept under the concept it belongs to, without a value.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.dataset import Dataset

from lightbox.core.values import numbers

#: How deep the content tree is followed (a malformed one can nest without end).
MAX_DEPTH = 32


@dataclass(frozen=True)
class Where:
    """Where a measurement lies: an image region, a patient-space region, or a segment."""

    kind: str  # "image", "patient" or "segment"
    graphic: str = ""
    #: (column, row) pairs for "image", (x, y, z) for "patient"
    points: tuple[tuple[float, ...], ...] = ()
    #: (Referenced SOP Instance UID, frame numbers from 1 or ()) for "image" and "segment"
    image: tuple[str, tuple[int, ...]] | None = None
    frame_of_reference: str = ""
    segment: int | None = None


@dataclass(frozen=True)
class Measurement:
    """One measurement: the SR it is in, its name, value and unit, and where it lies."""

    uid: str
    name: str
    value: float | None
    unit: str
    where: Where


def _meaning(item: Dataset, keyword: str = "ConceptNameCodeSequence") -> str:
    codes = item.get(keyword)
    return str(codes[0].get("CodeMeaning", "") or "") if codes else ""


def _children(item: Dataset) -> list[Dataset]:
    return list(item.get("ContentSequence") or [])


def _image_of(item: Dataset) -> tuple[str, tuple[int, ...], int | None] | None:
    for child in [item, *_children(item)]:
        if str(child.get("ValueType", "")) != "IMAGE":
            continue
        for ref in child.get("ReferencedSOPSequence") or []:
            uid = str(ref.get("ReferencedSOPInstanceUID", "") or "")
            if uid:
                frames = tuple(int(n) for n in numbers(ref.get("ReferencedFrameNumber")))
                segments = numbers(ref.get("ReferencedSegmentNumber"))
                return uid, frames, int(segments[0]) if segments else None
    return None


def _where(item: Dataset) -> Where | None:
    """The region a SCOORD, SCOORD3D or Referenced Segment IMAGE item says."""
    kind = str(item.get("ValueType", ""))
    graphic = str(item.get("GraphicType", "") or "").upper()
    data = numbers(item.get("GraphicData"))
    if kind == "SCOORD":
        image = _image_of(item)
        flat = tuple((data[i], data[i + 1]) for i in range(0, len(data) - 1, 2))
        if image is None or not flat:
            return None
        return Where("image", graphic, flat, (image[0], image[1]))
    if kind == "SCOORD3D":
        points = tuple((data[i], data[i + 1], data[i + 2]) for i in range(0, len(data) - 2, 3))
        frame = str(item.get("ReferencedFrameOfReferenceUID", "") or "")
        return Where("patient", graphic, points, frame_of_reference=frame) if points else None
    if kind == "IMAGE":
        image = _image_of(item)
        if image is not None and image[2] is not None:
            return Where("segment", image=(image[0], image[1]), segment=image[2])
    return None


def _value(item: Dataset) -> tuple[float | None, str]:
    measured = item.get("MeasuredValueSequence")
    if not measured:
        return None, ""
    found = numbers(measured[0].get("NumericValue"))
    units = measured[0].get("MeasurementUnitsCodeSequence")
    unit = str(units[0].get("CodeValue", "") or "") if units else ""
    return (found[0] if found else None), unit


def _name(item: Dataset) -> str:
    name = _meaning(item)
    for child in _children(item):
        modifier = str(child.get("RelationshipType", "")) == "HAS CONCEPT MOD"
        if modifier and _meaning(child) == "Derivation" and child.get("ConceptCodeSequence"):
            return f"{name} ({_meaning(child, 'ConceptCodeSequence')})"
    return name


def _walk(uid: str, items: list[Dataset], depth: int, out: list[Measurement]) -> None:
    if depth > MAX_DEPTH:
        return
    regions = [w for w in (_where(i) for i in items) if w is not None]
    shared = regions[0] if regions else None
    numeric = False
    for item in items:
        kind = str(item.get("ValueType", ""))
        if kind == "NUM":
            numeric = True
            own = next((w for w in (_where(c) for c in _children(item)) if w), None)
            where = own or shared
            if where is not None:
                value, unit = _value(item)
                out.append(Measurement(uid, _name(item), value, unit, where))
        elif kind == "CONTAINER":
            _walk(uid, _children(item), depth + 1, out)
        elif kind not in ("SCOORD", "SCOORD3D"):
            # a finding (TEXT, CODE) with its own region below it (another template)
            inner = [w for w in (_where(c) for c in _children(item)) if w and w.kind != "segment"]
            out += [Measurement(uid, _meaning(item) or w.graphic, None, "", w) for w in inner]
    if not numeric:
        for item in items:
            region = _where(item)
            if region is not None and region.kind != "segment":
                name = _meaning(item) or region.graphic.title()
                out.append(Measurement(uid, name, None, "", region))


def read_measurements(ds: Dataset) -> list[Measurement]:
    """Every measurement (and region without one) of an SR document, in document order."""
    out: list[Measurement] = []
    uid = str(ds.get("SOPInstanceUID", "") or "")
    _walk(uid, list(ds.get("ContentSequence") or []), 0, out)
    return out


def is_structured_report(ds: Dataset) -> bool:
    """Whether a data set is an SR document (it has a content tree)."""
    return str(ds.get("Modality", "")) == "SR" or ("ContentSequence" in ds and "ValueType" in ds)
