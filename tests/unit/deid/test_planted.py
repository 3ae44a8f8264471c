"""The planted-marker files of :mod:`tests.support.planted` hold what they claim."""

from __future__ import annotations

import io

from pydicom import dcmread
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from tests.support.factories import image_dataset
from tests.support.planted import (
    MARKERS,
    PLANTED_NAME,
    UID_ROOT,
    planted_bytes,
    study_items,
    with_command_group,
)


def test_planted_file_holds_every_marker():
    data = planted_bytes()
    missing = {k for k, m in MARKERS.items() if m.encode() not in data}
    assert missing == {"file_name"}  # the file name is not inside the file
    assert MARKERS["file_name"] in PLANTED_NAME


def test_planted_file_reads_back_with_its_nesting():
    ds = dcmread(io.BytesIO(planted_bytes()))
    level3 = ds.AnatomicRegionSequence[0].AnatomicRegionModifierSequence[0]
    assert level3.PrimaryAnatomicStructureModifierSequence[0].PatientID == "MKNEST3ID"
    assert ds.file_meta.SourceApplicationEntityTitle == "MKSRCAE"


def test_command_group_file_reads_back():
    ds = image_dataset()
    ds.add_new(0x00001000, "UI", UID_ROOT + "9")
    read = dcmread(io.BytesIO(with_command_group(ds)))
    assert read[0x00001000].value == UID_ROOT + "9"
    assert read.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian


def test_study_items_reference_the_first_series():
    items = study_items()
    derived = dcmread(io.BytesIO(items[-1][1]))
    first = dcmread(io.BytesIO(items[0][1]))
    assert derived.SourceImageSequence[0].ReferencedSOPInstanceUID == first.SOPInstanceUID
    assert isinstance(first.file_meta, FileMetaDataset)
