"""The shape of a file's bytes: element headers walked without reading any value.

pydicom reads a file cut short without a word: a value whose declared length
runs past the end is read as far as it goes, and whatever the declared length
swallowed (the rest of a sequence, the image attributes, the pixel data) is
simply absent. This module finds where that happened. It reads element
headers only (tag, VR, length), nested into sequences and items, and
compares each declared length with the bytes that remain: a declared length
beyond them is truncation, whatever its size, and nothing of that size is
ever allocated. (About 480 lines: one walker of PS3.5's element encoding with
its explicit/implicit switching and fragment items; its parts share one cursor.)

References
----------
PS3.5 7.1 (data element encoding), 7.5 (nesting of data sets: items and
delimiters), A.4 (encapsulated pixel data: fragments).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from pydicom.datadict import dictionary_description, dictionary_VR
from pydicom.dataset import Dataset
from pydicom.uid import DeflatedExplicitVRLittleEndian

from lightbox.core.messages import Fixed, Message, say
from lightbox.core.tags import PIXEL_DATA, PIXEL_TAGS

_ITEM = 0xFFFEE000
_ITEM_END = 0xFFFEE00D
_SEQUENCE_END = 0xFFFEE0DD
_UNDEFINED = 0xFFFFFFFF
#: Explicit VRs whose length is 4 bytes after 2 reserved ones (PS3.5 Table 7.1-1).
_LONG_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
)
#: Sequences nest no deeper than this; a deeper walk is a malformed file, not a truncated one.
MAX_DEPTH = 64
_PREAMBLE_AND_MAGIC = 132


@dataclass(frozen=True)
class Encoding:
    """How a data set's elements are encoded (PS3.5 7.1.1-7.1.3, 7.3)."""

    little: bool = True
    implicit: bool = False

    @property
    def order(self) -> str:
        return "<" if self.little else ">"


#: Group 0002 and the items of a VR UN sequence of undefined length (PS3.5 6.2.2).
EXPLICIT_LITTLE = Encoding(little=True, implicit=False)
IMPLICIT_LITTLE = Encoding(little=True, implicit=True)


@dataclass(frozen=True)
class Truncation:
    """Where a file's bytes end before what its headers declare.

    Attributes
    ----------
    path : tuple of str
        From the outermost element to the innermost one that is cut:
        ``("(300A,03A2) Ion Beam Sequence", "item 1", "(300A,0111) ...")``.
    declared : int or None
        The innermost element's declared length; None when its length is
        undefined and the bytes end before its delimiter, or when the bytes
        end inside an element header.
    remaining : int
        Bytes of its value (or of the header) that are present.
    header : bool
        The bytes end inside an element header.
    """

    path: tuple[str, ...]
    declared: int | None
    remaining: int
    header: bool = False

    @property
    def where(self) -> str:
        """The path joined, "outer > inner", each step's words from the catalog."""
        if not self.path:
            return ""
        joined = self.path[0]
        for step in self.path[1:]:
            joined = say("engine.path_step", outer=joined, inner=step)
        return joined

    @property
    def message(self) -> str:
        """The reason in words: what declares how much, and how much is there."""
        if self.header:
            if not self.path:
                return say("engine.truncated_in_header", remaining=self.remaining)
            return say(
                "engine.truncated_in_header_inside", where=self.where, remaining=self.remaining
            )
        if self.declared is None:
            last = self.path[-1] if self.path else ""
            item = isinstance(last, Message) and last.key == "engine.item"
            key = "engine.truncated_no_item_end" if item else "engine.truncated_no_sequence_end"
            return say(key, where=self.where, remaining=self.remaining)
        return say(
            "engine.truncated_declares",
            where=self.where,
            declared=size_text(self.declared),
            remaining=size_text(self.remaining),
        )


@dataclass(frozen=True)
class Fragments:
    """The items of an encapsulated pixel data value (PS3.5 A.4).

    Attributes
    ----------
    offsets : tuple of int
        Where each item's value begins in the file's bytes, the Basic Offset
        Table (the first item) included.
    lengths : tuple of int
        Each item's declared length.
    end : int
        Where the value ends: after the sequence delimiter, or the end of the bytes.
    truncation : Truncation or None
        The item cut short, or the missing delimiter.
    """

    offsets: tuple[int, ...]
    lengths: tuple[int, ...]
    end: int
    truncation: Truncation | None = None


@dataclass(frozen=True)
class Element:
    """One element header: its tag, VR ("" in implicit VR and for items), length, value offset."""

    tag: int
    vr: str
    length: int
    value: int

    @property
    def end(self) -> int:
        return self.value + (0 if self.length == _UNDEFINED else self.length)


class _Malformed(Exception):
    """The bytes are not a well-formed element stream: not truncation, so not reported."""


