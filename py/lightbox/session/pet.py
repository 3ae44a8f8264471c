"""PET SUV over the session (issue 16 item 6): each PET file's SUV factors (read once),
the probe's ``suv`` / ``suvUnavailable``, and SUVmax, SUVmean and SUVpeak of a region,
on the acquired slices and on reformatted views of the volume (there the series' one
factor set, as its slices agree on it; SUVpeak over the parallel planes the sphere
reaches, sampled from the volume as the view is).

The START rule compares Series Date/Time with the earliest Acquisition Date/Time of the
series' files, which is worked out once per series.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np

from lightbox.core.geometry import normal as plane_normal
from lightbox.core.messages import said
from lightbox.core.records import FrameRef
from lightbox.display.frames import is_enhanced
from lightbox.inspect import suv
from lightbox.inspect.suvpeak import RADIUS_MM, suv_peak
from lightbox.session.session import Session

Values = Callable[[FrameRef], np.ndarray[Any, Any]]


class Pet:
    """SUV questions about the frames of a session, with what they need kept."""

    def __init__(self, session: Session) -> None:
        self.session = session
        #: by (file, frame): the frame is 0 but in Enhanced PET, whose frames each have theirs
        self._factors: dict[tuple[int, int], suv.SuvFactors | str] = {}
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

    def _key(self, ref: FrameRef) -> tuple[int, int]:
        """Whose factors a frame has: its file's, or in Enhanced PET its own."""
        ds = self.session.files[ref.file].header.dataset
        return (ref.file, ref.index if is_enhanced(ds) else 0)

    def factors(self, series: int, ref: FrameRef) -> suv.SuvFactors | str:
        """The SUV factors of a frame (of its file, or of the frame itself in Enhanced
        PET), or the reason there are none."""
        key = self._key(ref)
        if key not in self._factors:
            ds = self.session.files[ref.file].header.dataset
            try:
                found: suv.SuvFactors | str = suv.suv_factors(
                    ds, self._earliest_acquisition(series), frame=key[1]
                )
            except suv.SuvUnavailable as why:
                found = why.args[0]  # the reason, its catalog id kept
            self._factors[key] = found
        return self._factors[key]

    def is_pet(self, ref: FrameRef) -> bool:
        """Whether a frame is of a PET image."""
        ds = self.session.files[ref.file].header.dataset
        return str(ds.get("Modality", "") or "").upper() == "PT"

    def probe(self, series: int, ref: FrameRef, value: float) -> dict[str, Any]:
        """What the probe adds on PET: ``suv`` (``{bw, lbm?, bsa?}``), ``suvFormula`` and
        ``suvInputs``, or ``suvUnavailable`` (the reason)."""
        if not self.is_pet(ref):
            return {}
        return _probed(self.factors(series, ref), value)

    def region(
        self, series: int, frame: int, mask: np.ndarray[Any, Any], values_of: Values
    ) -> dict[str, Any]:
        """SUVmax, SUVmean (body weight) and SUVpeak of a region drawn on a PET frame."""
        ref = self.session.frame_ref(series, frame)
        if not self.is_pet(ref):
            return {}
        found = self.factors(series, ref)
        if isinstance(found, str):
            return {"suvUnavailable": found, "suvUnavailableSaid": said(found)}
        values = values_of(ref) * found.bw

        def neighbours() -> list[tuple[float, np.ndarray[Any, Any]]]:
            slices = []
            for dz, other in self._neighbours(series, frame, values.shape) or []:
                factors = self.factors(series, other)
                if isinstance(factors, suv.SuvFactors):
                    slices.append((dz, values_of(other) * factors.bw))
            return slices

        known = self._neighbours(series, frame, values.shape) is not None
        return region_suv(found, values, mask, neighbours if known else None, self._spacing(ref))

    # -- reformatted views ------------------------------------------------------------

    def series_factors(self, series: int) -> suv.SuvFactors | str:
        """The SUV factors of a whole series (a reformatted view mixes its slices): its
        files' factors where they agree, else the reason there are none."""
        refs = {self._key(ref): ref for ref in self.session.series[series].frames}
        found = [self.factors(series, ref) for ref in refs.values()]
        reason = next((f for f in found if isinstance(f, str)), None)
        if reason is not None:
            return reason
        chosen = [f for f in found if isinstance(f, suv.SuvFactors)]
        if not chosen:
            return "the series has no images"
        low, high = min(f.bw for f in chosen), max(f.bw for f in chosen)
        if high - low > 1e-9 * abs(high):
            return (
                "the slices' SUV factors differ (from one file or frame to another), and a "
                "reformatted view mixes slices: measure SUV on the acquired slices"
            )
        return chosen[0]

    def is_pet_series(self, series: int) -> bool:
        """Whether a series is of PET images."""
        return self.is_pet(self.session.series[series].frames[0])

    def view_probe(self, series: int, value: float) -> dict[str, Any]:
        """The probe's SUV on a reformatted view of a PET series (see :meth:`probe`)."""
        if not self.is_pet_series(series):
            return {}
        return _probed(self.series_factors(series), value)

    def view_region(
        self,
        series: int,
        values: np.ndarray[Any, Any],
        mask: np.ndarray[Any, Any],
        spacing: tuple[float, float],
        around: Callable[[], list[tuple[float, np.ndarray[Any, Any]]]] | None,
    ) -> dict[str, Any]:
        """SUVmax, SUVmean and SUVpeak of a region on a reformatted view of a PET series:
        ``values`` the view's modality values, ``around()`` the parallel planes a 1 cm³
        sphere reaches (signed mm along the normal, modality values; None on a slab)."""
        if not self.is_pet_series(series):
            return {}
        found = self.series_factors(series)
        if isinstance(found, str):
            return {"suvUnavailable": found, "suvUnavailableSaid": said(found)}
        factor = found.bw

        def neighbours() -> list[tuple[float, np.ndarray[Any, Any]]]:
            return [(dz, plane * factor) for dz, plane in (around() if around else [])]

        return region_suv(found, values * factor, mask, neighbours if around else None, spacing)

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


def _probed(found: suv.SuvFactors | str, value: float) -> dict[str, Any]:
    if isinstance(found, str):
        return {"suvUnavailable": found, "suvUnavailableSaid": said(found)}
    return {"suv": found.of(value), "suvFormula": found.formula, "suvInputs": found.inputs}


def region_suv(
    found: suv.SuvFactors,
    values: np.ndarray[Any, Any],
    mask: np.ndarray[Any, Any],
    neighbours: Callable[[], list[tuple[float, np.ndarray[Any, Any]]]] | None,
    spacing: tuple[float, float] | None,
) -> dict[str, Any]:
    """SUVmax, SUVmean (body weight) and SUVpeak of a region: ``values`` already in SUV,
    ``neighbours()`` the planes around it (signed mm along the normal, SUV values of the
    same shape), None where they are unknown."""
    selected = values[mask & np.isfinite(values)]
    if selected.size == 0:
        return {}
    out: dict[str, Any] = {
        "suvMax": float(selected.max()),
        "suvMean": float(selected.mean()),
        "suvPeak": None,
        "suvFormula": found.formula,
        "suvInputs": found.inputs,
    }
    if neighbours is not None and spacing is not None:
        out["suvPeak"] = suv_peak([(0.0, values), *neighbours()], spacing, mask)
    return out
