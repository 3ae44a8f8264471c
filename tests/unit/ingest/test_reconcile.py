"""lightbox.ingest.reconcile: a DICOMDIR's references matched to a dropped tree.

The trees are built by tests/support/discs.py (a CD as a viewer writes it, its
file-system variants, nested ZIPs) and pydicom's bundled DICOMDIR tests.
"""

from __future__ import annotations

import io
from collections import Counter

import pydicom
import pytest

from lightbox.ingest import dicomdir as dd
from lightbox.ingest.archive import Member, expand
from lightbox.ingest.reconcile import reconcile
from tests.support import discs
from tests.support.factories import PYDICOM_TEST_FILES

TREES = PYDICOM_TEST_FILES / "dicomdirtests"


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
    result = reconcile(escaping, present)
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
    result = reconcile(tree, [p for p, _ in cd])
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
    result = reconcile(directory, present)
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
    result = reconcile(dd.read_dicomdir(path, data), present)
    assert result.missing == ()
    assert all(m.path.endswith(".dcm") and m.how == "name" for m in result.matches)


def test_an_exact_name_wins_over_one_that_differs_in_case(cd):
    path, data = _dicomdir_of(cd)
    directory = dd.read_dicomdir(path, data)
    target = directory.entries[0].path
    present = [target.lower(), target]
    result = reconcile(directory, present)
    assert result.by_path[target] == directory.entries[0]
    assert result.unreferenced == (target.lower(),)


def test_missing_files_are_listed():
    tree, removed = discs.dicomdir_with_missing_files(drop=2)
    path, data = _dicomdir_of(tree)
    result = reconcile(dd.read_dicomdir(path, data), [p for p, _ in tree])
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
        if (p != path and "/PT" in p) or p.endswith("X1")
    }
    without = reconcile(directory, present)
    assert without.missing == (moved,)
    assert "CD/MOVED/X1" in without.unreferenced
    found = reconcile(directory, present, uids)
    assert found.missing == ()
    assert found.by_path["CD/MOVED/X1"] == moved
    assert "CD/MOVED/X1" not in found.unreferenced
    assert any("by their UID" in note for note in found.notes())


def test_files_outside_the_dicomdir_folder_are_not_its_business(cd):
    other = discs.two_patients_folder()
    path, data = _dicomdir_of(cd)
    present = [p for p, _ in cd] + [p for p, _ in other] + ["CD/EXTRA/IM9"]
    result = reconcile(dd.read_dicomdir(path, data), present)
    assert "CD/EXTRA/IM9" in result.unreferenced
    assert not any(p.startswith("Scans/") for p in result.unreferenced)


def test_a_dicomdir_inside_nested_zips_matches_its_members(cd):
    members = [m for m in expand("portal.zip", discs.nested_zip(cd)) if isinstance(m, Member)]
    (directory,) = [dd.read_dicomdir(m.path, m.data) for m in members if dd.is_dicomdir(m.data)]
    assert directory.folder == "portal.zip/download/disc.zip/CD"
    result = reconcile(directory, [m.path for m in members])
    assert result.missing == () and len(result.matches) == 11
    assert {m.how for m in result.matches} == {"exact"}


def test_the_pydicom_test_tree_reconciles_with_its_folder():
    root = TREES
    present = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
    result = reconcile(dd.read_dicomdir("DICOMDIR", (TREES / "DICOMDIR").read_bytes()), present)
    assert len(result.matches) == 31 and result.missing == ()
    assert all(p.startswith(("DICOMDIR", "README", "TINY_ALPHA/")) for p in result.unreferenced)
