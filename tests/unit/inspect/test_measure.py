"""lightbox.inspect.measure (masks, region statistics) and the Inspector (describe, header,
probe, region, geometry) on generated CT files whose HU values are known by construction.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydicom.uid import generate_uid

from lightbox.inspect.measure import RegionStats, ellipse_mask, rectangle_mask, region_stats
from lightbox.session.inspector import Inspector
from lightbox.session.session import Session
from tools import synth

# -- rectangle_mask --------------------------------------------------------------------------
#
# Pixel (r, c) covers [c, c+1) x [r, r+1); its centre is (c + 0.5, r + 0.5). A pixel is in a
# box (x0, y0, x1, y1) when its centre is.


def _pixels(mask: np.ndarray) -> set[tuple[int, int]]:
    return {(int(r), int(c)) for r, c in zip(*np.nonzero(mask), strict=True)}


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        # columns 0..3 (centres 0.5..3.5), rows 0..1 (centres 0.5, 1.5): 4 x 2 = 8
        pytest.param((0, 0, 4, 2), {(r, c) for r in range(2) for c in range(4)}, id="box-0-0-4-2"),
        pytest.param((4, 2, 0, 0), {(r, c) for r in range(2) for c in range(4)}, id="reversed"),
        pytest.param((4, 0, 0, 2), {(r, c) for r in range(2) for c in range(4)}, id="reversed-x"),
        pytest.param((0, 2, 4, 0), {(r, c) for r in range(2) for c in range(4)}, id="reversed-y"),
        # centres 1.5 and 2.5 lie in [1.2, 2.9]; row centre 3.5 in [3.1, 3.9]
        pytest.param((1.2, 3.1, 2.9, 3.9), {(3, 1), (3, 2)}, id="fractional"),
        # no centre in [0.6, 1.4]
        pytest.param((0.6, 0.6, 1.4, 1.4), set(), id="between-centres"),
        # clipped to the image (5 rows x 6 columns)
        pytest.param(
            (-10, -10, 100, 100), {(r, c) for r in range(5) for c in range(6)}, id="clipped"
        ),
        pytest.param((4, 3, 6, 5), {(3, 4), (3, 5), (4, 4), (4, 5)}, id="bottom-right-corner"),
    ],
)
def test_rectangle_mask(box, expected):
    mask = rectangle_mask((5, 6), box)
    assert mask.shape == (5, 6)
    assert mask.dtype == bool
    assert _pixels(mask) == expected


def test_rectangle_mask_covers_eight_pixels_for_a_4_by_2_box():
    assert int(rectangle_mask((10, 10), (3, 5, 7, 7)).sum()) == 8


# -- ellipse_mask ----------------------------------------------------------------------------


def _ellipse_by_loop(shape, box):
    """Independent count: centres (c+0.5, r+0.5) with ((x-cx)/a)^2 + ((y-cy)/b)^2 <= 1."""
    x0, y0, x1, y1 = box
    left, right, top, bottom = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
    a, b = (right - left) / 2, (bottom - top) / 2
    cx, cy = (left + right) / 2, (top + bottom) / 2
    inside = set()
    for r in range(shape[0]):
        for c in range(shape[1]):
            if ((c + 0.5 - cx) / a) ** 2 + ((r + 0.5 - cy) / b) ** 2 <= 1.0:
                inside.add((r, c))
    return inside


@pytest.mark.parametrize(
    ("shape", "box"),
    [
        pytest.param((12, 12), (0, 0, 10, 10), id="circle-in-0-0-10-10"),
        pytest.param((12, 12), (10, 10, 0, 0), id="circle-reversed"),
        pytest.param((8, 14), (2, 1, 12, 5), id="wide-ellipse"),
        pytest.param((20, 9), (1.3, 2.7, 7.9, 18.2), id="tall-fractional"),
        pytest.param((6, 6), (-3, -3, 5, 5), id="clipped-by-the-image"),
    ],
)
def test_ellipse_mask_matches_the_equation_at_pixel_centres(shape, box):
    mask = ellipse_mask(shape, box)
    assert mask.shape == shape
    assert _pixels(mask) == _ellipse_by_loop(shape, box)


def test_ellipse_inscribed_in_0_0_10_10_by_hand():
    # Centre (5,5), radius 5; row 0 (y = 0.5): (x-5)^2 <= 25 - 20.25 = 4.75 → |x-5| <= 2.18,
    # centres 3.5, 4.5, 5.5, 6.5 → columns 3..6 (4 pixels). The same by symmetry for row 9.
    mask = ellipse_mask((10, 10), (0, 0, 10, 10))
    assert _pixels(mask & (np.arange(10)[:, None] == 0)) == {(0, 3), (0, 4), (0, 5), (0, 6)}
    assert int(mask[9].sum()) == 4
    # row 4 (y = 4.5): (x-5)^2 <= 24.75 → |x-5| <= 4.97: every centre 0.5..9.5 → 10 pixels
    assert int(mask[4].sum()) == 10
    assert not mask[0, 0] and not mask[0, 9] and not mask[9, 0] and not mask[9, 9]
    # the disc holds fewer pixels than its box (100) and about pi * 25 = 78.5 of them
    assert int(mask.sum()) == len(_ellipse_by_loop((10, 10), (0, 0, 10, 10)))
    assert 70 <= int(mask.sum()) <= 90


@pytest.mark.parametrize("box", [(3, 3, 3, 8), (3, 3, 8, 3), (2, 2, 2, 2)])
def test_degenerate_ellipse_is_empty(box):
    assert not ellipse_mask((10, 10), box).any()


# -- region_stats ----------------------------------------------------------------------------


def test_region_stats_by_hand():
    values = np.array([[1.0, 2.0, 100.0], [3.0, 4.0, -100.0]])
    mask = np.array([[True, True, False], [True, True, False]])
    # 1, 2, 3, 4: mean 2.5; population variance (2.25+0.25+0.25+2.25)/4 = 1.25 → std 1.1180
    # (the sample std would be sqrt(5/3) = 1.29)
    assert region_stats(values, mask) == RegionStats(
        pixels=4, mean=2.5, std=math.sqrt(1.25), minimum=1.0, maximum=4.0
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_region_stats_against_numpy(seed):
    rng = np.random.default_rng(seed)
    values = rng.normal(40.0, 25.0, size=(31, 27))
    mask = rng.random((31, 27)) < 0.3
    selected = values[mask]
    got = region_stats(values, mask)
    assert got is not None
    assert got.pixels == int(mask.sum())
    assert got.mean == pytest.approx(float(np.mean(selected)))
    assert got.std == pytest.approx(float(np.std(selected, ddof=0)))
    assert got.minimum == float(np.min(selected))
    assert got.maximum == float(np.max(selected))


def test_region_stats_on_integer_values_are_floats():
    values = np.array([[-1024, 0], [1000, 24]], dtype=np.int16)
    got = region_stats(values, np.ones((2, 2), dtype=bool))
    assert got is not None
    assert got.mean == 0.0 and isinstance(got.mean, float)
    assert (got.minimum, got.maximum) == (-1024.0, 1000.0)


def test_region_stats_of_an_empty_mask_is_none():
    values = np.arange(12.0).reshape(3, 4)
    assert region_stats(values, np.zeros((3, 4), dtype=bool)) is None
    assert region_stats(values, rectangle_mask((3, 4), (0.6, 0.6, 1.4, 1.4))) is None


# -- Inspector, on generated CT files --------------------------------------------------------
#
# Three axial slices, 16 rows x 20 columns, Pixel Spacing [0.5, 0.8] (rows 0.5 mm apart,
# columns 0.8 mm apart), Image Position (-100, -50, z) with z = 0, 2.5, 5, stored = HU + 1024
# (Rescale Intercept -1024). Slice k has a background of 40 + 10 k HU, a bone block of
# 1000 HU in rows 2..5 x columns 3..8 and a -500 HU block in rows 10..13 x columns 12..17.

ROWS, COLS = 16, 20
ROW_MM, COL_MM = 0.5, 0.8
Z_STEP = 2.5
ORIGIN = (-100.0, -50.0)


def _hu(k: int) -> np.ndarray:
    hu = np.full((ROWS, COLS), 40.0 + 10.0 * k)
    hu[2:6, 3:9] = 1000.0
    hu[10:14, 12:18] = -500.0
    return hu


@pytest.fixture(scope="module")
def ct():
    series_uid, study_uid = generate_uid(), generate_uid()
    datasets = []
    for k in range(3):
        ds = synth.ct_dataset(
            _hu(k),
            series_uid=series_uid,
            study_uid=study_uid,
            instance=k + 1,
            z_mm=k * Z_STEP,
            spacing=1.0,
        )
        ds.PixelSpacing = [ROW_MM, COL_MM]
        ds.ImagePositionPatient = [ORIGIN[0], ORIGIN[1], k * Z_STEP]
        datasets.append(ds)
    session = Session()
    # opened out of slice order on purpose: the series is ordered by position
    session.open([(f"IM{k + 1}", synth.to_bytes(datasets[k])) for k in (2, 0, 1)])
    assert len(session.series) == 1
    return Inspector(session), datasets


def test_stored_values_are_hu_plus_1024(ct):
    # guards the fixture: the region means below are HU only through the rescale
    _, datasets = ct
    assert datasets[0].RescaleIntercept == -1024
    assert int(datasets[0].pixel_array[0, 0]) == 40 + 1024


@pytest.mark.parametrize(
    ("kind", "box", "pixels", "mean", "area"),
    [
        # the -500 block exactly: columns 12..17 (6) x rows 10..13 (4) = 24 pixels;
        # area 6 * 0.8 x 4 * 0.5 = 4.8 x 2 = 9.6 mm² = 24 pixels x 0.4 mm²
        pytest.param(
            "rect", (12, 10, 18, 14), 24, -500.0, 24 * ROW_MM * COL_MM, id="rect-in-block"
        ),
        pytest.param(
            "rect", (18, 14, 12, 10), 24, -500.0, 24 * ROW_MM * COL_MM, id="rect-reversed"
        ),
        # the bone block: columns 3..8 (6) x rows 2..5 (4)
        pytest.param("rect", (3, 2, 9, 6), 24, 1000.0, 24 * ROW_MM * COL_MM, id="rect-bone"),
        # ellipse inscribed in the -500 block: all its pixels are -500; area pi/4 * 4.8 * 2
        pytest.param(
            "ellipse", (12, 10, 18, 14), None, -500.0, math.pi / 4 * 4.8 * 2.0, id="ellipse"
        ),
    ],
)
def test_region_in_a_uniform_area_gives_its_hu(ct, kind, box, pixels, mean, area):
    inspector, _ = ct
    got = inspector.region(0, 1, kind, box)
    assert got is not None
    expected_pixels = pixels if pixels is not None else int(ellipse_mask((ROWS, COLS), box).sum())
    assert got["pixels"] == expected_pixels
    assert got["mean"] == pytest.approx(mean)
    assert got["std"] == pytest.approx(0.0)
    assert got["min"] == pytest.approx(mean) and got["max"] == pytest.approx(mean)
    assert got["unit"] == "HU"
    assert got["area"] == pytest.approx(area)
    assert got["areaUnit"] == "mm²"
    assert got["kind"] == kind
    assert got["calibration"] == "Pixel Spacing"


@pytest.mark.parametrize("frame", [0, 1, 2])
def test_region_background_follows_the_slice(ct, frame):
    # background of slice k is 40 + 10 k HU; rows 7..8 x columns 0..19 are all background
    inspector, _ = ct
    got = inspector.region(0, frame, "rect", (0, 7, 20, 9))
    assert got["pixels"] == 40
    assert got["mean"] == pytest.approx(40.0 + 10.0 * frame)
    # 20 columns x 0.8 mm by 2 rows x 0.5 mm = 16 mm² = 40 pixels x 0.4 mm²
    assert got["area"] == pytest.approx(40 * ROW_MM * COL_MM)


def test_region_straddling_two_tissues(ct):
    # columns 1..4 x rows 2..3 on slice 0: columns 1, 2 are background (40), 3, 4 bone (1000)
    # → 4 pixels of 40 and 4 of 1000: mean 520, population std 480, min 40, max 1000
    inspector, _ = ct
    got = inspector.region(0, 0, "rect", (1, 2, 5, 4))
    assert got["pixels"] == 8
    assert got["mean"] == pytest.approx(520.0)
    assert got["std"] == pytest.approx(480.0)
    assert (got["min"], got["max"]) == (pytest.approx(40.0), pytest.approx(1000.0))


def test_region_with_no_pixel_centre_is_none(ct):
    inspector, _ = ct
    assert inspector.region(0, 0, "rect", (0.6, 0.6, 1.4, 1.4)) is None
    assert inspector.region(0, 0, "ellipse", (5, 5, 5, 9)) is None


@pytest.mark.parametrize(
    ("frame", "column", "row", "stored", "hu", "patient"),
    [
        # (4.7, 3.2) is pixel column 4, row 3: bone.
        # x = -100 + 4 * 0.8 = -96.8, y = -50 + 3 * 0.5 = -48.5
        pytest.param(0, 4.7, 3.2, 2024, 1000.0, (-96.8, -48.5, 0.0), id="bone-slice-0"),
        # column 0, row 0 on slice 2: background 60 HU, stored 1084, at the origin, z = 5
        pytest.param(2, 0.0, 0.0, 1084, 60.0, (-100.0, -50.0, 5.0), id="origin-slice-2"),
        # (19.99, 15.99) → column 19, row 15; slice 1: 50 HU.
        # x = -100 + 19 * 0.8 = -84.8, y = -50 + 15 * 0.5 = -42.5
        pytest.param(1, 19.99, 15.99, 1074, 50.0, (-84.8, -42.5, 2.5), id="last-pixel-slice-1"),
        # (12, 10) → -500 HU, stored 524; x = -100 + 9.6 = -90.4, y = -50 + 5 = -45
        pytest.param(1, 12.0, 10.0, 524, -500.0, (-90.4, -45.0, 2.5), id="dark-block"),
        # non-square check: column 10, row 4 (background, 40 HU):
        # x = -100 + 10 * 0.8 = -92 (not -95), y = -50 + 4 * 0.5 = -48 (not -46.8)
        pytest.param(0, 10.5, 4.5, 1064, 40.0, (-92.0, -48.0, 0.0), id="spacing-order"),
    ],
)
def test_probe(ct, frame, column, row, stored, hu, patient):
    inspector, _ = ct
    got = inspector.probe(0, frame, column, row)
    assert got is not None
    assert (got["column"], got["row"]) == (int(column), int(row))
    assert got["stored"] == stored
    assert got["value"] == pytest.approx(hu)
    assert got["unit"] == "HU"
    assert got["patient"] == pytest.approx(patient)


@pytest.mark.parametrize(("column", "row"), [(-0.5, 3), (20.0, 3), (3, -0.01), (3, 16.0)])
def test_probe_outside_the_image_is_none(ct, column, row):
    inspector, _ = ct
    assert inspector.probe(0, 0, column, row) is None


def test_geometry_positions_step_by_the_slice_spacing(ct):
    inspector, datasets = ct
    got = inspector.geometry(0)
    assert got["positions"] == pytest.approx([0.0, 2.5, 5.0])
    assert got["frameOfReference"] == str(datasets[0].FrameOfReferenceUID)


def test_geometry_of_a_sagittal_series():
    # sagittal [0,1,0, 0,0,-1]: normal = row x column = (0,1,0) x (0,0,-1) = (-1, 0, 0);
    # slices at x = 0, 3, 6 → distances 0, -3, -6, ordered ascending → -6, -3, 0
    series_uid, study_uid = generate_uid(), generate_uid()
    items = []
    for k in range(3):
        ds = synth.ct_dataset(
            np.zeros((4, 4)), series_uid=series_uid, study_uid=study_uid, instance=k + 1, z_mm=0.0
        )
        ds.ImageOrientationPatient = [0, 1, 0, 0, 0, -1]
        ds.ImagePositionPatient = [3.0 * k, 0.0, 0.0]
        items.append((f"S{k}", synth.to_bytes(ds)))
    session = Session()
    session.open(items)
    got = Inspector(session).geometry(0)
    assert got["positions"] == pytest.approx([-6.0, -3.0, 0.0])
    assert np.diff(got["positions"]) == pytest.approx([3.0, 3.0])


def test_geometry_without_positions(make_image):
    uid = generate_uid()
    session = Session()
    session.open(
        [
            ("a", make_image(instance=1, series_uid=uid)),
            ("b", make_image(instance=2, series_uid=uid)),
        ]
    )
    got = Inspector(session).geometry(0)
    assert (got["frameOfReference"], got["positions"]) == (None, [None, None])
    assert [f["position"] for f in got["frames"]] == [None, None]


def test_describe_through_the_inspector(ct):
    inspector, _ = ct
    got = inspector.describe(0, 2)
    assert got["modality"] == "CT"
    assert got["position"] == [-100.0, -50.0, 5.0]
    assert got["orientation"] == {"right": "L", "left": "R", "bottom": "P", "top": "A"}
    assert got["calibration"] == {
        "kind": "Pixel Spacing",
        "row_mm": 0.5,
        "column_mm": 0.8,
        "note": "",
    }
    assert got["sliceLocation"] == 5.0


def test_header_through_the_inspector(ct):
    inspector, _ = ct
    got = inspector.header(0, 1)
    assert set(got) == {"meta", "dataset", "hidden"} and got["hidden"] is False
    by_tag = {node["tag"]: node for node in got["dataset"]}
    assert by_tag["(0008,0060)"]["value"] == "CT"
    assert by_tag["(0020,0013)"]["value"] == "2"  # the second slice's Instance Number
    assert by_tag["(0028,0030)"]["keyword"] == "PixelSpacing"
    assert by_tag["(0028,0030)"]["value"] == "0.5\\0.8"
    assert float(by_tag["(0028,1052)"]["value"]) == -1024.0  # Rescale Intercept
    meta = {node["tag"]: node for node in got["meta"]}
    assert meta["(0002,0010)"]["value"] == "1.2.840.10008.1.2.1"
