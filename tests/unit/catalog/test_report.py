"""lightbox.catalog.report: the completeness report, from plain inputs and from real drops."""

from __future__ import annotations

import io
import json
import zipfile

import pydicom
import pytest
from pydicom.uid import JPEGBaseline8Bit

from lightbox.catalog.facts import (
    FileWarning,
    FrameFailure,
    ImageFacts,
    SkipKind,
    classify,
    image_facts,
)
from lightbox.catalog.report import Completeness, build_report, series_gap
from lightbox.core.errors import LightboxError
from lightbox.core.records import Skipped
from lightbox.ingest import dicomdir as dd
from lightbox.ingest import headers as ingest
from lightbox.ingest import reconcile as rc
from lightbox.ingest.archive import Budget, expand
from lightbox.session.session import Session
from tests.support import discs
from tests.support.factories import pydicom_test_file
from tools.synth import ct_series, to_bytes

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
#: rows along (0.6, 0.8, 0), columns along +z: the normal is (0.8, -0.6, 0)
OBLIQUE = (0.6, 0.8, 0.0, 0.0, 0.0, 1.0)


def _open_drop(items, budget=None):
    """What a session does with a drop: expand, find DICOMDIRs, read headers, report.

    This is the reference for wiring the report into the session.
    """
    facts, skipped, directories, present, images = [], [], [], [], set()
    for name, data in items:
        for item in expand(name, data, budget=budget):
            if isinstance(item, Skipped):
                skipped.append(item)
                continue
            present.append(item.path)
            try:
                if dd.is_dicomdir(item.data):
                    directories.append(dd.read_dicomdir(item.path, item.data))
                    continue
                header = ingest.read_header(item.path, item.data)
            except LightboxError as exc:
                skipped.append(Skipped(exc.name, exc.reason))
                continue
            facts.append(image_facts(item.path, header.dataset, header.frames))
            images.add(item.path)
    results = [rc.reconcile(d, present) for d in directories]
    return build_report(
        facts,
        skipped,
        missing=[p for r in results for p in r.missing_paths],
        unreferenced=[p for p in rc.unreferenced_by_all(results) if p in images],
        notes=[n for d in directories for n in d.problems]
        + [n for r in results for n in r.notes()],
    )


def _facts(name, *, series="S1", position=None, orientation=AXIAL, **kwargs):
    return ImageFacts(
        name=name,
        patient=kwargs.pop("patient", "id|doe^jane"),
        study_uid=kwargs.pop("study", "ST1"),
        series_uid=series,
        series_label=f"series {series}",
        sop_uid=kwargs.pop("sop", f"sop-{name}"),
        position=position,
        orientation=orientation if position is not None else None,
        **kwargs,
    )


def _stack(zs, orientation=AXIAL, series="S1"):
    normal_free = (12.0, -7.0)  # in-plane offsets must not matter
    facts = []
    for i, z in enumerate(zs):
        if orientation == AXIAL:
            position = (normal_free[0], normal_free[1], z)
        else:  # OBLIQUE: normal (0.8, -0.6, 0)
            position = (0.8 * z, -0.6 * z, normal_free[0])
        facts.append(_facts(f"IM{i}", series=series, position=position, orientation=orientation))
    return facts


# -- skipped files by kind -------------------------------------------------------------------------


def _reason_of(name, data):
    with pytest.raises(LightboxError) as info:
        ingest.read_header(name, data)
    return Skipped(name, info.value.reason)


def _pdf_object():
    study = ct_series(1, 8, 8, name="pdf-study")[0]
    study.StudyDate, study.StudyTime = "20250101", "120000"
    study.StudyID, study.AccessionNumber = "1", "A1"
    return to_bytes(discs.encapsulated_pdf(discs.pdf_bytes(), study=study))


def _unknown_syntax():
    data = to_bytes(ct_series(1, 8, 8, name="odd")[0])
    explicit_le = b"1.2.840.10008.1.2.1\x00"
    assert data.count(explicit_le) == 1
    return data.replace(explicit_le, b"1.2.840.10008.1.2.9\x00")  # same length, no such syntax


def _duplicate_reason():
    data = to_bytes(ct_series(1, 8, 8, name="dup")[0])
    result = Session().open([("a/IM1", data), ("b/IM1", data)])
    (item,) = result["skipped"]
    return Skipped(item["name"], item["reason"])


