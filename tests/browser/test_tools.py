"""The viewing tools through the real UI: mouse, keyboard, touch, panels, downloads."""

from __future__ import annotations

import csv
import io
import struct
from pathlib import Path

import numpy as np
import pytest

from tests.support.expect import expected_frame
from tests.support.planted import markers_in, planted_bytes
from tests.support.viewer import Viewer, drag, finish, new_viewer
from tests.support.viewer import to_screen as fitted
from tools import synth

SPACING = 0.5  # mm, the test image's Pixel Spacing
SIZE = 128


def uniform_ct(path: Path) -> Path:
    """A 128x128 CT at 0.5 mm: 50 HU everywhere, a 200 HU square at rows/cols 32-63."""
    hu = np.full((SIZE, SIZE), 50.0)
    hu[32:64, 32:64] = 200.0
    ds = synth.ct_dataset(
        hu,
        series_uid="1.2.826.0.1.3680043.10.1234.77.1",
        study_uid="1.2.826.0.1.3680043.10.1234.77",
        instance=1,
        z_mm=0.0,
        spacing=SPACING,
        window=(100.0, 400.0),
        description="Uniform",
        patient_name="Tools^Test",
    )
    path.write_bytes(synth.to_bytes(ds))
    return path


def to_screen(viewer: Viewer, x: float, y: float) -> tuple[float, float]:
    """Image pixel coordinates to page coordinates, for a fitted, unrotated view."""
    return fitted(viewer, x, y, SIZE, SIZE)


@pytest.fixture
def uniform(viewer: Viewer, tmp_path: Path) -> Path:
    path = uniform_ct(tmp_path / "uniform.dcm")
    viewer.choose([path])
    return path


def test_right_drag_changes_the_window_and_the_pixels(viewer: Viewer, uniform: Path) -> None:
    before = viewer.state()
    assert (before["windowCenter"], before["windowWidth"]) == (100, 400)
    centre = to_screen(viewer, 64, 64)
    drag(viewer, centre, (centre[0] + 100, centre[1] + 50), button="right")
    after = viewer.wait_state("s.windowSource === 'user'")
    assert after["windowWidth"] > 400 and after["windowCenter"] > 100
    window = (after["windowCenter"], after["windowWidth"])
    expected = expected_frame({uniform.name: uniform}, 0, 0, window=window)
    assert expected.disagreement(viewer.frame()) is None


def test_length_across_known_pixels_reports_millimetres(viewer: Viewer, uniform: Path) -> None:
    viewer.page.keyboard.press("l")
    drag(viewer, to_screen(viewer, 10, 64), to_screen(viewer, 110, 64))
    state = viewer.wait_state("s.measurements.length === 1")
    item = state["measurements"][0]
    assert item["kind"] == "length"
    assert item["result"]["unit"] == "mm" and item["result"]["calibration"] == "Pixel Spacing"
    assert item["result"]["value"] == pytest.approx(100 * SPACING, abs=0.5)
    panel = viewer.page.text_content("#measure-list") or ""
    assert "mm" in panel and "Pixel Spacing" in panel
    viewer.shot("tools-length")
    # Measurements survive scrolling away and back, and can be deleted.
    viewer.page.click("#measure-list button")
    assert viewer.wait_state("s.measurements.length === 0")["measurements"] == []


def test_rectangle_region_reports_hounsfield_units(viewer: Viewer, uniform: Path) -> None:
    viewer.control("[data-tool=rect]").click()
    drag(viewer, to_screen(viewer, 36, 36), to_screen(viewer, 60, 60))
    state = viewer.wait_state("s.measurements.length === 1")
    result = state["measurements"][0]["result"]
    assert result["unit"] == "HU"
    assert result["mean"] == pytest.approx(200.0) and result["std"] == pytest.approx(0.0)
    assert result["min"] == result["max"] == pytest.approx(200.0)
    assert result["area"] == pytest.approx(24 * 24 * SPACING * SPACING, rel=0.05)
    assert result["areaUnit"] == "mm²"


def test_probe_reports_stored_and_modality_values(viewer: Viewer, uniform: Path) -> None:
    viewer.page.keyboard.press("x")
    point = to_screen(viewer, 40.5, 40.5)
    viewer.page.mouse.click(*point)
    state = viewer.wait_state("s.measurements.length === 1")
    result = state["measurements"][0]["result"]
    assert (result["column"], result["row"]) == (40, 40)
    assert result["stored"] == 200 + 1024 and result["value"] == pytest.approx(200.0)
    x0, y0 = -(SIZE * SPACING) / 2, -(SIZE * SPACING) / 2
    assert result["patient"] == pytest.approx([x0 + 40 * SPACING, y0 + 40 * SPACING, 0.0])


