"""Bytes to header datasets: is it DICOM, can we read it, can we show it.

Only headers are parsed here (``stop_before_pixels``); pixel data stays in the
file's bytes until a frame is asked for (see :mod:`lightbox.pixels.decode`).
Where pydicom reads damaged bytes silently (a file cut short, ``DICM`` at
offset 128 of a bare data set, implicit VR big endian) this module says so.
"""

from __future__ import annotations

import io
import itertools
import struct
import zlib
from dataclasses import dataclass

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.pixels.decoders.base import get_decoder
from pydicom.pixels.utils import get_expected_length
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ImplicitVRLittleEndian,
)

from lightbox.core.errors import InvalidDicomError, NoPixelDataError, NotDicomError
from lightbox.core.messages import say
from lightbox.core.tags import PIXEL_KEYWORDS, PIXEL_TAGS
from lightbox.ingest import structure, video
from lightbox.ingest.structure import Encoding, Fragments

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
    warnings : tuple of str
        What is wrong with the bytes that still lets the file open: the pixel
        data, or an element after it, declares more bytes than remain.
    fragments : Fragments or None
        The items of encapsulated pixel data, when its place in the bytes is known.
    """

    dataset: Dataset
    transfer_syntax: UID
    frames: int
    warnings: tuple[str, ...] = ()
    fragments: Fragments | None = None


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
    return data[_PREAMBLE : _PREAMBLE + 4] == _MAGIC or bare_encoding(data) is not None


def bare_encoding(data: bytes) -> Encoding | None:
    """How a bare data set (no preamble, no file meta) is encoded, judged by its first element.

    Its group must read as 0002 or 0008, which it does in one byte order only;
    it is explicit VR when a VR follows the tag, implicit when a plausible
    length does. None when the bytes do not start like a data set.
    """
    if len(data) < 8:
        return None
    for little in (True, False):
        order = "<" if little else ">"
        group, element = struct.unpack(order + "HH", data[:4])
        if group not in _FIRST_GROUPS or element > 0x0100:
            continue
        vr = data[4:6]
        if vr.isalpha() and vr.isupper():
            return Encoding(little=little, implicit=False)
        (length,) = struct.unpack(order + "I", data[4:8])
        if length < len(data):
            return Encoding(little=little, implicit=True)
    return None


def framed(data: bytes) -> bytes:
    """The bytes as pydicom must be given them to read what they mean.

    pydicom takes ``DICM`` at offset 128 for the PS3.10 preamble and magic,
    whatever comes before. A bare data set whose bytes happen to hold
    ``DICM`` there (inside a value) would be read from the middle of that
    value. When the bytes after ``DICM`` are not File Meta Information and
    the bytes from the first one walk as ascending elements of a data set
    across offset 132, they are a bare data set: a zero preamble and
    ``DICM`` are put in front (the data set's bytes are unchanged). Any
    other bytes are returned as they are.

    References
    ----------
    PS3.10 7.1 (preamble, prefix, File Meta Information in group 0002).
    """
    end = _PREAMBLE + len(_MAGIC)
    if data[_PREAMBLE:end] != _MAGIC or _file_meta_at(data, end):
        return data
    encoding = bare_encoding(data)
    if encoding is None:
        return data
    tags = structure.top_level_tags(data, 0, encoding, end)
    if not tags or any(a >= b for a, b in itertools.pairwise(tags)):
        return data
    return bytes(_PREAMBLE) + _MAGIC + data


def _file_meta_at(data: bytes, at: int) -> bool:
    """Whether an explicit VR little endian group 0002 element begins at ``at``."""
    vr = data[at + 4 : at + 6]
    return data[at : at + 2] == b"\x02\x00" and vr.isalpha() and vr.isupper()


def _refuse_guess_we_cannot_make(name: str, data: bytes, start: int) -> None:
    """Refuse a data set without a transfer syntax whose encoding pydicom would guess wrong.

    Without File Meta Information pydicom guesses the encoding: implicit VR
    is always taken as little endian. Implicit VR big endian is no DICOM
    transfer syntax (PS3.5 Annex A); read as little endian its lengths,
    undefined ones and item tags included, are nonsense.
    """
    if start > _PREAMBLE + len(_MAGIC):  # File Meta Information: the transfer syntax is declared
        return
    encoding = bare_encoding(data[start:])
    if encoding is not None and encoding.implicit and not encoding.little:
        raise InvalidDicomError(
            name,
            say("engine.implicit_big_endian"),
        )


def read_header(name: str, data: bytes) -> Header:
    """Parse the header of one file and check that it holds a showable image.

    A file cut short is refused with where it is cut when what is missing
    includes the image (a length before the pixel data runs past the end); a
    cut inside the pixel data, or after it, opens with that said in
    ``Header.warnings``. Declared lengths are compared with the bytes that
    remain, never allocated (:mod:`lightbox.ingest.structure`).

    Raises
    ------
    NotDicomError
        The content is not DICOM.
    InvalidDicomError
        The header cannot be parsed, declares nonsense, or is cut short before
        the pixel data; or a bare data set is in an encoding pydicom would
        guess wrong (implicit VR big endian).
    NoPixelDataError
        A valid DICOM object without an image (report, SR, plan...).

    References
    ----------
    PS3.5 7.1 (element lengths), PS3.10 7.1 (preamble and File Meta Information).
    """
    if not looks_like_dicom(data):
        raise NotDicomError(name, say("engine.not_dicom"))
    data = framed(data)
    # Where the data set starts and the declared transfer syntax, walked once for every check.
    start, meta_syntax = structure.meta_layout(data)
    declared = _declared_encoding(data, start, meta_syntax)
    _refuse_guess_we_cannot_make(name, data, start)
    _refuse_deep_nesting(name, data, declared)
    _refuse_deflate_bomb(name, data, start, meta_syntax)
    stream = io.BytesIO(data)
    try:
        ds = dcmread(stream, stop_before_pixels=True, force=True)
    except Exception as exc:  # damaged bytes make pydicom (and zlib) raise many kinds
        cut = structure.truncation(data, declared)
        reason = cut.message if cut else say("engine.header_unreadable", detail=str(exc))
        raise InvalidDicomError(name, reason) from exc
    # pydicom keeps the stream it read (FileDataset.buffer, for deferred values, none
    # here): a header kept for a file read a range at a time would hold all the bytes read.
    ds.buffer = None
    unreadable = settle(ds)
    if len(ds) == 0:  # File Meta Information at most: the data set itself is missing
        cut = structure.truncation(data, None)
        empty = say("engine.no_data_set", bytes=len(data))
        raise InvalidDicomError(name, cut.message if cut else empty)
    syntax = _transfer_syntax(ds)
    offset = stream.tell()
    try:
        pixel_bytes = _pixel_bytes_available(data, offset, ds, syntax)
    except Exception as exc:
        raise InvalidDicomError(name, say("engine.data_unreadable", detail=str(exc))) from exc
    if pixel_bytes is None:
        if _expects_image(ds):
            cut = structure.dataset_truncation(data, ds)
            if cut is not None:
                raise InvalidDicomError(name, cut.message)
            if offset >= len(data):
                raise InvalidDicomError(name, say("engine.ends_before_pixels", bytes=len(data)))
        raise NoPixelDataError(name, say("engine.no_image", sop_class=_sop_class_name(ds)))
    _check_image_module(name, ds)
    if video.codec_of(syntax) is None:  # the browser decodes video, not pydicom
        _check_decoder(name, syntax)
    frames = _number_of_frames(name, ds)
    # Short native pixel data opens: the session shows what is there with a warning.
    if not syntax.is_compressed and pixel_bytes == 0 < get_expected_length(ds, "bytes"):
        raise InvalidDicomError(name, say("engine.pixel_data_empty"))
    warnings, fragments = _pixel_data_shape(data, offset, ds, syntax, start)
    if unreadable:
        listed = ", ".join(unreadable[:3]) + (
            f" and {len(unreadable) - 3} more" if len(unreadable) > 3 else ""
        )
        warnings = (
            *warnings,
            f"{len(unreadable)} element(s) could not be read and are left out: {listed}",
        )
    if video.codec_of(syntax) is not None:
        _check_video(name, data, fragments)
    return Header(ds, syntax, frames, warnings, fragments)


def _check_video(name: str, data: bytes, fragments: Fragments | None) -> None:
    """A video's stream must be found in encapsulated items and must not be empty (PS3.5 A.4)."""
    if fragments is None or len(fragments.offsets) < 2:
        raise InvalidDicomError(name, say("engine.video_not_encapsulated"))
    if not video.stream_bytes(data, fragments):
        raise InvalidDicomError(name, say("engine.video_no_stream"))


def _pixel_data_shape(
    data: bytes, offset: int, ds: Dataset, syntax: UID, start: int
) -> tuple[tuple[str, ...], Fragments | None]:
    """Truncation of the pixel data element at ``offset`` or of what follows it; its fragments.

    The usual file ends with its pixel data, so this reads one element header
    (and, when encapsulated, one header per fragment). Nothing is known of a
    deflated file's offsets: nothing is said.
    """
    implicit, little = ds.original_encoding
    if syntax == DeflatedExplicitVRLittleEndian or implicit is None or little is None:
        return (), None
    declared = Encoding(little=little, implicit=implicit)
    encoding = structure.found_encoding(data, start, declared)
    element = structure.read_element(data, offset, encoding)
    if element is None:
        return (), None
    fragments = None
    if element.length == 0xFFFFFFFF:
        fragments = structure.fragments_or_none(data, element.value)
        if fragments is None:
            return (), None
        if fragments.truncation is not None:
            return (fragments.truncation.message,), fragments
        end = fragments.end
    elif element.end > len(data):
        cut = structure.Truncation(
            (structure.label(element.tag),), element.length, len(data) - element.value
        )
        return (cut.message,), None
    else:
        end = element.end
    return _after_pixel_data(data, end, element.tag, encoding), fragments


def _after_pixel_data(data: bytes, end: int, pixel_tag: int, encoding: Encoding) -> tuple[str, ...]:
    """Truncation of elements after the pixel data; bytes that are not elements are ignored.

    Some writers leave padding or junk after the pixel data. Only elements
    that follow it in tag order and declare more than remains are a cut.
    """
    following = structure.read_element(data, end, encoding)
    if following is None or following.tag <= pixel_tag:
        return ()
    cut = structure.find_truncation(data, end, encoding)
    return (cut.message,) if cut is not None and not cut.header else ()


def settle(ds: Dataset, depth: int = 0) -> list[str]:
    """Convert every element of ``ds`` (and its items, and its file meta) now, and
    remove those pydicom cannot convert (a value of the wrong length for its VR, an
    unknown VR, an item that is not one), so that no later read of the data set meets
    them. Returns each removed element's tag and keyword.

    pydicom converts elements when first read: without this, any attribute read
    anywhere could raise for a damaged element.
    """
    removed: list[str] = []
    meta = getattr(ds, "file_meta", None)
    if depth == 0 and isinstance(meta, Dataset):
        removed += settle(meta, 1)
    for tag in list(ds.keys()):
        try:
            element = ds[tag]
            items = list(element.value) if element.VR == "SQ" and element.value else []
        except Exception:  # pydicom's conversion raises many kinds
            del ds[tag]
            removed.append(structure.label(int(tag)))
            continue
        if depth < structure.MAX_DEPTH:
            for item in items:
                if isinstance(item, Dataset):
                    removed += settle(item, depth + 1)
    return removed


#: A deflated data set may inflate to no more than this (a deflate bomb is refused).
MAX_INFLATED_BYTES = 512 * 1024 * 1024
#: An image frame may hold no more pixels than this (16384 × 16384); a slide is tiled.
MAX_FRAME_PIXELS = 1 << 28


def refuse_deflate_bomb(name: str, data: bytes) -> None:
    """Refuse a deflated data set (PS3.5 A.5) that inflates past
    :data:`MAX_INFLATED_BYTES`, before pydicom inflates it whole."""
    _refuse_deflate_bomb(name, data, *structure.meta_layout(data))


def _refuse_deflate_bomb(name: str, data: bytes, start: int, syntax: str | None) -> None:
    if syntax != DeflatedExplicitVRLittleEndian:
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    piece = 1 << 24  # inflated 16 MiB at a time, counted, not kept
    try:
        size = len(inflater.decompress(memoryview(data)[start:], piece))
        while inflater.unconsumed_tail and size <= MAX_INFLATED_BYTES:
            size += len(inflater.decompress(inflater.unconsumed_tail, piece))
    except zlib.error:
        return  # a damaged stream: pydicom's reading says what is wrong with it
    if size > MAX_INFLATED_BYTES:
        raise InvalidDicomError(
            name,
            say("engine.inflates_too_much", limit=structure.size_text(MAX_INFLATED_BYTES)),
        )


def refuse_deep_nesting(name: str, data: bytes) -> None:
    """Refuse a file whose sequences nest past :data:`structure.MAX_DEPTH` before any
    parser recurses into them.

    Raises
    ------
    InvalidDicomError
        Naming the file and the limit.
    """
    _refuse_deep_nesting(name, data, _declared_encoding(data, *structure.meta_layout(data)))


def _refuse_deep_nesting(name: str, data: bytes, declared: Encoding | None) -> None:
    if structure.too_deep(data, declared):
        raise InvalidDicomError(name, say("engine.nested_too_deep", depth=structure.MAX_DEPTH))


def _declared_encoding(data: bytes, start: int, syntax: str | None) -> Encoding | None:
    """The data set's encoding from the bytes alone: its transfer syntax, or a bare guess
    (``start`` and ``syntax``: :func:`structure.meta_layout`)."""
    if syntax is None:
        return bare_encoding(data[start:])
    if syntax == DeflatedExplicitVRLittleEndian:
        return None
    return Encoding(little=syntax != ExplicitVRBigEndian, implicit=syntax == ImplicitVRLittleEndian)


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
            raise InvalidDicomError(name, say("engine.image_lacks", keyword=keyword))
    if int(ds.Rows) <= 0 or int(ds.Columns) <= 0:
        raise InvalidDicomError(
            name, say("engine.image_size_invalid", rows=str(ds.Rows), columns=str(ds.Columns))
        )
    if int(ds.Rows) * int(ds.Columns) > MAX_FRAME_PIXELS:
        raise InvalidDicomError(
            name,
            say(
                "engine.frame_too_large",
                columns=int(ds.Columns),
                rows=int(ds.Rows),
                limit=f"{MAX_FRAME_PIXELS:,}",
            ),
        )


def _check_decoder(name: str, syntax: UID) -> None:
    try:
        decoder = get_decoder(syntax)
    except NotImplementedError as exc:
        raise InvalidDicomError(
            name, say("engine.syntax_unsupported", uid=str(syntax), syntax=syntax.name)
        ) from exc
    if not decoder.is_available:
        raise InvalidDicomError(name, say("engine.no_decoder", syntax=syntax.name, uid=str(syntax)))


def _number_of_frames(name: str, ds: Dataset) -> int:
    value = ds.get("NumberOfFrames")
    if value in (None, ""):
        return 1
    try:
        frames = int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidDicomError(name, say("engine.number_of_frames", value=repr(value))) from exc
    return max(frames, 1)


#: Bulk data that stands instead of Pixel Data: spectra (PS3.3 C.8.14.4), waveforms (C.10.9),
#: surfaces and other non-image payloads. An object holding one is not a cut-short image.
_OTHER_BULK = ("SpectroscopyData", "WaveformSequence", "SurfaceSequence", "EncapsulatedDocument")


def _expects_image(ds: Dataset) -> bool:
    """Whether the object should have pixel data: an image SOP class, or image attributes."""
    if any(keyword in ds for keyword in _OTHER_BULK):
        return False
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
