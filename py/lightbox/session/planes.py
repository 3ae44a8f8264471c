"""Segmentations and RT structures on reformatted views (issue 16 items 4 and 5): the
layer of a plane through a series' volume.

Each acquired frame's layer (its SEG masks and RT contours, as drawn over it on the
stack) is resliced: a pixel of the plane at patient point P takes the layer of the frame
whose plane is nearest P along the slices' normal (when within half the slice spacing),
at the pixel of that frame nearest P (nearest neighbour, so a mask keeps its edge and a
contour its colour). The frames' layers are kept, a few dozen, for the next plane.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from lightbox.session.session import Session

#: How many frames' layers are kept.
KEPT = 64

Array = np.ndarray[Any, Any]


class Planes:
    """The layers of reformatted planes over a session's series."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._kept: OrderedDict[tuple[str, int, str], tuple[list[dict[str, Any]], Array]] = (
            OrderedDict()
        )

    def _frame_layer(
        self, series: int, frame: int, settings: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], Array]:
        key = (self.session.series[series].uid, frame, json.dumps(settings, sort_keys=True))
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        info, rgba = self.session.segment_layer(series, frame, settings, resampled=False)
        found = (info["segments"], rgba)
        self._kept[key] = found
        while len(self._kept) > KEPT:
            self._kept.popitem(last=False)
        return found

    def layer(
        self, series: int, reslice: dict[str, Any], settings: list[dict[str, Any]]
    ) -> tuple[dict[str, Any], Array]:
        """(info with the segments drawn, RGBA uint8 rows × columns) of the plane
        ``reslice`` (``{origin, rowDirection, columnDirection, rowSpacing, columnSpacing,
        rows, columns}``, patient mm) over series ``series``."""
        rows, columns = int(reslice["rows"]), int(reslice["columns"])
        out = np.zeros((rows, columns, 4), np.uint8)
        info: dict[str, Any] = {"width": columns, "height": rows, "segments": []}
        entry = self.session.series[series]
        content = self.session.frames_with_layers(series)
        if not content or entry.mixed_orientation:
            return info, out
        geometry = []
        for ref in entry.frames:
            g = self.session.files[ref.file].parameters(ref.index).geometry
            if g.position is None or g.orientation is None or not g.pixel_spacing:
                return info, out
            geometry.append(g)
        o = np.asarray(geometry[0].orientation, np.float64)
        row, column = o[:3], o[3:6]
        normal = np.cross(row, column)
        positions = np.asarray([float(np.dot(normal, g.position or ())) for g in geometry])
        order = np.argsort(positions)
        steps = np.diff(positions[order])
        steps = steps[steps > 1e-6]
        half = float(np.median(steps)) / 2 if steps.size else 0.5
        r = np.arange(rows, dtype=np.float64)[:, None, None]
        c = np.arange(columns, dtype=np.float64)[None, :, None]
        points = (
            np.asarray(reslice["origin"], np.float64)
            + c * float(reslice["columnSpacing"]) * np.asarray(reslice["rowDirection"])
            + r * float(reslice["rowSpacing"]) * np.asarray(reslice["columnDirection"])
        )
        along = points @ normal
        sorted_positions = positions[order]
        at = np.clip(np.searchsorted(sorted_positions, along), 1, len(order) - 1)
        if len(order) == 1:
            nearest = np.zeros(along.shape, np.int64)
        else:
            left = sorted_positions[at - 1]
            right = sorted_positions[at]
            nearest = np.where(np.abs(along - left) <= np.abs(right - along), at - 1, at)
        frame_of = order[nearest]
        near = np.abs(positions[frame_of] - along) <= half + 1e-6
        seen: dict[tuple[str, int], dict[str, Any]] = {}
        for frame in sorted(set(np.unique(frame_of[near]).tolist()) & content):
            hit = near & (frame_of == frame)
            segments, rgba = self._frame_layer(series, frame, settings)
            if not rgba[..., 3].any():
                continue
            g = geometry[frame]
            spacing = g.pixel_spacing or (1.0, 1.0)
            delta = points[hit] - np.asarray(g.position, np.float64)
            cc = np.rint((delta @ row) / float(spacing[1])).astype(np.int64)
            rr = np.rint((delta @ column) / float(spacing[0])).astype(np.int64)
            inside = (cc >= 0) & (cc < rgba.shape[1]) & (rr >= 0) & (rr < rgba.shape[0])
            targets = np.argwhere(hit)[inside]
            values = rgba[rr[inside], cc[inside]]
            out[targets[:, 0], targets[:, 1]] = values
            if values[:, 3].any():
                for s in segments:
                    seen.setdefault((s["uid"], s["segment"]), s)
        info["segments"] = list(seen.values())
        return info, out