def test_csv_export_downloads_the_measurements(viewer: Viewer, uniform: Path) -> None:
    viewer.page.keyboard.press("l")
    drag(viewer, to_screen(viewer, 10, 10), to_screen(viewer, 10, 50))
    viewer.wait_state("s.measurements.length === 1")
    with viewer.page.expect_download() as download:
        viewer.page.click("#csv-button")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert len(rows) == 1 and rows[0]["kind"] == "length"
    assert float(rows[0]["value"]) == pytest.approx(40 * SPACING, abs=0.5)
    assert rows[0]["unit"] == "mm"


def test_rotate_flip_and_orientation_markers(viewer: Viewer, uniform: Path) -> None:
    markers = lambda: {  # noqa: E731
        side: viewer.page.text_content(f".pane.active .marker-{side}")
        for side in ("top", "right", "bottom", "left")
    }
    assert markers() == {"top": "A", "right": "L", "bottom": "P", "left": "R"}
    before = viewer.frame()
    viewer.page.keyboard.press("r")
    assert viewer.state()["rotation"] == 90
    assert markers() == {"top": "R", "right": "A", "bottom": "L", "left": "P"}
    viewer.page.keyboard.press("h")
    assert markers() == {"top": "R", "right": "P", "bottom": "L", "left": "A"}
    # Rotation and flips only redraw: the rendered frame is the same pixels.
    assert (viewer.frame() == before).all()
    viewer.shot("tools-rotated-flipped")
    viewer.page.keyboard.press("Escape")
    assert markers()["top"] == "A"


def test_ctrl_wheel_and_pinch_zoom(viewer: Viewer, uniform: Path) -> None:
    centre = to_screen(viewer, 64, 64)
    viewer.page.mouse.move(*centre)
    viewer.page.keyboard.down("Control")
    viewer.page.mouse.wheel(0, -300)
    viewer.page.keyboard.up("Control")
    zoomed = viewer.wait_state("s.zoom > 1.5")
    assert zoomed["frame"] == 0  # ctrl+wheel zooms, it does not scroll
    viewer.page.keyboard.press("f")
    assert viewer.state()["zoom"] == 1
    # Two touch pointers moving apart: a pinch.
    viewer.page.evaluate(
        """([x, y]) => {
          const pane = document.querySelector('.pane.active');
          const fire = (type, id, px) => pane.dispatchEvent(new PointerEvent(type, {
            pointerId: id, pointerType: 'touch', clientX: px, clientY: y, bubbles: true,
            button: 0}));
          fire('pointerdown', 11, x - 20); fire('pointerdown', 12, x + 20);
          for (let d = 20; d <= 80; d += 10) {
            fire('pointermove', 11, x - d); fire('pointermove', 12, x + d);
          }
          fire('pointerup', 11, x - 80); fire('pointerup', 12, x + 80);
        }""",
        list(centre),
    )
    assert viewer.state()["zoom"] == pytest.approx(4.0, rel=0.05)


def test_presets_and_invert_from_the_keyboard(viewer: Viewer, uniform: Path) -> None:
    viewer.page.keyboard.press("4")  # 1 file default, 2 the file's window, 3 brain, 4 subdural
    state = viewer.wait_state("s.windowWidth === 215")
    assert state["windowCenter"] == 75
    viewer.page.keyboard.press("i")
    assert viewer.state()["invert"] is True
    viewer.page.keyboard.press("1")
    assert viewer.wait_state("s.windowSource === 'file'")["windowWidth"] == 400


def test_tag_browser_finds_patient_name(viewer: Viewer, uniform: Path) -> None:
    viewer.page.keyboard.press("t")
    viewer.page.fill("#tag-search", "PatientName")
    viewer.page.wait_for_selector("#tag-tree [data-keyword=PatientName]")
    row = viewer.page.text_content("#tag-tree [data-keyword=PatientName]") or ""
    assert "Tools^Test" in row
    assert "Pixel Spacing" not in (viewer.page.text_content("#tag-tree") or "")  # filtered
    summary = viewer.page.text_content("#tag-summary") or ""
    assert "Tools^Test" in summary and "Pixel Spacing" in summary
    viewer.shot("tools-tag-browser")
    viewer.control("#hide-button").click()  # the header is fetched again, without the values
    viewer.page.wait_for_function(
        "() => document.querySelector('#tag-tree [data-keyword=PatientName]')"
        "?.textContent.includes('(hidden)')"
    )
    assert "Tools^Test" not in (viewer.page.text_content("#tag-tree") or "")
    assert "Tools^Test" not in (viewer.page.text_content(".pane.active") or "")
    viewer.control("#hide-button").click()
    viewer.page.keyboard.press("t")


