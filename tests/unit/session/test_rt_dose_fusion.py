"""RT Dose and fusion resampled onto a CT frame (issue 16 items 5 and 7).

Dose: the generated grid holds D(x, y, z) = 1 + 0.1037 x + 0.2113 y + 0.3 z Gy at its voxel
centres (patient mm); trilinear interpolation of a linear function is exact, so the dose
at a CT pixel centre (0.5 c, 0.5 r, z) is that formula wherever the grid reaches.
Fusion: a generated PET volume of its own grid over the CT; the reference is
scipy.ndimage.map_coordinates (order 1) at the PET voxel coordinates of each CT pixel
centre, worked here from the PET's Image Position and Pixel Spacing; the "grey" colour
map with window [0, 1000] is 255 × clip(value / 1000).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import map_coordinates

from lightbox.session.inspector import Inspector
from lightbox.session.session import Session
from tests.support import rt, segs
from tests.support.factories import image_dataset
from tools.synth import to_bytes

ORIGIN = (1.0, 0.5, -1.0)
OFFSETS = (0.0, 2.5, 5.0)
SHAPE = (3, 12, 20)  # frames, rows, columns; 1 mm pixels


def linear_dose(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    return 1 + 0.1037 * x + 0.2113 * y + 0.3 * z


def dose_case() -> tuple[Session, int, str]:
    stack = segs.ct_stack(rows=40, cols=48, slices=3)
    k, r, c = np.meshgrid(*(np.arange(n) for n in SHAPE), indexing="ij")
    gy = linear_dose(ORIGIN[0] + c * 1.0, ORIGIN[1] + r * 1.0, ORIGIN[2] + np.array(OFFSETS)[k])
    data, ds = rt.dose_bytes(stack, gy, ORIGIN, (1.0, 1.0), OFFSETS)
    session = Session()
    result = session.open([*stack.files.items(), ("dose.dcm", data)])
    ct = next(i for i, s in enumerate(result["series"]) if s["modality"] == "CT")
    return session, ct, ds.SOPInstanceUID


def test_dose_grid_listed_and_its_wash_lies_where_the_dose_is() -> None:
    session, ct, uid = dose_case()
    series = session.catalog(report=False)["series"][ct]
    [dose] = series["rtDoses"]
    top = float(linear_dose(ORIGIN[0] + 19, ORIGIN[1] + 11, ORIGIN[2] + 5.0))
    assert dose["uid"] == uid and dose["maxGy"] == pytest.approx(top, rel=1e-4)
    assert any(o["kind"] == "RTDOSE" and o["uid"] == uid for o in series["objects"])
    # slice 1 lies at z = 2 mm, within the grid (z -1 .. 4)
    settings = [{"uid": uid, "visible": True, "opacity": 1.0, "hidden": []}]
    info, rgba = session.segment_layer(ct, 1, settings)
    r, c = np.mgrid[0:40, 0:48]
    x, y = 0.5 * c, 0.5 * r
    reach = (x >= ORIGIN[0] - 0.5) & (x <= ORIGIN[0] + 19.5)
    reach &= (y >= ORIGIN[1] - 0.5) & (y <= ORIGIN[1] + 11.5)
    want = linear_dose(x, y, np.full_like(x, 2.0))
    washed = reach & (want >= 0.1 * top)
    assert np.array_equal(rgba[..., 3] > 0, washed)
    levels = [s["segment"] for s in info["segments"]]
    assert levels and all(top * level / 100 <= want[reach].max() + 1e-6 for level in levels)
    # the 70 % line (pure green, which the rainbow wash never is): at or above the level
    # with a 4-neighbour below it, by the formula,
    # between the outer voxel centres (there the interpolation is exact; beyond, held)
    line = np.all(rgba[..., :3] == (0, 255, 0), axis=-1) & (rgba[..., 3] == 255)
    level = 0.7 * top
    inner = (x >= ORIGIN[0]) & (x <= ORIGIN[0] + 19) & (y >= ORIGIN[1]) & (y <= ORIGIN[1] + 11)
    held = np.pad(~inner, 1, constant_values=True)
    near_held = held[:-2, 1:-1] | held[2:, 1:-1] | held[1:-1, :-2] | held[1:-1, 2:]
    under = np.pad(want < level, 1, constant_values=False)
    crossing = (want >= level) & (
        under[:-2, 1:-1] | under[2:, 1:-1] | under[1:-1, :-2] | under[1:-1, 2:]
    )
    tie = np.pad(np.abs(want - level) < 1e-3, 1, constant_values=False)
    near_tie = tie[1:-1, 1:-1] | tie[:-2, 1:-1] | tie[2:, 1:-1] | tie[1:-1, :-2] | tie[1:-1, 2:]
    sure = inner & ~near_held & ~near_tie  # (stored to 0.1 mGy: a tie could go either way)
    assert line[sure].any()
    assert np.array_equal(line[sure], crossing[sure])
    _, none = session.segment_layer(ct, 1, [{**settings[0], "visible": False}])
    assert not none[..., 3].any()


def test_probe_gives_the_dose_in_gy() -> None:
    session, ct, uid = dose_case()
    result = Inspector(session).probe(ct, 1, 10.0, 7.0)
    assert result is not None and result["doseUid"] == uid and result["doseUnit"] == "Gy"
    x, y, z = result["patient"]
    assert (x, y, z) == pytest.approx((5.0, 3.5, 2.0))
    assert result["dose"] == pytest.approx(float(linear_dose(x, y, z)), abs=1e-3)
    outside = Inspector(session).probe(ct, 1, 47.0, 39.0)  # (23.5, 19.5) mm: past the grid
    assert outside is not None and "dose" not in outside


def pet_files(stack: segs.Stack) -> tuple[list[tuple[str, bytes]], np.ndarray]:
    """A PET of its own grid over ``stack`` (4 slices 2 mm apart from z = -1 mm, rows
    2.5 mm and columns 2.0 mm apart from (-1, -2) mm): its files and its values."""
    rng = np.random.default_rng(7)
    pet = rng.integers(0, 1000, size=(4, 10, 12)).astype(np.uint16)
    files = []
    for k in range(4):
        ds = image_dataset(
            pet[k],
            modality="PT",
            series_uid="1.2.3.4.5.6.7",
            instance=k + 1,
            position=[-1.0, -2.0, -1.0 + 2.0 * k],
            orientation=[1, 0, 0, 0, 1, 0],
            rescale=(1.0, 0.0),
        )
        ds.StudyInstanceUID = stack.study_uid
        ds.FrameOfReferenceUID = stack.frame_of_reference
        ds.PixelSpacing = [2.5, 2.0]  # rows 2.5 mm apart, columns 2.0 mm
        ds.SliceThickness = 2.0
        files.append((f"pet{k}.dcm", to_bytes(ds)))
    return files, pet.astype(float)


def fusion_case() -> tuple[Session, int, int, np.ndarray]:
    stack = segs.ct_stack(rows=40, cols=48, slices=3)
    files, pet = pet_files(stack)
    session = Session()
    result = session.open([*stack.files.items(), *files])
    ct = next(i for i, s in enumerate(result["series"]) if s["modality"] == "CT")
    pt = next(i for i, s in enumerate(result["series"]) if s["modality"] == "PT")
    return session, ct, pt, pet


def test_fusion_matches_map_coordinates() -> None:
    session, ct, pt, pet = fusion_case()
    catalog = session.catalog(report=False)["series"]
    [fusion] = catalog[ct]["fusions"]
    assert fusion["uid"] == catalog[pt]["uid"] and fusion["modality"] == "PT"
    _, hidden = session.segment_layer(ct, 1, [])
    assert not hidden[..., 3].any()  # a fusion is hidden until shown
    setting = {"uid": fusion["uid"], "visible": True, "opacity": 0.6, "colormap": "grey"}
    setting["window"] = [0, 1000]
    info, rgba = session.segment_layer(ct, 1, [setting])
    assert info["segments"][0]["label"] == "PT fused"
    r, c = np.mgrid[0:40, 0:48].astype(float)
    x, y, z = 0.5 * c, 0.5 * r, np.full_like(c, 2.0)  # CT slice 1 at z = 2 mm
    # PET voxel coordinates: columns (x + 1) / 2.0, rows (y + 2) / 2.5, slices (z + 1) / 2
    px, py, pz = (x + 1.0) / 2.0, (y + 2.0) / 2.5, (z + 1.0) / 2.0
    want = map_coordinates(pet, [pz, py, px], order=1, mode="nearest")
    strict = (px <= 11) & (py <= 9)
    grey = np.rint(255 * np.clip(want / 1000, 0, 1))
    assert np.abs(rgba[strict, 0].astype(float) - grey[strict]).max() <= 1
    assert (rgba[strict, 3] == round(0.6 * 255)).all()
    beyond = (px > 11.5) | (py > 9.5)
    assert beyond.any() and not rgba[beyond, 3].any()
    probe = Inspector(session).probe(ct, 1, 10.0, 8.0)
    assert probe is not None
    [fused] = probe["fused"]
    expected = map_coordinates(pet, [[1.5], [(4.0 + 2.0) / 2.5], [(5.0 + 1.0) / 2.0]], order=1)
    assert fused["value"] == pytest.approx(float(expected[0]), abs=1e-3)


def test_a_dose_grid_without_offsets_says_why() -> None:
    stack = segs.ct_stack(rows=40, cols=48, slices=3)
    gy = np.ones(SHAPE)
    _, ds = rt.dose_bytes(stack, gy, ORIGIN, (1.0, 1.0), OFFSETS)
    ds.GridFrameOffsetVector = [0.0, 2.5]  # two planes for three frames
    session = Session()
    result = session.open([*stack.files.items(), ("dose.dcm", to_bytes(ds))])
    catalog = session.catalog(report=False)["series"]
    ct = next(i for i, s in enumerate(result["series"]) if s["modality"] == "CT")
    assert catalog[ct]["rtDoses"] == []
    dose = next(s for s in catalog if s["modality"] == "RTDOSE")
    [warning] = [w for w in dose["warnings"] if "dose grid" in w["reason"]]
    assert warning["file"] == "dose.dcm"
    assert "Grid Frame Offset Vector lists 2 planes for 3 frames" in warning["reason"]
    _, rgba = session.segment_layer(ct, 1, [])  # the CT still draws, without a dose
    assert not rgba[..., 3].any()


def test_a_dose_opened_in_a_later_batch_is_listed_over_the_series() -> None:
    """The page opens a drop in batches and each batch's catalog asks for the doses: a dose
    file in a later batch than its CT (after catalogs judged the CT's files) is read and
    listed over the series, as when both come in one batch."""
    stack = segs.ct_stack(rows=40, cols=48, slices=3)
    k, r, c = np.meshgrid(*(np.arange(n) for n in SHAPE), indexing="ij")
    gy = linear_dose(ORIGIN[0] + c * 1.0, ORIGIN[1] + r * 1.0, ORIGIN[2] + np.array(OFFSETS)[k])
    data, ds = rt.dose_bytes(stack, gy, ORIGIN, (1.0, 1.0), OFFSETS)
    session = Session()
    files = list(stack.files.items())
    session.open(files[:1], report=False)
    session.open(files[1:], report=False)
    before = session.catalog(report=False)["series"]
    assert all(not s.get("rtDoses") for s in before)
    result = session.open([("dose.dcm", data)], report=False)
    ct = next(i for i, s in enumerate(result["series"]) if s["modality"] == "CT")
    [dose] = result["series"][ct]["rtDoses"]
    top = float(linear_dose(ORIGIN[0] + 19, ORIGIN[1] + 11, ORIGIN[2] + 5.0))
    assert dose["uid"] == ds.SOPInstanceUID and dose["maxGy"] == pytest.approx(top, rel=1e-4)
