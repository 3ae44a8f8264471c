"""Apply the profile to a dataset: every element, every sequence item, at any depth.

A :class:`Walker` changes the Dataset it is given (a copy the caller owns; the
original bytes are never touched) and records every decision as a
:class:`Change`: what happened to which attribute, and why.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence

from lightbox.deid.options import DeidOptions, Longitudinal
from lightbox.deid.private import private_decisions
from lightbox.deid.profile import Action, Decision, Profile, decide
from lightbox.deid.rules import COMMAND, DATE_VRS, TEXT_VRS, Scope, tag_name, tag_text, unlisted
from lightbox.deid.values import (
    Cleaner,
    Keys,
    dummy,
    group_age,
    shift_date,
    shift_datetime,
    year_only,
)

PATIENT_ID = 0x00100020
TIMEZONE_OFFSET = 0x00080201
BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})
#: Table columns whose Clean marks an attribute as text to clean, not text to clean with.
_DESCRIPTOR_COLUMNS = frozenset(
    {"cleanDescOpt", "cleanStructContOpt", "cleanGraphOpt", "rtnPatCharsOpt"}
)


class Outcome(enum.StrEnum):
    """What happened to an attribute, as the preview and the report say it."""

    REMOVED = "removed"
    EMPTIED = "emptied"
    REPLACED = "replaced"
    CLEANED = "cleaned"
    KEPT = "kept"


@dataclass(frozen=True)
class Change:
    """One attribute's fate: where it sits, what happened, and the rule that decided."""

    path: str
    keywords: str
    outcome: Outcome
    reason: str


