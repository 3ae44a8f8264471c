"""Every file with pixel data in pydicom's bundled test files, through the real page.

The expectation is the same display pipeline run natively, where pydicom's
native plugins (pylibjpeg, pyjpegls, openjpeg) decode: an independent decoder
for every compressed syntax. Lossless: within 1 level on at least 99.9 % of
samples. Lossy: the decoders' rounding differs, so a stated tolerance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from lightbox.session.session import Session
from tests.support.viewer import Viewer

TEST_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
LOSSY_SYNTAXES = {
    "1.2.840.10008.1.2.4.50",  # JPEG baseline
    "1.2.840.10008.1.2.4.51",  # JPEG extended
    "1.2.840.10008.1.2.4.81",  # JPEG-LS near-lossless
    "1.2.840.10008.1.2.4.91",  # JPEG 2000
    "1.2.840.10008.1.2.4.203",  # HTJ2K
}
#: Lossy decoders round the inverse transforms differently (measured: at most 3 levels).
LOSSY_MAX = 3
#: Files no decoder can read, natively or in the browser, and why.
BROKEN = {
    "JPEG2000-embedded-sequence-delimiter.dcm": "its fragment holds a sequence delimiter",
}
#: Files whose image native libjpeg refuses; the same image in another file is the truth.
SAME_IMAGE = {"JPEG-lossy.dcm": "JPGExtended.dcm"}


def _image_files() -> list[str]:
    names = []
    for path in sorted(TEST_FILES.glob("*.dcm")):
        session = Session()
        result = session.open([(path.name, path.read_bytes())])
        if result["series"]:
            names.append(path.name)
    return names


IMAGE_FILES = _image_files()


def test_the_bundled_set_is_what_we_expect() -> None:
    # A guard: if pydicom's bundled files change, this list is reviewed.
    assert len(IMAGE_FILES) >= 60, IMAGE_FILES


@pytest.mark.parametrize("name", IMAGE_FILES)
def test_file_displays_like_the_native_pipeline(viewer: Viewer, name: str) -> None:
    path = TEST_FILES / name
    viewer.choose([path])
    message = viewer.page.text_content(".pane.active .pane-message") or ""
    if name in BROKEN:
        assert name in message and "cannot be decoded" in message, message
        return
    assert viewer.state()["file"] == name
    truth = TEST_FILES / SAME_IMAGE.get(name, name)
    session = Session()
    session.open([(truth.name, truth.read_bytes())])
    want = session.render(0, 0).rgba.astype(int)
    got = viewer.frame().astype(int)
    assert got.shape == want.shape
    diff = np.abs(got - want)
    syntax = str(pydicom.dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID)
    if syntax in LOSSY_SYNTAXES:
        assert diff.max() <= LOSSY_MAX, f"{name}: max {diff.max()}"
    else:
        assert (diff <= 1).mean() >= 0.999, f"{name}: {(diff > 1).mean():.4%} beyond 1 level"
