"""Synthetic DICOM made with pydicom: the demo study, and series for tests and the bench.

Nothing here comes from a patient. The demo is a mathematical phantom (a head
made of ellipsoids with CT numbers of air, fat, water, brain, blood and bone).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    CTImageStorage,
    ExplicitVRLittleEndian,
    generate_uid,
)

#: A fixed root so generated UIDs are stable from build to build.
UID_ROOT = "1.2.826.0.1.3680043.10.1234."

#: (centre x, y, z, semi-axes a, b, c, HU added) in a [-1, 1]^3 head.
_PHANTOM: Sequence[tuple[float, float, float, float, float, float, float]] = (
    (0.0, 0.0, 0.0, 0.72, 0.92, 0.95, 2000.0),  # skull: air -1000 + 2000 = bone 1000 ...
    (0.0, 0.0, 0.0, 0.66, 0.86, 0.89, -965.0),  # ... minus the inside: brain 35
    (-0.22, 0.1, 0.0, 0.11, 0.28, 0.4, -30.0),  # left ventricle (CSF 5)
    (0.22, 0.1, 0.0, 0.11, 0.28, 0.4, -30.0),  # right ventricle
    (0.0, -0.45, 0.1, 0.15, 0.1, 0.12, 40.0),  # a bright lesion (75, like fresh blood)
    (0.3, -0.2, -0.3, 0.08, 0.08, 0.08, -60.0),  # a dark lesion (-25)
    (0.0, 0.62, -0.5, 0.2, 0.12, 0.2, -1000.0),  # sinus air
)


def phantom_slice(rows: int, cols: int, z: float) -> np.ndarray[Any, Any]:
    """CT numbers (HU) of the phantom at height z in [-1, 1], with air outside."""
    y, x = np.mgrid[-1 : 1 : rows * 1j, -1 : 1 : cols * 1j]
    hu = np.full((rows, cols), -1000.0)
    for cx, cy, cz, a, b, c, value in _PHANTOM:
        inside = ((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 + ((z - cz) / c) ** 2 <= 1.0
        hu[inside] += value
    # a little deterministic texture so the windowing has something to show
    hu += 6.0 * np.sin(17 * x + 5 * z) * np.cos(13 * y)
    return hu


def ct_dataset(
    hu: np.ndarray[Any, Any],
    *,
    series_uid: str,
    study_uid: str,
    instance: int,
    z_mm: float,
    spacing: float = 1.0,
    thickness: float = 2.0,
    window: tuple[float, float] | None = (40.0, 400.0),
    description: str = "Synthetic phantom",
    patient_name: str = "Demo^Phantom",
) -> Dataset:
    """One CT image (int16, rescale intercept -1024) holding ``hu``."""
    stored = np.clip(np.round(hu + 1024.0), -32768, 32767).astype(np.int16)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    sop_uid = generate_uid(UID_ROOT, entropy_srcs=[series_uid, str(instance)])
    ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = sop_uid
    ds.PatientName = patient_name
    ds.PatientID = "LIGHTBOX-DEMO"
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.FrameOfReferenceUID = generate_uid(UID_ROOT, entropy_srcs=[study_uid, "frame of reference"])
    ds.StudyDescription = "Lightbox demo"
    ds.SeriesDescription = description
    ds.Modality = "CT"
    ds.SeriesNumber = 1
    ds.InstanceNumber = instance
    ds.ImagePositionPatient = [-(hu.shape[1] * spacing) / 2, -(hu.shape[0] * spacing) / 2, z_mm]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.SliceLocation = z_mm
    ds.SliceThickness = thickness
    ds.PixelSpacing = [spacing, spacing]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = stored.shape
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.RescaleIntercept = -1024
    ds.RescaleSlope = 1
    ds.RescaleType = "HU"
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = window
        ds.WindowCenterWidthExplanation = "Brain"
    ds.PixelData = stored.tobytes()
    return ds


def to_bytes(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def ct_series(
    count: int,
    rows: int = 128,
    cols: int = 128,
    *,
    name: str = "demo",
    spacing_mm: float = 2.0,
    window: tuple[float, float] | None = (40.0, 400.0),
) -> list[Dataset]:
    """A phantom CT series of ``count`` slices, in slice order (z increasing)."""
    study_uid = generate_uid(UID_ROOT, entropy_srcs=[name, "study"])
    series_uid = generate_uid(UID_ROOT, entropy_srcs=[name, "series"])
    slices = []
    for i in range(count):
        z = -0.9 + 1.8 * i / max(count - 1, 1)
        hu = phantom_slice(rows, cols, z)
        slices.append(
            ct_dataset(
                hu,
                series_uid=series_uid,
                study_uid=study_uid,
                instance=i + 1,
                z_mm=i * spacing_mm,
                spacing=200.0 / cols,
                thickness=spacing_mm,
                window=window,
            )
        )
    return slices


def write_demo(out: Path, count: int = 24) -> dict[str, Any]:
    """Write the demo study and its index (``index.json``: the files to fetch)."""
    out.mkdir(parents=True, exist_ok=True)
    names = []
    # Written in a shuffled order on purpose: the viewer must sort by geometry.
    order = list(range(count))
    order = order[::2] + order[1::2]
    series = ct_series(count)
    for i in order:
        name = f"IM{i + 1:04d}"
        (out / name).write_bytes(to_bytes(series[i]))
        names.append(name)
    index = {"description": "Synthetic CT phantom (no patient data)", "files": names}
    (out / "index.json").write_text(json.dumps(index, indent=1))
    return index


def jpeg_baseline_grey(path: Path, rows: int = 96, cols: int = 128) -> Path:
    """An 8-bit greyscale JPEG Baseline file (encoded natively with Pillow; tests only)."""
    from PIL import Image  # a test-time dependency, not needed by the build
    from pydicom.encaps import encapsulate
    from pydicom.uid import JPEGBaseline8Bit

    y, x = np.mgrid[0:rows, 0:cols]
    grey = ((x * 2 + y) % 256).astype(np.uint8)
    grey[rows // 4 : rows // 2, cols // 4 : cols // 2] = 230
    stream = io.BytesIO()
    Image.fromarray(grey, mode="L").save(stream, format="JPEG", quality=90)
    ds = ct_series(1, rows, cols, name="jpeg-grey", window=None)[0]
    ds.Modality = "OT"
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    del ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.PixelData = encapsulate([stream.getvalue()])
    ds["PixelData"].VR = "OB"
    ds.LossyImageCompression = "01"
    path.write_bytes(to_bytes(ds))
    return path


def write_case(out: Path) -> dict[str, Any]:
    """A hosted teaching case: a small CD-like folder with a DICOMDIR, and the same as a ZIP.

    ``out/demo-case/`` holds DICOMDIR + files (opened with ``?case=cases/demo-case/``);
    ``out/demo-case.zip`` holds the same tree (``?case=cases/demo-case.zip``).
    """
    import tempfile
    import zipfile

    from pydicom.fileset import FileSet

    fileset = FileSet()
    fileset.ID = "LIGHTBOX CASE"
    for ds in ct_series(12, 96, 96, name="case", window=(40.0, 400.0)):
        ds.SeriesDescription = "Teaching case: phantom head"
        # What a DICOMDIR's study record needs (PS3.3 F.5.2).
        ds.StudyDate, ds.StudyTime, ds.StudyID, ds.AccessionNumber = "20260101", "120000", "1", ""
        fileset.add(ds)
    folder = out / "demo-case"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fileset.write(tmp)
        files = sorted(p for p in Path(tmp).rglob("*") if p.is_file())
        with zipfile.ZipFile(out / "demo-case.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                relative = path.relative_to(tmp).as_posix()
                target = folder / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(path.read_bytes())
                archive.write(path, relative)
    return {"folder": "cases/demo-case/", "zip": "cases/demo-case.zip", "files": len(files)}
