"""The display pipeline: stored values to RGBA bytes for the canvas.

Pure math on arrays and numbers (PS3.3 C.11 and C.7.6.3); one small selector
per concern reads its parameters from a Dataset. Nothing here mutates its input.

Grayscale: stored value ► Modality LUT (C.11.1) ► VOI window (C.11.2) ►
Presentation (MONOCHROME1 and the user's invert) ► 8-bit RGBA.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from lightbox.records import Photometric, VoiFunction, Window

Y_MIN = 0.0
Y_MAX = 255.0
#: Integer frames whose stored range is at most this wide use a lookup table.
LUT_LIMIT = 1 << 17


@dataclass(frozen=True)
class Rescale:
    """Modality LUT as (0028,1053) Rescale Slope and (0028,1052) Rescale Intercept."""

    slope: float = 1.0
    intercept: float = 0.0
    unit: str = ""


def _numbers(value: object) -> list[float]:
    if value is None or value == "":
        return []
    items = list(value) if isinstance(value, (MultiValue, list, tuple)) else [value]
    out: list[float] = []
    for item in items:
        try:
            out.append(float(item))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
    return out


def _strings(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (MultiValue, list, tuple)):
        return [str(item) for item in value]
    return [str(value)]


def read_rescale(ds: Dataset) -> Rescale:
    """Read the Modality LUT rescale of a dataset (PS3.3 C.11.1.1.2)."""
    slopes = _numbers(ds.get("RescaleSlope"))
    intercepts = _numbers(ds.get("RescaleIntercept"))
    slope = slopes[0] if slopes and slopes[0] != 0 else 1.0
    intercept = intercepts[0] if intercepts else 0.0
    unit = str(ds.get("RescaleType", "") or "")
    if not unit and str(ds.get("Modality", "")) == "CT" and intercepts:
        unit = "HU"
    return Rescale(slope, intercept, unit)


def read_windows(ds: Dataset) -> list[Window]:
    """Every (0028,1050) Window Center / (0028,1051) Window Width pair, in order.

    References
    ----------
    PS3.3 C.11.2.1.2 Window Center and Window Width; C.11.2.1.3 VOI LUT Function.
    """
    centers = _numbers(ds.get("WindowCenter"))
    widths = _numbers(ds.get("WindowWidth"))
    explanations = _strings(ds.get("WindowCenterWidthExplanation"))
    function_text = str(ds.get("VOILUTFunction", "LINEAR") or "LINEAR").strip().upper()
    try:
        function = VoiFunction(function_text)
    except ValueError:
        function = VoiFunction.LINEAR
    windows = []
    for i, (center, width) in enumerate(zip(centers, widths, strict=False)):
        minimum = 1.0 if function is VoiFunction.LINEAR else 0.0
        if width < minimum or (function is not VoiFunction.LINEAR and width <= 0):
            continue  # not a valid window for this function: ignore it
        label = explanations[i] if i < len(explanations) else ""
        windows.append(Window(center, width, function, label))
    return windows


def modality_values(stored: np.ndarray, rescale: Rescale) -> np.ndarray:
    """Apply the rescale: ``stored * slope + intercept`` as float64 (C.11.1.1.2)."""
    values = stored.astype(np.float64)
    if rescale.slope != 1.0:
        values *= rescale.slope
    if rescale.intercept != 0.0:
        values += rescale.intercept
    return values


def apply_window(values: np.ndarray, window: Window) -> np.ndarray:
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
        return span / (1.0 + np.exp(-4.0 * (x - c) / w)) + Y_MIN
    if window.function is VoiFunction.LINEAR_EXACT:
        # PS3.3 C.11.2.1.3.2
        y = ((x - c) / w + 0.5) * span + Y_MIN
        y = np.where(x <= c - w / 2, Y_MIN, y)
        exact: np.ndarray = np.where(x > c + w / 2, Y_MAX, y)
        return exact
    # PS3.3 C.11.2.1.2.1 LINEAR
    y = ((x - (c - 0.5)) / (w - 1) + 0.5) * span + Y_MIN if w > 1 else np.zeros_like(x)
    y = np.where(x <= c - 0.5 - (w - 1) / 2, Y_MIN, y)
    out: np.ndarray = np.where(x > c - 0.5 + (w - 1) / 2, Y_MAX, y)
    return out


def to_uint8(y: np.ndarray, invert: bool) -> np.ndarray:
    """Round display values to 8 bits (half up), inverting when asked."""
    out: np.ndarray = np.floor(np.clip(y, Y_MIN, Y_MAX) + 0.5).astype(np.uint8)
    if invert:
        np.subtract(255, out, out=out)
    return out


def auto_window(values: np.ndarray, padding: tuple[float, float] | None = None) -> Window:
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


def gray_to_display(
    stored: np.ndarray, rescale: Rescale, window: Window, invert: bool
) -> np.ndarray:
    """Stored grayscale values to 8-bit display values, shape (rows, columns).

    Integer frames go through a lookup table built over their stored range
    (one table entry per possible value); float frames are computed directly.
    """
    if stored.dtype.kind in "iu":
        lo, hi = int(stored.min()), int(stored.max())
        if hi - lo < LUT_LIMIT:
            domain = np.arange(lo, hi + 1, dtype=np.int64)
            lut = to_uint8(apply_window(modality_values(domain, rescale), window), invert)
            return lut[stored.astype(np.int64) - lo] if lo != 0 else lut[stored]
    return to_uint8(apply_window(modality_values(stored, rescale), window), invert)


def gray_to_rgba(display: np.ndarray) -> np.ndarray:
    """(rows, columns) uint8 grey to C-contiguous (rows, columns, 4) RGBA."""
    rows, cols = display.shape
    rgba = np.empty((rows, cols, 4), dtype=np.uint8)
    rgba[..., 0] = display
    rgba[..., 1] = display
    rgba[..., 2] = display
    rgba[..., 3] = 255
    return rgba


def color_to_rgba(rgb: np.ndarray, bits_stored: int, invert: bool) -> np.ndarray:
    """(rows, columns, 3) RGB of any bit depth to (rows, columns, 4) RGBA uint8.

    Colour images have no VOI transform (PS3.3 C.7.6.3.1.2); values wider
    than 8 bits are scaled by their Bits Stored.
    """
    if rgb.dtype == np.uint8 and bits_stored <= 8:
        channels = rgb
    else:
        top = float((1 << bits_stored) - 1) if bits_stored > 0 else 255.0
        channels = np.floor(np.clip(rgb.astype(np.float64) / top, 0, 1) * 255 + 0.5).astype(
            np.uint8
        )
    rows, cols = channels.shape[:2]
    rgba = np.empty((rows, cols, 4), dtype=np.uint8)
    rgba[..., :3] = channels
    if invert:
        np.subtract(255, rgba[..., :3], out=rgba[..., :3])
    rgba[..., 3] = 255
    return rgba


def presentation_inverts(photometric: Photometric, ds: Dataset) -> bool:
    """Whether the Presentation step inverts grey (PS3.3 C.7.6.3.1.2, C.11.6).

    MONOCHROME1 shows its minimum as white; (2050,0020) Presentation LUT
    Shape INVERSE inverts as well.
    """
    shape = str(ds.get("PresentationLUTShape", "") or "").strip().upper()
    # For MONOCHROME1, INVERSE is the shape the IODs require: the same inversion, not a second.
    return photometric is Photometric.MONOCHROME1 or shape == "INVERSE"


def read_padding(ds: Dataset, rescale: Rescale) -> tuple[float, float] | None:
    """(0028,0120) Pixel Padding Value and (0028,0121) Range Limit, as modality values."""
    values = _numbers(ds.get("PixelPaddingValue"))
    if not values:
        return None
    limits = _numbers(ds.get("PixelPaddingRangeLimit"))
    low = values[0]
    high = limits[0] if limits else low
    return (
        low * rescale.slope + rescale.intercept,
        high * rescale.slope + rescale.intercept,
    )
