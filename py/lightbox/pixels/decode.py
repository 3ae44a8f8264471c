"""One frame's bytes to stored values: decode, then fix bits per the header.

Decoding goes through pydicom's decoder registry (``pixel_array`` with
``index=``), so one frame is decoded at a time and every transfer syntax with
an available plugin is served by the same path. Three things pydicom 3.0.2
does not do are done here: single-bit frames that do not start on a byte
boundary, partial-range YCbCr, and native pixel data that ends early.
"""

from __future__ import annotations

import io
import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels.decoders.base import get_decoder
from pydicom.pixels.utils import pixel_array
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ImplicitVRLittleEndian,
    RLELossless,
)

from lightbox.core.errors import DecodeError
from lightbox.core.records import Photometric
from lightbox.pixels import codecs

_PIXEL_DATA = 0x7FE00010
#: The three pixel data elements (PS3.3 C.7.6.3, C.7.6.24) by tag.
_PIXEL_KEYWORDS = {
    _PIXEL_DATA: "PixelData",
    0x7FE00008: "FloatPixelData",
    0x7FE00009: "DoubleFloatPixelData",
}

#: PS3.3 C.7.6.3.1.2, YBR_PARTIAL_422: RGB (8-bit) to partial-range Y, CB, CR.
_PARTIAL_FORWARD = np.array(
    [
        [0.2568, 0.5041, 0.0979],
        [-0.1482, -0.2910, 0.4392],
        [0.4392, -0.3678, -0.0714],
    ]
)
_PARTIAL_OFFSET = np.array([16.0, 128.0, 128.0])
_PARTIAL_INVERSE = np.linalg.inv(_PARTIAL_FORWARD)


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
    #: (0028,0008) Number of Frames, 1 when absent.
    frames: int = 1
    #: (0028,0006) Planar Configuration: 0 colour-by-pixel, 1 colour-by-plane.
    planar_configuration: int = 0

    @property
    def is_native(self) -> bool:
        """Whether the pixel data is uncompressed (PS3.5 A.1-A.3), i.e. its length is known."""
        return not UID(self.transfer_syntax).is_compressed


def _int(value: object, default: int) -> int:
    try:
        return int(value)  # type: ignore[call-overload,no-any-return]
    except (TypeError, ValueError):
        return default


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
        frames=max(_int(ds.get("NumberOfFrames"), 1), 1),
        planar_configuration=_int(ds.get("PlanarConfiguration"), 0),
    )


# -- where the native pixel data is, and how much of it -----------------------------------


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


def frame_bits(fmt: PixelFormat) -> int:
    """Bits one native frame takes (PS3.5 8.1.1; YBR_FULL_422 has two samples a pixel)."""
    samples = 2 if fmt.photometric is Photometric.YBR_FULL_422 and fmt.samples == 3 else fmt.samples
    return fmt.rows * fmt.columns * samples * fmt.bits_allocated


def expected_bytes(fmt: PixelFormat) -> int:
    """Bytes the native pixel data of every frame needs, before its even-length padding.

    Single-bit frames are packed back to back, not each from a byte boundary.
    """
    return (fmt.frames * frame_bits(fmt) + 7) // 8


def _element_header(
    data: bytes, at: int, little: bool, implicit: bool
) -> tuple[int, str, int, int] | None:
    """(tag, VR, length, header size) of the element starting at ``at``, or None."""
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
    if found is None or found[0] != _PIXEL_DATA or found[2] != 0xFFFFFFFF:
        return None
    return stream.tell() + found[3]


def _first_item(value: bytes | memoryview, at: int) -> memoryview | None:
    """The first fragment after the Basic Offset Table item at ``at`` (PS3.5 A.4), as a view."""
    view = memoryview(value)
    for _ in range(2):  # the offset table's item, then the first fragment's
        found = _element_header(bytes(view[at : at + 8]), 0, little=True, implicit=True)
        if found is None or found[0] != 0xFFFEE000 or found[2] == 0xFFFFFFFF:
            return None
        start, at = at + 8, at + 8 + found[2]
    return view[start:at] if at <= len(view) else None


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
        value = ds.get(_PIXEL_KEYWORDS[_PIXEL_DATA])
    except Exception:  # a file pydicom cannot read: the header alone decides
        return None
    return _first_item(bytes(value), 0) if isinstance(value, bytes) else None


