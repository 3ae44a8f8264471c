"""RT Structure Set contours over the CT they were drawn on (issue 16 item 5).

The expectation is worked here: a pixel (r, c) of the generated CT has its centre at
(0.5 c, 0.5 r, z) mm (Image Position 0, Pixel Spacing 0.5, axial); it is inside an ROI by
the textbook even-odd crossing test (tests/support/rt.py) on the contour's points in mm;
the outline is every pixel within a pixel of the path. The corpus' STS_002 RTSTRUCT's
contours go on the CT slices whose Image Position z equals the contour's z (pydicom).
"""

from __future__ import annotations

import numpy as np
import pydicom

from lightbox.session.session import Session
from tests.support import rt, segs
from tests.support.paths import CORPUS

STS = CORPUS / "rt" / "mirp" / "sts_images" / "STS_002" / "CT" / "dicom"
OUTER = np.array([[3.1, 2.2], [18.3, 4.0], [12.2, 15.7], [8.0, 9.1], [4.0, 14.6]])
HOLE = np.array([[7.0, 5.0], [11.0, 5.0], [11.0, 7.5], [7.0, 7.5]])
RED, BLUE = (255, 0, 0), (0, 64, 255)


def _with_z(points: np.ndarray, z: float) -> np.ndarray:
    return np.column_stack([points, np.full(len(points), z)])


def generated() -> tuple[segs.Stack, list[tuple[str, bytes]], pydicom.Dataset]:
    stack = segs.ct_stack(rows=40, cols=48, slices=3)
    data, ds = rt.rtstruct_bytes(
        stack,
        [
            (
                1,
                "Tumour",
                RED,
                [("CLOSED_PLANAR", _with_z(OUTER, 2.0)), ("CLOSED_PLANAR", _with_z(HOLE, 2.0))],
            ),
            (2, "Cord", BLUE, [("CLOSED_PLANAR", _with_z(OUTER[:3] + 2.0, 4.0))]),
        ],
    )
    return stack, [*stack.files.items(), ("rs.dcm", data)], ds


def expected_fill(polygons_mm: list[np.ndarray], rows: int, columns: int) -> tuple:
    """(inside, near the path) for every pixel, in pixel units of 0.5 mm."""
    inside = np.zeros((rows, columns), bool)
    near = np.zeros((rows, columns), bool)
    for r in range(rows):
        for c in range(columns):
            x, y = 0.5 * c, 0.5 * r
            inside[r, c] = rt.even_odd(polygons_mm, x, y)
            near[r, c] = rt.distance_to_path(polygons_mm, x, y) / 0.5 <= 1.0
    return inside, near


def test_contours_land_on_their_slice_inside_their_polygon() -> None:
    _, files, ds = generated()
    session = Session()
    result = session.open(files)
    ct = next(i for i, s in enumerate(result["series"]) if s["modality"] == "CT")
    series = session.catalog(report=False)["series"][ct]
    [listed] = series["rtStructures"]
    assert listed["uid"] == ds.SOPInstanceUID and listed["label"] == "Planning"
    assert listed["frames"] == [1, 2]
    assert [(s["number"], s["label"], s["color"]) for s in listed["segments"]] == [
        (1, "Tumour", list(RED)),
        (2, "Cord", list(BLUE)),
    ]
    assert {"kind": "RTSTRUCT", "uid": ds.SOPInstanceUID}.items() <= series["objects"][0].items()
    settings = [{"uid": ds.SOPInstanceUID, "visible": True, "opacity": 1.0, "hidden": []}]
    info, rgba = session.segment_layer(ct, 1, settings)
    assert [s["label"] for s in info["segments"]] == ["Tumour"]
    inside, near = expected_fill([OUTER, HOLE], 40, 48)
    drawn = rgba[..., 3] > 0
    assert drawn[inside & ~near].all()  # the inside, filled (the hole excluded)
    assert not drawn[~inside & ~near].any()  # nothing outside, the hole included
    assert (rgba[drawn, :3] == RED).all()
    assert drawn[near].mean() > 0.5  # the outline runs along the path
    # at opacity 0.4 the fill is 40 % and the outline opaque
    settings[0]["opacity"] = 0.4
    _, rgba = session.segment_layer(ct, 1, settings)
    assert (rgba[inside & ~near, 3] == round(0.4 * 255)).all()
    path = rgba[..., 3] == 255
    assert path.any() and near[path].all()
    _, none = session.segment_layer(ct, 0, settings)
    assert not none[..., 3].any()
    # hidden: the set, then one ROI
    _, off = session.segment_layer(ct, 1, [{**settings[0], "visible": False}])
    assert not off[..., 3].any()
    info, cord = session.segment_layer(ct, 2, [{**settings[0], "hidden": [2]}])
    assert not cord[..., 3].any() and info["segments"][0]["visible"] is False


def test_corpus_sts_002_structure_set_lies_on_its_ct_slices() -> None:
    paths = [*sorted((STS / "image").glob("*.dcm")), STS / "mask" / "RS.dcm"]
    session = Session()
    result = session.open([(str(p), p.read_bytes()) for p in paths])
    ct = next(i for i, s in enumerate(result["series"]) if s["modality"] == "CT")
    series = session.catalog(report=False)["series"][ct]
    [listed] = series["rtStructures"]
    rs = pydicom.dcmread(STS / "mask" / "RS.dcm")
    zs = {
        round(float(c.ContourData[2]), 2)
        for item in rs.ROIContourSequence
        for c in item.ContourSequence
    }
    frame_z = [
        float(pydicom.dcmread(session.files[ref.file].name).ImagePositionPatient[2])
        for ref in session.series[ct].frames
    ]
    want = sorted(i for i, z in enumerate(frame_z) if any(abs(z - c) < 0.01 for c in zs))
    assert listed["frames"] == want and len(want) == len(zs)
    assert listed["segments"][0]["label"] == "GTV_Mass_CT"
    info, rgba = session.segment_layer(ct, want[len(want) // 2], [])
    assert info["segments"][0]["color"] == [255, 0, 0]
    assert (rgba[..., 3] == 255).sum() > 20


def test_a_broken_structure_set_stays_a_document() -> None:
    stack, _, ds = generated()
    del ds.StructureSetROISequence
    from tools.synth import to_bytes

    session = Session()
    result = session.open([*stack.files.items(), ("broken.dcm", to_bytes(ds))])
    ct = next(i for i, s in enumerate(result["series"]) if s["modality"] == "CT")
    assert session.catalog(report=False)["series"][ct]["rtStructures"] == []
    [document] = session.catalog(report=False)["documents"]
    assert document["name"] == "broken.dcm"
    assert "Structure Set ROI Sequence" in document["warnings"][0]["reason"]
