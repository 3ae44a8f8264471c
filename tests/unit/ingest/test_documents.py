"""What the catalog says a non-image object is (issue 15 item 5): its subtype and a PDF's pages."""

from __future__ import annotations

import pytest
from pydicom import Dataset

from lightbox.ingest import documents
from tests.support import discs, kos, pstates
from tools.synth import ct_series, to_bytes


def _study() -> Dataset:
    image = ct_series(1, rows=8, cols=8)[0]
    image.StudyDate, image.StudyTime = "20260101", "120000"
    return image


def _encapsulated(mime: str, payload: bytes) -> bytes:
    ds = discs.encapsulated_pdf(discs.pdf_bytes(), study=_study())
    ds.MIMETypeOfEncapsulatedDocument = mime
    ds.EncapsulatedDocument = payload + (b"\x00" if len(payload) % 2 else b"")
    ds.EncapsulatedDocumentLength = len(payload)
    return to_bytes(ds)


def _pdf_of_pages(count: int) -> bytes:
    """A PDF whose page tree has ``count`` leaves, written by hand (ISO 32000-1 7.7.3)."""
    kids = " ".join(f"{3 + i} 0 R" for i in range(count))
    body = [b"%PDF-1.4", b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj"]
    body.append(f"2 0 obj << /Type /Pages /Kids [{kids}] /Count {count} >> endobj".encode())
    for i in range(count):
        body.append(f"{3 + i} 0 obj << /Type/Page /Parent 2 0 R >> endobj".encode())
    return b"\n".join([*body, b"%%EOF"])


STL = b"solid cube\nendsolid cube\n"


@pytest.mark.parametrize(
    ("data", "kind", "subtype"),
    [
        pytest.param(_encapsulated("application/pdf", discs.pdf_bytes()), "pdf", "pdf", id="pdf"),
        pytest.param(_encapsulated("text/XML", b"<ClinicalDocument/>"), "other", "cda", id="cda"),
        pytest.param(_encapsulated("model/stl", STL), "other", "stl", id="stl"),
        pytest.param(_encapsulated("application/x-unknown", b"??"), "other", "other", id="mime"),
        pytest.param(kos.kos_bytes(ct_series(1, rows=8, cols=8))[0], "sr", "kos", id="kos"),
        pytest.param(
            to_bytes(
                pstates.tid1500(
                    _study(),
                    ("G-D7FE", "SRT", "Length"),
                    5.0,
                    ("mm", "mm"),
                    "POLYLINE",
                    [(1.0, 1.0), (4.0, 5.0)],
                )
            ),
            "sr",
            "sr",
            id="sr",
        ),
    ],
)
def test_the_subtype_comes_from_the_mime_type_or_the_sop_class(
    data: bytes, kind: str, subtype: str
) -> None:
    document = documents.read_document("doc.dcm", data)
    assert (document.kind, document.subtype) == (kind, subtype)
    assert document.pages == (1 if subtype == "pdf" else None)
    assert document.modality in {"DOC", "SR", "KO"} and document.uid


@pytest.mark.parametrize("count", [1, 3, 12])
def test_a_pdf_counts_its_page_objects_not_the_page_tree(count: int) -> None:
    data = _encapsulated("application/pdf", _pdf_of_pages(count))
    assert documents.read_document("doc.dcm", data).pages == count


def test_a_pdf_whose_objects_are_compressed_gives_no_page_count() -> None:
    hidden = b"%PDF-1.5\n1 0 obj << /Type /ObjStm /N 3 /First 10 >> stream\nx\nendstream\n"
    assert documents.pdf_pages(hidden) is None
