"""Broken DICOM files, generated: the damage patients' discs and downloads carry (issue 12).

Each generator starts from a valid file written by pydicom (the factories of
:mod:`tests.support.factories`) and breaks it by byte surgery, so that the
unit tests and the browser suite open the same bytes. Nothing here is a real
patient's file; the one real file used (an RT Ion Plan) comes from
``../shared/corpus`` with its provenance in ``MANIFEST.tsv``.

Every generator returns the file's bytes; those that patch a length say in
their docstring what the file declares and what it holds.
"""

from __future__ import annotations

import io
import struct

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate, generate_frames
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset
from pydicom.uid import RLELossless, RTPlanStorage, generate_uid

from tests.support.factories import image_dataset
from tests.support.paths import shared_file
from tools.synth import to_bytes

GIB3 = 3 * 1024**3
#: The RT Ion Plan of the shared corpus (rexcardan/Evil-DICOM, MIT; see MANIFEST.tsv).
RT_ION_PLAN = ("rt", "Evil-DICOM", "MultpleFL.dcm")
_PRIVATE_CREATOR = 0x00090010
_PRIVATE_BULK = 0x00091010


def _value_tell(data: bytes, tag: int) -> int:
    """Where the value of top-level element ``tag`` begins in ``data`` (read by pydicom)."""
    raw = dcmread(io.BytesIO(data), force=True).get_item(tag)
    if raw is None or raw.value_tell is None:
        raise ValueError(f"({tag >> 16:04X},{tag & 0xFFFF:04X}) is not in the file")
    return int(raw.value_tell)


def _declare(data: bytes, tag: int, declared: int, tail: int, little: bool = True) -> bytes:
    """Patch element ``tag``'s 4-byte length to ``declared``; keep ``tail`` bytes of its value."""
    at = _value_tell(data, tag)
    length = struct.pack("<I" if little else ">I", declared)
    return data[: at - 4] + length + data[at : at + tail]


def long_element_before_pixels(
    declared: int = GIB3, tail: int = 16, *, implicit: bool = False
) -> bytes:
    """A private OB element before the image attributes declares ``declared`` bytes.

    The file ends ``tail`` bytes into its value: (0009,1010) swallows what
    follows (the Image Pixel Module, the pixel data). With ``implicit`` the
    file is Implicit VR Little Endian (same length field, 8-byte header).
    """
    ds = image_dataset(rows=4, cols=5)
    ds.add_new(_PRIVATE_CREATOR, "LO", "LIGHTBOX TEST")
    ds.add_new(_PRIVATE_BULK, "OB", bytes(range(64)))
    if implicit:
        ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2"
    return _declare(to_bytes(ds), _PRIVATE_BULK, declared, tail)


