"""Dropped bytes to members: ZIP archives opened by content, one member at a time.

A ZIP is recognised by its bytes, never by its name; nested ZIPs are opened
too. Members come out of a generator, so the caller can read a header and
keep only what it needs: no member is held twice. Limits on nesting depth,
total expanded size and compression ratio refuse ZIP bombs with a reason.

Archives are not part of DICOM: PS3.10 defines files and the DICOMDIR, and
PS3.12 the media; patient portals still hand out ZIPs. The format is PKWARE's
APPNOTE.TXT (6.3.10); clauses are cited as ``APPNOTE 4.3.7``.

Why one module of about 480 lines: it is one format's reader (the end records,
ZIP64, the central directory, local headers, streamed members, the limits), each
part small and used only by the others; split, each piece would import the rest.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from lightbox.core.records import Skipped

GiB = 1024**3
MiB = 1024**2

_LOCAL = b"PK\x03\x04"  # APPNOTE 4.3.7 local file header
_CENTRAL = b"PK\x01\x02"  # APPNOTE 4.3.12 central directory header
_END = b"PK\x05\x06"  # APPNOTE 4.3.16 end of central directory record
_END64_LOCATOR = b"PK\x06\x07"  # APPNOTE 4.3.15 ZIP64 end of central directory locator
_DESCRIPTOR = b"PK\x07\x08"  # APPNOTE 4.3.9 data descriptor (optional signature)
_END_SIZE = 22
_MAX_COMMENT = 0xFFFF
_FLAG_ENCRYPTED = 0x0001  # APPNOTE 4.4.4 bit 0
_FLAG_DESCRIPTOR = 0x0008  # APPNOTE 4.4.4 bit 3
_FLAG_UTF8 = 0x0800  # APPNOTE 4.4.4 bit 11, Appendix D
_UNICODE_PATH = 0x7075  # APPNOTE 4.6.9 Info-ZIP Unicode Path Extra Field
_CHUNK = 64 * 1024

#: Compression methods (APPNOTE 4.4.5) this module can expand, and names of others.
_READABLE = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
_METHOD_NAMES = {
    9: "Deflate64",
    12: "bzip2",
    14: "LZMA",
    93: "Zstandard",
    95: "XZ",
    98: "PPMd",
    99: "WinZip AES encryption",
}

#: What zipfile raises on damaged archives (a wrong version, sizes past the end...).
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    OSError,
    OverflowError,
    ValueError,
    struct.error,
)

#: Members that make a ZIP a program or an office document, not a bundle of files.
_PACKAGE_MARKERS = ("META-INF/MANIFEST.MF", "[Content_Types].xml", "mimetype")


@dataclass(frozen=True)
class Member:
    """One file: its path in the dropped tree (archives as folders) and its bytes."""

    path: str
    data: bytes


@dataclass(frozen=True)
class Budget:
    """Limits that refuse ZIP bombs, per dropped item.

    Attributes
    ----------
    total : int
        Bytes all members may expand to together, nested archives included.
    ratio : float
        Largest expanded/compressed ratio accepted for one member ...
    ratio_floor : int
        ... once that member expands to at least this many bytes. Smaller
        members cannot hurt (``total`` bounds their sum), and a blank image
        deflates past 1000:1, so the ratio alone would refuse real files.
    depth : int
        How many ZIPs deep inside the dropped one are opened.
    """

    total: int = 4 * GiB
    ratio: float = 200.0
    ratio_floor: int = 16 * MiB
    depth: int = 4


class _Tally:
    """Bytes expanded so far, shared by every level of one expansion."""

    def __init__(self) -> None:
        self.used = 0
        self.exhausted = False


def is_zip(data: bytes) -> bool:
    """Say whether bytes are a ZIP archive, by content.

    A ZIP starts with a local file header, or (self-extracting or prefixed
    archives) ends with an end of central directory record whose central
    directory is where it says. A PS3.10 file (``DICM`` at byte 128) is
    DICOM even when its preamble makes it a polyglot, and Windows executables
    (``MZ``: bundled viewers, installers) are never unpacked.

    References
    ----------
    APPNOTE 4.3.6 (overall format), 4.3.7, 4.3.16; PS3.10 7.1 (preamble).
    """
    if data[128:132] == b"DICM" or data[:2] == b"MZ":
        return False
    return data[:4] == _LOCAL or _end_record(data) is not None


def _end_record(data: bytes) -> int | None:
    """Offset of a consistent end of central directory record, or None (APPNOTE 4.3.16)."""
    start = max(0, len(data) - _END_SIZE - _MAX_COMMENT)
    pos = data.rfind(_END, start)
    while pos >= 0:
        if pos + _END_SIZE <= len(data):
            disk, cd_disk, here, total, size, _, comment = struct.unpack_from(
                "<4H2IH", data, pos + 4
            )
            fits = pos + _END_SIZE + comment <= len(data)
            if fits and pos >= 20 and data[pos - 20 : pos - 16] == _END64_LOCATOR:  # 4.3.15
                return pos
            single = fits and disk == cd_disk == 0 and here == total and size <= pos
            empty = total == 0 and size == 0
            if single and (empty or data[pos - size : pos - size + 4] == _CENTRAL):
                return pos
        pos = data.rfind(_END, start, pos)
    return None


def expand(
    name: str, data: bytes, *, depth: int = 0, budget: Budget | None = None
) -> Iterator[Member | Skipped]:
    """Yield the files inside dropped bytes, opening ZIP archives recursively.

    Bytes that are not a ZIP come out as they are: one :class:`Member` named
    ``name``. A ZIP yields its members named ``name/member path``, nested ZIPs
    expanded in place (``outer.zip/inner.zip/IMG001``). Directories are
    skipped silently. What cannot be opened (an encrypted member, a damaged
    archive, a limit of ``budget`` reached) comes out as a
    :class:`~lightbox.records.Skipped` with the reason; nothing raises.

    Parameters
    ----------
    name : str
        The dropped item's relative path, used as the prefix of member paths.
    data : bytes
        Its content; never copied (members are new bytes, one at a time).
    depth : int
        How deep ``data`` already is inside other archives.
    budget : Budget, optional
        The limits; :class:`Budget` defaults when None.

    References
    ----------
    APPNOTE 4.3 (ZIP structure), 4.4.4 (flags), 4.5.3 (ZIP64 extra field).
    """
    yield from _expand(name, data, depth, budget or Budget(), _Tally())


def _expand(
    name: str, data: bytes, depth: int, budget: Budget, tally: _Tally
) -> Iterator[Member | Skipped]:
    if not is_zip(data):
        yield Member(name, data)
        return
    if depth > budget.depth:
        yield Skipped(name, f"a ZIP nested more than {budget.depth} deep: not opened (ZIP bomb?)")
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (*_ZIP_ERRORS, NotImplementedError) as exc:
        yield from _salvage(name, data, depth, budget, tally, str(exc))
        return
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if _is_package(infos):
            yield Member(name, data)  # a .jar, .docx, .odt...: one file, not a folder
            return
        if not infos:
            yield Skipped(name, "an empty ZIP archive")
        for index, info in enumerate(infos):
            path = f"{name}/{member_name(info)}"
            refusal = _refusal(info, budget, tally)
            if tally.exhausted:
                why = refusal or "the ZIP size limit was reached"
                yield Skipped(
                    name, f"{len(infos) - index} of its {len(infos)} files not opened: {why}"
                )
                return
            if refusal:
                yield Skipped(path, refusal)
                continue
            content = _read(archive, info)
            if isinstance(content, str):
                yield Skipped(path, content)
                continue
            tally.used += len(content)
            yield from _expand(path, content, depth + 1, budget, tally)
            del content


def _is_package(infos: list[zipfile.ZipInfo]) -> bool:
    names = {info.filename for info in infos}
    return any(marker in names for marker in _PACKAGE_MARKERS)


def _refusal(info: zipfile.ZipInfo, budget: Budget, tally: _Tally) -> str:
    """Why a member is not expanded ('' when it may be), before reading a byte of it."""
    if info.flag_bits & _FLAG_ENCRYPTED:
        return "encrypted (password-protected) inside the ZIP: not opened"
    if info.compress_type not in _READABLE:
        method = _METHOD_NAMES.get(info.compress_type, "unknown")
        return (
            f"compressed with method {info.compress_type} ({method}), which cannot be "
            "opened here: make the ZIP again with ordinary (Deflate) compression"
        )
    return _limit(info.file_size, info.compress_size, budget, tally)


def _limit(size: int, compressed: int, budget: Budget, tally: _Tally) -> str:
    """Apply the budget to a member that declares ``size`` expanded bytes.

    zipfile never returns more than the declared size (a longer stream fails
    its CRC), so checking the declared size bounds the memory used.
    """
    if tally.used + size > budget.total:
        tally.exhausted = True
        return (
            f"expanding would pass {budget.total / GiB:g} GiB in all: refused as a "
            "possible ZIP bomb"
        )
    if size >= budget.ratio_floor and size > budget.ratio * max(compressed, 1):
        return (
            f"expands {size / max(compressed, 1):.0f} times ({size} bytes from "
            f"{compressed}), past the limit of {budget.ratio:g}: refused as a possible ZIP bomb"
        )
    return ""


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | str:
    """A member's bytes, or why they cannot be read."""
    try:
        return archive.read(info)
    except _ZIP_ERRORS as exc:
        return f"damaged inside the ZIP ({exc})"
    except (NotImplementedError, RuntimeError) as exc:  # codec missing (lzma in Pyodide)
        return f"cannot be expanded from the ZIP here ({exc})"
    except MemoryError:
        return f"too large to expand from the ZIP in memory ({info.file_size} bytes)"


