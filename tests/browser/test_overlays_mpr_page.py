"""What is drawn on the images, the remaining gaps (issue 16), through the real page.

- A Label Map Segmentation on the stack: at opacity 1, ``renderedFrame({overlays:
  true})`` is each segment's colour (CIELab formula of tests/unit/segment/test_color.py)
  where numpy's ``labels == n`` over the label array written here, the plain frame
  elsewhere.
- A SEG on a pixel grid of its own (1 mm pixels, offset 1.25, 0.75, 0.3 mm): the nearest
  SEG pixel of each image pixel's patient point, worked in a loop here
  (tests/unit/session/test_seg_labelmap_grid.py).
- RT Dose and a fused PET on the four MPR panes: each pane's pixels' patient points from
  its ``state().reslice``; the dose there by scipy.ndimage.map_coordinates over the dose
  grid (wash in the jet formula written here, isodose lines hidden, opacity 1); the PET
  by map_coordinates over its voxels, composited as 0.4 × plain + 0.6 × 255 ×
  clip(v / 1000) (the "grey" map, window [0, 1000], opacity 0.6).
- SUV on a coronal view of the generated PET: the probe and a region give the sampled
  activity (map_coordinates) times the body-weight factor worked by hand in
  tests/unit/inspect/test_suv_factors.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Browser
from scipy.ndimage import map_coordinates

from tests.browser.test_mpr import _client
from tests.browser.test_segmentation import _frame, _select
from tests.support import pet, rt, segs
from tests.support import volumes as known
from tests.support.paths import written
from tests.support.viewer import Viewer, finish, new_viewer
from tests.unit.inspect.test_suv_factors import BW
from tests.unit.segment.test_color import expected as lab_expected
from tests.unit.session.test_pet_suv_views import EDGE, _activity_at
from tests.unit.session.test_rt_dose_fusion import (
    OFFSETS,
    ORIGIN,
    SHAPE,
    linear_dose,
    pet_files,
)
from tests.unit.session.test_seg_labelmap_grid import (
    PURPLE,
    RED,
    _expected_on_slice,
    _own_grid_seg,
    label_map_seg,
)
from tests.unit.session.test_washes_on_planes import LEVELS, _jet


def _open_ct(viewer: Viewer, paths: list[Path]) -> tuple[dict, int]:
    """``paths`` opened and the CT series shown (its first frame): the catalog, the CT."""
    viewer.ready()
    viewer.choose(paths)
    catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
    return catalog, _select(viewer, catalog, "CT")


def _set(viewer: Viewer, change: dict) -> None:
    viewer.page.evaluate(f"() => window.lightbox.setOverlay({json.dumps(change)})")


def test_label_map_seg_on_the_stack(browser: Browser, base_url: str, tmp_path: Path) -> None:
    stack, labels, data, ds = label_map_seg()
    paths = written(tmp_path, [*stack.files.items(), ("labelmap.dcm", data)])
    context, viewer = new_viewer(browser, base_url)
    try:
        catalog, ct = _open_ct(viewer, paths)
        kinds = {(o["kind"], o["uid"]) for o in catalog["series"][ct]["objects"]}
        assert ("SEG", ds.SOPInstanceUID) in kinds
        _set(viewer, {"uid": ds.SOPInstanceUID, "opacity": 1})
        state = viewer.wait_state("s.overlays.length === 1 && s.overlays[0].opacity === 1")
        [seg] = state["overlays"]
        assert [s["label"] for s in seg["segments"]] == ["A", "B"]
        plain, shown = _frame(viewer, False), _frame(viewer, True)
        for number, lab in ((1, RED), (2, PURPLE)):
            where = labels[0] == number
            assert np.abs(shown[where, :3] - np.rint(lab_expected(lab))).max() <= 1
        assert np.array_equal(shown[labels[0] == 0], plain[labels[0] == 0])
        viewer.shot("seg-labelmap-stack")
        _set(viewer, {"uid": ds.SOPInstanceUID, "segment": 2, "visible": False})
        viewer.wait_state("!s.overlays[0].segments[1].visible")
        hidden = _frame(viewer, True)
        assert np.array_equal(hidden[labels[0] == 2], plain[labels[0] == 2])
        assert np.abs(hidden[labels[0] == 1, :3] - np.rint(lab_expected(RED))).max() <= 1
    finally:
        finish(context, viewer)


def test_seg_on_its_own_grid_on_the_stack(browser: Browser, base_url: str, tmp_path: Path) -> None:
    stack, masks, data, uid = _own_grid_seg()
    paths = written(tmp_path, [*stack.files.items(), ("grid-seg.dcm", data)])
    context, viewer = new_viewer(browser, base_url)
    try:
        _, ct = _open_ct(viewer, paths)
        _set(viewer, {"uid": uid, "opacity": 1})
        for k in range(2):
            viewer.page.evaluate(f"() => window.lightbox.select({ct}, {k})")
            viewer.wait_state(f"s.frame === {k} && s.overlays[0].opacity === 1")
            plain, shown = _frame(viewer, False), _frame(viewer, True)
            want = _expected_on_slice(masks[k])
            assert want.any()
            assert np.abs(shown[want, :3] - np.rint(lab_expected(RED))).max() <= 1
            assert np.array_equal(shown[~want], plain[~want])
            if k == 1:
                viewer.shot("seg-own-grid-stack")
    finally:
        finish(context, viewer)


def _points(reslice: dict) -> np.ndarray:
    return known.reslice_points(reslice)


def test_dose_and_fusion_on_the_four_mpr_panes(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    stack = segs.ct_stack(rows=40, cols=48, slices=3)
    k, r, c = np.meshgrid(*(np.arange(n) for n in SHAPE), indexing="ij")
    gy = linear_dose(ORIGIN[0] + c * 1.0, ORIGIN[1] + r * 1.0, ORIGIN[2] + np.array(OFFSETS)[k])
    data, dose = rt.dose_bytes(stack, gy, ORIGIN, (1.0, 1.0), OFFSETS)
    pet_series, pet_values = pet_files(stack)
    paths = written(tmp_path, [*stack.files.items(), ("dose.dcm", data), *pet_series])
    context, viewer = new_viewer(browser, base_url)
    try:
        catalog, ct = _open_ct(viewer, paths)
        fusion = catalog["series"][ct]["fusions"][0]["uid"]
        _set(viewer, {"uid": dose.SOPInstanceUID, "opacity": 1})
        for level in LEVELS:
            _set(viewer, {"uid": dose.SOPInstanceUID, "segment": level, "visible": False})
        viewer.page.evaluate("() => window.lightbox.setLayout('mpr')")
        top = float(gy.max())
        for index in range(4):
            viewer.page.evaluate(f"() => window.lightbox.activate({index})")
            state = viewer.wait_state(f"s.layout === 'mpr' && !!s.reslice && s.pane === {index}")
            dosed = next(o for o in state["overlays"] if o["kind"] == "RTDOSE")
            assert dosed["visible"] and dosed["opacity"] == 1
            plain, shown = _frame(viewer, False), _frame(viewer, True)
            p = _points(state["reslice"])
            gc, gr = p[..., 0] - ORIGIN[0], p[..., 1] - ORIGIN[1]
            gk = np.interp(p[..., 2], ORIGIN[2] + np.array(OFFSETS), np.arange(3.0))
            want = map_coordinates(gy, [gk, gr, gc], order=1, mode="nearest")
            inner = (gc > 0.05) & (gc < SHAPE[2] - 1.05) & (gr > 0.05) & (gr < SHAPE[1] - 1.05)
            inner &= (p[..., 2] > ORIGIN[2] + 0.05) & (p[..., 2] < ORIGIN[2] + OFFSETS[-1] - 0.05)
            assert inner.sum() > 20, index
            assert np.abs(shown[inner, :3] - _jet(want[inner] / top)).max() <= 3, index
            outside = (gc < -0.6) | (gc > SHAPE[2] - 0.4) | (gr < -0.6) | (gr > SHAPE[1] - 0.4)
            assert np.array_equal(shown[outside], plain[outside]), index
        viewer.shot("mpr-dose-wash")
        _set(viewer, {"uid": dose.SOPInstanceUID, "visible": False})
        change = {"uid": fusion, "visible": True, "opacity": 0.6, "colormap": "grey"}
        _set(viewer, {**change, "window": [0, 1000]})
        for index in range(4):
            viewer.page.evaluate(f"() => window.lightbox.activate({index})")
            state = viewer.wait_state(f"!!s.reslice && s.pane === {index}")
            plain, shown = _frame(viewer, False), _frame(viewer, True)
            p = _points(state["reslice"])
            px, py, pz = (p[..., 0] + 1.0) / 2.0, (p[..., 1] + 2.0) / 2.5, (p[..., 2] + 1.0) / 2.0
            want = map_coordinates(pet_values, [pz, py, px], order=1, mode="nearest")
            grey = 255 * np.clip(want / 1000, 0, 1)
            strict = (px >= 0) & (px <= 11) & (py >= 0) & (py <= 9) & (pz >= 0) & (pz <= 3)
            assert strict.sum() > 20, index
            composite = 0.4 * plain[..., 0] + 0.6 * grey
            assert np.abs(shown[strict, 0] - composite[strict]).max() <= 2, index
        viewer.shot("mpr-pet-fusion")
    finally:
        finish(context, viewer)


def test_suv_probe_and_region_on_a_coronal_view(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose(pet.write_pet(tmp_path))
        viewer.wait_state("s.series === 0")
        viewer.page.evaluate("(view) => window.lightbox.setView(view)", EDGE)
        state = viewer.wait_state("s.view && s.view.plane === 'coronal' && !!s.reslice")
        reslice = state["reslice"]
        p = _points(reslice)
        suv = _activity_at(p) * BW
        viewer.page.keyboard.press("x")
        viewer.page.mouse.click(*_client(viewer, 0, reslice, p[3, 16]))
        state = viewer.wait_state("s.measurements.length === 1")
        result = state["measurements"][0]["result"]
        assert result["suv"]["bw"] == pytest.approx(float(suv[3, 16]), rel=1e-3)
        assert {"lbm", "bsa"} <= set(result["suv"])
        viewer.page.keyboard.press("g")
        corner = np.asarray(reslice["origin"]) - 0.5 * (
            reslice["columnSpacing"] * np.asarray(reslice["rowDirection"])
            + reslice["rowSpacing"] * np.asarray(reslice["columnDirection"])
        )

        def at(x: float, y: float) -> tuple[float, float]:
            point = corner + x * reslice["columnSpacing"] * np.asarray(reslice["rowDirection"])
            point = point + y * reslice["rowSpacing"] * np.asarray(reslice["columnDirection"])
            return _client(viewer, 0, reslice, point)

        viewer.page.mouse.move(*at(10.0, 1.0))
        viewer.page.mouse.down()
        viewer.page.mouse.move(*at(22.0, 6.0), steps=5)
        viewer.page.mouse.up()
        state = viewer.wait_state("s.measurements.length === 2")
        region = state["measurements"][1]["result"]
        assert region["suvMax"] == pytest.approx(float(suv[1:6, 10:22].max()), rel=1e-3)
        assert region["suvMean"] == pytest.approx(float(suv[1:6, 10:22].mean()), rel=1e-3)
        assert region["suvPeak"] is not None and region["suvPeak"] < region["suvMax"]
        assert "SUVpeak" in viewer.page.inner_text("#measure-list")
        viewer.shot("pet-suv-coronal-view")
    finally:
        finish(context, viewer)
