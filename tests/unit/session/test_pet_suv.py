"""PET SUV through the session's probe and regions (issue 16 item 6).

Expected values: the generated activity (tests/support/pet.py) times the SUV factor
worked by hand in tests/unit/inspect/test_suv_factors.py; SUVpeak by a brute-force
search written here over the voxel centres in patient mm (sphere of 1 cm³).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pydicom
import pytest

from lightbox.session.inspector import Inspector
from lightbox.session.session import Session
from tests.support import pet
from tests.support.paths import CORPUS
from tests.unit.inspect.test_suv_factors import BW

FDG = CORPUS / "pet" / "mirp" / "sts_images_raw" / "STS_001" / "FDG_PET" / "image"


def _open(paths: list[Path]) -> tuple[Session, Inspector]:
    session = Session()
    session.open([(str(p), p.read_bytes()) for p in paths])
    return session, Inspector(session)


def test_probe_gives_suv_of_the_hot_cube(tmp_path: Path) -> None:
    _, inspector = _open(pet.write_pet(tmp_path))
    result = inspector.probe(0, 4, 14.5, 14.5)
    assert result is not None
    assert result["value"] == pytest.approx(pet.HOT)
    assert result["suv"]["bw"] == pytest.approx(pet.HOT * BW, rel=1e-3)
    assert set(result["suv"]) == {"bw", "lbm", "bsa"}
    assert "weight (g)" in result["suvFormula"]
    assert result["suvInputs"]["weightKg"] == pet.WEIGHT
    background = inspector.probe(0, 4, 2.5, 2.5)
    assert background is not None
    assert background["suv"]["bw"] == pytest.approx(pet.BACKGROUND * BW, rel=1e-3)


def test_probe_says_why_there_is_no_suv(tmp_path: Path) -> None:
    _, inspector = _open(pet.write_pet(tmp_path, PatientWeight=None))
    result = inspector.probe(0, 0, 1, 1)
    assert result is not None and "suv" not in result
    assert "Patient's Weight" in result["suvUnavailable"]


def _peak_by_brute_force(volume: np.ndarray, k: int, mask: np.ndarray) -> float:
    radius = (3000 / (4 * math.pi)) ** (1 / 3)
    zz, yy, xx = np.meshgrid(
        np.arange(volume.shape[0]) * pet.THICKNESS,
        np.arange(volume.shape[1]) * pet.SPACING,
        np.arange(volume.shape[2]) * pet.SPACING,
        indexing="ij",
    )
    best = -np.inf
    for r, c in zip(*np.nonzero(mask), strict=True):
        d2 = (zz - k * pet.THICKNESS) ** 2 + (yy - r * pet.SPACING) ** 2
        d2 = d2 + (xx - c * pet.SPACING) ** 2
        best = max(best, float(volume[d2 <= radius**2].mean()))
    return best


def test_region_suvmax_mean_and_peak(tmp_path: Path) -> None:
    _, inspector = _open(pet.write_pet(tmp_path))
    # a rectangle over columns/rows 10..19 on slice 4 (the cube spans 12..17)
    stats = inspector.region(0, 4, "rect", (10.0, 10.0, 20.0, 20.0))
    assert stats is not None
    suv = pet.activity() * BW
    assert stats["suvMax"] == pytest.approx(pet.HOT * BW, rel=1e-3)
    assert stats["suvMean"] == pytest.approx(suv[4, 10:20, 10:20].mean(), rel=1e-3)
    mask = np.zeros((pet.SIZE, pet.SIZE), bool)
    mask[10:20, 10:20] = True
    expected_peak = _peak_by_brute_force(suv, 4, mask)
    assert expected_peak < pet.HOT * BW  # the sphere reaches past the cube's slices
    assert stats["suvPeak"] == pytest.approx(expected_peak, rel=1e-3)


def test_region_on_an_edge_slice_peaks_without_missing_neighbours(tmp_path: Path) -> None:
    _, inspector = _open(pet.write_pet(tmp_path))
    stats = inspector.region(0, 0, "rect", (0.0, 0.0, 4.0, 4.0))
    assert stats is not None
    suv = pet.activity() * BW
    mask = np.zeros((pet.SIZE, pet.SIZE), bool)
    mask[0:4, 0:4] = True
    assert stats["suvPeak"] == pytest.approx(_peak_by_brute_force(suv, 0, mask), rel=1e-3)


def test_corpus_fdg_pet_gives_an_suv() -> None:
    paths = sorted(FDG.glob("*.dcm"))
    session, inspector = _open(paths)
    assert len(session.series) == 1
    ref = session.frame_ref(0, 100)
    ds = pydicom.dcmread(session.files[ref.file].name)
    info = ds.RadiopharmaceuticalInformationSequence[0]
    # BQML, START: the series starts 11:20:11, the injection was 10:35:00 (2711 s)
    elapsed = 11 * 3600 + 20 * 60 + 11 - (10 * 3600 + 35 * 60)
    decayed = float(info.RadionuclideTotalDose) * 2 ** (-elapsed / float(info.RadionuclideHalfLife))
    pixels = ds.pixel_array.astype(float) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    r, c = np.unravel_index(int(np.argmax(pixels)), pixels.shape)
    result = inspector.probe(0, 100, c + 0.5, r + 0.5)
    assert result is not None
    expected = pixels[r, c] * float(ds.PatientWeight) * 1000 / decayed
    assert result["suv"]["bw"] == pytest.approx(expected, rel=1e-3)
    assert 0.5 < result["suv"]["bw"] < 100


def test_enhanced_pet_frames_each_have_their_own_suv(tmp_path: Path) -> None:
    """Frame k of the Enhanced PET (Decay Corrected NO, bed positions 120 s apart) is
    decayed Δt = 3600 + 120 k s: SUVbw of the hot cube = 40000 × 70000 / (370e6 ×
    2^(−Δt / 6586.2)) (tests/unit/inspect/test_suv_enhanced.py); the cube is in frames
    3 to 5: 11.480 on frame 3 and 11.774 on frame 5."""
    session, inspector = _open([pet.write_enhanced_pet(tmp_path)])
    assert len(session.series[0].frames) == pet.SLICES
    for frame, want in ((3, 11.480), (5, 11.774)):
        result = inspector.probe(0, frame, 14.5, 14.5)
        assert result is not None
        assert result["value"] == pytest.approx(pet.HOT)  # the frame's own Rescale Slope (2)
        assert result["suv"]["bw"] == pytest.approx(want, rel=1e-4)
        assert "Frame Reference DateTime" in result["suvInputs"]["referenceFrom"]
    # a reformatted view mixes frames of different factors: no SUV there, and why
    result = inspector.view_probe(0, {"plane": "coronal", "position": -6.0}, 16.5, 3.5)
    assert result is not None and "differ" in result["suvUnavailable"]


def test_enhanced_pet_decay_corrected_has_one_factor_on_views(tmp_path: Path) -> None:
    _, inspector = _open([pet.write_enhanced_pet(tmp_path, decay_corrected=True)])
    assert inspector.probe(0, 5, 14.5, 14.5)["suv"]["bw"] == pytest.approx(11.053, rel=1e-4)
    view = inspector.view_probe(0, {"plane": "coronal", "position": -6.0}, 16.5, 3.5)
    assert view is not None
    assert view["suv"]["bw"] == pytest.approx(view["value"] * 11.053 / pet.HOT, rel=1e-4)