def member_name(info: zipfile.ZipInfo) -> str:
    """A member's path: decoded as its writer meant, made relative and tidy.

    Names flagged UTF-8 (APPNOTE 4.4.4 bit 11) are UTF-8. Others: the Info-ZIP
    Unicode Path extra field when its CRC matches (APPNOTE 4.6.9), else UTF-8
    when the bytes are valid UTF-8 (many tools omit the flag), else IBM code
    page 437 (APPNOTE Appendix D). Backslashes separate folders; empty, ``.``
    and ``..`` parts and drive letters are dropped: a member path names a
    place in the dropped tree, never one on a disk.
    """
    name = info.orig_filename
    if not info.flag_bits & _FLAG_UTF8:
        try:
            raw = name.encode("cp437")  # zipfile decoded the bytes as CP437
        except UnicodeEncodeError:
            raw = b""
        name = _unicode_path(info.extra, raw) or _utf8(raw) or name
    return _tidy(name)


def _unicode_path(extra: bytes, raw: bytes) -> str:
    pos = 0
    while pos + 4 <= len(extra):
        kind, size = struct.unpack_from("<2H", extra, pos)
        body = extra[pos + 4 : pos + 4 + size]
        if kind == _UNICODE_PATH and len(body) > 5 and body[0] == 1:
            (crc,) = struct.unpack_from("<I", body, 1)
            if crc == zlib.crc32(raw):
                try:
                    return body[5:].decode("utf-8")
                except UnicodeDecodeError:
                    return ""
        pos += 4 + size
    return ""


