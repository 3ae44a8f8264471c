"""lightbox.volume.project: MIP, MinIP and average slabs; full and rotating MIPs.

Truths from outside the code: a sphere of radius R projects to a disc of radius R from
any direction; a distance cone ``R - |P - C|`` projects to ``R - rho``; a ramp along
the slab's normal has its maximum, minimum and mean at the slab's far face, near face
and centre; and, on a grid the image falls on, numpy's own max/min/mean over the voxel
slices inside the slab.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lightbox.volume import (
    Volume,
    full_mip,
    plane_geometry,
    project,
    rotating_mip,
    sample,
    slab,
)
from lightbox.volume.build import build_volume
from lightbox.volume.project import _along_planes, _volume_axis
from lightbox.volume.reslice import standard_geometry
from tests.support.phantoms import planned, stack, turned

SIZE, RADIUS = 41, 12.0
CENTRE = np.array([20.0, 20.0, 20.0])  # a 1 mm grid from (0, 0, 0): voxel (20, 20, 20)


def _phantom(field, size: int = SIZE) -> Volume:
    geometries = stack(size, rows=size, columns=size)
    return build_volume(
        planned(geometries, dtype="float32"),
        lambda i: field(_points(geometries[i])).astype(np.float32),
    )


def _points(geometry) -> np.ndarray:
    r, c = np.mgrid[0 : geometry.rows, 0 : geometry.columns]
    return np.asarray(geometry.position) + np.stack([c, r, np.zeros_like(r)], -1).astype(float)


def _sphere(point: np.ndarray, centre: np.ndarray = CENTRE) -> np.ndarray:
    return np.where(np.linalg.norm(point - centre, axis=-1) <= RADIUS, 100.0, 0.0)


def _cone(point: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, RADIUS - np.linalg.norm(point - CENTRE, axis=-1))


def _rho(geometry) -> np.ndarray:
    """In-plane distance (mm) of every pixel from the sphere's centre."""
    r, c = np.mgrid[0 : geometry.rows, 0 : geometry.columns]
    offset = geometry.to_patient(r, c) - CENTRE
    return np.linalg.norm(
        offset
        - np.outer(offset.reshape(-1, 3) @ geometry.normal, geometry.normal).reshape(offset.shape),
        axis=-1,
    )


DIRECTIONS = [
    pytest.param((0, 0, 1), (0, -1, 0), id="axial"),
    pytest.param((0, 1, 0), (0, 0, 1), id="coronal"),
    pytest.param((-1, 0, 0), (0, 0, 1), id="sagittal"),
    pytest.param((1, 2, 3), (0, 0, 1), id="oblique"),
    pytest.param((0.3, -1, 0.2), (0, 0, 1), id="oblique-2"),
]


@pytest.mark.parametrize("normal, up", DIRECTIONS)
def test_the_mip_of_a_sphere_is_a_disc_of_its_radius(normal: tuple, up: tuple) -> None:
    view = full_mip(_phantom(_sphere), normal, up)
    disc = view.image >= 50
    assert math.sqrt(disc.sum() / math.pi) == pytest.approx(RADIUS, abs=0.5)
    rho = _rho(view.geometry)
    assert np.all(disc[rho < RADIUS - 1]) and not np.any(disc[rho > RADIUS + 1])


@pytest.mark.parametrize("normal, up", DIRECTIONS)
def test_the_mip_of_a_cone_is_its_profile(normal: tuple, up: tuple) -> None:
    view = full_mip(_phantom(_cone), normal, up)
    rho = _rho(view.geometry)
    ring = (rho > 2) & (rho < RADIUS - 2)
    np.testing.assert_allclose(view.image[ring], RADIUS - rho[ring], atol=0.35)
    assert np.all(view.image[rho > RADIUS + 1.5] == 0)


RAMP_NORMALS = [
    pytest.param((0, 0, 1), (0, -1, 0), id="along-z"),
    pytest.param((0, 1, 0), (0, 0, 1), id="along-y"),
    pytest.param((0.6, 0, 0.8), (0, 1, 0), id="oblique"),
    pytest.param((1, -2, 2), (0, 0, 1), id="double-oblique"),
]

