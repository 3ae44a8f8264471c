"""lightbox.display.modality: stored values to modality values (PS3.3 C.11.1)."""

from __future__ import annotations

import numpy as np
import pytest

from lightbox.display import luts, modality
from tests.support.hand import (
    TABLE,
    reference_lut,
)


@pytest.mark.parametrize("first", [0, 100, -3])
def test_modality_lut_maps_and_clamps(first):
    lut = luts.Lut(first, 12, np.array(TABLE, dtype=np.uint16))
    stored = np.arange(first - 5, first + 12, dtype=np.int32).reshape(1, -1)
    out = modality.modality_values(stored, lut)
    assert out.dtype == np.float64
    assert out.ravel().tolist() == [reference_lut(v, first, TABLE) for v in stored.ravel()]
