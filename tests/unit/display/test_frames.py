"""lightbox.display.frames: per-frame parameters of Enhanced multi-frame objects (PS3.3 C.7.6.16).

Synthetic Enhanced CT-like datasets come from conftest's ``make_enhanced``; the
real file is pydicom's ``liver_1frame.dcm`` (a Segmentation with shared and
per-frame functional groups, bundled with pydicom; see conftest.py).
"""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset

from lightbox.core.records import VoiFunction, Window
from lightbox.display import frames, pipeline
from lightbox.display.luts import Rescale

PIXELS = np.arange(3 * 4 * 5, dtype=np.int16).reshape(3, 4, 5)
RESCALES = [(1.0, -1024.0), (2.0, -100.0), (0.5, 7.0)]
WINDOWS = [
    [(40.0, 400.0, "BRAIN"), (300.0, 1500.0, "BONE")],
    [(-600.0, 1200.0, "LUNG")],
    [(50.0, 350.0, "SOFT")],
]


def test_functional_group_prefers_the_frame_then_the_shared_item():
    ds = Dataset()
    shared = Dataset()
    shared.PixelMeasuresSequence = [Dataset()]
    shared.PixelMeasuresSequence[0].PixelSpacing = [9, 9]
    ds.SharedFunctionalGroupsSequence = [shared]
    first, second = Dataset(), Dataset()
    first.PixelMeasuresSequence = [Dataset()]
    first.PixelMeasuresSequence[0].PixelSpacing = [1, 1]
    ds.PerFrameFunctionalGroupsSequence = [first, second]
    assert frames.functional_group(ds, 0, frames.PIXEL_MEASURES).PixelSpacing == [1, 1]
    assert frames.functional_group(ds, 1, frames.PIXEL_MEASURES).PixelSpacing == [9, 9]
    assert frames.functional_group(ds, 5, frames.PIXEL_MEASURES).PixelSpacing == [9, 9]
    assert frames.functional_group(ds, 0, frames.PLANE_POSITION) is None
    assert frames.is_enhanced(ds) and not frames.is_enhanced(Dataset())


@pytest.mark.parametrize("index", [0, 1, 2])
def test_per_frame_rescale_windows_and_geometry(make_enhanced, index):
    ds = make_enhanced(PIXELS, rescales=RESCALES, windows=WINDOWS)
    params = frames.read_frames(ds, 3)[index]
    slope, intercept = RESCALES[index]
    assert params.modality == Rescale(slope, intercept, "HU")
    assert params.windows == tuple(
        Window(c, w, VoiFunction.LINEAR, e) for c, w, e in WINDOWS[index]
    )
    assert params.voi_luts == ()
    assert params.geometry == frames.FrameGeometry(
        position=(0.0, 0.0, 3.0 * index),
        orientation=(1.0, 0.0, 0.0, 0.0, 1.0, 0.0),
        pixel_spacing=(0.5, 0.75),
        slice_thickness=2.0,
    )


def test_shared_macros_apply_to_every_frame(make_enhanced):
    ds = make_enhanced(
        PIXELS, shared_rescale=(3.0, -5.0), shared_window=(10.0, 20.0, "S"), voi_function="SIGMOID"
    )
    params = frames.read_frames(ds, 3)
    assert {p.modality for p in params} == {Rescale(3.0, -5.0, "HU")}
    assert {p.windows for p in params} == {(Window(10.0, 20.0, VoiFunction.SIGMOID, "S"),)}
    assert [p.geometry.position for p in params] == [
        (0.0, 0.0, 0.0),
        (0.0, 0.0, 3.0),
        (0.0, 0.0, 6.0),
    ]


def test_enhanced_ct_without_rescale_type_is_hounsfield(make_enhanced):
    ds = make_enhanced(PIXELS, rescales=RESCALES, rescale_type=None)
    assert frames.read_modality(ds, 1) == Rescale(2.0, -100.0, "HU")
    mr = make_enhanced(PIXELS, rescales=RESCALES, rescale_type=None, modality="MR")
    assert frames.read_modality(mr, 1) == Rescale(2.0, -100.0, "")


