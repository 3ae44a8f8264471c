"""lightbox.volume: deciding from geometry alone what volume a stack makes, or why none.

Expected grids and words are worked out by hand beside each case (PS3.3 C.7.6.2.1.1:
the normal is the row cosines × the column cosines; the spacing comes from the
positions, never from Slice Thickness).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from lightbox.volume import MAX_VOLUME_BYTES, NotAVolume, VolumePlan, plan_volume
from lightbox.volume.stack import split_phases
from tests.support.phantoms import AXIAL, CORONAL, SAGITTAL, stack, turned

TEMPORAL = "(0020,0100) Temporal Position Index"
B_VALUE = "(0018,9087) Diffusion b-value"


def _two_phases() -> list:
    """Three positions, each at two temporal positions (a dynamic series not split)."""
    first = stack(3, attributes=((TEMPORAL, "1"),))
    second = stack(3, attributes=((TEMPORAL, "2"),))
    return first + second


def _with(geometries: list, index: int, **changes: object) -> list:
    geometries = list(geometries)
    geometries[index] = replace(geometries[index], **changes)
    return geometries


REFUSALS = [
    pytest.param([], "there are no images", id="nothing"),
    pytest.param(
        stack(3, image_type=("ORIGINAL", "PRIMARY", "LOCALIZER")),
        "image 1 is a localizer ((0008,0008) Image Type LOCALIZER), not a volume",
        id="localizer",
    ),
    pytest.param(
        _with(stack(3), 1, position=None),
        "image 2 has no (0020,0032) Image Position (Patient)",
        id="no-position",
    ),
    pytest.param(
        _with(stack(3), 2, orientation=(1.0, 0.0, 0.0)),
        "image 3 has an unusable (0020,0037) Image Orientation (Patient) (expected 6 numbers)",
        id="short-orientation",
    ),
    pytest.param(
        _with(stack(3), 0, spacing=None, label="IM0001"),
        "IM0001 has no (0028,0030) Pixel Spacing",
        id="no-spacing-named",
    ),
    pytest.param(stack(1), "one slice is not a volume", id="one-slice"),
    pytest.param(
        _with(stack(4), 3, columns=12),
        "the images differ in size: 10×8 (3 images), 12×8 (1 image)",
        id="sizes",
    ),
    pytest.param(
        stack(3) + stack(1, orientation=SAGITTAL),
        "the images are not parallel (2 orientations: axial (3 images), sagittal "
        "(1 image)); MPR needs a stack of parallel slices",
        id="mixed-orientation",
    ),
    pytest.param(
        stack(1)
        + stack(1, orientation=CORONAL, first=(0, 5, 0))
        + stack(1, orientation=SAGITTAL, first=(5, 0, 0)),
        "the images are not parallel (3 orientations: axial (1 image), coronal "
        "(1 image), sagittal (1 image)); MPR needs a stack of parallel slices",
        id="three-plane-localizer-without-image-type",
    ),
    pytest.param(
        _with(stack(3), 1, orientation=(1.0, 0.0, 0.0, 0.0, 0.9, 0.0)),
        "the (0020,0037) Image Orientation (Patient) of image 2 is not two "
        "perpendicular unit vectors",
        id="not-unit",
    ),
    pytest.param(
        _with(stack(3), 1, spacing=(0.5, 0.5)),
        "the pixel spacing differs: 1×1 mm (2 images), 0.5×0.5 mm (1 image)",
        id="pixel-spacing",
    ),
    pytest.param(
        _two_phases(),
        "3 positions hold more than one image (e.g. 2 images at 0 mm); they differ "
        f"in {TEMPORAL} (1, 2): choose one of them",
        id="temporal-duplicates",
    ),
    pytest.param(
        stack(2, attributes=((B_VALUE, "0"),))
        + stack(2, attributes=((B_VALUE, "1000"),))
        + stack(2, attributes=((B_VALUE, "500"),)),
        "2 positions hold more than one image (e.g. 3 images at 0 mm); they differ "
        f"in {B_VALUE} (0, 1000, 500): choose one of them",
        id="b-values",
    ),
    pytest.param(
        stack(3) + stack(1, first=(0, 0, 1)),
        "1 position holds more than one image (e.g. 2 images at 1 mm), and nothing "
        "given tells them apart",
        id="duplicates-alike",
    ),
    pytest.param(
        stack(3, distances=[0, 1, 2]) + stack(1, first=(3.0, 0, 3)),
        "the slice positions do not lie on one line (image 3 is 1.41 mm off it): not one stack",
        id="not-on-a-line",
    ),
    pytest.param(
        stack(8200, rows=512, columns=512),
        "the volume would need 4.00 GiB (512×512×8200 int16), more than the 1.00 GiB budget",
        id="over-four-times-the-budget",
    ),
    pytest.param(
        stack(512, rows=512, columns=3000, distances=[0.5 * k + 0.2 * (k % 2) for k in range(512)]),
        "the volume would need 1.46 GiB (3000×512×512 int16), more than the 1.00 GiB budget",
        id="uneven-over-the-budget",
    ),
]


@pytest.mark.parametrize("geometries, reason", REFUSALS)
def test_refusal_says_why(geometries: list, reason: str) -> None:
    assert plan_volume(geometries) == NotAVolume(reason)


def test_a_1000_slice_ct_fits_the_budget() -> None:
    # 512 × 512 × 1000 × 2 bytes = 524,288,000 bytes: the browser case.
    plan = plan_volume(stack(1000, rows=512, columns=512, step=0.625))
    assert isinstance(plan, VolumePlan)
    assert plan.nbytes == 524_288_000 < MAX_VOLUME_BYTES == 2**30
    assert plan.shape == (1000, 512, 512)


@pytest.mark.parametrize(
    "dtype, budget, merged",
    [
        pytest.param("int16", 10 * 8 * 6 * 2, 1, id="int16-exactly-the-budget"),
        pytest.param("float32", 10 * 8 * 6 * 2, 2, id="float32-twice-as-big"),
        pytest.param("int16", 10 * 8 * 6 * 2 - 1, 2, id="one-byte-short"),
        pytest.param("int16", 10 * 8 * 6 * 2 // 3, 3, id="a-third"),
    ],
)
def test_budget_counts_the_bytes_of_the_type(dtype: str, budget: int, merged: int) -> None:
    # Over the budget, slices are averaged in twos, threes, fours: the fewest that fit.
    plan = plan_volume(stack(6), dtype=dtype, budget=budget)
    assert isinstance(plan, VolumePlan)
    assert plan.merged == merged
    assert plan.shape == (6 // merged, 8, 10)
    assert plan.nbytes == (6 // merged) * 80 * (2 if dtype == "int16" else 4) <= budget


def test_a_3000_slice_ct_is_built_with_slices_averaged_in_twos() -> None:
    # 512 × 512 × 3000 × 2 = 1,572,864,000 bytes, 1.46 GiB: over the 1 GiB budget, under
    # twice it. Slices 0.5 mm apart from z = -700 mm: the volume's slices are the means of
    # slices (0, 1), (2, 3), ...: 1,500 of them 1 mm apart, the first at -699.75 mm.
    plan = plan_volume(stack(3000, rows=512, columns=512, step=0.5, first=(0.0, 0.0, -700.0)))
    assert isinstance(plan, VolumePlan)
    assert plan.merged == 2
    assert plan.shape == (1500, 512, 512)
    assert plan.nbytes == 786_432_000
    assert plan.spacing[2] == pytest.approx(1.0)
    assert plan.origin == pytest.approx((0.0, 0.0, -699.75))
    assert plan.positions[:2] == pytest.approx((-699.75, -698.75))
    assert plan.positions[-1] == pytest.approx(-700 + 0.5 * 2998.5)
    assert plan.order == tuple(range(3000))
    assert [w.message for w in plan.warnings] == [
        "each slice of the volume is the mean of 2 neighbouring slices (1500 slices, 1 mm "
        "apart): the whole volume would need 1.46 GiB, more than the 1.00 GiB budget"
    ]


def test_an_odd_slice_left_over_is_left_out() -> None:
    plan = plan_volume(stack(7), budget=10 * 8 * 2 * 4)
    assert isinstance(plan, VolumePlan)
    assert plan.merged == 2 and plan.shape == (3, 8, 10)
    assert plan.order == (0, 1, 2, 3, 4, 5)
    assert plan.positions == pytest.approx((0.5, 2.5, 4.5))


@pytest.mark.parametrize(
    "jitter, parallel",
    [
        pytest.param(5e-4, True, id="within-1e-3"),
        pytest.param(2e-3, False, id="beyond-1e-3"),
    ],
)
def test_orientation_tolerance(jitter: float, parallel: bool) -> None:
    tilted = turned(AXIAL, "x", math.degrees(jitter))
    plan = plan_volume(stack(3) + stack(1, orientation=tilted, first=(0, 0, 5)))
    assert isinstance(plan, VolumePlan) is parallel


def test_the_grid_comes_from_the_sorted_positions() -> None:
    # Given in the order 2, 0, 3, 1 (2.5 mm apart, from z = -10): the grid starts at the
    # lowest position, steps 2.5 mm along +z, and order maps back to the caller's frames.
    geometries = stack(4, first=(-5.0, -6.0, -10.0), step=2.5, spacing=(0.5, 0.8))
    plan = plan_volume([geometries[i] for i in (2, 0, 3, 1)])
    assert isinstance(plan, VolumePlan)
    assert plan.order == (1, 3, 0, 2)
    assert plan.origin == (-5.0, -6.0, -10.0)
    assert plan.positions == (-10.0, -7.5, -5.0, -2.5)
    assert plan.spacing == pytest.approx((0.8, 0.5, 2.5))  # (x, y, z): columns, rows, slices
    assert plan.shape == (4, 8, 10)
    assert plan.warnings == ()


def test_an_oblique_stack_runs_along_its_normal() -> None:
    orientation = turned(turned(CORONAL, "z", 30), "x", 20)
    plan = plan_volume(stack(5, orientation=orientation, step=3.0))
    assert isinstance(plan, VolumePlan)
    normal = np.cross(orientation[:3], orientation[3:])
    assert np.allclose(plan.axes[2], normal)
    assert plan.spacing[2] == pytest.approx(3.0)
    assert plan.warnings == ()


WARNINGS = [
    pytest.param(dict(distances=[0, 1, 2, 3, 4, 5]), 6, 1.0, [], id="even"),
    pytest.param(
        dict(orientation=turned(AXIAL, "x", 15), direction=(0, 0, 1), step=2.0),
        6,
        2.0,
        [("tilt", "gantry tilt of 15.0° corrected")],
        id="tilt-15",
    ),
    pytest.param(
        dict(orientation=turned(AXIAL, "x", -22), direction=(0, 0, 1), step=2.0),
        6,
        2.0,
        [("tilt", "gantry tilt of 22.0° corrected")],
        id="tilt-minus-22",
    ),
    pytest.param(
        dict(distances=[0, 1, 2, 3.5, 5, 6.5]),
        6,
        1.625,
        # steps 1, 1, 1.5, 1.5, 1.5: median 1.5, span 6.5: 6.5 / 1.5 = 4.33 → 4
        # nominal steps of 1.625 (the span kept); the 6 true slices are kept
        [
            (
                "uneven-spacing",
                "slice spacing varies from 1 to 1.5 mm (sampled at the true slice positions)",
            )
        ],
        id="uneven",
    ),
    pytest.param(
        dict(distances=[0, 1, 2, 3, 4.3, 5.6]),
        6,
        5.6 / 6,
        # median step 1, span 5.6: 5.6 steps round to 6 nominal steps of 0.933 mm
        [
            (
                "uneven-spacing",
                "slice spacing varies from 1 to 1.3 mm (sampled at the true slice positions)",
            )
        ],
        id="uneven-rounded-up",
    ),
    pytest.param(
        dict(distances=[0, 1, 2, 4, 5, 6]),
        6,
        1.0,
        [("missing-slices", "1 slice seems to be missing between 2 and 4 mm")],
        id="one-missing",
    ),
    pytest.param(
        dict(distances=[0, 2, 4, 12, 14, 16]),
        6,
        2.0,
        [("missing-slices", "3 slices seem to be missing between 4 and 12 mm")],
        id="three-missing",
    ),
    pytest.param(
        dict(distances=[0, 1, 2, 2.9, 3.8]),
        5,
        0.95,
        [
            (
                "uneven-spacing",
                "slice spacing varies from 0.9 to 1 mm (sampled at the true slice positions)",
            )
        ],
        id="small-unevenness",
    ),
]


@pytest.mark.parametrize("layout, count, step, expected", WARNINGS)
def test_warnings_and_nominal_grid(layout: dict, count: int, step: float, expected: list) -> None:
    plan = plan_volume(stack(**layout))
    assert isinstance(plan, VolumePlan)
    assert [(w.code, w.message) for w in plan.warnings] == expected
    assert plan.shape[0] == count == len(plan.positions)  # the true slices, none made up
    assert plan.spacing[2] == pytest.approx(step)


def test_a_tilted_stack_keeps_the_table_direction() -> None:
    # Gantry tilted 15° about x: the images' normal is (0, -sin 15°, cos 15°) but the
    # table moves along z, so the slice direction is +z and each step is 2 mm of z.
    plan = plan_volume(stack(6, orientation=turned(AXIAL, "x", 15), direction=(0, 0, 1), step=2.0))
    assert isinstance(plan, VolumePlan)
    assert np.allclose(plan.axes[2], (0, 0, 1))
    assert np.allclose(plan.axes[1], (0, math.cos(math.radians(15)), math.sin(math.radians(15))))
    # Positions along the normal: 2 mm of z is 2 cos 15° along the normal.
    assert np.allclose(np.diff(plan.positions), 2 * math.cos(math.radians(15)))


def test_split_phases_groups_frames_by_what_tells_them_apart() -> None:
    geometries = _two_phases()
    phases = split_phases(geometries)
    assert phases is not None
    assert (phases.attribute, phases.values, phases.members) == (
        TEMPORAL,
        ("1", "2"),
        ((0, 1, 2), (3, 4, 5)),
    )
    # Values in numeric order, not text order; the attribute that separates is chosen.
    both = [
        replace(g, attributes=((B_VALUE, "0"), (TEMPORAL, str(10 - 8 * (i // 3)))))
        for i, g in enumerate(geometries)
    ]
    split = split_phases(both)
    assert split is not None and split.attribute == TEMPORAL and split.values == ("2", "10")
    assert split.members == ((3, 4, 5), (0, 1, 2))
    # One volume, or repeats that nothing separates into whole volumes: no phases.
    assert split_phases(stack(6)) is None
    assert split_phases(stack(3) + stack(3)) is None
    uneven = _with(geometries, 5, attributes=((TEMPORAL, "1"),))  # t=1 twice at one place
    assert split_phases(uneven) is None
