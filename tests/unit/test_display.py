"""lightbox.display: windowing checked against the standard's formulas, written out here.

The reference below is a scalar transcription of PS3.3 C.11.2.1.2.1 (LINEAR),
C.11.2.1.3.2 (LINEAR_EXACT) and C.11.2.1.3.1 (SIGMOID), independent of the
vectorised code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydicom.dataset import Dataset

from lightbox import display
from lightbox.display import Rescale
from lightbox.records import Photometric, VoiFunction, Window

LINEAR, EXACT, SIGMOID = VoiFunction.LINEAR, VoiFunction.LINEAR_EXACT, VoiFunction.SIGMOID


def reference_voi(x: float, c: float, w: float, function: VoiFunction) -> float:
    """One value through a VOI window, y in [0, 255], straight from the standard."""
    if function is LINEAR:  # PS3.3 C.11.2.1.2.1
        if x <= c - 0.5 - (w - 1) / 2:
            return 0.0
        if x > c - 0.5 + (w - 1) / 2:
            return 255.0
        return ((x - (c - 0.5)) / (w - 1) + 0.5) * 255
    if function is EXACT:  # PS3.3 C.11.2.1.3.2
        if x <= c - w / 2:
            return 0.0
        if x > c + w / 2:
            return 255.0
        return ((x - c) / w + 0.5) * 255
    return 255 / (1 + math.exp(-4 * (x - c) / w))  # PS3.3 C.11.2.1.3.1


def half_up(y: float) -> int:
    """Round to the nearest integer, halves up, clipped to 8 bits."""
    return min(255, max(0, math.floor(y + 0.5)))


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
