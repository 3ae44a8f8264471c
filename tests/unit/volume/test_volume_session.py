"""Session.volume and Session.render_view: a series of files as a volume, and its views.

The truth is independent of lightbox.volume: ``tests.support.volumes.reference`` rebuilds the volume
from the stored values by its own reading of the geometry and samples it with scipy's
``map_coordinates`` (order 1) at the patient points ``info["reslice"]`` describes; the
window is worked by the standard's formula (``tests.support.hand``). Tolerance: one
grey level (float32 interpolation against float64; a value on a rounding edge).
"""

from __future__ import annotations

import numpy as np
import pytest

from lightbox.session.inspector import Inspector
from lightbox.session.session import NotAVolumeError, Session
from lightbox.volume import NotAVolume, Volume
from tests.support import volumes as known
from tests.support.factories import enhanced_dataset
from tools import synth

WINDOW = (100.0, 1200.0)


def _opened(datasets: list) -> Session:
    session = Session()
    session.open([(f"s{k:03d}.dcm", synth.to_bytes(d)) for k, d in enumerate(datasets)])
    return session


EVEN = known.series([2.5 * k for k in range(16)])
TILTED = known.series(
    [2.0 * k for k in range(16)], orientation=known.axial_orientation(18.0), direction=(0, 0, 1)
)


def _grey(rgba: np.ndarray) -> np.ndarray:
    assert rgba.dtype == np.uint8 and rgba.flags.c_contiguous and rgba.shape[2] == 4
    assert np.all(rgba[..., 3] == 255) and np.all(rgba[..., 0] == rgba[..., 1])
    return rgba[..., 0].astype(np.int16)


def test_the_volume_is_built_once_and_dropped_when_the_series_changes() -> None:
    session = _opened(EVEN[:12])
    volume = session.volume(0)
    assert isinstance(volume, Volume)
    assert volume.data.shape == (12, 40, 48) and volume.data.dtype == np.int16
    assert volume.spacing == pytest.approx((1.25, 1.25, 2.5))
    assert session.volume(0) is volume
    session.open([(f"more{k}.dcm", synth.to_bytes(d)) for k, d in enumerate(EVEN[12:], 12)])
    again = session.volume(0)
    assert again is not volume and again.data.shape[0] == 16
    assert session.volume_info(0) == {
        "dims": [48, 40, 16],
        "spacing": pytest.approx([1.25, 1.25, 2.5]),
        "warnings": [],
    }


@pytest.mark.parametrize(
    "datasets, view",
    [
        pytest.param(EVEN, {"plane": "axial", "position": 6.3}, id="axial"),
        pytest.param(EVEN, {"plane": "coronal", "position": -4.0}, id="coronal"),
        pytest.param(EVEN, {"plane": "sagittal"}, id="sagittal"),
        pytest.param(EVEN, {"plane": "oblique", "normal": [0.3, 1.0, 0.4]}, id="oblique"),
        pytest.param(EVEN, {"plane": "coronal", "pixels": "natural"}, id="coronal-natural"),
        pytest.param(
            EVEN,
            {"plane": "oblique", "normal": [0.3, 1.0, 0.4], "pixels": "natural"},
            id="oblique-natural",
        ),
        pytest.param(TILTED, {"plane": "coronal"}, id="tilted-coronal"),
        pytest.param(TILTED, {"plane": "axial", "position": 10.0}, id="tilted-axial"),
    ],
)
def test_a_view_matches_map_coordinates_through_the_window(datasets: list, view: dict) -> None:
    session = _opened(datasets)
    rendered = session.render_view(0, view, WINDOW)
    info = rendered.info
    reslice = info["reslice"]
    assert rendered.rgba.shape[:2] == (reslice["rows"], reslice["columns"])
    assert info["view"]["plane"] == view["plane"]
    if "position" in view:
        assert info["view"]["position"] == pytest.approx(view["position"])
    normal = np.cross(reslice["rowDirection"], reslice["columnDirection"])
    assert np.dot(reslice["origin"], normal) == pytest.approx(info["view"]["position"])
    points = known.reslice_points(reslice)
    values, inside = known.reference(datasets, points)
    assert inside.sum() > 200
    expected = known.windowed(values[inside], *WINDOW)
    difference = np.abs(_grey(rendered.rgba)[inside] - expected)
    assert difference.max() <= 1, difference.max()
    assert (info["windowCenter"], info["windowWidth"]) == WINDOW


