"""The Presentation LUT step of a presentation state (PS3.3 C.11.6, PS3.4 N.2): a table
from the VOI output to P-values, after Modality LUT and VOI; then 8 bits, as the rest of
the pipeline. IDENTITY and INVERSE need no table (the pipeline's inversion is INVERSE).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lightbox.display.luts import Lut, Modality, Voi
from lightbox.display.modality import modality_values
from lightbox.display.pipeline import LUT_LIMIT, gray_to_rgba
from lightbox.display.voi import apply_voi, to_uint8


def lut_output(lut: Lut, y: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The Presentation LUT over VOI output ``y`` (0..255): P-values scaled to 0..255.

    PS3.3 C.11.6.1: the table's input range is the VOI output range, which its entries
    span (entry k at k / (entries - 1) of it); its output, 0 to 2^bits - 1, the P-values.
    """
    n = lut.entries
    index = np.clip(np.floor(np.asarray(y, np.float64) * (n - 1) / 255.0 + 0.5), 0, n - 1)
    out: np.ndarray[Any, Any] = lut.data[index.astype(np.intp)].astype(np.float64) * (
        255.0 / float((1 << lut.bits) - 1)
    )
    return out


def presented_rgba(
    stored: np.ndarray[Any, Any], modality: Modality, voi: Voi, lut: Lut, invert: bool
) -> np.ndarray[Any, Any]:
    """Stored grey through Modality LUT, VOI and a Presentation LUT table to RGBA."""
    if stored.dtype.kind in "iu":
        lo, hi = int(stored.min()), int(stored.max())
        if hi - lo < LUT_LIMIT:
            domain = np.arange(lo, hi + 1, dtype=np.int64)
            table = to_uint8(
                lut_output(lut, apply_voi(modality_values(domain, modality), voi)), invert
            )
            return gray_to_rgba(table[stored.astype(np.int64) - lo])
    y = apply_voi(modality_values(stored, modality), voi)
    return gray_to_rgba(to_uint8(lut_output(lut, y), invert))