def test_hide_patient_leaves_nothing_identifying_on_the_page(
    viewer: Viewer, tmp_path: Path
) -> None:
    """The planted-marker file (every identifying value marked): with Hide patient on and the
    tag browser open, no marker is anywhere in the page (its HTML, the tag tree with every
    sequence, the summary) but the UIDs, which the viewer shows; with it off they are there."""
    planted = tmp_path / "planted.dcm"
    planted.write_bytes(planted_bytes())
    viewer.choose([planted])
    viewer.page.keyboard.press("t")
    viewer.page.fill("#tag-search", "")  # every element, not a search's
    viewer.page.wait_for_selector("#tag-tree > div > [data-keyword=PatientName]")
    shown = markers_in([viewer.page.content().encode()])
    assert {"family", "patient_id", "sr_text", "private", "nested_name"} <= shown
    viewer.control("#hide-button").click()
    viewer.page.wait_for_function(
        "() => document.querySelector('#tag-tree > div > [data-keyword=PatientName]')"
        "?.textContent.includes('(hidden)')"
    )
    left = markers_in([viewer.page.content().encode()])
    assert left <= {"uids", "device_uid"}, sorted(left)
    viewer.shot("tools-tag-browser-hidden")
    viewer.control("#hide-button").click()
    viewer.page.keyboard.press("t")


