"""A stack of frames as a volume in patient coordinates: plan from geometry, then fill.

:func:`plan_volume` decides from the frames' geometry alone (no pixel decoded) whether
they are a volume, what its grid is and how many bytes it needs; :func:`build_volume`
then decodes the frames one at a time, through a callback, into one preallocated array.

The grid. Voxel ``data[z, y, x]`` is centred at
``origin + x * spacing[0] * axes[0] + y * spacing[1] * axes[1] + z * spacing[2] * axes[2]``
(PS3.3 C.7.6.2.1.1 extended by the slice direction). ``axes[0]`` and ``axes[1]`` are the
row and column direction cosines of (0020,0037); ``axes[2]`` runs from the first slice's
(0020,0032) to the last one's. Without gantry tilt that is the normal; with it, the stack
is sheared and ``axes[2]`` is the true direction, so every slice stays where it was.

Uneven stacks are resampled onto the median step by linear interpolation between the two
neighbouring slices at their true positions. Slices inside a gap of missing slices are
filled with the volume's lowest value (``Volume.background``, air on CT): the gap shows
as a dark band, never as interpolated tissue; NaN is not used because an int16 volume
cannot hold it and the display's lookup tables index by value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from lightbox.volume.records import (
    NotAVolume,
    SliceGeometry,
    Vector,
    VolumeError,
    VolumeWarning,
    millimetres,
)
from lightbox.volume.stack import analyse_spacing, find_stack

#: The largest volume built (bytes): 1 GiB. A 512×512×1,000 int16 CT (500 MiB) fits
#: with room for the page, the frame cache and wasm's 4 GiB address space.
MAX_VOLUME_BYTES = 1 << 30
#: The volume types: int16 when every modality value is an integer in range, else float32.
DTYPES = ("int16", "float32")
#: A target position this close (in steps) to a slice takes that slice as it is.
_SNAP = 1e-4


@dataclass(frozen=True)
class VolumePlan:
    """What :func:`build_volume` will make (see the module docstring for the grid).

    Attributes
    ----------
    shape : tuple of 3 int
        (slices, rows, columns) of the volume.
    dtype : str
        "int16" or "float32".
    nbytes : int
        Bytes of the volume's one array (the peak adds two frames).
    origin, axes, spacing
        As :class:`Volume`.
    positions : tuple of float
        The true positions (mm along the normal) of the source slices, ascending.
    order : tuple of int
        The caller's frame index of each source slice, in that order.
    gaps : tuple of (float, float)
        The positions on either side of each gap of missing slices.
    warnings : tuple of VolumeWarning
    resampled : bool
        False when the source slices are the volume's slices as they are (their steps
        agree within the tolerance, no gap); True when the volume's slices are blends.
    labels : tuple of str
        How messages name each source slice, in that order.
    """

    shape: tuple[int, int, int]
    dtype: str
    nbytes: int
    origin: Vector
    axes: tuple[Vector, Vector, Vector]
    spacing: Vector
    positions: tuple[float, ...]
    order: tuple[int, ...]
    gaps: tuple[tuple[float, float], ...]
    warnings: tuple[VolumeWarning, ...]
    resampled: bool = True
    labels: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Volume:
    """Modality values on a grid in patient coordinates (read-only).

    Attributes
    ----------
    data : numpy.ndarray
        (z, y, x) int16 or float32, C-contiguous, not writeable.
    origin : Vector
        Patient position (mm) of the centre of voxel (0, 0, 0).
    axes : tuple of 3 Vector
        Unit vectors in patient space of increasing x (along a row), y (down the
        columns) and z (slice to slice).
    spacing : Vector
        mm per step along each axis, in the order (x, y, z).
    positions : tuple of float
        The true positions (mm along the normal) of the slices it was built from.
    warnings : tuple of VolumeWarning
        Tilt, uneven spacing, missing slices: what the viewer tells the user.
    gaps : tuple of (float, float)
        The stretches (mm along the normal) where slices are missing.
    background : float
        The lowest value of the source frames: the value of gap slices, and of
        samples outside the volume.
    """

    data: np.ndarray
    origin: Vector
    axes: tuple[Vector, Vector, Vector]
    spacing: Vector
    positions: tuple[float, ...]
    warnings: tuple[VolumeWarning, ...]
    gaps: tuple[tuple[float, float], ...] = ()
    background: float = 0.0

    @property
    def normal(self) -> np.ndarray:
        """The normal of the slices (row cosines × column cosines), unit length."""
        result: np.ndarray = np.cross(self.axes[0], self.axes[1])
        return result

    @property
    def grid(self) -> np.ndarray:
        """3×3 matrix whose columns are the steps (mm) along x, y and z in patient space."""
        result: np.ndarray = np.asarray(self.axes, dtype=np.float64).T * np.asarray(self.spacing)
        return result

    def to_patient(self, index_xyz: np.ndarray) -> np.ndarray:
        """Patient mm of voxel coordinates (..., 3) given as (x, y, z)."""
        result: np.ndarray = np.asarray(self.origin) + np.asarray(index_xyz) @ self.grid.T
        return result

    def to_index(self, points: np.ndarray) -> np.ndarray:
        """Voxel coordinates (x, y, z) of patient points (..., 3), fractional."""
        inverse = np.linalg.inv(self.grid)
        result: np.ndarray = (np.asarray(points) - np.asarray(self.origin)) @ inverse.T
        return result


def _size(nbytes: int) -> str:
    return f"{nbytes / 2**30:.2f} GiB" if nbytes >= 2**30 else f"{nbytes / 2**20:.0f} MiB"


def plan_volume(
    geometries: Sequence[SliceGeometry], dtype: str = "int16", budget: int = MAX_VOLUME_BYTES
) -> VolumePlan | NotAVolume:
    """Decide, from geometry only, whether frames are a volume and what it will be.

    Parameters
    ----------
    geometries : sequence of SliceGeometry
        One per frame of one group (one temporal position, one b-value).
    dtype : {"int16", "float32"}
        The modality values' type: int16 when rescaled values are integers in range.
    budget : int
        The most bytes the volume may take (default :data:`MAX_VOLUME_BYTES`).

    Returns
    -------
    VolumePlan or NotAVolume
        The plan, with its warnings (gantry tilt, uneven spacing, missing slices),
        or why the frames are not a volume, in plain words.

    References
    ----------
    PS3.3 C.7.6.2.1.1 Image Position and Image Orientation (Patient).
    """
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, not {dtype!r}")
    stack = find_stack(geometries)
    if isinstance(stack, NotAVolume):
        return stack
    spacing = analyse_spacing(stack.positions)
    shape = (spacing.count, stack.rows, stack.columns)
    nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if nbytes > budget:
        return NotAVolume(
            f"the volume would need {_size(nbytes)} ({stack.columns}×{stack.rows}×"
            f"{spacing.count} {dtype}), more than the {_size(budget)} budget"
        )
    warnings = []
    if stack.tilt_deg:
        warnings.append(VolumeWarning("tilt", f"gantry tilt of {stack.tilt_deg:.1f}° corrected"))
    if spacing.uneven:
        low, high = spacing.uneven
        warnings.append(
            VolumeWarning(
                "uneven-spacing",
                f"slice spacing varies from {millimetres(low)} to "
                f"{millimetres(high)} mm (resampled every {millimetres(spacing.step)} mm)",
            )
        )
    for start, end, missing in spacing.gaps:
        verb = "slice seems" if missing == 1 else "slices seem"
        warnings.append(
            VolumeWarning(
                "missing-slices",
                f"{missing} {verb} to be missing between "
                f"{millimetres(start)} and {millimetres(end)} mm",
            )
        )
    cosine = float(np.dot(stack.direction, stack.normal))
    return VolumePlan(
        shape=shape,
        dtype=dtype,
        nbytes=nbytes,
        origin=stack.first,
        axes=(stack.row, stack.column, stack.direction),
        spacing=(stack.spacing[1], stack.spacing[0], spacing.step / cosine),
        positions=stack.positions,
        order=stack.order,
        gaps=tuple((start, end) for start, end, _ in spacing.gaps),
        warnings=tuple(warnings),
        resampled=bool(spacing.uneven or spacing.gaps),
        labels=tuple(geometries[i].label or f"image {i + 1}" for i in stack.order),
    )


def slice_sources(plan: VolumePlan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each slice of the volume: the source slice below it, the weight of the one
    above (0: the slice itself), and whether it lies inside a gap.

    Indices count the sorted source slices (``plan.order`` maps them to frames). A plan
    that is not resampled takes every source slice as it is.
    """
    q = np.asarray(plan.positions, dtype=np.float64)
    count = plan.shape[0]
    if not plan.resampled:
        return np.arange(count), np.zeros(count), np.zeros(count, dtype=bool)
    target = q[0] + np.arange(count) * ((q[-1] - q[0]) / (count - 1))
    lower = np.clip(np.searchsorted(q, target, side="right") - 1, 0, len(q) - 2)
    weight = (target - q[lower]) / (q[lower + 1] - q[lower])
    upper = weight > 1 - _SNAP
    lower[upper] += 1
    weight[upper | (weight < _SNAP)] = 0.0
    starts = np.array([start for start, _ in plan.gaps], dtype=np.float64)
    between = weight > 0
    in_gap = np.zeros(count, dtype=bool)
    in_gap[between] = np.isin(q[lower[between]], starts)
    return lower, weight, in_gap


