"""lightbox.pixels.checks: frames present against declared, stored values past Bits Stored."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from pydicom.encaps import encapsulate

from lightbox.core.records import Photometric
from lightbox.ingest import structure
from lightbox.pixels import checks
from lightbox.pixels.format import PixelFormat
from lightbox.pixels.locate import PixelExtent

EXPLICIT_LE = "1.2.840.10008.1.2.1"
BIG_ENDIAN = "1.2.840.10008.1.2.2"


def _fmt(frames=1, bits_allocated=16, bits_stored=16, signed=0, syntax=EXPLICIT_LE, **kw):
    return PixelFormat(
        rows=kw.get("rows", 4),
        columns=kw.get("columns", 5),
        samples=kw.get("samples", 1),
        bits_allocated=bits_allocated,
        bits_stored=bits_stored,
        pixel_representation=signed,
        photometric=kw.get("photometric", Photometric.MONOCHROME2),
        is_float=False,
        transfer_syntax=syntax,
        full_parse=False,
        frames=frames,
    )


# -- native frames -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frames", "present", "complete", "partial", "message"),
    [
        pytest.param(10, 400, 10, 0, "", id="all"),
        pytest.param(10, 120, 3, 0, "3 of 10 declared frames are present", id="three"),
        pytest.param(
            10,
            130,
            3,
            10,
            "3 of 10 declared frames are present; frame 4 is cut short (10 of 40 bytes)",
            id="three-and-a-bit",
        ),
        pytest.param(1, 16, 0, 16, "the frame is cut short: 16 of 40 bytes present", id="single"),
        pytest.param(10, 0, 0, 0, "0 of 10 declared frames are present", id="none"),
    ],
)
def test_native_frames_present(frames, present, complete, partial, message):
    fmt = _fmt(frames)
    found = checks.native_frames_present(
        PixelExtent(0x7FE00010, 0, present, frames * 40, "OW"), fmt
    )
    assert (found.complete, found.partial_bytes, found.frame_bytes) == (complete, partial, 40)
    assert found.message == message


# -- encapsulated frames -------------------------------------------------------------------


def _fragments(frames, *, bot=True, cut=None, closed=True, per_frame=1):
    """Encapsulated pixel data of ``frames`` 10-byte frames as bytes, and its fragments."""
    pieces = [bytes([i]) * 10 for i in range(frames)]
    value = encapsulate(pieces, fragments_per_frame=per_frame, has_bot=bot)
    data = b"HEAD" + value + (b"\xfe\xff\xdd\xe0\x00\x00\x00\x00" if closed else b"")
    if cut is not None:
        data = data[:cut]
    return data, structure.read_fragments(data, 4)


@pytest.mark.parametrize(
    ("kwargs", "declared", "complete", "partial"),
    [
        pytest.param({"frames": 3}, 3, 3, False, id="whole-with-table"),
        pytest.param({"frames": 3, "bot": False}, 3, 3, False, id="whole-without-table"),
        pytest.param({"frames": 3}, 10, 3, False, id="table-lists-3-of-10"),
        pytest.param({"frames": 3, "bot": False}, 10, 3, False, id="3-fragments-for-10"),
        pytest.param({"frames": 4, "closed": False, "cut": -5}, 4, 3, True, id="cut-in-4th"),
        pytest.param(
            {"frames": 4, "closed": False, "cut": -5, "bot": False}, 4, 3, True, id="cut-no-table"
        ),
        pytest.param({"frames": 1, "closed": False, "cut": -5}, 1, 0, True, id="single-cut"),
        pytest.param({"frames": 2, "per_frame": 2}, 2, 2, False, id="two-fragments-a-frame"),
        pytest.param(
            {"frames": 2, "per_frame": 2, "closed": False, "cut": -5},
            2,
            1,
            True,
            id="two-fragments-a-frame-cut",
        ),
    ],
)
def test_encapsulated_frames_present(kwargs, declared, complete, partial):
    cut = kwargs.pop("cut", None)
    data, fragments = _fragments(**kwargs)
    if cut is not None:
        data = data[:cut]
        fragments = structure.read_fragments(data, 4)
    starts = checks.frame_offsets(data, fragments)
    found = checks.encapsulated_frames_present(fragments, len(data), declared, starts)
    assert (found.complete, found.partial) == (complete, partial)
    assert found.all_present is (complete == declared)


def test_frame_offsets_from_the_basic_and_the_extended_tables():
    data, fragments = _fragments(3)
    assert checks.frame_offsets(data, fragments) == [0, 18, 36]  # 8-byte item header + 10
    assert checks.frame_offsets(data, fragments, [0, 99]) == [0, 99]
    bare, no_table = _fragments(3, bot=False)
    assert checks.frame_offsets(bare, no_table) == []


def test_encapsulated_message_names_no_byte_counts():
    found = checks.FramesPresent(10, 3, True)
    assert found.message == "3 of 10 declared frames are present; frame 4 is cut short"
    assert checks.FramesPresent(1, 0, True).message == "the frame is cut short"
    assert checks.FramesPresent(1, 0).message == (
        "the frame is missing: the pixel data holds none of it"
    )


# -- stored values past Bits Stored ----------------------------------------------------------


def _cells(values, dtype="<u2"):
    return np.asarray(values).astype(dtype).tobytes()


@pytest.mark.parametrize(
    ("values", "fmt", "found"),
    [
        pytest.param([0, 1023, 7], _fmt(bits_stored=10), None, id="fits"),
        pytest.param([0, 4095, 7], _fmt(bits_stored=10), (0, 4095), id="unsigned-over"),
        pytest.param([0, 1024], _fmt(bits_stored=10), (0, 1024), id="one-over"),
        pytest.param([0, 4095], _fmt(bits_stored=16), None, id="all-bits-stored"),
        pytest.param(
            np.array([-512, 511, 0], np.int16),
            _fmt(bits_stored=10, signed=1),
            None,
            id="signed-fits",
        ),
        pytest.param(
            np.array([-513, 5], np.int16),
            _fmt(bits_stored=10, signed=1),
            (-513, 5),
            id="signed-under",
        ),
        pytest.param(
            np.array([0x0FFF, 0], np.int16),
            _fmt(bits_stored=12, signed=1),
            (0, 4095),
            id="signed-high-bits-junk",
        ),
    ],
)
def test_stored_excess(values, fmt, found):
    data = _cells(values, np.asarray(values).dtype.newbyteorder("<"))
    count = len(data)
    excess = checks.stored_excess(data, PixelExtent(0x7FE00010, 0, count, count, "OW"), fmt)
    if found is None:
        assert excess is None
    else:
        assert (excess.minimum, excess.maximum) == found


def test_stored_excess_reads_big_endian_cells():
    data = struct.pack(">3H", 1, 4095, 2)
    fmt = _fmt(bits_stored=10, syntax=BIG_ENDIAN)
    excess = checks.stored_excess(data, PixelExtent(0x7FE00010, 0, 6, 6, "OW"), fmt)
    assert excess is not None and excess.maximum == 4095
    assert (
        excess.message == "stored values up to 4095 exceed Bits Stored 10; shown masked to 10 bits"
    )


def test_stored_excess_sets_embedded_overlay_bits_aside():
    data = _cells([5, 5 | 1 << 12, 1023])  # bit 12 holds an overlay (PS3.3 C.9.2)
    extent = PixelExtent(0x7FE00010, 0, 6, 6, "OW")
    assert checks.stored_excess(data, extent, _fmt(bits_stored=10), (12,)) is None
    assert checks.stored_excess(data, extent, _fmt(bits_stored=10)) is not None


def test_stored_excess_reads_only_the_bytes_present():
    data = _cells([1, 2, 4095, 4095])
    extent = PixelExtent(0x7FE00010, 0, 4, 40, "OW")  # two cells present of twenty
    assert checks.stored_excess(data, extent, _fmt(bits_stored=10)) is None
