"""Key Object Selection documents (KOS, SOP Class 1.2.840.10008.5.1.4.1.1.88.59): which
images a radiologist flagged, and under which title (PS3.3 A.35.4, TID 2010).

The title is the document's Concept Name Code Sequence (e.g. "For Referring Provider",
CID 7010); the images are the IMAGE content items' Referenced SOP Sequence (with their
Referenced Frame Numbers, if any), and the Current Requested Procedure Evidence
Sequence's instances where the content lists none.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

#: Key Object Selection Document Storage.
KOS_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.88.59"

#: How deep the content tree is followed (a malformed one can nest without end).
MAX_DEPTH = 16


@dataclass(frozen=True)
class KeyObject:
    """A KOS: its SOP Instance UID, its title, and the instances (and frames) it flags."""

    uid: str
    series_uid: str
    title: str
    #: (Referenced SOP Instance UID, frame numbers from 1, or () for every frame)
    references: tuple[tuple[str, tuple[int, ...]], ...]


def is_key_object(ds: Dataset) -> bool:
    """Whether a data set is a Key Object Selection document."""
    return str(ds.get("SOPClassUID", "")) == KOS_SOP_CLASS


def _frames(item: Dataset) -> tuple[int, ...]:
    numbers = item.get("ReferencedFrameNumber")
    if numbers is None or numbers == "":
        return ()
    listed = numbers if isinstance(numbers, list | tuple | MultiValue) else [numbers]
    return tuple(int(n) for n in listed)


def _content_references(items: list[Dataset], depth: int) -> list[tuple[str, tuple[int, ...]]]:
    found: list[tuple[str, tuple[int, ...]]] = []
    if depth > MAX_DEPTH:
        return found
    for item in items:
        if str(item.get("ValueType", "")) in ("IMAGE", "COMPOSITE"):
            for ref in item.get("ReferencedSOPSequence") or []:
                uid = str(ref.get("ReferencedSOPInstanceUID", "") or "")
                if uid:
                    found.append((uid, _frames(ref)))
        found += _content_references(list(item.get("ContentSequence") or []), depth + 1)
    return found


def read_key_object(ds: Dataset) -> KeyObject:
    """The title and flagged instances of a KOS."""
    concept = ds.get("ConceptNameCodeSequence")
    title = str(concept[0].get("CodeMeaning", "") or "") if concept else ""
    references = _content_references(list(ds.get("ContentSequence") or []), 0)
    if not references:
        for study in ds.get("CurrentRequestedProcedureEvidenceSequence") or []:
            for series in study.get("ReferencedSeriesSequence") or []:
                for ref in series.get("ReferencedSOPSequence") or []:
                    uid = str(ref.get("ReferencedSOPInstanceUID", "") or "")
                    if uid:
                        references.append((uid, _frames(ref)))
    return KeyObject(
        uid=str(ds.get("SOPInstanceUID", "") or ""),
        series_uid=str(ds.get("SeriesInstanceUID", "") or ""),
        title=title or "Key images",
        references=tuple(references),
    )
