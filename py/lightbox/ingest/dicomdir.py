"""A DICOMDIR read from bytes, and its file references matched to a dropped tree.

The DICOMDIR (PS3.10 8.6) is the Basic Directory object of a File-set (PS3.3
Annex F): a flat Directory Record Sequence whose records point at each other
by byte offsets, making a tree of PATIENT ► STUDY ► SERIES ► IMAGE (or other
leaf) records; leaves name their file by a Referenced File ID relative to the
DICOMDIR's folder (PS3.10 8.2, 8.5). Nothing here touches a file system: the
references are resolved against the paths the user dropped, so a DICOMDIR can
never name a file outside them.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from functools import cached_property

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import BytesLengthException
from pydicom.errors import InvalidDicomError as PydicomInvalidDicomError

from lightbox.core.errors import InvalidDicomError

#: (0002,0002) Media Storage SOP Class UID of a DICOMDIR: Media Storage Directory Storage.
MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"

#: PS3.3 F.3.2.2 Directory Information Module attributes.
_FIRST = "OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity"  # (0004,1200)
_NEXT = "OffsetOfTheNextDirectoryRecord"  # (0004,1400)
_LOWER = "OffsetOfReferencedLowerLevelDirectoryEntity"  # (0004,1420)
_IN_USE = "RecordInUseFlag"  # (0004,1410), retired: 0000H marks an inactive record
#: Levels of the records that organise others (PS3.3 F.4); any other type is a leaf.
_LEVELS = {"PATIENT": 0, "STUDY": 1, "SERIES": 2}
_LEAF_LEVEL = 3
#: Deeper than any hierarchy of PS3.3 F.4: a longer chain of lower offsets is broken.
_MAX_DEPTH = 16
_LONG_LENGTH_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"UC", b"UN", b"UR", b"UT"}
_VERSION_SUFFIX = re.compile(r";\d*$")  # ISO 9660 file version, "IM0001;1"
_DCM_SUFFIX = ".dcm"
#: What pydicom raises on damaged bytes, when reading or when a value is first used.
_PARSE_ERRORS = (
    PydicomInvalidDicomError,
    BytesLengthException,
    EOFError,
    KeyError,
    NotImplementedError,
    OSError,
    TypeError,
    UnicodeError,
    ValueError,
    struct.error,
)


@dataclass(frozen=True)
class Labels:
    """What a directory record says about its patient, study, series or instance.

    Empty strings and None mean the record does not say.
    """

    patient_name: str = ""
    patient_id: str = ""
    study_uid: str = ""
    study_date: str = ""
    study_description: str = ""
    series_uid: str = ""
    series_number: int | None = None
    modality: str = ""
    series_description: str = ""
    instance_number: int | None = None

    def under(self, parent: Labels) -> Labels:
        """These labels completed with the parent's where these say nothing."""
        missing = {f.name: getattr(parent, f.name) for f in fields(self) if not _said(self, f.name)}
        return replace(self, **missing)


@dataclass(frozen=True)
class Record:
    """One directory record in the tree (PS3.3 F.3.2.2).

    Attributes
    ----------
    kind : str
        (0004,1430) Directory Record Type: PATIENT, STUDY, SERIES, IMAGE...
    labels : Labels
        The record's own attributes (not its parents').
    file : str or None
        (0004,1500) Referenced File ID as a path relative to the DICOMDIR's
        folder, None when absent or refused (``problem`` says why).
    file_id : str
        The Referenced File ID as written, components joined with ``\\``.
    sop_instance_uid : str
        (0004,1511) Referenced SOP Instance UID in File.
    offset : int
        Where the record's item starts in the DICOMDIR (what offsets point at).
    """

    kind: str
    labels: Labels
    file: str | None
    file_id: str
    problem: str
    sop_instance_uid: str
    offset: int
    children: tuple[Record, ...] = ()


@dataclass(frozen=True)
class Entry:
    """A record that references a file, labelled with what its ancestors say.

    ``file`` is relative to the DICOMDIR's folder, ``path`` is the same place
    in the dropped tree; both are None when the reference was refused.
    """

    kind: str
    file: str | None
    path: str | None
    file_id: str
    problem: str
    sop_instance_uid: str
    labels: Labels


