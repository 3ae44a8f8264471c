"""The annotation layer of one image frame, on the image grid: a presentation state's
shutters, activated overlay planes and graphics (PS3.3 C.7.6.11, C.7.6.15, C.9.2, C.10.5),
and SR measurements' spatial coordinates; the texts go to the page with their boxes.

Coordinates are image pixel coordinates (column, row) where the top left corner of the top
left pixel is (0, 0) and the bottom right corner of the last pixel is (Columns, Rows)
(C.10.5.1.2 PIXEL units; SR SCOORD, C.18.6.1.1). Pixel (r, c) covers [c, c+1) × [r, r+1).
A line marks every pixel its path passes through (at least one pixel wide); a fill marks
the pixels whose centres lie inside (even-odd).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lightbox.annotate.pstate import DisplayedArea, Graphic, PresentationState
from lightbox.display.overlays import OverlayPlane, overlay_frame

Point = tuple[float, float]
Rgba = np.ndarray[Any, np.dtype[np.uint8]]

#: Path samples per pixel of length: dense enough to mark every pixel a line crosses.
SAMPLES_PER_PIXEL = 8


@dataclass
class Canvas:
    """An RGBA layer of one frame, transparent to begin with."""

    rows: int
    columns: int

    def __post_init__(self) -> None:
        self.rgba: Rgba = np.zeros((self.rows, self.columns, 4), np.uint8)

    def paint(self, mask: np.ndarray[Any, Any], color: Sequence[int]) -> None:
        """Paint the set pixels of ``mask`` opaque in ``color``."""
        self.rgba[mask] = (*color[:3], 255)

    def mark(
        self, xs: np.ndarray[Any, Any], ys: np.ndarray[Any, Any], color: Sequence[int]
    ) -> None:
        """Paint the pixels that hold the points (x, y)."""
        c = np.floor(xs).astype(np.int64)
        r = np.floor(ys).astype(np.int64)
        inside = (c >= 0) & (c < self.columns) & (r >= 0) & (r < self.rows)
        self.rgba[r[inside], c[inside]] = (*color[:3], 255)


def path_samples(points: Sequence[Point], closed: bool = False) -> tuple[Any, Any]:
    """Points along the straight segments between ``points``, dense enough to mark each
    pixel the path crosses."""
    pts = list(points) + ([points[0]] if closed and len(points) > 2 else [])
    if len(pts) == 1:
        return np.array([pts[0][0]]), np.array([pts[0][1]])
    xs, ys = [], []
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        n = max(2, math.ceil(math.hypot(x1 - x0, y1 - y0) * SAMPLES_PER_PIXEL) + 1)
        t = np.linspace(0.0, 1.0, n)
        xs.append(x0 + (x1 - x0) * t)
        ys.append(y0 + (y1 - y0) * t)
    return np.concatenate(xs), np.concatenate(ys)


def inside_polygon(points: Sequence[Point], rows: int, columns: int) -> np.ndarray[Any, Any]:
    """The pixels whose centres lie inside the polygon (even-odd rule)."""
    yy, xx = np.mgrid[0:rows, 0:columns].astype(np.float64) + 0.5
    inside = np.zeros((rows, columns), bool)
    n = len(points)
    for i in range(n):
        x0, y0 = points[i]
        x1, y1 = points[(i + 1) % n]
        if y0 == y1:
            continue
        crosses = (yy >= min(y0, y1)) & (yy < max(y0, y1))
        x_at = x0 + (yy - y0) * (x1 - x0) / (y1 - y0)
        inside ^= crosses & (xx < x_at)
    return inside


def catmull_rom(points: Sequence[Point], steps: int = 16) -> list[Point]:
    """A smooth curve through every point (INTERPOLATED, C.10.5.1.2), Catmull-Rom."""
    if len(points) < 3:
        return list(points)
    pts = [points[0], *points, points[-1]]
    out: list[Point] = []
    for i in range(1, len(pts) - 2):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]
        for k in range(steps):
            t = k / steps
            t2, t3 = t * t, t * t * t
            out.append(
                tuple(  # type: ignore[arg-type]
                    0.5
                    * (
                        2 * p1[j]
                        + (-p0[j] + p2[j]) * t
                        + (2 * p0[j] - 5 * p1[j] + 4 * p2[j] - p3[j]) * t2
                        + (-p0[j] + 3 * p1[j] - 3 * p2[j] + p3[j]) * t3
                    )
                    for j in (0, 1)
                )
            )
    out.append(points[-1])
    return out


def ellipse_points(centre: Point, a: Point, b: Point, steps: int = 360) -> list[Point]:
    """The outline of an ellipse of semi-axes ``a`` and ``b`` (vectors) about ``centre``."""
    t = np.linspace(0.0, 2 * math.pi, steps + 1)
    xs = centre[0] + a[0] * np.cos(t) + b[0] * np.sin(t)
    ys = centre[1] + a[1] * np.cos(t) + b[1] * np.sin(t)
    return list(zip(xs.tolist(), ys.tolist(), strict=True))


def outline(kind: str, points: Sequence[Point]) -> tuple[list[Point], bool] | None:
    """A graphic's path as points and whether it closes; None if the points do not make it.

    CIRCLE: the centre, then a point on the circle. ELLIPSE: the major axis' two ends,
    then the minor axis' (C.10.5.1.2). POLYLINE and POLYGON: the vertices (a POLYLINE
    whose last point is its first is closed).
    """
    if kind == "POINT" and points:
        return [points[0]], False
    if kind in ("POLYLINE", "MULTIPOINT") and points:
        closed = len(points) > 2 and points[0] == points[-1]
        return list(points), closed
    if kind == "POLYGON" and len(points) >= 3:
        return list(points), True
    if kind == "INTERPOLATED" and points:
        closed = len(points) > 2 and points[0] == points[-1]
        return catmull_rom(points), closed
    if kind == "CIRCLE" and len(points) >= 2:
        (cx, cy), (px, py) = points[0], points[1]
        r = math.hypot(px - cx, py - cy)
        return ellipse_points((cx, cy), (r, 0.0), (0.0, r)), True
    if kind == "ELLIPSE" and len(points) >= 4:
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points[:4]
        centre = ((x0 + x1) / 2, (y0 + y1) / 2)
        a = ((x1 - x0) / 2, (y1 - y0) / 2)
        b = ((x3 - x2) / 2, (y3 - y2) / 2)
        return ellipse_points(centre, a, b), True
    return None


def draw_graphic(
    canvas: Canvas, kind: str, points: Sequence[Point], filled: bool, color: Sequence[int]
) -> None:
    """Draw one graphic: its outline (a point: the pixel and a 5-pixel cross), filled if asked."""
    found = outline(kind, points)
    if found is None:
        return
    path, closed = found
    if kind == "POINT" or kind == "MULTIPOINT":
        for x, y in path:
            xs = np.array([x, x - 2, x - 1, x + 1, x + 2, x, x, x, x])
            ys = np.array([y, y, y, y, y, y - 2, y - 1, y + 1, y + 2])
            canvas.mark(xs, ys, color)
        return
    if filled and closed and len(path) >= 3:
        canvas.paint(inside_polygon(path, canvas.rows, canvas.columns), color)
    xs, ys = path_samples(path, closed)
    canvas.mark(xs, ys, color)


# -- spatial transformation and DISPLAY units ------------------------------------------


def spatial(rotation: int, flip: bool) -> np.ndarray[Any, Any]:
    """The 2 × 2 matrix of C.10.6 about the image centre: flip first, then rotate clockwise
    (x to the right, y down)."""
    f = np.array([[-1.0, 0.0], [0.0, 1.0]]) if flip else np.eye(2)
    quarter = (rotation // 90) % 4
    r = np.linalg.matrix_power(np.array([[0.0, -1.0], [1.0, 0.0]]), quarter)
    out: np.ndarray[Any, Any] = r @ f
    return out


def area_box(area: DisplayedArea | None, rows: int, columns: int) -> tuple[float, ...]:
    """The displayed area in image coordinates (x0, y0, x1, y1): the pixels between its
    corners, both included (C.10.4); the whole image without one."""
    if area is None:
        return (0.0, 0.0, float(columns), float(rows))
    (c0, r0), (c1, r1) = area.top_left, area.bottom_right
    return (min(c0, c1) - 1.0, min(r0, r1) - 1.0, float(max(c0, c1)), float(max(r0, r1)))


def display_mapper(
    state: PresentationState, area: DisplayedArea | None, rows: int, columns: int
) -> Callable[[Point], Point]:
    """DISPLAY units (0..1 across the displayed area as shown, after the spatial
    transformation) to image coordinates."""
    m = spatial(state.rotation, state.flip)
    centre = np.array([columns / 2.0, rows / 2.0])
    x0, y0, x1, y1 = area_box(area, rows, columns)
    corners = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]]) - centre
    shown = corners @ m.T
    low, high = shown.min(axis=0), shown.max(axis=0)
    inverse = np.linalg.inv(m)

    def to_image(point: Point) -> Point:
        d = low + np.asarray(point, np.float64) * (high - low)
        p = inverse @ d + centre
        return (float(p[0]), float(p[1]))

    return to_image


# -- shutters ---------------------------------------------------------------------------


def shutter_mask(
    state: PresentationState, rows: int, columns: int, planes: dict[int, OverlayPlane], frame: int
) -> np.ndarray[Any, Any] | None:
    """The pixels the shutters hide (outside every opening; a bitmap shutter's set bits),
    or None when there is no shutter."""
    shutters = state.shutters
    if not shutters.shapes:
        return None
    yy, xx = np.mgrid[0:rows, 0:columns]
    hidden = np.zeros((rows, columns), bool)
    if shutters.rectangle is not None:
        left, right, upper, lower = shutters.rectangle
        # 1-based edges, inclusive: columns left..right and rows upper..lower stay open
        hidden |= ~((xx + 1 >= left) & (xx + 1 <= right) & (yy + 1 >= upper) & (yy + 1 <= lower))
    if shutters.circle is not None:
        (row, column), radius = shutters.circle
        # the centre is 1-based (row, column): pixel (r, c) is at (r + 1, c + 1)
        hidden |= (yy + 1 - row) ** 2 + (xx + 1 - column) ** 2 > radius**2
    if len(shutters.polygon) >= 3:
        vertices = [(c - 0.5, r - 0.5) for r, c in shutters.polygon]  # 1-based centres
        hidden |= ~inside_polygon(vertices, rows, columns)
    if shutters.bitmap_group is not None:
        plane = planes.get(shutters.bitmap_group)
        if plane is not None:
            hidden |= plane_mask(plane, frame, rows, columns)
    return hidden


def plane_mask(plane: OverlayPlane, frame: int, rows: int, columns: int) -> np.ndarray[Any, Any]:
    """An overlay plane's set bits on the image grid (its origin applied, C.9.2.1.2)."""
    out = np.zeros((rows, columns), bool)
    index = plane.frame_for(frame) if plane.frames > 1 else 0
    if plane.data is None or index is None:
        return out
    bits = overlay_frame(plane, index)
    top, left = plane.origin[0] - 1, plane.origin[1] - 1
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + bits.shape[0], rows), min(left + bits.shape[1], columns)
    if r1 > r0 and c1 > c0:
        out[r0:r1, c0:c1] = bits[r0 - top : r1 - top, c0 - left : c1 - left]
    return out


