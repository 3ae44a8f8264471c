"""lightbox.core: the tolerant value readers and the facts every layer shares, in one place each."""

from __future__ import annotations

import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.uid import JPEGBaseline8Bit, JPEGExtended12Bit, JPEGLSLossless, RLELossless

from lightbox.core import geometry, lossy, tags, values
from lightbox.inspect.describe import describe


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, [], id="absent"),
        pytest.param("", [], id="empty"),
        pytest.param("40.5", [40.5], id="one-text"),
        pytest.param(7, [7.0], id="one-number"),
        pytest.param(MultiValue(str, ["40", "x", "-3"]), [40.0, -3.0], id="bad-value-left-out"),
        pytest.param([1, None, 2.5], [1.0, 2.5], id="list"),
    ],
)
def test_numbers(value, expected):
    assert values.numbers(value) == expected


@pytest.mark.parametrize(
    ("value", "default", "expected"),
    [
        pytest.param(None, 1, 1, id="absent"),
        pytest.param("", 1, 1, id="empty"),
        pytest.param("3", 1, 3, id="text"),
        pytest.param("three", 1, 1, id="not-a-number"),
        pytest.param([4, 5], 1, 4, id="first-of-several"),
        pytest.param([], 9, 9, id="none-of-several"),
        pytest.param(0, 1, 0, id="zero-is-a-value"),
    ],
)
def test_int_or(value, default, expected):
    assert values.int_or(value, default) == expected


def test_the_other_readers():
    assert values.float_or_none("2.5") == 2.5 and values.float_or_none("x") is None
    assert values.float_or_none(None) is None
    assert values.int_or_none("12") == 12 and values.int_or_none("") is None
    assert values.floats(["1", "2"], 2) == (1.0, 2.0) and values.floats(["1"], 2) is None
    assert values.strings(None) == [] and values.strings(["A", 1]) == ["A", "1"]
    assert values.text("  x ") == "x" and values.text(None) == ""


def test_the_normal_is_row_cross_column():
    assert geometry.normal((1, 0, 0, 0, 1, 0)).tolist() == [0.0, 0.0, 1.0]  # axial: +z
    assert geometry.normal((0, 1, 0, 0, 0, -1)).tolist() == [-1.0, 0.0, 0.0]  # sagittal
    oblique = (0.0, np.sqrt(0.5), np.sqrt(0.5), 1.0, 0.0, 0.0)
    np.testing.assert_allclose(geometry.normal(oblique), [0.0, np.sqrt(0.5), -np.sqrt(0.5)])


@pytest.mark.parametrize(
    ("flag", "syntax", "expected"),
    [
        pytest.param(None, "1.2.840.10008.1.2.1", False, id="native"),
        pytest.param("01", "1.2.840.10008.1.2.1", True, id="flagged-then-decompressed"),
        pytest.param("00", JPEGBaseline8Bit, True, id="jpeg-baseline-whatever-the-flag"),
        pytest.param(None, JPEGExtended12Bit, True, id="jpeg-extended"),
        pytest.param(None, JPEGLSLossless, False, id="jpeg-ls-lossless"),
        pytest.param(None, RLELossless, False, id="rle"),
        pytest.param("01 ", None, True, id="padded-flag-no-syntax"),
    ],
)
def test_is_lossy(flag, syntax, expected):
    assert lossy.is_lossy(flag, syntax) is expected


def test_the_on_image_marker_follows_the_same_rule():
    ds = Dataset()
    ds.file_meta = Dataset()
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    assert describe(ds)["lossy"] is True  # the report says so too (catalog.facts.image_facts)
    ds.file_meta.TransferSyntaxUID = RLELossless
    assert describe(ds)["lossy"] is False
    ds.LossyImageCompression = "01"
    assert describe(ds)["lossy"] is True


def test_the_pixel_data_tags():
    assert tags.PIXEL_KEYWORD == {
        0x7FE00010: "PixelData",
        0x7FE00008: "FloatPixelData",
        0x7FE00009: "DoubleFloatPixelData",
    }
    assert tags.PIXEL_TAGS[0] == tags.PIXEL_DATA
