"""A stack of frames as a volume in patient coordinates: plan from geometry, then fill.

:func:`plan_volume` decides from the frames' geometry alone (no pixel decoded) whether
they are a volume, what its grid is and how many bytes it needs; :func:`build_volume`
then decodes the frames one at a time, through a callback, into one preallocated array
(:class:`VolumeFill` does the same in steps its caller can stop between).

The grid. Voxel ``data[z, y, x]`` is centred at
``origin + x * spacing[0] * axes[0] + y * spacing[1] * axes[1] + z * spacing[2] * axes[2]``
(PS3.3 C.7.6.2.1.1 extended by the slice direction). ``axes[0]`` and ``axes[1]`` are the
row and column direction cosines of (0020,0037); ``axes[2]`` runs from the first slice's
(0020,0032) to the last one's. Without gantry tilt that is the normal; with it, the stack
is sheared and ``axes[2]`` is the true direction, so every slice stays where it was.

Uneven stacks keep their true slices: ``data`` holds every source slice as it is, and
``Volume.slices`` (a :class:`~lightbox.volume.sampling.SliceMap`) says where each lies
on the nominal z axis (steps of ``spacing[2]``, the median step), so that sampling
interpolates between the two nearest slices at their true positions; nothing is
resampled onto a uniform grid first. Inside a gap of missing slices, farther than half
a step from the slices beside it, a sample is the volume's lowest value
(``Volume.background``, air on CT): the gap shows as a dark band, never as
interpolated tissue; NaN is not used because an int16 volume cannot hold it and the
display's lookup tables index by value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lightbox.core.messages import Fixed, say
from lightbox.volume.records import (
    NotAVolume,
    SliceGeometry,
    Vector,
    VolumeError,
    VolumeWarning,
    millimetres,
)
from lightbox.volume.sampling import SliceMap
from lightbox.volume.stack import analyse_spacing, find_stack, gap_steps

#: The largest volume built (bytes): 1 GiB. A 512×512×1,000 int16 CT (500 MiB) fits
#: with room for the page, the frame cache and wasm's 4 GiB address space.
MAX_VOLUME_BYTES = 1 << 30
#: A volume over the budget is built with neighbouring slices averaged in twos, threes or
#: fours, the fewest that fit (an even stack only: a 3,000-slice 512×512 CT, 1.5 GB,
#: becomes 1,500 slices of twice the spacing, 750 MiB); more than this many, and an
#: uneven stack over the budget, are refused with their size and the budget.
MAX_MERGED_SLICES = 4
#: The volume types: int16 when every modality value is an integer in range, else float32.
DTYPES = ("int16", "float32")


@dataclass(frozen=True)
class VolumePlan:
    """What :func:`build_volume` will make (see the module docstring for the grid).

    Attributes
    ----------
    shape : tuple of 3 int
        (slices, rows, columns) of the volume: every source slice, as it is.
    dtype : str
        "int16" or "float32".
    nbytes : int
        Bytes of the volume's one array (the peak adds one frame's modality values).
    origin, axes, spacing
        As :class:`Volume`.
    positions : tuple of float
        The true positions (mm along the normal) of the source slices, ascending.
    order : tuple of int
        The caller's frame index of each source slice, in that order.
    gaps : tuple of (float, float)
        The positions on either side of each gap of missing slices.
    warnings : tuple of VolumeWarning
    uneven : bool
        False when the slices lie on the nominal grid (their steps agree within the
        tolerance, no gap); True when sampling looks z up by the true positions.
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
    uneven: bool = False
    labels: tuple[str, ...] = ()
    #: Source slices averaged into each slice of the volume (1: each slice as it is);
    #: ``order`` then lists ``merged`` source slices per volume slice, in slice order, and
    #: ``positions`` are the volume slices' (their sources' mean).
    merged: int = 1


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
        The lowest value of the source frames: the value of samples inside a gap,
        and of samples outside the volume.
    slices : SliceMap or None
        For an uneven stack, where each stored slice lies on the nominal z axis
        (``to_patient`` and ``to_index`` work on that axis); None when the slices
        are the nominal grid's.
    """

    data: np.ndarray[Any, Any]
    origin: Vector
    axes: tuple[Vector, Vector, Vector]
    spacing: Vector
    positions: tuple[float, ...]
    warnings: tuple[VolumeWarning, ...]
    gaps: tuple[tuple[float, float], ...] = ()
    background: float = 0.0
    slices: SliceMap | None = None

    @property
    def slice_grid(self) -> np.ndarray[Any, Any]:
        """The nominal z coordinate of each stored slice (0, 1, 2, ... when even)."""
        if self.slices is None:
            return np.arange(self.data.shape[0], dtype=np.float64)
        return self.slices.grid

    @property
    def extent(self) -> tuple[float, float, float]:
        """The nominal coordinates (x, y, z) of the last voxel centre on each axis."""
        nz, ny, nx = self.data.shape
        last = float(nz - 1) if self.slices is None else self.slices.extent
        return float(nx - 1), float(ny - 1), last

    @property
    def normal(self) -> np.ndarray[Any, Any]:
        """The normal of the slices (row cosines × column cosines), unit length."""
        result: np.ndarray[Any, Any] = np.cross(self.axes[0], self.axes[1])
        return result

    @property
    def grid(self) -> np.ndarray[Any, Any]:
        """3×3 matrix whose columns are the steps (mm) along x, y and z in patient space."""
        result: np.ndarray[Any, Any] = np.asarray(self.axes, dtype=np.float64).T * np.asarray(
            self.spacing
        )
        return result

    def to_patient(self, index_xyz: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Patient mm of voxel coordinates (..., 3) given as (x, y, z)."""
        result: np.ndarray[Any, Any] = np.asarray(self.origin) + np.asarray(index_xyz) @ self.grid.T
        return result

    def to_index(self, points: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Voxel coordinates (x, y, z) of patient points (..., 3), fractional."""
        inverse = np.linalg.inv(self.grid)
        result: np.ndarray[Any, Any] = (np.asarray(points) - np.asarray(self.origin)) @ inverse.T
        return result


def _mm(value: float) -> float:
    """A distance for a message as :func:`millimetres` writes it, as a number (the page
    writes it the language's way)."""
    return float(millimetres(value))


def _size(nbytes: int) -> str:
    if nbytes >= 2**30:
        return say("engine.gib", size=Fixed(nbytes / 2**30, 2))
    return say("engine.mib", size=Fixed(nbytes / 2**20, 0))


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
    shape = (len(stack.positions), stack.rows, stack.columns)
    nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    merged = 1
    if nbytes > budget:
        per_slice = nbytes // shape[0]
        merged = 2
        while merged <= MAX_MERGED_SLICES and shape[0] // merged * per_slice > budget:
            merged += 1
        if merged > MAX_MERGED_SLICES or spacing.uneven or spacing.gaps or shape[0] < 2 * merged:
            return NotAVolume(
                say(
                    "engine.volume_too_large",
                    size=_size(nbytes),
                    columns=stack.columns,
                    rows=stack.rows,
                    slices=shape[0],
                    dtype=dtype,
                    budget=_size(budget),
                )
            )
    warnings = []
    if merged > 1:
        kept = shape[0] // merged * merged  # a last part-group is left out
        shape = (kept // merged, stack.rows, stack.columns)
        warnings.append(
            VolumeWarning(
                "merged-slices",
                say(
                    "engine.volume_merged",
                    merged=merged,
                    slices=shape[0],
                    step=_mm(spacing.step * merged),
                    size=_size(nbytes),
                    budget=_size(budget),
                ),
            )
        )
        nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if stack.tilt_deg:
        tilt = say("engine.gantry_tilt", degrees=Fixed(stack.tilt_deg, 1))
        warnings.append(VolumeWarning("tilt", tilt))
    if spacing.uneven:
        low, high = spacing.uneven
        warnings.append(
            VolumeWarning(
                "uneven-spacing",
                say("engine.uneven_spacing", low=_mm(low), high=_mm(high)),
            )
        )
    for start, end, missing in spacing.gaps:
        warnings.append(
            VolumeWarning(
                "missing-slices",
                say("engine.missing_slices", count=missing, start=_mm(start), end=_mm(end)),
            )
        )
    cosine = float(np.dot(stack.direction, stack.normal))
    step = spacing.step / cosine  # mm between source slices along axes[2]
    positions, order = stack.positions, stack.order
    origin = stack.first
    if merged > 1:
        used = shape[0] * merged
        positions = tuple(
            float(v) for v in np.asarray(positions[:used]).reshape(-1, merged).mean(axis=1)
        )
        order = order[:used]
        shift = (merged - 1) / 2 * step  # the first group's middle
        d = stack.direction
        origin = (origin[0] + shift * d[0], origin[1] + shift * d[1], origin[2] + shift * d[2])
    return VolumePlan(
        shape=shape,
        dtype=dtype,
        nbytes=nbytes,
        origin=origin,
        axes=(stack.row, stack.column, stack.direction),
        spacing=(stack.spacing[1], stack.spacing[0], step * merged),
        positions=positions,
        order=order,
        gaps=tuple((start, end) for start, end, _ in spacing.gaps),
        warnings=tuple(warnings),
        uneven=bool(spacing.uneven or spacing.gaps),
        labels=tuple(geometries[i].label or f"image {i + 1}" for i in order),
        merged=merged,
    )


class _Frames:
    """Decoded source frames, each checked against the plan; their lowest value kept."""

    def __init__(self, plan: VolumePlan, frames: Callable[[int], np.ndarray[Any, Any]]) -> None:
        self.plan, self.frames = plan, frames
        self.lowest = np.inf

    def get(self, index: int) -> np.ndarray[Any, Any]:
        return self._checked(index, np.asarray(self.frames(self.plan.order[index])))

    def slice(self, index: int) -> np.ndarray[Any, Any]:
        """The volume's slice ``index``: its source slice, or the mean of its
        ``plan.merged`` source slices (rounded half to even for an int16 volume)."""
        k = self.plan.merged
        if k == 1:
            return self.get(index)
        total = np.zeros(self.plan.shape[1:], np.float64)
        for i in range(index * k, index * k + k):
            total += self.get(i)
        mean = total / k
        return np.rint(mean) if self.plan.dtype == "int16" else mean

    def _checked(self, index: int, frame: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
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


class VolumeFill:
    """A planned volume filled in steps, slice by slice, so that its caller may stop
    between them (the browser's Cancel of a long build, issue 18 item 8): dropping an
    unfinished fill releases its array.

    Parameters
    ----------
    plan : VolumePlan
        From :func:`plan_volume`.
    frames : callable
        As :func:`build_volume`'s.
    """

    def __init__(self, plan: VolumePlan, frames: Callable[[int], np.ndarray[Any, Any]]) -> None:
        self.plan = plan
        self.data = np.empty(plan.shape, dtype=plan.dtype)
        self._source = _Frames(plan, frames)
        #: Slices filled so far, in slice order.
        self.done = 0

    @property
    def total(self) -> int:
        """The slices to fill."""
        return self.plan.shape[0]

    def step(self, count: int = 1) -> int:
        """Fill up to ``count`` more slices; return the slices filled so far.

        Raises
        ------
        VolumeError
            A frame's shape or values do not match the plan.
        """
        end = min(self.total, self.done + max(0, int(count)))
        for k in range(self.done, end):
            self.data[k] = self._source.slice(k)
            self.done = k + 1
        return self.done

    def finish(self) -> Volume:
        """The volume, once every slice is filled (the array becomes read-only)."""
        if self.done < self.total:
            raise ValueError(f"the volume is filled to slice {self.done} of {self.total}")
        plan, data = self.plan, self.data
        background = float(self._source.lowest)
        data.flags.writeable = False
        slices = None
        if plan.uneven:
            q = np.asarray(plan.positions, dtype=np.float64)
            step = plan.spacing[2] * float(
                np.dot(plan.axes[2], np.cross(plan.axes[0], plan.axes[1]))
            )
            slices = SliceMap((q - q[0]) / step, gap_steps(q), background)
        return Volume(
            data=data,
            origin=plan.origin,
            axes=plan.axes,
            spacing=plan.spacing,
            positions=plan.positions,
            warnings=plan.warnings,
            gaps=plan.gaps,
            background=background,
            slices=slices,
        )


def build_volume(plan: VolumePlan, frames: Callable[[int], np.ndarray[Any, Any]]) -> Volume:
    """Fill the planned volume, decoding one frame at a time.

    Parameters
    ----------
    plan : VolumePlan
        From :func:`plan_volume`.
    frames : callable
        ``frames(i)`` returns the modality values (rows, columns) of the caller's frame
        ``i`` (the index into the geometries given to :func:`plan_volume`). Each frame is
        asked for exactly once, in slice order; one is held at a time.

    Returns
    -------
    Volume

    Raises
    ------
    VolumeError
        A frame's shape or values do not match the plan.
    """
    fill = VolumeFill(plan, frames)
    fill.step(fill.total)
    return fill.finish()