MODES = [
    pytest.param("mip", 3.0, id="mip"),  # the far face: +T/2
    pytest.param("minip", -3.0, id="minip"),  # the near face: -T/2
    pytest.param("average", 0.0, id="average"),  # the centre
]


@pytest.mark.parametrize("normal, up", RAMP_NORMALS)
@pytest.mark.parametrize("mode, offset", MODES)
def test_a_ramp_along_the_normal(normal: tuple, up: tuple, mode: str, offset: float) -> None:
    # f = P · n; a 6 mm slab centred at the volume's centre samples f - 3 .. f + 3 (1 mm
    # steps, the volume's finest spacing), all inside the volume.
    n = np.asarray(normal, float) / np.linalg.norm(normal)
    volume = _phantom(lambda p: p @ n)
    image = slab(volume, CENTRE, normal, up, 6.0, mode, size_px=9, pixel_mm=1.0)
    geometry = plane_geometry(CENTRE, normal, up, 9, 1.0)
    r, c = np.mgrid[0:9, 0:9]
    expected = geometry.to_patient(r, c) @ n + offset
    np.testing.assert_allclose(image, expected, atol=1e-3)


@pytest.mark.parametrize(
    "mode, reduce",
    [
        pytest.param("mip", np.max, id="mip"),
        pytest.param("minip", np.min, id="minip"),
        pytest.param("average", np.mean, id="average"),
    ],
)
@pytest.mark.parametrize(
    "name, axis, position, thickness, samples",
    [
        # Coronal at y = 5 mm, 4 mm thick, 1 mm steps: the voxel slices y = 3 .. 7.
        pytest.param("coronal", 1, 5.0, 4.0, [3, 4, 5, 6, 7], id="coronal"),
        # Sagittal position is -x: -6 is x = 6; 2.5 mm thick reaches x = 5 .. 7.
        pytest.param("sagittal", 2, -6.0, 2.5, [5, 6, 7], id="sagittal"),
        # Axial at z = 8.5 (between slices), 3 mm thick: samples at z = 7.5, 8.5, 9.5.
        pytest.param("axial", 0, 8.5, 3.0, [7.5, 8.5, 9.5], id="axial-between-slices"),
        # Near the top (z = 14): z = 12 .. 16, of which 12 .. 14 are inside.
        pytest.param("axial", 0, 14.0, 4.0, [12, 13, 14], id="axial-half-outside"),
    ],
)
def test_slabs_along_an_axis_against_numpy(
    mode, reduce, name, axis, position, thickness, samples
) -> None:
    rng = np.random.default_rng(7)
    data = rng.integers(-500, 500, size=(15, 12, 13)).astype(np.int16)
    volume = build_volume(planned(stack(15, rows=12, columns=13)), lambda i: data[i])
    geometry = standard_geometry(volume, name, position)
    planes = []
    for at in samples:  # a sample between two voxel slices is their linear blend
        low, weight = int(at), at - int(at)
        planes.append(
            np.take(data, low, axis=axis) * (1 - weight)
            + (np.take(data, low + 1, axis=axis) * weight if weight else 0)
        )
    expected = reduce(np.stack(planes), axis=0)
    if name != "axial":
        expected = expected[::-1]  # rows run from the head down
    np.testing.assert_allclose(
        project(volume, geometry, thickness, mode), expected, rtol=1e-5, atol=1e-3
    )


@pytest.mark.parametrize("mode", ["mip", "minip", "average"])
@pytest.mark.parametrize(
    "offset, pixel, tolerance",
    [
        pytest.param(0.0, 1.0, 1e-4, id="pixels-on-voxels"),  # the same samples, in any order
        pytest.param(0.3, 1.0, 1e-3, id="between-slices"),  # blended slices: still the same
        # Reduce, then interpolate: the same for the average (both linear); the MIP and MinIP
        # of this field differ by up to 0.73 (the bilinear error at 0.7 mm pixels).
        pytest.param(0.3, 0.7, 1.0, id="pixels-between-voxels"),
    ],
)
def test_the_axis_shortcut_agrees_with_sampling_plane_by_plane(
    mode: str, offset: float, pixel: float, tolerance: float
) -> None:
    # A smooth field (values -100 .. 140, at most 20 per mm).
    volume = _phantom(lambda p: np.sin(p[..., 0] / 5) * np.cos(p[..., 2] / 7) * 100 + p[..., 1])
    centre = CENTRE + (0.0, 0.0, offset) if pixel == 1.0 else CENTRE + offset
    geometry = plane_geometry(centre, (0, 0, 1), (0, -1, 0), 25, pixel)
    fast = project(volume, geometry, 8.0, mode)
    slow = _along_planes(volume, geometry, 8.0, mode, 1.0)
    np.testing.assert_allclose(fast, slow, atol=1e-3 if mode == "average" else tolerance)