@dataclass(frozen=True)
class DicomDir:
    """A DICOMDIR: its records as a tree and, flattened, the files it references.

    Attributes
    ----------
    path : str
        Where the DICOMDIR is in the dropped tree.
    folder : str
        Its folder, which Referenced File IDs are relative to ('' at the top).
    records : tuple of Record
        The root records (usually PATIENT), children nested.
    entries : tuple of Entry
        Every record that references a file, in tree order; orphans last.
    problems : tuple of str
        What was wrong with the directory itself, in plain words.
    """

    path: str
    folder: str
    fileset_id: str
    records: tuple[Record, ...]
    entries: tuple[Entry, ...]
    problems: tuple[str, ...]


def is_dicomdir(ds_or_bytes: Dataset | bytes) -> bool:
    """Say whether a dataset or file bytes are a DICOMDIR.

    Bytes are checked from their File Meta Information alone (no full parse):
    (0002,0002) Media Storage SOP Class UID must be Media Storage Directory
    Storage. A dataset without file meta counts when it has (0004,1220)
    Directory Record Sequence.

    References
    ----------
    PS3.10 7.1 (File Meta Information), 8.6 (DICOMDIR); PS3.4 Annex I.4.
    """
    if isinstance(ds_or_bytes, Dataset):
        meta = ds_or_bytes.get("file_meta")
        uid = meta.get("MediaStorageSOPClassUID") if meta is not None else None
        if uid:
            return str(uid) == MEDIA_STORAGE_DIRECTORY
        return "DirectoryRecordSequence" in ds_or_bytes
    return _media_storage_class(ds_or_bytes) == MEDIA_STORAGE_DIRECTORY


def _media_storage_class(data: bytes) -> str:
    """(0002,0002) read straight from the group 0002 elements after ``DICM`` (PS3.10 7.1)."""
    if data[128:132] != b"DICM":
        return ""
    pos = 132
    while pos + 8 <= len(data):
        group, element = struct.unpack_from("<2H", data, pos)
        if group != 0x0002:
            break
        vr = data[pos + 4 : pos + 6]
        if not (vr.isalpha() and vr.isupper()):  # implicit VR file meta (not conformant)
            (length,), head = struct.unpack_from("<I", data, pos + 4), 8
        elif vr in _LONG_LENGTH_VRS and pos + 12 <= len(data):
            (length,), head = struct.unpack_from("<I", data, pos + 8), 12
        else:
            (length,), head = struct.unpack_from("<H", data, pos + 6), 8
        if element == 0x0002:
            return (
                data[pos + head : pos + head + length].rstrip(b"\x00 ").decode("ascii", "replace")
            )
        if length == 0xFFFFFFFF:
            break
        pos += head + length
    return ""


def read_dicomdir(path: str, data: bytes) -> DicomDir:
    """Read a DICOMDIR's record tree from its bytes.

    The tree is walked through the offsets of PS3.3 F.3.2.2: (0004,1200) for
    the first root record, (0004,1400) for the next sibling, (0004,1420) for
    the first child. When those offsets lead nowhere, the records are nested
    by their order in the sequence and type instead (PATIENT ► STUDY ►
    SERIES ► others), and ``problems`` says so. Inactive records ((0004,1410)
    Record In-use Flag 0000H) are left out; records no offset reaches are kept
    as orphans when they reference a file.

    Parameters
    ----------
    path : str
        The DICOMDIR's relative path in the dropped tree (``CD/DICOMDIR``).
    data : bytes
        Its content.

    Raises
    ------
    InvalidDicomError
        The bytes are not a DICOMDIR, or cannot be parsed at all.

    References
    ----------
    PS3.10 8.2 (File ID), 8.6 (DICOMDIR); PS3.3 F.3 (Basic Directory IOD).
    """
    path = _tidy(path)
    if not is_dicomdir(data):
        found = _media_storage_class(data) or "none"
        raise InvalidDicomError(path, f"not a DICOMDIR (Media Storage SOP Class UID: {found})")
    try:
        ds = dcmread(io.BytesIO(data))
        items: list[Dataset] = list(ds.get("DirectoryRecordSequence") or [])
    except _PARSE_ERRORS as exc:
        raise InvalidDicomError(path, f"the DICOMDIR cannot be read ({exc})") from exc
    folder = path.rpartition("/")[0]
    problems: list[str] = []
    roots = _walk(ds, items, problems)
    entries = list(_entries(roots, Labels(), folder))
    return DicomDir(
        path=path,
        folder=folder,
        fileset_id=_text(_value(ds, "FileSetID")),
        records=roots,
        entries=tuple(entries),
        problems=tuple(problems),
    )


def _offset(item: Dataset, keyword: str) -> int:
    value = getattr(item, keyword, None) if keyword == "seq_item_tell" else _value(item, keyword)
    return _number(value) or 0