def codec_for(fmt: PixelFormat, fragment: bytes | memoryview | None) -> codecs.Choice:
    """Which codec decodes a file whose first fragment is ``fragment`` (see codecs.choose_codec)."""
    return codecs.choose_codec(fmt.transfer_syntax, fmt.samples, fmt.photometric.value, fragment)


def file_codec(data: bytes, fmt: PixelFormat, start: int | None = None) -> codecs.Choice:
    """The codec decision for a whole file: made once, then loaded and used as it is.

    Only colour JPEG needs its codestream looked at (:func:`codecs.needs_codestream`);
    every other file is decided by its header.
    """
    needed = codecs.needs_codestream(fmt.transfer_syntax, fmt.samples)
    return codec_for(fmt, first_fragment(data, fmt, start) if needed else None)


def native_view(
    data: bytes, index: int, fmt: PixelFormat, extent: PixelExtent | None
) -> np.ndarray | None:
    """A frame of native little-endian greyscale as a read-only view into the file's bytes.

    No copy and no decode: the file's bytes are the stored values when each
    sample fills its Bits Allocated (8, 16 or 32, no unused high bits to mask),
    the frame is complete and its byte order is the machine's. None when that
    does not hold (Explicit VR Big Endian among others: :func:`decode_frame`
    swaps it into native order).
    """
    if (
        sys.byteorder != "little"
        or extent is None
        or extent.tag != 0x7FE00010
        or fmt.samples != 1
        or fmt.is_float
        or fmt.bits_allocated not in (8, 16, 32)
        or fmt.bits_stored != fmt.bits_allocated
        or fmt.photometric is Photometric.PALETTE_COLOR
        or UID(fmt.transfer_syntax) == ExplicitVRBigEndian
    ):
        return None
    size = fmt.bits_allocated // 8
    dtype = np.dtype(f"<{'i' if fmt.pixel_representation else 'u'}{size}")
    count = fmt.rows * fmt.columns
    start = extent.offset + index * count * size
    if start + count * size > extent.offset + extent.present:
        return None
    view: np.ndarray = np.frombuffer(data, dtype=dtype, count=count, offset=start)
    return view.reshape(fmt.rows, fmt.columns)


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
        if found and found[0] in _PIXEL_KEYWORDS and found[2] == length:
            return PixelExtent(found[0], at + header_size, length, expected, found[1])
    stream = io.BytesIO(data)
    try:
        dcmread(stream, stop_before_pixels=True, force=True)
    except Exception:  # a header pydicom cannot read has no extent we can trust
        return None
    found = _element_header(data, stream.tell(), little, implicit)
    if found is None or found[0] not in _PIXEL_KEYWORDS:
        return None
    tag, vr, declared, size = found
    start = stream.tell() + size
    present = max(0, min(declared, len(data) - start))
    return PixelExtent(tag, start, present, expected, vr)


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


# -- decoding ------------------------------------------------------------------------------


