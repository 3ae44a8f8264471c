"""Arrays to RGBA for ``show()``: the window the caller gives, or the array's own range.

Pure: an array and numbers in, a new C-contiguous ``uint8`` (rows, columns, 4) out.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lightbox.core.errors import LightboxError

#: A shown image's side may not pass this (what a canvas draws at once).
MAX_SIDE = 8192


class ShowError(LightboxError):
    """An array that cannot be shown as an image, with the reason."""


def to_rgba(array: Any, window: tuple[float, float] | None = None) -> np.ndarray[Any, Any]:
    """An image of ``array``: greyscale windowed, or RGB(A) as it is.

    Parameters
    ----------
    array : array_like
        (rows, columns) of numbers, or (rows, columns, 3 or 4) of 0-255 colour.
    window : (center, width), optional
        The linear window of PS3.3 C.11.2.1.2.1 applied to a greyscale array; by default
        the array's own minimum to maximum (a constant array is mid-grey).

    Returns
    -------
    numpy.ndarray
        uint8 (rows, columns, 4), alpha 255.
    """
    values = np.asarray(array)
    if values.dtype == np.bool_:
        values = values.astype(np.uint8)
    if values.dtype.kind not in "biuf":
        raise ShowError("show", f"an array of numbers is needed, not of {values.dtype}")
    if values.ndim == 3 and values.shape[2] in (3, 4):
        return _colour(values)
    if values.ndim != 2:
        raise ShowError(
            "show", f"a 2-D array (rows, columns) is needed; this one has shape {values.shape}"
        )
    _check_size(values.shape)
    grey = window_grey(values.astype(np.float64), _window(values, window))
    rgba = np.empty(values.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = grey[..., None]
    rgba[..., 3] = 255
    return rgba


def window_grey(values: np.ndarray[Any, Any], window: tuple[float, float]) -> np.ndarray[Any, Any]:
    """The linear window of PS3.3 C.11.2.1.2.1 from values to 0-255 grey.

    ``x <= c - 0.5 - (w-1)/2`` gives 0, ``x > c - 0.5 + (w-1)/2`` gives 255, and between
    ``((x - (c - 0.5)) / (w - 1) + 0.5) * 255``, rounded.
    """
    center, width = window
    if width < 1:
        raise ShowError("show", f"a window width of at least 1 is needed, not {width}")
    low = center - 0.5 - (width - 1) / 2
    high = center - 0.5 + (width - 1) / 2
    scaled = ((values - (center - 0.5)) / max(width - 1, 1e-12) + 0.5) * 255.0
    out = np.where(values <= low, 0.0, np.where(values > high, 255.0, scaled))
    out = np.nan_to_num(out, nan=0.0)
    grey: np.ndarray[Any, Any] = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return grey


def _window(
    values: np.ndarray[Any, Any], window: tuple[float, float] | None
) -> tuple[float, float]:
    if window is not None:
        try:
            center, width = (float(v) for v in window)
        except (TypeError, ValueError) as exc:
            raise ShowError("show", f"window must be (center, width), not {window!r}") from exc
        return center, width
    finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    if finite.size == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    # The window whose 0 is at low and 255 at high: c - 0.5 - (w-1)/2 = low, ... = high.
    width = max(high - low + 1.0, 1.0)
    return low + 0.5 + (width - 1) / 2, width


def _colour(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    _check_size(values.shape[:2])
    clipped = np.clip(np.nan_to_num(values.astype(np.float64)), 0, 255).round().astype(np.uint8)
    rgba = np.full(values.shape[:2] + (4,), 255, dtype=np.uint8)
    rgba[..., : values.shape[2]] = clipped
    return np.ascontiguousarray(rgba)


def _check_size(shape: tuple[int, ...]) -> None:
    rows, columns = shape[0], shape[1]
    if rows < 1 or columns < 1 or rows > MAX_SIDE or columns > MAX_SIDE:
        raise ShowError(
            "show", f"an image of 1 to {MAX_SIDE} pixels a side is needed, not {rows}x{columns}"
        )
