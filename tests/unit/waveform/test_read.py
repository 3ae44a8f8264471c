"""Reading a waveform header: groups, labels, annotations, and what is wrong with the data."""

from __future__ import annotations

import pydicom
import pytest

from lightbox.core.errors import InvalidDicomError
from lightbox.waveform.read import is_waveform, read_waveform
from tests.support import waveforms as known
from tests.support.factories import pydicom_test_file


def test_pydicoms_ecg_has_two_groups_with_the_twelve_leads_named() -> None:
    ds = pydicom.dcmread(pydicom_test_file("waveform_ecg.dcm"))
    wave = read_waveform("waveform_ecg.dcm", ds)
    assert is_waveform(ds)
    assert wave.sop_class == "12-lead ECG Waveform Storage"
    assert [g.label for g in wave.groups] == ["RHYTHM", "MEDIAN BEAT"]
    assert [(g.samples, g.sample_rate) for g in wave.groups] == [(10000, 1000.0), (1200, 1000.0)]
    labels = [c.label for c in wave.groups[0].channels]
    assert labels == ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    assert wave.groups[0].channels[0].sensitivity == 1.25
    assert wave.groups[0].channels[0].units == "uV"
    assert wave.warnings == ()


def test_pydicoms_ecg_annotations_are_read_as_text_and_times() -> None:
    """The file's (0040,B020) items as pydicom shows them: text, measurements, points."""
    ds = pydicom.dcmread(pydicom_test_file("waveform_ecg.dcm"))
    wave = read_waveform("waveform_ecg.dcm", ds)
    texts = [a.text for a in wave.annotations]
    assert texts[:3] == ["RITMO SINUSALE", "ECG NORMALE", "RR Interval: 982 ms"]
    positioned = [a for a in wave.annotations if a.times_ms]
    assert positioned, "the file has annotations at sample positions"
    first = positioned[0]
    item = next(i for i in ds.WaveformAnnotationSequence if "ReferencedSamplePositions" in i)
    rate = float(ds.WaveformSequence[first.group or 0].SamplingFrequency)
    assert first.times_ms[0] == pytest.approx(
        (int(item.ReferencedSamplePositions) - 1) * 1000 / rate
    )


def test_cut_samples_keep_the_complete_ones_with_a_warning() -> None:
    ds = known.cut_samples(known.ecg(seconds=2.0), keep=0.5)
    wave = read_waveform("cut.dcm", ds)
    assert wave.groups[0].samples == 500  # 1000 declared; half of the bytes
    assert "cut short" in wave.warnings[0] and "500 of 1000 samples" in wave.warnings[0]


def test_no_complete_sample_is_an_error_naming_the_file() -> None:
    ds = known.cut_samples(known.ecg(seconds=1.0), keep=0.001)
    with pytest.raises(InvalidDicomError) as raised:
        read_waveform("empty.dcm", ds)
    assert raised.value.name == "empty.dcm"
    assert "Waveform Data holds" in raised.value.reason


def test_an_encoding_the_standard_does_not_have_is_an_error() -> None:
    ds = known.ecg(seconds=1.0)
    ds.WaveformSequence[0].WaveformBitsAllocated = 12
    with pytest.raises(InvalidDicomError, match="not a waveform encoding"):
        read_waveform("odd.dcm", ds)


def test_an_annotation_names_its_group_channels_and_time() -> None:
    """Referenced Waveform Channels [1, 2] is group 1, channel 2 (both from 1); sample 84
    at 500 Hz is (84 - 1) × 2 = 166 ms; [1, 0] is every channel of group 1."""
    wave = read_waveform("notes.dcm", known.annotated(known.ecg(seconds=1.0)))
    whole, peak = wave.annotations
    assert (whole.text, whole.group, whole.channels, whole.times_ms) == ("SINUS RHYTHM", 0, (), ())
    assert (peak.text, peak.group, peak.channels, peak.times_ms) == ("R peak", 0, (1,), (166.0,))
    assert peak.kind == "POINT"
