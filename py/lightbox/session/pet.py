"""PET SUV over the session (issue 16 item 6): each PET file's SUV factors (read once),
the probe's ``suv`` / ``suvUnavailable``, and SUVmax, SUVmean and SUVpeak of a region.

The START rule compares Series Date/Time with the earliest Acquisition Date/Time of the
series' files, which is worked out once per series.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np

from lightbox.core.geometry import normal as plane_normal
from lightbox.core.records import FrameRef
from lightbox.inspect import suv
from lightbox.inspect.suvpeak import RADIUS_MM, suv_peak
from lightbox.session.session import Session

Values = Callable[[FrameRef], np.ndarray[Any, Any]]


class Pet:
    """SUV questions about the frames of a session, with what they need kept."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._factors: dict[int, suv.SuvFactors | str] = {}
        self._earliest: dict[str, datetime | None] = {}

    def _earliest_acquisition(self, series: int) -> datetime | None:
        entry = self.session.series[series]
        if entry.uid not in self._earliest:
            times = [
                suv.acquisition_datetime(self.session.files[f].header.dataset)
                for f in sorted({ref.file for ref in entry.frames})
            ]
            found = [t for t in times if t is not None]
            self._earliest[entry.uid] = min(found) if found else None
        return self._earliest[entry.uid]

    def factors(self, series: int, ref: FrameRef) -> suv.SuvFactors | str:
        """The SUV factors of a frame's file, or the reason there are none."""
        if ref.file not in self._factors:
            ds = self.session.files[ref.file].header.dataset
            try:
                found: suv.SuvFactors | str = suv.suv_factors(
                    ds, self._earliest_acquisition(series)
                )
            except suv.SuvUnavailable as why:
                found = str(why)
            self._factors[ref.file] = found
        return self._factors[ref.file]

    def is_pet(self, ref: FrameRef) -> bool:
        """Whether a frame is of a PET image."""
        ds = self.session.files[ref.file].header.dataset
        return str(ds.get("Modality", "") or "").upper() == "PT"

    def probe(self, series: int, ref: FrameRef, value: float) -> dict[str, Any]:
        """What the probe adds on PET: ``suv`` (``{bw, lbm?, bsa?}``), ``suvFormula`` and
        ``suvInputs``, or ``suvUnavailable`` (the reason)."""
        if not self.is_pet(ref):
            return {}
        found = self.factors(series, ref)
        if isinstance(found, str):
            return {"suvUnavailable": found}
        return {"suv": found.of(value), "suvFormula": found.formula, "suvInputs": found.inputs}

    def region(
        self, series: int, frame: int, mask: np.ndarray[Any, Any], values_of: Values
    ) -> dict[str, Any]:
        """SUVmax, SUVmean (body weight) and SUVpeak of a region drawn on a PET frame."""
        ref = self.session.frame_ref(series, frame)
        if not self.is_pet(ref):
            return {}
        found = self.factors(series, ref)
        if isinstance(found, str):
            return {"suvUnavailable": found}
        values = values_of(ref) * found.bw
        selected = values[mask]
        if selected.size == 0:
            return {}
        out: dict[str, Any] = {
            "suvMax": float(selected.max()),
            "suvMean": float(selected.mean()),
            "suvPeak": None,
            "suvFormula": found.formula,
            "suvInputs": found.inputs,
        }
        neighbours = self._neighbours(series, frame, values.shape)
        spacing = self._spacing(ref)
        if neighbours is not None and spacing is not None:
            slices = [(0.0, values)]
            for dz, other in neighbours:
                factors = self.factors(series, other)
                if isinstance(factors, suv.SuvFactors):
                    slices.append((dz, values_of(other) * factors.bw))
            out["suvPeak"] = suv_peak(slices, spacing, mask)
        return out

    def _spacing(self, ref: FrameRef) -> tuple[float, float] | None:
        spacing = self.session.files[ref.file].parameters(ref.index).geometry.pixel_spacing
        return (float(spacing[0]), float(spacing[1])) if spacing and len(spacing) == 2 else None

    def _neighbours(
        self, series: int, frame: int, shape: tuple[int, ...]
    ) -> list[tuple[float, FrameRef]] | None:
        """The other frames of the series within the sphere's reach along the normal, with
        their signed distance (mm); None where the geometry is unknown."""
        refs = self.session.series[series].frames
        geometry = [self.session.files[r.file].parameters(r.index).geometry for r in refs]
        mine = geometry[frame]
        if mine.orientation is None or mine.position is None:
            return None
        normal = plane_normal(mine.orientation)
        origin = float(np.dot(normal, mine.position))
        out = []
        for i, (ref, g) in enumerate(zip(refs, geometry, strict=True)):
            if i == frame or g.position is None or g.orientation is None:
                continue
            if not np.allclose(g.orientation, mine.orientation, atol=1e-3):
                continue
            fmt = self.session.files[ref.file].fmt
            if (fmt.rows, fmt.columns) != shape:
                continue
            dz = float(np.dot(normal, g.position)) - origin
            if abs(dz) <= RADIUS_MM:
                out.append((dz, ref))
        return out
