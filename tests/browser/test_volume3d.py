"""The 3D view in the page (issue 14 item 4): setView({mode: "3d"}), state().view,
renderedFrame() read back from software WebGL2, gestures, the message without WebGL2.

The truth is worked here, outside the code under test: the phantom is a field in
patient mm (a soft-edged body of 40 HU in air and a smooth bright sphere off centre, on
the patient's left, anterior and superior); the MIP expectation is numpy's ``max`` of the
files' stored values along the patient axis the camera looks down, interpolated
(scipy, order 1) at the pixels' patient positions and put through the standard's LINEAR
window; which side the sphere shows on follows from DICOM's patient axes (LPS) alone.
Tolerance of the MIP: the ray-caster interpolates trilinearly along the ray in half-voxel
steps before taking the maximum, numpy takes the maximum of the voxels, so the two differ
by the interpolation's dip between voxel centres (at most a few grey levels on this
smooth sphere).
"""

from __future__ import annotations

from copy import deepcopy
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Playwright
from scipy import ndimage

from lightbox.session.session import Session
from tests.support import volumes as known
from tests.support.viewer import BUILD, CHROMIUM, CHROMIUM_ARGS, Viewer, finish, new_viewer
from tools import synth
from tools.serve import serve_in_thread

SPHERE = np.array([25.0, -15.0, 20.0])  # left, anterior, superior of the centre (LPS mm)
SIGMA_MM = 6.0
PIXEL_MM, SLICE_MM, SIZE, SLICES = 2.0, 2.5, 64, 48
FIRST = (-63.0, -63.0, -58.75)  # the volume is centred on the patient origin
MIP_WINDOW = (600.0, 800.0)  # 200 .. 1000 HU: the body (40 HU) black, the sphere bright


def field(points: np.ndarray) -> np.ndarray:
    """HU: air, a body (ellipsoid 50 x 40 x 50 mm, edge over ~2 mm) and the sphere."""
    r = np.sqrt(np.sum((points / np.array([50.0, 40.0, 50.0])) ** 2, axis=-1))
    body = 1.0 / (1.0 + np.exp((r - 1.0) / 0.03))
    sphere = np.exp(-np.sum((points - SPHERE) ** 2, axis=-1) / (2 * SIGMA_MM**2))
    result: np.ndarray = -1000.0 + 1040.0 * body + 1000.0 * sphere
    return result


PHANTOM = known.series(
    [SLICE_MM * k for k in range(SLICES)],
    rows=SIZE,
    columns=SIZE,
    pixel_mm=PIXEL_MM,
    first=FIRST,
    field=field,
    name="browser-3d",
)


def _open(viewer: Viewer, folder: Path) -> None:
    viewer.choose(known.write(PHANTOM, folder))
    viewer.wait_state(f"s.series === 0 && s.frames === {SLICES}")


def _set_view(viewer: Viewer, view: dict | None) -> dict:
    viewer.page.evaluate("(view) => window.lightbox.setView(view)", view)
    return viewer.state()


def _halved() -> list:
    """The phantom with Rescale Slope 0.5: modality values 0.5 * stored - 1024, not
    integers, so the volume (and what the page receives) is float32."""
    datasets = []
    for ds in PHANTOM:
        copy = deepcopy(ds)  # Dataset.copy() would share the elements with PHANTOM
        copy.RescaleSlope = 0.5
        copy.SeriesInstanceUID = ds.SeriesInstanceUID + ".5"
        copy.SOPInstanceUID = ds.SOPInstanceUID + ".5"
        copy.file_meta.MediaStorageSOPInstanceUID = copy.SOPInstanceUID
        datasets.append(copy)
    return datasets


def _stored_hu(datasets: list = PHANTOM) -> np.ndarray:
    """(z, y, x) modality values of the files (pydicom's stored values through Rescale
    Slope and Intercept, PS3.3 C.11.1.1.2), slices in position order."""
    return np.stack(
        [d.pixel_array.astype(np.float64) * float(d.RescaleSlope) for d in datasets]
    ) + float(datasets[0].RescaleIntercept)


def _index(points: np.ndarray) -> np.ndarray:
    """Voxel coordinates (x, y, z) of patient points in the axial stack (PS3.3 C.7.6.2.1.1)."""
    spacing = np.array([PIXEL_MM, PIXEL_MM, SLICE_MM])
    result: np.ndarray = (points - np.asarray(FIRST)) / spacing
    return result


def _centroid(grey: np.ndarray) -> tuple[float, float]:
    rows, columns = np.nonzero(grey > 128)
    assert rows.size > 20, "the sphere is not drawn"
    return float(rows.mean()), float(columns.mean())


