"""Factories for the unit tests: synthetic datasets built with pydicom, and real files.

Synthetic images come from :func:`image_dataset` (a Dataset) and
:func:`image_bytes` (the PS3.10 file bytes written by ``tools.synth.to_bytes``,
i.e. ``save_as(..., enforce_file_format=True)``). Unit tests reach them through the
fixtures of ``tests/unit/conftest.py`` or import them.

Real files come only from pydicom's own test files, which ship inside the
pydicom wheel (``pydicom/data/test_files/``; their origins are listed in that
folder's ``README.txt``). They are located on disk, never fetched:
``pydicom.data.get_testdata_file`` may try to download, and the tests run
without a network.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    EnhancedCTImageStorage,
    ExplicitVRLittleEndian,
    SecondaryCaptureImageStorage,
    generate_uid,
)

from tools.synth import to_bytes

#: pydicom's bundled test files (shipped in the pydicom 3.0.2 wheel).
PYDICOM_TEST_FILES = Path(pydicom.__file__).parent / "data" / "test_files"


def pydicom_test_file(name: str) -> Path:
    """The path of one of pydicom's bundled test files; fails (never skips) if absent."""
    path = PYDICOM_TEST_FILES / name
    if not path.is_file():
        raise FileNotFoundError(f"{name} is not among pydicom's bundled test files ({path})")
    return path


def _default_pixels(rows: int, cols: int, frames: int, dtype: np.dtype) -> np.ndarray:
    """A ramp that differs in every pixel and every frame."""
    count = rows * cols * frames
    values = np.arange(count, dtype=np.int64) % max(1, min(np.iinfo(dtype).max, 4096))
    shape = (frames, rows, cols) if frames > 1 else (rows, cols)
    return values.reshape(shape).astype(dtype)


