"""What was dropped, in plain words: the completeness report.

The report is built from plain inputs: one :class:`ImageFacts` per opened
image (read from its header by :func:`image_facts`, the one function here
that reads a Dataset), the files that were skipped and why, and the lists a
DICOMDIR reconciliation gives (missing, unreferenced, notes). It says how
many patients, studies, series and images were found, what was not opened and
why (grouped by kind), what a DICOMDIR lists that is absent, duplicates, gaps
in slice spacing, lossy-compressed images, frames that opened but cannot be
decoded, and warns when more than one patient is open.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom.errors import BytesLengthException

from lightbox.catalog.facts import (
    FileWarning,
    FrameFailure,
    ImageFacts,
    SkipKind,
    classify,
)
from lightbox.core import geometry
from lightbox.core.records import Skipped

#: Transfer syntaxes whose compression always loses information (PS3.5 A.4.1:
#: JPEG Baseline, process 1, and JPEG Extended, processes 2 & 4, are DCT-based).
#: A step this much longer than the usual slice spacing is a gap.
GAP_FACTOR = 1.5
#: Steps shorter than this (mm) are images at the same place (echoes, phases).
_SAME_PLACE_MM = 0.01
_ORIENTATION_TOLERANCE = 1e-3
#: What pydicom raises when a damaged value is first used.
_VALUE_ERRORS = (BytesLengthException, KeyError, NotImplementedError, TypeError, ValueError)
#: Names shown per line of text before "and N more".
_SHOWN = 5
#: Warnings listed in the text before "and N more" (all of them are in the JSON).
_WARNINGS_SHOWN = 10
#: Kinds whose files are listed with their reason, since the reasons differ.
_DETAILED = {SkipKind.NO_IMAGE, SkipKind.UNSUPPORTED, SkipKind.DAMAGED, SkipKind.ARCHIVE}


@dataclass(frozen=True)
class SkipGroup:
    """Skipped files of one kind."""

    kind: SkipKind
    files: tuple[Skipped, ...]


@dataclass(frozen=True)
class SeriesGap:
    """A series whose slices are not evenly spaced: some seem to be missing.

    ``spacing`` is the usual step between slices (mm, along the normal of the
    image plane); ``gaps`` counts steps longer than :data:`GAP_FACTOR` times
    it; ``missing`` is how many slices would fill them.
    """

    series_uid: str
    label: str
    gaps: int
    missing: int
    spacing: float


@dataclass(frozen=True)
class LossySeries:
    """A series with lossy-compressed images."""

    series_uid: str
    label: str
    images: int


@dataclass(frozen=True)
class DirectoryFacts:
    """A DICOMDIR that was opened: its name, how many files it lists, how many are here."""

    name: str
    listed: int
    present: int

    def line(self) -> str:
        if not self.listed:
            return f"{_base(self.name)}: a DICOMDIR that lists no files."
        if self.present == self.listed:
            here = "all are here"
        else:
            here = "none is here" if not self.present else f"{self.present} are here"
        return f"{_base(self.name)}: a DICOMDIR listing {_files(self.listed)}; {here}."


@dataclass(frozen=True)
class Completeness:
    """What was found in everything dropped, and what is missing or odd.

    Counts are of distinct patients, studies (Study Instance UID), series
    (Series Instance UID), images (SOP Instance UID) and their frames.
    """

    patients: int
    studies: int
    series: int
    images: int
    frames: int
    skipped: tuple[SkipGroup, ...] = ()
    missing: tuple[str, ...] = ()
    unreferenced: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()
    gaps: tuple[SeriesGap, ...] = ()
    lossy: tuple[LossySeries, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[FileWarning, ...] = ()
    undecodable: tuple[FrameFailure, ...] = ()
    dicomdirs: tuple[DirectoryFacts, ...] = ()

    @property
    def several_patients(self) -> bool:
        return self.patients > 1

    @property
    def complete(self) -> bool:
        """Nothing listed is missing, no series has gaps, nothing was damaged, every frame
        tried could be decoded."""
        bad = {SkipKind.DAMAGED, SkipKind.ARCHIVE}
        damaged = any(g.kind in bad for g in self.skipped) or any(w.damaged for w in self.warnings)
        return not (self.missing or self.gaps or damaged or self.undecodable)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready values (camelCase keys), its text included."""
        return {
            "patients": self.patients,
            "studies": self.studies,
            "series": self.series,
            "images": self.images,
            "frames": self.frames,
            "severalPatients": self.several_patients,
            "complete": self.complete,
            "skipped": [
                {
                    "kind": group.kind.name.lower(),
                    "label": group.kind.value,
                    "count": len(group.files),
                    "files": [{"name": f.name, "reason": f.reason} for f in group.files],
                }
                for group in self.skipped
            ],
            "missing": list(self.missing),
            "unreferenced": list(self.unreferenced),
            "duplicates": list(self.duplicates),
            "gaps": [
                {
                    "series": g.series_uid,
                    "label": g.label,
                    "gaps": g.gaps,
                    "missing": g.missing,
                    "spacing": g.spacing,
                }
                for g in self.gaps
            ],
            "lossy": [
                {"series": s.series_uid, "label": s.label, "images": s.images} for s in self.lossy
            ],
            "notes": list(self.notes),
            "warnings": [{"file": w.file, "reason": w.reason} for w in self.warnings],
            "undecodable": [
                {"file": f.file, "frame": f.frame, "reason": f.reason} for f in self.undecodable
            ],
            "dicomdirs": [
                {"name": _base(d.name), "path": d.name, "listed": d.listed, "present": d.present}
                for d in self.dicomdirs
            ],
            "text": self.to_text(),
        }

    def to_text(self) -> str:
        """The report in plain words, one finding per line."""
        lines = [self._found()]
        if self.several_patients:
            lines.append(
                f"Warning: these images belong to {self.patients} different patients "
                "(by name and ID). Check that each study is the one you expect."
            )
        lines.extend(d.line() for d in self.dicomdirs)  # each DICOMDIR read says what it lists
        if self.skipped:
            lines.append("Not opened:")
            lines.extend(f"- {_group_line(group)}" for group in self.skipped)
        if self.missing:
            lines.append(
                f"Missing: the DICOMDIR lists {_files(len(self.missing))} that are not here "
                f"({_names(self.missing)})."
            )
        if self.unreferenced:
            lines.append(
                f"Not listed in the DICOMDIR (opened anyway): {_files(len(self.unreferenced))} "
                f"({_names(self.unreferenced)})."
            )
        lines.extend(_gap_line(gap) for gap in self.gaps)
        lines.extend(
            f"Lossy compression: {_count(s.images, 'image')} of {s.label} were compressed "
            "with loss; fine detail may differ from the original."
            for s in self.lossy
        )
        if self.warnings:
            lines.append("Opened with warnings:")
            shown = self.warnings[:_WARNINGS_SHOWN]
            lines.extend(f"- {_base(w.file)}: {w.reason}" for w in shown)
            if len(self.warnings) > len(shown):
                lines.append(f"- and {len(self.warnings) - len(shown)} more warnings")
        if self.undecodable:
            lines.append("Frames that cannot be shown:")
            failed = self.undecodable[:_WARNINGS_SHOWN]
            lines.extend(f"- {_base(f.file)}: {f.reason}" for f in failed)
            if len(self.undecodable) > len(failed):
                lines.append(f"- and {len(self.undecodable) - len(failed)} more frames")
        if self.notes:
            lines.append("Notes:")
            lines.extend(f"- {note}" for note in self.notes)
        return "\n".join(lines)

    def _found(self) -> str:
        if not self.images:
            return "No images were found."
        frames = f" ({self.frames} frames)" if self.frames != self.images else ""
        counts = [
            _count(self.patients, "patient"),
            _count(self.studies, "study", "studies"),
            _count(self.series, "series", "series"),
            _count(self.images, "image") + frames,
        ]
        return f"Found {', '.join(counts)}."


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _files(n: int) -> str:
    return _count(n, "file")


