"""Volumes in the page (issue 14 item 6): setView, state().view/reslice/volume, renderedFrame.

The truth is independent of lightbox.volume: ``tests.support.volumes.reference``
rebuilds the volume from the files' stored values by its own reading of the geometry
and samples it with scipy's ``map_coordinates`` (order 1) at the patient points
``state().reslice`` describes; the window is the standard's LINEAR formula
(``tests.support.hand``). Tolerance: one grey level (float32 interpolation in the
worker against float64 here; a value on a rounding edge), on the pixels inside the
stack (between its outer voxel centres).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.support import volumes as known
from tests.support.factories import enhanced_dataset
from tests.support.viewer import Viewer
from tools import synth

WINDOW = (100.0, 1200.0)
EVEN = known.series([2.5 * k for k in range(20)], rows=56, columns=64, name="browser-even")
TILTED = known.series(
    [2.0 * k for k in range(20)],
    rows=56,
    columns=64,
    orientation=known.axial_orientation(18.0),
    direction=(0, 0, 1),
    name="browser-tilted",
)


def _open(viewer: Viewer, datasets: list, folder: Path) -> None:
    viewer.choose(known.write(datasets, folder))
    viewer.wait_state(f"s.series === 0 && s.frames === {len(datasets)}")
    viewer.page.evaluate(f"() => window.lightbox.setWindow({WINDOW[0]}, {WINDOW[1]})")


def _set_view(viewer: Viewer, view: dict | None) -> dict:
    viewer.page.evaluate("(view) => window.lightbox.setView(view)", view)
    return viewer.state()


def _agrees(viewer: Viewer, datasets: list, state: dict, offsets=(0.0,), reduce=None) -> None:
    known.check_view(viewer.frame(), datasets, state["reslice"], WINDOW, offsets, reduce)


@pytest.mark.parametrize(
    "view",
    [
        pytest.param({"plane": "coronal", "position": -4.0}, id="coronal"),
        pytest.param({"plane": "sagittal"}, id="sagittal"),
        pytest.param({"plane": "oblique", "normal": [0.3, 1.0, 0.45]}, id="oblique"),
        pytest.param({"plane": "axial", "position": 1.3}, id="axial-between-slices"),
    ],
)
def test_a_reformatted_view_is_the_volume_sampled_where_reslice_says(
    viewer: Viewer, tmp_path: Path, view: dict
) -> None:
    _open(viewer, EVEN, tmp_path / "even")
    state = _set_view(viewer, view)
    assert state["view"]["plane"] == view["plane"]
    if "position" in view:
        assert state["view"]["position"] == pytest.approx(view["position"])
    assert state["volume"] == {
        "dims": [64, 56, 20],
        "spacing": pytest.approx([1.25, 1.25, 2.5]),
        "warnings": [],
    }
    assert (state["windowCenter"], state["windowWidth"]) == WINDOW
    # One plane of a regular volume, a LINEAR window: the worker's kernel samples and
    # windows it in one pass (kernels.js windowedPlane); that is what is compared here.
    assert state["sampler"] == "windowed-kernel"
    _agrees(viewer, EVEN, state)
    viewer.shot(f"volume-{view['plane']}")


def test_an_inverted_oblique_view_is_the_window_turned_over(viewer: Viewer, tmp_path: Path) -> None:
    _open(viewer, EVEN, tmp_path / "even")
    _set_view(viewer, {"plane": "oblique", "normal": [0.3, 1.0, 0.45]})
    viewer.page.keyboard.press("i")
    state = viewer.wait_state("s.invert === true")
    assert state["sampler"] == "windowed-kernel"
    known.check_view(viewer.frame(), EVEN, state["reslice"], WINDOW, invert=True)
    viewer.shot("volume-oblique-inverted")


def test_a_mip_slab_is_numpy_max_over_its_slices(viewer: Viewer, tmp_path: Path) -> None:
    # An axial slab of 10 mm centred on slice 7 (2.5 mm steps): slices 5 .. 9 whole.
    _open(viewer, EVEN, tmp_path / "even")
    position = -20.0 + 7 * 2.5
    state = _set_view(
        viewer, {"plane": "axial", "position": position, "slab": 10.0, "projection": "mip"}
    )
    assert state["view"]["slab"] == 10.0 and state["view"]["projection"] == "mip"
    assert state["sampler"] == "samples"  # a slab: reduced samples, then the pipeline
    stack = np.stack([d.pixel_array.astype(np.float64) for d in EVEN[5:10]]) + known.INTERCEPT
    expected = known.windowed(np.max(stack, axis=0), *WINDOW)
    got = viewer.frame()
    assert np.abs(got[..., 0].astype(np.int16) - expected).max() <= 1
    # A coronal MIP slab: the reduction of the planes one 1.25 mm step apart.
    state = _set_view(viewer, {"plane": "coronal", "slab": 5.0, "projection": "mip"})
    _agrees(viewer, EVEN, state, offsets=[j * 1.25 for j in range(-2, 3)], reduce=np.max)
    viewer.shot("volume-coronal-mip")


def test_scrolling_moves_the_plane_one_voxel_and_acquired_returns(
    viewer: Viewer, tmp_path: Path
) -> None:
    _open(viewer, EVEN, tmp_path / "even")
    state = _set_view(viewer, {"plane": "coronal", "position": 0.0})
    frame, step = state["frame"], state["view"]["step"]
    assert step == pytest.approx(1.25)
    viewer.page.evaluate(f"() => window.lightbox.select(0, {frame + 2})")
    moved = viewer.state()
    assert moved["view"]["position"] == pytest.approx(2 * step)
    _agrees(viewer, EVEN, moved)
    back = _set_view(viewer, {"plane": "acquired"})
    assert back["view"] is None and back["reslice"] is None and back["volume"] is None
    assert viewer.frame().shape == (56, 64, 4)


def test_a_gantry_tilted_stack_is_sheared_and_says_so(viewer: Viewer, tmp_path: Path) -> None:
    _open(viewer, TILTED, tmp_path / "tilted")
    state = _set_view(viewer, {"plane": "sagittal"})
    tilt = "gantry tilt of 18.0° corrected"
    said = {
        "text": tilt,
        "key": "engine.gantry_tilt",
        "params": {"degrees": {"number": 18.0, "digits": 1}},
    }
    assert state["volume"]["warnings"] == [{"code": "tilt", "message": tilt, "said": said}]
    _agrees(viewer, TILTED, state)
    viewer.shot("volume-tilted-sagittal")


def test_images_that_are_not_a_volume_reject_with_the_reason(
    viewer: Viewer, tmp_path: Path
) -> None:
    mixed = known.series([0, 2, 4, 6], name="browser-mixed")
    mixed[2].ImageOrientationPatient = [1, 0, 0, 0, 0, -1]
    _open(viewer, mixed, tmp_path / "mixed")
    message = viewer.page.evaluate(
        "() => window.lightbox.setView({plane: 'coronal'}).then(() => null, (e) => e.message)"
    )
    assert message is not None and "not parallel" in message
    state = viewer.state()
    assert state["view"] is None and state["volume"] is None


def test_an_uneven_stack_with_missing_slices_is_sampled_at_its_true_positions(
    viewer: Viewer, tmp_path: Path
) -> None:
    # Steps of 2.5 mm, one of 3 mm (uneven) and one of 7.5 mm (two slices missing).
    distances = [0.0, 2.5, 5.0, 8.0, 10.5, 13.0, 20.5, 23.0, 25.5, 28.0]
    datasets = known.series(distances, rows=56, columns=64, name="browser-uneven")
    _open(viewer, datasets, tmp_path / "uneven")
    state = _set_view(viewer, {"plane": "coronal"})
    assert sorted(w["code"] for w in state["volume"]["warnings"]) == [
        "missing-slices",
        "uneven-spacing",
    ]
    points = known.reslice_points(state["reslice"])
    values, inside = known.uneven_reference(datasets, points)
    z = points[..., 2] - (-20.0)  # mm from the first slice
    gap = (z > 13.0) & (z < 20.5)
    got = viewer.frame()[..., 0].astype(np.int16)
    compared = inside & ~gap
    assert compared.sum() > 500
    assert np.abs(got[compared] - known.windowed(values[compared], *WINDOW)).max() <= 1
    # The gap shows as a gap: its middle is the volume's lowest value, not interpolated.
    lowest = min(float(d.pixel_array.min()) for d in datasets) + known.INTERCEPT
    # (more than half a 2.5 mm step from both slices beside it: 14.25 … 19.25 mm)
    middle = inside & (np.abs(z - 16.75) < 2.4)
    assert middle.sum() > 50
    assert np.all(got[middle] == known.windowed(np.array([lowest]), *WINDOW)[0])
    viewer.shot("volume-uneven-gap-coronal")


def test_an_enhanced_object_of_two_temporal_positions_shows_the_one_chosen(
    viewer: Viewer, tmp_path: Path
) -> None:
    # One Enhanced CT file: frames 0-3 at t=1, 4-7 at t=2 (Frame Content's Temporal
    # Position Index), the same four positions 3 mm apart; t=2 is 200 HU brighter.
    rng = np.random.default_rng(14)
    stored = rng.integers(0, 800, size=(8, 48, 40), dtype=np.int16)
    stored[4:] = stored[:4] + 200
    ds = enhanced_dataset(
        stored,
        shared_rescale=(1.0, -400.0),
        positions=[(0, 0, 3.0 * (k % 4)) for k in range(8)],
        spacing=(0.5, 0.5),
    )
    for k, item in enumerate(ds.PerFrameFunctionalGroupsSequence):
        item.FrameContentSequence[0].TemporalPositionIndex = 1 + k // 4
    path = tmp_path / "enhanced.dcm"
    path.write_bytes(synth.to_bytes(ds))
    viewer.choose([path])
    viewer.wait_state("s.series === 0 && s.frames === 8")
    viewer.page.evaluate("() => window.lightbox.setWindow(200, 1000)")
    state = _set_view(viewer, {"plane": "axial", "position": 6.0})
    assert state["volume"]["phases"] == {
        "attribute": "(0020,0100) Temporal Position Index",
        "values": ["1", "2"],
        "chosen": 0,
    }
    assert state["volume"]["dims"] == [40, 48, 4]
    expected = [known.windowed(stored[k].astype(np.float64) - 400, 200, 1000) for k in (2, 6)]
    assert np.abs(viewer.frame()[..., 0].astype(np.int16) - expected[0]).max() <= 1
    # The second volume, chosen as a user does: the toolbar's choice.
    choice = viewer.control("#phase")  # in the View menu
    assert choice.is_visible()
    assert choice.locator("option").all_inner_texts() == [
        "Temporal Position Index 1",
        "Temporal Position Index 2",
    ]
    choice.select_option("1")
    state = viewer.wait_state("s.view && s.view.phase === 1")
    assert state["volume"]["phases"]["chosen"] == 1
    assert np.abs(viewer.frame()[..., 0].astype(np.int16) - expected[1]).max() <= 1
    # A coronal view of the second: rows of frames 4-7 (z 0 … 9 mm) between the positions.
    state = _set_view(viewer, {"plane": "coronal", "position": 10.0, "phase": 1})
    assert state["view"]["phase"] == 1
    viewer.shot("volume-enhanced-phase-2")


def test_the_toolbar_slab_choice_projects_the_view(viewer: Viewer, tmp_path: Path) -> None:
    _open(viewer, EVEN, tmp_path / "even")
    state = _set_view(viewer, {"plane": "coronal", "position": 0.0})
    choice = viewer.control("#slab")  # in the View menu
    assert choice.is_visible()
    choice.select_option("mip:10")
    state = viewer.wait_state("s.view && s.view.slab === 10")
    assert state["view"]["projection"] == "mip"
    # 10 mm about the plane, a sample every 1.25 mm (the finest spacing): 9 planes.
    _agrees(viewer, EVEN, state, offsets=[j * 1.25 for j in range(-4, 5)], reduce=np.max)
    choice.select_option("mip:full")
    state = viewer.wait_state("s.view && s.view.slab > 100")
    stored = np.stack([d.pixel_array.astype(np.float64) for d in EVEN]) + known.INTERCEPT
    expected = known.windowed(stored.max(axis=1)[::-1], *WINDOW)  # rows from the top, +z
    got = viewer.frame()[..., 0].astype(np.int16)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= 1
    viewer.shot("volume-coronal-full-mip")
    choice.select_option("")
    state = viewer.wait_state("s.view && !s.view.slab")
    _agrees(viewer, EVEN, state)
    _set_view(viewer, None)
    assert not choice.is_visible()
