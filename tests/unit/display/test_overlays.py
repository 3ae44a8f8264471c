"""lightbox.display.overlays: overlay planes read, framed and burnt in (PS3.3 C.9.2, C.9.3).

The real file is pydicom's ``examples_overlay.dcm`` (bundled with pydicom, one
graphics overlay in group 6000); its reference is pydicom's own
``Dataset.overlay_array``. Synthetic overlays are packed here by hand: bit i
of the plane is bit (i mod 8) of byte (i div 8) (PS3.5 8.1.2).
"""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset

from lightbox.display import overlays
from lightbox.display.overlays import OVERLAY_RGBA, OverlayPlane
from lightbox.pixels import samples


def pack(bits: np.ndarray) -> bytes:
    """Bits to Overlay Data bytes, the first bit in the lowest bit (PS3.5 8.1.2), even length."""
    flat = [int(b) for b in np.asarray(bits).ravel()]
    data = bytearray((len(flat) + 7) // 8)
    for i, bit in enumerate(flat):
        data[i // 8] |= bit << (i % 8)
    return bytes(data) + (b"\0" if len(data) % 2 else b"")


def overlay_dataset(group: int, bits: np.ndarray, **attributes: object) -> Dataset:
    """A dataset with one overlay plane; ``bits`` is (rows, cols) or (frames, rows, cols)."""
    shape = bits.shape if bits.ndim == 3 else (1, *bits.shape)
    ds = Dataset()
    ds.add_new((group, 0x0010), "US", shape[1])
    ds.add_new((group, 0x0011), "US", shape[2])
    ds.add_new((group, 0x0040), "CS", "G")
    ds.add_new((group, 0x0050), "SS", list(attributes.pop("origin", (1, 1))))
    ds.add_new((group, 0x0100), "US", 1)
    ds.add_new((group, 0x0102), "US", 0)
    ds.add_new((group, 0x3000), "OW", pack(bits))
    for element, (vr, value) in attributes.items():
        ds.add_new((group, int(element, 16)), vr, value)
    return ds


def test_reads_the_overlay_of_a_real_file(pydicom_file):
    ds = pydicom.dcmread(pydicom_file("examples_overlay.dcm"))
    (plane,) = overlays.read_overlays(ds, int(ds.BitsAllocated))
    assert (plane.group, plane.rows, plane.columns) == (0x6000, 300, 484)
    assert plane.description == "Siemens MedCom Object Graphics" and plane.kind == "G"
    assert (plane.origin, plane.frames, plane.first_frame, plane.embedded) == ((1, 1), 1, 1, False)
    frame = overlays.overlay_frame(plane, 0)
    np.testing.assert_array_equal(frame, ds.overlay_array(0x6000).astype(bool))
    assert frame.sum() == 222  # the plane is not empty, so the comparison means something


def test_multi_frame_overlay_applies_from_its_image_frame_origin():
    rng = np.random.default_rng(3)
    bits = rng.integers(0, 2, size=(3, 3, 5)).astype(bool)  # 15 bits a frame: not byte aligned
    ds = overlay_dataset(0x6002, bits, **{"0015": ("IS", 3), "0051": ("US", 2)})
    (plane,) = overlays.read_overlays(ds, 16)
    assert (plane.group, plane.frames, plane.first_frame) == (0x6002, 3, 2)
    # PS3.3 C.9.3.1.3: overlay frame 1 lies over image frame Image Frame Origin (1-based)
    assert [plane.frame_for(i) for i in range(6)] == [None, 0, 1, 2, None, None]
    for k in range(3):
        np.testing.assert_array_equal(overlays.overlay_frame(plane, k), bits[k])


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param({}, ("", ""), id="no-text"),
        pytest.param(
            {"0022": ("LO", "Region"), "1500": ("LO", "LESION")}, ("Region", "LESION"), id="text"
        ),
    ],
)
def test_description_and_label(attributes, expected):
    ds = overlay_dataset(0x601E, np.ones((2, 2), bool), **attributes)
    (plane,) = overlays.read_overlays(ds, 8)
    assert (plane.description, plane.label) == expected and plane.group == 0x601E
    assert overlays.plane_json(plane, 0) == {
        "group": "601E",
        "type": "G",
        "description": expected[0],
        "label": expected[1],
        "rows": 2,
        "columns": 2,
        "origin": [1, 1],
        "frames": 1,
        "embedded": False,
        "onFrame": True,
    }