def test_without_macros_the_header_is_used(make_enhanced):
    ds = make_enhanced(PIXELS)
    ds.RescaleSlope, ds.RescaleIntercept = 4, 1
    ds.WindowCenter, ds.WindowWidth = 7, 9
    params = frames.read_frame(ds, 2)
    assert params.modality == Rescale(4.0, 1.0, "HU")
    assert params.windows == (Window(7.0, 9.0),)


def test_classic_image_frames_share_one_reading(make_dataset):
    ds = make_dataset(
        frames=4,
        window=[(1, 2), (3, 4)],
        rescale=(2, 5),
        position=(1, 2, 3),
        orientation=(0, 1, 0, 0, 0, -1),
    )
    params = frames.read_frames(ds, 4)
    assert len(params) == 4 and len({id(p) for p in params}) == 1
    assert params[3].modality == Rescale(2.0, 5.0, "")
    assert params[3].windows == (Window(1.0, 2.0), Window(3.0, 4.0))
    assert params[3].geometry.position == (1.0, 2.0, 3.0)
    assert params[3].geometry.orientation == (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)


def test_frame_voi_lut_item_may_hold_a_voi_lut_sequence(make_enhanced):
    ds = make_enhanced(PIXELS, windows=WINDOWS)
    lut = Dataset()
    lut.LUTDescriptor = [3, 0xFFFE, 8]  # first value mapped -2 (SS: rescale can go negative)
    lut.LUTData = [0, 128, 255]
    lut.LUTExplanation = "CURVE"
    ds.PerFrameFunctionalGroupsSequence[1].FrameVOILUTSequence[0].VOILUTSequence = [lut]
    ds.PerFrameFunctionalGroupsSequence[1].PixelValueTransformationSequence = [Dataset()]
    ds.PerFrameFunctionalGroupsSequence[1].PixelValueTransformationSequence[0].RescaleIntercept = -1
    ds.PerFrameFunctionalGroupsSequence[1].PixelValueTransformationSequence[0].RescaleSlope = 1
    params = frames.read_frame(ds, 1)
    (read,) = params.voi_luts
    assert (read.first, read.bits, read.explanation) == (-2, 8, "CURVE")
    assert read.data.tolist() == [0, 128, 255]
    assert frames.read_frame(ds, 0).voi_luts == ()


def test_real_segmentation_geometry(pydicom_file):
    """liver_1frame.dcm: shared Pixel Measures and Orientation, per-frame Position."""
    ds = pydicom.dcmread(pydicom_file("liver_1frame.dcm"), stop_before_pixels=True)
    (params,) = frames.read_frames(ds, 1)
    assert params.geometry.position == pytest.approx((-235.2, -226.8, -128.69))
    assert params.geometry.orientation == (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    assert params.geometry.pixel_spacing == pytest.approx((0.810547, 0.810547))
    assert params.geometry.slice_thickness == 1.0
    assert params.modality == Rescale()
    assert frames.geometry_json(params.geometry)["pixelSpacing"] == pytest.approx([0.810547] * 2)


def test_per_frame_parameters_drive_the_display_math(make_enhanced):
    """Each frame's stored values go through its own rescale and window (C.11.1, C.11.2)."""
    ds = make_enhanced(PIXELS, rescales=RESCALES, windows=WINDOWS)
    for index, params in enumerate(frames.read_frames(ds, 3)):
        slope, intercept = RESCALES[index]
        c, w, _ = WINDOWS[index][0]
        out = pipeline.gray_to_display(PIXELS[index], params.modality, params.windows[0], False)
        x = PIXELS[index].astype(float) * slope + intercept
        lo, hi = c - 0.5 - (w - 1) / 2, c - 0.5 + (w - 1) / 2  # PS3.3 C.11.2.1.2.1
        y = np.where(x <= lo, 0, np.where(x > hi, 255, ((x - (c - 0.5)) / (w - 1) + 0.5) * 255))
        np.testing.assert_array_equal(out, np.floor(y + 0.5).astype(np.uint8))
