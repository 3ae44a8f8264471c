"""lightbox.session.session: opening files, skipping bad ones, rendering frames, the frame cache."""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.pixels.processing import apply_color_lut

from lightbox.core.records import FrameRef
from lightbox.display.overlays import OVERLAY_RGBA
from lightbox.pixels import decode
from lightbox.session.cache import FrameCache
from lightbox.session.inspector import Inspector
from lightbox.session.session import Session
from tests.support.hand import (
    COLOURS,
    LINEAR,
    colour_dataset,
    half_up,
    reference_lut,
    reference_voi,
    ybr_partial,
)
from tools import synth


@pytest.fixture
def count_decodes(monkeypatch):
    """Count calls of pixels' frame entry point (which the session looks up at call time).

    Native frames are read as views of the file's bytes without any decode;
    these tests are about decoding and the cache, so that shortcut is off here
    (test_native_frames_are_views_of_the_file_bytes covers it).
    """
    monkeypatch.setattr(decode, "native_view", lambda *args: None)
    calls: list[tuple[str, int]] = []
    real = decode.frame

    def counting(source, index, **options):
        calls.append((source.name, index))
        return real(source, index, **options)

    monkeypatch.setattr(decode, "frame", counting)
    return calls


def _ct_files(count=6, rows=32, cols=32, window=(40.0, 400.0), name="unit"):
    """A synthetic CT series as (name, bytes), named by slice, in slice order."""
    series = synth.ct_series(count, rows, cols, name=name, window=window)
    return [(f"IM{i + 1:04d}", synth.to_bytes(ds)) for i, ds in enumerate(series)]


# -- opening -------------------------------------------------------------------------------


def test_open_keeps_good_files_and_lists_bad_ones(pydicom_file):
    items = [
        ("CT_small.dcm", pydicom_file("CT_small.dcm").read_bytes()),
        ("notes.pdf", b"%PDF-1.4\n" + b"x" * 300),
        ("MR_truncated.dcm", pydicom_file("MR_truncated.dcm").read_bytes()),
        ("MR_small.dcm", pydicom_file("MR_small.dcm").read_bytes()),
    ]
    session = Session()
    result = session.open(items)
    # MR_truncated opens (short pixel data is shown with a warning); the PDF does not,
    # and MR_small is the same instance as MR_truncated (same SOP Instance UID).
    assert [f.name for f in session.files] == ["CT_small.dcm", "MR_truncated.dcm"]
    assert len(session.series) == 2 and len(result["series"]) == 2
    skipped = {s.name: s.reason for s in session.skipped}
    assert set(skipped) == {"notes.pdf", "MR_small.dcm"}
    assert "not a DICOM file" in skipped["notes.pdf"]
    assert "duplicate of MR_truncated.dcm" in skipped["MR_small.dcm"]
    assert result["first"] == 0
    assert sorted(result["opened"]) == sorted(s.uid for s in session.series)


def test_open_lists_objects_without_image_as_documents(pydicom_file):
    session = Session()
    result = session.open(
        [
            ("plan.dcm", pydicom_file("rtplan.dcm").read_bytes()),
            ("report.dcm", pydicom_file("test-SR.dcm").read_bytes()),
        ]
    )
    assert session.files == [] and session.series == []
    assert result["first"] is None and result["skipped"] == []
    docs = {d["name"]: d for d in result["documents"]}
    assert docs["plan.dcm"]["kind"] == "other" and docs["plan.dcm"]["type"] == "RT Plan Storage"
    assert docs["report.dcm"]["kind"] == "sr"
    assert "Diameter: 3 cm" in docs["report.dcm"]["text"]


def test_duplicate_sop_instance_uids_are_skipped(pydicom_file):
    data = pydicom_file("CT_small.dcm").read_bytes()
    session = Session()
    session.open([("a.dcm", data), ("copy of a.dcm", data)])
    assert [f.name for f in session.files] == ["a.dcm"]
    assert [s.name for s in session.skipped] == ["copy of a.dcm"]
    assert "duplicate of a.dcm" in session.skipped[0].reason
    # opened again later: still a duplicate, the series still has one frame
    result = session.open([("again.dcm", data)])
    assert [s["name"] for s in result["skipped"]] == ["again.dcm"]
    assert len(session.files) == 1 and len(session.series[0].frames) == 1
    assert result["first"] is None


def test_shuffled_series_comes_out_in_z_order():
    files = _ct_files(count=9)
    shuffled = files[::2] + files[1::2]
    random.Random(3).shuffle(shuffled)
    assert shuffled != files
    session = Session()
    session.open(shuffled)
    assert len(session.series) == 1
    frames = session.series[0].frames
    names = [session.files[ref.file].name for ref in frames]
    assert names == [name for name, _ in files]
    z = [float(session.files[ref.file].header.dataset.ImagePositionPatient[2]) for ref in frames]
    assert z == sorted(z) and len(set(z)) == len(z)


