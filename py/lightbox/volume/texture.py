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
