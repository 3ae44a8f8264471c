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

from dataclasses import dataclass, field
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

    ``places`` holds, per frame, the (x, y) of its top-left pixel in the total pixel
    matrix (0-based); ``frame_path`` and ``frame_plane`` the frame's optical path (an index
    of ``paths``) and focal plane (an index of ``planes``). ``positions`` is ``places`` for
    the frames of the first optical path and focal plane, (-1, -1) for the others.
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
    places: np.ndarray[Any, Any] = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    frame_path: np.ndarray[Any, Any] = field(default_factory=lambda: np.zeros(0, np.int64))
    frame_plane: np.ndarray[Any, Any] = field(default_factory=lambda: np.zeros(0, np.int64))
    #: Optical Path Identifiers (PS3.3 C.8.12.5), in the file's order.
    paths: tuple[str, ...] = ()
    #: Each path's description (Optical Path Description, else its illumination colour or
    #: wavelength), "" when the file says none.
    path_labels: tuple[str, ...] = ()
    #: The focal planes' Z offsets in µm (PS3.3 C.8.12.6.1), nearest the slide first;
    #: TILED_FULL: index × Spacing Between Slices.
    planes: tuple[float, ...] = (0.0,)

    @property
    def tiles_across(self) -> int:
        return -(-self.width // self.tile_width)

    @property
    def tiles_down(self) -> int:
        return -(-self.height // self.tile_height)

    def positions_for(self, path: str, plane: int) -> np.ndarray[Any, Any]:
        """``places`` for the frames of optical path ``path`` and focal plane ``plane``;
        (-1, -1) for the others."""
        out = np.full_like(self.places, -1)
        if path not in self.paths:
            return out
        chosen = (self.frame_path == self.paths.index(path)) & (self.frame_plane == plane)
        out[chosen] = self.places[chosen]
        return out

    def frame_offset(self, path: str, plane: int) -> int:
        """TILED_FULL: the first frame of ``path`` and ``plane`` (tiles, then focal planes,
        then optical paths: PS3.3 C.7.6.17.3)."""
        index = self.paths.index(path) if path in self.paths else 0
        return (index * len(self.planes) + plane) * self.tiles_across * self.tiles_down


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


def _path_label(item: Dataset) -> str:
    """What an optical path is, in words: its description, else its colour or wavelength."""
    text = str(item.get("OpticalPathDescription", "") or "").strip()
    if text:
        return text
    colour = item.get("IlluminationColorCodeSequence")
    if colour:
        return str(colour[0].get("CodeMeaning", "") or "")
    wavelength = item.get("IlluminationWaveLength")
    if wavelength is not None:
        try:
            return f"{float(wavelength):g} nm"
        except (TypeError, ValueError):
            return ""
    return ""


def _z_um(value: Any) -> float:
    """A Z Offset in Slide Coordinate System (µm, PS3.3 C.8.12.6.1) as a float, 0 if none."""
    try:
        return float(value) if value is not None else 0.0
    except (TypeError, ValueError):
        return 0.0


def read_level(ds: Dataset) -> Level:
    """The level a slide image is: size, tiles, spacing and each frame's place."""
    tile_h = int(ds.Rows)
    tile_w = int(ds.Columns)
    width = int_or(ds.get("TotalPixelMatrixColumns"), tile_w) or tile_w
    height = int_or(ds.get("TotalPixelMatrixRows"), tile_h) or tile_h
    frames = max(int_or(ds.get("NumberOfFrames"), 1), 1)
    organization = str(ds.get("DimensionOrganizationType", "") or "").upper()
    planes = max(int_or(ds.get("TotalPixelMatrixFocalPlanes"), 1), 1)
    path_items = list(ds.get("OpticalPathSequence") or [])
    paths = tuple(str(i.get("OpticalPathIdentifier", "") or "") for i in path_items) or ("",)
    labels = tuple(_path_label(i) for i in path_items) or ("",)
    count = max(int_or(ds.get("NumberOfOpticalPaths"), len(paths)), 1)
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    places = np.full((frames, 2), -1, dtype=np.int64)
    frame_path = np.zeros(frames, dtype=np.int64)
    frame_plane = np.zeros(frames, dtype=np.int64)
    if organization != "TILED_FULL" and per_frame and len(per_frame) >= frames:
        zs = np.zeros(frames)
        for index, item in enumerate(per_frame[:frames]):
            column = _first(
                item, "PlanePositionSlideSequence", "ColumnPositionInTotalImagePixelMatrix"
            )
            row = _first(item, "PlanePositionSlideSequence", "RowPositionInTotalImagePixelMatrix")
            zs[index] = _z_um(
                _first(item, "PlanePositionSlideSequence", "ZOffsetInSlideCoordinateSystem")
            )
            frame_id = _first(item, "OpticalPathIdentificationSequence", "OpticalPathIdentifier")
            if frame_id is not None and str(frame_id) in paths:
                frame_path[index] = paths.index(str(frame_id))
            if column is None or row is None:
                continue
            places[index] = (int(column) - 1, int(row) - 1)
        # focal planes: the distinct Z offsets (within 1 nm), nearest the slide first
        levels = np.unique(np.round(zs, 3))
        frame_plane = np.searchsorted(levels, np.round(zs, 3)).astype(np.int64)
        plane_z = tuple(float(z) for z in levels)
        organization = "TILED_SPARSE"
    else:
        across = -(-width // tile_w)
        down = -(-height // tile_h)
        k = np.arange(frames)
        tile = k % (across * down)
        places[:, 0] = (tile % across) * tile_w
        places[:, 1] = (tile // across) * tile_h
        frame_plane = (k // (across * down)) % planes
        frame_path = np.minimum(k // (across * down * planes), len(paths) - 1)
        step = _first(
            ds, "SharedFunctionalGroupsSequence", "PixelMeasuresSequence", "SpacingBetweenSlices"
        )
        step_um = _z_um(step) * 1000.0  # Spacing Between Slices is in mm
        plane_z = tuple(p * step_um for p in range(planes))
        organization = "TILED_FULL"
    shown = (frame_path == 0) & (frame_plane == 0)
    positions = np.where(shown[:, None], places, -1)
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
        optical_path=paths[0],
        focal_planes=len(plane_z),
        optical_paths=count,
        places=places,
        frame_path=frame_path,
        frame_plane=frame_plane,
        paths=paths,
        path_labels=labels,
        planes=plane_z,
    )
