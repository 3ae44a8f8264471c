"""The shape of an export: neutral file names, the DICOMDIR, the ZIP.

Files are named ``DICOM/PT0001/ST0001/SE0001/IM0001``: nothing of the
original names or values. The DICOMDIR is written by pydicom's FileSet with
those names (PS3.10 8.5 File IDs: up to 8 components of up to 8 characters
from A-Z, 0-9 and _).
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomFileLike
from pydicom.fileset import (
    DIRECTORY_RECORDERS,
    FileInstance,
    FileSet,
    RecordNode,
    _four_level_record_type,  # pydicom is pinned (3.0.2); no public equivalent
    _single_level_record_type,
)
from pydicom.uid import generate_uid

from lightbox.core.tags import PIXEL_TAGS

#: ZIP entries carry a fixed time: the export reveals nothing of when it was made.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
ROOT = "DICOM"


@dataclass
class Namer:
    """Neutral names, numbered in order of first appearance, stable across resumed runs.

    ``names`` maps a key (the new patient ID, study and series UIDs, the new
    SOP Instance UID: no original value) to its File ID component or path.
    """

    names: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def _component(self, key: str, parent: str, prefix: str) -> str:
        if key not in self.names:
            number = self.counts.get(parent, 0) + 1
            self.counts[parent] = number
            self.names[key] = f"{prefix}{number:04d}"
        return self.names[key]

    def path(self, patient: str, study: str, series: str, sop: str) -> str:
        """``DICOM/PTnnnn/STnnnn/SEnnnn/IMnnnn`` for one instance (the same on every call)."""
        key = f"I|{sop}"
        if key not in self.names:
            pt = self._component(f"P|{patient}", "", "PT")
            st = self._component(f"S|{patient}|{study}", f"P|{patient}", "ST")
            se = self._component(f"E|{patient}|{study}|{series}", f"S|{patient}|{study}", "SE")
            im = self._component(key, f"E|{patient}|{study}|{series}", "IM")
            self.names[key] = f"{ROOT}/{pt}/{st}/{se}/{im}"
        return self.names[key]

    def to_json(self) -> dict[str, Any]:
        return {"names": self.names, "counts": self.counts}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Namer:
        return cls(dict(data.get("names", {})), dict(data.get("counts", {})))


class _Named(RecordNode):
    """A directory record whose File ID component Lightbox chooses (not pydicom's)."""

    def __init__(self, record: Dataset, component: str) -> None:
        self._key: str | None = None  # RecordNode's init reads the key
        super().__init__(record)
        self._component = component

    @property
    def component(self) -> str:
        return self._component

    @property
    def key(self) -> str:
        # Read once: FileSet compares a new record's key with every sibling's on each
        # addition, and the record does not change once made.
        if self._key is None:
            self._key = super().key
        return self._key


class _BulkFileSet(FileSet):
    """A FileSet that skips its search for a duplicate on every addition while ``adding``.

    ``FileSet.add_custom`` looks through every instance already added for the
    same SOP Instance UID, which makes a File-set of n files cost n² (30 s for
    2000 files); the export has unique UIDs already, so the search is skipped
    by showing it no instances while adding.
    """

    adding = False

    def __iter__(self) -> Iterator[FileInstance]:
        return iter(()) if self.adding else super().__iter__()


def _record(kind: str, ds: Dataset, keywords: Iterable[str]) -> Dataset:
    record = Dataset()
    record.DirectoryRecordType = kind
    if "SpecificCharacterSet" in ds:
        record.SpecificCharacterSet = ds.SpecificCharacterSet
    for keyword in keywords:
        if keyword in ds:
            setattr(record, keyword, ds[keyword].value)
    return record


def _leaf(ds: Dataset, kind: str) -> Dataset:
    try:
        record = DIRECTORY_RECORDERS[kind](ds)
    except (ValueError, KeyError, AttributeError):
        record = _record(kind, ds, ("InstanceNumber",))
    record.DirectoryRecordType = kind
    if "SpecificCharacterSet" in ds:
        record.SpecificCharacterSet = ds.SpecificCharacterSet
    record.ReferencedSOPInstanceUIDInFile = ds.SOPInstanceUID
    return record


def _nodes(ds: Dataset, file_id: str) -> RecordNode:
    """The record chain PATIENT ► STUDY ► SERIES ► leaf for one instance (PS3.3 F.5)."""
    root, patient, study, series, image = file_id.split("/")
    single = _single_level_record_type(ds)
    if single != "PATIENT":
        return _Named(_leaf(ds, single), file_id)
    top = _Named(_record("PATIENT", ds, ("PatientID", "PatientName")), f"{root}/{patient}")
    study_keys = ("StudyDate", "StudyTime", "StudyDescription", "StudyInstanceUID", "StudyID")
    mid = _Named(_record("STUDY", ds, (*study_keys, "AccessionNumber")), study)
    mid.parent = top
    low = _Named(_record("SERIES", ds, ("Modality", "SeriesInstanceUID", "SeriesNumber")), series)
    low.parent = mid
    leaf = _Named(_leaf(ds, _four_level_record_type(ds)), image)
    leaf.parent = low
    return leaf


def header_only(ds: Dataset) -> Dataset:
    """A copy of a dataset's elements without the pixel data, sharing its file meta."""
    out = Dataset({elem.tag: elem for elem in ds if int(elem.tag) not in PIXEL_TAGS})
    out.file_meta = FileMetaDataset(ds.file_meta)
    return out


def _stub(ds: Dataset) -> Dataset:
    """What FileSet needs to write in its scratch folder: the SOP identity, the File Meta."""
    stub = Dataset()
    stub.SOPClassUID, stub.SOPInstanceUID = ds.SOPClassUID, ds.SOPInstanceUID
    stub.file_meta = FileMetaDataset(ds.file_meta)
    return stub


def dicomdir(entries: Iterable[tuple[str, Dataset]]) -> bytes:
    """Write a DICOMDIR for ``(file ID, dataset)`` pairs with pydicom's FileSet.

    The records are made from the datasets; FileSet writes only stubs (into a
    temporary folder) beside the DICOMDIR, which references the File IDs
    given here.

    References
    ----------
    PS3.10 8 (DICOM File-set); PS3.3 F.5 (directory records).
    """
    fs = _BulkFileSet()
    fs.adding = True
    sources = []
    for file_id, ds in entries:
        fs.add_custom(_stub(ds), _nodes(ds, file_id))
        sources += [file_id, str(ds.get("SOPInstanceUID", ""))]
    fs.adding = False
    # The File-set's own UID from what it holds, not at random: the same export, the
    # same DICOMDIR bytes (issue 20 item 4).
    fs.UID = generate_uid(entropy_srcs=sources or ["empty"])
    # What FileSet.write does for a new File-set, less copying every stub into a folder
    # and reading the DICOMDIR back (half of its time): each record names its file, then
    # the DICOMDIR dataset is encoded, here into memory.
    for instance in fs:
        instance.node._record.ReferencedFileID = instance.FileID.split(os.path.sep)
    buffer = io.BytesIO()
    fs._write_dicomdir(DicomFileLike(buffer))
    return buffer.getvalue()


def write_zip(members: Iterable[tuple[str, bytes]]) -> bytes:
    """A deflated ZIP of ``(name, bytes)`` with fixed timestamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()
