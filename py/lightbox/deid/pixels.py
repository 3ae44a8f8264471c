"""Burned-in text: which images may carry it, and blanking the rectangles a user draws.

Pixel data is never changed except inside those rectangles. Native pixel data
is blanked in place, byte-exact elsewhere; compressed pixel data is decoded
with pydicom, blanked, and stored again as Explicit VR Little Endian (a lossy
original stays marked lossy: (0028,2110) is kept).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import UID, ExplicitVRBigEndian

from lightbox.core.errors import DecodeError
from lightbox.core.tags import PIXEL_KEYWORDS
from lightbox.deid.options import Rect

#: Modalities whose images often carry burned-in text (PS3.3 C.7.3.1.1.1).
SUSPECT_MODALITIES = frozenset({"US", "SC", "OT"})
#: Secondary Capture Image Storage and its multi-frame variants (PS3.4 B.5).
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"


def burned_in_reason(ds: Dataset) -> str | None:
    """Why an image may carry burned-in text, or None.

    Flagged: (0028,0301) Burned In Annotation is YES; or it is absent (or
    empty) on an image of modality US, SC or OT, or of a Secondary Capture
    SOP Class.

    References
    ----------
    PS3.3 C.7.6.1.1.7 Burned In Annotation; PS3.15 E.3.1 Clean Pixel Data Option.
    """
    if not any(k in ds for k in PIXEL_KEYWORDS):
        return None
    value = str(ds.get("BurnedInAnnotation", "") or "").strip().upper()
    if value == "YES":
        return "(0028,0301) Burned In Annotation is YES"
    if value:
        return None
    modality = str(ds.get("Modality", "") or "").strip().upper()
    if modality in SUSPECT_MODALITIES:
        return f"{modality} image without (0028,0301) Burned In Annotation"
    if str(ds.get("SOPClassUID", "")).startswith(SECONDARY_CAPTURE):
        return "Secondary Capture image without (0028,0301) Burned In Annotation"
    return None


def blank(ds: Dataset, syntax: UID, rects: list[Rect], name: str) -> UID:
    """Set the pixels inside ``rects`` of every frame to the darkest value; return the new syntax.

    Parameters
    ----------
    ds : Dataset
        The (copied) dataset; its pixel data is replaced.
    syntax : UID
        Its transfer syntax.
    rects : list of (x, y, width, height)
        In pixels; clipped to the image.
    name : str
        The file, for errors.

    Raises
    ------
    DecodeError
        The pixel data cannot be decoded, or has a layout that cannot be blanked.
    """
    if "PixelData" not in ds:
        raise DecodeError(name, "only (7FE0,0010) Pixel Data can be blanked")
    if syntax.is_compressed:
        try:
            ds.decompress(generate_instance_uid=False)
        except Exception as exc:  # any codec error: the file is left out, with the reason
            reason = f"its {syntax.name} pixel data cannot be decoded here, so it cannot be blanked"
            raise DecodeError(name, reason) from exc
        syntax = UID(ds.file_meta.TransferSyntaxUID)
    frames = _frames_view(ds, syntax, name)
    fill = _fill_values(ds, frames)
    rows, cols = int(ds.Rows), int(ds.Columns)
    for x, y, w, h in rects:
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(cols, x + w), min(rows, y + h)
        if x0 < x1 and y0 < y1:
            frames[:, y0:y1, x0:x1, :] = fill
    ds.PixelData = frames.tobytes() if _planar(ds) == 0 else _to_planar(frames)
    return syntax


def _planar(ds: Dataset) -> int:
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    return int(ds.get("PlanarConfiguration", 0) or 0) if samples > 1 else 0


def _frames_view(ds: Dataset, syntax: UID, name: str) -> np.ndarray[Any, Any]:
    """The native pixel bytes as a (frames, rows, columns, samples) array (a copy)."""
    bits = int(ds.BitsAllocated)
    photometric = str(ds.get("PhotometricInterpretation", "")).strip().upper()
    if bits not in (8, 16, 32) or photometric in ("YBR_FULL_422", "YBR_PARTIAL_420"):
        raise DecodeError(name, f"pixel data with {bits} bits or {photometric} cannot be blanked")
    order = ">" if syntax == ExplicitVRBigEndian else "<"
    kind = "i" if int(ds.get("PixelRepresentation", 0) or 0) else "u"
    dtype = np.dtype(f"{order}{kind}{bits // 8}")
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    rows, cols = int(ds.Rows), int(ds.Columns)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    count = frames * rows * cols * samples
    raw = np.frombuffer(bytes(ds.PixelData), dtype=dtype, count=count)
    if _planar(ds) == 1:
        return raw.reshape(frames, samples, rows, cols).transpose(0, 2, 3, 1).copy()
    return raw.reshape(frames, rows, cols, samples).copy()


def _to_planar(frames: np.ndarray[Any, Any]) -> bytes:
    return np.ascontiguousarray(frames.transpose(0, 3, 1, 2)).tobytes()


def _fill_values(ds: Dataset, frames: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The darkest value per sample: black for colour, the display's dark end for grey."""
    photometric = str(ds.get("PhotometricInterpretation", "")).strip().upper()
    samples = frames.shape[-1]
    if photometric == "MONOCHROME1":
        return np.array([frames.max()], dtype=frames.dtype)
    if photometric.startswith("YBR") and samples == 3:
        middle = 1 << (int(ds.get("BitsStored", 8) or 8) - 1)
        return np.array([0, middle, middle], dtype=frames.dtype)
    if samples == 3:
        return np.zeros(3, dtype=frames.dtype)
    return np.array([frames.min()], dtype=frames.dtype)
