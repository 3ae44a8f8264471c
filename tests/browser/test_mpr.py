"""The MPR layout (issue 14 item 2): four linked planes of one volume, through the page.

Expectations come from outside the page: each pane's pixels from
``tests.support.volumes.reference`` (scipy's ``map_coordinates`` over the stored slices
at the points its ``reslice`` names); where a guide must be drawn and what a drag must do
from the fitted image's geometry worked here (the image fitted into the pane and
centred, PS3.3's pixel-to-patient equation); a turn of the free plane by Rodrigues'
formula written here.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tests.support import volumes as known
from tests.support.viewer import Viewer

WINDOW = (100.0, 1200.0)
PLANES = ["axial", "coronal", "sagittal", "oblique"]
#: The planes' guide colours (page/mpr.js PLANE_COLORS), as RGB.
COLORS = {
    "axial": (0xE2, 0x57, 0x4C),
    "sagittal": (0xE6, 0xC2, 0x29),
    "oblique": (0x4E, 0xA3, 0xFF),
}
EVEN = known.series([2.5 * k for k in range(24)], rows=56, columns=64, name="mpr-even")


def _mpr(viewer: Viewer, folder: Path) -> dict:
    viewer.choose(known.write(EVEN, folder))
    viewer.wait_state(f"s.series === 0 && s.frames === {len(EVEN)}")
    viewer.page.evaluate(f"() => window.lightbox.setWindow({WINDOW[0]}, {WINDOW[1]})")
    viewer.page.evaluate("() => window.lightbox.setLayout('mpr')")
    return viewer.state()


def _pane(viewer: Viewer, index: int) -> dict:
    viewer.page.evaluate(f"() => window.lightbox.activate({index})")
    return viewer.state()


def _normal(reslice: dict) -> np.ndarray:
    return np.cross(reslice["rowDirection"], reslice["columnDirection"])


def _fit(viewer: Viewer, index: int, reslice: dict) -> tuple[float, float, float, dict]:
    """The fitted image's scale (CSS px per mm) and top-left corner in client
    coordinates, worked from the pane's box: the image's extent in mm (its pixels at
    their spacing) contained in the box and centred, no zoom or pan."""
    box = viewer.page.evaluate(
        f"""() => {{
            const r = document.querySelectorAll('.pane')[{index}].getBoundingClientRect();
            return {{left: r.left, top: r.top, width: r.width, height: r.height,
                     ratio: window.devicePixelRatio}};
        }}"""
    )
    wide = reslice["columns"] * reslice["columnSpacing"]
    tall = reslice["rows"] * reslice["rowSpacing"]
    # The canvas is the pane's box in device pixels, rounded; the fit is in those.
    width, height = round(box["width"] * box["ratio"]), round(box["height"] * box["ratio"])
    per_mm = min(width / wide, height / tall) / box["ratio"]
    left = box["left"] + (box["width"] - wide * per_mm) / 2
    top = box["top"] + (box["height"] - tall * per_mm) / 2
    return per_mm, left, top, box


def _client(viewer: Viewer, index: int, reslice: dict, point: np.ndarray) -> tuple[float, float]:
    """Where a patient point falls on pane ``index``, in client (CSS) pixels."""
    per_mm, left, top, _ = _fit(viewer, index, reslice)
    d = np.asarray(point) - np.asarray(reslice["origin"])
    across = d @ np.asarray(reslice["rowDirection"]) + 0.5 * reslice["columnSpacing"]
    down = d @ np.asarray(reslice["columnDirection"]) + 0.5 * reslice["rowSpacing"]
    return left + across * per_mm, top + down * per_mm


def _layer(viewer: Viewer, index: int) -> np.ndarray:
    """The pane's measurement layer (guides, measurements) as (rows, columns, 4)."""
    got = viewer.page.evaluate(
        f"""() => {{
            const c = document.querySelectorAll('.pane')[{index}].querySelector('.measure-layer');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            return {{width: c.width, height: c.height, data: Array.from(d)}};
        }}"""
    )
    return np.asarray(got["data"], dtype=np.uint8).reshape(got["height"], got["width"], 4)


def _colored(layer: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 12) -> np.ndarray:
    near = np.abs(layer[..., :3].astype(int) - rgb) <= tolerance
    return np.all(near, axis=-1) & (layer[..., 3] > 200)


def _rotate(vector: np.ndarray, axis: np.ndarray, degrees: float) -> np.ndarray:
    k = np.asarray(axis, float) / np.linalg.norm(axis)
    t = math.radians(degrees)
    v = np.asarray(vector, float)
    return v * math.cos(t) + np.cross(k, v) * math.sin(t) + k * (k @ v) * (1 - math.cos(t))