@dataclass
class Walker:
    """De-identify datasets of one patient under one set of options.

    Parameters
    ----------
    options, profile, keys
        The options, Table E.1-1 and the export's secret.
    patient : str
        The key of the file's patient (for the pseudonym of (0010,0020) Patient ID).
    shift : int
        The patient's date offset in days (used by Modified Dates).
    cleaner : Cleaner
        The file's known identifying values, for cleaning free text.
    """

    options: DeidOptions
    profile: Profile
    keys: Keys
    patient: str
    shift: int
    cleaner: Cleaner
    changes: set[Change] = field(default_factory=set)

    def walk(self, ds: Dataset, parents: tuple[int, ...] = (), scope: Scope = Scope.NORMAL) -> None:
        """Apply the profile to every element of ``ds`` and, recursively, of its items."""
        privates = private_decisions(ds, self.options, self.profile)
        for elem in list(ds):
            tag = int(elem.tag)
            if tag in privates:
                decision = privates[tag]
            elif tag >> 16 == 0x0000:
                decision = COMMAND
            else:
                row = self.profile.row(tag)
                decision = (
                    decide(row, self.options)
                    if row
                    else unlisted(tag, elem.VR, scope, self.options)
                )
            self._apply(ds, elem, decision, (*parents, tag), scope)

    def record(self, path: tuple[int, ...], outcome: Outcome, reason: str) -> None:
        keywords = " > ".join(tag_name(t) for t in path)
        self.changes.add(Change(">".join(tag_text(t) for t in path), keywords, outcome, reason))

    # -- actions ------------------------------------------------------------------

    def _apply(
        self,
        ds: Dataset,
        elem: DataElement,
        decision: Decision,
        path: tuple[int, ...],
        scope: Scope,
    ) -> None:
        action, reason = decision.action, decision.reason
        if action is Action.REMOVE:
            del ds[elem.tag]
            self.record(path, Outcome.REMOVED, reason)
        elif action is Action.ZERO:
            elem.value = Sequence() if elem.VR == "SQ" else None
            self.record(path, Outcome.EMPTIED, reason)
        elif action is Action.DUMMY:
            self._dummy(elem, path)
            self.record(path, Outcome.REPLACED, reason)
        elif action is Action.UID:
            changed = self._map(elem, self._uid)
            self.record(path, Outcome.REPLACED if changed else Outcome.KEPT, reason)
        elif action is Action.REFERENCES:
            self._items(elem, path, Scope.NORMAL)
            self.record(path, Outcome.KEPT, reason + "; the UIDs inside are replaced")
        elif action is Action.CLEAN:
            self._clean(ds, elem, decision, path)
        else:
            self._keep(elem, path, reason, scope)

    def _items(self, elem: DataElement, path: tuple[int, ...], scope: Scope) -> None:
        if elem.VR == "SQ" and elem.value is not None:
            for item in elem.value:
                self.walk(item, path, scope)

    def _map(self, elem: DataElement, fn: Callable[[str], str]) -> bool:
        """Replace each value of a string element by ``fn(value)``; say whether any changed."""
        value = elem.value
        if value is None or value == "":
            return False
        values = [str(v) for v in value] if isinstance(value, MultiValue | list) else [str(value)]
        new = [fn(v) for v in values]
        if new == values:
            return False
        elem.value = new if len(new) > 1 else new[0]
        return True

    def _uid(self, value: str) -> str:
        # DICOM's own registered UIDs (classes, well-known frames of reference) identify no one.
        return value if value.startswith("1.2.840.10008.") or not value else self.keys.uid(value)

    def _dummy(self, elem: DataElement, path: tuple[int, ...]) -> None:
        if elem.VR == "SQ":
            self._items(elem, path, Scope.DUMMY)
        elif int(elem.tag) == PATIENT_ID:
            elem.value = self.keys.pseudonym(self.patient)
        elif elem.VR == "UI":
            elem.value = self.keys.uid(str(elem.value or "dummy"))
        else:
            elem.value = dummy(elem.VR)

    def _keep(self, elem: DataElement, path: tuple[int, ...], reason: str, scope: Scope) -> None:
        if elem.VR == "SQ":
            self._items(elem, path, scope)
        if elem.VR == "AS" and self._map(elem, group_age):
            reason = "ages over 89 grouped as 090Y (HIPAA Safe Harbor); " + reason
            self.record(path, Outcome.REPLACED, reason)
            return
        self.record(path, Outcome.KEPT, reason)

    def _clean(
        self, ds: Dataset, elem: DataElement, decision: Decision, path: tuple[int, ...]
    ) -> None:
        """Clean (C): replace with values of similar meaning that do not identify.

        Dates under Modified Dates are shifted or cut to the year; a time of
        day and the timezone offset are kept when dates are shifted by whole
        days. AE titles get a consistent stand-in, text is cleaned of the
        file's identifying values, sequences keep their items with those
        cleaned. Overlay and curve bitmaps (Clean Graphics) are kept as they
        are: pixels are not read for text. Other binary values, and times
        when dates are cut to the year, cannot be cleaned: the Basic Profile
        action applies instead.
        """
        vr, reason, tag = elem.VR, decision.reason, int(elem.tag)
        timing = vr == "TM" or tag == TIMEZONE_OFFSET
        graphics = 0x5000 <= tag >> 16 <= 0x60FF
        if (vr in BINARY_VRS and not graphics) or (timing and self.options.dates_to_year):
            why = "binary data cannot be cleaned" if vr in BINARY_VRS else "dates kept to the year"
            fallback = Decision(decision.fallback, f"{reason}; {why}: Basic Profile action")
            self._apply(ds, elem, fallback, path, Scope.NORMAL)
            return
        if vr == "SQ":
            self._items(elem, path, Scope.CLEAN)
        elif vr in ("DA", "DT"):
            self._map(elem, lambda v: self._date(v, vr))
        elif vr == "AE":
            self._map(elem, self.keys.ae_title)
        elif vr == "AS":
            self._map(elem, group_age)
        elif (vr in TEXT_VRS or vr == "CS") and not timing:
            self._map(elem, self._clean_text)
        self.record(path, Outcome.CLEANED, reason)

    def _clean_text(self, value: str) -> str:
        return self.cleaner.clean(value)

    def _date(self, value: str, vr: str) -> str:
        """A DA or DT under Modified Dates: reduced to the year, or shifted (PS3.15 E.3.6)."""
        if self.options.longitudinal is not Longitudinal.MODIFIED:
            return value
        if self.options.dates_to_year:
            return year_only(value, vr)
        return shift_date(value, self.shift) if vr == "DA" else shift_datetime(value, self.shift)


def known_values(ds: Dataset, profile: Profile) -> Iterable[str]:
    """The values of a dataset's identifying attributes, at any depth, to clean text with.

    Identifying: a Table E.1-1 row whose Basic Profile action removes or
    replaces the value and that no option cleans (descriptors are what gets
    cleaned, not what to clean with), of a text, date or AE VR; and person
    names anywhere.
    """
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value or ():
                yield from known_values(item, profile)
            continue
        if elem.value in (None, "") or int(elem.tag) >> 16 & 1:
            continue
        row = profile.row(int(elem.tag))
        identifying = elem.VR == "PN" or (
            row is not None
            and row.basic not in ("K", "U", "C")
            and not any(
                code == "C" and column in _DESCRIPTOR_COLUMNS for column, code in row.options
            )
        )
        if identifying and (elem.VR in TEXT_VRS or elem.VR in DATE_VRS or elem.VR in ("AE", "UR")):
            value = elem.value
            yield from (str(v) for v in value) if isinstance(value, MultiValue) else (str(value),)
