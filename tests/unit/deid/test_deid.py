"""lightbox.deid.api: planted identifiers, options, UID consistency, the export's shape, pixels."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.fileset import FileSet
from pydicom.uid import (
    CTImageStorage,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    RLELossless,
    SecondaryCaptureImageStorage,
    UltrasoundImageStorage,
)

from lightbox.deid import api as deid
from lightbox.deid import walk as deid_walk
from lightbox.deid.api import DeidOptions
from lightbox.session.session import Session
from tests.support.factories import image_dataset
from tests.support.planted import (
    MARKERS,
    PLANTED_NAME,
    UID_ROOT,
    markers_found,
    planted_bytes,
    read_members,
    study_items,
    zip_members,
)
from tools.synth import to_bytes


@pytest.fixture(scope="module")
def planted() -> list[tuple[str, bytes]]:
    return [(PLANTED_NAME, planted_bytes())]


# -- planted identifiers -------------------------------------------------------------------

#: Options (camelCase, as the browser sends them) -> the markers they keep, exactly.
#: The planted values in descriptor attributes (Clean / Retain Descriptors, PS3.15 E.3.5).
DESCRIPTORS = {
    "study_description",
    "series_description",
    "image_comments",
    "history",
    "patient_comments",
    "protocol",
    "sps_comment",
    "allergy",
}

RETAINED = [
    pytest.param({}, set(), id="basic-profile"),
    pytest.param({"retainUIDs": True}, {"uids", "device_uid"}, id="retain-uids"),
    pytest.param(
        {"retainDeviceIdentity": True},
        {"station", "serial", "device_uid", "nested_station"},
        id="retain-device-identity",
    ),
    pytest.param(
        {"retainInstitutionIdentity": True},
        {"institution", "institution_address", "department", "nested_institution"},
        id="retain-institution-identity",
    ),
    pytest.param(
        {"retainPatientCharacteristics": True},
        {"size", "weight", "ethnic", "allergy"},
        id="retain-patient-characteristics",
    ),
    pytest.param(
        {"retainLongitudinalTemporalInformation": "full"},
        {"study_date", "study_time", "nested_date"},
        id="retain-full-dates",
    ),
    pytest.param(
        {"retainLongitudinalTemporalInformation": "modified"},
        {"study_time"},  # dates move by whole days: times of day stay
        id="retain-modified-dates",
    ),
    pytest.param({"datesToYear": True}, set(), id="dates-to-year"),
    pytest.param({"cleanDescriptors": True}, DESCRIPTORS, id="clean-descriptors"),
    pytest.param(
        {"retainDescriptors": True},
        # kept verbatim, so what the descriptors say about the patient stays:
        DESCRIPTORS | {"family", "given", "patient_id"},
        id="retain-descriptors",
    ),
    pytest.param(
        {"cleanStructuredContent": True},
        {"sr_text", "acquisition_context"},
        id="clean-structured-content",
    ),
    pytest.param(
        {"cleanGraphics": True},
        {
            "overlay_description",
            "overlay_comments",
            "overlay_label",
            "curve_description",
            "graphic_text",
        },
        id="clean-graphics",
    ),
    pytest.param({"retainSafePrivate": True}, {"safe_private"}, id="retain-safe-private"),
]


@pytest.mark.parametrize(("options", "expected"), RETAINED)
def test_planted_identifiers_retained_exactly_as_the_option_says(planted, options, expected):
    export = deid.deidentify(planted, DeidOptions.from_camel(options))
    assert export.files == 1
    assert markers_found(export.zip) == expected


def test_basic_profile_leaves_no_marker_anywhere(planted):
    export = deid.deidentify(planted, DeidOptions())
    members = zip_members(export.zip)
    assert set(members) == {"DICOM/PT0001/ST0001/SE0001/IM0001", "DICOMDIR", "REPORT.TXT"}
    for name, data in members.items():
        found = [m for m in MARKERS.values() if m.encode() in data]
        assert found == [], f"{name} still holds {found}"
    assert not any(m in export.report for m in MARKERS.values())


def test_preamble_is_zeroed_and_file_meta_rewritten(planted):
    ds_bytes = zip_members(deid.deidentify(planted, DeidOptions()).zip)[
        "DICOM/PT0001/ST0001/SE0001/IM0001"
    ]
    assert ds_bytes[:128] == bytes(128) and ds_bytes[128:132] == b"DICM"
    meta = pydicom.dcmread(io.BytesIO(ds_bytes)).file_meta
    assert "SourceApplicationEntityTitle" not in meta
    assert "SendingApplicationEntityTitle" not in meta
    assert "PrivateInformation" not in meta
    assert meta.MediaStorageSOPInstanceUID.startswith("2.25.")


def test_age_over_89_is_grouped_when_characteristics_are_kept(planted):
    export = deid.deidentify(planted, DeidOptions(retain_patient_characteristics=True))
    (ds,) = read_members(export.zip).values()
    assert ds.PatientAge == "090Y"
    assert ds.PatientSex == "F"


@pytest.mark.parametrize(
    ("options", "date", "when"),
    [
        pytest.param(DeidOptions(), "", "19000101000000", id="basic"),
        pytest.param(DeidOptions(retain_longitudinal="full"), "20190305", "20190305101112.654321"),
        pytest.param(DeidOptions(dates_to_year=True), "20190101", "2019"),
    ],
)
def test_dates(planted, options, date, when):
    (ds,) = read_members(deid.deidentify(planted, options).zip).values()
    assert ds.StudyDate == date
    assert ds.get("AcquisitionDateTime") == when


def test_modified_dates_shift_one_offset_per_patient():
    first = study_items(series=1, images=2)
    other = image_dataset(modality="CT", sop_uid=UID_ROOT + "900")
    other.PatientID, other.StudyDate, other.BurnedInAnnotation = "SOMEONE-ELSE", "20190305", "NO"
    items = [*first, ("other.dcm", to_bytes(other))]
    for name, data in first:
        ds = pydicom.dcmread(io.BytesIO(data))
        ds.StudyDate, ds.ContentDate = "20190305", "20190310"
        items[[n for n, _ in items].index(name)] = (name, to_bytes(ds))
    export = deid.deidentify(items, DeidOptions(retain_longitudinal="modified"), secret=b"s" * 32)
    shifted = {}
    for ds in read_members(export.zip).values():
        days = (np.datetime64(_iso(ds.StudyDate)) - np.datetime64("2019-03-05")).astype(int)
        shifted.setdefault(ds.PatientID, set()).add(int(days))
        if "ContentDate" in ds and ds.ContentDate:
            interval = np.datetime64(_iso(ds.ContentDate)) - np.datetime64(_iso(ds.StudyDate))
            assert interval.astype(int) == 5  # intervals survive the shift
    assert all(len(offsets) == 1 for offsets in shifted.values())
    offsets = [next(iter(o)) for o in shifted.values()]
    assert len(offsets) == 2 and all(-3650 <= d <= -365 for d in offsets)


def _iso(da: str) -> str:
    return f"{da[:4]}-{da[4:6]}-{da[6:8]}"


def test_report_lists_actions_and_reasons(planted):
    export = deid.deidentify(planted, DeidOptions())
    report = export.report
    assert "Table E.1-1 edition 2024b" in report
    assert "removed  (0010,1040)  PatientAddress" in report
    assert "emptied  (0010,0010)  PatientName" in report
    assert "replaced (0020,000D)  StudyInstanceUID" in report
    assert "(preamble)" in report
    assert zip_members(export.zip)["REPORT.TXT"].decode() == report


# -- UIDs, references, the DICOMDIR ----------------------------------------------------------


def test_uids_consistent_and_references_resolve_across_a_study():
    items = study_items(series=2, images=3)
    export = deid.deidentify(items, DeidOptions())
    files = read_members(export.zip)
    assert len(files) == 7
    sops = {ds.SOPInstanceUID for ds in files.values()}
    assert len(sops) == 7
    assert len({ds.StudyInstanceUID for ds in files.values()}) == 1
    assert len({ds.SeriesInstanceUID for ds in files.values()}) == 3
    assert len({ds.FrameOfReferenceUID for ds in files.values()}) == 1
    for ds in files.values():
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        for keyword in ("ReferencedImageSequence", "SourceImageSequence"):
            for ref in ds.get(keyword, []):
                assert ref.ReferencedSOPInstanceUID in sops
    originals = b"".join(data for _, data in items)
    assert UID_ROOT.encode() in originals
    assert UID_ROOT[:-1].encode() not in export.zip
    assert all(uid.startswith("2.25.") and len(uid) <= 64 for uid in sops)


def test_uids_follow_the_secret_not_the_original_alone():
    items = study_items(series=1, images=2)

    def uids(**kwargs):
        files = read_members(deid.deidentify(items, DeidOptions(), **kwargs).zip)
        return sorted(ds.SOPInstanceUID for ds in files.values())

    assert uids(secret=b"a" * 32) == uids(secret=b"a" * 32)
    assert uids(secret=b"a" * 32) != uids(secret=b"b" * 32)
    assert uids() != uids()  # a fresh random secret per export


def test_dicomdir_reads_back_with_fileset_and_lists_every_instance(tmp_path):
    export = deid.deidentify(study_items(series=2, images=3), DeidOptions())
    with zipfile.ZipFile(io.BytesIO(export.zip)) as archive:
        archive.extractall(tmp_path)
    fs = FileSet(tmp_path / "DICOMDIR")
    dicom = {n for n in zip_members(export.zip) if n.startswith("DICOM/")}
    assert len(fs) == len(dicom) == 7
    for instance in fs:
        path = Path(instance.path)
        assert path.relative_to(tmp_path).as_posix() in dicom
        assert pydicom.dcmread(path).SOPInstanceUID == instance.SOPInstanceUID
    patients = fs.find_values("PatientID")
    assert len(patients) == 1 and patients[0].startswith("ANON")


def test_lightbox_reopens_the_export():
    export = deid.deidentify(study_items(series=2, images=3), DeidOptions())
    members = zip_members(export.zip)
    result = Session().open(list(members.items()))
    assert sum(s["frames"] for s in result["series"]) == 7
    assert len(result["series"]) == 3
    assert {s["name"] for s in result["skipped"]} <= {"DICOMDIR", "REPORT.TXT"}


def test_originals_are_not_modified(planted):
    before = [hashlib.sha256(data).hexdigest() for _, data in planted]
    deid.deidentify(planted, DeidOptions(retain_safe_private=True, clean_descriptors=True))
    deid.plan(planted, DeidOptions())
    assert [hashlib.sha256(data).hexdigest() for _, data in planted] == before


def test_bad_and_duplicate_files_are_left_out_with_a_reason(planted):
    items = [*planted, ("copy.dcm", planted[0][1]), ("notes.txt", b"hello " * 40)]
    export = deid.deidentify(items, DeidOptions())
    assert export.files == 1
    reasons = {s.name: s.reason for s in export.excluded}
    assert reasons["copy.dcm"] == "same SOP Instance UID as input #1"
    assert reasons["notes.txt"] == "not a DICOM file"
    assert "input #3: not a DICOM file" in export.report
    assert "notes.txt" not in export.report


def test_a_dicomdir_among_the_inputs_is_replaced_not_copied():
    first = deid.deidentify(study_items(series=1, images=1), DeidOptions())
    items = list(zip_members(first.zip).items())
    export = deid.deidentify(items, DeidOptions())
    reasons = {s.name: s.reason for s in export.excluded}
    assert reasons == {
        "DICOMDIR": "a DICOMDIR: the export gets a new one",
        "REPORT.TXT": "not a DICOM file",
    }
    assert export.files == 2


def test_a_file_pydicom_cannot_handle_is_left_out_and_the_others_go_on(planted, monkeypatch):
    real = deid_walk.Walker.walk

    def walk(self, ds, parents=(), scope=deid_walk.Scope.NORMAL):
        if "ContentSequence" in ds:
            raise ValueError("a value pydicom cannot handle")
        return real(self, ds, parents, scope)

    monkeypatch.setattr(deid_walk.Walker, "walk", walk)
    export = deid.deidentify([*planted, *study_items(series=1, images=1)], DeidOptions())
    assert export.files == 2
    assert export.excluded[0].reason == (
        "cannot be de-identified: a value cannot be processed (ValueError)"
    )


def test_nothing_to_export_gives_a_report_alone():
    export = deid.deidentify([("notes.txt", b"hello " * 40)], DeidOptions())
    assert export.files == 0
    assert set(zip_members(export.zip)) == {"REPORT.TXT"}


# -- the preview ------------------------------------------------------------------------------


def test_plan_says_what_happens_per_attribute_and_is_json(planted):
    preview = deid.plan(planted, DeidOptions.from_camel({"cleanDescriptors": True}))
    data = json.loads(json.dumps(preview.to_json()))
    assert data["files"] == 1 and data["edition"] == "2024b"
    assert data["options"]["cleanDescriptors"] is True
    by_path = {(a["path"], a["outcome"]): a for a in data["attributes"]}
    assert "Basic Profile Z" in by_path[("(0010,0010)", "emptied")]["reason"]
    assert "Clean Descriptors" in by_path[("(0008,1030)", "cleaned")]["reason"]
    assert ("(0002,0016)", "removed") in by_path
    nested = "(0008,2218)>(0008,2220)>(0008,2230)>(0010,0020)"
    assert by_path[(nested, "replaced")]["files"] == 1
    assert ("(0009,1001)", "removed") in by_path
    assert ("(0028,0010)", "kept") in by_path
    outcomes = {a["outcome"] for a in data["attributes"]}
    assert outcomes == {"removed", "emptied", "replaced", "cleaned", "kept"}


# -- burned-in text -----------------------------------------------------------------------------


def _us(**kwargs) -> bytes:
    ds = image_dataset(modality="US", **kwargs)
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = UltrasoundImageStorage
    return to_bytes(ds)


@pytest.mark.parametrize(
    ("modality", "sop_class", "burned", "flagged"),
    [
        ("US", UltrasoundImageStorage, None, True),
        ("OT", CTImageStorage, None, True),
        ("CT", SecondaryCaptureImageStorage, None, True),
        ("CT", CTImageStorage, "YES", True),
        ("CT", CTImageStorage, None, False),
        ("US", UltrasoundImageStorage, "NO", False),
    ],
)
def test_images_that_may_carry_burned_in_text_are_flagged(modality, sop_class, burned, flagged):
    ds = image_dataset(modality=modality)
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = sop_class
    if burned:
        ds.BurnedInAnnotation = burned
    preview = deid.plan([("x.dcm", to_bytes(ds))], DeidOptions())
    assert bool(preview.flagged) is flagged
    assert preview.files == 1


def test_flagged_images_can_be_excluded():
    ct = image_dataset(modality="CT")
    ct.SOPClassUID = ct.file_meta.MediaStorageSOPClassUID = CTImageStorage
    items = [("us.dcm", _us()), ("ct.dcm", to_bytes(ct))]
    export = deid.deidentify(items, DeidOptions(burned_in="exclude"))
    assert export.files == 1
    assert export.excluded[0].name == "us.dcm"
    assert "burned-in" in export.excluded[0].reason


def test_blank_mode_blanks_drawn_rectangles_and_leaves_out_undrawn_images():
    pixels = (np.arange(6 * 8, dtype=np.uint16).reshape(6, 8) + 100).astype(np.uint16)
    drawn, other = image_dataset(pixels, modality="US"), image_dataset(pixels, modality="US")
    options = DeidOptions(burned_in="blank", blank_rects={drawn.SOPInstanceUID: [(1, 2, 3, 2)]})
    export = deid.deidentify([("a", to_bytes(drawn)), ("b", to_bytes(other))], options)
    assert export.files == 1 and "no rectangle" in export.excluded[0].reason
    (ds,) = read_members(export.zip).values()
    out = ds.pixel_array
    expected = pixels.copy()
    expected[2:4, 1:4] = pixels.min()
    np.testing.assert_array_equal(out, expected)
    assert "113101" in [item.CodeValue for item in ds.DeidentificationMethodCodeSequence]


def test_blank_rectangles_by_series_on_every_frame():
    pixels = np.full((2, 4, 5), 200, dtype=np.uint8)
    ds = image_dataset(pixels, bits_allocated=8, modality="US", photometric="MONOCHROME1")
    options = DeidOptions(burned_in="blank", blank_rects={ds.SeriesInstanceUID: [(-2, -2, 4, 3)]})
    pixels[:, 0, 0] = 10  # MONOCHROME1: the dark end is the largest value
    ds.PixelData = pixels.tobytes()
    (out,) = read_members(deid.deidentify([("a", to_bytes(ds))], options).zip).values()
    arr = out.pixel_array
    assert (arr[:, :1, :2] == 200).all() and arr[:, 0, 0].tolist() == [200, 200]
    assert (arr[:, 1:, :] == pixels[:, 1:, :]).all()


def test_blank_planar_rgb():
    rgb = np.zeros((4, 5, 3), dtype=np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 50, 60, 70
    ds = image_dataset(rgb, bits_allocated=8, photometric="RGB", modality="US")
    ds.PlanarConfiguration = 1
    ds.PixelData = np.ascontiguousarray(rgb.transpose(2, 0, 1)).tobytes()
    options = DeidOptions(burned_in="blank", blank_rects={ds.SOPInstanceUID: [(0, 0, 2, 1)]})
    (out,) = read_members(deid.deidentify([("a", to_bytes(ds))], options).zip).values()
    arr = out.pixel_array
    assert out.PlanarConfiguration == 1
    assert (arr[0, :2] == 0).all() and (arr[0, 2:] == [50, 60, 70]).all()


@pytest.mark.parametrize("name", ["SC_rgb_jpeg_dcmtk.dcm", "MR_small_RLE.dcm", "JPEG2000.dcm"])
def test_blank_compressed_is_decoded_and_stored_native(pydicom_file, name):
    original = pydicom.dcmread(pydicom_file(name))
    before = original.pixel_array
    options = DeidOptions(burned_in="blank", blank_rects={original.SOPInstanceUID: [(0, 0, 3, 2)]})
    export = deid.deidentify([(name, pydicom_file(name).read_bytes())], options)
    (ds,) = read_members(export.zip).values()
    assert ds.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    after = ds.pixel_array
    assert after.shape == before.shape
    np.testing.assert_array_equal(after[2:], before[2:])
    np.testing.assert_array_equal(after[:2, 3:], before[:2, 3:])
    assert len(np.unique(after[:2, :3].reshape(-1, *after.shape[2:]), axis=0)) == 1


def test_compressed_image_that_cannot_be_decoded_is_left_out(pydicom_file, monkeypatch):
    def fail(self, *args, **kwargs):
        raise RuntimeError("no codec")

    monkeypatch.setattr(pydicom.Dataset, "decompress", fail)
    original = pydicom.dcmread(pydicom_file("JPEG2000.dcm"))
    options = DeidOptions(burned_in="blank", blank_rects={original.SOPInstanceUID: [(0, 0, 3, 2)]})
    export = deid.deidentify([("j2k", pydicom_file("JPEG2000.dcm").read_bytes())], options)
    assert export.files == 0
    assert export.excluded[0].reason == (
        "its JPEG 2000 Image Compression pixel data cannot be decoded here, so it cannot be blanked"
    )


# -- encodings: pixel data untouched, file valid ---------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "CT_small.dcm",
        "MR_small_implicit.dcm",
        "MR_small_bigendian.dcm",
        "image_dfl.dcm",
        "MR_small_RLE.dcm",
        "SC_rgb_jpeg_dcmtk.dcm",
        "JPEG2000.dcm",
        "JPEGLSNearLossless_08.dcm",
        "SC_rgb_rle_2frame.dcm",
        "ExplVR_BigEndNoMeta.dcm",
    ],
)
def test_every_encoding_stays_valid_with_pixels_untouched(pydicom_file, name):
    data = pydicom_file(name).read_bytes()
    original = pydicom.dcmread(io.BytesIO(data), force=True)
    export = deid.deidentify([(name, data)], DeidOptions())
    assert export.files == 1, export.excluded
    (ds,) = read_members(export.zip).values()
    syntax = original.file_meta.get("TransferSyntaxUID") or ExplicitVRBigEndian
    assert ds.file_meta.TransferSyntaxUID == syntax
    if "PixelData" not in original:  # an RT Plan: nothing to compare
        return
    assert ds.PixelData == original.PixelData
    if syntax != ExplicitVRBigEndian:  # pydicom reads the others' pixels natively here
        np.testing.assert_array_equal(ds.pixel_array, original.pixel_array)


def test_rle_stays_rle():
    ds = image_dataset(modality="CT")
    ds.compress(RLELossless)
    ds.BurnedInAnnotation = "NO"
    (out,) = read_members(deid.deidentify([("r", to_bytes(ds))], DeidOptions()).zip).values()
    assert out.file_meta.TransferSyntaxUID == RLELossless


# -- options -------------------------------------------------------------------------------------


def test_empty_options_are_the_basic_profile():
    assert DeidOptions.from_camel({}) == DeidOptions()
    assert DeidOptions().method_codes() == [("113100", "Basic Application Confidentiality Profile")]


def test_options_round_trip_through_camel_case():
    options = DeidOptions(
        retain_uids=True,
        retain_longitudinal="modified",
        clean_graphics=True,
        burned_in="blank",
        blank_rects={"1.2.3": [(1, 2, 3, 4)]},
    )
    assert DeidOptions.from_camel(json.loads(json.dumps(options.to_camel()))) == options


@pytest.mark.parametrize(
    "values",
    [
        {"retainUids": True},
        {"retainLongitudinalTemporalInformation": "sometimes"},
        {"burnedIn": "hide"},
        {"retainUIDs": "yes"},
        {"retainDescriptors": True, "cleanDescriptors": True},
        {"datesToYear": True, "retainLongitudinalTemporalInformation": "full"},
        {"blankRects": {"1.2.3": [[1, 2, 3]]}},
        {"blankRects": {"1.2.3": [[1, 2, 0, 4]]}},
    ],
)
def test_bad_options_are_refused(values):
    with pytest.raises(ValueError):
        DeidOptions.from_camel(values)


def test_longitudinal_true_means_full_dates():
    assert DeidOptions.from_camel({"retainLongitudinalTemporalInformation": True}) == DeidOptions(
        retain_longitudinal="full"
    )


def test_progress_is_told_after_each_file(planted: list[tuple[str, bytes]]) -> None:
    """The browser's "n of N": one call per input file, counting up to the number given
    (a study of seven images, the planted file and a file that is not DICOM: skipped
    files are counted too)."""
    items = [*study_items(series=2, images=3), *planted, ("notes.txt", b"not dicom")]
    total = len(items)
    assert total == 9
    told: list[tuple[int, int]] = []
    export = deid.deidentify(
        items, DeidOptions(), progress=lambda done, all_: told.append((done, all_))
    )
    assert told == [(n, total) for n in range(1, total + 1)]
    assert len(read_members(export.zip)) == total - 1
    told.clear()
    deid.plan(items, DeidOptions(), progress=lambda done, all_: told.append((done, all_)))
    assert told == [(n, total) for n in range(1, total + 1)]
