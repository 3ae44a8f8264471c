"""One file through the profile: parse, de-identify, blank, record, write.

:func:`process_file` is what both the browser export and the command line
run for each file; it never raises for a bad file but says why it was left
out. The input bytes are only read: a new Dataset is parsed from them,
changed and written anew.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, replace
from typing import Any

from pydicom import dcmread
from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError as PydicomInvalidDicomError
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    UID,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    MediaStorageDirectoryStorage,
)

from lightbox.core.errors import DecodeError, InvalidDicomError, LightboxError, NotDicomError
from lightbox.core.tags import PIXEL_DATA
from lightbox.deid import text
from lightbox.deid.export import header_only
from lightbox.deid.options import BurnedIn, DeidOptions, Longitudinal, Rect
from lightbox.deid.pixels import blank, burned_in_reason
from lightbox.deid.profile import Profile, load_profile
from lightbox.deid.values import Cleaner, Keys
from lightbox.deid.walk import Change, Outcome, Walker, known_values
from lightbox.ingest.headers import looks_like_dicom

_LONGITUDINAL_FLAG = {
    Longitudinal.OFF: "REMOVED",
    Longitudinal.FULL: "UNMODIFIED",
    Longitudinal.MODIFIED: "MODIFIED",
}
_PREAMBLE = Change(
    "(preamble)", "128-byte preamble", Outcome.REPLACED, "Lightbox rule: zeroed (PS3.10 7.1)"
)
_FILE_NAME = Change(
    "(file name)", "file and folder names", Outcome.REPLACED, "Lightbox rule: neutral names"
)


@dataclass(frozen=True)
class FlaggedFile:
    """An image that may carry burned-in text, and what happens to it."""

    name: str
    sop_instance_uid: str
    series_instance_uid: str
    reason: str
    rows: int
    columns: int
    frames: int
    #: Boxes of text found in the pixels (x, y, width, height), when searched.
    text_boxes: tuple[Rect, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sopInstanceUid": self.sop_instance_uid,
            "seriesInstanceUid": self.series_instance_uid,
            "reason": self.reason,
            "rows": self.rows,
            "columns": self.columns,
            "frames": self.frames,
            "textBoxes": [list(b) for b in self.text_boxes],
        }


@dataclass(frozen=True)
class FileResult:
    """One file de-identified (``data``), or left out (``excluded`` says why)."""

    name: str
    data: bytes | None = None
    excluded: str | None = None
    flagged: FlaggedFile | None = None
    original_sop: str = ""
    patient: str = ""
    study: str = ""
    series: str = ""
    sop: str = ""
    order: tuple[int, int] = (0, 0)
    changes: frozenset[Change] = frozenset()
    header: Dataset | None = None
    #: (keyword, original, new) of the Study, Series, SOP Instance and Frame of Reference
    #: UIDs and the Patient ID: what an audit's maps list (never written into the export).
    mapped: tuple[tuple[str, str, str], ...] = ()


def process_file(
    name: str,
    data: bytes,
    options: DeidOptions,
    keys: Keys,
    profile: Profile | None = None,
    *,
    write: bool = True,
) -> FileResult:
    """De-identify one file's bytes (or, with ``write=False``, only say what would change).

    Never raises for a bad file: it is returned with ``excluded`` set.
    """
    profile = profile or load_profile()
    try:
        ds, syntax = _read(name, data)
    except LightboxError as exc:
        return FileResult(name, excluded=exc.reason)
    meta_class = str((ds.get("file_meta") or {}).get("MediaStorageSOPClassUID", ""))
    if MediaStorageDirectoryStorage in (meta_class, str(ds.get("SOPClassUID", ""))):
        return FileResult(name, excluded="a DICOMDIR: the export gets a new one")
    sop = str(ds.get("SOPInstanceUID", "") or "").strip()
    if not sop or "SOPClassUID" not in ds:
        return FileResult(name, excluded="no SOP Instance or Class UID: not a stored DICOM object")
    flagged, rects, why = _burned_in(name, ds, sop, options)
    if why:
        return FileResult(name, excluded=why, flagged=flagged, original_sop=sop)
    try:
        return _deidentify(name, ds, syntax, options, keys, profile, flagged, rects, write)
    except DecodeError as exc:
        return FileResult(name, excluded=exc.reason, flagged=flagged, original_sop=sop)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, struct.error) as exc:
        # A value pydicom cannot handle: this one file is left out, the others go on.
        reason = f"cannot be de-identified: a value cannot be processed ({type(exc).__name__})"
        return FileResult(name, excluded=reason, flagged=flagged, original_sop=sop)


def _deidentify(
    name: str,
    ds: Dataset,
    syntax: UID,
    options: DeidOptions,
    keys: Keys,
    profile: Profile,
    flagged: FlaggedFile | None,
    rects: list[Rect],
    write: bool,
) -> FileResult:
    sop = str(ds.SOPInstanceUID).strip()
    before = {keyword: _text_of(ds, keyword) for keyword in MAPPED}
    patient = patient_key(ds)
    cleaner = Cleaner.from_values(known_values(ds, profile))
    walker = Walker(options, profile, keys, patient, keys.shift_days(patient), cleaner)
    if ds.get("file_meta") is not None:
        walker.walk(ds.file_meta)
    walker.walk(ds)
    if rects:
        walker.record((PIXEL_DATA,), Outcome.REPLACED, "rectangles blanked (drawn, or text found)")
        if write:
            syntax = blank(ds, syntax, rects, name)
    _finish(ds, walker, options, keys, patient, syntax, bool(rects))
    return FileResult(
        name,
        data=_write(ds) if write else None,
        flagged=flagged,
        original_sop=sop,
        patient=str(ds.PatientID),
        study=str(ds.StudyInstanceUID),
        series=str(ds.SeriesInstanceUID),
        sop=str(ds.SOPInstanceUID),
        order=(_int(ds.get("SeriesNumber")), _int(ds.get("InstanceNumber"))),
        changes=frozenset(walker.changes),
        header=header_only(ds) if write else None,
        mapped=tuple(
            (keyword, original, _text_of(ds, keyword))
            for keyword, original in before.items()
            if original
        ),
    )


#: What the audit maps follow: the UIDs that name a study, series, instance or frame of
#: reference, and the patient's ID (issue 20 item 2).
MAPPED = (
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "SOPInstanceUID",
    "FrameOfReferenceUID",
    "PatientID",
)


def _text_of(ds: Dataset, keyword: str) -> str:
    return str(ds.get(keyword, "") or "").strip()


def without_header(result: FileResult) -> FileResult:
    """The result without its header Dataset (smaller to send between processes)."""
    return replace(result, header=None)


def _read(name: str, data: bytes) -> tuple[Dataset, UID]:
    if not looks_like_dicom(data):
        raise NotDicomError(name, "not a DICOM file")
    try:
        ds = dcmread(io.BytesIO(data), force=True)
    except (PydicomInvalidDicomError, EOFError, ValueError, struct.error, KeyError) as exc:
        raise InvalidDicomError(name, "the DICOM header cannot be read") from exc
    meta = ds.get("file_meta")
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if syntax:
        return ds, UID(str(syntax))
    implicit, little = ds.original_encoding
    if little is False:
        return ds, ExplicitVRBigEndian
    return ds, ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian


def _burned_in(
    name: str, ds: Dataset, sop: str, options: DeidOptions
) -> tuple[FlaggedFile | None, list[Rect], str | None]:
    """(the flag, the rectangles to blank, why the file is left out) for one image."""
    series = str(ds.get("SeriesInstanceUID", "") or "").strip()
    rects = list(options.blank_rects.get(sop) or options.blank_rects.get(series) or [])
    reason = burned_in_reason(ds)
    boxes = _text_boxes(ds) if options.find_text else []
    if boxes:
        where = ", ".join(f"({x}, {y}, {w}, {h})" for x, y, w, h in boxes)
        done = "blanked" if options.blank_detected else "found"
        said = f"text {done} in the pixels: {len(boxes)} box(es) (x, y, width, height) {where}"
        reason = f"{reason}; {said}" if reason else said
        if options.blank_detected:
            rects += boxes
    if reason is None:
        return None, rects, None
    flagged = FlaggedFile(
        name,
        sop,
        series,
        reason,
        _int(ds.get("Rows")),
        _int(ds.get("Columns")),
        max(1, _int(ds.get("NumberOfFrames"))),
        tuple(boxes),
    )
    mode = BurnedIn(options.burned_in)
    if mode is BurnedIn.EXCLUDE:
        return flagged, rects, f"may carry burned-in text ({reason})"
    if mode is BurnedIn.BLANK and not rects:
        return flagged, rects, f"may carry burned-in text ({reason}) and no rectangle was drawn"
    return flagged, rects, None


def _text_boxes(ds: Dataset) -> list[Rect]:
    """Boxes of burned-in text found in an image's pixels (none when it has no pixels,
    or they cannot be decoded here: the header's flag still holds then)."""
    if "PixelData" not in ds:
        return []
    try:
        pixels = ds.pixel_array
    except Exception:  # any decoder's failure: nothing searched, nothing claimed
        return []
    frames = max(1, _int(ds.get("NumberOfFrames")))
    samples = _int(ds.get("SamplesPerPixel")) or 1
    if frames == 1:
        pixels = pixels[None]
    if samples == 1 and pixels.ndim == 4:
        pixels = pixels[..., 0]
    return list(text.find_text_in_frames(pixels))


