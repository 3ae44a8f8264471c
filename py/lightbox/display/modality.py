"""The Modality LUT step: stored values to modality values (PS3.3 C.11.1). Pure math."""

from __future__ import annotations

from typing import Any

import numpy as np

from lightbox.display.luts import Lut, Modality, lut_index


def modality_values(stored: np.ndarray[Any, Any], rescale: Modality) -> np.ndarray[Any, Any]:
    """Stored values to modality values as float64 (PS3.3 C.11.1).

    A rescale gives ``stored * slope + intercept`` (C.11.1.1.2); a Modality
    LUT gives its entry for each stored value (C.11.1.1.1).
    """
    if isinstance(rescale, Lut):
        out: np.ndarray[Any, Any] = rescale.data[lut_index(stored, rescale.first, rescale.entries)]
        return out.astype(np.float64)
    values = stored.astype(np.float64)
    if rescale.slope != 1.0:
        values *= rescale.slope
    if rescale.intercept != 0.0:
        values += rescale.intercept
    return values
