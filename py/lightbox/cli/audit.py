"""What a research data office asks of a de-identified export (issue 20 items 2 and 4):
the re-linking maps, kept outside the export; a machine-readable report in it; the
export's secret in a key file of the user's, so that a rerun writes the same bytes.

- ``uid_map.csv`` and ``patient_map.csv`` (columns ``original,new``): one row per
  original Study, Series, SOP Instance and Frame of Reference UID, and per Patient ID,
  in ``--keep-maps DIR`` (default ``OUT-maps/`` beside OUT), never in OUT. A resumed run
  adds to the maps already there.
- ``report.json`` in OUT: the options in force, and per input (named by a keyed hash of
  its relative name, never by the name: the same wherever the files are stored) its
  output, why it was left out, the flags raised and what happened to each attribute.
- ``--new-key FILE`` writes a secret (32 random bytes, mode 0600); ``--key FILE`` uses it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lightbox.cli import store
from lightbox.cli.store import Folder
from lightbox.cli.usage import UsageError

UID_MAP = "uid_map.csv"
PATIENT_MAP = "patient_map.csv"
REPORT_JSON = "report.json"
KEY_BYTES = 32


def new_key(path: Path) -> None:
    """Write a new secret to ``path`` (mode 0600); refuse to overwrite one."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageError(f"{path} exists: a key is never overwritten") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(os.urandom(KEY_BYTES))


def read_key(path: Path) -> bytes:
    """The secret of a key file made by :func:`new_key`."""
    try:
        secret = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the key {path} ({exc.strerror})") from None
    if len(secret) < 16:
        raise UsageError(f"{path} is no key: it holds {len(secret)} bytes, 16 at least needed")
    return secret


def maps_folder(target: Folder, asked: str | None) -> Folder:
    """Where the maps go: ``asked`` (a path or a URL), or ``OUT-maps`` beside OUT; never
    inside OUT."""
    leaf = target.location().rstrip("/").rpartition("/")[2]
    folder = store.parse(asked) if asked else target.sibling(f"{leaf}-maps")
    if target.contains(folder):
        raise UsageError("the maps must not be written into the output folder")
    return folder


class Maps:
    """Original → new values, gathered as files are done, merged with the maps on disk."""

    def __init__(self, folder: Folder) -> None:
        self.folder = folder
        self.uids: set[tuple[str, str]] = self._read(UID_MAP)
        #: (original, new) pairs: one Patient ID of two patients (other names, other
        #: birth dates) has two pseudonyms, and two rows.
        self.patients: set[tuple[str, str]] = self._read(PATIENT_MAP)

    def _read(self, name: str) -> set[tuple[str, str]]:
        if not self.folder.exists(name):
            return set()
        text = self.folder.read(name).decode("utf-8")
        return {(row["original"], row["new"]) for row in csv.DictReader(io.StringIO(text))}

    def add(self, mapped: Iterable[tuple[str, str, str]]) -> None:
        for keyword, original, new in mapped:
            (self.patients if keyword == "PatientID" else self.uids).add((original, new))

    def write(self) -> None:
        self.folder.makedirs()
        for name, rows in ((UID_MAP, self.uids), (PATIENT_MAP, self.patients)):
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["original", "new"])
            writer.writerows(sorted(rows))
            self.folder.write(name, out.getvalue().encode("utf-8"), private=True)


def change_set(changes: Iterable[Any]) -> tuple[str, list[list[str]]]:
    """One file's attribute changes as sorted rows, and their id (a hash of them): files
    with the same changes share one entry of the manifest."""
    rows = sorted([c.path, c.keywords, c.outcome.value, c.reason] for c in changes)
    digest = hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]
    return digest, rows


def report_json(
    options: dict[str, Any],
    profile: str,
    files: dict[str, dict[str, str]],
    change_sets: dict[str, list[list[str]]],
) -> str:
    """``report.json``: the options, and per input what became of it (sorted, so that the
    same export gives the same bytes)."""
    entries = []
    for key, entry in files.items():
        record: dict[str, Any] = {"input": entry.get("input", key)}
        for field in ("output", "excluded", "flagged"):
            if field in entry:
                record[field] = entry[field]
        if "notDicom" in entry:
            record["excluded"] = "not a DICOM file"
        rows = change_sets.get(entry.get("changes", ""), [])
        record["attributes"] = [
            {"path": path, "keywords": keywords, "outcome": outcome, "reason": reason}
            for path, keywords, outcome, reason in rows
        ]
        entries.append(record)
    entries.sort(key=lambda record: (record["input"], record.get("output", "")))
    document = {"version": 1, "profile": profile, "options": options, "files": entries}
    return json.dumps(document, indent=1, sort_keys=True) + "\n"
