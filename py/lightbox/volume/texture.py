"""A volume as a regular grid small enough for the page's 3D view (issue 14 item 4).

The page renders a volume in WebGL2 from one 3D texture: a regular grid of voxels, no
larger than ``max_voxels`` in all and ``max_dim`` along any axis (the page's
``MAX_3D_TEXTURE_SIZE``). :func:`volume_texture` gives that grid. A volume that fits is
returned as it is (its own array: nothing is copied in Python). One that does not is
reduced by whole factors per axis, the finest-spaced axis first, each output voxel the
mean of its block of source voxels (numpy, accumulated block offset by block offset, so
the only new array is the output). An uneven stack (true slice positions kept, gaps)
is first sampled on its nominal z grid between the two nearest slices, a gap showing
as the volume's background, as the MPR views do; that too makes only the output.
A block at the far end of an axis that the factor does not divide is the mean of the
voxels it has; its centre is taken as the grid's (at most half a block off).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lightbox.volume.build import Volume
from lightbox.volume.records import Vector

#: The most voxels sent to the page by default: 256³ (32 MiB as int16). Software WebGL
#: (no GPU) renders such a texture at interactive rates; 512×512×300 is reduced to
#: 256×256×150.
DEFAULT_MAX_VOXELS = 256**3
#: The smallest ``MAX_3D_TEXTURE_SIZE`` WebGL2 guarantees.
DEFAULT_MAX_DIM = 256


@dataclass(frozen=True, eq=False)
class VolumeTexture:
    """A regular grid of modality values for a 3D texture.

    Attributes
    ----------
    data : numpy.ndarray
        (z, y, x) int16 or float32, C-contiguous: the volume's own array when it fits.
    origin : Vector
        Patient mm of the centre of voxel (0, 0, 0).
    axes : tuple of 3 Vector
        Unit vectors of increasing x, y and z (as :class:`~lightbox.volume.Volume`).
    spacing : Vector
        mm per voxel along x, y and z.
    factors : tuple of 3 int
        How many source voxels (x, y, z) each voxel averages (1, 1, 1: none).
    value_range : tuple of 2 float
        The lowest and highest value of ``data``.
    """

    data: np.ndarray[Any, Any]
    origin: Vector
    axes: tuple[Vector, Vector, Vector]
    spacing: Vector
    factors: tuple[int, int, int]
    value_range: tuple[float, float]


def reduction(
    dims: tuple[int, int, int],
    spacing: tuple[float, float, float],
    max_voxels: int = DEFAULT_MAX_VOXELS,
    max_dim: int = DEFAULT_MAX_DIM,
) -> tuple[int, int, int]:
    """Whole factors (x, y, z) that bring ``dims`` (x, y, z) within the limits.

    Each step raises the factor of the axis whose reduced spacing is finest (the most
    voxels per mm), among those still longer than one voxel, so that the grid stays as
    near to isotropic as whole factors allow; an axis longer than ``max_dim`` is
    reduced first.
    """
    if max_voxels < 1 or max_dim < 1:
        raise ValueError(f"limits must be positive, not {max_voxels}, {max_dim}")
    factors = [1, 1, 1]

    def size(axis: int) -> int:
        return math.ceil(dims[axis] / factors[axis])

    while True:
        sizes = [size(a) for a in range(3)]
        too_long = [a for a in range(3) if sizes[a] > max_dim]
        if not too_long and math.prod(sizes) <= max_voxels:
            return factors[0], factors[1], factors[2]
        candidates = too_long or [a for a in range(3) if sizes[a] > 1]
        axis = min(candidates, key=lambda a: (spacing[a] * factors[a], -sizes[a]))
        factors[axis] += 1


def block_mean(data: np.ndarray[Any, Any], factors: tuple[int, int, int]) -> np.ndarray[Any, Any]:
    """The mean of each (fz, fy, fx) block of a (z, y, x) array (``factors`` is (x, y, z));
    blocks cut short at the far ends average what they hold. float32 out."""
    fx, fy, fz = factors
    nz, ny, nx = data.shape
    out_shape = (math.ceil(nz / fz), math.ceil(ny / fy), math.ceil(nx / fx))
    total = np.zeros(out_shape, dtype=np.float32)
    count = np.zeros(out_shape, dtype=np.float32)
    for dz in range(fz):
        for dy in range(fy):
            for dx in range(fx):
                part = data[dz::fz, dy::fy, dx::fx]
                if part.size == 0:
                    continue
                region = (slice(0, part.shape[0]), slice(0, part.shape[1]), slice(0, part.shape[2]))
                total[region] += part
                count[region] += 1.0
    total /= count
    return total


def _nominal_slices(volume: Volume, fz: int) -> np.ndarray[Any, Any]:
    """An uneven stack sampled on its nominal z grid at the centres of z blocks of ``fz``
    steps, between the two nearest stored slices (a gap: the background). float32."""
    assert volume.slices is not None
    steps = math.floor(volume.slices.extent + 1e-6) + 1
    centres = np.arange(math.ceil(steps / fz), dtype=np.float64) * fz + (fz - 1) / 2
    centres = np.minimum(centres, volume.slices.extent)
    index, gap = volume.slices.index(centres)
    last = volume.data.shape[0] - 1
    low = np.clip(np.floor(index).astype(np.int64), 0, last)
    high = np.minimum(low + 1, last)
    weight = (index - low).astype(np.float32)
    out = np.empty((len(centres), *volume.data.shape[1:]), dtype=np.float32)
    for k in range(len(centres)):
        if gap[k]:
            out[k] = volume.background
            continue
        out[k] = volume.data[low[k]]
        if weight[k] > 0:
            out[k] *= 1.0 - weight[k]
            out[k] += weight[k] * volume.data[high[k]].astype(np.float32)
    return out


def volume_texture(
    volume: Volume, max_voxels: int = DEFAULT_MAX_VOXELS, max_dim: int = DEFAULT_MAX_DIM
) -> VolumeTexture:
    """The volume on a regular grid within the limits (see the module docstring).

    Parameters
    ----------
    volume : Volume
    max_voxels : int
        The most voxels in all (default :data:`DEFAULT_MAX_VOXELS`).
    max_dim : int
        The most voxels along any axis (the page's ``MAX_3D_TEXTURE_SIZE``).

    Returns
    -------
    VolumeTexture
        int16 for an int16 volume (means rounded to the nearest integer), else float32.
    """
    nz, ny, nx = volume.data.shape
    nominal_z = nz if volume.slices is None else math.floor(volume.slices.extent + 1e-6) + 1
    factors = reduction((nx, ny, nominal_z), volume.spacing, max_voxels, max_dim)
    fx, fy, fz = factors
    if factors == (1, 1, 1) and volume.slices is None:
        data = volume.data
    else:
        if volume.slices is None:
            reduced = block_mean(volume.data, factors)
        else:
            reduced = block_mean(_nominal_slices(volume, fz), (fx, fy, 1))
        if volume.data.dtype == np.int16:
            data = np.rint(reduced, out=reduced).astype(np.int16)
        else:
            data = reduced
    axes = np.asarray(volume.axes, dtype=np.float64)
    shift = np.array([(fx - 1) / 2, (fy - 1) / 2, (fz - 1) / 2]) * np.asarray(volume.spacing)
    origin = np.asarray(volume.origin, dtype=np.float64) + shift @ axes
    spacing = (volume.spacing[0] * fx, volume.spacing[1] * fy, volume.spacing[2] * fz)
    low, high = (float(np.min(data)), float(np.max(data))) if data.size else (0.0, 0.0)
    return VolumeTexture(
        data=data,
        origin=(float(origin[0]), float(origin[1]), float(origin[2])),
        axes=volume.axes,
        spacing=spacing,
        factors=factors,
        value_range=(low, high),
    )


@dataclass(frozen=True, eq=False)
class LabelTexture:
    """A label volume on the grid of :func:`volume_texture` (issue 16 item 4: segments in
    the 3D view).

    Attributes
    ----------
    data : numpy.ndarray
        (z, y, x) uint8 (uint16 past 255 labels), C-contiguous: each voxel's label, 0 none.
    factors : tuple of 3 int
        The source voxels (x, y, z) each voxel stands for, as the texture's.
    """

    data: np.ndarray[Any, Any]
    factors: tuple[int, int, int]


def block_label(
    labels: np.ndarray[Any, Any], factors: tuple[int, int, int]
) -> np.ndarray[Any, Any]:
    """The label of each (fz, fy, fx) block of a (z, y, x) label array (``factors`` is
    (x, y, z)): the non-zero label that the most of the block's voxels hold (of two as
    many, the lower), 0 where none holds one, so a label set on any voxel of a block
    marks it. Blocks cut short at the far ends count what they hold."""
    fx, fy, fz = factors
    nz, ny, nx = labels.shape
    out_shape = (math.ceil(nz / fz), math.ceil(ny / fy), math.ceil(nx / fx))
    out = np.zeros(out_shape, dtype=labels.dtype)
    if factors == (1, 1, 1):
        out[...] = labels
        return out
    best = np.zeros(out_shape, dtype=np.int32)
    for value in np.unique(labels).tolist():
        if value == 0:
            continue
        count = np.zeros(out_shape, dtype=np.int32)
        hit = labels == value
        for dz in range(fz):
            for dy in range(fy):
                for dx in range(fx):
                    part = hit[dz::fz, dy::fy, dx::fx]
                    count[: part.shape[0], : part.shape[1], : part.shape[2]] += part
        more = count > best  # ascending labels: a tie keeps the lower
        out[more] = value
        best[more] = count[more]
    return out


def label_texture(
    volume: Volume,
    slice_labels: Callable[[int], np.ndarray[Any, Any] | None],
    max_voxels: int = DEFAULT_MAX_VOXELS,
    max_dim: int = DEFAULT_MAX_DIM,
    dtype: Any = np.uint8,
) -> LabelTexture:
    """Labels on the grid :func:`volume_texture` gives ``volume`` with the same limits.

    ``slice_labels(k)`` is stored slice k's labels, (rows, columns) of the volume's, or
    None where it has none. Each output voxel is :func:`block_label` of its block; an
    uneven stack's nominal z steps take the nearest stored slice (a gap: no label), as
    the texture samples them between the two nearest. Built z block by z block, so that
    only the output and one block of slices are held.
    """
    nz, ny, nx = volume.data.shape
    nominal_z = nz if volume.slices is None else math.floor(volume.slices.extent + 1e-6) + 1
    factors = reduction((nx, ny, nominal_z), volume.spacing, max_voxels, max_dim)
    fx, fy, fz = factors
    if volume.slices is None:
        stored = np.arange(nz)
    else:
        index, gap = volume.slices.index(np.arange(nominal_z, dtype=np.float64))
        stored = np.where(gap, -1, np.clip(np.rint(index), 0, nz - 1).astype(np.int64))
    out = np.zeros((math.ceil(nominal_z / fz), math.ceil(ny / fy), math.ceil(nx / fx)), dtype)
    kept: dict[int, np.ndarray[Any, Any] | None] = {}
    for block in range(out.shape[0]):
        steps = stored[block * fz : (block + 1) * fz]
        found: list[np.ndarray[Any, Any]] = []
        for k in steps.tolist():
            if k < 0:
                continue
            if k not in kept:
                kept = {k: slice_labels(k)}  # nearest slices repeat only in a row
            labels = kept[k]
            if labels is not None:
                found.append(labels)
        if not found:
            continue
        chunk = np.zeros((len(found), ny, nx), dtype)
        for i, labels in enumerate(found):
            chunk[i] = labels
        out[block] = block_label(chunk, factors)[0]
    return LabelTexture(data=out, factors=factors)
