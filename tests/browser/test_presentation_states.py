"""Presentation states and SR measurements on the images (issue 16 items 1 and 3), through
the real page.

A generated CT slice (60 rows × 80 columns) with a generated GSPS (rotate 90, flip, a
window, a polyline and a text in a layer of known CIELab colour, a rectangular shutter)
and a generated TID 1500 SR (a length with its polyline): applying the state gives
``renderedFrame()`` equal to the standard's rescale and LINEAR window formulas (PS3.3
C.11.1, C.11.2.1.2.1) worked here, ``state()`` its rotation and flip, and
``renderedFrame({overlays: true})`` the polyline on exactly the pixels its path crosses in
the layer's colour (CIELab formula of tests/unit/segment/test_color.py), the shutter's
value outside the opening, the text inside its box; the SR's polyline lies where its
SCOORD says. Then the corpus: weasis' prLUTs.dcm over imageForPrLUTs.dcm (Modality LUT,
VOI LUT and Presentation LUT tables, applied here with numpy from pydicom's reading),
prOverlay.dcm over a generated image of the UID it references (the two overlay planes it
holds, pydicom's overlay_array), and dcmqi's sr.dcm with its seg.dcm (the measurements of
the segment listed on the frames it covers).
"""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pydicom
import pytest
from playwright.sync_api import Browser
from pydicom.pixels import apply_modality_lut

from tests.support import pstates
from tests.support import volumes as known
from tests.support.paths import CORPUS, written
from tests.support.viewer import Viewer, finish, new_viewer
from tests.unit.segment.test_color import expected as lab_expected
from tools.synth import ct_dataset, to_bytes

WEASIS = CORPUS / "gsps" / "weasis-dicom-tools"
DCMQI_SR = CORPUS / "sr" / "dcmqi" / "sr-example"
SHOTS = Path("/tmp/lightbox-gsps")


def _frame(viewer: Viewer, overlays: bool) -> np.ndarray:
    got = viewer.page.evaluate(
        """async (overlays) => {
            const f = await window.lightbox.renderedFrame({overlays});
            let s = "";
            for (let i = 0; i < f.data.length; i += 0x8000) {
                s += String.fromCharCode.apply(null, f.data.subarray(i, i + 0x8000));
            }
            return {width: f.width, height: f.height, b64: btoa(s)};
        }""",
        overlays,
    )
    data = np.frombuffer(base64.b64decode(got["b64"]), dtype=np.uint8)
    return data.reshape(got["height"], got["width"], 4).astype(int)


def _linear(x: np.ndarray, c: float, w: float) -> np.ndarray:
    """PS3.3 C.11.2.1.2.1, to 8 bits (half up)."""
    y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255.0
    y = np.where(x <= c - 0.5 - (w - 1) / 2, 0.0, y)
    y = np.where(x > c - 0.5 + (w - 1) / 2, 255.0, y)
    return np.floor(np.clip(y, 0, 255) + 0.5).astype(int)