def pixel_data_declaring(
    declared: int = GIB3,
    tail: int = 16,
    *,
    rows: int = 4,
    cols: int = 5,
    frames: int = 1,
) -> bytes:
    """(7FE0,0010) Pixel Data declares ``declared`` bytes; the file holds ``tail`` of them.

    The header says ``rows`` x ``cols`` x ``frames`` 16-bit pixels; make them
    large (32768 x 16384 x 3 is 3 GiB) for a header that implies gigabytes too.
    """
    size = max(tail, 128) + max(tail, 128) % 2
    ds = image_dataset(pixel_bytes=(bytes(range(256)) * (size // 256 + 1))[:size], rows=4, cols=5)
    ds.Rows, ds.Columns = rows, cols
    if frames > 1:
        ds.NumberOfFrames = frames
    return _declare(to_bytes(ds), 0x7FE00010, declared, tail)


def _bare(ds: Dataset, *, implicit: bool, little: bool) -> bytes:
    """A data set without preamble or file meta, in any encoding (implicit big endian too)."""
    ds = ds.copy()
    if hasattr(ds, "file_meta"):
        del ds.file_meta
    fp = DicomBytesIO()
    fp.is_implicit_VR, fp.is_little_endian = implicit, little
    write_dataset(fp, ds)
    return bytes(fp.getvalue())


def _code(value: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, "DCM", meaning
    return item


def implicit_big_endian(*, undefined_lengths: bool = True) -> bytes:
    """A bare image data set in implicit VR big endian, with undefined-length sequences.

    Implicit VR big endian is no DICOM transfer syntax; without file meta a
    reader that guesses takes implicit VR for little endian.
    """
    ds = image_dataset(rows=4, cols=5)
    ds.ProcedureCodeSequence = [_code("121", "Procedure"), _code("122", "Other")]
    if undefined_lengths:
        ds["ProcedureCodeSequence"].is_undefined_length = True
        for item in ds.ProcedureCodeSequence:
            item.is_undefined_length_sequence_item = True
    return _bare(ds, implicit=True, little=False)


def stored_above_bits_stored(
    largest: int = 4095, bits_stored: int = 10, *, signed: bool = False, smallest: int = 0
) -> bytes:
    """A 16-bit image with Bits Stored ``bits_stored`` whose cells hold ``largest`` (and
    ``smallest``); the other cells fit in Bits Stored. ``signed``: Pixel Representation 1."""
    dtype = np.int16 if signed else np.uint16
    pixels = (np.arange(4 * 5, dtype=np.int64) * 37 % (1 << (bits_stored - 1))).astype(dtype)
    pixels = pixels.reshape(4, 5)
    pixels[1, 2], pixels[3, 4] = largest, smallest
    return to_bytes(
        image_dataset(pixels, bits_stored=bits_stored, pixel_representation=int(signed))
    )


def native_frames_missing(declared: int = 10, present: int = 3, partial: int = 0) -> bytes:
    """A native multi-frame file declaring ``declared`` 4x5 16-bit frames, holding ``present``.

    ``partial`` bytes of the next frame follow (each frame is 40 bytes); the
    Pixel Data element's length says ``declared`` frames: the file is cut short.
    """
    frames = (np.arange(declared * 20, dtype=np.uint16) * 7).reshape(declared, 4, 5)
    whole = to_bytes(image_dataset(frames))
    at = _value_tell(whole, 0x7FE00010)
    return whole[: at + present * 40 + partial]


def native_fewer_frames_than_declared(declared: int = 10, present: int = 3) -> bytes:
    """A native file whose Pixel Data holds ``present`` 4x5 16-bit frames, whole and closed,
    while (0028,0008) Number of Frames says ``declared``: not cut, just wrong."""
    frames = (np.arange(declared * 20, dtype=np.uint16) * 7).reshape(declared, 4, 5)
    ds = image_dataset(frames[:present])
    ds.NumberOfFrames = declared
    return to_bytes(ds)


def rle_frames_missing(
    declared: int = 10, present: int = 3, cut: int = 0, *, basic_offsets: bool = True
) -> bytes:
    """An RLE Lossless file declaring ``declared`` 4x5 frames whose pixel data holds ``present``.

    The fragments (one a frame) of the first ``present`` frames are whole and
    the sequence is closed by its delimiter. With ``cut`` > 0 the next frame's
    fragment follows and the file ends ``cut`` bytes into its value (no
    delimiter). ``basic_offsets`` fills the Basic Offset Table (for the frames
    the file has), otherwise it is empty.
    """
    frames = (np.arange(declared * 20, dtype=np.uint16) * 7).reshape(declared, 4, 5)
    ds = image_dataset(frames)
    ds.compress(RLELossless)
    encoded = list(generate_frames(ds.PixelData, number_of_frames=declared))
    kept = encoded[: present + (1 if cut > 0 else 0)]
    value = encapsulate(kept, has_bot=basic_offsets)
    ds.PixelData = value
    ds["PixelData"].is_undefined_length = True
    data = to_bytes(ds)
    if cut <= 0:
        return data
    last = len(kept[-1]) + len(kept[-1]) % 2
    return data[: _value_tell(data, 0x7FE00010) + len(value) - last + cut]


def rt_plan(beams: int = 2, control_points: int = 3) -> Dataset:
    """A small RT Plan (PS3.3 A.20) with nested Beam and Control Point Sequences."""
    ds = image_dataset()
    for keyword in ("Rows", "Columns", "BitsAllocated", "BitsStored", "HighBit"):
        delattr(ds, keyword)
    for keyword in ("PixelData", "PixelRepresentation", "SamplesPerPixel"):
        delattr(ds, keyword)
    del ds.PhotometricInterpretation
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = RTPlanStorage
    ds.Modality = "RTPLAN"
    ds.RTPlanLabel = "TEST PLAN"
    ds.RTPlanGeometry = "PATIENT"
    beam_items = []
    for b in range(beams):
        beam = Dataset()
        beam.BeamNumber = b + 1
        beam.BeamName = f"BEAM {b + 1}"
        points = []
        for c in range(control_points):
            point = Dataset()
            point.ControlPointIndex = c
            point.GantryAngle = 10.0 * c
            point.IsocenterPosition = [1.5, -20.25, 100.125]
            points.append(point)
        beam.ControlPointSequence = points
        beam_items.append(beam)
    ds.BeamSequence = beam_items
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    return ds


def rt_plan_cut_in_sequence(*, undefined_lengths: bool = False) -> bytes:
    """A generated RT Plan cut inside the second beam's last control point.

    The file ends 3 bytes into the value of that control point's (300A,012C)
    Isocenter Position. With ``undefined_lengths`` its sequences and items
    have undefined length (delimiters), otherwise defined lengths.
    """
    ds = rt_plan()
    if undefined_lengths:
        ds["BeamSequence"].is_undefined_length = True
        for beam in ds.BeamSequence:
            beam.is_undefined_length_sequence_item = True
            beam["ControlPointSequence"].is_undefined_length = True
            for point in beam.ControlPointSequence:
                point.is_undefined_length_sequence_item = True
    data = to_bytes(ds)
    marker = b"1.5\\-20.25\\100.125"
    return data[: data.rindex(marker) + 3]


def rt_ion_plan_cut(fraction: float = 0.6) -> bytes:
    """The corpus RT Ion Plan (Implicit VR) cut at ``fraction`` of its length."""
    data = shared_file("corpus", *RT_ION_PLAN).read_bytes()
    return data[: int(len(data) * fraction)]


def bare_with_magic_at_128(*, implicit: bool = False, inside_value: bool = True) -> bytes:
    """A bare image data set (no preamble, no file meta) holding ``DICM`` at offset 128.

    The bytes ``DICM`` are part of (0008,0008) Image Type's value; with
    ``inside_value`` more of that value follows them, so a reader that takes
    them for the PS3.10 prefix starts reading in the middle of a value.
    """
    for pad in range(0, 128):
        ds = image_dataset(rows=4, cols=5)
        ds.SOPInstanceUID = "1.2.826.0.1.3680043.8.498.1"
        ds.ImageType = [
            "ORIGINAL",
            "PRIMARY",
            "X" * pad + "DICM" + ("MORE" if inside_value else ""),
        ]
        data = _bare(ds, implicit=implicit, little=True)
        if data[128:132] == b"DICM":
            return data
    raise ValueError("no padding puts DICM at offset 128")


def bare_with_magic_elsewhere(*, implicit: bool = False) -> bytes:
    """A bare image data set holding ``DICM`` in a value, but not at offset 128."""
    ds = image_dataset(rows=4, cols=5)
    ds.ImageComments = "DICM " * 40
    data = _bare(ds, implicit=implicit, little=True)
    if data[128:132] == b"DICM" or b"DICM" not in data:
        raise ValueError("DICM landed at offset 128")
    return data
