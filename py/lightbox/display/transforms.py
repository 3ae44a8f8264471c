"""The display pipeline: stored values to RGBA bytes for the canvas.

Pure math on arrays and numbers (PS3.3 C.11 and C.7.6.3); one small selector
per concern reads its parameters from a Dataset. Nothing here mutates its input.

Grayscale: stored value ► Modality LUT (C.11.1: rescale, or a Modality LUT
Sequence) ► VOI (C.11.2: a window, or a VOI LUT Sequence) ► Presentation
(C.11.6: MONOCHROME1, Presentation LUT Shape INVERSE and the user's invert)
► 8-bit RGBA. Colour: PALETTE COLOR through its palette (C.7.6.3.1.5,
C.7.9 segmented), Supplemental Palette Color LUTs over grey (C.7.6.19),
RGB as is.

Every lookup table is applied by indexing: inputs below the first value
mapped take the first entry, inputs past the last take the last.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.uid import UID

from lightbox.core.records import Photometric, VoiFunction, Window

Y_MIN = 0.0
Y_MAX = 255.0
#: Integer frames whose stored range is at most this wide use a lookup table.
LUT_LIMIT = 1 << 17


@dataclass(frozen=True)
class Rescale:
    """Modality LUT as (0028,1053) Rescale Slope and (0028,1052) Rescale Intercept."""

    slope: float = 1.0
    intercept: float = 0.0
    unit: str = ""


@dataclass(frozen=True, eq=False)
class Lut:
    """A lookup table of the Modality LUT or VOI LUT Module.

    Attributes
    ----------
    first : int
        Second value of (0028,3002) LUT Descriptor: the first input value mapped.
    bits : int
        Third value: bits per entry; outputs run from 0 to 2^bits - 1.
    data : numpy.ndarray
        (0028,3006) LUT Data, one read-only entry per input value.
    explanation : str
        (0028,3003) LUT Explanation.
    kind : str
        (0028,3004) Modality LUT Type (e.g. "HU", "OD"); "" for a VOI LUT.

    References
    ----------
    PS3.3 C.11.1.1.1 (Modality LUT), C.11.2.1.1 (VOI LUT).
    """

    first: int
    bits: int
    data: np.ndarray
    explanation: str = ""
    kind: str = ""

    @property
    def entries(self) -> int:
        return int(self.data.shape[0])


@dataclass(frozen=True, eq=False)
class Palette:
    """Palette Color Lookup Tables, already scaled to 8 bits per channel.

    Attributes
    ----------
    first : int
        Second value of (0028,1101) Red Palette Color LUT Descriptor.
    bits : int
        Bits per entry in the file (8 or 16).
    rgb : numpy.ndarray
        (entries, 3) uint8, read-only: round(entry * 255 / (2^bits - 1)).

    References
    ----------
    PS3.3 C.7.6.3.1.5, C.7.6.3.1.6, C.7.9.
    """

    first: int
    bits: int
    rgb: np.ndarray

    @property
    def entries(self) -> int:
        return int(self.rgb.shape[0])


#: What the Modality LUT step can be, and what the VOI step can be.
Modality = Rescale | Lut
Voi = Window | Lut


def _numbers(value: object) -> list[float]:
    if value is None or value == "":
        return []
    items = list(value) if isinstance(value, (MultiValue, list, tuple)) else [value]
    out: list[float] = []
    for item in items:
        try:
            out.append(float(item))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
    return out


def _strings(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (MultiValue, list, tuple)):
        return [str(item) for item in value]
    return [str(value)]


def read_rescale(ds: Dataset) -> Rescale:
    """Read the Modality LUT rescale of a dataset (PS3.3 C.11.1.1.2)."""
    slopes = _numbers(ds.get("RescaleSlope"))
    intercepts = _numbers(ds.get("RescaleIntercept"))
    slope = slopes[0] if slopes and slopes[0] != 0 else 1.0
    intercept = intercepts[0] if intercepts else 0.0
    unit = str(ds.get("RescaleType", "") or "")
    if not unit and str(ds.get("Modality", "")) == "CT" and intercepts:
        unit = "HU"
    return Rescale(slope, intercept, unit)


def read_windows(ds: Dataset) -> list[Window]:
    """Every (0028,1050) Window Center / (0028,1051) Window Width pair, in order.

    References
    ----------
    PS3.3 C.11.2.1.2 Window Center and Window Width; C.11.2.1.3 VOI LUT Function.
    """
    centers = _numbers(ds.get("WindowCenter"))
    widths = _numbers(ds.get("WindowWidth"))
    explanations = _strings(ds.get("WindowCenterWidthExplanation"))
    function_text = str(ds.get("VOILUTFunction", "LINEAR") or "LINEAR").strip().upper()
    try:
        function = VoiFunction(function_text)
    except ValueError:
        function = VoiFunction.LINEAR
    windows = []
    for i, (center, width) in enumerate(zip(centers, widths, strict=False)):
        minimum = 1.0 if function is VoiFunction.LINEAR else 0.0
        if width < minimum or (function is not VoiFunction.LINEAR and width <= 0):
            continue  # not a valid window for this function: ignore it
        label = explanations[i] if i < len(explanations) else ""
        windows.append(Window(center, width, function, label))
    return windows


# -- lookup tables: Modality LUT Sequence, VOI LUT Sequence --------------------------------


def little_endian(ds: Dataset) -> bool:
    """Byte order of the dataset's OW values: from its transfer syntax, else as it was read."""
    meta = ds.get("file_meta")
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if syntax:
        return bool(UID(str(syntax)).is_little_endian)
    encoding = getattr(ds, "original_encoding", (None, None))
    return encoding[1] is not False


