"""Video clips for the tests: known content per frame, encoded by Debian's ffmpeg, in DICOM.

Frame k of a clip is a grey background of level ``40 + 6 k`` with a white
square 16 pixels wide whose left edge is at ``8 + 4 k``: every frame differs
from its neighbours, so a frame shown at the wrong index is seen. The
encoder is ffmpeg (``apt-get install ffmpeg``, which ``scripts/lightbox.sh``
installs beside Chromium); the reference frames the tests compare with are
decoded back by ffmpeg too, independently of the browser, to grey levels.

The DICOM wrapping follows PS3.5 8.2.5-8.2.8 and A.4: the video's whole
bit stream (here an MPEG-2 Transport Stream or an MP4 file holding the
elementary stream, as PS3.5 8.2.8 allows for H.264 and HEVC, or an MPEG-2
program stream) is the one frame of encapsulated Pixel Data, after an empty
Basic Offset Table; Number of Frames and Frame Time say how many pictures it
holds and how far apart they are.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    HEVCMP51,
    MPEG2MPML,
    MPEG4HP41,
    PYDICOM_IMPLEMENTATION_UID,
    UID,
    VideoEndoscopicImageStorage,
    generate_uid,
)

from tools.synth import to_bytes

#: ffmpeg's encoder and muxer per kind of clip.
_ENCODE = {
    "h264-ts": (["-c:v", "libx264", "-bf", "0", "-g", "6", "-crf", "8"], "mpegts"),
    "h264-mp4": (["-c:v", "libx264", "-bf", "0", "-g", "6", "-crf", "8"], "mp4"),
    "h264-mp4-bframes": (["-c:v", "libx264", "-bf", "2", "-g", "12", "-crf", "8"], "mp4"),
    "h264-annexb": (["-c:v", "libx264", "-bf", "0", "-g", "6", "-crf", "8"], "h264"),
    "hevc-ts": (["-c:v", "libx265", "-x265-params", "log-level=error"], "mpegts"),
    "mpeg2-ps": (["-c:v", "mpeg2video", "-g", "6", "-q:v", "2"], "vob"),
}
#: The transfer syntax of each kind of clip (PS3.5 Annex A).
SYNTAX = {
    "h264-ts": MPEG4HP41,
    "h264-mp4": MPEG4HP41,
    "h264-mp4-bframes": MPEG4HP41,
    "h264-annexb": MPEG4HP41,
    "hevc-ts": HEVCMP51,
    "mpeg2-ps": MPEG2MPML,
}


def ffmpeg() -> str:
    """The ffmpeg program; fails (never skips) when it is missing."""
    found = shutil.which("ffmpeg")
    if found is None:
        raise FileNotFoundError("ffmpeg is missing: apt-get install -y ffmpeg")
    return found


def clip_frames(frames: int, rows: int, columns: int) -> np.ndarray:
    """The clip's pictures as grey levels, (frames, rows, columns) uint8."""
    out = np.empty((frames, rows, columns), dtype=np.uint8)
    for k in range(frames):
        out[k] = 40 + 6 * k
        left = 8 + 4 * k
        out[k, rows // 4 : rows // 4 + 16, left : left + 16] = 250
    return out


def encode(
    kind: str, frames: int = 24, rows: int = 120, columns: int = 160, fps: int = 10
) -> bytes:
    """The clip encoded by ffmpeg as ``kind`` (a key of :data:`SYNTAX`), as file bytes."""
    codec, muxer = _ENCODE[kind]
    pictures = clip_frames(frames, rows, columns)
    command = [
        ffmpeg(), "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "gray",
        "-s", f"{columns}x{rows}", "-r", str(fps), "-i", "-",
        *codec, "-pix_fmt", "yuv420p", "-f", muxer,
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:  # MP4 is written by seeking: a real file
        out = Path(folder) / "clip"
        subprocess.run(
            [*command, str(out)], input=pictures.tobytes(), capture_output=True, check=True
        )
        return out.read_bytes()


def decode_reference(stream: bytes, rows: int, columns: int) -> np.ndarray:
    """Every picture of a stream decoded by ffmpeg to grey levels, (frames, rows, columns)."""
    done = subprocess.run(
        [ffmpeg(), "-loglevel", "error", "-i", "-", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        input=stream,
        capture_output=True,
        check=True,
    )
    raw = np.frombuffer(done.stdout, dtype=np.uint8)
    return raw.reshape(-1, rows, columns)


def video_dataset(
    stream: bytes,
    syntax: UID,
    *,
    frames: int,
    rows: int = 120,
    columns: int = 160,
    frame_time: float = 100.0,
    pixel_spacing: tuple[float, float] | None = (0.5, 0.5),
    **attributes: Any,
) -> Dataset:
    """A Video Endoscopic Image holding ``stream`` as its encapsulated Pixel Data.

    References
    ----------
    PS3.3 A.32.7 (Video Endoscopic Image IOD), C.7.6.5 (Cine: Frame Time),
    PS3.5 8.2.5-8.2.8 and A.4 (the stream as fragments of one frame).
    """
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = syntax
    ds.file_meta.MediaStorageSOPClassUID = VideoEndoscopicImageStorage
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.SOPClassUID = VideoEndoscopicImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = "Video^Test"
    ds.PatientID = "VIDEO1"
    ds.Modality = "ES"
    ds.SeriesDescription = "Generated clip"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "YBR_PARTIAL_420"
    ds.PlanarConfiguration = 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
    ds.PixelRepresentation = 0
    ds.NumberOfFrames = frames
    ds.FrameTime = frame_time
    ds.FrameIncrementPointer = 0x00181063
    ds.LossyImageCompression = "01"
    if pixel_spacing is not None:
        ds.PixelSpacing = list(pixel_spacing)
    for key, value in attributes.items():
        setattr(ds, key, value)
    ds.PixelData = encapsulate([stream])
    ds["PixelData"].VR = "OB"
    return ds


def video_bytes(kind: str, frames: int = 24, **attributes: Any) -> tuple[bytes, bytes]:
    """(DICOM file bytes, the stream inside) of a generated clip of ``kind``."""
    rows = attributes.pop("rows", 120)
    columns = attributes.pop("columns", 160)
    stream = encode(kind, frames, rows, columns)
    ds = video_dataset(
        stream, SYNTAX[kind], frames=frames, rows=rows, columns=columns, **attributes
    )
    return to_bytes(ds), stream