class _Frames:
    """Decoded source frames, at most two kept, each checked against the plan."""

    def __init__(self, plan: VolumePlan, frames: Callable[[int], np.ndarray]) -> None:
        self.plan, self.frames = plan, frames
        self.kept: dict[int, np.ndarray] = {}
        self.lowest = np.inf

    def get(self, index: int) -> np.ndarray:
        for old in [k for k in self.kept if k < index]:
            del self.kept[old]
        if index not in self.kept:
            self.kept[index] = self._checked(index, np.asarray(self.frames(self.plan.order[index])))
        return self.kept[index]

    def _checked(self, index: int, frame: np.ndarray) -> np.ndarray:
        name = self.plan.labels[index] if self.plan.labels else f"image {index + 1}"
        if frame.shape != self.plan.shape[1:]:
            raise VolumeError(
                name,
                f"the frame is {frame.shape}, the volume expects "
                f"{self.plan.shape[1:]} (rows, columns)",
            )
        integer = frame.dtype.kind in "biu"
        low = float(np.min(frame)) if integer else float(np.nanmin(frame))
        if self.plan.dtype == "int16" and not np.can_cast(frame.dtype, np.int16):
            if not integer:
                raise VolumeError(
                    name,
                    f"the frame holds {frame.dtype} values but the volume "
                    "is int16: plan it with dtype='float32'",
                )
            if low < -32768 or float(np.max(frame)) > 32767:
                raise VolumeError(
                    name, "the frame's values do not fit int16: plan it with dtype='float32'"
                )
        self.lowest = min(self.lowest, low)
        return frame