def _projected(reslice: dict, point: np.ndarray) -> tuple[float, float]:
    """(row, column) of the pixel whose ray passes through a patient point."""
    offset = point - np.asarray(reslice["origin"])
    column = offset @ np.asarray(reslice["rowDirection"]) / reslice["columnSpacing"]
    row = offset @ np.asarray(reslice["columnDirection"]) / reslice["rowSpacing"]
    return float(row), float(column)


@pytest.mark.parametrize(
    "azimuth, elevation, axis, slope",
    [
        pytest.param(0, 0, 1, 1.0, id="anterior-along-y"),
        pytest.param(90, 0, 2, 1.0, id="left-along-x"),
        pytest.param(0, 90, 0, 1.0, id="above-along-z"),
        pytest.param(0, 0, 1, 0.5, id="anterior-float32-volume"),
    ],
)
def test_mip_is_numpys_max_projection_along_the_axis_the_camera_looks_down(
    viewer: Viewer, tmp_path: Path, azimuth: float, elevation: float, axis: int, slope: float
) -> None:
    datasets = PHANTOM if slope == 1.0 else _halved()
    if slope != 1.0:  # the page is sent float32 voxels (what a native session sends)
        native = Session()
        native.open([(f"s{k}.dcm", synth.to_bytes(d)) for k, d in enumerate(datasets)])
        assert native.volume_data(0)[0]["dtype"] == "float32"
    viewer.choose(known.write(datasets, tmp_path / "phantom"))
    viewer.wait_state(f"s.series === 0 && s.frames === {SLICES}")
    view = {"mode": "3d", "preset": "mip", "azimuth": azimuth, "elevation": elevation}
    _set_view(viewer, view)
    # The same window on the stored values: 200 .. 1000 HU are stored 1224 .. 2024.
    center, width = MIP_WINDOW
    window = (slope * (center + 1024.0) - 1024.0, slope * width)
    viewer.page.evaluate(f"() => window.lightbox.setWindow({window[0]}, {window[1]})")
    state = viewer.state()
    assert state["view"] == {**view, "zoom": 1}
    assert (state["windowCenter"], state["windowWidth"]) == window
    reslice = state["reslice"]
    got = viewer.frame()
    viewer.shot(f"volume3d-mip-{azimuth}-{elevation}-slope-{slope}")
    assert got.shape == (reslice["rows"], reslice["columns"], 4)
    normal = np.cross(reslice["rowDirection"], reslice["columnDirection"])
    assert abs(normal[[2, 1, 0][axis]]) == pytest.approx(1.0)  # rays along that patient axis
    projection = _stored_hu(datasets).max(axis=axis)  # numpy's MIP: (z, y, x) less that axis
    index = _index(known.reslice_points(reslice))  # (x, y, z) of each pixel's ray
    kept = [i for i in (0, 1, 2) if i != axis]  # the projection's axes, in its (z, y, x) order
    coords = [index[..., 2 - i] for i in kept]
    limits = [projection.shape[k] - 1 for k in range(2)]
    inside = np.logical_and.reduce(
        [(c >= 0) & (c <= n) for c, n in zip(coords, limits, strict=True)]
    )
    assert inside.sum() > 3000
    values = ndimage.map_coordinates(projection, [c[inside] for c in coords], order=1)
    expected = known.windowed(values, *window)
    grey = got[..., 0].astype(np.int16)[inside]
    difference = np.abs(grey - expected)
    assert expected.max() > 200 and (expected > 100).sum() > 50  # the sphere is in the picture
    assert difference.max() <= 6 and difference.mean() <= 0.2, (difference.max(), difference.mean())
    assert np.all(got[..., 0][~inside] == 0)  # outside the volume: black


@pytest.mark.parametrize(
    "azimuth, elevation, right, below",
    [
        # From the front: the patient's left on the right, head up.
        pytest.param(0, 0, True, False, id="front"),
        # From the patient's left: anterior (where the sphere is) on the left.
        pytest.param(90, 0, False, False, id="left-side"),
        # From behind: the patient's left on the left.
        pytest.param(180, 0, False, False, id="behind"),
        # From above the head, tilted over from the front: anterior at the bottom.
        pytest.param(0, 90, True, True, id="above"),
    ],
)
def test_the_sphere_off_centre_shows_on_the_side_the_geometry_says(
    viewer: Viewer, tmp_path: Path, azimuth: float, elevation: float, right: bool, below: bool
) -> None:
    _open(viewer, tmp_path / "phantom")
    _set_view(viewer, {"mode": "3d", "preset": "mip", "azimuth": azimuth, "elevation": elevation})
    viewer.page.evaluate(f"() => window.lightbox.setWindow({MIP_WINDOW[0]}, {MIP_WINDOW[1]})")
    state = viewer.state()
    got = viewer.frame()
    row, column = _centroid(got[..., 0])
    height, width = got.shape[:2]
    assert (column > width / 2) == right and (row > height / 2) == below, (row, column)
    # And exactly where the record of the image plane puts the sphere's centre.
    expected_row, expected_column = _projected(state["reslice"], SPHERE)
    assert (row, column) == pytest.approx((expected_row, expected_column), abs=1.5)
    viewer.shot(f"volume3d-side-{azimuth}-{elevation}")


