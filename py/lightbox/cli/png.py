"""A minimal PNG writer for RGBA frames (8-bit, no filtering), standard library only."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import numpy as np


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def encode_png(rgba: np.ndarray[Any, Any]) -> bytes:
    """(rows, columns, 4) uint8 RGBA to PNG bytes (colour type 6, bit depth 8)."""
    if rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"expected (rows, columns, 4) uint8, got {rgba.shape} {rgba.dtype}")
    rows, cols = rgba.shape[:2]
    # Each scanline starts with filter type 0 (None).
    lines = np.zeros((rows, cols * 4 + 1), dtype=np.uint8)
    lines[:, 1:] = rgba.reshape(rows, cols * 4)
    header = struct.pack(">IIBBBBB", cols, rows, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(lines.tobytes(), 6))
        + _chunk(b"IEND", b"")
    )
