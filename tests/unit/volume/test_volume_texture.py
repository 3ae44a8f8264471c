"""The volume sent to the page's 3D view: reduced in numpy, its grid where the voxels are.

Expectations come from outside lightbox.volume.texture: block means written as numpy
reshapes or explicit loops over the blocks here; positions from the standard's pixel
geometry (``tests.support.phantoms``: a linear field, whose block mean is its value at
the block's centre); the session's voxels from the files' stored values read by pydicom.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lightbox.session.session import NotAVolumeError, Session
from lightbox.volume import Volume
from lightbox.volume.texture import block_mean, reduction, volume_texture
from tests.support import phantoms
from tests.support import volumes as known
from tools import synth


def _volume(
    count: int = 9, rows: int = 10, columns: int = 14, dtype: str = "float32", step: float = 1.5
) -> Volume:
    spacing = (0.8, 0.6) if step != 1.0 else (1.0, 1.0)
    geometries = phantoms.stack(count, rows=rows, columns=columns, spacing=spacing, step=step)
    return phantoms.build_field(geometries, phantoms.linear, dtype)


def test_a_volume_within_the_limits_is_sent_as_it_is_without_a_copy() -> None:
    volume = _volume()
    texture = volume_texture(volume, max_voxels=10_000, max_dim=64)
    assert texture.data is volume.data
    assert texture.factors == (1, 1, 1)
    assert texture.origin == volume.origin and texture.spacing == volume.spacing
    assert texture.value_range == (float(volume.data.min()), float(volume.data.max()))


def test_reduction_takes_the_finest_axis_first_and_keeps_within_both_limits() -> None:
    # A 512 x 512 x 300 CT at 0.7 mm in plane, 1 mm slices: halving each axis is enough.
    assert reduction((512, 512, 300), (0.7, 0.7, 1.0), 256**3, 2048) == (2, 2, 2)
    # Only the in-plane axes are fine: they are reduced, the slices kept.
    assert reduction((512, 512, 60), (0.5, 0.5, 5.0), 256 * 256 * 60, 2048) == (2, 2, 1)
    # The texture size limit alone.
    assert reduction((300, 20, 20), (1.0, 1.0, 1.0), 10**9, 256) == (2, 1, 1)
    for dims, spacing, most, longest in [
        ((512, 512, 1000), (0.6, 0.6, 0.625), 256**3, 2048),
        ((97, 61, 33), (1.0, 2.0, 3.0), 5000, 40),
    ]:
        factors = reduction(dims, spacing, most, longest)
        sizes = [math.ceil(d / f) for d, f in zip(dims, factors, strict=True)]
        assert math.prod(sizes) <= most and max(sizes) <= longest


def test_a_block_mean_is_numpys_mean_over_each_block() -> None:
    rng = np.random.default_rng(7)
    data = rng.normal(size=(6, 8, 12)).astype(np.float32)
    # factors are (x, y, z): blocks of 2 slices, 4 rows, 3 columns
    expected = data.reshape(3, 2, 2, 4, 4, 3).mean(axis=(1, 3, 5))
    np.testing.assert_allclose(block_mean(data, (3, 4, 2)), expected, rtol=1e-5, atol=1e-6)


def test_blocks_cut_short_at_the_far_ends_average_what_they_hold() -> None:
    rng = np.random.default_rng(8)
    data = rng.integers(-1000, 2000, size=(7, 5, 11)).astype(np.int16)
    got = block_mean(data, (4, 2, 3))
    assert got.shape == (3, 3, 3)
    for k in range(3):
        for j in range(3):
            for i in range(3):
                block = data[3 * k : 3 * k + 3, 2 * j : 2 * j + 2, 4 * i : 4 * i + 4]
                assert got[k, j, i] == pytest.approx(float(np.mean(block)), rel=1e-5)


def test_a_reduced_voxel_lies_at_the_centre_of_its_block() -> None:
    # The linear field's block mean is its value at the block centre, so each reduced voxel
    # must hold the field at the patient point its grid says.
    volume = _volume(count=12, rows=12, columns=16)
    texture = volume_texture(volume, max_voxels=500, max_dim=64)
    fx, fy, fz = texture.factors
    assert math.prod(texture.factors) > 1 and texture.data.size <= 500
    assert texture.spacing == pytest.approx((0.6 * fx, 0.8 * fy, 1.5 * fz))
    full = (12 // fz, 12 // fy, 16 // fx)  # the blocks that are whole
    z, y, x = np.mgrid[0 : full[0], 0 : full[1], 0 : full[2]]
    points = (
        np.asarray(texture.origin)
        + x[..., None] * texture.spacing[0] * np.asarray(texture.axes[0])
        + y[..., None] * texture.spacing[1] * np.asarray(texture.axes[1])
        + z[..., None] * texture.spacing[2] * np.asarray(texture.axes[2])
    )
    got = texture.data[: full[0], : full[1], : full[2]]
    np.testing.assert_allclose(got, phantoms.linear(points), atol=1e-3)


def test_an_int16_volume_stays_int16_rounded_to_the_nearest_integer() -> None:
    volume = _volume(count=8, rows=8, columns=8, dtype="int16", step=1.0)
    texture = volume_texture(volume, max_voxels=64, max_dim=64)
    assert texture.factors == (2, 2, 2) and texture.data.dtype == np.int16
    expected = np.rint(volume.data.astype(np.float64).reshape(4, 2, 4, 2, 4, 2).mean((1, 3, 5)))
    np.testing.assert_array_equal(texture.data, expected)


def test_a_missing_slice_is_sent_as_background_and_the_rest_at_their_positions() -> None:
    # Slices 1.5 mm apart with the one at 6 mm missing: the nominal grid has 8 slices, the
    # fifth is the gap.
    distances = [0.0, 1.5, 3.0, 4.5, 7.5, 9.0, 10.5]
    geometries = phantoms.stack(rows=6, columns=7, distances=distances)
    volume = phantoms.build_field(geometries)
    texture = volume_texture(volume, max_voxels=10_000, max_dim=64)
    assert texture.data.shape == (8, 6, 7) and texture.factors == (1, 1, 1)
    assert np.all(texture.data[4] == volume.background)
    for k, distance in zip([0, 1, 2, 3, 5, 6, 7], distances, strict=True):
        expected = phantoms.linear(phantoms.pixel_points(geometries[distances.index(distance)]))
        np.testing.assert_allclose(texture.data[k], expected, atol=1e-3)
        assert texture.spacing[2] * k == pytest.approx(distance)


def _session(datasets: list) -> Session:
    session = Session()
    session.open([(f"s{k:03d}.dcm", synth.to_bytes(d)) for k, d in enumerate(datasets)])
    return session


def test_the_session_sends_the_files_modality_values_reduced_by_numpy() -> None:
    datasets = known.series([2.0 * k for k in range(8)], rows=20, columns=24)
    info, data = _session(datasets).volume_data(0, max_voxels=1000, max_dim=256)
    stored = np.stack([d.pixel_array.astype(np.float64) for d in datasets]) + known.INTERCEPT
    fx, fy, fz = info["factors"]
    assert info["dims"] == [24 // fx, 20 // fy, 8 // fz] and info["dtype"] == "int16"
    expected = stored.reshape(8 // fz, fz, 20 // fy, fy, 24 // fx, fx).mean(axis=(1, 3, 5))
    np.testing.assert_array_equal(data, np.rint(expected))
    assert info["range"] == [float(data.min()), float(data.max())]
    assert info["volume"]["dims"] == [24, 20, 8]
    assert info["modality"] == "CT" and info["windowWidth"] is not None


def test_the_session_refuses_images_that_are_not_a_volume() -> None:
    mixed = known.series([0, 2, 4, 6], name="mixed")
    mixed[2].ImageOrientationPatient = [1, 0, 0, 0, 0, -1]
    with pytest.raises(NotAVolumeError, match="not parallel"):
        _session(mixed).volume_data(0)