def test_presets_and_rotation_change_the_rendering(viewer: Viewer, tmp_path: Path) -> None:
    _open(viewer, tmp_path / "phantom")
    frames = {}
    for preset in ("bone", "soft-tissue", "angio", "mip"):
        state = _set_view(viewer, {"mode": "3d", "preset": preset, "azimuth": 30, "elevation": 20})
        assert state["view"]["preset"] == preset
        got = viewer.frame()
        assert np.all(got[..., 3] == 255)
        lit = got[..., :3].max(axis=-1) > 20
        assert lit.mean() > 0.005, f"{preset} draws (almost) nothing"
        frames[preset] = got[..., :3].astype(np.int16)
        viewer.shot(f"volume3d-{preset}")
    names = list(frames)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            lit_either = (frames[a].max(-1) > 20) | (frames[b].max(-1) > 20)
            change = np.abs(frames[a] - frames[b])[lit_either].mean()
            assert change > 10, f"{a} and {b} look the same ({change})"

    # The presets' colours: angiography red, bone ivory (red and green close).
    def redness(image: np.ndarray) -> float:
        lit = image.max(axis=-1) > 40
        return float(image[lit][:, 0].mean() / max(image[lit][:, 1].mean(), 1.0))

    assert redness(frames["angio"]) > 1.8 and redness(frames["bone"]) < 1.3
    # Soft tissue shows the body, bone only the dense sphere: far more of soft tissue is lit.
    soft = (frames["soft-tissue"].max(axis=-1) > 20).mean()
    bone = (frames["bone"].max(axis=-1) > 20).mean()
    assert soft > 3 * bone, (soft, bone)
    turned = _set_view(viewer, {"mode": "3d", "preset": "bone", "azimuth": 120})
    assert turned["view"]["azimuth"] == 120 and turned["view"]["elevation"] == 20
    after = viewer.frame()[..., :3].astype(np.int16)
    lit_either = (after.max(-1) > 20) | (frames["bone"].max(-1) > 20)
    assert np.abs(after - frames["bone"])[lit_either].mean() > 10


def test_the_window_moves_the_transfer_function(viewer: Viewer, tmp_path: Path) -> None:
    _open(viewer, tmp_path / "phantom")
    state = _set_view(viewer, {"mode": "3d", "preset": "soft-tissue"})
    assert (state["windowCenter"], state["windowWidth"]) == (100, 600)  # the preset's, in HU
    before = viewer.frame()
    viewer.page.evaluate("() => window.lightbox.setWindow(700, 1000)")  # body transparent
    state = viewer.state()
    assert (state["windowCenter"], state["windowWidth"]) == (700, 1000)
    after = viewer.frame()
    assert (after[..., :3].max(-1) > 20).mean() < 0.5 * (before[..., :3].max(-1) > 20).mean()


