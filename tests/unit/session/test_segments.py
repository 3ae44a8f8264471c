"""Segmentations in the session: each SEG frame's mask lands on the image it names.

Where a mask belongs is worked out here with pydicom from the SEG's own sequences (the
Referenced SOP Instance UID of each frame's Derivation Image Sequence, or the frame's
Image Position (Patient) equal to the image's); the mask is pydicom's ``pixel_array``;
colours follow the CIELab formula of tests/unit/segment/test_color.py; the statistics
are voxel count × 0.5 × 0.5 × 2 mm³ and the mean HU computed from pydicom's pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from lightbox.session.session import Session
from tests.support import segs
from tests.support.factories import enhanced_dataset
from tests.support.paths import CORPUS
from tests.unit.segment.test_color import expected as lab_expected
from tools.synth import to_bytes

DCMQI = CORPUS / "seg" / "dcmqi" / "segmentations" / "24x38x3"
PHANTOM = CORPUS / "seg" / "mirp" / "ibsi_1_digital_phantom" / "dicom"


def _open(paths: list[Path]) -> tuple[Session, dict]:
    session = Session()
    result = session.open([(str(p), p.read_bytes()) for p in paths])
    return session, result


def _series_of(result: dict, modality: str) -> int:
    return next(i for i, s in enumerate(result["series"]) if s["modality"] == modality)


def test_dcmqi_seg_lands_on_the_ct_slices_it_names() -> None:
    images = sorted((DCMQI / "image").glob("*.dcm"))
    seg_path = DCMQI / "seg" / "label.seg"
    session, result = _open([*images, seg_path])
    ct = _series_of(result, "CT")
    listed = result["series"][ct]["segmentations"]
    assert [s["label"] for s in listed[0]["segments"]] == ["Liver"]
    seg = pydicom.dcmread(seg_path)
    assert result["series"][ct]["objects"] == [
        {
            "kind": "SEG",
            "uid": seg.SOPInstanceUID,
            "seriesUid": seg.SeriesInstanceUID,
            "label": seg.SeriesDescription,
        }
    ]
    lab = tuple(seg.SegmentSequence[0].RecommendedDisplayCIELabValue)
    color = np.array(listed[0]["segments"][0]["color"], float)
    assert np.all(np.abs(color - lab_expected(lab)) <= 1)
    masks = seg.pixel_array
    by_uid = {
        item.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID: k
        for k, item in enumerate(seg.PerFrameFunctionalGroupsSequence)
    }
    drawn_somewhere = 0
    for frame, file in enumerate(result["series"][ct]["files"]):
        del file
        ref = session.frame_ref(ct, frame)
        uid = session.files[ref.file].header.dataset.SOPInstanceUID
        info, rgba = session.segment_layer(ct, frame, [])
        want = masks[by_uid[uid]].astype(bool)
        assert np.array_equal(rgba[..., 3] > 0, want)
        assert np.all(rgba[want][:, 3] == 128)  # opacity 0.5 by default
        assert np.all(rgba[want][:, :3] == color.astype(np.uint8))
        assert [s["label"] for s in info["segments"]] == ["Liver"]
        drawn_somewhere += int(want.sum())
    assert drawn_somewhere == int(masks.sum())


def test_phantom_seg_placed_by_frame_of_reference_and_position() -> None:
    image = PHANTOM / "image" / "phantom.dcm"
    mask = PHANTOM / "mask" / "mask.dcm"
    session, result = _open([image, mask])
    mr = _series_of(result, "MR")
    seg = pydicom.dcmread(mask)
    img = pydicom.dcmread(image)
    masks = seg.pixel_array
    seg_at = [
        tuple(float(v) for v in i.PlanePositionSequence[0].ImagePositionPatient)
        for i in seg.PerFrameFunctionalGroupsSequence
    ]
    for frame in range(result["series"][mr]["frames"]):
        ref = session.frame_ref(mr, frame)
        item = img.PerFrameFunctionalGroupsSequence[ref.index]
        at = tuple(float(v) for v in item.PlanePositionSequence[0].ImagePositionPatient)
        _, rgba = session.segment_layer(mr, frame, [])
        want = masks[seg_at.index(at)].astype(bool)
        assert np.array_equal(rgba[..., 3] > 0, want)


def _two_segments(by_uid: bool, fractional: bool = False) -> tuple[Session, int, dict, str]:
    stack = segs.ct_stack()
    a = np.zeros((12, 16))
    a[2:5, 3:9] = 1
    b = np.zeros((12, 16))
    b[4:8, 6:12] = 1
    frames = [(1, 0, a), (2, 0, b), (1, 1, a)]
    if fractional:
        frames = [(1, 0, a * 0.6), (2, 0, b), (1, 1, a)]
    data, ds = segs.seg_bytes(
        stack,
        frames,
        [("A", (21169, 53249, 50708)), ("B", (45062, 38660, 25486))],
        by_uid=by_uid,
        fractional=fractional,
    )
    session = Session()
    result = session.open([*stack.files.items(), ("seg.dcm", data)])
    ct = _series_of(result, "CT")
    masks = {"a": a, "b": b, "stack": stack}
    return session, ct, masks, str(ds.SOPInstanceUID)


@pytest.mark.parametrize("by_uid", [True, False])
def test_two_segments_overlap_and_settings(by_uid: bool) -> None:
    session, ct, known, uid = _two_segments(by_uid)
    a, b = known["a"].astype(bool), known["b"].astype(bool)
    red = lab_expected((21169, 53249, 50708))
    purple = lab_expected((45062, 38660, 25486))
    _, rgba = session.segment_layer(ct, 0, [{"uid": uid, "visible": True, "opacity": 1.0}])
    assert np.array_equal(rgba[..., 3] > 0, a | b)
    # segment 2 is drawn over segment 1 at opacity 1: its colour where both are
    assert np.all(np.abs(rgba[b][:, :3] - purple) <= 1)
    assert np.all(np.abs(rgba[a & ~b][:, :3] - red) <= 1)
    hidden = [{"uid": uid, "visible": True, "opacity": 1.0, "hidden": [2]}]
    _, rgba = session.segment_layer(ct, 0, hidden)
    assert np.array_equal(rgba[..., 3] > 0, a)
    _, rgba = session.segment_layer(ct, 0, [{"uid": uid, "visible": False, "opacity": 1.0}])
    assert not rgba[..., 3].any()
    _, rgba = session.segment_layer(ct, 2, [])
    assert not rgba[..., 3].any()  # no SEG frame lies on the third slice


def test_fractional_alpha_is_fraction_times_opacity() -> None:
    session, ct, known, uid = _two_segments(True, fractional=True)
    a = known["a"].astype(bool)
    b = known["b"].astype(bool)
    _, rgba = session.segment_layer(ct, 0, [{"uid": uid, "opacity": 0.5, "hidden": [2]}])
    fraction = round(0.6 * 255) / 255
    assert np.all(np.abs(rgba[a][:, 3].astype(float) - fraction * 0.5 * 255) <= 1)
    assert not rgba[b & ~a][:, 3].any()


def test_statistics_volume_and_mean() -> None:
    session, ct, known, uid = _two_segments(True)
    stack = known["stack"]
    stats = {s["label"]: s for s in session.segment_statistics(ct, uid)}
    a, b = known["a"].astype(bool), known["b"].astype(bool)
    hu = [ds.pixel_array.astype(float) * 1.0 - 1024 for ds in stack.datasets]
    assert stats["A"]["voxels"] == 2 * a.sum()
    assert stats["A"]["volumeMl"] == pytest.approx(2 * a.sum() * 0.5 * 0.5 * 2.0 / 1000)
    assert stats["A"]["mean"] == pytest.approx(np.concatenate([hu[0][a], hu[1][a]]).mean())
    assert stats["B"]["volumeMl"] == pytest.approx(b.sum() * 0.5 * 0.5 * 2.0 / 1000)
    assert stats["B"]["mean"] == pytest.approx(hu[0][b].mean())


def test_a_seg_whose_segments_are_missing_opens_with_the_reason() -> None:
    stack = segs.ct_stack()
    a = np.ones((12, 16))
    _, ds = segs.seg_bytes(stack, [(1, 0, a)], [("A", None)])
    del ds.SegmentSequence
    session = Session()
    result = session.open([*stack.files.items(), ("broken-seg.dcm", to_bytes(ds))])
    seg = next(s for s in result["series"] if s["modality"] == "SEG")
    assert seg["warnings"] == [
        {
            "file": "broken-seg.dcm",
            "reason": "a segmentation without a Segment Sequence (0062,0002)",
        }
    ]
    ct = _series_of(result, "CT")
    assert result["series"][ct]["segmentations"] == []


def test_frames_of_a_multiframe_image_named_by_frame_number() -> None:
    """A SEG naming frames 3 and 1 of an enhanced multi-frame image (Referenced Frame
    Number), without positions: each mask lands on the frame it names."""
    image = enhanced_dataset(np.zeros((4, 12, 16), np.uint16))
    stack = segs.ct_stack()
    a = np.zeros((12, 16))
    a[1:3, 1:4] = 1
    b = np.zeros((12, 16))
    b[6:9, 10:15] = 1
    _, ds = segs.seg_bytes(stack, [(1, 0, a), (1, 1, b)], [("A", None)])
    ds.FrameOfReferenceUID = "1.2.3.4.5"  # nowhere else: only the frame numbers place them
    for item, number in zip(ds.PerFrameFunctionalGroupsSequence, [3, 1], strict=True):
        source = item.DerivationImageSequence[0].SourceImageSequence[0]
        source.ReferencedSOPInstanceUID = image.SOPInstanceUID
        source.ReferencedFrameNumber = number
        del item.PlanePositionSequence
    session = Session()
    result = session.open([("mf.dcm", to_bytes(image)), ("seg.dcm", to_bytes(ds))])
    mf = next(i for i, s in enumerate(result["series"]) if s["modality"] != "SEG")
    by_index = {session.frame_ref(mf, f).index: f for f in range(4)}
    for index, want in [(2, a), (0, b), (1, None), (3, None)]:
        _, rgba = session.segment_layer(mf, by_index[index], [])
        if want is None:
            assert not rgba[..., 3].any()
        else:
            assert np.array_equal(rgba[..., 3] > 0, want.astype(bool))
