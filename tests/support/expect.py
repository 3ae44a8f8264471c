"""What a series' first frame must look like, from the independent reference renderer.

The native session is used only to find which file and frame a series shows first
and which frame its automatic window is taken from (the series' middle frame); the
pixels expected come from :mod:`tests.support.reference`, which shares no code with
Lightbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom

from lightbox.session.session import Session
from tests.support import reference

#: Transfer syntaxes whose decoders may round differently (reference.compare's lossy bound).
LOSSY_SYNTAXES = frozenset(
    {
        "1.2.840.10008.1.2.4.50",  # JPEG baseline
        "1.2.840.10008.1.2.4.51",  # JPEG extended
        "1.2.840.10008.1.2.4.81",  # JPEG-LS near-lossless
        "1.2.840.10008.1.2.4.91",  # JPEG 2000
        "1.2.840.10008.1.2.4.203",  # HTJ2K
    }
)


@dataclass(frozen=True)
class Expected:
    """The reference's frame for one series, and how to compare with it."""

    file: str
    frame: int
    rgba: np.ndarray
    choice: reference.Choice
    lossy: bool
    #: Why the reference cannot render the frame (pydicom refuses it), else None.
    error: str | None = None

    def disagreement(self, got: np.ndarray, *, max_lossy: int | None = None) -> str | None:
        """None when ``got`` agrees with the reference, else one line saying how not."""
        if self.error is not None:
            return f"{self.file}: the reference cannot render it ({self.error})"
        if got.shape != self.rgba.shape:
            return f"{self.file}: shape {got.shape}, the reference {self.rgba.shape}"
        if self.lossy and max_lossy is not None:
            diff = int(np.abs(got.astype(int) - self.rgba.astype(int)).max())
            return None if diff <= max_lossy else f"{self.file}: max difference {diff}"
        found = reference.compare(got, self.rgba, lossy=self.lossy)
        return None if found is None else f"{self.file} frame {self.frame}: {found}"


def expected_frame(
    paths: Mapping[str, Path],
    series: int,
    frame: int,
    *,
    window: tuple[float, float] | None = None,
    invert: bool = False,
) -> Expected:
    """The reference's rendering of frame ``frame`` of series ``series`` of ``paths``."""
    session = Session()
    session.open([(name, path.read_bytes()) for name, path in paths.items()])
    return _expected(session, paths, series, frame, window, invert)


def expected_first_frames(paths: Mapping[str, Path]) -> list[Expected]:
    """For each series Lightbox makes of ``paths`` (name -> file), its first frame."""
    session = Session()
    session.open([(name, path.read_bytes()) for name, path in paths.items()])
    return [_expected(session, paths, i, 0, None, False) for i in range(len(session.series))]


def _expected(
    session: Session,
    paths: Mapping[str, Path],
    index: int,
    frame: int,
    window: tuple[float, float] | None,
    invert: bool,
) -> Expected:
    series = session.series[index]
    ref, middle = series.frames[frame], series.frames[len(series.frames) // 2]
    name = session.files[ref.file].name
    ds = pydicom.dcmread(paths[name], force=True)  # Lightbox opens some pydicom will not
    lossy = str(ds.file_meta.get("TransferSyntaxUID", "")) in LOSSY_SYNTAXES
    try:
        # Used only where the file has no window of its own (PS3.3 C.11.2 gives none).
        mid = pydicom.dcmread(paths[session.files[middle.file].name], force=True)
        auto = reference.modality_values(mid, middle.index)
        rgba, choice = reference.render(ds, ref.index, window=window, invert=invert, auto_from=auto)
    except (ValueError, AttributeError, NotImplementedError, RuntimeError, KeyError) as exc:
        none = reference.Choice("none", None, None, None)
        return Expected(name, ref.index, np.zeros(0), none, lossy, str(exc))
    return Expected(name, ref.index, rgba, choice, lossy)