class _TooDeep(_Malformed):
    """Sequences nested past :data:`MAX_DEPTH`."""


def size_text(n: int) -> str:
    """A byte count for people: exact, with GiB or MiB beside it when large."""
    if n >= 1 << 30:
        return say("engine.bytes_gib", bytes=n, size=Fixed(n / (1 << 30), 1))
    if n >= 1 << 20:
        return say("engine.bytes_mib", bytes=n, size=Fixed(n / (1 << 20), 1))
    return say("engine.bytes", count=n)


def label(tag: int) -> str:
    """``(gggg,eeee) Name`` for a tag: its name from the data dictionary when it has one."""
    text = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
    try:
        return f"{text} {dictionary_description(tag)}"
    except KeyError:
        return say("engine.private_tag", tag=text) if (tag >> 16) % 2 else text


def read_element(data: bytes, at: int, encoding: Encoding) -> Element | None:
    """The element header at ``at``, or None when the bytes end inside it.

    Item and delimiter tags (group FFFE) have the implicit 8-byte header in
    every transfer syntax (PS3.5 7.5).
    """
    if at + 8 > len(data):
        return None
    order = encoding.order
    group, number = struct.unpack_from(order + "HH", data, at)
    tag = group << 16 | number
    if encoding.implicit or group == 0xFFFE:
        return Element(tag, "", struct.unpack_from(order + "I", data, at + 4)[0], at + 8)
    vr = data[at + 4 : at + 6]
    if vr in _LONG_VRS:
        if at + 12 > len(data):
            return None
        (length,) = struct.unpack_from(order + "I", data, at + 8)
        return Element(tag, vr.decode("latin-1"), length, at + 12)
    (short,) = struct.unpack_from(order + "H", data, at + 6)
    return Element(tag, vr.decode("latin-1"), short, at + 8)


def found_encoding(data: bytes, at: int, assumed: Encoding, *, item: bool = False) -> Encoding:
    """The encoding pydicom reads a data set starting at ``at`` with, as it decides it.

    pydicom looks at the first element: it is explicit VR when two capital
    letters follow the tag, implicit otherwise, whatever the transfer syntax
    says (a common fault: Implicit VR data in a file that declares Explicit
    VR). An item of an implicit VR sequence stays implicit. Walking the bytes
    the way pydicom read them is what finds where its reading stopped.
    """
    if item and assumed.implicit:
        return assumed
    vr = data[at + 4 : at + 6]
    if len(vr) < 2 or data[at : at + 2] == b"\xfe\xff" or data[at : at + 2] == b"\xff\xfe":
        return assumed
    implicit = not (0x40 < vr[0] < 0x5B and 0x40 < vr[1] < 0x5B)
    return Encoding(little=assumed.little, implicit=implicit)


def _nested(element: Element, encoding: Encoding) -> Encoding | None:
    """The encoding of a sequence's items, or None when the value is not a sequence."""
    if element.vr == "SQ":
        return encoding
    if element.vr == "UN" and element.length == _UNDEFINED:
        return IMPLICIT_LITTLE  # PS3.5 6.2.2: a VR UN sequence is implicit VR little endian
    if element.vr == "" and element.tag not in PIXEL_TAGS:  # pixel data holds fragments
        try:
            return encoding if dictionary_VR(element.tag) == "SQ" else None
        except KeyError:
            return encoding if element.length == _UNDEFINED else None
    return None


def find_truncation(
    data: bytes, start: int, encoding: Encoding, *, end: int | None = None
) -> Truncation | None:
    """The first place after ``start`` where the bytes end before a declared length.

    Walks the elements of one data set from ``start`` to ``end`` (the end of
    the bytes when None), nested into every sequence and item, reading
    headers only. A stream that is not well formed (an unexpected tag where
    an item must be, sequences nested past :data:`MAX_DEPTH`) is not reported:
    it is not truncation, and pydicom's own reading decides what it is.
    """
    try:
        _, cut = _walk(data, start, len(data) if end is None else end, encoding, (), 0)
    except _Malformed:
        return None
    return cut


def _walk(
    data: bytes, at: int, end: int, encoding: Encoding, path: tuple[str, ...], depth: int
) -> tuple[int, Truncation | None]:
    """Elements from ``at`` to ``end`` or to an item delimiter; (where it stopped, truncation)."""
    if depth > MAX_DEPTH:
        raise _TooDeep
    while at < end:
        element = read_element(data, at, encoding)
        if element is None:
            if not data[at:].strip(b"\x00"):  # a few zero bytes of padding: not an element
                return len(data), None
            return at, Truncation(path, None, len(data) - at, header=True)
        if element.tag in (_ITEM_END, _SEQUENCE_END):
            return at, None
        if element.tag == _ITEM:
            raise _Malformed
        inside = (*path, label(element.tag))
        items = _nested(element, encoding)
        if element.length == _UNDEFINED:
            if items is None and element.vr not in ("", "OB", "OW", "UN"):
                raise _Malformed
            if items is None:
                fragments = read_fragments(data, element.value, inside)
                if fragments.truncation is not None:
                    return at, fragments.truncation
                at = fragments.end
                continue
            at, cut = _items(data, element.value, None, items, inside, depth + 1)
            if cut is not None:
                return at, cut
            continue
        if items is not None:
            _, cut = _items(data, element.value, element.end, items, inside, depth + 1)
            if cut is not None:
                return at, cut
        if element.end > len(data):
            return at, Truncation(inside, element.length, len(data) - element.value)
        at = element.end
    return at, None