def test_a_later_open_appends_a_series_and_reports_it_first():
    session = Session()
    session.open(_ct_files(count=2, name="one"))
    result = session.open(_ct_files(count=3, name="two"))
    assert len(session.series) == 2
    assert result["first"] == 1
    assert result["opened"] == [session.series[1].uid]
    assert len(session.series[1].frames) == 3


# -- rendering -----------------------------------------------------------------------------


def test_render_with_the_files_window():
    session = Session()
    session.open(_ct_files(count=3, window=(40.0, 400.0)))
    rendered = session.render(0, 1)
    rgba, info = rendered.rgba, rendered.info
    assert rgba.shape == (32, 32, 4) and rgba.dtype == np.uint8 and rgba.flags.c_contiguous
    assert (rgba[..., 3] == 255).all()
    assert info["windowSource"] == "file"
    assert (info["windowCenter"], info["windowWidth"]) == (40.0, 400.0)
    assert info["frame"] == 1 and info["frames"] == 3
    # Window 40/400 on HU: air (-1000) is black, bone (+1000) is white.
    hu = session.stored(session.frame_ref(0, 1)).astype(np.float64) - 1024.0
    grey = rgba[..., 0]
    assert (grey[hu <= -160] == 0).all() and (hu <= -160).any()
    assert (grey[hu > 239] == 255).all() and (hu > 239).any()
    inside = (hu > -150) & (hu < 230)
    assert ((grey[inside] > 0) & (grey[inside] < 255)).all() and inside.any()


def test_render_without_a_file_window_uses_an_automatic_one(make_image):
    # Five slices of one series whose ranges all differ; slice k spans [10 k, 500 + 100 k].
    ramp = np.linspace(0.0, 1.0, 64).reshape(8, 8)
    slices = [(10 * k + ramp * (490 + 90 * k)).round().astype(np.uint16) for k in range(5)]
    files = [
        (
            f"slice{k}.dcm",
            make_image(
                values,
                series_uid="1.2.826.0.1.3680043.10.1234.99",
                position=(0.0, 0.0, 2.0 * k),
                orientation=(1, 0, 0, 0, 1, 0),
                instance=k + 1,
            ),
        )
        for k, values in enumerate(slices)
    ]
    session = Session()
    session.open(files[::-1])
    first = session.render(0, 0)  # shown first, but the window comes from the middle slice
    assert first.info["windowSource"] == "automatic"
    middle = session.render(0, 2)
    grey = middle.rgba[..., 0]
    assert grey[slices[2] == slices[2].min()].max() == 0
    assert grey[slices[2] == slices[2].max()].min() == 255
    # one window for the whole series: it does not jump while scrolling
    windows = {
        (r.info["windowCenter"], r.info["windowWidth"])
        for r in (first, middle, session.render(0, 4))
    }
    assert len(windows) == 1


def test_a_user_window_changes_pixels_without_decoding_again(count_decodes):
    session = Session()
    session.open(_ct_files(count=3))
    first = session.render(0, 2)
    assert len(count_decodes) == 1
    user = session.render(0, 2, window=(1000.0, 100.0))
    assert user.info["windowSource"] == "user"
    assert (user.info["windowCenter"], user.info["windowWidth"]) == (1000.0, 100.0)
    assert not np.array_equal(user.rgba, first.rgba)
    again = session.render(0, 2)
    np.testing.assert_array_equal(again.rgba, first.rgba)
    assert len(count_decodes) == 1  # one decode for three renders
    assert len(session.cache) == 1
    session.render(0, 0)
    assert len(count_decodes) == 2 and len(session.cache) == 2


def test_user_invert_inverts():
    session = Session()
    session.open(_ct_files(count=1))
    plain = session.render(0, 0).rgba
    inverted = session.render(0, 0, invert=True).rgba
    np.testing.assert_array_equal(inverted[..., :3], 255 - plain[..., :3])
    assert (inverted[..., 3] == 255).all()


def test_monochrome1_renders_inverted_relative_to_monochrome2(make_image):
    values = np.arange(64, dtype=np.uint16).reshape(8, 8) * 65  # 0 ... 4095
    common = dict(bits_stored=12, window=(2048.0, 4096.0))
    session = Session()
    session.open(
        [
            ("mono2.dcm", make_image(values, photometric="MONOCHROME2", series_number=1, **common)),
            ("mono1.dcm", make_image(values, photometric="MONOCHROME1", series_number=2, **common)),
        ]
    )
    assert [session.files[s.frames[0].file].name for s in session.series] == [
        "mono2.dcm",
        "mono1.dcm",
    ]
    mono2 = session.render(0, 0).rgba
    mono1 = session.render(1, 0).rgba
    assert mono2[..., 0].min() == 0 and mono2[..., 0].max() == 255
    np.testing.assert_array_equal(mono1[..., :3], 255 - mono2[..., :3])
    # the user's invert composes: MONOCHROME1 inverted shows like MONOCHROME2
    np.testing.assert_array_equal(session.render(1, 0, invert=True).rgba, mono2)


