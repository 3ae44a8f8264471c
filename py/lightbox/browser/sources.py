"""A dropped file the worker reads a range at a time (``FileReaderSync`` over ``File.slice``).

The worker sends an ArrayBuffer for a file it read whole, or for a large file a byte
source ``{byteSource: true, size, read(offset, length)}`` whose ``read`` returns a
Uint8Array synchronously (web/js/worker/filesource.js): Python then reads only the
header and the tiles it shows.
"""

from __future__ import annotations

from typing import Any

from lightbox.ingest.source import ByteSource


class JsByteSource:
    """A :class:`~lightbox.ingest.source.ByteSource` over the worker's file reader."""

    def __init__(self, proxy: Any) -> None:
        self._proxy = proxy
        self._size = int(proxy.size)

    @property
    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        offset = max(0, min(int(offset), self._size))
        length = max(0, min(int(length), self._size - offset))
        if length == 0:
            return b""
        return bytes(self._proxy.read(offset, length).to_bytes())


def bytes_or_source(buffer: Any) -> bytes | ByteSource:
    """An ArrayBuffer's bytes, or a byte source for a file read a range at a time."""
    if getattr(buffer, "byteSource", False):
        return JsByteSource(buffer)
    return bytes(buffer.to_bytes())