def test_the_toolbar_enters_3d_dragging_rotates_the_wheel_zooms_and_2d_returns(
    viewer: Viewer, tmp_path: Path
) -> None:
    _open(viewer, tmp_path / "phantom")
    viewer.control("#view-3d").select_option("bone")  # the toolbar's 3D control, as a user does
    viewer.page.keyboard.press("Escape")  # the View menu closes, off the image
    viewer.wait_state("s.view && s.view.mode === '3d' && s.view.preset === 'bone'")
    box = viewer.page.locator('[data-pane="0"]').bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    viewer.page.mouse.move(x, y)
    viewer.page.mouse.down()
    viewer.page.mouse.move(x + 60, y + 40, steps=4)
    viewer.page.mouse.up()
    state = viewer.state()
    assert state["view"]["azimuth"] == pytest.approx(-30)
    assert state["view"]["elevation"] == pytest.approx(20)
    viewer.page.mouse.wheel(0, -500)
    zoomed = viewer.wait_state("s.view && s.view.zoom > 2.7")["view"]["zoom"]
    assert zoomed == pytest.approx(np.exp(1.0))  # the wheel's factor: exp(-deltaY / 500)
    # Two fingers spreading from 100 to 200 px apart: a pinch doubles the zoom.
    viewer.page.evaluate(
        """([x, y]) => {
          const root = document.querySelector('[data-pane="0"]');
          const touch = (type, id, dx) => root.dispatchEvent(new PointerEvent(type, {
            bubbles: true, cancelable: true, pointerId: id, pointerType: "touch",
            isPrimary: id === 11, clientX: x + dx, clientY: y}));
          touch("pointerdown", 11, -50);
          touch("pointerdown", 12, 50);
          touch("pointermove", 12, 150);
          touch("pointerup", 12, 150);
          touch("pointerup", 11, -50);
        }""",
        [x, y],
    )
    pinched = viewer.wait_state(f"s.view && s.view.zoom > {zoomed * 1.5}")["view"]["zoom"]
    assert pinched == pytest.approx(2 * zoomed)
    assert viewer.frame().shape[:2] == (state["reslice"]["rows"], state["reslice"]["columns"])
    viewer.shot("volume3d-dragged")
    coronal = _set_view(viewer, {"plane": "coronal"})
    assert coronal["view"]["plane"] == "coronal" and "mode" not in coronal["view"]
    _set_view(viewer, {"mode": "3d", "preset": "mip"})
    assert viewer.page.input_value("#view-3d") == "mip"
    viewer.control("#view-3d").select_option("")
    back = viewer.wait_state("s.view === null")
    assert back["view"] is None and back["reslice"] is None
    assert viewer.frame().shape == (SIZE, SIZE, 4)


def test_without_webgl2_the_viewport_says_so_and_2d_still_works(
    playwright: Playwright, tmp_path: Path
) -> None:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--disable-webgl"]
    )
    server, url = serve_in_thread(BUILD)
    try:
        context, viewer = new_viewer(browser, url)
        viewer.ready()
        _open(viewer, tmp_path / "phantom")
        message = viewer.page.evaluate(
            "() => window.lightbox.setView({mode: '3d', preset: 'bone'})"
            ".then(() => null, (e) => e.message)"
        )
        assert message is not None and "WebGL2" in message
        shown = viewer.page.locator('[data-pane="0"] .pane-message')
        assert shown.is_visible() and "needs WebGL2" in shown.inner_text()
        viewer.shot("volume3d-no-webgl2")
        assert viewer.state()["view"] is None
        coronal = _set_view(viewer, {"plane": "coronal"})
        assert coronal["view"]["plane"] == "coronal" and not shown.is_visible()
        finish(context, viewer)
    finally:
        server.shutdown()
        browser.close()


def test_play_turns_the_mip_about_the_head_foot_axis(viewer: Viewer, tmp_path: Path) -> None:
    # The rotating MIP (issue 14 item 3): Play on a 3D view turns it 10° a frame about
    # the patient's vertical axis; stopped, the rendering is the MIP from where it
    # stopped: the rays stay horizontal, at the azimuth reported, and the sphere is drawn
    # where the reported geometry projects it.
    _open(viewer, tmp_path / "phantom")
    _set_view(viewer, {"mode": "3d", "preset": "mip", "azimuth": 0, "elevation": 0})
    viewer.page.evaluate(f"() => window.lightbox.setWindow({MIP_WINDOW[0]}, {MIP_WINDOW[1]})")
    drawn = viewer.page.evaluate("() => window.lightbox.framesDrawn()")
    viewer.page.evaluate("() => window.lightbox.startCine()")
    # (state() waits for a full frame, which a turning view never settles on: let it turn
    # until it has drawn three frames more, 10° each, however slow the machine)
    viewer.page.wait_for_function(
        f"() => window.lightbox.framesDrawn() >= {drawn + 3}", timeout=120_000
    )
    viewer.page.evaluate("() => window.lightbox.stopCine()")
    state = viewer.state()
    azimuth = state["view"]["azimuth"]
    assert azimuth >= 20 and azimuth % 10 == 0 and state["view"]["elevation"] == 0
    reslice = state["reslice"]
    normal = np.cross(reslice["rowDirection"], reslice["columnDirection"])
    theta = np.radians(azimuth)
    assert abs(normal[2]) < 1e-6  # the rays stay horizontal
    assert abs(normal[1]) == pytest.approx(abs(np.cos(theta)), abs=1e-6)
    assert abs(normal[0]) == pytest.approx(abs(np.sin(theta)), abs=1e-6)
    got = viewer.frame()[..., 0]
    row, column = _projected(reslice, SPHERE)
    found = _centroid(got)
    assert abs(found[0] - row) < 2.0 and abs(found[1] - column) < 2.0, (found, (row, column))
    viewer.shot(f"volume3d-rotating-mip-{azimuth}")
