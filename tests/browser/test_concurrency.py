"""De-identification in its own engine while the viewer keeps working (issue 19 item 5,
issue 18 item 8): scrolling and window/level draw the right image while it runs, its
progress is told file by file, and Cancel ends its worker.

Each slice is uniform (HU = 2 × z mm), so the grey on screen names the file it came from;
the expectation is pydicom's values of that file through the standard's LINEAR window
(PS3.3 C.11.2.1.2.1, tests/support/volumes.windowed)."""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import numpy as np
import pydicom
from pydicom.pixels import apply_modality_lut

from tests.support import volumes
from tests.support.viewer import BOOT_TIMEOUT_MS, Viewer

FILES = 300


def _stack(tmp_path: Path) -> list[Path]:
    datasets = volumes.series([float(k) for k in range(FILES)], field=lambda p: 2.0 * p[..., 2])
    return volumes.write(datasets, tmp_path / "stack")


def _engine(viewer: Viewer) -> dict:
    return viewer.page.evaluate("() => window.lightbox.deidEngine()")


def _workers_back_to(viewer: Viewer, count: int) -> None:
    """The page's workers are as many as before the de-identification: its worker ended
    (Playwright hears of a worker's end a moment after it)."""
    for _ in range(100):
        if len(viewer.page.workers) == count:
            return
        viewer.page.wait_for_timeout(50)
    raise AssertionError(f"{len(viewer.page.workers)} workers, {count} before: one was not ended")


def _start_deid(viewer: Viewer, tmp_path: Path, then: str) -> tuple[list[Path], int]:
    """Open the stack, start a de-identification of it (window.deidRun: ``then`` of its
    result, or "rejected: " and the reason); the files, and the page's workers before."""
    paths = _stack(tmp_path)
    viewer.choose(paths)
    viewer.wait_state(f"s.series === 0 && s.frames === {FILES}")
    workers = len(viewer.page.workers)
    viewer.page.evaluate(
        f"() => {{ window.deidRun = window.lightbox.deidentify({{}}).then({then},"
        " (error) => 'rejected: ' + error.message); }"
    )
    return paths, workers


def _check_shown(viewer: Viewer, folder: Path) -> dict:
    """The frame on screen is its file's HU through the window state() reports."""
    state = viewer.state()
    ds = pydicom.dcmread(folder / state["file"])
    hu = apply_modality_lut(ds.pixel_array, ds)
    expected = volumes.windowed(hu, state["windowCenter"], state["windowWidth"])
    got = viewer.frame()
    assert np.array_equal(got[..., 0].astype(np.int16), expected), state
    return state


def test_viewer_scrolls_and_windows_while_deid_runs(viewer: Viewer, tmp_path: Path) -> None:
    page = viewer.page
    paths, workers = _start_deid(
        viewer,
        tmp_path,
        "async (r) => { const b = new Uint8Array(await r.zip.arrayBuffer()); let s = '';"
        " for (let i = 0; i < b.length; i += 0x8000)"
        "   s += String.fromCharCode.apply(null, b.subarray(i, i + 0x8000));"
        " return {zip: btoa(s), files: r.files}; }",
    )
    page.wait_for_function(
        "() => window.lightbox.deidEngine().state === 'working'", timeout=BOOT_TIMEOUT_MS
    )
    box = page.locator(".pane.active canvas.image-layer").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    answered = []
    for step in range(4):
        before = viewer.state()["frame"]
        page.mouse.wheel(0, 120)
        viewer.wait_state(f"s.frame !== {before}")
        page.evaluate(f"() => window.lightbox.setWindow({-40 + 5 * step}, {40 + 10 * step})")
        viewer.wait_state(f"s.windowCenter === {-40 + 5 * step}")
        state = _check_shown(viewer, tmp_path / "stack")
        assert state["windowWidth"] == 40 + 10 * step
        # read after the frame was drawn: the de-identification had not finished by then
        engine = _engine(viewer)
        answered.append((state["frame"], engine["state"], engine["done"], engine["total"]))
    viewer.shot("deid-while-scrolling")
    for frame, state, done, total in answered:
        assert state == "working" and done < FILES, answered
        assert total in (0, FILES) and frame > 0
    result = page.evaluate("() => window.deidRun")
    assert result["files"] == FILES
    engine = _engine(viewer)
    assert engine["state"] == "stopped" and engine["started"] == engine["ended"]
    assert engine["done"] == FILES and engine["wasmHeap"] > 0
    print("deid engine wasm heap (MiB):", engine["wasmHeap"] / 2**20)
    _workers_back_to(viewer, workers)
    # the export: pydicom reads every image; the identifying values are gone
    original = pydicom.dcmread(paths[0])
    sops = {str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID) for p in paths}
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(result["zip"])))
    images = 0
    for name in archive.namelist():
        if name.endswith(("DICOMDIR", "REPORT.TXT")):
            continue
        ds = pydicom.dcmread(io.BytesIO(archive.read(name)))
        images += 1
        assert str(ds.SOPInstanceUID) not in sops
        assert ds.StudyInstanceUID != original.StudyInstanceUID
        assert str(ds.get("PatientName", "")) != str(original.PatientName)
        assert ds.get("PatientID", "") != original.PatientID
        assert ds.pixel_array.shape == original.pixel_array.shape
    assert images == FILES
    # the viewer is as it was
    assert viewer.state()["frames"] == FILES


