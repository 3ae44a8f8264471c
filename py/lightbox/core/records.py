"""Plain records passed between the layers. Frozen; no Dataset inside."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Photometric(enum.StrEnum):
    """(0028,0004) Photometric Interpretation, PS3.3 C.7.6.3.1.2."""

    MONOCHROME1 = "MONOCHROME1"
    MONOCHROME2 = "MONOCHROME2"
    RGB = "RGB"
    PALETTE_COLOR = "PALETTE COLOR"
    YBR_FULL = "YBR_FULL"
    YBR_FULL_422 = "YBR_FULL_422"
    YBR_PARTIAL_420 = "YBR_PARTIAL_420"
    #: Retired, but still found in old files.
    YBR_PARTIAL_422 = "YBR_PARTIAL_422"
    YBR_ICT = "YBR_ICT"
    YBR_RCT = "YBR_RCT"

    @property
    def is_monochrome(self) -> bool:
        return self in (Photometric.MONOCHROME1, Photometric.MONOCHROME2)

    @property
    def is_ybr_partial(self) -> bool:
        """Partial-range (studio swing) YCbCr, PS3.3 C.7.6.3.1.2."""
        return self in (Photometric.YBR_PARTIAL_420, Photometric.YBR_PARTIAL_422)


class VoiFunction(enum.StrEnum):
    """(0028,1056) VOI LUT Function, PS3.3 C.11.2.1.3."""

    LINEAR = "LINEAR"
    LINEAR_EXACT = "LINEAR_EXACT"
    SIGMOID = "SIGMOID"


@dataclass(frozen=True)
class Window:
    """A VOI window: centre and width in modality units, and its function."""

    center: float
    width: float
    function: VoiFunction = VoiFunction.LINEAR
    explanation: str = ""


@dataclass(frozen=True)
class Skipped:
    """A file that was not opened, and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class FrameRef:
    """One displayable frame: which opened file, which frame inside it."""

    file: int
    index: int


@dataclass(frozen=True)
class Geometry:
    """Where a single-frame image sits in the patient (PS3.3 C.7.6.2)."""

    position: tuple[float, float, float] | None
    orientation: tuple[float, float, float, float, float, float] | None
    instance_number: int | None