def _utf8(raw: bytes) -> str:
    if raw.isascii():
        return ""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return ""


def _tidy(name: str) -> str:
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    if parts and len(parts[0]) == 2 and parts[0][1] == ":":
        parts = parts[1:]  # "C:" from an archive made on Windows
    return "/".join(parts) or "unnamed"


# -- a damaged or truncated archive: read what its local headers still describe --------------------


def _salvage(
    name: str, data: bytes, depth: int, budget: Budget, tally: _Tally, problem: str
) -> Iterator[Member | Skipped]:
    """Recover members from local file headers when the central directory is lost.

    A download cut short loses the central directory at the end of a ZIP; each
    member's local header (APPNOTE 4.3.7) still gives its name, method and,
    unless a data descriptor follows (4.3.9), its sizes.
    """
    recovered = 0
    for item in _local_members(data, budget, tally):
        if isinstance(item, Skipped):
            yield Skipped(f"{name}/{item.name}", item.reason)
            continue
        path, content = item
        recovered += 1
        tally.used += len(content)
        yield from _expand(f"{name}/{path}", content, depth + 1, budget, tally)
        del content, item
    what = f"recovered {recovered} files, the rest is lost" if recovered else "nothing readable"
    yield Skipped(name, f"a damaged or incomplete ZIP ({problem}): {what}")


@dataclass(frozen=True)
class _LocalHeader:
    """The fields of one local file header that salvage needs (APPNOTE 4.3.7)."""

    name: str
    folder: bool  # a directory entry (its name ends with a slash)
    flags: int
    method: int
    crc: int
    csize: int
    size: int
    start: int  # offset of the member's data


def _local_header(data: bytes, pos: int) -> _LocalHeader | None:
    if data[pos : pos + 4] != _LOCAL or pos + 30 > len(data):
        return None
    _, flags, method, _, _, crc, csize, size, name_len, extra_len = struct.unpack_from(
        "<5H3I2H", data, pos + 4
    )
    raw = data[pos + 30 : pos + 30 + name_len]
    folder = raw.endswith((b"/", b"\\"))
    name = _tidy(raw.decode("utf-8" if flags & _FLAG_UTF8 else "cp437", "replace"))
    start = pos + 30 + name_len + extra_len
    if csize == 0xFFFFFFFF or size == 0xFFFFFFFF:
        size, csize = _zip64_sizes(data[pos + 30 + name_len : start], size, csize)
    return _LocalHeader(name, folder, flags, method, crc, csize, size, start)


