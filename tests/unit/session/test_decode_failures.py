"""Frames that cannot be decoded (issue 12, defect 6) are kept and said, not only shown.

The session keeps every decode failure (file, frame, reason) met while
rendering, making thumbnails or reading stored values; the completeness report
lists them ("Frames that cannot be shown"); a file none of whose frames can be
decoded is also in ``skipped``.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from pydicom.encaps import encapsulate, generate_frames
from pydicom.uid import RLELossless

from lightbox.core.errors import DecodeError
from lightbox.pixels import decode
from lightbox.session.inspector import Inspector
from lightbox.session.session import Session
from tests.support.factories import image_dataset, to_bytes
from tools import synth


def _garbled_jpeg(pydicom_file) -> bytes:
    """A JPEG baseline file whose header is fine and whose compressed data is garbage."""
    data = bytearray(pydicom_file("SC_rgb_jpeg_dcmtk.dcm").read_bytes())
    start = data.index(b"\xff\xd8\xff")  # the JPEG stream's start of image
    data[start + 600 : start + 4000] = bytes(3400)
    return bytes(data)


def _rle(frames: int, broken: set[int]) -> bytes:
    """A multi-frame RLE file whose frames in ``broken`` (0-based) are zeros, not RLE."""
    pixels_ = (np.arange(frames * 20, dtype=np.uint16) * 7).reshape(frames, 4, 5)
    ds = image_dataset(pixels_)
    ds.compress(RLELossless)
    encoded = list(generate_frames(ds.PixelData, number_of_frames=frames))
    ds.PixelData = encapsulate([bytes(len(f)) if i in broken else f for i, f in enumerate(encoded)])
    ds["PixelData"].is_undefined_length = True
    return to_bytes(ds)


def _report(session: Session) -> dict:
    return session.catalog()["report"]


def test_an_undecodable_frame_is_in_the_report_and_its_file_in_skipped(pydicom_file):
    session = Session()
    result = session.open([("broken.dcm", _garbled_jpeg(pydicom_file))])
    # It opens (its header is fine); nothing is said before a frame was tried.
    assert result["first"] == 0 and result["skipped"] == []
    assert _report(session)["undecodable"] == [] and _report(session)["complete"]
    with pytest.raises(DecodeError) as caught:
        session.render(0, 0)
    reason = caught.value.reason
    assert reason.startswith("frame 1 cannot be decoded (")
    catalog = session.catalog()
    report = catalog["report"]
    assert report["undecodable"] == [{"file": "broken.dcm", "frame": 1, "reason": reason}]
    assert f"Frames that cannot be shown:\n- broken.dcm: {reason}" in report["text"]
    assert report["complete"] is False
    # Its one frame cannot be shown: the file is in skipped, with the same reason.
    detail = reason.removeprefix("frame 1 cannot be decoded (").removesuffix(")")
    said = {
        "text": reason,
        "key": "engine.frame_undecodable",
        "params": {"frame": 1, "detail": detail},
    }
    assert catalog["skipped"] == [{"name": "broken.dcm", "reason": reason, "said": said}]
    # Still open: the series stays, rendering again says the same and is listed once.
    assert len(catalog["series"]) == 1
    with pytest.raises(DecodeError):
        session.render(0, 0)
    assert len(_report(session)["undecodable"]) == 1


@pytest.mark.parametrize(
    "attempt",
    [
        pytest.param(lambda s: s.thumbnail(0), id="thumbnail"),
        pytest.param(lambda s: s.stored(s.frame_ref(0, 0)), id="stored"),
        pytest.param(lambda s: Inspector(s).probe(0, 0, 1, 1), id="probe"),
    ],
)
def test_every_way_to_a_frame_keeps_its_failure(pydicom_file, attempt):
    session = Session()
    session.open([("broken.dcm", _garbled_jpeg(pydicom_file))])
    with pytest.raises(DecodeError):
        attempt(session)
    assert [f["file"] for f in _report(session)["undecodable"]] == ["broken.dcm"]


def test_some_frames_failing_are_listed_and_the_file_is_not_skipped():
    session = Session()
    session.open([("multi.dcm", _rle(4, broken={1, 3}))])
    for frame in range(4):
        with contextlib.suppress(DecodeError):
            session.render(0, frame)
    report = _report(session)
    assert [(f["file"], f["frame"]) for f in report["undecodable"]] == [
        ("multi.dcm", 2),
        ("multi.dcm", 4),
    ]
    assert "- multi.dcm: frame 2 cannot be decoded (" in report["text"]
    assert session.catalog()["skipped"] == []


def test_a_multi_frame_file_none_of_whose_frames_decode_is_skipped():
    session = Session()
    session.open([("multi.dcm", _rle(3, broken={0, 1, 2}))])
    for frame in range(2):
        with pytest.raises(DecodeError):
            session.render(0, frame)
    assert session.catalog()["skipped"] == []  # frame 3 was not tried yet
    with pytest.raises(DecodeError):
        session.render(0, 2)
    (skipped,) = session.catalog()["skipped"]
    assert skipped["name"] == "multi.dcm"
    assert skipped["reason"].startswith(
        "none of its 3 frames can be decoded; frame 1 cannot be decoded ("
    )


def test_a_broken_middle_frame_keeps_no_other_frame_off_the_screen():
    """The automatic window comes from a series' middle frame: when that one cannot be
    decoded, the frame shown gives the window, and the window stays for the series."""
    files = []
    for i, ds in enumerate(synth.ct_series(3, 16, 16, name="mid", window=None)):
        ds.compress(RLELossless)
        if i == 1:  # the middle slice: its RLE segments are zeros
            (encoded,) = generate_frames(ds.PixelData, number_of_frames=1)
            ds.PixelData = encapsulate([bytes(len(encoded))])
        files.append((f"IM{i + 1}", synth.to_bytes(ds)))
    session = Session()
    session.open(files)
    assert [session.files[r.file].name for r in session.series[0].frames] == ["IM1", "IM2", "IM3"]
    first = session.render(0, 0)
    assert first.info["windowSource"] == "automatic"
    last = session.render(0, 2)
    window = (first.info["windowCenter"], first.info["windowWidth"])
    assert (last.info["windowCenter"], last.info["windowWidth"]) == window
    with pytest.raises(DecodeError, match=r"^IM2: frame 1 cannot be decoded"):
        session.render(0, 1)
    assert [f["file"] for f in _report(session)["undecodable"]] == ["IM2"]


def test_a_frame_that_decodes_later_is_no_longer_listed(monkeypatch):
    """A codec that could not be loaded at first may load later: the failure goes."""
    real = decode.frame
    broken = [True]

    def flaky(source, index, **options):
        if broken[0]:
            raise DecodeError(source.name, f"frame {index + 1} cannot be decoded (no codec yet)")
        return real(source, index, **options)

    monkeypatch.setattr(decode, "frame", flaky)
    session = Session()
    session.open([("rle.dcm", _rle(1, broken=set()))])
    with pytest.raises(DecodeError):
        session.render(0, 0)
    assert len(_report(session)["undecodable"]) == 1
    broken[0] = False
    session.render(0, 0)
    assert _report(session)["undecodable"] == [] and session.catalog()["skipped"] == []
