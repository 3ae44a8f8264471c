"""Broken files never vanish (issue 12): each opens with a warning, or is skipped with its reason.

Every case is opened beside a good file, which must still open; the reason
must be in ``skipped`` (and the report's skipped files) or in the series'
``warnings`` (and the report's ``warnings``), as ``{"file", "reason"}``.
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pydicom
import pytest

from lightbox.core.errors import DecodeError
from lightbox.session.session import MAX_FILL_BYTES, Session
from tests.support import broken

GIB3 = "3221225472 bytes (3.0 GiB)"
PEAK_BYTES = 100 * 1024 * 1024


def _open(name: str, data: bytes, make_image) -> tuple[Session, dict]:
    """Open a broken file with a good one; check the good one opened."""
    session = Session()
    result = session.open([(name, data), ("good.dcm", make_image())])
    assert "good.dcm" in [f.name for f in session.files]
    return session, result


def _skipped(result: dict, name: str) -> str:
    reasons = {s["name"]: s["reason"] for s in result["skipped"]}
    listed = {f["name"]: f["reason"] for g in result["report"]["skipped"] for f in g["files"]}
    assert reasons[name] == listed[name]
    assert f"{name}: {reasons[name]}" in result["report"]["text"]
    return reasons[name]


def _warnings(result: dict, name: str) -> list[str]:
    """The file's warnings in its series entry; the same in the report's warnings and text."""
    series = [w for s in result["series"] for w in s["warnings"] if w["file"] == name]
    report = [w for w in result["report"]["warnings"] if w["file"] == name]
    assert series == report
    for warning in series:
        assert f"- {name}: {warning['reason']}" in result["report"]["text"]
    return [w["reason"] for w in series]


def _render_all(session: Session) -> None:
    for index, series in enumerate(session.series):
        session.thumbnail(index)
        for frame in range(len(series.frames)):
            session.render(index, frame)


# -- a. a declared length in the gigabytes ---------------------------------------------------


@pytest.mark.parametrize("implicit", [False, True], ids=["explicit", "implicit"])
def test_element_of_3_gib_before_the_pixels_is_skipped_with_its_reason(make_image, implicit):
    tracemalloc.start()
    started = time.perf_counter()
    try:
        session, result = _open(
            "IM1", broken.long_element_before_pixels(implicit=implicit), make_image
        )
        _render_all(session)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert _skipped(result, "IM1") == (
        f"the file is truncated inside (0009,1010) (private): it declares {GIB3} but only "
        "16 bytes remain"
    )
    assert result["report"]["complete"] is False
    assert peak < PEAK_BYTES and time.perf_counter() - started < 10


def test_pixel_data_of_3_gib_on_a_small_image_opens_with_warnings(make_image):
    session, result = _open("IM1", broken.pixel_data_declaring(), make_image)
    assert _warnings(result, "IM1") == [
        f"the file is truncated inside (7FE0,0010) Pixel Data: it declares {GIB3} but only "
        "16 bytes remain",
        "the frame is cut short: 16 of 40 bytes present",
    ]
    rendered = session.render(0, 0) if session.files[0].name == "IM1" else session.render(1, 0)
    assert "frame 1 is truncated: 16 of 40 bytes" in rendered.info["warning"]


def test_pixel_data_and_header_of_3_gib_are_skipped_without_allocating_them(make_image):
    data = broken.pixel_data_declaring(rows=32768, cols=16384, frames=3)  # 1 GiB a frame
    tracemalloc.start()
    started = time.perf_counter()
    try:
        session, result = _open("IM1", data, make_image)
        _render_all(session)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # A frame of 2^29 pixels is past the frame limit: refused from the header alone.
    assert _skipped(result, "IM1") == (
        "a frame of 16384x32768 pixels is larger than 268,435,456 pixels (the limit): not decoded"
    )
    assert peak < PEAK_BYTES and time.perf_counter() - started < 10


def test_a_cut_frame_is_shown_only_while_filling_it_in_stays_under_the_cap(make_image):
    # 3 complete 1 MiB frames, then the file ends 100 bytes into frame 4 of 100.
    rows, cols = 1024, 512
    frame = rows * cols * 2
    data = broken.pixel_data_declaring(
        100 * frame, 3 * frame + 100, rows=rows, cols=cols, frames=100
    )
    assert 97 * frame > MAX_FILL_BYTES
    _session, result = _open("IM1", data, make_image)
    index = next(i for i, s in enumerate(result["series"]) if s["warnings"])
    assert result["series"][index]["frames"] == 3
    assert _warnings(result, "IM1")[-1] == (
        f"3 of 100 declared frames are present; frame 4 is cut short (100 of {frame} bytes), "
        f"not shown: {97 * frame - 100} bytes (97.0 MiB) of pixel data are missing"
    )


# -- b. implicit VR big endian without file meta ---------------------------------------------


def test_implicit_big_endian_is_skipped_with_its_reason(make_image):
    _, result = _open("IM0001", broken.implicit_big_endian(), make_image)
    assert _skipped(result, "IM0001") == (
        "the data set has no File Meta Information and is encoded implicit VR big endian, which "
        "is not a DICOM transfer syntax (PS3.5 Annex A): it cannot be read reliably"
    )
    assert result["documents"] == []  # not taken for an object without an image


# -- c. stored values above Bits Stored ------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        pytest.param(
            {"largest": 4095, "bits_stored": 10},
            "stored values up to 4095 exceed Bits Stored 10; shown masked to 10 bits",
            id="unsigned",
        ),
        pytest.param(
            {"largest": 600, "bits_stored": 10, "signed": True, "smallest": -700},
            "stored values from -700 to 600 exceed Bits Stored 10 (signed, -512 to 511); shown "
            "masked to 10 bits",
            id="signed",
        ),
        pytest.param(
            {"largest": 2047, "bits_stored": 10, "signed": True},
            "stored values up to 2047 exceed Bits Stored 10 (signed, -512 to 511); shown "
            "masked to 10 bits",
            id="signed-positive",
        ),
    ],
)
def test_stored_values_above_bits_stored_are_masked_and_said(make_image, kwargs, reason):
    data = broken.stored_above_bits_stored(**kwargs)
    session, result = _open("IM1", data, make_image)
    assert _warnings(result, "IM1") == [reason]
    series = next(
        i for i, s in enumerate(session.series) if session.files[s.frames[0].file].name == "IM1"
    )
    stored = session.stored(session.frame_ref(series, 0))
    cells = pydicom.dcmread(pydicom.filebase.DicomBytesIO(data)).pixel_array  # masked by pydicom
    bits = kwargs["bits_stored"]
    raw = np.frombuffer(pydicom.dcmread(pydicom.filebase.DicomBytesIO(data)).PixelData, "<u2")
    low = (raw & ((1 << bits) - 1)).astype(np.int64)
    if kwargs.get("signed"):
        low = np.where(low >= 1 << (bits - 1), low - (1 << bits), low)
    np.testing.assert_array_equal(stored.ravel(), low)  # PS3.5 8.1.1, from the raw cells
    np.testing.assert_array_equal(stored, cells)
    assert result["report"]["complete"] is True  # nothing is missing


def test_sign_extended_cells_and_fitting_values_are_not_warned(make_image):
    _, result = _open(
        "IM1", broken.stored_above_bits_stored(511, 10, signed=True, smallest=-512), make_image
    )
    _, plain = _open("IM2", broken.stored_above_bits_stored(1023, 10), make_image)
    assert _warnings(result, "IM1") == [] and _warnings(plain, "IM2") == []


# -- d. fewer frames than declared -----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "shown", "reasons"),
    [
        pytest.param(
            broken.native_frames_missing(10, 3),
            3,
            [
                "the file is truncated inside (7FE0,0010) Pixel Data: it declares 400 bytes but "
                "only 120 bytes remain",
                "3 of 10 declared frames are present",
            ],
            id="native-cut",
        ),
        pytest.param(
            broken.native_frames_missing(10, 3, partial=10),
            4,
            [
                "the file is truncated inside (7FE0,0010) Pixel Data: it declares 400 bytes but "
                "only 130 bytes remain",
                "3 of 10 declared frames are present; frame 4 is cut short (10 of 40 bytes)",
            ],
            id="native-cut-in-a-frame",
        ),
        pytest.param(
            broken.native_fewer_frames_than_declared(10, 3),
            3,
            ["3 of 10 declared frames are present"],
            id="native-short-element",
        ),
        pytest.param(
            broken.rle_frames_missing(10, 3), 3, ["3 of 10 declared frames are present"], id="rle"
        ),
        pytest.param(
            broken.rle_frames_missing(10, 3, basic_offsets=False),
            3,
            ["3 of 10 declared frames are present"],
            id="rle-no-offset-table",
        ),
        pytest.param(
            broken.rle_frames_missing(10, 3, cut=5),
            4,
            [
                "the file is truncated inside (7FE0,0010) Pixel Data > fragment 4: it declares "
                "98 bytes but only 5 bytes remain",
                "3 of 10 declared frames are present; frame 4 is cut short",
            ],
            id="rle-cut-in-a-fragment",
        ),
    ],
)
def test_frames_present_are_said_at_open_and_only_they_are_listed(make_image, data, shown, reasons):
    session, result = _open("IM2", data, make_image)
    assert _warnings(result, "IM2") == reasons
    series = next(s for s in result["series"] if s["warnings"])
    assert series["frames"] == shown
    index = result["series"].index(series)
    expected = (np.arange(10 * 20, dtype=np.uint16) * 7).reshape(10, 4, 5)
    for frame in range(3):  # the complete frames are the file's own
        np.testing.assert_array_equal(
            session.stored(session.frame_ref(index, frame)), expected[frame]
        )
    assert result["report"]["complete"] is False


def test_a_cut_compressed_frame_says_why_it_cannot_be_shown(make_image):
    session, result = _open("IM2", broken.rle_frames_missing(10, 3, cut=5), make_image)
    index = next(i for i, s in enumerate(result["series"]) if s["warnings"])
    with pytest.raises(DecodeError, match=r"^IM2: frame 4 cannot be decoded"):
        session.render(index, 3)


# -- e. an RT Plan cut short in a sequence ---------------------------------------------------

CUT_PLAN = (
    "the file is truncated inside (300A,00B0) Beam Sequence > item 2 > (300A,0111) Control "
    "Point Sequence > item 3 > (300A,012C) Isocenter Position: it declares 18 bytes but only "
    "3 bytes remain"
)


def test_rt_plan_cut_in_a_sequence_is_listed_with_a_warning(make_image):
    _, result = _open("plan.dcm", broken.rt_plan_cut_in_sequence(), make_image)
    assert [(d["name"], d["type"]) for d in result["documents"]] == [
        ("plan.dcm", "RT Plan Storage")
    ]
    assert result["documents"][0]["warnings"] == [{"file": "plan.dcm", "reason": CUT_PLAN}]
    assert result["report"]["warnings"] == [{"file": "plan.dcm", "reason": CUT_PLAN}]
    assert f"- plan.dcm: {CUT_PLAN}" in result["report"]["text"]
    assert result["report"]["complete"] is False


def test_rt_plan_cut_in_undefined_length_sequences_is_skipped_with_where(make_image):
    _, result = _open(
        "plan.dcm", broken.rt_plan_cut_in_sequence(undefined_lengths=True), make_image
    )
    assert _skipped(result, "plan.dcm") == CUT_PLAN


@pytest.mark.parametrize("fraction", [0.2, 0.45, 0.6, 0.9])
def test_corpus_rt_ion_plan_cut_anywhere_is_listed_with_a_warning(make_image, fraction):
    _, result = _open("ion.dcm", broken.rt_ion_plan_cut(fraction), make_image)
    listed = [d for d in result["documents"] if d["name"] == "ion.dcm"]
    skipped = [s for s in result["skipped"] if s["name"] == "ion.dcm"]
    assert len(listed) + len(skipped) == 1
    reason = listed[0]["warnings"][0]["reason"] if listed else skipped[0]["reason"]
    assert reason.startswith("the file is truncated inside (300A,")


# -- f. no preamble, no file meta, DICM at offset 128 ----------------------------------------


@pytest.mark.parametrize("implicit", [False, True], ids=["explicit", "implicit"])
def test_bare_data_set_with_dicm_at_128_opens_as_the_image_it_is(make_image, implicit):
    data = broken.bare_with_magic_at_128(implicit=implicit)
    session, result = _open("IM0001", data, make_image)
    assert result["skipped"] == [] and result["documents"] == []
    names = [session.files[s.frames[0].file].name for s in session.series]
    index = names.index("IM0001")
    assert result["series"][index]["warnings"] == []
    expected = (np.arange(20, dtype=np.uint16) % 4096).reshape(4, 5)  # the factory's ramp
    np.testing.assert_array_equal(session.stored(session.frame_ref(index, 0)), expected)


# -- one bad file among many -----------------------------------------------------------------


def test_one_open_of_every_broken_file_keeps_the_good_ones(make_image):
    bad = {
        "a1": broken.long_element_before_pixels(),
        "a2": broken.pixel_data_declaring(rows=32768, cols=16384, frames=3),
        "b": broken.implicit_big_endian(),
        "c": broken.stored_above_bits_stored(),
        "d": broken.native_frames_missing(),
        "e": broken.rt_plan_cut_in_sequence(),
        "f": broken.bare_with_magic_at_128(),
    }
    good = [(f"good{i}.dcm", make_image()) for i in range(3)]
    session = Session()
    result = session.open([*good[:1], *bad.items(), *good[1:]])
    opened = {f.name for f in session.files}
    assert {"good0.dcm", "good1.dcm", "good2.dcm", "c", "d", "f"} <= opened
    skipped = {s["name"] for s in result["skipped"]}
    documents = {d["name"] for d in result["documents"]}
    assert skipped == {"a1", "a2", "b"} and documents == {"e"}
    catalog = session.catalog()
    warned = {w["file"] for s in catalog["series"] for w in s["warnings"]}
    assert warned == {"c", "d"}
    assert {w["file"] for w in catalog["report"]["warnings"]} == {"c", "d", "e"}
    _render_all(session)


def test_an_unexpected_error_skips_the_file_not_the_drop(make_image, monkeypatch):
    from lightbox.display import frames

    real = frames.read_frames

    def failing(ds, count):
        if getattr(ds, "Columns", 0) == 7:
            raise RuntimeError("a defect")
        return real(ds, count)

    monkeypatch.setattr(frames, "read_frames", failing)
    session = Session()
    result = session.open([("odd.dcm", make_image(cols=7)), ("good.dcm", make_image())])
    assert [f.name for f in session.files] == ["good.dcm"]
    reason = "the file could not be opened (RuntimeError: a defect)"
    said = {
        "text": reason,
        "key": "engine.file_unopenable",
        "params": {"detail": "RuntimeError: a defect"},
    }
    assert result["skipped"] == [{"name": "odd.dcm", "reason": reason, "said": said}]


# -- a file cut anywhere ---------------------------------------------------------------------

#: Images whose every cut loses pixel data, and objects without one whose cuts may fall
#: between two top-level elements (a shorter, well-formed data set: nothing can tell).
CUT_ANYWHERE = [
    pytest.param("CT_small.dcm", True, id="explicit-le"),
    pytest.param("MR_small_implicit.dcm", True, id="implicit-le"),
    pytest.param("MR_small_bigendian.dcm", True, id="explicit-be"),
    pytest.param("MR_small_RLE.dcm", True, id="rle"),
    pytest.param("SC_rgb_jpeg_dcmtk.dcm", True, id="jpeg"),
    pytest.param("rtplan.dcm", False, id="rt-plan"),
    pytest.param("test-SR.dcm", False, id="sr"),
]


@pytest.mark.parametrize(("name", "image"), CUT_ANYWHERE)
def test_a_file_cut_anywhere_never_takes_the_drop_down(make_image, pydicom_file, name, image):
    data = pydicom_file(name).read_bytes()
    good = make_image()
    for cut in range(0, len(data), max(1, len(data) // 60)):
        session = Session()
        result = session.open([(name, data[:cut]), ("good.dcm", good)])
        assert "good.dcm" in [f.name for f in session.files], cut
        said = any(s["name"] == name for s in result["skipped"]) or any(
            w["file"] == name for w in result["report"]["warnings"]
        )
        listed = any(d["name"] == name for d in result["documents"])
        assert said or (listed and not image), f"{name} cut at {cut} opened without a word"
        for index, series in enumerate(session.series):
            for frame in range(len(series.frames)):
                try:
                    session.render(index, frame)
                except DecodeError as exc:  # a cut frame says which file and frame, and why
                    assert str(exc).startswith(f"{name}: frame {frame + 1} ")