def test_snapshot_downloads_a_png(viewer: Viewer, uniform: Path) -> None:
    with viewer.page.expect_download() as download:
        viewer.page.keyboard.press("k")
    data = Path(download.value.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    box = viewer.page.locator(".pane.active").bounding_box()
    assert box is not None and (width, height) == (round(box["width"]), round(box["height"]))
    assert download.value.suggested_filename.endswith(".png")


def test_cine_plays_and_pauses(viewer: Viewer) -> None:
    viewer.control("#demo-button").click()
    viewer.wait_state("s.frames === 24")
    viewer.control("#fps").fill("20")
    viewer.page.dispatch_event("#fps", "change")
    viewer.control("#cine-button").click()
    viewer.wait_state("s.frame >= 3")
    viewer.page.locator(".pane.active").focus()
    viewer.page.keyboard.press("Space")
    stopped = viewer.state()["frame"]
    viewer.page.wait_for_timeout(400)
    assert viewer.state()["frame"] == stopped


def test_layout_2x2_shows_series_in_each_viewport(viewer: Viewer, uniform: Path) -> None:
    viewer.control("#demo-button").click()
    viewer.wait_state("s.frames === 24")
    viewer.page.select_option("#layout", "2x2")
    assert viewer.page.locator(".pane:not([hidden])").count() == 4
    panes = viewer.page.locator(".pane:not([hidden])")
    panes.nth(1).click()
    viewer.page.click("#series-list button[data-series='0']")
    state = viewer.wait_state("s.pane === 1 && s.series === 0")
    assert state["file"] == "uniform.dcm"
    viewer.shot("tools-layout-2x2")
    viewer.page.select_option("#layout", "1x1")


def test_help_lists_the_shortcuts(viewer: Viewer) -> None:
    viewer.page.keyboard.press("?")
    assert viewer.page.is_visible("#help")
    text = viewer.page.text_content("#help") or ""
    for key in ("Space", "Ctrl+wheel", "Shift+H"):
        assert key in text
    viewer.page.keyboard.press("Escape")
    assert not viewer.page.is_visible("#help")


def test_slider_moves_through_the_series(viewer: Viewer) -> None:
    viewer.control("#demo-button").click()
    viewer.wait_state("s.frames === 24")
    assert viewer.page.get_attribute("#frame-slider", "max") == "24"
    viewer.page.eval_on_selector(
        "#frame-slider",
        "el => { el.value = '10'; el.dispatchEvent(new Event('input', {bubbles: true})); }",
    )
    viewer.wait_state("s.frame === 9")
    viewer.page.keyboard.press("End")
    viewer.wait_state("s.frame === 23")
    assert viewer.page.input_value("#frame-slider") == "24"


def test_phone_sized_screen_still_views_and_scrolls(browser, base_url: str) -> None:  # type: ignore[no-untyped-def]
    """From a 1280x720 kiosk to a phone: at 390x844 the viewport still shows and scrolls."""
    context, viewer = new_viewer(browser, base_url)
    viewer.page.set_viewport_size({"width": 390, "height": 844})
    viewer.ready()
    viewer.control("#demo-button").click()
    viewer.wait_state("s.frames === 24")
    box = viewer.page.locator(".pane.active").bounding_box()
    assert box is not None and box["width"] >= 200 and box["height"] >= 200
    viewer.page.locator(".pane.active").focus()
    viewer.page.keyboard.press("ArrowDown")
    viewer.wait_state("s.frame === 1")
    assert viewer.frame()[..., 0].max() > 0
    badge = viewer.page.locator(".privacy").bounding_box()
    assert badge is not None and badge["x"] >= 0 and badge["x"] + badge["width"] <= 390
    assert badge["y"] >= 0 and badge["y"] + badge["height"] <= 844  # always in sight
    viewer.shot("phone-390x844")
    finish(context, viewer)


def test_synchronised_scrolling_follows_the_frame_of_reference(
    viewer: Viewer, tmp_path: Path
) -> None:
    """Two series in one frame of reference: scrolling one moves the other to the same place."""
    paths = []
    for name, count, spacing in (("thin", 20, 1.0), ("thick", 10, 2.0)):
        for ds in synth.ct_series(count, 32, 32, name=name, spacing_mm=spacing):
            ds.FrameOfReferenceUID = "1.2.826.0.1.3680043.10.1234.99"
            ds.SeriesNumber = 1 if name == "thin" else 2
            path = tmp_path / f"{name}-{ds.InstanceNumber:03d}"
            path.write_bytes(synth.to_bytes(ds))
            paths.append(path)
    viewer.choose(paths)
    viewer.page.select_option("#layout", "1x2")
    viewer.page.evaluate("() => window.lightbox.activate(1)")
    viewer.page.evaluate("() => window.lightbox.select(1, 0)")
    viewer.page.evaluate("() => window.lightbox.activate(0)")
    viewer.control("#sync-button").click()
    viewer.page.locator(".pane.active").focus()
    for _ in range(8):
        viewer.page.keyboard.press("ArrowDown")
    viewer.wait_state("s.frame === 8")  # thin series: z = 8 mm
    viewer.page.evaluate("() => window.lightbox.activate(1)")
    state = viewer.wait_state("s.frame === 4")  # thick series: z = 4 x 2 mm
    assert state["series"] == 1
    viewer.page.select_option("#layout", "1x1")


RECORD_RENDER_STEPS = """() => {
  window.__steps = [];
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (message, transfer) {
    if (message && message.method === "render") window.__steps.push(message.args.step);
    return post.call(this, message, transfer);
  };
}"""

CANVAS_GREY = """() => {
  const canvas = document.querySelector(".pane.active canvas.image-layer");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const grey = [];
  for (let y = 0; y < canvas.height; y += 4)
    for (let x = 0; x < canvas.width; x += 4) grey.push(data[(y * canvas.width + x) * 4]);
  return grey;
}"""


def test_dragging_the_window_on_a_large_image_draws_coarse_previews_then_the_full_frame(
    viewer: Viewer, tmp_path: Path
) -> None:
    """A 3000x2400 image shown at a fifth of its size: drag frames are thinned, the
    preview lands where the full frame does, and the full frame follows the drag."""
    rows, cols = 3000, 2400
    y, x = np.mgrid[0:rows, 0:cols]
    hu = np.where((x - 700) ** 2 + (y - 900) ** 2 < 500**2, 300.0, -200.0)
    hu[2000:2600, 1400:2200] = 100.0
    ds = synth.ct_dataset(
        hu,
        series_uid="1.2.826.0.1.3680043.10.1234.78.1",
        study_uid="1.2.826.0.1.3680043.10.1234.78",
        instance=1,
        z_mm=0.0,
        spacing=0.1,
        window=(50.0, 400.0),
        description="Large",
        patient_name="Large^Test",
    )
    path = tmp_path / "large.dcm"
    path.write_bytes(synth.to_bytes(ds))
    viewer.choose([path])
    viewer.state()
    page = viewer.page
    page.evaluate(RECORD_RENDER_STEPS)
    box = page.locator(".pane.active").bounding_box()
    assert box is not None
    start = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(*start)
    page.mouse.down(button="right")
    for i in range(1, 9):
        page.mouse.move(start[0] + i, start[1])  # widen the window a little at a time
    page.wait_for_function("() => window.__steps.length >= 2")
    page.wait_for_timeout(50)  # the preview drawn; the full frame waits for a pause of 200 ms
    preview = np.array(page.evaluate(CANVAS_GREY), dtype=np.float64)
    page.mouse.up(button="right")
    after = viewer.wait_state("s.windowSource === 'user'")
    steps = page.evaluate("() => window.__steps")
    assert max(steps) >= 4, steps  # about one stored pixel per screen pixel while dragging
    assert steps[-1] == 1, steps  # then the whole frame
    full = np.array(page.evaluate(CANVAS_GREY), dtype=np.float64)
    assert full.std() > 50  # the disc and the block are on screen
    assert np.abs(preview - full).mean() < 4, np.abs(preview - full).mean()
    window = (after["windowCenter"], after["windowWidth"])
    expected = expected_frame({path.name: path}, 0, 0, window=window)
    assert expected.disagreement(viewer.frame()) is None