def test_a_tilted_series_says_so() -> None:
    info = _opened(TILTED).render_view(0, {"plane": "sagittal"}, WINDOW).info
    tilt = "gantry tilt of 18.0° corrected"
    said = {
        "text": tilt,
        "key": "engine.gantry_tilt",
        "params": {"degrees": {"number": 18.0, "digits": 1}},
    }
    assert info["volume"]["warnings"] == [{"code": "tilt", "message": tilt, "said": said}]


@pytest.mark.parametrize("projection, reduce", [("mip", np.max), ("minip", np.min)])
def test_an_axial_slab_is_the_reduction_of_its_slices(projection: str, reduce) -> None:
    # Axial slab of 10 mm centred on a slice (2.5 mm steps): slices at -5 .. +5 mm, i.e.
    # five whole slices; its pixels fall on voxel centres, so numpy's max over them.
    session = _opened(EVEN)
    position = -20.0 + 7 * 2.5
    view = {"plane": "axial", "position": position, "slab": 10.0, "projection": projection}
    rendered = session.render_view(0, view, WINDOW)
    info = rendered.info
    stack = np.stack([d.pixel_array.astype(np.float64) for d in EVEN[5:10]]) + known.INTERCEPT
    expected = known.windowed(reduce(stack, axis=0), *WINDOW)
    assert info["view"] == {
        "plane": "axial",
        "normal": [0.0, 0.0, 1.0],
        "position": pytest.approx(position),
        "slab": 10.0,
        "projection": projection,
        "pixels": "square",
        "step": 2.5,
        "range": [pytest.approx(-21.25), pytest.approx(18.75)],
    }
    assert (rendered.info["reslice"]["rows"], rendered.info["reslice"]["columns"]) == (40, 48)
    assert np.abs(_grey(rendered.rgba) - expected).max() <= 1


def test_a_mixed_orientation_series_is_refused_with_its_reason() -> None:
    mixed = known.series([0, 2, 4, 6], name="mixed")
    mixed[2].ImageOrientationPatient = [1, 0, 0, 0, 0, -1]
    session = _opened(mixed)
    assert isinstance(session.volume(0), NotAVolume)
    with pytest.raises(NotAVolumeError, match="not parallel"):
        session.render_view(0, {"plane": "coronal"})
    assert session.volume_info(0)["dims"] is None
    assert session.volume_info(0)["warnings"][0]["code"] == "not-a-volume"


