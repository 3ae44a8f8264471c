"""lightbox.display.luts: the records' JSON for the viewer."""

from __future__ import annotations

import numpy as np

from lightbox.core.records import Window
from lightbox.display import luts
from lightbox.display.luts import Rescale
from tests.support.hand import (
    SIGMOID,
)


def test_voi_and_modality_json():
    lut = luts.Lut(-2, 12, np.zeros(5, np.uint16), "CURVE", "HU")
    assert luts.voi_json([Window(1, 2, SIGMOID, "A")], [lut]) == [
        {"kind": "window", "center": 1, "width": 2, "function": "SIGMOID", "explanation": "A"},
        {
            "kind": "lut",
            "center": None,
            "width": None,
            "function": None,
            "explanation": "CURVE",
            "entries": 5,
            "firstMapped": -2,
            "bits": 12,
        },
    ]
    assert luts.modality_json(lut)["kind"] == "lut"
    assert luts.modality_json(Rescale(2, 3, "HU")) == {
        "kind": "rescale",
        "slope": 2,
        "intercept": 3,
        "unit": "HU",
    }
