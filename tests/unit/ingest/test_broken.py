"""Broken files at the ingest layer (issue 12): refused with their reason, or read with a warning.

The files come from :mod:`tests.support.broken` (valid files broken by byte
surgery). The reasons are asserted word for word: they are what the user reads.
"""

from __future__ import annotations

import io
import time
import tracemalloc

import pydicom
import pytest

from lightbox.core.errors import InvalidDicomError, NoPixelDataError
from lightbox.ingest import documents, structure
from lightbox.ingest import headers as ingest
from tests.support import broken
from tests.support.paths import PYDICOM_TEST_FILES

GIB3 = "3221225472 bytes (3.0 GiB)"
#: A declared length is read as a number, never allocated: far below any declared size.
PEAK_BYTES = 100 * 1024 * 1024


def _reason(data: bytes, name: str = "cut.dcm") -> str:
    with pytest.raises(InvalidDicomError) as info:
        ingest.read_header(name, data)
    assert info.value.name == name
    return info.value.reason


# -- a. a file cut short inside a large element --------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(
            broken.long_element_before_pixels(),
            f"the file is truncated inside (0009,1010) (private): it declares {GIB3} but only "
            "16 bytes remain",
            id="3-GiB-explicit",
        ),
        pytest.param(
            broken.long_element_before_pixels(0xFFFFFFF0, 5),
            "the file is truncated inside (0009,1010) (private): it declares 4294967280 bytes "
            "(4.0 GiB) but only 5 bytes remain",
            id="FFFFFFF0-explicit",
        ),
        pytest.param(
            broken.long_element_before_pixels(implicit=True),
            f"the file is truncated inside (0009,1010) (private): it declares {GIB3} but only "
            "16 bytes remain",
            id="3-GiB-implicit",
        ),
    ],
)
def test_element_declaring_gigabytes_before_the_pixels_is_refused_with_where(data, reason):
    tracemalloc.start()
    started = time.perf_counter()
    try:
        assert _reason(data) == reason
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < PEAK_BYTES and time.perf_counter() - started < 5


def test_pixel_data_declaring_gigabytes_opens_with_the_truncation_said():
    header = ingest.read_header("im.dcm", broken.pixel_data_declaring())
    assert header.warnings == (
        f"the file is truncated inside (7FE0,0010) Pixel Data: it declares {GIB3} but only "
        "16 bytes remain",
    )


def test_a_whole_file_has_no_warnings(make_image):
    assert ingest.read_header("im.dcm", make_image()).warnings == ()


# -- b. no file meta, implicit VR, big endian ----------------------------------------------

IMPLICIT_BIG_ENDIAN = (
    "the data set has no File Meta Information and is encoded implicit VR big endian, which "
    "is not a DICOM transfer syntax (PS3.5 Annex A): it cannot be read reliably"
)


@pytest.mark.parametrize("undefined", [True, False], ids=["undefined-lengths", "defined-lengths"])
def test_implicit_big_endian_without_file_meta_is_refused(undefined):
    data = broken.implicit_big_endian(undefined_lengths=undefined)
    assert data[:4] == b"\x00\x08\x00\x16"  # (0008,0016) big endian, then a 4-byte length
    assert _reason(data, "IM0001") == IMPLICIT_BIG_ENDIAN


def test_bare_big_endian_explicit_vr_still_opens(pydicom_file):
    with pytest.raises(NoPixelDataError):  # a plan: read, not refused
        ingest.read_header("plan", pydicom_file("ExplVR_BigEndNoMeta.dcm").read_bytes())


# -- e. an RT Plan cut short inside a sequence ---------------------------------------------

CUT_PLAN = (
    "the file is truncated inside (300A,00B0) Beam Sequence > item 2 > (300A,0111) Control "
    "Point Sequence > item 3 > (300A,012C) Isocenter Position: it declares 18 bytes but only "
    "3 bytes remain"
)


def test_rt_plan_cut_in_a_sequence_is_listed_with_where_it_is_cut():
    data = broken.rt_plan_cut_in_sequence()
    with pytest.raises(NoPixelDataError):
        ingest.read_header("plan.dcm", data)
    document = documents.read_document("plan.dcm", data)
    assert document.sop_class == "RT Plan Storage"
    assert document.warnings == (CUT_PLAN,)


def test_rt_plan_cut_in_undefined_length_sequences_is_refused_with_where():
    # pydicom raises on this one ("No tag to read"): the walk says where instead.
    assert _reason(broken.rt_plan_cut_in_sequence(undefined_lengths=True)) == CUT_PLAN


def test_corpus_rt_ion_plan_cut_is_listed_with_where_it_is_cut():
    document = documents.read_document("plan.dcm", broken.rt_ion_plan_cut(0.6))
    assert document.sop_class == "RT Ion Plan Storage"
    assert document.warnings == (
        "the file is truncated inside (300A,03A2) Ion Beam Sequence > item 1 > (300A,02EA) "
        "Ion Range Compensator Sequence > item 1 > (300A,00EC) Compensator Thickness Data: it "
        "declares 25400 bytes but only 17980 bytes remain",
    )


