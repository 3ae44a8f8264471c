"""Where a file's pixel data lies in its bytes, and how much of each frame is there.

Found once per file from the bytes themselves, so that a frame is read or
decoded without parsing the file again: the extent of native pixel data
(:func:`pixel_extent`), where an encapsulated Pixel Data value begins
(:func:`encapsulated_start`) and its first fragment (:func:`first_fragment`,
where a JPEG keeps its markers), a native frame as a view of the bytes
(:func:`native_view`), and what a short file lacks of a frame
(:func:`frame_truncation`). The fragments are read by
:func:`lightbox.ingest.structure.read_fragments`, the one reader of items.

References
----------
PS3.5 7.1.2 (element encoding), 8.1.1 (native pixel data length), A.4
(encapsulated pixel data: undefined length, explicit VR little endian, items).
"""

from __future__ import annotations

import io
import struct
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom import dcmread
from pydicom.uid import UID, ExplicitVRBigEndian, ImplicitVRLittleEndian

from lightbox.core.records import Photometric
from lightbox.core.tags import PIXEL_DATA, PIXEL_KEYWORD, PIXEL_TAGS
from lightbox.ingest import structure
from lightbox.pixels.format import PixelFormat, expected_bytes, frame_bits

_UNDEFINED = 0xFFFFFFFF


@dataclass(frozen=True)
class PixelExtent:
    """Where the value of a native pixel data element lies in a file's bytes.

    Attributes
    ----------
    tag : int
        (7FE0,0010) Pixel Data, (7FE0,0008) Float or (7FE0,0009) Double Float Pixel Data.
    offset : int
        The first byte of the value.
    present : int
        Bytes of the value that are in the file (at most its declared length).
    expected : int
        Bytes every frame together needs (PS3.5 8.1.1, 8.2).
    vr : str
        The element's VR ("" in Implicit VR).
    """

    tag: int
    offset: int
    present: int
    expected: int
    vr: str

    @property
    def complete(self) -> bool:
        return self.present >= self.expected


def _element_header(
    data: bytes, at: int, little: bool, implicit: bool
) -> tuple[int, str, int, int] | None:
    """(tag, VR, length, header size) of the pixel data element starting at ``at``, or None.

    A pixel data element's VR (OB, OW, OF, OD) always has the long explicit
    header: tag, VR, two reserved bytes, a 32-bit length (PS3.5 7.1.2).
    """
    order = "<" if little else ">"
    if at < 0 or at + 8 > len(data):
        return None
    group, element = struct.unpack(order + "HH", data[at : at + 4])
    tag = group << 16 | element
    if implicit:
        (length,) = struct.unpack(order + "I", data[at + 4 : at + 8])
        return tag, "", length, 8
    if at + 12 > len(data):
        return None
    vr = data[at + 4 : at + 6].decode("latin-1")
    (length,) = struct.unpack(order + "I", data[at + 8 : at + 12])
    return tag, vr, length, 12


def pixel_extent(data: bytes, fmt: PixelFormat) -> PixelExtent | None:
    """Locate the native pixel data of a file; None when encapsulated or not found.

    The usual file ends with its pixel data, which is checked in constant time;
    any other file (trailing elements, or cut short) has its header parsed.

    References
    ----------
    PS3.5 7.1.2 (element encoding), 8.1.1 (native pixel data length).
    """
    if fmt.full_parse or not fmt.is_native:
        return None
    syntax = UID(fmt.transfer_syntax)
    little, implicit = syntax != ExplicitVRBigEndian, syntax == ImplicitVRLittleEndian
    expected = expected_bytes(fmt)
    header_size = 8 if implicit else 12
    for length in sorted({expected, expected + expected % 2}):
        at = len(data) - length - header_size
        found = _element_header(data, at, little, implicit)
        if found and found[0] in PIXEL_TAGS and found[2] == length:
            return PixelExtent(found[0], at + header_size, length, expected, found[1])
    stream = io.BytesIO(data)
    try:
        dcmread(stream, stop_before_pixels=True, force=True)
    except Exception:  # a header pydicom cannot read has no extent we can trust
        return None
    found = _element_header(data, stream.tell(), little, implicit)
    if found is None or found[0] not in PIXEL_TAGS:
        return None
    tag, vr, declared, size = found
    start = stream.tell() + size
    present = max(0, min(declared, len(data) - start))
    return PixelExtent(tag, start, present, expected, vr)


def encapsulated_start(data: bytes, fmt: PixelFormat) -> int | None:
    """Where a file's encapsulated Pixel Data value begins, found once per file.

    With it each frame decodes from the fragments alone, without parsing the
    header again. None for native data, files that need a full parse, and files
    with an Extended Offset Table (whose offsets live in the header).

    References
    ----------
    PS3.5 A.4 (encapsulated Pixel Data: undefined length, explicit VR little endian).
    """
    if fmt.full_parse or fmt.is_native:
        return None
    stream = io.BytesIO(data)
    try:
        ds = dcmread(stream, stop_before_pixels=True, force=True)
    except Exception:  # a header pydicom cannot read: decode through the general path
        return None
    if "ExtendedOffsetTable" in ds:
        return None
    found = _element_header(data, stream.tell(), little=True, implicit=False)
    if found is None or found[0] != PIXEL_DATA or found[2] != _UNDEFINED:
        return None
    return stream.tell() + found[3]


