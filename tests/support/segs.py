"""Generated segmentations over a generated CT stack, with known voxels.

:func:`ct_stack` makes a small axial CT series (Rows × Columns × slices, 0.5 × 0.5 mm
pixels 2 mm apart, Rescale −1024, stored values a ramp) in one Frame of Reference;
:func:`seg_bytes` a SEG over it whose frames are given masks, one per (segment, slice),
written with pydicom: BINARY (1 bit, packed) or FRACTIONAL (8 bits, Maximum Fractional
Value 255); each frame names its slice by SOP Instance UID in the Derivation Image
Sequence, or (``by_uid=False``) only by Image Position (Patient) in the Frame of Reference.
``labelmap=True`` writes a Label Map Segmentation (PS3.3 C.8.20.2): one 8-bit frame per
slice whose values are segment numbers. ``grid`` gives the SEG a pixel grid of its own
(pixel spacing, shape, an offset of its frames' positions from their slices').
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import pack_bits
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from tests.support.factories import image_dataset
from tools.synth import to_bytes

SEG_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
LABELMAP_CLASS = "1.2.840.10008.5.1.4.1.1.66.7"
CT_CLASS = "1.2.840.10008.5.1.4.1.1.2"
SPACING = (0.5, 0.5)
SLICE_MM = 2.0
ORIENTATION = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]


@dataclass(frozen=True)
class Grid:
    """A SEG's own pixel grid: pixel spacing (row, column mm), rows × columns, and the
    offset (mm) of each frame's Image Position (Patient) from its slice's."""

    spacing: tuple[float, float]
    shape: tuple[int, int]
    offset: tuple[float, float, float]


@dataclass
class Stack:
    """A generated CT stack: its files' bytes and what they hold."""

    files: dict[str, bytes]
    datasets: list[Dataset]
    frame_of_reference: str
    study_uid: str


def ct_stack(rows: int = 12, cols: int = 16, slices: int = 3) -> Stack:
    """An axial CT series, slice k at z = 2k mm, stored value (row × cols + col) × 10 + k."""
    study, series, frame_of_reference = generate_uid(), generate_uid(), generate_uid()
    files, datasets = {}, []
    for k in range(slices):
        stored = (np.arange(rows * cols, dtype=np.uint16).reshape(rows, cols) * 10 + k).astype(
            np.uint16
        )
        ds = image_dataset(
            stored,
            modality="CT",
            rescale=(1.0, -1024.0),
            series_uid=series,
            series_number=1,
            instance=k + 1,
            position=[0.0, 0.0, SLICE_MM * k],
            orientation=ORIENTATION,
        )
        ds.SOPClassUID = CT_CLASS
        ds.file_meta.MediaStorageSOPClassUID = CT_CLASS
        ds.StudyInstanceUID = study
        ds.FrameOfReferenceUID = frame_of_reference
        ds.PixelSpacing = list(SPACING)
        ds.SliceThickness = SLICE_MM
        ds.PatientName = "Seg^Phantom"
        ds.PatientID = "SEG-1"
        datasets.append(ds)
        files[f"ct{k + 1}.dcm"] = to_bytes(ds)
    return Stack(files, datasets, frame_of_reference, study)


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def seg_bytes(
    stack: Stack,
    frames: Sequence[tuple[int, int, np.ndarray]],
    segments: Sequence[tuple[str, Sequence[int] | None]],
    *,
    fractional: bool = False,
    by_uid: bool = True,
    labelmap: bool = False,
    grid: Grid | None = None,
) -> tuple[bytes, Dataset]:
    """A SEG over ``stack``: ``frames`` are (segment number, slice index, mask) with
    masks 0/1 (binary) or 0..1 (fractional), or in a label map (segment number ignored)
    the segment numbers; ``segments`` (label, CIELab or None)."""
    ref = stack.datasets[0]
    sop = generate_uid()
    sop_class = LABELMAP_CLASS if labelmap else SEG_CLASS
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = sop
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, sop
    ds.StudyInstanceUID = stack.study_uid
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = 100
    ds.SeriesDescription = "Generated segmentation"
    ds.Modality = "SEG"
    ds.PatientName, ds.PatientID = ref.PatientName, ref.PatientID
    ds.FrameOfReferenceUID = stack.frame_of_reference
    ds.ContentLabel = "SEGMENTATION"
    ds.SegmentationType = "LABELMAP" if labelmap else "FRACTIONAL" if fractional else "BINARY"
    if fractional:
        ds.SegmentationFractionalType = "PROBABILITY"
        ds.MaximumFractionalValue = 255
    ds.ImageType = ["DERIVED", "PRIMARY"]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = grid.shape if grid else (int(ref.Rows), int(ref.Columns))
    ds.NumberOfFrames = len(frames)
    ds.BitsAllocated = ds.BitsStored = 8 if fractional or labelmap else 1
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 0
    ds.LossyImageCompression = "00"
    items = []
    for number, (label, lab) in enumerate(segments, start=1):
        item = Dataset()
        item.SegmentNumber = number
        item.SegmentLabel = label
        item.SegmentAlgorithmType = "MANUAL"
        item.SegmentedPropertyCategoryCodeSequence = [_code("T-D0050", "SRT", "Tissue")]
        item.SegmentedPropertyTypeCodeSequence = [_code("T-D0050", "SRT", "Tissue")]
        if lab is not None:
            item.RecommendedDisplayCIELabValue = list(lab)
        items.append(item)
    ds.SegmentSequence = items
    shared = Dataset()
    measures = Dataset()
    measures.PixelSpacing = list(grid.spacing if grid else SPACING)
    measures.SliceThickness = SLICE_MM
    measures.SpacingBetweenSlices = SLICE_MM
    shared.PixelMeasuresSequence = [measures]
    orient = Dataset()
    orient.ImageOrientationPatient = ORIENTATION
    shared.PlaneOrientationSequence = [orient]
    ds.SharedFunctionalGroupsSequence = [shared]
    per = []
    for number, index, _ in frames:
        image = stack.datasets[index]
        group = Dataset()
        if not labelmap:
            ident = Dataset()
            ident.ReferencedSegmentNumber = number
            group.SegmentIdentificationSequence = [ident]
        plane = Dataset()
        shift = np.asarray(grid.offset if grid else (0.0, 0.0, 0.0))
        plane.ImagePositionPatient = [
            float(v) for v in np.asarray(image.ImagePositionPatient, float) + shift
        ]
        group.PlanePositionSequence = [plane]
        if by_uid:
            source = Dataset()
            source.ReferencedSOPClassUID = image.SOPClassUID
            source.ReferencedSOPInstanceUID = image.SOPInstanceUID
            derivation = Dataset()
            derivation.SourceImageSequence = [source]
            group.DerivationImageSequence = [derivation]
        per.append(group)
    ds.PerFrameFunctionalGroupsSequence = per
    masks = np.stack([np.asarray(m, np.float64) for _, _, m in frames])
    if labelmap:
        ds.PixelData = masks.astype(np.uint8).tobytes()
    elif fractional:
        ds.PixelData = np.rint(masks * 255).astype(np.uint8).tobytes()
    else:
        ds.PixelData = pack_bits(masks.astype(np.uint8).ravel())
    return to_bytes(ds), ds
