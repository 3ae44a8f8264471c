"""Mutations that matter for DICOM, each ``(rng, data) -> bytes``.

Byte-level ones (flips, truncation, splices) know nothing; the structural ones find
what they change by their own small reading of the encoding (PS3.5 7.1: a tag, an
explicit VR and its 2- or 4-byte length; the meta group's Transfer Syntax UID; item
and delimiter tags (FFFE,E000/E00D/E0DD)), or edit the data set with pydicom and write
it again (the pixel module's values), so that the inputs reach past the first check.
None of this uses Lightbox's own readers.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable

import numpy as np
import pydicom
from pydicom.dataset import Dataset

Mutation = Callable[[np.random.Generator, bytes], bytes]

#: VRs whose explicit length field is 4 bytes after 2 reserved ones (PS3.5 Table 7.1-1).
LONG_VRS = {
    b"OB",
    b"OD",
    b"OF",
    b"OL",
    b"OV",
    b"OW",
    b"SQ",
    b"SV",
    b"UC",
    b"UN",
    b"UR",
    b"UT",
    b"UV",
}
SHORT_VRS = {
    b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT",
    b"PN", b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US",
}  # fmt: skip
TRANSFER_SYNTAXES = (
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.2",
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.70",
    "1.2.840.10008.1.2.4.80",
    "1.2.840.10008.1.2.4.81",
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.201",
    "1.2.840.10008.1.2.4.203",
    "1.2.840.10008.1.2.5",
    "1.2.840.10008.1.2.4.102",
    "1.2.840.10008.1.2.4.100",
    "9.9.9.9",
)
#: Values that break sizes: zero, one, odd, at and past 16 and 32 bits.
SIZES = (0, 1, 2, 3, 7, 255, 256, 4095, 65535, 65536, 2**31 - 1, 2**32 - 1)
DELIMITERS = (b"\xfe\xff\x00\xe0", b"\xfe\xff\x0d\xe0", b"\xfe\xff\xdd\xe0")


def explicit_headers(data: bytes) -> list[tuple[int, int]]:
    """(offset of the length field, its size in bytes) of what look like explicit-VR
    little-endian element headers: a tag, then a known VR."""
    found = []
    view = memoryview(data)
    for at in range(0, len(data) - 8):
        vr = bytes(view[at + 4 : at + 6])
        if vr in SHORT_VRS:
            found.append((at + 6, 2))
        elif vr in LONG_VRS and view[at + 6] == 0 and view[at + 7] == 0:
            found.append((at + 8, 4))
    return found


def byte_flips(rng: np.random.Generator, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 9))):
        at = int(rng.integers(0, len(out)))
        out[at] = int(rng.integers(0, 256))
    return bytes(out)


def truncate(rng: np.random.Generator, data: bytes) -> bytes:
    # Past the preamble mostly: where the header and the pixel data are.
    low = min(132, len(data) - 1)
    return data[: int(rng.integers(low, len(data)))]


def length_field(rng: np.random.Generator, data: bytes) -> bytes:
    headers = explicit_headers(data[:20_000])
    if not headers:
        return byte_flips(rng, data)
    at, size = headers[int(rng.integers(0, len(headers)))]
    value = int(rng.choice(SIZES)) if rng.random() < 0.7 else int(rng.integers(0, 2**16))
    out = bytearray(data)
    out[at : at + size] = struct.pack("<H" if size == 2 else "<I", value & (2 ** (8 * size) - 1))
    return bytes(out)


def vr_swap(rng: np.random.Generator, data: bytes) -> bytes:
    headers = explicit_headers(data[:20_000])
    if not headers:
        return byte_flips(rng, data)
    at, size = headers[int(rng.integers(0, len(headers)))]
    vr_at = at - (2 if size == 2 else 4)
    choices = [b"SQ", b"UN", b"OB", b"OW", b"US", b"UL", b"DS", b"XX", b"\x00\x00"]
    out = bytearray(data)
    out[vr_at : vr_at + 2] = choices[int(rng.integers(0, len(choices)))]
    return bytes(out)


def transfer_syntax(rng: np.random.Generator, data: bytes) -> bytes:
    marker = b"\x02\x00\x10\x00UI"
    at = data.find(marker)
    if at < 0:
        return byte_flips(rng, data)
    (length,) = struct.unpack_from("<H", data, at + 6)
    uid = TRANSFER_SYNTAXES[int(rng.integers(0, len(TRANSFER_SYNTAXES)))].encode()
    uid = uid + b"\x00" * (len(uid) % 2)
    head = data[:at] + marker + struct.pack("<H", len(uid)) + uid
    rest = data[at + 8 + length :]
    # The meta group's length (0002,0000) no longer fits: that is part of the test.
    return head + rest


def _dataset(data: bytes) -> Dataset | None:
    try:
        return pydicom.dcmread(io.BytesIO(data), force=True)
    except Exception:
        return None


def _written(ds: Dataset) -> bytes | None:
    out = io.BytesIO()
    try:
        ds.save_as(out, enforce_file_format=False)
    except Exception:
        return None
    return out.getvalue()


PIXEL_MODULE = {
    "Rows": (0, 1, 3, 511, 4096, 65535),
    "Columns": (0, 1, 3, 513, 4096, 65535),
    "BitsAllocated": (0, 1, 7, 8, 12, 16, 24, 32, 64),
    "BitsStored": (0, 1, 8, 12, 16, 17, 33),
    "HighBit": (0, 7, 11, 15, 40),
    "SamplesPerPixel": (0, 1, 2, 3, 4),
    "PixelRepresentation": (0, 1, 2),
    "PlanarConfiguration": (0, 1, 2),
    "NumberOfFrames": ("0", "1", "2", "-1", "100000", "x"),
    "PhotometricInterpretation": ("MONOCHROME1", "RGB", "PALETTE COLOR", "YBR_FULL_422", "XYZ"),
    "RescaleSlope": ("0", "-1", "1e308", "nan"),
    "WindowWidth": ("0", "-5", "1e-30"),
}


def pixel_module(rng: np.random.Generator, data: bytes) -> bytes:
    ds = _dataset(data)
    if ds is None:
        return byte_flips(rng, data)
    for _ in range(int(rng.integers(1, 3))):
        keyword = list(PIXEL_MODULE)[int(rng.integers(0, len(PIXEL_MODULE)))]
        values = PIXEL_MODULE[keyword]
        try:
            setattr(ds, keyword, values[int(rng.integers(0, len(values)))])
        except Exception:
            continue
    return _written(ds) or byte_flips(rng, data)


def delimiters(rng: np.random.Generator, data: bytes) -> bytes:
    out = bytearray(data)
    places = [i for d in DELIMITERS for i in _find_all(data[:500_000], d)]
    if places and rng.random() < 0.5:
        at = places[int(rng.integers(0, len(places)))]
        del out[at : at + 8]
    else:
        at = int(rng.integers(min(132, len(out)), len(out) + 1))
        marker = DELIMITERS[int(rng.integers(0, len(DELIMITERS)))]
        out[at:at] = marker + struct.pack("<I", int(rng.choice(SIZES)) & 0xFFFFFFFF)
    return bytes(out)


def deep_sequence(rng: np.random.Generator, data: bytes) -> bytes:
    """A sequence nested hundreds to thousands deep, of undefined length, appended."""
    depth = int(rng.choice((200, 900, 3000)))
    open_sq = b"\x09\x00\x10\x10SQ\x00\x00\xff\xff\xff\xff" + b"\xfe\xff\x00\xe0\xff\xff\xff\xff"
    close = b"\xfe\xff\x0d\xe0\x00\x00\x00\x00" + b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    body = open_sq * depth + (close * depth if rng.random() < 0.5 else b"")
    at = data.find(b"\xe0\x7f\x10\x00")  # before the pixel data, when there is some
    at = at if at > 132 else len(data)
    return data[:at] + body + data[at:]


def fragments(rng: np.random.Generator, data: bytes) -> bytes:
    """Encapsulated pixel data: a Basic Offset Table entry or an item length changed."""
    items = _find_all(data, b"\xfe\xff\x00\xe0")
    pixel = data.find(b"\xe0\x7f\x10\x00OB\x00\x00\xff\xff\xff\xff")
    items = [i for i in items if i > pixel >= 0]
    if not items:
        return length_field(rng, data)
    at = items[int(rng.integers(0, min(len(items), 8)))]
    out = bytearray(data)
    if rng.random() < 0.5:  # the item's length
        out[at + 4 : at + 8] = struct.pack("<I", int(rng.choice(SIZES)) & 0xFFFFFFFF)
    else:  # an offset in the first item (the table), when it has any
        (length,) = struct.unpack_from("<I", data, items[0] + 4)
        if length >= 4:
            slot = items[0] + 8 + 4 * int(rng.integers(0, length // 4))
            out[slot : slot + 4] = struct.pack("<I", int(rng.integers(0, 2**32)))
    return bytes(out)


def deflate(rng: np.random.Generator, data: bytes) -> bytes:
    """A deflated data set (1.2.840.10008.1.2.1.99): the stream's bytes damaged."""
    ds = _dataset(data)
    if ds is None or "PixelData" not in ds or ds.file_meta.get("TransferSyntaxUID") is None:
        return byte_flips(rng, data)
    body = io.BytesIO()
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    written = _written(ds)
    if written is None:
        return byte_flips(rng, data)
    meta_end = written.find(b"\x08\x00")
    stream = zlib.compress(written[meta_end:], 6)[2:-4]
    damaged = bytearray(stream)
    for _ in range(int(rng.integers(1, 5))):
        damaged[int(rng.integers(0, len(damaged)))] ^= 1 << int(rng.integers(0, 8))
    marker = b"\x02\x00\x10\x00UI"
    at = written.find(marker)
    uid = b"1.2.840.10008.1.2.1.99\x00"
    head = written[:at] + marker + struct.pack("<H", len(uid)) + uid
    (length,) = struct.unpack_from("<H", written, at + 6)
    meta_rest = written[at + 8 + length : meta_end]
    body.write(head + meta_rest + bytes(damaged))
    return body.getvalue()


