"""A generated Key Object Selection document (PS3.3 A.35.4) flagging given images.

Its title is the Concept Name Code Sequence (DCM 113002 "For Referring Provider" by
default); each flagged image is an IMAGE content item with its Referenced SOP Sequence,
and all of them are listed in the Current Requested Procedure Evidence Sequence.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from tools.synth import to_bytes

KOS_CLASS = "1.2.840.10008.5.1.4.1.1.88.59"


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def kos_bytes(
    images: Sequence[Dataset],
    title: tuple[str, str] = ("113002", "For Referring Provider"),
    frames: Sequence[int] | None = None,
) -> tuple[bytes, Dataset]:
    """A KOS flagging ``images`` (with Referenced Frame Numbers ``frames`` on each, if
    given), in the first image's study."""
    first = images[0]
    sop = generate_uid()
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = KOS_CLASS
    ds.file_meta.MediaStorageSOPInstanceUID = sop
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = KOS_CLASS, sop
    ds.StudyInstanceUID = first.StudyInstanceUID
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "KO"
    ds.SeriesNumber = 900
    ds.InstanceNumber = 1
    ds.ContentDate, ds.ContentTime = "20261202", "030000"
    ds.PatientName = first.get("PatientName", "")
    ds.PatientID = first.get("PatientID", "")
    ds.ValueType = "CONTAINER"
    ds.ContinuityOfContent = "SEPARATE"
    ds.ConceptNameCodeSequence = [_code(title[0], "DCM", title[1])]
    template = Dataset()
    template.MappingResource, template.TemplateIdentifier = "DCMR", "2010"
    ds.ContentTemplateSequence = [template]
    content = []
    refs = []
    for image in images:
        ref = Dataset()
        ref.ReferencedSOPClassUID = image.SOPClassUID
        ref.ReferencedSOPInstanceUID = image.SOPInstanceUID
        if frames:
            ref.ReferencedFrameNumber = list(frames) if len(frames) > 1 else frames[0]
        item = Dataset()
        item.RelationshipType, item.ValueType = "CONTAINS", "IMAGE"
        item.ReferencedSOPSequence = [ref]
        content.append(item)
        plain = Dataset()
        plain.ReferencedSOPClassUID = image.SOPClassUID
        plain.ReferencedSOPInstanceUID = image.SOPInstanceUID
        refs.append(plain)
    ds.ContentSequence = content
    series = Dataset()
    series.SeriesInstanceUID = first.SeriesInstanceUID
    series.ReferencedSOPSequence = refs
    study = Dataset()
    study.StudyInstanceUID = first.StudyInstanceUID
    study.ReferencedSeriesSequence = [series]
    ds.CurrentRequestedProcedureEvidenceSequence = [study]
    return to_bytes(ds), ds
