"""SEG masks and RT contours on a reformatted plane (issue 16 items 4 and 5).

A coronal plane through the generated CT (slices at z = 0, 2, 4 mm, 0.5 mm pixels) at
y = 4.5 mm (image row 9): its pixel (r, c) is the patient point (0.5 c, 4.5, 2 r), which
lies on slice r at image pixel (9, c). Expected there: the SEG's mask for that slice
(as generated here) in the segment's colour (the CIELab formula of
tests/unit/segment/test_color.py), at opacity 1; an RT polygon's inside, by the even-odd
rule of tests/support/rt.py.
"""

from __future__ import annotations

import numpy as np

from lightbox.session.session import Session
from tests.support import pstates, rt, segs
from tests.unit.segment.test_color import expected as lab_expected
from tools.synth import to_bytes

RED_LAB = (21169, 53249, 50708)


def _coronal(y: float, rows: int, columns: int) -> dict:
    return {
        "origin": [0.0, y, 0.0],
        "rowDirection": [1.0, 0.0, 0.0],
        "columnDirection": [0.0, 0.0, 1.0],
        "rowSpacing": 2.0,
        "columnSpacing": 0.5,
        "rows": rows,
        "columns": columns,
    }


def test_seg_on_a_coronal_plane() -> None:
    stack = segs.ct_stack(rows=24, cols=32, slices=3)
    masks = np.zeros((3, 24, 32))
    masks[0, 5:12, 4:10] = 1
    masks[1, 8:20, 6:25] = 1
    data, ds = segs.seg_bytes(
        stack, [(1, 0, masks[0]), (1, 1, masks[1])], [("Red", RED_LAB)], by_uid=False
    )
    session = Session()
    result = session.open([*stack.files.items(), ("seg.dcm", data)])
    ct = next(i for i, s in enumerate(result["series"]) if s["modality"] == "CT")
    settings = [{"uid": ds.SOPInstanceUID, "visible": True, "opacity": 1.0, "hidden": []}]
    info, rgba = session.plane_layer(ct, _coronal(4.5, 3, 32), settings)
    assert rgba.shape == (3, 32, 4)
    want = masks[:, 9, :].astype(bool)  # slice r, image row 9
    assert np.array_equal(rgba[..., 3] == 255, want) and not rgba[~want, 3].any()
    assert np.abs(rgba[want, :3] - np.rint(lab_expected(RED_LAB))).max() <= 1
    assert [s["label"] for s in info["segments"]] == ["Red"]
    # a plane between two slices' reach (y beyond the image) draws nothing
    _, none = session.plane_layer(ct, _coronal(40.0, 3, 32), settings)
    assert not none[..., 3].any()


def test_rt_polygon_on_a_sagittal_plane() -> None:
    stack = segs.ct_stack(rows=40, cols=48, slices=3)
    outer = np.array([[3.1, 2.2], [18.3, 4.0], [12.2, 15.7], [8.0, 9.1], [4.0, 14.6]])
    contour = np.column_stack([outer, np.full(len(outer), 2.0)])
    data, ds = rt.rtstruct_bytes(stack, [(1, "Tumour", (255, 0, 0), [("CLOSED_PLANAR", contour)])])
    session = Session()
    result = session.open([*stack.files.items(), ("rs.dcm", data)])
    ct = next(i for i, s in enumerate(result["series"]) if s["modality"] == "CT")
    settings = [{"uid": ds.SOPInstanceUID, "visible": True, "opacity": 1.0, "hidden": []}]
    sagittal = {
        "origin": [6.0, 0.0, 0.0],  # x = 6 mm: image column 12
        "rowDirection": [0.0, 1.0, 0.0],
        "columnDirection": [0.0, 0.0, 1.0],
        "rowSpacing": 2.0,
        "columnSpacing": 0.5,
        "rows": 3,
        "columns": 40,
    }
    _, rgba = session.plane_layer(ct, sagittal, settings)
    drawn = rgba[..., 3] > 0
    assert not drawn[0].any() and not drawn[2].any()  # the contour lies on slice 1 only
    inside = np.array([rt.even_odd([outer], 6.0, 0.5 * c) for c in range(40)])
    near = np.array([rt.distance_to_path([outer], 6.0, 0.5 * c) <= 0.5 for c in range(40)])
    assert drawn[1][inside & ~near].all() and not drawn[1][~inside & ~near].any()
    assert (rgba[1][drawn[1], :3] == (255, 0, 0)).all()


