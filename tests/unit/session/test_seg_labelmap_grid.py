"""Label map segmentations and SEGs on a pixel grid of their own (issue 16 gaps 1, 2).

Label map (PS3.3 C.8.20.2): every pixel value of a frame is a segment number; the
expected mask of segment n on a slice is numpy's ``labels == n`` over the array written
here, its colour the CIELab formula of tests/unit/segment/test_color.py, its statistics
the voxel count × 0.5 × 0.5 × 2 mm³ and the mean HU of pydicom's pixels under it.

Own grid: the SEG's frames have 1 mm pixels, 8 × 10, and lie 1.25 mm, 0.75 mm and 0.3 mm
off their slices' Image Position. Image pixel (r, c) of slice k is the patient point
(0.5 c, 0.5 r, 2 k) (PS3.3 C.7.6.2.1.1); the nearest SEG pixel is row
floor((0.5 r − 0.75) / 1 + 0.5), column floor((0.5 c − 1.25) / 1 + 0.5) of the SEG frame
of slice k (0.3 mm away, within half its 2 mm spacing): worked here in a plain loop.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import pydicom
import pytest

from lightbox.session.session import Session
from tests.support import segs
from tests.support.paths import CORPUS
from tests.unit.segment.test_color import expected as lab_expected
from tests.unit.session.test_plane_layers import _coronal
from tools.synth import to_bytes

RED = (21169, 53249, 50708)
PURPLE = (45062, 38660, 25486)


def _labels() -> np.ndarray:
    labels = np.zeros((3, 12, 16), np.uint8)
    labels[0, 2:5, 3:9] = 1
    labels[0, 4:8, 6:12] = 2
    labels[1, 7:11, 1:5] = 2
    labels[1, 0:2, 10:16] = 1
    return labels


def _open(stack: segs.Stack, data: bytes) -> tuple[Session, int, dict]:
    session = Session()
    result = session.open([*stack.files.items(), ("seg.dcm", data)])
    ct = next(i for i, s in enumerate(result["series"]) if s["modality"] == "CT")
    return session, ct, result


def label_map_seg(by_uid: bool = True) -> tuple[segs.Stack, np.ndarray, bytes, Any]:
    """The generated CT, the label array of its first two slices, the label map's bytes
    and data set (segments A, red, and B, purple)."""
    stack = segs.ct_stack()
    labels = _labels()
    data, ds = segs.seg_bytes(
        stack,
        [(0, 0, labels[0]), (0, 1, labels[1])],
        [("A", RED), ("B", PURPLE)],
        labelmap=True,
        by_uid=by_uid,
    )
    return stack, labels, data, ds


@pytest.mark.parametrize("by_uid", [True, False])
def test_label_map_segments_drawn_from_their_pixel_values(by_uid: bool) -> None:
    stack, labels, data, ds = label_map_seg(by_uid)
    assert pydicom.dcmread(io.BytesIO(data)).SOPClassUID == segs.LABELMAP_CLASS
    session, ct, result = _open(stack, data)
    listed = result["series"][ct]["segmentations"]
    assert [s["label"] for s in listed[0]["segments"]] == ["A", "B"]
    assert listed[0]["frames"] == [0, 1]
    uid = str(ds.SOPInstanceUID)
    shown = [{"uid": uid, "visible": True, "opacity": 1.0}]
    for k in range(2):
        info, rgba = session.segment_layer(ct, k, shown)
        assert np.array_equal(rgba[..., 3] > 0, labels[k] > 0)
        assert np.all(np.abs(rgba[labels[k] == 1][:, :3] - lab_expected(RED)) <= 1)
        assert np.all(np.abs(rgba[labels[k] == 2][:, :3] - lab_expected(PURPLE)) <= 1)
        assert sorted(s["label"] for s in info["segments"]) == ["A", "B"]
        _, only_a = session.segment_layer(ct, k, [{**shown[0], "hidden": [2]}])
        assert np.array_equal(only_a[..., 3] > 0, labels[k] == 1)
    _, none = session.segment_layer(ct, 2, shown)
    assert not none[..., 3].any()
    stats = {s["label"]: s for s in session.segment_statistics(ct, uid)}
    hu = [d.pixel_array.astype(float) - 1024 for d in stack.datasets]
    for number, label in ((1, "A"), (2, "B")):
        where = labels[:2] == number
        assert stats[label]["voxels"] == where.sum()
        assert stats[label]["volumeMl"] == pytest.approx(where.sum() * 0.5 * 0.5 * 2 / 1000)
        values = np.concatenate([hu[k][where[k]] for k in range(2)])
        assert stats[label]["mean"] == pytest.approx(values.mean())


def _own_grid_seg() -> tuple[segs.Stack, np.ndarray, bytes, str]:
    stack = segs.ct_stack()
    grid = segs.Grid(spacing=(1.0, 1.0), shape=(8, 10), offset=(1.25, 0.75, 0.3))
    masks = np.zeros((2, 8, 10))
    masks[0, 1:4, 2:6] = 1
    masks[1, 3:7, 0:3] = 1
    masks[1, 0, 9] = 1
    data, ds = segs.seg_bytes(
        stack, [(1, 0, masks[0]), (1, 1, masks[1])], [("A", RED)], by_uid=False, grid=grid
    )
    return stack, masks, data, str(ds.SOPInstanceUID)


def _expected_on_slice(mask: np.ndarray) -> np.ndarray:
    want = np.zeros((12, 16), bool)
    for r in range(12):
        for c in range(16):
            i = math.floor((0.5 * r - 0.75) / 1.0 + 0.5)
            j = math.floor((0.5 * c - 1.25) / 1.0 + 0.5)
            if 0 <= i < 8 and 0 <= j < 10:
                want[r, c] = bool(mask[i, j])
    return want


def test_seg_on_its_own_grid_resampled_onto_each_slice() -> None:
    stack, masks, data, uid = _own_grid_seg()
    session, ct, result = _open(stack, data)
    assert result["series"][ct]["segmentations"][0]["frames"] == [0, 1]
    shown = [{"uid": uid, "visible": True, "opacity": 1.0}]
    for k in range(2):
        info, rgba = session.segment_layer(ct, k, shown)
        want = _expected_on_slice(masks[k])
        assert want.any()
        assert np.array_equal(rgba[..., 3] == 255, want) and not rgba[~want, 3].any()
        assert np.all(np.abs(rgba[want][:, :3] - lab_expected(RED)) <= 1)
        assert [s["label"] for s in info["segments"]] == ["A"]
    _, none = session.segment_layer(ct, 2, shown)
    assert not none[..., 3].any()  # no SEG frame within 1 mm of z = 4


def test_seg_on_its_own_grid_on_a_coronal_plane() -> None:
    stack, masks, data, uid = _own_grid_seg()
    session, ct, _ = _open(stack, data)
    settings = [{"uid": uid, "visible": True, "opacity": 1.0, "hidden": []}]
    coronal = _coronal(2.5, 3, 16)  # y = 2.5 mm: image row 5
    _, rgba = session.plane_layer(ct, coronal, settings)
    want = np.array([_expected_on_slice(masks[k])[5] for k in range(2)] + [np.zeros(16, bool)])
    assert want.any()
    assert np.array_equal(rgba[..., 3] == 255, want) and not rgba[~want, 3].any()


def test_statistics_of_a_seg_on_its_own_grid_count_the_image_voxels() -> None:
    stack, masks, data, uid = _own_grid_seg()
    session, ct, _ = _open(stack, data)
    [stats] = session.segment_statistics(ct, uid)
    want = [_expected_on_slice(masks[k]) for k in range(2)]
    voxels = sum(int(w.sum()) for w in want)
    hu = [d.pixel_array.astype(float) - 1024 for d in stack.datasets]
    assert stats["voxels"] == voxels
    assert stats["volumeMl"] == pytest.approx(voxels * 0.5 * 0.5 * 2.0 / 1000)
    values = np.concatenate([hu[k][want[k]] for k in range(2)])
    assert stats["mean"] == pytest.approx(values.mean())


LABELMAPS = CORPUS / "seg" / "dcmqi" / "segmentations"


@pytest.mark.parametrize("name", ["sparse-labelmap-noppv.dcm", "sparse-labelmap-ppv5.dcm"])
def test_corpus_label_maps_on_the_slices_they_name(name: str) -> None:
    """dcmqi's sparse label maps (segments 0 "Background" and 1 "Liver", two frames over
    the three-slice CT): each segment where pydicom's pixel_array holds its number, on
    the slice its Referenced SOP Instance UID names; the third slice has none."""
    images = sorted((LABELMAPS / "24x38x3" / "image").glob("*.dcm"))
    path = LABELMAPS / name
    session = Session()
    result = session.open([(str(p), p.read_bytes()) for p in [*images, path]])
    ct = next(i for i, s in enumerate(result["series"]) if s["modality"] == "CT")
    seg = pydicom.dcmread(path)
    labels = seg.pixel_array
    by_uid = {
        item.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID: k
        for k, item in enumerate(seg.PerFrameFunctionalGroupsSequence)
    }
    listed = result["series"][ct]["segmentations"][0]
    assert [s["label"] for s in listed["segments"]] == ["Background", "Liver"]
    only_liver = [{"uid": seg.SOPInstanceUID, "opacity": 1.0, "hidden": [0]}]
    placed = 0
    for frame in range(result["series"][ct]["frames"]):
        ref = session.frame_ref(ct, frame)
        uid = session.files[ref.file].header.dataset.SOPInstanceUID
        _, rgba = session.segment_layer(ct, frame, only_liver)
        _, both = session.segment_layer(ct, frame, [{**only_liver[0], "hidden": []}])
        if uid not in by_uid:
            assert not both[..., 3].any()
            continue
        placed += 1
        assert np.array_equal(rgba[..., 3] > 0, labels[by_uid[uid]] == 1)
        assert (both[..., 3] == 255).all()  # every pixel is Background or Liver
    assert placed == 2


def test_pixel_padding_value_is_background() -> None:
    """A label map whose Pixel Padding Value is 2: segment B's pixels are background."""
    stack, labels, _, ds = label_map_seg()
    ds.PixelPaddingValue = 2
    session, ct, _ = _open(stack, to_bytes(ds))
    shown = [{"uid": ds.SOPInstanceUID, "visible": True, "opacity": 1.0}]
    _, rgba = session.segment_layer(ct, 0, shown)
    assert np.array_equal(rgba[..., 3] > 0, labels[0] == 1)
