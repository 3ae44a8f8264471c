"""OCT B-scans linked to their en-face image (issue 15 item 3; PS3.3 C.8.17.7).

The expectation is the generator's own numbers (tests.support.others.oct_linked: B-scan k
along row 10 + 12 k from column 5 to 155, written as row/column pairs), never Lightbox's.
"""

from __future__ import annotations

import io

from pydicom.dataset import Dataset

from lightbox.session.session import Session
from tests.support import others


def _bytes(ds: Dataset) -> bytes:
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def test_each_b_scan_is_a_line_on_its_en_face_image() -> None:
    scans, en_face, lines = others.oct_linked()
    session = Session()
    catalog = session.open([("oct.dcm", _bytes(scans)), ("en-face.dcm", _bytes(en_face))])
    series = catalog["series"]
    oct_index = next(i for i, s in enumerate(series) if s["files"] == ["oct.dcm"])
    face_index = next(i for i, s in enumerate(series) if s["files"] == ["en-face.dcm"])
    assert series[oct_index]["enFace"] == face_index
    linked = series[face_index]["bscans"]
    assert linked["series"] == oct_index
    # in the B-scan series' order (In-Stack Position: the generator's order)
    assert linked["lines"] == lines


def test_b_scans_without_a_frame_location_are_not_linked() -> None:
    session = Session()
    catalog = session.open(
        [
            ("oct.dcm", _bytes(others.ophthalmic_tomography())),
            ("f.dcm", _bytes(others.oct_en_face())),
        ]
    )
    assert not any("bscans" in s or "enFace" in s for s in catalog["series"])
