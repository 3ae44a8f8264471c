"""lightbox.volume.render_plane: what ``lightbox render --plane --position --slab`` shows.

The truth: a linear field of patient mm (``phantoms.linear``); a plane at a position
holds the field on that plane, a slab of a field that is linear along the normal holds
its value at the far face (MIP), the near face (MinIP) or the centre (average).
"""

from __future__ import annotations

import numpy as np
import pytest

from lightbox.volume import render_plane, render_view
from tests.support.phantoms import build_field, linear, stack

# 1 mm voxels: x 0 .. 12, y 0 .. 10, z 0 .. 11.
VOLUME = build_field(stack(12, rows=11, columns=13))


def _truth(view) -> np.ndarray:
    r, c = np.mgrid[0 : view.geometry.rows, 0 : view.geometry.columns]
    return linear(view.geometry.to_patient(r, c))


@pytest.mark.parametrize(
    "name, position, constant",
    [
        # The position is the distance along the plane's normal: axial +z, coronal +y,
        # sagittal -x (its normal, rows +y × columns -z, points to the patient's right).
        pytest.param("axial", 4.5, (2, 4.5), id="axial-z-4.5"),
        pytest.param("coronal", 7.0, (1, 7.0), id="coronal-y-7"),
        pytest.param("sagittal", -3.0, (0, 3.0), id="sagittal-x-3"),
    ],
)
def test_a_plane_at_a_position(name: str, position: float, constant: tuple) -> None:
    view = render_view(VOLUME, name, position)
    axis, value = constant
    r, c = np.mgrid[0 : view.geometry.rows, 0 : view.geometry.columns]
    points = view.geometry.to_patient(r, c)
    np.testing.assert_allclose(points[..., axis], value)
    np.testing.assert_allclose(view.image, linear(points), atol=1e-3)
    np.testing.assert_array_equal(render_plane(VOLUME, name, position), view.image)


def test_the_default_position_is_the_centre() -> None:
    # The box runs from -0.5 to 11.5 mm in z: the centre is z = 5.5.
    assert render_view(VOLUME, "axial").geometry.position == pytest.approx(5.5)


@pytest.mark.parametrize(
    "projection, offset",
    [
        pytest.param("mip", 2.1 * 2, id="mip"),  # f rises 2.1 per mm of z: far face z + 2
        pytest.param("minip", -2.1 * 2, id="minip"),
        pytest.param("average", 0.0, id="average"),
    ],
)
def test_a_slab(projection: str, offset: float) -> None:
    view = render_view(VOLUME, "axial", 5.0, slab_mm=4.0, projection=projection)
    np.testing.assert_allclose(view.image, _truth(view) + offset, atol=1e-3)


def test_a_missing_slice_shows_as_a_gap() -> None:
    # Slices at z = 0, 1, 2, 4, 5 mm; the coronal image's rows run from z = 5 down to 0;
    # the row at z = 3 is the background, the others the field.
    volume = build_field(stack(5, distances=[0, 1, 2, 4, 5]))
    view = render_view(volume, "coronal", 3.0)
    truth = _truth(view)
    rows_at = {round(float(view.geometry.to_patient(r, 0)[2])): r for r in range(6)}
    assert np.all(view.image[rows_at[3]] == np.float32(volume.background))
    for z in (0, 1, 2, 4, 5):
        np.testing.assert_allclose(view.image[rows_at[z]], truth[rows_at[z]], atol=1e-3)


@pytest.mark.parametrize(
    "arguments, message",
    [
        pytest.param(("oblique", 0.0), "plane must be one of", id="plane"),
        pytest.param(("axial", 0.0, 2.0, "max"), "projection must be one of", id="projection"),
        pytest.param(("axial", 0.0, -2.0), "slab thickness", id="slab"),
    ],
)
def test_bad_arguments(arguments: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render_plane(VOLUME, *arguments)
