"""Cancel of a volume's build (issue 18 item 8): the engine stops building between two
steps and releases what it built, the view goes back to the stack as it was, the status
line says the volume was not built, and MPR asked again builds the volume from scratch
and draws it. Also: closing everything leaves no status line on the start screen.

The series is large enough that its build takes seconds here whatever the load (512 ×
512 × 300 int16, 150 MiB, RLE Lossless: pydicom decodes each slice in Python as the
volume is built, some 30 ms a slice in the browser). Expectations: the stack's pixels are
pydicom's values of the file shown through the standard's LINEAR window (PS3.3
C.11.2.1.2.1, tests/support/volumes.windowed); the MPR pane's are scipy's samples of the
stored slices where its ``reslice`` says (tests/support/volumes.check_view); the bytes a
built volume holds are columns × rows × slices × 2 (int16), worked here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from pydicom.pixels import apply_modality_lut
from pydicom.uid import RLELossless

from tests.support import volumes
from tests.support.viewer import BOOT_TIMEOUT_MS, Viewer

SLICES, ROWS, COLUMNS = 300, 512, 512
VOLUME_BYTES = SLICES * ROWS * COLUMNS * 2
SHOWN = 150
WINDOW = (40.0, 800.0)


def _field(points: np.ndarray) -> np.ndarray:
    """HU varying across each slice and from slice to slice."""
    return (points[..., 0] - points[..., 1]) / 2.0 + 2.0 * points[..., 2]


def _open(viewer: Viewer, tmp_path: Path) -> list:
    datasets = volumes.series(
        [float(k) for k in range(SLICES)],
        rows=ROWS,
        columns=COLUMNS,
        pixel_mm=0.7,
        field=_field,
        name="large-volume",
    )
    for ds in datasets:
        ds.compress(RLELossless)
    viewer.choose(volumes.write(datasets, tmp_path / "stack"))
    viewer.wait_state(f"s.series === 0 && s.frames === {SLICES}", timeout_s=120)
    viewer.page.evaluate(f"() => window.lightbox.select(0, {SHOWN})")
    viewer.page.evaluate(f"() => window.lightbox.setWindow({WINDOW[0]}, {WINDOW[1]})")
    viewer.wait_state(f"s.frame === {SHOWN} && s.windowCenter === {WINDOW[0]}")
    return datasets


def _check_stack(viewer: Viewer, folder: Path) -> tuple[dict, np.ndarray]:
    """The frame on screen is its file's HU through the window state() reports."""
    state = viewer.state()
    ds = pydicom.dcmread(folder / state["file"])
    expected = volumes.windowed(
        apply_modality_lut(ds.pixel_array, ds), state["windowCenter"], state["windowWidth"]
    )
    got = viewer.frame()
    assert np.array_equal(got[..., 0].astype(np.int16), expected), state
    return state, got


def _stats(viewer: Viewer) -> dict:
    return viewer.page.evaluate("() => window.lightbox.stats()")


def _busy_done(viewer: Viewer) -> int:
    return int(viewer.page.inner_text("#busy-done"))


def test_cancel_stops_the_build_and_mpr_again_builds_it(viewer: Viewer, tmp_path: Path) -> None:
    page = viewer.page
    datasets = _open(viewer, tmp_path)
    before, pixels = _check_stack(viewer, tmp_path / "stack")
    assert before["layout"] == "1x1" and before["view"] is None
    assert _stats(viewer)["volumeBytes"] == 0
    viewer.control("#layout").select_option("mpr")
    # the panel shows what is happening and the slices built of all, and the count moves
    page.wait_for_selector("#busy-slices", state="visible", timeout=BOOT_TIMEOUT_MS)
    page.wait_for_function(
        "() => Number(document.getElementById('busy-done').textContent) > 0",
        timeout=BOOT_TIMEOUT_MS,
    )
    first = _busy_done(viewer)
    page.wait_for_function(
        f"() => Number(document.getElementById('busy-done').textContent) > {first}",
        timeout=BOOT_TIMEOUT_MS,
    )
    told, counted = page.inner_text("#busy"), page.inner_text("#busy-files")
    viewer.shot("volume-build-progress")
    building = _stats(viewer)  # heard between two steps of the build
    page.click("#busy-cancel")
    assert "Building the volume" in told and "Slices:" in told, told
    done, of, total = counted.split()
    assert of == "of" and total == str(SLICES) and first < int(done) < SLICES
    assert building["building"]["total"] == SLICES
    assert 0 < building["building"]["done"] < SLICES
    assert building["volumeBytes"] == VOLUME_BYTES and building["volumes"] == 0
    # the engine stops building and holds no volume, built or partly built
    for _ in range(600):
        after = _stats(viewer)
        if after["building"] is None:
            break
        page.wait_for_timeout(50)
    assert after["building"] is None, after
    assert after["volumeBytes"] == 0 and after["volumes"] == 0, after
    assert page.inner_text("#status") == "Cancelled: the volume was not built"
    assert not page.is_visible("#busy")
    # the stack as it was: same layout, image, window and pixels
    state = viewer.wait_state("s.layout === '1x1'")
    assert (state["series"], state["frame"], state["file"]) == (0, SHOWN, before["file"])
    assert state["view"] is None and state["mpr"] is None
    state, again = _check_stack(viewer, tmp_path / "stack")
    assert np.array_equal(again, pixels)
    viewer.shot("volume-build-cancelled")
    # the next calls answer: scrolling, then MPR again, which builds the volume and draws it
    page.evaluate(f"() => window.lightbox.select(0, {SHOWN + 1})")
    _check_stack(viewer, tmp_path / "stack")
    page.evaluate("() => window.lightbox.setLayout('mpr')")
    mpr = viewer.state()
    assert mpr["layout"] == "mpr" and mpr["view"]["plane"] == "axial"
    assert (mpr["windowCenter"], mpr["windowWidth"]) == WINDOW
    built = _stats(viewer)
    assert built["building"] is None
    assert built["volumeBytes"] == VOLUME_BYTES and built["volumes"] == 1
    volumes.check_view(viewer.frame(), datasets, mpr["reslice"], WINDOW)
    assert page.inner_text("#status").strip() == ""  # the cancel no longer holds
    viewer.shot("volume-built-after-cancel")


def test_close_all_leaves_no_status_line(viewer: Viewer, tmp_path: Path) -> None:
    page = viewer.page
    datasets = volumes.series([2.0 * k for k in range(4)], name="small")
    viewer.choose(volumes.write(datasets, tmp_path / "small"))
    viewer.wait_state("s.series === 0 && s.frames === 4")
    assert page.inner_text("#status").strip() != ""  # what the open said
    page.evaluate("() => window.lightbox.closeAll()")
    page.wait_for_selector("#start", state="visible")
    assert page.inner_text("#status").strip() == ""
    viewer.shot("start-after-close-all")
