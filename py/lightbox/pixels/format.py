"""The pixel format: the Image Pixel Module attributes decoding depends on, read once a file.

References
----------
PS3.3 C.7.6.3 (Image Pixel Module); PS3.5 8.1.1 (Bits Allocated, Bits
Stored, High Bit), 8.2 (native and encapsulated pixel data).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pydicom.dataset import Dataset
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian

from lightbox.core.records import Photometric
from lightbox.core.values import int_or


@dataclass(frozen=True)
class PixelFormat:
    """The Image Pixel Module attributes decoding depends on (PS3.3 C.7.6.3)."""

    rows: int
    columns: int
    samples: int
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    photometric: Photometric
    is_float: bool
    transfer_syntax: str
    #: Decode from a full parse: deflated, or no file meta to find the syntax in.
    full_parse: bool
    #: (0028,0008) Number of Frames, 1 when absent.
    frames: int = 1
    #: (0028,0006) Planar Configuration: 0 colour-by-pixel, 1 colour-by-plane.
    planar_configuration: int = 0

    @property
    def is_native(self) -> bool:
        """Whether the pixel data is uncompressed (PS3.5 A.1-A.3), i.e. its length is known."""
        return not _compressed(self.transfer_syntax)


@lru_cache(maxsize=64)
def _compressed(syntax: str) -> bool:
    """Whether a transfer syntax compresses its pixel data: asked of every file at every
    catalog, answered once per syntax (pydicom's UID validates its text when made)."""
    return bool(UID(syntax).is_compressed)


def pixel_format(ds: Dataset, transfer_syntax: str) -> PixelFormat:
    """Read the pixel format of a header dataset whose pixels use ``transfer_syntax``."""
    bits_allocated = int(ds.BitsAllocated)
    photometric_text = str(ds.PhotometricInterpretation).strip().upper()
    try:
        photometric = Photometric(photometric_text)
    except ValueError:
        photometric = Photometric.MONOCHROME2
    return PixelFormat(
        rows=int(ds.Rows),
        columns=int(ds.Columns),
        samples=int(ds.get("SamplesPerPixel", 1) or 1),
        bits_allocated=bits_allocated,
        bits_stored=int(ds.get("BitsStored", bits_allocated) or bits_allocated),
        pixel_representation=int(ds.get("PixelRepresentation", 0) or 0),
        photometric=photometric,
        is_float="FloatPixelData" in ds or "DoubleFloatPixelData" in ds,
        transfer_syntax=str(transfer_syntax),
        full_parse=transfer_syntax == DeflatedExplicitVRLittleEndian
        or "TransferSyntaxUID" not in (ds.get("file_meta") or {}),
        frames=max(int_or(ds.get("NumberOfFrames"), 1), 1),
        planar_configuration=int_or(ds.get("PlanarConfiguration"), 0),
    )


def frame_bits(fmt: PixelFormat) -> int:
    """Bits one native frame takes (PS3.5 8.1.1; YBR_FULL_422 has two samples a pixel)."""
    samples = 2 if fmt.photometric is Photometric.YBR_FULL_422 and fmt.samples == 3 else fmt.samples
    return fmt.rows * fmt.columns * samples * fmt.bits_allocated


def expected_bytes(fmt: PixelFormat) -> int:
    """Bytes the native pixel data of every frame needs, before its even-length padding.

    Single-bit frames are packed back to back, not each from a byte boundary.
    """
    return (fmt.frames * frame_bits(fmt) + 7) // 8
