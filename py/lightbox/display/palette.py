"""Palettes: PALETTE COLOR and Supplemental Palette Color LUTs, segmented data expanded.

Pure math on arrays and numbers; :mod:`lightbox.display.readers` reads the
tables from a Dataset.

References
----------
PS3.3 C.7.6.3.1.5 (Palette Color Lookup Table Descriptor), C.7.6.3.1.6 (Data),
C.7.9 (Segmented Palette Color LUT Data), C.7.6.19 (Supplemental Palette Color
Lookup Table Module).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lightbox.display.luts import Palette, lut_index

#: Indirect segments may nest; a table that points at itself must not loop forever.
_MAX_SEGMENT_DEPTH = 8


def expand_segmented(words: Sequence[int] | np.ndarray[Any, Any], bits: int) -> list[int]:
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


def palette_of(channels: Sequence[tuple[int, int, np.ndarray[Any, Any]]]) -> Palette:
    """A :class:`Palette` from its red, green and blue tables, each scaled to 8 bits.

    Parameters
    ----------
    channels : sequence of (int, int, numpy.ndarray)
        For each channel in R, G, B order: the first value mapped, the bits
        per entry and the entries. The shortest table sets the length; the
        red channel's first value mapped and bits are the palette's.

    References
    ----------
    PS3.3 C.7.6.3.1.5: entries run from 0 to 2^bits - 1; each is shown as
    round(entry * 255 / (2^bits - 1)).
    """
    count = min(len(data) for _, _, data in channels)
    rgb = np.empty((count, 3), dtype=np.uint8)
    for i, (_, bits, data) in enumerate(channels):
        top = float((1 << bits) - 1)
        rgb[:, i] = np.floor(np.clip(data[:count], 0, top) * (255.0 / top) + 0.5)
    rgb.setflags(write=False)
    first, bits, _ = channels[0]
    return Palette(first, bits, rgb)


def apply_palette(stored: np.ndarray[Any, Any], palette: Palette) -> np.ndarray[Any, Any]:
    """Stored values through a palette to (rows, columns, 3) uint8 RGB (PS3.3 C.7.6.3.1.5).

    Values below the first value mapped take the first entry; values past
    the last entry take the last.
    """
    out: np.ndarray[Any, Any] = palette.rgb[lut_index(stored, palette.first, palette.entries)]
    return out


def grey_range(stored: np.ndarray[Any, Any], palette: Palette) -> np.ndarray[Any, Any]:
    """The stored values of a supplemental-palette image that are grey (below the palette)."""
    grey: np.ndarray[Any, Any] = stored[stored < palette.first]
    return grey


def supplemental_to_rgba(
    stored: np.ndarray[Any, Any], grey_rgba: np.ndarray[Any, Any], palette: Palette
) -> np.ndarray[Any, Any]:
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
