"""What is resampled onto an image from another grid of the same Frame of Reference
(issue 16 items 5 and 7): an RT Dose grid (a colour wash with isodose lines, the dose
in the probe) and a fused series (a PET, NM or MR volume over a CT, in a colour map at
an opacity, its value in the probe).

Both are sampled trilinearly at the patient position of each pixel centre of the frame
shown (Image Position + c·Δc·row + r·Δr·column), or of a reformatted view's plane
(its ``reslice``): a dose grid by its Grid Frame Offset Vector, a fused series through
its volume (:mod:`lightbox.volume`, built once).
A fused series is hidden until the page shows it; a dose grid is shown at 0.4.

A Blending Softcopy Presentation State applied (PS3.4 N.2.4) resamples its superimposed
series the same way (:meth:`Washes.fused_at`, one code for both), through the state's VOI
for that set and its palette, drawn at its relative opacity over the underlying grey.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from pydicom import dcmread

from lightbox.annotate import pstate
from lightbox.core.errors import LightboxError
from lightbox.core.messages import say
from lightbox.display.luts import Modality, Rescale
from lightbox.display.voi import apply_voi
from lightbox.segment import dose as rtdose
from lightbox.segment.layer import Drawn
from lightbox.session.presented import pstate_identity
from lightbox.volume import NotAVolume
from lightbox.volume.sampling import trilinear

if TYPE_CHECKING:
    from lightbox.catalog.series import Series
    from lightbox.session.session import Session

DOSE_OPACITY = 0.4
FUSION_OPACITY = 0.5
#: The modalities offered as a fusion over another series of their Frame of Reference.
FUSED_MODALITIES = ("PT", "NM", "MR")
#: The colour maps of a fusion.
COLORMAPS = ("hot-iron", "rainbow", "grey")

Array = np.ndarray[Any, Any]


def colormap(name: str, t: Array) -> Array:
    """The colour (..., 3, float 0..255) of 0..1 in a colour map: "hot-iron" (black, red,
    yellow, white: red rises over the first half, green over the middle, blue last),
    "rainbow" (blue to red) or "grey" (255·t)."""
    t = np.clip(np.nan_to_num(t, nan=0.0), 0.0, 1.0)
    if name == "rainbow":
        return rtdose.rainbow(t)
    if name == "grey":
        return np.repeat(t[..., None] * 255.0, 3, axis=-1)
    r = np.clip(2.0 * t, 0, 1)
    g = np.clip(2.0 * t - 0.5, 0, 1)
    b = np.clip(4.0 * t - 3.0, 0, 1)
    return np.stack([r, g, b], axis=-1) * 255.0


@dataclass
class DoseFile:
    """An open RT Dose object: its file and its grid once read (None: it could not be)."""

    file: int
    grid: rtdose.DoseGrid | None
    reason: str = ""


def _setting(settings: list[dict[str, Any]], uid: str) -> dict[str, Any] | None:
    return next((s for s in settings if s.get("uid") == uid), None)


class Washes:
    """The dose grids and fused series over the series of a session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._doses: dict[int, DoseFile] = {}
        #: Files before this index have been judged dose or not (files are only added):
        #: the catalog of every batch asks, and judges only the files added since.
        self._judged = 0
        #: fused series shown so far (their volumes built): the probe samples them
        self.fused: set[str] = set()

    # -- what lies over a series ------------------------------------------------

    def doses(self) -> list[DoseFile]:
        """Every RT Dose file open (each read once)."""
        files = self.session.files
        while self._judged < len(files):
            index = self._judged
            if index not in self._doses and rtdose.is_dose(files[index].header.dataset):
                self._doses[index] = self._read_dose(index)
            self._judged = index + 1  # judged: a read cut short by an interrupt is tried again
        return list(self._doses.values())

    def _read_dose(self, index: int) -> DoseFile:
        """The dose grid of file ``index``, or why it cannot be drawn (said in its warnings)."""
        opened = self.session.files[index]
        try:
            ds = dcmread(io.BytesIO(self.session.whole(opened)), force=True)
            return DoseFile(index, rtdose.read_dose(opened.name, ds))
        except LightboxError as error:
            reason = error.reason
        except Exception as error:  # pydicom's reason, said with the file's warnings
            reason = str(error)
        said = f"its dose grid cannot be drawn: {reason}"
        self.session.files[index] = replace(opened, warnings=(*opened.warnings, said))
        return DoseFile(index, None, reason)

    def _frame_of_reference(self, series: Series) -> str:
        ds = self.session.files[series.frames[0].file].header.dataset
        return str(ds.get("FrameOfReferenceUID", "") or "")

    def doses_over(self, series: Series) -> list[rtdose.DoseGrid]:
        """The dose grids of the series' Frame of Reference (not the series' own)."""
        mine = {ref.file for ref in series.frames}
        frame = self._frame_of_reference(series)
        return [
            d.grid
            for d in self.doses()
            if d.grid is not None
            and d.file not in mine
            and frame
            and d.grid.frame_of_reference == frame
        ]

    def fusions_over(self, series: Series) -> list[int]:
        """The other series that can be fused over it: PET, NM or MR of its Frame of
        Reference (indices into the session's series)."""
        frame = self._frame_of_reference(series)
        if not frame or series.kind != "stack":
            return []
        out = []
        for index, other in enumerate(self.session.series):
            if other is series or other.modality not in FUSED_MODALITIES:
                continue
            if other.kind == "stack" and self._frame_of_reference(other) == frame:
                out.append(index)
        return out

    def catalog(self, series: Series) -> dict[str, Any]:
        """The catalog's ``rtDoses`` and ``fusions`` of a series."""
        doses = []
        for grid in self.doses_over(series):
            top = grid.maximum
            doses.append(
                {
                    "kind": "RTDOSE",
                    "uid": grid.uid,
                    "seriesUid": grid.series_uid,
                    "label": grid.label,
                    "file": grid.name,
                    "maxGy": top,
                    "segments": [
                        {
                            "number": level,
                            "label": f"{level} % ({top * level / 100:.2f} Gy)",
                            "color": list(color),
                        }
                        for level, color in rtdose.ISODOSE_LEVELS
                    ],
                }
            )
        fusions = []
        for index in self.fusions_over(series):
            other = self.session.series[index]
            fusions.append(
                {
                    "kind": "fusion",
                    "uid": other.uid,
                    "seriesUid": other.series_uid or other.uid,
                    "label": f"{other.modality}: {other.description or 'series'} (fused)",
                    "modality": other.modality,
                    "colormaps": list(COLORMAPS),
                    "segments": [],
                }
            )
        return {"rtDoses": doses, "fusions": fusions}

    # -- sampling ------------------------------------------------------------------

    def _points(self, series: Series, frame: int) -> Array | None:
        """Patient mm of every pixel centre of a frame, (rows, columns, 3)."""
        return self.session.frame_points(series.frames[frame])

    @staticmethod
    def dose_at(grid: rtdose.DoseGrid, points: Array) -> Array:
        """Gy at patient points (..., 3), NaN beyond the grid."""
        x, y, z = grid.indices(points)
        z = np.where(np.isnan(z), -10.0, z)
        shape = x.shape
        out = trilinear(grid.gy, x.ravel(), y.ravel(), z.ravel(), np.nan)
        return out.reshape(shape)

    def fused_at(self, index: int, points: Array) -> Array | None:
        """The fused series' modality values at patient points, NaN beyond it; None when
        it is not a volume."""
        try:
            volume = self.session.volume(index)
        except LightboxError:  # beyond the memory budget: said where the series is shown
            return None
        if isinstance(volume, NotAVolume):
            return None
        xyz = volume.to_index(points.reshape(-1, 3))
        out = trilinear(
            volume.data,
            np.ascontiguousarray(xyz[:, 0]),
            np.ascontiguousarray(xyz[:, 1]),
            np.ascontiguousarray(xyz[:, 2]),
            np.nan,
            volume.slices,
        )
        return out.reshape(points.shape[:-1])

    # -- drawing and probing ------------------------------------------------------

    def drawing(
        self, series: Series, frame: int, settings: list[dict[str, Any]]
    ) -> tuple[list[Drawn], list[dict[str, Any]]]:
        """What the fused series and dose grids draw over a frame (fusions first, under the
        dose), and what the legend lists."""
        if not self.doses_over(series) and not self.fusions_over(series):
            return [], []
        points = self._points(series, frame)
        if points is None:
            return [], []
        return self.drawing_at(series, points, settings)

    def drawing_at(
        self, series: Series, points: Array, settings: list[dict[str, Any]]
    ) -> tuple[list[Drawn], list[dict[str, Any]]]:
        """What the fused series and dose grids draw at patient points (rows, columns, 3):
        a frame's pixels, or a reformatted plane's."""
        grids = self.doses_over(series)
        fusions = self.fusions_over(series)
        drawn: list[Drawn] = []
        present: list[dict[str, Any]] = []
        for index in fusions:
            other = self.session.series[index]
            chosen = _setting(settings, other.uid) or {}
            if not chosen.get("visible", False):
                continue
            values = self.fused_at(index, points)
            if values is None:
                continue
            self.fused.add(other.uid)
            low, high = self._window(index, chosen)
            with np.errstate(invalid="ignore", divide="ignore"):
                t = (values - low) / (high - low) if high > low else np.zeros_like(values)
            name = str(chosen.get("colormap") or "hot-iron")
            inside = ~np.isnan(values)
            opacity = float(chosen.get("opacity", FUSION_OPACITY))
            drawn.append(Drawn(inside.astype(np.float32), colormap(name, t), opacity))
            present.append(
                {
                    "uid": other.uid,
                    "segment": 0,
                    "label": f"{other.modality} fused",
                    "color": [int(v) for v in colormap(name, np.asarray(0.75))],
                    "visible": True,
                }
            )
        for grid in grids:
            chosen = _setting(settings, grid.uid) or {}
            gy = self.dose_at(grid, points)
            if np.all(np.isnan(gy)):
                continue
            shown = bool(chosen.get("visible", True))
            hidden = {int(n) for n in chosen.get("hidden") or []}
            top = grid.maximum
            for level, color in rtdose.ISODOSE_LEVELS:
                if np.nanmax(gy) >= top * level / 100:
                    present.append(
                        {
                            "uid": grid.uid,
                            "segment": level,
                            "label": f"{level} % ({top * level / 100:.2f} Gy)",
                            "color": list(color),
                            "visible": shown and level not in hidden,
                        }
                    )
            if shown:
                opacity = float(chosen.get("opacity", DOSE_OPACITY))
                drawn.extend(rtdose.wash_drawing(gy, top, opacity, hidden))
        return drawn, present

    def _window(self, index: int, chosen: dict[str, Any]) -> tuple[float, float]:
        """The values mapped to the colour map's ends: the page's ``window: [low, high]``,
        else 0 (or the lowest value) to the 99.5th percentile of the volume."""
        window = chosen.get("window")
        if isinstance(window, list | tuple) and len(window) == 2:
            return float(window[0]), float(window[1])
        volume = self.session.volume(index)
        if isinstance(volume, NotAVolume):
            return 0.0, 1.0
        data = volume.data[:: max(volume.data.shape[0] // 32, 1)]
        low = max(float(data.min()), 0.0)
        return low, float(np.percentile(data, 99.5))

    # -- a Blending Softcopy Presentation State (PS3.4 N.2.4) -------------------------

    def superimposed(self, blending: pstate.Blending) -> int | None:
        """The open series of a blend's superimposed set (index into the session's series):
        the stack of its Referenced Series Sequence's Series Instance UID, else the one
        holding an image it names; None when it is not open."""
        wanted = set(blending.superimposed.series_uids)
        stacks = [(i, s) for i, s in enumerate(self.session.series) if s.kind == "stack"]
        for index, other in stacks:
            if other.series_uid in wanted:
                return index
        images = {uid for uid, _ in blending.superimposed.references}
        for index, other in stacks:
            for ref in other.frames:
                ds = self.session.files[ref.file].header.dataset
                if str(ds.get("SOPInstanceUID", "") or "") in images:
                    return index
        return None

    def blend_info(self, state: pstate.PresentationState) -> dict[str, Any] | None:
        """What ``info.presentation.blend`` says of a blending state: the superimposed
        series (``series``: its catalog uid, null when it is not open), the opacity, and
        ``warning`` (a message) when it cannot be blended."""
        blending = state.blending
        if blending is None:
            return None
        index = self.superimposed(blending)
        named = (blending.superimposed.series_uids or ("?",))[0]
        out: dict[str, Any] = {
            "uid": state.uid,
            "series": None,
            "seriesUid": named,
            "opacity": blending.opacity,
            "label": f"{state.label} (blended)",
            "warning": None,
        }
        if index is None:
            out["warning"] = say("engine.blend_not_open", series=named)
            return out
        other = self.session.series[index]
        out.update(series=other.uid, modality=other.modality)
        try:
            volume = self.session.volume(index)
        except LightboxError as error:
            out["warning"] = error.reason
            return out
        if isinstance(volume, NotAVolume):
            out["warning"] = say("engine.blend_not_volume", series=named)
        return out

    def _state_modality(self, index: int, modality: Modality | None, values: Array) -> Array:
        """The superimposed set's values under the state's own rescale (C.11.14: a Modality
        LUT macro per item) where the state gives one and the series' images share one
        rescale: the resampled modality values taken back to stored values and through the
        state's. Otherwise the images' own modality values (the IOD leaves out sets whose
        Modality LUT varies frame to frame, so a state's is theirs)."""
        if not isinstance(modality, Rescale):
            return values
        frames = self.session.series[index].frames
        own = {self.session.files[ref.file].parameters(ref.index).modality for ref in frames}
        if len(own) != 1:
            return values
        (image,) = own
        if not isinstance(image, Rescale) or image.slope == 0:
            return values
        if (image.slope, image.intercept) == (modality.slope, modality.intercept):
            return values
        stored = (values - image.intercept) / image.slope
        return stored * modality.slope + modality.intercept

    def blend_drawing(
        self, state: pstate.PresentationState, points: Array
    ) -> tuple[list[Drawn], list[dict[str, Any]]]:
        """The superimposed set of a blending state at patient points (rows, columns, 3):
        its modality values resampled (as a fusion's), through the state's VOI for the
        set onto 0..1 (N.2.4.2; a VOI left out is identity over the values' range), that
        range spanning the palette's entries, each entry / its largest value the colour,
        drawn at Relative Opacity: over the underlying grey Yu the layer composes
        Rs·A + Yu·(1 − A) (N.2.4.3). Where the superimposed set does not reach, nothing."""
        blending = state.blending
        index = None if blending is None else self.superimposed(blending)
        if blending is None or index is None:
            return [], []
        values = self.fused_at(index, points)
        if values is None:
            return [], []
        values = self._state_modality(index, blending.superimposed.modality, values)
        inside = ~np.isnan(values)
        if not inside.any():
            return [], []
        voi = blending.superimposed.voi()
        if voi is None:
            low, high = float(np.nanmin(values)), float(np.nanmax(values))
            volume = self.session.volume(index)
            if not isinstance(volume, NotAVolume):
                low, high = float(volume.data.min()), float(volume.data.max())
            voi = pstate_identity(low, high)
        t = apply_voi(np.where(inside, values, 0.0), voi) / 255.0
        palette = blending.palette
        if palette is None:
            rgb = np.repeat(t[..., None] * 255.0, 3, axis=-1)
        else:
            n = palette.entries
            entry = np.floor(np.clip(t, 0.0, 1.0) * (n - 1) + 0.5).astype(np.intp)
            rgb = palette.rgb[np.clip(entry, 0, n - 1)].astype(np.float32)
        drawn = [Drawn(inside.astype(np.float32), rgb, blending.opacity)]
        return drawn, self.blend_listed(state)

    def blend_listed(self, state: pstate.PresentationState) -> list[dict[str, Any]]:
        """The legend's entry of a blending state's superimposed series (its modality, the
        palette's colour at three quarters), none when that series is not open."""
        blending = state.blending
        index = None if blending is None else self.superimposed(blending)
        if blending is None or index is None:
            return []
        palette = blending.palette
        color = [191, 191, 191]
        if palette is not None:
            n = palette.entries
            color = [int(v) for v in palette.rgb[min(int(0.75 * (n - 1) + 0.5), n - 1)]]
        other = self.session.series[index]
        label = f"{other.modality} blended"
        return [{"uid": state.uid, "segment": 0, "label": label, "color": color, "visible": True}]

    def probe(self, series: Series, point: list[float] | None) -> dict[str, Any]:
        """What the probe adds at a patient point: ``dose`` (Gy of the first grid over it,
        with ``doseUid``) and ``fused`` (each fused series shown: uid, modality, value)."""
        if point is None:
            return {}
        at = np.asarray(point, np.float64)[None, :]
        out: dict[str, Any] = {}
        for grid in self.doses_over(series):
            value = float(self.dose_at(grid, at)[0])
            if np.isfinite(value):
                out.update(dose=value, doseUnit="Gy", doseUid=grid.uid)
                break
        fused = []
        for index in self.fusions_over(series):
            other = self.session.series[index]
            if other.uid not in self.fused:
                continue
            values = self.fused_at(index, at)
            if values is not None and np.isfinite(values[0]):
                fused.append(
                    {"uid": other.uid, "modality": other.modality, "value": float(values[0])}
                )
        if fused:
            out["fused"] = fused
        return out
