"""Every file of pydicom's bundled test files, through the real page.

Images are compared with the independent reference renderer
(:mod:`tests.support.reference`: pydicom's decoders and the standard's formulas,
no Lightbox code); the native pipeline is checked too, as an extra. Every other
file must be accounted for: listed as a document, or skipped with a reason the
page shows. Nothing may vanish.
"""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

from lightbox.session.session import Session
from tests.support.expect import expected_first_frames
from tests.support.paths import PYDICOM_TEST_FILES
from tests.support.viewer import Viewer
from tests.support.viewer import images as image_entries

#: Every file, the dicomdirtests disc and the files that are not DICOM included.
ALL_FILES = sorted(
    p.relative_to(PYDICOM_TEST_FILES).as_posix()
    for p in PYDICOM_TEST_FILES.rglob("*")
    if p.is_file()
)
#: Files no decoder can read, natively or in the browser, and why.
BROKEN = {
    "JPEG2000-embedded-sequence-delimiter.dcm": "its fragment holds a sequence delimiter",
}
#: Files whose image pydicom's decoders refuse; the same image in another file is the truth.
SAME_IMAGE = {"JPEG-lossy.dcm": "JPGExtended.dcm"}
#: Lossy decoders round the inverse transforms differently (measured: at most 3 levels).
LOSSY_MAX = 3


def test_the_bundled_set_is_what_we_expect() -> None:
    # A guard: if pydicom's bundled files change, this list is reviewed.
    assert len(ALL_FILES) >= 170, len(ALL_FILES)
    assert sum(name.startswith("dicomdirtests/") for name in ALL_FILES) >= 90


def _catalog(viewer: Viewer) -> dict:
    catalog: dict = viewer.page.evaluate("() => window.lightbox.catalog()")
    return catalog


@pytest.mark.parametrize("name", ALL_FILES)
def test_file_shows_like_the_reference_or_says_why_not(viewer: Viewer, name: str) -> None:
    path = PYDICOM_TEST_FILES / name
    base = path.name
    viewer.choose([path])
    catalog = _catalog(viewer)
    skipped = {s["name"]: s["reason"] for s in catalog["skipped"]}
    documents = {d["name"] for d in catalog.get("documents", [])}
    if not image_entries(catalog):
        # Not an image: a document, skipped with its reason, or a DICOMDIR that the report
        # names with what it lists; never nothing.
        text = catalog["report"]["text"]
        if base in skipped:  # the report groups the reasons by kind and names the files
            assert skipped[base] and base in text, text
        else:  # a DICOMDIR: named in the report with what it lists
            dicomdirs = {d["name"] for d in catalog["report"].get("dicomdirs", [])}
            assert base in documents or (base in dicomdirs and base in text), (name, catalog)
        return
    message = viewer.page.text_content(".pane.active .pane-message") or ""
    if catalog["series"][0].get("kind") == "waveform":
        # A waveform (no image): plotted without a warning (tests/browser/test_waveform.py
        # reads traces back; tests/unit/waveform compares the samples with pydicom's).
        state = viewer.state()
        assert state["file"] == base and state["waveform"]["channels"] > 0, state
        assert not viewer.page.is_visible(".pane.active .pane-message"), message
        return
    if base in BROKEN:
        assert base in message and "cannot be decoded" in message, message
        return
    state = viewer.state()
    assert state["file"] == base
    truth = PYDICOM_TEST_FILES / SAME_IMAGE[base] if base in SAME_IMAGE else path
    (expected,) = expected_first_frames({truth.name: truth})
    if expected.error is not None:
        # pydicom itself refuses the pixels (e.g. pixel data shorter than the header says):
        # the page may show what is there, but must say what is wrong, naming the file.
        assert base in message, f"{name}: pydicom refuses it ({expected.error}); {message!r}"
        return
    got = viewer.frame()
    found = expected.disagreement(got, max_lossy=LOSSY_MAX)
    assert found is None, f"{name} (reference: {expected.choice}): {found}"
    # An extra check, not the truth: the page equals Lightbox's own native pipeline.
    session = Session()
    session.open([(truth.name, truth.read_bytes())])
    native = session.render(0, 0).rgba.astype(int)
    assert np.abs(got.astype(int) - native).max() <= LOSSY_MAX


def test_the_dicomdirtests_disc_opens_as_its_series(viewer: Viewer) -> None:
    """The disc's files at once: one series per Series Instance UID with pixel data (no
    stack on this disc is two: counted here with pydicom), every other file accounted for."""
    disc = PYDICOM_TEST_FILES / "dicomdirtests"
    files = sorted(
        p for p in disc.rglob("*") if p.is_file() and not p.name.startswith(("DICOMDIR", "READ"))
    )
    headers = {p.name: pydicom.dcmread(p, stop_before_pixels=False) for p in files}
    series_uids = {str(ds.SeriesInstanceUID) for ds in headers.values() if "PixelData" in ds}
    viewer.choose(files)
    catalog = _catalog(viewer)
    assert len(image_entries(catalog)) == len(series_uids) == 13
    frames = sum(s["frames"] for s in image_entries(catalog))
    images = sum(
        int(ds.get("NumberOfFrames", 1) or 1) for ds in headers.values() if "PixelData" in ds
    )
    assert frames == images
    skipped = {s["name"] for s in catalog["skipped"]}
    without_pixels = {name for name, ds in headers.items() if "PixelData" not in ds}
    assert without_pixels <= skipped | {d["name"] for d in catalog.get("documents", [])}
    viewer.shot("dicomdirtests-disc")