def _local_members(
    data: bytes, budget: Budget, tally: _Tally
) -> Iterator[tuple[str, bytes] | Skipped]:
    """Members described by consecutive local headers; stops where they stop making sense."""
    pos = 0
    view = memoryview(data)
    while (head := _local_header(data, pos)) is not None:
        read = _local_content(data, view, head, budget, tally)
        if isinstance(read, str):  # why nothing after this member can be read
            yield Skipped(head.name, read)
            return
        content, crc, pos = read
        if content is None:
            yield Skipped(head.name, "encrypted or compressed in a way not read from a damaged ZIP")
        elif zlib.crc32(content) != crc:
            yield Skipped(head.name, "damaged inside the ZIP (its CRC-32 does not match)")
        elif not head.folder:
            yield head.name, content
        del content, read


def _local_content(
    data: bytes, view: memoryview, head: _LocalHeader, budget: Budget, tally: _Tally
) -> tuple[bytes | None, int, int] | str:
    """One member's bytes (None if unreadable), its CRC-32 and where the next header is.

    Returns a reason instead when reading cannot go on past this member.
    """
    if head.flags & _FLAG_DESCRIPTOR:
        if head.flags & _FLAG_ENCRYPTED or head.method != zipfile.ZIP_DEFLATED:
            return "its end cannot be found in a damaged ZIP"
        found = _inflate_stream(view[head.start :], budget, tally)
        if found is None:
            return _stream_problem(budget, tally)
        content, used = found
        crc, following = _descriptor(data, head.start + used)
        return content, crc, following
    end = head.start + head.csize
    if end > len(data):
        return "cut off where the ZIP ends"
    if head.flags & _FLAG_ENCRYPTED or head.method not in (
        zipfile.ZIP_STORED,
        zipfile.ZIP_DEFLATED,
    ):
        return None, 0, end
    refusal = _limit(head.size, head.csize, budget, tally)
    if refusal:
        return refusal
    body = view[head.start : end]
    content = bytes(body) if head.method == zipfile.ZIP_STORED else _inflate(body, head.size)
    # a wrong size can have no matching CRC-32: -1 is none
    return content, head.crc if len(content) == head.size else -1, end


def _descriptor(data: bytes, pos: int) -> tuple[int, int]:
    """The CRC-32 of a data descriptor at ``pos`` and where the next header starts (4.3.9)."""
    if data[pos : pos + 4] == _DESCRIPTOR:
        pos += 4
    if pos + 4 > len(data):
        return -1, len(data)
    (crc,) = struct.unpack_from("<I", data, pos)
    following = data.find(_LOCAL, pos, pos + 32)
    return crc, following if following >= 0 else len(data)


def _stream_problem(budget: Budget, tally: _Tally) -> str:
    if tally.exhausted:
        return f"expanding would pass {budget.total / GiB:g} GiB in all: refused as a ZIP bomb"
    return "cut off where the ZIP ends"


def _zip64_sizes(extra: bytes, size: int, csize: int) -> tuple[int, int]:
    """Sizes from the ZIP64 extended information extra field (APPNOTE 4.5.3)."""
    pos = 0
    while pos + 4 <= len(extra):
        kind, length = struct.unpack_from("<2H", extra, pos)
        if kind == 0x0001 and length >= 16 and pos + 20 <= len(extra):
            big_size, big_csize = struct.unpack_from("<2Q", extra, pos + 4)
            return big_size, big_csize
        pos += 4 + length
    return size, csize


def _inflate(body: memoryview, size: int) -> bytes:
    try:
        return zlib.decompressobj(-zlib.MAX_WBITS).decompress(body, size + 1)
    except zlib.error:
        return b""  # fails the CRC check below


def _inflate_stream(view: memoryview, budget: Budget, tally: _Tally) -> tuple[bytes, int] | None:
    """Inflate a raw Deflate stream of unknown length: its bytes and where it ends."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    pieces: list[bytes] = []
    room = budget.total - tally.used
    pos = 0
    try:
        while not inflater.eof and pos < len(view):
            chunk = view[pos : pos + _CHUNK]
            pieces.append(inflater.decompress(chunk, room + 1))
            room -= len(pieces[-1])
            if room < 0 or inflater.unconsumed_tail:
                tally.exhausted = True
                return None
            pos += len(chunk)
    except zlib.error:
        return None
    if not inflater.eof:
        return None
    return b"".join(pieces), pos - len(inflater.unused_data)
