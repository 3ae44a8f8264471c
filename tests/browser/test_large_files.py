"""Files of any size (issue 19 item 3), through the real page: a 4 GB multi-frame file
(sparse: its pixel data past the first frame is a hole) is handed to the worker as the
File itself and opens from its first bytes; the frame shown is read from the File alone.
A file whose header claims gigabytes it does not have is refused with the reason.

The expected pixels come from pydicom and the reference renderer over a one-frame file
of the same header and first frame, never from Lightbox.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pydicom
import pytest
from playwright.sync_api import Browser
from pydicom.filebase import DicomBytesIO

from tests.support import reference
from tests.support import volumes as known
from tests.support.viewer import Viewer, Watch, origin
from tools.large import (
    FIRST,
    FRAME_BYTES,
    STUDY_PIXEL_MM,
    STUDY_STEP_MM,
    header,
    sparse,
    study,
    study_hu,
)

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


def test_a_header_that_claims_gigabytes_it_lacks_is_refused_allocating_nothing(
    viewer: Viewer, tmp_path: Path
) -> None:
    path = tmp_path / "claims.dcm"
    path.write_bytes(header(8000) + FIRST.tobytes())  # 4 GB declared, one frame there
    heap = viewer.page.evaluate("() => window.lightbox.stats()")["wasmHeap"]
    viewer.choose([path])
    catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
    assert catalog["series"] == []
    (skipped,) = [s for s in catalog["skipped"] if s["name"] == "claims.dcm"]
    # 8000 frames x 512 x 512 x 2 bytes declared; one frame's 524,288 bytes held
    assert skipped["reason"] == (
        "its header declares 4194304000 bytes (3.9 GiB) of pixel data and the file holds "
        "524288 bytes of it: more than 1073741824 bytes (1.0 GiB) missing, refused"
    ), skipped
    notice = viewer.page.locator("#notice-list").inner_text()
    assert "claims.dcm" in notice and "refused" in notice, notice
    # On the start screen (nothing opened) the notice is on top, not behind it.
    on_top = viewer.page.evaluate(
        """() => { const r = document.getElementById('notice-list').getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return document.getElementById('notices').contains(hit); }"""
    )
    assert on_top
    stats = viewer.page.evaluate("() => window.lightbox.stats()")
    assert stats["wasmHeap"] - heap < 64 * 1024 * 1024, (heap, stats)
    viewer.shot("large-claims-refused")


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


def test_a_3000_slice_study_opens_scrolls_and_builds_its_volume(
    viewer: Viewer, tmp_path: Path
) -> None:
    """A 3,000-slice 512x512 CT, 1.5 GB in 3,000 files: the page hands the engine its budget
    of files read whole and the rest as File objects (their headers held, each frame read
    when shown); the volume, 1.46 GiB at full size, is built with neighbouring slices
    averaged in twos within the 1 GiB budget, and said.

    The expected values are tools.large.study_hu's formula (8 z + x - 1000 HU), worked
    here: a mean of two slices, and a trilinear sample, of that linear function are the
    function at the mean position, so the coronal plane's grey is the formula at its
    pixels' patient points through the LINEAR window written in tests.support.volumes."""
    slices = 3000
    paths = study(tmp_path / "study", slices)
    budget = viewer.page.evaluate("() => window.lightbox.wholeFileBudget()")
    heap = viewer.page.evaluate("() => window.lightbox.stats()")["wasmHeap"]
    viewer.choose(paths)
    state = viewer.wait_state(f"s.series === 0 && s.frames === {slices}", timeout_s=60)
    stats = viewer.page.evaluate("() => window.lightbox.stats()")
    print(
        f"3,000 slices: {stats['fileBytes'] / 2**20:.0f} MiB of files held, budget "
        f"{budget / 2**20:.0f} MiB, wasm heap {stats['wasmHeap'] / 2**20:.0f} MiB"
    )
    # The files read whole, within the budget, and the headers of the rest (2 KiB each).
    assert stats["fileBytes"] <= budget + slices * 4096, (budget, stats)
    assert stats["fileBytes"] < 0.5 * slices * FRAME_BYTES, stats
    # and nothing else of them: the heap grew by those and the headers' Python objects
    assert stats["wasmHeap"] - heap < budget + 384 * 2**20, (heap, stats)
    # Scrolling: a slice read whole and one read from its File, both as the formula says.
    width = 1024.0
    for k in (1500, slices - 1, 10):
        center = 8.0 * k - 1000.0 + 256.0  # the middle of the slice's row of values
        viewer.page.evaluate(f"() => window.lightbox.select(0, {k})")
        viewer.page.evaluate(f"() => window.lightbox.setWindow({center}, {width})")
        got = viewer.frame()
        expected = known.windowed(study_hu(k)[0], center, width)
        assert (got[0, :, 0].astype(int) == expected).all(), k
    # The volume: a coronal plane through the middle rows.
    viewer.page.evaluate("() => window.lightbox.setView({plane: 'coronal'})")
    state = viewer.wait_state("s.view && s.view.plane === 'coronal'", timeout_s=120)
    volume = state["volume"]
    assert volume["dims"][2] == slices // 2, volume
    assert volume["spacing"][2] == pytest.approx(2 * STUDY_STEP_MM)
    said = [w["message"] for w in volume["warnings"]]
    assert any("mean of 2 neighbouring slices (1500 slices, 1 mm apart)" in w for w in said), said
    memory = viewer.page.evaluate("() => window.lightbox.stats()")
    assert memory["volumeBytes"] == slices // 2 * FRAME_BYTES, memory
    print(f"volume built: wasm heap {memory['wasmHeap'] / 2**20:.0f} MiB")
    # the volume and little else: the frames its build read are not kept in the cache
    assert memory["wasmHeap"] - stats["wasmHeap"] < memory["volumeBytes"] + 128 * 2**20, memory
    center, width = 11000.0, 26000.0
    viewer.page.evaluate(f"() => window.lightbox.setWindow({center}, {width})")
    got = viewer.frame()
    reslice = viewer.state()["reslice"]
    points = known.reslice_points(reslice)
    x = points[..., 0] / STUDY_PIXEL_MM
    z = points[..., 2] / STUDY_STEP_MM
    # inside the volume: between the outer voxel centres (the mean slices' centres)
    inside = (x >= 0) & (x <= 511) & (z >= 0.5) & (z <= slices - 1.5)
    assert inside.sum() > 10_000
    expected = known.windowed(8.0 * z[inside] + x[inside] - 1000.0, center, width)
    difference = np.abs(got[..., 0].astype(int)[inside] - expected)
    assert difference.max() <= 1, difference.max()
    viewer.shot("large-3000-slices-coronal")