def image_dataset(
    pixels: np.ndarray | None = None,
    *,
    pixel_bytes: bytes | None = None,
    rows: int = 4,
    cols: int = 5,
    frames: int = 1,
    bits_allocated: int = 16,
    bits_stored: int | None = None,
    pixel_representation: int = 0,
    photometric: str = "MONOCHROME2",
    window: tuple[float, float] | Sequence[tuple[float, float]] | None = None,
    explanations: Sequence[str] | None = None,
    voi_function: str | None = None,
    rescale: tuple[float, float] | None = None,
    rescale_type: str | None = None,
    modality: str = "OT",
    padding: tuple[int, int | None] | None = None,
    presentation_lut_shape: str | None = None,
    series_uid: str | None = None,
    sop_uid: str | None = None,
    series_number: int | None = None,
    instance: int | None = None,
    position: Sequence[float] | None = None,
    orientation: Sequence[float] | None = None,
) -> Dataset:
    """A minimal, valid image dataset (Secondary Capture, Explicit VR Little Endian).

    Parameters
    ----------
    pixels : numpy.ndarray, optional
        Stored values: (rows, cols), (frames, rows, cols), or (rows, cols, 3) /
        (frames, rows, cols, 3) for colour. Its itemsize must match
        ``bits_allocated``; its bytes are written as they are (little endian),
        so junk in unused high bits survives. Default: a ramp.
    pixel_bytes : bytes, optional
        Raw (7FE0,0010) Pixel Data instead of ``pixels`` (may be short on purpose).
    window : (center, width) or a list of them, optional
        (0028,1050) Window Center and (0028,1051) Window Width.
    rescale : (slope, intercept), optional
        (0028,1053) Rescale Slope and (0028,1052) Rescale Intercept.
    padding : (value, range limit or None), optional
        (0028,0120) Pixel Padding Value and (0028,0121) Pixel Padding Range Limit.
    """
    color = photometric in ("RGB", "YBR_FULL")
    samples = 3 if color else 1
    if pixels is None and pixel_bytes is None:
        kind = "i" if pixel_representation else "u"
        dtype = np.dtype(f"<{kind}{bits_allocated // 8}")
        pixels = _default_pixels(rows, cols, frames, dtype)
        if color:
            pixels = np.stack([pixels, pixels[..., ::-1], pixels // 2], axis=-1)
    if pixels is not None:
        arr = np.ascontiguousarray(pixels)
        if arr.dtype.itemsize * 8 != bits_allocated:
            raise ValueError(f"pixels are {arr.dtype}, Bits Allocated is {bits_allocated}")
        spatial = arr.shape[:-1] if color else arr.shape
        if len(spatial) == 3:
            frames, rows, cols = spatial
        else:
            (rows, cols), frames = spatial, 1
        pixel_bytes = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()

    sop = sop_uid or generate_uid()
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = sop
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = sop
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = series_uid or generate_uid()
    ds.Modality = modality
    if series_number is not None:
        ds.SeriesNumber = series_number
    if instance is not None:
        ds.InstanceNumber = instance
    if position is not None:
        ds.ImagePositionPatient = list(position)
    if orientation is not None:
        ds.ImageOrientationPatient = list(orientation)
    ds.SamplesPerPixel = samples
    if color:
        ds.PlanarConfiguration = 0
    ds.PhotometricInterpretation = photometric
    ds.Rows = rows
    ds.Columns = cols
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.BitsAllocated = bits_allocated
    ds.BitsStored = bits_stored if bits_stored is not None else bits_allocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = pixel_representation
    if window is not None:
        pairs = [window] if isinstance(window[0], (int, float)) else list(window)
        ds.WindowCenter = [float(c) for c, _ in pairs]
        ds.WindowWidth = [float(w) for _, w in pairs]
    if explanations is not None:
        ds.WindowCenterWidthExplanation = list(explanations)
    if voi_function is not None:
        ds.VOILUTFunction = voi_function
    if rescale is not None:
        ds.RescaleSlope, ds.RescaleIntercept = rescale
    if rescale_type is not None:
        ds.RescaleType = rescale_type
    if padding is not None:
        value, limit = padding
        vr = "SS" if pixel_representation else "US"
        ds.add_new(0x00280120, vr, value)
        if limit is not None:
            ds.add_new(0x00280121, vr, limit)
    if presentation_lut_shape is not None:
        ds.PresentationLUTShape = presentation_lut_shape
    ds.PixelData = pixel_bytes
    return ds


def image_bytes(pixels: np.ndarray | None = None, **kwargs: Any) -> bytes:
    """The PS3.10 file bytes of :func:`image_dataset` (preamble, DICM, file meta)."""
    return to_bytes(image_dataset(pixels, **kwargs))


# -- Enhanced multi-frame objects (display pipeline: per-frame functional groups) ----------


def _item(**attributes: Any) -> Dataset:
    item = Dataset()
    for keyword, value in attributes.items():
        setattr(item, keyword, value)
    return item


def enhanced_dataset(
    pixels: np.ndarray,
    *,
    rescales: Sequence[tuple[float, float]] | None = None,
    windows: Sequence[Sequence[tuple[float, float, str]]] | None = None,
    shared_rescale: tuple[float, float] | None = None,
    shared_window: tuple[float, float, str] | None = None,
    rescale_type: str | None = "HU",
    voi_function: str | None = None,
    positions: Sequence[Sequence[float]] | None = None,
    orientation: Sequence[float] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0),
    spacing: tuple[float, float] = (0.5, 0.75),
    thickness: float = 2.0,
    modality: str = "CT",
) -> Dataset:
    """An Enhanced CT-like multi-frame dataset with functional groups (PS3.3 C.7.6.16).

    Parameters
    ----------
    pixels : numpy.ndarray
        (frames, rows, cols) int16 stored values.
    rescales : list of (slope, intercept), optional
        One Pixel Value Transformation item per frame (per-frame group).
    windows : list of lists of (center, width, explanation), optional
        Each frame's Frame VOI LUT item (several windows per frame allowed).
    shared_rescale, shared_window : optional
        The same macros in the Shared Functional Groups Sequence instead.
    positions : list of (x, y, z), optional
        Plane Position (Patient) per frame; default z = 3 * frame.
    """
    frames = pixels.shape[0]
    ds = image_dataset(pixels, pixel_representation=1, modality=modality)
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = EnhancedCTImageStorage
    shared = _item(
        PixelMeasuresSequence=[_item(PixelSpacing=list(spacing), SliceThickness=thickness)],
        PlaneOrientationSequence=[_item(ImageOrientationPatient=list(orientation))],
    )
    if shared_rescale is not None:
        shared.PixelValueTransformationSequence = [_rescale_item(shared_rescale, rescale_type)]
    if shared_window is not None:
        shared.FrameVOILUTSequence = [_window_item([shared_window], voi_function)]
    ds.SharedFunctionalGroupsSequence = [shared]
    per_frame = []
    for i in range(frames):
        position = positions[i] if positions is not None else (0.0, 0.0, 3.0 * i)
        item = _item(
            FrameContentSequence=[_item(DimensionIndexValues=[1, i + 1])],
            PlanePositionSequence=[_item(ImagePositionPatient=list(position))],
        )
        if rescales is not None:
            item.PixelValueTransformationSequence = [_rescale_item(rescales[i], rescale_type)]
        if windows is not None:
            item.FrameVOILUTSequence = [_window_item(windows[i], voi_function)]
        per_frame.append(item)
    ds.PerFrameFunctionalGroupsSequence = per_frame
    return ds


def _rescale_item(rescale: tuple[float, float], rescale_type: str | None) -> Dataset:
    item = _item(RescaleSlope=rescale[0], RescaleIntercept=rescale[1])
    if rescale_type is not None:
        item.RescaleType = rescale_type
    return item


def _window_item(windows: Sequence[tuple[float, float, str]], function: str | None) -> Dataset:
    item = _item(
        WindowCenter=[c for c, _, _ in windows],
        WindowWidth=[w for _, w, _ in windows],
        WindowCenterWidthExplanation=[e for _, _, e in windows],
    )
    if function is not None:
        item.VOILUTFunction = function
    return item
