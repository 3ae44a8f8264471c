"""Headers to series: group by Series Instance UID, split where a UID is more than one stack.

Geometry follows highdicom's idea: the distance of each image along the slice
normal, the normal being the cross product of the row and column direction
cosines of (0020,0037) Image Orientation (Patient) (PS3.3 C.7.6.2.1.1).

What is one stack
-----------------
A series (PS3.3 C.7.3.1) may hold images that do not form one stack. The files
of one Series Instance UID are one displayable series except where they cannot be:

- different sizes, (0028,0010) Rows and (0028,0011) Columns, are different series;
- every multi-frame object is a series of its own, its frames as it stores them;
- localizers, (0008,0008) Image Type LOCALIZER, are apart from the other images of
  a UID that has both (a scout filed with its axial stack); a UID of localizers
  only is one series;
- parallel stacks: the images of one plane (one orientation, every image
  positioned) whose places along the normal all repeat the same number of times
  k >= 2, at two places or more (two echoes or b-values at every slice), are k
  stacks; stack j holds the j-th image of every place in instance order. Not
  when the images of a place differ in their time in a cycle or a dynamic
  series, (0018,1060) Trigger Time or (0020,0100) Temporal Position Identifier:
  that is one series over time (a cardiac cine of several slices), ordered
  along the normal with each place's images one after the other in instance
  order, so that cine plays each slice's phases in turn.

Orientation alone never splits. Images with different orientations (a 3-plane
localizer, a rotating MIP) are one series in instance order, marked
:attr:`Ordering.INSTANCE` and ``mixed_orientation``: a sequence of pictures to
play as cine, not a volume, so slice spacing does not apply. Places that only
interleave (z = 0, 5, 10 and 2.5, 7.5) never repeat: geometry cannot tell them
from one stack at the finer spacing, so they are one stack. Irregular repeats
(an overlap between two blocks, a slice scanned again) stay in their one stack,
side by side. Images all at one place (a cine at one slice) are one series in
instance order.

Instance order is (0020,0013) Instance Number, unnumbered last; then the
acquisition date and time, (0008,002A) or (0008,0022) with (0008,0032), untimed
last; then the file name; then the order of opening.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from lightbox.core import values
from lightbox.core.geometry import normal
from lightbox.core.records import FrameRef, Geometry
from lightbox.core.values import floats, int_or_none

#: Orientations no further apart than this (largest cosine difference) are one plane (as
#: the report has it).
_ORIENTATION_TOLERANCE = 1e-3
#: Images closer than this along the normal (mm) are at the same place (the report's too).
_SAME_PLACE_MM = 0.01


class Ordering(enum.StrEnum):
    """How a series' frames are ordered, which says what its geometry means.

    The value is the catalog JSON's word for it.
    """

    #: Along the normal of the one plane the images share: a stack, with slice spacing.
    POSITION = "position"
    #: In instance order: mixed planes, missing positions, or every image at one place.
    INSTANCE = "instance"
    #: The frames of one multi-frame object, as it stores them.
    FILE = "file"


@dataclass(frozen=True)
class SeriesEntry:
    """What the catalog needs of one opened file."""

    file: int
    batch: int
    series_uid: str
    frames: int
    geometry: Geometry
    series_number: int | None
    modality: str
    description: str
    study_uid: str = ""
    patient: str = ""
    date: str = ""
    size: tuple[int, int] = (0, 0)
    #: (0008,0008) Image Type holds LOCALIZER.
    localizer: bool = False
    #: The file's name in the drop (a tie-breaker of instance order).
    name: str = ""
    #: Acquisition date and time, digits only, so that they sort as text.
    acquired: str = ""
    #: When in a cycle or a dynamic series: Temporal Position Identifier and Trigger Time.
    phase: str = ""
    #: What kind of catalog entry the file makes: "stack" (images), "waveform", ...
    kind: str = "stack"
    #: What the files of one slide share (Container Identifier, Frame of Reference).
    group: str = ""

    @property
    def alone(self) -> bool:
        """The file is a series by itself: a multi-frame image, or an object that is no image.

        The levels of a slide are one entry together.
        """
        if self.kind == "slide":
            return False
        return self.frames > 1 or self.kind != "stack"

    @property
    def stack_key(self) -> tuple[object, ...]:
        """What files must share to stack: size, being a localizer; a file alone is alone."""
        if self.kind == "slide":
            return (self.kind, self.group)
        return (self.kind, self.size, self.localizer, self.file if self.alone else None)


@dataclass(frozen=True)
class Series:
    """One displayable series: its frames in display order."""

    uid: str
    modality: str
    description: str
    number: int | None
    frames: tuple[FrameRef, ...]
    study_uid: str = ""
    patient: str = ""
    date: str = ""
    #: The DICOM Series Instance UID (``uid`` may carry a "#n" suffix when split).
    series_uid: str = ""
    #: What the frame order means (a stack along its normal, or not a stack).
    ordering: Ordering = Ordering.INSTANCE
    #: The images have more than one orientation (so it is not a volume).
    mixed_orientation: bool = False
    #: The catalog's word for the entry: "stack" of images, "waveform", ... (issue 15 item 5).
    kind: str = "stack"


@dataclass(frozen=True)
class Stack:
    """The files of one displayable series in display order, and what the order means."""

    entries: tuple[SeriesEntry, ...]
    ordering: Ordering
    mixed_orientation: bool = False


def read_geometry(ds: Dataset) -> Geometry:
    """(0020,0032) Image Position, (0020,0037) Orientation, (0020,0013) Instance Number."""
    position = floats(ds.get("ImagePositionPatient"), 3)
    orientation = floats(ds.get("ImageOrientationPatient"), 6)
    return Geometry(
        position=position,  # type: ignore[arg-type]
        orientation=orientation,  # type: ignore[arg-type]
        instance_number=int_or_none(ds.get("InstanceNumber")),
    )


def entry_from_header(
    file: int,
    batch: int,
    ds: Dataset,
    frames: int,
    fallback_uid: str,
    *,
    name: str = "",
    kind: str = "stack",
) -> SeriesEntry:
    """Read what the catalog needs from one header; ``batch`` counts the opens.

    ``name`` is the file's name in the drop, the last tie-breaker of instance order;
    ``kind`` the catalog entry it makes (a file that is not a "stack" is one by itself).
    """
    uid = str(ds.get("SeriesInstanceUID", "") or "") or fallback_uid
    image_type = [str(v).upper() for v in (ds.get("ImageType") or [])]
    return SeriesEntry(
        file=file,
        batch=batch,
        series_uid=uid,
        frames=frames,
        geometry=read_geometry(ds),
        series_number=int_or_none(ds.get("SeriesNumber")),
        modality=str(ds.get("Modality", "") or ""),
        description=str(ds.get("SeriesDescription", "") or ""),
        study_uid=str(ds.get("StudyInstanceUID", "") or ""),
        patient=patient_key(ds),
        date=str(ds.get("SeriesDate", "") or ds.get("StudyDate", "") or ""),
        size=(int_or_none(ds.get("Rows")) or 0, int_or_none(ds.get("Columns")) or 0),
        localizer="LOCALIZER" in image_type,
        name=name,
        acquired=read_acquired(ds),
        phase=read_phase(ds),
        kind=kind,
    )


def read_acquired(ds: Dataset) -> str:
    """(0008,002A) Acquisition DateTime, else (0008,0022) Date and (0008,0032) Time, as digits.

    Colons (ACR-NEMA times), dots of old dates and spaces are dropped so that the
    text sorts in time order; "" when absent.
    """
    text = str(ds.get("AcquisitionDateTime", "") or "")
    if not text:
        date = str(ds.get("AcquisitionDate", "") or "").replace(".", "")
        text = date + str(ds.get("AcquisitionTime", "") or "")
    return "".join(text.split()).replace(":", "")


def read_phase(ds: Dataset) -> str:
    """(0020,0100) Temporal Position Identifier and (0018,1060) Trigger Time; "" when neither.

    References
    ----------
    PS3.3 C.7.6.2 (Temporal Position Identifier), C.8.3.1 and C.8.2.1 (Trigger Time).
    """
    temporal = int_or_none(ds.get("TemporalPositionIdentifier"))
    trigger = floats([ds.get("TriggerTime")], 1)
    if temporal is None and trigger is None:
        return ""
    return f"{'' if temporal is None else temporal}|{'' if trigger is None else trigger[0]}"


def patient_key(ds: Dataset) -> str:
    """What tells patients apart: (0010,0020) Patient ID and name, else the study.

    The same rule as the completeness report's, so the two always agree.
    """
    key = values.patient_key(ds.get("PatientID"), ds.get("PatientName"))
    return key if key != "|" else f"study:{ds.get('StudyInstanceUID', '')}"


def slice_distances(
    positions: np.ndarray[Any, Any], orientation: Sequence[float]
) -> np.ndarray[Any, Any]:
    """Distance of each position along the slice normal.

    Parameters
    ----------
    positions : numpy.ndarray
        (n, 3) Image Position (Patient) of each image.
    orientation : sequence of float
        The six direction cosines shared by the images.
    """
    distances: np.ndarray[Any, Any] = np.asarray(positions, dtype=np.float64) @ normal(orientation)
    return distances


def instance_key(entry: SeriesEntry) -> tuple[object, ...]:
    """Instance order: Instance Number, acquisition time, file name, order of opening."""
    number = entry.geometry.instance_number
    return (number is None, number or 0, not entry.acquired, entry.acquired, entry.name, entry.file)


def shared_plane(entries: Sequence[SeriesEntry]) -> tuple[float, ...] | None:
    """The orientation all entries share when every one is positioned, else None."""
    geoms = [e.geometry for e in entries]
    if not geoms or not all(g.position and g.orientation for g in geoms):
        return None
    return geoms[0].orientation if not _mixed_orientation(entries) else None


def _mixed_orientation(entries: Sequence[SeriesEntry]) -> bool:
    """Two of the entries' orientations differ (those without one are not counted)."""
    planes = [e.geometry.orientation for e in entries if e.geometry.orientation]
    if len(planes) < 2:
        return False
    cosines = np.asarray(planes, dtype=np.float64)
    return bool(np.max(np.abs(cosines - cosines[0])) > _ORIENTATION_TOLERANCE)


