"""SUV factors (issue 16 item 6) against values worked by hand from the QIBA formula.

SUVbw = C (Bq/ml) × weight (g) / (dose × 2^(−Δt / T½)), Δt from the injection to the
reference time Decay Correction names; LBM by Janmahasatian, BSA by Du Bois, each
written out here with the generated patient's numbers.
"""

from __future__ import annotations

import pytest

from lightbox.inspect.suv import SuvUnavailable, suv_factors
from tests.support import pet

#: one hour from the injection (10:00:00) to the series start (11:00:00)
DECAYED = pet.DOSE * 2 ** (-3600 / pet.HALF_LIFE)
BW = 70_000 / DECAYED
#: BMI 70 / 1.75² = 22.857...; LBM = 9270 × 70 / (6680 + 216 × BMI)
LBM_KG = 9270 * 70 / (6680 + 216 * (70 / 1.75**2))
#: Du Bois: 0.007184 × 70^0.425 × 175^0.725 m²
BSA_M2 = 0.007184 * 70**0.425 * 175**0.725


def test_body_weight_lean_and_surface_suv_of_the_hot_cube() -> None:
    ds = pet.pet_datasets()[4]
    factors = suv_factors(ds)
    assert 40000 * factors.bw == pytest.approx(40000 * BW, rel=1e-3)
    # by hand: 2^(-3600/6586.2) = 0.68457, so SUVbw of 40 kBq/ml = 11.0553
    assert 40000 * factors.bw == pytest.approx(11.055, rel=1e-3)
    assert pytest.approx(55.857, rel=1e-4) == LBM_KG
    assert factors.lbm == pytest.approx(LBM_KG * 1000 / DECAYED, rel=1e-3)
    assert factors.bsa == pytest.approx(BSA_M2 * 10_000 / DECAYED, rel=1e-3)
    assert factors.inputs["referenceFrom"] == "Series Date/Time"
    assert factors.inputs["elapsedS"] == pytest.approx(3600)


def test_admin_decay_correction_uses_the_full_dose() -> None:
    ds = pet.pet_datasets(DecayCorrection="ADMIN")[0]
    assert suv_factors(ds).bw == pytest.approx(70_000 / pet.DOSE, rel=1e-6)


def test_none_decay_correction_decays_to_the_frame_acquisition() -> None:
    ds = pet.pet_datasets(DecayCorrection="NONE")[5]  # acquired at 11:00:05
    expected = 70_000 / (pet.DOSE * 2 ** (-3605 / pet.HALF_LIFE))
    assert suv_factors(ds).bw == pytest.approx(expected, rel=1e-6)


def test_start_datetime_wins_over_the_start_time() -> None:
    ds = pet.pet_datasets(RadiopharmaceuticalStartDateTime="20240105103000")[0]
    expected = 70_000 / (pet.DOSE * 2 ** (-1800 / pet.HALF_LIFE))
    assert suv_factors(ds).bw == pytest.approx(expected, rel=1e-6)


def test_series_time_after_acquisition_falls_back_to_the_earliest_acquisition() -> None:
    from datetime import datetime

    ds = pet.pet_datasets(SeriesTime="130000")[0]
    factors = suv_factors(ds, datetime(2024, 1, 5, 11, 0, 0))
    assert factors.bw == pytest.approx(BW, rel=1e-6)
    assert factors.inputs["referenceFrom"] == "the series' earliest Acquisition Date/Time"


def test_philips_counts_with_a_suv_scale_factor() -> None:
    ds = pet.pet_datasets(Units="CNTS")[0]
    block = ds.private_block(0x7053, "Philips PET Private Group", create=True)
    block.add_new(0x00, "DS", "0.000123")
    assert suv_factors(ds).bw == pytest.approx(0.000123)


def test_philips_counts_with_an_activity_scale_factor() -> None:
    ds = pet.pet_datasets(Units="CNTS")[0]
    block = ds.private_block(0x7053, "Philips PET Private Group", create=True)
    block.add_new(0x09, "DS", "2.5")
    assert suv_factors(ds).bw == pytest.approx(2.5 * BW, rel=1e-6)


def test_gml_values_are_suv_already() -> None:
    assert suv_factors(pet.pet_datasets(Units="GML")[0]).bw == 1.0


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"PatientWeight": None}, "Patient's Weight"),
        ({"Units": "PROPCNTS"}, "Units (0054,1001) is PROPCNTS"),
        ({"DecayCorrection": None}, "Decay Correction (0054,1102) is absent"),
        ({"RadionuclideTotalDose": None}, "Radionuclide Total Dose"),
        ({"RadionuclideHalfLife": None}, "Radionuclide Half Life"),
        ({"RadiopharmaceuticalStartTime": None}, "no injection time"),
        ({"RadiopharmaceuticalInformationSequence": None}, "Radiopharmaceutical Information"),
        ({"SeriesTime": "090000", "AcquisitionTime": "090000"}, "before the injection"),
    ],
)
def test_suv_unavailable_says_why(override: dict, reason: str) -> None:
    ds = pet.pet_datasets(**override)[0]
    with pytest.raises(SuvUnavailable, match=reason.replace("(", r"\(").replace(")", r"\)")):
        suv_factors(ds)
