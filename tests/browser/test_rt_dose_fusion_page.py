"""RT Dose and fusion through the real page (issue 16 items 5 and 7).

The generated cases of tests/unit/session/test_rt_dose_fusion.py: the dose wash lies
where the formula's dose reaches 10 % of the maximum, the probe says the dose in Gy by
the formula; a PET fused over the CT in the "grey" map with window [0, 1000] at opacity
0.6 composites as (1 − 0.6) × the plain CT pixel + 0.6 × 255 × clip(v / 1000), v from
scipy.ndimage.map_coordinates at the PET voxel coordinates of each CT pixel centre.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Browser
from pydicom.uid import JPEGLSLossless
from scipy.ndimage import map_coordinates

from tests.browser.test_segmentation import _frame, _select
from tests.support import rt, segs
from tests.support.factories import image_dataset
from tests.support.paths import written
from tests.support.viewer import finish, new_viewer, to_screen
from tests.unit.session.test_rt_dose_fusion import OFFSETS, ORIGIN, SHAPE, linear_dose
from tools.synth import to_bytes


def test_dose_wash_and_probe(browser: Browser, base_url: str, tmp_path: Path) -> None:
    stack = segs.ct_stack(rows=40, cols=48, slices=3)
    k, r, c = np.meshgrid(*(np.arange(n) for n in SHAPE), indexing="ij")
    gy = linear_dose(ORIGIN[0] + c * 1.0, ORIGIN[1] + r * 1.0, ORIGIN[2] + np.array(OFFSETS)[k])
    data, ds = rt.dose_bytes(stack, gy, ORIGIN, (1.0, 1.0), OFFSETS)
    paths = written(tmp_path, [*stack.files.items(), ("dose.dcm", data)])
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose(paths)
        catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
        ct = _select(viewer, catalog, "CT")
        viewer.page.evaluate(f"() => window.lightbox.select({ct}, 1)")
        state = viewer.wait_state("s.frame === 1")
        dose = next(o for o in state["overlays"] if o["kind"] == "RTDOSE")
        assert dose["uid"] == ds.SOPInstanceUID and dose["opacity"] == 0.4
        plain, shown = _frame(viewer, False), _frame(viewer, True)
        rr, cc = np.mgrid[0:40, 0:48]
        x, y = 0.5 * cc, 0.5 * rr
        reach = (x >= ORIGIN[0] - 0.5) & (x <= ORIGIN[0] + 19.5)
        reach &= (y >= ORIGIN[1] - 0.5) & (y <= ORIGIN[1] + 11.5)
        changed = np.any(shown[..., :3] != plain[..., :3], axis=-1)
        assert np.array_equal(changed & ~reach, np.zeros_like(changed))
        assert changed[reach].mean() > 0.9
        viewer.shot("rt-dose-wash")
        viewer.page.keyboard.press("x")
        viewer.page.mouse.click(*to_screen(viewer, 10.5, 7.5, 48, 40))
        state = viewer.wait_state("s.measurements.length === 1")
        result = state["measurements"][0]["result"]
        px, py, pz = result["patient"]
        assert result["dose"] == pytest.approx(float(linear_dose(px, py, pz)), abs=1e-3)
        assert "Gy" in viewer.page.inner_text("#measure-list")
    finally:
        finish(context, viewer)


@pytest.mark.parametrize(
    "syntax",
    # A PET in JPEG-LS over an uncompressed CT: its codec is loaded for the layer, which
    # decodes the PET's frames though the CT shown needs none.
    [pytest.param(None, id="native"), pytest.param(JPEGLSLossless, id="jpeg-ls-pet")],
)
def test_fusion_over_the_ct(
    browser: Browser, base_url: str, tmp_path: Path, syntax: str | None
) -> None:
    stack = segs.ct_stack(rows=40, cols=48, slices=3)
    rng = np.random.default_rng(7)
    pet = rng.integers(0, 1000, size=(4, 10, 12)).astype(np.uint16)
    files = list(stack.files.items())
    for k in range(4):
        ds = image_dataset(
            pet[k],
            modality="PT",
            instance=k + 1,
            series_uid="1.2.3.4.5.6.8",
            position=[-1.0, -2.0, -1.0 + 2.0 * k],
            orientation=[1, 0, 0, 0, 1, 0],
            rescale=(1.0, 0.0),
        )
        ds.StudyInstanceUID = stack.study_uid
        ds.FrameOfReferenceUID = stack.frame_of_reference
        ds.PixelSpacing = [2.5, 2.0]
        ds.SliceThickness = 2.0
        if syntax is not None:
            ds.compress(syntax)
        files.append((f"pet{k}.dcm", to_bytes(ds)))
    paths = written(tmp_path, files)
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose(paths)
        catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
        ct = _select(viewer, catalog, "CT")
        [fusion] = catalog["series"][ct]["fusions"]
        viewer.page.evaluate(f"() => window.lightbox.select({ct}, 1)")
        state = viewer.wait_state("s.frame === 1")
        listed = next(o for o in state["overlays"] if o["kind"] == "fusion")
        assert listed["visible"] is False
        assert np.array_equal(_frame(viewer, True), _frame(viewer, False))
        change = {"uid": fusion["uid"], "visible": True, "opacity": 0.6, "colormap": "grey"}
        change["window"] = [0, 1000]
        viewer.page.evaluate(f"() => window.lightbox.setOverlay({json.dumps(change)})")
        plain, shown = _frame(viewer, False), _frame(viewer, True)
        rr, cc = np.mgrid[0:40, 0:48].astype(float)
        x, y, z = 0.5 * cc, 0.5 * rr, np.full_like(cc, 2.0)
        px, py, pz = (x + 1.0) / 2.0, (y + 2.0) / 2.5, (z + 1.0) / 2.0
        want = map_coordinates(pet.astype(float), [pz, py, px], order=1, mode="nearest")
        grey = np.rint(255 * np.clip(want / 1000, 0, 1))
        alpha = round(0.6 * 255) / 255
        expected = (1 - alpha) * plain[..., 0] + alpha * grey
        strict = (px <= 11) & (py <= 9)
        assert np.abs(shown[strict, 0] - expected[strict]).max() <= 2
        beyond = (px > 11.5) | (py > 9.5)
        assert np.array_equal(shown[beyond], plain[beyond])
        change = {"uid": fusion["uid"], "colormap": "hot-iron", "window": None}
        viewer.page.evaluate(f"() => window.lightbox.setOverlay({json.dumps(change)})")
        viewer.wait_state("s.overlays.some(o => o.kind === 'fusion' && o.colormap === 'hot-iron')")
        viewer.shot("fusion-hot-iron")
    finally:
        finish(context, viewer)
