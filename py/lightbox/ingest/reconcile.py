"""A DICOMDIR's references against the dropped tree: present, missing, refused, unreferenced.

A reference matches its exact path, else a path equal but for what CD file
systems and copies change (:func:`lightbox.ingest.fileids.match_key`), else a
dropped file holding its SOP Instance UID. Nothing here touches a file
system: the paths are those the user dropped.

References
----------
PS3.10 8.2 (File ID), 8.5 (File-set); PS3.3 F.3.2.2 (0004,1500), (0004,1511).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from lightbox.ingest.dicomdir import DicomDir, Entry
from lightbox.ingest.fileids import match_key, tidy

_DCM_SUFFIX = ".dcm"


def _without_dcm(key: str) -> str:
    return key[: -len(_DCM_SUFFIX)] if key.endswith(_DCM_SUFFIX) else key


@dataclass(frozen=True)
class Match:
    """A referenced file found in the dropped tree, and how it was found.

    ``how`` is ``exact``, ``name`` (despite case, ``;1``, a trailing dot or an
    added ``.dcm``) or ``uid`` (a file elsewhere holding the referenced SOP
    Instance UID).
    """

    entry: Entry
    path: str
    how: str


@dataclass(frozen=True)
class Reconciliation:
    """What a DICOMDIR references against what was dropped.

    Attributes
    ----------
    dicomdir : str
        The DICOMDIR's path.
    matches : tuple of Match
        Referenced files that are present.
    missing : tuple of Entry
        Referenced files that are not.
    rejected : tuple of Entry
        References refused because they would leave the dropped tree (``problem``).
    unreferenced : tuple of str
        Paths under the DICOMDIR's folder that no record references.
    """

    dicomdir: str
    matches: tuple[Match, ...]
    missing: tuple[Entry, ...]
    rejected: tuple[Entry, ...]
    unreferenced: tuple[str, ...]

    @cached_property
    def by_path(self) -> dict[str, Entry]:
        """The DICOMDIR entry of each matched dropped path."""
        return {match.path: match.entry for match in self.matches}

    @property
    def missing_paths(self) -> tuple[str, ...]:
        return tuple(entry.path for entry in self.missing if entry.path is not None)

    @property
    def inexact(self) -> tuple[Match, ...]:
        return tuple(match for match in self.matches if match.how != "exact")

    def notes(self) -> tuple[str, ...]:
        """Plain-words lines about the matching, for the completeness report."""
        lines = []
        by_name = sum(1 for m in self.matches if m.how == "name")
        by_uid = sum(1 for m in self.matches if m.how == "uid")
        if by_name:
            lines.append(
                f"{self.dicomdir}: {by_name} files found despite different letter case, "
                "';1' suffixes or extensions"
            )
        if by_uid:
            lines.append(
                f"{self.dicomdir}: {by_uid} files found elsewhere than listed, by their UID"
            )
        lines.extend(f"{self.dicomdir}: {entry.problem}" for entry in self.rejected)
        return tuple(lines)


class _Index:
    """Dropped paths by exact path, by match key, and by match key without ``.dcm``."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.exact: dict[str, str] = {}
        self.keyed: dict[str, str] = {}
        self.loose: dict[str, str] = {}
        for path in sorted(paths):
            tidied = tidy(path)
            key = match_key(tidied)
            self.exact.setdefault(tidied, path)
            self.keyed.setdefault(key, path)
            self.loose.setdefault(_without_dcm(key), path)

    def find(self, path: str) -> tuple[str, str] | None:
        if path in self.exact:
            return self.exact[path], "exact"
        key = match_key(path)
        found = self.keyed.get(key) or self.loose.get(_without_dcm(key))
        return (found, "name") if found is not None else None


def reconcile(
    dicomdir: DicomDir,
    present_paths: Iterable[str],
    uids: Mapping[str, str] | None = None,
) -> Reconciliation:
    """Match a DICOMDIR's references to the dropped paths.

    A reference matches its exact path, else a path equal but for letter case,
    ``;1`` suffixes, trailing dots or an added ``.dcm`` (see
    :func:`lightbox.ingest.fileids.match_key`), else (with ``uids``) any
    dropped file holding its (0004,1511) Referenced SOP Instance UID.
    References that would leave the dropped tree were refused by
    :func:`~lightbox.ingest.dicomdir.read_dicomdir` and are listed, never matched.

    Parameters
    ----------
    dicomdir : DicomDir
        From :func:`lightbox.ingest.dicomdir.read_dicomdir`.
    present_paths : iterable of str
        Paths of the dropped files (those read as DICOM, ideally: every other
        path under the DICOMDIR's folder counts as unreferenced).
    uids : mapping of str to str, optional
        SOP Instance UID of each dropped path, for the last fallback.

    References
    ----------
    PS3.10 8.2 (File ID), 8.5 (File-set); PS3.3 F.3.2.2 (0004,1500), (0004,1511).
    """
    present = list(dict.fromkeys(present_paths))
    index = _Index(present)
    by_uid = {uid: path for path, uid in (uids or {}).items() if uid}
    matches: list[Match] = []
    missing: list[Entry] = []
    rejected: list[Entry] = []
    for entry in dicomdir.entries:
        if entry.path is None:
            rejected.append(entry)
            continue
        found = index.find(entry.path)
        if found is None and entry.sop_instance_uid in by_uid:
            found = by_uid[entry.sop_instance_uid], "uid"
        if found is None:
            missing.append(entry)
        else:
            matches.append(Match(entry, *found))
    used = {match.path for match in matches}
    prefix = f"{match_key(dicomdir.folder)}/" if dicomdir.folder else ""
    unreferenced = tuple(
        path
        for path in present
        if path not in used
        and match_key(path).startswith(prefix)
        and match_key(path) != match_key(dicomdir.path)
    )
    return Reconciliation(
        dicomdir.path, tuple(matches), tuple(missing), tuple(rejected), unreferenced
    )


def unreferenced_by_all(reconciliations: Iterable[Reconciliation]) -> tuple[str, ...]:
    """Paths no DICOMDIR references, when several were dropped (nested discs, two CDs)."""
    results = list(reconciliations)
    used = {match.path for result in results for match in result.matches}
    paths = (path for result in results for path in result.unreferenced)
    return tuple(path for path in dict.fromkeys(paths) if path not in used)
