"""lightbox.pixels: one frame to stored values, checked against pydicom's own decoding.

The reference for real files is ``pydicom.dcmread(path).pixel_array`` (frame
``i`` of a multi-frame), which decodes the whole object, converts YBR to RGB
and is pydicom's documented behaviour; the code under test decodes one frame
from bytes. Files are pydicom's bundled test files (see conftest.py).
"""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pydicom
import pytest
from pydicom.encaps import generate_frames
from pydicom.pixels import pixel_array as pydicom_pixel_array

from lightbox.core.errors import DecodeError
from lightbox.core.records import Photometric
from lightbox.ingest import headers as ingest
from lightbox.pixels import decode, locate, samples
from lightbox.pixels.format import PixelFormat, expected_bytes, pixel_format
from tests.support.hand import COLOURS, colour_dataset, ybr_full, ybr_partial
from tools import synth


def _source(name: str, data: bytes, fmt: PixelFormat) -> decode.FrameSource:
    """The file as the session gives it to the pixels layer: its extent found first."""
    return decode.FrameSource.of(name, data, fmt, locate.pixel_extent(data, fmt))


def decode_frame(name: str, data: bytes, index: int, fmt: PixelFormat) -> np.ndarray:
    """Frame ``index`` through the one entry point, as stored values."""
    return decode.frame(_source(name, data, fmt), index).values


def decode_short(
    name: str, data: bytes, index: int, fmt: PixelFormat, extent: locate.PixelExtent | None
) -> tuple[np.ndarray, locate.Truncation | None]:
    """Frame ``index`` of a file whose extent is known, and what the file lacks of it."""
    found = decode.frame(decode.FrameSource.of(name, data, fmt, extent), index)
    return found.values, found.truncation


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
    out = samples.mask_stored_bits(raw, bits_stored, 1 if signed else 0)
    expected = [reference_mask(w, bits_stored, signed) for w in words]
    assert out.ravel().tolist() == expected
    assert out.dtype.kind == ("i" if signed else "u") and out.dtype.itemsize == raw.dtype.itemsize
    np.testing.assert_array_equal(raw, before)  # the input is unchanged
    assert not np.shares_memory(out, raw)


def test_mask_stored_bits_leaves_full_width_values_alone():
    raw = np.array([-32768, -1, 0, 32767], dtype=np.int16)
    np.testing.assert_array_equal(samples.mask_stored_bits(raw, 16, 1), raw)


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
    pytest.param("liver_1frame.dcm", 0, id="single-bit-segmentation"),
    pytest.param("liver_expb_1frame.dcm", 0, id="single-bit-big-endian"),
]


def _decode(path, index):
    data = path.read_bytes()
    header = ingest.read_header(path.name, data)
    return decode_frame(
        path.name, data, index, pixel_format(header.dataset, header.transfer_syntax)
    )


@pytest.mark.parametrize(("name", "index"), FILES)
def test_decode_frame_equals_pydicom(pydicom_file, name, index):
    path = pydicom_file(name)
    reference = pydicom.dcmread(path).pixel_array
    if int(pydicom.dcmread(path, stop_before_pixels=True).get("NumberOfFrames", 1) or 1) > 1:
        reference = reference[index]
    frame = _decode(path, index)
    assert frame.shape == reference.shape
    # pydicom keeps big-endian data in file order (">i2"); Lightbox hands on native order.
    assert frame.dtype == reference.dtype.newbyteorder("=")
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
    frame = decode_frame("junk.dcm", data, 0, pixel_format(header.dataset, header.transfer_syntax))
    expected = [reference_mask(w, 12, signed) for w in JUNK_WORDS]
    assert frame.ravel().tolist() == expected


def test_synthetic_multiframe_decodes_each_frame(make_image):
    frames = np.arange(3 * 4 * 5, dtype=np.int16).reshape(3, 4, 5) - 30
    data = make_image(frames, pixel_representation=1)
    header = ingest.read_header("multi.dcm", data)
    fmt = pixel_format(header.dataset, header.transfer_syntax)
    for index in range(3):
        np.testing.assert_array_equal(decode_frame("multi.dcm", data, index, fmt), frames[index])


