"""Synthetic data for `npm run bench`, generated at bench time (nothing large is committed)."""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    MPEG4HP41,
    ExplicitVRLittleEndian,
    HTJ2KLossless,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLSLossless,
    RLELossless,
    VideoEndoscopicImageStorage,
)

from tools import synth

ROOT = Path(__file__).resolve().parent.parent


def ct_frame(rows: int = 512, cols: int = 512) -> np.ndarray[Any, Any]:
    """A 512x512 phantom slice as 12-bit unsigned stored values."""
    hu = synth.phantom_slice(rows, cols, 0.1)
    frame: np.ndarray[Any, Any] = np.clip(hu + 1024, 0, 4095).astype(np.uint16)
    return frame


def _dataset(samples: np.ndarray[Any, Any], name: str, bits: int = 12) -> Dataset:
    ds = synth.ct_series(1, samples.shape[0], samples.shape[1], name=name)[0]
    ds.BitsStored, ds.HighBit, ds.PixelRepresentation = bits, bits - 1, 0
    ds.PixelData = samples.astype("<u2").tobytes()
    return ds


def encoded_files() -> dict[str, bytes]:
    """One 512x512 frame in each transfer syntax we can encode here."""
    samples = ct_frame()
    files: dict[str, bytes] = {}
    native = _dataset(samples, "bench-native")
    files["explicit-le"] = synth.to_bytes(native)
    for label, syntax in (
        ("rle", RLELossless),
        ("jpeg-ls", JPEGLSLossless),
        ("j2k", JPEG2000Lossless),
    ):
        ds = _dataset(samples, f"bench-{label}")
        ds.compress(syntax)
        files[label] = synth.to_bytes(ds)
    files["htj2k"] = synth.to_bytes(_htj2k(samples))
    files["jpeg-baseline"] = synth.to_bytes(_jpeg8(samples))
    return files


def _htj2k(samples: np.ndarray[Any, Any]) -> Dataset:
    ds = _dataset(samples, "bench-htj2k")
    with tempfile.TemporaryDirectory() as tmp:
        raw, out = Path(tmp) / "in.raw", Path(tmp) / "out.j2c"
        samples.astype("<u2").tofile(raw)
        subprocess.run(
            [
                "node",
                str(ROOT / "tests/browser/htj2k_encode.mjs"),
                str(raw),
                str(out),
                str(samples.shape[1]),
                str(samples.shape[0]),
                "12",
                "0",
            ],
            check=True,
            cwd=ROOT,
        )
        stream = out.read_bytes()
    ds.file_meta.TransferSyntaxUID = HTJ2KLossless
    ds.PixelData = encapsulate([stream])
    ds["PixelData"].VR = "OB"
    return ds


def _jpeg8(samples: np.ndarray[Any, Any]) -> Dataset:
    from PIL import Image  # native Pillow encodes the 8-bit baseline test frame

    grey = (samples >> 4).astype(np.uint8)
    stream = io.BytesIO()
    Image.fromarray(grey, mode="L").save(stream, format="JPEG", quality=90)
    ds = _dataset(grey.astype(np.uint16), "bench-jpeg", bits=8)
    ds.BitsAllocated = 8
    ds.RescaleIntercept = 0
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.PixelData = encapsulate([stream.getvalue()])
    ds["PixelData"].VR = "OB"
    return ds


def ct_series_files(count: int = 300, size: int = 512) -> list[tuple[str, bytes]]:
    """A 300-slice 512x512 CT series (about 157 MB of pixel data)."""
    series = synth.ct_series(count, size, size, name=f"bench-{count}x{size}")
    return [(f"CT{i:04d}", synth.to_bytes(ds)) for i, ds in enumerate(series)]


def mammogram(rows: int = 5000, cols: int = 4000) -> bytes:
    """A 4,000x5,000 16-bit (12 stored) projection image, like a mammogram."""
    y, x = np.mgrid[0:rows, 0:cols]
    values = 2000 + 1500 * np.exp(
        -(((x - cols * 0.3) / (cols * 0.4)) ** 2 + ((y - rows / 2) / (rows * 0.45)) ** 2)
    )
    ds = _dataset(values.astype(np.uint16), "bench-mammo")
    ds.Modality = "MG"
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.RescaleIntercept = 0
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return synth.to_bytes(ds)


