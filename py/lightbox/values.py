"""Reading DICOM values that may be missing or malformed: one place for the tolerant parses."""

from __future__ import annotations

from typing import Any


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
