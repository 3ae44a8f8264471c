"""lightbox.ingest.structure.read_fragments: the one reader of encapsulated items (PS3.5 A.4).

The pixels layer finds a file's first fragment with it (``limit=2``: the Basic
Offset Table and one fragment), the checks count every fragment with it.
"""

from __future__ import annotations

import struct

from lightbox.ingest import structure


def _item(value: bytes) -> bytes:
    return struct.pack("<HHI", 0xFFFE, 0xE000, len(value)) + value


DELIMITER = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
VALUE = _item(b"") + _item(b"\xff\xd8one!\xff\xd9") + _item(b"two!") + DELIMITER


def test_all_items_and_the_end():
    fragments = structure.read_fragments(VALUE, 0)
    assert fragments.lengths == (0, 8, 4) and fragments.truncation is None
    assert fragments.end == len(VALUE)
    start = fragments.offsets[1]
    assert VALUE[start : start + 8] == b"\xff\xd8one!\xff\xd9"


def test_a_limit_stops_after_that_many_items():
    first = structure.read_fragments(VALUE, 0, limit=2)
    whole = structure.read_fragments(VALUE, 0)
    assert first.offsets == whole.offsets[:2] and first.lengths == whole.lengths[:2]
    assert first.end == whole.offsets[2] - 8 and first.truncation is None


def test_with_a_limit_what_follows_is_not_read():
    garbage = VALUE[: -len(DELIMITER) - 12] + b"not an item at all"
    assert structure.fragments_or_none(garbage, 0) is None
    first = structure.fragments_or_none(garbage, 0, limit=2)
    assert first is not None and first.lengths == (0, 8)


def test_a_first_fragment_cut_short_is_the_truncation():
    cut = VALUE[:22]  # the offset table, the first fragment's header and 6 of its 8 bytes
    first = structure.read_fragments(cut, 0, limit=2)
    assert first.truncation is not None and first.truncation.declared == 8
