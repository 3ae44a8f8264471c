"""Files of any size (issue 19 item 3), through the real page: a 4 GB multi-frame file
(sparse: its pixel data past the first frame is a hole) is handed to the worker as the
File itself and opens from its first bytes; the frame shown is read from the File alone.
A file whose header claims gigabytes it does not have opens with what it holds, said.

The expected pixels come from pydicom and the reference renderer over a one-frame file
of the same header and first frame, never from Lightbox.
"""

from __future__ import annotations

import time
from pathlib import Path

import pydicom
from playwright.sync_api import Browser
from pydicom.filebase import DicomBytesIO

from tests.support import reference
from tests.support.viewer import Viewer, Watch, origin
from tools.large import FIRST, FRAME_BYTES, header, sparse

WINDOW = (500.0, 3000.0)


def test_a_4_gb_multiframe_file_opens_to_its_first_frame(viewer: Viewer, tmp_path: Path) -> None:
    frames = 8000  # 4.19 GB declared and present (a hole past the first frame)
    path = sparse(tmp_path / "big.dcm", frames)
    heap = viewer.page.evaluate("() => window.lightbox.stats()")["wasmHeap"]
    started = time.monotonic()
    viewer.choose([path])
    state = viewer.state()
    seconds = time.monotonic() - started
    print(f"4 GB multi-frame: first frame shown {seconds:.2f} s after the file was chosen")
    assert state["file"] == "big.dcm" and state["frame"] == 0
    assert state["frames"] == frames
    stats = viewer.page.evaluate("() => window.lightbox.stats()")
    # Nothing like the file is held: its first bytes and a frame or two.
    assert stats["wasmHeap"] - heap < 256 * 1024 * 1024, (heap, stats)
    assert stats["fileBytes"] < 8 * 1024 * 1024, stats
    viewer.page.evaluate(f"() => window.lightbox.setWindow({WINDOW[0]}, {WINDOW[1]})")
    one = pydicom.dcmread(DicomBytesIO(header(1) + FIRST.tobytes()))
    expected, _ = reference.render(one, 0, window=WINDOW)
    assert reference.compare(viewer.frame(), expected, lossy=False) is None
    viewer.shot("large-4gb-first-frame")
    # The last frame: read from the end of the File (the hole: the lowest value, -> black).
    viewer.page.evaluate(f"() => window.lightbox.select(0, {frames - 1})")
    last = viewer.frame()
    zero = pydicom.dcmread(DicomBytesIO(header(1) + bytes(FRAME_BYTES)))
    expected, _ = reference.render(zero, 0, window=WINDOW)
    assert reference.compare(last, expected, lossy=False) is None


def test_a_header_that_claims_gigabytes_it_lacks_allocates_nothing(
    viewer: Viewer, tmp_path: Path
) -> None:
    path = tmp_path / "claims.dcm"
    path.write_bytes(header(8000) + FIRST.tobytes())  # 4 GB declared, one frame there
    heap = viewer.page.evaluate("() => window.lightbox.stats()")["wasmHeap"]
    viewer.choose([path])
    state = viewer.state()
    assert state["file"] == "claims.dcm" and state["frames"] == 1
    catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
    reasons = [w["reason"] for w in catalog["series"][0]["warnings"]]
    assert any("declares 4194304000 bytes (3.9 GiB)" in r for r in reasons), reasons
    stats = viewer.page.evaluate("() => window.lightbox.stats()")
    assert stats["wasmHeap"] - heap < 64 * 1024 * 1024, (heap, stats)


def test_the_frame_cache_budget_follows_the_devices_memory_and_is_shown(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    """A device that says it has 2 GB (navigator.deviceMemory, set before the page runs):
    64 MiB a gigabyte, 128 MiB; the Report says it, with what is held."""
    context = browser.new_context(viewport={"width": 1100, "height": 720})
    context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'deviceMemory', {get: () => 2});"
    )
    page = context.new_page()
    page.goto(base_url)
    viewer = Viewer(page, Watch(origin(base_url)))
    viewer.ready()
    stats = page.evaluate("() => window.lightbox.stats()")
    assert stats["cacheBudget"] == 2 * 64 * 1024 * 1024, stats
    viewer.choose([sparse(tmp_path / "big.dcm", 8000)])
    viewer.control("#report-button").click()
    page.wait_for_function(
        "() => document.getElementById('report-text').textContent.includes('Memory:')"
    )
    text = page.text_content("#report-text") or ""
    assert "of a 128.0 MiB budget (set for this device's 2 GB)" in text, text
    viewer.shot("large-report-memory")
    context.close()
