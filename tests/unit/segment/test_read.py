"""Reading SEG objects against pydicom's own reading of the same files.

The masks are pydicom's ``Dataset.pixel_array`` of the SEG (bits unpacked; a fractional
value divided by Maximum Fractional Value); the segments and the images each frame names
are read here from the data set's sequences with pydicom, not through the code.
"""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest

from lightbox.segment.read import is_segmentation, read_masks, read_segmentation
from tests.support import segs
from tests.support.paths import CORPUS

SEGS = [
    "seg/dcmqi/segmentations/24x38x3/seg/label.seg",
    "seg/dcmqi/segmentations/23x38x3/seg/label.seg",
    "seg/dcmqi/segmentations/partial_overlaps.dcm",
    "seg/mirp/ibsi_1_digital_phantom/dicom/mask/mask.dcm",
    "seg/mirp/dce_images_mr/UCSF-BR-06/mask/1-1.dcm",
    "sr/dcmqi/sr-example/seg.dcm",
]


@pytest.mark.parametrize("relative", SEGS)
def test_corpus_masks_are_pydicoms_pixel_array(relative: str) -> None:
    ds = pydicom.dcmread(CORPUS / relative)
    assert is_segmentation(ds)
    masks = read_masks(relative, ds)
    expected = ds.pixel_array.reshape(int(ds.NumberOfFrames), ds.Rows, ds.Columns)
    if ds.SegmentationType == "FRACTIONAL":
        expected = expected / float(ds.MaximumFractionalValue)
    assert masks.shape == expected.shape
    assert np.allclose(masks, expected, atol=1e-6)
    assert masks.max() > 0


@pytest.mark.parametrize("relative", SEGS)
def test_corpus_frames_name_their_segment_and_source(relative: str) -> None:
    ds = pydicom.dcmread(CORPUS / relative)
    record = read_segmentation(relative, ds)
    assert [s.number for s in record.segments] == [s.SegmentNumber for s in ds.SegmentSequence]
    assert [s.label for s in record.segments] == [s.SegmentLabel for s in ds.SegmentSequence]
    shared = ds.SharedFunctionalGroupsSequence[0]
    for frame, item in zip(record.frames, ds.PerFrameFunctionalGroupsSequence, strict=True):
        assert frame.segment == item.SegmentIdentificationSequence[0].ReferencedSegmentNumber
        assert frame.position == pytest.approx(
            [float(v) for v in item.PlanePositionSequence[0].ImagePositionPatient]
        )
        derivation = item.get("DerivationImageSequence") or shared.get("DerivationImageSequence")
        if derivation:
            assert frame.sources[0][0] == (
                derivation[0].SourceImageSequence[0].ReferencedSOPInstanceUID
            )
        else:
            assert frame.sources == ()


def test_generated_two_segments_binary_and_fractional() -> None:
    stack = segs.ct_stack()
    a = np.zeros((12, 16))
    a[2:5, 3:9] = 1
    b = np.zeros((12, 16))
    b[4:8, 6:12] = 1
    data, _ = segs.seg_bytes(stack, [(1, 0, a), (2, 0, b), (1, 1, a)], [("A", None), ("B", None)])
    ds = pydicom.dcmread(io.BytesIO(data))
    record = read_segmentation("gen.dcm", ds)
    assert [(f.segment, f.sources[0][0]) for f in record.frames] == [
        (1, stack.datasets[0].SOPInstanceUID),
        (2, stack.datasets[0].SOPInstanceUID),
        (1, stack.datasets[1].SOPInstanceUID),
    ]
    assert record.pixel_spacing == (0.5, 0.5) and record.slice_spacing == 2.0
    masks = read_masks("gen.dcm", ds)
    assert np.array_equal(masks, np.stack([a, b, a]))
    half = a * 0.5
    data, _ = segs.seg_bytes(stack, [(1, 0, half)], [("A", None)], fractional=True)
    masks = read_masks("gen.dcm", pydicom.dcmread(io.BytesIO(data)))
    assert masks.shape == (1, 12, 16)
    assert np.allclose(masks[0], np.rint(half * 255) / 255)