def test_four_planes_through_one_crosshair_each_the_volume_sampled(
    viewer: Viewer, tmp_path: Path
) -> None:
    state = _mpr(viewer, tmp_path / "even")
    assert state["layout"] == "mpr"
    crosshair = np.asarray(state["mpr"]["crosshair"])
    normals = []
    for index, plane in enumerate(PLANES):
        pane = _pane(viewer, index)
        assert pane["view"]["plane"] == plane
        assert (pane["windowCenter"], pane["windowWidth"]) == WINDOW
        normal = _normal(pane["reslice"])
        normals.append(normal)
        # Every plane goes through the crosshair.
        assert pane["view"]["position"] == pytest.approx(float(crosshair @ normal), abs=1e-3)
        known.check_view(viewer.frame(), EVEN, pane["reslice"], WINDOW)
    # The orientation markers of each plane (PS3.3 C.7.6.1.1.1: L, P, H in +x, +y, +z).
    markers = viewer.page.evaluate(
        """() => [...document.querySelectorAll('.pane')].slice(0, 3).map((p) =>
            ['top', 'right', 'bottom', 'left'].map(
                (edge) => p.querySelector('.marker-' + edge).textContent))"""
    )
    assert markers == [["A", "L", "P", "R"], ["H", "L", "F", "R"], ["H", "P", "F", "A"]]
    # Three orthogonal planes and a free one that is none of them.
    assert np.abs(np.array(normals[:3]) @ np.array(normals[:3]).T - np.eye(3)).max() < 1e-6
    assert all(abs(abs(normals[3] @ n) - 1) > 0.05 for n in normals[:3])
    viewer.shot("mpr-layout")


