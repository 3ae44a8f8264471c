"""What the pixel data holds against what its header declares: frames present, stored values.

Checks made once, when a file opens, so that what is wrong is said before
any frame is shown: how many of the declared frames the bytes hold (native
or encapsulated), and whether stored values use bits above Bits Stored. They
read the file's bytes in place and allocate nothing of the size a header
declares.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydicom.uid import UID, ExplicitVRBigEndian

from lightbox.core.records import Photometric
from lightbox.ingest.structure import Fragments
from lightbox.pixels.format import PixelFormat, frame_bits
from lightbox.pixels.locate import PixelExtent
from lightbox.pixels.samples import stored_range


@dataclass(frozen=True)
class FramesPresent:
    """How many of the declared frames the pixel data holds.

    Attributes
    ----------
    declared : int
        (0028,0008) Number of Frames (1 when absent).
    complete : int
        Frames wholly present, from the first.
    partial : bool
        Part of the frame after them is present.
    partial_bytes, frame_bytes : int
        For native data: bytes present of that frame, and bytes a frame needs
        (0 for encapsulated data, whose frames have no fixed size).
    """

    declared: int
    complete: int
    partial: bool = False
    partial_bytes: int = 0
    frame_bytes: int = 0

    @property
    def all_present(self) -> bool:
        return self.complete >= self.declared

    @property
    def message(self) -> str:
        """The finding in words, for the open's warnings (empty when every frame is there)."""
        if self.all_present:
            return ""
        size = f"{self.partial_bytes} of {self.frame_bytes} bytes" if self.frame_bytes else ""
        if self.declared == 1:
            if self.partial:
                return "the frame is cut short" + (f": {size} present" if size else "")
            return "the frame is missing: the pixel data holds none of it"
        text = f"{self.complete} of {self.declared} declared frames are present"
        if self.partial:
            text += f"; frame {self.complete + 1} is cut short" + (f" ({size})" if size else "")
        return text