def test_bare_dataset_without_file_meta_decodes(make_dataset):
    values = np.arange(20, dtype=np.uint16).reshape(4, 5) * 50
    ds = make_dataset(values)
    del ds.file_meta
    buffer = io.BytesIO()
    ds.save_as(buffer, implicit_vr=True, little_endian=True)
    data = buffer.getvalue()
    assert data[128:132] != b"DICM"  # no preamble, no marker
    header = ingest.read_header("bare.dcm", data)
    fmt = pixel_format(header.dataset, header.transfer_syntax)
    frame = decode_frame("bare.dcm", data, 0, fmt)
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
    fmt = pixel_format(header.dataset, header.transfer_syntax)
    with pytest.raises(DecodeError) as info:
        decode_frame("scans/broken one.dcm", data, 0, fmt)
    assert info.value.name == "scans/broken one.dcm"
    assert str(info.value).startswith("scans/broken one.dcm: ")
    assert "frame 1" in info.value.reason


def test_short_native_pixel_data_raises_decode_error(pydicom_file):
    """Decoding with nothing known of the extent (no header check) still reports, never crashes."""
    path = pydicom_file("MR_truncated.dcm")
    fmt = pixel_format(pydicom.dcmread(path, stop_before_pixels=True), "1.2.840.10008.1.2.1")
    unlocated = decode.FrameSource.of("MR_truncated.dcm", path.read_bytes(), fmt, None)
    with pytest.raises(DecodeError) as info:
        decode.frame(unlocated, 0)
    assert info.value.name == "MR_truncated.dcm"


# -- helpers for the display-pipeline additions --------------------------------------------


def _fmt(data: bytes) -> PixelFormat:
    ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True, force=True)
    return pixel_format(ds, ds.file_meta.TransferSyntaxUID)