def _base(name: str) -> str:
    return name.replace("\\", "/").rstrip("/").rpartition("/")[2] or name


def _names(names: Sequence[str], *, base: bool = False) -> str:
    shown = [_base(n) if base else n for n in names[:_SHOWN]]
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


def _group_line(group: SkipGroup) -> str:
    if group.kind in _DETAILED:
        shown = [f"{_base(f.name)}: {f.reason}" for f in group.files[:_SHOWN]]
        more = len(group.files) - len(shown)
        listed = "; ".join(shown) + (f"; and {more} more" if more else "")
    else:
        listed = _names([f.name for f in group.files], base=True)
    return f"{group.kind.value}: {_files(len(group.files))} ({listed})"


def _gap_line(gap: SeriesGap) -> str:
    return (
        f"Gaps: {gap.label} has {_count(gap.gaps, 'gap')} in its slice spacing; about "
        f"{_count(gap.missing, 'slice')} seem to be missing (usual spacing {gap.spacing:g} mm)."
    )


def build_report(
    images: Iterable[ImageFacts],
    skipped: Iterable[Skipped] = (),
    *,
    missing: Iterable[str] = (),
    unreferenced: Iterable[str] = (),
    notes: Iterable[str] = (),
    warnings: Iterable[FileWarning] = (),
    stacks: Iterable[Sequence[ImageFacts]] | None = None,
    undecodable: Iterable[FrameFailure] = (),
    dicomdirs: Iterable[DirectoryFacts] = (),
) -> Completeness:
    """Build the completeness report from plain inputs.

    Parameters
    ----------
    images : iterable of ImageFacts
        One per opened image (see :func:`image_facts`). An image whose SOP
        Instance UID was seen before counts as a duplicate, not an image.
    skipped : iterable of Skipped
        Files not opened and why; grouped by :func:`classify`. Those skipped
        as duplicates are listed with the duplicates.
    missing, unreferenced : iterable of str
        Paths a DICOMDIR lists that are absent, and image paths present that
        no DICOMDIR lists (see :func:`lightbox.dicomdir.reconcile`).
    notes : iterable of str
        Other findings in plain words (DICOMDIR problems, inexact matches).
    warnings : iterable of FileWarning
        What is wrong with files that opened anyway (truncated, frames
        missing, stored values above Bits Stored); those saying data is
        missing make the report incomplete.
    stacks : iterable of sequences of ImageFacts, optional
        The catalog's stacks (its series ordered by position): gaps are looked
        for in each of them, so that the report and the series browser agree on
        what one stack is. When None, in each Series Instance UID.
    undecodable : iterable of FrameFailure
        Frames of opened files whose decoder failed (found when they were
        shown); any makes the report incomplete.
    dicomdirs : iterable of DirectoryFacts
        Each DICOMDIR opened, named with what it lists and how much of it is here
        (so that a DICOMDIR is never opened without a word).

    References
    ----------
    PS3.3 C.7.6.2.1.1 (slice positions along the normal), C.7.6.1.1.5 (lossy).
    """
    unique: dict[str, ImageFacts] = {}
    duplicates: list[str] = []
    for facts in images:
        key = facts.sop_uid or f"file:{facts.name}"
        if key in unique:
            duplicates.append(facts.name)
        else:
            unique[key] = facts
    groups: dict[SkipKind, list[Skipped]] = {}
    for item in skipped:
        kind = classify(item)
        if kind is SkipKind.DUPLICATE:
            duplicates.append(item.name)
        else:
            groups.setdefault(kind, []).append(item)
    opened = list(unique.values())
    series: dict[str, list[ImageFacts]] = {}
    for facts in opened:
        series.setdefault(facts.series_uid, []).append(facts)
    return Completeness(
        patients=len({f.patient for f in opened}),
        studies=len({f.study_uid for f in opened}),
        series=len(series),
        images=len(opened),
        frames=sum(f.frames for f in opened),
        skipped=tuple(SkipGroup(kind, tuple(groups[kind])) for kind in SkipKind if kind in groups),
        missing=tuple(missing),
        unreferenced=tuple(unreferenced),
        duplicates=tuple(duplicates),
        gaps=tuple(
            gap
            for members in (series.values() if stacks is None else stacks)
            if (gap := series_gap(members))
        ),
        lossy=tuple(
            LossySeries(uid, members[0].series_label, count)
            for uid, members in series.items()
            if (count := sum(1 for f in members if f.lossy))
        ),
        notes=tuple(notes),
        warnings=tuple(warnings),
        undecodable=tuple(undecodable),
        dicomdirs=tuple(dicomdirs),
    )