def _archive_reason(data, budget=None):
    (item,) = [i for i in expand("x.zip", data, budget=budget) if isinstance(i, Skipped)]
    return item


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        pytest.param(lambda: _reason_of("REPORT.PDF", discs.pdf_bytes()), SkipKind.NOT_DICOM),
        pytest.param(lambda: _reason_of("VIEWER.EXE", discs.viewer_exe()), SkipKind.NOT_DICOM),
        pytest.param(lambda: _reason_of("AUTORUN.INF", discs.autorun_inf()), SkipKind.NOT_DICOM),
        pytest.param(
            lambda: _reason_of("ED000000", _pdf_object()), SkipKind.NO_IMAGE, id="pdf-obj"
        ),
        pytest.param(
            lambda: _reason_of("ODD", _unknown_syntax()), SkipKind.UNSUPPORTED, id="unsupported"
        ),
        pytest.param(
            lambda: _reason_of("CUT", pydicom_test_file("CT_small.dcm").read_bytes()[:6300]),
            SkipKind.DAMAGED,
            id="truncated",
        ),
        pytest.param(_duplicate_reason, SkipKind.DUPLICATE, id="duplicate"),
        pytest.param(lambda: _archive_reason(discs.zip_of([])), SkipKind.ARCHIVE, id="empty-zip"),
        pytest.param(
            lambda: _archive_reason(discs.nested_zips(3), Budget(depth=1)),
            SkipKind.ARCHIVE,
            id="too-deep",
        ),
        pytest.param(
            lambda: _archive_reason(
                discs.zip_of([("B", bytes(2 << 20))]), Budget(ratio_floor=1 << 20)
            ),
            SkipKind.ARCHIVE,
            id="bomb",
        ),
        pytest.param(
            lambda: _archive_reason(discs.zip_of([("A", b"a" * 40)])[:60]),
            SkipKind.ARCHIVE,
            id="truncated-zip",
        ),
        pytest.param(lambda: Skipped("__MACOSX/CD/._IM1", "x"), SkipKind.SYSTEM, id="macos"),
        pytest.param(lambda: Skipped("CD/.DS_Store", "x"), SkipKind.SYSTEM, id="ds-store"),
        pytest.param(lambda: Skipped("CD\\Thumbs.db", "x"), SkipKind.SYSTEM, id="thumbs"),
        pytest.param(
            lambda: Skipped("IM1", "already open (same SOP Instance UID)"),
            SkipKind.DUPLICATE,
            id="already-open",
        ),
    ],
)
def test_classify_real_reasons(make, kind):
    assert classify(make()) is kind


# -- facts from a header ---------------------------------------------------------------------------


def test_image_facts_from_a_header():
    ds = ct_series(3, 8, 8, name="facts")[1]
    facts = image_facts("CD/IM2", ds)
    assert facts.name == "CD/IM2"
    assert facts.patient == "lightbox-demo|demo^phantom"
    assert (facts.study_uid, facts.series_uid, facts.sop_uid) == (
        ds.StudyInstanceUID,
        ds.SeriesInstanceUID,
        ds.SOPInstanceUID,
    )
    assert facts.series_label == 'series 1 "Synthetic phantom" (CT)'
    assert facts.position == tuple(float(v) for v in ds.ImagePositionPatient)
    assert facts.orientation == AXIAL
    assert (facts.frames, facts.lossy) == (1, False)


@pytest.mark.parametrize(
    ("change", "lossy"),
    [
        pytest.param(lambda ds: setattr(ds, "LossyImageCompression", "01"), True, id="attr-01"),
        pytest.param(lambda ds: setattr(ds, "LossyImageCompression", "00"), False, id="attr-00"),
        pytest.param(
            lambda ds: setattr(ds.file_meta, "TransferSyntaxUID", JPEGBaseline8Bit),
            True,
            id="jpeg-baseline",
        ),
    ],
)
def test_image_facts_lossy(change, lossy):
    ds = ct_series(1, 8, 8, name="lossy")[0]
    change(ds)
    assert image_facts("x", ds).lossy is lossy


def test_image_facts_multiframe_has_no_single_position():
    ds = ct_series(1, 8, 8, name="mf")[0]
    ds.NumberOfFrames = 4
    facts = image_facts("x", ds)
    assert facts.frames == 4 and facts.position is None


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        pytest.param(("ID1", "DOE^JANE"), ("ID1", "Doe^Jane^^"), True, id="case-and-padding"),
        pytest.param(("ID1", "Doe^Jane"), ("ID2", "Doe^Jane"), False, id="other-id"),
        pytest.param(("ID1", "Doe^Jane"), ("ID1", "Roe^Jane"), False, id="other-name"),
    ],
)
def test_patient_keys(a, b, same):
    first, second = (ct_series(1, 8, 8, name="p")[0] for _ in range(2))
    first.PatientID, first.PatientName = a
    second.PatientID, second.PatientName = b
    assert (image_facts("1", first).patient == image_facts("2", second).patient) is same


