"""Probes, regions, geometry and the tag tree of what a session has open."""

from __future__ import annotations

from typing import Any

import numpy as np

from lightbox.core.geometry import normal as plane_normal
from lightbox.core.records import FrameRef
from lightbox.deid import identifying, text
from lightbox.display.frames import geometry_json
from lightbox.display.modality import modality_values
from lightbox.inspect import describe, measure
from lightbox.inspect import tags as header
from lightbox.inspect.suvpeak import RADIUS_MM
from lightbox.session.pet import Pet
from lightbox.session.session import OpenedFile, Session


class Inspector:
    """Header, geometry, probe and region questions about the frames of a session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.pet = Pet(session)

    def _frame(self, series: int, frame: int) -> tuple[OpenedFile, FrameRef]:
        ref = self.session.frame_ref(series, frame)
        return self.session.files[ref.file], ref

    def describe(self, series: int, frame: int) -> dict[str, Any]:
        """On-image information and calibration for one frame."""
        _opened, ref = self._frame(series, frame)
        return self.session.description(ref)

    def geometry(self, series: int) -> dict[str, Any]:
        """A series' geometry, fixed per file and fetched once: its frame of reference, each
        frame's position along the slice normal (mm; for synchronised scrolling) and each
        frame's own geometry (``frames``: position, orientation, pixel spacing, thickness)."""
        frames = self.session.series[series].frames
        first = self.session.files[frames[0].file].header.dataset
        per_frame = [
            geometry_json(self.session.files[ref.file].parameters(ref.index).geometry)
            for ref in frames
        ]
        positions: list[float | None] = []
        if self.session.series[series].mixed_orientation:  # no one normal: nothing to sync by
            return {
                "frameOfReference": None,
                "positions": [None] * len(frames),
                "frames": per_frame,
            }
        for ref in frames:
            view = self.session.description(ref)
            cosines, position = view["orientationCosines"], view["position"]
            if cosines and position:
                normal = plane_normal(cosines)
                positions.append(float(np.dot(normal, np.asarray(position))))
            else:
                positions.append(None)
        reference = first.get("FrameOfReferenceUID")
        return {
            "frameOfReference": str(reference) if reference else None,
            "positions": positions,
            "frames": per_frame,
        }

    def header(self, series: int, frame: int, hide: bool = False) -> dict[str, Any]:
        """Every element of the frame's file, for the tag browser.

        With ``hide``, the values the de-identification profile would remove,
        empty, replace or clean (UIDs excepted) are withheld (``hidden: True``).
        """
        opened, _ = self._frame(series, frame)
        ds = opened.header.dataset
        hidden = identifying.identifying_paths(ds) if hide else frozenset()
        return header.header_json(ds, hidden)

    def _values(
        self, ref: FrameRef, part: tuple[slice, slice] | None = None
    ) -> np.ndarray[Any, Any]:
        """Modality values of a frame, or of a part of it (rows, columns)."""
        opened = self.session.files[ref.file]
        stored = self.session.stored(ref)
        if part is not None:
            stored = stored[part]
        if stored.ndim == 3:
            grey: np.ndarray[Any, Any] = stored.astype(np.float64).mean(
                axis=2
            )  # colour: sample mean
            return grey
        return modality_values(stored, opened.parameters(ref.index).modality)

    def probe(self, series: int, frame: int, column: float, row: float) -> dict[str, Any] | None:
        """Stored value, modality value and patient position under image point (column, row)."""
        opened, ref = self._frame(series, frame)
        stored = self.session.stored(ref)
        c, r = int(np.floor(column)), int(np.floor(row))
        if not (0 <= r < stored.shape[0] and 0 <= c < stored.shape[1]):
            return None
        raw = stored[r, c]
        info = self.session.description(ref)
        spacing = info["calibration"]
        result: dict[str, Any] = {
            "column": c,
            "row": r,
            "stored": raw.tolist(),
            "value": float(self._values(ref, (slice(r, r + 1), slice(c, c + 1)))[0, 0]),
            "unit": opened.rescale.unit,
            "patient": None,
        }
        if info["position"] and info["orientationCosines"] and spacing["row_mm"]:
            result["patient"] = describe.patient_position(
                info["position"],
                info["orientationCosines"],
                (spacing["row_mm"], spacing["column_mm"]),
                c,
                r,
            )
        result.update(self.pet.probe(series, ref, result["value"]))
        result.update(self.session.washes.probe(self.session.series[series], result["patient"]))
        return result

    def region(
        self, series: int, frame: int, kind: str, box: tuple[float, float, float, float]
    ) -> dict[str, Any] | None:
        """Statistics of a rectangle or ellipse (image pixel coordinates), with its area."""
        opened, ref = self._frame(series, frame)
        calibration = describe.read_calibration(opened.header.dataset, ref.index)
        values = self._values(ref)
        result = _region_json(
            values,
            kind,
            box,
            (calibration.row_mm, calibration.column_mm),
            (calibration.kind, calibration.note),
            opened.rescale.unit,
        )
        if result is not None:  # on a PET: SUVmax, SUVmean, SUVpeak
            mask = _mask((values.shape[0], values.shape[1]), kind, box)
            result.update(self.pet.region(series, frame, mask, self._values))
        return result

    def text_boxes(self, series: int, frame: int) -> list[list[int]]:
        """Boxes (x, y, width, height) of burned-in text found in a frame's stored values
        (:mod:`lightbox.deid.text`), for the user to see and blank."""
        _opened, ref = self._frame(series, frame)
        return [list(box) for box in text.find_text(self.session.stored(ref))]

    # -- reformatted views (issue 14) ------------------------------------------------

    def _unit_of(self, series: int) -> str:
        frames_of = self.session.series[series].frames
        return self.session.files[frames_of[len(frames_of) // 2].file].rescale.unit

    def view_probe(
        self, series: int, view: dict[str, Any], column: float, row: float
    ) -> dict[str, Any] | None:
        """The value under a point of a reformatted view (its plane's trilinear sample,
        or the slab's projection there, as drawn) and the point's patient position.
        There is no stored value: the view's pixels are made from several voxels."""
        shown = self.session.view_image(series, view)
        c, r = int(np.floor(column)), int(np.floor(row))
        rows, columns = shown.image.shape
        if not (0 <= r < rows and 0 <= c < columns):
            return None
        value = float(shown.image[r, c])
        if not np.isfinite(value):  # outside the volume
            return None
        patient = [float(v) for v in shown.geometry.to_patient(r, c)]
        result: dict[str, Any] = {
            "column": c,
            "row": r,
            "stored": None,
            "value": value,
            "unit": self._unit_of(series),
            "patient": patient,
            "view": shown.shown["plane"],
        }
        result.update(self.pet.view_probe(series, value))
        result.update(self.session.washes.probe(self.session.series[series], patient))
        return result

    def view_region(
        self, series: int, view: dict[str, Any], kind: str, box: tuple[float, float, float, float]
    ) -> dict[str, Any] | None:
        """Statistics of a rectangle or ellipse on a reformatted view, as drawn (its
        values; the area from the view's pixel spacing)."""
        shown = self.session.view_image(series, view)
        geometry = shown.geometry
        spacing = (geometry.row_spacing, geometry.column_spacing)
        result = _region_json(
            shown.image,
            kind,
            box,
            spacing,
            ("Pixel Spacing", "the reformatted view's pixel spacing"),
            self._unit_of(series),
        )
        if result is not None:  # on a PET: SUVmax, SUVmean, SUVpeak
            mask = _mask((shown.image.shape[0], shown.image.shape[1]), kind, box)

            def around() -> list[tuple[float, np.ndarray[Any, Any]]]:
                """The parallel planes one voxel step apart within the sphere's reach."""
                step, out = float(shown.shown["step"]), []
                for k in range(1, int(RADIUS_MM // step) + 1):
                    for dz in (-k * step, k * step):
                        moved = {**view, "position": float(shown.shown["position"]) + dz}
                        other = self.session.view_image(series, moved)
                        if other.image.shape == shown.image.shape:
                            out.append((dz, other.image))
                return out

            slab = bool(shown.shown.get("slab"))
            result.update(
                self.pet.view_region(series, shown.image, mask, spacing, None if slab else around)
            )
        return result


def _mask(
    shape: tuple[int, int], kind: str, box: tuple[float, float, float, float]
) -> np.ndarray[Any, Any]:
    """The pixels of a rectangle or ellipse (those whose centres lie inside)."""
    masked = measure.ellipse_mask if kind == "ellipse" else measure.rectangle_mask
    return masked(shape, box)


def _region_json(
    values: np.ndarray[Any, Any],
    kind: str,
    box: tuple[float, float, float, float],
    spacing: tuple[float | None, float | None],
    calibration: tuple[str, str],
    unit: str,
) -> dict[str, Any] | None:
    """A region's statistics and area: ``spacing`` (row mm, column mm) or None for an
    area in pixels; ``calibration`` (its kind, its note) as the result names it."""
    mask = _mask((values.shape[0], values.shape[1]), kind, box)
    mask &= np.isfinite(values)  # a view's pixels outside the volume hold no value
    stats = measure.region_stats(values, mask)
    if stats is None:
        return None
    width, height = abs(box[2] - box[0]), abs(box[3] - box[1])
    shape_factor = np.pi / 4 if kind == "ellipse" else 1.0
    row_mm, column_mm = spacing
    if row_mm is not None and column_mm is not None:
        area, area_unit = width * column_mm * height * row_mm * shape_factor, "mm²"
    else:
        area, area_unit = width * height * shape_factor, "pixels²"
    return {
        "kind": kind,
        "pixels": stats.pixels,
        "mean": stats.mean,
        "std": stats.std,
        "min": stats.minimum,
        "max": stats.maximum,
        "unit": unit,
        "area": float(area),
        "areaUnit": area_unit,
        "calibration": calibration[0],
        "calibrationNote": calibration[1],
    }
