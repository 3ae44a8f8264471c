"""``help()`` in the console and in scripts: pydoc's plain text, printed (no pager)."""

from __future__ import annotations

import pydoc
from typing import Any

OVERVIEW = """\
The Lightbox console: Python (numpy, pydicom) on the study open in the viewer.

  study.series              the open series, in the series browser's order
  study.series[i].frames(k) frame k as a numpy array of modality values (HU on CT);
                            frames(k, stored=True) for the stored values
  study.series[i].datasets  its files as pydicom Datasets
  study.series[i].volume()  the series as a volume: .array, .spacing, .origin, .axes
  study.view                the active viewport: .series, .frame, .window (settable)
  study.measurements        the measurements drawn, as a list of dicts
  show(array, window=(c, w))  an array on screen, one element a pixel
  save(name, data)          a download: .png, .csv, .npy, .dcm, or bytes/text

help(study), help(show), help(save), help(study.series[0]) say more.
"""


def make_help() -> Any:
    """The ``help`` of the console's namespace: the overview, or an object's pydoc."""

    def help(thing: Any = None) -> None:
        """help() for the console's overview; help(object) for its documentation."""
        if thing is None:
            print(OVERVIEW, end="")
            return
        print(pydoc.render_doc(thing, title="%s", renderer=pydoc.plaintext))  # type: ignore[attr-defined]

    return help