def test_the_guides_are_drawn_where_the_other_planes_cut(viewer: Viewer, tmp_path: Path) -> None:
    state = _mpr(viewer, tmp_path / "even")
    crosshair = np.asarray(state["mpr"]["crosshair"])
    coronal = _pane(viewer, 1)["reslice"]
    x, y = _client(viewer, 1, coronal, crosshair)
    _, _, _, box = _fit(viewer, 1, coronal)
    layer = _layer(viewer, 1)
    ratio = box["ratio"]
    row = round((y - box["top"]) * ratio)
    column = round((x - box["left"]) * ratio)
    # The axial plane cuts a coronal view along a row, the sagittal one along a column.
    axial = _colored(layer, COLORS["axial"])
    sagittal = _colored(layer, COLORS["sagittal"])
    rows_with_axial = np.nonzero(axial.sum(axis=1) > layer.shape[1] // 2)[0]
    columns_with_sagittal = np.nonzero(sagittal.sum(axis=0) > layer.shape[0] // 2)[0]
    assert rows_with_axial.size and abs(rows_with_axial.mean() - row) <= 2, (row, rows_with_axial)
    assert columns_with_sagittal.size and abs(columns_with_sagittal.mean() - column) <= 2
    assert _colored(layer, COLORS["oblique"]).sum() > 100, "the free plane's line is drawn"


def test_dragging_the_centre_moves_the_crosshair_and_the_other_planes(
    viewer: Viewer, tmp_path: Path
) -> None:
    state = _mpr(viewer, tmp_path / "even")
    before = np.asarray(state["mpr"]["crosshair"])
    axial = _pane(viewer, 0)["reslice"]
    per_mm, *_ = _fit(viewer, 0, axial)
    x, y = _client(viewer, 0, axial, before)
    mouse = viewer.page.mouse
    mouse.move(x, y)
    mouse.down()
    for k in range(1, 6):
        mouse.move(x + 4 * k, y + 2 * k)
    mouse.up()
    state = viewer.wait_state("s.mpr && s.mpr.crosshair")
    after = np.asarray(state["mpr"]["crosshair"])
    expected = (
        before
        + 20 / per_mm * np.asarray(axial["rowDirection"])
        + 10 / per_mm * np.asarray(axial["columnDirection"])
    )
    assert np.abs(after - expected).max() < 0.05, (after, expected)
    for index in (1, 2, 3):
        pane = _pane(viewer, index)
        assert pane["view"]["position"] == pytest.approx(float(after @ _normal(pane["reslice"])))
        known.check_view(viewer.frame(), EVEN, pane["reslice"], WINDOW)
    viewer.shot("mpr-dragged")


def test_scrolling_one_plane_carries_the_crosshair_along_its_normal(
    viewer: Viewer, tmp_path: Path
) -> None:
    state = _mpr(viewer, tmp_path / "even")
    before = np.asarray(state["mpr"]["crosshair"])
    others = [_pane(viewer, i)["view"]["position"] for i in (0, 2)]
    coronal = _pane(viewer, 1)
    viewer.page.locator(".pane").nth(1).focus()
    viewer.page.keyboard.press("ArrowDown")
    viewer.page.keyboard.press("ArrowDown")
    start, step = coronal["view"]["position"], coronal["view"]["step"]
    moved = viewer.wait_state(f"Math.abs(s.view.position - {start}) > 2 * {step} - 1e-6")
    normal = _normal(coronal["reslice"])
    after = np.asarray(moved["mpr"]["crosshair"])
    assert np.abs(after - (before + 2 * step * normal)).max() < 1e-3
    assert [_pane(viewer, i)["view"]["position"] for i in (0, 2)] == pytest.approx(others)
    reslice = _pane(viewer, 1)["reslice"]
    known.check_view(viewer.frame(), EVEN, reslice, WINDOW)


def test_the_free_plane_turns_by_keys_and_by_dragging_its_line(
    viewer: Viewer, tmp_path: Path
) -> None:
    state = _mpr(viewer, tmp_path / "even")
    start = np.asarray(state["mpr"]["freeNormal"])
    crosshair = np.asarray(state["mpr"]["crosshair"])
    axial = _pane(viewer, 0)["reslice"]
    axial_normal = _normal(axial)
    viewer.page.keyboard.press("]")
    viewer.page.keyboard.press("]")
    free = _pane(viewer, 3)
    expected = _rotate(start, axial_normal, 10.0)
    assert np.abs(_normal(free["reslice"]) - expected).max() < 1e-6
    assert free["view"]["position"] == pytest.approx(float(crosshair @ expected))
    known.check_view(viewer.frame(), EVEN, free["reslice"], WINDOW)
    viewer.shot("mpr-turned-by-keys")
    # Drag the free plane's line in the axial pane a quarter turn clockwise about the centre.
    _pane(viewer, 0)
    along = np.cross(axial_normal, expected)  # the line's direction in patient space
    radius_mm = 22.0
    cx, cy = _client(viewer, 0, axial, crosshair)
    hx, hy = _client(viewer, 0, axial, crosshair + radius_mm * along / np.linalg.norm(along))
    mouse = viewer.page.mouse
    mouse.move(hx, hy)
    mouse.down()
    r = math.hypot(hx - cx, hy - cy)
    a0 = math.atan2(hy - cy, hx - cx)
    for k in range(1, 10):
        a = a0 + math.radians(30.0) * k / 9
        mouse.move(cx + r * math.cos(a), cy + r * math.sin(a))
    mouse.up()
    turned = _pane(viewer, 3)
    # Clockwise on screen is a right-handed turn about the axial normal (it points into
    # the screen: rows × columns).
    want = _rotate(expected, axial_normal, 30.0)
    assert np.abs(_normal(turned["reslice"]) - want).max() < 0.02, (
        _normal(turned["reslice"]),
        want,
    )
    known.check_view(viewer.frame(), EVEN, turned["reslice"], WINDOW)
    viewer.shot("mpr-turned-by-drag")


def test_a_length_on_a_coronal_view_is_in_patient_mm(viewer: Viewer, tmp_path: Path) -> None:
    # Two spheres of the lattice 20 mm apart head to foot, on the coronal plane y = -20 mm
    # (it goes through sphere centres: every 20 mm), clear of the crosshair's lines.
    _mpr(viewer, tmp_path / "even")
    viewer.page.evaluate("() => window.lightbox.setCrosshair([0, -20, 10])")
    coronal = _pane(viewer, 1)
    assert coronal["view"]["position"] == pytest.approx(-20.0)
    viewer.page.evaluate("() => window.lightbox.setTool('length')")
    a = np.array([20.0, -20.0, 0.0])
    b = np.array([20.0, -20.0, 20.0])
    ax, ay = _client(viewer, 1, coronal["reslice"], a)
    bx, by = _client(viewer, 1, coronal["reslice"], b)
    mouse = viewer.page.mouse
    mouse.move(ax, ay)
    mouse.down()
    mouse.move((ax + bx) / 2, (ay + by) / 2)
    mouse.move(bx, by)
    mouse.up()
    state = viewer.wait_state("s.measurements.length === 1")
    assert state["measurements"][0]["where"] == "Coronal  -20.0 mm"
    result = state["measurements"][0]["result"]
    per_mm, *_ = _fit(viewer, 1, coronal["reslice"])
    assert result["unit"] == "mm"
    # Within the mouse's whole-pixel positions: half a CSS pixel at each end.
    assert result["value"] == pytest.approx(20.0, abs=1.0 / per_mm)
    # The spheres are where the length's ends are: bright (400 HU over the ramp).
    got = viewer.frame()
    for point in (a, b):
        d = point - np.asarray(coronal["reslice"]["origin"])
        reslice = coronal["reslice"]
        column = round(d @ np.asarray(reslice["rowDirection"]) / reslice["columnSpacing"])
        row = round(d @ np.asarray(reslice["columnDirection"]) / reslice["rowSpacing"])
        inside = known.content(point[None])[0]
        # Within a grey level: the page interpolates the stored (rounded) values.
        assert abs(int(got[row, column, 0]) - known.windowed(np.array([inside]), *WINDOW)[0]) <= 1
    viewer.shot("mpr-length-coronal")
    # The length belongs to that view: scrolled away, it is not drawn there.
    layer = _layer(viewer, 1)
    yellow = _colored(layer, (0xFF, 0xD5, 0x4A)).sum()
    assert yellow > 20
    viewer.page.keyboard.press("ArrowDown")
    viewer.wait_state(f"Math.abs(s.view.position - {coronal['view']['position']}) > 0.5")
    assert _colored(_layer(viewer, 1), (0xFF, 0xD5, 0x4A)).sum() < yellow / 4


def _drag(viewer: Viewer, start: tuple[float, float], end: tuple[float, float]) -> None:
    mouse = viewer.page.mouse
    mouse.move(*start)
    mouse.down()
    mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
    mouse.move(*end)
    mouse.up()


def test_the_probe_and_a_region_on_a_coronal_view_read_the_volume_there(
    viewer: Viewer, tmp_path: Path
) -> None:
    # Expected values: the reference volume (map_coordinates over the stored slices) at
    # the patient points the view's reslice gives the pixels; the region's pixels are
    # those whose centres lie in the drawn box (the measurement's own corner points).
    _mpr(viewer, tmp_path / "even")
    viewer.page.evaluate("() => window.lightbox.setCrosshair([0, -20, 10])")
    coronal = _pane(viewer, 1)
    reslice = coronal["reslice"]
    viewer.page.evaluate("() => window.lightbox.setTool('probe')")
    point = np.array([20.0, -20.0, 0.0])  # a sphere's centre, off the crosshair's lines
    viewer.page.mouse.click(*(round(v) for v in _client(viewer, 1, reslice, point)))
    probe = viewer.wait_state("s.measurements.length === 1")["measurements"][0]
    assert probe["kind"] == "probe" and probe["where"] == "Coronal  -20.0 mm"
    found = probe["result"]
    pixel = known.reslice_points(reslice)[found["row"], found["column"]]
    assert np.allclose(found["patient"], pixel, atol=1e-6)
    assert np.abs(pixel - point).max() <= max(reslice["rowSpacing"], reslice["columnSpacing"])
    want, inside = known.reference(EVEN, pixel[None])
    assert inside[0] and found["value"] == pytest.approx(want[0], abs=0.05)
    assert found["stored"] is None and found["unit"] == "HU"

    viewer.page.evaluate("() => window.lightbox.setTool('rect')")
    corner_a = np.array([-25.0, -20.0, 20.0])
    corner_b = np.array([5.0, -20.0, 40.0])
    _drag(
        viewer,
        tuple(round(v) for v in _client(viewer, 1, reslice, corner_a)),
        tuple(round(v) for v in _client(viewer, 1, reslice, corner_b)),
    )
    region = viewer.wait_state("s.measurements.length === 2")["measurements"][1]
    (x0, y0), (x1, y1) = region["points"]
    points = known.reslice_points(reslice)
    rows, columns = np.mgrid[0 : reslice["rows"], 0 : reslice["columns"]]
    centre_x, centre_y = columns + 0.5, rows + 0.5
    mask = (
        (centre_x >= min(x0, x1))
        & (centre_x <= max(x0, x1))
        & (centre_y >= min(y0, y1))
        & (centre_y <= max(y0, y1))
    )
    values, inside = known.reference(EVEN, points[mask])
    assert inside.all() and mask.sum() > 100
    stats = region["result"]
    assert stats["pixels"] == mask.sum()
    assert stats["mean"] == pytest.approx(values.mean(), abs=0.05)
    assert stats["min"] == pytest.approx(values.min(), abs=0.05)
    assert stats["max"] == pytest.approx(values.max(), abs=0.05)
    area = abs(x1 - x0) * reslice["columnSpacing"] * abs(y1 - y0) * reslice["rowSpacing"]
    assert stats["areaUnit"] == "mm²" and stats["area"] == pytest.approx(area)
    viewer.shot("mpr-probe-region-coronal")


def test_a_series_that_is_not_a_volume_is_refused_with_the_reason(
    viewer: Viewer, tmp_path: Path
) -> None:
    one = known.series([0.0], rows=32, columns=32, name="mpr-one")
    viewer.choose(known.write(one, tmp_path / "one"))
    viewer.wait_state("s.series === 0 && s.frames === 1")
    error = viewer.page.evaluate(
        "() => window.lightbox.setLayout('mpr').then(() => null, (e) => e.message)"
    )
    assert error and "MPR is not offered" in error, error
    state = viewer.state()
    assert state["layout"] == "1x1" and state["mpr"] is None and state["view"] is None
    assert viewer.frame().shape == (32, 32, 4)