# -- gaps in slice spacing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        pytest.param(_stack([0, 2, 4, 6, 8, 10]), None, id="even"),
        pytest.param(_stack([10, 0, 6, 2, 8, 4]), None, id="even-shuffled"),
        pytest.param(_stack([0, 2, 4, 10, 12, 16, 18]), (2, 3, 2.0), id="two-gaps"),
        pytest.param(_stack([0, 0, 2, 2, 4, 4, 8, 8]), (1, 1, 2.0), id="two-echoes-one-gap"),
        pytest.param(_stack([0, 5, 10, 20, 25], OBLIQUE), (1, 1, 5.0), id="oblique"),
        pytest.param(_stack([0, 2]), None, id="too-few"),
        pytest.param(_stack([0, 2, 4]) + _stack([8, 10], OBLIQUE), None, id="mixed-orientations"),
        pytest.param(
            _stack([0, 2, 8]) + [_facts("MF", frames=10)], None, id="one-without-position"
        ),
    ],
)
def test_series_gap(facts, expected):
    gap = series_gap(facts)
    if expected is None:
        assert gap is None
    else:
        assert (gap.gaps, gap.missing, gap.spacing) == pytest.approx(expected)
        assert gap.series_uid == "S1"


# -- the report from plain inputs ------------------------------------------------------------------


def test_counts_of_patients_studies_series_images_and_frames():
    facts = [
        _facts("a1", patient="1|a", study="A", series="A1"),
        _facts("a2", patient="1|a", study="A", series="A1"),
        _facts("a3", patient="1|a", study="A", series="A2", frames=5),
        _facts("b1", patient="2|b", study="B", series="B1"),
    ]
    report = build_report(facts)
    assert (report.patients, report.studies, report.series, report.images, report.frames) == (
        2,
        2,
        3,
        4,
        8,
    )
    assert report.several_patients
    text = report.to_text()
    assert text.splitlines()[0] == "Found 2 patients, 2 studies, 3 series, 4 images (8 frames)."
    assert "2 different patients" in text


def test_one_patient_is_not_a_warning():
    report = build_report([_facts("a"), _facts("b")])
    assert not report.several_patients
    assert report.to_text() == "Found 1 patient, 1 study, 1 series, 2 images."


def test_skipped_files_grouped_by_kind_in_order():
    skipped = [
        Skipped("CD/autorun.inf", "not a DICOM file (no DICM marker and no DICOM header)"),
        Skipped("CD/VIEWER.EXE", "not a DICOM file (no DICM marker and no DICOM header)"),
        Skipped("CD/report.html", "not a DICOM file (no DICM marker and no DICOM header)"),
        Skipped("CD/ED0", "no image in this object (Encapsulated PDF Storage)"),
        Skipped("x.zip/S", "encrypted (password-protected) inside the ZIP: not opened"),
    ]
    report = build_report([_facts("a")], skipped)
    assert [g.kind for g in report.skipped] == [
        SkipKind.NOT_DICOM,
        SkipKind.NO_IMAGE,
        SkipKind.ARCHIVE,
    ]
    lines = report.to_text().splitlines()
    assert "- not DICOM: 3 files (autorun.inf, VIEWER.EXE, report.html)" in lines
    assert (
        "- DICOM without an image (reports, documents): 1 file "
        "(ED0: no image in this object (Encapsulated PDF Storage))"
    ) in lines
    assert not report.complete  # an archive problem


def test_long_lists_are_cut_with_a_count():
    skipped = [Skipped(f"d/F{i}", "not a DICOM file") for i in range(8)]
    line = build_report([], skipped).to_text().splitlines()[-1]
    assert line == "- not DICOM: 8 files (F0, F1, F2, F3, F4 and 3 more)"


def test_duplicates_from_images_and_from_skipped_files():
    facts = [_facts("a", sop="1"), _facts("b", sop="2"), _facts("copy/a", sop="1")]
    skipped = [Skipped("old/b", "duplicate of b (same SOP Instance UID)")]
    report = build_report(facts, skipped)
    assert report.images == 2
    assert report.duplicates == ("copy/a", "old/b")
    assert report.skipped == ()  # duplicates are their own finding


