"""lightbox.display.transforms: windowing checked against the standard's formulas, written out here.

The reference below is a scalar transcription of PS3.3 C.11.2.1.2.1 (LINEAR),
C.11.2.1.3.2 (LINEAR_EXACT) and C.11.2.1.3.1 (SIGMOID), independent of the
vectorised code under test.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.pixels.processing import apply_color_lut

from lightbox.core.records import Photometric, VoiFunction, Window
from lightbox.display import transforms as display
from lightbox.display.transforms import Rescale
from tests.support.hand import EXACT, LINEAR, SIGMOID, half_up, reference_lut, reference_voi


def window_one(x: float, window: Window) -> tuple[float, int]:
    y = display.apply_window(np.array([x], dtype=np.float64), window)
    return float(y[0]), int(display.to_uint8(y, invert=False)[0])


# (function, center, width, x, expected 8-bit value worked out by hand)
HAND_WORKED = [
    pytest.param(LINEAR, 40, 400, -1000, 0, id="linear-far-below"),
    pytest.param(LINEAR, 40, 400, -160, 0, id="linear-exactly-at-lower-threshold"),
    pytest.param(LINEAR, 40, 400, 39.5, 128, id="linear-centre-is-127.5-rounds-up"),
    pytest.param(LINEAR, 40, 400, 140, 192, id="linear-inside-191.73"),
    pytest.param(LINEAR, 40, 400, 239, 255, id="linear-exactly-at-upper-threshold"),
    pytest.param(LINEAR, 40, 400, 1000, 255, id="linear-far-above"),
    pytest.param(LINEAR, 10, 1, 9, 0, id="linear-w1-below"),
    pytest.param(LINEAR, 10, 1, 9.5, 0, id="linear-w1-at-threshold"),
    pytest.param(LINEAR, 10, 1, 9.75, 255, id="linear-w1-just-above"),
    pytest.param(LINEAR, 10, 1, 10, 255, id="linear-w1-at-centre"),
    pytest.param(LINEAR, 0, 2, -1, 0, id="linear-w2-lower-threshold"),
    pytest.param(LINEAR, 0, 2, -0.5, 128, id="linear-w2-middle"),
    pytest.param(LINEAR, 0, 2, 0, 255, id="linear-w2-upper-threshold"),
    pytest.param(LINEAR, 2048, 4096, 0, 0, id="linear-12bit-full-range-min"),
    pytest.param(LINEAR, 2048, 4096, 4095, 255, id="linear-12bit-full-range-max"),
    pytest.param(EXACT, 40, 400, -160, 0, id="exact-exactly-at-lower-threshold"),
    pytest.param(EXACT, 40, 400, -159, 1, id="exact-just-inside-0.64"),
    pytest.param(EXACT, 40, 400, 40, 128, id="exact-centre-is-127.5-rounds-up"),
    pytest.param(EXACT, 40, 400, 140, 191, id="exact-inside-191.25"),
    pytest.param(EXACT, 40, 400, 240, 255, id="exact-exactly-at-upper-threshold"),
    pytest.param(EXACT, 0, 1, -0.5, 0, id="exact-w1-lower-threshold"),
    pytest.param(EXACT, 0, 1, 0.25, 191, id="exact-w1-inside"),
    pytest.param(EXACT, 0, 1, 0.5, 255, id="exact-w1-upper-threshold"),
    pytest.param(SIGMOID, 40, 400, 40, 128, id="sigmoid-centre-is-127.5"),
    pytest.param(SIGMOID, 40, 400, 140, 186, id="sigmoid-one-quarter-width-above"),
    pytest.param(SIGMOID, 40, 400, -60, 69, id="sigmoid-one-quarter-width-below"),
    pytest.param(SIGMOID, 40, 400, 10_000, 255, id="sigmoid-far-above"),
    pytest.param(SIGMOID, 40, 400, -10_000, 0, id="sigmoid-far-below"),
]


@pytest.mark.parametrize(("function", "c", "w", "x", "expected"), HAND_WORKED)
def test_window_hand_worked_values(function, c, w, x, expected):
    assert half_up(reference_voi(x, c, w, function)) == expected  # the reference itself
    y, byte = window_one(x, Window(c, w, function))
    assert y == pytest.approx(reference_voi(x, c, w, function), rel=1e-12, abs=1e-9)
    assert byte == expected


def _thresholds(function: VoiFunction, c: float, w: float) -> list[float]:
    if function is LINEAR:
        return [c - 0.5 - (w - 1) / 2, c - 0.5 + (w - 1) / 2]
    if function is EXACT:
        return [c - w / 2, c + w / 2]
    return [c - w / 2, c + w / 2]


# (function, center, width): each swept over a grid plus its exact thresholds
SWEEPS = [
    pytest.param(LINEAR, 40.0, 400.0, id="linear-ct-brain"),
    pytest.param(LINEAR, -600.0, 1500.0, id="linear-ct-lung"),
    pytest.param(LINEAR, 40.3, 101.7, id="linear-fractional"),
    pytest.param(LINEAR, 0.0, 1.0, id="linear-w1"),
    pytest.param(LINEAR, 100.0, 1.5, id="linear-w1.5"),
    pytest.param(LINEAR, 32768.0, 65536.0, id="linear-16bit"),
    pytest.param(EXACT, 40.0, 400.0, id="exact-ct-brain"),
    pytest.param(EXACT, -12.25, 0.5, id="exact-narrow"),
    pytest.param(EXACT, 1e6, 3e5, id="exact-large"),
    pytest.param(SIGMOID, 40.0, 400.0, id="sigmoid-ct-brain"),
    pytest.param(SIGMOID, -3.5, 7.0, id="sigmoid-small"),
]


@pytest.mark.parametrize(("function", "c", "w"), SWEEPS)
def test_window_matches_reference_over_a_sweep(function, c, w):
    lo, hi = _thresholds(function, c, w)
    grid = np.linspace(lo - w, hi + w, 257)
    edges = [lo, hi, np.nextafter(lo, np.inf), np.nextafter(hi, -np.inf), np.nextafter(hi, np.inf)]
    x = np.concatenate([grid, np.array(edges, dtype=np.float64)])
    window = Window(c, w, function)
    y = display.apply_window(x, window)
    expected = np.array([reference_voi(float(v), c, w, function) for v in x])
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-9)
    assert display.to_uint8(y, invert=False).tolist() == [half_up(float(v)) for v in expected]


def test_to_uint8_rounds_half_up_and_clips():
    y = np.array([-3.0, 0.0, 0.49, 0.5, 1.5, 2.5, 127.5, 254.49, 254.5, 300.0])
    assert display.to_uint8(y, invert=False).tolist() == [0, 0, 0, 1, 2, 3, 128, 254, 255, 255]
    assert display.to_uint8(y, invert=True).tolist() == [255, 255, 255, 254, 253, 252, 127, 1, 0, 0]
    assert display.to_uint8(y, invert=False).dtype == np.uint8


# -- the lookup-table path against the direct path -----------------------------------------

STORED = [
    pytest.param(np.arange(-2048, 2048, dtype=np.int16).reshape(64, 64), id="int16-signed"),
    pytest.param(np.arange(0, 4096, dtype=np.uint16).reshape(64, 64), id="uint16-from-zero"),
    pytest.param(np.arange(1000, 5096, dtype=np.uint16).reshape(64, 64), id="uint16-offset"),
    pytest.param(np.arange(0, 256, dtype=np.uint8).reshape(16, 16), id="uint8"),
    pytest.param(np.array([[-40000, 0, 90000]], dtype=np.int32), id="int32-range-too-wide-for-lut"),
]
RESCALES = [
    pytest.param(Rescale(), id="identity"),
    pytest.param(Rescale(1.0, -1024.0), id="ct-intercept"),
    pytest.param(Rescale(0.5, 10.0), id="slope-and-intercept"),
    pytest.param(Rescale(-2.0, 3.0), id="negative-slope"),
]
WINDOWS = [
    pytest.param(Window(40, 400), id="linear"),
    pytest.param(Window(1000, 1, LINEAR), id="linear-w1"),
    pytest.param(Window(-20.5, 333, EXACT), id="exact"),
    pytest.param(Window(100, 800, SIGMOID), id="sigmoid"),
]


# exp() overflows to inf for values far below a sigmoid's centre; 255 / inf is the right 0.
@pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")
@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("rescale", RESCALES)
@pytest.mark.parametrize("stored", STORED)
@pytest.mark.parametrize("invert", [False, True])
def test_gray_lut_path_equals_direct_path(stored, rescale, window, invert):
    stored = stored.copy()
    stored.setflags(write=False)
    via_lut = display.gray_to_display(stored, rescale, window, invert)
    direct = display.gray_to_display(stored.astype(np.float64), rescale, window, invert)
    assert via_lut.dtype == np.uint8 and via_lut.shape == stored.shape
    np.testing.assert_array_equal(via_lut, direct)


@pytest.mark.parametrize("rescale", RESCALES)
@pytest.mark.parametrize("window", WINDOWS)
def test_gray_to_display_follows_the_standard_per_pixel(rescale, window):
    stored = np.array([[-1500, -1024, -200, 0], [1, 40, 700, 3071]], dtype=np.int16)
    out = display.gray_to_display(stored, rescale, window, invert=False)
    expected = [
        [
            half_up(
                reference_voi(
                    v * rescale.slope + rescale.intercept,
                    window.center,
                    window.width,
                    window.function,
                )
            )
            for v in row
        ]
        for row in stored.tolist()
    ]
    assert out.tolist() == expected


@pytest.mark.parametrize("dtype", [np.int16, np.uint16, np.float32])
def test_invert_composes_with_the_window(dtype):
    stored = np.arange(0, 600, 3).astype(dtype).reshape(10, 20)
    rescale, window = Rescale(1.0, -100.0), Window(50, 300)
    plain = display.gray_to_display(stored, rescale, window, invert=False)
    inverted = display.gray_to_display(stored, rescale, window, invert=True)
    assert plain.min() == 0 and plain.max() == 255  # the frame spans the window
    np.testing.assert_array_equal(inverted, 255 - plain)


# -- reading parameters from a Dataset -----------------------------------------------------


def test_read_windows_reads_every_pair_with_its_explanation():
    ds = Dataset()
    ds.WindowCenter = [40, 400]
    ds.WindowWidth = [400, 2000]
    ds.WindowCenterWidthExplanation = ["BRAIN", "BONE"]
    assert display.read_windows(ds) == [
        Window(40.0, 400.0, LINEAR, "BRAIN"),
        Window(400.0, 2000.0, LINEAR, "BONE"),
    ]


def test_read_windows_single_value_without_explanation():
    ds = Dataset()
    ds.WindowCenter = "-600"
    ds.WindowWidth = "1500.5"
    assert display.read_windows(ds) == [Window(-600.0, 1500.5, LINEAR, "")]


@pytest.mark.parametrize(
    ("text", "function"),
    [
        pytest.param("LINEAR", LINEAR, id="linear"),
        pytest.param("LINEAR_EXACT", EXACT, id="linear-exact"),
        pytest.param("SIGMOID", SIGMOID, id="sigmoid"),
        pytest.param("SIGMOID ", SIGMOID, id="padded-with-space"),
        pytest.param("CUBIC", LINEAR, id="unknown-falls-back-to-linear"),
    ],
)
def test_read_windows_reads_the_voi_lut_function(text, function):
    ds = Dataset()
    ds.WindowCenter = [10, 20]
    ds.WindowWidth = [30, 40]
    ds.VOILUTFunction = text
    assert [w.function for w in display.read_windows(ds)] == [function, function]


@pytest.mark.parametrize(
    ("function", "widths", "kept"),
    [
        # PS3.3 C.11.2.1.2.1: LINEAR needs Window Width >= 1
        pytest.param(None, [400, 0.5, 0, -10, 1], [0, 4], id="linear-needs-at-least-1"),
        # PS3.3 C.11.2.1.3.2 / C.11.2.1.3.1: greater than 0
        pytest.param("LINEAR_EXACT", [0.5, 0, -1, 2], [0, 3], id="exact-needs-positive"),
        pytest.param("SIGMOID", [0.25, 0, -3, 9], [0, 3], id="sigmoid-needs-positive"),
    ],
)
def test_read_windows_drops_invalid_widths_keeping_explanations_aligned(function, widths, kept):
    ds = Dataset()
    ds.WindowCenter = [10.0 * i for i in range(len(widths))]
    ds.WindowWidth = widths
    ds.WindowCenterWidthExplanation = [f"W{i}" for i in range(len(widths))]
    if function:
        ds.VOILUTFunction = function
    expected_function = VoiFunction(function or "LINEAR")
    assert display.read_windows(ds) == [
        Window(10.0 * i, float(widths[i]), expected_function, f"W{i}") for i in kept
    ]


def test_read_windows_without_window_is_empty():
    assert display.read_windows(Dataset()) == []


def test_read_rescale_defaults_to_identity():
    assert display.read_rescale(Dataset()) == Rescale(1.0, 0.0, "")


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param(
            {"RescaleSlope": 2, "RescaleIntercept": -5},
            Rescale(2.0, -5.0, ""),
            id="slope-intercept",
        ),
        pytest.param(
            {"RescaleSlope": 0, "RescaleIntercept": 7},
            Rescale(1.0, 7.0, ""),
            id="zero-slope-is-ignored",
        ),
        pytest.param(
            {"Modality": "CT", "RescaleIntercept": -1024},
            Rescale(1.0, -1024.0, "HU"),
            id="ct-is-hounsfield",
        ),
        pytest.param({"Modality": "CT"}, Rescale(1.0, 0.0, ""), id="ct-without-rescale"),
        pytest.param(
            {"RescaleType": "US", "RescaleIntercept": 1}, Rescale(1.0, 1.0, "US"), id="rescale-type"
        ),
    ],
)
def test_read_rescale(attributes, expected):
    ds = Dataset()
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    assert display.read_rescale(ds) == expected


def test_read_padding_in_modality_units():
    ds = Dataset()
    ds.add_new(0x00280120, "SS", -2000)
    ds.add_new(0x00280121, "SS", -1500)
    assert display.read_padding(ds, Rescale(1.0, -1024.0)) == (-3024.0, -2524.0)
    assert display.read_padding(Dataset(), Rescale()) is None


# -- automatic window ----------------------------------------------------------------------


def _image_with_padding() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    # Integer modality values (integer stored values, integer rescale), as in real images.
    image = rng.integers(-100, 301, size=(32, 32)).astype(np.float64)
    image[0, 0], image[-1, -1] = -100.0, 300.0  # the data range is exactly [-100, 300]
    padded = image.copy()
    padded[:4, :] = -2000.0  # a border of padding outside the image
    padded[:, -3:] = -1990.0
    return image, padded


@pytest.mark.parametrize(
    "padding",
    [
        pytest.param((-2000.0, -1990.0), id="value-and-range-limit"),
        pytest.param((-1990.0, -2000.0), id="range-given-high-first"),
        pytest.param((-3000.0, -1500.0), id="wide-range"),
    ],
)
def test_auto_window_excludes_padding(padding):
    _, padded = _image_with_padding()
    inside = padded[(padded < -2000.0) | (padded > -1990.0)]
    lo, hi = float(inside.min()), float(inside.max())
    window = display.auto_window(padded, padding)
    # The window maps the image's minimum to 0 and maximum to 255 ...
    assert reference_voi(lo, window.center, window.width, window.function) == 0
    assert reference_voi(hi, window.center, window.width, window.function) == 255
    out = display.to_uint8(display.apply_window(np.array([lo, hi]), window), invert=False)
    assert out.tolist() == [0, 255]
    # ... and the padding did not stretch it.
    assert window == display.auto_window(inside)
    assert window != display.auto_window(padded)


def test_auto_window_maps_min_to_0_and_max_to_255():
    values = np.array([[-1024.0, 0.0, 5.5], [17.0, 3071.0, 12.0]])
    window = display.auto_window(values)
    y = display.to_uint8(display.apply_window(values, window), invert=False)
    assert y.min() == 0 and y.max() == 255
    assert y[0, 0] == 0 and y[1, 1] == 255
    assert reference_voi(-1024.0, window.center, window.width, LINEAR) == 0
    assert reference_voi(3071.0, window.center, window.width, LINEAR) == 255


def test_auto_window_of_only_padding_uses_all_values():
    values = np.full((4, 4), -2000.0)
    values[0, 0] = -1995.0
    window = display.auto_window(values, (-2000.0, -1990.0))
    assert window == display.auto_window(values)


# -- presentation and colour ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("photometric", "shape", "inverts"),
    [
        pytest.param(Photometric.MONOCHROME2, None, False, id="mono2"),
        pytest.param(Photometric.MONOCHROME1, None, True, id="mono1"),
        pytest.param(Photometric.MONOCHROME2, "INVERSE", True, id="mono2-inverse"),
        pytest.param(Photometric.MONOCHROME2, "IDENTITY", False, id="mono2-identity"),
        # INVERSE is what MONOCHROME1 IODs require: the same inversion, not a second one
        pytest.param(Photometric.MONOCHROME1, "INVERSE", True, id="mono1-inverse"),
    ],
)
def test_presentation_inverts(photometric, shape, inverts):
    ds = Dataset()
    if shape:
        ds.PresentationLUTShape = shape
    assert display.presentation_inverts(photometric, ds) is inverts


def test_color_to_rgba_8_bit():
    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 13
    rgb.setflags(write=False)
    rgba = display.color_to_rgba(rgb, 8, invert=False)
    assert rgba.shape == (2, 3, 4) and rgba.dtype == np.uint8 and rgba.flags.c_contiguous
    np.testing.assert_array_equal(rgba[..., :3], rgb)
    assert (rgba[..., 3] == 255).all()
    inverted = display.color_to_rgba(rgb, 8, invert=True)
    np.testing.assert_array_equal(inverted[..., :3], 255 - rgb)
    assert (inverted[..., 3] == 255).all()


@pytest.mark.parametrize("bits_stored", [16, 12, 10])
def test_color_to_rgba_16_bit_scales_by_bits_stored(bits_stored):
    top = (1 << bits_stored) - 1
    values = list(range(0, top + 1, 1 if bits_stored <= 12 else 7)) + [top]  # every value or most
    rgb = np.array([[[v, top - v, v // 2] for v in values]], dtype=np.uint16)
    rgb.setflags(write=False)
    rgba = display.color_to_rgba(rgb, bits_stored, invert=False)
    expected = [
        [[half_up(c / top * 255) for c in px] + [255] for px in row] for row in rgb.tolist()
    ]
    assert rgba.dtype == np.uint8 and rgba.shape == (1, len(values), 4)
    assert rgba.tolist() == expected
    assert rgba[0, 0, 0] == 0 and rgba[0, -1, 0] == 255


def test_gray_to_rgba_is_contiguous_uint8_rgba():
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    view = np.asfortranarray(grey)[:, ::-1]  # a non-contiguous input
    rgba = display.gray_to_rgba(view)
    assert rgba.shape == (3, 4, 4) and rgba.dtype == np.uint8
    assert rgba.flags.c_contiguous
    for channel in range(3):
        np.testing.assert_array_equal(rgba[..., channel], view)
    assert (rgba[..., 3] == 255).all()


# -- nothing mutates its input -------------------------------------------------------------


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr = arr.copy()
    arr.setflags(write=False)
    return arr


@pytest.mark.parametrize(
    ("call", "arr"),
    [
        pytest.param(
            lambda a: display.modality_values(a, Rescale(2.0, -3.0)),
            np.arange(-5, 5, dtype=np.int16),
            id="modality_values-int",
        ),
        pytest.param(
            lambda a: display.modality_values(a, Rescale(2.0, -3.0)),
            np.linspace(-5, 5, 10),
            id="modality_values-float",
        ),
        pytest.param(
            lambda a: display.apply_window(a, Window(0, 4)),
            np.linspace(-5, 5, 10),
            id="apply_window",
        ),
        pytest.param(
            lambda a: display.to_uint8(a, invert=True), np.linspace(-5, 300, 10), id="to_uint8"
        ),
        pytest.param(
            lambda a: display.auto_window(a, (-5.0, -4.0)), np.linspace(-5, 5, 10), id="auto_window"
        ),
        pytest.param(
            lambda a: display.gray_to_display(a, Rescale(1.0, -1.0), Window(0, 4), True),
            np.arange(-5, 5, dtype=np.int16).reshape(2, 5),
            id="gray_to_display-lut",
        ),
        pytest.param(
            lambda a: display.gray_to_display(a, Rescale(1.0, -1.0), Window(0, 4), True),
            np.linspace(-5, 5, 10).reshape(2, 5),
            id="gray_to_display-direct",
        ),
        pytest.param(
            display.gray_to_rgba, np.arange(10, dtype=np.uint8).reshape(2, 5), id="gray_to_rgba"
        ),
        pytest.param(
            lambda a: display.color_to_rgba(a, 8, invert=True),
            np.arange(30, dtype=np.uint8).reshape(2, 5, 3),
            id="color_to_rgba-8",
        ),
        pytest.param(
            lambda a: display.color_to_rgba(a, 12, invert=True),
            np.arange(30, dtype=np.uint16).reshape(2, 5, 3) * 100,
            id="color_to_rgba-12",
        ),
    ],
)
def test_no_function_mutates_its_input(call, arr):
    original = arr.copy()
    frozen = _frozen(arr)  # an in-place write would raise
    out = call(frozen)
    np.testing.assert_array_equal(frozen, original)
    if isinstance(out, np.ndarray):
        assert not np.shares_memory(out, frozen)


# == Modality LUT Sequence, VOI LUT Sequence (PS3.3 C.11.1.1.1, C.11.2.1.1) ================


def lut_item(descriptor, data, vr="US", **attributes) -> Dataset:
    item = Dataset()
    item.LUTDescriptor = list(descriptor)
    item.add_new(0x00283006, vr, data)
    for keyword, value in attributes.items():
        setattr(item, keyword, value)
    return item


def lut_dataset(sequence: str, items, pixel_representation: int = 0, **attributes) -> Dataset:
    ds = Dataset()
    setattr(ds, sequence, list(items))
    ds.PixelRepresentation = pixel_representation
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


TABLE = [0, 100, 100, 400, 1023, 700, 5, 4095]


@pytest.mark.parametrize(
    ("descriptor", "value", "vr", "pixel_representation", "first"),
    [
        pytest.param([8, 0, 12], TABLE, "US", 0, 0, id="us-list"),
        pytest.param([8, 0, 12], np.array(TABLE, "<u2").tobytes(), "OW", 0, 0, id="ow-bytes"),
        pytest.param([8, 65534, 12], TABLE, "US", 1, -2, id="first-read-as-us-but-signed"),
        pytest.param([8, 65534, 12], TABLE, "US", 0, 65534, id="first-unsigned"),
        pytest.param([8, 100, 12], TABLE, "US", 0, 100, id="first-100"),
    ],
)
def test_read_modality_lut(descriptor, value, vr, pixel_representation, first):
    item = lut_item(descriptor, value, vr, ModalityLUTType="HU", LUTExplanation="CT")
    ds = lut_dataset("ModalityLUTSequence", [item], pixel_representation)
    ds.file_meta = Dataset()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    lut = display.read_modality_lut(ds)
    assert (lut.first, lut.bits, lut.entries, lut.kind, lut.explanation) == (
        first,
        12,
        8,
        "HU",
        "CT",
    )
    assert lut.data.tolist() == TABLE
    with pytest.raises(ValueError):
        lut.data[0] = 1  # read-only


@pytest.mark.parametrize(
    ("descriptor", "value", "vr", "expected"),
    [
        pytest.param([0, 0, 16], list(range(65536)), "US", 65536, id="zero-means-65536"),
        pytest.param([4, 0, 8], bytes([1, 2, 3, 4]), "OW", 4, id="8-bit-packed"),
        pytest.param([4, 0, 8], bytes([1, 0, 2, 0, 3, 0, 4, 0]), "OW", 4, id="8-bit-in-words"),
        pytest.param([4, 0, 8], [0x0101, 0x0202, 3, 4], "US", 4, id="8-bit-in-both-bytes"),
    ],
)
def test_lut_entries_and_bits(descriptor, value, vr, expected):
    ds = lut_dataset("VOILUTSequence", [lut_item(descriptor, value, vr)])
    (lut,) = display.read_voi_luts(ds, little=True)
    assert lut.entries == expected
    if expected == 4:
        assert lut.data.tolist() == [1, 2, 3, 4]


def test_8_bit_entries_packed_in_big_endian_ow_are_unswapped():
    """Big endian swaps OW as 16-bit words (PS3.5 7.3): entries 1,2,3,4 packed a byte each
    lie on disk as 2,1,4,3."""
    ds = lut_dataset("VOILUTSequence", [lut_item([4, 0, 8], bytes([2, 1, 4, 3]), "OW")])
    (lut,) = display.read_voi_luts(ds, little=False)
    assert lut.data.tolist() == [1, 2, 3, 4]


def test_a_lut_whose_entries_need_more_bits_than_declared_keeps_them():
    """A real XA file (../shared/corpus/xa_rf/go-dicom) declares an 8-bit Modality LUT whose
    entries run from 80 to 4022: masking them to 8 bits turned the image into noise."""
    ds = lut_dataset("ModalityLUTSequence", [lut_item([4, 0, 8], [80, 282, 1000, 4022])])
    lut = display.read_modality(ds)
    assert isinstance(lut, display.Lut)
    assert lut.data.tolist() == [80, 282, 1000, 4022]
    assert lut.bits == 12  # the bits the data need (4022 < 4096)


@pytest.mark.parametrize(
    ("descriptor", "value"),
    [
        pytest.param([8, 0, 12], TABLE[:5], id="too-few-entries"),
        pytest.param([8, 0], TABLE, id="short-descriptor"),
        pytest.param([8, 0, 0], TABLE, id="zero-bits"),
    ],
)
def test_invalid_luts_are_ignored(descriptor, value):
    ds = lut_dataset("ModalityLUTSequence", [lut_item(descriptor, value)])
    assert display.read_modality_lut(ds) is None
    assert display.read_modality(ds) == Rescale()


def test_read_modality_prefers_the_lut_and_falls_back_to_rescale():
    ds = lut_dataset("ModalityLUTSequence", [lut_item([8, 0, 12], TABLE)], RescaleSlope=2)
    assert isinstance(display.read_modality(ds), display.Lut)
    del ds.ModalityLUTSequence
    assert display.read_modality(ds) == Rescale(2.0, 0.0, "")


@pytest.mark.parametrize("first", [0, 100, -3])
def test_modality_lut_maps_and_clamps(first):
    lut = display.Lut(first, 12, np.array(TABLE, dtype=np.uint16))
    stored = np.arange(first - 5, first + 12, dtype=np.int32).reshape(1, -1)
    out = display.modality_values(stored, lut)
    assert out.dtype == np.float64
    assert out.ravel().tolist() == [reference_lut(v, first, TABLE) for v in stored.ravel()]


@pytest.mark.parametrize(
    "window", [pytest.param(Window(500, 1000), id="window"), pytest.param(None, id="voi-lut")]
)
def test_gray_to_display_with_a_modality_lut(window):
    modality = display.Lut(10, 12, np.array(TABLE, dtype=np.uint16))
    voi_table = [0, 1000, 2000, 4095]
    voi = window or display.Lut(0, 12, np.array(voi_table, dtype=np.uint16))
    stored = np.arange(0, 24, dtype=np.uint16).reshape(4, 6)
    out = display.gray_to_display(stored, modality, voi, invert=False)
    direct = display.gray_to_display(stored.astype(np.float64), modality, voi, invert=False)
    expected = []
    for v in stored.ravel().tolist():
        m = reference_lut(v, 10, TABLE)
        if window:
            y = reference_voi(m, window.center, window.width, LINEAR)
        else:
            y = reference_lut(m, 0, voi_table) * 255 / 4095
        expected.append(half_up(y))
    assert out.ravel().tolist() == expected
    np.testing.assert_array_equal(out, direct)


VOI_TABLE = [0, 10, 4000, 4095, 2000]


@pytest.mark.parametrize(
    ("bits", "first", "x"),
    [
        pytest.param(12, 0, [-7.0, 0.0, 1.0, 2.0, 3.0, 4.0, 99.0], id="12-bit"),
        pytest.param(16, -2, [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0], id="16-bit-signed-first"),
        pytest.param(12, 0, [0.49, 0.5, 1.5, 2.49], id="fractional-inputs-half-up"),
    ],
)
def test_apply_voi_lut_scales_its_output_range_to_8_bits(bits, first, x):
    lut = display.Lut(first, bits, np.array(VOI_TABLE, dtype=np.uint16))
    y = display.apply_voi_lut(np.array(x), lut)
    # PS3.3 C.11.2.1.1: output 0 .. 2^n - 1, n = bits, mapped onto 0 .. 255
    expected = [reference_lut(v, first, VOI_TABLE) * 255 / (2**bits - 1) for v in x]
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    np.testing.assert_array_equal(display.apply_voi(np.array(x), lut), y)


def test_read_voi_luts_reads_every_item_with_its_explanation():
    items = [
        lut_item([5, 0, 12], VOI_TABLE, LUTExplanation="NORMAL"),
        lut_item([3, 0xFC00, 16], [0, 30000, 65535], LUTExplanation="HARDER"),
    ]
    luts = display.read_voi_luts(lut_dataset("VOILUTSequence", items), signed=True)
    assert [(lut.first, lut.bits, lut.entries, lut.explanation) for lut in luts] == [
        (0, 12, 5, "NORMAL"),
        (-1024, 16, 3, "HARDER"),  # 0xFC00 as SS
    ]
    assert display.read_voi_luts(Dataset()) == []


@pytest.mark.parametrize(
    ("attributes", "lut", "signed"),
    [
        pytest.param({}, False, False, id="unsigned-identity"),
        pytest.param({"PixelRepresentation": 1}, False, True, id="signed-stored"),
        pytest.param({"RescaleIntercept": -1024}, False, True, id="negative-intercept"),
        pytest.param({"RescaleSlope": -1}, False, True, id="negative-slope"),
        pytest.param({"PixelRepresentation": 1}, True, False, id="modality-lut-is-unsigned"),
    ],
)
def test_modality_output_signed(attributes, lut, signed):
    ds = Dataset()
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    if lut:
        ds.ModalityLUTSequence = [lut_item([8, 0, 12], TABLE)]
    assert display.modality_output_signed(ds, display.read_modality(ds)) is signed


def test_read_padding_through_a_modality_lut():
    ds = lut_dataset("ModalityLUTSequence", [lut_item([8, 0, 12], TABLE)])
    ds.PixelPaddingValue = 1
    ds.PixelPaddingRangeLimit = 3
    assert display.read_padding(ds, display.read_modality(ds)) == (100.0, 400.0)


# == palettes (PS3.3 C.7.6.3.1.5, C.7.9) ====================================================


def palette_dataset(descriptor, channels, segmented=False, vr="OW", **attributes) -> Dataset:
    ds = Dataset()
    ds.file_meta = Dataset()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    for name, value in zip(("Red", "Green", "Blue"), channels, strict=True):
        ds.add_new(
            {"Red": 0x00281101, "Green": 0x00281102, "Blue": 0x00281103}[name], "US", descriptor
        )
        tag = {"Red": 0x1201, "Green": 0x1202, "Blue": 0x1203}[name] + (0x20 if segmented else 0)
        ds.add_new(0x00280000 | tag, vr, value)
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


def words(values, dtype="<u2") -> bytes:
    return np.array(values, dtype=dtype).tobytes()


def scaled(value: int, bits: int) -> int:
    """An entry of ``bits`` bits on the 8-bit display scale, rounded half up."""
    return half_up(value * 255 / (2**bits - 1))


@pytest.mark.parametrize(
    ("descriptor", "channels", "bits"),
    [
        pytest.param(
            [4, 0, 8], [bytes([0, 50, 100, 255]), bytes([9, 8, 7, 6]), bytes(4)], 8, id="8-bit"
        ),
        pytest.param(
            [4, 0, 16],
            [words([0, 257, 32768, 65535]), words([65280, 1, 2, 3]), words([4] * 4)],
            16,
            id="16-bit",
        ),
        pytest.param(
            [4, 0, 8],
            [words([0, 50, 100, 255]), words([9, 8, 7, 6]), words([0] * 4)],
            8,
            id="8-bit-entries-in-16-bit-words",
        ),
    ],
)
def test_read_palette_plain(descriptor, channels, bits):
    palette = display.read_palette(palette_dataset(descriptor, channels))
    raw = [
        list(c) if bits == 8 and len(c) == 4 else np.frombuffer(c, "<u2").tolist() for c in channels
    ]
    assert (palette.first, palette.bits, palette.entries) == (0, bits, 4)
    assert palette.rgb.tolist() == [[scaled(raw[ch][i], bits) for ch in range(3)] for i in range(4)]


def test_apply_palette_clamps_to_the_first_and_last_entry():
    palette = display.read_palette(
        palette_dataset([3, 10, 8], [bytes([1, 2, 3]) + b"\0", bytes([4, 5, 6, 0]), bytes(4)])
    )
    stored = np.array([[0, 9, 10, 11, 12, 13, 300]], dtype=np.uint16)
    rgb = display.apply_palette(stored, palette)
    assert rgb.dtype == np.uint8 and rgb.shape == (1, 7, 3)
    assert rgb[0, :, 0].tolist() == [1, 1, 1, 2, 3, 3, 3]
    assert rgb[0, :, 1].tolist() == [4, 4, 4, 5, 6, 6, 6]


# Segments, hand expanded from PS3.3 C.7.9.2: (words, table)
SEGMENTS = [
    pytest.param([0, 3, 10, 20, 30], [10, 20, 30], id="discrete"),
    # linear from the previous end 0 to 100 over 4 entries: 25, 50, 75, 100
    pytest.param([0, 1, 0, 1, 4, 100], [0, 25, 50, 75, 100], id="linear"),
    # linear 10 -> 0 over 3: 6.67, 3.33, 0 rounded half up
    pytest.param([0, 1, 10, 1, 3, 0], [10, 7, 3, 0], id="linear-down"),
    # indirect: copy 2 segments from byte offset 0 (both the discrete ones) after them
    pytest.param([0, 2, 1, 2, 0, 1, 9, 2, 2, 0, 0], [1, 2, 9, 1, 2, 9], id="indirect-from-0"),
    # the offset counts bytes: 8 bytes is word 4, the second discrete segment
    pytest.param([0, 2, 1, 2, 0, 1, 9, 2, 1, 8, 0], [1, 2, 9, 9], id="indirect-byte-offset"),
]


@pytest.mark.parametrize(("segments", "table"), SEGMENTS)
def test_expand_segmented_16_bit(segments, table):
    assert display.expand_segmented(segments, 16) == table


def test_expand_segmented_8_bit_indirect_offset_is_four_bytes():
    # discrete [5, 6]; linear from 6 to 10 over 2 (8, 10); indirect: both again from byte 0,
    # the offset in four 8-bit words, low 16 bits first
    segments = [0, 2, 5, 6, 1, 2, 10, 2, 2, 0, 0, 0, 0]
    assert display.expand_segmented(segments, 8) == [5, 6, 8, 10, 5, 6, 8, 10]
    # a discrete [42] at byte 0x0104 = 260, found through offset words 0x04, 0x01, 0, 0
    far = [0, 1, 3, 0, 255] + [7] * 255 + [0, 1, 42] + [2, 1, 0x04, 0x01, 0, 0]
    assert display.expand_segmented(far, 8) == [3] + [7] * 255 + [42, 42]


@pytest.mark.parametrize(
    "segments",
    [
        pytest.param([1, 3, 100], id="linear-first"),
        pytest.param([2, 1, 0, 0], id="indirect-first"),
        pytest.param([0, 1, 5, 7, 1, 1], id="unknown-opcode"),
        pytest.param([0, 1, 5, 2, 1, 4, 0], id="indirect-loop"),
    ],
)
def test_expand_segmented_refuses_bad_data(segments):
    with pytest.raises(ValueError):
        display.expand_segmented(segments, 16)


def test_segmented_palette_is_read_and_scaled():
    red = words([0, 1, 0, 1, 255, 65535])  # 0 then linear to 65535 over 255
    green = words([0, 256] + [1000] * 256)
    blue = words([0, 1, 65535, 1, 255, 0])
    palette = display.read_palette(palette_dataset([256, 0, 16], [red, green, blue], True))
    assert palette.entries == 256
    ramp = [math.floor(65535 * i / 255 + 0.5) for i in range(256)]
    assert palette.rgb[:, 0].tolist() == [scaled(v, 16) for v in ramp]
    assert palette.rgb[:, 1].tolist() == [scaled(1000, 16)] * 256
    assert palette.rgb[:, 2].tolist() == [scaled(65535 - v, 16) for v in ramp]


PALETTES = Path(pydicom.__file__).parent / "data" / "palettes"  # PS3.6 Annex B, in pydicom


def test_well_known_spring_palette_from_its_segments():
    """SPRING (PS3.6 B.1.5, 8-bit segmented): red 255, green i, blue 255 - i."""
    palette = display.read_palette(pydicom.dcmread(PALETTES / "spring.dcm"))
    i = np.arange(256)
    assert palette.rgb.tolist() == np.stack([np.full(256, 255), i, 255 - i], axis=1).tolist()


@pytest.mark.parametrize(
    ("name", "tolerance"),
    [
        pytest.param("hotiron.dcm", 0, id="hotiron-plain"),
        pytest.param("pet.dcm", 0, id="pet-plain"),
        # segmented: pydicom rounds a linear segment's halves to even, Lightbox up
        pytest.param("summer.dcm", 1, id="summer-segmented"),
        pytest.param("winter.dcm", 1, id="winter-segmented"),
        pytest.param("fall.dcm", 1, id="fall-segmented"),
    ],
)
def test_well_known_palettes_equal_pydicoms_reading(name, tolerance):
    ds = pydicom.dcmread(PALETTES / name)
    palette = display.read_palette(ds)
    stored = np.arange(256, dtype=np.uint8).reshape(16, 16)
    ours = display.apply_palette(stored, palette).astype(int)
    theirs = apply_color_lut(stored, ds).astype(int)
    assert np.abs(ours - theirs).max() <= tolerance
    assert len(np.unique(ours.reshape(-1, 3), axis=0)) > 16  # a real palette, not a constant


def test_examples_palette_equals_pydicom_scaled_to_8_bits(pydicom_file):
    """examples_palette.dcm has 16-bit entries; the 8-bit value is round(v * 255 / 65535)."""
    ds = pydicom.dcmread(pydicom_file("examples_palette.dcm"))
    palette = display.read_palette(ds)
    assert (palette.bits, palette.entries) == (16, 256)
    reference = apply_color_lut(ds.pixel_array, ds).astype(np.float64)
    expected = np.floor(reference * 255 / 65535 + 0.5).astype(np.uint8)
    np.testing.assert_array_equal(display.apply_palette(ds.pixel_array, palette), expected)


@pytest.mark.parametrize(
    ("photometric", "presentation", "descriptor", "expected"),
    [
        pytest.param(Photometric.MONOCHROME2, "MIXED", True, True, id="mixed"),
        pytest.param(Photometric.MONOCHROME2, "COLOR", True, True, id="color"),
        pytest.param(Photometric.MONOCHROME1, "COLOR", True, True, id="mono1"),
        pytest.param(Photometric.MONOCHROME2, "MONOCHROME", True, False, id="monochrome"),
        pytest.param(Photometric.MONOCHROME2, "COLOR", False, False, id="no-palette"),
        pytest.param(Photometric.PALETTE_COLOR, "COLOR", True, False, id="palette-color"),
    ],
)
def test_has_supplemental_palette(photometric, presentation, descriptor, expected):
    ds = Dataset()
    ds.PixelPresentation = presentation
    if descriptor:
        ds.RedPaletteColorLookupTableDescriptor = [4, 100, 8]
    assert display.has_supplemental_palette(ds, photometric) is expected


def test_supplemental_palette_colours_only_its_range():
    palette = display.Palette(100, 8, np.array([[255, 0, 0], [0, 255, 0]], dtype=np.uint8))
    stored = np.array([[0, 50, 99], [100, 101, 500]], dtype=np.uint16)
    stored.setflags(write=False)
    grey = display.gray_to_rgba(display.gray_to_display(stored, Rescale(), Window(50, 100), False))
    grey.setflags(write=False)
    out = display.supplemental_to_rgba(stored, grey, palette)
    np.testing.assert_array_equal(out[0], grey[0])  # below the first value mapped: grey
    assert out[1].tolist() == [[255, 0, 0, 255], [0, 255, 0, 255], [0, 255, 0, 255]]
    assert display.grey_range(stored, palette).tolist() == [0, 50, 99]


def test_voi_and_modality_json():
    lut = display.Lut(-2, 12, np.zeros(5, np.uint16), "CURVE", "HU")
    assert display.voi_json([Window(1, 2, SIGMOID, "A")], [lut]) == [
        {"kind": "window", "center": 1, "width": 2, "function": "SIGMOID", "explanation": "A"},
        {
            "kind": "lut",
            "center": None,
            "width": None,
            "function": None,
            "explanation": "CURVE",
            "entries": 5,
            "firstMapped": -2,
            "bits": 12,
        },
    ]
    assert display.modality_json(lut)["kind"] == "lut"
    assert display.modality_json(Rescale(2, 3, "HU")) == {
        "kind": "rescale",
        "slope": 2,
        "intercept": 3,
        "unit": "HU",
    }


@pytest.mark.parametrize(
    ("call", "arr"),
    [
        pytest.param(
            lambda a: display.modality_values(a, display.Lut(0, 12, np.arange(8, dtype=np.uint16))),
            np.arange(-2, 10, dtype=np.int16),
            id="modality_values-lut",
        ),
        pytest.param(
            lambda a: display.apply_voi_lut(a, display.Lut(0, 8, np.arange(8, dtype=np.uint16))),
            np.linspace(-2, 10, 12),
            id="apply_voi_lut",
        ),
        pytest.param(
            lambda a: display.apply_palette(
                a, display.Palette(0, 8, np.zeros((4, 3), dtype=np.uint8))
            ),
            np.arange(-2, 10, dtype=np.int16),
            id="apply_palette",
        ),
    ],
)
def test_lut_functions_do_not_mutate_their_input(call, arr):
    original = arr.copy()
    frozen = _frozen(arr)
    out = call(frozen)
    np.testing.assert_array_equal(frozen, original)
    assert not np.shares_memory(out, frozen)


@pytest.mark.parametrize("dtype", ["u1", "i1", "<u2", "<i2", "<i4", "<u4"])
@pytest.mark.parametrize("invert", [False, True])
def test_gray_rgba_equals_the_two_step_path(dtype: str, invert: bool) -> None:
    """The one-lookup RGBA path gives the same pixels as display then RGBA."""
    rng = np.random.default_rng(11)
    info = np.iinfo(np.dtype(dtype))
    low, high = max(info.min, -40000), min(info.max, 70000)
    stored = rng.integers(low, high, size=(33, 47), endpoint=True).astype(dtype)
    stored.flat[:2] = (low, high)
    rescale = display.Rescale(slope=0.75, intercept=-300.0)
    window = Window(40.0, 350.0, VoiFunction.LINEAR)
    want = display.gray_to_rgba(display.gray_to_display(stored, rescale, window, invert))
    before = stored.copy()
    got = display.gray_rgba(stored, rescale, window, invert)
    assert got.shape == (33, 47, 4) and got.dtype == np.uint8
    assert (got == want).all()
    assert (stored == before).all()


def test_gray_rgba_reuses_tables_only_for_the_same_transforms() -> None:
    """Kept tables never leak between windows, rescales, LUTs, types or invert."""
    rng = np.random.default_rng(5)
    signed = rng.integers(-2000, 3000, size=(21, 19)).astype("<i2")
    unsigned = rng.integers(0, 4096, size=(21, 19)).astype("<u2")
    rescales = [
        display.Rescale(slope=1.0, intercept=-1024.0),
        display.Rescale(slope=2.0, intercept=0.0),
    ]
    vois = [
        Window(40.0, 400.0, VoiFunction.LINEAR),
        Window(-600.0, 1500.0, VoiFunction.SIGMOID),
        display.Lut(0, 8, np.linspace(0, 255, 4096).astype(np.uint16)),
        display.Lut(0, 8, np.linspace(255, 0, 4096).astype(np.uint16)),  # same shape, reversed
    ]
    calls = [
        (stored, rescale, voi, invert)
        for stored in (signed, unsigned)
        for rescale in rescales
        for voi in vois
        for invert in (False, True)
    ]
    for stored, rescale, voi, invert in calls + calls[::-1]:  # the second pass hits the cache
        want = display.gray_to_rgba(display.gray_to_display(stored, rescale, voi, invert))
        assert (display.gray_rgba(stored, rescale, voi, invert) == want).all()
    assert len(display._TABLES) <= display._TABLES_KEPT
