"""Burned-in text found in the pixels: boxes of likely text, per image.

Text burned into an image (names, dates, IDs on ultrasound, secondary captures, scanned
film) is drawn in thin strokes brighter than what is around them, set in lines. The
search, numpy only (it runs in the browser too):

1. the frame as grey in [0, 1] (colour: the brightest sample, as coloured text is bright
   in one of them), from its 1st percentile to its maximum;
2. strokes: pixels well above the frame's grey opening (a white top-hat with a square of
   :data:`STROKE_PX`: what is bright and narrower than that), and bright themselves;
3. characters joined into words and lines (the strokes dilated along the row more than
   across it), then connected pieces (4-connected runs);
4. kept where the piece is shaped like a line of text: :data:`MIN_HEIGHT` to
   :data:`MAX_HEIGHT` pixels high, at least :data:`MIN_ASPECT` times as wide as high, and
   strokes covering :data:`DENSITY` of its box.

A box is (x, y, width, height) in pixels, padded by :data:`PAD`. Large anatomy, bone and
speckle are mostly not text-shaped; what passes anyway is a false box the user sees
(and may keep) before anything is blanked. Figures measured on generated images are in
the README (tests/unit/deid/test_deid_text.py measures them).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: (x, y, width, height) in pixels.
Box = tuple[int, int, int, int]

STROKE_PX = 9
STROKE_CONTRAST = 0.3
STROKE_BRIGHTNESS = 0.45
MIN_HEIGHT, MAX_HEIGHT = 5, 64
MIN_ASPECT = 1.5
DENSITY = (0.12, 0.7)
PAD = 2
#: How far characters and words are joined: along the row, across it (pixels each way).
JOIN = (5, 1)


def _grey(frame: np.ndarray[Any, Any]) -> np.ndarray[Any, Any] | None:
    values = frame.astype(np.float32)
    if values.ndim == 3:
        values = values.max(axis=2)
    low, high = float(np.percentile(values, 1)), float(values.max())
    if not np.isfinite(high) or high - low <= 0:
        return None
    grey: np.ndarray[Any, Any] = (values - low) / (high - low)
    return np.clip(grey, 0.0, 1.0, out=grey)


def _filter(image: np.ndarray[Any, Any], size: int, axis: int, reduce: Any) -> np.ndarray[Any, Any]:
    """A running min or max of ``size`` pixels along ``axis`` (edges repeated)."""
    half = size // 2
    pad = [(0, 0), (0, 0)]
    pad[axis] = (half, half)
    windows = sliding_window_view(np.pad(image, pad, mode="edge"), size, axis=axis)
    result: np.ndarray[Any, Any] = reduce(windows, axis=-1)
    return result


def _strokes(grey: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    eroded = _filter(_filter(grey, STROKE_PX, 0, np.min), STROKE_PX, 1, np.min)
    opened = _filter(_filter(eroded, STROKE_PX, 0, np.max), STROKE_PX, 1, np.max)
    result: np.ndarray[Any, Any] = (grey - opened > STROKE_CONTRAST) & (grey > STROKE_BRIGHTNESS)
    return result


def _dilate(mask: np.ndarray[Any, Any], along: int, across: int) -> np.ndarray[Any, Any]:
    joined = _filter(mask, 2 * along + 1, 1, np.max) if along else mask
    return _filter(joined, 2 * across + 1, 0, np.max) if across else joined


def _pieces(mask: np.ndarray[Any, Any]) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (x0, y0, x1, y1), exclusive ends, of the 4-connected pieces: each
    row's runs, joined to the runs they overlap in the row above (union-find)."""
    parent: list[int] = []
    boxes: list[list[int]] = []

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    above: list[tuple[int, int, int]] = []  # (start, end, run id) of the previous row
    padded = np.zeros(mask.shape[1] + 2, dtype=np.int8)
    for y in range(mask.shape[0]):
        padded[1:-1] = mask[y]
        edges = np.flatnonzero(np.diff(padded))
        here: list[tuple[int, int, int]] = []
        for start, end in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
            run = len(parent)
            parent.append(run)
            boxes.append([start, y, end, y + 1])
            for a_start, a_end, a_run in above:
                if a_start < end and start < a_end:
                    r1, r2 = root(a_run), root(run)
                    if r1 != r2:
                        parent[r2] = r1
            here.append((start, end, run))
        above = here
    merged: dict[int, list[int]] = {}
    for run, box in enumerate(boxes):
        r = root(run)
        if r in merged:
            m = merged[r]
            m[0], m[1] = min(m[0], box[0]), min(m[1], box[1])
            m[2], m[3] = max(m[2], box[2]), max(m[3], box[3])
        else:
            merged[r] = list(box)
    return [(m[0], m[1], m[2], m[3]) for m in merged.values()]


def find_text(frame: np.ndarray[Any, Any]) -> list[Box]:
    """Boxes of likely burned-in text in one frame ((rows, columns) or (rows, columns,
    samples)), top to bottom."""
    grey = _grey(frame)
    if grey is None or min(grey.shape[:2]) < MIN_HEIGHT:
        return []
    strokes = _strokes(grey)
    if not strokes.any():
        return []
    rows, columns = strokes.shape
    along, across = JOIN
    found: list[Box] = []
    for piece in _pieces(_dilate(strokes, along, across)):
        # The joined piece is wider than its strokes by the join: take it back off.
        x0, x1 = min(piece[0] + along, piece[2]), max(piece[2] - along, piece[0])
        y0, y1 = min(piece[1] + across, piece[3]), max(piece[3] - across, piece[1])
        width, height = x1 - x0, y1 - y0
        if not MIN_HEIGHT <= height <= MAX_HEIGHT or width < MIN_ASPECT * height:
            continue
        density = float(strokes[y0:y1, x0:x1].mean())
        if not DENSITY[0] <= density <= DENSITY[1]:
            continue
        left, top = max(0, x0 - PAD), max(0, y0 - PAD)
        right, bottom = min(columns, x1 + PAD), min(rows, y1 + PAD)
        found.append((left, top, right - left, bottom - top))
    return sorted(found, key=lambda b: (b[1], b[0]))


def find_text_in_frames(frames: np.ndarray[Any, Any], most: int = 3) -> list[Box]:
    """Boxes of text in a (frames, rows, columns[, samples]) array: the first, middle and
    last frames searched (burned-in text stays put through a cine), boxes that overlap
    merged."""
    count = frames.shape[0]
    picked = sorted({0, count // 2, count - 1})[:most]
    boxes: list[Box] = []
    for index in picked:
        boxes.extend(find_text(frames[index]))
    return merge(boxes)


def merge(boxes: list[Box]) -> list[Box]:
    """Overlapping boxes joined into one, until none overlap."""
    result = [list(b) for b in boxes]
    changed = True
    while changed:
        changed = False
        for i in range(len(result)):
            for j in range(i + 1, len(result)):
                a, b = result[i], result[j]
                if (
                    a[0] < b[0] + b[2]
                    and b[0] < a[0] + a[2]
                    and a[1] < b[1] + b[3]
                    and b[1] < a[1] + a[3]
                ):
                    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
                    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
                    result[i] = [x0, y0, x1 - x0, y1 - y0]
                    del result[j]
                    changed = True
                    break
            if changed:
                break
    return sorted(((b[0], b[1], b[2], b[3]) for b in result), key=lambda b: (b[1], b[0]))
