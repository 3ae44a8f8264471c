"""lightbox.cli.main: ``lightbox deid IN OUT`` end to end, in parallel, resumed."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest
from pydicom.fileset import FileSet

from lightbox.cli import main as cli
from tests.support.paths import ROOT
from tests.support.planted import UID_ROOT, markers_in_tree, planted_bytes, study_items


def _tree(folder: Path, items: list[tuple[str, bytes]]) -> None:
    for name, data in items:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _outputs(folder: Path) -> dict[str, pydicom.Dataset]:
    return {
        p.relative_to(folder).as_posix(): pydicom.dcmread(p)
        for p in sorted((folder / "DICOM").rglob("*"))
        if p.is_file()
    }


def test_deid_folder_in_parallel_then_resume(tmp_path, capsys):
    source, target = tmp_path / "in", tmp_path / "out"
    items = study_items(series=2, images=3)
    first, later = items[:4], items[4:]
    _tree(source, [*first, ("MKFAMILY/notes.txt", b"not dicom " * 30)])
    _tree(source, [("MKFAMILY/planted", planted_bytes())])

    assert cli.main(["deid", str(source), str(target), "--jobs", "2"]) == 0
    err = capsys.readouterr().err
    assert "6/6 files" in err  # 4 study images, the planted file, the text file
    done = _outputs(target)
    assert len(done) == 5
    assert all(name.startswith("DICOM/PT000") for name in done)
    secret = target / cli.SECRET_FILE
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    study = {ds.StudyInstanceUID for ds in done.values() if "ContentSequence" not in ds}
    mtimes = {name: (target / name).stat().st_mtime_ns for name in done}

    _tree(source, later)  # more files of the same study arrive
    assert cli.main(["deid", str(source), str(target), "--jobs", "2", "--quiet"]) == 0
    after = _outputs(target)
    assert len(after) == 8
    assert {name: (target / name).stat().st_mtime_ns for name in done} == mtimes  # skipped
    studies = {ds.StudyInstanceUID for ds in after.values() if "ContentSequence" not in ds}
    assert len(study) == 1 and studies == study  # the same new Study UID across runs
    sops = {ds.SOPInstanceUID for ds in after.values()}
    for ds in after.values():
        for ref in ds.get("SourceImageSequence", []):
            assert ref.ReferencedSOPInstanceUID in sops

    fs = FileSet(target / "DICOMDIR")
    assert len(fs) == 8
    assert {Path(i.path).relative_to(target).as_posix() for i in fs} == set(after)
    report = (target / "REPORT.TXT").read_text()
    assert "Files exported: 8" in report and cli.SECRET_FILE in report
    assert "not DICOM (by content), passed over: 1" in report
    # Every planted marker (names, IDs, dates, UIDs, private values, AE titles, ...), in any
    # file's bytes or any path of the output, the report and manifest included.
    assert markers_in_tree(target) == set()
    everything = b"".join(p.read_bytes() for p in target.rglob("*") if p.is_file())
    assert UID_ROOT[:-1].encode() not in everything  # the source UIDs' root, not only theirs
    manifest = json.loads((target / cli.MANIFEST_FILE).read_text())
    assert "notes.txt" not in json.dumps(manifest) and "MKFAMILY" not in json.dumps(manifest)


def test_files_of_a_killed_run_are_redone_without_duplicates(tmp_path):
    source, target = tmp_path / "in", tmp_path / "out"
    items = study_items(series=1, images=4)
    _tree(source, items[:2])
    assert cli.main(["deid", str(source), str(target), "-j", "1", "-q"]) == 0
    saved = (target / cli.MANIFEST_FILE).read_bytes()
    _tree(source, items[2:])
    assert cli.main(["deid", str(source), str(target), "-j", "2", "-q"]) == 0
    (target / cli.MANIFEST_FILE).write_bytes(saved)  # as if killed before the last save
    (target / "DICOM" / "PT0001" / "ST0001" / "SE0002").mkdir(parents=True, exist_ok=True)
    (target / "DICOM" / "PT0001" / "ST0001" / "SE0002" / "IM0009").write_bytes(b"stray")
    assert cli.main(["deid", str(source), str(target), "-j", "2", "-q"]) == 0
    outputs = _outputs(target)
    assert len(outputs) == len(items) == 5
    assert len({ds.SOPInstanceUID for ds in outputs.values()}) == 5
    assert len(FileSet(target / "DICOMDIR")) == 5


def test_rerun_with_other_options_is_refused(tmp_path, capsys):
    source, target = tmp_path / "in", tmp_path / "out"
    _tree(source, study_items(series=1, images=1))
    assert cli.main(["deid", str(source), str(target), "-j", "1", "-q"]) == 0
    assert cli.main(["deid", str(source), str(target), "-q", "--retain-uids"]) == 2
    assert "other options" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [["--retain-descriptors", "--clean-descriptors"], ["--jobs", "0"]],
)
def test_bad_arguments(tmp_path, args, capsys):
    (tmp_path / "in").mkdir()
    assert cli.main(["deid", str(tmp_path / "in"), str(tmp_path / "out"), *args]) == 2
    assert capsys.readouterr().err.startswith("lightbox: ")


def test_input_inside_output_is_refused(tmp_path):
    (tmp_path / "in").mkdir()
    assert cli.main(["deid", str(tmp_path / "in"), str(tmp_path)]) == 2


def test_output_inside_input_is_not_read_back(tmp_path):
    _tree(tmp_path, study_items(series=1, images=1))
    for _ in range(2):
        assert cli.main(["deid", str(tmp_path), str(tmp_path / "out"), "-j", "1", "-q"]) == 0
    assert len(_outputs(tmp_path / "out")) == 2


def test_python_dash_m_lightbox(tmp_path):
    source, target = tmp_path / "in", tmp_path / "out"
    _tree(source, study_items(series=1, images=2))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "py"), str(ROOT)])}
    command = [sys.executable, "-m", "lightbox", "deid", str(source), str(target), "-j", "1"]
    run = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert run.returncode == 0, run.stderr
    assert "3/3 files" in run.stderr
    assert (target / "DICOMDIR").is_file() and (target / "REPORT.TXT").is_file()
