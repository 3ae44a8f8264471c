"""SEG segments in the 3D view through the real page (issue 16 item 4).

A generated CT (tests/support/segs.py: 0.5 mm pixels, slices 2 mm apart, axial) of air
(-1000 HU) with a block of 3000 HU, and a SEG of two segments, each a box of voxels given
here. The camera faces the patient's front (azimuth 0, elevation 0: rays along +y), so a
box projects onto the rectangle its corners' patient x and z span, worked out here from
``state().reslice`` (pixel (r, c) is the ray through origin + c·columnSpacing·rowDirection
+ r·rowSpacing·columnDirection). Inside that rectangle, kept one voxel off its edges (where
the box's side faces light it less), the ray first meets the box's front face, lit head
on; the documented rule (docs/ARCHITECTURE.md, "The 3D view") then gives each pixel
α·colour + (1 − α)·the same render without the SEG, α the opacity (as a byte, 0.6 → 153),
colour the sRGB of the segment's CIELab value (the standard's formula,
tests/unit/segment/test_color.py). The second box lies in front of the 3000 HU block, so
its pixels blend over a lit background; in MIP over the MIP's grey. The render without
the SEG is the same page's with the SEG hidden. Renders are kept small (a 560 × 420 page).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from playwright.sync_api import Browser

from tests.browser.test_segmentation import _select
from tests.support import segs
from tests.support.paths import written
from tests.support.viewer import Viewer, finish, new_viewer
from tests.unit.segment.test_color import expected as lab_expected
from tools.synth import to_bytes

RED_LAB = (21169, 53249, 50708)
GREEN_LAB = (43803, 26565, 37722)
ROWS, COLS, SLICES = 32, 32, 16
#: (slices, rows, columns) of each segment's box; the 3000 HU block behind the second
BOXES = (
    (slice(3, 8), slice(4, 12), slice(3, 13)),
    (slice(9, 14), slice(14, 22), slice(17, 29)),
)
BLOCK = (slice(8, 15), slice(26, 30), slice(15, 31))
OPACITY = 0.6
ALPHA = round(OPACITY * 255) / 255


def _stack() -> segs.Stack:
    stack = segs.ct_stack(rows=ROWS, cols=COLS, slices=SLICES)
    hu = np.full((SLICES, ROWS, COLS), -1000.0)
    hu[BLOCK] = 3000.0
    for k, ds in enumerate(stack.datasets):
        ds.PixelData = (hu[k] + 1024.0).astype(np.uint16).tobytes()  # Rescale -1024
        stack.files[f"ct{k + 1}.dcm"] = to_bytes(ds)
    return stack


def _seg(stack: segs.Stack) -> tuple[bytes, str]:
    frames = []
    for number, box in enumerate(BOXES, start=1):
        full = np.zeros((SLICES, ROWS, COLS))
        full[box] = 1
        frames += [(number, k, full[k]) for k in range(SLICES) if full[k].any()]
    data, ds = segs.seg_bytes(stack, frames, [("Red", RED_LAB), ("Green", GREEN_LAB)])
    return data, ds.SOPInstanceUID


def _inside(reslice: dict, box: tuple[slice, slice, slice], shape: tuple[int, int]) -> np.ndarray:
    """The pixels whose rays meet the box's front face at least a voxel from its edges."""
    k, _, c = box
    x0, x1 = 0.5 * (c.start - 0.5) + 0.5, 0.5 * (c.stop - 0.5) - 0.5  # one voxel in
    z0, z1 = 2.0 * (k.start - 0.5) + 2.0, 2.0 * (k.stop - 0.5) - 2.0
    rows, columns = np.mgrid[0 : shape[0], 0 : shape[1]]
    origin = np.asarray(reslice["origin"])
    points = (
        origin
        + (columns * reslice["columnSpacing"])[..., None] * np.asarray(reslice["rowDirection"])
        + (rows * reslice["rowSpacing"])[..., None] * np.asarray(reslice["columnDirection"])
    )
    x, z = points[..., 0], points[..., 2]
    return (x > x0) & (x < x1) & (z > z0) & (z < z1)


def _grown(box: tuple[slice, slice, slice]) -> tuple[slice, slice, slice]:
    """The box two voxels larger each way (so that :func:`_inside` is it and a voxel more)."""
    return tuple(slice(b.start - 2, b.stop + 2) for b in box)  # type: ignore[return-value]


def _overlay(viewer: Viewer, change: dict) -> None:
    viewer.page.evaluate(f"() => window.lightbox.setOverlay({json.dumps(change)})")