def series_gap(members: Sequence[ImageFacts]) -> SeriesGap | None:
    """The gaps in one series' slice spacing, or None when it has none or cannot tell.

    Slices are placed by their distance along the normal of the image plane
    (the cross product of the row and column direction cosines); the usual
    spacing is the median step between distinct places. It cannot tell
    without three single-frame images sharing one orientation.

    References
    ----------
    PS3.3 C.7.6.2.1.1 Image Position and Image Orientation.
    """
    placed = [f for f in members if f.position is not None and f.orientation is not None]
    if len(placed) < 3 or len(placed) != len(members):
        return None
    orientations = np.array([f.orientation for f in placed], dtype=np.float64)
    if np.max(np.abs(orientations - orientations[0])) > _ORIENTATION_TOLERANCE:
        return None
    normal = geometry.normal(orientations[0])
    distances = np.sort(np.array([f.position for f in placed], dtype=np.float64) @ normal)
    steps = np.diff(distances)
    steps = steps[steps > _SAME_PLACE_MM]
    if steps.size < 2:
        return None
    spacing = float(np.median(steps))
    long = steps[steps > GAP_FACTOR * spacing]
    if not long.size:
        return None
    missing = int(np.sum(np.maximum(np.round(long / spacing) - 1, 1)))
    first = members[0]
    return SeriesGap(first.series_uid, first.series_label, int(long.size), missing, spacing)
