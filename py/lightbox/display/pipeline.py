"""The composition: a frame's stored values and its parameters to RGBA for the canvas.

Grayscale: stored value ► Modality LUT (PS3.3 C.11.1: rescale, or a Modality
LUT Sequence) ► VOI (C.11.2: a window, or a VOI LUT Sequence) ► Presentation
(C.11.6: MONOCHROME1, Presentation LUT Shape INVERSE and the user's invert)
► 8-bit RGBA. Colour is shown as it is, scaled to 8 bits (C.7.6.3.1.2).

The functions are pure: arrays and records in, a new array out. The one state
there is, the whole-type RGBA tables kept for reuse, is a :class:`TableCache`
its caller owns (the session keeps one) and passes in.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from typing import Any

import numpy as np

from lightbox.display.luts import Modality, Voi
from lightbox.display.modality import modality_values
from lightbox.display.voi import apply_voi, to_uint8

#: Integer frames whose stored range is at most this wide use a lookup table.
LUT_LIMIT = 1 << 17
#: Whole-type tables a :class:`TableCache` keeps by default (256 KiB each for 16-bit types).
TABLES_KEPT = 8


def gray_to_display(
    stored: np.ndarray[Any, Any], rescale: Modality, window: Voi, invert: bool
) -> np.ndarray[Any, Any]:
    """Stored grayscale values to 8-bit display values, shape (rows, columns).

    Integer frames go through a lookup table built over their stored range
    (one table entry per possible value); float frames are computed directly.
    ``rescale`` is the Modality LUT step, ``window`` the VOI step, either
    of them a :class:`~lightbox.display.luts.Lut`.
    """
    if stored.dtype.kind in "iu":
        lo, hi = int(stored.min()), int(stored.max())
        if hi - lo < LUT_LIMIT:
            domain = np.arange(lo, hi + 1, dtype=np.int64)
            lut = to_uint8(apply_voi(modality_values(domain, rescale), window), invert)
            shown: np.ndarray[Any, Any] = lut[stored.astype(np.int64) - lo] if lo else lut[stored]
            return shown
    return to_uint8(apply_voi(modality_values(stored, rescale), window), invert)


def _full_range_index(stored: np.ndarray[Any, Any]) -> np.ndarray[Any, Any] | None:
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
    flipped: np.ndarray[Any, Any] = np.bitwise_xor(unsigned, flip)
    return flipped


def _table_domain(dtype: np.dtype[Any]) -> np.ndarray[Any, Any]:
    """The stored value each entry of a whole-type table stands for."""
    bits = 8 * dtype.itemsize
    if dtype.kind == "u":
        return np.arange(0, 1 << bits, dtype=np.int64)
    return np.arange(-(1 << (bits - 1)), 1 << (bits - 1))


def rgba_table(
    dtype: np.dtype[Any], rescale: Modality, window: Voi, invert: bool
) -> np.ndarray[Any, Any]:
    """The whole-type RGBA table: one opaque grey uint32 pixel per stored value of ``dtype``.

    Each entry goes through the Modality, VOI and presentation steps; grey is
    in R, G and B, alpha is 255, in little-endian byte order (as wasm and x86 are).
    """
    grey = to_uint8(apply_voi(modality_values(_table_domain(dtype), rescale), window), invert)
    table: np.ndarray[Any, Any] = grey.astype(np.uint32) * np.uint32(0x010101) | np.uint32(
        0xFF000000
    )
    return table


class TableCache:
    """Whole-type RGBA tables kept for reuse, most recently used last; owned by its caller.

    Scrolling through a series with one window reuses its table. Tables are
    keyed by (dtype, Modality, VOI, invert): a Rescale and a Window compare by
    value, a Lut by identity (the key keeps it alive, so its id is never
    reused). Past ``kept`` tables the least recently used one is dropped.
    """

    def __init__(self, kept: int = TABLES_KEPT) -> None:
        self.kept = kept
        self._tables: OrderedDict[tuple[str, Modality, Voi, bool], np.ndarray[Any, Any]] = (
            OrderedDict()
        )

    def table(
        self, dtype: np.dtype[Any], rescale: Modality, window: Voi, invert: bool
    ) -> np.ndarray[Any, Any]:
        """The table for these steps (:func:`rgba_table`): the kept one, or built and kept."""
        key = (dtype.str, rescale, window, invert)
        found = self._tables.get(key)
        if found is not None:
            self._tables.move_to_end(key)
            return found
        table = rgba_table(dtype, rescale, window, invert)
        self._tables[key] = table
        if len(self._tables) > self.kept:
            self._tables.popitem(last=False)
        return table

    def __len__(self) -> int:
        return len(self._tables)


def gray_rgba(
    stored: np.ndarray[Any, Any],
    rescale: Modality,
    window: Voi,
    invert: bool,
    tables: TableCache | None = None,
) -> np.ndarray[Any, Any]:
    """Stored greyscale straight to RGBA: one 32-bit lookup per pixel where possible.

    The same values as ``gray_to_rgba(gray_to_display(...))``: each table
    entry goes through the same Modality, VOI and presentation steps; the
    table holds whole RGBA pixels (:func:`rgba_table`), so the frame is read
    once and written once.

    Parameters
    ----------
    stored : numpy.ndarray
        (rows, columns) stored values; not modified.
    rescale, window
        The Modality LUT and VOI steps.
    invert : bool
        The presentation's inversion (MONOCHROME1, INVERSE, the user's toggle).
    tables : TableCache, optional
        Where whole-type tables are kept for the next frame; without one the
        table is built for this call and dropped.
    """
    index = _full_range_index(stored) if sys.byteorder == "little" else None
    if index is None:
        return gray_to_rgba(gray_to_display(stored, rescale, window, invert))
    if tables is None:
        table = rgba_table(stored.dtype, rescale, window, invert)
    else:
        table = tables.table(stored.dtype, rescale, window, invert)
    return _lookup(table, index).view(np.uint8).reshape(*stored.shape, 4)


def _lookup(
    table: np.ndarray[Any, Any], index: np.ndarray[Any, Any], block: int = 65536
) -> np.ndarray[Any, Any]:
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


def gray_to_rgba(display: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """(rows, columns) uint8 grey to C-contiguous (rows, columns, 4) RGBA."""
    rows, cols = display.shape
    rgba = np.empty((rows, cols, 4), dtype=np.uint8)
    # One opaque grey uint32 pixel per value, little-endian as wasm and x86 are (see
    # rgba_table): two passes instead of four strided ones.
    pixels = rgba.view(np.uint32).reshape(rows, cols)
    np.multiply(display, np.uint32(0x010101), out=pixels, dtype=np.uint32)
    pixels |= np.uint32(0xFF000000)
    return rgba


def color_to_rgba(
    rgb: np.ndarray[Any, Any], bits_stored: int, invert: bool
) -> np.ndarray[Any, Any]:
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
