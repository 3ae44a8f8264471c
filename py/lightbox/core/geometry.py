"""The geometry every layer shares: the normal of an image plane."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def normal(orientation: Sequence[float]) -> np.ndarray[Any, Any]:
    """The normal of the image plane: the row direction cosines crossed with the column ones.

    Parameters
    ----------
    orientation : sequence of float
        The six values of (0020,0037) Image Orientation (Patient): the row
        direction cosines, then the column direction cosines.

    Returns
    -------
    numpy.ndarray
        (3,) float64; a position's dot product with it is its distance along the normal.

    References
    ----------
    PS3.3 C.7.6.2.1.1 Image Position and Image Orientation.
    """
    row = np.asarray(orientation[:3], dtype=np.float64)
    col = np.asarray(orientation[3:6], dtype=np.float64)
    out: np.ndarray[Any, Any] = np.cross(row, col)
    return out
