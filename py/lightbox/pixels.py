"""One frame's bytes to stored values: decode, then fix bits per the header.

Decoding goes through pydicom's decoder registry (``pixel_array`` with
``index=``), so one frame is decoded at a time and every transfer syntax with
an available plugin is served by the same path.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels.utils import pixel_array
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian

from lightbox import codecs
from lightbox.errors import DecodeError
from lightbox.records import Photometric


@dataclass(frozen=True)
class PixelFormat:
    """The Image Pixel Module attributes decoding depends on (PS3.3 C.7.6.3)."""

    rows: int
    columns: int
    samples: int
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    photometric: Photometric
    is_float: bool
    transfer_syntax: str
    #: Decode from a full parse: deflated, or no file meta to find the syntax in.
    full_parse: bool


def pixel_format(ds: Dataset, transfer_syntax: str) -> PixelFormat:
    """Read the pixel format of a header dataset whose pixels use ``transfer_syntax``."""
    bits_allocated = int(ds.BitsAllocated)
    photometric_text = str(ds.PhotometricInterpretation).strip().upper()
    try:
        photometric = Photometric(photometric_text)
    except ValueError:
        photometric = Photometric.MONOCHROME2
    return PixelFormat(
        rows=int(ds.Rows),
        columns=int(ds.Columns),
        samples=int(ds.get("SamplesPerPixel", 1) or 1),
        bits_allocated=bits_allocated,
        bits_stored=int(ds.get("BitsStored", bits_allocated) or bits_allocated),
        pixel_representation=int(ds.get("PixelRepresentation", 0) or 0),
        photometric=photometric,
        is_float="FloatPixelData" in ds or "DoubleFloatPixelData" in ds,
        transfer_syntax=str(transfer_syntax),
        full_parse=transfer_syntax == DeflatedExplicitVRLittleEndian
        or "TransferSyntaxUID" not in (ds.get("file_meta") or {}),
    )


def _decode(data: bytes, index: int, fmt: PixelFormat) -> np.ndarray:
    """Decode one frame, reading only that frame's bytes where pydicom can.

    pydicom's file-like path reads only the frame it needs; deflated files
    (whose stream must be inflated first), files without file meta (whose
    transfer syntax was inferred from the header) and a few oddly
    encapsulated ones go through a full parse instead.
    """
    plugin = codecs.plugin_for(fmt.transfer_syntax)
    if not fmt.full_parse:
        try:
            arr: np.ndarray = pixel_array(io.BytesIO(data), index=index, decoding_plugin=plugin)
            return arr
        except (ValueError, KeyError, EOFError, AttributeError):
            pass
    ds = dcmread(io.BytesIO(data), force=True)
    if not ds.get("file_meta") or "TransferSyntaxUID" not in ds.file_meta:
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = UID(fmt.transfer_syntax)
    full: np.ndarray = pixel_array(ds, index=index, decoding_plugin=plugin)
    return full


def decode_frame(name: str, data: bytes, index: int, fmt: PixelFormat) -> np.ndarray:
    """Decode frame ``index`` of a file's bytes into stored values.

    Parameters
    ----------
    name : str
        The file's name, for error messages.
    data : bytes
        The whole file.
    index : int
        The 0-based frame.
    fmt : PixelFormat
        The header's pixel format.

    Returns
    -------
    numpy.ndarray
        (rows, columns) stored values for one sample per pixel, with unused
        high bits masked and the sign taken from Pixel Representation; or
        (rows, columns, 3) for colour, converted from YBR to RGB.

    References
    ----------
    PS3.5 8.1.1 (Bits Allocated, Bits Stored, High Bit).
    """
    try:
        arr = _decode(data, index, fmt)
    except Exception as exc:  # a codec can raise anything; report it as one error
        raise DecodeError(name, f"frame {index + 1} cannot be decoded ({exc})") from exc
    if fmt.samples == 1 and not fmt.is_float and arr.dtype.kind in "iu":
        arr = mask_stored_bits(arr, fmt.bits_stored, fmt.pixel_representation)
    return arr


def mask_stored_bits(arr: np.ndarray, bits_stored: int, pixel_representation: int) -> np.ndarray:
    """Keep the low ``bits_stored`` bits and sign-extend them when signed.

    Bits above High Bit may hold overlay data or junk; they are not part of
    the pixel value (PS3.5 8.1.1). Returns a new array; ``arr`` is unchanged.
    """
    bits = arr.dtype.itemsize * 8
    if bits_stored >= bits or bits_stored <= 0:
        return arr
    unsigned = arr.view(arr.dtype.str.replace("i", "u"))
    mask = np.array((1 << bits_stored) - 1, dtype=unsigned.dtype)
    values = np.bitwise_and(unsigned, mask)
    if pixel_representation == 0:
        masked: np.ndarray = values.astype(arr.dtype.str.replace("i", "u"), copy=False)
        return masked
    signed = values.view(values.dtype.str.replace("u", "i"))
    shift = bits - bits_stored
    extended: np.ndarray = np.right_shift(np.left_shift(signed, shift), shift)
    return extended