# -- the layer of a presentation state ---------------------------------------------------


def presentation_layer(
    state: PresentationState,
    uid: str,
    frame: int,
    rows: int,
    columns: int,
    image_planes: Sequence[OverlayPlane] = (),
    shutters: bool = True,
) -> tuple[Canvas, list[dict[str, Any]]]:
    """Draw a state's shutters (unless ``shutters`` is False: a reformatted view, where
    one image's shutter means nothing), activated overlays and graphics over one image
    frame; return the canvas and the texts (``{text, box, anchor, anchorVisible, color,
    justification, layer}``, boxes and anchors in image coordinates)."""
    canvas = Canvas(rows, columns)
    planes = {p.group: p for p in image_planes if p.data is not None}
    planes.update({p.group: p for p in state.overlays if p.data is not None})
    hidden = shutter_mask(state, rows, columns, planes, frame) if shutters else None
    if hidden is not None:
        canvas.paint(hidden, state.shutters.color)
    area = state.area_for(uid, frame)
    to_image = display_mapper(state, area, rows, columns)

    def place(units: str, point: Point) -> Point:
        return to_image(point) if units.upper() == "DISPLAY" else point

    texts: list[dict[str, Any]] = []
    names = [layer.name for layer in state.layers]
    names += [a.layer for a in state.annotations if a.layer not in names]
    names += [g for g in state.activation.values() if g not in names]
    order = sorted(names, key=lambda n: state.layer(n).order)
    for name in order:
        color = state.layer(name).color
        for group, layer_name in state.activation.items():
            if layer_name == name and group in planes and group != state.shutters.bitmap_group:
                canvas.paint(plane_mask(planes[group], frame, rows, columns), color)
        for annotation in state.annotations:
            if annotation.layer != name or not annotation.applies.covers(uid, frame):
                continue
            for graphic in annotation.graphics:
                draw_state_graphic(canvas, graphic, place, color)
            for t in annotation.texts:
                box = None
                if t.box is not None:
                    a, b = place(t.box_units, t.box[0]), place(t.box_units, t.box[1])
                    box = [min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])]
                anchor = list(place(t.anchor_units, t.anchor)) if t.anchor else None
                texts.append(
                    {
                        "text": t.text,
                        "box": box,
                        "anchor": anchor,
                        "anchorVisible": t.anchor_visible,
                        "color": list(color),
                        "justification": t.justification,
                        "layer": name,
                    }
                )
    return canvas, texts


def draw_state_graphic(
    canvas: Canvas, graphic: Graphic, place: Callable[[str, Point], Point], color: Sequence[int]
) -> None:
    """One graphic object of a state, its points placed from its units."""
    points = [place(graphic.units, p) for p in graphic.points]
    draw_graphic(canvas, graphic.kind, points, graphic.filled, color)
