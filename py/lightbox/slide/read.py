"""What a VL Whole Slide Microscopy image says of itself: one pyramid level and its tiles.

PS3.3 A.32.8 (the IOD), C.8.12.4 (Whole Slide Microscopy Image Module: Image Type value 3
VOLUME, THUMBNAIL, LABEL or OVERVIEW; Total Pixel Matrix Columns and Rows), C.7.6.17
(Dimension Organization Type TILED_FULL: the tile of each frame is implicit, rows of tiles
left to right, top to bottom, then focal planes, then optical paths; TILED_SPARSE: each
frame's Plane Position (Slide) Sequence gives the 1-based column and row of its top-left
pixel in the total pixel matrix), C.7.6.16.2.1 (Pixel Measures: Pixel Spacing in mm, row
spacing first). The header only; no bulk data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from lightbox.core.values import int_or

#: VL Whole Slide Microscopy Image Storage (PS3.4 B.5).
WSM_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.77.1.6"
#: Image Type value 3 of the images that are levels of the pyramid (PS3.3 C.8.12.4.1.1).
PYRAMID_FLAVORS = ("VOLUME", "THUMBNAIL")


@dataclass(frozen=True, eq=False)
class Level:
    """One pyramid level: its size, tile grid, pixel spacing and where each frame lies.

    ``positions`` holds, per frame, the (x, y) of its top-left pixel in the total pixel
    matrix (0-based), for the frames shown: those of the first optical path and the first
    focal plane; other frames have (-1, -1).
    """

    width: int
    height: int
    tile_width: int
    tile_height: int
    #: Micrometres per pixel along x (columns) and y (rows).
    spacing: tuple[float, float]
    frames: int
    organization: str
    positions: np.ndarray[Any, Any]
    flavor: str
    optical_path: str
    focal_planes: int
    optical_paths: int

    @property
    def tiles_across(self) -> int:
        return -(-self.width // self.tile_width)

    @property
    def tiles_down(self) -> int:
        return -(-self.height // self.tile_height)


def is_slide(ds: Dataset) -> bool:
    """A VL Whole Slide Microscopy image that is a level of a pyramid (not a label)."""
    return str(ds.get("SOPClassUID", "")) == WSM_SOP_CLASS and flavor(ds) in PYRAMID_FLAVORS


def flavor(ds: Dataset) -> str:
    """Image Type value 3 (VOLUME, THUMBNAIL, LABEL, OVERVIEW), "" when absent."""
    values = [str(v).strip().upper() for v in (ds.get("ImageType") or [])]
    return values[2] if len(values) > 2 else ""


def slide_key(ds: Dataset) -> str:
    """What the files of one slide share: Container Identifier and Frame of Reference."""
    container = str(ds.get("ContainerIdentifier", "") or "")
    frame_of_reference = str(ds.get("FrameOfReferenceUID", "") or "")
    return f"{container}|{frame_of_reference}"


def _first(ds: Dataset, *path: str) -> Any:
    """The value at a path of (sequence, ..., keyword), first item of each sequence."""
    at: Any = ds
    for keyword in path[:-1]:
        seq = at.get(keyword) if at is not None else None
        if not seq:
            return None
        at = seq[0]
    return at.get(path[-1]) if at is not None else None


def pixel_spacing_um(ds: Dataset, width: int, height: int) -> tuple[float, float]:
    """(x, y) micrometres per pixel: Pixel Measures, else Imaged Volume Width and Height.

    Pixel Spacing (0028,0030) is row spacing (between rows, y) then column spacing (x),
    in mm. (1.0, 1.0) when the file gives neither (it is then said uncalibrated).
    """
    spacing = _first(ds, "SharedFunctionalGroupsSequence", "PixelMeasuresSequence", "PixelSpacing")
    if spacing is None:
        spacing = _first(
            ds, "PerFrameFunctionalGroupsSequence", "PixelMeasuresSequence", "PixelSpacing"
        )
    try:
        row_mm, col_mm = float(spacing[0]), float(spacing[1])
        if row_mm > 0 and col_mm > 0:
            return col_mm * 1000.0, row_mm * 1000.0
    except (TypeError, ValueError, IndexError):
        pass
    try:
        w_mm = float(ds.get("ImagedVolumeWidth"))
        h_mm = float(ds.get("ImagedVolumeHeight"))
        if w_mm > 0 and h_mm > 0 and width and height:
            return w_mm * 1000.0 / width, h_mm * 1000.0 / height
    except (TypeError, ValueError):
        pass
    return 1.0, 1.0


def calibrated(ds: Dataset) -> bool:
    """Whether the level's pixel spacing comes from the file."""
    return pixel_spacing_um(ds, 1, 1) != (1.0, 1.0) or bool(
        _first(ds, "SharedFunctionalGroupsSequence", "PixelMeasuresSequence", "PixelSpacing")
    )


def read_level(ds: Dataset) -> Level:
    """The level a slide image is: size, tiles, spacing and each frame's place."""
    tile_h = int(ds.Rows)
    tile_w = int(ds.Columns)
    width = int_or(ds.get("TotalPixelMatrixColumns"), tile_w) or tile_w
    height = int_or(ds.get("TotalPixelMatrixRows"), tile_h) or tile_h
    frames = max(int_or(ds.get("NumberOfFrames"), 1), 1)
    organization = str(ds.get("DimensionOrganizationType", "") or "").upper()
    planes = max(int_or(ds.get("TotalPixelMatrixFocalPlanes"), 1), 1)
    paths = max(int_or(ds.get("NumberOfOpticalPaths"), 1), 1)
    path = str(_first(ds, "OpticalPathSequence", "OpticalPathIdentifier") or "")
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    positions = np.full((frames, 2), -1, dtype=np.int64)
    if organization != "TILED_FULL" and per_frame and len(per_frame) >= frames:
        z_first: float | None = None
        for index, item in enumerate(per_frame[:frames]):
            plane = _first(
                item, "PlanePositionSlideSequence", "ColumnPositionInTotalImagePixelMatrix"
            )
            row = _first(item, "PlanePositionSlideSequence", "RowPositionInTotalImagePixelMatrix")
            z = _first(item, "PlanePositionSlideSequence", "ZOffsetInSlideCoordinateSystem")
            frame_path = _first(item, "OpticalPathIdentificationSequence", "OpticalPathIdentifier")
            if plane is None or row is None:
                continue
            if frame_path is not None and path and str(frame_path) != path:
                continue
            try:
                z_value = float(z) if z is not None else 0.0
            except (TypeError, ValueError):
                z_value = 0.0
            if z_first is None:
                z_first = z_value
            if abs(z_value - z_first) > 1e-6:
                continue
            positions[index] = (int(plane) - 1, int(row) - 1)
        organization = "TILED_SPARSE"
    else:
        across = -(-width // tile_w)
        down = -(-height // tile_h)
        shown = min(frames, across * down)
        k = np.arange(shown)
        positions[:shown, 0] = (k % across) * tile_w
        positions[:shown, 1] = (k // across) * tile_h
        organization = "TILED_FULL"
    return Level(
        width=width,
        height=height,
        tile_width=tile_w,
        tile_height=tile_h,
        spacing=pixel_spacing_um(ds, width, height),
        frames=frames,
        organization=organization,
        positions=positions,
        flavor=flavor(ds),
        optical_path=path,
        focal_planes=planes,
        optical_paths=paths,
    )
