"""The audit outputs and the key file of ``lightbox deid`` (issue 20 items 2 and 4).

The expectations come from the inputs themselves (their UIDs and Patient IDs, read with
pydicom) and the outputs (read with pydicom): every original is mapped to what the
output holds; the maps are outside OUT; the same key and options give the same bytes.
"""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path

import pydicom

from lightbox.cli import audit
from lightbox.cli import main as cli
from tests.support.planted import markers_in_tree, planted_bytes, study_items

KEYWORDS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID")


def _tree(folder: Path, items: list[tuple[str, bytes]]) -> None:
    for name, data in items:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _csv(path: Path) -> list[tuple[str, str]]:
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and list(rows[0]) == ["original", "new"]
    return [(row["original"], row["new"]) for row in rows]


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_maps_link_every_original_to_its_output_and_stay_outside(tmp_path: Path) -> None:
    source, target = tmp_path / "in", tmp_path / "out"
    items = [*study_items(series=2, images=2), ("x/planted", planted_bytes())]
    _tree(source, items)
    assert cli.main(["deid", str(source), str(target), "-j", "2", "-q", "--keep-maps"]) == 0
    maps = tmp_path / "out-maps"
    uid_rows, patients = _csv(maps / audit.UID_MAP), _csv(maps / audit.PATIENT_MAP)
    uids = dict(uid_rows)
    assert len(uids) == len(uid_rows)  # a UID maps to one new UID
    assert stat.S_IMODE((maps / audit.UID_MAP).stat().st_mode) == 0o600
    originals = [pydicom.dcmread(source / name) for name, _ in items]
    outputs = {
        ds.SOPInstanceUID: ds for ds in map(pydicom.dcmread, (target / "DICOM").rglob("IM*"))
    }
    for ds in originals:
        new = outputs[uids[ds.SOPInstanceUID]]
        for keyword in KEYWORDS:
            if keyword in ds:
                assert uids[ds[keyword].value] == new[keyword].value, keyword
        assert (ds.PatientID, new.PatientID) in patients
    expected = {ds[k].value for ds in originals for k in KEYWORDS if k in ds}
    assert set(uids) == expected
    # Nothing of the maps in OUT: no original UID or ID, no map file.
    assert not any(p.name.endswith(".csv") for p in target.rglob("*"))
    assert markers_in_tree(target) == set()


def test_report_json_says_per_file_what_happened(tmp_path: Path) -> None:
    source, target = tmp_path / "in", tmp_path / "out"
    items = study_items(series=1, images=2)
    _tree(source, [*items, ("notes.txt", b"not dicom " * 30)])
    assert cli.main(["deid", str(source), str(target), "-j", "1", "-q"]) == 0
    report = json.loads((target / audit.REPORT_JSON).read_text())
    assert report["options"]["retainUIDs"] is False and report["profile"].startswith("PS3.15")
    files = report["files"]
    assert len(files) == len(items) + 1
    exported = [f for f in files if "output" in f]
    assert len(exported) == len(items) and all((target / f["output"]).is_file() for f in exported)
    assert [f["excluded"] for f in files if "excluded" in f] == ["not a DICOM file"]
    name = {a["keywords"]: a for a in exported[0]["attributes"]}["PatientName"]
    assert name["path"] == "(0010,0010)" and name["outcome"] in ("replaced", "emptied", "removed")
    assert "notes.txt" not in (target / audit.REPORT_JSON).read_text()


def test_the_same_key_and_options_write_the_same_bytes(tmp_path: Path) -> None:
    source = tmp_path / "in"
    _tree(source, study_items(series=2, images=3))
    key = tmp_path / "export.key"
    assert cli.main(["deid", "--new-key", str(key)]) == 0
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32
    assert cli.main(["deid", "--new-key", str(key)]) == 2  # never overwritten
    runs = []
    for run, jobs in (("a", "1"), ("b", "2")):
        out = tmp_path / run
        assert cli.main(["deid", str(source), str(out), "--key", str(key), "-j", jobs, "-q"]) == 0
        assert not (out / cli.SECRET_FILE).exists()  # the key stays with its owner
        runs.append(_files(out))
    assert runs[0] == runs[1]  # every file: images, DICOMDIR, REPORT.TXT, report.json, manifest
    # Without the key: another secret, other UIDs.
    assert cli.main(["deid", str(source), str(tmp_path / "c"), "-j", "1", "-q"]) == 0
    other = _files(tmp_path / "c")
    assert other.keys() - runs[0].keys() == {cli.SECRET_FILE}
    assert (
        other["DICOM/PT0001/ST0001/SE0001/IM0001"] != runs[0]["DICOM/PT0001/ST0001/SE0001/IM0001"]
    )
    # A rerun of a keyed export without its key, or with another one, is refused.
    assert cli.main(["deid", str(source), str(tmp_path / "a"), "-q"]) == 2
    (tmp_path / "other.key").write_bytes(b"k" * 32)
    assert (
        cli.main(
            ["deid", str(source), str(tmp_path / "c"), "--key", str(tmp_path / "other.key"), "-q"]
        )
        == 2
    )
