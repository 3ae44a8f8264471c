"""Bytes to header datasets: is it DICOM, can we read it, can we show it.

Only headers are parsed here (``stop_before_pixels``); pixel data stays in the
file's bytes until a frame is asked for (see :mod:`lightbox.pixels.decode`).
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError as PydicomInvalidDicomError
from pydicom.pixels.decoders.base import get_decoder
from pydicom.pixels.utils import get_expected_length
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian, ImplicitVRLittleEndian

from lightbox.core.errors import InvalidDicomError, NoPixelDataError, NotDicomError

#: Tags of the three pixel data elements, PS3.3 C.7.6.3 / C.7.6.24.
PIXEL_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)
PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")

_PREAMBLE = 128
_MAGIC = b"DICM"
#: Groups a dataset without preamble or file meta plausibly starts with.
_FIRST_GROUPS = (0x0002, 0x0008)


@dataclass(frozen=True)
class Header:
    """A parsed header and what it says about the pixel data.

    Attributes
    ----------
    dataset : Dataset
        Everything before the pixel data (file meta included).
    transfer_syntax : UID
        The transfer syntax the pixel data is encoded with.
    frames : int
        (0028,0008) Number of Frames, 1 when absent.
    """

    dataset: Dataset
    transfer_syntax: UID
    frames: int


def looks_like_dicom(data: bytes) -> bool:
    """Say whether bytes are a DICOM file, by content, never by name.

    A PS3.10 file has a 128-byte preamble followed by ``DICM``. Older files
    (and some on CDs) are a bare dataset: accept those when the first element
    is in group 0002 or 0008, little or big endian, with a valid explicit VR
    or a plausible implicit length.

    References
    ----------
    PS3.10 7.1 DICOM File Meta Information.
    """
    if data[_PREAMBLE : _PREAMBLE + 4] == _MAGIC:
        return True
    if len(data) < 8:
        return False
    for order in ("<", ">"):
        group, element = struct.unpack(order + "HH", data[:4])
        if group not in _FIRST_GROUPS or element > 0x0100:
            continue
        vr = data[4:6]
        if vr.isalpha() and vr.isupper():
            return True
        (length,) = struct.unpack(order + "I", data[4:8])
        if length < len(data):
            return True
    return False


def read_header(name: str, data: bytes) -> Header:
    """Parse the header of one file and check that it holds a showable image.

    Raises
    ------
    NotDicomError
        The content is not DICOM.
    InvalidDicomError
        The header cannot be parsed, or declares nonsense.
    NoPixelDataError
        A valid DICOM object without an image (report, SR, plan...).
    """
    if not looks_like_dicom(data):
        raise NotDicomError(name, "not a DICOM file (no DICM marker and no DICOM header)")
    stream = io.BytesIO(data)
    try:
        ds = dcmread(stream, stop_before_pixels=True, force=True)
    except (PydicomInvalidDicomError, EOFError, ValueError, struct.error, KeyError) as exc:
        raise InvalidDicomError(name, f"the DICOM header cannot be read ({exc})") from exc
    syntax = _transfer_syntax(ds)
    pixel_bytes = _pixel_bytes_available(data, stream.tell(), ds, syntax)
    if pixel_bytes is None:
        if stream.tell() >= len(data) and _expects_image(ds):
            raise InvalidDicomError(
                name,
                f"the file ends before its pixel data: it is truncated ({len(data)} bytes)",
            )
        raise NoPixelDataError(name, f"no image in this object ({_sop_class_name(ds)})")
    _check_image_module(name, ds)
    _check_decoder(name, syntax)
    frames = _number_of_frames(name, ds)
    # Short native pixel data opens: the session shows what is there with a warning.
    if not syntax.is_compressed and pixel_bytes == 0 < get_expected_length(ds, "bytes"):
        raise InvalidDicomError(name, "pixel data is empty: the file ends at its pixel data")
    return Header(ds, syntax, frames)


def _transfer_syntax(ds: Dataset) -> UID:
    meta = getattr(ds, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if syntax:
        return UID(syntax)
    # No file meta: pydicom guessed the encoding while reading.
    if not ds.is_little_endian:
        return UID("1.2.840.10008.1.2.2")
    return UID("1.2.840.10008.1.2.1") if not ds.is_implicit_VR else ImplicitVRLittleEndian


def _pixel_bytes_available(data: bytes, offset: int, ds: Dataset, syntax: UID) -> int | None:
    """Return the bytes of pixel data present, or None when there is none."""
    if syntax == DeflatedExplicitVRLittleEndian or not ds.get("file_meta"):
        # The stream offset does not map onto ``data``: read it all.
        full = dcmread(io.BytesIO(data), force=True)
        for keyword in PIXEL_KEYWORDS:
            if keyword in full:
                return len(full[keyword].value or b"")
        return None
    if offset + 8 > len(data):
        return None
    order = "<" if syntax != UID("1.2.840.10008.1.2.2") else ">"
    group, element = struct.unpack(order + "HH", data[offset : offset + 4])
    if (group << 16 | element) not in PIXEL_TAGS:
        return None
    header = 8 if syntax == ImplicitVRLittleEndian else 12
    return max(0, len(data) - offset - header)


def _check_image_module(name: str, ds: Dataset) -> None:
    """Validate the Image Pixel Module attributes we cannot do without (C.7.6.3)."""
    for keyword in ("Rows", "Columns", "BitsAllocated", "PhotometricInterpretation"):
        if ds.get(keyword) in (None, ""):
            raise InvalidDicomError(name, f"the image has no {keyword} (Image Pixel Module)")
    if int(ds.Rows) <= 0 or int(ds.Columns) <= 0:
        raise InvalidDicomError(name, f"the image size {ds.Rows}x{ds.Columns} is not valid")


def _check_decoder(name: str, syntax: UID) -> None:
    try:
        decoder = get_decoder(syntax)
    except NotImplementedError as exc:
        raise InvalidDicomError(
            name, f"transfer syntax {syntax} ({syntax.name}) is not supported"
        ) from exc
    if not decoder.is_available:
        raise InvalidDicomError(name, f"no decoder in this build for {syntax.name} ({syntax})")


def _number_of_frames(name: str, ds: Dataset) -> int:
    value = ds.get("NumberOfFrames")
    if value in (None, ""):
        return 1
    try:
        frames = int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidDicomError(name, f"(0028,0008) Number of Frames is {value!r}") from exc
    return max(frames, 1)


def _expects_image(ds: Dataset) -> bool:
    """Whether the object should have pixel data: an image SOP class, or image attributes."""
    if "Rows" in ds or "BitsAllocated" in ds:
        return True
    name = _sop_class_name(ds)
    return "Image Storage" in name


def _sop_class_name(ds: Dataset) -> str:
    sop = ds.get("SOPClassUID")
    meta = ds.get("file_meta")
    if not sop and meta is not None:
        sop = meta.get("MediaStorageSOPClassUID")
    return UID(str(sop)).name if sop else "unknown object type"
