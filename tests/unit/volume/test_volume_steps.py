"""A volume built in steps (issue 18 item 8): the browser builds a tenth of a second at a
time and hears a Cancel between steps. The volume built in steps is pydicom's modality
values of the files in slice order; a cancelled build holds no bytes; the next build
starts from the first slice."""

from __future__ import annotations

import numpy as np
from pydicom.pixels import apply_modality_lut

from lightbox.session.session import Session
from lightbox.volume import Volume
from tests.support import volumes as known
from tools import synth

SLICES = 16
ROWS, COLUMNS = 40, 48
DATASETS = known.series([2.5 * k for k in range(SLICES)], rows=ROWS, columns=COLUMNS)


def _opened() -> Session:
    session = Session()
    session.open([(f"s{k:03d}.dcm", synth.to_bytes(d)) for k, d in enumerate(DATASETS)])
    return session


def _pydicom_volume() -> np.ndarray:
    return np.stack([apply_modality_lut(d.pixel_array, d) for d in DATASETS])


def test_steps_fill_the_volume_pydicom_reads() -> None:
    session = _opened()
    told = []
    while True:
        step = session.volume_step(0, None, 0.0)  # one slice a step
        told.append(step["done"])
        if step["finished"]:
            break
        assert step["total"] == SLICES
    assert told == list(range(1, SLICES + 1))
    volume = session.volume(0)
    assert isinstance(volume, Volume)
    assert np.array_equal(volume.data, _pydicom_volume())
    memory = session.volume_memory()
    assert memory == {"volumeBytes": SLICES * ROWS * COLUMNS * 2, "volumes": 1, "building": None}
    # kept: a later step has nothing to build
    assert session.volume_step(0, None, 0.0) == {"done": 0, "total": 0, "finished": True}


def test_cancel_releases_the_partly_built_volume() -> None:
    session = _opened()
    for _ in range(3):
        session.volume_step(0, None, 0.0)
    memory = session.volume_memory()
    assert memory["building"] == {"done": 3, "total": SLICES}
    assert memory["volumeBytes"] == SLICES * ROWS * COLUMNS * 2 and memory["volumes"] == 0
    assert session.cancel_volume() is True
    assert session.volume_memory() == {"volumeBytes": 0, "volumes": 0, "building": None}
    assert session.cancel_volume() is False
    # the next build starts again from the first slice and reaches the same volume
    assert session.volume_step(0, None, 0.0)["done"] == 1
    volume = session.volume(0)  # the rest at once, from the build under way
    assert isinstance(volume, Volume)
    assert np.array_equal(volume.data, _pydicom_volume())
    assert session.volume_memory()["building"] is None
