"""lightbox.ingest.dicomdir: the record tree read from bytes.

The truth for pydicom's bundled DICOMDIRs is pydicom itself: ``FileSet`` loaded
from the files on disk (which it may do here, in a test) and the referenced
files' own headers.
"""

from __future__ import annotations

import io
import random
import struct
import warnings
from collections import Counter
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.fileset import FileSet

from lightbox.core.errors import InvalidDicomError
from lightbox.ingest import dicomdir as dd
from lightbox.ingest.reconcile import reconcile
from tests.support import discs
from tests.support.factories import PYDICOM_TEST_FILES

TREES = PYDICOM_TEST_FILES / "dicomdirtests"
VARIANTS = ["DICOMDIR", "DICOMDIR-bigEnd", "DICOMDIR-implicit", "DICOMDIR-reordered"]
VARIANTS += ["DICOMDIR-nooffset", "TINY_ALPHA/DICOMDIR"]


def _read(name: str, folder: str = "disc") -> dd.DicomDir:
    return dd.read_dicomdir(f"{folder}/{name}", (TREES / name).read_bytes())


def _fileset(name: str) -> FileSet:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # big endian DICOMDIR: pydicom warns it would rewrite it
        return FileSet(TREES / name)


def _walk(records):
    for record in records:
        yield record
        yield from _walk(record.children)


def _record_offsets(data: bytes) -> list[int]:
    ds = pydicom.dcmread(io.BytesIO(data))
    return [item.seq_item_tell for item in ds.DirectoryRecordSequence]


def _patch_ul(data: bytes, at: int, tag: tuple[int, int], value: int) -> bytes:
    """Overwrite an explicit VR little endian UL element starting at ``at``; check its tag."""
    assert struct.unpack_from("<2H2s", data, at) == (*tag, b"UL")
    out = bytearray(data)
    struct.pack_into("<I", out, at + 8, value)
    return bytes(out)


# -- is it a DICOMDIR ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*VARIANTS, "DICOMDIR-empty.dcm", "DICOMDIR-nopatient"])
def test_is_dicomdir_from_bytes(name):
    data = (TREES / name).read_bytes()
    assert dd.is_dicomdir(data)
    assert dd.is_dicomdir(pydicom.dcmread(io.BytesIO(data)))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param((PYDICOM_TEST_FILES / "CT_small.dcm").read_bytes(), id="ct"),
        pytest.param((PYDICOM_TEST_FILES / "ExplVR_LitEndNoMeta.dcm").read_bytes(), id="no-meta"),
        pytest.param(discs.pdf_bytes(), id="pdf"),
        pytest.param(b"", id="empty"),
        pytest.param(bytes(128) + b"DICM", id="marker-only"),
    ],
)
def test_is_dicomdir_false_for_other_bytes(data):
    assert not dd.is_dicomdir(data)


def test_is_dicomdir_for_datasets():
    ct = pydicom.dcmread(PYDICOM_TEST_FILES / "CT_small.dcm", stop_before_pixels=True)
    assert not dd.is_dicomdir(ct)
    bare = Dataset()
    bare.DirectoryRecordSequence = []
    assert dd.is_dicomdir(bare)  # no file meta: the directory sequence decides
    assert not dd.is_dicomdir(Dataset())


def test_read_dicomdir_refuses_other_files():
    with pytest.raises(InvalidDicomError) as info:
        dd.read_dicomdir("CD/IM1", (PYDICOM_TEST_FILES / "CT_small.dcm").read_bytes())
    assert info.value.name == "CD/IM1"
    assert (
        "not a DICOMDIR" in info.value.reason and "1.2.840.10008.5.1.4.1.1.2" in info.value.reason
    )


# -- the tree --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", VARIANTS)
def test_entries_are_the_files_pydicom_finds(name):
    ours = _read(name)
    root = (TREES / name).parent
    expected = {
        (Path(i.path).relative_to(root).as_posix(), i.SOPInstanceUID) for i in _fileset(name)
    }
    assert {(e.file, e.sop_instance_uid) for e in ours.entries} == expected
    assert len(ours.entries) == len(expected)
    assert ours.problems == ()


@pytest.mark.parametrize("name", VARIANTS)
def test_entry_labels_agree_with_the_files_they_reference(name):
    root = (TREES / name).parent
    for entry in _read(name).entries:
        ds = pydicom.dcmread(root / entry.file, stop_before_pixels=True)
        assert entry.sop_instance_uid == ds.SOPInstanceUID
        assert entry.labels.patient_id == ds.PatientID
        assert entry.labels.study_uid == ds.StudyInstanceUID
        assert entry.labels.series_uid == ds.SeriesInstanceUID
        assert entry.labels.modality == ds.Modality


