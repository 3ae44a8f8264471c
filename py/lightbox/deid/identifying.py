"""Which attributes of a header identify someone: what the Basic Profile would not keep.

The tag browser's "Hide patient information" hides exactly these values, so that
what the viewer hides and what an export changes are one decision (PS3.15
Annex E, Table E.1-1 with its rules for attributes it does not list: private
attributes, person names, free text, dates, AE titles, URLs).
"""

from __future__ import annotations

import copy
import os

from pydicom.datadict import dictionary_VR
from pydicom.dataset import Dataset

from lightbox.deid.file import patient_key
from lightbox.deid.options import DeidOptions
from lightbox.deid.profile import load_profile
from lightbox.deid.values import Cleaner, Keys
from lightbox.deid.walk import Outcome, Walker, known_values

#: UIDs are replaced by an export but shown by the viewer: they name objects, not people.
_SHOWN_VRS = frozenset({"UI"})


def _vr(path: str) -> str:
    last = path.rsplit(">", 1)[-1].strip("()").replace(",", "")
    try:
        return str(dictionary_VR(int(last, 16)))
    except (KeyError, ValueError):
        return ""


def identifying_paths(ds: Dataset) -> frozenset[str]:
    """Paths of the attributes the Basic Profile removes, empties, replaces or cleans.

    A path is the tags from the top level down, as ``(0040,0275)>(0032,1060)``
    (the form of :class:`~lightbox.deid.walk.Change`), without item numbers.
    UIDs are left out (:data:`_SHOWN_VRS`). ``ds`` is not changed: the walk runs
    on a copy.
    """
    work = copy.deepcopy(ds)
    profile = load_profile()
    keys = Keys(os.urandom(32))
    patient = patient_key(work)
    cleaner = Cleaner.from_values(known_values(work, profile))
    walker = Walker(DeidOptions.from_camel({}), profile, keys, patient, 0, cleaner)
    meta = work.get("file_meta")
    if meta is not None:
        walker.walk(meta)
    walker.walk(work)
    kept = {change.path for change in walker.changes if change.outcome is Outcome.KEPT}
    changed = {
        change.path
        for change in walker.changes
        if change.outcome is not Outcome.KEPT and _vr(change.path) not in _SHOWN_VRS
    }
    return frozenset(changed | _orphan_creators(ds, kept))


def _path(parent: str, tag: int) -> str:
    text = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
    return f"{parent}>{text}" if parent else text


def _orphan_creators(ds: Dataset, kept: set[str], parent: str = "") -> set[str]:
    """Private creators none of whose block survives: an export removes them with the block."""
    out: set[str] = set()
    for element in ds:
        tag = int(element.tag)
        path = _path(parent, tag)
        if element.VR == "SQ" and element.value is not None:
            for item in element.value:
                out |= _orphan_creators(item, kept, path)
        if element.tag.is_private_creator:
            group, block = tag >> 16, (tag & 0xFF) << 8
            members = [_path(parent, (group << 16) | block | low) for low in range(256)]
            if not any(member in kept for member in members):
                out.add(path)
    return out