def zip_structure(rng: np.random.Generator, data: bytes) -> bytes:
    """The file in a ZIP (sometimes nested, sometimes deflated), its structure damaged."""
    buffer = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if rng.random() < 0.5 else zipfile.ZIP_STORED
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr("DICOM/IM0001", data)
        archive.writestr("DICOM/IM0002", data[: len(data) // 2])
    zipped = buffer.getvalue()
    if rng.random() < 0.3:
        return zipped  # a whole ZIP of a good and a cut file
    out = bytearray(zipped)
    central = zipped.rfind(b"PK\x01\x02")
    targets = [0, central] if central > 0 else [0]
    at = targets[int(rng.integers(0, len(targets)))] + int(rng.integers(4, 30))
    if at + 4 <= len(out):
        out[at : at + 4] = struct.pack("<I", int(rng.choice(SIZES)) & 0xFFFFFFFF)
    return bytes(out)


def dicomdir_offsets(rng: np.random.Generator, data: bytes) -> bytes:
    """A DICOMDIR's record offsets (0004,1200/1202/1400/1420) pointed elsewhere."""
    tags = (b"\x04\x00\x00\x12", b"\x04\x00\x02\x12", b"\x04\x00\x00\x14", b"\x04\x00\x20\x14")
    places = [i for tag in tags for i in _find_all(data, tag + b"UL\x04\x00")]
    if not places:
        return length_field(rng, data)
    at = places[int(rng.integers(0, len(places)))] + 8
    out = bytearray(data)
    value = int(rng.choice(SIZES)) if rng.random() < 0.5 else int(rng.integers(0, len(data) + 64))
    out[at : at + 4] = struct.pack("<I", value & 0xFFFFFFFF)
    return bytes(out)


def splice(rng: np.random.Generator, data: bytes, other: bytes) -> bytes:
    """The head of one file and the tail of another."""
    cut = int(rng.integers(min(132, len(data)), len(data) + 1))
    return data[:cut] + other[int(rng.integers(0, len(other) + 1)) :]


def _find_all(data: bytes, needle: bytes) -> list[int]:
    found, at = [], data.find(needle)
    while at >= 0 and len(found) < 10_000:
        found.append(at)
        at = data.find(needle, at + 1)
    return found


MUTATIONS: dict[str, Mutation] = {
    "byte-flips": byte_flips,
    "truncate": truncate,
    "length-field": length_field,
    "vr-swap": vr_swap,
    "transfer-syntax": transfer_syntax,
    "pixel-module": pixel_module,
    "delimiters": delimiters,
    "deep-sequence": deep_sequence,
    "fragments": fragments,
    "deflate": deflate,
    "zip": zip_structure,
    "dicomdir-offsets": dicomdir_offsets,
}
