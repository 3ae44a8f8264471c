"""What the session says of a waveform object: its catalog summary, plots and sound.

The math is :mod:`lightbox.waveform`'s; this module turns its records into the
JSON the page reads (``catalog().series[i].waveform``, the plot's geometry
that ``state().waveform`` reports) and the sound the page plays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lightbox.core.messages import said
from lightbox.waveform import plot as plotting
from lightbox.waveform import samples
from lightbox.waveform.records import Annotation, Group, Waveform


def summary(wave: Waveform) -> dict[str, Any]:
    """The catalog's record of a waveform: its type, groups and whether it is sound."""
    return {
        "type": wave.sop_class,
        "audio": wave.audio,
        "groups": [
            {
                "label": g.label,
                "channels": len(g.channels),
                "samples": g.samples,
                "sampleRate": g.sample_rate,
                "duration": g.duration_ms,
                "labels": [c.label for c in g.channels],
            }
            for g in wave.groups
        ],
    }


def note(wave: Waveform) -> str:
    """What the report says of a waveform (it is not an image, so it is not counted as one)."""
    groups = ", ".join(
        f"{g.label}: {len(g.channels)} channels, {g.duration_ms / 1000:g} s" for g in wave.groups
    )
    return f"{wave.name} is a waveform, plotted ({wave.sop_class}; {groups})"


def group_of(wave: Waveform, group: int) -> Group:
    """Multiplex group ``group`` (from 0), clamped to those there are."""
    return wave.groups[min(max(group, 0), len(wave.groups) - 1)]


def plot(wave: Waveform, group: int, view: plotting.View) -> tuple[dict[str, Any], Any]:
    """A group's plot: (its geometry and annotations as JSON, the (n, 2) float32 points)."""
    index = min(max(group, 0), len(wave.groups) - 1)
    chosen = wave.groups[index]
    first, stop = plotting.samples_shown(chosen, view)
    voltages = all(samples.millivolt_factor(c.units) is not None for c in chosen.channels)
    made = plotting.plot(
        chosen,
        samples.values(chosen, first, stop),
        view,
        offset=first,
        ranges=None if voltages else samples.ranges(chosen),
    )
    info = plotting.plot_json(made, chosen)
    info.update(
        group=index,
        groups=[g.label for g in wave.groups],
        groupsSaid=[said(g.label) for g in wave.groups],
        width=view.width,
        height=view.height,
        file=wave.name,
        type=wave.sop_class,
        audio=wave.audio,
        annotations=[
            _annotation_json(a, made, chosen) for a in wave.annotations if a.group in (None, index)
        ],
        warnings=list(wave.warnings),
        warningsSaid=[said(w) for w in wave.warnings],
    )
    return info, made.points


def _annotation_json(note: Annotation, made: plotting.Plot, group: Group) -> dict[str, Any]:
    """An annotation with the x (plot pixels) of each of its times inside the window."""
    start, end = made.window
    rows = made.rows
    left = rows[0].left if rows else plotting.LEFT
    return {
        "text": note.text,
        "kind": note.kind,
        "channels": [group.channels[c].label for c in note.channels if c < len(group.channels)],
        "times": list(note.times_ms),
        "x": [left + (t - start) * made.px_per_ms for t in note.times_ms if start <= t <= end],
    }


def audio(wave: Waveform, group: int) -> tuple[float, np.ndarray[Any, Any]]:
    """A group's first channel as sound: (sample rate, float32 in [-1, 1]).

    Scaled by the largest magnitude the encoding can hold, so that quiet stays quiet.
    """
    chosen = group_of(wave, group)
    stored = samples.stored(chosen)[:, 0].astype(np.float64)
    bits = 16 if chosen.interpretation in ("MB", "AB") else chosen.bits
    if chosen.interpretation.startswith("U"):
        stored = stored - 2.0 ** (bits - 1)
    sound = np.clip(stored / 2.0 ** (bits - 1), -1.0, 1.0).astype(np.float32)
    return chosen.sample_rate, np.ascontiguousarray(sound)
