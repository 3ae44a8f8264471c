"""The display pipeline's records and lookup tables: rescale, LUTs, palettes, and their JSON.

A Modality LUT step is a :class:`Rescale` or a :class:`Lut` (PS3.3 C.11.1), a
VOI step a :class:`~lightbox.core.records.Window` or a :class:`Lut` (C.11.2),
a palette a :class:`Palette` (C.7.6.3.1.5). This module also decodes the
values a LUT is written in (descriptors, LUT Data as US values or OW bytes,
segmented words) without reading a Dataset: :mod:`lightbox.display.readers`
picks the values out of one.

Every lookup table is applied by indexing (:func:`lut_index`): inputs below
the first value mapped take the first entry, inputs past the last take the last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lightbox.core.records import Window
from lightbox.core.values import numbers


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
    data: np.ndarray[Any, Any]
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
    rgb: np.ndarray[Any, Any]

    @property
    def entries(self) -> int:
        return int(self.rgb.shape[0])


#: What the Modality LUT step can be, and what the VOI step can be.
Modality = Rescale | Lut
Voi = Window | Lut


def lut_index(values: np.ndarray[Any, Any], first: int, count: int) -> np.ndarray[Any, Any]:
    """Table positions of input values: clamped to the first and last entry.

    Non-integer inputs (modality values from a fractional rescale) take the
    nearest entry, halves up.
    """
    if values.dtype.kind in "iu":
        index = values.astype(np.int64) - first
    else:
        x = np.clip(np.asarray(values, dtype=np.float64), first - 1.0, first + float(count))
        index = np.floor(x + 0.5).astype(np.int64) - first
    clipped: np.ndarray[Any, Any] = np.clip(index, 0, count - 1)
    return clipped


# -- the values a LUT is written in ------------------------------------------------------


def descriptor_values(value: object, signed: bool) -> tuple[int, int, int] | None:
    """(entries, first value mapped, bits) from a three-valued LUT descriptor.

    The first value 0 means 2^16 entries; the second is US or SS, so a value
    read as unsigned is taken as its two's complement when ``signed``.

    References
    ----------
    PS3.3 C.11.1.1.1 (LUT Descriptor), C.7.6.3.1.5 (Palette Color LUT Descriptor).
    """
    found = numbers(value)
    if len(found) != 3:
        return None
    count = int(found[0]) & 0xFFFF or 1 << 16
    first = int(found[1]) & 0xFFFF
    if signed and first >= 0x8000:
        first -= 0x10000
    bits = int(found[2])
    return (count, first, bits) if 1 <= bits <= 16 else None


def lut_entries(value: object, count: int, bits: int, little: bool) -> np.ndarray[Any, Any] | None:
    """``count`` LUT entries from US values or OW bytes.

    OW data holds one entry a 16-bit word; 8-bit entries may also come packed
    one a byte, which the length tells (PS3.3 C.7.6.3.1.5 note). The entries
    are taken as they are: a descriptor that declares fewer bits than its
    entries use (an XA Modality LUT declaring 8 bits with entries up to 4022
    was seen) is wrong about its bits, not about its data (the LUT reader of
    :mod:`lightbox.display.readers` widens its bits); only 8-bit entries
    written into both bytes of their word are taken once (every high byte
    zero or equal to its low byte).
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
        found = numbers(value)
        if len(found) < count:
            return None
        arr = np.asarray(found[:count], dtype=np.int64).astype(np.uint16)
    high, low = arr >> 8, arr & 0xFF
    if bits <= 8 and np.all((high == 0) | (high == low)):
        arr = low.astype(np.uint16)  # 8-bit entries, some written into both bytes: one byte
    arr.setflags(write=False)
    return arr


def segment_words(value: object, bits: int, little: bool) -> np.ndarray[Any, Any] | None:
    """Segmented LUT data as its 8- or 16-bit words, in order (PS3.3 C.7.9.2)."""
    if isinstance(value, (bytes, bytearray)):
        raw = bytes(value[: len(value) // 2 * 2])
        if not little:  # OW: undo the big-endian word order before reading 8-bit words
            raw = np.frombuffer(raw, ">u2").astype("<u2").tobytes()
        words: np.ndarray[Any, Any] = np.frombuffer(raw, np.uint8 if bits == 8 else "<u2")
        return words.astype(np.int64)
    found = numbers(value)
    return np.asarray(found, dtype=np.int64) if found else None


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