def test_a_slab_half_outside_averages_what_is_inside() -> None:
    # f = z; the top slice is z = 40; a 6 mm slab there has samples at z = 37 .. 40 inside.
    volume = _phantom(lambda p: p[..., 2])
    for normal, up in (((0, 0, 1), (0, -1, 0)), ((0, 1e-3, 1), (0, -1, 0))):
        image = slab(volume, (20, 20, 40), normal, up, 6.0, "average", 5, 1.0)
        np.testing.assert_allclose(image, 38.5, atol=0.05)


def test_an_oblique_slab_at_the_edge_averages_each_pixels_own_samples() -> None:
    # f = P · n, n tipped 37° from +z; a 10 mm slab centred on the top face (z = 40).
    # Each pixel's samples P + t n (t = -5 .. 5 mm) count only inside the box
    # [-0.5, 40.5]³ (1 mm voxels), so the pixels have 6 to 11 of them; the average is
    # the mean of f over those inside (in the outer half voxel, f of the nearest edge).
    n = np.array([0.0, 0.6, 0.8])
    volume = _phantom(lambda p: p @ n)
    geometry = plane_geometry((20, 20, 40), n, (0, 1, 0), 11, 1.0)
    image = project(volume, geometry, 10.0, "average")
    r, c = np.mgrid[0:11, 0:11]
    points = geometry.to_patient(r, c)
    t = np.arange(-5.0, 6.0)
    samples = points[..., None, :] + t[:, None] * n
    inside = np.all((samples >= -0.5) & (samples <= 40.5), axis=-1)
    assert len(np.unique(inside.sum(axis=-1))) > 2
    values = np.clip(samples, 0, 40) @ n
    expected = (inside * values).sum(axis=-1) / inside.sum(axis=-1)
    np.testing.assert_allclose(image, expected, atol=1e-3)


@pytest.mark.parametrize(
    "stack_options, normal, up, axis",
    [
        pytest.param({}, (0, 0, 1), (0, -1, 0), 2, id="axial-of-axial"),
        pytest.param({}, (0, 1, 0), (0, 0, 1), 1, id="coronal-of-axial"),
        pytest.param({}, (-1, 0, 0), (0, 0, 1), 0, id="sagittal-of-axial"),
        pytest.param({}, (0, 0.1, 1), (0, -1, 0), None, id="tipped"),
        # Coronal turned 5° about z: the normal runs along no voxel axis.
        pytest.param({}, (-0.087, 0.996, 0), (0, 0, 1), None, id="turned"),
        # A tilted stack: voxel z runs along +z, not the normal; an axial plane cuts its rows.
        pytest.param(
            dict(orientation=turned((1, 0, 0, 0, 1, 0), "x", 20), direction=(0, 0, 1)),
            (0, 0, 1),
            (0, -1, 0),
            None,
            id="axial-of-tilted",
        ),
        # ... and a plane along its images' own normal has its rows sheared across z.
        pytest.param(
            dict(orientation=turned((1, 0, 0, 0, 1, 0), "x", 20), direction=(0, 0, 1)),
            (0, -0.342, 0.940),
            (0, -1, 0),
            None,
            id="image-plane-of-tilted",
        ),
        pytest.param(
            dict(orientation=turned((1, 0, 0, 0, 1, 0), "x", 20), direction=(0, 0, 1)),
            (1, 0, 0),
            (0, 0, 1),
            0,
            id="sagittal-of-tilted",
        ),
    ],
)
def test_which_slabs_take_the_axis_shortcut(stack_options, normal, up, axis) -> None:
    volume = build_volume(
        planned(stack(6, **stack_options), dtype="float32"), lambda i: np.zeros((8, 10), np.float32)
    )
    assert _volume_axis(volume, plane_geometry((0, 0, 0), normal, up, 3, 1.0)) == axis


