"""SUV of Enhanced PET frames (issue 16 item 6), each frame its own factor, against
values worked by hand.

The generated object (tests/support/pet.py enhanced_pet_dataset) is the phantom of
test_suv_factors.py as 9 frames, bed positions 120 s apart from 11:00:00, injection of
370 MBq F-18 at 10:00:00, 70 kg. With Decay Corrected NO each frame's activity is at its
own Frame Reference DateTime: frame k decays Δt = 3600 + 120 k s, so
SUVbw(40 kBq/ml) = 40000 × 70000 / (370e6 × 2^(−Δt / 6586.2)).
"""

from __future__ import annotations

import pytest

from lightbox.inspect.suv import SuvUnavailable, suv_factors
from tests.support import pet


def _by_hand(k: int) -> float:
    elapsed = 3600 + pet.BED_STEP_S * k
    return 40_000 * 70_000 / (pet.DOSE * 2 ** (-elapsed / pet.HALF_LIFE))


def test_each_frame_is_decayed_to_its_own_reference_time() -> None:
    ds = pet.enhanced_pet_dataset()
    # by hand, frame 8: Δt = 4560 s, 2^(−4560/6586.2) = 0.61885, SUVbw = 12.228
    assert _by_hand(8) == pytest.approx(12.228, rel=1e-4)
    assert _by_hand(0) == pytest.approx(11.053, rel=1e-4)  # 2^(−3600/6586.2) = 0.68465
    for k in range(pet.SLICES):
        factors = suv_factors(ds, frame=k)
        assert 40_000 * factors.bw == pytest.approx(_by_hand(k), rel=1e-6)
        assert factors.inputs["elapsedS"] == pytest.approx(3600 + pet.BED_STEP_S * k)
        assert "Frame Reference DateTime" in factors.inputs["referenceFrom"]
        assert factors.inputs["decayCorrected"] == "NO"


def test_frames_without_reference_time_fall_back_to_acquisition_time() -> None:
    ds = pet.enhanced_pet_dataset()
    for item in ds.PerFrameFunctionalGroupsSequence:
        del item.FrameContentSequence[0].FrameReferenceDateTime
    factors = suv_factors(ds, frame=3)
    assert 40_000 * factors.bw == pytest.approx(_by_hand(3), rel=1e-6)
    assert "Frame Acquisition DateTime" in factors.inputs["referenceFrom"]


def test_decay_corrected_frames_share_the_decay_correction_datetime() -> None:
    ds = pet.enhanced_pet_dataset(decay_corrected=True)
    for k in (0, 8):
        factors = suv_factors(ds, frame=k)
        assert 40_000 * factors.bw == pytest.approx(_by_hand(0), rel=1e-6)
        assert factors.inputs["referenceFrom"] == "Decay Correction DateTime (0018,9701)"
    del ds.DecayCorrectionDateTime
    with pytest.raises(SuvUnavailable, match=r"Decay Correction DateTime \(0018,9701\)"):
        suv_factors(ds, frame=0)


def test_units_from_the_real_world_value_mapping() -> None:
    factors = suv_factors(pet.enhanced_pet_dataset(units="rwvm"), frame=8)
    assert factors.inputs["units"] == "BQML"
    assert 40_000 * factors.bw == pytest.approx(_by_hand(8), rel=1e-6)


def test_no_units_anywhere_says_why() -> None:
    with pytest.raises(SuvUnavailable, match="Rescale Type or Real World Value Mapping"):
        suv_factors(pet.enhanced_pet_dataset(units="none"), frame=0)
