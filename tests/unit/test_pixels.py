"""lightbox.pixels: one frame to stored values, checked against pydicom's own decoding.

The reference for real files is ``pydicom.dcmread(path).pixel_array`` (frame
``i`` of a multi-frame), which decodes the whole object, converts YBR to RGB
and is pydicom's documented behaviour; the code under test decodes one frame
from bytes. Files are pydicom's bundled test files (see conftest.py).
"""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from pydicom.encaps import generate_frames
from pydicom.pixels import pixel_array as pydicom_pixel_array

from lightbox import ingest, pixels
from lightbox.errors import DecodeError


def reference_mask(value: int, bits_stored: int, signed: bool) -> int:
    """The value of the low ``bits_stored`` bits, two's complement when signed (PS3.5 8.1.1)."""
    low = value & ((1 << bits_stored) - 1)
    if signed and low & (1 << (bits_stored - 1)):
        low -= 1 << bits_stored
    return low


# 16-bit words with junk above bit 11; the low 12 bits are what counts.
JUNK_WORDS = [0xF123, 0x0923, 0xA7FF, 0x5800, 0xFFFF, 0x0000, 0x8800, 0x07FF]


@pytest.mark.parametrize(
    ("dtype", "bits_stored", "signed"),
    [
        pytest.param(np.uint16, 12, False, id="u16-12-unsigned"),
        pytest.param(np.uint16, 12, True, id="u16-12-signed"),
        pytest.param(np.int16, 12, True, id="i16-12-signed"),
        pytest.param(np.int16, 12, False, id="i16-12-unsigned"),
        pytest.param(np.uint16, 10, True, id="u16-10-signed"),
        pytest.param(np.uint16, 1, False, id="u16-1-unsigned"),
        pytest.param(np.uint8, 6, True, id="u8-6-signed"),
        pytest.param(np.uint32, 20, True, id="u32-20-signed"),
        pytest.param(np.uint32, 24, False, id="u32-24-unsigned"),
    ],
)
def test_mask_stored_bits(dtype, bits_stored, signed):
    bits = np.dtype(dtype).itemsize * 8
    words = [w & ((1 << bits) - 1) for w in JUNK_WORDS + [0xABCDEF12, 0x00F00000]]
    raw = np.array(words, dtype=f"u{bits // 8}").view(dtype).reshape(2, 5)
    before = raw.copy()
    out = pixels.mask_stored_bits(raw, bits_stored, 1 if signed else 0)
    expected = [reference_mask(w, bits_stored, signed) for w in words]
    assert out.ravel().tolist() == expected
    assert out.dtype.kind == ("i" if signed else "u") and out.dtype.itemsize == raw.dtype.itemsize
    np.testing.assert_array_equal(raw, before)  # the input is unchanged
    assert not np.shares_memory(out, raw)


def test_mask_stored_bits_leaves_full_width_values_alone():
    raw = np.array([-32768, -1, 0, 32767], dtype=np.int16)
    np.testing.assert_array_equal(pixels.mask_stored_bits(raw, 16, 1), raw)


# -- real files: decode_frame equals pydicom's pixel_array ----------------------------------

# (file, frame): every encoding the viewer serves through the same path
FILES = [
    pytest.param("CT_small.dcm", 0, id="ct-explicit-le"),
    pytest.param("MR_small.dcm", 0, id="mr-explicit-le"),
    pytest.param("MR_small_bigendian.dcm", 0, id="mr-explicit-be"),
    pytest.param("MR_small_implicit.dcm", 0, id="mr-implicit-le"),
    pytest.param("MR_small_RLE.dcm", 0, id="mr-rle"),
    pytest.param("image_dfl.dcm", 0, id="deflate"),
    pytest.param("SC_rgb_rle_2frame.dcm", 0, id="rgb-rle-frame-0"),
    pytest.param("SC_rgb_rle_2frame.dcm", 1, id="rgb-rle-frame-1"),
    pytest.param("SC_ybr_full_422_uncompressed.dcm", 0, id="ybr-full-422-to-rgb"),
    pytest.param("SC_rgb_jpeg_dcmtk.dcm", 0, id="jpeg-baseline-pillow"),
    pytest.param("examples_ybr_color.dcm", 0, id="jpeg-multiframe-first"),
    pytest.param("examples_ybr_color.dcm", 17, id="jpeg-multiframe-middle"),
    pytest.param("examples_ybr_color.dcm", 29, id="jpeg-multiframe-last"),
    pytest.param("rtdose.dcm", 0, id="rtdose-32bit-first"),
    pytest.param("rtdose.dcm", 7, id="rtdose-32bit-middle"),
    pytest.param("rtdose.dcm", 14, id="rtdose-32bit-last"),
]


def _decode(path, index):
    data = path.read_bytes()
    header = ingest.read_header(path.name, data)
    return pixels.decode_frame(
        path.name, data, index, pixels.pixel_format(header.dataset, header.transfer_syntax)
    )


@pytest.mark.parametrize(("name", "index"), FILES)
def test_decode_frame_equals_pydicom(pydicom_file, name, index):
    path = pydicom_file(name)
    reference = pydicom.dcmread(path).pixel_array
    if int(pydicom.dcmread(path, stop_before_pixels=True).get("NumberOfFrames", 1) or 1) > 1:
        reference = reference[index]
    frame = _decode(path, index)
    assert frame.shape == reference.shape
    assert frame.dtype == reference.dtype
    np.testing.assert_array_equal(frame, reference)


