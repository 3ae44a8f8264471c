"""A SEG as a label volume on the 3D texture's grid (issue 16 item 4, the 3D view).

The generated CT (tests/support/segs.py: 0.5 mm pixels, slices 2 mm apart) and a SEG of
two segments, each a box of voxels given here as slice, row and column ranges. The
expectation is written here with numpy: the full grid holds 1 in the first box, 2 in the
second (the segment's place in the Segment Sequence), 0 elsewhere, slice k at z = 2k mm;
a reduced grid (the limits of ``volume_data``) holds, per block of the factors it says,
the non-zero label the most of the block's voxels hold (the lower of two as many), 0 where
none: counted block by block below, by explicit loops.
"""

from __future__ import annotations

import numpy as np
import pytest

from lightbox.core.errors import LightboxError
from lightbox.session.session import Session
from tests.support import segs
from tools.synth import to_bytes

RED_LAB = (21169, 53249, 50708)
GREEN_LAB = (43803, 26565, 37722)
ROWS, COLS, SLICES = 12, 16, 6
#: (slices, rows, columns) of each segment's box
BOXES = (
    (slice(1, 4), slice(2, 7), slice(3, 9)),
    (slice(0, 2), slice(7, 12), slice(9, 16)),
)


def _expected_full() -> np.ndarray:
    want = np.zeros((SLICES, ROWS, COLS), np.uint8)
    for label, box in enumerate(BOXES, start=1):
        want[box] = label
    return want


def _open(*, by_uid: bool = True, fractional: bool = False, reverse: bool = False):
    stack = segs.ct_stack(rows=ROWS, cols=COLS, slices=SLICES)
    full = _expected_full()
    frames = []
    for number in (1, 2):
        for k in range(SLICES):
            mask = (full[k] == number).astype(np.float64)
            if fractional:  # a fraction under one half is outside the segment
                mask = np.where(mask > 0, 0.8, 0.3)
            if mask.any() or fractional:
                frames.append((number, k, mask))
    data, ds = segs.seg_bytes(
        stack,
        frames,
        [("Red", RED_LAB), ("Green", GREEN_LAB)],
        by_uid=by_uid,
        fractional=fractional,
    )
    items = list(stack.files.items())
    if reverse:  # opened out of slice order: the volume sorts them
        items.reverse()
    session = Session()
    result = session.open([*items, ("seg.dcm", data)])
    ct = next(i for i, s in enumerate(result["series"]) if s["modality"] == "CT")
    return session, ct, ds.SOPInstanceUID