def patient_key(ds: Dataset) -> str:
    """What tells patients apart: Patient ID with its issuer, else name and birth date."""
    pid = str(ds.get("PatientID", "") or "").strip()
    if pid:
        return f"id:{str(ds.get('IssuerOfPatientID', '') or '').strip()}:{pid}"
    name = str(ds.get("PatientName", "") or "").strip()
    birth = str(ds.get("PatientBirthDate", "") or "").strip()
    return f"name:{name}:{birth}" if name or birth else "unknown"


def _finish(
    ds: Dataset,
    walker: Walker,
    options: DeidOptions,
    keys: Keys,
    patient: str,
    syntax: UID,
    blanked: bool,
) -> None:
    """Record the de-identification in the dataset and give it new File Meta Information.

    References
    ----------
    PS3.15 E.1.1 (Patient Identity Removed, De-identification Method);
    PS3.3 C.7.6.1 (Longitudinal Temporal Information Modified); PS3.10 7.1.
    """
    sop = str(ds.SOPInstanceUID)
    for keyword in ("PatientID", "StudyInstanceUID", "SeriesInstanceUID"):
        if not str(ds.get(keyword, "") or ""):
            value = (
                keys.pseudonym(patient) if keyword == "PatientID" else keys.uid(f"{keyword}:{sop}")
            )
            setattr(ds, keyword, value)
            walker.record((tag_for_keyword(keyword) or 0,), Outcome.REPLACED, "missing: added")
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = f"Lightbox: PS3.15 Table E.1-1 {walker.profile.edition}"
    codes = []
    for value, meaning in options.method_codes(blanked):
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, "DCM", meaning
        codes.append(item)
    ds.DeidentificationMethodCodeSequence = codes
    ds.LongitudinalTemporalInformationModified = _LONGITUDINAL_FLAG[options.longitudinal]
    why = "PS3.15 E.1.1: the de-identification is recorded in the dataset"
    for tag in (0x00120062, 0x00120063, 0x00120064, 0x00280303):
        walker.record((tag,), Outcome.REPLACED, why)
    walker.changes.update((_PREAMBLE, _FILE_NAME))
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = syntax
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "LIGHTBOX_DEID"
    ds.file_meta = meta
    ds.preamble = bytes(128)


def _write(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _int(value: object) -> int:
    try:
        return int(float(str(value)))
    except (TypeError, ValueError):
        return 0
