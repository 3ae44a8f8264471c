"""Reading presentation states (PS3.3 A.33) and drawing them on the image grid: the
expectations are the generated objects' own values and pixels worked by hand from the
coordinate conventions of C.10.5.1.2 (0\\0 the top left corner of the first pixel)."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

from lightbox.annotate import draw, pstate
from lightbox.core.records import Window
from lightbox.display.luts import Lut, Rescale
from lightbox.display.presentation import lut_output
from tests.support import pstates
from tests.support.paths import CORPUS
from tests.unit.segment.test_color import expected as lab_expected
from tools.synth import ct_dataset

WEASIS = CORPUS / "gsps" / "weasis-dicom-tools"


def _image(rows: int = 60, cols: int = 80) -> pydicom.Dataset:
    return ct_dataset(
        np.zeros((rows, cols)),
        series_uid=pydicom.uid.generate_uid(),
        study_uid=pydicom.uid.generate_uid(),
        instance=1,
        z_mm=0.0,
    )


def test_generated_state_is_read_step_by_step() -> None:
    image = _image()
    lab = (54534, 55143, 41117)
    ds = pstates.gsps(
        image, rotation=90, flip=True, window=(100.0, 500.0), rescale=(1.0, -1024.0),
        polyline=[(10.5, 10.5), (50.5, 10.5)], text=("HI", (1.0, 2.0), (30.0, 12.0)),
        lab=lab, shutter=(3, 78, 2, 58),
    )  # fmt: skip
    state = pstate.read_presentation_state(ds)
    assert state.uid == ds.SOPInstanceUID and state.label == "TEST_PS"
    assert state.applies_to(image.SOPInstanceUID, 0)
    assert not state.applies_to("1.2.3", 0)
    assert state.modality == Rescale(1.0, -1024.0, "HU")
    voi = state.voi_for(image.SOPInstanceUID, 0)
    assert isinstance(voi, Window) and (voi.center, voi.width) == (100.0, 500.0)
    assert (state.rotation, state.flip, state.shape) == (90, True, "IDENTITY")
    assert state.layers[0].color == tuple(int(v) for v in np.rint(lab_expected(lab)))
    graphic = state.annotations[0].graphics[0]
    assert (graphic.kind, graphic.units, graphic.points) == (
        "POLYLINE", "PIXEL", ((10.5, 10.5), (50.5, 10.5)),
    )  # fmt: skip
    assert state.annotations[0].texts[0].box == ((1.0, 2.0), (30.0, 12.0))
    assert state.shutters.rectangle == (3, 78, 2, 58)


def test_layer_marks_the_pixels_the_path_crosses_and_the_shutter() -> None:
    image = _image()
    ds = pstates.gsps(
        image, polyline=[(10.5, 10.5), (50.5, 10.5), (50.5, 40.5)], shutter=(3, 78, 2, 58)
    )
    state = pstate.read_presentation_state(ds)
    canvas, texts = draw.presentation_layer(state, image.SOPInstanceUID, 0, 60, 80)
    alpha = canvas.rgba[..., 3] > 0
    want = np.zeros((60, 80), bool)
    want[10, 10:51] = True  # y = 10.5 lies in row 10, x 10.5..50.5 in columns 10..50
    want[10:41, 50] = True
    # the shutter hides 1-based columns < 3 or > 78 and rows < 2 or > 58
    want[:, :2] = want[:, 78:] = True
    want[:1, :] = want[58:, :] = True
    assert np.array_equal(alpha, want)
    assert texts == []


def test_a_line_off_the_pixel_centres_marks_the_pixels_it_crosses() -> None:
    canvas = draw.Canvas(20, 20)
    draw.draw_graphic(canvas, "POLYLINE", [(2.2, 3.8), (9.9, 3.8), (9.9, 12.6)], False, (1, 2, 3))
    want = np.zeros((20, 20), bool)
    want[3, 2:10] = True  # y = 3.8 lies in row 3; x 2.2..9.9 in columns 2..9
    want[3:13, 9] = True  # x = 9.9 in column 9; y 3.8..12.6 in rows 3..12
    assert np.array_equal(canvas.rgba[..., 3] > 0, want)
    assert (canvas.rgba[want, :3] == (1, 2, 3)).all()


def test_filled_circle_and_ellipse_cover_the_pixel_centres_inside() -> None:
    canvas = draw.Canvas(40, 40)
    draw.draw_graphic(canvas, "CIRCLE", [(20.0, 20.0), (30.0, 20.0)], True, (255, 0, 0))
    yy, xx = np.mgrid[0:40, 0:40] + 0.5
    inside = (xx - 20) ** 2 + (yy - 20) ** 2 < 10**2 - 1e-9
    alpha = canvas.rgba[..., 3] > 0
    assert alpha[inside].all()
    # and nothing farther out than the outline's pixels (one pixel of the circle)
    assert not alpha[(xx - 20) ** 2 + (yy - 20) ** 2 > 11.5**2].any()
    ellipse = draw.Canvas(40, 40)
    points = [(5.0, 20.0), (35.0, 20.0), (20.0, 15.0), (20.0, 25.0)]  # major, then minor axis
    draw.draw_graphic(ellipse, "ELLIPSE", points, True, (0, 255, 0))
    inside = ((xx - 20) / 15) ** 2 + ((yy - 20) / 5) ** 2 < 1 - 1e-9
    alpha = ellipse.rgba[..., 3] > 0
    assert alpha[inside].all()
    assert not alpha[np.abs(yy - 20) > 6].any()


@pytest.mark.parametrize(
    ("rotation", "flip", "corners"),
    [
        # display (0,0), (1,0), (0,1) → image points, worked by hand for 80 × 60
        (0, False, [(0, 0), (80, 0), (0, 60)]),
        (90, False, [(0, 60), (0, 0), (80, 60)]),
        (0, True, [(80, 0), (0, 0), (80, 60)]),
        (180, False, [(80, 60), (0, 60), (80, 0)]),
        (90, True, [(80, 60), (80, 0), (0, 60)]),
    ],
)
def test_display_units_follow_the_spatial_transformation(
    rotation: int, flip: bool, corners: list[tuple[int, int]]
) -> None:
    state = pstate.read_presentation_state(pstates.gsps(_image(), rotation=rotation, flip=flip))
    to_image = draw.display_mapper(state, state.areas[0], 60, 80)
    got = [to_image(p) for p in [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)]]
    assert np.allclose(got, corners)


def test_presentation_lut_scales_its_input_and_output_ranges() -> None:
    # 4096 entries of 12 bits, entry k = 4095 - k (an inverse): 0 → 255, 255 → 0
    data = np.arange(4095, -1, -1, dtype=np.uint16)
    lut = Lut(0, 12, data)
    y = np.array([0.0, 255.0, 127.5, 254.0, 1.0])
    want = (4095 - np.floor(y * 4095 / 255 + 0.5)) * 255 / 4095
    assert np.allclose(lut_output(lut, y), want)


def test_weasis_states_are_read() -> None:
    luts = pstate.read_presentation_state(pydicom.dcmread(WEASIS / "prLUTs.dcm"))
    assert luts.shape == "LUT" and luts.lut is not None and isinstance(luts.modality, Lut)
    overlay = pstate.read_presentation_state(pydicom.dcmread(WEASIS / "prOverlay.dcm"))
    assert [p.group for p in overlay.overlays] == [0x6008, 0x600A]
    assert overlay.activation[0x6000] == "LAYER1" and overlay.activation[0x600A] == "LAYER6"


def test_circular_and_polygonal_shutters_hide_what_lies_outside() -> None:
    ds = pstates.gsps(_image(20, 20))
    ds.ShutterShape = ["CIRCULAR", "POLYGONAL"]
    ds.CenterOfCircularShutter = [10, 11]  # row, column (1-based)
    ds.RadiusOfCircularShutter = 6
    # a triangle, vertices as 1-based (row, column)
    ds.VerticesOfThePolygonalShutter = [2, 2, 2, 19, 19, 2]
    ds.ShutterPresentationValue = 65535
    state = pstate.read_presentation_state(ds)
    canvas, _ = draw.presentation_layer(state, "none", 0, 20, 20)
    rr, cc = np.mgrid[0:20, 0:20] + 1  # 1-based row and column of each pixel
    in_circle = (rr - 10) ** 2 + (cc - 11) ** 2 <= 36
    in_triangle = (rr >= 2) & (cc >= 2) & (rr - 2 + cc - 2 <= 17)
    hidden = ~(in_circle & in_triangle)
    edge = rr + cc == 21  # centres on the hypotenuse: either side is right
    assert np.array_equal((canvas.rgba[..., 3] > 0)[~edge], hidden[~edge])
    assert (canvas.rgba[hidden, :3] == 255).all()  # the Shutter Presentation Value, white


def test_interpolated_through_points_on_a_line_stays_on_it() -> None:
    canvas = draw.Canvas(12, 24)
    points = [(2.5, 5.5), (10.5, 5.5), (18.5, 5.5)]
    draw.draw_graphic(canvas, "INTERPOLATED", points, False, (9, 9, 9))
    want = np.zeros((12, 24), bool)
    want[5, 2:19] = True
    assert np.array_equal(canvas.rgba[..., 3] > 0, want)


def test_text_in_display_units_lands_in_the_displayed_area_as_shown() -> None:
    image = _image()
    ds = pstates.gsps(image, rotation=90, text=("T", (0.0, 0.0), (0.5, 0.25)))
    item = ds.GraphicAnnotationSequence[0].TextObjectSequence[0]
    item.BoundingBoxAnnotationUnits = "DISPLAY"
    state = pstate.read_presentation_state(ds)
    _, texts = draw.presentation_layer(state, image.SOPInstanceUID, 0, 60, 80)
    # shown 60 wide × 80 tall after a quarter turn: its top left quarter-width, quarter-
    # height box is image x 0..20, y 30..60 (worked by hand)
    assert np.allclose(texts[0]["box"], [0.0, 30.0, 20.0, 60.0])
