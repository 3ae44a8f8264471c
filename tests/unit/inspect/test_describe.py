"""lightbox.inspect.describe: calibration, orientation labels, patient position, frame rate.

Expected values are worked out by hand in the comments (PS3.3 C.7.6.2.1.1 for the
geometry, 10.7.1.3 for Pixel Spacing / Imager Pixel Spacing, C.8.5.5 for ultrasound).
"""

from __future__ import annotations

import math

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from lightbox.inspect import describe
from lightbox.inspect.describe import (
    UNCALIBRATED,
    Calibration,
    direction_label,
    frame_rate,
    orientation_labels,
    patient_position,
    read_calibration,
)

# -- read_calibration ------------------------------------------------------------------------


def _us_region(units_x: int, units_y: int, dx: float, dy: float) -> Dataset:
    region = Dataset()
    region.RegionSpatialFormat = 1
    region.RegionDataType = 1
    region.PhysicalUnitsXDirection = units_x
    region.PhysicalUnitsYDirection = units_y
    region.PhysicalDeltaX = dx
    region.PhysicalDeltaY = dy
    return region


def _pixel_measures(spacing: list[float]) -> Dataset:
    group = Dataset()
    measures = Dataset()
    measures.PixelSpacing = spacing
    measures.SliceThickness = 1.0
    group.PixelMeasuresSequence = Sequence([measures])
    return group


def _with(**attributes):
    """A plain Dataset with the given attributes (sequences given as lists of Datasets)."""
    ds = Dataset()
    for keyword, value in attributes.items():
        is_items = isinstance(value, list) and value and isinstance(value[0], Dataset)
        setattr(ds, keyword, Sequence(value) if is_items else value)
    return ds


CALIBRATION_CASES = [
    pytest.param(
        _with(PixelSpacing=[0.5, 0.7], ImagerPixelSpacing=[0.2, 0.2]),
        Calibration("Pixel Spacing", 0.5, 0.7, ""),
        id="pixel-spacing-wins-over-imager",
    ),
    pytest.param(
        _with(PixelSpacing=[0.5, 0.7]),
        Calibration("Pixel Spacing", 0.5, 0.7, ""),
        id="pixel-spacing-row-then-column",
    ),
    pytest.param(
        # 0.2 / 1.25 = 0.16, 0.3 / 1.25 = 0.24
        _with(ImagerPixelSpacing=[0.2, 0.3], EstimatedRadiographicMagnificationFactor=1.25),
        Calibration(
            "Imager Pixel Spacing",
            0.16,
            0.24,
            "corrected by the estimated magnification factor 1.25",
        ),
        id="imager-corrected-by-magnification",
    ),
    pytest.param(
        # PhysicalUnits 3 = cm; 0.05 cm = 0.5 mm in both directions
        _with(SequenceOfUltrasoundRegions=[_us_region(3, 3, 0.05, 0.05)]),
        Calibration("Ultrasound Region", 0.5, 0.5, "from the first ultrasound region"),
        id="ultrasound-cm",
    ),
    pytest.param(
        # X (horizontal) delta 0.04 cm → between columns 0.4 mm; Y 0.06 cm → between rows 0.6 mm
        _with(SequenceOfUltrasoundRegions=[_us_region(3, 3, 0.04, 0.06)]),
        Calibration("Ultrasound Region", 0.6, 0.4, "from the first ultrasound region"),
        id="ultrasound-x-is-column-y-is-row",
    ),
    pytest.param(
        # Doppler region (units 4 = seconds, 7 = cm/s) first: skipped; the cm region is used
        _with(
            SequenceOfUltrasoundRegions=[
                _us_region(4, 7, 0.01, 0.5),
                _us_region(3, 3, 0.03, 0.03),
            ]
        ),
        Calibration("Ultrasound Region", 0.3, 0.3, "from the first ultrasound region"),
        id="ultrasound-first-cm-region",
    ),
    pytest.param(
        _with(SequenceOfUltrasoundRegions=[_us_region(4, 7, 0.01, 0.5), _us_region(0, 0, 1, 1)]),
        UNCALIBRATED,
        id="ultrasound-other-units-ignored",
    ),
    pytest.param(
        _with(SequenceOfUltrasoundRegions=[_us_region(3, 4, 0.05, 0.01)]),
        UNCALIBRATED,
        id="ultrasound-mixed-units-ignored",
    ),
    pytest.param(_with(Modality="OT"), UNCALIBRATED, id="nothing"),
    pytest.param(
        _with(SharedFunctionalGroupsSequence=[_pixel_measures([0.8, 0.9])]),
        Calibration("Pixel Spacing", 0.8, 0.9, ""),
        id="shared-functional-groups",
    ),
    pytest.param(
        # a zero spacing is no spacing: falls through to Imager Pixel Spacing
        _with(PixelSpacing=[0.0, 0.5], ImagerPixelSpacing=[0.25, 0.25]),
        Calibration(
            "Imager Pixel Spacing",
            0.25,
            0.25,
            "measured at the detector: objects in the patient are magnified by the projection",
        ),
        id="zero-pixel-spacing-ignored",
    ),
]