def native_frames_present(extent: PixelExtent, fmt: PixelFormat) -> FramesPresent:
    """Frames present in native pixel data (PS3.5 8.1.1, 8.2: frames follow each other)."""
    bits = frame_bits(fmt)
    present_bits = min(extent.present, extent.expected) * 8
    complete = min(present_bits // bits, fmt.frames) if bits else fmt.frames
    partial = (present_bits - complete * bits) // 8 if complete < fmt.frames else 0
    return FramesPresent(fmt.frames, complete, partial > 0, partial, (bits + 7) // 8)


def frame_offsets(
    data: bytes, fragments: Fragments, extended: Sequence[int] | None = None
) -> list[int]:
    """Where each frame begins, relative to the first fragment's item tag (PS3.5 A.4).

    The (7FE0,0001) Extended Offset Table's values when given (PS3.3
    C.7.6.3.1.8), otherwise the Basic Offset Table's (32-bit little endian
    each); empty when the Basic Offset Table is empty or cut.
    """
    if extended is not None:
        return [int(v) for v in extended]
    if not fragments.offsets:
        return []
    offset, length = fragments.offsets[0], fragments.lengths[0]
    if length == 0 or length % 4 or offset + length > len(data):
        return []
    return list(struct.unpack_from(f"<{length // 4}I", data, offset))


def encapsulated_frames_present(
    fragments: Fragments, data_size: int, frames: int, starts: Sequence[int] = ()
) -> FramesPresent:
    """Frames present in encapsulated pixel data (PS3.5 A.4).

    Parameters
    ----------
    fragments : Fragments
        The items of the pixel data value (the Basic Offset Table first).
    data_size : int
        The file's size: a fragment that ends past it is cut short.
    frames : int
        (0028,0008) Number of Frames.
    starts : sequence of int
        Where each frame begins (:func:`frame_offsets`). With none, each frame
        is taken to be one fragment (all fragments one frame when there is one
        frame): a frame has at least one fragment of its own, so there are
        no more frames present than whole fragments.
    """
    pieces = list(zip(fragments.offsets[1:], fragments.lengths[1:], strict=True))
    ended = fragments.truncation is None
    whole = sum(1 for o, n in pieces if o + n <= data_size)
    cut = len(pieces) > whole
    if starts and pieces:
        first = pieces[0][0] - 8
        reached = pieces[whole - 1][0] + pieces[whole - 1][1] - first if whole else 0
        ends = [*starts[1:], reached if ended else data_size + 1 - first]
        counted = min(frames, len(starts))
        complete = next((i for i in range(counted) if ends[i] > reached), counted)
        partial = complete < counted and first + starts[complete] < data_size
        return FramesPresent(frames, complete, partial)
    if frames == 1:
        return FramesPresent(1, int(ended and bool(pieces)), not ended and bool(pieces))
    if ended and len(pieces) >= frames:
        return FramesPresent(frames, frames)
    complete = min(whole, frames)
    return FramesPresent(frames, complete, cut and complete < frames)


@dataclass(frozen=True)
class StoredExcess:
    """Stored values that do not fit in Bits Stored (PS3.5 8.1.1).

    Attributes
    ----------
    bits_stored : int
        (0028,0101) Bits Stored.
    signed : bool
        (0028,0103) Pixel Representation is 1 (two's complement).
    minimum, maximum : int
        The smallest and largest values found in the cells (read at Bits
        Allocated, overlay bits set aside).
    """

    bits_stored: int
    signed: bool
    minimum: int
    maximum: int

    @property
    def message(self) -> str:
        """The finding in words, naming Bits Stored and the values found."""
        bits = self.bits_stored
        if self.signed:
            low, high = stored_range(bits, signed=True)
            found = (
                f"stored values from {self.minimum} to {self.maximum}"
                if self.minimum < low
                else f"stored values up to {self.maximum}"
            )
            return (
                f"{found} exceed Bits Stored {bits} (signed, {low} to {high}); "
                f"shown masked to {bits} bits"
            )
        return (
            f"stored values up to {self.maximum} exceed Bits Stored {bits}; "
            f"shown masked to {bits} bits"
        )


def stored_excess(
    data: bytes, extent: PixelExtent, fmt: PixelFormat, overlay_bits: Sequence[int] = ()
) -> StoredExcess | None:
    """Whether native integer greyscale cells hold values beyond Bits Stored; None when not.

    The cells are read in place (a view of the file's bytes, as present).
    Unsigned values fit when they are below 2^Bits Stored; signed ones when
    they lie in the two's-complement range of Bits Stored, so that cells
    sign-extended to Bits Allocated (a common and harmless encoding) fit. Bits
    that hold an embedded overlay (PS3.3 C.9.2, retired) are set aside: they
    are not pixel values. Colour, float and single-bit data are not checked.

    References
    ----------
    PS3.5 8.1.1 (Bits Allocated, Bits Stored, High Bit).
    """
    size = fmt.bits_allocated // 8
    if (
        fmt.samples != 1
        or fmt.is_float
        or fmt.bits_allocated not in (8, 16, 32)
        or not 0 < fmt.bits_stored < fmt.bits_allocated
        or fmt.photometric is Photometric.PALETTE_COLOR
    ):
        return None
    order = ">" if UID(fmt.transfer_syntax) == ExplicitVRBigEndian and size > 1 else "<"
    count = min(extent.present, extent.expected) // size
    if count == 0:
        return None
    cells = np.frombuffer(data, dtype=f"{order}u{size}", count=count, offset=extent.offset)
    if overlay_bits:
        keep = ~np.array(sum(1 << b for b in set(overlay_bits)), dtype=cells.dtype)
        cells = np.bitwise_and(cells, keep)
    if not fmt.pixel_representation:
        maximum = int(cells.max())
        if maximum < 1 << fmt.bits_stored:
            return None
        return StoredExcess(fmt.bits_stored, False, int(cells.min()), maximum)
    signed = cells.view(f"{order}i{size}")
    low, high = int(signed.min()), int(signed.max())
    lowest, highest = stored_range(fmt.bits_stored, signed=True)
    if lowest <= low and high <= highest:
        return None
    return StoredExcess(fmt.bits_stored, True, low, high)
