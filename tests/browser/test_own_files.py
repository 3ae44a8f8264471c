"""The demo and a hosted case are not the user's: their own files replace them (issue 12).

The built-in demo ("Open demo", the kiosk) and a teaching case opened by
``?case=`` are what counts as the demo; when the user then opens files of
their own, everything open is closed first. Each test opens its own page (the
address says what opens at start).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from playwright.sync_api import Browser
from pydicom.pixels import apply_modality_lut

from tests.support import volumes
from tests.support.viewer import Viewer, finish, new_viewer


def _only_own_file(viewer: Viewer) -> None:
    """CT_small.dcm alone is open: one patient, no warning of several."""
    state = viewer.wait_state("s.file === 'CT_small.dcm'", timeout_s=20)
    assert state["series"] == 0
    catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
    assert [(s["modality"], s["frames"]) for s in catalog["series"]] == [("CT", 1)]
    assert not catalog["report"]["severalPatients"]
    assert viewer.page.locator("#series-list .warning").count() == 0


def test_own_files_close_a_hosted_case(browser: Browser, base_url: str, test_files: Path) -> None:
    context, viewer = new_viewer(browser, f"{base_url}?case=cases/demo-case.zip")
    viewer.ready()
    viewer.page.wait_for_function("() => Number(document.body.dataset.opens || 0) > 0")
    assert viewer.state()["frames"] == 12
    viewer.choose([test_files / "CT_small.dcm"])
    _only_own_file(viewer)
    viewer.shot("own-file-replaces-hosted-case")
    finish(context, viewer)


def test_kiosk_own_files_close_the_demo_and_the_kiosk_returns_to_it(
    browser: Browser, base_url: str, test_files: Path
) -> None:
    """In a kiosk the same rule holds, and the kiosk still goes back to the demo after
    ``reset`` seconds: opening files (even by a drop, which no pointer event announces)
    counts as someone using it."""
    context, viewer = new_viewer(browser, f"{base_url}?kiosk&idle=60&reset=3")
    viewer.ready()
    viewer.wait_state("s.frames === 24")
    viewer.choose([test_files / "CT_small.dcm"])
    _only_own_file(viewer)
    viewer.shot("kiosk-own-file-replaces-demo")
    state = viewer.wait_state("s.frames === 24", timeout_s=20)
    assert state["series"] == 0
    catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
    assert [s["frames"] for s in catalog["series"]] == [24]
    finish(context, viewer)


def test_own_files_chosen_while_the_demo_loads_replace_it(viewer: Viewer, test_files: Path) -> None:
    """The demo still being fetched or indexed when the user's files come: theirs win."""
    viewer.page.evaluate("() => { window.__demo = window.lightbox.openDemo(); }")
    viewer.choose([test_files / "CT_small.dcm"])
    demo = viewer.page.evaluate("() => window.__demo")
    assert demo["cancelled"] is True
    _only_own_file(viewer)


def test_the_first_image_shown_early_is_redrawn_as_the_series_fills(
    viewer: Viewer, tmp_path: Path
) -> None:
    """In a drop larger than one batch the first batch is one file, so the first image shows
    before the rest are indexed (issue 17 item 2); whichever end of the stack that file is,
    once the others sort in around it the screen must show the series' frame 0, the same
    file whatever order the files were given in. Each slice is uniform (HU = 2 × z), so the
    grey on screen names the file it came from; the expectation is pydicom's values of that
    file through the standard's LINEAR window."""
    # More than one batch (64 files), so the open starts with a batch of one file.
    datasets = volumes.series([2.0 * k for k in range(70)], field=lambda p: 2.0 * p[..., 2])
    paths = volumes.write(datasets, tmp_path / "stack")
    viewer.ready()
    shown = []
    for order, given in (("given top first", paths), ("given bottom first", paths[::-1])):
        viewer.page.evaluate("() => window.lightbox.closeAll()")
        viewer.choose(given)
        state = viewer.wait_state("s.frames === 70")
        assert state["frame"] == 0
        shown.append(state["file"])
        ds = pydicom.dcmread(tmp_path / "stack" / state["file"])
        hu = apply_modality_lut(ds.pixel_array, ds)
        expected = volumes.windowed(hu, state["windowCenter"], state["windowWidth"])
        got = viewer.frame()
        viewer.shot(f"first-image-{order.replace(' ', '-')}")
        assert np.array_equal(got[..., 0].astype(np.int16), expected), order
    assert shown[0] == shown[1], "frame 0 depends on the order the files were given in"
