"""De-identify DICOM files: PS3.15 Annex E, Basic Profile and options; preview; export.

The public API the browser bridge and the command line call:

- :class:`DeidOptions` the options (``DeidOptions.from_camel({})`` is the Basic Profile);
- :func:`plan` what will change, per attribute, and which images may carry burned-in text;
- :func:`deidentify` a ZIP of de-identified files, a DICOMDIR and ``REPORT.TXT``;
- :func:`process_file` one file (what both use; the command line runs it in parallel).

The input bytes are never modified: each file is parsed into a new Dataset,
which is changed and written anew.

References
----------
PS3.15 Annex E (Attribute Confidentiality Profiles): E.1.1 (de-identifier),
Table E.1-1, E.2 (Basic Profile), E.3 (options).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lightbox.core.records import Skipped
from lightbox.deid.export import Namer, dicomdir, write_zip
from lightbox.deid.file import FileResult, FlaggedFile, process_file, without_header
from lightbox.deid.options import DeidOptions
from lightbox.deid.profile import load_profile
from lightbox.deid.report import AttributeChange, report_text, summarize
from lightbox.deid.values import Keys

__all__ = [
    "AttributeChange",
    "DeidOptions",
    "Export",
    "FileResult",
    "FlaggedFile",
    "Keys",
    "Preview",
    "deidentify",
    "plan",
    "process_file",
    "without_header",
]

REPORT_NAME = "REPORT.TXT"
SECRET_NOTE = "The secret is not stored anywhere: nobody can map these UIDs back."

Progress = Callable[[int, int], object]
"""Told after each file: (files done, files in all); the browser shows "n of N"."""


@dataclass(frozen=True)
class Preview:
    """What :func:`deidentify` would do with the same files and options."""

    options: DeidOptions
    edition: str
    files: int
    excluded: list[Skipped]
    flagged: list[FlaggedFile]
    changes: list[AttributeChange]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready: plain dicts, lists, strings and numbers."""
        return {
            "options": self.options.to_camel(),
            "edition": self.edition,
            "files": self.files,
            "excluded": [{"name": s.name, "reason": s.reason} for s in self.excluded],
            "flagged": [f.to_json() for f in self.flagged],
            "attributes": [c.to_json() for c in self.changes],
        }


@dataclass(frozen=True)
class Export:
    """A finished export: the ZIP, its report, and what was left out or flagged."""

    zip: bytes
    report: str
    files: int
    excluded: list[Skipped] = field(default_factory=list)
    flagged: list[FlaggedFile] = field(default_factory=list)
    changes: list[AttributeChange] = field(default_factory=list)


def plan(
    items: Sequence[tuple[str, bytes]], options: DeidOptions, *, progress: Progress | None = None
) -> Preview:
    """Preview a de-identification: per attribute, removed, emptied, replaced, cleaned or kept.

    Parameters
    ----------
    items : sequence of (name, bytes)
        The files, as opened.
    options : DeidOptions
        The options.
    progress : callable, optional
        Called with (files done, files in all) after each file.
    """
    keys = Keys(os.urandom(32))
    results = _unique(
        _each(items, progress, lambda n, d: process_file(n, d, options, keys, write=False))
    )
    kept = [r for r in results if r.excluded is None]
    return Preview(
        options=options,
        edition=load_profile().edition,
        files=len(kept),
        excluded=[Skipped(r.name, r.excluded) for r in results if r.excluded is not None],
        flagged=[r.flagged for r in results if r.flagged is not None],
        changes=summarize(r.changes for r in kept),
    )


def deidentify(
    items: Sequence[tuple[str, bytes]],
    options: DeidOptions,
    *,
    secret: bytes | None = None,
    progress: Progress | None = None,
) -> Export:
    """De-identify files into a ZIP with neutral names, a new DICOMDIR and ``REPORT.TXT``.

    Parameters
    ----------
    items : sequence of (name, bytes)
        The files; their bytes are not modified.
    options : DeidOptions
        The options.
    secret : bytes, optional
        The key new UIDs, pseudonyms and date shifts are derived from;
        default 32 random bytes drawn for this export and then forgotten.
    progress : callable, optional
        Called with (files done, files in all) after each file.
    """
    keys = Keys(secret if secret is not None else os.urandom(32))
    results = _unique(_each(items, progress, lambda n, d: process_file(n, d, options, keys)))
    exported = _in_order([r for r in results if r.data is not None])
    namer = Namer()
    members = [(namer.path(r.patient, r.study, r.series, r.sop), r) for r in exported]
    changes = summarize(r.changes for _, r in members)
    excluded = [(f"#{i + 1}", r.excluded) for i, r in enumerate(results) if r.excluded is not None]
    out_name = {r.sop: name for name, r in members}
    flagged = [r.flagged for r in results if r.flagged is not None]
    report = report_text(
        options=options,
        profile=load_profile(),
        exported=len(members),
        excluded=excluded,
        flagged=[
            (out_name.get(r.sop, f"input #{i + 1} (left out)"), r.flagged.reason)
            for i, r in enumerate(results)
            if r.flagged is not None
        ],
        changes=changes,
        secret_note=SECRET_NOTE,
    )
    files = [(name, r.data) for name, r in members if r.data is not None]
    if members:  # a File-set needs at least one file
        headers = [(name, r.header) for name, r in members if r.header is not None]
        files.append(("DICOMDIR", dicomdir(headers)))
    archive = write_zip([*files, (REPORT_NAME, report.encode())])
    return Export(
        zip=archive,
        report=report,
        files=len(members),
        excluded=[Skipped(r.name, r.excluded) for r in results if r.excluded is not None],
        flagged=flagged,
        changes=changes,
    )


def _each(
    items: Sequence[tuple[str, bytes]],
    progress: Progress | None,
    process: Callable[[str, bytes], FileResult],
) -> list[FileResult]:
    """Each file processed in order, telling ``progress`` after each."""
    results = []
    for name, data in items:
        results.append(process(name, data))
        if progress is not None:
            progress(len(results), len(items))
    return results


def _unique(results: list[FileResult]) -> list[FileResult]:
    """Leave out a second file with an SOP Instance UID already seen."""
    seen: dict[str, int] = {}
    out = []
    for i, result in enumerate(results):
        kept = result
        if result.excluded is None and result.original_sop in seen:
            first = seen[result.original_sop] + 1
            kept = FileResult(result.name, excluded=f"same SOP Instance UID as input #{first}")
        elif result.excluded is None:
            seen[result.original_sop] = i
        out.append(kept)
    return out


def _in_order(results: list[FileResult]) -> list[FileResult]:
    """Patients and studies as first met, series by number, images by Instance Number."""
    first: dict[str, int] = {}
    for i, r in enumerate(results):
        first.setdefault(r.patient, i)
        first.setdefault(r.study, i)
    position = {id(r): i for i, r in enumerate(results)}
    return sorted(
        results,
        key=lambda r: (
            first[r.patient],
            first[r.study],
            r.order[0],
            r.series,
            r.order[1],
            position[id(r)],
        ),
    )
