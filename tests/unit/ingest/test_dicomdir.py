"""lightbox.ingest.dicomdir: the record tree read from bytes, references matched to a dropped tree.

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
from lightbox.ingest.archive import Member, expand
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


# -- Referenced File IDs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "path", "refused"),
    [
        pytest.param(["DICOM", "IM1"], "DICOM/IM1", "", id="components"),
        pytest.param("DICOM\\IM1", "DICOM/IM1", "", id="one-value-backslash"),
        pytest.param("DICOM/IM1", "DICOM/IM1", "", id="one-value-slash"),
        pytest.param(["IMAGES ", "IM1 "], "IMAGES/IM1", "", id="padded"),
        pytest.param(["dicom", "im1.dcm"], "dicom/im1.dcm", "", id="lowercase-kept"),
        pytest.param(["A", ".", "B"], "A/B", "", id="dot"),
        pytest.param(None, None, "", id="absent"),
        pytest.param([], None, "", id="empty"),
        pytest.param(["", "ETC", "PASSWD"], None, "root", id="absolute"),
        pytest.param(["..", "..", "ETC"], None, "goes up", id="dot-dot"),
        pytest.param(["DICOM", "..", "..", "X"], None, "goes up", id="dot-dot-inside"),
        pytest.param(["C:", "WINDOWS"], None, "drive", id="drive"),
        pytest.param("C:\\WINDOWS\\X", None, "drive", id="drive-in-one-value"),
        pytest.param(["IM1:STREAM"], None, "drive", id="colon"),
    ],
)
def test_file_path(value, path, refused):
    found, reason = dd.file_path(value)
    assert found == path
    if refused:
        assert refused in reason and "refused" in reason
    else:
        assert reason == ""


def _dicomdir_of(tree):
    return next((p, d) for p, d in tree if dd.is_dicomdir(d))


def _with_file_id(data: bytes, old: bytes, new: bytes) -> bytes:
    """Replace one Referenced File ID by another of the same encoded length."""
    assert data.count(old) == 1 and len(new) <= len(old)
    return data.replace(old, new.ljust(len(old)))  # CS pads with spaces


def test_a_reference_out_of_the_tree_is_refused_even_when_that_path_exists():
    tree = discs.cd_tree(root="drop/CD", extras=False, pdf_object=False)
    path, data = _dicomdir_of(tree)
    data = _with_file_id(
        data, b"PT000000\\ST000000\\SE000000\\IM000001", b"..\\..\\SECRET\\IM000001"
    )
    escaping = dd.read_dicomdir(path, data)
    (refused,) = [e for e in escaping.entries if e.problem]
    assert refused.file is None and refused.path is None
    assert "goes up" in refused.problem
    present = [p for p, _ in tree] + ["SECRET/IM000001", "drop/SECRET/IM000001"]
    result = dd.reconcile(escaping, present)
    assert result.rejected == (refused,)
    assert all(m.path != "drop/SECRET/IM000001" for m in result.matches)
    assert any("goes up" in note for note in result.notes())


# -- reconciling with what was dropped -------------------------------------------------------------


@pytest.fixture(scope="module")
def cd():
    return discs.cd_tree()


def test_every_reference_of_a_cd_is_found_exactly(cd):
    path, data = _dicomdir_of(cd)
    tree = dd.read_dicomdir(path, data)
    result = dd.reconcile(tree, [p for p, _ in cd])
    assert len(result.matches) == len(tree.entries) == 11  # 6 + 4 images and the PDF object
    assert {m.how for m in result.matches} == {"exact"}
    assert result.missing == () and result.rejected == ()
    assert sorted(result.unreferenced) == sorted(
        ["CD/VIEWER.EXE", "CD/AUTORUN.INF", "CD/README.HTM", "CD/REPORT.PDF"]
    )
    kinds = Counter(m.entry.kind for m in result.matches)
    assert kinds == Counter({"IMAGE": 10, "ENCAP DOC": 1})


@pytest.mark.parametrize("variant", ["lower", "iso9660"])
def test_cd_file_system_names_are_matched(variant):
    tree = discs.cd_tree(variant=variant, extras=False)
    path, data = _dicomdir_of(tree)
    directory = dd.read_dicomdir(path, data)
    present = [p for p, _ in tree]
    result = dd.reconcile(directory, present)
    assert result.missing == ()
    assert {m.how for m in result.matches} == {"name"}
    assert sorted(m.path for m in result.matches) == sorted(p for p in present if p != path)
    assert result.unreferenced == ()
    assert result.inexact == result.matches
    assert f"{len(result.matches)} files found despite" in result.notes()[0]
    # every match is the very file the DICOMDIR means
    contents = dict(tree)
    for match in result.matches:
        ds = pydicom.dcmread(io.BytesIO(contents[match.path]), stop_before_pixels=True)
        assert ds.SOPInstanceUID == match.entry.sop_instance_uid


def test_a_dcm_extension_added_by_a_copy_is_matched(cd):
    path, data = _dicomdir_of(cd)
    present = [p if p == path else f"{p}.dcm" for p, _ in cd]
    result = dd.reconcile(dd.read_dicomdir(path, data), present)
    assert result.missing == ()
    assert all(m.path.endswith(".dcm") and m.how == "name" for m in result.matches)


def test_an_exact_name_wins_over_one_that_differs_in_case(cd):
    path, data = _dicomdir_of(cd)
    directory = dd.read_dicomdir(path, data)
    target = directory.entries[0].path
    present = [target.lower(), target]
    result = dd.reconcile(directory, present)
    assert result.by_path[target] == directory.entries[0]
    assert result.unreferenced == (target.lower(),)


def test_missing_files_are_listed():
    tree, removed = discs.dicomdir_with_missing_files(drop=2)
    path, data = _dicomdir_of(tree)
    result = dd.reconcile(dd.read_dicomdir(path, data), [p for p, _ in tree])
    assert result.missing_paths == tuple(removed)
    assert len(result.matches) == 11 - 2


def test_files_found_elsewhere_by_uid(cd):
    path, data = _dicomdir_of(cd)
    directory = dd.read_dicomdir(path, data)
    moved = directory.entries[2]
    present = {p: d for p, d in cd if p != moved.path}
    present["CD/MOVED/X1"] = dict(cd)[moved.path]
    uids = {
        p: str(pydicom.dcmread(io.BytesIO(d), stop_before_pixels=True).SOPInstanceUID)
        for p, d in present.items()
        if p != path and "/PT" in p or p.endswith("X1")
    }
    without = dd.reconcile(directory, present)
    assert without.missing == (moved,)
    assert "CD/MOVED/X1" in without.unreferenced
    found = dd.reconcile(directory, present, uids)
    assert found.missing == ()
    assert found.by_path["CD/MOVED/X1"] == moved
    assert "CD/MOVED/X1" not in found.unreferenced
    assert any("by their UID" in note for note in found.notes())


def test_files_outside_the_dicomdir_folder_are_not_its_business(cd):
    other = discs.two_patients_folder()
    path, data = _dicomdir_of(cd)
    present = [p for p, _ in cd] + [p for p, _ in other] + ["CD/EXTRA/IM9"]
    result = dd.reconcile(dd.read_dicomdir(path, data), present)
    assert "CD/EXTRA/IM9" in result.unreferenced
    assert not any(p.startswith("Scans/") for p in result.unreferenced)


def test_a_dicomdir_inside_nested_zips_matches_its_members(cd):
    members = [m for m in expand("portal.zip", discs.nested_zip(cd)) if isinstance(m, Member)]
    (directory,) = [dd.read_dicomdir(m.path, m.data) for m in members if dd.is_dicomdir(m.data)]
    assert directory.folder == "portal.zip/download/disc.zip/CD"
    result = dd.reconcile(directory, [m.path for m in members])
    assert result.missing == () and len(result.matches) == 11
    assert {m.how for m in result.matches} == {"exact"}


def test_the_pydicom_test_tree_reconciles_with_its_folder():
    root = TREES
    present = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
    result = dd.reconcile(_read("DICOMDIR", folder=""), present)
    assert len(result.matches) == 31 and result.missing == ()
    assert all(p.startswith(("DICOMDIR", "README", "TINY_ALPHA/")) for p in result.unreferenced)


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
        result = dd.reconcile(tree, ["CD/77654033/CR1/6154"])
        assert len(result.matches) + len(result.missing) + len(result.rejected) == len(tree.entries)
    assert 0 < refused < len(cases)  # some are refused, most still give a tree
