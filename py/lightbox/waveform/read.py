"""The one reader of a waveform Dataset: its multiplex groups, channels and annotations.

What each group needs is checked here, at the boundary, with errors that name
the file, the group and the attribute: the channels, samples, bits and sample
interpretation of (5400,0100) Waveform Sequence, and (5400,1010) Waveform Data
holding the samples they declare. Data cut short keeps the complete samples it
holds and says so in ``warnings``; a group with none is an error.

References
----------
PS3.3 C.10.9 (Waveform Module), C.10.10 (Waveform Annotation Module).
"""

from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.uid import UID

from lightbox.core.errors import InvalidDicomError
from lightbox.core.messages import say
from lightbox.core.values import int_or_none, numbers
from lightbox.ingest.structure import size_text
from lightbox.waveform.records import Annotation, Channel, Group, Waveform

#: (bits, interpretation) pairs PS3.3 C.10.9.1.5 allows; MB and AB are 8-bit G.711 audio.
INTERPRETATIONS = {
    (8, "SB"),
    (8, "UB"),
    (8, "MB"),
    (8, "AB"),
    (16, "SS"),
    (16, "US"),
    (32, "SL"),
    (32, "UL"),
    (64, "SV"),
    (64, "UV"),
}


def is_waveform(ds: Dataset) -> bool:
    """Whether a header is a waveform object: it holds (5400,0100) Waveform Sequence."""
    return "WaveformSequence" in ds


def read_waveform(name: str, ds: Dataset) -> Waveform:
    """Read a waveform object's groups and annotations (the samples stay bytes).

    Raises
    ------
    InvalidDicomError
        A group lacks what its samples need, or holds no complete sample.
    """
    items = list(ds.get("WaveformSequence") or [])
    if not items:
        raise InvalidDicomError(name, say("engine.waveform_empty"))
    little = _little_endian(ds)
    warnings: list[str] = []
    groups = tuple(_group(name, i, item, little, warnings) for i, item in enumerate(items))
    sop = str(ds.get("SOPClassUID", "") or "")
    return Waveform(
        name=name,
        sop_class=UID(sop).name if sop else "Waveform",
        groups=groups,
        annotations=tuple(_annotations(ds, groups)),
        warnings=tuple(warnings),
    )


def _little_endian(ds: Dataset) -> bool:
    _, little = ds.original_encoding
    return True if little is None else bool(little)


