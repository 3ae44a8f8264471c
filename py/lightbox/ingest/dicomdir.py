"""A DICOMDIR read from bytes: its record tree and the files it references.

The DICOMDIR (PS3.10 8.6) is the Basic Directory object of a File-set (PS3.3
Annex F): a flat Directory Record Sequence whose records point at each other
by byte offsets, making a tree of PATIENT ► STUDY ► SERIES ► IMAGE (or other
leaf) records; leaves name their file by a Referenced File ID relative to the
DICOMDIR's folder (PS3.10 8.2, 8.5). Nothing here touches a file system: the
references are resolved against the paths the user dropped, so a DICOMDIR can
never name a file outside them. :mod:`lightbox.ingest.reconcile` compares
what it lists with what is present.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import BytesLengthException
from pydicom.errors import InvalidDicomError as PydicomInvalidDicomError

from lightbox.core.errors import InvalidDicomError
from lightbox.core.messages import say
from lightbox.core.values import int_or_none, text
from lightbox.ingest import structure
from lightbox.ingest.fileids import file_path, join, tidy, written
from lightbox.ingest.headers import refuse_deep_nesting

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
    zlib.error,  # a deflated DICOMDIR whose stream is damaged
    RecursionError,  # records nested past what the walk of the headers could tell
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
    """(0002,0002) read straight from the group 0002 elements after ``DICM`` (PS3.10 7.1).

    Group 0002 is explicit VR little endian; an element written in implicit
    VR (not conformant, but found) is read as one.
    """
    if data[128:132] != b"DICM":
        return ""
    at = 132
    while True:
        vr = data[at + 4 : at + 6]
        encoding = structure.Encoding(implicit=not (vr.isalpha() and vr.isupper()))
        element = structure.read_element(data, at, encoding)
        if element is None or element.tag >> 16 != 0x0002:
            return ""
        if element.tag == 0x00020002:
            value = data[element.value : element.value + element.length]
            return value.rstrip(b"\x00 ").decode("ascii", "replace")
        if element.length == 0xFFFFFFFF:
            return ""
        at = element.end


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
    path = tidy(path)
    if not is_dicomdir(data):
        found = _media_storage_class(data) or say("engine.none")
        raise InvalidDicomError(path, say("engine.not_dicomdir", uid=found))
    refuse_deep_nesting(path, data)
    try:
        ds = dcmread(io.BytesIO(data))
        items: list[Dataset] = list(ds.get("DirectoryRecordSequence") or [])
    except _PARSE_ERRORS as exc:
        raise InvalidDicomError(path, say("engine.dicomdir_unreadable", detail=str(exc))) from exc
    folder = path.rpartition("/")[0]
    problems: list[str] = []
    roots = _walk(ds, items, problems)
    entries = list(_entries(roots, Labels(), folder))
    return DicomDir(
        path=path,
        folder=folder,
        fileset_id=text(_value(ds, "FileSetID")),
        records=roots,
        entries=tuple(entries),
        problems=tuple(problems),
    )


def _offset(item: Dataset, keyword: str) -> int:
    value = getattr(item, keyword, None) if keyword == "seq_item_tell" else _value(item, keyword)
    return int_or_none(value) or 0


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
    return text(_value(item, "DirectoryRecordType")).upper()


def _record(item: Dataset, children: tuple[Record, ...]) -> Record:
    file, problem = file_path(_value(item, "ReferencedFileID"))
    return Record(
        kind=_kind(item),
        labels=_labels(item),
        file=file,
        file_id=written(_value(item, "ReferencedFileID")),
        problem=problem,
        sop_instance_uid=text(_value(item, "ReferencedSOPInstanceUIDInFile")),
        offset=_offset(item, "seq_item_tell"),
        children=children,
    )


def _labels(item: Dataset) -> Labels:
    return Labels(
        patient_name=text(_value(item, "PatientName")),
        patient_id=text(_value(item, "PatientID")),
        study_uid=text(_value(item, "StudyInstanceUID")),
        study_date=text(_value(item, "StudyDate")),
        study_description=text(_value(item, "StudyDescription")),
        series_uid=text(_value(item, "SeriesInstanceUID")),
        series_number=int_or_none(_value(item, "SeriesNumber")),
        modality=text(_value(item, "Modality")),
        series_description=text(_value(item, "SeriesDescription")),
        instance_number=int_or_none(_value(item, "InstanceNumber")),
    )


def _value(item: Dataset, keyword: str) -> object:
    """An element's value, or None when it is absent or its bytes cannot be converted."""
    try:
        return item.get(keyword)
    except _PARSE_ERRORS:
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
                path=join(folder, record.file) if record.file is not None else None,
                file_id=record.file_id,
                problem=record.problem,
                sop_instance_uid=record.sop_instance_uid,
                labels=labels,
            )
        yield from _entries(record.children, labels, folder)