def test_the_tree_holds_every_record_by_type():
    data = (TREES / "DICOMDIR").read_bytes()
    raw = pydicom.dcmread(io.BytesIO(data))
    expected = Counter(item.DirectoryRecordType for item in raw.DirectoryRecordSequence)
    tree = dd.read_dicomdir("DICOMDIR", data)
    assert Counter(r.kind for r in _walk(tree.records)) == expected
    assert [r.kind for r in tree.records] == ["PATIENT", "PATIENT"]
    assert {r.kind for r in tree.records[0].children} == {"STUDY"}
    # the labels of a PATIENT are its own, not repeated below
    assert tree.records[0].labels.patient_name == "Doe^Archibald"
    assert tree.records[0].children[0].labels.patient_name == ""


@pytest.mark.parametrize("name", VARIANTS[1:5])
def test_encodings_and_record_orders_give_the_same_entries(name):
    assert _read(name).entries == _read("DICOMDIR").entries


def test_paths_are_relative_to_the_dicomdir_folder():
    tree = _read("TINY_ALPHA/DICOMDIR", folder="drop/cd")
    assert tree.folder == "drop/cd/TINY_ALPHA"
    assert tree.fileset_id == "TINY ALPHA"
    first = tree.entries[0]
    assert first.file == "PT000000/ST000000/SE000000/IM000000"
    assert first.path == "drop/cd/TINY_ALPHA/PT000000/ST000000/SE000000/IM000000"
    assert first.file_id == "PT000000\\ST000000\\SE000000\\IM000000"


def test_an_empty_dicomdir():
    tree = _read("DICOMDIR-empty.dcm")
    assert (tree.records, tree.entries, tree.problems) == ((), (), ())


def test_records_no_offset_reaches_from_the_root_are_kept():
    # DICOMDIR-nopatient: the root offset points at an IMAGE; the rest hangs off
    # a record of type UNKNOWN that nothing points at.
    tree = _read("DICOMDIR-nopatient")
    assert len(tree.entries) == len(_read("DICOMDIR").entries)
    assert "not linked from the root" in tree.problems[0]
    labelled = [e for e in tree.entries if e.labels.series_uid]
    assert len(labelled) == len(tree.entries) - 1  # all but the one the root points at


def test_a_broken_root_offset_falls_back_to_record_order():
    data = (TREES / "DICOMDIR").read_bytes()
    ds = pydicom.dcmread(io.BytesIO(data))
    at = ds["OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity"].file_tell - 8
    broken = dd.read_dicomdir("DICOMDIR", _patch_ul(data, at, (0x0004, 0x1200), 12345))
    assert "offsets are broken" in broken.problems[0] and "12345" in broken.problems[0]
    assert broken.entries == _read("DICOMDIR", folder="").entries


def test_a_loop_in_the_offsets_falls_back_to_record_order():
    data = (TREES / "DICOMDIR").read_bytes()
    offsets = _record_offsets(data)
    # the first IMAGE's "next" points back at the first PATIENT
    at = offsets[3] + 8  # item tag and length, then (0004,1400) Offset of the Next Record
    looped = dd.read_dicomdir("DICOMDIR", _patch_ul(data, at, (0x0004, 0x1400), offsets[0]))
    assert "loops back" in looped.problems[0]
    assert looped.entries == _read("DICOMDIR", folder="").entries


def test_a_chain_deeper_than_any_hierarchy_falls_back_to_record_order():
    data = (TREES / "DICOMDIR").read_bytes()
    offsets = _record_offsets(data)
    for here, following in zip(offsets, offsets[1:] + [0], strict=True):
        data = _patch_ul(data, here + 8, (0x0004, 0x1400), 0)  # no next record
        data = _patch_ul(data, here + 30, (0x0004, 0x1420), following)  # the next one is a child
    chained = dd.read_dicomdir("DICOMDIR", data)
    assert "nest more than 16 deep" in chained.problems[0]
    assert chained.entries == _read("DICOMDIR", folder="").entries


def test_inactive_records_are_left_out():
    data = bytearray((TREES / "DICOMDIR").read_bytes())
    at = _record_offsets(bytes(data))[3] + 8 + 12  # (0004,1410) Record In-use Flag
    assert struct.unpack_from("<2H2sH", data, at) == (0x0004, 0x1410, b"US", 2)
    struct.pack_into("<H", data, at + 8, 0x0000)
    tree = dd.read_dicomdir("DICOMDIR", bytes(data))
    full = _read("DICOMDIR", folder="")
    assert len(tree.entries) == len(full.entries) - 1
    assert full.entries[0] not in tree.entries


def test_damaged_dicomdirs_are_read_or_refused_never_crash():
    data = (TREES / "DICOMDIR").read_bytes()
    rng = random.Random(5)
    refused = 0
    cases = [data[:cut] for cut in range(0, len(data), 211)]
    for _ in range(80):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            damaged[rng.randrange(132, len(damaged))] = rng.randrange(256)
        cases.append(bytes(damaged))
    for case in cases:
        try:
            tree = dd.read_dicomdir("CD/DICOMDIR", case)
        except InvalidDicomError as exc:
            assert exc.name == "CD/DICOMDIR"
            refused += 1
            continue
        result = reconcile(tree, ["CD/77654033/CR1/6154"])
        assert len(result.matches) + len(result.missing) + len(result.rejected) == len(tree.entries)
    assert 0 < refused < len(cases)  # some are refused, most still give a tree
