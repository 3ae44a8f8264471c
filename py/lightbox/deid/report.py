"""What changed, per attribute, over all files; and the plain-text report written into the export.

The report never quotes an original value or an original file name: inputs
are named by their position, outputs by their neutral names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lightbox.deid.options import DeidOptions, Longitudinal
from lightbox.deid.profile import Profile
from lightbox.deid.walk import Change, Outcome

_ORDER = {o: i for i, o in enumerate(Outcome)}


@dataclass(frozen=True)
class AttributeChange:
    """One attribute (at one place in the tree) across files: what happened, why, how often."""

    path: str
    keywords: str
    outcome: Outcome
    reason: str
    files: int

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "keywords": self.keywords,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "files": self.files,
        }


def summarize(per_file: Iterable[Iterable[Change]]) -> list[AttributeChange]:
    """Count each distinct change over the files; changes first, kept attributes last."""
    counts: Counter[Change] = Counter()
    for changes in per_file:
        counts.update(set(changes))
    return summarize_counts(counts)


def summarize_counts(counts: Counter[Change]) -> list[AttributeChange]:
    items = [AttributeChange(c.path, c.keywords, c.outcome, c.reason, n) for c, n in counts.items()]
    return sorted(items, key=lambda a: (_ORDER[a.outcome], a.path, a.reason))


def caveats(options: DeidOptions, secret_note: str) -> list[str]:
    """What the reader of the export must know: how values were made, what was not checked."""
    notes = [
        "New UIDs are 2.25 UIDs computed with HMAC-SHA256 from the original UID under a "
        "random secret drawn for this export: consistent within the export, unrelated to the "
        f"original without the secret. {secret_note}",
        "Patient IDs are replaced by pseudonyms made the same way; names are emptied.",
        "Free text that is cleaned has the file's own identifying values (names, IDs, "
        "addresses) and anything shaped like a date, telephone number, e-mail, URL or "
        "network address replaced by '*'. This is a heuristic: read cleaned text before sharing.",
        "Pixel data is not searched for text. Images that may carry burned-in text are "
        "listed below; check them.",
        "The 128-byte preamble is zeroed, File Meta Information is rewritten (no AE titles "
        "or addresses), private attributes are removed unless known safe, URLs and network "
        "addresses are removed, ages over 89 become 090Y, and files get neutral names.",
    ]
    longitudinal = options.longitudinal
    if longitudinal is Longitudinal.FULL:
        notes.append("Dates and times are kept as they were (Full Dates): they identify.")
    elif longitudinal is Longitudinal.MODIFIED and options.dates_to_year:
        notes.append("Dates are reduced to the year; times of day are removed or emptied.")
    elif longitudinal is Longitudinal.MODIFIED:
        notes.append(
            "Dates are shifted by one random whole number of days per patient (between 1 and "
            "10 years into the past); times of day are kept. Shifted dates do not meet HIPAA "
            "Safe Harbor, which allows the year only."
        )
    if options.retain_descriptors:
        notes.append(
            "Descriptors are kept verbatim (Retain Descriptors, not a PS3.15 option): "
            "they may name people or places."
        )
    if options.retain_safe_private:
        notes.append(
            "Retain Safe Private keeps the private blocks a file declares safe in (0008,0300); "
            "PS3.15 Table E.3.10-1 is not transcribed in this version of Lightbox."
        )
    if options.clean_graphics:
        notes.append("Overlay and curve bitmaps are kept as they were drawn: check them.")
    return notes


def report_text(
    *,
    options: DeidOptions,
    profile: Profile,
    exported: int,
    excluded: list[tuple[str, str]],
    flagged: list[tuple[str, str]],
    changes: list[AttributeChange],
    secret_note: str,
    not_dicom: int = 0,
) -> str:
    """The plain-text report: profile, options, counts, caveats, exclusions, flags, changes.

    Parameters
    ----------
    excluded : list of (label, reason)
        Inputs named by a label that is not their name (a position, a key).
    flagged : list of (output name, reason)
        Images that may carry burned-in text.
    not_dicom : int
        Files passed over because their content is not DICOM (folders only).
    """
    lines = [
        "Lightbox de-identification report",
        "=================================",
        "",
        "Profile: DICOM PS3.15 Annex E Basic Application Level Confidentiality Profile,",
        f"  Table E.1-1 edition {profile.edition} (source: {profile.source}).",
        "Options:",
        *(f"  - {line}" for line in options.summary()),
        "",
        f"Files exported: {exported}",
        f"Files left out: {len(excluded)}",
        *(
            [f"Files that are not DICOM (by content), passed over: {not_dicom}"]
            if not_dicom
            else []
        ),
        f"Images that may carry burned-in text: {len(flagged)}",
        "",
        "Read this first:",
        *(f"  - {note}" for note in caveats(options, secret_note)),
        "",
    ]
    if excluded:
        lines += ["Left out:", *(f"  input {label}: {why}" for label, why in excluded), ""]
    if flagged:
        lines += ["May carry burned-in text:", *(f"  {name}: {why}" for name, why in flagged), ""]
    lines += ["Attributes (what happened, where, in how many files, and why):"]
    for change in changes:
        lines.append(
            f"  {change.outcome.value:<8} {change.path}  {change.keywords}  [{change.files}]"
        )
        lines.append(f"           {change.reason}")
    return "\n".join(lines) + "\n"
