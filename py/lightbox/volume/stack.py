"""Is a group of frames one stack of parallel slices? Geometry only, before any pixel.

:func:`find_stack` checks what a volume needs (PS3.3 C.7.6.2.1.1: every frame's
Image Position and Orientation) and sorts the slices along the normal;
:func:`analyse_spacing` measures the steps between them (the volume's spacing
comes from these positions, never from (0018,0050) Slice Thickness).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lightbox.core.messages import say
from lightbox.volume.records import NotAVolume, SliceGeometry, Vector, frame_name, millimetres

#: Two orientations are parallel when every direction cosine agrees within this.
ORIENTATION_TOLERANCE = 1e-3
#: Slices closer than this (mm, along the normal) are at the same position.
SAME_POSITION_MM = 0.01
#: A slice direction within this angle (degrees) of the normal is no gantry tilt.
TILT_TOLERANCE_DEG = 0.05
#: A step longer than this many median steps is a gap of missing slices.
GAP_FACTOR = 1.5
#: Steps differing by more than this fraction of the median step (or 0.01 mm) are uneven.
UNEVEN_FRACTION = 0.01
UNEVEN_MM = 0.01
#: A slice position farther than this fraction of a pixel from the stack's line breaks it.
LINE_TOLERANCE_PIXELS = 0.5

_PLANE_NAMES = ("sagittal", "coronal", "axial")


@dataclass(frozen=True)
class Stack:
    """Parallel frames of one size, sorted along the normal (ascending positions).

    Attributes
    ----------
    order : tuple of int
        The caller's index of each slice, in sorted order.
    positions : tuple of float
        Each sorted slice's distance (mm) along the normal from the patient origin.
    first : Vector
        (0020,0032) of the first sorted slice.
    row, column, normal : Vector
        The row and column direction cosines and their cross product.
    direction : Vector
        The unit vector from the first slice's position to the last one's: the
        normal, unless the gantry was tilted (then the stack is sheared).
    tilt_deg : float
        The angle between ``direction`` and ``normal`` (0 below the tolerance).
    rows, columns : int
    spacing : tuple of 2 float
        (0028,0030) Pixel Spacing: between rows, between columns (mm).
    """

    order: tuple[int, ...]
    positions: tuple[float, ...]
    first: Vector
    row: Vector
    column: Vector
    normal: Vector
    direction: Vector
    tilt_deg: float
    rows: int
    columns: int
    spacing: tuple[float, float]


@dataclass(frozen=True)
class Spacing:
    """The steps between sorted slice positions and the uniform grid they are sampled on.

    Attributes
    ----------
    step : float
        mm between the volume's slices along the normal.
    count : int
        Number of slices of the volume (the first and last at the true end positions).
    gaps : tuple of (float, float, int)
        Each gap of missing slices: the positions on either side and how many are missing.
    uneven : tuple of 2 float, or None
        The shortest and longest step outside gaps, when they differ beyond the tolerance.
    """

    step: float
    count: int
    gaps: tuple[tuple[float, float, int], ...]
    uneven: tuple[float, float] | None


def _vector(values: Sequence[float] | np.ndarray[Any, Any]) -> Vector:
    return float(values[0]), float(values[1]), float(values[2])


def plane_name(normal: Sequence[float] | np.ndarray[Any, Any]) -> str:
    """ "axial", "coronal" or "sagittal": the patient axis the normal is closest to."""
    return _PLANE_NAMES[int(np.argmax(np.abs(np.asarray(normal, dtype=np.float64))))]


def _missing(geometry: SliceGeometry, name: str) -> str | None:
    expected = (
        ("position", 3, "(0020,0032) Image Position (Patient)"),
        ("orientation", 6, "(0020,0037) Image Orientation (Patient)"),
        ("spacing", 2, "(0028,0030) Pixel Spacing"),
    )
    for field, length, tag in expected:
        value = getattr(geometry, field)
        if value is None:
            return f"{name} has no {tag}"
        if len(value) != length or not all(math.isfinite(float(v)) for v in value):
            return f"{name} has an unusable {tag} (expected {length} numbers)"
    if min(geometry.spacing or (0.0,)) <= 0:
        return f"{name} has a (0028,0030) Pixel Spacing that is not positive"
    return None


def _counted(items: Sequence[str]) -> str:
    return ", ".join(f"{text} ({n} image{'s' * (n > 1)})" for text, n in Counter(items).items())


def _first_reason(geometries: Sequence[SliceGeometry]) -> str | None:
    """The first thing that keeps these frames from being one stack, else None."""
    if not geometries:
        return "there are no images"
    for index, geometry in enumerate(geometries):
        if any(value.strip().upper() == "LOCALIZER" for value in geometry.image_type):
            name = frame_name(geometry, index)
            return say("engine.localizer", name=name)
    for index, geometry in enumerate(geometries):
        reason = _missing(geometry, frame_name(geometry, index))
        if reason:
            return reason
    if len(geometries) == 1:
        return say("engine.one_slice")
    sizes = [f"{g.columns}×{g.rows}" for g in geometries]
    if len(set(sizes)) > 1:
        return f"the images differ in size: {_counted(sizes)}"
    return _orientation_reason(geometries) or _pixel_spacing_reason(geometries)


def _orientation_reason(geometries: Sequence[SliceGeometry]) -> str | None:
    cosines = np.array([g.orientation for g in geometries], dtype=np.float64)
    for index, (row, column) in enumerate(zip(cosines[:, :3], cosines[:, 3:], strict=True)):
        if (
            abs(np.linalg.norm(row) - 1) > ORIENTATION_TOLERANCE
            or abs(np.linalg.norm(column) - 1) > ORIENTATION_TOLERANCE
            or abs(float(row @ column)) > ORIENTATION_TOLERANCE
        ):
            name = frame_name(geometries[index], index)
            return (
                f"the (0020,0037) Image Orientation (Patient) of {name} is not two "
                "perpendicular unit vectors"
            )
    groups: list[np.ndarray[Any, Any]] = []
    names: list[str] = []
    for row in cosines:
        match = next((g for g in groups if np.max(np.abs(g - row)) <= ORIENTATION_TOLERANCE), None)
        if match is None:
            groups.append(row)
            match = row
        names.append(plane_name(np.cross(match[:3], match[3:])))
    if len(groups) > 1:
        return say("engine.not_parallel", orientations=len(groups), listed=_counted(names))
    return None


def _pixel_spacing_reason(geometries: Sequence[SliceGeometry]) -> str | None:
    spacing = np.array([g.spacing for g in geometries], dtype=np.float64)
    if np.max(np.abs(spacing - spacing[0])) > ORIENTATION_TOLERANCE * np.max(spacing[0]):
        texts = [f"{millimetres(r)}×{millimetres(c)} mm" for r, c in spacing]
        return f"the pixel spacing differs: {_counted(texts)}"
    return None


def _duplicate_reason(
    geometries: Sequence[SliceGeometry], order: np.ndarray[Any, Any], along: np.ndarray[Any, Any]
) -> str | None:
    """Say which positions hold more than one frame, and what tells those frames apart."""
    same = np.diff(along[order]) < SAME_POSITION_MM
    if not np.any(same):
        return None
    groups: list[list[int]] = []
    for k, repeat in enumerate(same):
        if not repeat:
            continue
        if groups and groups[-1][-1] == int(order[k]):
            groups[-1].append(int(order[k + 1]))
        else:
            groups.append([int(order[k]), int(order[k + 1])])
    values: dict[str, set[str]] = {}
    differing: set[str] = set()
    for group in groups:
        for name in {n for i in group for n, _ in geometries[i].attributes}:
            seen = {dict(geometries[i].attributes).get(name, "(absent)") for i in group}
            values.setdefault(name, set()).update(seen)
            differing.update({name} if len(seen) > 1 else set())
    first = groups[0]
    holds = "positions hold" if len(groups) > 1 else "position holds"
    head = (
        f"{len(groups)} {holds} more than one image "
        f"(e.g. {len(first)} images at {millimetres(float(along[first[0]]))} mm)"
    )
    if not differing:
        return f"{head}, and nothing given tells them apart"
    listed = "; ".join(
        f"{name} ({', '.join(sorted(values[name])[:6])})" for name in sorted(differing)
    )
    return f"{head}; they differ in {listed}: choose one of them"


def find_stack(geometries: Sequence[SliceGeometry]) -> Stack | NotAVolume:
    """Check that the frames are one stack of parallel slices, and sort them.

    Parameters
    ----------
    geometries : sequence of SliceGeometry
        One per frame, in the caller's order.

    Returns
    -------
    Stack or NotAVolume
        The sorted stack, or the reason (localizer, missing geometry, one slice,
        sizes or orientations or pixel spacings that differ, several frames at one
        position, positions not on one line).

    References
    ----------
    PS3.3 C.7.6.2.1.1 Image Position and Image Orientation.
    """
    reason = _first_reason(geometries)
    if reason:
        return NotAVolume(reason)
    cosines = np.asarray(geometries[0].orientation, dtype=np.float64)
    row, column = (
        cosines[:3] / np.linalg.norm(cosines[:3]),
        cosines[3:] / np.linalg.norm(cosines[3:]),
    )
    normal = np.cross(row, column)
    points = np.array([g.position for g in geometries], dtype=np.float64)
    along = points @ normal
    order = np.argsort(along, kind="stable")
    reason = _duplicate_reason(geometries, order, along)
    if reason:
        return NotAVolume(reason)
    sorted_points = points[order]
    direction = sorted_points[-1] - sorted_points[0]
    direction /= np.linalg.norm(direction)
    offsets = sorted_points - sorted_points[0]
    lateral = np.linalg.norm(offsets - np.outer(offsets @ direction, direction), axis=1)
    row_mm, column_mm = geometries[0].spacing or (0.0, 0.0)
    spacing = (float(row_mm), float(column_mm))
    worst = int(np.argmax(lateral))
    if lateral[worst] > LINE_TOLERANCE_PIXELS * min(spacing):
        name = frame_name(geometries[int(order[worst])], int(order[worst]))
        offset = float(millimetres(float(lateral[worst])))
        return NotAVolume(say("engine.not_one_line", name=name, offset=offset))
    tilt = math.degrees(math.acos(min(1.0, float(direction @ normal))))
    if tilt < TILT_TOLERANCE_DEG:
        direction, tilt = normal, 0.0
    return Stack(
        order=tuple(int(i) for i in order),
        positions=tuple(float(v) for v in along[order]),
        first=_vector(sorted_points[0]),
        row=_vector(row),
        column=_vector(column),
        normal=_vector(normal),
        direction=_vector(direction),
        tilt_deg=tilt,
        rows=geometries[0].rows,
        columns=geometries[0].columns,
        spacing=spacing,
    )


def gap_steps(positions: Sequence[float] | np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """For each step between sorted positions: is it a gap (> GAP_FACTOR median steps)?"""
    steps = np.diff(np.asarray(positions, dtype=np.float64))
    result: np.ndarray[Any, Any] = steps > GAP_FACTOR * float(np.median(steps))
    return result


def analyse_spacing(positions: Sequence[float]) -> Spacing:
    """Measure the steps between sorted, distinct positions (at least two).

    A stack whose steps agree is kept on its own positions. Otherwise the volume's
    step is the median step, stretched by at most half a step over the whole stack
    so that the first and last slices keep their true positions; a step longer than
    ``GAP_FACTOR`` median steps is a gap of ``round(step / median) - 1`` slices.
    """
    q = np.asarray(positions, dtype=np.float64)
    steps = np.diff(q)
    median = float(np.median(steps))
    in_gap = gap_steps(q)
    regular = steps[~in_gap]
    span = float(q[-1] - q[0])
    spread = float(regular.max() - regular.min())
    uneven = spread > max(UNEVEN_MM, UNEVEN_FRACTION * median)
    gaps = tuple(
        (float(q[i]), float(q[i + 1]), round(steps[i] / median) - 1) for i in np.flatnonzero(in_gap)
    )
    if not uneven and not gaps:
        return Spacing(span / (len(q) - 1), len(q), (), None)
    count = round(span / median) + 1
    return Spacing(
        span / (count - 1),
        count,
        gaps,
        (float(regular.min()), float(regular.max())) if uneven else None,
    )


@dataclass(frozen=True)
class Phases:
    """One series that holds several volumes at the same positions (temporal positions,
    b-values, echoes): what tells them apart, its values, and the frames of each.

    Attributes
    ----------
    attribute : str
        The attribute's tag and name, e.g. "(0020,0100) Temporal Position Index".
    values : tuple of str
        Its values, in order (numerically where they are numbers).
    members : tuple of tuple of int
        For each value, the caller's indices of its frames.
    """

    attribute: str
    values: tuple[str, ...]
    members: tuple[tuple[int, ...], ...]


def _ordered(values: Sequence[str]) -> list[str]:
    try:
        return sorted(values, key=float)
    except ValueError:
        return sorted(values)


def split_phases(geometries: Sequence[SliceGeometry]) -> Phases | None:
    """Several volumes in one series: when positions hold more than one frame and one of
    the attributes that tell frames apart (in the order the frames list them) splits
    the frames into groups each with one frame per position, those groups; else None
    (:func:`find_stack` then says why the frames are no volume).
    """
    if len(geometries) < 4 or any(g.position is None for g in geometries):
        return None
    if any(g.orientation is None for g in geometries):
        return None
    cosines = np.asarray(geometries[0].orientation, dtype=np.float64)
    normal = np.cross(cosines[:3], cosines[3:])
    along = np.array([g.position for g in geometries], dtype=np.float64) @ normal

    def distinct(indices: Sequence[int]) -> bool:
        return bool(np.all(np.diff(np.sort(along[list(indices)])) >= SAME_POSITION_MM))

    if distinct(range(len(geometries))):
        return None
    names = list(dict.fromkeys(name for g in geometries for name, _ in g.attributes))
    for name in names:
        groups: dict[str, list[int]] = {}
        for i, g in enumerate(geometries):
            groups.setdefault(dict(g.attributes).get(name, "(absent)"), []).append(i)
        if len(groups) > 1 and all(len(m) > 1 and distinct(m) for m in groups.values()):
            values = _ordered(list(groups))
            return Phases(name, tuple(values), tuple(tuple(groups[v]) for v in values))
    return None
