"""PS3.15 Table E.1-1 as data, and the action it gives an attribute under the chosen options.

The table lives in ``profile.json`` beside this module (edition and source
noted there); moving to a newer edition of the standard is a data change.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from lightbox.deid.options import DeidOptions, Longitudinal

PROFILE_FILE = Path(__file__).with_name("profile.json")


class Action(enum.StrEnum):
    """The action codes of PS3.15 Table E.1-1 (E.1.1, the table's legend)."""

    REMOVE = "X"  #: remove
    ZERO = "Z"  #: replace with a zero-length value
    DUMMY = "D"  #: replace with a non-zero-length dummy value consistent with the VR
    UID = "U"  #: replace with a UID consistent within the set of instances
    KEEP = "K"  #: keep (sequences: keep, and de-identify their items)
    CLEAN = "C"  #: replace with values of similar meaning that do not identify
    REFERENCES = "U*"  #: keep a sequence, replacing the instance UIDs it contains


#: The choice made where the table leaves one (E.1.1: X/Z "X unless Z is
#: required to maintain IOD conformance", and so on). Which Type an attribute
#: has depends on the IOD, which a de-identifier of arbitrary objects does not
#: know; the rightmost action keeps every IOD valid (D and Z never identify).
COMBINED = {
    "X/Z": Action.ZERO,
    "X/D": Action.DUMMY,
    "Z/D": Action.DUMMY,
    "X/Z/D": Action.DUMMY,
    "X/Z/U*": Action.REFERENCES,
}

#: Table column -> how to tell whether that option is chosen.
_OPTION_COLUMNS: dict[str, Callable[[DeidOptions], bool]] = {
    "rtnSafePrivOpt": lambda o: o.retain_safe_private,
    "rtnUIDsOpt": lambda o: o.retain_uids,
    "rtnDevIdOpt": lambda o: o.retain_device_identity,
    "rtnInstIdOpt": lambda o: o.retain_institution_identity,
    "rtnPatCharsOpt": lambda o: o.retain_patient_characteristics,
    "rtnLongFullDatesOpt": lambda o: o.longitudinal is Longitudinal.FULL,
    "rtnLongModifDatesOpt": lambda o: o.longitudinal is Longitudinal.MODIFIED,
    "cleanDescOpt": lambda o: o.clean_descriptors,
    "cleanStructContOpt": lambda o: o.clean_structured_content,
    "cleanGraphOpt": lambda o: o.clean_graphics,
}

_OPTION_NAMES = {
    "rtnSafePrivOpt": "Retain Safe Private",
    "rtnUIDsOpt": "Retain UIDs",
    "rtnDevIdOpt": "Retain Device Identity",
    "rtnInstIdOpt": "Retain Institution Identity",
    "rtnPatCharsOpt": "Retain Patient Characteristics",
    "rtnLongFullDatesOpt": "Retain Longitudinal Full Dates",
    "rtnLongModifDatesOpt": "Retain Longitudinal Modified Dates",
    "cleanDescOpt": "Clean Descriptors",
    "cleanStructContOpt": "Clean Structured Content",
    "cleanGraphOpt": "Clean Graphics",
}

_TAG = re.compile(r"\(([0-9A-F]{4}),([0-9A-F]{4})\)")


class Pattern(enum.StrEnum):
    """The four rows of Table E.1-1 that stand for many tags."""

    CURVE = "curve"  #: (50xx,xxxx) Curve Data: every element of groups 5000-501E
    OVERLAY_DATA = "overlay-data"  #: (60xx,3000) Overlay Data
    OVERLAY_COMMENTS = "overlay-comments"  #: (60xx,4000) Overlay Comments
    PRIVATE = "private"  #: (gggg,eeee) where gggg is odd: private attributes


@dataclass(frozen=True)
class Row:
    """One row of Table E.1-1."""

    tag: str
    name: str
    basic: str
    options: tuple[tuple[str, str], ...]
    #: Empty for the table's rows; for Lightbox's own rules, why the rule exists.
    why: str = ""

    def describe(self) -> str:
        if self.why:
            return f"Lightbox rule, {self.name} {self.tag}: {self.why}"
        return f"Table E.1-1 {self.tag} {self.name}"


@dataclass(frozen=True)
class Decision:
    """The action for one attribute and why (the row and the option that chose it)."""

    action: Action
    reason: str
    #: The Basic Profile action, for a Clean that cannot be done (binary data, a time
    #: of day when dates are reduced to the year).
    fallback: Action = Action.REMOVE


@dataclass(frozen=True)
class Profile:
    """Table E.1-1 of one edition, indexed by tag, with its pattern rows apart."""

    edition: str
    source: str
    rows: dict[int, Row]
    patterns: dict[Pattern, Row]
    safe_private: frozenset[tuple[str, int, int]]

    def row(self, tag: int) -> Row | None:
        """The row for a tag: its own row, else the pattern row that covers it."""
        found = self.rows.get(tag)
        if found is not None:
            return found
        group, element = tag >> 16, tag & 0xFFFF
        if group & 1:
            return self.patterns[Pattern.PRIVATE]
        if 0x5000 <= group <= 0x501E and not group & 1:
            return self.patterns[Pattern.CURVE]
        if 0x6000 <= group <= 0x601E and not group & 1:
            if element == 0x3000:
                return self.patterns[Pattern.OVERLAY_DATA]
            if element == 0x4000:
                return self.patterns[Pattern.OVERLAY_COMMENTS]
        return None

    def is_safe_private(self, creator: str, group: int, element: int) -> bool:
        """Whether Table E.3.10-1 (as far as transcribed) lists a private element as safe."""
        return (creator.strip(), group, element & 0xFF) in self.safe_private


def decide(row: Row, options: DeidOptions) -> Decision:
    """The action PS3.15 gives a row under ``options``, with its reason.

    An option column applies when its option is chosen. When several chosen
    options name an action for the same row, Clean wins over Keep (the more
    protective). Retain Descriptors (not in PS3.15) keeps what Clean
    Descriptors would clean. Without an applicable option the Basic Profile
    action applies, a combined code resolved by :data:`COMBINED`.

    References
    ----------
    PS3.15 E.1.1 (action codes), E.2 (Basic Profile), E.3 (options).
    """
    basic = COMBINED.get(row.basic) or Action(row.basic)
    chosen = [(column, code) for column, code in row.options if _OPTION_COLUMNS[column](options)]
    if options.retain_descriptors and any(c == "cleanDescOpt" for c, _ in row.options):
        chosen.append(("retainDescriptors", "K"))
    if chosen:
        column, code = min(chosen, key=lambda pair: 0 if pair[1] == "C" else 1)
        option = _OPTION_NAMES.get(column, "Retain Descriptors (Lightbox)")
        return Decision(Action(code), f"{row.describe()}: {code} under {option}", basic)
    note = f" (chose {basic.value}: valid in every IOD)" if row.basic in COMBINED else ""
    label = "action" if row.why else "Basic Profile"
    return Decision(basic, f"{row.describe()}: {label} {row.basic}{note}", basic)


def _row(item: dict[str, Any]) -> Row:
    options = tuple((column, str(item[column])) for column in _OPTION_COLUMNS if item.get(column))
    name = " ".join(str(item["name"]).split())
    return Row(str(item["tag"]), name, str(item["basicProfile"]), options)


def _pattern(tag: str) -> Pattern:
    text = tag.upper()
    if text.startswith("(50XX"):
        return Pattern.CURVE
    if text == "(60XX,3000)":
        return Pattern.OVERLAY_DATA
    if text == "(60XX,4000)":
        return Pattern.OVERLAY_COMMENTS
    if "ODD" in text:
        return Pattern.PRIVATE
    raise ValueError(f"{PROFILE_FILE.name}: the tag {tag!r} is neither a tag nor a known pattern")


def parse_profile(document: dict[str, Any]) -> Profile:
    """Index the JSON document of ``profile.json``.

    Raises
    ------
    ValueError
        A row whose tag is neither ``(gggg,eeee)`` nor one of the four patterns,
        an unknown action code, or a pattern row missing.
    """
    rows: dict[int, Row] = {}
    patterns: dict[Pattern, Row] = {}
    for item in document["attributes"]:
        row = _row(item)
        for code in [row.basic, *(c for _, c in row.options)]:
            if code not in COMBINED and code not in {a.value for a in Action}:
                raise ValueError(f"{PROFILE_FILE.name}: {row.tag} has unknown action {code!r}")
        match = _TAG.fullmatch(row.tag.upper())
        if match:
            rows[int(match[1] + match[2], 16)] = row
        else:
            patterns[_pattern(row.tag)] = row
    missing = set(Pattern) - set(patterns)
    if missing:
        raise ValueError(f"{PROFILE_FILE.name}: pattern rows missing: {sorted(missing)}")
    safe = frozenset(
        (str(s["creator"]).strip(), int(str(s["group"]), 16), int(str(s["element"]), 16) & 0xFF)
        for s in document.get("safePrivate", {}).get("attributes", [])
    )
    return Profile(str(document["edition"]), str(document["source"]), rows, patterns, safe)


@cache
def load_profile() -> Profile:
    """The profile shipped with the package (read once)."""
    try:
        text = PROFILE_FILE.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            f"{PROFILE_FILE} is missing: the package must ship profile.json"
        ) from exc
    document: dict[str, Any] = json.loads(text)
    return parse_profile(document)