def video_clip(
    frames: int = 300, width: int = 640, height: int = 480, fps: int = 30
) -> tuple[bytes, bytes]:
    """(DICOM bytes, the stream) of an H.264 clip in an MPEG-2 transport stream.

    ffmpeg's moving test pattern (``testsrc2``), one key frame a second, wrapped as
    PS3.5 8.2.8 says: the stream is the one frame of encapsulated Pixel Data.
    """
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "clip.ts"
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-f", "lavfi",
             "-i", f"testsrc2=size={width}x{height}:rate={fps}", "-frames:v", str(frames),
             "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", str(fps), "-f", "mpegts", str(out)],
            check=True,
        )  # fmt: skip
        stream = out.read_bytes()
    ds = synth.ct_series(1, height, width, name="video")[0]
    ds.file_meta.TransferSyntaxUID = MPEG4HP41
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = VideoEndoscopicImageStorage
    ds.Modality = "ES"
    ds.SamplesPerPixel, ds.PlanarConfiguration = 3, 0
    ds.PhotometricInterpretation = "YBR_PARTIAL_420"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.NumberOfFrames, ds.FrameTime = frames, 1000 / fps
    for keyword in ("RescaleSlope", "RescaleIntercept", "WindowCenter", "WindowWidth"):
        if keyword in ds:
            del ds[keyword]
    ds.PixelData = encapsulate([stream])
    ds["PixelData"].VR = "OB"
    return synth.to_bytes(ds), stream


def ecg_12_lead(seconds: float = 10.0, rate: float = 1000.0) -> bytes:
    """A 12-lead ECG Waveform Storage object: a beat a second (a narrow QRS spike and a broad
    T wave) over a slow baseline wander, 16-bit samples at 2.5 uV, as a 12-lead ECG holds."""
    from pydicom.sequence import Sequence
    from pydicom.uid import UID, generate_uid

    t = np.arange(int(seconds * rate)) / rate
    phase = t % 1.0
    beat = 1.2 * np.exp(-(((phase - 0.3) / 0.012) ** 2)) + 0.3 * np.exp(
        -(((phase - 0.6) / 0.05) ** 2)
    )
    leads = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    mv = np.stack(
        [(0.5 + k / 12) * beat + 0.1 * np.sin(2 * np.pi * 0.3 * t + k) for k in range(12)], axis=1
    )
    stored = np.round(mv / 0.0025).astype("<i2")
    group = Dataset()
    group.MultiplexGroupLabel = "RHYTHM"
    group.NumberOfWaveformChannels = len(leads)
    group.NumberOfWaveformSamples = len(t)
    group.SamplingFrequency = f"{rate:g}"
    channels = []
    for lead in leads:
        item = Dataset()
        item.ChannelLabel = lead
        item.ChannelSensitivity = "2.5"
        units = Dataset()
        units.CodeValue, units.CodingSchemeDesignator, units.CodeMeaning = "uV", "UCUM", "uV"
        item.ChannelSensitivityUnitsSequence = Sequence([units])
        item.ChannelSensitivityCorrectionFactor = "1"
        item.ChannelBaseline = "0"
        item.WaveformBitsStored = 16
        channels.append(item)
    group.ChannelDefinitionSequence = Sequence(channels)
    group.WaveformBitsAllocated = 16
    group.WaveformSampleInterpretation = "SS"
    group.WaveformData = stored.tobytes()
    ds = synth.ct_series(1, 4, 4, name="bench-ecg")[0]
    for keyword in list(ds.dir()):
        if keyword not in ("PatientName", "PatientID", "StudyInstanceUID", "StudyDate"):
            delattr(ds, keyword)
    sop = UID("1.2.840.10008.5.1.4.1.1.9.1.1")  # 12-lead ECG Waveform Storage
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = sop
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.Modality = "ECG"
    ds.SeriesInstanceUID = generate_uid()
    ds.WaveformSequence = Sequence([group])
    return synth.to_bytes(ds)
