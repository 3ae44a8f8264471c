"""What a script's ``study`` asks of where it runs: the view, the measurements, and
where ``show()`` and ``save()`` go.

One host serves both: the browser's console gives it the page's view and measurements
before each run and takes its effects (images to show, files to download, a view to
apply) after; ``lightbox script`` starts it empty and writes the effects to a folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Shown:
    """An image ``show()`` made: uint8 RGBA (rows, columns, 4), and its title."""

    title: str
    rgba: Any


@dataclass(frozen=True)
class Saved:
    """A file ``save()`` made: its name, bytes and MIME type."""

    name: str
    data: bytes
    mime: str


@dataclass
class ViewState:
    """The active viewport: series index, frame index (from 0) and window (or None)."""

    series: int = 0
    frame: int = 0
    window: tuple[float, float] | None = None


@dataclass
class Host:
    """The page (or the command line) a script runs against."""

    view: ViewState = field(default_factory=ViewState)
    measurements: list[dict[str, Any]] = field(default_factory=list)
    #: The page's series UIDs in its order (the console's ``study.series`` follow it).
    order: list[str] = field(default_factory=list)
    effects: list[Shown | Saved] = field(default_factory=list)
    #: The view was set by the script (the page applies it after the run).
    view_set: bool = False

    def take(self) -> list[Shown | Saved]:
        """The effects so far, forgotten here."""
        taken, self.effects = self.effects, []
        return taken
