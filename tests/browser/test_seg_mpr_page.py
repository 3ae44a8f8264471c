"""SEG masks on a reformatted view through the real page (issue 16 item 4).

A generated SEG (one segment on slices 0 and 1 of a generated CT, placed by Frame of
Reference) and a coronal view: for each pixel of ``renderedFrame({overlays: true})`` the
patient point its ``state().reslice`` names is worked out here, the slice it lies on
(z within 1 mm of 2 k) and the image pixel nearest it (0.5 mm pixels); at opacity 1 the
pixel is the segment's colour (CIELab formula of tests/unit/segment/test_color.py)
where that slice's generated mask is set, and the plain reformat elsewhere.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from playwright.sync_api import Browser

from tests.browser.test_segmentation import _frame, _select
from tests.support import segs
from tests.support import volumes as known
from tests.support.paths import written
from tests.support.viewer import finish, new_viewer
from tests.unit.segment.test_color import expected as lab_expected

RED_LAB = (21169, 53249, 50708)


def test_seg_on_a_coronal_view(browser: Browser, base_url: str, tmp_path: Path) -> None:
    stack = segs.ct_stack(rows=24, cols=32, slices=3)
    masks = np.zeros((3, 24, 32))
    masks[0, 5:12, 4:10] = 1
    masks[1, 8:20, 6:25] = 1
    data, ds = segs.seg_bytes(
        stack, [(1, 0, masks[0]), (1, 1, masks[1])], [("Red", RED_LAB)], by_uid=False
    )
    paths = written(tmp_path, [*stack.files.items(), ("seg.dcm", data)])
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose(paths)
        catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
        _select(viewer, catalog, "CT")
        change = {"uid": ds.SOPInstanceUID, "opacity": 1}
        viewer.page.evaluate(f"() => window.lightbox.setOverlay({json.dumps(change)})")
        view = {"plane": "coronal", "position": 4.5}
        viewer.page.evaluate("(view) => window.lightbox.setView(view)", view)
        state = viewer.wait_state("s.view && s.view.plane === 'coronal' && !!s.reslice")
        reslice = state["reslice"]
        plain, shown = _frame(viewer, False), _frame(viewer, True)
        p = known.reslice_points(reslice)
        k = np.rint(p[..., 2] / 2.0).astype(int)
        row = np.rint(p[..., 1] / 0.5).astype(int)
        col = np.rint(p[..., 0] / 0.5).astype(int)
        ok = (k >= 0) & (k < 3) & (np.abs(p[..., 2] - 2 * k) <= 1.0)
        ok &= (row >= 0) & (row < 24) & (col >= 0) & (col < 32)
        want = np.zeros(ok.shape, bool)
        want[ok] = masks[k[ok], row[ok], col[ok]] > 0
        # pixels whose point sits on a boundary between two slices or two pixels may go
        # either way: left out
        edge = (np.abs(np.abs(p[..., 2] - 2 * k) - 1.0) < 1e-6) | (
            np.abs(np.abs(p[..., 1] / 0.5 - row) - 0.5) < 1e-6
        )
        edge |= np.abs(np.abs(p[..., 0] / 0.5 - col) - 0.5) < 1e-6
        sure = ~edge
        assert want[sure].sum() > 10
        red = np.rint(lab_expected(RED_LAB))
        assert np.abs(shown[want & sure, :3] - red).max() <= 1
        assert np.array_equal(shown[~want & sure], plain[~want & sure])
        viewer.shot("seg-coronal-view")
    finally:
        finish(context, viewer)


def test_seg_on_a_coronal_mip_slab(browser: Browser, base_url: str, tmp_path: Path) -> None:
    """A 3 mm coronal MIP slab centred at y = 4.5 mm: the segment shows wherever its mask is
    set within the slab's depth (image rows 6 to 12, y 3.0 to 6.0 mm) on the slice the
    pixel lies on, though the middle plane (row 9) meets none of it; nowhere else."""
    stack = segs.ct_stack(rows=24, cols=32, slices=3)
    masks = np.zeros((3, 24, 32))
    masks[0, 5:7, 4:10] = 1
    masks[1, 12:20, 6:25] = 1
    masks[2, 14:20, 1:30] = 1
    data, ds = segs.seg_bytes(
        stack,
        [(1, 0, masks[0]), (1, 1, masks[1]), (1, 2, masks[2])],
        [("Red", RED_LAB)],
        by_uid=False,
    )
    paths = written(tmp_path, [*stack.files.items(), ("seg.dcm", data)])
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose(paths)
        catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
        _select(viewer, catalog, "CT")
        change = {"uid": ds.SOPInstanceUID, "opacity": 1}
        viewer.page.evaluate(f"() => window.lightbox.setOverlay({json.dumps(change)})")
        view = {"plane": "coronal", "position": 4.5, "slab": 3, "projection": "mip"}
        viewer.page.evaluate("(view) => window.lightbox.setView(view)", view)
        state = viewer.wait_state("s.view && s.view.projection === 'mip' && !!s.reslice")
        reslice = state["reslice"]
        shown = _frame(viewer, True)
        plain = _frame(viewer, False)
        p = known.reslice_points(reslice)
        k = np.rint(p[..., 2] / 2.0).astype(int)
        col = np.rint(p[..., 0] / 0.5).astype(int)
        ok = (k >= 0) & (k < 3) & (np.abs(p[..., 2] - 2 * k) < 1.0) & (col >= 0) & (col < 32)
        ok &= np.abs(np.abs(p[..., 0] / 0.5 - col) - 0.5) > 1e-6  # not on a pixel boundary
        across = masks[:, 6:13, :].any(axis=1)  # the union over the slab's rows
        want = np.zeros(ok.shape, bool)
        want[ok] = across[k[ok], col[ok]]
        assert want.sum() > 10
        red = np.rint(lab_expected(RED_LAB))
        assert np.abs(shown[want, :3] - red).max() <= 1
        assert np.array_equal(shown[ok & ~want], plain[ok & ~want])
        viewer.shot("seg-coronal-mip-slab")
    finally:
        finish(context, viewer)
