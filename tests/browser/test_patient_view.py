"""Sharp canvases, print and copy, progress with Cancel (issue 18 items 6, 7, 8).

At ``device_scale_factor=2`` each canvas's backing store is its CSS size times two, and
an image magnified to one device pixel per image pixel or more is drawn with nearest
interpolation: every colour on the canvas is one of the frame's (``renderedFrame()``) or
the black background, which is what nearest-neighbour sampling means; "smooth" brings
colours between them. The print sheet (print media) holds the images as drawn and the
study information pydicom reads from the file, without it when patient information is
hidden; "Copy image" puts the viewport's PNG on the clipboard. A de-identification that
takes more than a second shows what it does, the image count and Cancel; after Cancel the
page is as before and the next export works.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from playwright.sync_api import Browser, BrowserContext

from tests.support import volumes
from tests.support.viewer import BOOT_TIMEOUT_MS, Viewer, finish, new_viewer, reach

SHOTS = Path("/tmp/lightbox-patient-shots")

#: The active pane's image canvas: its backing and CSS sizes, the distinct RGB colours on
#: it (as 0xRRGGBB numbers) and how often the colour changes along its middle row, counted
#: in the page. Nearest interpolation is piecewise constant: a row crossing an image of N
#: columns changes colour at most N + 1 times, however large each pixel is drawn.
CANVAS = """() => {
    const c = document.querySelector('.pane.active canvas.image-layer');
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const colours = new Set();
    for (let i = 0; i < data.length; i += 4) {
        colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    }
    const row = Math.floor(c.height / 2) * c.width * 4;
    let changes = 0;
    for (let x = 1; x < c.width; x++) {
        const a = row + 4 * x, b = a - 4;
        if (data[a] !== data[b] || data[a + 1] !== data[b + 1] || data[a + 2] !== data[b + 2]) {
            changes += 1;
        }
    }
    const box = c.getBoundingClientRect(); // fractions kept (clientWidth rounds)
    return {width: c.width, height: c.height, cssWidth: box.width,
            cssHeight: box.height, colours: [...colours], changes};
}"""

#: The distinct RGB colours of renderedFrame(), the display pipeline's pixels.
FRAME_COLOURS = """async () => {
    const f = await window.lightbox.renderedFrame();
    const colours = new Set();
    for (let i = 0; i < f.data.length; i += 4) {
        colours.add((f.data[i] << 16) | (f.data[i + 1] << 8) | f.data[i + 2]);
    }
    return [...colours];
}"""


def _shot(viewer: Viewer, name: str, full: bool = False) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    viewer.page.screenshot(path=str(path), full_page=full)
    return path


def _hi_dpi(browser: Browser, base_url: str) -> tuple[BrowserContext, Viewer]:
    """A viewer like new_viewer's (watched), on a screen of device pixel ratio 2."""
    context, viewer = new_viewer(browser, base_url)
    context.close()
    context = browser.new_context(viewport={"width": 1100, "height": 720}, device_scale_factor=2)
    page = context.new_page()
    watch = viewer.watch
    watch.errors.clear()
    watch.requests.clear()
    context.on("request", lambda request: watch.requests.append(request.url))
    page.on("pageerror", lambda error: watch.errors.append(f"page error: {error}"))
    page.goto(base_url)
    return context, Viewer(page, watch)


@pytest.fixture
def hi_dpi(browser: Browser, base_url: str) -> Iterator[Viewer]:
    context, viewer = _hi_dpi(browser, base_url)
    viewer.ready()
    yield viewer
    assert not viewer.watch.errors, viewer.watch.errors
    assert not viewer.watch.foreign(), viewer.watch.foreign()
    context.close()


def test_device_pixel_ratio_2_backing_store_and_sharp_pixels(
    hi_dpi: Viewer, test_files: Path
) -> None:
    viewer = hi_dpi
    page = viewer.page
    assert page.evaluate("() => window.devicePixelRatio") == 2
    viewer.choose([test_files / "CT_small.dcm"])
    viewer.wait_state("s.series === 0")
    canvas = page.evaluate(CANVAS)
    assert canvas["width"] == round(canvas["cssWidth"] * 2)
    assert canvas["height"] == round(canvas["cssHeight"] * 2)
    # Fitted, a 128-pixel image fills hundreds of device pixels: each pixel a block of
    # one of the frame's colours (nearest), on the black background.
    state = viewer.state()
    assert state["interpolation"] == "sharp" and state["smoothed"] is False
    allowed = set(page.evaluate(FRAME_COLOURS)) | {0}
    assert set(canvas["colours"]) <= allowed
    columns = pydicom.dcmread(test_files / "CT_small.dcm").Columns
    assert canvas["changes"] <= columns + 1
    _shot(viewer, "dpr2-sharp")
    # 1:1 is one image pixel to one device pixel: still sharp.
    page.keyboard.press("n")
    assert viewer.wait_state("s.zoom > 0")["smoothed"] is False
    assert set(page.evaluate(CANVAS)["colours"]) <= allowed
    # Below 1:1 the browser smooths (a minified image would alias).
    for _ in range(4):
        page.keyboard.press("-")
    assert viewer.state()["smoothed"] is True
    page.keyboard.press("f")
    # Smooth pixels: colours between the frame's appear; the choice is remembered.
    reach(page, "#interpolation").select_option("smooth")
    smooth = page.evaluate(CANVAS)
    assert viewer.state()["smoothed"] is True
    assert smooth["changes"] > 2 * columns  # a ramp between pixel centres, not blocks
    _shot(viewer, "dpr2-smooth")
    page.reload()
    viewer.ready()
    assert page.input_value("#interpolation") == "smooth"
    assert viewer.state()["interpolation"] == "smooth"
    page.evaluate("() => window.lightbox.setInterpolation('sharp')")


