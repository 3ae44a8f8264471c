"""One frame of a file to stored values: the one entry point, :func:`frame`.

The caller says which frame of which file (a :class:`FrameSource`); this
module decides how to get it. A native frame whose bytes are its stored
values is a view of the file (no copy, no decode); a native frame the file
holds only part of is decoded padded (:mod:`lightbox.pixels.locate` says what
is missing); anything else is decoded through pydicom's decoder registry
(``pixel_array`` with ``index=``, or the decoder itself from where the
encapsulated Pixel Data begins), so one frame is decoded at a time and every
transfer syntax with an available plugin is served by the same path. Three
things pydicom 3.0.2 does not do are done here or in
:mod:`lightbox.pixels.samples`: single-bit frames that do not start on a byte
boundary, partial-range YCbCr, and native pixel data that ends early.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from pydicom import dcmread
from pydicom.dataset import FileMetaDataset
from pydicom.pixels.decoders.base import get_decoder
from pydicom.pixels.utils import pixel_array
from pydicom.uid import UID, ExplicitVRBigEndian

from lightbox.core.errors import DecodeError
from lightbox.core.messages import say
from lightbox.core.tags import PIXEL_DATA, PIXEL_KEYWORD
from lightbox.ingest.source import ByteSource
from lightbox.pixels import codecs
from lightbox.pixels.format import PixelFormat
from lightbox.pixels.locate import (
    PixelExtent,
    Truncation,
    encapsulated_start,
    first_fragment,
    frame_truncation,
    native_view,
    pixel_extent,
)
from lightbox.pixels.samples import finish, stored_values


@dataclass(frozen=True, eq=False)
class FrameSource:
    """Everything decoding a file's frames takes, decided once per file.

    Attributes
    ----------
    name : str
        The file's name, for error messages.
    data : bytes
        The whole file (held, never copied).
    fmt : PixelFormat
        The header's pixel format.
    extent : PixelExtent or None
        Where native pixel data lies and how much of it is present
        (:func:`~lightbox.pixels.locate.pixel_extent`); None when encapsulated.
    start : int or None
        Where the encapsulated Pixel Data value begins
        (:func:`~lightbox.pixels.locate.encapsulated_start`): with it each
        frame decodes from its fragments without parsing the header again.
    codec : codecs.Choice
        The codec that decodes the file's frames: what the browser loads for
        it is what decodes (:func:`lightbox.pixels.codecs.choose_codec`).
    reader : ByteSource or None
        The file read a range at a time (issue 19 item 3: the browser's ``File``):
        ``data`` then holds only its first bytes, and each frame is read from
        ``reader`` when asked. Only for pixel data whose bytes are its values
        (:func:`~lightbox.pixels.locate.viewable`).
    """

    name: str
    data: bytes
    fmt: PixelFormat
    extent: PixelExtent | None
    start: int | None
    codec: codecs.Choice
    reader: ByteSource | None = None

    @classmethod
    def of(
        cls,
        name: str,
        data: bytes,
        fmt: PixelFormat,
        extent: PixelExtent | None,
        reader: ByteSource | None = None,
    ) -> FrameSource:
        """The source of a file's frames, its start and codec found once.

        ``extent`` is the file's :func:`~lightbox.pixels.locate.pixel_extent`,
        which the caller has (a session finds it on opening, for its checks).
        """
        start = encapsulated_start(data, fmt)
        return cls(name, data, fmt, extent, start, file_codec(data, fmt, start), reader)

    def truncation(self, index: int) -> Truncation | None:
        """What the file lacks of frame ``index``; None when all of it is there."""
        return frame_truncation(self.extent, self.fmt, index)


@dataclass(frozen=True)
class Frame:
    """One frame's values and how they were had.

    Attributes
    ----------
    values : numpy.ndarray
        (rows, columns) for one sample per pixel, (rows, columns, 3) RGB for
        colour (YBR converted), in native byte order: stored values, or with
        ``raw`` the cells as they are (bits above High Bit kept).
    in_place : bool
        ``values`` is a read-only view of the file's own bytes: nothing was
        decoded, and there is nothing to keep.
    truncation : Truncation or None
        What the file lacks of the frame (shown as the frame's lowest value).
    """

    values: np.ndarray[Any, Any]
    in_place: bool = False
    truncation: Truncation | None = None


def frame(source: FrameSource, index: int, *, raw: bool = False) -> Frame:
    """Frame ``index`` of a file: read in place, decoded, or decoded padded when cut short.

    Parameters
    ----------
    source : FrameSource
        The file.
    index : int
        The 0-based frame.
    raw : bool
        Keep the bits above High Bit as they are in the file (overlays live
        there): pass the values through
        :func:`~lightbox.pixels.samples.stored_values` for the pixel values and
        :func:`~lightbox.pixels.samples.embedded_overlay_bits` for the overlay
        planes of PS3.3 C.9.2 (retired embedded form). A frame cut short is
        always returned as stored values (its padding is their lowest value).

    Returns
    -------
    Frame
        The values: stored values within Bits Stored (unused high bits of
        native data masked, the sign from Pixel Representation; a codec's
        overshoot clipped), or with ``raw`` the cells; colour converted from
        YBR to RGB. A view of the file when nothing had to be decoded.

    Raises
    ------
    DecodeError
        The frame cannot be decoded; the message names the file and the frame.

    References
    ----------
    PS3.5 8.1.1 (Bits Allocated, Bits Stored, High Bit); PS3.3 C.7.6.3.1.2.
    """
    if source.reader is not None and source.extent is not None:
        return _read_frame(source, source.reader, source.extent, index)
    if not raw:
        view = native_view(source.data, index, source.fmt, source.extent)
        if view is not None:
            return Frame(view, in_place=True)
    truncation = source.truncation(index)
    if truncation is not None and source.extent is not None:
        return Frame(_short(source, index, source.extent, truncation), truncation=truncation)
    fmt = source.fmt
    try:
        arr = _decode(source.data, index, fmt, not raw, source.start, source.codec)
    except Exception as exc:  # a codec can raise anything; report it as one error
        raise _decode_error(source.name, index, exc) from exc
    cells = finish(arr, fmt)
    return Frame(cells if raw else stored_values(cells, fmt))


def _read_frame(source: FrameSource, reader: ByteSource, extent: PixelExtent, index: int) -> Frame:
    """Frame ``index`` read from the file alone: its bytes are its stored values (no decode,
    and nothing but the frame read), where PS3.5 8.1.1 puts them. A frame the file holds
    only part of is padded as :func:`_short` pads it."""
    fmt = source.fmt
    size = fmt.rows * fmt.columns * (fmt.bits_allocated // 8)
    got = reader.read(extent.offset + index * size, size)
    cut = source.truncation(index)
    if cut is None and len(got) < size:  # the file changed since it was opened
        reason = f"frame {index + 1} is cut short: {len(got)} of {size} bytes"
        raise DecodeError(source.name, reason)
    whole = replace(extent, offset=0, present=size, expected=size)
    view = native_view(got + bytes(size - len(got)), 0, fmt, whole)
    if view is None:
        raise DecodeError(source.name, say("engine.frame_unreadable", frame=index + 1))
    if cut is None:
        return Frame(view)
    values = view.copy()
    flat = values.reshape(cut.pixels, -1)
    flat[cut.present_pixels :] = _fill_value(flat[: cut.present_pixels], fmt)
    return Frame(values, truncation=cut)


def _decode_error(name: str, index: int, exc: Exception) -> DecodeError:
    """A one-line DecodeError naming the file and frame (codec messages span lines)."""
    reason = " ".join(str(exc).split())
    return DecodeError(name, say("engine.frame_undecodable", frame=index + 1, detail=reason))


def file_codec(data: bytes, fmt: PixelFormat, start: int | None) -> codecs.Choice:
    """The codec decision for a whole file: made once, then loaded and used as it is.

    Only colour JPEG needs its codestream looked at (:func:`codecs.needs_codestream`);
    every other file is decided by its header.
    """
    needed = codecs.needs_codestream(fmt.transfer_syntax, fmt.samples)
    fragment = first_fragment(data, fmt, start) if needed else None
    return codecs.choose_codec(fmt.transfer_syntax, fmt.samples, fmt.photometric.value, fragment)


def _single_bit_frame(value: bytes, index: int, fmt: PixelFormat) -> np.ndarray[Any, Any]:
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
    correct_bits: bool,
    start: int | None,
    codec: codecs.Choice,
) -> np.ndarray[Any, Any]:
    """Decode one frame, reading only that frame's bytes where pydicom can.

    Given ``start``, the frame is found in the fragments from there and
    decoded with the options the header gave; otherwise pydicom's file-like
    path parses the header and reads only the frame it needs. Deflated files
    (whose stream must be inflated first), files without file meta (whose
    transfer syntax was inferred from the header) and a few oddly
    encapsulated ones go through a full parse instead. ``correct_bits=False``
    keeps the bits above High Bit as they are in the file.
    """
    options: dict[str, Any] = codecs.plugin_options(codec, fmt.transfer_syntax)
    if not correct_bits:
        options["correct_unused_bits"] = False
    if start is not None:
        stream = io.BytesIO(data)  # shares the bytes; pydicom reads the fragments from here
        stream.seek(start)
        decoded: np.ndarray[Any, Any] = get_decoder(UID(fmt.transfer_syntax)).as_array(
            stream, index=index, **options, **_pixel_options(fmt)
        )[0]
        return decoded
    if not fmt.full_parse:
        try:
            arr: np.ndarray[Any, Any] = pixel_array(io.BytesIO(data), index=index, **options)
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
    keyword = PIXEL_KEYWORD[PIXEL_DATA]
    if fmt.bits_allocated == 1 and fmt.is_native and keyword in ds:
        value = _bit_stream(bytes(ds[keyword].value), str(ds[keyword].VR), fmt)
        return _single_bit_frame(value, index, fmt)
    full: np.ndarray[Any, Any] = pixel_array(ds, index=index, **options)
    return full


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
        "pixel_keyword": PIXEL_KEYWORD[PIXEL_DATA],
    }
    if fmt.samples > 1:
        options["planar_configuration"] = fmt.planar_configuration
    return options


def _short(
    source: FrameSource, index: int, extent: PixelExtent, cut: Truncation
) -> np.ndarray[Any, Any]:
    """Decode what a short native file holds of frame ``index``, as stored values.

    The missing bytes are taken as zero for decoding, then every pixel they
    touch is set to the lowest value present in the frame (the lowest value
    Bits Stored can hold when none is present; black for colour), so that an
    automatic window is not stretched by the padding.
    """
    data, fmt = source.data, source.fmt
    value = data[extent.offset : extent.offset + extent.present]
    padded = value + bytes(extent.expected + extent.expected % 2 - len(value))
    try:
        if fmt.bits_allocated == 1:
            arr = _single_bit_frame(_bit_stream(padded, extent.vr, fmt), index, fmt)
        else:
            ds = dcmread(io.BytesIO(data), stop_before_pixels=True, force=True)
            setattr(ds, PIXEL_KEYWORD[extent.tag], padded)
            arr = pixel_array(ds, index=index)
    except Exception as exc:
        raise _decode_error(source.name, index, exc) from exc
    values = stored_values(finish(arr, fmt), fmt).copy()
    flat = values.reshape(cut.pixels, -1)
    flat[cut.present_pixels :] = _fill_value(flat[: cut.present_pixels], fmt)
    return values


def _fill_value(present: np.ndarray[Any, Any], fmt: PixelFormat) -> float | int:
    if fmt.samples > 1:
        return 0
    if present.size:
        return float(np.nanmin(present)) if fmt.is_float else int(present.min())
    if fmt.is_float or fmt.pixel_representation == 0:
        return 0
    return -(1 << (fmt.bits_stored - 1))


def encoded_frame(
    name: str, codestream: bytes, fmt: PixelFormat, codec: codecs.Choice, index: int = 0
) -> np.ndarray[Any, Any]:
    """Stored values of one frame given as its codestream alone (a slide's tile).

    The codestream is wrapped as one-frame encapsulated pixel data (an empty Basic
    Offset Table, one fragment, PS3.5 A.4) and decoded by the same decoder call as a
    file's frames, with the file's codec decision. ``index`` only names the frame in
    an error.
    """
    one = replace(fmt, frames=1)
    padded = codestream + b"\x00" * (len(codestream) % 2)
    wrapped = (
        b"\xfe\xff\x00\xe0\x00\x00\x00\x00"
        + b"\xfe\xff\x00\xe0"
        + len(padded).to_bytes(4, "little")
        + padded
        + b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    )
    options: dict[str, Any] = codecs.plugin_options(codec, fmt.transfer_syntax)
    try:
        arr: np.ndarray[Any, Any] = get_decoder(UID(fmt.transfer_syntax)).as_array(
            io.BytesIO(wrapped), index=0, **options, **_pixel_options(one)
        )[0]
    except Exception as exc:  # a codec can raise anything; report it as one error
        raise _decode_error(name, index, exc) from exc
    return stored_values(finish(arr, one), one)


def native_frame(name: str, data: bytes, fmt: PixelFormat, index: int = 0) -> np.ndarray[Any, Any]:
    """Stored values of one native frame given as its bytes alone (a slide's tile)."""
    one = replace(fmt, frames=1)
    try:
        arr: np.ndarray[Any, Any] = get_decoder(UID(fmt.transfer_syntax)).as_array(
            data, **_pixel_options(one)
        )[0]
    except Exception as exc:  # short or odd bytes: say which frame
        raise _decode_error(name, index, exc) from exc
    return stored_values(finish(arr, one), one)