def test_missing_unreferenced_gaps_lossy_and_notes_in_words():
    facts = _stack([0, 2, 4, 10, 12])
    facts += [_facts(f"L{i}", series="S2", lossy=i < 3) for i in range(5)]
    report = build_report(
        facts,
        missing=["CD/IM5", "CD/IM6"],
        unreferenced=["CD/EXTRA"],
        notes=["CD/DICOMDIR: 3 files found despite different letter case"],
    )
    assert report.gaps[0].missing == 2
    assert [(s.series_uid, s.images) for s in report.lossy] == [("S2", 3)]
    assert not report.complete
    text = report.to_text()
    assert "Missing: the DICOMDIR lists 2 files that are not here (CD/IM5, CD/IM6)." in text
    assert "Not listed in the DICOMDIR (opened anyway): 1 file (CD/EXTRA)." in text
    assert "series S1 has 1 gap in its slice spacing; about 2 slices seem to be missing" in text
    assert "Lossy compression: 3 images of series S2" in text
    assert "- CD/DICOMDIR: 3 files found despite different letter case" in text


def test_nothing_found():
    report = build_report([])
    assert report.to_text() == "No images were found."
    assert report.complete


def test_to_json_is_json_and_carries_everything():
    facts = [*_stack([0, 2, 4, 8]), _facts("L", series="S2", lossy=True), _facts("d", sop="sop-L")]
    skipped = [Skipped("a/AUTORUN.INF", "not a DICOM file")]
    report = build_report(facts, skipped, missing=["m"], unreferenced=["u"], notes=["n"])
    value = json.loads(json.dumps(report.to_json()))
    assert value["patients"] == report.patients == 1
    assert value["images"] == 5 and value["frames"] == 5
    assert value["skipped"] == [
        {
            "kind": "not_dicom",
            "label": "not DICOM",
            "count": 1,
            "files": [{"name": "a/AUTORUN.INF", "reason": "not a DICOM file"}],
        }
    ]
    assert value["duplicates"] == ["d"]
    assert value["gaps"] == [
        {"series": "S1", "label": "series S1", "gaps": 1, "missing": 1, "spacing": 2.0}
    ]
    assert value["lossy"] == [{"series": "S2", "label": "series S2", "images": 1}]
    assert (value["missing"], value["unreferenced"], value["notes"]) == (["m"], ["u"], ["n"])
    assert value["severalPatients"] is False and value["complete"] is False
    assert value["text"] == report.to_text()


# -- files that opened with warnings (issue 12) ----------------------------------------------

CUT = (
    "the file is truncated inside (7FE0,0010) Pixel Data: it declares 400 bytes but only "
    "120 bytes remain"
)
BITS = "stored values up to 4095 exceed Bits Stored 10; shown masked to 10 bits"


def test_warnings_in_json_as_file_and_reason_and_in_words():
    warnings = [FileWarning("disc/IM1", BITS), FileWarning("disc/IM2", CUT)]
    report = build_report([_facts("disc/IM1"), _facts("disc/IM2")], warnings=warnings)
    value = json.loads(json.dumps(report.to_json()))
    assert value["warnings"] == [
        {"file": "disc/IM1", "reason": BITS},
        {"file": "disc/IM2", "reason": CUT},
    ]
    lines = report.to_text().splitlines()
    at = lines.index("Opened with warnings:")
    assert lines[at + 1 : at + 3] == [f"- IM1: {BITS}", f"- IM2: {CUT}"]


@pytest.mark.parametrize(
    ("reason", "complete"),
    [
        pytest.param(BITS, True, id="junk-bits-lose-nothing"),
        pytest.param(CUT, False, id="truncated"),
        pytest.param("3 of 10 declared frames are present", False, id="frames-missing"),
        pytest.param("the frame is cut short: 16 of 40 bytes present", False, id="frame-cut"),
    ],
)
def test_warnings_that_say_data_is_missing_make_the_report_incomplete(reason, complete):
    report = build_report([_facts("a")], warnings=[FileWarning("a", reason)])
    assert report.complete is complete


def test_many_warnings_are_cut_with_a_count_in_words_only():
    warnings = [FileWarning(f"IM{i}", BITS) for i in range(14)]
    report = build_report([_facts(f"IM{i}") for i in range(14)], warnings=warnings)
    lines = report.to_text().splitlines()
    assert sum(line.endswith(BITS) for line in lines) == 10
    assert "- and 4 more warnings" in lines
    assert len(report.to_json()["warnings"]) == 14


