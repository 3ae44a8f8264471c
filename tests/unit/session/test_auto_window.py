"""The automatic window of a series does not depend on how its files arrived.

Found on the corpus' 267-slice PET through the page, which reads a large drop in
batches: the window was taken from the middle of the first batch and kept. The
expectation is the window of the same files opened at once.
"""

from __future__ import annotations

from lightbox.session.session import Session
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
