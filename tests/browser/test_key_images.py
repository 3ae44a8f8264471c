"""Key images (issue 16 item 2) through the real page: a generated KOS flags two of five
generated CT slices (by SOP Instance UID, read back here with pydicom); the series
browser marks the series, the on-image text names the KOS title on those frames only,
and the Key images filter steps from key image to key image, `state().frames` counting
only them. The KOS stays listed as a document.
"""

from __future__ import annotations

import io
from pathlib import Path

import pydicom
from playwright.sync_api import Browser

from tests.support import kos, segs
from tests.support.paths import written
from tests.support.viewer import finish, images, new_viewer


def test_kos_marks_and_filters_key_images(browser: Browser, base_url: str, tmp_path: Path) -> None:
    stack = segs.ct_stack(slices=5)
    data, _ = kos.kos_bytes([stack.datasets[1], stack.datasets[3]])
    flagged = {
        item.ReferencedSOPSequence[0].ReferencedSOPInstanceUID
        for item in pydicom.dcmread(io.BytesIO(data)).ContentSequence
    }
    # the slices are 2 mm apart along z, so the series lists them in file order
    want = [i for i, ds in enumerate(stack.datasets) if ds.SOPInstanceUID in flagged]
    paths = written(tmp_path, [*stack.files.items(), ("kos.dcm", data)])
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose(paths)
        catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
        [series] = images(catalog)
        assert series["keyImages"] == want == [1, 3]
        assert [d["name"] for d in catalog["documents"]] == ["kos.dcm"]
        assert "★ 2 key images" in viewer.page.inner_text("#series-list")
        text = ".pane .overlay.bottom-left"
        viewer.page.evaluate("() => window.lightbox.select(0, 0)")
        state = viewer.wait_state("s.frame === 0")
        assert state["keyImage"] is None and state["frames"] == 5
        assert "Key image" not in viewer.page.inner_text(text)
        viewer.page.evaluate("() => window.lightbox.select(0, 1)")
        state = viewer.wait_state("s.frame === 1")
        assert state["keyImage"] == {"titles": ["For Referring Provider"]}
        assert "Key image: For Referring Provider" in viewer.page.inner_text(text)
        viewer.shot("key-image-marked")
        viewer.page.click("#key-button")
        state = viewer.wait_state("s.keyImagesOnly === true")
        assert state["frames"] == 2 and state["keyImages"] == [1, 3] and state["frame"] == 1
        assert viewer.page.get_attribute("#key-button", "aria-pressed") == "true"
        viewer.shot("key-images-only")
        viewer.page.evaluate("() => window.lightbox.select(0, 2)")  # one step forward
        assert viewer.wait_state("s.frame === 3")["frame"] == 3
        viewer.page.evaluate("() => window.lightbox.select(0, 4)")  # past the last one
        assert viewer.wait_state("s.frame === 3")["frame"] == 3
        viewer.page.evaluate("() => window.lightbox.select(0, 2)")  # one step back
        assert viewer.wait_state("s.frame === 1")["frame"] == 1
        viewer.page.evaluate("() => window.lightbox.select(0, 0)")
        assert viewer.wait_state("s.frame === 1")["frame"] == 1
        viewer.page.evaluate("() => window.lightbox.setKeyImagesOnly(false)")
        viewer.page.evaluate("() => window.lightbox.select(0, 0)")
        state = viewer.wait_state("s.frame === 0")
        assert state["frames"] == 5 and state["keyImagesOnly"] is False
    finally:
        finish(context, viewer)