def test_render_colour_has_no_window(pydicom_file):
    session = Session()
    session.open([("rgb.dcm", pydicom_file("SC_rgb_rle_2frame.dcm").read_bytes())])
    rendered = session.render(0, 1)
    # 8-bit RGB passes through unchanged
    expected = pydicom.dcmread(pydicom_file("SC_rgb_rle_2frame.dcm")).pixel_array[1]
    np.testing.assert_array_equal(rendered.rgba[..., :3], expected)
    assert rendered.info["windowSource"] == "none (colour)"
    assert rendered.info["frame"] == 1


def test_frame_ref_clamps_the_frame_and_refuses_a_missing_series():
    session = Session()
    session.open(_ct_files(count=3))
    assert session.frame_ref(0, 99) == session.series[0].frames[-1]
    assert session.frame_ref(0, -4) == session.series[0].frames[0]
    with pytest.raises(IndexError):
        session.frame_ref(1, 0)


def test_stored_frames_are_read_only():
    session = Session()
    session.open(_ct_files(count=1))
    arr = session.stored(FrameRef(0, 0))
    with pytest.raises(ValueError):
        arr[0, 0] = 0


# -- the frame cache -----------------------------------------------------------------------


def _block(nbytes: int, fill: int) -> np.ndarray:
    return np.full(nbytes, fill, dtype=np.uint8)


def test_frame_cache_evicts_least_recently_used_past_its_budget():
    cache = FrameCache(budget=250)
    a, b, c = FrameRef(0, 0), FrameRef(0, 1), FrameRef(1, 0)
    cache.put(a, _block(100, 1))
    cache.put(b, _block(100, 2))
    assert len(cache) == 2 and cache.nbytes == 200
    assert cache.get(a)[0] == 1  # a is now the most recently used
    cache.put(c, _block(100, 3))  # 300 > 250: the least recently used (b) goes
    assert cache.get(b) is None
    assert cache.get(a) is not None and cache.get(c) is not None
    assert len(cache) == 2 and cache.nbytes == 200


def test_frame_cache_keeps_one_frame_even_over_budget():
    cache = FrameCache(budget=10)
    cache.put(FrameRef(0, 0), _block(100, 1))
    assert len(cache) == 1 and cache.nbytes == 100
    cache.put(FrameRef(0, 1), _block(50, 2))
    assert cache.get(FrameRef(0, 0)) is None
    assert len(cache) == 1 and cache.nbytes == 50


def test_frame_cache_put_twice_counts_once():
    cache = FrameCache(budget=1000)
    cache.put(FrameRef(0, 0), _block(100, 1))
    cache.put(FrameRef(0, 0), _block(100, 2))
    assert len(cache) == 1 and cache.nbytes == 100 and cache.get(FrameRef(0, 0))[0] == 1


def test_session_cache_budget_bounds_decoded_frames(count_decodes):
    frame_bytes = 32 * 32 * 2
    session = Session(cache_bytes=2 * frame_bytes)
    session.open(_ct_files(count=4))
    for frame in range(4):
        session.render(0, frame)
    assert len(session.cache) == 2 and session.cache.nbytes == 2 * frame_bytes
    session.render(0, 3)  # still cached
    assert len(count_decodes) == 4
    session.render(0, 0)  # evicted: decoded again
    assert len(count_decodes) == 5


# == the display pipeline through Session.render =============================================


def _render_keys() -> set[str]:
    """Keys render() has always given (the worker and the page rely on them)."""
    return {
        "series",
        "frame",
        "frames",
        "width",
        "height",
        "file",
        "photometric",
        "windows",
        "transferSyntax",
        "decoder",
        "windowCenter",
        "windowWidth",
        "windowSource",
    }


def _expected_grey(stored, slope, intercept, center, width, function=LINEAR):
    """PS3.3 C.11.1 then C.11.2, pixel by pixel, as written in test_display's reference."""
    return [
        [half_up(reference_voi(v * slope + intercept, center, width, function)) for v in row]
        for row in np.asarray(stored).tolist()
    ]


def _voi_lut_item(first: int, bits: int, data: list[int], explanation: str) -> Dataset:
    item = Dataset()
    item.add_new(0x00283002, "US", [len(data), first, bits])
    item.add_new(0x00283006, "US", data)
    item.LUTExplanation = explanation
    return item


VALUES = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 60).astype(np.uint16)  # 0 .. 3780
LUT_A = [0, 300, 900, 1800, 3000, 4095]
LUT_B = [255 - v for v in range(0, 256, 51)]


@pytest.fixture
def voi_file(make_dataset):
    ds = make_dataset(
        VALUES, bits_stored=12, window=[(2000.0, 4000.0), (500.0, 200.0)], explanations=["A", "B"]
    )
    ds.VOILUTSequence = [_voi_lut_item(0, 12, LUT_A, "LUT A"), _voi_lut_item(0, 8, LUT_B, "LUT B")]
    return ("voi.dcm", synth.to_bytes(ds))