def _shot(viewer: Viewer, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    viewer.page.screenshot(path=str(SHOTS / name))


def _image() -> pydicom.Dataset:
    rows, cols = 60, 80
    yy, xx = np.mgrid[0:rows, 0:cols]
    hu = (xx * 10 + yy * 3 - 300).astype(float)
    return ct_dataset(
        hu,
        series_uid=pydicom.uid.generate_uid(),
        study_uid=pydicom.uid.generate_uid(),
        instance=1,
        z_mm=0.0,
        window=(40.0, 400.0),
    )


def _apply(viewer: Viewer, uid: str | None) -> dict:
    viewer.page.evaluate("(uid) => window.lightbox.applyPresentation(uid)", uid)
    return viewer.state()


def test_generated_gsps_and_sr(browser: Browser, base_url: str, tmp_path: Path) -> None:
    image = _image()
    polyline = [(10.5, 10.5), (50.5, 10.5), (50.5, 40.5)]
    lab = (54534, 55143, 41117)
    ps = pstates.gsps(
        image,
        rotation=90,
        flip=True,
        window=(100.0, 500.0),
        rescale=(1.0, -1024.0),
        polyline=polyline,
        text=("HELLO", (55.0, 45.0), (78.0, 57.0)),
        lab=lab,
        shutter=(3, 78, 2, 58),
    )
    sr = pstates.tid1500(
        image,
        ("410668003", "SCT", "Length"),
        40.0,
        ("mm", "millimeter"),
        "POLYLINE",
        [(20.5, 30.5), (60.5, 30.5)],
    )
    paths = written(
        tmp_path,
        [("ct.dcm", to_bytes(image)), ("ps.dcm", to_bytes(ps)), ("sr.dcm", to_bytes(sr))],
    )
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose(paths)
        catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
        ct = catalog["series"][0]
        kinds = {(o["kind"], o["uid"]) for o in ct["objects"]}
        assert ("PR", ps.SOPInstanceUID) in kinds and ("SR", sr.SOPInstanceUID) in kinds
        viewer.page.evaluate("() => window.lightbox.select(0, 0)")
        state = viewer.wait_state("s.series === 0 && s.overlays.length > 0")
        assert state["presentation"] is None
        measured = [o for o in state["overlays"] if o["kind"] == "measurement"]
        assert measured == [
            {
                "kind": "measurement",
                "uid": sr.SOPInstanceUID,
                "name": "Length",
                "value": 40.0,
                "unit": "mm",
            }
        ]
        plain = _frame(viewer, False)
        stored = np.frombuffer(image.PixelData, np.int16).reshape(60, 80).astype(float)
        assert np.array_equal(plain[..., 0], _linear(stored - 1024, 40.0, 400.0))
        # the SR's polyline on row 30 from column 20 to 60, shown by default
        drawn = _frame(viewer, True)
        line = drawn[30, 20:61, :3]
        assert (np.abs(line - plain[30, 20:61, :3]).sum(axis=1) > 0).all()
        assert (line == line[0]).all()
        # its label ("Length 40 mm") from its right end: nothing else changes
        assert np.array_equal(drawn[33, :61, :3], plain[33, :61, :3])
        assert (drawn[30:42, 61:, :3] != plain[30:42, 61:, :3]).any()
        assert np.array_equal(drawn[:29, :, :3], plain[:29, :, :3])
        _shot(viewer, "sr-measurement.png")

        state = _apply(viewer, ps.SOPInstanceUID)
        assert state["presentation"] == {"uid": ps.SOPInstanceUID, "label": "TEST_PS"}
        assert (state["rotation"], state["flipH"], state["flipV"]) == (90, True, False)
        assert state["windowSource"] == "presentation state"
        shown = _frame(viewer, False)
        assert np.array_equal(shown[..., 0], _linear(stored - 1024, 100.0, 500.0))
        composite = _frame(viewer, True)
        color = np.rint(lab_expected(lab)).astype(int)
        # pixels the path crosses: row 10, columns 10..50; column 50, rows 10..40
        path = np.zeros((60, 80), bool)
        path[10, 10:51] = True
        path[10:41, 50] = True
        path[30, 50] = False  # where the SR's line (drawn over it) crosses
        assert (composite[path, :3] == color).all()
        # the shutter: columns 3..78, rows 2..58 (1-based) stay open; black outside
        opening = np.zeros((60, 80), bool)
        opening[1:58, 2:78] = True
        sr_line = np.zeros((60, 80), bool)
        sr_line[30, 20:61] = True
        sr_line[28:45, 61:] = True  # and its label (drawn over the shutter)
        assert (composite[~opening & ~sr_line, :3] == 0).all()
        # the text inside its box, nothing of it outside
        box = np.zeros((60, 80), bool)
        box[45:57, 55:78] = True
        assert (composite[box, :3] != shown[box, :3]).any()
        rest = opening & ~box & ~path & ~sr_line
        assert np.array_equal(composite[rest, :3], shown[rest, :3])
        _shot(viewer, "gsps-applied.png")

        # one click in the panel removes it again
        viewer.page.click("#presentation-list button[aria-pressed='true']")
        state = viewer.wait_state("s.presentation === null")
        assert (state["rotation"], state["flipH"]) == (0, False)
        assert np.array_equal(_frame(viewer, False), plain)
        _shot(viewer, "gsps-removed.png")
    finally:
        finish(context, viewer)


def test_weasis_lut_presentation_state(browser: Browser, base_url: str) -> None:
    ps = pydicom.dcmread(WEASIS / "prLUTs.dcm")
    image = pydicom.dcmread(WEASIS / "imageForPrLUTs.dcm")
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose([WEASIS / "imageForPrLUTs.dcm", WEASIS / "prLUTs.dcm"])
        viewer.page.evaluate("() => window.lightbox.select(0, 0)")
        viewer.wait_state("s.series === 0")
        state = _apply(viewer, ps.SOPInstanceUID)
        assert state["presentation"] == {"uid": ps.SOPInstanceUID, "label": "XLUT_P03"}
        # PS3.4 N.2: Modality LUT, then VOI LUT, then Presentation LUT, each a table here
        modality = apply_modality_lut(image.pixel_array, ps).astype(int)
        voi = ps.SoftcopyVOILUTSequence[0].VOILUTSequence[0]
        voi_data = np.asarray(voi.LUTData, int)
        first = int(voi.LUTDescriptor[1])
        v = voi_data[np.clip(modality - first, 0, len(voi_data) - 1)]
        v8 = np.floor(v * 255.0 / (2 ** int(voi.LUTDescriptor[2]) - 1) + 0.5)
        plut = ps.PresentationLUTSequence[0]
        p_data = np.asarray(plut.LUTData, int)
        index = np.floor(v8 * (len(p_data) - 1) / 255.0 + 0.5).astype(int)
        want = np.floor(p_data[index] * 255.0 / (2 ** int(plut.LUTDescriptor[2]) - 1) + 0.5)
        got = _frame(viewer, False)
        assert np.array_equal(got[..., 0], want.astype(int))
        _shot(viewer, "weasis-prluts.png")
    finally:
        finish(context, viewer)


def test_weasis_overlay_presentation_state(browser: Browser, base_url: str, tmp_path: Path) -> None:
    ps = pydicom.dcmread(WEASIS / "prOverlay.dcm")
    ref = ps.ReferencedSeriesSequence[0]
    image = _image()
    image.Rows = image.Columns = 512
    image.PixelData = np.zeros((512, 512), np.int16).tobytes()
    image.SOPInstanceUID = ref.ReferencedImageSequence[0].ReferencedSOPInstanceUID
    image.file_meta.MediaStorageSOPInstanceUID = image.SOPInstanceUID
    image.SeriesInstanceUID = ref.SeriesInstanceUID
    paths = written(tmp_path, [("overlay-image.dcm", to_bytes(image))])
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose([paths[0], WEASIS / "prOverlay.dcm"])
        viewer.page.evaluate("() => window.lightbox.select(0, 0)")
        viewer.wait_state("s.series === 0")
        _apply(viewer, ps.SOPInstanceUID)
        composite = _frame(viewer, True)
        shown = _frame(viewer, False)
        bits = np.zeros((512, 512), bool)
        for group in (0x6008, 0x600A):  # the planes the state holds; their layers are white
            bits |= ps.overlay_array(group).astype(bool)
        assert bits.any()
        assert (composite[bits, :3] == 255).all()
        assert np.array_equal(composite[~bits, :3], shown[~bits, :3])
        _shot(viewer, "weasis-overlay.png")
    finally:
        finish(context, viewer)


def test_dcmqi_sr_measurements_of_a_segment(browser: Browser, base_url: str) -> None:
    sr = pydicom.dcmread(DCMQI_SR / "sr.dcm")
    group = sr.ContentSequence[-1].ContentSequence[0]
    nums = [i for i in group.ContentSequence if i.ValueType == "NUM"]
    first = nums[0].MeasuredValueSequence[0]
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose([DCMQI_SR / "seg.dcm", DCMQI_SR / "sr.dcm"])
        catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
        assert any(
            o["kind"] == "SR" and o["uid"] == sr.SOPInstanceUID
            for o in catalog["series"][0]["objects"]
        )
        viewer.page.evaluate("() => window.lightbox.select(0, 6)")
        state = viewer.wait_state("s.series === 0 && s.frame === 6 && s.overlays.length > 0")
        measured = [o for o in state["overlays"] if o["kind"] == "measurement"]
        assert len(measured) == len(nums)
        assert measured[0]["value"] == float(first.NumericValue)
        assert measured[0]["unit"] == first.MeasurementUnitsCodeSequence[0].CodeValue
        assert measured[0]["name"].startswith(nums[0].ConceptNameCodeSequence[0].CodeMeaning)
        _shot(viewer, "dcmqi-sr.png")
    finally:
        finish(context, viewer)


def test_a_step_that_cannot_be_read_is_said_in_the_panel(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    """A state whose Presentation LUT has no table (its LUT Data missing): the state is
    applied without it (IDENTITY, PS3.3 C.11.6: the window's output shown as it is) and the
    panel says what was left out."""
    image = _image()
    ps = pstates.gsps(image, window=(100.0, 500.0), rescale=(1.0, -1024.0), label="NO_LUT")
    del ps.PresentationLUTShape
    broken = pydicom.Dataset()
    broken.LUTDescriptor = [256, 0, 12]  # and no LUTData
    ps.PresentationLUTSequence = [broken]
    paths = written(tmp_path, [("ct.dcm", to_bytes(image)), ("ps.dcm", to_bytes(ps))])
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose(paths)
        state = _apply(viewer, str(ps.SOPInstanceUID))
        assert state["presentation"]["label"] == "NO_LUT"
        note = viewer.page.locator("#presentation-list .presentation-warning")
        text = note.text_content() or ""
        assert "Presentation LUT cannot be read" in text, text
        hu = apply_modality_lut(image.pixel_array, image)
        expected = _linear(hu, 100.0, 500.0)
        assert np.abs(_frame(viewer, False)[..., 0] - expected).max() <= 1
        _shot(viewer, "gsps-unreadable-lut.png")
        _apply(viewer, None)
        assert viewer.page.locator("#presentation-list .presentation-warning").count() == 0
    finally:
        finish(context, viewer)


def test_each_image_shows_its_own_displayed_area(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    """A state whose Displayed Area Selection gives each of two images its own area (PS3.3
    C.10.4: each item applies to the images it references): the whole 80 × 60 image on the
    first, its top-left quarter (1, 1)-(40, 30) on the second, SCALE TO FIT. Scrolling to
    the second image fits the quarter, twice the zoom of the first, and moves it to the
    middle (another pan); scrolling back fits the whole image again."""
    series, study = pydicom.uid.generate_uid(), pydicom.uid.generate_uid()
    images = []
    for k in range(2):
        image = _image()
        image.SeriesInstanceUID, image.StudyInstanceUID = series, study
        image.InstanceNumber, image.ImagePositionPatient[2] = k + 1, float(k)
        images.append(image)
    ps = pstates.gsps(images[0], window=(-100.0, 400.0), rescale=(1.0, -1024.0))
    ps.ReferencedSeriesSequence[0].ReferencedImageSequence.append(pstates.image_ref(images[1]))
    areas = []
    for image, corner in zip(images, ((80, 60), (40, 30)), strict=True):
        area = pydicom.Dataset()
        area.ReferencedImageSequence = [pstates.image_ref(image)]
        area.DisplayedAreaTopLeftHandCorner = [1, 1]
        area.DisplayedAreaBottomRightHandCorner = list(corner)
        area.PresentationSizeMode = "SCALE TO FIT"
        area.PresentationPixelAspectRatio = [1, 1]
        areas.append(area)
    ps.DisplayedAreaSelectionSequence = areas
    paths = written(
        tmp_path,
        [
            ("ct1.dcm", to_bytes(images[0])),
            ("ct2.dcm", to_bytes(images[1])),
            ("ps.dcm", to_bytes(ps)),
        ],
    )
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose(paths)
        viewer.page.evaluate("() => window.lightbox.select(0, 0)")
        viewer.wait_state("s.series === 0 && s.frame === 0")
        first = _apply(viewer, ps.SOPInstanceUID)
        assert first["presentation"]["uid"] == ps.SOPInstanceUID
        viewer.page.evaluate("() => window.lightbox.select(0, 1)")
        second = viewer.wait_state(f"s.frame === 1 && s.zoom > {first['zoom']} * 1.5")
        assert second["zoom"] == pytest.approx(2 * first["zoom"], rel=0.02)
        assert second["pan"] != first["pan"]
        assert second["presentation"]["uid"] == ps.SOPInstanceUID
        _shot(viewer, "gsps-area-per-image.png")
        viewer.page.evaluate("() => window.lightbox.select(0, 0)")
        back = viewer.wait_state(f"s.frame === 0 && s.zoom < {second['zoom']} * 0.75")
        assert back["zoom"] == pytest.approx(first["zoom"], rel=0.02)
    finally:
        finish(context, viewer)


def test_a_states_graphics_on_a_coronal_view(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    """A GSPS polyline on slice 1 of a three-slice CT along image row 10, columns 5 to 20
    (pixel centres at + 0.5, PS3.3 C.10.5.1.2), the state applied, then a coronal view at
    y = 5.0 mm (row 10, 0.5 mm pixels): ``renderedFrame({overlays: true})`` differs from
    the plain view exactly on the view's pixels that lie on slice 1 (z within 1 mm of 2 mm)
    at image columns 5 to 20, in the layer's colour."""
    from tests.support import segs

    stack = segs.ct_stack(rows=24, cols=32, slices=3)
    lab = (54534, 55143, 41117)
    ps = pstates.gsps(stack.datasets[1], polyline=[(5.5, 10.5), (20.5, 10.5)], lab=lab)
    paths = written(tmp_path, [*stack.files.items(), ("ps.dcm", to_bytes(ps))])
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose(paths)
        viewer.page.evaluate("() => window.lightbox.select(0, 1)")
        viewer.wait_state("s.series === 0 && s.frame === 1")
        _apply(viewer, ps.SOPInstanceUID)
        viewer.page.evaluate("() => window.lightbox.setView({plane: 'coronal', position: 5.0})")
        state = viewer.wait_state("s.view && s.view.plane === 'coronal' && !!s.reslice")
        assert state["presentation"]["uid"] == ps.SOPInstanceUID
        reslice = state["reslice"]
        plain, shown = _frame(viewer, False), _frame(viewer, True)
        p = known.reslice_points(reslice)
        col = p[..., 0] / 0.5
        on_slice = np.abs(p[..., 2] - 2.0) < 1.0
        want = on_slice & (col > 4.5) & (col < 20.5)
        sure = np.abs(np.abs(p[..., 2] - 2.0) - 1.0) > 1e-6  # not on a slice boundary
        sure &= np.abs(col - np.rint(col) - 0.5) > 1e-6
        assert want[sure].sum() >= 10
        changed = np.any(shown[..., :3] != plain[..., :3], axis=-1)
        assert np.array_equal(changed[sure], want[sure])
        assert np.abs(shown[want & sure, :3] - lab_expected(lab)).max() <= 1.5
        # and on screen: the pane's layer canvas has the line's colour drawn on it
        drawn = viewer.page.evaluate(
            """() => {
                const c = document.querySelector("canvas.segment-layer");
                const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
                let n = 0;
                for (let i = 3; i < d.length; i += 4) n += d[i] > 0 ? 1 : 0;
                return n;
            }"""
        )
        assert drawn > 1000
        _shot(viewer, "gsps-on-coronal.png")
    finally:
        finish(context, viewer)
