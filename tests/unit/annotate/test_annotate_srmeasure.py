"""SR measurements with where they lie (TID 1500): a generated report's values and
coordinates, dcmqi's measurements of a segment, and SCOORD3D projected onto a slice by
the Image Plane formula of PS3.3 C.7.6.2.1.1 worked by hand."""

from __future__ import annotations

import numpy as np
import pydicom

from lightbox.annotate import srmeasure
from lightbox.display.frames import FrameGeometry
from lightbox.session.presented import label_of, project
from tests.support import pstates
from tests.support.paths import CORPUS
from tools.synth import ct_dataset


def test_generated_tid1500_measurement() -> None:
    image = ct_dataset(
        np.zeros((8, 8)), series_uid="1.2.3", study_uid="1.2.4", instance=1, z_mm=0.0
    )
    ds = pstates.tid1500(
        image, ("410668003", "SCT", "Length"), 12.5, ("mm", "millimeter"), "POLYLINE",
        [(1.5, 2.5), (6.5, 2.5)],
    )  # fmt: skip
    found = srmeasure.read_measurements(ds)
    assert len(found) == 1
    m = found[0]
    assert (m.uid, m.name, m.value, m.unit) == (ds.SOPInstanceUID, "Length", 12.5, "mm")
    assert m.where.kind == "image" and m.where.graphic == "POLYLINE"
    assert m.where.points == ((1.5, 2.5), (6.5, 2.5))
    assert m.where.image == (image.SOPInstanceUID, ())
    assert label_of(m) == "Length 12.5 mm"


def test_dcmqi_measurements_are_of_segment_one() -> None:
    ds = pydicom.dcmread(CORPUS / "sr" / "dcmqi" / "sr-example" / "sr.dcm")
    found = srmeasure.read_measurements(ds)
    group = ds.ContentSequence[-1].ContentSequence[0]
    nums = [i for i in group.ContentSequence if i.ValueType == "NUM"]
    assert len(found) == len(nums)
    assert all(m.where.kind == "segment" and m.where.segment == 1 for m in found)
    assert [m.value for m in found] == [
        float(n.MeasuredValueSequence[0].NumericValue) for n in nums
    ]
    assert found[0].name == "SUVbw (Mean)"
    assert label_of(found[0]) == "SUVbw (Mean) 6.01529 g/ml"


def test_scoord3d_is_projected_onto_the_slice_it_lies_on() -> None:
    # a slice at z = 10 with rows along +y, columns along +x, 0.5 mm × 2 mm pixels
    geometry = FrameGeometry((-5.0, -10.0, 10.0), (1, 0, 0, 0, 1, 0), (0.5, 2.0), 1.0)
    # x = -5 + 2·(column - 0.5), y = -10 + 0.5·(row - 0.5) for image coordinates
    got = project([(1.0, -9.0, 10.2)], geometry, 0.5)
    assert got is not None and np.allclose(got, [(3.5, 2.5)])
    assert project([(1.0, -9.0, 11.0)], geometry, 0.5) is None