@pytest.mark.parametrize(("ds", "expected"), CALIBRATION_CASES)
def test_read_calibration_choice(ds, expected):
    got = read_calibration(ds)
    assert got.kind == expected.kind
    assert got.note == expected.note
    if expected.row_mm is None:
        assert got.row_mm is None and got.column_mm is None
        assert not got.calibrated
    else:
        assert got.row_mm == pytest.approx(expected.row_mm)
        assert got.column_mm == pytest.approx(expected.column_mm)
        assert got.calibrated


def test_imager_pixel_spacing_alone_warns_about_magnification():
    got = read_calibration(_with(ImagerPixelSpacing=[0.139, 0.139]))
    assert got.kind == "Imager Pixel Spacing"
    assert (got.row_mm, got.column_mm) == (pytest.approx(0.139), pytest.approx(0.139))
    assert "magnif" in got.note and "detector" in got.note


@pytest.mark.parametrize("factor", ["", 0, -1.5])
def test_unusable_magnification_factor_leaves_detector_spacing(factor):
    ds = _with(ImagerPixelSpacing=[0.2, 0.3])
    ds.EstimatedRadiographicMagnificationFactor = factor
    got = read_calibration(ds)
    assert (got.row_mm, got.column_mm) == (pytest.approx(0.2), pytest.approx(0.3))
    assert "magnified" in got.note


def test_per_frame_pixel_measures_win_over_shared_and_follow_the_frame():
    ds = _with(
        PerFrameFunctionalGroupsSequence=[_pixel_measures([0.3, 0.4]), _pixel_measures([0.6, 0.7])],
        SharedFunctionalGroupsSequence=[_pixel_measures([0.8, 0.9])],
    )
    assert (read_calibration(ds, 0).row_mm, read_calibration(ds, 0).column_mm) == (0.3, 0.4)
    assert (read_calibration(ds, 1).row_mm, read_calibration(ds, 1).column_mm) == (0.6, 0.7)
    # a frame with no per-frame item falls back to the shared group
    assert (read_calibration(ds, 5).row_mm, read_calibration(ds, 5).column_mm) == (0.8, 0.9)


# -- direction_label / orientation_labels ----------------------------------------------------

C30, S30 = math.cos(math.radians(30)), math.sin(math.radians(30))  # 0.866, 0.5
C40, S40 = math.cos(math.radians(40)), math.sin(math.radians(40))  # 0.766, 0.643


@pytest.mark.parametrize(
    ("orientation", "expected"),
    [
        pytest.param(
            [1, 0, 0, 0, 1, 0],
            {"right": "L", "left": "R", "bottom": "P", "top": "A"},
            id="axial",
        ),
        pytest.param(
            [1, 0, 0, 0, 0, -1],
            {"right": "L", "left": "R", "bottom": "F", "top": "H"},
            id="coronal",
        ),
        pytest.param(
            [0, 1, 0, 0, 0, -1],
            {"right": "P", "left": "A", "bottom": "F", "top": "H"},
            id="sagittal",
        ),
        pytest.param(
            # axial rotated 30° about z: row (0.866, 0.5, 0) → "LP"; column (-0.5, 0.866, 0) → "PR"
            [C30, S30, 0, -S30, C30, 0],
            {"right": "LP", "left": "RA", "bottom": "PR", "top": "AL"},
            id="oblique-30-about-z",
        ),
        pytest.param(
            # then 40° about x, (x, y, z) → (x, y cos40 - z sin40, y sin40 + z cos40):
            # row (0.866, 0.5*0.766=0.383, 0.5*0.643=0.321) → L, P, H
            # column (-0.5, 0.866*0.766=0.663, 0.866*0.643=0.557) → P, H, R
            [C30, S30 * C40, S30 * S40, -S30, C30 * C40, C30 * S40],
            {"right": "LPH", "left": "RAF", "bottom": "PHR", "top": "AFL"},
            id="double-oblique",
        ),
        pytest.param(
            # 10° about z: sin 10° = 0.174 is below the 0.25 threshold → single letters
            [
                math.cos(math.radians(10)),
                math.sin(math.radians(10)),
                0,
                -math.sin(math.radians(10)),
                math.cos(math.radians(10)),
                0,
            ],
            {"right": "L", "left": "R", "bottom": "P", "top": "A"},
            id="slightly-oblique-below-threshold",
        ),
    ],
)
def test_orientation_labels(orientation, expected):
    assert orientation_labels(orientation) == expected