def _single_bit_frame(value: bytes, index: int, fmt: PixelFormat) -> np.ndarray:
    """Frame ``index`` of packed single-bit data, first pixel in the lowest bit (PS3.5 8.1.1).

    Frames follow each other bit after bit, so a frame may start inside a byte.
    """
    count = fmt.rows * fmt.columns * fmt.samples
    start = index * count
    chunk = np.frombuffer(value, dtype=np.uint8)[start // 8 : (start + count + 7) // 8]
    bits = np.unpackbits(chunk, bitorder="little")[start % 8 : start % 8 + count]
    if bits.size != count:
        raise ValueError(f"{bits.size} of {count} bits present")
    return bits.reshape(fmt.rows, fmt.columns)


def _bit_stream(value: bytes, vr: str, fmt: PixelFormat) -> bytes:
    """Single-bit pixel data as bytes in little-endian order (OW words swapped in big endian)."""
    if UID(fmt.transfer_syntax) == ExplicitVRBigEndian and vr == "OW":
        return np.frombuffer(value[: len(value) // 2 * 2], ">u2").astype("<u2").tobytes()
    return value


def _decode(
    data: bytes,
    index: int,
    fmt: PixelFormat,
    correct_bits: bool = True,
    start: int | None = None,
    codec: codecs.Choice | None = None,
) -> np.ndarray:
    """Decode one frame, reading only that frame's bytes where pydicom can.

    Given ``start`` (see :func:`encapsulated_start`), the frame is found in
    the fragments from there and decoded with the options the header gave;
    otherwise pydicom's file-like path parses the header and reads only the
    frame it needs. Deflated files (whose stream must be inflated first),
    files without file meta (whose transfer syntax was inferred from the
    header) and a few oddly encapsulated ones go through a full parse instead.
    ``correct_bits=False`` keeps the bits above High Bit as they are in the file.
    ``codec`` is the file's decision (:func:`file_codec`), made here when not given.
    """
    if codec is None and codecs.installed():
        codec = file_codec(data, fmt, start)
    options: dict[str, Any] = codecs.plugin_options(codec, fmt.transfer_syntax)
    if not correct_bits:
        options["correct_unused_bits"] = False
    if start is not None:
        stream = io.BytesIO(data)  # shares the bytes; pydicom reads the fragments from here
        stream.seek(start)
        frame: np.ndarray = get_decoder(UID(fmt.transfer_syntax)).as_array(
            stream, index=index, **options, **_pixel_options(fmt)
        )[0]
        return frame
    if not fmt.full_parse:
        try:
            arr: np.ndarray = pixel_array(io.BytesIO(data), index=index, **options)
            return arr
        except (ValueError, KeyError, EOFError, AttributeError):
            if fmt.bits_allocated == 1 and fmt.is_native:
                extent = pixel_extent(data, fmt)
                if extent is not None:
                    value = data[extent.offset : extent.offset + extent.present]
                    return _single_bit_frame(_bit_stream(value, extent.vr, fmt), index, fmt)
    ds = dcmread(io.BytesIO(data), force=True)
    if not ds.get("file_meta") or "TransferSyntaxUID" not in ds.file_meta:
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = UID(fmt.transfer_syntax)
    if fmt.bits_allocated == 1 and fmt.is_native and "PixelData" in ds:
        value = _bit_stream(bytes(ds.PixelData), str(ds["PixelData"].VR), fmt)
        return _single_bit_frame(value, index, fmt)
    full: np.ndarray = pixel_array(ds, index=index, **options)
    return full


def ybr_partial_to_rgb(ybr: np.ndarray, bits: int) -> np.ndarray:
    """Partial-range YCbCr to RGB of the same dtype, inverting PS3.3 C.7.6.3.1.2.

    The standard gives the forward transform of YBR_PARTIAL_422 for 8 bits
    (Y = .2568 R + .5041 G + .0979 B + 16; CB = -.1482 R - .2910 G + .4392 B
    + 128; CR = .4392 R - .3678 G - .0714 B + 128); this applies its exact
    inverse, with the offsets scaled by 2^(bits - 8) for deeper samples, and
    rounds half up into [0, 2^bits - 1].
    """
    scale = float(1 << (bits - 8)) if bits > 8 else 1.0
    centred = ybr.astype(np.float64) - _PARTIAL_OFFSET * scale
    rgb = centred @ _PARTIAL_INVERSE.T
    top = float((1 << bits) - 1)
    out: np.ndarray = np.floor(np.clip(rgb, 0.0, top) + 0.5).astype(ybr.dtype)
    return out


def native_order(arr: np.ndarray) -> np.ndarray:
    """``arr`` with its samples in the machine's byte order (the same array when they are).

    pydicom returns Explicit VR Big Endian pixel data (PS3.5 A.3) with a
    big-endian dtype (``>i2``): the values are right, but code that views the
    bytes under another dtype (``view("u2")``) or hands the buffer on (to the
    canvas, to JavaScript) would read them little endian. Every decoded frame
    leaves this module in native order.
    """
    if arr.dtype.isnative:
        return arr
    swapped: np.ndarray = arr.astype(arr.dtype.newbyteorder("="))
    return swapped


def _finish(arr: np.ndarray, fmt: PixelFormat) -> np.ndarray:
    """What pydicom leaves to us: native byte order; partial-range YCbCr of native data to RGB."""
    arr = native_order(arr)
    if arr.ndim == 3 and fmt.photometric.is_ybr_partial and fmt.is_native:
        return ybr_partial_to_rgb(arr, fmt.bits_allocated)
    return arr


def _pixel_options(fmt: PixelFormat) -> dict[str, Any]:
    """The Image Pixel attributes pydicom's decoders need when given bare pixel data."""
    options: dict[str, Any] = {
        "rows": fmt.rows,
        "columns": fmt.columns,
        "samples_per_pixel": fmt.samples,
        "bits_allocated": fmt.bits_allocated,
        "bits_stored": fmt.bits_stored,
        "pixel_representation": fmt.pixel_representation,
        "photometric_interpretation": fmt.photometric.value,
        "number_of_frames": fmt.frames,
        "pixel_keyword": "PixelData",
    }
    if fmt.samples > 1:
        options["planar_configuration"] = fmt.planar_configuration
    return options


def decode_raw(
    name: str,
    data: bytes,
    index: int,
    fmt: PixelFormat,
    start: int | None = None,
    codec: codecs.Choice | None = None,
) -> np.ndarray:
    """Decode frame ``index`` keeping the bits above High Bit (overlays live there).

    Like :func:`decode_frame` but nothing is masked: pass the result through
    :func:`stored_values` for the pixel values and :func:`embedded_overlay_bits`
    for the overlay planes of PS3.3 C.9.2 (retired embedded form).
    """
    try:
        arr = _decode(data, index, fmt, correct_bits=False, start=start, codec=codec)
    except Exception as exc:  # a codec can raise anything; report it as one error
        raise decode_error(name, index, exc) from exc
    return _finish(arr, fmt)


def stored_values(raw: np.ndarray, fmt: PixelFormat) -> np.ndarray:
    """Stored values of a decoded frame, within Bits Stored.

    Native data: unused high bits masked and the sign extended (PS3.5 8.1.1: they
    may hold overlays or junk). Compressed data has no unused bits: what a codec
    returns beyond the Bits Stored range is a lossy codec's overshoot (a JPEG
    2000 frame of 12 bits stored decoded to 4124 was seen), clipped to the range
    rather than masked, which would turn the brightest pixels black.
    """
    if fmt.samples != 1 or fmt.is_float or raw.dtype.kind not in "iu":
        return raw
    if fmt.is_native or fmt.transfer_syntax == RLELossless:  # RLE keeps every allocated bit
        return mask_stored_bits(raw, fmt.bits_stored, fmt.pixel_representation)
    return clip_stored_bits(raw, fmt.bits_stored, fmt.pixel_representation)


def clip_stored_bits(arr: np.ndarray, bits_stored: int, pixel_representation: int) -> np.ndarray:
    """Values clipped to the range of ``bits_stored`` bits, signed or not (a new array)."""
    bits = arr.dtype.itemsize * 8
    if bits_stored >= bits or bits_stored <= 0:
        return arr
    if pixel_representation == 1:
        low, high = -(1 << (bits_stored - 1)), (1 << (bits_stored - 1)) - 1
    else:
        low, high = 0, (1 << bits_stored) - 1
    if int(arr.min()) >= low and int(arr.max()) <= high:
        return arr
    clipped: np.ndarray = np.clip(arr, low, high).astype(arr.dtype)
    return clipped


def decode_error(name: str, index: int, exc: Exception) -> DecodeError:
    """A one-line DecodeError naming the file and frame (codec messages span lines)."""
    reason = " ".join(str(exc).split())
    return DecodeError(name, f"frame {index + 1} cannot be decoded ({reason})")


def decode_frame(
    name: str,
    data: bytes,
    index: int,
    fmt: PixelFormat,
    start: int | None = None,
    codec: codecs.Choice | None = None,
) -> np.ndarray:
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
    start : int, optional
        Where the encapsulated Pixel Data value begins (:func:`encapsulated_start`).
    codec : codecs.Choice, optional
        The file's codec decision (:func:`file_codec`): the codec the browser
        loaded for it. Made from the file when not given.

    Returns
    -------
    numpy.ndarray
        (rows, columns) stored values for one sample per pixel, with unused
        high bits masked and the sign taken from Pixel Representation; or
        (rows, columns, 3) for colour, converted from YBR to RGB.

    References
    ----------
    PS3.5 8.1.1 (Bits Allocated, Bits Stored, High Bit); PS3.3 C.7.6.3.1.2.
    """
    try:
        arr = _decode(data, index, fmt, start=start, codec=codec)
    except Exception as exc:  # a codec can raise anything; report it as one error
        raise decode_error(name, index, exc) from exc
    return stored_values(_finish(arr, fmt), fmt)


def decode_short_frame(
    name: str, data: bytes, index: int, fmt: PixelFormat, extent: PixelExtent
) -> tuple[np.ndarray, Truncation | None]:
    """Decode what a short native file holds of frame ``index``.

    The missing bytes are taken as zero for decoding, then every pixel they
    touch is set to the lowest value present in the frame (the lowest value
    Bits Stored can hold when none is present; black for colour), so that an
    automatic window is not stretched by the padding.

    Returns
    -------
    (numpy.ndarray, Truncation or None)
        Stored values as :func:`decode_frame` returns them, and what is
        missing (None when this frame is complete).

    Raises
    ------
    DecodeError
        The data cannot be decoded even padded.
    """
    truncation = frame_truncation(extent, fmt, index)
    if truncation is None:
        return decode_frame(name, data, index, fmt), None
    value = data[extent.offset : extent.offset + extent.present]
    padded = value + bytes(extent.expected + extent.expected % 2 - len(value))
    try:
        if fmt.bits_allocated == 1:
            arr = _single_bit_frame(_bit_stream(padded, extent.vr, fmt), index, fmt)
        else:
            ds = dcmread(io.BytesIO(data), stop_before_pixels=True, force=True)
            setattr(ds, _PIXEL_KEYWORDS[extent.tag], padded)
            arr = pixel_array(ds, index=index)
    except Exception as exc:
        raise decode_error(name, index, exc) from exc
    values = stored_values(_finish(arr, fmt), fmt).copy()
    flat = values.reshape(truncation.pixels, -1)
    flat[truncation.present_pixels :] = _fill_value(flat[: truncation.present_pixels], fmt)
    return values, truncation


def _fill_value(present: np.ndarray, fmt: PixelFormat) -> float | int:
    if fmt.samples > 1:
        return 0
    if present.size:
        return float(np.nanmin(present)) if fmt.is_float else int(present.min())
    if fmt.is_float or fmt.pixel_representation == 0:
        return 0
    return -(1 << (fmt.bits_stored - 1))


def embedded_overlay_bits(raw: np.ndarray, positions: Sequence[int]) -> np.ndarray:
    """Overlay planes held in the unused high bits of raw stored values.

    Parameters
    ----------
    raw : numpy.ndarray
        (rows, columns) integer values as :func:`decode_raw` returns them.
    positions : sequence of int
        (60xx,0102) Overlay Bit Position of each embedded overlay.

    Returns
    -------
    numpy.ndarray
        (len(positions), rows, columns) bool, True where the overlay is set.

    References
    ----------
    PS3.3 C.9.2 Overlay Plane Module (Overlay Bits Allocated > 1: retired
    embedded overlays); PS3.5 8.1.2.
    """
    unsigned = raw.view(raw.dtype.str.replace("i", "u"))
    planes = np.empty((len(positions), *raw.shape), dtype=bool)
    for i, bit in enumerate(positions):
        planes[i] = np.bitwise_and(np.right_shift(unsigned, bit), 1).astype(bool)
    return planes


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
