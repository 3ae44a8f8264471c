"""The records of a waveform object: its multiplex groups, their channels, its annotations.

A multiplex group (PS3.3 C.10.9.1) is a set of channels sampled together at one
rate; an object may hold several (a 12-lead ECG's rhythm and its median beat).
The records hold what the header says; the samples stay bytes until plotted.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Channel:
    """One channel of a multiplex group (an item of (003A,0200) Channel Definition Sequence).

    ``units`` is the UCUM code of (003A,0211) Channel Sensitivity Units ("uV", "mmHg"),
    "" when the samples are in arbitrary units (no sensitivity given).
    """

    label: str
    sensitivity: float = 1.0
    correction: float = 1.0
    baseline: float = 0.0
    units: str = ""
    #: (003A,0215) Channel Sample Skew in ms: when the channel's first sample was taken.
    skew_ms: float = 0.0


@dataclass(frozen=True)
class Group:
    """One multiplex group: how its samples are encoded and where they are.

    ``data`` is (5400,1010) Waveform Data as stored; ``samples`` is how many
    complete samples of every channel it holds (fewer than ``declared`` when the
    data is cut short).
    """

    label: str
    channels: tuple[Channel, ...]
    sample_rate: float
    declared: int
    samples: int
    bits: int
    interpretation: str
    little_endian: bool
    data: bytes
    #: (0018,1068) Multiplex Group Time Offset in ms.
    time_offset_ms: float = 0.0

    @property
    def duration_ms(self) -> float:
        """The time the group's samples span, in ms (sample k is at k / rate)."""
        return self.samples * 1000.0 / self.sample_rate


@dataclass(frozen=True)
class Annotation:
    """An item of (0040,B020) Waveform Annotation Sequence (PS3.3 C.10.10).

    ``group`` counts from 0 (None: every group); ``channels`` counts from 0 within
    it (empty: every channel); ``times_ms`` are the annotated times, from the
    group's first sample (empty: the whole waveform).
    """

    text: str
    group: int | None
    channels: tuple[int, ...]
    times_ms: tuple[float, ...]
    kind: str = ""


@dataclass(frozen=True)
class Waveform:
    """A waveform object: its groups, annotations and what is wrong with it, in words."""

    name: str
    sop_class: str
    groups: tuple[Group, ...]
    annotations: tuple[Annotation, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def audio(self) -> bool:
        """Basic Voice Audio, or a group of sound samples (a voice channel)."""
        return "Audio" in self.sop_class
