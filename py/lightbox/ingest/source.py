"""Where a file's bytes come from: all in memory, or read a range at a time.

A *byte source* answers ``read(offset, length)`` and knows its ``size``. In memory it is
a view of ``bytes``; in the browser it is the dropped ``File``, read with
``FileReaderSync.readAsArrayBuffer(file.slice(a, b))`` in the worker, so a file of
gigabytes is never held whole. Only what slides need uses it now (their header, their
tile offsets, then each tile when it is shown); the reliability issue (19, item 3) may
open every file through it.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class ByteSource(Protocol):
    """A file's bytes, read a range at a time."""

    @property
    def size(self) -> int:
        """The file's length in bytes."""
        ...

    def read(self, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset`` (fewer at the end of the file)."""
        ...


class BytesSource:
    """A byte source over bytes already in memory (no copy until read)."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)

    @property
    def size(self) -> int:
        return len(self._data)

    def read(self, offset: int, length: int) -> bytes:
        offset = max(0, offset)
        return bytes(self._data[offset : offset + max(0, length)])


class CountingSource:
    """A byte source that counts what is read through it (the tests' and bench's check)."""

    def __init__(self, inner: ByteSource) -> None:
        self.inner = inner
        self.reads = 0
        self.bytes_read = 0

    @property
    def size(self) -> int:
        return self.inner.size

    def read(self, offset: int, length: int) -> bytes:
        got = self.inner.read(offset, length)
        self.reads += 1
        self.bytes_read += len(got)
        return got