@pytest.mark.parametrize(
    ("vector", "expected"),
    [
        ([1, 0, 0], "L"),
        ([-1, 0, 0], "R"),
        ([0, 1, 0], "P"),
        ([0, -1, 0], "A"),
        ([0, 0, 1], "H"),
        ([0, 0, -1], "F"),
        ([0.3, -0.9, 0.2], "AL"),  # strongest first; 0.2 < 0.25 dropped
        ([0.25, 0.0, -0.97], "FL"),  # exactly the threshold counts
        ([0.249, 0.0, -0.97], "F"),
        ([-0.6, 0.48, -0.64], "FRP"),  # 0.64 F, 0.6 R, 0.48 P
        ([0.0, 0.0, 0.0], ""),
    ],
)
def test_direction_label(vector, expected):
    assert direction_label(vector) == expected


# -- patient_position (PS3.3 C.7.6.2.1.1, eq. C.7.6.2.1-1) -----------------------------------
#
# P = S + X * Δi * i + Y * Δj * j, where S is Image Position, X the row cosine (towards
# increasing column i), Y the column cosine (towards increasing row j), Δi the column spacing
# (between columns: Pixel Spacing[1]) and Δj the row spacing (between rows: Pixel Spacing[0]).


@pytest.mark.parametrize(
    ("position", "orientation", "spacing", "column", "row", "expected"),
    [
        pytest.param(
            # axial, rows 0.5 mm apart, columns 0.8 mm apart; column 10, row 4:
            # x = -100 + 10 * 0.8 = -92, y = -50 + 4 * 0.5 = -48
            [-100, -50, 20],
            [1, 0, 0, 0, 1, 0],
            (0.5, 0.8),
            10,
            4,
            (-92.0, -48.0, 20.0),
            id="axial-non-square",
        ),
        pytest.param(
            # coronal; column 6 * 0.5 = 3 along +x; row 3 * 2 = 6 along -z
            [0, 0, 0],
            [1, 0, 0, 0, 0, -1],
            (2.0, 0.5),
            6,
            3,
            (3.0, 0.0, -6.0),
            id="coronal",
        ),
        pytest.param(
            # sagittal; column 8 * 0.25 = 2 along +y; row 2 * 1.5 = 3 along -z
            [10, 0, 0],
            [0, 1, 0, 0, 0, -1],
            (1.5, 0.25),
            8,
            2,
            (10.0, 2.0, -3.0),
            id="sagittal",
        ),
        pytest.param(
            # 30° oblique; column 3 * 2 mm = 6 along (0.866, 0.5, 0),
            # row 4 * 1 mm = 4 along (-0.5, 0.866, 0)
            # x = 10 + 6*0.866 - 4*0.5 = 13.196; y = 20 + 6*0.5 + 4*0.866 = 26.464
            [10, 20, 30],
            [C30, S30, 0, -S30, C30, 0],
            (1.0, 2.0),
            3,
            4,
            (10 + 6 * C30 - 2, 20 + 3 + 4 * C30, 30.0),
            id="oblique",
        ),
        pytest.param([5, 6, 7], [1, 0, 0, 0, 1, 0], (0.3, 0.9), 0, 0, (5.0, 6.0, 7.0), id="origin"),
    ],
)
def test_patient_position(position, orientation, spacing, column, row, expected):
    assert patient_position(position, orientation, spacing, column, row) == pytest.approx(expected)


# -- frame_rate ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param({"FrameTime": 40}, 25.0, id="frame-time-ms"),
        pytest.param({"FrameTime": 33.3, "CineRate": 10}, 1000 / 33.3, id="frame-time-wins"),
        pytest.param(
            {"FrameTime": 50, "CineRate": 10, "RecommendedDisplayFrameRate": 30},
            20.0,
            id="frame-time-wins-over-both",
        ),
        pytest.param(
            {"CineRate": 15, "RecommendedDisplayFrameRate": 30}, 15.0, id="cine-rate-next"
        ),
        pytest.param({"RecommendedDisplayFrameRate": 24}, 24.0, id="recommended-last"),
        pytest.param({"FrameTime": 0, "CineRate": 12}, 12.0, id="zero-frame-time-skipped"),
        pytest.param(
            {"CineRate": 0, "RecommendedDisplayFrameRate": 8}, 8.0, id="zero-cine-skipped"
        ),
        pytest.param({}, None, id="none"),
    ],
)
def test_frame_rate(attributes, expected):
    ds = _with(**attributes)
    got = frame_rate(ds)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


