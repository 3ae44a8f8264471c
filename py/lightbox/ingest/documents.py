"""Non-image objects patients get: the PDF report, structured reports, and the rest.

An Encapsulated PDF (PS3.3 A.45) is handed to the browser's own PDF viewer;
a Structured Report's content tree (PS3.3 C.17.3) is rendered as indented
text; anything else is listed with its SOP Class name rather than hidden.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, replace

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import UID

from lightbox.core.errors import InvalidDicomError
from lightbox.core.messages import say
from lightbox.core.values import int_or_none
from lightbox.ingest import rtplan, structure

#: How deep an SR content tree is followed before it is cut (malformed trees can loop).
MAX_SR_DEPTH = 32

#: (0042,0012) MIME Type of Encapsulated Document → the catalog's subtype: PDF (PS3.3
#: A.45.1), CDA (A.45.2, "text/XML"), the Encapsulated STL, OBJ and MTL models.
ENCAPSULATED_SUBTYPES = {
    "application/pdf": "pdf",
    "text/xml": "cda",
    "model/stl": "stl",
    "model/obj": "obj",
    "model/mtl": "mtl",
}

#: Key Object Selection Document Storage (PS3.4 B.5).
KEY_OBJECT_SELECTION = "1.2.840.10008.5.1.4.1.1.88.59"


@dataclass(frozen=True)
class Document:
    """A non-image object: kind is "pdf", "sr" or "other".

    ``subtype`` says more finely what it is, for the catalog (issue 15 item 5):
    "pdf", "cda", "stl", "obj", "mtl" (from the encapsulated document's MIME
    type, PS3.3 C.24.2), "sr", "kos" (Key Object Selection), "rtplan" or "other".

    ``warnings`` says what is wrong with its bytes (a file cut short inside a
    sequence): it is listed anyway, with what could be read.
    """

    name: str
    kind: str
    title: str
    sop_class: str
    date: str
    text: str = ""
    mime: str = ""
    subtype: str = "other"
    pages: int | None = None
    modality: str = ""
    uid: str = ""
    warnings: tuple[str, ...] = ()


def read_document(name: str, data: bytes) -> Document:
    """Describe a DICOM object that has no image (its bytes stay with the caller).

    pydicom reads a file cut short as far as it goes, silently: where it is
    cut is found from its element headers (:mod:`lightbox.ingest.structure`)
    and said in ``warnings``.
    """
    ds = dcmread(io.BytesIO(data), force=True)
    cut = structure.dataset_truncation(data, ds)
    return replace(
        _describe(name, ds),
        modality=str(ds.get("Modality", "") or ""),
        uid=str(ds.get("SOPInstanceUID", "") or ""),
        warnings=(cut.message,) if cut else (),
    )


def _describe(name: str, ds: Dataset) -> Document:
    sop = ds.get("SOPClassUID") or (
        ds.file_meta.get("MediaStorageSOPClassUID") if ds.get("file_meta") else None
    )
    sop_name = UID(str(sop)).name if sop else "unknown object type"
    date = str(ds.get("ContentDate", "") or ds.get("StudyDate", "") or "")
    if "EncapsulatedDocument" in ds:
        mime = str(ds.get("MIMETypeOfEncapsulatedDocument", "") or "application/octet-stream")
        title = str(ds.get("DocumentTitle", "") or "") or "Document"
        subtype = ENCAPSULATED_SUBTYPES.get(mime.lower(), "other")
        kind = "pdf" if subtype == "pdf" else "other"
        pages = pdf_pages(bytes(ds.EncapsulatedDocument)) if subtype == "pdf" else None
        return Document(name, kind, title, sop_name, date, mime=mime, subtype=subtype, pages=pages)
    if "ContentSequence" in ds:
        title = _concept(ds) or sop_name
        subtype = "kos" if str(sop) == KEY_OBJECT_SELECTION else "sr"
        return Document(name, "sr", title, sop_name, date, text=sr_text(ds), subtype=subtype)
    if rtplan.is_plan(ds):  # issue 16 item 5: the plan summarised as text
        title = str(ds.get("RTPlanLabel", "") or "") or sop_name
        text = rtplan.plan_text(ds)
        return Document(name, "other", title, sop_name, date, text=text, subtype="rtplan")
    return Document(name, "other", sop_name, sop_name, date)


def pdf_pages(pdf: bytes) -> int | None:
    """How many pages a PDF has, or None where that cannot be told without parsing it.

    Each page is an object of ``/Type /Page`` (ISO 32000-1 7.7.3.3; ``/Pages`` are the
    tree's inner nodes). Objects packed in compressed object streams (``/ObjStm``, 7.5.7)
    are not visible in the bytes: then no count is given rather than a wrong one.
    """
    if b"/ObjStm" in pdf:
        return None
    return len(_PAGE.findall(pdf)) or None


_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def encapsulated_bytes(name: str, data: bytes) -> tuple[bytes, str]:
    """The encapsulated document's bytes and MIME type (PS3.3 C.24.2).

    (0042,0011) Encapsulated Document is padded to even length; for PDF the
    padding byte is harmless, and (0042,0015) Encapsulated Document Length,
    when present, gives the exact length.

    Raises
    ------
    InvalidDicomError
        The object holds no readable Encapsulated Document.
    """
    try:
        ds = dcmread(io.BytesIO(data), force=True)
        payload = bytes(ds.get("EncapsulatedDocument") or b"")
        length = int_or_none(ds.get("EncapsulatedDocumentLength"))
    except Exception as exc:  # damaged bytes make pydicom raise many kinds
        raise InvalidDicomError(name, say("engine.document_unreadable", detail=str(exc))) from exc
    if not payload:
        raise InvalidDicomError(name, say("engine.document_empty"))
    if length and 0 < length <= len(payload):
        payload = payload[:length]
    return payload, str(ds.get("MIMETypeOfEncapsulatedDocument", "") or "application/octet-stream")


def _concept(item: Dataset) -> str:
    names = item.get("ConceptNameCodeSequence")
    return str(names[0].get("CodeMeaning", "")) if names else ""


def _value(item: Dataset) -> str:
    """The value of one content item, by its (0040,A040) Value Type (PS3.3 C.17.3.2)."""
    kind = str(item.get("ValueType", ""))
    if kind == "TEXT":
        return str(item.get("TextValue", ""))
    if kind == "CODE":
        codes = item.get("ConceptCodeSequence")
        return str(codes[0].get("CodeMeaning", "")) if codes else ""
    if kind == "NUM":
        measured = item.get("MeasuredValueSequence")
        if not measured:
            return ""
        value = measured[0]
        units = value.get("MeasurementUnitsCodeSequence")
        unit = str(units[0].get("CodeValue", "")) if units else ""
        return f"{value.get('NumericValue', '')} {unit}".strip()
    if kind == "PNAME":
        return str(item.get("PersonName", "")).replace("^", " ").strip()
    if kind in ("DATE", "TIME", "DATETIME"):
        return str(item.get(kind.title().replace("time", "Time"), "") or item.get("DateTime", ""))
    if kind == "UIDREF":
        return str(item.get("UID", ""))
    return ""


def sr_text(ds: Dataset) -> str:
    """The content tree as indented lines: "Concept: value"."""
    lines: list[str] = []
    title = _concept(ds)
    if title:
        lines.append(title)

    def walk(items: list[Dataset], depth: int) -> None:
        if depth > MAX_SR_DEPTH:
            lines.append("  " * depth + "…")
            return
        for item in items:
            concept = _concept(item)
            value = _value(item)
            text = f"{concept}: {value}" if concept and value else concept or value
            if text:
                lines.append("  " * depth + text)
            children = item.get("ContentSequence")
            if children:
                walk(list(children), depth + 1)

    walk(list(ds.get("ContentSequence") or []), 1)
    return "\n".join(lines)
