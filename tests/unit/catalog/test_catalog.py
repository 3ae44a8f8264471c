"""lightbox.catalog.series: slice geometry, ordering within a series, grouping into series."""

from __future__ import annotations

import random

import numpy as np
import pytest
from pydicom.dataset import Dataset

from lightbox.catalog.series import (
    SeriesEntry,
    build_series,
    entry_from_header,
    order_entries,
    read_geometry,
    slice_distances,
)
from lightbox.core.records import FrameRef, Geometry

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
SAGITTAL = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)
CORONAL = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)
#: rows along (0.6, 0.8, 0), columns along +z: the normal is (0.8, -0.6, 0)
OBLIQUE_Z = (0.6, 0.8, 0.0, 0.0, 0.0, 1.0)
#: rows along +x, columns along (0, 0.6, 0.8): the normal is (0, -0.8, 0.6)
OBLIQUE_X = (1.0, 0.0, 0.0, 0.0, 0.6, 0.8)


# (orientation, positions, distances worked out by hand from the normal row x column)
@pytest.mark.parametrize(
    ("orientation", "positions", "expected"),
    [
        pytest.param(
            AXIAL, [(0, 0, -5), (10, -3, 0), (7, 7, 12.5)], [-5, 0, 12.5], id="axial-normal-+z"
        ),
        pytest.param(
            SAGITTAL, [(-20, 0, 0), (3, 50, -9), (0, 0, 0)], [20, -3, 0], id="sagittal-normal--x"
        ),
        pytest.param(
            CORONAL, [(0, 10, 0), (5, -2, 40), (1, 0, 1)], [10, -2, 0], id="coronal-normal-+y"
        ),
        pytest.param(
            OBLIQUE_Z, [(10, 0, 5), (0, -10, 0), (3, 4, 99)], [8, 6, 0], id="oblique-about-z"
        ),
        pytest.param(
            OBLIQUE_X, [(0, -5, 5), (9, 0, 10), (1, 3, 4)], [7, 6, 0], id="oblique-about-x"
        ),
    ],
)
def test_slice_distances(orientation, positions, expected):
    distances = slice_distances(np.array(positions, dtype=np.float64), orientation)
    np.testing.assert_allclose(distances, expected, atol=1e-12)


def _entry(
    file: int,
    *,
    position=None,
    orientation=AXIAL,
    instance=None,
    uid="1.2.3",
    batch=0,
    frames=1,
    number=None,
) -> SeriesEntry:
    geometry = Geometry(
        tuple(float(v) for v in position) if position is not None else None,
        orientation if position is not None else None,
        instance,
    )
    return SeriesEntry(file, batch, uid, frames, geometry, number, "CT", f"series {uid}")


def _stack(orientation, normal, count=9, spacing=2.5, seed=0):
    """Entries along ``normal``, shuffled, with instance numbers running backwards."""
    origin = np.array([-100.0, 40.0, 7.0])
    row, col = np.array(orientation[:3]), np.array(orientation[3:])
    order = list(range(count))
    random.Random(seed).shuffle(order)
    entries = []
    for file, k in enumerate(order):
        # move within the plane too: only the normal component may matter
        position = origin + k * spacing * np.array(normal) + 3.0 * k * row - 1.5 * (k % 2) * col
        entries.append(_entry(file, position=position, orientation=orientation, instance=count - k))
    return entries, order


