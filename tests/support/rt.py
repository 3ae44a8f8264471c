"""Generated RT Structure Sets over a generated CT (issue 16 item 5)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from tests.support.segs import Stack
from tools.synth import to_bytes

RTSTRUCT_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"

#: (ROI number, name, colour, contours: each (geometric type, n × 3 points in mm))
Roi = tuple[int, str, Sequence[int], Sequence[tuple[str, np.ndarray]]]


def rtstruct_bytes(
    stack: Stack, rois: Sequence[Roi], label: str = "Planning"
) -> tuple[bytes, Dataset]:
    """An RT Structure Set over ``stack`` with ``rois``: (file bytes, dataset)."""
    ds = Dataset()
    sop = generate_uid()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = RTSTRUCT_CLASS
    ds.file_meta.MediaStorageSOPInstanceUID = sop
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = RTSTRUCT_CLASS
    ds.SOPInstanceUID = sop
    ds.StudyInstanceUID = stack.study_uid
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "RTSTRUCT"
    ds.PatientName = "Seg^Phantom"
    ds.PatientID = "SEG-1"
    ds.StructureSetLabel = label
    ds.StructureSetDate = "20240105"
    frame = Dataset()
    frame.FrameOfReferenceUID = stack.frame_of_reference
    ds.ReferencedFrameOfReferenceSequence = [frame]
    described, contoured = [], []
    for number, name, color, contours in rois:
        item = Dataset()
        item.ROINumber = number
        item.ROIName = name
        item.ReferencedFrameOfReferenceUID = stack.frame_of_reference
        described.append(item)
        roi = Dataset()
        roi.ReferencedROINumber = number
        roi.ROIDisplayColor = list(color)
        items = []
        for kind, points in contours:
            contour = Dataset()
            contour.ContourGeometricType = kind
            contour.NumberOfContourPoints = len(points)
            contour.ContourData = [f"{v:.4f}" for v in np.asarray(points, float).ravel()]
            items.append(contour)
        roi.ContourSequence = items
        contoured.append(roi)
    ds.StructureSetROISequence = described
    ds.ROIContourSequence = contoured
    return to_bytes(ds), ds


def even_odd(polygons: Sequence[np.ndarray], x: float, y: float) -> bool:
    """Whether (x, y) is inside ``polygons`` (each n × 2) by the even-odd rule: a ray to
    +x crosses an odd number of edges (the textbook crossing test, one point at a time)."""
    inside = False
    for poly in polygons:
        n = len(poly)
        for i in range(n):
            (x1, y1), (x2, y2) = poly[i], poly[(i + 1) % n]
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def distance_to_path(polygons: Sequence[np.ndarray], x: float, y: float) -> float:
    """The distance from (x, y) to the nearest edge of the closed ``polygons``."""
    best = np.inf
    for poly in polygons:
        for i in range(len(poly)):
            a, b = np.asarray(poly[i], float), np.asarray(poly[(i + 1) % len(poly)], float)
            t = np.clip(np.dot((x, y) - a, b - a) / np.dot(b - a, b - a), 0, 1)
            best = min(best, float(np.linalg.norm(a + t * (b - a) - (x, y))))
    return best


RTDOSE_CLASS = "1.2.840.10008.5.1.4.1.1.481.2"


def dose_bytes(
    stack: Stack,
    gy: np.ndarray,
    origin: Sequence[float],
    spacing: tuple[float, float],
    offsets: Sequence[float],
    scaling: float = 1e-4,
) -> tuple[bytes, Dataset]:
    """An RT Dose grid over ``stack``'s Frame of Reference: ``gy`` (frames, rows, columns)
    stored as uint32 / ``scaling``, axial, at ``origin`` with ``spacing`` (row, column)."""
    ds = Dataset()
    sop = generate_uid()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = RTDOSE_CLASS
    ds.file_meta.MediaStorageSOPInstanceUID = sop
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = RTDOSE_CLASS
    ds.SOPInstanceUID = sop
    ds.StudyInstanceUID = stack.study_uid
    ds.SeriesInstanceUID = generate_uid()
    ds.FrameOfReferenceUID = stack.frame_of_reference
    ds.Modality = "RTDOSE"
    ds.PatientName = "Seg^Phantom"
    ds.PatientID = "SEG-1"
    ds.DoseUnits = "GY"
    ds.DoseType = "PHYSICAL"
    ds.DoseSummationType = "PLAN"
    ds.ImagePositionPatient = [float(v) for v in origin]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = list(spacing)
    ds.GridFrameOffsetVector = [float(v) for v in offsets]
    ds.FrameIncrementPointer = 0x3004000C
    ds.DoseGridScaling = scaling
    stored = np.rint(np.asarray(gy) / scaling).astype(np.uint32)
    ds.NumberOfFrames, ds.Rows, ds.Columns = stored.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 32
    ds.HighBit = 31
    ds.PixelRepresentation = 0
    ds.PixelData = stored.astype("<u4").tobytes()
    return to_bytes(ds), ds
