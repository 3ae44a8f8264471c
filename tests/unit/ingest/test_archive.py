"""lightbox.ingest.archive: ZIPs recognised by content and expanded one member at a time."""

from __future__ import annotations

import io
import struct
import zipfile

import numpy as np
import pytest

from lightbox.core.records import Skipped
from lightbox.ingest import archive
from lightbox.ingest.archive import Budget, Member, expand, is_zip
from tests.support import discs
from tools.synth import ct_series, to_bytes

MiB = 1024 * 1024


def _members(items):
    return [item for item in items if isinstance(item, Member)]


def _skipped(items):
    return [item for item in items if isinstance(item, Skipped)]


def _patch_headers(data: bytes, name: str, *, flags: int = 0, method: int | None = None) -> bytes:
    """Set flag bits and the method of member ``name`` in its local and central headers."""
    out = bytearray(data)
    encoded = name.encode()
    for signature, flag_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        pos = out.find(signature)
        while pos >= 0:
            if out[pos + name_at : pos + name_at + len(encoded)] == encoded:
                (old,) = struct.unpack_from("<H", out, pos + flag_at)
                struct.pack_into("<H", out, pos + flag_at, old | flags)
                if method is not None:
                    struct.pack_into("<H", out, pos + flag_at + 2, method)
            pos = out.find(signature, pos + 4)
    return bytes(out)


def _set_declared_size(data: bytes, name: str, size: int) -> bytes:
    """Overwrite the uncompressed size of ``name`` in the central directory (APPNOTE 4.3.12)."""
    out = bytearray(data)
    pos = out.find(b"PK\x01\x02")
    while pos >= 0:
        if out[pos + 46 : pos + 46 + len(name)] == name.encode():
            struct.pack_into("<I", out, pos + 24, size)
        pos = out.find(b"PK\x01\x02", pos + 4)
    return bytes(out)