def build_volume(plan: VolumePlan, frames: Callable[[int], np.ndarray]) -> Volume:
    """Fill the planned volume, decoding one frame at a time.

    Parameters
    ----------
    plan : VolumePlan
        From :func:`plan_volume`.
    frames : callable
        ``frames(i)`` returns the modality values (rows, columns) of the caller's frame
        ``i`` (the index into the geometries given to :func:`plan_volume`). Each frame is
        asked for at most once, in slice order; at most two are held at a time.

    Returns
    -------
    Volume

    Raises
    ------
    VolumeError
        A frame's shape or values do not match the plan.
    """
    data = np.empty(plan.shape, dtype=plan.dtype)
    lower, weight, in_gap = slice_sources(plan)
    source = _Frames(plan, frames)
    blend = np.empty(plan.shape[1:], dtype=np.float32)
    for k in np.flatnonzero(~in_gap):
        below, w = source.get(int(lower[k])), float(weight[k])
        if w == 0.0:
            data[k] = below
            continue
        above = source.get(int(lower[k]) + 1)
        np.multiply(below, np.float32(1.0 - w), out=blend, casting="unsafe")
        blend += np.multiply(above, np.float32(w), dtype=np.float32)
        if plan.dtype == "int16":
            np.rint(blend, out=blend)
        data[k] = blend
    background = float(source.lowest)
    data[in_gap] = background
    data.flags.writeable = False
    return Volume(
        data=data,
        origin=plan.origin,
        axes=plan.axes,
        spacing=plan.spacing,
        positions=plan.positions,
        warnings=plan.warnings,
        gaps=plan.gaps,
        background=background,
    )
