"""The automatic window of a series does not depend on how its files arrived.

Found on the corpus' 267-slice PET through the page, which reads a large drop in
batches: the window was taken from the middle of the first batch and kept. The
expectation is the window of the same files opened at once.
"""

from __future__ import annotations

import io

import pytest
from pydicom import dcmread

from lightbox.session.session import Session
from tests.support import reference
from tools.synth import ct_series, to_bytes


def _window(session: Session) -> tuple[float, float]:
    info = session.render(0, 0).info
    assert info["windowSource"] == "automatic"
    return info["windowCenter"], info["windowWidth"]


def test_the_automatic_window_is_the_whole_series_one_after_batches() -> None:
    slices = ct_series(9, 16, 16, name="auto", window=None)
    for i, ds in enumerate(slices):  # each slice its own range, so the middle one matters
        ds.RescaleIntercept = -1024 + 100 * i
    files = [(f"s{i}.dcm", to_bytes(ds)) for i, ds in enumerate(slices)]
    at_once = Session()
    at_once.open(files)
    batches = Session()
    batches.open(files[:3])
    first = _window(batches)  # shown while the rest is still being read
    batches.open(files[3:])
    assert _window(batches) == _window(at_once) != first
    # And that window is the middle slice's range, worked from the reference's modality
    # values (PS3.3 C.11.2.1.2.1: lo maps to 0, hi to 255): c = (lo + hi) / 2 + 0.5,
    # w = hi - lo + 1. The middle of 9 slices in z order is slice 4.
    values = reference.modality_values(dcmread(io.BytesIO(files[4][1])), 0)
    lo, hi = float(values.min()), float(values.max())
    assert _window(batches) == pytest.approx(((lo + hi) / 2 + 0.5, hi - lo + 1))
