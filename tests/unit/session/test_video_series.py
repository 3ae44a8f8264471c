"""Video series in the session: their catalog entry (kind, playable, reason) and the stream.

The clips are real H.264, HEVC and MPEG-2 encoded by ffmpeg (``tests.support.video``);
the expected stream is the bytes handed to pydicom for encapsulation (before it).
"""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset

from lightbox.core.errors import DecodeError
from lightbox.session.session import Session
from tests.support import video as clips
from tools.synth import ct_series, to_bytes


@pytest.fixture(scope="module")
def encoded() -> dict[str, tuple[bytes, bytes]]:
    return {kind: clips.video_bytes(kind, 12) for kind in clips.SYNTAX}


def test_every_entry_has_a_kind_and_videos_say_whether_they_play(
    encoded: dict[str, tuple[bytes, bytes]],
) -> None:
    session = Session()
    ct = [(f"ct{i}.dcm", to_bytes(ds)) for i, ds in enumerate(ct_series(3, 16, 16))]
    session.open([*ct, *((f"{k}.dcm", data) for k, (data, _) in encoded.items())])
    catalog = session.catalog()
    assert catalog["skipped"] == []
    by_file = {entry["files"][0]: entry for entry in catalog["series"]}
    assert by_file["ct0.dcm"]["kind"] == "stack" and "playable" not in by_file["ct0.dcm"]
    for kind, codec, playable, words in [
        ("h264-ts", "h264", True, None),
        ("h264-mp4", "h264", True, None),
        ("hevc-ts", "hevc", False, "HEVC"),
        ("mpeg2-ps", "mpeg2", False, "MPEG-2"),
    ]:
        entry = by_file[f"{kind}.dcm"]
        assert entry["kind"] == "video" and entry["codec"] == codec
        assert entry["playable"] is playable
        assert entry["frames"] == 12 and (entry["rows"], entry["columns"]) == (120, 160)
        if words:
            assert words in entry["reason"]
        else:
            assert "reason" not in entry


def test_the_video_method_returns_the_stream_and_its_timing(
    encoded: dict[str, tuple[bytes, bytes]],
) -> None:
    data, stream = encoded["h264-mp4"]
    session = Session()
    session.open([("clip.dcm", data)])
    info, got = session.video(0)
    assert got[: len(stream)] == stream and len(got) - len(stream) in (0, 1)  # even padding
    assert info["frames"] == 12 and info["frameTime"] == 100.0
    assert (info["width"], info["height"]) == (160, 120)
    assert info["view"]["calibration"]["kind"] == "Pixel Spacing"
    assert info["file"] == "clip.dcm" and info["playable"] is True


def test_two_single_picture_videos_of_one_series_stay_two_series() -> None:
    session = Session()
    first, _ = clips.video_bytes("h264-ts", 1, SeriesInstanceUID="1.2.3.4")
    second, _ = clips.video_bytes("h264-ts", 1, SeriesInstanceUID="1.2.3.4")
    session.open([("a.dcm", first), ("b.dcm", second)])
    assert [s["files"] for s in session.catalog()["series"]] == [["a.dcm"], ["b.dcm"]]


def test_stacks_are_not_videos_and_videos_are_not_rendered_by_the_engine(
    encoded: dict[str, tuple[bytes, bytes]],
) -> None:
    session = Session()
    session.open([("ct.dcm", to_bytes(ct_series(1, 16, 16)[0])), ("v.dcm", encoded["h264-ts"][0])])
    names = [s["files"][0] for s in session.catalog()["series"]]
    stack, clip = names.index("ct.dcm"), names.index("v.dcm")
    with pytest.raises(DecodeError, match="not a video"):
        session.video(stack)
    with pytest.raises(DecodeError, match="decoded by the browser") as caught:
        session.render(clip, 0)
    assert caught.value.name == "v.dcm"


def test_an_ultrasound_video_is_calibrated_by_its_region() -> None:
    """PS3.3 C.8.5.5.1: Physical Delta X/Y in the units of Physical Units X/Y Direction,
    3 meaning cm; 0.02 cm a pixel is 0.2 mm."""
    region = Dataset()
    region.RegionSpatialFormat = 1
    region.PhysicalUnitsXDirection = 3
    region.PhysicalUnitsYDirection = 3
    region.PhysicalDeltaX = 0.02
    region.PhysicalDeltaY = 0.03
    region.RegionLocationMinX0, region.RegionLocationMinY0 = 0, 0
    region.RegionLocationMaxX1, region.RegionLocationMaxY1 = 159, 119
    data, _ = clips.video_bytes(
        "h264-ts", 4, Modality="US", SequenceOfUltrasoundRegions=[region], pixel_spacing=None
    )
    session = Session()
    session.open([("us.dcm", data)])
    calibration = session.video(0)[0]["view"]["calibration"]
    assert calibration["kind"] == "Ultrasound Region"
    assert calibration["row_mm"] == pytest.approx(0.3)
    assert calibration["column_mm"] == pytest.approx(0.2)