def _descriptor(value: object, signed: bool) -> tuple[int, int, int] | None:
    """(entries, first value mapped, bits) from a three-valued LUT descriptor.

    The first value 0 means 2^16 entries; the second is US or SS, so a value
    read as unsigned is taken as its two's complement when ``signed``.
    """
    numbers = _numbers(value)
    if len(numbers) != 3:
        return None
    entries = int(numbers[0]) & 0xFFFF or 1 << 16
    first = int(numbers[1]) & 0xFFFF
    if signed and first >= 0x8000:
        first -= 0x10000
    bits = int(numbers[2])
    return (entries, first, bits) if 1 <= bits <= 16 else None


def _entries(value: object, count: int, bits: int, little: bool) -> np.ndarray | None:
    """``count`` LUT entries from US values or OW bytes.

    OW data holds one entry a 16-bit word; 8-bit entries may also come packed
    one a byte, which the length tells (PS3.3 C.7.6.3.1.5 note). The entries
    are taken as they are: a descriptor that declares fewer bits than its
    entries use (an XA Modality LUT declaring 8 bits with entries up to 4022
    was seen) is wrong about its bits, not about its data (see :func:`_read_lut`);
    only 8-bit entries written into both bytes of their word are taken once
    (every high byte zero or equal to its low byte).
    """
    if isinstance(value, (bytes, bytearray)):
        if len(value) >= 2 * count:
            raw = np.frombuffer(value, dtype="<u2" if little else ">u2", count=count)
        elif bits <= 8 and len(value) >= count:
            if not little:  # OW is swapped as 16-bit words in big endian: undo it (PS3.5 7.3)
                words = np.frombuffer(value, dtype=">u2", count=len(value) // 2)
                value = words.astype("<u2").tobytes() + bytes(value[len(value) // 2 * 2 :])
            raw = np.frombuffer(value, dtype=np.uint8, count=count)
        else:
            return None
        arr = raw.astype(np.uint16)
    else:
        numbers = _numbers(value)
        if len(numbers) < count:
            return None
        arr = np.asarray(numbers[:count], dtype=np.int64).astype(np.uint16)
    high, low = arr >> 8, arr & 0xFF
    if bits <= 8 and np.all((high == 0) | (high == low)):
        arr = low.astype(np.uint16)  # 8-bit entries, some written into both bytes: one byte
    arr.setflags(write=False)
    return arr


def _read_lut(item: Dataset, signed: bool, little: bool) -> Lut | None:
    descriptor = _descriptor(item.get("LUTDescriptor"), signed)
    if descriptor is None or "LUTData" not in item:
        return None
    count, first, bits = descriptor
    data = _entries(item["LUTData"].value, count, bits, little)
    if data is None:
        return None
    # PS3.3 C.11.1.1.1: the third value is the entries' bit depth; when the data need more
    # bits than it declares, the data's own depth is the one that holds.
    bits = max(bits, int(data.max()).bit_length()) if data.size else bits
    explanation = str(item.get("LUTExplanation", "") or "")
    kind = str(item.get("ModalityLUTType", "") or "")
    return Lut(first, bits, data, explanation, kind)


def read_modality_lut(ds: Dataset) -> Lut | None:
    """The (0028,3000) Modality LUT Sequence's table, or None.

    References
    ----------
    PS3.3 C.11.1.1.1: the descriptor's first value mapped is US or SS as
    (0028,0103) Pixel Representation says.
    """
    sequence = ds.get("ModalityLUTSequence")
    if not sequence:
        return None
    signed = int(ds.get("PixelRepresentation", 0) or 0) == 1
    return _read_lut(sequence[0], signed, little_endian(ds))


def read_modality(ds: Dataset) -> Modality:
    """The Modality LUT step: the LUT Sequence when present, else the rescale (C.11.1).

    The two are exclusive; a file with both is shown through its LUT.
    """
    lut = read_modality_lut(ds)
    return lut if lut is not None else read_rescale(ds)


def modality_output_signed(ds: Dataset, modality: Modality) -> bool:
    """Whether modality values can be negative (the VR of a VOI LUT's first value, C.11.2.1.1).

    A Modality LUT's output is unsigned; a rescale's output is signed when the
    stored values are, or when a negative slope or intercept can make them so.
    """
    if isinstance(modality, Lut):
        return False
    signed_stored = int(ds.get("PixelRepresentation", 0) or 0) == 1
    return signed_stored or modality.intercept < 0 or modality.slope < 0


def read_voi_luts(ds: Dataset, signed: bool = False, little: bool | None = None) -> list[Lut]:
    """Every table of the (0028,3010) VOI LUT Sequence, in order (PS3.3 C.11.2.1.1).

    Parameters
    ----------
    signed : bool
        Whether the first value mapped is SS (see :func:`modality_output_signed`).
    little : bool, optional
        Byte order of OW LUT Data; by default that of ``ds`` (pass the file's
        for a functional group item).
    """
    little = little_endian(ds) if little is None else little
    luts = (_read_lut(item, signed, little) for item in ds.get("VOILUTSequence") or [])
    return [lut for lut in luts if lut is not None]


def _lut_index(values: np.ndarray, first: int, count: int) -> np.ndarray:
    """Table positions of input values: clamped to the first and last entry.

    Non-integer inputs (modality values from a fractional rescale) take the
    nearest entry, halves up.
    """
    if values.dtype.kind in "iu":
        index = values.astype(np.int64) - first
    else:
        x = np.clip(np.asarray(values, dtype=np.float64), first - 1.0, first + float(count))
        index = np.floor(x + 0.5).astype(np.int64) - first
    clipped: np.ndarray = np.clip(index, 0, count - 1)
    return clipped


def modality_values(stored: np.ndarray, rescale: Modality) -> np.ndarray:
    """Stored values to modality values as float64 (PS3.3 C.11.1).

    A rescale gives ``stored * slope + intercept`` (C.11.1.1.2); a Modality
    LUT gives its entry for each stored value (C.11.1.1.1).
    """
    if isinstance(rescale, Lut):
        out: np.ndarray = rescale.data[_lut_index(stored, rescale.first, rescale.entries)]
        return out.astype(np.float64)
    values = stored.astype(np.float64)
    if rescale.slope != 1.0:
        values *= rescale.slope
    if rescale.intercept != 0.0:
        values += rescale.intercept
    return values


def apply_window(values: np.ndarray, window: Window) -> np.ndarray:
    """Map modality values through a VOI window to [0, 255] (float64).

    References
    ----------
    PS3.3 C.11.2.1.2.1 (LINEAR), C.11.2.1.3.1 (SIGMOID), C.11.2.1.3.2
    (LINEAR_EXACT).
    """
    x = np.asarray(values, dtype=np.float64)
    c, w = window.center, window.width
    span = Y_MAX - Y_MIN
    if window.function is VoiFunction.SIGMOID:
        # PS3.3 C.11.2.1.3.1: y = (ymax - ymin) / (1 + exp(-4 (x - c) / w)) + ymin
        return span / (1.0 + np.exp(-4.0 * (x - c) / w)) + Y_MIN
    if window.function is VoiFunction.LINEAR_EXACT:
        # PS3.3 C.11.2.1.3.2
        y = ((x - c) / w + 0.5) * span + Y_MIN
        y = np.where(x <= c - w / 2, Y_MIN, y)
        exact: np.ndarray = np.where(x > c + w / 2, Y_MAX, y)
        return exact
    # PS3.3 C.11.2.1.2.1 LINEAR
    y = ((x - (c - 0.5)) / (w - 1) + 0.5) * span + Y_MIN if w > 1 else np.zeros_like(x)
    y = np.where(x <= c - 0.5 - (w - 1) / 2, Y_MIN, y)
    out: np.ndarray = np.where(x > c - 0.5 + (w - 1) / 2, Y_MAX, y)
    return out


def apply_voi_lut(values: np.ndarray, lut: Lut) -> np.ndarray:
    """Map modality values through a VOI LUT to [0, 255] (float64).

    References
    ----------
    PS3.3 C.11.2.1.1: the output range is 0 to 2^n - 1, n the descriptor's
    third value; it is scaled linearly onto the display range.
    """
    entries = lut.data[_lut_index(np.asarray(values), lut.first, lut.entries)]
    scale = (Y_MAX - Y_MIN) / float((1 << lut.bits) - 1)
    out: np.ndarray = entries.astype(np.float64) * scale + Y_MIN
    return out


def apply_voi(values: np.ndarray, voi: Voi) -> np.ndarray:
    """The VOI step: a window (C.11.2.1.2) or a VOI LUT (C.11.2.1.1), to [0, 255]."""
    if isinstance(voi, Lut):
        return apply_voi_lut(values, voi)
    return apply_window(values, voi)


def to_uint8(y: np.ndarray, invert: bool) -> np.ndarray:
    """Round display values to 8 bits (half up), inverting when asked."""
    out: np.ndarray = np.floor(np.clip(y, Y_MIN, Y_MAX) + 0.5).astype(np.uint8)
    if invert:
        np.subtract(255, out, out=out)
    return out


def auto_window(values: np.ndarray, padding: tuple[float, float] | None = None) -> Window:
    """A window spanning the frame's modality values, padding excluded.

    Parameters
    ----------
    values : numpy.ndarray
        Modality values of one frame.
    padding : tuple of float, optional
        The inclusive range of (0028,0120) Pixel Padding Value to (0028,0121)
        Pixel Padding Range Limit, in modality units; those pixels are not
        part of the image (PS3.3 C.7.5.1.1.2) and do not set the window.
    """
    data = values
    if padding is not None:
        low, high = min(padding), max(padding)
        data = values[(values < low) | (values > high)]
    if data.size == 0:
        data = values
    lo, hi = float(np.min(data)), float(np.max(data))
    if not np.isfinite(lo) or not np.isfinite(hi):
        finite = data[np.isfinite(data)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    # A LINEAR window with lo at 0 and hi at 255: c - 0.5 - (w-1)/2 = lo, c - 0.5 + (w-1)/2 = hi.
    width = max(hi - lo + 1.0, 1.0)
    center = (lo + hi) / 2.0 + 0.5
    return Window(center, width, VoiFunction.LINEAR, "Automatic (data range)")


def gray_to_display(stored: np.ndarray, rescale: Modality, window: Voi, invert: bool) -> np.ndarray:
    """Stored grayscale values to 8-bit display values, shape (rows, columns).

    Integer frames go through a lookup table built over their stored range
    (one table entry per possible value); float frames are computed directly.
    ``rescale`` is the Modality LUT step, ``window`` the VOI step, either
    of them a :class:`Lut`.
    """
    if stored.dtype.kind in "iu":
        lo, hi = int(stored.min()), int(stored.max())
        if hi - lo < LUT_LIMIT:
            domain = np.arange(lo, hi + 1, dtype=np.int64)
            lut = to_uint8(apply_voi(modality_values(domain, rescale), window), invert)
            return lut[stored.astype(np.int64) - lo] if lo != 0 else lut[stored]
    return to_uint8(apply_voi(modality_values(stored, rescale), window), invert)


def _full_range_index(stored: np.ndarray) -> np.ndarray | None:
    """For 8- and 16-bit integers: an unsigned index into a table over the whole type.

    Signed values are offset by flipping the sign bit (``v ^ 0x8000`` on the
    unsigned view is ``v + 32768``), one cheap pass with no wider copy.
    Entry ``i`` of the table stands for stored value ``i`` (unsigned) or
    ``i - 2**(bits-1)`` (signed): see :func:`_table_domain`. None for other types.
    """
    kind, size = stored.dtype.kind, stored.dtype.itemsize
    if kind not in "iu" or size > 2:
        return None
    unsigned = stored.view(f"u{size}")
    if kind == "u":
        return unsigned
    flip = np.array(1 << (8 * size - 1), dtype=unsigned.dtype)
    flipped: np.ndarray = np.bitwise_xor(unsigned, flip)
    return flipped


def _table_domain(dtype: np.dtype) -> np.ndarray:
    """The stored value each entry of a whole-type table stands for."""
    bits = 8 * dtype.itemsize
    if dtype.kind == "u":
        return np.arange(0, 1 << bits, dtype=np.int64)
    return np.arange(-(1 << (bits - 1)), 1 << (bits - 1))


#: Whole-type RGBA tables by (dtype, Modality, VOI, invert), most recent last: scrolling
#: through a series with one window reuses its table. Rescale and Window compare by
#: value; a Lut by identity (the key keeps it alive, so its id is never reused).
_TABLES: OrderedDict[tuple[str, Modality, Voi, bool], np.ndarray] = OrderedDict()
_TABLES_KEPT = 8  # 256 KiB each for 16-bit types


def _rgba_table(dtype: np.dtype, rescale: Modality, window: Voi, invert: bool) -> np.ndarray:
    key = (dtype.str, rescale, window, invert)
    table = _TABLES.get(key)
    if table is not None:
        _TABLES.move_to_end(key)
        return table
    grey = to_uint8(apply_voi(modality_values(_table_domain(dtype), rescale), window), invert)
    table = grey.astype(np.uint32) * np.uint32(0x010101) | np.uint32(0xFF000000)
    _TABLES[key] = table
    if len(_TABLES) > _TABLES_KEPT:
        _TABLES.popitem(last=False)
    return table


def gray_rgba(stored: np.ndarray, rescale: Modality, window: Voi, invert: bool) -> np.ndarray:
    """Stored greyscale straight to RGBA: one 32-bit lookup per pixel where possible.

    The same values as ``gray_to_rgba(gray_to_display(...))``: each table entry
    goes through the same Modality, VOI and presentation steps; the table
    holds whole RGBA pixels (grey in R, G and B, opaque alpha; little endian,
    as wasm and x86 are), so the frame is read once and written once. Tables
    are kept for reuse (:data:`_TABLES`).
    """
    index = _full_range_index(stored) if sys.byteorder == "little" else None
    if index is None:
        return gray_to_rgba(gray_to_display(stored, rescale, window, invert))
    table = _rgba_table(stored.dtype, rescale, window, invert)
    return _lookup(table, index).view(np.uint8).reshape(*stored.shape, 4)


def _lookup(table: np.ndarray, index: np.ndarray, block: int = 65536) -> np.ndarray:
    """``table[index]`` for a 2-D index, a block of rows at a time.

    Indexing with native-width integers is the fast case of numpy's gather
    (in wasm about twice as fast as with uint16, and np.take slower still, as
    measured); converting a block at a time keeps the wider copy small.
    """
    out = np.empty(index.shape, dtype=table.dtype)
    rows = max(1, block // max(index.shape[1], 1))
    for start in range(0, index.shape[0], rows):
        out[start : start + rows] = table[index[start : start + rows].astype(np.intp)]
    return out


def gray_to_rgba(display: np.ndarray) -> np.ndarray:
    """(rows, columns) uint8 grey to C-contiguous (rows, columns, 4) RGBA."""
    rows, cols = display.shape
    rgba = np.empty((rows, cols, 4), dtype=np.uint8)
    rgba[..., 0] = display
    rgba[..., 1] = display
    rgba[..., 2] = display
    rgba[..., 3] = 255
    return rgba


def color_to_rgba(rgb: np.ndarray, bits_stored: int, invert: bool) -> np.ndarray:
    """(rows, columns, 3) RGB of any bit depth to (rows, columns, 4) RGBA uint8.

    Colour images have no VOI transform (PS3.3 C.7.6.3.1.2); values wider
    than 8 bits are scaled by their Bits Stored.
    """
    if rgb.dtype == np.uint8 and bits_stored <= 8:
        channels = rgb
    else:
        top = float((1 << bits_stored) - 1) if bits_stored > 0 else 255.0
        channels = np.floor(np.clip(rgb.astype(np.float64) / top, 0, 1) * 255 + 0.5).astype(
            np.uint8
        )
    rows, cols = channels.shape[:2]
    rgba = np.empty((rows, cols, 4), dtype=np.uint8)
    rgba[..., :3] = channels
    if invert:
        np.subtract(255, rgba[..., :3], out=rgba[..., :3])
    rgba[..., 3] = 255
    return rgba


def presentation_inverts(photometric: Photometric, ds: Dataset) -> bool:
    """Whether the Presentation step inverts grey (PS3.3 C.7.6.3.1.2, C.11.6).

    MONOCHROME1 shows its minimum as white; (2050,0020) Presentation LUT
    Shape INVERSE inverts as well.
    """
    shape = str(ds.get("PresentationLUTShape", "") or "").strip().upper()
    # For MONOCHROME1, INVERSE is the shape the IODs require: the same inversion, not a second.
    return photometric is Photometric.MONOCHROME1 or shape == "INVERSE"


def read_padding(ds: Dataset, rescale: Modality) -> tuple[float, float] | None:
    """(0028,0120) Pixel Padding Value and (0028,0121) Range Limit, as modality values."""
    values = _numbers(ds.get("PixelPaddingValue"))
    if not values:
        return None
    limits = _numbers(ds.get("PixelPaddingRangeLimit"))
    low = values[0]
    high = limits[0] if limits else low
    if isinstance(rescale, Lut):
        ends = modality_values(np.array([int(low), int(high)], dtype=np.int64), rescale)
        return float(ends[0]), float(ends[1])
    return (
        low * rescale.slope + rescale.intercept,
        high * rescale.slope + rescale.intercept,
    )


# -- palettes: PALETTE COLOR and Supplemental Palette Color LUTs ---------------------------

_CHANNELS = ("Red", "Green", "Blue")
#: Indirect segments may nest; a table that points at itself must not loop forever.
_MAX_SEGMENT_DEPTH = 8


def _segment_words(value: object, bits: int, little: bool) -> np.ndarray | None:
    """Segmented LUT data as its 8- or 16-bit words, in order (PS3.3 C.7.9.2)."""
    if isinstance(value, (bytes, bytearray)):
        raw = bytes(value[: len(value) // 2 * 2])
        if not little:  # OW: undo the big-endian word order before reading 8-bit words
            raw = np.frombuffer(raw, ">u2").astype("<u2").tobytes()
        words: np.ndarray = np.frombuffer(raw, np.uint8 if bits == 8 else "<u2")
        return words.astype(np.int64)
    numbers = _numbers(value)
    return np.asarray(numbers, dtype=np.int64) if numbers else None


def expand_segmented(words: Sequence[int] | np.ndarray, bits: int) -> list[int]:
    """Expand Segmented Palette Color LUT Data into its table (PS3.3 C.7.9.2).

    Segments are an opcode, a length, then: 0 discrete, that many entries
    (C.7.9.2.1); 1 linear, one end value y1, giving ``length`` entries on the
    line from the previous segment's last entry y0 to y1, y0 excluded and y1
    included, each rounded half up (C.7.9.2.2); 2 indirect, a 32-bit byte
    offset (low 16 bits first) into the segmented data at which ``length``
    segments are expanded again (C.7.9.2.3).

    Raises
    ------
    ValueError
        Unknown opcode, a linear or indirect segment first, or a loop.
    """
    data = [int(w) for w in words]
    table: list[int] = []
    _expand(data, 0, None, bits, table, 0)
    return table


def _expand(
    data: list[int], start: int, limit: int | None, bits: int, table: list[int], depth: int
) -> None:
    if depth > _MAX_SEGMENT_DEPTH:
        raise ValueError("indirect segments nest too deep")
    at, done = start, 0
    while at + 1 < len(data) and (limit is None or done < limit):
        opcode, length = data[at], data[at + 1]
        at += 2
        if opcode == 0:
            table.extend(data[at : at + length])
            at += length
        elif opcode == 1:
            if not table:
                raise ValueError("a linear segment cannot come first")
            y0, y1 = table[-1], data[at]
            at += 1
            table.extend(
                int(np.floor(y0 + (y1 - y0) * i / length + 0.5)) for i in range(1, length + 1)
            )
        elif opcode == 2:
            if not table:
                raise ValueError("an indirect segment cannot come first")
            if bits == 8:
                offset = data[at] | data[at + 1] << 8 | data[at + 2] << 16 | data[at + 3] << 24
                at += 4
            else:
                offset = data[at] | data[at + 1] << 16
                at += 2
            _expand(data, offset // (bits // 8), length, bits, table, depth + 1)
        else:
            raise ValueError(f"unknown segment opcode {opcode}")
        done += 1


def _palette_channel(ds: Dataset, channel: str, little: bool) -> tuple[int, int, np.ndarray] | None:
    signed = int(ds.get("PixelRepresentation", 0) or 0) == 1
    descriptor = _descriptor(ds.get(f"{channel}PaletteColorLookupTableDescriptor"), signed)
    if descriptor is None:
        return None
    count, first, bits = descriptor
    plain = ds.get(f"{channel}PaletteColorLookupTableData")
    segmented = ds.get(f"Segmented{channel}PaletteColorLookupTableData")
    if plain is not None:
        data = _entries(plain, count, bits, little)
    elif segmented is not None:
        words = _segment_words(segmented, bits, little)
        try:
            expanded = expand_segmented(words, bits) if words is not None else []
        except (ValueError, IndexError):
            return None
        data = np.asarray(expanded[:count], dtype=np.int64) if len(expanded) >= count else None
    else:
        return None
    return None if data is None else (first, bits, data)


def read_palette(ds: Dataset) -> Palette | None:
    """The Red, Green and Blue Palette Color LUTs, plain or segmented, or None.

    References
    ----------
    PS3.3 C.7.6.3.1.5 (descriptors: entries, first value mapped, 8 or 16
    bits), C.7.6.3.1.6 (data), C.7.9.2 (segmented data).
    """
    little = little_endian(ds)
    channels = [_palette_channel(ds, channel, little) for channel in _CHANNELS]
    if any(c is None for c in channels):
        return None
    found = [c for c in channels if c is not None]
    count = min(len(data) for _, _, data in found)
    rgb = np.empty((count, 3), dtype=np.uint8)
    for i, (_, bits, data) in enumerate(found):
        top = float((1 << bits) - 1)
        rgb[:, i] = np.floor(np.clip(data[:count], 0, top) * (255.0 / top) + 0.5)
    rgb.setflags(write=False)
    first, bits, _ = found[0]
    return Palette(first, bits, rgb)


def apply_palette(stored: np.ndarray, palette: Palette) -> np.ndarray:
    """Stored values through a palette to (rows, columns, 3) uint8 RGB (PS3.3 C.7.6.3.1.5).

    Values below the first value mapped take the first entry; values past
    the last entry take the last.
    """
    out: np.ndarray = palette.rgb[_lut_index(stored, palette.first, palette.entries)]
    return out


def has_supplemental_palette(ds: Dataset, photometric: Photometric) -> bool:
    """A grey image with Supplemental Palette Color LUTs (PS3.3 C.7.6.19, C.8.16.2.1.1.1).

    (0008,9205) Pixel Presentation COLOR or MIXED says the palette is meant
    to be shown.
    """
    presentation = str(ds.get("PixelPresentation", "") or "").strip().upper()
    return (
        photometric.is_monochrome
        and presentation in ("COLOR", "MIXED")
        and "RedPaletteColorLookupTableDescriptor" in ds
    )


def grey_range(stored: np.ndarray, palette: Palette) -> np.ndarray:
    """The stored values of a supplemental-palette image that are grey (below the palette)."""
    grey: np.ndarray = stored[stored < palette.first]
    return grey


def supplemental_to_rgba(stored: np.ndarray, grey_rgba: np.ndarray, palette: Palette) -> np.ndarray:
    """Colour the palette range of a grey image rendered to RGBA.

    Stored values at or above the palette's first value mapped are shown
    through the palette; the others keep the grey pipeline's RGBA (Modality
    LUT, VOI, Presentation). The palette part is not inverted.

    References
    ----------
    PS3.3 C.7.6.19 Supplemental Palette Color Lookup Table Module;
    PS3.4 N.2.1.3 (the grey and colour ranges of a stored value).
    """
    out = grey_rgba.copy()
    coloured = stored >= palette.first
    out[coloured, :3] = apply_palette(stored[coloured], palette)
    return out


# -- JSON for the viewer ------------------------------------------------------------------


def voi_json(windows: Sequence[Window], luts: Sequence[Lut]) -> list[dict[str, Any]]:
    """The selectable VOI transforms: every window, then every VOI LUT (``voi_index`` order)."""
    items: list[dict[str, Any]] = [
        {
            "kind": "window",
            "center": w.center,
            "width": w.width,
            "function": w.function.value,
            "explanation": w.explanation,
        }
        for w in windows
    ]
    items.extend(
        {
            "kind": "lut",
            "center": None,
            "width": None,
            "function": None,
            "explanation": lut.explanation,
            "entries": lut.entries,
            "firstMapped": lut.first,
            "bits": lut.bits,
        }
        for lut in luts
    )
    return items


def modality_json(modality: Modality) -> dict[str, Any]:
    """What the Modality LUT step of a frame is."""
    if isinstance(modality, Lut):
        return {
            "kind": "lut",
            "entries": modality.entries,
            "firstMapped": modality.first,
            "bits": modality.bits,
            "unit": modality.kind,
            "explanation": modality.explanation,
        }
    return {
        "kind": "rescale",
        "slope": modality.slope,
        "intercept": modality.intercept,
        "unit": modality.unit,
    }
