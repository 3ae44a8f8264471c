"""Reading DICOM values that may be missing or malformed: one place for the tolerant parses.

Every reader here takes a value as pydicom gives it (a number, a string, a
``MultiValue``, None, or something unconvertible) and returns a plain value or
the "not given" answer its caller chose; none of them raises.
"""

from __future__ import annotations

import math
from typing import Any

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

_MULTIPLE = (MultiValue, list, tuple)


def numbers(value: object) -> list[float]:
    """Every value of a (possibly multi-valued) element that is a number, in order.

    None and ``""`` give ``[]``; values that are not numbers are left out, and so are
    NaN and the infinities (a rescale or a window of NaN is no number to compute with).
    """
    if value is None or value == "":
        return []
    items = list(value) if isinstance(value, _MULTIPLE) else [value]
    out: list[float] = []
    for item in items:
        try:
            number = float(item)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            continue
        if math.isfinite(number):
            out.append(number)
    return out


def strings(value: object) -> list[str]:
    """Every value of a (possibly multi-valued) element as text; ``[]`` for None and ``""``."""
    if value is None or value == "":
        return []
    if isinstance(value, _MULTIPLE):
        return [str(item) for item in value]
    return [str(value)]


def floats(value: Any, count: int) -> tuple[float, ...] | None:
    """Exactly ``count`` numbers from a multi-valued element, or None."""
    try:
        found = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return found if len(found) == count else None


def float_or_none(value: object) -> float | None:
    """A number, or None when the value is absent or not a number."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def int_or_none(value: object) -> int | None:
    """An integer, or None when the value is absent or not a number."""
    try:
        return int(value)  # type: ignore[call-overload,no-any-return]
    except (TypeError, ValueError):
        return None


def int_or(value: object, default: int) -> int:
    """An integer, ``default`` when the value is absent or not one; the first of several."""
    if isinstance(value, _MULTIPLE):
        value = value[0] if len(value) else default
    found = int_or_none(value)
    return default if found is None else found


def text(value: object) -> str:
    """A value as stripped text; ``""`` for None."""
    return "" if value is None else str(value).strip()


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
    tidy_name = "^".join(" ".join(p.split()) for p in text(name).split("^")).rstrip("^")
    return f"{text(patient_id).casefold()}|{tidy_name.casefold()}"