# -- describe --------------------------------------------------------------------------------

DESCRIBE_KEYS = {
    "patient",
    "study",
    "seriesDescription",
    "seriesNumber",
    "modality",
    "sliceLocation",
    "sliceThickness",
    "orientation",
    "orientationCosines",
    "position",
    "calibration",
    "lossy",
    "frameRate",
}


def test_describe_full(make_dataset):
    ds = make_dataset(
        modality="MR",
        series_number=7,
        position=[-120.5, -98.0, 33.25],
        orientation=[1, 0, 0, 0, 0, -1],
    )
    ds.PatientName = "Doe^Jane^^Dr"
    ds.PatientID = " P-123 "
    ds.PatientBirthDate = "19700102"
    ds.PatientSex = "F"
    ds.StudyDate = "20240131"
    ds.StudyDescription = "Knee"
    ds.SeriesDescription = "PD FS cor"
    ds.SliceLocation = 12.5
    ds.SliceThickness = 3
    ds.PixelSpacing = [0.4, 0.6]
    ds.LossyImageCompression = "01"
    ds.FrameTime = 100
    got = describe.describe(ds)
    assert set(got) == DESCRIBE_KEYS
    assert got["patient"] == {
        "name": "Doe Jane  Dr",  # every ^ becomes a space; only the ends are stripped
        "id": "P-123",
        "birthDate": "19700102",
        "sex": "F",
    }
    assert got["study"] == {"date": "20240131", "description": "Knee"}
    assert got["seriesDescription"] == "PD FS cor"
    assert got["seriesNumber"] == "7"
    assert got["modality"] == "MR"
    assert got["sliceLocation"] == 12.5
    assert got["sliceThickness"] == 3.0
    assert got["orientation"] == {"right": "L", "left": "R", "bottom": "F", "top": "H"}
    assert got["orientationCosines"] == [1.0, 0.0, 0.0, 0.0, 0.0, -1.0]
    assert got["position"] == [-120.5, -98.0, 33.25]
    assert got["calibration"] == {
        "kind": "Pixel Spacing",
        "row_mm": 0.4,
        "column_mm": 0.6,
        "note": "",
    }
    assert got["lossy"] is True
    assert got["frameRate"] == pytest.approx(10.0)


def test_describe_minimal(make_dataset):
    got = describe.describe(make_dataset())
    assert set(got) == DESCRIBE_KEYS
    assert got["patient"] == {"name": "", "id": "", "birthDate": "", "sex": ""}
    assert got["orientation"] is None
    assert got["orientationCosines"] is None
    assert got["position"] is None
    assert got["sliceLocation"] is None
    assert got["calibration"] == {
        "kind": "uncalibrated",
        "row_mm": None,
        "column_mm": None,
        "note": "uncalibrated (pixels)",
    }
    assert got["lossy"] is False
    assert got["frameRate"] is None


@pytest.mark.parametrize(("value", "lossy"), [("01", True), ("00", False), (None, False)])
def test_describe_lossy_flag(make_dataset, value, lossy):
    ds = make_dataset()
    if value is not None:
        ds.LossyImageCompression = value
    assert describe.describe(ds)["lossy"] is lossy


def test_describe_reads_per_frame_plane_position_and_orientation(make_dataset):
    """Enhanced multi-frame: each frame's position from its functional group (PS3.3 C.7.6.16)."""
    ds = make_dataset(frames=2, rows=4, cols=4)
    groups = []
    for z in (10.0, 12.5):
        group = Dataset()
        position = Dataset()
        position.ImagePositionPatient = [0.0, 0.0, z]
        group.PlanePositionSequence = Sequence([position])
        groups.append(group)
    ds.PerFrameFunctionalGroupsSequence = Sequence(groups)
    shared = _pixel_measures([0.7, 0.7])
    plane = Dataset()
    plane.ImageOrientationPatient = [0, 1, 0, 0, 0, -1]
    shared.PlaneOrientationSequence = Sequence([plane])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    first, second = describe.describe(ds, 0), describe.describe(ds, 1)
    assert first["position"] == [0.0, 0.0, 10.0]
    assert second["position"] == [0.0, 0.0, 12.5]
    assert second["orientation"] == {"right": "P", "left": "A", "bottom": "F", "top": "H"}
    assert second["calibration"]["row_mm"] == 0.7