def test_seg_on_a_coronal_slab_shows_the_segment_anywhere_in_its_depth() -> None:
    """A 3 mm coronal slab centred at y = 4.5 mm spans image rows 6 to 12 (y = 3.0 to 6.0
    mm, 0.5 mm pixels): its layer at (r, c) is set where slice r's mask is set in any of
    those rows at column c (the union a MIP of the mask would show), and only there."""
    stack = segs.ct_stack(rows=24, cols=32, slices=3)
    masks = np.zeros((3, 24, 32))
    masks[0, 5:7, 4:10] = 1  # touches the slab at row 6 only
    masks[1, 12:20, 6:25] = 1  # from row 12, the slab's far edge
    masks[2, 14:20, 1:30] = 1  # beyond the slab
    data, ds = segs.seg_bytes(
        stack,
        [(1, 0, masks[0]), (1, 1, masks[1]), (1, 2, masks[2])],
        [("Red", RED_LAB)],
        by_uid=False,
    )
    session = Session()
    result = session.open([*stack.files.items(), ("seg.dcm", data)])
    ct = next(i for i, s in enumerate(result["series"]) if s["modality"] == "CT")
    settings = [{"uid": ds.SOPInstanceUID, "visible": True, "opacity": 1.0, "hidden": []}]
    plane = _coronal(4.5, 3, 32)
    _, thin = session.plane_layer(ct, plane, settings)
    assert not thin[..., 3].any()  # the plane itself (row 9) meets no mask
    info, rgba = session.plane_layer(ct, {**plane, "slab": 3.0}, settings)
    want = masks[:, 6:13, :].any(axis=1).astype(bool)
    assert want[0].any() and want[1].any() and not want[2].any()
    assert np.array_equal(rgba[..., 3] == 255, want) and not rgba[~want, 3].any()
    assert [s["label"] for s in info["segments"]] == ["Red"]


def test_an_applied_presentation_states_graphics_on_a_coronal_plane() -> None:
    """A GSPS polyline on slice 1 along image row 10 from the centre of column 5 to that of
    column 20 (PIXEL units: a pixel's centre is at + 0.5, PS3.3 C.10.5.1.2). The coronal
    plane at y = 5.0 mm (row 10) crosses slice 1 on its row 1: there, columns 5 to 20 are
    drawn, in the layer's colour, and nothing else of the plane; no state, nothing."""
    stack = segs.ct_stack(rows=24, cols=32, slices=3)
    image = stack.datasets[1]
    lab = (54534, 55143, 41117)
    state = pstates.gsps(image, polyline=[(5.5, 10.5), (20.5, 10.5)], lab=lab)
    session = Session()
    result = session.open([*stack.files.items(), ("ps.dcm", to_bytes(state))])
    ct = next(i for i, s in enumerate(result["series"]) if s["modality"] == "CT")
    plane = _coronal(5.0, 3, 32)
    _, none = session.plane_layer(ct, plane, [])
    assert not none[..., 3].any()
    _, rgba = session.plane_layer(ct, plane, [], str(state.SOPInstanceUID))
    want = np.zeros((3, 32), bool)
    want[1, 5:21] = True
    assert np.array_equal(rgba[..., 3] > 0, want)
    assert np.abs(rgba[want, :3] - np.rint(lab_expected(lab))).max() <= 1