def test_no_warnings_no_section():
    report = build_report([_facts("a")])
    assert report.to_json()["warnings"] == []
    assert "warnings" not in report.to_text()


JPEG_FAILED = "frame 1 cannot be decoded (libjpeg-turbo: corrupt JPEG data)"


def test_frames_that_cannot_be_shown_in_json_and_in_words():
    failed = [FrameFailure("disc/IM1", 1, JPEG_FAILED), FrameFailure("disc/IM2", 3, "x")]
    report = build_report([_facts("disc/IM1"), _facts("disc/IM2")], undecodable=failed)
    value = json.loads(json.dumps(report.to_json()))
    assert value["undecodable"] == [
        {"file": "disc/IM1", "frame": 1, "reason": JPEG_FAILED},
        {"file": "disc/IM2", "frame": 3, "reason": "x"},
    ]
    lines = report.to_text().splitlines()
    at = lines.index("Frames that cannot be shown:")
    assert lines[at + 1 : at + 3] == [f"- IM1: {JPEG_FAILED}", "- IM2: x"]
    assert report.complete is False


def test_many_frames_that_cannot_be_shown_are_cut_with_a_count_in_words_only():
    failed = [FrameFailure("IM", i + 1, JPEG_FAILED) for i in range(13)]
    report = build_report([_facts("IM")], undecodable=failed)
    lines = report.to_text().splitlines()
    assert sum(line.endswith(JPEG_FAILED) for line in lines) == 10
    assert "- and 3 more frames" in lines
    assert len(report.to_json()["undecodable"]) == 13


def test_every_frame_decoded_no_section():
    report = build_report([_facts("a")])
    assert report.to_json()["undecodable"] == [] and report.complete
    assert "cannot be shown" not in report.to_text()


def test_completeness_is_frozen():
    report = build_report([_facts("a")])
    with pytest.raises(AttributeError):
        report.images = 3  # type: ignore[misc]
    assert isinstance(report, Completeness)


# -- whole drops, as the session will open them ----------------------------------------------------


def test_a_cd_zip_with_everything_on_it():
    report = _open_drop([("disc.zip", discs.zip_of(discs.cd_tree()))])
    assert (report.patients, report.studies, report.series, report.images) == (1, 1, 2, 10)
    assert report.missing == () and report.unreferenced == () and report.gaps == ()
    groups = {g.kind: [f.name.rpartition("/")[2] for f in g.files] for g in report.skipped}
    assert groups == {
        SkipKind.NOT_DICOM: ["VIEWER.EXE", "AUTORUN.INF", "README.HTM", "REPORT.PDF"],
        SkipKind.NO_IMAGE: ["ED000000"],
    }
    assert report.complete
    assert "- not DICOM: 4 files (VIEWER.EXE, AUTORUN.INF, README.HTM, REPORT.PDF)" in (
        report.to_text().splitlines()
    )


def test_a_cd_copied_in_lowercase_with_missing_files_and_an_extra_one():
    tree, removed = discs.dicomdir_with_missing_files(drop=2)
    extra = to_bytes(ct_series(1, 8, 8, name="extra")[0])
    tree = [(p.lower(), d) for p, d in tree] + [("cd/extra/im9", extra)]
    report = _open_drop(tree)
    # the DICOMDIR's folder as dropped, the file as the DICOMDIR names it
    assert report.missing == tuple(f"cd/{p.partition('/')[2]}" for p in removed)
    assert report.unreferenced == ("cd/extra/im9",)
    assert any("letter case" in note for note in report.notes)
    assert not report.complete


def test_two_patients_in_a_folder_warn():
    report = _open_drop(discs.two_patients_folder())
    assert (report.patients, report.studies, report.series, report.images) == (2, 2, 2, 7)
    assert report.several_patients and "2 different patients" in report.to_text()


def test_a_nested_portal_zip_with_a_cp437_name_and_zip64():
    tree = discs.cd_tree(root="Bürger", extras=False)
    inner = discs.zip_of(tree, zip64=True)
    outer = discs.zip_of([("download/disc.zip", inner)], compression=zipfile.ZIP_STORED)
    report = _open_drop([("portal.zip", outer)])
    assert (report.series, report.images) == (2, 10)
    assert report.missing == () and report.unreferenced == ()


