"""Decoded samples to stored values: byte order, partial-range YCbCr, Bits Stored, overlay bits.

What a decoder returns is fixed here per the header: samples in the
machine's byte order, native partial-range YCbCr converted to RGB (which
pydicom 3.0.2 does not do), values kept within (0028,0101) Bits Stored, and
the retired embedded overlays taken from the bits above it. Pure functions of
arrays and numbers; nothing is modified in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pydicom.uid import RLELossless

from lightbox.pixels.format import PixelFormat

#: PS3.3 C.7.6.3.1.2, YBR_PARTIAL_422: RGB (8-bit) to partial-range Y, CB, CR.
_PARTIAL_FORWARD = np.array(
    [
        [0.2568, 0.5041, 0.0979],
        [-0.1482, -0.2910, 0.4392],
        [0.4392, -0.3678, -0.0714],
    ]
)
_PARTIAL_OFFSET = np.array([16.0, 128.0, 128.0])
_PARTIAL_INVERSE = np.linalg.inv(_PARTIAL_FORWARD)


def native_order(arr: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """``arr`` with its samples in the machine's byte order (the same array when they are).

    pydicom returns Explicit VR Big Endian pixel data (PS3.5 A.3) with a
    big-endian dtype (``>i2``): the values are right, but code that views the
    bytes under another dtype (``view("u2")``) or hands the buffer on (to the
    canvas, to JavaScript) would read them little endian. Every decoded frame
    leaves :mod:`lightbox.pixels` in native order.
    """
    if arr.dtype.isnative:
        return arr
    swapped: np.ndarray[Any, Any] = arr.astype(arr.dtype.newbyteorder("="))
    return swapped


def ybr_partial_to_rgb(ybr: np.ndarray[Any, Any], bits: int) -> np.ndarray[Any, Any]:
    """Partial-range YCbCr to RGB of the same dtype, inverting PS3.3 C.7.6.3.1.2.

    The standard gives the forward transform of YBR_PARTIAL_422 for 8 bits
    (Y = .2568 R + .5041 G + .0979 B + 16; CB = -.1482 R - .2910 G + .4392 B
    + 128; CR = .4392 R - .3678 G - .0714 B + 128); this applies its exact
    inverse, with the offsets scaled by 2^(bits - 8) for deeper samples, and
    rounds half up into [0, 2^bits - 1].
    """
    scale = float(1 << (bits - 8)) if bits > 8 else 1.0
    centred = ybr.astype(np.float64) - _PARTIAL_OFFSET * scale
    rgb = centred @ _PARTIAL_INVERSE.T
    top = float((1 << bits) - 1)
    out: np.ndarray[Any, Any] = np.floor(np.clip(rgb, 0.0, top) + 0.5).astype(ybr.dtype)
    return out


def finish(arr: np.ndarray[Any, Any], fmt: PixelFormat) -> np.ndarray[Any, Any]:
    """What pydicom leaves to us: native byte order; partial-range YCbCr of native data to RGB."""
    arr = native_order(arr)
    if arr.ndim == 3 and fmt.photometric.is_ybr_partial and fmt.is_native:
        return ybr_partial_to_rgb(arr, fmt.bits_allocated)
    return arr


def stored_range(bits_stored: int, signed: bool) -> tuple[int, int]:
    """The lowest and highest value ``bits_stored`` bits hold, two's complement when signed.

    References
    ----------
    PS3.5 8.1.1 (Bits Stored); PS3.3 C.7.6.3.1 (Pixel Representation).
    """
    if signed:
        return -(1 << (bits_stored - 1)), (1 << (bits_stored - 1)) - 1
    return 0, (1 << bits_stored) - 1


def stored_values(raw: np.ndarray[Any, Any], fmt: PixelFormat) -> np.ndarray[Any, Any]:
    """Stored values of a decoded frame, within Bits Stored.

    Native data: unused high bits masked and the sign extended (PS3.5 8.1.1: they
    may hold overlays or junk). Compressed data has no unused bits: what a codec
    returns beyond the Bits Stored range is a lossy codec's overshoot (a JPEG
    2000 frame of 12 bits stored decoded to 4124 was seen), clipped to the range
    rather than masked, which would turn the brightest pixels black.
    """
    if fmt.samples != 1 or fmt.is_float or raw.dtype.kind not in "iu":
        return raw
    if fmt.is_native or fmt.transfer_syntax == RLELossless:  # RLE keeps every allocated bit
        return mask_stored_bits(raw, fmt.bits_stored, fmt.pixel_representation)
    return clip_stored_bits(raw, fmt.bits_stored, fmt.pixel_representation)


def clip_stored_bits(
    arr: np.ndarray[Any, Any], bits_stored: int, pixel_representation: int
) -> np.ndarray[Any, Any]:
    """Values clipped to the range of ``bits_stored`` bits, signed or not (a new array)."""
    bits = arr.dtype.itemsize * 8
    if bits_stored >= bits or bits_stored <= 0:
        return arr
    low, high = stored_range(bits_stored, pixel_representation == 1)
    if int(arr.min()) >= low and int(arr.max()) <= high:
        return arr
    clipped: np.ndarray[Any, Any] = np.clip(arr, low, high).astype(arr.dtype)
    return clipped


def mask_stored_bits(
    arr: np.ndarray[Any, Any], bits_stored: int, pixel_representation: int
) -> np.ndarray[Any, Any]:
    """Keep the low ``bits_stored`` bits and sign-extend them when signed.

    Bits above High Bit may hold overlay data or junk; they are not part of
    the pixel value (PS3.5 8.1.1). Returns a new array; ``arr`` is unchanged.
    """
    bits = arr.dtype.itemsize * 8
    if bits_stored >= bits or bits_stored <= 0:
        return arr
    unsigned = arr.view(arr.dtype.str.replace("i", "u"))
    mask = np.array((1 << bits_stored) - 1, dtype=unsigned.dtype)
    values = np.bitwise_and(unsigned, mask)
    if pixel_representation == 0:
        masked: np.ndarray[Any, Any] = values.astype(arr.dtype.str.replace("i", "u"), copy=False)
        return masked
    signed = values.view(values.dtype.str.replace("u", "i"))
    shift = bits - bits_stored
    extended: np.ndarray[Any, Any] = np.right_shift(np.left_shift(signed, shift), shift)
    return extended


def embedded_overlay_bits(
    raw: np.ndarray[Any, Any], positions: Sequence[int]
) -> np.ndarray[Any, Any]:
    """Overlay planes held in the unused high bits of raw stored values.

    Parameters
    ----------
    raw : numpy.ndarray
        (rows, columns) integer values as ``lightbox.pixels.decode.frame(...,
        raw=True)`` returns them.
    positions : sequence of int
        (60xx,0102) Overlay Bit Position of each embedded overlay.

    Returns
    -------
    numpy.ndarray
        (len(positions), rows, columns) bool, True where the overlay is set.

    References
    ----------
    PS3.3 C.9.2 Overlay Plane Module (Overlay Bits Allocated > 1: retired
    embedded overlays); PS3.5 8.1.2.
    """
    unsigned = raw.view(raw.dtype.str.replace("i", "u"))
    planes = np.empty((len(positions), *raw.shape), dtype=bool)
    for i, bit in enumerate(positions):
        planes[i] = np.bitwise_and(np.right_shift(unsigned, bit), 1).astype(bool)
    return planes
