"""What ``save(name, data)`` writes: bytes for a file name, by its extension.

``.png`` an image (an array, windowed as ``show`` does), ``.csv`` a table (an array of up
to 2 dimensions, or a list of dicts), ``.npy`` any array (NumPy's format), ``.dcm`` a pydicom
Dataset (written as a DICOM file, PS3.10), anything else bytes or text as they are.
"""

from __future__ import annotations

import csv
import io
import struct
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pydicom import dcmwrite
from pydicom.dataset import Dataset

from lightbox.console.show import ShowError, to_rgba
from lightbox.core.errors import LightboxError

MIME_TYPES = {
    ".png": "image/png",
    ".csv": "text/csv",
    ".npy": "application/octet-stream",
    ".dcm": "application/dicom",
    ".txt": "text/plain",
    ".json": "application/json",
}


class SaveError(LightboxError):
    """Data that cannot be saved under that name, with the reason."""


def encode(name: str, data: Any, window: tuple[float, float] | None = None) -> tuple[bytes, str]:
    """The bytes of file ``name`` holding ``data``, and its MIME type."""
    if not name or "/" in name or "\\" in name:
        raise SaveError(str(name), "a plain file name is needed (no folders)")
    ext = ("." + name.rsplit(".", 1)[1].lower()) if "." in name else ""
    mime = MIME_TYPES.get(ext, "application/octet-stream")
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data), mime
    if isinstance(data, str):
        return data.encode("utf-8"), mime
    try:
        if ext == ".png":
            return png(to_rgba(data, window)), mime
        if ext == ".npy":
            buffer = io.BytesIO()
            np.save(buffer, np.asarray(data), allow_pickle=False)
            return buffer.getvalue(), mime
        if ext == ".csv":
            return table(data).encode("utf-8"), mime
        if ext == ".dcm":
            return dicom(data), mime
    except ShowError as exc:
        raise SaveError(name, exc.reason) from exc
    raise SaveError(
        name,
        f"cannot write {type(data).__name__} as {ext or 'a file without extension'}: "
        "give bytes or text, or name it .png, .csv, .npy or .dcm",
    )


def png(rgba: np.ndarray[Any, Any]) -> bytes:
    """A PNG (8-bit RGBA, no filtering) of a (rows, columns, 4) uint8 image."""
    rows, columns = rgba.shape[:2]
    raw = b"".join(b"\x00" + rgba[r].tobytes() for r in range(rows))

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", columns, rows, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def table(data: Any) -> str:
    """CSV text of a list of dicts (a header row of their keys) or an array of 0-2 dims."""
    out = io.StringIO()
    if isinstance(data, Sequence) and data and all(isinstance(r, Mapping) for r in data):
        keys: list[str] = []
        for row in data:
            keys += [str(k) for k in row if str(k) not in keys]
        writer = csv.DictWriter(out, fieldnames=keys, lineterminator="\n")
        writer.writeheader()
        for row in data:
            writer.writerow({str(k): v for k, v in row.items()})
        return out.getvalue()
    values = np.asarray(data)
    if values.ndim > 2:
        raise SaveError("csv", f"a table has at most 2 dimensions; this has shape {values.shape}")
    writer_rows = csv.writer(out, lineterminator="\n")
    for row in np.atleast_2d(values) if values.ndim else [[values.item()]]:
        writer_rows.writerow([_cell(v) for v in np.atleast_1d(row)])
    return out.getvalue()


def _cell(value: Any) -> str:
    item = value.item() if isinstance(value, np.generic) else value
    return repr(item) if isinstance(item, float) else str(item)


def dicom(data: Any) -> bytes:
    """A pydicom Dataset written as a DICOM file (with File Meta Information, PS3.10)."""
    if not isinstance(data, Dataset):
        raise SaveError("dcm", f"a pydicom Dataset is needed, not {type(data).__name__}")
    buffer = io.BytesIO()
    try:
        dcmwrite(buffer, data, enforce_file_format=True)
    except (ValueError, AttributeError, TypeError) as exc:
        raise SaveError("dcm", f"pydicom cannot write it as a file: {exc}") from exc
    return buffer.getvalue()
