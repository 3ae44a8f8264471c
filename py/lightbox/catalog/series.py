"""Headers to series: group by Series Instance UID, order frames by geometry.

Geometry follows highdicom's idea: the distance of each image along the slice
normal, the normal being the cross product of the row and column direction
cosines of (0020,0037) Image Orientation (Patient) (PS3.3 C.7.6.2.1.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset

from lightbox.core import values
from lightbox.core.records import FrameRef, Geometry
from lightbox.core.values import floats, int_or_none

#: Orientations closer than this (cosine difference) count as the same plane.
_ORIENTATION_TOLERANCE = 1e-3


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
    #: Why a file may not stack with the others: its size, plane, or being multi-frame.
    stack_key: tuple[object, ...] = ()


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
    file: int, batch: int, ds: Dataset, frames: int, fallback_uid: str
) -> SeriesEntry:
    """Read what the catalog needs from one header; ``batch`` counts the opens."""
    uid = str(ds.get("SeriesInstanceUID", "") or "") or fallback_uid
    geometry = read_geometry(ds)
    size = (int_or_none(ds.get("Rows")) or 0, int_or_none(ds.get("Columns")) or 0)
    plane = tuple(round(v, 2) for v in geometry.orientation) if geometry.orientation else None
    image_type = [str(v).upper() for v in (ds.get("ImageType") or [])]
    localizer = "LOCALIZER" in image_type
    return SeriesEntry(
        file=file,
        batch=batch,
        series_uid=uid,
        frames=frames,
        geometry=geometry,
        series_number=int_or_none(ds.get("SeriesNumber")),
        modality=str(ds.get("Modality", "") or ""),
        description=str(ds.get("SeriesDescription", "") or ""),
        study_uid=str(ds.get("StudyInstanceUID", "") or ""),
        patient=patient_key(ds),
        date=str(ds.get("SeriesDate", "") or ds.get("StudyDate", "") or ""),
        size=size,
        stack_key=(size, plane, frames > 1, localizer),
    )


def patient_key(ds: Dataset) -> str:
    """What tells patients apart: (0010,0020) Patient ID and name, else the study.

    The same rule as the completeness report's, so the two always agree.
    """
    key = values.patient_key(ds.get("PatientID"), ds.get("PatientName"))
    return key if key != "|" else f"study:{ds.get('StudyInstanceUID', '')}"


def slice_distances(positions: np.ndarray, orientation: Sequence[float]) -> np.ndarray:
    """Distance of each position along the slice normal.

    Parameters
    ----------
    positions : numpy.ndarray
        (n, 3) Image Position (Patient) of each image.
    orientation : sequence of float
        The six direction cosines shared by the images.
    """
    row = np.asarray(orientation[:3], dtype=np.float64)
    col = np.asarray(orientation[3:], dtype=np.float64)
    normal = np.cross(row, col)
    return np.asarray(positions, dtype=np.float64) @ normal


def order_entries(entries: Sequence[SeriesEntry]) -> list[SeriesEntry]:
    """Order the files of one series for display.

    By position along the slice normal when every file has a position and
    they share one orientation; else by Instance Number; else as opened.
    """
    geoms = [e.geometry for e in entries]
    if len(entries) > 1 and all(g.position and g.orientation for g in geoms):
        first = np.asarray(geoms[0].orientation)
        same = all(
            np.max(np.abs(np.asarray(g.orientation) - first)) < _ORIENTATION_TOLERANCE
            for g in geoms
        )
        if same:
            positions = np.array([g.position for g in geoms], dtype=np.float64)
            distances = slice_distances(positions, geoms[0].orientation)  # type: ignore[arg-type]
            keyed = [
                ((float(d), e.geometry.instance_number or 0, e.file), e)
                for d, e in zip(distances, entries, strict=True)
            ]
            return [e for _, e in sorted(keyed, key=lambda pair: pair[0])]
    return sorted(
        entries,
        key=lambda e: (e.geometry.instance_number is None, e.geometry.instance_number or 0, e.file),
    )


def _split(uid: str, members: list[SeriesEntry]) -> list[tuple[str, list[SeriesEntry]]]:
    """Split a Series Instance UID's files where they cannot stack (PS3.3 C.7.3.1 allows it).

    Different sizes or planes, localizers, and multi-frame objects each get a
    stack of their own; every multi-frame file is a stack by itself.
    """
    stacks: dict[tuple[object, ...], list[SeriesEntry]] = {}
    for entry in members:
        key = entry.stack_key + ((entry.file,) if entry.frames > 1 else ())
        stacks.setdefault(key, []).append(entry)
    parts = sorted(stacks.values(), key=lambda group: (-len(group), group[0].file))
    return [(uid if i == 0 else f"{uid}#{i + 1}", group) for i, group in enumerate(parts)]


def build_series(entries: Sequence[SeriesEntry]) -> list[Series]:
    """Group entries into series: earlier opens first, then by Series Number."""
    groups: dict[str, list[SeriesEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.series_uid, []).append(entry)
    series = []
    split = [part for uid, members in groups.items() for part in _split(uid, members)]
    groups = dict(split)
    for uid, members in split:
        ordered = order_entries(members)
        frames = tuple(FrameRef(e.file, i) for e in ordered for i in range(e.frames))
        first = members[0]
        series.append(
            Series(
                uid,
                first.modality,
                first.description,
                first.series_number,
                frames,
                study_uid=first.study_uid,
                patient=first.patient,
                date=first.date,
                series_uid=first.series_uid,
            )
        )
    batch = {uid: min(e.batch for e in members) for uid, members in groups.items()}
    first_file = {s.uid: min(f.file for f in s.frames) for s in series}
    return sorted(
        series,
        key=lambda s: (batch[s.uid], s.number is None, s.number or 0, first_file[s.uid]),
    )
