"""Where each frame (tile) of a slide image lies in its file, read without its bulk data.

Encapsulated Pixel Data (PS3.5 A.4): an item for the Basic Offset Table, then one or more
fragments per frame, then a Sequence Delimitation Item. The frames are found from the
Extended Offset Table (7FE0,0001)/(7FE0,0002) when the header has one, else from the Basic
Offset Table when it is not empty, else by walking the fragments' item headers (8 bytes
each, read one by one) and starting a frame at each fragment that begins with a JPEG SOI
or a JPEG 2000 SOC marker (or one frame per fragment when they are as many). Native pixel
data: frame k is ``k * frame_bytes`` from the value's start. Offsets are absolute file
offsets, so one tile is one ``read``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from lightbox.core.errors import InvalidDicomError
from lightbox.core.messages import say
from lightbox.ingest.source import ByteSource

_ITEM = 0xE000FFFE  # (FFFE,E000) read as a little-endian uint32 of group, element
_SEQUENCE_END = 0xE0DDFFFE
_UNDEFINED = 0xFFFFFFFF


@dataclass(frozen=True, eq=False)
class FrameIndex:
    """Each frame's byte range: ``[starts[k], ends[k])`` in the file.

    Encapsulated: the range holds the frame's fragments with their item headers;
    native: the frame's bytes.
    """

    starts: np.ndarray[Any, Any]
    ends: np.ndarray[Any, Any]
    encapsulated: bool

    def __len__(self) -> int:
        return int(self.starts.size)


def _item(source: ByteSource, at: int, name: str) -> tuple[int, int]:
    """(tag as uint32, length) of the item header at ``at``."""
    head = source.read(at, 8)
    if len(head) < 8:
        raise InvalidDicomError(name, say("engine.slide_pixels_end", at=at))
    tag, length = struct.unpack("<II", head)
    return tag, length


def native_index(offset: int, frame_bytes: int, frames: int, size: int) -> FrameIndex:
    """Native frames from the value's start ``offset``; those past the end are empty."""
    starts = offset + np.arange(frames, dtype=np.int64) * frame_bytes
    ends = np.minimum(starts + frame_bytes, size)
    return FrameIndex(starts, np.maximum(ends, starts), encapsulated=False)


def encapsulated_index(
    name: str, source: ByteSource, value_start: int, frames: int, ds: Dataset
) -> FrameIndex:
    """The frames of encapsulated Pixel Data whose value (the offset table item) is at
    ``value_start``."""
    tag, table_length = _item(source, value_start, name)
    if tag != _ITEM:
        raise InvalidDicomError(name, say("engine.slide_no_offset_table"))
    first = value_start + 8 + table_length
    extended = ds.get("ExtendedOffsetTable")
    lengths = ds.get("ExtendedOffsetTableLengths")
    if extended is not None and lengths is not None:
        offsets = np.frombuffer(bytes(extended), dtype="<u8").astype(np.int64)
        sizes = np.frombuffer(bytes(lengths), dtype="<u8").astype(np.int64)
        if offsets.size >= frames and sizes.size >= frames:
            starts = first + offsets[:frames]
            return FrameIndex(starts, starts + 8 + sizes[:frames], encapsulated=True)
    if table_length >= 4 * frames and table_length > 0:
        table = np.frombuffer(source.read(value_start + 8, table_length), dtype="<u4")
        starts = first + table[:frames].astype(np.int64)
        ends = np.empty_like(starts)
        ends[:-1] = starts[1:]
        ends[-1] = _end_of_fragments(name, source, int(starts[-1]))
        return FrameIndex(starts, ends, encapsulated=True)
    return _walk(name, source, first, frames)


def _end_of_fragments(name: str, source: ByteSource, at: int) -> int:
    """Where the items from ``at`` end (at the Sequence Delimitation Item or the file end)."""
    while at + 8 <= source.size:
        tag, length = _item(source, at, name)
        if tag != _ITEM or length == _UNDEFINED:
            return at
        at += 8 + length
    return min(at, source.size)


def _walk(name: str, source: ByteSource, at: int, frames: int) -> FrameIndex:
    """Frames found by reading each fragment's item header (no offset table)."""
    starts: list[int] = []
    markers: list[bytes] = []
    while at + 8 <= source.size:
        head = source.read(at, 10)
        tag, length = struct.unpack("<II", head[:8])
        if tag != _ITEM or length == _UNDEFINED:
            break
        starts.append(at)
        markers.append(head[8:10])
        at += 8 + length
    end = min(at, source.size)
    if not starts:
        raise InvalidDicomError(name, say("engine.slide_no_fragments"))
    if len(starts) != frames:  # several fragments a frame: a frame begins with its codestream
        chosen = [
            s for s, m in zip(starts, markers, strict=True) if m in (b"\xff\xd8", b"\xff\x4f")
        ]
        if len(chosen) == frames:
            starts = chosen
    starts_array = np.asarray(starts[:frames], dtype=np.int64)
    ends = np.empty_like(starts_array)
    ends[:-1] = starts_array[1:]
    ends[-1] = end if len(starts) <= frames else starts[frames]
    return FrameIndex(starts_array, ends, encapsulated=True)


def fragments(span: bytes) -> bytes:
    """The frame's codestream: the values of the items in ``span`` joined."""
    out = []
    at = 0
    while at + 8 <= len(span):
        tag, length = struct.unpack("<II", span[at : at + 8])
        if tag != _ITEM or length == _UNDEFINED:
            break
        out.append(span[at + 8 : at + 8 + length])
        at += 8 + length
    return b"".join(out)