def test_whole_rt_plans_have_no_warnings(pydicom_file):
    for name in ("rtplan.dcm", "ExplVR_BigEndNoMeta.dcm", "ExplVR_LitEndNoMeta.dcm"):
        assert documents.read_document(name, pydicom_file(name).read_bytes()).warnings == ()


# -- f. no preamble, no file meta, and DICM in the data --------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="explicit-inside-a-value"),
        pytest.param({"implicit": True}, id="implicit-inside-a-value"),
        pytest.param({"inside_value": False}, id="explicit-at-a-value-end"),
    ],
)
def test_bare_data_set_with_dicm_at_offset_128_is_read_as_a_bare_data_set(kwargs):
    data = broken.bare_with_magic_at_128(**kwargs)
    assert data[128:132] == b"DICM" and data[:2] == b"\x08\x00"
    header = ingest.read_header("IM0001", data)
    syntax = "1.2.840.10008.1.2" if kwargs.get("implicit") else "1.2.840.10008.1.2.1"
    assert header.transfer_syntax == syntax
    assert header.dataset.SOPInstanceUID == "1.2.826.0.1.3680043.8.498.1"
    inside = kwargs.get("inside_value", True)
    assert header.dataset.ImageType[2].endswith("DICM" + ("MORE" if inside else ""))
    assert (header.dataset.Rows, header.dataset.Columns) == (4, 5)


def test_framed_puts_a_preamble_before_a_bare_data_set_only(make_image):
    bare = broken.bare_with_magic_at_128()
    assert ingest.framed(bare) == bytes(128) + b"DICM" + bare
    assert ingest.framed(ingest.framed(bare)) == ingest.framed(bare)  # once only
    normal = make_image()
    assert ingest.framed(normal) is normal
    elsewhere = broken.bare_with_magic_elsewhere()
    assert ingest.framed(elsewhere) is elsewhere
    assert ingest.read_header("IM", elsewhere).dataset.ImageComments.startswith("DICM DICM")


# -- the walk: only truncated files are reported ---------------------------------------------

#: pydicom's bundled files that really are cut short (their last element ends past the end).
TRUNCATED = {
    "MR_truncated.dcm": "(7FE0,0010) Pixel Data",
    "rtplan_truncated.dcm": "(300A,012C) Isocenter Position",
    "dicomdirtests/DICOMDIR-nooffset": "(0004,1220) Directory Record Sequence > item 52",
}


def test_the_walk_reports_only_the_truncated_files_among_pydicoms():
    reported = {}
    for path in sorted(p for p in PYDICOM_TEST_FILES.rglob("*") if p.is_file()):
        data = ingest.framed(path.read_bytes())
        if not ingest.looks_like_dicom(data):
            continue
        try:
            ds = pydicom.dcmread(io.BytesIO(data), force=True)
        except Exception:  # pydicom cannot read it: no reading to compare the walk with
            continue
        cut = structure.dataset_truncation(data, ds)
        if cut is not None:
            reported[path.relative_to(PYDICOM_TEST_FILES).as_posix()] = cut.where
    assert reported.keys() == TRUNCATED.keys()
    for name, where in TRUNCATED.items():
        assert reported[name].endswith(where)


@pytest.mark.parametrize(
    ("declared", "remaining", "text"),
    [
        (18, 3, "it declares 18 bytes but only 3 bytes remain"),
        (1, 0, "it declares 1 byte but only 0 bytes remain"),
        (5 * 1024**2, 7, "it declares 5242880 bytes (5.0 MiB) but only 7 bytes remain"),
    ],
)
def test_truncation_message_sizes(declared, remaining, text):
    cut = structure.Truncation(("(0010,0010) Patient's Name",), declared, remaining)
    assert cut.message == f"the file is truncated inside (0010,0010) Patient's Name: {text}"


# -- after the pixel data ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "tail",
    [b"\x00", b"\x00\x00\x00", bytes(16), b"junk"],
    ids=["1-zero", "3-zeros", "16-zeros", "junk"],
)
def test_padding_or_junk_after_the_pixel_data_is_not_a_cut(make_image, tail):
    assert ingest.read_header("im.dcm", make_image() + tail).warnings == ()


def test_an_element_after_the_pixel_data_cut_short_is_said(make_image):
    # (FFFC,FFFC) Data Set Trailing Padding, OB, declaring 1000 bytes of which 10 are here
    trailing = b"\xfc\xff\xfc\xffOB\x00\x00" + (1000).to_bytes(4, "little") + bytes(10)
    header = ingest.read_header("im.dcm", make_image() + trailing)
    assert header.warnings == (
        "the file is truncated inside (FFFC,FFFC) Data Set Trailing Padding: it declares 1000 "
        "bytes but only 10 bytes remain",
    )


def test_a_file_that_ends_after_its_file_meta_is_refused(make_image):
    data = make_image()
    start = structure.dataset_start(data)
    assert _reason(data[:start]) == f"the file holds no data set: it is truncated ({start} bytes)"
    assert _reason(data[:150]) == (
        "the file is truncated inside the File Meta Information (group 0002): it declares "
        f"{start - 144} bytes but only 6 bytes remain"
    )