def _items(
    data: bytes,
    at: int,
    end: int | None,
    encoding: Encoding,
    path: tuple[str, ...],
    depth: int,
) -> tuple[int, Truncation | None]:
    """A sequence's items from ``at``: to ``end`` (defined length) or its delimiter (None)."""
    number = 0
    while end is None or at < end:
        if at + 8 > len(data):
            if end is None:
                return at, Truncation(path, None, len(data) - at)
            return at, None  # the sequence's own declared length is reported by the caller
        tag, length = _item_header(data, at, encoding)
        if tag == _SEQUENCE_END and end is None:
            return at + 8, None
        if tag != _ITEM:
            raise _Malformed
        number += 1
        item = (*path, say("engine.item", number=number))
        start = at + 8
        inner = found_encoding(data, start, encoding, item=True)
        if length == _UNDEFINED:
            at, cut = _walk(data, start, len(data), inner, item, depth)
            if cut is not None:
                return at, cut
            if at + 8 > len(data):
                return at, Truncation(item, None, len(data) - start)
            at += 8  # the item delimiter (or, malformed but tolerated, the sequence's)
            if _item_header(data, at - 8, encoding)[0] == _SEQUENCE_END:
                return at, None
            continue
        _, cut = _walk(data, start, min(start + length, len(data)), inner, item, depth)
        if cut is not None:
            return at, cut
        if start + length > len(data):
            return at, Truncation(item, length, len(data) - start)
        at = start + length
    return at, None


def _item_header(data: bytes, at: int, encoding: Encoding) -> tuple[int, int]:
    group, number, length = struct.unpack_from(encoding.order + "HHI", data, at)
    return group << 16 | number, length


def read_fragments(
    data: bytes, at: int, path: tuple[str, ...] = (), limit: int | None = None
) -> Fragments:
    """The items of encapsulated pixel data whose value starts at ``at`` (PS3.5 A.4).

    Encapsulated pixel data is always little endian. Stops at the sequence
    delimiter or where the bytes end; a fragment that declares more bytes
    than remain, or a missing delimiter, is the truncation. With ``limit``,
    stops after that many whole items (the Basic Offset Table counts as one),
    ``end`` being where the next would begin.
    """
    path = path or (label(PIXEL_DATA),)
    offsets: list[int] = []
    lengths: list[int] = []
    while True:
        if at + 8 > len(data):
            present = sum(min(n, len(data) - o) for o, n in zip(offsets, lengths, strict=True))
            cut = Truncation(path, None, present)
            return Fragments(tuple(offsets), tuple(lengths), len(data), cut)
        tag, length = _item_header(data, at, EXPLICIT_LITTLE)
        if tag == _SEQUENCE_END:
            return Fragments(tuple(offsets), tuple(lengths), at + 8)
        if tag != _ITEM or length == _UNDEFINED:
            raise _Malformed
        offsets.append(at + 8)
        lengths.append(length)
        if at + 8 + length > len(data):
            name = (
                say("engine.offset_table")
                if len(offsets) == 1
                else say("engine.fragment", number=len(offsets) - 1)
            )
            cut = Truncation((*path, name), length, len(data) - at - 8)
            return Fragments(tuple(offsets), tuple(lengths), len(data), cut)
        at += 8 + length
        if limit is not None and len(offsets) >= limit:
            return Fragments(tuple(offsets), tuple(lengths), at)


def fragments_or_none(data: bytes, at: int, limit: int | None = None) -> Fragments | None:
    """:func:`read_fragments`, or None when the value is not well-formed items."""
    try:
        return read_fragments(data, at, limit=limit)
    except _Malformed:
        return None


def dataset_start(data: bytes) -> int:
    """Where the data set begins: after the File Meta Information when there is one.

    Group 0002 follows the preamble and ``DICM`` and is always explicit VR
    little endian (PS3.10 7.1); a bare data set begins at the first byte.
    """
    return meta_layout(data)[0]


def meta_transfer_syntax(data: bytes) -> str | None:
    """(0002,0010) Transfer Syntax UID of the File Meta Information, read from its bytes."""
    return meta_layout(data)[1]


