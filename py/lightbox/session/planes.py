"""Segmentations, RT structures, RT dose and fusion on reformatted views (issue 16 items
4, 5 and 7): the layer of a plane through a series' volume.

A dose grid and a fused series are sampled at the plane's pixels' patient points as on
an acquired frame (:meth:`lightbox.session.washes.Washes.drawing_at`), under the rest; so
is the superimposed series of an applied Blending Softcopy Presentation State whose
underlying series the plane cuts (:meth:`~lightbox.session.washes.Washes.blend_drawing`:
its VOI, palette and opacity from the state), at the very bottom.

Each acquired frame's layer (its SEG masks and RT contours, as drawn over it on the
stack) is resliced: a pixel of the plane at patient point P takes the layer of the frame
whose plane is nearest P along the slices' normal (when within half the slice spacing),
at the pixel of that frame nearest P (:func:`lightbox.segment.nearest.nearest_pixels`).
The frames' layers are kept, a few dozen, for the next plane.

A slab (``reslice["slab"]`` mm thick, as a MIP, MinIP or average view shows) has the
layers of every plane across it, one slice step apart (at most :data:`SLAB_PLANES`): a
pixel shows what the plane nearest the slab's middle has there, so a segment anywhere in
the slab's depth is seen, as the projection sees the voxels.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import numpy as np

from lightbox.segment.layer import Drawn, compose
from lightbox.segment.nearest import nearest_pixels, reslice_points, slice_step

if TYPE_CHECKING:
    from lightbox.session.session import Session

#: How many frames' layers are kept.
KEPT = 64
#: The most planes a slab's layer is made of.
SLAB_PLANES = 48

Array = np.ndarray[Any, Any]


class Planes:
    """The layers of reformatted planes over a session's series."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._kept: OrderedDict[tuple[str, int, str], tuple[list[dict[str, Any]], Array]] = (
            OrderedDict()
        )

    def _frame_layer(
        self,
        series: int,
        frame: int,
        settings: list[dict[str, Any]],
        presentation: str | None = None,
    ) -> tuple[list[dict[str, Any]], Array]:
        asked = json.dumps([settings, presentation], sort_keys=True)
        key = (self.session.series[series].uid, frame, asked)
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        info, rgba = self.session.segment_layer(series, frame, settings, resampled=False)
        if presentation:  # the state's graphics over the masks, as on the frame itself
            graphics = self.session.state_graphics(series, frame, presentation)
            drawn = graphics[..., 3] > 0
            rgba = rgba.copy()
            rgba[drawn] = graphics[drawn]
        found = (info["segments"], rgba)
        self._kept[key] = found
        while len(self._kept) > KEPT:
            self._kept.popitem(last=False)
        return found

    def layer(
        self,
        series: int,
        reslice: dict[str, Any],
        settings: list[dict[str, Any]],
        presentation: str | None = None,
    ) -> tuple[dict[str, Any], Array]:
        """(info with the segments drawn, RGBA uint8 rows × columns) of the plane
        ``reslice`` (``{origin, rowDirection, columnDirection, rowSpacing, columnSpacing,
        rows, columns}``, patient mm) over series ``series``, with the graphics of
        presentation state ``presentation`` (None: none) resliced as the masks are."""
        slab = float(reslice.get("slab") or 0.0)
        if slab > 0:
            return self._slab(series, reslice, settings, slab, presentation)
        rows, columns = int(reslice["rows"]), int(reslice["columns"])
        entry = self.session.series[series]
        points = reslice_points(reslice)
        under, listed = self.session.washes.drawing_at(entry, points, settings)
        blending = self.session.blending_over(series, presentation)
        if blending is not None:  # its superimposed set at the plane's points, at the bottom
            blended, named = self.session.washes.blend_drawing(blending, points)
            under, listed = [*blended, *under], [*named, *listed]
        info, out = self._resliced(series, points, settings, presentation)
        if not under:
            return info, out
        over = Drawn(out[..., 3].astype(np.float32) / 255.0, out[..., :3], 1.0)
        info["segments"] = [*listed, *info["segments"]]
        return info, compose([*under, over], rows, columns)

    def _slab(
        self,
        series: int,
        reslice: dict[str, Any],
        settings: list[dict[str, Any]],
        slab: float,
        presentation: str | None,
    ) -> tuple[dict[str, Any], Array]:
        """The layer of a slab: its planes' layers, the one nearest its middle on top."""
        normal = np.cross(reslice["rowDirection"], reslice["columnDirection"])
        normal = normal / np.linalg.norm(normal)
        step = self._voxel_step(series) or min(reslice["rowSpacing"], reslice["columnSpacing"])
        count = min(SLAB_PLANES, int(np.ceil(slab / step)) + 1)
        offsets = sorted(np.linspace(-slab / 2, slab / 2, max(count, 1)), key=abs)
        origin = np.asarray(reslice["origin"], np.float64)
        out: Array | None = None
        seen: dict[tuple[str, Any], dict[str, Any]] = {}
        info: dict[str, Any] = {}
        for offset in offsets:
            plane = {**reslice, "slab": 0, "origin": (origin + offset * normal).tolist()}
            info, rgba = self.layer(series, plane, settings, presentation)
            if out is None:
                out = rgba.copy()
            else:
                free = (out[..., 3] == 0) & (rgba[..., 3] > 0)
                out[free] = rgba[free]
            for s in info["segments"]:
                seen.setdefault((s["uid"], s.get("segment")), s)
        assert out is not None
        return {**info, "segments": list(seen.values())}, out

    def _voxel_step(self, series: int) -> float | None:
        """The series' smallest voxel side (mm: its pixel spacing or its slice spacing),
        the step between a slab's planes so that none passes a voxel by; None unknown."""
        entry = self.session.series[series]
        found = [self.session.files[r.file].parameters(r.index).geometry for r in entry.frames]
        sides = [float(v) for v in (found[0].pixel_spacing or ())] if found else []
        at = [g.position for g in found if g.position is not None]
        orientation = found[0].orientation if found else None
        if len(at) >= 2 and orientation:
            between = slice_step(np.asarray(at, np.float64), tuple(orientation))
            sides += [between] if between else []
        positive = [v for v in sides if v > 0]
        return min(positive) if positive else None

    def _resliced(
        self,
        series: int,
        points: Array,
        settings: list[dict[str, Any]],
        presentation: str | None = None,
    ) -> tuple[dict[str, Any], Array]:
        """The acquired frames' SEG and RT layers resliced at a plane's patient points."""
        rows, columns = points.shape[:2]
        out = np.zeros((rows, columns, 4), np.uint8)
        info: dict[str, Any] = {"width": columns, "height": rows, "segments": []}
        entry = self.session.series[series]
        content = self.session.frames_with_layers(series)
        content |= self.session.state_frames(series, presentation)
        if not content or entry.mixed_orientation:
            return info, out
        geometry = []
        for ref in entry.frames:
            g = self.session.files[ref.file].parameters(ref.index).geometry
            if g.position is None or g.orientation is None or not g.pixel_spacing:
                return info, out
            geometry.append(g)
        fmt = self.session.files[entry.frames[0].file].fmt
        spacing = geometry[0].pixel_spacing or (1.0, 1.0)
        hits = nearest_pixels(
            points,
            np.asarray([g.position for g in geometry], np.float64),
            tuple(geometry[0].orientation or ()),
            (float(spacing[0]), float(spacing[1])),
            (fmt.rows, fmt.columns),
        )
        seen: dict[tuple[str, int], dict[str, Any]] = {}
        for frame in sorted(set(np.unique(hits.plane[hits.hit]).tolist()) & content):
            hit = hits.hit & (hits.plane == frame)
            segments, rgba = self._frame_layer(series, frame, settings, presentation)
            if not rgba[..., 3].any():
                continue
            values = rgba[hits.rows[hit], hits.columns[hit]]
            out[hit] = values
            if values[:, 3].any():
                for s in segments:
                    seen.setdefault((s["uid"], s["segment"]), s)
        info["segments"] = list(seen.values())
        return info, out