def test_every_voi_of_the_file_is_selectable(voi_file, count_decodes):
    session = Session()
    session.open([voi_file])
    default = session.render(0, 0)
    info = default.info
    assert _render_keys() <= set(info)
    assert [(w["kind"], w["explanation"]) for w in info["windows"]] == [
        ("window", "A"),
        ("window", "B"),
        ("lut", "LUT A"),
        ("lut", "LUT B"),
    ]
    assert (info["voiIndex"], info["voiKind"], info["windowSource"]) == (0, "window", "file")
    assert default.rgba[..., 0].tolist() == _expected_grey(VALUES, 1, 0, 2000.0, 4000.0)
    second = session.render(0, 0, voi_index=1)
    assert (second.info["windowCenter"], second.info["windowWidth"]) == (500.0, 200.0)
    assert second.rgba[..., 0].tolist() == _expected_grey(VALUES, 1, 0, 500.0, 200.0)
    for index, (table, bits) in ((2, (LUT_A, 12)), (3, (LUT_B, 8))):
        rendered = session.render(0, 0, voi_index=index)
        assert (rendered.info["voiIndex"], rendered.info["voiKind"]) == (index, "lut")
        assert rendered.info["windowCenter"] is None and rendered.info["windowSource"] == "file"
        expected = [
            [half_up(reference_lut(v, 0, table) * 255 / (2**bits - 1)) for v in row]
            for row in VALUES.tolist()
        ]
        assert rendered.rgba[..., 0].tolist() == expected
    assert session.render(0, 0, voi_index=17).info["voiIndex"] == 0  # out of range: the default
    user = session.render(0, 0, window=(100.0, 50.0), voi_index=2)
    assert (user.info["windowSource"], user.info["voiIndex"]) == ("user", None)
    assert user.rgba[..., 0].tolist() == _expected_grey(VALUES, 1, 0, 100.0, 50.0)
    assert len(count_decodes) == 1  # one decode for every VOI


def test_modality_lut_sequence_through_render(make_dataset):
    table = [0, 10, 20, 40, 80, 160, 320, 640, 1280, 2560]
    stored = np.arange(12, dtype=np.uint16).reshape(3, 4)  # 10 and 11 past the table's end
    ds = make_dataset(stored, window=(1280.0, 2560.0))
    item = Dataset()
    item.add_new(0x00283002, "US", [len(table), 0, 12])
    item.add_new(0x00283006, "US", table)
    item.ModalityLUTType = "OD"
    ds.ModalityLUTSequence = [item]
    session = Session()
    session.open([("mlut.dcm", synth.to_bytes(ds))])
    rendered = session.render(0, 0)
    assert rendered.info["modality"] == {
        "kind": "lut",
        "entries": 10,
        "firstMapped": 0,
        "bits": 12,
        "unit": "OD",
        "explanation": "",
    }
    expected = [
        [half_up(reference_voi(reference_lut(v, 0, table), 1280.0, 2560.0, LINEAR)) for v in row]
        for row in stored.tolist()
    ]
    assert rendered.rgba[..., 0].tolist() == expected


# -- Enhanced multi-frame ------------------------------------------------------------------

ENHANCED = (np.arange(3 * 8 * 8, dtype=np.int16).reshape(3, 8, 8) * 9 - 500).astype(np.int16)
RESCALES = [(1.0, -1024.0), (2.0, -100.0), (0.5, 7.0)]
WINDOWS = [
    [(-1400.0, 1000.0, "LOW"), (-800.0, 300.0, "NARROW")],
    [(0.0, 2000.0, "WIDE")],
    [(450.0, 400.0, "SOFT")],
]


