"""lightbox.session: opening files, skipping bad ones, rendering frames, the frame cache."""

from __future__ import annotations

import random

import numpy as np
import pydicom
import pytest

from lightbox import pixels
from lightbox.records import FrameRef
from lightbox.session import FrameCache, Session
from tools import synth


@pytest.fixture
def count_decodes(monkeypatch):
    """Count calls of pixels.decode_frame (which the session looks up at call time)."""
    calls: list[tuple[str, int]] = []
    real = pixels.decode_frame

    def counting(name, data, index, fmt):
        calls.append((name, index))
        return real(name, data, index, fmt)

    monkeypatch.setattr(pixels, "decode_frame", counting)
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
    assert [f.name for f in session.files] == ["CT_small.dcm", "MR_small.dcm"]
    assert len(session.series) == 2 and len(result["series"]) == 2
    skipped = {s.name: s.reason for s in session.skipped}
    assert set(skipped) == {"notes.pdf", "MR_truncated.dcm"}
    assert "not a DICOM file" in skipped["notes.pdf"]
    assert "truncated" in skipped["MR_truncated.dcm"]
    assert result["skipped"] == [
        {"name": "notes.pdf", "reason": skipped["notes.pdf"]},
        {"name": "MR_truncated.dcm", "reason": skipped["MR_truncated.dcm"]},
    ]
    assert result["first"] == 0
    assert sorted(result["opened"]) == sorted(s.uid for s in session.series)


def test_open_lists_objects_without_image_as_skipped(pydicom_file):
    session = Session()
    result = session.open([("plan.dcm", pydicom_file("rtplan.dcm").read_bytes())])
    assert session.files == [] and session.series == []
    assert result["first"] is None
    assert [s["name"] for s in result["skipped"]] == ["plan.dcm"]
    assert "no image" in result["skipped"][0]["reason"]


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
