"""Reading DICOM values that may be missing or malformed: one place for the tolerant parses."""

from __future__ import annotations

from typing import Any

from pydicom.dataset import Dataset


def floats(value: Any, count: int) -> tuple[float, ...] | None:
    """Exactly ``count`` numbers from a multi-valued element, or None."""
    try:
        numbers = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return numbers if len(numbers) == count else None


def int_or_none(value: object) -> int | None:
    """An integer, or None when the value is absent or not a number."""
    try:
        return int(value)  # type: ignore[call-overload,no-any-return]
    except (TypeError, ValueError):
        return None


def functional_group(ds: Dataset, frame: int, keyword: str) -> Dataset | None:
    """The item of macro ``keyword`` for frame ``frame`` (0-based): per-frame, else shared.

    References
    ----------
    PS3.3 C.7.6.16: a macro is in the Shared or in the Per-frame Functional
    Groups Sequence, whose item i describes frame i + 1.
    """
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    if per_frame and 0 <= frame < len(per_frame):
        items = per_frame[frame].get(keyword)
        if items:
            item: Dataset = items[0]
            return item
    shared = ds.get("SharedFunctionalGroupsSequence")
    if shared:
        items = shared[0].get(keyword)
        if items:
            shared_item: Dataset = items[0]
            return shared_item
    return None


def patient_key(patient_id: object, name: object) -> str:
    """Same patient despite case and padding: 'DOE^JOHN^^' is 'Doe^John' (PS3.5 6.2.1.1).

    ``"|"`` when the file names no patient at all.
    """
    tidy_name = "^".join(" ".join(p.split()) for p in _text(name).split("^")).rstrip("^")
    return f"{_text(patient_id).casefold()}|{tidy_name.casefold()}"


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()
