"""Video objects: which transfer syntaxes are video, where the stream lies, what it holds.

PS3.5 8.2.5-8.2.8 (MPEG-2, MPEG-4 AVC/H.264, HEVC/H.265) put a whole video in
the encapsulated Pixel Data as one frame of fragments (PS3.5 A.4): after the
Basic Offset Table, the fragments' values joined are the bit stream. For
H.264 and HEVC its container is an MPEG-2 Transport Stream or an MP4 file
(PS3.5 8.2.8: "The container format for the video bit stream shall be MPEG-2
Transport Stream ... or MPEG-4"); older files hold the elementary stream, and
MPEG-2 video is a program or transport stream. The page finds out which from
the bytes. Nothing here decodes: the browser does (a video element or
WebCodecs), and only the page knows its decoders; this module says what
Lightbox can play there.

(0028,0008) Number of Frames counts the pictures; (0018,1063) Frame Time (ms)
spaces them (PS3.3 C.7.6.5), else (0018,0040) Cine Rate or (0008,2144)
Recommended Display Frame Rate (frames per second).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pydicom.dataset import Dataset

from lightbox.core.messages import say
from lightbox.core.values import float_or_none
from lightbox.ingest.structure import Fragments


class VideoCodec(enum.StrEnum):
    """The coding of a video transfer syntax; the value is the catalog's word for it."""

    H264 = "h264"
    HEVC = "hevc"
    MPEG2 = "mpeg2"


#: Video transfer syntaxes (PS3.5 Table A-1) and their coding.
VIDEO_SYNTAXES: dict[str, VideoCodec] = {
    "1.2.840.10008.1.2.4.100": VideoCodec.MPEG2,  # MPEG2 Main Profile / Main Level
    "1.2.840.10008.1.2.4.100.1": VideoCodec.MPEG2,  # fragmentable
    "1.2.840.10008.1.2.4.101": VideoCodec.MPEG2,  # MPEG2 Main Profile / High Level
    "1.2.840.10008.1.2.4.101.1": VideoCodec.MPEG2,
    "1.2.840.10008.1.2.4.102": VideoCodec.H264,  # High Profile / Level 4.1
    "1.2.840.10008.1.2.4.102.1": VideoCodec.H264,
    "1.2.840.10008.1.2.4.103": VideoCodec.H264,  # BD-compatible High Profile / Level 4.1
    "1.2.840.10008.1.2.4.103.1": VideoCodec.H264,
    "1.2.840.10008.1.2.4.104": VideoCodec.H264,  # High Profile / Level 4.2 for 2D video
    "1.2.840.10008.1.2.4.104.1": VideoCodec.H264,
    "1.2.840.10008.1.2.4.105": VideoCodec.H264,  # High Profile / Level 4.2 for 3D video
    "1.2.840.10008.1.2.4.105.1": VideoCodec.H264,
    "1.2.840.10008.1.2.4.106": VideoCodec.H264,  # Stereo High Profile / Level 4.2
    "1.2.840.10008.1.2.4.106.1": VideoCodec.H264,
    "1.2.840.10008.1.2.4.107": VideoCodec.HEVC,  # HEVC/H.265 Main Profile / Level 5.1
    "1.2.840.10008.1.2.4.108": VideoCodec.HEVC,  # HEVC/H.265 Main 10 Profile / Level 5.1
}

#: What cannot be played, the id of the words the viewport shows (the page decodes H.264 with
#: WebCodecs; the browsers Lightbox runs in have no decoder it may use for these).
_UNPLAYABLE = {
    VideoCodec.HEVC: "engine.video_hevc",
    VideoCodec.MPEG2: "engine.video_mpeg",
}
#: Frame Time when the file gives none: PS3.3 gives no default; 30 frames a second.
DEFAULT_FRAME_TIME_MS = 1000 / 30


def codec_of(transfer_syntax: str) -> VideoCodec | None:
    """The video coding of a transfer syntax, or None when it is not a video one."""
    return VIDEO_SYNTAXES.get(str(transfer_syntax))


@dataclass(frozen=True)
class Playability:
    """Whether the page can play a video, and if not, why (in words)."""

    playable: bool
    reason: str = ""


def playability(codec: VideoCodec) -> Playability:
    """Whether Lightbox plays video of this coding in the browser."""
    key = _UNPLAYABLE.get(codec)
    return Playability(key is None, say(key) if key else "")


def stream_bytes(data: bytes, fragments: Fragments) -> bytes:
    """The video's bit stream: every fragment after the Basic Offset Table, joined.

    References
    ----------
    PS3.5 A.4 (the first item is the Basic Offset Table), 8.2.5-8.2.8 (one frame).
    """
    pieces = [
        data[start : start + length]
        for start, length in zip(fragments.offsets[1:], fragments.lengths[1:], strict=True)
    ]
    return b"".join(pieces)


def frame_time_ms(ds: Dataset) -> float:
    """Milliseconds from one picture to the next.

    (0018,1063) Frame Time, else 1000 / (0018,0040) Cine Rate, else 1000 /
    (0008,2144) Recommended Display Frame Rate, else 30 a second.

    References
    ----------
    PS3.3 C.7.6.5 Cine Module, C.7.6.5.1.1 (Frame Time).
    """
    found = float_or_none(ds.get("FrameTime"))
    if found is not None and found > 0:
        return found
    for keyword in ("CineRate", "RecommendedDisplayFrameRate"):
        rate = float_or_none(ds.get(keyword))
        if rate is not None and rate > 0:
            return 1000 / rate
    return DEFAULT_FRAME_TIME_MS