@pytest.fixture
def print_viewer(viewer: Viewer) -> Iterator[Viewer]:
    yield viewer
    viewer.page.emulate_media(media="screen")
    viewer.page.evaluate("() => window.lightbox.setHidePatient(false)")


def test_print_sheet_with_and_without_the_study_information(
    print_viewer: Viewer, test_files: Path
) -> None:
    viewer = print_viewer
    page = viewer.page
    path = test_files / "CT_small.dcm"
    ds = pydicom.dcmread(path)
    viewer.choose([path])
    viewer.wait_state("s.series === 0")
    sheet = page.evaluate("() => window.lightbox.preparePrint()")
    assert sheet["images"] == 1
    name = str(ds.PatientName).replace("^", " ")
    assert sheet["fields"]["PatientName"] == name
    date = ds.StudyDate
    assert sheet["fields"]["StudyDate"] == f"{date[:4]}-{date[4:6]}-{date[6:]}"
    assert sheet["fields"]["PatientID"] == ds.PatientID
    assert sheet["fields"]["Modality"] == ds.Modality
    size = page.evaluate(
        "() => { const img = document.querySelector('#print-images img');"
        " const c = document.querySelector('.pane.active canvas.image-layer');"
        " return [img.naturalWidth, img.naturalHeight, c.width, c.height]; }"
    )
    assert size[:2] == size[2:]  # the viewport as drawn, at its backing size
    page.emulate_media(media="print")
    assert page.is_visible("#print-sheet")
    assert not page.is_visible(".bar") and not page.is_visible("#viewports")
    text = page.inner_text("#print-sheet")
    assert name in text and ds.PatientID in text
    assert not page.is_visible("#print-hidden")
    _shot(viewer, "print-sheet", full=True)
    page.emulate_media(media="screen")
    page.evaluate("() => window.lightbox.setHidePatient(true)")
    hidden = page.evaluate("() => window.lightbox.preparePrint()")
    assert "PatientName" not in hidden["fields"] and "PatientID" not in hidden["fields"]
    page.emulate_media(media="print")
    text = page.inner_text("#print-sheet")
    assert name not in text and ds.PatientID not in text
    assert page.is_visible("#print-hidden")
    _shot(viewer, "print-sheet-hidden", full=True)


def test_print_sheet_of_two_viewports(print_viewer: Viewer, test_files: Path) -> None:
    viewer = print_viewer
    page = viewer.page
    viewer.choose([test_files / "CT_small.dcm", test_files / "MR_small.dcm"])
    page.evaluate("() => window.lightbox.setLayout('1x2')")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.pane')].filter((p) => !p.hidden).length === 2"
    )
    page.wait_for_timeout(200)
    sheet = page.evaluate("() => window.lightbox.preparePrint()")
    assert sheet["images"] == 2
    page.emulate_media(media="print")
    assert page.locator("#print-images img").count() == 2
    _shot(viewer, "print-sheet-two", full=True)


def test_copy_image_to_the_clipboard(browser: Browser, base_url: str, test_files: Path) -> None:
    context, viewer = new_viewer(browser, base_url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = viewer.page
    viewer.ready()
    viewer.choose([test_files / "CT_small.dcm"])
    viewer.wait_state("s.series === 0")
    page.bring_to_front()
    reach(page, "#copy-button").click()
    page.wait_for_function("() => document.getElementById('status').textContent.includes('cop')")
    got = page.evaluate(
        """async () => {
            const items = await navigator.clipboard.read();
            const blob = await items[0].getType('image/png');
            const bitmap = await createImageBitmap(blob);
            const out = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
            out.drawImage(bitmap, 0, 0);
            const c = document.querySelector('.pane.active canvas.image-layer');
            const x = Math.floor(c.width / 2), y = Math.floor(c.height / 2);
            return {types: items[0].types, width: bitmap.width, height: bitmap.height,
                    canvas: [c.width, c.height],
                    copied: [...out.getImageData(x, y, 1, 1).data],
                    shown: [...c.getContext('2d').getImageData(x, y, 1, 1).data]};
        }"""
    )
    assert got["types"] == ["image/png"]
    assert [got["width"], got["height"]] == got["canvas"]
    assert got["copied"] == got["shown"]
    finish(context, viewer)


def test_deidentify_progress_cancel_leaves_things_as_they_were(
    viewer: Viewer, tmp_path: Path
) -> None:
    page = viewer.page
    paths = volumes.write(volumes.series([float(k) for k in range(300)]), tmp_path)
    viewer.choose(paths)
    viewer.wait_state("s.series === 0 && s.frames === 300")
    page.evaluate(
        "() => { window.exportRun = window.lightbox.deidentify({}).then("
        " () => 'done', (error) => 'rejected: ' + error.message); }"
    )
    page.wait_for_selector("#busy", state="visible", timeout=BOOT_TIMEOUT_MS)
    assert "De-identifying" in page.inner_text("#busy-what")
    assert page.inner_text("#busy-images") == "300"
    _shot(viewer, "progress-deid")
    page.click("#busy-cancel")
    assert page.evaluate("() => window.exportRun") == "rejected: Cancelled"
    assert not page.is_visible("#busy")
    assert viewer.state()["frames"] == 300  # what is open is as it was
    done = page.evaluate(
        "async () => { const r = await window.lightbox.deidentify({});"
        " return {files: r.files, size: r.zip.size}; }"
    )
    assert done["files"] == 300 and done["size"] > 0
    page.wait_for_selector("#busy", state="hidden")