@pytest.mark.parametrize(
    "view, message",
    [
        pytest.param({"plane": "diagonal"}, "plane must be one of", id="plane"),
        pytest.param({"plane": "oblique"}, "non-zero normal", id="no-normal"),
        pytest.param({"plane": "axial", "slab": -1}, "slab of 0 mm", id="slab"),
    ],
)
def test_bad_views(view: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _opened(EVEN[:4]).render_view(0, view)


def test_a_missing_slice_shows_as_background_on_a_coronal_view() -> None:
    # Slices every 2.5 mm with one missing at -20 + 5 * 2.5 = -7.5 mm: the coronal rows
    # within 1.25 mm of it (farther than half a step from both neighbours: none but
    # the row at -7.5 itself) are the volume's lowest value through the window.
    distances = [2.5 * k for k in range(12) if k != 5]
    session = _opened(known.series(distances, name="gap"))
    rendered = session.render_view(0, {"plane": "coronal"}, WINDOW)
    info = rendered.info
    assert [w["code"] for w in info["volume"]["warnings"]] == ["missing-slices"]
    assert info["volume"]["dims"] == [48, 40, 11]
    volume = session.volume(0)
    assert isinstance(volume, Volume)
    z = known.reslice_points(info["reslice"])[:, 0, 2]
    grey = _grey(rendered.rgba)
    gap = np.abs(z - -7.5) < 1.25 - 1e-6
    assert gap.sum() >= 1
    background = known.windowed(np.array([volume.background]), *WINDOW)[0]
    middle = grey.shape[1] // 2
    assert np.all(grey[gap, middle] == background)
    assert np.all(grey[np.abs(z - -7.5) > 2.5, middle] != background)


@pytest.mark.parametrize(
    "slope, intercept, dtype",
    [
        pytest.param(1.0, -1024.0, "int16", id="ct"),
        pytest.param(0.5, 0.0, "float32", id="fractional-slope"),
        pytest.param(1.0, -40000.0, "float32", id="past-int16"),
    ],
)
def test_the_volume_type(slope: float, intercept: float, dtype: str) -> None:
    datasets = known.series([0, 2, 4], name=f"type-{slope}-{intercept}")
    for d in datasets:
        d.RescaleSlope, d.RescaleIntercept = slope, intercept
    volume = _opened(datasets).volume(0)
    assert isinstance(volume, Volume) and volume.data.dtype == np.dtype(dtype)
    stored = np.stack([d.pixel_array for d in datasets]).astype(np.float64)
    np.testing.assert_allclose(volume.data, stored * slope + intercept)


def test_an_enhanced_multiframe_object_is_a_volume_of_its_frames() -> None:
    # Four frames given out of order (z = 6, 0, 9, 3 mm), each with its own rescale: the
    # volume sorts them along the normal and holds each frame's own modality values.
    stored = np.arange(4 * 5 * 6, dtype=np.int16).reshape(4, 5, 6)
    rescales = [(1.0, -1000.0), (2.0, 0.0), (1.0, 10.0), (3.0, -5.0)]
    ds = enhanced_dataset(
        stored, rescales=rescales, positions=[(0, 0, 6), (0, 0, 0), (0, 0, 9), (0, 0, 3)]
    )
    session = _opened([ds])
    volume = session.volume(0)
    assert isinstance(volume, Volume)
    assert volume.spacing == pytest.approx((0.75, 0.5, 3.0))
    modality = [stored[k] * slope + intercept for k, (slope, intercept) in enumerate(rescales)]
    np.testing.assert_allclose(volume.data, np.stack([modality[i] for i in (1, 3, 0, 2)]))


def _phased(count: int = 8, phases: int = 3, keyword: str = "TemporalPositionIndex") -> list:
    """``phases`` volumes at the same ``count`` positions, told apart by ``keyword``; each
    phase's content shifted by 100 HU per phase (so a mix-up shows)."""
    result = []
    for phase in range(phases):
        for ds in known.series([2.5 * k for k in range(count)], name="phased"):
            ds.PixelData = (ds.pixel_array + 100 * phase).astype(np.int16).tobytes()
            setattr(
                ds, keyword, [1, 2, 3][phase] if keyword != "DiffusionBValue" else 500.0 * phase
            )
            ds.InstanceNumber = phase * count + int(ds.InstanceNumber)
            ds.SOPInstanceUID = f"{ds.SOPInstanceUID[:60]}.{phase}"
            result.append(ds)
    return result


@pytest.mark.parametrize("keyword", ["TemporalPositionIndex", "DiffusionBValue"])
def test_files_of_several_temporal_positions_or_b_values_are_a_volume_each(keyword: str) -> None:
    # The catalog makes k stacks of k images at every place (lightbox.catalog.series):
    # each is a series of its own, so choosing one is choosing it in the series list.
    datasets = _phased(keyword=keyword)
    session = _opened(datasets)
    assert len(session.series) == 3
    for phase in range(3):
        info = session.volume_info(phase)
        assert info["dims"] == [48, 40, 8] and "phases" not in info
        rendered = session.render_view(phase, {"plane": "coronal"}, WINDOW)
        reslice = rendered.info["reslice"]
        own = datasets[phase * 8 : (phase + 1) * 8]  # only that phase's files
        values, inside = known.reference(own, known.reslice_points(reslice))
        expected = known.windowed(values[inside], *WINDOW)
        assert np.abs(_grey(rendered.rgba)[inside] - expected).max() <= 1


def test_one_volume_has_no_phases_and_refuses_one() -> None:
    session = _opened(EVEN[:6])
    assert "phases" not in session.volume_info(0)
    with pytest.raises(ValueError, match="holds one volume"):
        session.render_view(0, {"plane": "axial", "phase": 1})


def test_an_enhanced_object_of_two_temporal_positions_offers_both() -> None:
    # Per-frame Frame Content's Temporal Position Index (PS3.3 C.7.6.16.2.2): frames
    # 0-2 at t=1, 3-5 at t=2, the same three positions; t=2 is 50 HU brighter.
    stored = np.arange(6 * 5 * 6, dtype=np.int16).reshape(6, 5, 6) % 40
    stored[3:] = stored[:3] + 50
    ds = enhanced_dataset(
        stored,
        shared_rescale=(1.0, 0.0),
        spacing=(0.5, 0.5),
        positions=[(0, 0, 3 * (k % 3)) for k in range(6)],
    )
    for k, item in enumerate(ds.PerFrameFunctionalGroupsSequence):
        item.FrameContentSequence[0].TemporalPositionIndex = 1 + k // 3
    session = _opened([ds])
    assert session.volume_info(0)["phases"] == {
        "attribute": "(0020,0100) Temporal Position Index",
        "values": ["1", "2"],
        "chosen": 0,
    }
    first, second = session.volume(0, 0), session.volume(0, 1)
    assert isinstance(first, Volume) and isinstance(second, Volume)
    np.testing.assert_array_equal(first.data, stored[:3])
    np.testing.assert_array_equal(second.data, stored[3:])
    # An axial view through the middle slice of phase 2: its stored values, windowed.
    rendered = session.render_view(0, {"plane": "axial", "position": 3.0, "phase": 1}, (60, 120))
    assert rendered.info["view"]["phase"] == 1
    assert rendered.info["volume"]["phases"]["chosen"] == 1
    np.testing.assert_array_equal(
        _grey(rendered.rgba), known.windowed(stored[4].astype(np.float64), 60, 120)
    )
    with pytest.raises(ValueError, match="phase must be 0 … 1"):
        session.render_view(0, {"plane": "axial", "phase": 2})


def test_natural_pixels_are_one_voxel_step_along_each_direction() -> None:
    # 1.25 mm pixels, 2.5 mm slices: a coronal view has 1.25 mm columns and 2.5 mm rows,
    # one per slice (the box: 16 slices of 2.5 mm); square pixels would double the rows.
    session = _opened(EVEN)
    natural = session.render_view(0, {"plane": "coronal", "pixels": "natural"}).info
    square = session.render_view(0, {"plane": "coronal"}).info
    assert (natural["reslice"]["rowSpacing"], natural["reslice"]["columnSpacing"]) == (2.5, 1.25)
    assert natural["reslice"]["rows"] == 16 and square["reslice"]["rows"] == 32
    assert natural["view"]["pixels"] == "natural"
    with pytest.raises(ValueError, match="pixels must be"):
        session.render_view(0, {"plane": "axial", "pixels": "round"})


@pytest.mark.parametrize("projection, reduce", [("mip", np.max), ("minip", np.min)])
def test_a_slab_through_the_whole_volume_is_numpy_over_every_voxel(projection: str, reduce) -> None:
    # Natural pixels on a coronal view of the even stack fall on the voxel centres
    # (columns along x, rows down z): the full slab is numpy's reduction along y.
    session = _opened(EVEN)
    view = {"plane": "coronal", "slab": 1000.0, "projection": projection, "pixels": "natural"}
    rendered = session.render_view(0, view, WINDOW)
    stored = np.stack([d.pixel_array.astype(np.float64) for d in EVEN]) + known.INTERCEPT
    expected = known.windowed(reduce(stored, axis=1)[::-1], *WINDOW)  # row 0: the top, +z
    assert rendered.rgba.shape[:2] == expected.shape
    assert np.abs(_grey(rendered.rgba) - expected).max() <= 1


def test_the_probe_and_regions_of_a_reformatted_view_read_its_pixels_as_drawn() -> None:
    # Tilted, so that the coronal view's pixels lie between voxels (truth: map_coordinates).
    session = _opened(TILTED)
    inspector = Inspector(session)
    view = {"plane": "coronal", "position": -5.0, "pixels": "natural"}
    reslice = session.render_view(0, view).info["reslice"]
    points = known.reslice_points(reslice)
    row, column = reslice["rows"] // 2, reslice["columns"] // 3
    found = inspector.view_probe(0, view, column + 0.7, row + 0.2)
    assert found is not None
    want, inside = known.reference(TILTED, points[row, column][None])
    assert inside[0]
    assert (found["row"], found["column"]) == (row, column)
    assert found["value"] == pytest.approx(want[0], abs=0.01)
    assert found["patient"] == pytest.approx(list(points[row, column]))
    assert found["stored"] is None
    assert inspector.view_probe(0, view, -1.0, 0.0) is None
    box = (column - 4.0, row - 3.0, column + 6.0, row + 5.0)
    stats = inspector.view_region(0, view, "rect", box)
    assert stats is not None
    values, inside = known.reference(TILTED, points[row - 3 : row + 5, column - 4 : column + 6])
    assert inside.all() and stats["pixels"] == values.size == 80
    assert stats["mean"] == pytest.approx(values.mean(), abs=0.01)
    assert stats["max"] == pytest.approx(values.max(), abs=0.01)
    area = 10 * reslice["columnSpacing"] * 8 * reslice["rowSpacing"]
    assert stats["area"] == pytest.approx(area) and stats["areaUnit"] == "mm²"
