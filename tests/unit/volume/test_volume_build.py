"""lightbox.volume.build_volume: frames into one array, on the grid of the plan.

The truth: every frame holds a linear field of patient mm at its pixel centres (PS3.3
eq. C.7.6.2.1-1, computed in ``phantoms.py``). Linear interpolation reproduces a linear
field exactly, so each voxel of a correct volume holds the field at the voxel's patient
position, whatever the tilt, the order or the spacing of the source slices.
"""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest

from lightbox.volume import (
    VolumeError,
    VolumePlan,
    build_volume,
    plan_volume,
    project,
    sample,
    standard_geometry,
)
from lightbox.volume.project import default_step
from tests.support.phantoms import (
    AXIAL,
    CORONAL,
    SAGITTAL,
    build_field,
    field_frames,
    linear,
    planned,
    stack,
    turned,
    voxel_points,
)

STACKS = [
    pytest.param(stack(6), id="axial"),
    pytest.param(stack(5, orientation=CORONAL, spacing=(0.5, 0.8), step=2.0), id="coronal"),
    pytest.param(stack(5, orientation=SAGITTAL, first=(10, -3, 7)), id="sagittal"),
    pytest.param(
        stack(6, orientation=turned(turned(AXIAL, "z", 25), "y", 35), step=1.5, first=(-4, 2, 9)),
        id="double-oblique",
    ),
    pytest.param(
        stack(6, orientation=turned(AXIAL, "x", 20), direction=(0, 0, 1), step=2.0),
        id="gantry-tilt-20",
    ),
    pytest.param(
        stack(6, orientation=turned(CORONAL, "z", -12), direction=(0, 1, 0.3)), id="sheared-oblique"
    ),
    pytest.param(stack(6, step=-1.5), id="descending"),
    pytest.param(stack(6, distances=[0, 1, 2, 3.5, 5, 6.5]), id="uneven"),
    pytest.param(stack(6, distances=[0, 0.9, 2.1, 3.0, 3.8, 5.0]), id="jittered"),
    pytest.param(
        stack(
            6,
            orientation=turned(AXIAL, "x", 15),
            direction=(0, 0, 1),
            distances=[0, 1, 2, 3.5, 5, 6.5],
        ),
        id="tilt-and-uneven",
    ),
]


@pytest.mark.parametrize("geometries", STACKS)
def test_every_voxel_holds_the_field_at_its_position(geometries: list) -> None:
    volume = build_field(geometries)
    assert volume.data.dtype == np.float32
    np.testing.assert_allclose(volume.data, linear(voxel_points(volume)), atol=2e-4)


@pytest.mark.parametrize("geometries", STACKS)
def test_the_first_and_last_slices_keep_their_true_position(geometries: list) -> None:
    volume = build_field(geometries)
    last = volume.extent[2]
    ends = volume.to_patient(np.array([[0.0, 0.0, 0.0], [0.0, 0.0, last]]))
    z = [g.position for g in geometries]
    lowest = min(range(len(z)), key=lambda i: float(np.dot(z[i], volume.normal)))
    highest = max(range(len(z)), key=lambda i: float(np.dot(z[i], volume.normal)))
    np.testing.assert_allclose(ends, [z[lowest], z[highest]], atol=1e-9)


def test_gantry_tilt_is_a_shear_not_a_rotation() -> None:
    # Tilted 20° about x, the table moving 2 mm along z per slice: slice k's first pixel
    # is at (0, 0, 2k) exactly (not along the tilted normal).
    volume = build_field(
        stack(6, orientation=turned(AXIAL, "x", 20), direction=(0, 0, 1), step=2.0)
    )
    for k in range(6):
        np.testing.assert_allclose(
            volume.to_patient(np.array([0.0, 0.0, k])), (0, 0, 2 * k), atol=1e-9
        )
    assert [w.message for w in volume.warnings] == ["gantry tilt of 20.0° corrected"]


def test_a_missing_slice_is_a_gap_of_background() -> None:
    # Slices at 0, 1, 2, 4, 5 mm: the volume keeps the five true slices (no slice made
    # up at 3 mm); sampled at z = 3 mm, more than half a step from both slices beside
    # the gap, a plane is the lowest value of the frames; within half a step of them,
    # the slice beside the gap holds (2.4 mm shows the slice at 2, 3.6 mm the one at 4).
    geometries = stack(5, distances=[0, 1, 2, 4, 5])
    volume = build_field(geometries)
    assert volume.data.shape == (5, 8, 10)
    np.testing.assert_allclose(volume.slice_grid, [0, 1, 2, 4, 5])
    np.testing.assert_allclose(volume.data, linear(voxel_points(volume)), atol=2e-4)
    lowest = min(float(linear(np.array(g.position) + [[0, 7, 0]]).min()) for g in geometries)
    assert volume.background == pytest.approx(lowest, abs=1e-4)
    for z, shown in [(3.0, None), (2.6, None), (3.4, None), (2.4, 2), (3.6, 3), (1.5, None)]:
        image = sample(volume, standard_geometry(volume, "axial", z))
        if shown is None and z != 1.5:
            assert np.all(image == np.float32(volume.background)), z
        elif shown is None:  # 1.5 mm lies between true slices 1 and 2: interpolated
            np.testing.assert_allclose(image, (volume.data[1] + volume.data[2]) / 2, atol=1e-3)
        else:
            np.testing.assert_array_equal(image, volume.data[shown])
    assert volume.gaps == ((2.0, 4.0),)
    assert [w.code for w in volume.warnings] == ["missing-slices"]


