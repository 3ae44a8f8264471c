"""An independent reference renderer: DICOM image to RGBA, written from the standard.

It shares no code with the ``lightbox`` package (and never imports it): the tests compare
Lightbox's pipeline with this one, so a mistake has to be made twice to go unnoticed.
Decoding is pydicom's (:func:`pydicom.pixels.pixel_array` and its plugins); everything after
the stored values is written here from DICOM PS3.3 (clauses cited at each formula).

Choices where the standard leaves room (or where files commonly break it):

* Rounding to 8 bits is half up, ``floor(clip(y, 0, 255) + 0.5)`` (plus 1e-9, so that a
  half of exact arithmetic computed as 25.4999999999 still goes up); integer rescaling from
  ``n`` bits is ``v * 255 / (2**n - 1)`` rounded half up (so a 16-bit entry ``e`` becomes
  ``round(e / 257)``). LUT inputs that are not integers are rounded half up as well.
* A LUT Descriptor's first mapped value is re-read as signed or unsigned from the context,
  whatever VR pydicom gave it: signed for Modality and palette LUTs when Pixel Representation
  is 1, for VOI LUTs also when the frame's modality values include negative ones.
* LUT entries are scaled from the descriptor's bit depth, unless the data's maximum does not
  fit in it; then from the bits that maximum needs (some writers declare 8 and store 12).
* LUT Data given as bytes (OW) holds 16-bit words in the file's byte order when it is at
  least twice the number of entries long (PS3.3 C.7.6.3.1.5 notes 8-bit entries padded to
  16 bits), otherwise one byte per entry.
* The indirect segment offset of a segmented palette is a byte offset (PS3.3 C.7.9.2.3;
  pydicom reads it as an entry index: the two agree for 8-bit entries only).
* MONOCHROME1 and Presentation LUT Shape INVERSE invert once, not twice: PS3.3 C.7.6.1
  requires INVERSE exactly when the image is MONOCHROME1, as the means of that inversion.
  ``invert`` toggles the result. A Presentation LUT Sequence is not applied.
* A file's window whose width the function does not define (LINEAR: w < 1; LINEAR_EXACT
  and SIGMOID: w <= 0) is not offered: the next choice, or the automatic window, applies.
  A user's window of such a width: LINEAR treats it as 1, the others as a step at the center.
  An unknown VOI LUT Function is LINEAR.
* Supplemental palette (PS3.3 C.8.16.2.1.1.1): stored values at or above the palette's first
  mapped value take its colour (clamped to the last entry); values below it take the grey
  pipeline, whose automatic window then only sees them. ``invert`` also toggles the colours.
* The automatic window ignores padding (Pixel Padding Value..Range Limit, through the
  modality transform) unless every value is padding.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from os import PathLike
from typing import Any

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.pixels.utils import pixel_array

__all__ = ["Choice", "compare", "modality_values", "render"]

FUNCTIONS = ("LINEAR", "LINEAR_EXACT", "SIGMOID")


@dataclass(frozen=True)
class Choice:
    """What the reference chose for the VOI stage, so that tests can report it.

    ``kind`` is ``"window"`` (the file's Window Center/Width), ``"lut"`` (a VOI LUT Sequence
    item), ``"auto"`` (min..max of the modality values), ``"user"`` (the ``window`` argument)
    or ``"colour"`` (no VOI stage: RGB or palette images).
    """

    kind: str
    center: float | None
    width: float | None
    function: str | None


def _dataset(ds_or_path: Dataset | str | PathLike[str]) -> Dataset:
    return ds_or_path if isinstance(ds_or_path, Dataset) else pydicom.dcmread(ds_or_path)


def _round8(y: np.ndarray) -> np.ndarray:
    # half up; the slack keeps halves of exact arithmetic (25.499999999999996) going up
    return np.asarray(np.floor(np.clip(y, 0.0, 255.0) + 0.5 + 1e-9), dtype=np.uint8)


def _to8(values: np.ndarray, bits: int) -> np.ndarray:
    """Unsigned ``bits``-bit integers to 8 bits: v * 255 / (2^bits - 1), half up, exactly."""
    top = (1 << bits) - 1
    v = np.clip(np.asarray(values, dtype=np.int64), 0, top)
    return ((v * 510 + top) // (2 * top)).astype(np.uint8)


def _number(item: Dataset, keyword: str, default: float) -> float:
    value = item.get(keyword)
    return default if value is None or value == "" else float(value)


def _numbers(item: Dataset, keyword: str) -> list[float]:
    value = item.get(keyword)
    if value is None or value == "":
        return []
    if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
        return [float(value)]  # VM 1
    return [float(v) for v in value]


def _groups(ds: Dataset, frame: int) -> list[Dataset]:
    """The frame's functional group items, per-frame before shared (PS3.3 C.7.6.16)."""
    items = []
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    if per_frame and frame < len(per_frame):
        items.append(per_frame[frame])
    shared = ds.get("SharedFunctionalGroupsSequence")
    if shared:
        items.append(shared[0])
    return items