def test_multiframe_frames_differ(pydicom_file):
    """The frame index is honoured (not frame 0 every time)."""
    path = pydicom_file("rtdose.dcm")
    assert not np.array_equal(_decode(path, 0), _decode(path, 14))


def test_ybr_is_converted_to_rgb(pydicom_file):
    path = pydicom_file("SC_ybr_full_422_uncompressed.dcm")
    raw_ybr = pydicom_pixel_array(path, as_rgb=False)
    frame = _decode(path, 0)
    assert not np.array_equal(frame, raw_ybr)
    # the colour bars of this image: the top-left bar is pure red
    np.testing.assert_allclose(frame[5, 5], [255, 0, 0], atol=2)


MR_SMALL_ENCODINGS = [
    pytest.param("MR_small.dcm", id="explicit-le"),
    pytest.param("MR_small_implicit.dcm", id="implicit-le"),
    pytest.param("MR_small_bigendian.dcm", id="explicit-be"),
    pytest.param("MR_small_RLE.dcm", id="rle"),
]


@pytest.fixture(scope="module")
def mr_small_truth(pydicom_file):
    """One truth for every encoding of MR_small: its Explicit VR Little Endian values."""
    return pydicom.dcmread(pydicom_file("MR_small.dcm")).pixel_array


@pytest.mark.parametrize("name", MR_SMALL_ENCODINGS)
def test_one_truth_across_encodings(pydicom_file, mr_small_truth, name):
    frame = _decode(pydicom_file(name), 0)
    assert frame.shape == (64, 64)
    assert frame.astype(np.int64).tolist() == mr_small_truth.astype(np.int64).tolist()


# -- synthetic files -----------------------------------------------------------------------


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_junk_in_unused_high_bits_is_masked(make_image, signed):
    words = np.array(JUNK_WORDS, dtype=np.uint16).reshape(2, 4)
    data = make_image(words, bits_allocated=16, bits_stored=12, pixel_representation=int(signed))
    header = ingest.read_header("junk.dcm", data)
    frame = pixels.decode_frame(
        "junk.dcm", data, 0, pixels.pixel_format(header.dataset, header.transfer_syntax)
    )
    expected = [reference_mask(w, 12, signed) for w in JUNK_WORDS]
    assert frame.ravel().tolist() == expected


def test_synthetic_multiframe_decodes_each_frame(make_image):
    frames = np.arange(3 * 4 * 5, dtype=np.int16).reshape(3, 4, 5) - 30
    data = make_image(frames, pixel_representation=1)
    header = ingest.read_header("multi.dcm", data)
    fmt = pixels.pixel_format(header.dataset, header.transfer_syntax)
    for index in range(3):
        np.testing.assert_array_equal(
            pixels.decode_frame("multi.dcm", data, index, fmt), frames[index]
        )


def test_bare_dataset_without_file_meta_decodes(make_dataset):
    values = np.arange(20, dtype=np.uint16).reshape(4, 5) * 50
    ds = make_dataset(values)
    del ds.file_meta
    buffer = io.BytesIO()
    ds.save_as(buffer, implicit_vr=True, little_endian=True)
    data = buffer.getvalue()
    assert data[128:132] != b"DICM"  # no preamble, no marker
    header = ingest.read_header("bare.dcm", data)
    fmt = pixels.pixel_format(header.dataset, header.transfer_syntax)
    frame = pixels.decode_frame("bare.dcm", data, 0, fmt)
    np.testing.assert_array_equal(frame, values)


# -- corrupt pixel data --------------------------------------------------------------------


def _corrupt_first_frame(path, change):
    data = path.read_bytes()
    ds = pydicom.dcmread(path)
    frame = next(generate_frames(ds.PixelData, number_of_frames=int(ds.get("NumberOfFrames", 1))))
    start = data.index(frame)
    return data[:start] + change(frame) + data[start + len(frame) :]


@pytest.mark.parametrize(
    ("name", "change"),
    [
        pytest.param(
            "MR_small_RLE.dcm",
            lambda f: (7).to_bytes(4, "little") + f[4:],
            id="rle-header-wrong-segment-count",
        ),
        pytest.param(
            "SC_rgb_jpeg_dcmtk.dcm", lambda f: f[:2] + bytes(len(f) - 2), id="jpeg-zeroed"
        ),
        # (Garbage inside a JPEG scan is not listed: libjpeg decodes it without complaint.)
    ],
)
def test_corrupt_pixel_data_raises_decode_error_naming_the_file(pydicom_file, name, change):
    data = _corrupt_first_frame(pydicom_file(name), change)
    header = ingest.read_header("scans/broken one.dcm", data)  # the header is intact
    fmt = pixels.pixel_format(header.dataset, header.transfer_syntax)
    with pytest.raises(DecodeError) as info:
        pixels.decode_frame("scans/broken one.dcm", data, 0, fmt)
    assert info.value.name == "scans/broken one.dcm"
    assert str(info.value).startswith("scans/broken one.dcm: ")
    assert "frame 1" in info.value.reason


def test_short_native_pixel_data_raises_decode_error(pydicom_file):
    """decode_frame on its own (no header check) still reports, never crashes."""
    path = pydicom_file("MR_truncated.dcm")
    fmt = pixels.pixel_format(pydicom.dcmread(path, stop_before_pixels=True), "1.2.840.10008.1.2.1")
    with pytest.raises(DecodeError) as info:
        pixels.decode_frame("MR_truncated.dcm", path.read_bytes(), 0, fmt)
    assert info.value.name == "MR_truncated.dcm"
