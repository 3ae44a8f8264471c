"""The session's presentation states and SR measurements (issue 16 items 1 and 3): which
open image frames each one lies on, the display steps a state replaces when it is applied,
and the annotation layer of a frame.

Both kinds are documents to the session (no pixel data); they are read from their bytes
once, on first need. A state applies to the images its Referenced Series Sequence lists;
an SR measurement lies on the image its SCOORD is selected from, on the frames of the
same Frame of Reference its SCOORD3D lies in (projected onto the slice), or on the frames
its referenced segment covers.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydicom import dcmread

from lightbox.annotate import draw, pstate, srmeasure
from lightbox.core.messages import said
from lightbox.core.records import FrameRef, Window
from lightbox.display.frames import FrameGeometry
from lightbox.display.luts import Lut, Modality, Palette, Rescale, Voi
from lightbox.display.modality import modality_values
from lightbox.display.overlays import OverlayPlane
from lightbox.display.presentation import presented_rgba

#: The colour SR measurements are drawn in (sRGB).
MEASUREMENT_COLOR = (80, 220, 255)


@dataclass
class Found:
    """The presentation states and SR measurements read from the open documents."""

    states: list[pstate.PresentationState] = field(default_factory=list)
    measurements: list[srmeasure.Measurement] = field(default_factory=list)
    #: SR SOP Instance UID → (its label: Series Description or title, its series UID)
    reports: dict[str, tuple[str, str]] = field(default_factory=dict)
    read: set[int] = field(default_factory=set)

    def update(self, documents: Sequence[tuple[Any, bytes]]) -> None:
        """Read the documents not read yet (a document that cannot be read is skipped: it
        stays listed as a document)."""
        for index, (_, data) in enumerate(documents):
            if index in self.read:
                continue
            self.read.add(index)
            try:
                ds = dcmread(io.BytesIO(data), force=True)
                if pstate.is_presentation_state(ds):
                    self.states.append(pstate.read_presentation_state(ds))
                elif srmeasure.is_structured_report(ds):
                    found = srmeasure.read_measurements(ds)
                    if found:
                        self.measurements += found
                        concept = ds.get("ConceptNameCodeSequence")
                        title = str(concept[0].get("CodeMeaning", "") or "") if concept else ""
                        label = str(ds.get("SeriesDescription", "") or "") or title or "SR"
                        series = str(ds.get("SeriesInstanceUID", "") or "")
                        self.reports[found[0].uid] = (label, series)
            except Exception:  # listed as a document still; it draws nothing
                continue

    def state(self, uid: str) -> pstate.PresentationState | None:
        """The presentation state with this SOP Instance UID, or None."""
        return next((s for s in self.states if s.uid == uid), None)


@dataclass(frozen=True)
class Image:
    """What the layer needs of one open image frame."""

    ref: FrameRef
    uid: str
    rows: int
    columns: int
    frame_of_reference: str
    geometry: FrameGeometry


def states_on(found: Found, images: Sequence[Image]) -> list[pstate.PresentationState]:
    """The presentation states that apply to some of these frames."""
    return [s for s in found.states if any(s.applies_to(i.uid, i.ref.index) for i in images)]


def project(
    points: Sequence[tuple[float, ...]], geometry: FrameGeometry, tolerance: float
) -> list[tuple[float, float]] | None:
    """Patient points (mm) to image coordinates of a frame, or None when they do not lie
    within ``tolerance`` mm of its plane (PS3.3 C.7.6.2.1.1: Image Position is the centre
    of the first pixel, so pixel centres sit at .5)."""
    if geometry.position is None or geometry.orientation is None:
        return None
    spacing = geometry.pixel_spacing or (1.0, 1.0)
    origin = np.asarray(geometry.position, np.float64)
    row = np.asarray(geometry.orientation[:3], np.float64)
    col = np.asarray(geometry.orientation[3:6], np.float64)
    normal = np.cross(row, col)
    out = []
    for point in points:
        d = np.asarray(point[:3], np.float64) - origin
        if abs(float(d @ normal)) > tolerance:
            return None
        out.append((float(d @ row) / spacing[1] + 0.5, float(d @ col) / spacing[0] + 0.5))
    return out


def measurements_on(
    found: Found,
    image: Image,
    segment_frames: Callable[[str, int], set[FrameRef]],
) -> list[tuple[srmeasure.Measurement, list[tuple[float, float]] | None]]:
    """The measurements on an image frame, each with its points in image coordinates (None:
    it covers the frame through its segment, which the SEG layer draws)."""
    out: list[tuple[srmeasure.Measurement, list[tuple[float, float]] | None]] = []
    thickness = image.geometry.slice_thickness or 1.0
    for m in found.measurements:
        where = m.where
        if where.kind == "image" and where.image is not None:
            uid, frames = where.image
            if uid == image.uid and (not frames or image.ref.index + 1 in frames):
                out.append((m, [(p[0], p[1]) for p in where.points]))
        elif where.kind == "patient":
            if where.frame_of_reference and where.frame_of_reference != image.frame_of_reference:
                continue
            points = project(where.points, image.geometry, max(thickness / 2, 0.01))
            if points is not None:
                out.append((m, points))
        elif (
            where.kind == "segment"
            and where.image is not None
            and where.segment is not None
            and image.ref in segment_frames(where.image[0], where.segment)
        ):
            out.append((m, None))
    return out


def measurement_json(m: srmeasure.Measurement) -> dict[str, Any]:
    """What ``state().overlays`` says of one measurement."""
    return {
        "kind": "measurement",
        "uid": m.uid,
        "name": m.name,
        "value": m.value,
        "unit": m.unit,
        "graphic": m.where.graphic or None,
        "on": m.where.kind,
    }


def label_of(m: srmeasure.Measurement) -> str:
    """The text drawn beside a measurement: name, value, unit."""
    if m.value is None:
        return m.name
    # UCUM annotations ({SUVbw}g/ml) are not part of the unit shown
    unit = re.sub(r"\{[^}]*\}", "", m.unit) if m.unit != "1" else ""
    return f"{m.name} {m.value:g} {unit}".strip()


def layer(
    state: pstate.PresentationState | None,
    image: Image,
    planes: Sequence[OverlayPlane],
    measured: Sequence[tuple[srmeasure.Measurement, list[tuple[float, float]] | None]],
) -> tuple[dict[str, Any], np.ndarray[Any, Any]]:
    """The annotation layer of a frame: (info with ``texts`` and ``measurements``, RGBA)."""
    rows, columns = image.rows, image.columns
    texts: list[dict[str, Any]] = []
    if state is not None and state.applies_to(image.uid, image.ref.index):
        canvas, texts = draw.presentation_layer(
            state, image.uid, image.ref.index, rows, columns, planes
        )
    else:
        canvas = draw.Canvas(rows, columns)
    listed = []
    for m, points in measured:
        listed.append(measurement_json(m))
        if points is None:
            texts.append(_label(m, None, image))
            continue
        graphic = m.where.graphic or "POLYLINE"
        draw.draw_graphic(canvas, graphic, points, False, MEASUREMENT_COLOR)
        texts.append(_label(m, points, image))
    _stack(texts, rows)
    info = {"width": columns, "height": rows, "texts": texts, "measurements": listed}
    return info, canvas.rgba


def state_graphics(
    state: pstate.PresentationState, image: Image, planes: Sequence[OverlayPlane]
) -> np.ndarray[Any, Any]:
    """A state's activated overlays and graphics over one frame without its shutters and
    texts (RGBA, transparent where it draws nothing; all of it where the state does not
    apply to the frame): what a reformatted view through the frame shows of the state."""
    if not state.applies_to(image.uid, image.ref.index):
        return np.zeros((image.rows, image.columns, 4), np.uint8)
    canvas, _ = draw.presentation_layer(
        state, image.uid, image.ref.index, image.rows, image.columns, planes, shutters=False
    )
    return canvas.rgba


def _label(
    m: srmeasure.Measurement, points: list[tuple[float, float]] | None, image: Image
) -> dict[str, Any]:
    anchor = None
    if points:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        anchor = [max(xs) + 2.0, min(ys)]
    return {
        "text": label_of(m),
        "box": None,
        "anchor": anchor if anchor else [2.0, 2.0],
        "anchorVisible": False,
        "color": list(MEASUREMENT_COLOR),
        "justification": "LEFT",
        "layer": "measurement",
        "stack": anchor is None,
    }


#: Labels stacked at the viewport's top left at most (then one line says how many more).
STACKED = 8


def _stack(texts: list[dict[str, Any]], rows: int) -> None:
    """Labels without a place of their own (a segment's measurements) one under another
    from the top left, a line each (the page draws them at a readable size); past
    :data:`STACKED` of them, one line says how many more ``state().overlays`` lists."""
    stacked = [t for t in texts if t.get("stack")]
    for line, t in enumerate(stacked[:STACKED]):
        t["line"] = line
    if len(stacked) > STACKED:
        more = stacked[STACKED]
        more.update(text=f"+ {len(stacked) - STACKED} more measurements", line=STACKED)
        for t in stacked[STACKED + 1 :]:
            texts.remove(t)


def modality_range(modality: Modality, low: int, high: int) -> tuple[float, float]:
    """The modality values stored values ``low``..``high`` can take (an identity VOI's
    input range)."""
    if isinstance(modality, Lut):
        values = modality_values(np.arange(low, high + 1, dtype=np.int64), modality)
    else:
        values = modality_values(np.array([low, high], dtype=np.float64), modality)
    return float(np.min(values)), float(np.max(values))


def steps(
    state: pstate.PresentationState,
    image: Image,
    stored_range: tuple[int, int],
) -> tuple[Modality, Voi, Lut | None, bool]:
    """The Modality LUT, VOI, Presentation LUT table (or None) and inversion a state sets
    for an image (PS3.4 N.2: a step the state leaves out is identity)."""
    modality: Modality = state.modality if state.modality is not None else Rescale()
    voi = state.voi_for(image.uid, image.ref.index)
    if voi is None:
        lo, hi = modality_range(modality, *stored_range)
        voi = pstate_identity(lo, hi)
    return modality, voi, state.lut, state.shape == "INVERSE"


def pstate_identity(low: float, high: float) -> Voi:
    """An identity VOI over ``low``..``high``: a LINEAR window mapping them onto 0..255."""
    return Window((low + high) / 2.0 + 0.5, max(high - low + 1.0, 1.0), explanation="Identity")


def render_gray(
    stored: np.ndarray[Any, Any],
    modality: Modality,
    voi: Voi,
    lut: Lut | None,
    invert: bool,
    table: Callable[[np.ndarray[Any, Any], Modality, Voi, bool], np.ndarray[Any, Any]],
) -> np.ndarray[Any, Any]:
    """RGBA of a grey frame under a state's steps (``table``: the pipeline without a
    Presentation LUT table)."""
    if lut is None:
        return table(stored, modality, voi, invert)
    return presented_rgba(stored, modality, voi, lut, invert)


def pseudo_color(rgba: np.ndarray[Any, Any], palette: Palette) -> np.ndarray[Any, Any]:
    """The grey output through a Pseudo-Color PS's Palette Color LUT (PS3.3 A.33.3,
    C.7.9): the VOI output range spans the palette's entries."""
    n = palette.entries
    index = np.floor(rgba[..., 0].astype(np.float64) * (n - 1) / 255.0 + 0.5).astype(np.intp)
    out = rgba.copy()
    out[..., :3] = palette.rgb[np.clip(index, 0, n - 1)]
    return out


def view_json(state: pstate.PresentationState, image: Image) -> dict[str, Any]:
    """What the page applies of a state to an image: rotation, flip, displayed area."""
    area = state.area_for(image.uid, image.ref.index)
    out: dict[str, Any] = {
        "uid": state.uid,
        "label": state.label,
        "kind": state.kind,
        "rotation": state.rotation,
        "flipH": state.flip,
        "flipV": False,
        "area": None,
        "shape": state.shape,
        "warnings": list(state.warnings),
        "warningsSaid": [said(w) for w in state.warnings],
    }
    if area is not None:
        x0, y0, x1, y1 = draw.area_box(area, image.rows, image.columns)
        aspect = None
        if area.aspect:
            aspect = area.aspect[0] / area.aspect[1]
        elif area.spacing:
            aspect = area.spacing[0] / area.spacing[1]
        out["area"] = {
            "box": [x0, y0, x1, y1],
            "mode": area.mode,
            "spacing": list(area.spacing) if area.spacing else None,
            "aspect": aspect,
            "magnification": area.magnification,
        }
    return out