def meta_layout(data: bytes) -> tuple[int, str | None]:
    """:func:`dataset_start` and :func:`meta_transfer_syntax` from one walk of the File
    Meta Information (a header's checks ask both, for every file opened)."""
    if data[128:_PREAMBLE_AND_MAGIC] != b"DICM":
        return 0, None
    at = _PREAMBLE_AND_MAGIC
    syntax = None
    while True:
        element = read_element(data, at, EXPLICIT_LITTLE)
        if element is None or element.tag >> 16 != 0x0002 or element.length == _UNDEFINED:
            return at, syntax
        if element.tag == 0x00020010 and syntax is None:
            syntax = data[element.value : element.end].rstrip(b"\x00 ").decode("latin-1")
        at = element.end


def _meta_truncation(data: bytes, start: int) -> Truncation | None:
    """The File Meta Information cut short: an element of it, or before its declared end.

    (0002,0000) File Meta Information Group Length declares how many bytes
    of group 0002 follow it (PS3.10 7.1).
    """
    cut = find_truncation(data, _PREAMBLE_AND_MAGIC, EXPLICIT_LITTLE, end=start)
    if cut is not None:
        return cut
    first = read_element(data, _PREAMBLE_AND_MAGIC, EXPLICIT_LITTLE)
    if first is None or first.tag != 0x00020000 or first.length != 4 or first.end > len(data):
        return None
    (declared,) = struct.unpack_from("<I", data, first.value)
    if first.end + declared <= len(data):
        return None
    return Truncation((META_LABEL,), declared, len(data) - first.end)


#: How a cut in group 0002 is named.
META_LABEL = "the File Meta Information (group 0002)"


def truncation(data: bytes, declared: Encoding | None) -> Truncation | None:
    """Where a file is cut short: in its File Meta Information, or in its data set.

    ``declared`` is the data set's encoding as its transfer syntax says (or as
    guessed for a bare data set); None when it cannot be walked (deflated):
    only the File Meta Information is checked then.
    """
    start = dataset_start(data)
    if start:
        meta_cut = _meta_truncation(data, start)
        if meta_cut is not None:
            return meta_cut
    if declared is None:
        return None
    return find_truncation(data, start, found_encoding(data, start, declared))


def dataset_truncation(data: bytes, ds: Dataset) -> Truncation | None:
    """Where a file read by pydicom is cut short, if it is; None when whole or unknowable.

    ``ds`` is what pydicom read from ``data`` (it says how the data set is
    encoded). A deflated data set (PS3.5 A.5) cannot be walked byte for byte.
    """
    meta = ds.get("file_meta")
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    implicit, little = ds.original_encoding
    if syntax == DeflatedExplicitVRLittleEndian or implicit is None or little is None:
        return truncation(data, None)
    return truncation(data, Encoding(little=little, implicit=implicit))


def top_level_tags(data: bytes, start: int, encoding: Encoding, until: int) -> list[int] | None:
    """Tags of the top-level elements from ``start`` until one reaches past ``until``.

    None when the bytes are not well-formed elements that far (a header runs
    past the end, a sequence is malformed or cut). Used to tell a bare data
    set from a preamble: its elements must walk, in ascending order, across
    the place where the preamble would end.
    """
    tags: list[int] = []
    at = start
    try:
        while at < until:
            element = read_element(data, at, encoding)
            if element is None or element.tag >> 16 == 0xFFFE:
                return None
            tags.append(element.tag)
            items = _nested(element, encoding)
            if element.length == _UNDEFINED:
                if items is None:
                    fragments = read_fragments(data, element.value)
                    cut, at = fragments.truncation, fragments.end
                else:
                    at, cut = _items(data, element.value, None, items, (), 1)
                if cut is not None:
                    return None
                continue
            if element.end > len(data):
                return None
            at = element.end
    except _Malformed:
        return None
    return tags


def too_deep(data: bytes, encoding: Encoding | None) -> bool:
    """Whether the data set's sequences nest deeper than :data:`MAX_DEPTH`, read from the
    element headers before any parser recurses into them (pydicom reads a nesting by
    recursion: deep enough, it exhausts Python's stack, and Pyodide's before that).

    Only a file with more item tags before its pixel data than the limit is walked. A
    deflated data set (``encoding`` None) is not looked into here.
    """
    if encoding is None:
        return False
    pixels = data.find(b"\xe0\x7f\x10\x00")
    region = data if pixels < 0 else data[:pixels]
    if region.count(b"\xfe\xff\x00\xe0") + region.count(b"\xff\xfe\xe0\x00") <= MAX_DEPTH:
        return False
    start = dataset_start(data)
    try:
        _walk(data, start, len(data), found_encoding(data, start, encoding), (), 0)
    except _TooDeep:
        return True
    except _Malformed:
        return False
    return False