def _block_mode(full: np.ndarray, factors: tuple[int, int, int]) -> np.ndarray:
    fx, fy, fz = factors
    nz, ny, nx = full.shape
    out = np.zeros((-(-nz // fz), -(-ny // fy), -(-nx // fx)), np.uint8)
    for z in range(out.shape[0]):
        for y in range(out.shape[1]):
            for x in range(out.shape[2]):
                block = full[z * fz : (z + 1) * fz, y * fy : (y + 1) * fy, x * fx : (x + 1) * fx]
                counts = np.bincount(block.ravel(), minlength=3)[1:]
                if counts.max() > 0:
                    out[z, y, x] = 1 + int(np.argmax(counts))  # argmax: the lower of a tie
    return out


@pytest.mark.parametrize(
    "by_uid, fractional, reverse",
    [(True, False, False), (False, False, True), (True, True, False)],
    ids=["by-uid", "by-position-reversed", "fractional"],
)
def test_full_grid_marks_exactly_the_boxes(by_uid: bool, fractional: bool, reverse: bool) -> None:
    session, ct, uid = _open(by_uid=by_uid, fractional=fractional, reverse=reverse)
    info, labels = session.segment_volume(ct, uid)
    texture, _ = session.volume_data(ct)
    assert info["dims"] == texture["dims"] == [COLS, ROWS, SLICES]
    assert info["factors"] == [1, 1, 1] and info["dtype"] == "uint8"
    assert labels.dtype == np.uint8 and labels.flags.c_contiguous
    assert np.array_equal(labels, _expected_full())
    full = _expected_full()
    assert [(s["index"], s["number"], s["label"], s["voxels"]) for s in info["segments"]] == [
        (1, 1, "Red", int((full == 1).sum())),
        (2, 2, "Green", int((full == 2).sum())),
    ]


@pytest.mark.parametrize("max_voxels", [300, 100, 40])
def test_reduced_grid_is_the_block_mode_on_the_textures_grid(max_voxels: int) -> None:
    session, ct, uid = _open()
    info, labels = session.segment_volume(ct, uid, max_voxels=max_voxels, max_dim=256)
    texture, voxels = session.volume_data(ct, max_voxels=max_voxels, max_dim=256)
    assert info["factors"] == texture["factors"] != [1, 1, 1]
    assert info["dims"] == texture["dims"]
    assert labels.shape == voxels.shape
    factors = tuple(info["factors"])
    assert np.array_equal(labels, _block_mode(_expected_full(), factors))


def test_a_seg_not_over_the_series_is_refused() -> None:
    session, ct, _ = _open()
    with pytest.raises(LightboxError, match="no such segmentation"):
        session.segment_volume(ct, "1.2.3.4")


def test_a_missing_slice_is_a_gap_on_the_nominal_grid() -> None:
    """Slice 3 (z = 6 mm) left out: the texture's grid keeps the nominal 2 mm steps, step 3
    in the gap (two steps wide, a step from either slice: the background) holds no label,
    the others the slices at their z."""
    stack = segs.ct_stack(rows=ROWS, cols=COLS, slices=SLICES)
    full = _expected_full()
    frames = [
        (number, k, (full[k] == number).astype(np.float64))
        for number in (1, 2)
        for k in range(SLICES)
        if (full[k] == number).any()
    ]
    data, ds = segs.seg_bytes(stack, frames, [("Red", RED_LAB), ("Green", GREEN_LAB)])
    session = Session()
    kept = [item for k, item in enumerate(stack.files.items()) if k != 3]
    result = session.open([*kept, ("seg.dcm", data)])
    ct = next(i for i, s in enumerate(result["series"]) if s["modality"] == "CT")
    info, labels = session.segment_volume(ct, ds.SOPInstanceUID)
    texture, _ = session.volume_data(ct)
    assert info["dims"] == texture["dims"] == [COLS, ROWS, SLICES]
    want = full.copy()
    want[3] = 0
    assert np.array_equal(labels, want)


def test_a_seg_whose_pixels_cannot_be_read_names_the_file() -> None:
    stack = segs.ct_stack(rows=ROWS, cols=COLS, slices=SLICES)
    full = _expected_full()
    frames = [(1, k, (full[k] == 1).astype(np.float64)) for k in (1, 2, 3)]
    _, ds = segs.seg_bytes(stack, frames, [("Red", RED_LAB)])
    ds.PixelData = ds.PixelData[:10]  # cut short
    session = Session()
    result = session.open([*stack.files.items(), ("short.dcm", to_bytes(ds))])
    ct = next(i for i, s in enumerate(result["series"]) if s["modality"] == "CT")
    with pytest.raises(LightboxError, match=r"short\.dcm: the segmentation's pixels cannot"):
        session.segment_volume(ct, ds.SOPInstanceUID)


def test_a_seg_on_a_grid_of_its_own_is_resampled_onto_the_volume() -> None:
    """The SEG's pixels are 1 mm, a quarter millimetre off the CT's 0.5 mm pixels: CT pixel
    (r, c) at (0.5 c, 0.5 r) mm is nearest SEG pixel (r // 2, c // 2) (at 1 j + 0.25 mm),
    on the same slice (the SEG's frames at the slices' z)."""
    stack = segs.ct_stack(rows=ROWS, cols=COLS, slices=SLICES)
    grid = segs.Grid(spacing=(1.0, 1.0), shape=(ROWS // 2, COLS // 2), offset=(0.25, 0.25, 0.0))
    own = np.zeros((SLICES, ROWS // 2, COLS // 2), np.uint8)
    own[1:4, 1:3, 2:6] = 1
    own[0:2, 4:6, 5:8] = 2
    frames = [
        (number, k, (own[k] == number).astype(np.float64))
        for number in (1, 2)
        for k in range(SLICES)
        if (own[k] == number).any()
    ]
    data, ds = segs.seg_bytes(
        stack, frames, [("Red", RED_LAB), ("Green", GREEN_LAB)], by_uid=False, grid=grid
    )
    session = Session()
    result = session.open([*stack.files.items(), ("seg.dcm", data)])
    ct = next(i for i, s in enumerate(result["series"]) if s["modality"] == "CT")
    _, labels = session.segment_volume(ct, ds.SOPInstanceUID)
    rows, columns = np.mgrid[0:ROWS, 0:COLS]
    want = own[:, rows // 2, columns // 2]
    assert want.any() and np.array_equal(labels, want)


def test_a_label_map_segmentation() -> None:
    """A Label Map Segmentation: one frame per slice whose pixel values are the segment
    numbers (PS3.3 C.8.20.2); the label volume is those values' places, as for a SEG."""
    stack = segs.ct_stack(rows=ROWS, cols=COLS, slices=SLICES)
    full = _expected_full()
    frames = [(0, k, full[k].astype(np.float64)) for k in range(SLICES)]
    data, ds = segs.seg_bytes(
        stack, frames, [("Red", RED_LAB), ("Green", GREEN_LAB)], labelmap=True
    )
    session = Session()
    result = session.open([*stack.files.items(), ("labels.dcm", data)])
    ct = next(i for i, s in enumerate(result["series"]) if s["modality"] == "CT")
    _, labels = session.segment_volume(ct, ds.SOPInstanceUID)
    assert np.array_equal(labels, full)


def test_slices_averaged_into_one_take_the_label_most_of_them_hold() -> None:
    """A volume over its budget averages neighbouring slices (here two: 6 slices → 3); its
    label volume takes, per pair of slices, the label most of the pair's voxels hold (the
    lower of a tie, any set one marking it), as the numpy count below says."""
    session, ct, uid = _open()
    session.volume_budget = (SLICES // 2) * ROWS * COLS * 2  # int16: room for 3 slices
    texture, voxels = session.volume_data(ct)
    assert texture["dims"] == [COLS, ROWS, SLICES // 2] and voxels.shape[0] == SLICES // 2
    info, labels = session.segment_volume(ct, uid)
    assert info["dims"] == texture["dims"]
    assert np.array_equal(labels, _block_mode(_expected_full(), (1, 1, 2)))
