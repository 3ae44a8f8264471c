"""Samples to values, against pydicom's decoder, G.711 from the standard library, and by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.waveforms.numpy_handler import multiplex_array

from lightbox.waveform import samples
from lightbox.waveform.read import read_waveform
from tests.support import waveforms as known
from tests.support.factories import pydicom_test_file

with warnings.catch_warnings():  # deprecated (removed in 3.13), kept here as an outside truth
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop


@pytest.fixture(scope="module")
def pydicom_ecg() -> Dataset:
    return pydicom.dcmread(pydicom_test_file("waveform_ecg.dcm"))


@pytest.mark.parametrize("index", [0, 1], ids=["rhythm", "median-beat"])
def test_stored_values_are_pydicoms_raw_multiplex_array(pydicom_ecg: Dataset, index: int) -> None:
    wave = read_waveform("waveform_ecg.dcm", pydicom_ecg)
    expected = multiplex_array(pydicom_ecg, index, as_raw=True)  # (samples, channels)
    got = samples.stored(wave.groups[index])
    assert got.shape == expected.shape == (wave.groups[index].samples, 12)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("index", [0, 1], ids=["rhythm", "median-beat"])
def test_values_are_pydicoms_values_in_the_channels_units(pydicom_ecg: Dataset, index: int) -> None:
    wave = read_waveform("waveform_ecg.dcm", pydicom_ecg)
    expected = pydicom_ecg.waveform_array(index)  # sensitivity, correction and baseline applied
    np.testing.assert_allclose(samples.values(wave.groups[index]), expected, rtol=1e-12)


def test_sensitivity_correction_and_baseline_worked_by_hand() -> None:
    """value = stored × sensitivity × correction + baseline (PS3.3 C.10.9.1.4).

    Stored 100, -40 and 0 with 2.5 uV per unit, correction 0.8 and baseline 50 uV:
    100 × 2.5 × 0.8 + 50 = 250; -40 × 2.5 × 0.8 + 50 = -30; 0 gives the baseline, 50.
    """
    lead = known.Lead("II", 0.0, 0.0, sensitivity=2.5, correction=0.8, baseline=50.0)
    data = np.array([[100], [-40], [0]], dtype="<i2")
    ds = known.waveform_dataset(known.TWELVE_LEAD, [known.group([lead], data, 500.0)])
    wave = read_waveform("hand.dcm", ds)
    assert wave.groups[0].channels[0].units == "uV"
    np.testing.assert_allclose(samples.values(wave.groups[0])[:, 0], [250.0, -30.0, 50.0])
    assert samples.millivolt_factor("uV") == 1e-3
    assert samples.millivolt_factor("mmHg") is None


def test_generated_leads_are_their_sines_in_mv() -> None:
    """Every encoding of :data:`LEADS` gives back its sine within half a sensitivity step."""
    wave = read_waveform("ecg.dcm", known.ecg(seconds=2.0))
    group = wave.groups[0]
    t_ms = np.arange(group.samples) * 1000.0 / group.sample_rate
    values = samples.values(group)
    for i, lead in enumerate(known.LEADS):
        mv = values[:, i] * known.MV[lead.units]
        step = lead.sensitivity * lead.correction * known.MV[lead.units]
        assert np.abs(mv - known.true_mv(lead, t_ms)).max() <= step / 2 + 1e-9, lead.label


@pytest.mark.parametrize(
    ("interpretation", "expand"),
    [("MB", audioop.ulaw2lin), ("AB", audioop.alaw2lin)],
    ids=["mu-law", "a-law"],
)
def test_g711_samples_expand_as_the_standard_library_does(interpretation: str, expand) -> None:
    codes = np.arange(256, dtype=np.uint8)
    item = known.group(
        [known.Lead("voice", 0, 0)],
        codes[:, None],
        8000.0,
        interpretation=interpretation,
        bits=8,
        sensitivity=False,
    )
    wave = read_waveform("voice.dcm", known.waveform_dataset(known.BASIC_VOICE_AUDIO, [item]))
    expected = np.frombuffer(expand(codes.tobytes(), 2), dtype="<i2")
    np.testing.assert_array_equal(samples.stored(wave.groups[0])[:, 0], expected)
