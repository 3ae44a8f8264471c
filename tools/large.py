"""Large multi-frame files written sparse (issue 19 item 3): the header of a 512x512
16-bit CT with ``frames`` frames, its first frame given, the rest a hole (zeros), so a
4 GB file costs a few hundred kilobytes of disk."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np

from tools import synth

ROWS = COLUMNS = 512
FRAME_BYTES = ROWS * COLUMNS * 2
#: The first frame's stored values: a ramp over -1000..1999.
FIRST = (np.arange(ROWS * COLUMNS).reshape(ROWS, COLUMNS) % 3000 - 1000).astype("<i2")


def header(frames: int, bits_stored: int = 16) -> bytes:
    """A multi-frame CT's bytes up to its Pixel Data value (Explicit VR Little Endian)."""
    ds = synth.ct_dataset(
        np.zeros((ROWS, COLUMNS)),
        series_uid="1.2.826.0.1.3680043.10.1234.99.1",
        study_uid="1.2.826.0.1.3680043.10.1234.99",
        instance=1,
        z_mm=0.0,
        spacing=0.5,
        window=(40.0, 400.0),
    )
    ds.NumberOfFrames = frames
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    del ds.PixelData
    # (7FE0,0010) OW and its 4-byte length (PS3.5 7.1.2)
    element = struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OW", 0, frames * FRAME_BYTES)
    return synth.to_bytes(ds) + element


def sparse(path: Path, frames: int, first: np.ndarray[Any, Any] = FIRST) -> Path:
    """Write the file: the header, the first frame, then a hole to the declared length."""
    head = header(frames)
    with path.open("wb") as f:
        f.write(head)
        f.write(first.astype("<i2").tobytes())
        f.truncate(len(head) + frames * FRAME_BYTES)
    return path


#: A large study's slices (:func:`study`): 0.5 mm apart, 0.7 mm pixels.
STUDY_STEP_MM = 0.5
STUDY_PIXEL_MM = 0.7


def study_hu(slice_index: int) -> np.ndarray[Any, Any]:
    """Slice ``slice_index``'s HU in :func:`study`: ``8 z + x - 1000`` (x the column), a
    ramp along the columns and the slices, so that a plane through the volume, and a mean
    of neighbouring slices, are the same linear function of the voxel position."""
    x = np.arange(COLUMNS, dtype=np.float64)
    return np.broadcast_to(8.0 * slice_index + x - 1000.0, (ROWS, COLUMNS))


def study(folder: Path, slices: int) -> list[Path]:
    """Write a CT series of ``slices`` 512x512 single-frame files (512 KiB each: a
    3,000-slice study is 1.5 GB), slice k at z = k * STUDY_STEP_MM, HU :func:`study_hu`."""
    folder.mkdir(parents=True, exist_ok=True)
    template = synth.ct_dataset(
        np.zeros((ROWS, COLUMNS)),
        series_uid="1.2.826.0.1.3680043.10.1234.98.1",
        study_uid="1.2.826.0.1.3680043.10.1234.98",
        instance=1,
        z_mm=0.0,
        spacing=STUDY_PIXEL_MM,
        window=(40.0, 400.0),
        description="Large study",
    )
    paths = []
    for k in range(slices):
        ds = template
        ds.SOPInstanceUID = f"1.2.826.0.1.3680043.10.1234.98.1.{k + 1}"
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.InstanceNumber = k + 1
        ds.ImagePositionPatient = [0.0, 0.0, k * STUDY_STEP_MM]
        ds.SliceLocation = k * STUDY_STEP_MM
        ds.PixelData = (study_hu(k) + 1024.0).astype("<i2").tobytes()
        path = folder / f"IM{k + 1:05d}.dcm"
        path.write_bytes(synth.to_bytes(ds))
        paths.append(path)
    return paths
