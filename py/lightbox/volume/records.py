"""The records of a volume's inputs and verdicts: slice geometry, warnings, refusals.

Plain values only (numbers, tuples, strings): a caller reads a Dataset into a
:class:`SliceGeometry` per frame; nothing here knows pydicom.
"""

from __future__ import annotations

from dataclasses import dataclass

from lightbox.core.errors import LightboxError

Vector = tuple[float, float, float]


@dataclass(frozen=True)
class SliceGeometry:
    """Where one 2-D frame lies in the patient (PS3.3 C.7.6.2.1.1).

    Attributes
    ----------
    position : tuple of 3 float, or None
        (0020,0032) Image Position (Patient): the centre of the first pixel, in mm.
    orientation : tuple of 6 float, or None
        (0020,0037) Image Orientation (Patient): the row direction cosines (towards
        increasing column index), then the column direction cosines (towards
        increasing row index).
    spacing : tuple of 2 float, or None
        (0028,0030) Pixel Spacing: mm between rows, then mm between columns.
    rows, columns : int
        (0028,0010) Rows and (0028,0011) Columns.
    image_type : tuple of str
        (0008,0008) Image Type values (a ``LOCALIZER`` is never a volume).
    attributes : tuple of (str, str)
        What may tell two frames at one position apart, as (name, value) pairs,
        e.g. ``("(0020,0100) Temporal Position Index", "2")`` or
        ``("(0018,9087) Diffusion b-value", "1000")``: named in the refusal.
    label : str
        How messages name the frame (a file name, "file, frame 3"); empty: its index.
    """

    position: tuple[float, ...] | None
    orientation: tuple[float, ...] | None
    spacing: tuple[float, ...] | None
    rows: int
    columns: int
    image_type: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()
    label: str = ""


@dataclass(frozen=True)
class VolumeWarning:
    """Something the viewer says about a volume it built (JSON-ready).

    Attributes
    ----------
    code : str
        ``"tilt"``, ``"uneven-spacing"``, ``"missing-slices"`` or ``"merged-slices"``.
    message : str
        The plain words shown in the viewport and the report.
    """

    code: str
    message: str


@dataclass(frozen=True)
class NotAVolume:
    """Why a group of frames is not a volume (MPR is not offered), in plain words."""

    reason: str


class VolumeError(LightboxError):
    """A frame given to :func:`lightbox.volume.build.build_volume` does not match its plan."""


def frame_name(geometry: SliceGeometry, index: int) -> str:
    """How a message names frame ``index`` (its label, else "image N", counted from 1)."""
    return geometry.label or f"image {index + 1}"


def millimetres(value: float) -> str:
    """A distance for a message: at most two decimals, no trailing zeros ("2.5", "-12")."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
