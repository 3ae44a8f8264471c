"""What the catalog knows of each file for the report: its facts, warnings, failures, skips.

:func:`image_facts` is the one function of the report's inputs that reads a
Dataset; :func:`classify` sorts skipped files by kind from their reasons.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset
from pydicom.errors import BytesLengthException

from lightbox.core.lossy import is_lossy
from lightbox.core.records import Skipped
from lightbox.core.values import floats, int_or_none, patient_key

_VALUE_ERRORS = (BytesLengthException, KeyError, NotImplementedError, TypeError, ValueError)
#: File names that operating systems leave behind (macOS, Windows).
_SYSTEM_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini", ".localized"})


class SkipKind(enum.StrEnum):
    """Why files were not opened, by kind; the value is the words the report uses."""

    NOT_DICOM = "not DICOM"
    SYSTEM = "system files"
    NO_IMAGE = "DICOM without an image (reports, documents)"
    UNSUPPORTED = "compressed in a way this viewer cannot decode"
    DAMAGED = "damaged or unreadable"
    ARCHIVE = "archive problems"
    DUPLICATE = "duplicates of files already open"


def classify(item: Skipped) -> SkipKind:
    """The kind of a skipped file, from its name and the reason it was given.

    The reasons are those of :mod:`lightbox.ingest.headers` (errors), the session
    (duplicates: "duplicate of <file>", or "already open" when the same file is
    opened again) and :mod:`lightbox.ingest.archive` (every one names the ZIP).
    """
    reason = item.reason.lower()
    parts = item.name.replace("\\", "/").split("/")
    if "__MACOSX" in parts[:-1] or parts[-1].startswith("._") or parts[-1].lower() in _SYSTEM_NAMES:
        return SkipKind.SYSTEM
    if reason.startswith(("duplicate of", "already open")):
        return SkipKind.DUPLICATE
    if "not a dicom file" in reason:
        return SkipKind.NOT_DICOM
    if "no image in this object" in reason:
        return SkipKind.NO_IMAGE
    if "zip" in reason:
        return SkipKind.ARCHIVE
    if "not supported" in reason or "no decoder" in reason:
        return SkipKind.UNSUPPORTED
    return SkipKind.DAMAGED


@dataclass(frozen=True)
class ImageFacts:
    """What the report needs of one opened image, read from its header.

    Attributes
    ----------
    patient : str
        A key for the patient: (0010,0020) Patient ID and (0010,0010) Patient's
        Name, case and trailing empty components ignored.
    lossy : bool
        (0028,2110) Lossy Image Compression is ``01``, or the transfer syntax
        is always lossy.
    position, orientation : tuple of float or None
        (0020,0032) and (0020,0037), for single-frame images.
    """

    name: str
    patient: str
    study_uid: str
    series_uid: str
    series_label: str
    sop_uid: str
    frames: int = 1
    lossy: bool = False
    position: tuple[float, ...] | None = None
    orientation: tuple[float, ...] | None = None


def image_facts(name: str, ds: Dataset, frames: int | None = None) -> ImageFacts:
    """Read the report's facts from one header dataset (never modified).

    Parameters
    ----------
    name : str
        The file's path in the dropped tree.
    ds : Dataset
        Its header (file meta included when there is one).
    frames : int, optional
        Frames in the image; (0028,0008) Number of Frames when None.

    References
    ----------
    PS3.3 C.7.1.1 (Patient), C.7.2.1 (Study), C.7.3.1 (Series), C.7.6.2 (Plane),
    C.7.6.1.1.5 (Lossy Image Compression).
    """
    meta = _get(ds, "file_meta")
    syntax = str(meta.get("TransferSyntaxUID", "") or "") if meta is not None else ""
    if frames is None:
        frames = int_or_none(_get(ds, "NumberOfFrames")) or 1
    single = frames == 1
    return ImageFacts(
        name=name,
        patient=patient_key(_get(ds, "PatientID"), _get(ds, "PatientName")),
        study_uid=_text(_get(ds, "StudyInstanceUID")),
        series_uid=_text(_get(ds, "SeriesInstanceUID")) or f"file:{name}",
        series_label=_series_label(ds),
        sop_uid=_text(_get(ds, "SOPInstanceUID")),
        frames=frames,
        lossy=is_lossy(_get(ds, "LossyImageCompression"), syntax),
        position=floats(_get(ds, "ImagePositionPatient"), 3) if single else None,
        orientation=floats(_get(ds, "ImageOrientationPatient"), 6) if single else None,
    )


def _get(ds: Dataset, keyword: str) -> Any:
    """An element's value, or None when absent or when its bytes cannot be converted."""
    try:
        return ds.get(keyword)
    except _VALUE_ERRORS:
        return None


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _series_label(ds: Dataset) -> str:
    number = int_or_none(_get(ds, "SeriesNumber"))
    description = _text(_get(ds, "SeriesDescription"))
    modality = _text(_get(ds, "Modality"))
    words = ["series"] + ([str(number)] if number is not None else [])
    if description:
        words.append(f'"{description}"')
    if modality:
        words.append(f"({modality})")
    return " ".join(words)


@dataclass(frozen=True)
class FileWarning:
    """A file that opened, and what is wrong with it (cut short, frames missing, junk bits)."""

    file: str
    reason: str

    @property
    def damaged(self) -> bool:
        """Part of the file is missing: it is truncated, or holds fewer frames than declared."""
        return any(words in self.reason for words in _DAMAGE_WORDS)


@dataclass(frozen=True)
class FrameFailure:
    """A frame of an opened file that cannot be shown: its decoder failed.

    ``frame`` counts from 1 in the file (as the viewer says it); ``reason`` is the
    decode error's, which names the frame and says what the codec reported.
    """

    file: str
    frame: int
    reason: str


#: Words of the warnings that say data is missing (lightbox.ingest.structure, pixels.checks).
_DAMAGE_WORDS = ("truncated", "cut short", "frames are present", "frame is missing")
