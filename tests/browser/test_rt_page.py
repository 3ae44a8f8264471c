"""RT Structure Set contours on the CT through the real page (issue 16 item 5).

A generated structure set with a known polygon and a hole (tests/unit/session/
test_rt_structures.py) over its generated CT: in ``renderedFrame({overlays: true})``
the pixels whose centre is inside the polygon by the even-odd rule (written in
tests/support/rt.py) and more than a pixel from its path are (1 − 0.3) × the plain
pixel + 0.3 × the ROI colour; those outside and away from the path are the plain pixel.
Then the toggle (setOverlay) and the corpus' STS_002 CT with its RTSTRUCT.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from playwright.sync_api import Browser

from tests.browser.test_segmentation import _frame, _select
from tests.support import rt
from tests.support.paths import written
from tests.support.viewer import finish, new_viewer
from tests.unit.session.test_rt_structures import HOLE, OUTER, RED, STS, expected_fill, generated


def test_generated_polygon_on_its_slice(browser: Browser, base_url: str, tmp_path: Path) -> None:
    _, files, ds = generated()
    paths = written(tmp_path, files)
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose(paths)
        catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
        ct = _select(viewer, catalog, "CT")
        assert catalog["series"][ct]["objects"][0]["kind"] == "RTSTRUCT"
        viewer.page.evaluate(f"() => window.lightbox.select({ct}, 1)")
        state = viewer.wait_state("s.frame === 1")
        [overlay] = state["overlays"]
        assert overlay["kind"] == "RTSTRUCT" and overlay["uid"] == ds.SOPInstanceUID
        assert overlay["opacity"] == 0.3 and overlay["visible"] is True
        assert [s["label"] for s in overlay["segments"]] == ["Tumour", "Cord"]
        assert [s["onFrame"] for s in overlay["segments"]] == [True, False]
        plain, shown = _frame(viewer, False), _frame(viewer, True)
        inside, near = expected_fill([OUTER, HOLE], 40, 48)
        alpha = round(0.3 * 255) / 255
        fill = inside & ~near
        want = (1 - alpha) * plain[fill, :3] + alpha * np.asarray(RED, float)
        assert np.abs(shown[fill, :3] - want).max() <= 2
        away = ~inside & ~near
        assert np.array_equal(shown[away], plain[away])
        assert (shown[near, :3] == RED).all(axis=1).mean() > 0.5
        viewer.shot("rt-generated-polygon")
        uid = ds.SOPInstanceUID
        viewer.page.evaluate(f"() => window.lightbox.setOverlay({{uid: '{uid}', visible: false}})")
        assert viewer.state()["overlays"][0]["visible"] is False
        assert np.array_equal(_frame(viewer, True), _frame(viewer, False))
    finally:
        finish(context, viewer)


def test_corpus_sts_002_contours_on_the_ct(browser: Browser, base_url: str) -> None:
    paths = [*sorted((STS / "image").glob("*.dcm")), STS / "mask" / "RS.dcm"]
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose(paths)
        catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
        ct = _select(viewer, catalog, "CT")
        [structures] = catalog["series"][ct]["rtStructures"]
        middle = structures["frames"][len(structures["frames"]) // 2]
        viewer.page.evaluate(f"() => window.lightbox.select({ct}, {middle})")
        viewer.wait_state(f"s.frame === {middle}")
        plain, shown = _frame(viewer, False), _frame(viewer, True)
        red = (shown[..., 0] == 255) & (shown[..., 1] == 0) & (shown[..., 2] == 0)
        assert red.sum() > 20 and not np.array_equal(plain, shown)
        assert "GTV_Mass_CT" in viewer.page.inner_text("#segment-panel")
        viewer.shot("rt-sts-002-gtv")
    finally:
        finish(context, viewer)


def test_contours_and_seg_on_a_coronal_view(browser: Browser, base_url: str) -> None:
    """The STS_002 GTV on a coronal reformat: every opaque red pixel (the outline) lies, in
    patient mm, within a pixel of a contour of a CT slice within half a slice of it."""
    import pydicom

    paths = [*sorted((STS / "image").glob("*.dcm")), STS / "mask" / "RS.dcm"]
    rs = pydicom.dcmread(STS / "mask" / "RS.dcm")
    contours = [
        np.asarray(c.ContourData, float).reshape(-1, 3)
        for item in rs.ROIContourSequence
        for c in item.ContourSequence
    ]
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose(paths)
        catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
        ct = _select(viewer, catalog, "CT")
        centre = np.vstack(contours).mean(axis=0)
        view = {"plane": "coronal", "position": float(centre[1])}
        viewer.page.evaluate("(view) => window.lightbox.setView(view)", view)
        state = viewer.wait_state("s.view && s.view.plane === 'coronal' && !!s.reslice")
        assert state["series"] == ct
        viewer.wait_state("s.overlays.length === 1")
        reslice = state["reslice"]
        shown = _frame(viewer, True)
        plain = _frame(viewer, False)
        red = (shown[..., 0] == 255) & (shown[..., 1] == 0) & (shown[..., 2] == 0)
        assert red.sum() > 10 and not np.array_equal(plain, shown)
        spacing = 3.27
        for r, c in np.argwhere(red)[::7]:
            p = (
                np.asarray(reslice["origin"])
                + c * reslice["columnSpacing"] * np.asarray(reslice["rowDirection"])
                + r * reslice["rowSpacing"] * np.asarray(reslice["columnDirection"])
            )
            best = np.inf
            for contour in contours:
                if abs(contour[0, 2] - p[2]) > spacing / 2 + reslice["rowSpacing"]:
                    continue
                polygon = contour[:, :2]
                best = min(best, rt.distance_to_path([polygon], p[0], p[1]))
            assert best <= 1.5, (r, c, best)
        viewer.shot("rt-sts-002-coronal")
    finally:
        finish(context, viewer)