def test_enhanced_frames_use_their_own_rescale_window_and_geometry(make_enhanced, count_decodes):
    ds = make_enhanced(ENHANCED, rescales=RESCALES, windows=WINDOWS)
    session = Session()
    session.open([("enhanced.dcm", synth.to_bytes(ds))])
    assert len(session.series) == 1 and len(session.series[0].frames) == 3
    for index in range(3):
        rendered = session.render(0, index)
        info = rendered.info
        slope, intercept = RESCALES[index]
        center, width, _ = WINDOWS[index][0]
        assert info["modality"] == {
            "kind": "rescale",
            "slope": slope,
            "intercept": intercept,
            "unit": "HU",
        }
        assert (info["windowCenter"], info["windowWidth"]) == (center, width)
        assert [w["explanation"] for w in info["windows"]] == [e for _, _, e in WINDOWS[index]]
        assert Inspector(session).geometry(0)["frames"][index] == {
            "position": [0.0, 0.0, 3.0 * index],
            "orientation": [1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
            "pixelSpacing": [0.5, 0.75],
            "sliceThickness": 2.0,
        }
        expected = _expected_grey(ENHANCED[index], slope, intercept, center, width)
        assert rendered.rgba[..., 0].tolist() == expected
        grey = rendered.rgba[..., 0]
        assert 0 < grey.mean() < 255  # each frame's window shows something of that frame
    narrow = session.render(0, 0, voi_index=1)
    assert narrow.rgba[..., 0].tolist() == _expected_grey(ENHANCED[0], 1.0, -1024.0, -800.0, 300.0)
    assert len(count_decodes) == 3  # one per frame; the VOI change did not decode again


def test_enhanced_without_windows_gets_an_automatic_window_from_its_middle_frame(make_enhanced):
    ds = make_enhanced(ENHANCED, rescales=RESCALES)
    session = Session()
    session.open([("enhanced.dcm", synth.to_bytes(ds))])
    rendered = session.render(0, 1)
    assert rendered.info["windowSource"] == "automatic"
    hu = ENHANCED[1].astype(float) * 2.0 - 100.0  # the middle frame's own rescale
    grey = rendered.rgba[..., 0]
    assert grey[hu == hu.min()].max() == 0 and grey[hu == hu.max()].min() == 255


# -- colour --------------------------------------------------------------------------------


def test_palette_color_renders_through_its_palette(pydicom_file):
    path = pydicom_file("examples_palette.dcm")
    session = Session()
    session.open([("palette.dcm", path.read_bytes())])
    rendered = session.render(0, 0)
    ds = pydicom.dcmread(path)
    reference = apply_color_lut(ds.pixel_array, ds).astype(np.float64)  # 16-bit entries
    np.testing.assert_array_equal(
        rendered.rgba[..., :3], np.floor(reference * 255 / 65535 + 0.5).astype(np.uint8)
    )
    assert rendered.info["windowSource"] == "none (colour)"
    assert session.stored(session.frame_ref(0, 0)).ndim == 2  # indices; the palette is display


def test_segmented_palette_through_render(make_dataset):
    """The well-known SPRING palette (PS3.6 B.1.5), segmented: red 255, green i, blue 255 - i."""
    spring = pydicom.dcmread(Path(pydicom.__file__).parent / "data" / "palettes" / "spring.dcm")
    stored = np.arange(256, dtype=np.uint8).reshape(16, 16)
    ds = make_dataset(stored, bits_allocated=8, photometric="PALETTE COLOR")
    for element in spring.group_dataset(0x0028):
        if "Palette" in element.keyword:
            ds.add(element)
    session = Session()
    session.open([("spring.dcm", synth.to_bytes(ds))])
    rgba = session.render(0, 0).rgba
    assert (rgba[..., 0] == 255).all()
    np.testing.assert_array_equal(rgba[..., 1], stored)
    np.testing.assert_array_equal(rgba[..., 2], 255 - stored)


def test_palette_color_without_a_palette_is_skipped(make_image):
    session = Session()
    result = session.open(
        [("nopal.dcm", make_image(bits_allocated=8, photometric="PALETTE COLOR"))]
    )
    assert session.files == []
    assert "Palette Color Lookup Table" in result["skipped"][0]["reason"]


@pytest.mark.parametrize("window", [(500.0, 1000.0), None], ids=["file-window", "automatic"])
def test_supplemental_palette_colours_its_range_and_windows_the_rest(make_dataset, window):
    stored = np.array([[0, 250, 500, 999], [1000, 1001, 1002, 4000]], dtype=np.uint16)
    ds = make_dataset(stored, bits_stored=12, window=window)
    ds.PixelPresentation = "MIXED"
    for tag, values in ((0x1201, [255, 0, 0]), (0x1202, [0, 255, 0]), (0x1203, [0, 0, 255])):
        ds.add_new(0x00280000 | (tag - 0x100), "US", [3, 1000, 8])  # descriptor: 3 from 1000
        ds.add_new(0x00280000 | tag, "OW", bytes(values) + b"\0")
    session = Session()
    session.open([("supplemental.dcm", synth.to_bytes(ds))])
    rgba = session.render(0, 0).rgba
    # colour range (>= 1000): the palette, the last entry past its end (PS3.3 C.7.6.3.1.5)
    assert rgba[1, :, :3].tolist() == [[255, 0, 0], [0, 255, 0], [0, 0, 255], [0, 0, 255]]
    grey = rgba[0, :, 0].tolist()
    if window:
        assert grey == [half_up(reference_voi(v, *window, LINEAR)) for v in stored[0].tolist()]
    else:  # the window spans the grey range only: 0 -> black, 999 -> white
        assert grey[0] == 0 and grey[3] == 255 and 0 < grey[1] < grey[2] < 255
    assert (rgba[0, :, 0] == rgba[0, :, 1]).all()


def test_native_ybr_partial_and_planar_rgb_render_as_rgb(make_dataset):
    session = Session()
    partial = colour_dataset(ybr_partial(COLOURS), "YBR_PARTIAL_420", 1)
    planar = colour_dataset(COLOURS, "RGB", 1)
    session.open([("partial.dcm", synth.to_bytes(partial)), ("planar.dcm", synth.to_bytes(planar))])
    partial_rgba, planar_rgba = (session.render(series, 0).rgba for series in range(2))
    np.testing.assert_array_equal(planar_rgba[..., :3], COLOURS)
    # YBR rounded to 8 bits and back: within one level (PS3.3 C.7.6.3.1.2)
    assert np.abs(partial_rgba[..., :3].astype(int) - COLOURS).max() <= 1


# -- overlays ------------------------------------------------------------------------------


def test_overlay_of_a_real_file_is_burnt_in_on_request(pydicom_file):
    path = pydicom_file("examples_overlay.dcm")
    session = Session()
    result = session.open(
        [("overlay.dcm", path.read_bytes()), ("ct.dcm", pydicom_file("CT_small.dcm").read_bytes())]
    )
    flags = {s["description"]: s["overlays"] for s in result["series"]}
    assert sorted(flags.values()) == [False, True]
    series = next(i for i, s in enumerate(result["series"]) if s["overlays"])
    plain = session.render(series, 0)
    shown = session.render(series, 0, overlays=True)
    mask = pydicom.dcmread(path).overlay_array(0x6000).astype(bool)
    changed = (shown.rgba != plain.rgba).any(axis=2)
    assert (shown.rgba[mask] == np.array(OVERLAY_RGBA, np.uint8)).all()
    np.testing.assert_array_equal(shown.rgba[~mask], plain.rgba[~mask])
    assert changed.sum() == (mask & (plain.rgba[..., :3] != OVERLAY_RGBA[:3]).any(axis=2)).sum()
    assert [o["group"] for o in shown.info["overlays"]] == ["6000"]
    assert shown.info["overlays"][0]["description"] == "Siemens MedCom Object Graphics"
    assert (shown.info["overlaysShown"], plain.info["overlaysShown"]) == (True, False)
    assert plain.info["overlays"] == shown.info["overlays"]  # listed even when not shown


def _embedded_overlay_file(make_image):
    stored = (np.arange(36, dtype=np.uint16).reshape(6, 6) * 100) % 4096  # 12 bits
    square = np.zeros((6, 6), dtype=bool)
    square[1:4, 2:5] = True
    junk = np.uint16(1 << 14)  # bit 14 set everywhere: not an overlay, must be masked away
    cells = stored | (square.astype(np.uint16) << 13) | junk
    ds = pydicom.dcmread(io.BytesIO(make_image(cells, bits_stored=12)))
    ds.add_new(0x60000010, "US", 6)
    ds.add_new(0x60000011, "US", 6)
    ds.add_new(0x60000050, "SS", [1, 1])
    ds.add_new(0x60000100, "US", 16)  # embedded: as many bits as the pixel cells
    ds.add_new(0x60000102, "US", 13)
    return synth.to_bytes(ds), stored, square


def test_embedded_overlay_is_taken_from_the_raw_cells(make_image, monkeypatch):
    data, stored, square = _embedded_overlay_file(make_image)
    raw_decodes = []
    real = decode.frame

    def counting(source, index, raw=False):
        if raw:
            raw_decodes.append(index)
        return real(source, index, raw=raw)

    monkeypatch.setattr(decode, "frame", counting)
    session = Session()
    session.open([("embedded.dcm", data)])
    np.testing.assert_array_equal(session.stored(session.frame_ref(0, 0)), stored)
    plain = session.render(0, 0, window=(2048.0, 4096.0))
    assert plain.rgba[..., 0].tolist() == _expected_grey(stored, 1, 0, 2048.0, 4096.0)
    shown = session.render(0, 0, window=(2048.0, 4096.0), overlays=True)
    assert (shown.rgba[square] == np.array(OVERLAY_RGBA, np.uint8)).all()
    np.testing.assert_array_equal(shown.rgba[~square], plain.rgba[~square])
    assert shown.info["overlays"][0]["embedded"] is True
    assert raw_decodes == [0]  # decoded once: the overlay bits came from the cached cells


# -- short pixel data ----------------------------------------------------------------------


@pytest.fixture
def accept_short_files():
    """Short native files are accepted by ingest.read_header itself (nothing to patch)."""


def test_short_file_shows_what_it_has_with_a_warning(pydicom_file, accept_short_files):
    session = Session()
    result = session.open([("MR_truncated.dcm", pydicom_file("MR_truncated.dcm").read_bytes())])
    assert result["skipped"] == []
    rendered = session.render(0, 0)
    assert "frame 1 is truncated: 8130 of 8192 bytes" in rendered.info["warning"]
    assert rendered.rgba.shape == (64, 64, 4)
    present = np.frombuffer(pydicom.dcmread(pydicom_file("MR_truncated.dcm")).PixelData, "<i2")
    grey = rendered.rgba[..., 0].ravel()
    assert (grey[4065:] == grey[:4065].min()).all()  # the missing pixels: the lowest value
    assert grey[:4065][present[:4065] == present[:4065].max()].min() > 0


def test_short_multiframe_file_warns_only_on_short_frames(make_image, accept_short_files):
    frames = (np.arange(3 * 4 * 5, dtype=np.uint16).reshape(3, 4, 5) * 50).astype(np.uint16)
    whole = make_image(frames)
    session = Session()
    result = session.open([("short.dcm", whole[: len(whole) - 40 - 16])])  # frame 3 gone, 2 cut
    # Frames the bytes do not hold are not listed; the open says how many are there.
    assert result["series"][0]["frames"] == 2
    assert {
        "file": "short.dcm",
        "reason": "1 of 3 declared frames are present; frame 2 is cut short (24 of 40 bytes)",
    } in result["series"][0]["warnings"]
    warnings = [session.render(0, i).info["warning"] for i in range(2)]
    assert warnings[0] is None
    assert "frame 2 is truncated: 24 of 40 bytes" in warnings[1]


# -- bit depths and sample formats ---------------------------------------------------------


def _auto_expected(values: np.ndarray, info: dict) -> list[list[int]]:
    c, w = info["windowCenter"], info["windowWidth"]
    return [
        [half_up(reference_voi(float(v), c, w, LINEAR)) for v in row] for row in values.tolist()
    ]


def test_single_bit_frames_render(make_dataset):
    bits = (np.arange(4 * 3 * 5) % 3 == 0).astype(np.uint8).reshape(4, 3, 5)
    packed = np.packbits(bits.ravel(), bitorder="little").tobytes()
    ds = make_dataset(
        pixel_bytes=packed + b"\0" * (len(packed) % 2), rows=3, cols=5, frames=4, bits_allocated=1
    )
    session = Session()
    session.open([("seg.dcm", synth.to_bytes(ds))])
    for index in range(4):
        rendered = session.render(0, index)
        assert rendered.info["windowSource"] == "automatic"
        np.testing.assert_array_equal(rendered.rgba[..., 0], bits[index] * 255)


@pytest.mark.parametrize(
    ("values", "attributes"),
    [
        pytest.param(
            np.array([[-2_000_000, -5, 0], [7, 123_456, 2_000_000]], dtype=np.int32),
            {"pixel_representation": 1},
            id="int32-wide",
        ),
        pytest.param(
            np.array([[0, 5, 9], [4_000_000_000, 3, 1]], dtype=np.uint32), {}, id="uint32-wide"
        ),
        pytest.param(
            np.array([[-3, -2, -1], [0, 1, 200]], dtype=np.int32),
            {"pixel_representation": 1},
            id="int32-narrow-via-lut",
        ),
        pytest.param(
            np.array([[0x7FFFF, 0x80000, 0xFFFFF], [0, 1, 2]], dtype=np.uint32)
            | np.uint32(0xF00000),
            {"pixel_representation": 1, "bits_stored": 20},
            id="int32-20-bit-signed-junk",
        ),
    ],
)
def test_32_bit_integer_images_render(make_image, values, attributes):
    session = Session()
    session.open([("i32.dcm", make_image(values, bits_allocated=32, **attributes))])
    rendered = session.render(0, 0)
    stored = values
    if "bits_stored" in attributes:  # the 20-bit two's complement of each cell (PS3.5 8.1.1)
        low = values.astype(np.int64) & 0xFFFFF
        stored = np.where(low >= 1 << 19, low - (1 << 20), low)
    grey = rendered.rgba[..., 0]
    assert grey.tolist() == _auto_expected(stored, rendered.info)
    assert grey[stored == stored.min()].max() == 0 and grey[stored == stored.max()].min() == 255


@pytest.mark.parametrize(
    ("keyword", "dtype", "bits"),
    [
        pytest.param("FloatPixelData", "<f4", 32, id="float32"),
        pytest.param("DoubleFloatPixelData", "<f8", 64, id="float64"),
    ],
)
@pytest.mark.parametrize("window", [None, (0.25, 2.0)], ids=["automatic", "file-window"])
def test_float_images_render(make_dataset, keyword, dtype, bits, window):
    values = np.array([[-1.5, -0.25, 0.0], [0.125, 0.75, 3.5]], dtype=dtype)
    ds = make_dataset(rows=2, cols=3, window=window)
    del ds.PixelData, ds.BitsStored, ds.HighBit, ds.PixelRepresentation
    ds.BitsAllocated = bits
    setattr(ds, keyword, values.tobytes())
    session = Session()
    session.open([("float.dcm", synth.to_bytes(ds))])
    rendered = session.render(0, 0)
    np.testing.assert_array_equal(session.stored(session.frame_ref(0, 0)), values)
    assert rendered.rgba[..., 0].tolist() == _auto_expected(values, rendered.info)
    if window is None:
        assert rendered.rgba[0, 0, 0] == 0 and rendered.rgba[1, 2, 0] == 255


def test_real_segmentation_renders_with_its_functional_group_geometry(pydicom_file):
    """liver_1frame.dcm (pydicom's): 1-bit, shared and per-frame functional groups."""
    path = pydicom_file("liver_1frame.dcm")
    session = Session()
    session.open([("liver.dcm", path.read_bytes())])
    rendered = session.render(0, 0)
    geometry = Inspector(session).geometry(0)["frames"][0]
    assert geometry["position"] == pytest.approx([-235.2, -226.8, -128.69])
    assert geometry["pixelSpacing"] == pytest.approx([0.810547, 0.810547])
    mask = pydicom.dcmread(path).pixel_array
    assert mask.max() == 1 and mask.min() == 0
    np.testing.assert_array_equal(rendered.rgba[..., 0], mask * 255)


def test_multi_frame_overlay_shows_on_its_frames_only(make_dataset):
    ds = make_dataset(np.zeros((3, 4, 4), dtype=np.uint16), window=(0.0, 1.0))
    overlay = np.zeros((2, 2, 3), dtype=bool)
    overlay[0, 0, 0] = overlay[1, 1, 2] = True  # frame 1: top left; frame 2: bottom right
    packed = bytearray(2)
    for i, bit in enumerate(overlay.ravel().tolist()):
        packed[i // 8] |= int(bit) << (i % 8)
    ds.add_new(0x60020010, "US", 2)
    ds.add_new(0x60020011, "US", 3)
    ds.add_new(0x60020015, "IS", 2)  # two overlay frames ...
    ds.add_new(0x60020051, "US", 2)  # ... over image frames 2 and 3
    ds.add_new(0x60020050, "SS", [2, 1])  # origin: row 2, column 1
    ds.add_new(0x60020100, "US", 1)
    ds.add_new(0x60020102, "US", 0)
    ds.add_new(0x60023000, "OW", bytes(packed))
    session = Session()
    session.open([("multi.dcm", synth.to_bytes(ds))])
    painted = []
    for frame in range(3):
        rendered = session.render(0, frame, overlays=True)
        hits = np.argwhere((rendered.rgba == np.array(OVERLAY_RGBA, np.uint8)).all(axis=2))
        painted.append(hits.tolist())
        assert rendered.info["overlays"][0]["onFrame"] is (frame > 0)
    assert painted == [[], [[1, 0]], [[2, 2]]]


def test_native_frames_are_views_of_the_file_bytes(monkeypatch):
    """No file's bytes are held twice: a native frame is read in place, never decoded."""
    decodes: list[int] = []
    monkeypatch.setattr(decode, "_decode", lambda *args: decodes.append(1))
    session = Session()
    session.open(_ct_files(count=3))
    ref = session.frame_ref(0, 1)
    stored = session.stored(ref)
    data = session.files[ref.file].data
    assert np.shares_memory(stored, np.frombuffer(data, dtype=np.uint8))
    assert not stored.flags.writeable
    assert decodes == [] and len(session.cache) == 0
    ds = pydicom.dcmread(io.BytesIO(data))
    assert (stored == ds.pixel_array).all()
    assert session.render(0, 1).rgba.shape == (32, 32, 4)


@pytest.mark.parametrize(
    ("name", "overlays"),
    [
        ("CT_small.dcm", False),
        ("SC_rgb_rle_16bit.dcm", False),
        ("examples_palette.dcm", False),
        ("examples_overlay.dcm", True),
    ],
)
@pytest.mark.parametrize("step", [2, 3, 7])
def test_a_coarse_render_is_every_step_th_pixel_of_the_full_one(pydicom_file, name, overlays, step):
    """The drag preview of a large image: the same pixels the full render has, thinned."""
    session = Session()
    session.open([(name, pydicom_file(name).read_bytes())])
    full = session.render(0, 0, (100.0, 500.0), overlays=overlays)
    coarse = session.render(0, 0, (100.0, 500.0), overlays=overlays, step=step)
    np.testing.assert_array_equal(coarse.rgba, full.rgba[::step, ::step])
    assert coarse.info["step"] == step and full.info["step"] == 1
    assert (coarse.info["width"], coarse.info["height"]) == (full.rgba.shape[1], full.rgba.shape[0])
    if overlays:
        assert coarse.info["overlaysShown"] and (full.rgba == OVERLAY_RGBA).all(axis=-1).any()


def test_decode_times_decodes_the_frame_each_run(pydicom_file, monkeypatch):
    """The bench's decode figure decodes every time (no cache), after one warm-up."""
    session = Session()
    session.open([("rle.dcm", pydicom_file("MR_small_RLE.dcm").read_bytes())])
    calls = []
    real = decode.frame
    monkeypatch.setattr(
        decode, "frame", lambda source, index: calls.append(index) or real(source, index)
    )
    times = session.decode_times(0, 0, 5)
    assert len(times) == 5 and all(t >= 0 for t in times)
    assert calls == [0] * 6