def _in_use(item: Dataset) -> bool:
    return _offset(item, _IN_USE) != 0 or _IN_USE not in item


def _walk(ds: Dataset, items: list[Dataset], problems: list[str]) -> tuple[Record, ...]:
    """The root records by offsets, or by sequence order when offsets do not work.

    Records no offset chain from the root reaches are kept: first the trees
    that nothing points at (walked by their own offsets), then any record
    left that references a file.
    """
    by_offset = {_offset(item, "seq_item_tell"): item for item in items}
    reached: set[int] = set()
    broken: list[str] = []
    roots = _siblings(_offset(ds, _FIRST), by_offset, reached, 0, broken)
    if items and (broken or not roots):
        problems.append(
            "its record offsets are broken"
            + (f" ({broken[0]})" if broken else "")
            + ": the tree was rebuilt from the order of the records"
        )
        return _by_order(items)
    linked = len(reached)
    targets = {_offset(item, key) for item in items for key in (_NEXT, _LOWER)}
    for offset in [o for o in by_offset if o not in reached and o not in targets]:
        roots += _siblings(offset, by_offset, reached, 0, [])
    leftover = [
        _record(item, ())
        for offset, item in by_offset.items()
        if offset not in reached and _in_use(item) and "ReferencedFileID" in item
    ]
    roots += tuple(leftover)
    if len(reached) > linked or leftover:
        count = len(reached) - linked + len(leftover)
        problems.append(f"{count} records are not linked from the root of the directory")
    return roots


def _siblings(
    offset: int, by_offset: Mapping[int, Dataset], seen: set[int], depth: int, broken: list[str]
) -> tuple[Record, ...]:
    """The chain of records from ``offset`` through (0004,1400), each with its children."""
    records = []
    while offset:
        item = by_offset.get(offset)
        problem = (
            f"records nest more than {_MAX_DEPTH} deep at offset {offset}"
            if depth > _MAX_DEPTH
            else f"offset {offset} loops back"
            if offset in seen
            else f"offset {offset} points at no record"
            if item is None
            else ""
        )
        if problem or item is None:
            broken.append(problem)
            break
        seen.add(offset)
        lower = _offset(item, _LOWER)
        children = _siblings(lower, by_offset, seen, depth + 1, broken) if lower else ()
        if _in_use(item):
            records.append(_record(item, children))
        offset = _offset(item, _NEXT)
    return tuple(records)


def _by_order(items: Sequence[Dataset]) -> tuple[Record, ...]:
    """Nest records by their order and type: each under the last record of a higher level."""
    stack: list[tuple[int, Dataset, list[Record]]] = []  # (level, record, its children so far)
    roots: list[Record] = []

    def close() -> None:
        _, item, children = stack.pop()
        record = _record(item, tuple(children))
        (stack[-1][2] if stack else roots).append(record)

    for item in items:
        if not _in_use(item):
            continue
        level = _LEVELS.get(_kind(item), _LEAF_LEVEL)
        while stack and stack[-1][0] >= level:
            close()
        stack.append((level, item, []))
    while stack:
        close()
    return tuple(roots)


def _kind(item: Dataset) -> str:
    return _text(_value(item, "DirectoryRecordType")).upper()


def _record(item: Dataset, children: tuple[Record, ...]) -> Record:
    file, problem = file_path(_value(item, "ReferencedFileID"))
    return Record(
        kind=_kind(item),
        labels=_labels(item),
        file=file,
        file_id=_written(_value(item, "ReferencedFileID")),
        problem=problem,
        sop_instance_uid=_text(_value(item, "ReferencedSOPInstanceUIDInFile")),
        offset=_offset(item, "seq_item_tell"),
        children=children,
    )


def _labels(item: Dataset) -> Labels:
    return Labels(
        patient_name=_text(_value(item, "PatientName")),
        patient_id=_text(_value(item, "PatientID")),
        study_uid=_text(_value(item, "StudyInstanceUID")),
        study_date=_text(_value(item, "StudyDate")),
        study_description=_text(_value(item, "StudyDescription")),
        series_uid=_text(_value(item, "SeriesInstanceUID")),
        series_number=_number(_value(item, "SeriesNumber")),
        modality=_text(_value(item, "Modality")),
        series_description=_text(_value(item, "SeriesDescription")),
        instance_number=_number(_value(item, "InstanceNumber")),
    )