def test_big_endian_ow_overlay_data_is_read_word_by_word():
    bits = np.zeros((4, 8), dtype=bool)
    bits[0, 0] = bits[1, 1] = bits[3, 7] = True
    little = pack(bits)
    swapped = b"".join(little[i : i + 2][::-1] for i in range(0, len(little), 2))
    ds = overlay_dataset(0x6000, bits)
    ds[0x60003000].value = swapped
    (plane,) = overlays.read_overlays(ds, 16, little=False)
    np.testing.assert_array_equal(overlays.overlay_frame(plane, 0), bits)


def test_embedded_overlay_is_found_without_overlay_data():
    ds = Dataset()
    ds.add_new(0x60040010, "US", 2)
    ds.add_new(0x60040011, "US", 3)
    ds.add_new(0x60040100, "US", 16)  # Overlay Bits Allocated = Bits Allocated: embedded
    ds.add_new(0x60040102, "US", 13)
    ds.add_new(0x60060010, "US", 2)  # a plane with neither data nor embedded bits: ignored
    ds.add_new(0x60060011, "US", 3)
    (plane,) = overlays.read_overlays(ds, 16)
    assert plane.embedded and plane.bit_position == 13 and plane.group == 0x6004
    assert [plane.frame_for(i) for i in (0, 7)] == [0, 7]  # every frame has its own bits


def test_embedded_bits_come_from_the_raw_cells():
    raw = np.array([[0x2FFF, 0x1000], [0xE001, 0x0FFF]], dtype=np.uint16)
    planes = samples.embedded_overlay_bits(raw, [12, 13, 15])
    # bit b of each 16-bit cell, written out
    expected = [[[(int(v) >> b) & 1 for v in row] for row in raw.tolist()] for b in (12, 13, 15)]
    assert planes.astype(int).tolist() == expected
    signed = samples.embedded_overlay_bits(raw.view(np.int16), [15])
    assert signed.astype(int).tolist() == [expected[2]]


# -- burning into RGBA ---------------------------------------------------------------------


def _grey(rows: int, cols: int) -> np.ndarray:
    rgba = np.zeros((rows, cols, 4), dtype=np.uint8)
    rgba[..., :3] = np.arange(rows * cols, dtype=np.uint8).reshape(rows, cols, 1)
    rgba[..., 3] = 255
    return rgba


@pytest.mark.parametrize(
    ("origin", "where"),
    [
        pytest.param((1, 1), [(0, 0), (1, 2)], id="at-the-image-origin"),
        pytest.param((3, 2), [(2, 1), (3, 3)], id="shifted"),
        pytest.param((0, -1), [(0, 0)], id="partly-above-and-left"),  # mask (1, 2) lands on (0, 0)
        pytest.param((5, 5), [(4, 4)], id="partly-below-and-right"),  # only mask (0, 0) is inside
        pytest.param((40, 1), [], id="outside"),
    ],
)
def test_burn_places_the_mask_at_its_origin(origin, where):
    mask = np.zeros((2, 3), dtype=bool)
    mask[0, 0] = mask[1, 2] = True
    rgba = _grey(5, 6)
    rgba.setflags(write=False)
    out = overlays.burn(rgba, mask, origin)
    painted = {
        (int(r), int(c)) for r, c in zip(*np.nonzero((out != rgba).any(axis=2)), strict=True)
    }
    assert painted == set(where)
    for r, c in where:
        assert tuple(out[r, c]) == OVERLAY_RGBA
    assert not np.shares_memory(out, rgba)


def test_burn_planes_skips_planes_not_on_the_frame():
    on = OverlayPlane(0x6000, 2, 2, data=pack(np.ones((2, 2, 2), bool)), frames=2, first_frame=1)
    later = OverlayPlane(
        0x6002, 2, 2, origin=(1, 1), data=pack(np.eye(2, dtype=bool)), first_frame=3
    )
    rgba = _grey(2, 2)
    assert (overlays.burn_planes(rgba, [on, later], 1) == np.array(OVERLAY_RGBA)).all()
    np.testing.assert_array_equal(overlays.burn_planes(rgba, [later], 1), rgba)
    third = overlays.burn_planes(rgba, [later], 2)
    assert [tuple(third[i, i]) for i in range(2)] == [OVERLAY_RGBA] * 2
    np.testing.assert_array_equal(third[0, 1], rgba[0, 1])


def test_burn_planes_uses_embedded_bits_in_plane_order():
    first = OverlayPlane(0x6000, 2, 2, bit_position=12)
    second = OverlayPlane(0x6002, 2, 2, bit_position=14)
    bits = np.array([[[1, 0], [0, 0]], [[0, 0], [0, 1]]], dtype=bool)
    out = overlays.burn_planes(_grey(2, 2), [first, second], 0, bits)
    assert [tuple(out[0, 0]), tuple(out[1, 1])] == [OVERLAY_RGBA] * 2
    np.testing.assert_array_equal(out[0, 1], _grey(2, 2)[0, 1])