def _macro(ds: Dataset, frame: int, keyword: str) -> Dataset:
    """The first item of a functional group macro for the frame, else the dataset itself."""
    for group in _groups(ds, frame):
        seq = group.get(keyword)
        if seq:
            item: Dataset = seq[0]
            return item
    return ds


def _little_endian(ds: Dataset) -> bool:
    little = getattr(ds, "original_encoding", (None, None))[1]
    if little is None:
        syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
        little = syntax.is_little_endian if syntax else True
    return bool(little)


def _entries(ds: Dataset, raw: Any, count: int, bits: int) -> np.ndarray:
    """LUT Data (US values or OW bytes) as integers (PS3.3 C.11.1.1.1, C.7.6.3.1.6)."""
    if isinstance(raw, bytes | bytearray):
        if bits > 8 or len(raw) >= 2 * count:
            return np.frombuffer(raw, dtype="<u2" if _little_endian(ds) else ">u2").astype(int)
        return np.frombuffer(raw, dtype=np.uint8).astype(int)
    return np.asarray(list(raw) if hasattr(raw, "__iter__") else [raw], dtype=np.int64)


def _descriptor(item: Dataset, keyword: str, signed: bool) -> tuple[int, int, int]:
    """(entries, first value mapped, bits) of a LUT Descriptor (PS3.3 C.11.1.1.1)."""
    count, first, bits = (int(v) for v in item[keyword].value)
    count = count % 0x10000 or 0x10000  # the number of entries: 0 means 2^16
    if signed and first >= 0x8000:  # US or SS per the input's signedness
        first -= 0x10000
    elif not signed and first < 0:
        first += 0x10000
    return count, first, bits % 0x10000


def _lookup(x: np.ndarray, first: int, table: np.ndarray) -> np.ndarray:
    # PS3.3 C.11.1.1.1 / C.11.2.1.1 / C.7.6.3.1.5: inputs below the first value mapped take
    # the first entry, inputs above the last one the last entry.
    index = np.floor(np.asarray(x, dtype=np.float64) + 0.5) - first
    return np.asarray(table[np.clip(index, 0, len(table) - 1).astype(np.int64)])


def _lut_bits(table: np.ndarray, bits: int) -> int:
    top = int(table.max()) if table.size else 0
    return max(bits, top.bit_length(), 1)


def _lut(ds: Dataset, item: Dataset, signed: bool) -> tuple[int, np.ndarray, int]:
    count, first, bits = _descriptor(item, "LUTDescriptor", signed)
    table = _entries(ds, item.LUTData, count, bits)[:count]
    return first, table, _lut_bits(table, bits)


def _modality(ds: Dataset, frame: int, stored: np.ndarray) -> np.ndarray:
    """Stored values to modality values (PS3.3 C.11.1; Enhanced: C.7.6.16.2.9)."""
    src = _macro(ds, frame, "PixelValueTransformationSequence")
    seq = src.get("ModalityLUTSequence")
    if seq:  # C.11.1: the Modality LUT Sequence, exclusive of the rescale
        first, table, _ = _lut(ds, seq[0], ds.get("PixelRepresentation", 0) == 1)
        declared = int(_descriptor(seq[0], "LUTDescriptor", False)[2])
        needed = int(table.max()).bit_length() if table.size else 0
        if needed > declared:
            # C.11.1.1.1: the descriptor's bits are the output's range; entries written more
            # finely (needing more bits) are read on that range: e * (2^d - 1) / (2^n - 1).
            table = np.floor(
                table.astype(np.float64) * ((1 << declared) - 1) / ((1 << needed) - 1) + 0.5
            )
        return _lookup(stored, first, table).astype(np.float64)
    # C.11.1 (Rescale Intercept): output units = m * SV + b
    slope, intercept = _number(src, "RescaleSlope", 1.0), _number(src, "RescaleIntercept", 0.0)
    return np.asarray(stored, dtype=np.float64) * slope + intercept


