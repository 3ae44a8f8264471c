"""Waveform objects in the session: listed with kind "waveform", plotted, broken ones said."""

from __future__ import annotations

import numpy as np
import pytest

from lightbox.session.session import NotAnImageError, NotAWaveformError, Session
from lightbox.waveform.plot import View
from tests.support import waveforms as known
from tests.support.factories import image_bytes, pydicom_test_file
from tools.synth import to_bytes


def test_pydicoms_ecg_is_a_waveform_series_not_a_document() -> None:
    session = Session()
    data = pydicom_test_file("waveform_ecg.dcm").read_bytes()
    result = session.open([("waveform_ecg.dcm", data), ("ct.dcm", image_bytes())])
    assert result["documents"] == [] and result["skipped"] == []
    kinds = {s["files"][0]: s["kind"] for s in result["series"]}
    assert kinds == {"waveform_ecg.dcm": "waveform", "ct.dcm": "stack"}
    wave = next(s for s in result["series"] if s["kind"] == "waveform")
    assert wave["modality"] == "ECG"
    assert [g["label"] for g in wave["waveform"]["groups"]] == ["RHYTHM", "MEDIAN BEAT"]
    assert wave["waveform"]["groups"][0]["channels"] == 12
    report = session.catalog()["report"]
    assert report["images"] == 1  # the CT image; an ECG is not an image
    assert (
        "waveform_ecg.dcm is a waveform, plotted (12-lead ECG Waveform Storage; RHYTHM: 12 "
        "channels, 10 s, MEDIAN BEAT: 12 channels, 1.2 s)" in report["text"]
    )


def test_a_plot_and_what_it_says() -> None:
    session = Session()
    session.open([("ecg.dcm", to_bytes(known.ecg()))])
    info, points = session.waveform(0, 0, View(1056, 632))
    assert info["window"] == [0.0, 10000.0]
    assert (info["pxPerMs"], info["pxPerMv"], info["channels"], info["sampleRate"]) == (
        0.1,
        40.0,
        12,
        500.0,
    )
    assert [p["label"] for p in info["plot"]] == [lead.label for lead in known.LEADS]
    total = sum(p["points"][1] for p in info["plot"])
    assert points.shape == (total, 2) and points.dtype == np.float32


def test_images_and_waveforms_refuse_each_others_requests() -> None:
    session = Session()
    session.open([("ecg.dcm", to_bytes(known.ecg(seconds=1.0))), ("ct.dcm", image_bytes())])
    kinds = [s.kind for s in session.series]
    with pytest.raises(NotAnImageError, match=r"ecg\.dcm"):
        session.render(kinds.index("waveform"), 0)
    with pytest.raises(NotAWaveformError, match=r"ct\.dcm"):
        session.waveform(kinds.index("stack"), 0, View(400, 300))


def test_cut_samples_open_with_a_warning_naming_the_file() -> None:
    session = Session()
    cut = known.cut_samples(known.ecg(seconds=2.0), keep=0.5)
    result = session.open([("cut.dcm", to_bytes(cut))])
    (series,) = result["series"]
    assert series["kind"] == "waveform"
    (warning,) = series["warnings"]
    assert warning["file"] == "cut.dcm" and "500 of 1000 samples" in warning["reason"]
    info, _ = session.waveform(0, 0, View(1056, 400))
    assert info["window"] == [0.0, 1000.0]


def test_a_waveform_without_a_sample_is_skipped_and_the_rest_opens() -> None:
    session = Session()
    empty = known.cut_samples(known.ecg(seconds=1.0), keep=0.001)
    result = session.open([("empty.dcm", to_bytes(empty)), ("ct.dcm", image_bytes())])
    assert [s["kind"] for s in result["series"]] == ["stack"]
    (skipped,) = result["skipped"]
    assert skipped["name"] == "empty.dcm" and "Waveform Data holds" in skipped["reason"]


def test_a_file_cut_short_at_its_end_shows_the_samples_it_holds() -> None:
    session = Session()
    data = to_bytes(known.ecg(seconds=1.0))  # Waveform Data is the last element
    result = session.open([("short.dcm", data[: len(data) - 1000])])
    (warning,) = result["series"][0]["warnings"]
    assert warning["file"] == "short.dcm"
    assert "cut short: 458 of 500 samples" in warning["reason"]  # 11000 of 12000 bytes


def test_a_file_cut_inside_its_waveform_sequence_is_skipped_with_where() -> None:
    session = Session()
    data = pydicom_test_file("waveform_ecg.dcm").read_bytes()
    result = session.open([("short.dcm", data[: len(data) - 1000]), ("ct.dcm", image_bytes())])
    (skipped,) = result["skipped"]
    assert skipped["name"] == "short.dcm"
    assert "truncated inside (5400,0100) Waveform Sequence > item 2" in skipped["reason"]
    assert [s["kind"] for s in result["series"]] == ["stack"]


def test_voice_audio_plays_its_samples_scaled_to_one() -> None:
    session = Session()
    session.open([("voice.dcm", to_bytes(known.voice()))])
    assert session.catalog()["series"][0]["waveform"]["audio"] is True
    rate, sound = session.waveform_audio(0, 0)
    t = np.arange(8000) / 8000.0
    expected = np.round(known.voice_sound(t)) / 128  # SB: 8 bits, ±128
    assert rate == 8000.0 and sound.dtype == np.float32
    np.testing.assert_allclose(sound, expected, atol=1e-6)


@pytest.mark.parametrize(
    ("sop", "name"),
    [
        ("1.2.840.10008.5.1.4.1.1.9.1.1", "12-lead ECG Waveform Storage"),
        ("1.2.840.10008.5.1.4.1.1.9.1.2", "General ECG Waveform Storage"),
        ("1.2.840.10008.5.1.4.1.1.9.1.3", "Ambulatory ECG Waveform Storage"),
        ("1.2.840.10008.5.1.4.1.1.9.2.1", "Hemodynamic Waveform Storage"),
        ("1.2.840.10008.5.1.4.1.1.9.4.1", "Basic Voice Audio Waveform Storage"),
        ("1.2.840.10008.5.1.4.1.1.9.5.1", "Arterial Pulse Waveform Storage"),
        ("1.2.840.10008.5.1.4.1.1.9.6.1", "Respiratory Waveform Storage"),
    ],
)
def test_every_waveform_iod_opens_as_a_waveform(sop: str, name: str) -> None:
    ds = known.ecg(seconds=1.0)
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = sop
    session = Session()
    (series,) = session.open([("w.dcm", to_bytes(ds))])["series"]
    assert (series["kind"], series["waveform"]["type"]) == ("waveform", name)
    assert series["waveform"]["audio"] is (name == "Basic Voice Audio Waveform Storage")
