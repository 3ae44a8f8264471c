"""One slide image opened from a byte source: its header, level, frame index and tiles.

Only the header and the frames' byte ranges are read on opening; a tile's bytes are
read when it is asked for, and decoded through the same decoders as any frame
(:func:`lightbox.pixels.decode.encoded_frame`), then composed to RGBA by the display
pipeline (colour as it is; grey through the file's first window, else its Bits Stored's
full range, the same for every tile so that tiles match at their seams).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import UID, ImplicitVRLittleEndian, JPEGBaseline8Bit

from lightbox.core.errors import InvalidDicomError
from lightbox.core.messages import say
from lightbox.core.records import Photometric, VoiFunction, Window
from lightbox.display import luts, pipeline
from lightbox.ingest.source import ByteSource
from lightbox.pixels import codecs
from lightbox.pixels import decode as pixels
from lightbox.pixels.format import PixelFormat, frame_bits, pixel_format
from lightbox.slide import index as indexing
from lightbox.slide.read import Level, read_level

#: The header is read in growing prefixes of the file, up to this many bytes.
MAX_HEADER_BYTES = 256 * 1024 * 1024
_FIRST_PREFIX = 64 * 1024
_PIXEL_TAG = b"\xe0\x7f\x10\x00"


@dataclass(frozen=True)
class Header:
    """A slide file's header and where its Pixel Data element begins."""

    dataset: Dataset
    #: The bytes read to parse it (the start of the file).
    prefix: bytes
    #: The offset of the Pixel Data element's tag.
    pixel_at: int
    transfer_syntax: str


def read_prefix_header(name: str, source: ByteSource) -> Header | None:
    """The header of a file read from its start in growing prefixes (never the whole file).

    None when the file is not DICOM pydicom can parse or has no Pixel Data.
    """
    length = _FIRST_PREFIX
    while True:
        prefix = source.read(0, min(source.size, length))
        stream = io.BytesIO(prefix)
        try:
            ds = dcmread(stream, stop_before_pixels=True, force=True)
        except Exception:  # an unreadable prefix: grow it, else the normal path says why
            ds = None
        at = stream.tell()
        if ds is not None and at + 12 <= len(prefix) and prefix[at : at + 4] == _PIXEL_TAG:
            meta = ds.get("file_meta")
            syntax = str((meta.get("TransferSyntaxUID") if meta else None) or "")
            if not syntax:
                return None
            return Header(ds, prefix, at, syntax)
        if len(prefix) >= source.size or length >= MAX_HEADER_BYTES:
            return None
        length *= 8


@dataclass(frozen=True, eq=False)
class SlideImage:
    """One level of a slide: read its tiles with :meth:`tile`."""

    name: str
    source: ByteSource
    dataset: Dataset
    fmt: PixelFormat
    level: Level
    frames: indexing.FrameIndex
    codec: codecs.Choice
    window: Window | None
    #: Where the Pixel Data element begins: the header is the bytes before it.
    pixel_at: int = 0

    def tile_values(self, frame: int) -> np.ndarray[Any, Any]:
        """Stored values of frame ``frame`` (rows, columns) or (rows, columns, 3)."""
        if not 0 <= frame < len(self.frames):
            raise InvalidDicomError(
                self.name, say("engine.slide_no_frame", frame=frame + 1, frames=len(self.frames))
            )
        start, end = int(self.frames.starts[frame]), int(self.frames.ends[frame])
        span = self.source.read(start, end - start)
        if self.frames.encapsulated:
            return pixels.encoded_frame(
                self.name, indexing.fragments(span), self.fmt, self.codec, frame
            )
        return pixels.native_frame(self.name, span, self.fmt, frame)

    @property
    def browser_decoding(self) -> str | None:
        """How the browser can make this level's tiles without Python, else None.

        "jpeg": 8-bit baseline JPEG in YCbCr (YBR_FULL_422, YBR_FULL) or grey
        (MONOCHROME2 with no window), which any browser's image decoder turns into
        the RGB this pipeline makes (PS3.5 8.2.1: the JFIF colour conversion);
        "rgb": native 8-bit RGB, colour-by-pixel (Planar Configuration 0). Other tiles
        (JPEG 2000, HTJ2K, windows, 16 bits, ...) are decoded here.
        """
        fmt = self.fmt
        if fmt.bits_allocated != 8 or fmt.bits_stored != 8:
            return None
        photometric = fmt.photometric.value
        if self.frames.encapsulated:
            if fmt.transfer_syntax != JPEGBaseline8Bit:
                return None
            if fmt.samples == 3 and photometric in ("YBR_FULL_422", "YBR_FULL"):
                return "jpeg"
            if fmt.samples == 1 and photometric == "MONOCHROME2" and self.window is None:
                return "jpeg"
            return None
        if fmt.samples == 3 and photometric == "RGB" and fmt.planar_configuration == 0:
            return "rgb"
        return None

    def tile(self, frame: int) -> np.ndarray[Any, Any]:
        """Frame ``frame`` as C-contiguous (rows, columns, 4) RGBA uint8."""
        values = self.tile_values(frame)
        if values.ndim == 3:
            return pipeline.color_to_rgba(values, self.fmt.bits_stored, False)
        window = self.window or _full_range(self.fmt)
        invert = self.fmt.photometric is Photometric.MONOCHROME1
        return pipeline.gray_rgba(values, luts.Rescale(), window, invert, None)


def _full_range(fmt: PixelFormat) -> Window:
    low = -(1 << (fmt.bits_stored - 1)) if fmt.pixel_representation else 0
    high = low + (1 << fmt.bits_stored) - 1
    return Window((low + high + 1) / 2, high - low + 1, VoiFunction.LINEAR)


def open_image(name: str, source: ByteSource, header: Header) -> SlideImage:
    """A slide image's level and frame index, its first tile read for the codec decision."""
    ds = header.dataset
    fmt = pixel_format(ds, header.transfer_syntax)
    level = read_level(ds)
    syntax = UID(header.transfer_syntax)
    implicit = syntax == ImplicitVRLittleEndian
    value_start = header.pixel_at + (8 if implicit else 12)
    if fmt.is_native:
        frames = indexing.native_index(value_start, frame_bits(fmt) // 8, fmt.frames, source.size)
        codec = codecs.choose_codec(fmt.transfer_syntax, fmt.samples, fmt.photometric.value, None)
    else:
        frames = indexing.encapsulated_index(name, source, value_start, fmt.frames, ds)
        first = None
        if codecs.needs_codestream(fmt.transfer_syntax, fmt.samples):
            span = source.read(int(frames.starts[0]), int(frames.ends[0] - frames.starts[0]))
            first = indexing.fragments(span)
        codec = codecs.choose_codec(fmt.transfer_syntax, fmt.samples, fmt.photometric.value, first)
    window = None
    try:
        centers, widths = ds.get("WindowCenter"), ds.get("WindowWidth")
        if centers is not None and widths is not None:
            c = float(centers[0] if hasattr(centers, "__len__") else centers)
            w = float(widths[0] if hasattr(widths, "__len__") else widths)
            if w > 0:
                window = Window(c, w, VoiFunction.LINEAR)
    except (TypeError, ValueError, IndexError):
        window = None
    return SlideImage(name, source, ds, fmt, level, frames, codec, window, header.pixel_at)
