"""The VOI step: modality values to display values in [0, 255] (PS3.3 C.11.2). Pure math.

A window (C.11.2.1.2: LINEAR; C.11.2.1.3: LINEAR_EXACT, SIGMOID) or a VOI LUT
(C.11.2.1.1); the automatic window when the file gives neither; rounding to
8 bits with the presentation's inversion.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lightbox.core.records import VoiFunction, Window
from lightbox.display.luts import Lut, Voi, lut_index

Y_MIN = 0.0
Y_MAX = 255.0


def apply_window(values: np.ndarray[Any, Any], window: Window) -> np.ndarray[Any, Any]:
    """Map modality values through a VOI window to [0, 255] (float64).

    References
    ----------
    PS3.3 C.11.2.1.2.1 (LINEAR), C.11.2.1.3.1 (SIGMOID), C.11.2.1.3.2
    (LINEAR_EXACT).
    """
    x = np.asarray(values, dtype=np.float64)
    c, w = window.center, window.width
    span = Y_MAX - Y_MIN
    if window.function is VoiFunction.SIGMOID:
        # PS3.3 C.11.2.1.3.1: y = (ymax - ymin) / (1 + exp(-4 (x - c) / w)) + ymin
        sigmoid: np.ndarray[Any, Any] = span / (1.0 + np.exp(-4.0 * (x - c) / w)) + Y_MIN
        return sigmoid
    if window.function is VoiFunction.LINEAR_EXACT:
        # PS3.3 C.11.2.1.3.2
        y = ((x - c) / w + 0.5) * span + Y_MIN
        y = np.where(x <= c - w / 2, Y_MIN, y)
        exact: np.ndarray[Any, Any] = np.where(x > c + w / 2, Y_MAX, y)
        return exact
    # PS3.3 C.11.2.1.2.1 LINEAR: y = ((x - (c - 0.5)) / (w - 1) + 0.5) * span + ymin,
    # worked in place in that order (the same roundings, fewer passes over the frame).
    if w > 1:
        y = x - (c - 0.5)
        y /= w - 1
        y += 0.5
        y *= span
        y += Y_MIN
    else:
        y = np.zeros_like(x)
    np.copyto(y, Y_MIN, where=x <= c - 0.5 - (w - 1) / 2)
    np.copyto(y, Y_MAX, where=x > c - 0.5 + (w - 1) / 2)
    return y


def apply_voi_lut(values: np.ndarray[Any, Any], lut: Lut) -> np.ndarray[Any, Any]:
    """Map modality values through a VOI LUT to [0, 255] (float64).

    References
    ----------
    PS3.3 C.11.2.1.1: the output range is 0 to 2^n - 1, n the descriptor's
    third value; it is scaled linearly onto the display range.
    """
    entries = lut.data[lut_index(np.asarray(values), lut.first, lut.entries)]
    scale = (Y_MAX - Y_MIN) / float((1 << lut.bits) - 1)
    out: np.ndarray[Any, Any] = entries.astype(np.float64) * scale + Y_MIN
    return out


def apply_voi(values: np.ndarray[Any, Any], voi: Voi) -> np.ndarray[Any, Any]:
    """The VOI step: a window (C.11.2.1.2) or a VOI LUT (C.11.2.1.1), to [0, 255]."""
    if isinstance(voi, Lut):
        return apply_voi_lut(values, voi)
    return apply_window(values, voi)


def to_uint8(y: np.ndarray[Any, Any], invert: bool) -> np.ndarray[Any, Any]:
    """Round display values to 8 bits (half up), inverting when asked."""
    half_up = np.clip(y, Y_MIN, Y_MAX)
    half_up += 0.5
    np.floor(half_up, out=half_up)
    out: np.ndarray[Any, Any] = half_up.astype(np.uint8)
    if invert:
        np.subtract(255, out, out=out)
    return out


def auto_window(values: np.ndarray[Any, Any], padding: tuple[float, float] | None = None) -> Window:
    """A window spanning the frame's modality values, padding excluded.

    Parameters
    ----------
    values : numpy.ndarray
        Modality values of one frame.
    padding : tuple of float, optional
        The inclusive range of (0028,0120) Pixel Padding Value to (0028,0121)
        Pixel Padding Range Limit, in modality units; those pixels are not
        part of the image (PS3.3 C.7.5.1.1.2) and do not set the window.
    """
    data = values
    if padding is not None:
        low, high = min(padding), max(padding)
        data = values[(values < low) | (values > high)]
    if data.size == 0:
        data = values
    lo, hi = float(np.min(data)), float(np.max(data))
    if not np.isfinite(lo) or not np.isfinite(hi):
        finite = data[np.isfinite(data)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    # A LINEAR window with lo at 0 and hi at 255: c - 0.5 - (w-1)/2 = lo, c - 0.5 + (w-1)/2 = hi.
    width = max(hi - lo + 1.0, 1.0)
    center = (lo + hi) / 2.0 + 0.5
    return Window(center, width, VoiFunction.LINEAR, "Automatic (data range)")