def _group(name: str, index: int, item: Dataset, little: bool, warnings: list[str]) -> Group:
    given = str(item.get("MultiplexGroupLabel", "") or "")
    label = given or say("engine.waveform_group_default", number=index + 1)
    where = (
        say("engine.waveform_group_labelled", number=index + 1, label=given)
        if given and given != f"group {index + 1}"
        else say("engine.waveform_group", number=index + 1)
    )
    count = int_or_none(item.get("NumberOfWaveformChannels"))
    declared = int_or_none(item.get("NumberOfWaveformSamples"))
    bits = int_or_none(item.get("WaveformBitsAllocated"))
    interpretation = str(item.get("WaveformSampleInterpretation", "") or "").strip().upper()
    rate = (numbers(item.get("SamplingFrequency")) or [0.0])[0]
    if not count or count < 1:
        raise InvalidDicomError(name, say("engine.waveform_no_channels", where=where))
    if declared is None or declared < 1:
        raise InvalidDicomError(name, say("engine.waveform_no_samples", where=where))
    if rate <= 0:
        raise InvalidDicomError(name, say("engine.waveform_no_rate", where=where))
    if bits is None or (bits, interpretation) not in INTERPRETATIONS:
        raise InvalidDicomError(
            name,
            say(
                "engine.waveform_encoding",
                where=where,
                bits=str(bits),
                interpretation=interpretation or say("engine.none_given"),
            ),
        )
    data = bytes(item.get("WaveformData") or b"")
    per_sample = count * bits // 8
    samples = min(declared, len(data) // per_sample)
    if samples == 0:
        raise InvalidDicomError(
            name,
            say(
                "engine.waveform_no_sample",
                where=where,
                size=size_text(len(data)),
                channels=count,
                per_sample=size_text(per_sample),
                declared=declared,
            ),
        )
    if samples < declared:
        warnings.append(
            say(
                "engine.waveform_cut_short",
                where=where,
                samples=samples,
                declared=declared,
                channels=count,
                present=size_text(len(data)),
                expected=size_text(declared * per_sample),
            )
        )
    definitions = list(item.get("ChannelDefinitionSequence") or [])
    channels = tuple(
        _channel(definitions[c] if c < len(definitions) else Dataset(), c) for c in range(count)
    )
    offset = (numbers(item.get("MultiplexGroupTimeOffset")) or [0.0])[0]
    return Group(
        label, channels, rate, declared, samples, bits, interpretation, little, data, offset
    )


def _channel(item: Dataset, index: int) -> Channel:
    """One channel's label, sensitivity, correction, baseline, units and skew."""
    label = str(item.get("ChannelLabel", "") or "").strip() or _source_label(item)
    sensitivity = numbers(item.get("ChannelSensitivity"))
    units_items = item.get("ChannelSensitivityUnitsSequence") or []
    units = str(units_items[0].get("CodeValue", "") or "") if units_items else ""
    return Channel(
        label=label or say("engine.waveform_channel_default", number=index + 1),
        sensitivity=sensitivity[0] if sensitivity else 1.0,
        correction=(numbers(item.get("ChannelSensitivityCorrectionFactor")) or [1.0])[0],
        baseline=(numbers(item.get("ChannelBaseline")) or [0.0])[0],
        units=units if sensitivity else "",
        skew_ms=(numbers(item.get("ChannelSampleSkew")) or [0.0])[0],
    )


def _source_label(item: Dataset) -> str:
    """The lead from (003A,0208) Channel Source Sequence: "Lead II" gives "II"."""
    sources = item.get("ChannelSourceSequence") or []
    meaning = str(sources[0].get("CodeMeaning", "") or "") if sources else ""
    if meaning.lower().startswith("lead "):
        return meaning.split()[1]
    return meaning


def _annotations(ds: Dataset, groups: tuple[Group, ...]) -> list[Annotation]:
    """The items of (0040,B020) Waveform Annotation Sequence that say something."""
    found = []
    for item in ds.get("WaveformAnnotationSequence") or []:
        text = _annotation_text(item)
        if not text:
            continue
        pairs = [int(v) for v in numbers(item.get("ReferencedWaveformChannels"))]
        group_numbers = {pairs[i] for i in range(0, len(pairs) - 1, 2)}
        group = next(iter(group_numbers)) - 1 if len(group_numbers) == 1 else None
        if group is not None and not 0 <= group < len(groups):
            group = None
        channels = tuple(
            sorted({pairs[i + 1] - 1 for i in range(0, len(pairs) - 1, 2) if pairs[i + 1] > 0})
        )
        found.append(
            Annotation(
                text=text,
                group=group,
                channels=channels,
                times_ms=_times(item, groups[group] if group is not None else groups[0]),
                kind=str(item.get("TemporalRangeType", "") or ""),
            )
        )
    return found


def _annotation_text(item: Dataset) -> str:
    """Free text, or the concept with its coded or numeric value and unit."""
    text = str(item.get("UnformattedTextValue", "") or "").strip()
    if text:
        return text
    names = item.get("ConceptNameCodeSequence") or []
    concept = str(names[0].get("CodeMeaning", "") or "") if names else ""
    codes = item.get("ConceptCodeSequence") or []
    if codes:
        return f"{concept}: {codes[0].get('CodeMeaning', '')}".strip(": ")
    value = numbers(item.get("NumericValue"))
    if value:
        units = item.get("MeasurementUnitsCodeSequence") or []
        unit = str(units[0].get("CodeValue", "") or "") if units else ""
        return f"{concept}: {value[0]:g} {unit}".strip()
    return concept


def _times(item: Dataset, group: Group) -> tuple[float, ...]:
    """(0040,A132) Referenced Sample Positions (from 1) or (0040,A138) Referenced Time
    Offsets (seconds), as ms from the group's first sample."""
    positions = numbers(item.get("ReferencedSamplePositions"))
    if positions:
        return tuple((p - 1) * 1000.0 / group.sample_rate for p in positions)
    return tuple(t * 1000.0 for t in numbers(item.get("ReferencedTimeOffsets")))
