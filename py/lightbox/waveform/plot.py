"""Samples to plot coordinates: the standard ECG grid's scale, one row per channel.

The page asks for a plot of ``width`` × ``height`` pixels showing a window of
time from ``start_ms`` at ``px_per_ms`` and ``px_per_mv``; at the paper
standard of 25 mm/s and 10 mm/mV with 4 pixels a millimetre these are 0.1 px/ms
and 40 px/mV. Each channel gets a row; its trace is drawn left to right from
the row's ``left`` to ``right`` with value 0 at ``baseline`` and up positive:

    x = left + (t - start_ms) × px_per_ms,   t = k × 1000 / rate + skew (ms)
    y = baseline − value_mV × px_per_mv

Channels whose units are not a voltage (pressure, sound, arbitrary) have no mV:
they are scaled to fill four fifths of their row at the default amplitude
(times the amplitude zoom), centred on the middle of their range. Where more
than two samples fall in one pixel column, the column's lowest and highest
values stand for them (min/max decimation keeps every peak).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lightbox.core.messages import said
from lightbox.waveform.records import Group
from lightbox.waveform.samples import millivolt_factor

#: 25 mm/s and 10 mm/mV at 4 px/mm (PS3.3 does not fix a display scale; paper ECGs do).
PX_PER_MM = 4.0
DEFAULT_PX_PER_MS = 25.0 * PX_PER_MM / 1000.0
DEFAULT_PX_PER_MV = 10.0 * PX_PER_MM
#: Margins of the plot: the labels' column on the left, a line of text on top.
LEFT = 48.0
RIGHT = 8.0
TOP = 24.0
BOTTOM = 8.0


@dataclass(frozen=True)
class View:
    """What the page asks to see: the plot's size, where the window starts, the scales."""

    width: int
    height: int
    start_ms: float = 0.0
    px_per_ms: float = DEFAULT_PX_PER_MS
    px_per_mv: float = DEFAULT_PX_PER_MV


@dataclass(frozen=True)
class Row:
    """One channel's row of the plot, in plot pixels, and its scale."""

    label: str
    left: float
    right: float
    baseline: float
    top: float
    bottom: float
    units: str
    #: Pixels per unit of the channel's values (px per mV for voltages).
    px_per_unit: float
    #: The value at ``baseline`` (0 for voltages; the middle of the range otherwise).
    center: float


@dataclass(frozen=True)
class Plot:
    """A plot: the window shown (ms from the first sample), the rows, the traces.

    ``points`` is (n, 2) float32 x, y in plot pixels of every trace one after
    the other; ``spans[i]`` is (offset, count) of row ``i``'s points.
    """

    window: tuple[float, float]
    px_per_ms: float
    px_per_mv: float
    rows: tuple[Row, ...]
    points: np.ndarray[Any, Any]
    spans: tuple[tuple[int, int], ...]


def window_of(group: Group, view: View) -> tuple[float, float]:
    """The window of time shown, [start, end] ms: as much as the plot's width holds."""
    duration = group.duration_ms
    span = max(view.width - LEFT - RIGHT, 1.0) / view.px_per_ms
    start = min(max(view.start_ms, 0.0), max(duration - span, 0.0))
    return start, min(duration, start + span)


def rows_of(group: Group, view: View, ranges: np.ndarray[Any, Any]) -> tuple[Row, ...]:
    """Each channel's row: its baseline and its scale (``ranges``: each channel's lowest and
    highest value, (channels, 2), which scale a channel without a voltage)."""
    count = len(group.channels)
    height = max(view.height - TOP - BOTTOM, 1.0) / count
    start, end = window_of(group, view)
    right = LEFT + (end - start) * view.px_per_ms
    zoom = view.px_per_mv / DEFAULT_PX_PER_MV
    rows = []
    for i, channel in enumerate(group.channels):
        top = TOP + i * height
        factor = millivolt_factor(channel.units)
        if factor is not None:
            center, per_unit = 0.0, view.px_per_mv * factor
        else:
            low, high = float(ranges[i, 0]), float(ranges[i, 1])
            center = (low + high) / 2
            per_unit = zoom * 0.4 * height / max((high - low) / 2, 1e-12)
        rows.append(
            Row(
                channel.label,
                LEFT,
                right,
                top + height / 2,
                top,
                top + height,
                channel.units,
                per_unit,
                center,
            )
        )
    return tuple(rows)