def modality_values(ds: Dataset | str | PathLike[str], frame: int = 0) -> np.ndarray:
    """The frame's modality values (e.g. HU) as float64, shape (Rows, Columns)."""
    ds = _dataset(ds)
    return _modality(ds, frame, np.asarray(pixel_array(ds, index=frame)))


def _window(x: np.ndarray, c: float, w: float, function: str) -> np.ndarray:
    """A window to 0..255 (ymin = 0, ymax = 255), not yet rounded."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        if function == "SIGMOID":  # PS3.3 C.11.2.1.3.1: y = 255 / (1 + exp(-4 (x - c) / w))
            if w <= 0:
                return np.where(x > c, 255.0, np.where(x < c, 0.0, 127.5))
            return 255.0 / (1.0 + np.exp(-4.0 * (x - c) / w))
        if function == "LINEAR_EXACT":  # PS3.3 C.11.2.1.3.2: y = ((x - c) / w + 0.5) * 255
            lo, hi = c - w / 2, c + w / 2
            y = ((x - c) / w + 0.5) * 255.0 if w > 0 else np.zeros_like(x)
        else:  # PS3.3 C.11.2.1.2.1: y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255, w >= 1
            w = max(w, 1.0)
            lo, hi = c - 0.5 - (w - 1) / 2, c - 0.5 + (w - 1) / 2
            y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255.0 if w > 1 else np.zeros_like(x)
        # x <= lo -> ymin; x > hi -> ymax (both clauses)
        return np.where(x <= lo, 0.0, np.where(x > hi, 255.0, y))


def _padding(ds: Dataset, frame: int) -> tuple[float, float] | None:
    """Pixel Padding Value..Range Limit in modality units (PS3.3 C.7.5.1.1.2)."""
    values = [ds.get("PixelPaddingValue"), ds.get("PixelPaddingRangeLimit")]
    values = [int(v) for v in values if v is not None]
    if not values:
        return None
    if ds.get("PixelRepresentation", 0) == 1:  # US or SS: 16-bit two's complement
        values = [v - 0x10000 if v >= 0x8000 else v for v in values]
    ends = _modality(ds, frame, np.asarray(values))
    return float(ends.min()), float(ends.max())


def _grey(
    ds: Dataset,
    frame: int,
    stored: np.ndarray,
    window: tuple[float, float] | None,
    voi_index: int | None,
    auto_from: np.ndarray | None,
) -> tuple[np.ndarray, Choice]:
    """Modality LUT then VOI LUT (PS3.3 C.11.1, C.11.2; Enhanced: C.7.6.16.2.10): 8 bits."""
    x = _modality(ds, frame, stored)
    voi = _macro(ds, frame, "FrameVOILUTSequence")
    function = str(voi.get("VOILUTFunction") or "LINEAR").strip().upper()  # C.11.2.1.3
    function = function if function in FUNCTIONS else "LINEAR"
    if window is not None:
        c, w = float(window[0]), float(window[1])
        return _round8(_window(x, c, w, function)), Choice("user", c, w, function)
    pairs = list(zip(_numbers(voi, "WindowCenter"), _numbers(voi, "WindowWidth"), strict=False))
    # A width outside the function's domain is no window (C.11.2.1.2.1: LINEAR needs w >= 1;
    # C.11.2.1.3.1-2: LINEAR_EXACT and SIGMOID need w > 0): such a pair is not offered.
    least = 1.0 if function == "LINEAR" else np.nextafter(0.0, 1.0)
    pairs = [(c, w) for c, w in pairs if w >= least]
    luts = list(voi.get("VOILUTSequence") or [])
    if pairs or luts:  # C.11.2: each window pair, then each VOI LUT, is one choice
        i = voi_index if voi_index is not None and 0 <= voi_index < len(pairs) + len(luts) else 0
        if i < len(pairs):
            c, w = pairs[i]
            return _round8(_window(x, c, w, function)), Choice("window", c, w, function)
        signed = ds.get("PixelRepresentation", 0) == 1 or bool(np.any(x < 0))
        first, table, bits = _lut(ds, luts[i - len(pairs)], signed)
        return _to8(_lookup(x, first, table), bits), Choice("lut", None, None, None)
    values = np.asarray(x if auto_from is None else auto_from, dtype=np.float64).ravel()
    pad = _padding(ds, frame)
    kept = values if pad is None else values[(values < pad[0]) | (values > pad[1])]
    kept = kept if kept.size else values
    lo, hi = (float(kept.min()), float(kept.max())) if kept.size else (0.0, 0.0)
    c, w = (lo + hi) / 2 + 0.5, max(hi - lo + 1, 1.0)  # LINEAR: lo -> 0, hi -> 255
    return _round8(_window(x, c, w, "LINEAR")), Choice("auto", c, w, "LINEAR")


def _expand(data: np.ndarray, little: bool, byte_size: int) -> list[int]:
    """Segmented palette data to entries (PS3.3 C.7.9.2)."""
    words = [int(v) for v in data]
    out: list[int] = []

    def run(pos: int, limit: int | None, depth: int) -> None:
        done = 0
        while pos + 1 < len(words) and (limit is None or done < limit) and depth < 8:
            opcode, length = words[pos], words[pos + 1]
            if opcode == 0:  # C.7.9.2.1 discrete: `length` entries follow
                out.extend(words[pos + 2 : pos + 2 + length])
                pos += 2 + length
            elif opcode == 1:  # C.7.9.2.2 linear: (x0, y0) to (x0 + length, y1), a line
                y0, y1 = out[-1], words[pos + 2]
                out.extend(
                    math.floor(y0 + (y1 - y0) * j / length + 0.5) for j in range(1, length + 1)
                )
                pos += 3
            elif opcode == 2:  # C.7.9.2.3 indirect: `length` segments from a byte offset
                if byte_size == 1:
                    lsw, msw = struct.unpack(
                        "<HH" if little else ">HH", bytes(words[pos + 2 : pos + 6])
                    )
                    pos += 6
                else:
                    lsw, msw = words[pos + 2], words[pos + 3]
                    pos += 4
                run((lsw | msw << 16) // byte_size, length, depth + 1)
            else:
                return
            done += 1

    run(0, None, 0)
    return out


def _palette(ds: Dataset, stored: np.ndarray) -> tuple[np.ndarray, int]:
    """Palette Color LUTs applied to stored values (PS3.3 C.7.6.3.1.5/6, C.7.9): RGB, first."""
    signed = ds.get("PixelRepresentation", 0) == 1
    channels, first = [], 0
    for colour in ("Red", "Green", "Blue"):
        count, first, bits = _descriptor(ds, f"{colour}PaletteColorLookupTableDescriptor", signed)
        raw = ds.get(f"{colour}PaletteColorLookupTableData")
        if raw is None:
            seg = ds[f"Segmented{colour}PaletteColorLookupTableData"].value
            little = _little_endian(ds)
            data = np.frombuffer(seg, dtype=np.uint8 if bits <= 8 else "<u2" if little else ">u2")
            table = np.asarray(_expand(data, little, 1 if bits <= 8 else 2), dtype=np.int64)
        else:
            table = _entries(ds, raw, count, bits)
        table = table[:count]
        channels.append(_to8(_lookup(stored, first, table), _lut_bits(table, bits)))
    return np.stack(channels, axis=-1), first


def _supplemental(ds: Dataset, frame: int) -> bool:
    """A greyscale image with a Supplemental Palette Color LUT (PS3.3 C.7.6.19, C.8.16.2)."""
    if "RedPaletteColorLookupTableDescriptor" not in ds or not (
        "RedPaletteColorLookupTableData" in ds or "SegmentedRedPaletteColorLookupTableData" in ds
    ):
        return False
    shown = str(ds.get("PixelPresentation", "COLOR")).upper()
    if shown == "MIXED":  # the frame's own value, in its Frame Type macro
        for group in _groups(ds, frame):
            for elem in group:
                if elem.VR == "SQ" and elem.value and "PixelPresentation" in elem.value[0]:
                    shown = str(elem.value[0].PixelPresentation).upper()
    return shown != "MONOCHROME"


def _rgba(rgb: np.ndarray) -> np.ndarray:
    out = np.full(rgb.shape[:2] + (4,), 255, dtype=np.uint8)
    out[..., :3] = rgb
    return np.ascontiguousarray(out)


def render(
    ds_or_path: Dataset | str | PathLike[str],
    frame: int = 0,
    *,
    window: tuple[float, float] | None = None,
    voi_index: int | None = None,
    invert: bool = False,
    auto_from: np.ndarray | None = None,
) -> tuple[np.ndarray, Choice]:
    """Render one frame to RGBA.

    Parameters
    ----------
    ds_or_path : Dataset or path
        The image.
    frame : int
        The frame index (0-based).
    window : (center, width), optional
        A user window; it uses the file's VOI LUT Function, LINEAR if it has none.
    voi_index : int, optional
        Which of the file's VOI choices: its window pairs, then its VOI LUT items. None or out
        of range: the first.
    invert : bool
        Toggle the final inversion (after MONOCHROME1 / INVERSE).
    auto_from : ndarray, optional
        Modality values for the automatic window (default: the frame's own).

    Returns
    -------
    (ndarray, Choice)
        RGBA uint8, shape (Rows, Columns, 4), C-contiguous, alpha 255; and the VOI choice.
    """
    ds = _dataset(ds_or_path)
    stored = np.asarray(pixel_array(ds, index=frame))  # YBR already converted to RGB
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip().upper()
    colour = Choice("colour", None, None, None)
    if stored.ndim == 3:  # RGB (PS3.3 C.7.6.3.1.2), scaled from Bits Stored if above 8
        bits = int(ds.get("BitsStored") or 8)
        rgb = _to8(stored, bits) if bits > 8 else stored.astype(np.uint8)
        return _rgba(255 - rgb if invert else rgb), colour
    if photometric == "PALETTE COLOR":
        rgb, _ = _palette(ds, stored)
        return _rgba(255 - rgb if invert else rgb), colour
    supplemental = _supplemental(ds, frame)
    if supplemental:
        rgb, first = _palette(ds, stored)
        coloured = stored >= first
        if auto_from is None and not coloured.all():
            auto_from = _modality(ds, frame, stored[~coloured])
    grey, choice = _grey(ds, frame, stored, window, voi_index, auto_from)
    # PS3.3 C.7.6.1 (Presentation LUT Shape), C.11.6.1.2: P-value = max - value
    inverse = str(ds.get("PresentationLUTShape", "")).strip().upper() == "INVERSE"
    if (photometric == "MONOCHROME1" or inverse) != invert:
        grey = 255 - grey
    out = np.repeat(grey[..., None], 3, axis=-1)
    if supplemental:
        out[coloured] = (255 - rgb if invert else rgb)[coloured]
    return _rgba(out), choice


def compare(got: np.ndarray, want: np.ndarray, *, lossy: bool) -> str | None:
    """None if two renders agree, else a one-line description of how they differ.

    Lossless: at least 99.9 % of samples within 1 level. Lossy: no sample more than 3 off.
    """
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return f"shape {got.shape} != {want.shape}"
    diff = np.abs(got.astype(np.int64) - want.astype(np.int64))
    if diff.size == 0:
        return None
    worst, beyond = int(diff.max()), float(np.mean(diff > 1))
    if (worst <= 3) if lossy else (beyond <= 0.001):
        return None
    where = tuple(int(i) for i in np.argwhere(diff > (3 if lossy else 1))[0])
    return (
        f"max diff {worst}, {beyond:.3%} of samples beyond 1 level, first at {where}: "
        f"got {int(got[where])}, want {int(want[where])}"
    )