def test_a_shuffled_series_is_complete_and_has_no_gaps():
    report = _open_drop(discs.shuffled_series(count=60, size=16))
    assert (report.series, report.images, report.gaps) == (1, 60, ())


def test_a_series_with_slices_removed_has_a_gap():
    tree = discs.shuffled_series(count=30, size=16)
    positions = {
        p: float(ingest.read_header(p, d).dataset.ImagePositionPatient[2]) for p, d in tree
    }
    kept = [(p, d) for p, d in tree if not 20.0 <= positions[p] <= 26.0]  # 4 slices at 2 mm
    report = _open_drop(kept)
    (gap,) = report.gaps
    assert (gap.gaps, gap.missing, gap.spacing) == (1, 4, 2.0)


def test_image_facts_survive_a_damaged_value():
    data = to_bytes(ct_series(1, 8, 8, name="damaged")[0])
    at = data.index(b"\x10\x00\x10\x00PN")  # (0010,0010) Patient's Name
    data = data[: at + 4] + b"QQ" + data[at + 6 :]  # a VR that does not exist
    header = ingest.read_header("x", data)
    # pydicom would fail when the value is used: the header leaves it out and says so.
    assert "PatientName" not in header.dataset
    assert header.warnings == (
        "1 element(s) could not be read and are left out: (0010,0010) Patient's Name",
    )
    facts = image_facts("x", header.dataset)
    assert facts.patient == "lightbox-demo|"  # the ID is still there
    assert facts.sop_uid == header.dataset.SOPInstanceUID


# -- the test discs' premises ---------------------------------------------------------------------


def test_the_shuffled_series_disagrees_with_its_instance_numbers():
    tree = discs.shuffled_series()
    headers = [ingest.read_header(p, d).dataset for p, d in tree]
    assert len(tree) == 200 and all(p.rpartition("/")[2].isdigit() for p, _ in tree)
    assert {(ds.Rows, ds.Columns) for ds in headers} == {(64, 64)}
    by_z = sorted(headers, key=lambda ds: float(ds.ImagePositionPatient[2]))
    numbers = [int(ds.InstanceNumber) for ds in by_z]
    assert sorted(numbers) == list(range(1, 201))
    assert numbers != sorted(numbers) and numbers != sorted(numbers, reverse=True)
    assert [p for p, _ in tree] == sorted(p for p, _ in tree)  # names in order, content not
    assert headers != by_z


def test_the_pdf_is_a_pdf_with_a_correct_cross_reference_table():
    pdf = discs.pdf_bytes()
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    xref = int(pdf.rsplit(b"startxref", 1)[1].split()[0])
    assert pdf[xref:].startswith(b"xref")
    rows = pdf[xref:].split(b"\n")[3:8]  # after "xref", "0 6" and the free entry
    for number, row in enumerate(rows, start=1):
        offset = int(row.split()[0])
        assert pdf[offset:].startswith(b"%d 0 obj" % number)


def test_the_pdf_object_holds_the_pdf():
    ds = pydicom.dcmread(io.BytesIO(_pdf_object()))
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.104.1"
    assert ds.EncapsulatedDocument[: ds.EncapsulatedDocumentLength] == discs.pdf_bytes()


@pytest.mark.parametrize(
    ("listed", "present", "line"),
    [
        pytest.param(0, 0, "DICOMDIR: a DICOMDIR that lists no files.", id="empty"),
        pytest.param(31, 0, "DICOMDIR: a DICOMDIR listing 31 files; none is here.", id="none"),
        pytest.param(3, 2, "DICOMDIR: a DICOMDIR listing 3 files; 2 are here.", id="some"),
        pytest.param(1, 1, "DICOMDIR: a DICOMDIR listing 1 file; all are here.", id="all"),
    ],
)
def test_every_dicomdir_opened_is_named_with_what_it_lists(listed, present, line):
    from lightbox.catalog.report import DirectoryFacts

    built = build_report([], dicomdirs=[DirectoryFacts("disc/DICOMDIR", listed, present)])
    assert line in built.to_text()
    assert built.to_json()["dicomdirs"] == [
        {"name": "DICOMDIR", "path": "disc/DICOMDIR", "listed": listed, "present": present}
    ]


def test_an_empty_dicomdir_opened_alone_is_not_silent(pydicom_file):
    path = pydicom_file("dicomdirtests/DICOMDIR-empty.dcm")
    result = Session().open([(path.name, path.read_bytes())])
    assert "DICOMDIR-empty.dcm: a DICOMDIR that lists no files." in result["report"]["text"]
