"""What the viewer shows about a frame: patient and study text, geometry, calibration.

Selectors that read a Dataset into plain values (JSON-ready), plus the pure
geometry they rely on: orientation labels from direction cosines (PS3.3
C.7.6.2.1.1) and the calibration a measurement uses (PS3.3 C.7.6.2.1.1 Pixel
Spacing, C.8.11.4 / PS3.3 10.7.1.3 Imager Pixel Spacing, C.8.5.5 Sequence of
Ultrasound Regions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from lightbox.core.lossy import is_lossy
from lightbox.core.messages import say, with_said
from lightbox.core.values import float_or_none, functional_group, numbers

#: Patient axes (PS3.3 C.7.6.2.1.1): +x left, +y posterior, +z head.
_AXIS_LABELS = (("R", "L"), ("A", "P"), ("F", "H"))
#: A direction component smaller than this is not part of an oblique label.
_LABEL_THRESHOLD = 0.25

#: (0018,6024) Physical Units X/Y Direction: 3 = cm (PS3.3 C.8.5.5.1.15).
_ULTRASOUND_CM = 3


@dataclass(frozen=True)
class Calibration:
    """How a pixel maps to millimetres, and on what authority.

    Attributes
    ----------
    kind : str
        "Pixel Spacing", "Imager Pixel Spacing", "Ultrasound Region" or "uncalibrated".
    row_mm, column_mm : float | None
        Millimetres between rows (vertical) and between columns (horizontal).
    note : str
        What the user must know, e.g. the magnification caveat of projections.
    """

    kind: str
    row_mm: float | None
    column_mm: float | None
    note: str = ""
    #: Each calibrated ultrasound region (issue 15 item 4): ``{box: [x0, y0, x1, y1]`` in
    #: pixels, inclusive, ``row_mm, column_mm, note}``; a measurement uses the region both
    #: its ends are in (PS3.3 C.8.5.5.1).
    regions: tuple[dict[str, Any], ...] = ()

    @property
    def calibrated(self) -> bool:
        return self.row_mm is not None and self.column_mm is not None


UNCALIBRATED = Calibration("uncalibrated", None, None, "uncalibrated (pixels)")


def _pair(value: Any) -> tuple[float, float] | None:
    try:
        numbers = [float(v) for v in value]
    except (TypeError, ValueError):
        return None
    if len(numbers) != 2 or min(numbers) <= 0:
        return None
    return numbers[0], numbers[1]


def _shared_or_frame(ds: Dataset, frame: int, sequence: str, keyword: str) -> Any:
    """A value from the frame's functional group, else the shared one (PS3.3 C.7.6.16)."""
    item = functional_group(ds, frame, sequence)
    return item.get(keyword) if item is not None else None


def read_calibration(ds: Dataset, frame: int = 0) -> Calibration:
    """Choose how to calibrate measurements on this image.

    Pixel Spacing (in the patient) wins; then Imager Pixel Spacing (at the
    detector: a projection magnifies, so distances in the patient are
    smaller unless the magnification is known); then the first Ultrasound
    Region with physical units in cm; else pixels.

    References
    ----------
    PS3.3 10.7.1.3 (Pixel Spacing and Imager Pixel Spacing), C.8.5.5.1
    (Sequence of Ultrasound Regions).
    """
    spacing = _pair(ds.get("PixelSpacing")) or _pair(
        _shared_or_frame(ds, frame, "PixelMeasuresSequence", "PixelSpacing")
    )
    if spacing:
        return Calibration("Pixel Spacing", spacing[0], spacing[1])
    imager = _pair(ds.get("ImagerPixelSpacing"))
    if imager:
        magnification = float_or_none(ds.get("EstimatedRadiographicMagnificationFactor"))
        if magnification and magnification > 0:
            return Calibration(
                "Imager Pixel Spacing",
                imager[0] / magnification,
                imager[1] / magnification,
                say("engine.calibration_magnification", factor=magnification),
            )
        return Calibration(
            "Imager Pixel Spacing",
            imager[0],
            imager[1],
            say("engine.calibration_detector"),
        )
    regions = _ultrasound_regions(ds)
    if regions:
        first = regions[0]
        note = say("engine.calibration_first_region") if len(regions) == 1 else first["note"]
        return Calibration(
            "Ultrasound Region", first["row_mm"], first["column_mm"], note, tuple(regions)
        )
    return UNCALIBRATED


def _calibration_json(calibration: Calibration) -> dict[str, Any]:
    """The calibration as JSON; ``regions`` only where the image has several."""
    out = with_said(asdict(calibration), calibration.note)
    regions = out.pop("regions")
    if len(regions) > 1:
        out["regions"] = [with_said(region, region["note"]) for region in regions]
    return out


