"""Video objects at ingest: recognised by transfer syntax, the stream found, Frame Time read.

The expected stream is what pydicom's own encapsulation reader gives back
(``pydicom.encaps.generate_fragments`` over the Pixel Data value), joined; the
expected Frame Time is the standard's rule worked by hand (PS3.3 C.7.6.5.1.1).
"""

from __future__ import annotations

import io

import pytest
from pydicom import dcmread
from pydicom.encaps import generate_fragments
from pydicom.uid import JPEGBaseline8Bit

from lightbox.core.errors import InvalidDicomError
from lightbox.ingest import headers
from lightbox.ingest import video as ingest_video
from tests.support import video as clips
from tools.synth import to_bytes

STREAM = bytes(range(256)) * 9 + b"\x01"  # odd length: the item is padded to even


def _file(stream: bytes = STREAM, fragments: int = 1, **attributes: object) -> bytes:
    ds = clips.video_dataset(STREAM, clips.SYNTAX["h264-ts"], frames=12, **attributes)
    size = max(2, -(-len(stream) // fragments) + (-(-len(stream) // fragments)) % 2)  # even
    ds.PixelData = _items([stream[i : i + size] for i in range(0, len(stream), size)] or [b""])
    return to_bytes(ds)


def _items(pieces: list[bytes]) -> bytes:
    """Encapsulated Pixel Data by hand (PS3.5 A.4): an empty offset table, one item a piece."""
    out = b"\xfe\xff\x00\xe0\x00\x00\x00\x00"
    for piece in pieces:
        padded = piece + b"\x00" * (len(piece) % 2)
        out += b"\xfe\xff\x00\xe0" + len(padded).to_bytes(4, "little") + padded
    return out


def _pydicom_stream(data: bytes) -> bytes:
    value = dcmread(io.BytesIO(data)).PixelData
    return b"".join(generate_fragments(value))


@pytest.mark.parametrize(
    ("syntax", "codec"),
    [
        ("1.2.840.10008.1.2.4.100", "mpeg2"),
        ("1.2.840.10008.1.2.4.101", "mpeg2"),
        ("1.2.840.10008.1.2.4.102", "h264"),
        ("1.2.840.10008.1.2.4.103", "h264"),
        ("1.2.840.10008.1.2.4.104", "h264"),
        ("1.2.840.10008.1.2.4.105", "h264"),
        ("1.2.840.10008.1.2.4.106", "h264"),
        ("1.2.840.10008.1.2.4.107", "hevc"),
        ("1.2.840.10008.1.2.4.108", "hevc"),
        (JPEGBaseline8Bit, None),
        ("1.2.840.10008.1.2.1", None),
    ],
)
def test_video_syntaxes_of_ps3_5_annex_a(syntax: str, codec: str | None) -> None:
    found = ingest_video.codec_of(syntax)
    assert (found.value if found else None) == codec


@pytest.mark.parametrize("fragments", [1, 3])
def test_the_stream_is_every_fragment_after_the_offset_table(fragments: int) -> None:
    data = _file(fragments=fragments)
    header = headers.read_header("clip.dcm", data)
    assert header.fragments is not None
    assert len(header.fragments.offsets) == fragments + 1
    stream = ingest_video.stream_bytes(data, header.fragments)
    assert stream == _pydicom_stream(data)
    assert stream[: len(STREAM)] == STREAM


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"FrameTime": 40.0}, 40.0),
        ({"FrameTime": None, "CineRate": 25}, 40.0),
        ({"FrameTime": None, "RecommendedDisplayFrameRate": 50}, 20.0),
        ({"FrameTime": 0, "CineRate": 20}, 50.0),
        ({"FrameTime": None}, 1000 / 30),
    ],
)
def test_frame_time(attributes: dict[str, object], expected: float) -> None:
    ds = clips.video_dataset(STREAM, clips.SYNTAX["h264-ts"], frames=4)
    for key, value in attributes.items():
        if value is None:
            del ds[key]
        else:
            setattr(ds, key, value)
    assert ingest_video.frame_time_ms(ds) == pytest.approx(expected)


def test_native_pixel_data_under_a_video_syntax_is_refused_naming_the_file() -> None:
    data = _file()
    start = data.index(b"\xe0\x7f\x10\x00OB\x00\x00\xff\xff\xff\xff")  # PS3.5 7.1.2
    native = data[:start] + b"\xe0\x7f\x10\x00OB\x00\x00" + (256).to_bytes(4, "little")
    with pytest.raises(InvalidDicomError) as caught:
        headers.read_header("native.dcm", native + STREAM[:256])
    assert caught.value.name == "native.dcm"
    assert "encapsulated" in caught.value.reason


def test_an_empty_stream_is_refused() -> None:
    with pytest.raises(InvalidDicomError) as caught:
        headers.read_header("empty.dcm", _file(b""))
    assert "no stream" in caught.value.reason
