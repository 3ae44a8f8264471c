"""lightbox.display.voi: windowing checked against the standard's formulas, written out here.

The reference (tests/support/hand.py) is a scalar transcription of PS3.3
C.11.2.1.2.1 (LINEAR), C.11.2.1.3.2 (LINEAR_EXACT) and C.11.2.1.3.1 (SIGMOID),
independent of the vectorised code under test; VOI LUTs per C.11.2.1.1.
"""

from __future__ import annotations

import numpy as np
import pytest

from lightbox.core.records import VoiFunction, Window
from lightbox.display import luts, voi
from tests.support.hand import (
    EXACT,
    LINEAR,
    SIGMOID,
    VOI_TABLE,
    half_up,
    reference_lut,
    reference_voi,
)


def window_one(x: float, window: Window) -> tuple[float, int]:
    y = voi.apply_window(np.array([x], dtype=np.float64), window)
    return float(y[0]), int(voi.to_uint8(y, invert=False)[0])


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
    y = voi.apply_window(x, window)
    expected = np.array([reference_voi(float(v), c, w, function) for v in x])
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-9)
    assert voi.to_uint8(y, invert=False).tolist() == [half_up(float(v)) for v in expected]


def test_to_uint8_rounds_half_up_and_clips():
    y = np.array([-3.0, 0.0, 0.49, 0.5, 1.5, 2.5, 127.5, 254.49, 254.5, 300.0])
    assert voi.to_uint8(y, invert=False).tolist() == [0, 0, 0, 1, 2, 3, 128, 254, 255, 255]
    assert voi.to_uint8(y, invert=True).tolist() == [255, 255, 255, 254, 253, 252, 127, 1, 0, 0]
    assert voi.to_uint8(y, invert=False).dtype == np.uint8


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
    window = voi.auto_window(padded, padding)
    # The window maps the image's minimum to 0 and maximum to 255 ...
    assert reference_voi(lo, window.center, window.width, window.function) == 0
    assert reference_voi(hi, window.center, window.width, window.function) == 255
    out = voi.to_uint8(voi.apply_window(np.array([lo, hi]), window), invert=False)
    assert out.tolist() == [0, 255]
    # ... and the padding did not stretch it.
    assert window == voi.auto_window(inside)
    assert window != voi.auto_window(padded)


def test_auto_window_maps_min_to_0_and_max_to_255():
    values = np.array([[-1024.0, 0.0, 5.5], [17.0, 3071.0, 12.0]])
    window = voi.auto_window(values)
    y = voi.to_uint8(voi.apply_window(values, window), invert=False)
    assert y.min() == 0 and y.max() == 255
    assert y[0, 0] == 0 and y[1, 1] == 255
    assert reference_voi(-1024.0, window.center, window.width, LINEAR) == 0
    assert reference_voi(3071.0, window.center, window.width, LINEAR) == 255


def test_auto_window_of_only_padding_uses_all_values():
    values = np.full((4, 4), -2000.0)
    values[0, 0] = -1995.0
    window = voi.auto_window(values, (-2000.0, -1990.0))
    assert window == voi.auto_window(values)


@pytest.mark.parametrize(
    ("bits", "first", "x"),
    [
        pytest.param(12, 0, [-7.0, 0.0, 1.0, 2.0, 3.0, 4.0, 99.0], id="12-bit"),
        pytest.param(16, -2, [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0], id="16-bit-signed-first"),
        pytest.param(12, 0, [0.49, 0.5, 1.5, 2.49], id="fractional-inputs-half-up"),
    ],
)
def test_apply_voi_lut_scales_its_output_range_to_8_bits(bits, first, x):
    lut = luts.Lut(first, bits, np.array(VOI_TABLE, dtype=np.uint16))
    y = voi.apply_voi_lut(np.array(x), lut)
    # PS3.3 C.11.2.1.1: output 0 .. 2^n - 1, n = bits, mapped onto 0 .. 255
    expected = [reference_lut(v, first, VOI_TABLE) * 255 / (2**bits - 1) for v in x]
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    np.testing.assert_array_equal(voi.apply_voi(np.array(x), lut), y)