class _Unseekable(io.RawIOBase):
    """An output zipfile cannot seek in: it writes data descriptors (APPNOTE 4.3.9)."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:  # type: ignore[override]
        self.buffer += b
        return len(b)


def _streamed_zip(tree) -> bytes:
    sink = _Unseekable()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for path, data in tree:
            with out.open(path, "w") as member:
                member.write(data)
    return bytes(sink.buffer)


@pytest.fixture(scope="module")
def cd():
    return discs.cd_tree()


# -- is_zip ----------------------------------------------------------------------------------------


def _dicom_with_preamble(preamble: bytes) -> bytes:
    data = bytearray(to_bytes(ct_series(1, 16, 16, name="polyglot")[0]))
    data[: len(preamble)] = preamble
    return bytes(data)


ZIP_LIKE = [
    pytest.param(discs.zip_of, True, id="deflated"),
    pytest.param(lambda cd: discs.zip_of(cd, compression=zipfile.ZIP_STORED), True, id="stored"),
    pytest.param(lambda cd: discs.zip_of(cd, zip64=True), True, id="zip64"),
    pytest.param(lambda cd: discs.zip_of([]), True, id="empty-archive"),
    pytest.param(lambda cd: b"#!/bin/sh\nexit 0\n" + discs.zip_of(cd), True, id="prefixed"),
    pytest.param(lambda cd: discs.zip_of(cd)[:5000], True, id="truncated"),
    pytest.param(lambda cd: cd[1][1], False, id="dicom"),
    pytest.param(lambda cd: _dicom_with_preamble(discs.zip_of([])), False, id="dicom-zip-preamble"),
    pytest.param(lambda cd: discs.viewer_exe() + discs.zip_of(cd), False, id="executable"),
    pytest.param(lambda cd: discs.pdf_bytes(), False, id="pdf"),
    pytest.param(lambda cd: b"", False, id="no-bytes"),
    # an end record whose central directory is not where it says
    pytest.param(
        lambda cd: bytes(300) + b"PK\x05\x06" + struct.pack("<4H2IH", 0, 0, 3, 3, 100, 0, 0),
        False,
        id="stray-end-record",
    ),
    pytest.param(
        lambda cd: np.random.default_rng(7).bytes(4000) + b"PK\x05\x06" + bytes(8) + b"\xff" * 10,
        False,
        id="random-with-signature",
    ),
]


@pytest.mark.parametrize(("make", "expected"), ZIP_LIKE)
def test_is_zip_by_content(cd, make, expected):
    assert is_zip(make(cd)) is expected


# -- expanding -------------------------------------------------------------------------------------


def test_bytes_that_are_not_a_zip_come_out_as_they_are(cd):
    data = cd[1][1]
    items = list(expand("CD/IM000000", data))
    assert items == [Member("CD/IM000000", data)]
    assert items[0].data is data  # not copied


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({}, id="deflated"),
        pytest.param({"compression": zipfile.ZIP_STORED}, id="stored"),
        pytest.param({"zip64": True}, id="zip64"),
        pytest.param({"compression": zipfile.ZIP_BZIP2}, id="bzip2"),
    ],
)
def test_a_zip_yields_its_files_with_their_paths_and_no_folders(cd, options):
    data = discs.zip_of(cd, **options)
    items = list(expand("disc.zip", data))
    assert all(isinstance(item, Member) for item in items)
    assert [(m.path, m.data) for m in items] == [(f"disc.zip/{p}", d) for p, d in cd]


def test_zip64_end_records_are_really_written(cd):
    data = discs.zip_of(cd, zip64=True)
    assert b"PK\x06\x06" in data[-200:] and b"PK\x06\x07" in data[-200:]  # APPNOTE 4.3.14-15


def test_a_streamed_zip_with_data_descriptors(cd):
    data = _streamed_zip(cd)
    assert zipfile.ZipFile(io.BytesIO(data)).infolist()[0].flag_bits & 0x08
    assert [(m.path, m.data) for m in expand("s.zip", data)] == [(f"s.zip/{p}", d) for p, d in cd]


def test_nested_zips_are_expanded_in_place(cd):
    items = list(expand("portal.zip", discs.nested_zip(cd)))
    paths = [m.path for m in _members(items)]
    assert paths == [f"portal.zip/download/disc.zip/{p}" for p, _ in cd] + [
        "portal.zip/download/README.txt"
    ]
    assert not _skipped(items)


def test_members_come_one_at_a_time(cd, monkeypatch):
    reads = []
    original = zipfile.ZipFile.read

    def counting(self, name, pwd=None):
        reads.append(name)
        return original(self, name, pwd)

    monkeypatch.setattr(zipfile.ZipFile, "read", counting)
    members = expand("disc.zip", discs.zip_of(cd))
    first = next(members)
    assert first.path == f"disc.zip/{cd[0][0]}"
    assert len(reads) == 1  # the other members are not read yet
    assert len(list(members)) == len(cd) - 1
    assert len(reads) == len(cd)


def test_non_ascii_names_as_their_writers_meant():
    data, meant = discs.non_ascii_zip()
    found = {m.path.removeprefix("names.zip/"): m.data for m in expand("names.zip", data)}
    assert found == meant


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        pytest.param("../../etc/passwd", "etc/passwd", id="dot-dot"),
        pytest.param("/abs/IM1", "abs/IM1", id="absolute"),
        pytest.param("C:\\Images\\IM1", "Images/IM1", id="drive-and-backslashes"),
        pytest.param("a/./b//IM1", "a/b/IM1", id="dot-and-empty"),
    ],
)
def test_member_paths_stay_inside_the_archive(written, expected):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        out.writestr(zipfile.ZipInfo(written), b"x")
    assert [m.path for m in expand("x.zip", buffer.getvalue())] == [f"x.zip/{expected}"]


def test_a_program_or_office_document_is_one_file_not_a_folder():
    data = discs.zip_of(
        [("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")],
        directories=False,
    )
    assert list(expand("report.docx", data)) == [Member("report.docx", data)]


# -- what cannot be expanded is reported, never raised ---------------------------------------------


def test_an_empty_zip_is_reported():
    assert list(expand("e.zip", discs.zip_of([]))) == [Skipped("e.zip", "an empty ZIP archive")]


def test_an_encrypted_member_is_skipped_and_the_others_open():
    data = discs.zip_of([("a/IM1", b"one"), ("a/SECRET", b"two"), ("a/IM2", b"three")])
    items = list(expand("p.zip", _patch_headers(data, "a/SECRET", flags=0x01)))
    assert [m.path for m in _members(items)] == ["p.zip/a/IM1", "p.zip/a/IM2"]
    (skipped,) = _skipped(items)
    assert skipped.name == "p.zip/a/SECRET"
    assert "encrypted" in skipped.reason


def test_an_unsupported_compression_method_is_named():
    data = discs.zip_of([("IM1", b"one"), ("IM2", b"two" * 100)])
    items = list(expand("w.zip", _patch_headers(data, "IM2", method=9)))
    assert [m.path for m in _members(items)] == ["w.zip/IM1"]
    (skipped,) = _skipped(items)
    assert skipped.name == "w.zip/IM2"
    assert "Deflate64" in skipped.reason


def test_a_damaged_member_is_skipped():
    data = bytearray(
        discs.zip_of([("IM1", b"A" * 100), ("IM2", b"B" * 100)], compression=zipfile.ZIP_STORED)
    )
    data[data.index(b"B" * 100) + 50] ^= 0xFF  # the CRC-32 no longer matches
    items = list(expand("d.zip", bytes(data)))
    assert [m.path for m in _members(items)] == ["d.zip/IM1"]
    (skipped,) = _skipped(items)
    assert skipped.name == "d.zip/IM2" and "damaged" in skipped.reason


def test_a_member_declaring_fewer_bytes_than_it_holds_is_not_read_past_its_size():
    data = _set_declared_size(discs.zip_of([("IM1", b"C" * 5000)]), "IM1", 100)
    (skipped,) = list(expand("s.zip", data))
    assert skipped.name == "s.zip/IM1" and "damaged" in skipped.reason


@pytest.mark.parametrize(
    "cut",
    [pytest.param(discs.zip_of, id="sizes-in-headers"), pytest.param(_streamed_zip, id="streamed")],
)
def test_a_truncated_download_gives_the_files_before_the_cut(cd, cut):
    data = cut(cd)
    # cut inside the last image, so the images before it are whole
    last_image = max(i for i, (p, _) in enumerate(cd) if "/IM" in p)
    end = data.index(cd[last_image][0].encode()) + 200
    items = list(expand("cut.zip", data[:end]))
    members = _members(items)
    assert [(m.path, m.data) for m in members] == [
        (f"cut.zip/{p}", d) for p, d in cd[: len(members)]
    ]
    assert len(members) >= last_image - 1
    assert any(
        s.name == "cut.zip" and f"recovered {len(members)} files" in s.reason
        for s in _skipped(items)
    )


def test_bytes_that_only_start_like_a_zip():
    items = list(expand("junk.zip", b"PK\x03\x04" + bytes(10)))
    assert len(items) == 1 and items[0].name == "junk.zip"
    assert "nothing readable" in items[0].reason


# -- ZIP bombs -------------------------------------------------------------------------------------


def test_nesting_deeper_than_the_limit_is_refused():
    items = list(expand("deep.zip", discs.nested_zips(6), budget=Budget(depth=3)))
    (skipped,) = items
    assert skipped.name == "deep.zip/level1.zip/level2.zip/level3.zip/level4.zip"
    assert "nested more than 3 deep" in skipped.reason


def test_nesting_within_the_limit_is_expanded():
    items = list(expand("deep.zip", discs.nested_zips(4), budget=Budget(depth=3)))
    assert items == [Member("deep.zip/level1.zip/level2.zip/level3.zip/IM0001", b"not an image")]


def test_a_member_past_the_ratio_limit_is_refused_and_the_others_open():
    blank = bytes(2 * MiB)  # deflates about 1000 times
    data = discs.zip_of([("IM1", b"small"), ("BOMB", blank), ("IM2", b"other")])
    items = list(expand("b.zip", data, budget=Budget(ratio=200, ratio_floor=MiB)))
    assert [m.path for m in _members(items)] == ["b.zip/IM1", "b.zip/IM2"]
    (skipped,) = _skipped(items)
    assert skipped.name == "b.zip/BOMB"
    assert "past the limit of 200" in skipped.reason and "ZIP bomb" in skipped.reason


def test_a_blank_image_is_not_taken_for_a_bomb():
    # A blank 1024x1024 16-bit image deflates past 1000:1; below the floor it opens.
    data = discs.zip_of([("BLANK", bytes(2 * MiB))])
    (member,) = list(expand("b.zip", data))
    assert member == Member("b.zip/BLANK", bytes(2 * MiB))


def test_the_total_limit_stops_the_expansion_with_one_reason():
    rng = np.random.default_rng(1)
    tree = [(f"IM{i}", rng.bytes(300 * 1024)) for i in range(5)]
    items = list(expand("t.zip", discs.zip_of(tree), budget=Budget(total=MiB)))
    assert [m.path for m in _members(items)] == ["t.zip/IM0", "t.zip/IM1", "t.zip/IM2"]
    assert items[-1] == Skipped(
        "t.zip",
        "2 of its 5 files not opened: expanding would pass 0.000976562 GiB in all: "
        "refused as a possible ZIP bomb",
    )


def test_a_lying_declared_size_is_refused_before_reading(monkeypatch):
    data = _set_declared_size(discs.zip_of([("IM1", bytes(1000))]), "IM1", 0xFFFFFFF0)
    monkeypatch.setattr(zipfile.ZipFile, "read", lambda *a, **k: pytest.fail("read a bomb"))
    (skipped,) = list(expand("lie.zip", data))
    assert skipped.name == "lie.zip/IM1" and "ZIP bomb" in skipped.reason


def test_the_budget_is_shared_by_nested_archives():
    rng = np.random.default_rng(2)
    inner = discs.zip_of([(f"IM{i}", rng.bytes(400 * 1024)) for i in range(2)])
    outer = discs.zip_of([("a.zip", inner), ("b.zip", inner)], compression=zipfile.ZIP_STORED)
    items = list(expand("o.zip", outer, budget=Budget(total=2 * MiB)))
    # a.zip (~800 KiB) + its two images (800 KiB) fit; b.zip's bytes do, its images do not
    assert [m.path for m in _members(items)] == ["o.zip/a.zip/IM0", "o.zip/a.zip/IM1"]
    assert all("ZIP bomb" in s.reason or "limit" in s.reason for s in _skipped(items))


def test_member_name_decoding_is_public():
    data, meant = discs.non_ascii_zip()
    infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    assert [archive.member_name(info) for info in infos] == list(meant)


# -- damaged bytes never raise --------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(discs.zip_of, id="deflated"),
        pytest.param(lambda tree: discs.zip_of(tree, zip64=True), id="zip64"),
        pytest.param(_streamed_zip, id="streamed"),
        pytest.param(discs.nested_zip, id="nested"),
    ],
)
def test_damaged_archives_give_members_or_reasons_never_errors(make):
    data = make(discs.cd_tree(counts=(2, 1), size=16))
    rng = np.random.default_rng(11)
    cuts = [bytes(data[:cut]) for cut in range(0, len(data), max(1, len(data) // 40))]
    flips = []
    for _ in range(60):
        damaged = bytearray(data)
        for at in rng.integers(0, len(data), size=int(rng.integers(1, 6))):
            damaged[at] = int(rng.integers(0, 256))
        flips.append(bytes(damaged))
    for case in cuts + flips:
        items = list(expand("x.zip", case, budget=Budget(total=8 * MiB)))
        assert all(isinstance(item, Member | Skipped) for item in items)
        assert all(m.path.startswith("x.zip") for m in _members(items))