def test_cancel_ends_the_deid_engine_and_a_new_one_runs(viewer: Viewer, tmp_path: Path) -> None:
    page = viewer.page
    _, workers = _start_deid(viewer, tmp_path, "() => 'done'")
    page.wait_for_function("() => window.lightbox.deidEngine().done > 0", timeout=BOOT_TIMEOUT_MS)
    page.wait_for_selector("#busy-files", state="visible")
    told = page.inner_text("#busy-files")
    done, of, total = told.split()
    assert of == "of" and total == str(FILES) and 0 < int(done) < FILES, told
    viewer.shot("deid-progress-n-of-N")
    page.click("#busy-cancel")
    assert page.evaluate("() => window.deidRun") == "rejected: Cancelled"
    engine = _engine(viewer)
    assert engine["state"] == "stopped" and engine["started"] == engine["ended"]
    assert engine["done"] < FILES
    _workers_back_to(viewer, workers)
    assert not page.is_visible("#busy")
    # the viewer still works, and a new de-identification runs to the end
    page.evaluate("() => window.lightbox.select(0, 10)")
    _check_shown(viewer, tmp_path / "stack")
    again = page.evaluate("async () => (await window.lightbox.deidentify({})).files")
    assert again == FILES


def test_cancel_of_an_open_stops_further_batches(viewer: Viewer, tmp_path: Path) -> None:
    """Cancel during a drop of many files (opened in batches, page/open.js): the batch in
    flight ends, no further batch is sent, what opened is consistent (catalog, series list
    and pane agree) and usable, the status says so, and a new open works."""
    page = viewer.page
    paths = _stack(tmp_path)
    before = int(page.evaluate("() => Number(document.body.dataset.opens || 0)"))
    page.set_input_files("#open-input", [str(p) for p in paths])
    page.wait_for_function(
        "() => / images/.test(document.getElementById('series-list').textContent)",
        timeout=BOOT_TIMEOUT_MS,
    )
    page.click("#progress-cancel")
    page.wait_for_function(f"() => Number(document.body.dataset.opens || 0) > {before}")
    status = page.inner_text("#status")
    viewer.shot("open-cancelled")
    frames = viewer.catalog()["series"][0]["frames"]
    assert 0 < frames < FILES, status
    assert status.startswith(f"Opened {frames} of {FILES} files; cancelled"), status
    assert len(viewer.catalog()["series"]) == 1
    assert page.inner_text("#series-list").count(f"{frames} images") == 1
    state = viewer.wait_state("s.series === 0")
    assert state["frames"] == frames
    page.evaluate(f"() => window.lightbox.select(0, {frames - 1})")
    _check_shown(viewer, tmp_path / "stack")
    # a new open after it: the rest join the series
    viewer.choose(paths[frames:])
    assert viewer.wait_state(f"s.frames === {FILES}")["frames"] == FILES
