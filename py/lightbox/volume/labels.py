"""Orientation labels of a plane's edges, from its direction cosines.

The same convention as the stack view's labels (``lightbox.inspect.describe``,
a sibling this package does not import): patient axes +x left, +y posterior,
+z head (PS3.3 C.7.6.2.1.1); the letters of every component of at least 0.25,
strongest first.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Patient axes (PS3.3 C.7.6.2.1.1): +x left, +y posterior, +z head.
_AXIS_LABELS = (("R", "L"), ("A", "P"), ("F", "H"))
#: A direction component smaller than this is not part of an oblique label.
_LABEL_THRESHOLD = 0.25


def direction_label(vector: Sequence[float]) -> str:
    """Patient-axis letters for a direction, strongest first (e.g. "L", "LP", "HAL")."""
    parts = sorted(
        ((abs(v), _AXIS_LABELS[axis][1 if v > 0 else 0]) for axis, v in enumerate(vector)),
        reverse=True,
    )
    return "".join(letter for size, letter in parts if size >= _LABEL_THRESHOLD)


def edge_labels(
    row_direction: Sequence[float], column_direction: Sequence[float]
) -> dict[str, str]:
    """Labels of the four image edges ("right", "left", "bottom", "top").

    The row direction points along increasing column index (to the right edge),
    the column direction along increasing row index (to the bottom edge).
    """
    row = [float(v) for v in row_direction]
    column = [float(v) for v in column_direction]
    return {
        "right": direction_label(row),
        "left": direction_label([-v for v in row]),
        "bottom": direction_label(column),
        "top": direction_label([-v for v in column]),
    }
