"""Values worked by hand from the standard: VOI windows, LUTs, rounding, colour spaces.

Each function is the formula of the clause it cites, one value at a time, so that
tests compare the vectorised pipeline with the standard's own words.
"""

from __future__ import annotations

import math

import numpy as np
from pydicom.dataset import Dataset

from lightbox.core.records import VoiFunction
from tests.support.factories import image_dataset

LINEAR, EXACT, SIGMOID = VoiFunction.LINEAR, VoiFunction.LINEAR_EXACT, VoiFunction.SIGMOID
#: A 12-bit Modality LUT with repeats and a drop (PS3.3 C.11.1.1.1), first value mapped 0.
TABLE = [0, 100, 100, 400, 1023, 700, 5, 4095]
#: A 12-bit VOI LUT (PS3.3 C.11.2.1.1).
VOI_TABLE = [0, 10, 4000, 4095, 2000]


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


def reference_lut(x: float, first: int, data: list[int]) -> int:
    """One input through a LUT: below the first value mapped -> first entry, past -> last."""
    i = math.floor(x + 0.5) - first
    return data[min(max(i, 0), len(data) - 1)]


def colour_dataset(samples: np.ndarray, photometric: str, planar: int) -> Dataset:
    """An 8- or 16-bit 3-sample image with the given samples, in either planar configuration."""
    bits = samples.dtype.itemsize * 8
    ds = image_dataset(samples, photometric="RGB", bits_allocated=bits)
    ds.PhotometricInterpretation = photometric
    ds.PlanarConfiguration = planar
    layout = samples if planar == 0 else np.moveaxis(samples, -1, -3)  # R plane, G plane, B plane
    ds.PixelData = np.ascontiguousarray(layout).astype(samples.dtype.newbyteorder("<")).tobytes()
    return ds


def ybr_full(rgb: np.ndarray) -> np.ndarray:
    """PS3.3 C.7.6.3.1.2 YBR_FULL from RGB (8-bit), rounded."""
    r, g, b = (rgb[..., i].astype(float) for i in range(3))
    y = 0.2990 * r + 0.5870 * g + 0.1140 * b
    cb = -0.1687 * r - 0.3313 * g + 0.5000 * b + 128
    cr = 0.5000 * r - 0.4187 * g - 0.0813 * b + 128
    return np.clip(np.round(np.stack([y, cb, cr], axis=-1)), 0, 255).astype(np.uint8)


def ybr_partial(rgb: np.ndarray) -> np.ndarray:
    """PS3.3 C.7.6.3.1.2 YBR_PARTIAL_422 equations from RGB (8-bit), rounded."""
    r, g, b = (rgb[..., i].astype(float) for i in range(3))
    y = 0.2568 * r + 0.5041 * g + 0.0979 * b + 16
    cb = -0.1482 * r - 0.2910 * g + 0.4392 * b + 128
    cr = 0.4392 * r - 0.3678 * g - 0.0714 * b + 128
    return np.clip(np.round(np.stack([y, cb, cr], axis=-1)), 0, 255).astype(np.uint8)


# Primary and grey colours with a spread of values in between.
COLOURS = np.array(
    [
        [[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255]],
        [[128, 128, 128], [200, 30, 90], [12, 240, 100], [77, 77, 200], [250, 250, 5]],
    ],
    dtype=np.uint8,
)
