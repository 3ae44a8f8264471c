"""lightbox.volume.reslice: axial, coronal, sagittal and oblique planes, trilinear.

Three independent truths: a linear field of patient mm, which trilinear interpolation
must reproduce exactly on any plane at any angle (inside the volume); a direct,
point-by-point evaluation of the trilinear formula; and scipy's
``ndimage.map_coordinates(order=1)`` where scipy is installed (tests only).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lightbox.volume import (
    PlaneGeometry,
    Volume,
    plane,
    plane_geometry,
    sample,
    standard_geometry,
    standard_planes,
)
from lightbox.volume.build import build_volume
from tests.support.phantoms import (
    AXIAL,
    CORONAL,
    build_field,
    linear,
    planned,
    stack,
    turned,
)

VOLUMES = {
    "axial": lambda: build_field(stack(12, rows=11, columns=13)),
    "anisotropic": lambda: build_field(
        stack(9, rows=14, columns=12, spacing=(0.5, 0.8), step=2.0, first=(-3, 4, -8))
    ),
    "double-oblique": lambda: build_field(
        stack(
            10,
            rows=12,
            columns=12,
            orientation=turned(turned(AXIAL, "z", 25), "y", 35),
            step=1.5,
            first=(-4, 2, 9),
        )
    ),
    "tilted": lambda: build_field(
        stack(
            10,
            rows=12,
            columns=12,
            orientation=turned(AXIAL, "x", 20),
            direction=(0, 0, 1),
            step=1.5,
        )
    ),
    "uneven": lambda: build_field(
        stack(8, rows=12, columns=12, distances=[0, 1, 2, 3.5, 5, 6.5, 7.5, 9])
    ),
    "coronal": lambda: build_field(stack(10, rows=12, columns=12, orientation=CORONAL)),
}

#: (normal, up) of oblique planes; the standard planes come from standard_geometry.
OBLIQUES = {
    "tipped-axial": ((0.0, 0.3, 1.0), (0.0, -1.0, 0.0)),
    "double-oblique": ((1.0, 2.0, 3.0), (0.0, 0.0, 1.0)),
    "steep": ((-0.9, 0.1, 0.4), (0.3, 0.0, 1.0)),
    "coronal-turned-33": ((-math.sin(0.576), math.cos(0.576), 0.0), (0.0, 0.0, 1.0)),
}


def _geometry(volume: Volume, name: str) -> PlaneGeometry:
    if name in ("axial", "coronal", "sagittal"):
        return standard_geometry(volume, name, pixel_mm=0.37)
    normal, up = OBLIQUES[name]
    centre = volume.to_patient(np.array(volume.extent) / 2)
    return plane_geometry(centre, normal, up, (23, 29), (0.41, 0.53))


def _inside(volume: Volume, points: np.ndarray, margin: float) -> np.ndarray:
    """Points whose voxel coordinates lie within [margin, n - 1 - margin] on every axis."""
    index = volume.to_index(points)
    upper = np.array(volume.extent) - margin
    return np.all((index >= margin) & (index <= upper), axis=-1)


CASES = [
    pytest.param(v, p, id=f"{v}-{p}")
    for v in VOLUMES
    for p in ("axial", "coronal", "sagittal", *OBLIQUES)
]


@pytest.mark.parametrize("volume_name, plane_name", CASES)
def test_a_linear_field_is_reproduced_on_any_plane(volume_name: str, plane_name: str) -> None:
    volume = VOLUMES[volume_name]()
    geometry = _geometry(volume, plane_name)
    image = sample(volume, geometry)
    assert image.shape == (geometry.rows, geometry.columns) and image.dtype == np.float32
    r, c = np.mgrid[0 : geometry.rows, 0 : geometry.columns]
    points = geometry.to_patient(r, c)
    inside = _inside(volume, points, 0.0)
    assert inside.sum() > 40
    np.testing.assert_allclose(image[inside], linear(points[inside]), atol=1e-3)
    outside = ~_inside(volume, points, -0.5 - 1e-6)
    assert np.all(image[outside] == np.float32(volume.background))


def _trilinear_by_hand(data: np.ndarray, x: float, y: float, z: float) -> float:
    """The trilinear formula, one point at a time, clamped at the outer voxel centres."""
    nz, ny, nx = data.shape
    x, y, z = min(max(x, 0.0), nx - 1.0), min(max(y, 0.0), ny - 1.0), min(max(z, 0.0), nz - 1.0)
    x0, y0, z0 = min(int(x), nx - 2), min(int(y), ny - 2), min(int(z), nz - 2)
    total = 0.0
    for dz in (0, 1):
        for dy in (0, 1):
            for dx in (0, 1):
                weight = (
                    (x - x0 if dx else 1 - (x - x0))
                    * (y - y0 if dy else 1 - (y - y0))
                    * (z - z0 if dz else 1 - (z - z0))
                )
                total += weight * float(data[z0 + dz, y0 + dy, x0 + dx])
    return total


def _noise_volume(seed: int, dtype: str) -> Volume:
    geometries = stack(
        7, rows=9, columns=11, spacing=(0.9, 1.1), step=1.7, orientation=turned(CORONAL, "z", 17)
    )
    rng = np.random.default_rng(seed)
    frames = rng.integers(-1000, 3000, size=(7, 9, 11)).astype(dtype)
    return build_volume(planned(geometries, dtype=dtype), lambda i: frames[i])


def _random_plane(volume: Volume, rng: np.random.Generator) -> PlaneGeometry:
    centre = volume.to_patient(rng.uniform(0, 1, 3) * (np.array(volume.data.shape[::-1]) - 1))
    return plane_geometry(
        centre, rng.normal(size=3), rng.normal(size=3), (17, 19), float(rng.uniform(0.3, 1.2))
    )


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("dtype", ["int16", "float32"])
def test_matches_the_trilinear_formula_point_by_point(seed: int, dtype: str) -> None:
    volume = _noise_volume(seed, dtype)
    rng = np.random.default_rng(100 + seed)
    geometry = _random_plane(volume, rng)
    image = sample(volume, geometry)
    r, c = np.mgrid[0 : geometry.rows, 0 : geometry.columns]
    points = geometry.to_patient(r, c)
    index = volume.to_index(points)
    inside = _inside(volume, points, -0.5)
    assert inside.sum() > 20
    expected = [
        _trilinear_by_hand(volume.data, *index[i, j])
        for i, j in zip(*np.nonzero(inside), strict=True)
    ]
    np.testing.assert_allclose(image[inside], expected, rtol=1e-5, atol=2e-3)


@pytest.mark.parametrize("seed", range(4))
def test_matches_scipy_map_coordinates(seed: int) -> None:
    # Needs scipy (tests only): requirements-dev.txt pins it, see the volume report.
    ndimage = pytest.importorskip("scipy.ndimage")
    volume = _noise_volume(seed, "float32")
    geometry = _random_plane(volume, np.random.default_rng(200 + seed))
    r, c = np.mgrid[0 : geometry.rows, 0 : geometry.columns]
    points = geometry.to_patient(r, c)
    x, y, z = np.moveaxis(volume.to_index(points), -1, 0)
    inside = _inside(volume, points, -0.5)
    reference = ndimage.map_coordinates(
        volume.data.astype(np.float64), [z, y, x], order=1, mode="nearest"
    )
    np.testing.assert_allclose(
        sample(volume, geometry)[inside], reference[inside], rtol=1e-5, atol=2e-3
    )


LABELS = [
    pytest.param("axial", {"top": "A", "bottom": "P", "left": "R", "right": "L"}, id="axial"),
    pytest.param("coronal", {"top": "H", "bottom": "F", "left": "R", "right": "L"}, id="coronal"),
    pytest.param("sagittal", {"top": "H", "bottom": "F", "left": "A", "right": "P"}, id="sagittal"),
    # Coronal turned 30° about the vertical axis: rows run along (cos 30°, sin 30°, 0),
    # 0.87 left and 0.5 posterior: "LP" on the right edge, "RA" on the left.
    pytest.param(
        "coronal-30",
        {"top": "H", "bottom": "F", "left": "RA", "right": "LP"},
        id="oblique-coronal-30",
    ),
    # Normal (0, 1, 0.5) tipped 27° from coronal, up +z: down the columns is
    # (0, 0.45, -0.89): "FP" at the bottom, "HA" at the top.
    pytest.param(
        "tipped-27",
        {"top": "HA", "bottom": "FP", "left": "R", "right": "L"},
        id="oblique-tipped-27",
    ),
]


@pytest.mark.parametrize("name, labels", LABELS)
def test_edge_labels(name: str, labels: dict) -> None:
    volume = VOLUMES["axial"]()
    if name == "coronal-30":
        geometry = plane_geometry((0, 0, 0), (-0.5, math.cos(math.pi / 6), 0), (0, 0, 1), 4, 1.0)
    elif name == "tipped-27":
        geometry = plane_geometry((0, 0, 0), (0, 1, 0.5), (0, 0, 1), 4, 1.0)
    else:
        geometry = standard_geometry(volume, name)
    assert geometry.labels == labels


def test_standard_planes_cross_at_the_point() -> None:
    # A 1 mm voxel grid from (0, 0, 0): the point (4, 3, 5) is voxel (x 4, y 3, z 5).
    volume = VOLUMES["axial"]()
    point = np.array([4.0, 3.0, 5.0])
    planes = standard_planes(volume, point)
    assert set(planes) == {"axial", "coronal", "sagittal"}
    # Position along each normal: axial +z, coronal +y, sagittal -x.
    assert [planes[n].geometry.position for n in ("axial", "coronal", "sagittal")] == pytest.approx(
        [5.0, 3.0, -4.0]
    )
    for name, view in planes.items():
        g = view.geometry
        assert (g.row_spacing, g.column_spacing) == (1.0, 1.0), name
        # The pixel at the point: solve origin + c * row_direction + r * column_direction.
        offset = point - np.asarray(g.origin)
        c, r = offset @ np.asarray(g.row_direction), offset @ np.asarray(g.column_direction)
        assert (r, c) == pytest.approx((round(r), round(c))), name
        assert view.image[round(r), round(c)] == pytest.approx(float(linear(point)), abs=1e-4)
        assert view.labels == g.labels


def test_standard_frames_show_the_whole_volume_and_do_not_move() -> None:
    # 13 × 11 voxels of 1 mm, 12 slices: the box is 13 × 11 × 12 mm; at any position the
    # axial frame is 13 × 11 pixels over the same rows and columns.
    volume = VOLUMES["axial"]()
    frames = [standard_geometry(volume, "axial", z) for z in (0.0, 2.5, 11.0)]
    assert {(g.rows, g.columns) for g in frames} == {(11, 13)}
    assert {g.origin[:2] for g in frames} == {(0.0, 0.0)}
    coronal = standard_geometry(volume, "coronal")
    assert (coronal.rows, coronal.columns) == (12, 13)


def test_standard_pixels_are_the_finer_in_plane_spacing() -> None:
    # Rows 0.5 mm apart, columns 0.8 mm: square pixels of 0.5 mm, on every standard plane.
    volume = VOLUMES["anisotropic"]()
    for name in ("axial", "coronal", "sagittal"):
        g = standard_geometry(volume, name)
        assert (g.row_spacing, g.column_spacing) == (0.5, 0.5), name
    # The box: 12 columns × 0.8 = 9.6 mm wide, 14 rows × 0.5 = 7 mm high: 20 × 14 pixels.
    axial = standard_geometry(volume, "axial")
    assert (axial.rows, axial.columns) == (14, 20)


def test_plane_geometry_follows_the_image_convention() -> None:
    centre, normal, up = np.array([1.0, -2.0, 3.0]), np.array([0.0, 0.6, 0.8]), (0, 0, 1)
    g = plane_geometry(centre, normal, up, (5, 7), (0.5, 0.25))
    assert np.allclose(g.normal, normal)
    assert np.allclose(np.cross(g.row_direction, g.column_direction), normal)
    assert np.dot(g.column_direction, up) < 0  # row 0 is at the top
    assert np.allclose(g.to_patient(2, 3), centre)  # the centre pixel
    # pixel (r, c) = origin + c * column_spacing * row_direction + r * row_spacing * column_dir
    expected = (
        np.asarray(g.origin)
        + 6 * 0.25 * np.asarray(g.row_direction)
        + 4 * 0.5 * np.asarray(g.column_direction)
    )
    assert np.allclose(g.to_patient(4, 6), expected)
    assert g.position == pytest.approx(float(centre @ normal))
    assert np.allclose(g.shifted(2.0).origin, np.asarray(g.origin) + 2.0 * normal)


def test_plane_is_sample_on_plane_geometry() -> None:
    volume = VOLUMES["double-oblique"]()
    args = ((1.0, 2.0, 12.0), (0.2, -0.4, 1.0), (0, 1, 0), (9, 8), 0.6)
    np.testing.assert_array_equal(plane(volume, *args), sample(volume, plane_geometry(*args)))


def test_the_edge_holds_for_half_a_voxel_then_background() -> None:
    # A 1 mm grid x = 0 .. 12: x = -0.4 holds the value at x = 0, x = -0.6 is outside.
    volume = VOLUMES["axial"]()
    geometry = plane_geometry((-0.4, 5.0, 5.0), (0, 0, 1), (0, -1, 0), (1, 3), 0.2)
    image = sample(volume, geometry)
    at_edge = float(linear(np.array([0.0, 5.0, 5.0])))
    assert image[0].tolist() == pytest.approx([volume.background, at_edge, at_edge])
    assert sample(volume, geometry, fill=-7.0)[0, 0] == -7.0


@pytest.mark.parametrize(
    "normal, up",
    [
        pytest.param((0, 0, 1), (0, 0, 2), id="up-along-normal"),
        pytest.param((0, 0, 0), (0, 1, 0), id="no-normal"),
    ],
)
def test_a_plane_needs_two_directions(normal: tuple, up: tuple) -> None:
    with pytest.raises(ValueError):
        plane_geometry((0, 0, 0), normal, up, 4, 1.0)
