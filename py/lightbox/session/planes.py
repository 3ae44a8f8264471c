"""Segmentations, RT structures, RT dose and fusion on reformatted views (issue 16 items
4, 5 and 7): the layer of a plane through a series' volume.

A dose grid and a fused series are sampled at the plane's pixels' patient points as on
an acquired frame (:meth:`lightbox.session.washes.Washes.drawing_at`), under the rest.

Each acquired frame's layer (its SEG masks and RT contours, as drawn over it on the
stack) is resliced: a pixel of the plane at patient point P takes the layer of the frame
whose plane is nearest P along the slices' normal (when within half the slice spacing),
at the pixel of that frame nearest P (:func:`lightbox.segment.nearest.nearest_pixels`).
The frames' layers are kept, a few dozen, for the next plane.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import numpy as np

from lightbox.segment.layer import Drawn, compose
from lightbox.segment.nearest import nearest_pixels, reslice_points

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
        entry = self.session.series[series]
        points = reslice_points(reslice)
        under, listed = self.session.washes.drawing_at(entry, points, settings)
        info, out = self._resliced(series, points, settings)
        if not under:
            return info, out
        over = Drawn(out[..., 3].astype(np.float32) / 255.0, out[..., :3], 1.0)
        info["segments"] = [*listed, *info["segments"]]
        return info, compose([*under, over], rows, columns)

    def _resliced(
        self, series: int, points: Array, settings: list[dict[str, Any]]
    ) -> tuple[dict[str, Any], Array]:
        """The acquired frames' SEG and RT layers resliced at a plane's patient points."""
        rows, columns = points.shape[:2]
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
            segments, rgba = self._frame_layer(series, frame, settings)
            if not rgba[..., 3].any():
                continue
            values = rgba[hits.rows[hit], hits.columns[hit]]
            out[hit] = values
            if values[:, 3].any():
                for s in segments:
                    seen.setdefault((s["uid"], s["segment"]), s)
        info["segments"] = list(seen.values())
        return info, out