@pytest.mark.parametrize(
    ("orientation", "normal"),
    [
        pytest.param(AXIAL, (0, 0, 1), id="axial"),
        pytest.param(SAGITTAL, (-1, 0, 0), id="sagittal"),
        pytest.param(CORONAL, (0, 1, 0), id="coronal"),
        pytest.param(OBLIQUE_Z, (0.8, -0.6, 0), id="oblique"),
    ],
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_order_entries_by_position_along_the_normal(orientation, normal, seed):
    entries, order = _stack(orientation, normal, seed=seed)
    ordered = order_entries(entries)
    # file f holds step order[f]: sorted by step, the files come as argsort(order)
    assert [e.file for e in ordered] == sorted(range(len(order)), key=lambda f: order[f])
    # and the instance numbers (which run backwards) were not used
    assert [e.geometry.instance_number for e in ordered] == list(range(len(order), 0, -1))


def test_order_entries_breaks_position_ties_by_instance_number():
    entries = [
        _entry(0, position=(0, 0, 5), instance=3),
        _entry(1, position=(0, 0, 5), instance=1),
        _entry(2, position=(0, 0, 0), instance=2),
    ]
    assert [e.file for e in order_entries(entries)] == [2, 1, 0]


def test_order_entries_falls_back_to_instance_number_when_a_position_is_missing():
    entries = [
        _entry(0, position=(0, 0, 30), instance=2),
        _entry(1, position=None, instance=3),
        _entry(2, position=(0, 0, 10), instance=1),
        _entry(3, position=(0, 0, 20), instance=4),
    ]
    assert [e.file for e in order_entries(entries)] == [2, 0, 1, 3]


def test_order_entries_falls_back_to_instance_number_when_orientations_differ():
    entries = [
        _entry(0, position=(0, 0, 1), orientation=AXIAL, instance=3),
        _entry(1, position=(0, 0, 2), orientation=CORONAL, instance=1),
        _entry(2, position=(0, 0, 3), orientation=AXIAL, instance=2),
    ]
    assert [e.file for e in order_entries(entries)] == [1, 2, 0]


def test_order_entries_tolerates_rounding_in_orientation():
    tilted = (1.0, 0.0, 0.0, 0.0, 0.9999999, 0.0004)  # within tolerance of AXIAL
    entries = [
        _entry(0, position=(0, 0, 2), orientation=AXIAL, instance=1),
        _entry(1, position=(0, 0, 1), orientation=tilted, instance=2),
    ]
    assert [e.file for e in order_entries(entries)] == [1, 0]


def test_order_entries_without_geometry_or_numbers_keeps_numbered_first_then_open_order():
    entries = [
        _entry(0, instance=None),
        _entry(1, instance=5),
        _entry(2, instance=None),
        _entry(3, instance=2),
    ]
    assert [e.file for e in order_entries(entries)] == [3, 1, 0, 2]


def test_build_series_groups_by_series_instance_uid():
    entries = [
        _entry(0, uid="A", instance=2, number=1),
        _entry(1, uid="B", instance=1, number=2),
        _entry(2, uid="A", instance=1, number=1),
        _entry(3, uid="B", instance=2, number=2),
    ]
    series = build_series(entries)
    assert [s.uid for s in series] == ["A", "B"]
    assert series[0].frames == (FrameRef(2, 0), FrameRef(0, 0))
    assert series[1].frames == (FrameRef(1, 0), FrameRef(3, 0))


def test_build_series_orders_by_open_batch_then_series_number():
    entries = [
        _entry(0, uid="late-batch", batch=1, number=1),
        _entry(1, uid="s3", batch=0, number=3),
        _entry(2, uid="unnumbered", batch=0, number=None),
        _entry(3, uid="s1", batch=0, number=1),
        _entry(4, uid="late-batch-0", batch=1, number=0),
    ]
    assert [s.uid for s in build_series(entries)] == [
        "s1",
        "s3",
        "unnumbered",
        "late-batch-0",
        "late-batch",
    ]


def test_build_series_series_reopened_later_keeps_its_first_batch():
    entries = [
        _entry(0, uid="B", batch=0, number=9),
        _entry(1, uid="A", batch=1, number=1),
        _entry(2, uid="B", batch=1, number=9, instance=1),
    ]
    assert [s.uid for s in build_series(entries)] == ["B", "A"]


def test_build_series_expands_multiframe_entries_frame_by_frame():
    entries = [
        _entry(0, uid="M", frames=3, instance=2),
        _entry(1, uid="M", frames=2, instance=1),
        _entry(2, uid="S", frames=1),
    ]
    series = {s.uid: s for s in build_series(entries)}
    # Each multi-frame object is a stack of its own (the larger first); both keep the UID.
    assert series["M"].frames == (FrameRef(0, 0), FrameRef(0, 1), FrameRef(0, 2))
    assert series["M#2"].frames == (FrameRef(1, 0), FrameRef(1, 1))
    assert series["M"].series_uid == series["M#2"].series_uid == "M"
    assert series["S"].frames == (FrameRef(2, 0),)


def test_read_geometry_and_entry_from_header():
    ds = Dataset()
    ds.ImagePositionPatient = [1, 2.5, "-3"]
    ds.ImageOrientationPatient = list(SAGITTAL)
    ds.InstanceNumber = "7"
    ds.SeriesNumber = 4
    ds.Modality = "MR"
    ds.SeriesDescription = "T1"
    assert read_geometry(ds) == Geometry((1.0, 2.5, -3.0), SAGITTAL, 7)
    entry = entry_from_header(5, 2, ds, 3, "fallback-uid")
    assert entry == SeriesEntry(
        5,
        2,
        "fallback-uid",
        3,
        Geometry((1.0, 2.5, -3.0), SAGITTAL, 7),
        4,
        "MR",
        "T1",
        patient="study:",
    )
    # The plane is not part of what must agree to stack; a multi-frame file stacks alone.
    assert entry.stack_key == ("stack", (0, 0), False, 5)
    ds.SeriesInstanceUID = "1.2.3.4"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "LOCALIZER"]
    ds.AcquisitionDate, ds.AcquisitionTime = "2007.12.01", "17:33:21.5"
    entry = entry_from_header(5, 2, ds, 1, "fallback-uid", name="CD/IM0001")
    assert (entry.series_uid, entry.localizer, entry.name) == ("1.2.3.4", True, "CD/IM0001")
    assert entry.acquired == "20071201173321.5"
    assert entry.stack_key == ("stack", (0, 0), True, None)


def test_read_geometry_rejects_malformed_values():
    ds = Dataset()
    ds.add_new(0x00200032, "DS", [1, 2])  # two values, not three
    ds.add_new(0x00200037, "DS", [1, 0, 0, 0, 1])
    assert read_geometry(ds) == Geometry(None, None, None)


def test_series_split_by_size_and_localizer_not_by_plane():
    # Issue 12: a plane of its own used to split off (one series per plane); now only
    # the size and being a localizer do, and the other plane makes the series mixed.
    def entry(file: int, size: tuple[int, int], plane: tuple[float, ...], scout: bool = False):
        return SeriesEntry(
            file,
            0,
            "S",
            1,
            Geometry((0.0, 0.0, float(file)), plane, file),
            1,
            "CT",
            "",
            size=size,
            localizer=scout,
        )

    axial = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    entries = [
        entry(0, (512, 512), axial),
        entry(1, (512, 512), axial),
        entry(2, (512, 512), axial),
        entry(3, (256, 256), axial),  # another size
        entry(4, (512, 512), SAGITTAL),  # another plane: stays, in instance order
        entry(5, (512, 512), axial, scout=True),  # a localizer
    ]
    series = build_series(entries)
    assert [[f.file for f in s.frames] for s in series] == [[0, 1, 2, 4], [3], [5]]
    assert [s.uid for s in series] == ["S", "S#2", "S#3"]
    assert [(s.ordering, s.mixed_orientation) for s in series] == [
        ("instance", True),
        ("position", False),
        ("position", False),
    ]