def places(distances: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The place of each distance along the normal: 0, 1, ... from the lowest.

    A distance within :data:`_SAME_PLACE_MM` of the one below it shares its place.
    """
    order = np.argsort(distances, kind="stable")
    steps = np.diff(np.asarray(distances, dtype=np.float64)[order]) > _SAME_PLACE_MM
    ranks = np.concatenate(([0], np.cumsum(steps)))
    found = np.empty(len(order), dtype=np.intp)
    found[order] = ranks
    return found


def _placed(
    entries: Sequence[SeriesEntry], plane: Sequence[float]
) -> list[tuple[int, SeriesEntry]]:
    """(place, entry) along the normal of ``plane``, ties at a place in instance order."""
    positions = np.array([e.geometry.position for e in entries], dtype=np.float64)
    where = places(slice_distances(positions, plane))
    pairs = [(int(p), e) for p, e in zip(where, entries, strict=True)]
    return sorted(pairs, key=lambda pair: (pair[0], instance_key(pair[1])))


def order_entries(entries: Sequence[SeriesEntry]) -> list[SeriesEntry]:
    """Order the files of one stack for display.

    By place along the slice normal (ties in instance order) when every file has
    a position and they share one orientation; else in instance order.
    """
    plane = shared_plane(entries)
    if plane is None:
        return sorted(entries, key=instance_key)
    return [e for _, e in _placed(entries, plane)]


def stacks_of(entries: Sequence[SeriesEntry]) -> list[Stack]:
    """The stacks of single-frame files that may stack (one size; localizers or not).

    See the module docstring for the rule: one stack along the normal, k parallel
    stacks when every place repeats k times, else one series in instance order.

    References
    ----------
    PS3.3 C.7.6.2.1.1 Image Position and Image Orientation (the normal).
    """
    plane = shared_plane(entries)
    if plane is None:
        ordered = tuple(sorted(entries, key=instance_key))
        return [Stack(ordered, Ordering.INSTANCE, _mixed_orientation(entries))]
    placed = _placed(entries, plane)
    counts = np.bincount([p for p, _ in placed])
    if len(counts) == 1 and len(entries) > 1:  # all at one place: a cine, not a stack
        return [Stack(tuple(e for _, e in placed), Ordering.INSTANCE)]
    repeats = int(counts[0])
    if len(counts) < 2 or repeats < 2 or np.any(counts != repeats) or _over_time(placed):
        return [Stack(tuple(e for _, e in placed), Ordering.POSITION)]
    parallel: list[list[SeriesEntry]] = [[] for _ in range(repeats)]
    for i, (_, entry) in enumerate(placed):  # each place's k images, in instance order
        parallel[i % repeats].append(entry)
    return [Stack(tuple(stack), Ordering.POSITION) for stack in parallel]


def _over_time(placed: Sequence[tuple[int, SeriesEntry]]) -> bool:
    """The images of some place differ in their phase: the repeats are a time series."""
    phases: dict[int, set[str]] = {}
    for place, entry in placed:
        phases.setdefault(place, set()).add(entry.phase)
    return any(len(found - {""}) > 1 for found in phases.values())


def split_stacks(members: Sequence[SeriesEntry]) -> list[Stack]:
    """Split one Series Instance UID's files into stacks (PS3.3 C.7.3.1 allows more than one).

    Files of one size and kind (localizer or not) go together, the largest group
    first; each multi-frame file is a stack by itself.
    """
    groups: dict[tuple[object, ...], list[SeriesEntry]] = {}
    for entry in members:
        groups.setdefault(entry.stack_key, []).append(entry)
    ordered = sorted(groups.values(), key=lambda group: (-len(group), group[0].file))
    stacks: list[Stack] = []
    for group in ordered:
        if group[0].kind == "slide":  # a slide's levels, in opening order
            stacks.append(Stack(tuple(sorted(group, key=lambda e: e.file)), Ordering.FILE))
        elif group[0].alone:
            stacks.append(Stack((group[0],), Ordering.FILE))
        else:
            stacks.extend(stacks_of(group))
    return stacks


def build_series(entries: Sequence[SeriesEntry]) -> list[Series]:
    """Group entries into series: earlier opens first, then by Series Number.

    The stacks of one Series Instance UID stay together, the first keeping the
    UID and the others suffixed "#2", "#3", ...
    """
    groups: dict[str, list[SeriesEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.series_uid, []).append(entry)
    keyed: list[tuple[tuple[object, ...], Series]] = []
    for uid, members in groups.items():
        batch = min(e.batch for e in members)
        first_file = min(e.file for e in members)
        number = members[0].series_number
        for i, stack in enumerate(split_stacks(members)):
            first = min(stack.entries, key=lambda e: e.file)
            series = Series(
                uid if i == 0 else f"{uid}#{i + 1}",
                first.modality,
                first.description,
                first.series_number,
                tuple(FrameRef(e.file, k) for e in stack.entries for k in range(e.frames)),
                study_uid=first.study_uid,
                patient=first.patient,
                date=first.date,
                series_uid=uid,
                ordering=stack.ordering,
                mixed_orientation=stack.mixed_orientation,
                kind=first.kind,
            )
            keyed.append(((batch, number is None, number or 0, first_file, i), series))
    return [series for _, series in sorted(keyed, key=lambda pair: pair[0])]