def _value(item: Dataset, keyword: str) -> object:
    """An element's value, or None when it is absent or its bytes cannot be converted."""
    try:
        return item.get(keyword)
    except _PARSE_ERRORS:
        return None


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _number(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload,no-any-return]
    except (TypeError, ValueError):
        return None


def _said(labels: Labels, name: str) -> bool:
    return getattr(labels, name) not in ("", None)


def _entries(records: Iterable[Record], parent: Labels, folder: str) -> Iterator[Entry]:
    for record in records:
        labels = record.labels.under(parent)
        if record.file is not None or record.problem:
            yield Entry(
                kind=record.kind,
                file=record.file,
                path=_join(folder, record.file) if record.file is not None else None,
                file_id=record.file_id,
                problem=record.problem,
                sop_instance_uid=record.sop_instance_uid,
                labels=labels,
            )
        yield from _entries(record.children, labels, folder)


# -- Referenced File IDs ---------------------------------------------------------------------------


def _components(value: object) -> list[str]:
    if value is None:
        return []
    parts = [value] if isinstance(value, str) else [str(v) for v in value]  # type: ignore[attr-defined]
    # Some writers put a whole path in one value, with "\" or "/" inside.
    pieces = [piece for part in parts for piece in str(part).replace("\\", "/").split("/")]
    return [piece.strip(" \x00") for piece in pieces]


def _written(value: object) -> str:
    return "\\".join(_components(value))


def file_path(value: object) -> tuple[str | None, str]:
    """A Referenced File ID as a relative path, or None and why it is refused.

    PS3.10 8.2 makes a File ID up to eight components, relative to the
    File-set's root, each of uppercase letters, digits and underscore. Real
    discs bend the character rules (accepted here), but a path that starts at
    a root, names a drive or goes up with ``..`` could only reach outside the
    dropped tree: it is refused.

    Parameters
    ----------
    value : str, sequence of str or None
        The (0004,1500) value as pydicom gives it.

    Returns
    -------
    tuple of (str or None, str)
        The path with ``/`` between components, or None; and the reason for
        refusing it ('' when accepted or absent).
    """
    pieces = _components(value)
    if not any(pieces):
        return None, ""
    written = "\\".join(pieces)
    if pieces[0] == "" and len(pieces) > 1:
        return None, f"Referenced File ID {written!r} starts at the root of a disk: refused"
    if any(":" in piece for piece in pieces):
        return None, f"Referenced File ID {written!r} names a drive or device: refused"
    if ".." in pieces:
        return None, f"Referenced File ID {written!r} goes up out of the DICOMDIR's folder: refused"
    return "/".join(piece for piece in pieces if piece not in ("", ".")), ""


def _tidy(path: str) -> str:
    return "/".join(part for part in path.replace("\\", "/").split("/") if part not in ("", "."))


def _join(folder: str, file: str) -> str:
    return f"{folder}/{file}" if folder else file


# -- matching references to what was dropped -------------------------------------------------------


def match_key(path: str) -> str:
    """The form of a path that survives CD file systems and copies.

    Letter case is folded (ISO 9660 names are uppercase; copies often are
    not), an ISO 9660 version suffix (``;1``) and a trailing dot (``IM0001.``,
    a name without extension) are removed from each component.

    References
    ----------
    ECMA-119 (ISO 9660) 7.5.1 File Identifier; PS3.12 (media formats).
    """
    parts = (_VERSION_SUFFIX.sub("", part).rstrip(".") for part in _tidy(path).split("/"))
    return "/".join(part.casefold() for part in parts if part)


def _without_dcm(key: str) -> str:
    return key[: -len(_DCM_SUFFIX)] if key.endswith(_DCM_SUFFIX) else key


@dataclass(frozen=True)
class Match:
    """A referenced file found in the dropped tree, and how it was found.

    ``how`` is ``exact``, ``name`` (despite case, ``;1``, a trailing dot or an
    added ``.dcm``) or ``uid`` (a file elsewhere holding the referenced SOP
    Instance UID).
    """

    entry: Entry
    path: str
    how: str