def test_an_uneven_stack_is_sampled_between_its_true_slices() -> None:
    # A field quadratic in z, f = z², on slices at 0, 1, 2, 3.5, 5, 6.5 mm. Sampled at z,
    # a plane is the linear blend of the two nearest true slices (np.interp over the true
    # positions); resampling onto a uniform grid first would blend blends and differ.
    distances = [0, 1, 2, 3.5, 5, 6.5]
    geometries = stack(6, distances=distances)

    def field(p: np.ndarray) -> np.ndarray:
        result: np.ndarray = p[..., 2] ** 2
        return result

    volume = build_field(geometries, field)
    assert volume.data.shape[0] == 6
    for z in [0.0, 0.5, 1.7, 2.75, 3.5, 4.1, 6.5]:
        image = sample(volume, standard_geometry(volume, "axial", z))
        expected = np.interp(z, distances, np.square(distances))
        np.testing.assert_allclose(image, expected, atol=1e-4)


def test_an_int16_volume_holds_its_frames_as_they_are() -> None:
    # An integer field on an uneven stack: every slice of the volume is its source frame,
    # bit for bit (nothing is blended or rounded when the volume is built).
    def field(p: np.ndarray) -> np.ndarray:
        return p @ np.array([3.0, 5.0, 6.0]) - 40

    geometries = stack(6, distances=[0, 1, 2, 3.5, 5, 6.5])
    frames = field_frames(geometries, field, "int16")
    volume = build_volume(planned(geometries, dtype="int16"), frames)
    assert volume.data.dtype == np.int16
    for k in range(6):
        np.testing.assert_array_equal(volume.data[k], frames(k))


@pytest.mark.parametrize(
    "distances",
    [
        pytest.param(None, id="even"),
        pytest.param([0, 1, 2, 3.5, 5, 6.5], id="uneven"),
    ],
)
def test_frames_are_asked_for_once_each_in_slice_order(distances: list | None) -> None:
    geometries = stack(6, distances=distances)
    shuffled = [geometries[i] for i in (4, 1, 5, 0, 3, 2)]
    asked: list[int] = []
    frames = field_frames(shuffled, linear)

    def frame(index: int) -> np.ndarray:
        asked.append(index)
        return frames(index)

    build_volume(planned(shuffled, dtype="float32"), frame)
    assert asked == [3, 1, 5, 4, 0, 2]  # the caller's indices of the slices, bottom up


@pytest.mark.parametrize(
    "distances",
    [
        pytest.param(None, id="even"),
        pytest.param([k + 0.3 * (k % 2) for k in range(200)], id="uneven"),
    ],
)
def test_building_allocates_one_volume(distances: list | None) -> None:
    # 64 × 64 × 200 int16 = 1,638,400 bytes; the peak may add a few frames (8 KiB each,
    # 16 KiB as float32), never a second volume.
    geometries = stack(200, rows=64, columns=64, distances=distances)
    plan = planned(geometries)
    assert plan.nbytes == 64 * 64 * plan.shape[0] * 2
    tile = np.arange(64 * 64, dtype=np.int16).reshape(64, 64)
    tracemalloc.start()
    try:
        volume = build_volume(plan, lambda i: tile + np.int16(i))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert volume.data.nbytes == plan.nbytes
    assert peak < 1.5 * plan.nbytes


def test_slices_a_little_off_an_even_step_are_taken_as_they_are() -> None:
    # Steps of 1.004, 0.996, 0.996, 1.004 mm: within 0.01 mm, so not uneven; every slice of
    # the volume is a source frame, bit for bit (no blend of two).
    geometries = stack(5, distances=[0, 1.004, 2, 2.996, 4])
    frames = field_frames(geometries, linear)
    plan = planned(geometries, dtype="float32")
    assert plan.warnings == () and not plan.uneven
    volume = build_volume(plan, frames)
    for k in range(5):
        np.testing.assert_array_equal(volume.data[k], frames(k))


