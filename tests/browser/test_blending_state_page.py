"""A Blending Softcopy Presentation State through the real page (issue 16 item 1; PS3.3
A.33.4, PS3.4 N.2.4).

The generated CT, PET and state of tests/unit/session/test_blending_state.py: the state is
listed in the CT's Presentation states panel; one click applies it, and
``renderedFrame()`` is the CT under the state's window (Yu), ``renderedFrame({overlays:
true})`` the blend worked here from the standard (Ro = Rs·A + Yu·(1 − A), Go = Bo =
Yu·(1 − A), A = 0.4, the PET resampled by scipy's map_coordinates through its window and
the red ramp), the CT alone where the PET does not reach; scrolling keeps it on the next
slice; the probe gives the CT's value; another click removes it all. Without the PET open,
the panel says so, by its catalog id. A state with an ICC Profile (C.11.15) shows the whole
blend converted through it (PS3.4 N.2.4), as Little CMS (Pillow's ImageCms) converts the
blend worked here. On a coronal view of the CT the blend is drawn as on its slices, the
plane under the state's window, the PET sampled by map_coordinates at the plane's points.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Browser
from scipy.ndimage import map_coordinates

from tests.browser.test_color_profiles import _little_cms
from tests.browser.test_segmentation import _frame, _select
from tests.support import icc
from tests.support.paths import written
from tests.support.viewer import Viewer, finish, new_viewer, to_screen
from tests.unit.session.test_blending_state import (
    OPACITY,
    OVER,
    UNDER,
    _linear,
    blend_files,
    expected,
)


@contextmanager
def _opened(
    browser: Browser, base_url: str, paths: list[Path]
) -> Iterator[tuple[Viewer, dict, int]]:
    """The files opened in a viewer of its own (an applied state is the page's), the CT
    series selected: the viewer, the catalog and the CT's index; closed on leaving."""
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose(paths)
        catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
        yield viewer, catalog, _select(viewer, catalog, "CT")
    finally:
        finish(context, viewer)


def _check_blend(plain: np.ndarray, shown: np.ndarray, want: tuple[np.ndarray, ...]) -> None:
    yu, rs, strict, beyond = want
    assert np.abs(plain[..., 0] - 255 * yu).max() <= 0.5 + 1e-9  # the underlying's VOI
    assert (plain[..., 0] == plain[..., 1]).all() and (plain[..., 0] == plain[..., 2]).all()
    red = 255 * (rs * OPACITY + yu * (1 - OPACITY))
    rest = 255 * (yu * (1 - OPACITY))
    assert np.abs(shown[strict, 0] - red[strict]).max() <= 1.5
    assert np.abs(shown[strict, 1] - rest[strict]).max() <= 1.5
    assert np.abs(shown[strict, 2] - rest[strict]).max() <= 1.5
    assert np.array_equal(shown[beyond], plain[beyond])


def test_blending_state_applied_scrolled_probed_and_removed(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    files, uid, stack, pet = blend_files()
    with _opened(browser, base_url, written(tmp_path, files)) as (viewer, catalog, ct):
        pt = next(i for i, s in enumerate(catalog["series"]) if s["modality"] == "PT")
        assert any(o["kind"] == "PR" and o["uid"] == uid for o in catalog["series"][ct]["objects"])
        viewer.page.evaluate(f"() => window.lightbox.select({ct}, 1)")
        viewer.wait_state("s.frame === 1")
        before = _frame(viewer, False)
        # one click in the panel applies it
        viewer.page.click("#presentation-list button:has-text('BLEND')")
        state = viewer.wait_state(
            "s.presentation !== null && s.overlays.some(o => o.kind === 'blend')"
        )
        assert state["presentation"]["uid"] == uid
        blend = next(o for o in state["overlays"] if o["kind"] == "blend")
        assert blend["uid"] == catalog["series"][pt]["uid"] and blend["presentation"] == uid
        assert blend["opacity"] == pytest.approx(OPACITY) and blend["visible"] is True
        assert state["windowSource"] == "presentation state"
        plain, shown = _frame(viewer, False), _frame(viewer, True)
        assert not np.array_equal(plain, before)  # the state's window, not the file's
        _check_blend(plain, shown, expected(stack, pet, 1))
        viewer.shot("blending-applied")

        # scrolling keeps the blend on the next slice (z = 4 mm)
        viewer.page.evaluate(f"() => window.lightbox.select({ct}, 2)")
        viewer.wait_state("s.frame === 2 && s.overlays.some(o => o.kind === 'blend')")
        _check_blend(_frame(viewer, False), _frame(viewer, True), expected(stack, pet, 2))

        # the probe still gives the CT's value
        viewer.page.keyboard.press("x")
        viewer.page.mouse.click(*to_screen(viewer, 10.5, 7.5, 48, 40))
        state = viewer.wait_state("s.measurements.length === 1")
        result = state["measurements"][0]["result"]
        assert result["value"] == pytest.approx((7 * 48 + 10) * 10 + 2 - 1024)

        # another click removes it all
        viewer.page.click("#presentation-list button[aria-pressed='true']")
        state = viewer.wait_state("s.presentation === null")
        assert not any(o["kind"] == "blend" for o in state["overlays"])
        off, off_layers = _frame(viewer, False), _frame(viewer, True)
        assert np.array_equal(off, off_layers)  # the PET is a fusion hidden until shown
        assert not np.array_equal(off, _frame_of(viewer, 2, uid))
        viewer.shot("blending-removed")


def _frame_of(viewer: Viewer, frame: int, uid: str) -> np.ndarray:
    """The blend of slice ``frame`` once more (applied through the API), then removed."""
    viewer.page.evaluate("(uid) => window.lightbox.applyPresentation(uid)", uid)
    viewer.wait_state(f"s.frame === {frame} && s.overlays.some(o => o.kind === 'blend')")
    got = _frame(viewer, True)
    viewer.page.evaluate("() => window.lightbox.applyPresentation(null)")
    viewer.wait_state("s.presentation === null")
    return got


def test_blending_state_without_its_superimposed_series_says_so(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    files, uid, _, _ = blend_files(with_pet=False)
    with _opened(browser, base_url, written(tmp_path, files)) as (viewer, _catalog, _ct):
        viewer.page.evaluate("(uid) => window.lightbox.applyPresentation(uid)", uid)
        state = viewer.wait_state("s.presentation !== null")
        blend = next(o for o in state["overlays"] if o["kind"] == "blend")
        assert blend["open"] is False
        note = viewer.page.locator(".presentation-warning")
        note.wait_for()
        assert "is not open" in note.inner_text()
        assert np.array_equal(_frame(viewer, False), _frame(viewer, True))
        viewer.page.evaluate("() => window.lightbox.setLanguage('de')")
        viewer.page.wait_for_function(
            "() => document.querySelector('.presentation-warning')?.textContent"
            ".includes('ist nicht geöffnet')"
        )
        viewer.shot("blending-not-open")


def test_blending_state_with_an_icc_profile_converts_the_whole_blend(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    # The Adobe-RGB-like profile of tests/support/icc.py in the state: the blend (its red
    # far from sRGB's) and the CT alone beyond the PET, both through the profile.
    profile = icc.matrix_profile()
    files, uid, stack, pet = blend_files(icc=profile)
    with _opened(browser, base_url, written(tmp_path, files)) as (viewer, _catalog, ct):
        viewer.page.evaluate(f"() => window.lightbox.select({ct}, 1)")
        viewer.wait_state("s.frame === 1")
        viewer.page.evaluate("(uid) => window.lightbox.applyPresentation(uid)", uid)
        viewer.wait_state("s.presentation !== null && s.overlays.some(o => o.kind === 'blend')")
        plain, shown = _frame(viewer, False), _frame(viewer, True)
        yu, rs, strict, beyond = expected(stack, pet, 1)
        assert np.abs(plain[..., 0] - 255 * yu).max() <= 0.5 + 1e-9  # renderedFrame(): grey
        yu = np.rint(255 * yu) / 255  # the underlying's grey as shown, 8 bits
        blend = np.repeat(255 * yu[..., None], 3, axis=-1)  # N.2.4.3 worked here
        blend[strict, 0] = 255 * (rs[strict] * OPACITY + yu[strict] * (1 - OPACITY))
        blend[strict, 1:] = 255 * (yu[strict, None] * (1 - OPACITY))
        want = _little_cms(np.rint(blend).astype(np.uint8), profile).astype(int)
        got = shown[..., :3].astype(int)
        both = strict | beyond
        assert np.abs(got[both] - want[both]).max() <= 2
        assert np.abs(got[strict] - np.rint(blend[strict])).max() > 10  # not the plain blend
        viewer.shot("blending-icc")


def test_blending_state_on_a_coronal_view(browser: Browser, base_url: str, tmp_path: Path) -> None:
    files, uid, stack, pet = blend_files()
    with _opened(browser, base_url, written(tmp_path, files)) as (viewer, _catalog, ct):
        viewer.page.evaluate("(uid) => window.lightbox.applyPresentation(uid)", uid)
        viewer.wait_state("s.presentation !== null && s.overlays.some(o => o.kind === 'blend')")
        view = {"plane": "coronal", "position": 4.0}
        viewer.page.evaluate("(view) => window.lightbox.setView(view)", view)
        state = viewer.wait_state(
            "s.view && s.view.plane === 'coronal' && !!s.reslice"
            " && s.overlays.some(o => o.kind === 'blend' && o.onFrame)"
        )
        assert state["series"] == ct and state["windowSource"] == "presentation state"
        reslice = state["reslice"]
        plain, shown = _frame(viewer, False), _frame(viewer, True)
        rows, columns = plain.shape[:2]
        r, c = np.mgrid[0:rows, 0:columns].astype(float)
        at = (
            np.asarray(reslice["origin"])
            + (c * reslice["columnSpacing"])[..., None] * np.asarray(reslice["rowDirection"])
            + (r * reslice["rowSpacing"])[..., None] * np.asarray(reslice["columnDirection"])
        )
        x, y, z = at[..., 0], at[..., 1], at[..., 2]
        hu = np.stack([ds.pixel_array.astype(float) for ds in stack.datasets]) - 1024.0
        k = z / 2.0
        ct_values = map_coordinates(hu, [k, y / 0.5, x / 0.5], order=1, mode="nearest")
        yu = _linear(ct_values, *UNDER)
        px, py, pz = (x + 1.0) / 2.0, (y + 2.0) / 2.5, (z + 1.0) / 2.0
        values = map_coordinates(pet, [pz, py, px], order=1, mode="nearest")
        rs = np.floor(_linear(values, *OVER) * 255 + 0.5) * 257 / 65535
        within = (k >= 0) & (k <= 2)  # between the CT's outer slices
        strict, beyond = within & (px <= 11), within & (px > 11.5)
        assert strict.sum() > 100 and beyond.sum() >= 6  # 2 mm rows: the three slices
        assert np.abs(plain[within, 0] - 255 * yu[within]).max() <= 1.0  # the state's window
        red = 255 * (rs * OPACITY + yu * (1 - OPACITY))
        rest = 255 * (yu * (1 - OPACITY))
        assert np.abs(shown[strict, 0] - red[strict]).max() <= 2.0
        assert np.abs(shown[strict, 1] - rest[strict]).max() <= 2.0
        assert np.abs(shown[strict, 2] - rest[strict]).max() <= 2.0
        assert np.array_equal(shown[beyond], plain[beyond])
        viewer.shot("blending-coronal")