@dataclass(frozen=True)
class Reconciliation:
    """What a DICOMDIR references against what was dropped.

    Attributes
    ----------
    dicomdir : str
        The DICOMDIR's path.
    matches : tuple of Match
        Referenced files that are present.
    missing : tuple of Entry
        Referenced files that are not.
    rejected : tuple of Entry
        References refused because they would leave the dropped tree (``problem``).
    unreferenced : tuple of str
        Paths under the DICOMDIR's folder that no record references.
    """

    dicomdir: str
    matches: tuple[Match, ...]
    missing: tuple[Entry, ...]
    rejected: tuple[Entry, ...]
    unreferenced: tuple[str, ...]

    @cached_property
    def by_path(self) -> dict[str, Entry]:
        """The DICOMDIR entry of each matched dropped path."""
        return {match.path: match.entry for match in self.matches}

    @property
    def missing_paths(self) -> tuple[str, ...]:
        return tuple(entry.path for entry in self.missing if entry.path is not None)

    @property
    def inexact(self) -> tuple[Match, ...]:
        return tuple(match for match in self.matches if match.how != "exact")

    def notes(self) -> tuple[str, ...]:
        """Plain-words lines about the matching, for the completeness report."""
        lines = []
        by_name = sum(1 for m in self.matches if m.how == "name")
        by_uid = sum(1 for m in self.matches if m.how == "uid")
        if by_name:
            lines.append(
                f"{self.dicomdir}: {by_name} files found despite different letter case, "
                "';1' suffixes or extensions"
            )
        if by_uid:
            lines.append(
                f"{self.dicomdir}: {by_uid} files found elsewhere than listed, by their UID"
            )
        lines.extend(f"{self.dicomdir}: {entry.problem}" for entry in self.rejected)
        return tuple(lines)


class _Index:
    """Dropped paths by exact path, by match key, and by match key without ``.dcm``."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.exact: dict[str, str] = {}
        self.keyed: dict[str, str] = {}
        self.loose: dict[str, str] = {}
        for path in sorted(paths):
            tidy = _tidy(path)
            key = match_key(tidy)
            self.exact.setdefault(tidy, path)
            self.keyed.setdefault(key, path)
            self.loose.setdefault(_without_dcm(key), path)

    def find(self, path: str) -> tuple[str, str] | None:
        if path in self.exact:
            return self.exact[path], "exact"
        key = match_key(path)
        found = self.keyed.get(key) or self.loose.get(_without_dcm(key))
        return (found, "name") if found is not None else None


def reconcile(
    dicomdir: DicomDir,
    present_paths: Iterable[str],
    uids: Mapping[str, str] | None = None,
) -> Reconciliation:
    """Match a DICOMDIR's references to the dropped paths.

    A reference matches its exact path, else a path equal but for letter case,
    ``;1`` suffixes, trailing dots or an added ``.dcm`` (see :func:`match_key`),
    else (with ``uids``) any dropped file holding its (0004,1511) Referenced
    SOP Instance UID. References that would leave the dropped tree were
    refused by :func:`read_dicomdir` and are listed, never matched.

    Parameters
    ----------
    dicomdir : DicomDir
        From :func:`read_dicomdir`.
    present_paths : iterable of str
        Paths of the dropped files (those read as DICOM, ideally: every other
        path under the DICOMDIR's folder counts as unreferenced).
    uids : mapping of str to str, optional
        SOP Instance UID of each dropped path, for the last fallback.

    References
    ----------
    PS3.10 8.2 (File ID), 8.5 (File-set); PS3.3 F.3.2.2 (0004,1500), (0004,1511).
    """
    present = list(dict.fromkeys(present_paths))
    index = _Index(present)
    by_uid = {uid: path for path, uid in (uids or {}).items() if uid}
    matches: list[Match] = []
    missing: list[Entry] = []
    rejected: list[Entry] = []
    for entry in dicomdir.entries:
        if entry.path is None:
            rejected.append(entry)
            continue
        found = index.find(entry.path)
        if found is None and entry.sop_instance_uid in by_uid:
            found = by_uid[entry.sop_instance_uid], "uid"
        if found is None:
            missing.append(entry)
        else:
            matches.append(Match(entry, *found))
    used = {match.path for match in matches}
    prefix = f"{match_key(dicomdir.folder)}/" if dicomdir.folder else ""
    unreferenced = tuple(
        path
        for path in present
        if path not in used
        and match_key(path).startswith(prefix)
        and match_key(path) != match_key(dicomdir.path)
    )
    return Reconciliation(
        dicomdir.path, tuple(matches), tuple(missing), tuple(rejected), unreferenced
    )


def unreferenced_by_all(reconciliations: Iterable[Reconciliation]) -> tuple[str, ...]:
    """Paths no DICOMDIR references, when several were dropped (nested discs, two CDs)."""
    results = list(reconciliations)
    used = {match.path for result in results for match in result.matches}
    paths = (path for result in results for path in result.unreferenced)
    return tuple(path for path in dict.fromkeys(paths) if path not in used)