def test_the_volume_is_read_only() -> None:
    volume = build_field(stack(3))
    with pytest.raises(ValueError, match="read-only"):
        volume.data[0, 0, 0] = 1


MISMATCHES = [
    pytest.param(
        "float32",
        lambda i: np.zeros((8, 9), np.float32),
        "image 1: the frame is (8, 9), the volume expects (8, 10) (rows, columns)",
        id="shape",
    ),
    pytest.param(
        "int16",
        lambda i: np.zeros((8, 10), np.float32),
        "image 1: the frame holds float32 values but the volume is int16: plan it "
        "with dtype='float32'",
        id="float-into-int16",
    ),
    pytest.param(
        "int16",
        lambda i: np.full((8, 10), 40000, np.int32),
        "image 1: the frame's values do not fit int16: plan it with dtype='float32'",
        id="out-of-range",
    ),
]


@pytest.mark.parametrize("dtype, frame, message", MISMATCHES)
def test_a_frame_that_does_not_match_the_plan(dtype: str, frame, message: str) -> None:
    plan = plan_volume(stack(3), dtype=dtype)
    with pytest.raises(VolumeError) as raised:
        build_volume(plan, frame)
    assert str(raised.value) == message


def test_unknown_dtype_is_refused() -> None:
    with pytest.raises(ValueError, match="dtype must be one of"):
        plan_volume(stack(3), dtype="uint8")


def test_tilt_angle_is_measured_between_slice_direction_and_normal() -> None:
    # Positions along (0, 0, 1), normal (0, -sin t, cos t): the angle is t, here 7.5°.
    geometries = stack(4, orientation=turned(AXIAL, "x", 7.5), direction=(0, 0, 1))
    volume = build_field(geometries)
    angle = math.degrees(math.acos(float(np.dot(volume.axes[2], volume.normal))))
    assert angle == pytest.approx(7.5)
    assert volume.warnings[0].message == "gantry tilt of 7.5° corrected"


@pytest.mark.parametrize("mode", ["mip", "minip", "average"])
def test_an_axial_slab_of_an_uneven_stack_with_a_gap_reduces_its_sample_planes(mode: str) -> None:
    # Slices at 0, 1, 2, 3.5, 6, 7 mm (a gap between 3.5 and 6): the slab along the stack's
    # own axis (whole slices) equals the reduction of the planes sampled one step apart,
    # the gap included as background (a MinIP across it shows it).
    def field(p: np.ndarray) -> np.ndarray:
        result: np.ndarray = p[..., 2] ** 2 + p[..., 0]
        return result

    volume = build_field(stack(6, distances=[0, 1, 2, 3.5, 6, 7]), field)
    geometry = standard_geometry(volume, "axial", 4.0)
    step = default_step(volume)
    planes = [sample(volume, geometry.shifted(j * step)) for j in range(-2, 3)]
    reduce = {"mip": np.max, "minip": np.min, "average": np.mean}[mode]
    np.testing.assert_allclose(
        project(volume, geometry, 4 * step, mode), reduce(planes, axis=0), atol=1e-3
    )
    if mode == "minip":
        assert np.all(project(volume, geometry, 4 * step, mode) == np.float32(volume.background))


def test_a_volume_over_the_budget_holds_the_means_of_neighbouring_slices() -> None:
    # Seven slices, room for three: slices (0, 1), (2, 3), (4, 5) averaged, the 7th left out,
    # each mean rounded half to even as numpy's rint does (worked here, not by the build).
    rng = np.random.default_rng(7)
    frames = rng.integers(-1000, 3000, size=(7, 8, 10)).astype(np.int16)
    plan = plan_volume(stack(7), dtype="int16", budget=10 * 8 * 2 * 3)
    assert isinstance(plan, VolumePlan) and plan.merged == 2
    volume = build_volume(plan, lambda i: frames[i])
    expected = np.rint((frames[0:6:2].astype(np.float64) + frames[1:6:2]) / 2).astype(np.int16)
    assert volume.data.dtype == np.int16
    assert np.array_equal(volume.data, expected)
    # the voxel (0, 0, z) lies at the mean of its two slices' positions
    assert volume.to_patient(np.array([0.0, 0.0, 1.0])) == pytest.approx((0.0, 0.0, 2.5))


def test_a_float_volume_over_the_budget_keeps_the_exact_means() -> None:
    frames = np.arange(6 * 8 * 10, dtype=np.float32).reshape(6, 8, 10) / 7
    plan = plan_volume(stack(6), dtype="float32", budget=10 * 8 * 4 * 2)
    assert isinstance(plan, VolumePlan) and plan.merged == 3
    volume = build_volume(plan, lambda i: frames[i])
    expected = np.stack([frames[0:3].mean(axis=0), frames[3:6].mean(axis=0)])
    assert np.allclose(volume.data, expected, rtol=0, atol=1e-5)