def samples_shown(group: Group, view: View) -> tuple[int, int]:
    """The samples a plot of ``view`` needs, [first, stop): those in its window, skews counted."""
    start, end = window_of(group, view)
    skews = [c.skew_ms for c in group.channels]
    rate = group.sample_rate
    first = int(np.floor((start - max(skews)) * rate / 1000.0)) - 1
    stop = int(np.ceil((end - min(skews)) * rate / 1000.0)) + 2
    return max(first, 0), min(stop, group.samples)


def plot(
    group: Group,
    values: np.ndarray[Any, Any],
    view: View,
    *,
    offset: int = 0,
    ranges: np.ndarray[Any, Any] | None = None,
) -> Plot:
    """The plot of a group's values (samples × channels, in the channels' units).

    ``values`` may hold only the samples from ``offset`` on (those of
    :func:`samples_shown`); ``ranges`` are each channel's lowest and highest value over
    all samples (by default, those of ``values``), which scale the channels that have no
    voltage, so that they keep their scale while the window moves.
    """
    start, end = window_of(group, view)
    if ranges is None:
        ranges = np.stack([values.min(axis=0), values.max(axis=0)], axis=1)
    rows = rows_of(group, view, ranges)
    rate = group.sample_rate
    parts = []
    spans = []
    at = 0
    for i, (row, channel) in enumerate(zip(rows, group.channels, strict=True)):
        first = max(int(np.ceil((start - channel.skew_ms) * rate / 1000.0)), offset)
        last = min(
            int(np.floor((end - channel.skew_ms) * rate / 1000.0)),
            group.samples - 1,
            offset + len(values) - 1,
        )
        k = np.arange(first, last + 1)
        x = row.left + (k * 1000.0 / rate + channel.skew_ms - start) * view.px_per_ms
        y = row.baseline - (values[first - offset : last + 1 - offset, i] - row.center) * (
            row.px_per_unit
        )
        points = _decimated(x, y, row.left) if view.px_per_ms * 1000.0 / rate < 0.5 else None
        if points is None:
            points = np.stack([x, y], axis=1)
        parts.append(points.astype(np.float32))
        spans.append((at, len(points)))
        at += len(points)
    joined = np.concatenate(parts) if parts else np.zeros((0, 2), np.float32)
    return Plot(
        (start, end),
        view.px_per_ms,
        view.px_per_mv,
        rows,
        np.ascontiguousarray(joined),
        tuple(spans),
    )


def _decimated(
    x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], left: float
) -> np.ndarray[Any, Any] | None:
    """Two points a pixel column, its highest and lowest y, alternating so the line zigzags."""
    if len(x) == 0:
        return None
    column = np.floor(x - left).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
    low = np.minimum.reduceat(y, starts)
    high = np.maximum.reduceat(y, starts)
    xs = column[starts] + left + 0.5
    up = (np.arange(len(starts)) % 2).astype(bool)
    first = np.where(up, low, high)
    second = np.where(up, high, low)
    out = np.empty((2 * len(starts), 2), dtype=np.float64)
    out[0::2, 0] = xs
    out[1::2, 0] = xs
    out[0::2, 1] = first
    out[1::2, 1] = second
    return out


def plot_json(plot_: Plot, group: Group) -> dict[str, Any]:
    """The plot's geometry as the page and ``state().waveform`` report it."""
    return {
        "window": list(plot_.window),
        "pxPerMs": plot_.px_per_ms,
        "pxPerMv": plot_.px_per_mv,
        "sampleRate": group.sample_rate,
        "channels": len(group.channels),
        "duration": group.duration_ms,
        "plot": [
            {
                "label": r.label,
                "labelSaid": said(r.label),
                "left": r.left,
                "right": r.right,
                "baseline": r.baseline,
                "top": r.top,
                "bottom": r.bottom,
                "units": r.units or "arbitrary",
                "pxPerUnit": r.px_per_unit,
                "center": r.center,
                "points": list(span),
            }
            for r, span in zip(plot_.rows, plot_.spans, strict=True)
        ],
    }