def test_segments_in_the_3d_view(browser: Browser, base_url: str, tmp_path: Path) -> None:
    stack = _stack()
    seg, uid = _seg(stack)
    paths = written(tmp_path, [*stack.files.items(), ("seg.dcm", seg)])
    context, viewer = new_viewer(browser, base_url, viewport={"width": 560, "height": 420})
    try:
        viewer.ready()
        viewer.choose(paths)
        _select(viewer, viewer.catalog(), "CT")
        _overlay(viewer, {"uid": uid, "visible": False, "opacity": OPACITY})
        view = {"mode": "3d", "preset": "bone", "azimuth": 0, "elevation": 0}
        viewer.page.evaluate("(view) => window.lightbox.setView(view)", view)
        state = viewer.wait_state("s.view && s.view.mode === '3d'")
        reslice = state["reslice"]
        normal = np.cross(reslice["rowDirection"], reslice["columnDirection"])
        assert np.allclose(np.abs(normal), [0, 1, 0])  # rays along patient y
        plain = viewer.frame()[..., :3].astype(np.float64)
        shape = plain.shape[:2]
        first, second = (_inside(reslice, box, shape) for box in BOXES)
        assert first.sum() > 200 and second.sum() > 200
        assert plain[first].max() == 0  # air: nothing in front of or behind the first box
        assert plain[second].min() > 60  # the block lit behind the second

        _overlay(viewer, {"uid": uid, "visible": True})
        shown = viewer.frame()[..., :3].astype(np.float64)
        viewer.shot("seg3d-bone")
        listed = viewer.state()["overlays"][0]["segments"]  # the legend: both in the rendering
        assert [(s["label"], s["visible"], s["onFrame"]) for s in listed] == [
            ("Red", True, True),
            ("Green", True, True),
        ]
        red, green = np.rint(lab_expected(RED_LAB)), np.rint(lab_expected(GREEN_LAB))
        for where, colour in ((first, red), (second, green)):
            want = ALPHA * colour + (1 - ALPHA) * plain[where]
            assert np.abs(shown[where] - want).max() <= 2, np.abs(shown[where] - want).max()
        # away from the boxes (two voxels off their edges): the render without the SEG
        near = [_inside(reslice, _grown(box), shape) for box in BOXES]
        elsewhere = ~(near[0] | near[1])
        assert np.array_equal(shown[elsewhere], plain[elsewhere])

        _overlay(viewer, {"uid": uid, "segment": 1, "visible": False})  # Red hidden
        hidden = viewer.frame()[..., :3].astype(np.float64)
        viewer.shot("seg3d-bone-red-hidden")
        assert np.array_equal(hidden[first], plain[first])
        assert np.array_equal(hidden[second], shown[second])

        # MIP: the segments' surfaces over the MIP's grey, by the same rule.
        _overlay(viewer, {"uid": uid, "segment": 1, "visible": True})
        viewer.page.evaluate(
            "() => window.lightbox.setView({mode: '3d', preset: 'mip', azimuth: 0, elevation: 0})"
        )
        viewer.page.evaluate("() => window.lightbox.setWindow(1000, 4000)")
        mip = viewer.frame()[..., :3].astype(np.float64)
        viewer.shot("seg3d-mip")
        _overlay(viewer, {"uid": uid, "visible": False})
        mip_plain = viewer.frame()[..., :3].astype(np.float64)
        assert mip_plain[second].min() > 200  # the block's grey behind the second box
        for where, colour in ((first, red), (second, green)):
            want = ALPHA * colour + (1 - ALPHA) * mip_plain[where]
            assert np.abs(mip[where] - want).max() <= 2, np.abs(mip[where] - want).max()
        assert viewer.state()["view"]["preset"] == "mip"

        # Turned: the boxes' faces shaded by their own normals (looked at in the shot).
        _overlay(viewer, {"uid": uid, "visible": True, "opacity": 1})
        turned = {"mode": "3d", "preset": "bone", "azimuth": 35, "elevation": 25}
        viewer.page.evaluate("(view) => window.lightbox.setView(view)", turned)
        got = viewer.frame()[..., :3].astype(np.float64)
        viewer.shot("seg3d-bone-turned")
        for colour in (red, green):
            seen = np.abs(got / np.maximum(got.max(-1, keepdims=True), 1) - colour / colour.max())
            assert (seen.max(-1) < 0.03).sum() > 200  # the segment's hue, shaded
    finally:
        finish(context, viewer)


def test_a_seg_that_cannot_be_read_leaves_the_3d_view_drawn_and_says_why(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    stack = _stack()
    full = np.zeros((SLICES, ROWS, COLS))
    full[BOXES[0]] = 1
    frames = [(1, k, full[k]) for k in range(SLICES) if full[k].any()]
    _, ds = segs.seg_bytes(stack, frames, [("Red", RED_LAB)])
    ds.PixelData = ds.PixelData[:10]  # cut short: its masks cannot be read
    paths = written(tmp_path, [*stack.files.items(), ("short.dcm", to_bytes(ds))])
    context, viewer = new_viewer(browser, base_url, viewport={"width": 560, "height": 420})
    try:
        viewer.ready()
        viewer.choose(paths)
        _select(viewer, viewer.catalog(), "CT")
        view = {"mode": "3d", "preset": "bone", "azimuth": 0, "elevation": 0}
        viewer.page.evaluate("(view) => window.lightbox.setView(view)", view)
        state = viewer.wait_state("s.view && s.view.mode === '3d'")
        got = viewer.frame()
        assert got.shape[:2] == (state["reslice"]["rows"], state["reslice"]["columns"])
        assert (got[..., :3].max(-1) > 60).sum() > 200  # the block is drawn
        message = viewer.page.locator('[data-pane="0"] .pane-message')
        assert message.is_visible()
        text = message.inner_text()
        assert "short.dcm" in text and "cannot be read" in text, text
        viewer.shot("seg3d-unreadable-seg")
    finally:
        finish(context, viewer)