def _first_item(value: bytes, at: int) -> memoryview | None:
    """The first fragment after the Basic Offset Table item at ``at`` (PS3.5 A.4), as a view."""
    fragments = structure.fragments_or_none(value, at, limit=2)  # the offset table, one fragment
    if fragments is None or len(fragments.offsets) < 2:
        return None
    start, length = fragments.offsets[1], fragments.lengths[1]
    return memoryview(value)[start : start + length] if start + length <= len(value) else None


def first_fragment(data: bytes, fmt: PixelFormat, start: int | None) -> memoryview | None:
    """The first fragment of a file's encapsulated pixel data (where a JPEG keeps its markers).

    From ``start`` (:func:`encapsulated_start`) without parsing anything; a file
    without one (Extended Offset Table, no file meta, odd encodings) is parsed
    once. None for native data, or when no fragment can be found.
    """
    if fmt.is_native:
        return None
    if start is not None:
        return _first_item(data, start)
    try:
        ds = dcmread(io.BytesIO(data), force=True)
        value = ds.get(PIXEL_KEYWORD[PIXEL_DATA])
    except Exception:  # a file pydicom cannot read: the header alone decides
        return None
    return _first_item(bytes(value), 0) if isinstance(value, bytes) else None


def viewable(fmt: PixelFormat, extent: PixelExtent) -> bool:
    """Whether a frame's bytes are its stored values, as they are (:func:`native_view`).

    Native little-endian greyscale in (7FE0,0010) Pixel Data whose samples fill their
    Bits Allocated (8, 16 or 32: no unused high bits to mask), on a little-endian machine.
    """
    return not (
        sys.byteorder != "little"
        or extent.tag != PIXEL_DATA
        or fmt.samples != 1
        or fmt.is_float
        or fmt.bits_allocated not in (8, 16, 32)
        or fmt.bits_stored != fmt.bits_allocated
        or fmt.photometric is Photometric.PALETTE_COLOR
        or UID(fmt.transfer_syntax) == ExplicitVRBigEndian
    )


def native_view(
    data: bytes, index: int, fmt: PixelFormat, extent: PixelExtent | None
) -> np.ndarray[Any, Any] | None:
    """A frame of native little-endian greyscale as a read-only view into the file's bytes.

    No copy and no decode: the file's bytes are the stored values when each
    sample fills its Bits Allocated (8, 16 or 32, no unused high bits to mask),
    the frame is complete and its byte order is the machine's. None when that
    does not hold (Explicit VR Big Endian among others: decoding swaps it
    into native order).
    """
    if extent is None or not viewable(fmt, extent):
        return None
    size = fmt.bits_allocated // 8
    dtype = np.dtype(f"<{'i' if fmt.pixel_representation else 'u'}{size}")
    count = fmt.rows * fmt.columns
    start = extent.offset + index * count * size
    if start + count * size > extent.offset + extent.present:
        return None
    view: np.ndarray[Any, Any] = np.frombuffer(data, dtype=dtype, count=count, offset=start)
    return view.reshape(fmt.rows, fmt.columns)


@dataclass(frozen=True)
class Truncation:
    """How much of one frame a short file holds (the rest is padding)."""

    frame: int
    present_bytes: int
    expected_bytes: int
    present_pixels: int
    pixels: int

    @property
    def message(self) -> str:
        return (
            f"frame {self.frame + 1} is truncated: {self.present_bytes} of "
            f"{self.expected_bytes} bytes of pixel data present; the missing "
            f"{self.pixels - self.present_pixels} of {self.pixels} pixels are shown "
            "as the frame's lowest value"
        )


def frame_truncation(extent: PixelExtent | None, fmt: PixelFormat, index: int) -> Truncation | None:
    """What is missing of frame ``index``, or None when all its bytes are there."""
    if extent is None or extent.complete:
        return None
    bits = frame_bits(fmt)
    present = min(extent.present, extent.expected) * 8 - index * bits
    present = min(max(present, 0), bits)
    if present >= bits:
        return None
    count = fmt.rows * fmt.columns
    if fmt.photometric is Photometric.YBR_FULL_422 and fmt.samples == 3:
        complete = present // (4 * fmt.bits_allocated) * 2  # Y Y CB CR: two pixels
    elif fmt.samples > 1 and fmt.planar_configuration == 1:
        samples = present // fmt.bits_allocated  # the last plane decides
        complete = samples - (fmt.samples - 1) * count
    else:
        complete = present // (fmt.bits_allocated * fmt.samples)
    return Truncation(index, present // 8, (bits + 7) // 8, min(max(complete, 0), count), count)
