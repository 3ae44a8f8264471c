"""Burned-in text found on the image shown and blanked from the page (issue 20 item 3).

The truth is Pillow's bounding box of each line of text drawn into a generated image;
the export is read back with pydicom.
"""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import numpy as np
import pydicom

from tests.support import burned
from tests.support.factories import image_dataset
from tests.support.viewer import Viewer
from tools.synth import to_bytes


def test_text_found_on_the_image_is_drawn_as_rectangles_and_blanked(
    viewer: Viewer, tmp_path: Path
) -> None:
    # Text brighter than anything else (as burned-in text usually is): the page's part,
    # not the search's figures (tests/unit/deid/test_deid_text.py measures those).
    image, truth = burned.with_text("gradient", 4, size=(240, 320), count=2, brightness=(1.3, 1.3))
    ds = image_dataset(image, modality="US")
    ds.BurnedInAnnotation = "NO"
    path = tmp_path / "us-text.dcm"
    path.write_bytes(to_bytes(ds))
    viewer.choose([path])
    viewer.wait_state("s.series === 0")
    count = viewer.page.evaluate("() => window.lightbox.findText()")
    state = viewer.wait_state(f"s.measurements.length === {count}")
    assert count >= len(truth)
    boxes = [(m["points"][0], m["points"][1]) for m in state["measurements"]]
    assert all(m["kind"] == "rect" for m in state["measurements"])
    for x, y, w, h in truth:  # every line inside a rectangle drawn
        assert any(a[0] <= x and a[1] <= y and b[0] >= x + w and b[1] >= y + h for a, b in boxes), (
            (x, y, w, h),
            boxes,
        )
    viewer.shot("deid-text-found")
    got = viewer.page.evaluate(
        """async () => {
          const result = await window.lightbox.deidentify({burnedIn: "blank"});
          const bytes = new Uint8Array(await result.zip.arrayBuffer());
          let s = ""; for (let i = 0; i < bytes.length; i += 0x8000)
            s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
          return btoa(s);
        }"""
    )
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(got)))
    (member,) = [n for n in archive.namelist() if not n.endswith(("DICOMDIR", "REPORT.TXT"))]
    pixels = pydicom.dcmread(io.BytesIO(archive.read(member))).pixel_array
    for x, y, w, h in truth:
        assert (pixels[y : y + h, x : x + w] == image.min()).all()
    outside = np.ones(image.shape, dtype=bool)
    for a, b in boxes:
        outside[int(a[1]) : int(b[1]) + 1, int(a[0]) : int(b[0]) + 1] = False
    np.testing.assert_array_equal(pixels[outside], image[outside])
