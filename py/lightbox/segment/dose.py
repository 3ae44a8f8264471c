"""RT Dose grids (issue 16 item 5; PS3.3 C.8.8.3): the dose in Gy on its grid in patient
coordinates, and the colour wash with isodose lines drawn from dose resampled on an
image plane.

The grid: frame k is the plane through Image Position (Patient) moved along the normal
(row × column cosines) by Grid Frame Offset Vector [k] (C.8.8.3.2: offsets relative to
the Image Position when the first is 0; otherwise they are the planes' coordinates along
the normal themselves). A stored value times Dose Grid Scaling is the dose in Dose Units
(GY, or CGY, converted here to Gy).

The wash: each pixel of at least WASH_FROM of the maximum dose takes the rainbow colour
of its dose relative to the maximum, at the opacity asked for; each isodose line (a
level, in per cent of the maximum) is drawn opaque in its colour on the pixels at or
above the level with a 4-neighbour below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from lightbox.core.errors import InvalidDicomError
from lightbox.core.messages import say
from lightbox.segment.layer import Drawn

#: RT Dose Storage.
RTDOSE_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.481.2"

#: The isodose levels (per cent of the maximum dose) and their colours.
ISODOSE_LEVELS: tuple[tuple[int, tuple[int, int, int]], ...] = (
    (30, (0, 0, 255)),
    (50, (0, 200, 255)),
    (70, (0, 255, 0)),
    (90, (255, 255, 0)),
    (95, (255, 128, 0)),
    (100, (255, 0, 0)),
)

#: The wash starts at this fraction of the maximum dose.
WASH_FROM = 0.1

Array = np.ndarray[Any, Any]


@dataclass(frozen=True, eq=False)
class DoseGrid:
    """A dose grid: (frames, rows, columns) Gy, and where it lies."""

    name: str
    uid: str
    series_uid: str
    label: str
    frame_of_reference: str
    gy: Array
    origin: Array
    row: Array
    column: Array
    #: (row, column) mm
    spacing: tuple[float, float]
    #: each frame's distance from ``origin`` along the normal, mm (increasing)
    offsets: Array

    @property
    def normal(self) -> Array:
        return np.asarray(np.cross(self.row, self.column))

    @property
    def maximum(self) -> float:
        return float(np.nanmax(self.gy)) if self.gy.size else 0.0

    def indices(self, points: Array) -> tuple[Array, Array, Array]:
        """Fractional (x, y, z) grid coordinates of patient points (..., 3); z NaN beyond
        the first and last frames."""
        delta = np.asarray(points, np.float64) - self.origin
        x = (delta @ self.row) / self.spacing[1]
        y = (delta @ self.column) / self.spacing[0]
        along = delta @ self.normal
        if len(self.offsets) == 1:
            z = np.where(np.abs(along - self.offsets[0]) <= 0.5, 0.0, np.nan)
        else:
            z = np.interp(along, self.offsets, np.arange(len(self.offsets), dtype=np.float64))
            z = np.where((along < self.offsets[0]) | (along > self.offsets[-1]), np.nan, z)
        return x, y, z


def is_dose(ds: Dataset) -> bool:
    """Whether a data set is an RT Dose object."""
    return str(ds.get("SOPClassUID", "")) == RTDOSE_SOP_CLASS


def read_dose(name: str, ds: Dataset) -> DoseGrid:
    """The dose grid of an RT Dose object read whole."""

    def floats(keyword: str, count: int | None = None) -> list[float]:
        try:
            values = [float(v) for v in (ds.get(keyword) or [])]
        except (TypeError, ValueError):
            values = []
        if not values or (count is not None and len(values) != count):
            raise InvalidDicomError(name, say("engine.dose_lacks", keyword=keyword))
        return values

    position = np.asarray(floats("ImagePositionPatient", 3))
    cosines = np.asarray(floats("ImageOrientationPatient", 6))
    spacing = floats("PixelSpacing", 2)
    scaling = float(ds.get("DoseGridScaling", 1.0) or 1.0)
    try:
        stored = np.asarray(ds.pixel_array, np.float64)
    except Exception as error:  # pydicom says why: the message names the file
        raise InvalidDicomError(name, say("engine.dose_unreadable", detail=str(error))) from error
    if stored.ndim == 2:
        stored = stored[np.newaxis]
    count = stored.shape[0]
    if count > 1 or "GridFrameOffsetVector" in ds:
        offsets = np.asarray(floats("GridFrameOffsetVector"), np.float64)
    else:
        offsets = np.zeros(1)
    if len(offsets) != count:
        raise InvalidDicomError(name, say("engine.dose_offsets", planes=len(offsets), frames=count))
    row, column = cosines[:3], cosines[3:6]
    normal = np.cross(row, column)
    if offsets[0] != 0:  # the planes' own coordinates along the normal
        offsets = offsets - float(position @ normal)
    order = np.argsort(offsets)
    unit = str(ds.get("DoseUnits", "GY") or "GY").upper()
    gy = stored[order] * scaling * (0.01 if unit == "CGY" else 1.0)
    label = str(ds.get("SeriesDescription", "") or "") or f"RT Dose ({unit})"
    return DoseGrid(
        name=name,
        uid=str(ds.get("SOPInstanceUID", "") or ""),
        series_uid=str(ds.get("SeriesInstanceUID", "") or ""),
        label=label,
        frame_of_reference=str(ds.get("FrameOfReferenceUID", "") or ""),
        gy=gy.astype(np.float32),
        origin=position,
        row=row,
        column=column,
        spacing=(spacing[0], spacing[1]),
        offsets=offsets[order],
    )


def rainbow(t: Array) -> Array:
    """The rainbow (jet) colour of 0..1, (..., 3) float 0..255: blue, cyan, green,
    yellow, red."""
    t = np.clip(t, 0.0, 1.0)
    r = np.clip(1.5 - np.abs(4 * t - 3), 0, 1)
    g = np.clip(1.5 - np.abs(4 * t - 2), 0, 1)
    b = np.clip(1.5 - np.abs(4 * t - 1), 0, 1)
    out: Array = np.stack([r, g, b], axis=-1) * 255.0
    return out


def isodose_line(gy: Array, level_gy: float) -> Array:
    """Pixels at or above ``level_gy`` with a 4-neighbour below it (a neighbour beyond the
    grid or the image is not below: the line is where the dose crosses the level)."""
    above = np.nan_to_num(gy, nan=-np.inf) >= level_gy
    under = np.nan_to_num(gy, nan=np.inf) < level_gy
    padded = np.pad(under, 1, constant_values=False)
    below = padded[:-2, 1:-1] | padded[2:, 1:-1] | padded[1:-1, :-2] | padded[1:-1, 2:]
    out: Array = above & below
    return out


def wash_drawing(gy: Array, maximum: float, opacity: float, hidden: set[int]) -> list[Drawn]:
    """What a dose plane draws: the wash (its colour per pixel) at ``opacity``, then the
    isodose lines not hidden (per cent levels), opaque."""
    if maximum <= 0:
        return []
    t = np.nan_to_num(gy / maximum, nan=0.0)
    shown = t >= WASH_FROM
    out: list[Drawn] = []
    if shown.any() and opacity > 0:
        out.append(Drawn(shown.astype(np.float32), rainbow(t), opacity))
    for level, color in ISODOSE_LEVELS:
        if level in hidden:
            continue
        line = isodose_line(gy, maximum * level / 100.0)
        if line.any():
            out.append(Drawn(line.astype(np.float32), color, 1.0))
    return out