def test_a_slab_entirely_outside_is_background() -> None:
    volume = _phantom(lambda p: p[..., 2] + 5)
    image = slab(volume, (20, 20, 60), (0, 0, 1), (0, -1, 0), 4.0, "mip", 5, 1.0)
    assert np.all(image == volume.background)


def test_rotating_mip_turns_about_the_vertical_axis() -> None:
    rng = np.random.default_rng(3)
    data = rng.normal(size=(15, 21, 21)).astype(np.float32)
    volume = build_volume(
        planned(stack(15, rows=21, columns=21), dtype="float32"), lambda i: data[i]
    )
    frames = list(rotating_mip(volume, 8))
    assert len(frames) == 8
    assert len({f.image.shape for f in frames}) == 1
    # The widest horizontal extent is the 21 mm square's diagonal, 29.7 mm: 30 columns,
    # the 21 of the coronal frame with margins of 5 (rounded up to an even split: 31).
    width = frames[0].image.shape[1]
    pad = (width - 21) // 2
    assert width == 31 and pad == 5
    coronal = full_mip(volume, (0, 1, 0), (0, 0, 1))
    np.testing.assert_allclose(frames[0].image[:, pad : pad + 21], coronal.image, atol=1e-6)
    # Independently: from the front, rows from the head down, columns from right to left.
    np.testing.assert_allclose(
        frames[0].image[:, pad : pad + 21], data.max(axis=1)[::-1], atol=1e-6
    )
    assert np.all(frames[0].image[:, :pad] == volume.background)
    # A quarter turn: seen from the patient's left (rows along +y); half: from the back.
    assert np.allclose(frames[2].geometry.row_direction, (0, 1, 0))
    np.testing.assert_allclose(
        frames[2].image[:, pad : pad + 21], data.max(axis=2)[::-1], atol=1e-6
    )
    np.testing.assert_allclose(
        frames[4].image[:, pad : pad + 21], data.max(axis=1)[::-1, ::-1], atol=1e-6
    )


def test_an_off_axis_sphere_swings_round() -> None:
    # A sphere 8 mm left of the axis: at turn t its centre projects 8 cos t mm right of
    # the image's centre column (rows run along (cos t, sin t, 0)).
    volume = _phantom(lambda p: _sphere(p, CENTRE + (8.0, 0.0, 0.0)))
    for k, view in enumerate(rotating_mip(volume, 12)):
        columns = np.nonzero(view.image >= 50)[1]
        middle = (view.image.shape[1] - 1) / 2
        expected = middle + 8.0 * math.cos(2 * math.pi * k / 12)
        assert columns.mean() == pytest.approx(expected, abs=0.3), k


@pytest.mark.parametrize(
    "call, message",
    [
        pytest.param(
            lambda v: slab(v, CENTRE, (0, 0, 1), (0, 1, 0), 4.0, "max"),
            "projection must be one of",
            id="mode",
        ),
        pytest.param(
            lambda v: slab(v, CENTRE, (0, 0, 1), (0, 1, 0), -1.0, "mip"),
            "slab thickness must be 0 mm or more",
            id="thickness",
        ),
        pytest.param(lambda v: list(rotating_mip(v, 0)), "at least one frame", id="count"),
    ],
)
def test_bad_arguments(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(_phantom(_cone, 5))


def test_a_zero_slab_is_the_plane() -> None:
    volume = _phantom(_cone)
    tilted = turned((1, 0, 0, 0, 1, 0), "x", 30)
    geometry = plane_geometry(CENTRE, np.cross(tilted[:3], tilted[3:]), (0, 0, 1), 15, 0.8)
    np.testing.assert_array_equal(
        project(volume, geometry, 0.0, "average"), sample(volume, geometry)
    )
