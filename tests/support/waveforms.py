"""Generated waveform objects (PS3.3 A.34, A.35): ECGs with known sine waves, a pressure, a voice.

Each channel of :func:`ecg` carries ``amplitude × sin(2π × frequency × t)`` in
mV, encoded with its own (003A,0210) Channel Sensitivity, correction factor,
baseline and units (``Lead``): stored = round((value − baseline) / (sensitivity ×
correction)) in the lead's units. Tests compare the plot with :func:`true_mv`,
the formula, never with what Lightbox decodes.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, ExplicitVRLittleEndian, generate_uid

from tools.synth import to_bytes

TWELVE_LEAD = "1.2.840.10008.5.1.4.1.1.9.1.1"
HEMODYNAMIC = "1.2.840.10008.5.1.4.1.1.9.2.1"
BASIC_VOICE_AUDIO = "1.2.840.10008.5.1.4.1.1.9.4.1"
#: What one of each unit is in mV.
MV = {"uV": 1e-3, "mV": 1.0}


@dataclass(frozen=True)
class Lead:
    """One channel: its label, the sine it carries (mV, Hz) and how it is encoded."""

    label: str
    amplitude_mv: float
    frequency_hz: float
    units: str = "uV"
    sensitivity: float = 2.5
    correction: float = 1.0
    baseline: float = 0.0


#: Twelve leads with small, different sines (rows of a plot do not overlap at 10 mm/mV)
#: and encodings that exercise sensitivity, correction factor, baseline and units.
LEADS = (
    Lead("I", 0.30, 1.0),
    Lead("II", 0.45, 1.5),
    Lead("III", 0.25, 2.0, baseline=250.0),
    Lead("aVR", 0.40, 1.25, correction=0.8),
    Lead("aVL", 0.35, 0.75, units="mV", sensitivity=0.005),
    Lead("aVF", 0.50, 2.5, sensitivity=1.0),
    Lead("V1", 0.20, 3.0),
    Lead("V2", 0.30, 1.75, baseline=-150.0, correction=1.25),
    Lead("V3", 0.45, 0.5),
    Lead("V4", 0.50, 1.0, units="mV", sensitivity=0.0025, baseline=0.2),
    Lead("V5", 0.35, 2.25),
    Lead("V6", 0.25, 1.5),
)


def true_mv(lead: Lead, t_ms: np.ndarray) -> np.ndarray:
    """The lead's value in mV at times ``t_ms`` (ms from the first sample)."""
    return lead.amplitude_mv * np.sin(2 * np.pi * lead.frequency_hz * np.asarray(t_ms) / 1000.0)


def stored(lead: Lead, samples: int, rate: float) -> np.ndarray:
    """The lead's stored values: its sine encoded with its sensitivity, correction, baseline."""
    value = true_mv(lead, np.arange(samples) * 1000.0 / rate) / MV[lead.units]
    return np.round((value - lead.baseline) / (lead.sensitivity * lead.correction))


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning
    return item


def _channel(lead: Lead, bits: int = 16, sensitivity: bool = True) -> Dataset:
    item = Dataset()
    item.ChannelSourceSequence = DicomSequence([_code("x", "SCPECG", f"Lead {lead.label}")])
    if sensitivity:
        item.ChannelSensitivity = f"{lead.sensitivity:g}"
        item.ChannelSensitivityUnitsSequence = DicomSequence(
            [_code(lead.units, "UCUM", lead.units)]
        )
        item.ChannelSensitivityCorrectionFactor = f"{lead.correction:g}"
        item.ChannelBaseline = f"{lead.baseline:g}"
    item.WaveformBitsStored = bits
    return item


def group(
    leads: Sequence[Lead],
    data: np.ndarray,
    rate: float,
    *,
    label: str = "RHYTHM",
    interpretation: str = "SS",
    bits: int = 16,
    sensitivity: bool = True,
) -> Dataset:
    """A multiplex group of ``data`` (samples × channels) already in its stored type."""
    item = Dataset()
    item.MultiplexGroupTimeOffset = "0"
    item.WaveformOriginality = "ORIGINAL"
    item.NumberOfWaveformChannels = len(leads)
    item.NumberOfWaveformSamples = int(data.shape[0])
    item.SamplingFrequency = f"{rate:g}"
    item.MultiplexGroupLabel = label
    item.ChannelDefinitionSequence = DicomSequence(
        [_channel(lead, bits, sensitivity) for lead in leads]
    )
    item.WaveformBitsAllocated = bits
    item.WaveformSampleInterpretation = interpretation
    item.WaveformData = np.ascontiguousarray(data).tobytes()
    return item