def _pack_bits(bits: np.ndarray) -> bytes:
    """Bits packed one after another, the first in the lowest bit (PS3.5 8.1.1), even length."""
    flat = [int(b) for b in np.asarray(bits).ravel()]
    data = bytearray((len(flat) + 7) // 8)
    for i, bit in enumerate(flat):
        data[i // 8] |= bit << (i % 8)
    return bytes(data) + (b"\0" if len(data) % 2 else b"")


# -- colour: planar configuration, YBR -----------------------------------------------------

RGB = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3) * 4


@pytest.mark.parametrize(
    "samples",
    [
        pytest.param(RGB, id="8-bit"),
        pytest.param(RGB.astype(np.uint16) * 257 + 3, id="16-bit"),
    ],
)
@pytest.mark.parametrize("planar", [0, 1], ids=["colour-by-pixel", "colour-by-plane"])
def test_rgb_in_either_planar_configuration(make_dataset, samples, planar):
    ds = colour_dataset(samples, "RGB", planar)
    data = synth.to_bytes(ds)
    frame = decode_frame("rgb.dcm", data, 0, _fmt(data))
    assert frame.shape == (4, 5, 3) and frame.dtype == samples.dtype
    np.testing.assert_array_equal(frame, samples)


@pytest.mark.parametrize("planar", [0, 1], ids=["colour-by-pixel", "colour-by-plane"])
def test_ybr_full_is_converted_to_rgb(make_dataset, planar):
    ds = colour_dataset(ybr_full(COLOURS), "YBR_FULL", planar)
    data = synth.to_bytes(ds)
    frame = decode_frame("ybr.dcm", data, 0, _fmt(data))
    # rounding YBR to 8 bits and back may move a channel by one level
    assert np.abs(frame.astype(int) - COLOURS).max() <= 1


def test_ybr_full_422_native_is_upsampled_and_converted(make_dataset):
    # Two pixels share CB and CR: Y0 Y1 CB CR (PS3.3 C.7.6.3.1.2); give each pair one colour.
    pairs = COLOURS[:, ::2]  # (2, 3, 3): the colours of the pairs
    ybr = ybr_full(pairs)
    rgb = np.repeat(pairs, 2, axis=1)[:, :6]
    ds = make_dataset(np.zeros((2, 6, 3), np.uint8), photometric="RGB", bits_allocated=8)
    ds.PhotometricInterpretation = "YBR_FULL_422"
    ds.PixelData = bytes(v for row in ybr for y, cb, cr in row.tolist() for v in (y, y, cb, cr))
    data = synth.to_bytes(ds)
    frame = decode_frame("ybr422.dcm", data, 0, _fmt(data))
    assert frame.shape == (2, 6, 3)
    assert np.abs(frame.astype(int) - rgb).max() <= 1


@pytest.mark.parametrize("photometric", ["YBR_PARTIAL_420", "YBR_PARTIAL_422"])
@pytest.mark.parametrize("planar", [0, 1], ids=["colour-by-pixel", "colour-by-plane"])
def test_native_partial_range_ybr_is_converted_to_rgb(make_dataset, photometric, planar):
    """YBR_PARTIAL_420 is meant for MPEG only; native data so labelled is read a pixel at a time."""
    ds = colour_dataset(ybr_partial(COLOURS), photometric, planar)
    data = synth.to_bytes(ds)
    frame = decode_frame("partial.dcm", data, 0, _fmt(data))
    assert np.abs(frame.astype(int) - COLOURS).max() <= 1
    assert frame[0, 0].tolist() == [0, 0, 0] and frame[0, 1].tolist() == [255, 255, 255]


@pytest.mark.parametrize(
    ("ybr", "rgb"),
    [
        pytest.param([16, 128, 128], [0, 0, 0], id="black"),
        pytest.param([235, 128, 128], [255, 255, 255], id="white"),
        pytest.param([0, 128, 128], [0, 0, 0], id="below-black-clips"),
        # G = 1.1644 (255 - 16) - 0.3918 (127) - 0.8130 (127) = 125.3; R and B clip at 255
        pytest.param([255, 255, 255], [255, 125, 255], id="clips-high"),
    ],
)
def test_ybr_partial_to_rgb_hand_worked(ybr, rgb):
    arr = np.array([[ybr]], dtype=np.uint8)
    arr.setflags(write=False)
    assert samples.ybr_partial_to_rgb(arr, 8).tolist() == [[rgb]]


def test_ybr_partial_to_rgb_matches_the_textbook_inverse():
    """The inverse of the standard's matrix, against ITU-R BT.601's published inverse."""
    ybr = np.random.default_rng(5).integers(16, 236, size=(16, 16, 3)).astype(np.uint8)
    y, cb, cr = (ybr[..., i].astype(float) for i in range(3))
    r = 1.1644 * (y - 16) + 1.5960 * (cr - 128)
    g = 1.1644 * (y - 16) - 0.3918 * (cb - 128) - 0.8130 * (cr - 128)
    b = 1.1644 * (y - 16) + 2.0172 * (cb - 128)
    expected = np.clip(np.floor(np.stack([r, g, b], axis=-1) + 0.5), 0, 255)
    assert np.abs(samples.ybr_partial_to_rgb(ybr, 8).astype(int) - expected).max() <= 1


def test_ybr_partial_to_rgb_scales_offsets_for_deeper_samples():
    ybr8 = ybr_partial(COLOURS)
    deep = samples.ybr_partial_to_rgb(ybr8.astype(np.uint16) * 16, 12)  # same colours in 12 bits
    assert deep.dtype == np.uint16
    # 12-bit partial range is the 8-bit one times 2^4 (offsets 256 and 2048)
    assert np.abs(deep.astype(int) - COLOURS.astype(int) * 16).max() <= 16
    assert deep[0, 1].tolist() == [4080, 4080, 4080]  # white: (3760 - 256) * 1.1644


# -- single-bit frames ---------------------------------------------------------------------

BITS = (np.arange(4 * 3 * 5) % 3 == 0) | (np.arange(4 * 3 * 5) % 7 == 2)


@pytest.mark.parametrize(
    ("rows", "cols", "frames"),
    [
        pytest.param(3, 5, 4, id="15-bit-frames-not-byte-aligned"),
        pytest.param(2, 4, 3, id="byte-aligned-frames"),
        pytest.param(3, 5, 1, id="single-frame-odd-size"),
    ],
)
def test_single_bit_frames(make_dataset, rows, cols, frames):
    bits = BITS[: rows * cols * frames].astype(np.uint8).reshape(frames, rows, cols)
    ds = make_dataset(pixel_bytes=_pack_bits(bits), rows=rows, cols=cols, bits_allocated=1)
    if frames > 1:
        ds.NumberOfFrames = frames
    data = synth.to_bytes(ds)
    fmt = _fmt(data)
    for index in range(frames):
        frame = decode_frame("seg.dcm", data, index, fmt)
        assert frame.shape == (rows, cols)
        assert frame.tolist() == bits[index].tolist()


# -- raw cells, stored values, embedded overlays -------------------------------------------


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_decode_raw_keeps_the_bits_above_high_bit(make_image, signed):
    words = np.array(JUNK_WORDS, dtype=np.uint16).reshape(2, 4)
    data = make_image(words, bits_stored=12, pixel_representation=int(signed))
    fmt = _fmt(data)
    raw = decode.frame(_source("junk.dcm", data, fmt), 0, raw=True).values
    assert raw.view(np.uint16).ravel().tolist() == JUNK_WORDS
    stored = samples.stored_values(raw, fmt)
    assert stored.ravel().tolist() == [reference_mask(w, 12, signed) for w in JUNK_WORDS]
    np.testing.assert_array_equal(stored, decode_frame("junk.dcm", data, 0, fmt))
    bits = samples.embedded_overlay_bits(raw, [12, 15])
    assert bits.astype(int).tolist() == [
        [[(w >> b) & 1 for w in JUNK_WORDS[:4]], [(w >> b) & 1 for w in JUNK_WORDS[4:]]]
        for b in (12, 15)
    ]


# -- where the pixel data is, and short files ----------------------------------------------


def test_pixel_extent_of_a_complete_file(make_image):
    data = make_image(np.arange(20, dtype=np.uint16).reshape(4, 5))
    extent = locate.pixel_extent(data, _fmt(data))
    assert extent is not None and extent.complete
    assert (extent.tag, extent.present, extent.expected) == (0x7FE00010, 40, 40)
    assert data[extent.offset :] == np.arange(20, dtype="<u2").tobytes()


def test_pixel_extent_with_elements_after_the_pixel_data(make_dataset):
    ds = make_dataset(np.arange(20, dtype=np.uint16).reshape(4, 5))
    ds.add_new(0xFFFCFFFC, "OB", b"\0" * 10)  # Data Set Trailing Padding
    data = synth.to_bytes(ds)
    extent = locate.pixel_extent(data, _fmt(data))
    assert extent is not None and extent.complete and extent.present == 40
    assert data[extent.offset : extent.offset + 40] == np.arange(20, dtype="<u2").tobytes()


def test_pixel_extent_is_none_for_encapsulated_data(pydicom_file):
    data = pydicom_file("MR_small_RLE.dcm").read_bytes()
    assert locate.pixel_extent(data, _fmt(data)) is None


def _fmt_of(**kwargs) -> PixelFormat:
    base = dict(
        rows=4,
        columns=5,
        samples=1,
        bits_allocated=16,
        bits_stored=16,
        pixel_representation=0,
        photometric=Photometric.MONOCHROME2,
        is_float=False,
        transfer_syntax="1.2.840.10008.1.2.1",
        full_parse=False,
        frames=3,
    )
    return PixelFormat(**{**base, **kwargs})


# (format, bytes present, frame) -> (bytes of the frame present, its bytes, whole pixels present)
TRUNCATIONS = [
    pytest.param({}, 120, 2, None, id="complete"),
    pytest.param({}, 100, 0, None, id="first-frame-complete"),
    pytest.param({}, 100, 2, (20, 40, 10), id="half-of-the-last-frame"),
    pytest.param({}, 99, 2, (19, 40, 9), id="odd-byte-cut"),
    pytest.param({}, 30, 1, (0, 40, 0), id="frame-absent"),
    pytest.param({"samples": 3, "bits_allocated": 8}, 30, 0, (30, 60, 10), id="rgb-by-pixel"),
    pytest.param(
        {"samples": 3, "bits_allocated": 8, "planar_configuration": 1},
        50,
        0,
        (50, 60, 10),  # the blue plane is 10 samples short: its first 10 pixels are whole
        id="rgb-by-plane",
    ),
    pytest.param(
        {"samples": 3, "bits_allocated": 8, "photometric": Photometric.YBR_FULL_422},
        15,
        0,
        (15, 40, 6),  # Y Y CB CR: three whole pairs in 15 bytes
        id="ybr-full-422",
    ),
    pytest.param(
        {"bits_allocated": 1, "bits_stored": 1, "rows": 3, "columns": 5},
        4,
        1,
        None,  # frame 2 runs from bit 15 to bit 29, all inside the 4 bytes present
        id="single-bit-complete-frame",
    ),
    pytest.param(
        {"bits_allocated": 1, "bits_stored": 1, "rows": 3, "columns": 5},
        4,
        2,
        (0, 2, 2),  # frame 3 starts at bit 30: two of its bits are in byte 4
        id="single-bit-cut-frame",
    ),
]


@pytest.mark.parametrize(("kwargs", "present", "frame", "expected"), TRUNCATIONS)
def test_frame_truncation(kwargs, present, frame, expected):
    fmt = _fmt_of(**kwargs)
    total = expected_bytes(fmt)
    extent = locate.PixelExtent(0x7FE00010, 0, min(present, total), total, "OW")
    got = locate.frame_truncation(extent, fmt, frame)
    if expected is None:
        assert got is None
    else:
        assert got is not None
        assert (got.present_bytes, got.expected_bytes, got.present_pixels) == expected
        assert got.pixels == fmt.rows * fmt.columns and got.frame == frame


def test_short_real_file_shows_what_it_has(pydicom_file):
    """MR_truncated.dcm holds 8130 of its 8192 pixel bytes (read by pydicom itself)."""
    data = pydicom_file("MR_truncated.dcm").read_bytes()
    fmt = _fmt(data)
    extent = locate.pixel_extent(data, fmt)
    assert extent is not None and (extent.present, extent.expected) == (8130, 8192)
    values, truncation = decode_short("MR_truncated.dcm", data, 0, fmt, extent)
    present = np.frombuffer(pydicom.dcmread(io.BytesIO(data)).PixelData, "<i2")[:4065]
    assert values.shape == (64, 64) and values.dtype == np.int16
    assert values.ravel()[:4065].tolist() == present.tolist()
    assert (values.ravel()[4065:] == present.min()).all()  # padding: the frame's lowest value
    assert truncation is not None and truncation.present_pixels == 4065
    assert "8130 of 8192 bytes" in truncation.message and "frame 1" in truncation.message


@pytest.mark.parametrize(
    ("signed", "bits_stored", "fill_when_empty"),
    [
        pytest.param(False, 16, 0, id="unsigned"),
        pytest.param(True, 12, -2048, id="signed-12-bit"),
    ],
)
def test_short_multiframe_file_frame_by_frame(make_image, signed, bits_stored, fill_when_empty):
    frames = (np.arange(3 * 4 * 5).reshape(3, 4, 5) * 7 - (60 if signed else 0)).astype(
        np.int16 if signed else np.uint16
    )
    whole = make_image(frames, bits_stored=bits_stored, pixel_representation=int(signed))
    data = whole[: len(whole) - 40 - 16]  # the last frame absent, the middle one cut at pixel 12
    fmt = _fmt(data)
    extent = locate.pixel_extent(data, fmt)
    assert extent is not None and extent.present == 64 and extent.expected == 120
    first, none = decode_short("short.dcm", data, 0, fmt, extent)
    assert none is None
    np.testing.assert_array_equal(first, frames[0])
    middle, cut = decode_short("short.dcm", data, 1, fmt, extent)
    assert cut is not None and cut.present_pixels == 12
    assert middle.ravel()[:12].tolist() == frames[1].ravel()[:12].tolist()
    assert (middle.ravel()[12:] == frames[1].ravel()[:12].min()).all()
    last, gone = decode_short("short.dcm", data, 2, fmt, extent)
    assert gone is not None and gone.present_pixels == 0
    assert (last == fill_when_empty).all()


def test_short_colour_frame_is_black_where_missing(make_image):
    rgb = np.full((2, 3, 3), 200, dtype=np.uint8)
    whole = make_image(rgb, photometric="RGB", bits_allocated=8)
    data = whole[:-8]  # 18 bytes of pixel data: the last 8 missing (pixels 4 and 5 touched)
    fmt = _fmt(data)
    values, truncation = decode_short("c.dcm", data, 0, fmt, locate.pixel_extent(data, fmt))
    assert truncation is not None and truncation.present_pixels == 3
    assert values.reshape(6, 3).tolist() == [[200] * 3] * 3 + [[0] * 3] * 3


def test_single_bit_frames_of_a_bare_dataset(make_dataset):
    """No file meta: decoded from a full parse, frames still split bit by bit."""
    bits = BITS[:45].astype(np.uint8).reshape(3, 3, 5)
    ds = make_dataset(pixel_bytes=_pack_bits(bits), rows=3, cols=5, frames=3, bits_allocated=1)
    del ds.file_meta
    buffer = io.BytesIO()
    ds.save_as(buffer, implicit_vr=True, little_endian=True)
    data = buffer.getvalue()
    header = ingest.read_header("bare.dcm", data)
    fmt = pixel_format(header.dataset, header.transfer_syntax)
    assert fmt.full_parse
    for index in range(3):
        assert decode_frame("bare.dcm", data, index, fmt).tolist() == bits[index].tolist()


def test_short_single_bit_file(make_dataset):
    bits = np.ones((4, 3, 5), dtype=np.uint8)
    bits[:, 0, 0] = 0
    ds = make_dataset(pixel_bytes=_pack_bits(bits), rows=3, cols=5, frames=4, bits_allocated=1)
    whole = synth.to_bytes(ds)
    data = whole[:-6]  # 8 bytes of 8: 64 bits of 60 -> now 2 bytes = 16 bits
    fmt = _fmt(data)
    extent = locate.pixel_extent(data, fmt)
    assert extent is not None and (extent.present, extent.expected) == (2, 8)
    first, none = decode_short("seg.dcm", data, 0, fmt, extent)
    assert none is None and first.tolist() == bits[0].tolist()
    second, cut = decode_short("seg.dcm", data, 1, fmt, extent)
    assert cut is not None and cut.present_pixels == 1  # bit 15 only
    assert second.ravel().tolist() == [0] * 15  # its one bit is 0, the lowest value present


ENCAPSULATED = [
    pytest.param("examples_ybr_color.dcm", 0, id="jpeg-baseline-multiframe-first"),
    pytest.param("examples_ybr_color.dcm", 29, id="jpeg-baseline-multiframe-last"),
    pytest.param("JPGExtended.dcm", 0, id="jpeg-12-bit"),
    pytest.param("SC_rgb_jpeg_gdcm.dcm", 0, id="jpeg-baseline-rgb"),
    pytest.param("MR_small_jpeg_ls_lossless.dcm", 0, id="jpeg-ls"),
    pytest.param("MR_small_RLE.dcm", 0, id="rle"),
    pytest.param("SC_rgb_rle_2frame.dcm", 1, id="rle-rgb-second-frame"),
    pytest.param("rtdose_rle.dcm", 9, id="rle-multiframe"),
    pytest.param("JPEG2000.dcm", 0, id="j2k-lossy"),
    pytest.param("J2K_pixelrep_mismatch.dcm", 0, id="j2k-pixel-representation-mismatch"),
    pytest.param("693_J2KI.dcm", 0, id="j2k-irreversible"),
    pytest.param("MR_small_jp2klossless.dcm", 0, id="j2k"),
]


@pytest.mark.parametrize(("name", "index"), ENCAPSULATED)
def test_decoding_from_the_pixel_data_start_equals_decoding_the_file(pydicom_file, name, index):
    """The fast path (fragments read from where Pixel Data begins, options from the
    header read once) gives what parsing the whole file gives."""
    path = pydicom_file(name)
    data = path.read_bytes()
    header = ingest.read_header(path.name, data)
    fmt = pixel_format(header.dataset, header.transfer_syntax)
    start = locate.encapsulated_start(data, fmt)
    assert start is not None
    assert data[start - 12 : start - 8] == b"\xe0\x7f\x10\x00"  # the Pixel Data tag before it
    source = _source(path.name, data, fmt)
    assert source.start == start
    fast = decode.frame(source, index).values
    parsed = decode.frame(replace(source, start=None), index).values
    np.testing.assert_array_equal(fast, parsed)
    assert fast.dtype == parsed.dtype


def test_encapsulated_start_is_none_for_native_data(pydicom_file):
    path = pydicom_file("CT_small.dcm")
    data = path.read_bytes()
    header = ingest.read_header(path.name, data)
    fmt = pixel_format(header.dataset, header.transfer_syntax)
    assert locate.encapsulated_start(data, fmt) is None


# -- values beyond Bits Stored: native and RLE masked, other codecs' overshoot clipped -----


@pytest.mark.parametrize(
    ("syntax", "expected"),
    [
        pytest.param("1.2.840.10008.1.2.1", [27, 4095, 100], id="native-masked"),
        pytest.param("1.2.840.10008.1.2.5", [27, 4095, 100], id="rle-masked"),
        pytest.param("1.2.840.10008.1.2.4.91", [4095, 4095, 100], id="j2k-overshoot-clipped"),
    ],
)
def test_values_beyond_bits_stored(syntax, expected):
    # 4123 = 0x101B: masked to 12 bits it is 27 (0x01B); clipped it is 4095.
    fmt = PixelFormat(
        rows=1,
        columns=3,
        samples=1,
        bits_allocated=16,
        bits_stored=12,
        pixel_representation=0,
        photometric=Photometric("MONOCHROME2"),
        is_float=False,
        transfer_syntax=syntax,
        full_parse=False,
    )
    raw = np.array([[4123, 4095, 100]], dtype=np.uint16)
    assert samples.stored_values(raw, fmt).tolist() == [expected]


# -- the one entry point decides how a frame is had ----------------------------------------


def test_the_entry_point_reads_in_place_decodes_or_pads(make_image, pydicom_file):
    values = np.arange(3 * 4 * 5, dtype=np.uint16).reshape(3, 4, 5)
    data = make_image(values)
    source = _source("native.dcm", data, _fmt(data))
    found = decode.frame(source, 1)
    assert found.in_place and found.truncation is None
    assert np.shares_memory(found.values, np.frombuffer(data, np.uint8))
    assert not found.values.flags.writeable
    np.testing.assert_array_equal(found.values, values[1])
    raw = decode.frame(source, 1, raw=True)  # raw cells are decoded, never a view
    assert not raw.in_place and not np.shares_memory(raw.values, np.frombuffer(data, np.uint8))
    np.testing.assert_array_equal(raw.values, values[1])

    short = data[:-30]  # frame 3 loses its last 15 pixels
    cut = decode.frame(_source("short.dcm", short, _fmt(short)), 2)
    assert not cut.in_place and cut.truncation is not None and cut.truncation.present_pixels == 5

    rle = pydicom_file("MR_small_RLE.dcm").read_bytes()
    encapsulated = _source("rle.dcm", rle, _fmt(rle))
    assert encapsulated.extent is None and encapsulated.start is not None
    found = decode.frame(encapsulated, 0)
    assert not found.in_place and found.truncation is None and found.values.shape == (64, 64)