def _ultrasound_regions(ds: Dataset) -> list[dict[str, Any]]:
    """The regions of (0018,6011) Sequence of Ultrasound Regions calibrated in cm."""
    found = []
    for number, region in enumerate(ds.get("SequenceOfUltrasoundRegions") or [], start=1):
        units = (region.get("PhysicalUnitsXDirection"), region.get("PhysicalUnitsYDirection"))
        if units != (_ULTRASOUND_CM, _ULTRASOUND_CM):
            continue
        try:
            dx, dy = abs(float(region.PhysicalDeltaX)), abs(float(region.PhysicalDeltaY))
            box = [
                int(region.RegionLocationMinX0),
                int(region.RegionLocationMinY0),
                int(region.RegionLocationMaxX1),
                int(region.RegionLocationMaxY1),
            ]
        except (AttributeError, TypeError, ValueError):
            box = [0, 0, 1 << 30, 1 << 30]
            try:
                dx, dy = abs(float(region.PhysicalDeltaX)), abs(float(region.PhysicalDeltaY))
            except (AttributeError, TypeError, ValueError):
                continue
        if dx > 0 and dy > 0:
            found.append(
                {
                    "box": box,
                    "row_mm": dy * 10.0,
                    "column_mm": dx * 10.0,
                    "note": say("engine.calibration_region", number=number),
                }
            )
    return found


def direction_label(vector: Sequence[float]) -> str:
    """Patient-axis letters for a direction, strongest first (e.g. "L", "LP", "HAL")."""
    parts = sorted(
        ((abs(v), _AXIS_LABELS[axis][1 if v > 0 else 0]) for axis, v in enumerate(vector)),
        reverse=True,
    )
    return "".join(letter for size, letter in parts if size >= _LABEL_THRESHOLD)


def orientation_labels(orientation: Sequence[float]) -> dict[str, str]:
    """Labels of the four image edges for (0020,0037) Image Orientation (Patient).

    The row cosine points along increasing column index (to the right edge),
    the column cosine along increasing row index (to the bottom edge).
    """
    row = [float(v) for v in orientation[:3]]
    col = [float(v) for v in orientation[3:6]]
    return {
        "right": direction_label(row),
        "left": direction_label([-v for v in row]),
        "bottom": direction_label(col),
        "top": direction_label([-v for v in col]),
    }


def patient_position(
    position: Sequence[float],
    orientation: Sequence[float],
    spacing: tuple[float, float],
    column: float,
    row: float,
) -> tuple[float, float, float]:
    """Patient coordinates (mm) of image point (column, row), PS3.3 C.7.6.2.1.1 eq. C.7.6.2.1-1."""
    origin = np.asarray(position, dtype=np.float64)
    row_cos = np.asarray(orientation[:3], dtype=np.float64)
    col_cos = np.asarray(orientation[3:6], dtype=np.float64)
    point = origin + row_cos * spacing[1] * column + col_cos * spacing[0] * row
    return float(point[0]), float(point[1]), float(point[2])


def _text(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword)
    return "" if value is None else str(value).strip()


def frame_rate(ds: Dataset) -> float | None:
    """Frames per second: (0018,1063) Frame Time, (0018,0040) Cine Rate, (0008,2144)."""
    frame_time = float_or_none(ds.get("FrameTime"))
    if frame_time and frame_time > 0:
        return 1000.0 / frame_time
    for keyword in ("CineRate", "RecommendedDisplayFrameRate"):
        rate = float_or_none(ds.get(keyword))
        if rate and rate > 0:
            return rate
    return None


def describe(ds: Dataset, frame: int = 0) -> dict[str, Any]:
    """Everything the on-image information and the measurement tools need."""
    orientation = _shared_or_frame(
        ds, frame, "PlaneOrientationSequence", "ImageOrientationPatient"
    ) or ds.get("ImageOrientationPatient")
    position = _shared_or_frame(
        ds, frame, "PlanePositionSequence", "ImagePositionPatient"
    ) or ds.get("ImagePositionPatient")
    labels = None
    cosines = numbers(orientation)
    if len(cosines) == 6:
        labels = orientation_labels(cosines)
    point = numbers(position)
    calibration = read_calibration(ds, frame)
    meta = ds.get("file_meta")
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    lossy = is_lossy(ds.get("LossyImageCompression"), syntax)
    return {
        "patient": {
            "name": _text(ds, "PatientName").replace("^", " ").strip(),
            "id": _text(ds, "PatientID"),
            "birthDate": _text(ds, "PatientBirthDate"),
            "sex": _text(ds, "PatientSex"),
        },
        "study": {"date": _text(ds, "StudyDate"), "description": _text(ds, "StudyDescription")},
        "seriesDescription": _text(ds, "SeriesDescription"),
        "seriesNumber": _text(ds, "SeriesNumber"),
        "modality": _text(ds, "Modality"),
        "sliceLocation": float_or_none(ds.get("SliceLocation")),
        "sliceThickness": float_or_none(ds.get("SliceThickness")),
        "orientation": labels,
        "orientationCosines": cosines if len(cosines) == 6 else None,
        "position": point if len(point) == 3 else None,
        "calibration": _calibration_json(calibration),
        "lossy": lossy,
        "frameRate": frame_rate(ds),
    }