def waveform_dataset(
    sop_class: str, groups: Sequence[Dataset], modality: str = "ECG", description: str = ""
) -> Dataset:
    """A waveform object of ``sop_class`` holding ``groups``."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = modality
    ds.PatientName = "Test^Waveform"
    ds.PatientID = "WAVE-1"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.10.1235.1"
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesDescription = description
    ds.StudyDate = "20261202"
    ds.WaveformSequence = DicomSequence(list(groups))
    return ds


def ecg(seconds: float = 10.0, rate: float = 500.0, leads: Sequence[Lead] = LEADS) -> Dataset:
    """A 12-lead ECG whose leads carry the known sines of :data:`LEADS`."""
    samples = int(seconds * rate)
    data = np.stack([stored(lead, samples, rate) for lead in leads], axis=1).astype("<i2")
    return waveform_dataset(TWELVE_LEAD, [group(leads, data, rate)], description="known sines")


def hemodynamic() -> Dataset:
    """An arterial pressure (mmHg, 0-200 range) and one ECG lead, 250 Hz, 4 s."""
    rate, samples = 250.0, 1000
    t = np.arange(samples) / rate
    pressure = 90 + 30 * np.sin(2 * np.pi * 1.2 * t)  # mmHg
    lead = LEADS[1]
    pressure_lead = Lead("ART", 0.0, 0.0, units="mmHg", sensitivity=0.1)
    data = np.stack([np.round(pressure / 0.1), stored(lead, samples, rate)], axis=1)
    item = group([pressure_lead, lead], data.astype("<i2"), rate, label="PRESSURE")
    return waveform_dataset(HEMODYNAMIC, [item], modality="HD", description="pressure")


def voice(seconds: float = 1.0, rate: float = 8000.0) -> Dataset:
    """Basic Voice Audio: :func:`voice_sound`, 8-bit signed (SB), no sensitivity."""
    t = np.arange(int(seconds * rate)) / rate
    data = np.round(voice_sound(t)).astype("i1")[:, None]
    item = group(
        [Lead("voice", 0.0, 0.0)],
        data,
        rate,
        label="VOICE",
        interpretation="SB",
        bits=8,
        sensitivity=False,
    )
    return waveform_dataset(BASIC_VOICE_AUDIO, [item], modality="AU", description="dictation")


def voice_sound(t: np.ndarray) -> np.ndarray:
    """A 440 Hz tone swelling and fading twice a second (peaks of 100 of the 8 bits' 128)."""
    return 100 * np.sin(2 * np.pi * 440 * t) * (0.2 + 0.8 * np.abs(np.sin(2 * np.pi * 1.0 * t)))


def cut_samples(ds: Dataset, keep: float = 0.5) -> Dataset:
    """The same object with each group's Waveform Data cut to ``keep`` of its bytes."""
    out = copy.deepcopy(ds)
    for item in out.WaveformSequence:
        data = bytes(item.WaveformData)
        length = int(len(data) * keep) // 2 * 2
        item.WaveformData = data[:length]
    out.SOPInstanceUID = out.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    return out


def write(ds: Dataset, path: Path) -> Path:
    """Write a waveform object as a PS3.10 file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(to_bytes(ds))
    return path


def write_bytes(ds: Dataset) -> bytes:
    """A waveform object's PS3.10 bytes."""
    return to_bytes(ds)


def annotated(ds: Dataset) -> Dataset:
    """The object with two annotations (PS3.3 C.10.10): a text about the whole waveform,
    and "R peak" at sample 84 (from 1; 166 ms at 500 Hz) of group 1's channel 2 (lead II)."""
    out = copy.deepcopy(ds)
    whole = Dataset()
    whole.UnformattedTextValue = "SINUS RHYTHM"
    whole.ReferencedWaveformChannels = [1, 0]
    peak = Dataset()
    peak.ConceptNameCodeSequence = DicomSequence([_code("R", "99TEST", "R peak")])
    peak.ReferencedWaveformChannels = [1, 2]
    peak.TemporalRangeType = "POINT"
    peak.ReferencedSamplePositions = 84
    out.WaveformAnnotationSequence = DicomSequence([whole, peak])
    return out
