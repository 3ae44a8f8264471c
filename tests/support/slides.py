"""Generated whole-slide pyramids (PS3.3 A.32.8): one file per level, tiles written by Pillow.

:func:`picture` is the slide at its finest level (colour bands, a grid and discs, so that
a misplaced tile shows); each coarser level is it reduced by 2 in each direction
(Pillow's box filter). Tiles are JPEG baseline (YBR_FULL_422, 4:2:2), JPEG 2000
lossless, or native RGB; TILED_FULL with a Basic Offset Table, an Extended Offset
Table or none, or TILED_SPARSE with each frame's Plane Position (Slide). Tests compare
what Lightbox shows with tiles decoded by pydicom from these files (:func:`reference`),
never with what Lightbox decodes.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, encapsulate_extended
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    ExplicitVRLittleEndian,
    HTJ2KLossless,
    JPEGBaseline8Bit,
    generate_uid,
)

WSM = "1.2.840.10008.5.1.4.1.1.77.1.6"
ENCODER = Path(__file__).resolve().parents[1] / "browser" / "htj2k_encode.mjs"


@dataclass(frozen=True)
class Pyramid:
    """A generated slide: its files (finest level first) and the finest level's spacing."""

    paths: list[Path]
    spacing_um: float
    sizes: list[tuple[int, int]]


def picture(width: int, height: int) -> np.ndarray:
    """(height, width, 3) uint8: bands of colour, a 100-pixel grid and discs."""
    y, x = np.mgrid[0:height, 0:width]
    img = np.zeros((height, width, 3), dtype=np.uint8)
    img[..., 0] = (x * 255 // max(width - 1, 1)).astype(np.uint8)
    img[..., 1] = (y * 255 // max(height - 1, 1)).astype(np.uint8)
    img[..., 2] = ((x // 37 + y // 53) % 2 * 180 + 40).astype(np.uint8)
    grid = (x % 100 < 3) | (y % 100 < 3)
    img[grid] = (20, 20, 20)
    for cx, cy, r in ((width // 3, height // 3, 60), (2 * width // 3, height // 2, 90)):
        disc = (x - cx) ** 2 + (y - cy) ** 2 < r * r
        img[disc] = (250, 250, 250)
    return img


def _tiles(img: np.ndarray, tile: int) -> list[tuple[int, int, np.ndarray]]:
    """(x, y, tile pixels) row by row, edge tiles padded with white to the full size."""
    height, width = img.shape[:2]
    out = []
    for y in range(0, height, tile):
        for x in range(0, width, tile):
            block = np.full((tile, tile, 3), 255, dtype=np.uint8)
            part = img[y : y + tile, x : x + tile]
            block[: part.shape[0], : part.shape[1]] = part
            out.append((x, y, block))
    return out


def _htj2k(block: np.ndarray) -> bytes:
    """One grey tile as an HTJ2K codestream (openjph through Node, as tests/browser/test_htj2k)."""
    with tempfile.TemporaryDirectory() as scratch:
        raw, out = Path(scratch) / "t.raw", Path(scratch) / "t.j2c"
        np.ascontiguousarray(block).tofile(raw)
        rows, cols = block.shape
        subprocess.run(
            ["node", str(ENCODER), str(raw), str(out), str(cols), str(rows), "8", "0"],
            check=True,
            cwd=ENCODER.parents[2],
        )
        return out.read_bytes()


def _encode(block: np.ndarray, syntax: str) -> bytes:
    if syntax == HTJ2KLossless:
        return _htj2k(block[..., 1])  # grey: the picture's green
    if syntax == ExplicitVRLittleEndian:
        return block.tobytes()
    out = io.BytesIO()
    if syntax == JPEGBaseline8Bit:
        Image.fromarray(block).save(out, format="JPEG", quality=92, subsampling=1)
    else:
        Image.fromarray(block).save(out, format="JPEG2000", irreversible=False)
    return out.getvalue()


def level_dataset(
    img: np.ndarray,
    tile: int,
    spacing_um: float,
    syntax: str,
    *,
    series: str,
    study: str,
    frame_of_reference: str,
    flavor: str = "VOLUME",
    sparse: bool = False,
    table: str = "basic",
    number: int = 1,
) -> Dataset:
    """One level as a WSM data set (TILED_FULL unless ``sparse``)."""
    height, width = img.shape[:2]
    tiles = _tiles(img, tile)
    if sparse:  # leave out one tile (sparse tiling may) and store the rest backwards
        tiles = tiles[::-1][: max(1, len(tiles) - 1)] if len(tiles) > 2 else tiles
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = WSM
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = syntax
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.SOPClassUID = WSM
    ds.Modality = "SM"
    ds.ImageType = ["DERIVED" if number > 1 else "ORIGINAL", "PRIMARY", flavor, "NONE"]
    ds.PatientName = "Slide^Generated"
    ds.PatientID = "SLIDE-1"
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = series
    ds.FrameOfReferenceUID = frame_of_reference
    ds.ContainerIdentifier = "SLIDE-CONTAINER-1"
    ds.SeriesNumber = 1
    ds.InstanceNumber = number
    ds.SeriesDescription = "generated pyramid"
    ds.Rows = tile
    ds.Columns = tile
    ds.TotalPixelMatrixColumns = width
    ds.TotalPixelMatrixRows = height
    ds.NumberOfFrames = len(tiles)
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "YBR_FULL_422" if syntax == JPEGBaseline8Bit else "RGB"
    ds.PlanarConfiguration = 0
    if syntax == HTJ2KLossless:  # a grey (fluorescence-like) slide
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        del ds.PlanarConfiguration
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.DimensionOrganizationType = "TILED_SPARSE" if sparse else "TILED_FULL"
    ds.TotalPixelMatrixFocalPlanes = 1
    ds.NumberOfOpticalPaths = 1
    path = Dataset()
    path.OpticalPathIdentifier = "1"
    ds.OpticalPathSequence = DicomSequence([path])
    ds.ImagedVolumeWidth = width * spacing_um / 1000
    ds.ImagedVolumeHeight = height * spacing_um / 1000
    measures = Dataset()
    measures.PixelSpacing = [spacing_um / 1000, spacing_um / 1000]
    measures.SliceThickness = 0.001
    shared = Dataset()
    shared.PixelMeasuresSequence = DicomSequence([measures])
    ds.SharedFunctionalGroupsSequence = DicomSequence([shared])
    if sparse:
        items = []
        for x, y, _ in tiles:
            place = Dataset()
            place.ColumnPositionInTotalImagePixelMatrix = x + 1
            place.RowPositionInTotalImagePixelMatrix = y + 1
            place.XOffsetInSlideCoordinateSystem = 0
            place.YOffsetInSlideCoordinateSystem = 0
            place.ZOffsetInSlideCoordinateSystem = 0
            item = Dataset()
            item.PlanePositionSlideSequence = DicomSequence([place])
            items.append(item)
        ds.PerFrameFunctionalGroupsSequence = DicomSequence(items)
    frames = [_encode(block, syntax) for _, _, block in tiles]
    if syntax == ExplicitVRLittleEndian:
        ds.PixelData = b"".join(frames)
    elif table == "extended":
        ds.PixelData, ds.ExtendedOffsetTable, ds.ExtendedOffsetTableLengths = encapsulate_extended(
            frames
        )
        ds["PixelData"].VR = "OB"
    else:
        ds.PixelData = encapsulate(frames, has_bot=table == "basic")
        ds["PixelData"].VR = "OB"
    return ds


def pyramid(
    folder: Path,
    width: int = 1000,
    height: int = 700,
    levels: int = 3,
    tile: int = 128,
    spacing_um: float = 0.5,
    syntax: str = JPEGBaseline8Bit,
    *,
    sparse_level: int | None = None,
    table: str = "basic",
    label: bool = False,
    prefix: str = "level",
) -> Pyramid:
    """Write a pyramid of ``levels`` files into ``folder``, the finest first."""
    img = picture(width, height)
    study, series, frame_of_reference = generate_uid(), generate_uid(), generate_uid()
    paths, sizes = [], []
    for k in range(levels):
        ds = level_dataset(
            img,
            tile,
            spacing_um * 2**k,
            syntax,
            series=series,
            study=study,
            frame_of_reference=frame_of_reference,
            sparse=sparse_level == k,
            table=table,
            number=k + 1,
        )
        path = folder / f"{prefix}{k}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
        sizes.append((img.shape[1], img.shape[0]))
        img = np.asarray(
            Image.fromarray(img).resize(
                (max(1, img.shape[1] // 2), max(1, img.shape[0] // 2)), Image.Resampling.BOX
            )
        )
    if label:
        small = picture(200, 120)
        ds = level_dataset(
            small,
            200,
            spacing_um,
            ExplicitVRLittleEndian,
            series=series,
            study=study,
            frame_of_reference=frame_of_reference,
            flavor="LABEL",
            number=levels + 1,
        )
        ds.Rows, ds.Columns = 120, 200
        ds.PixelData = small.tobytes()
        path = folder / f"{prefix}-label.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return Pyramid(paths, spacing_um, sizes)


def reference(path: Path) -> np.ndarray:
    """A level's total pixel matrix composited from its tiles decoded by pydicom.

    Each frame is placed by its Plane Position (Slide) when the file has them, else in
    TILED_FULL order (PS3.3 C.7.6.17.3); (height, width, 4) uint8: RGB, and 255 in the
    fourth channel where a tile is (0 where the sparse level has none).
    """
    ds = dcmread(path)
    width, height = int(ds.TotalPixelMatrixColumns), int(ds.TotalPixelMatrixRows)
    rows, cols = int(ds.Rows), int(ds.Columns)
    frames = int(ds.get("NumberOfFrames", 1))
    out = np.zeros((height, width, 4), dtype=np.uint8)
    across = -(-width // cols)
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    sparse = str(ds.get("DimensionOrganizationType", "")) == "TILED_SPARSE"
    from pydicom.pixels import pixel_array
    from pydicom.pixels.processing import convert_color_space

    for k in range(frames):
        arr = pixel_array(ds, index=k, raw=True)
        if ds.PhotometricInterpretation.startswith("YBR"):
            arr = convert_color_space(arr, "YBR_FULL", "RGB")
        if arr.ndim == 2:
            arr = np.repeat(arr[..., None], 3, axis=2)
        if sparse and per_frame:
            place = per_frame[k].PlanePositionSlideSequence[0]
            x = int(place.ColumnPositionInTotalImagePixelMatrix) - 1
            y = int(place.RowPositionInTotalImagePixelMatrix) - 1
        else:
            x, y = (k % across) * cols, (k // across) * rows
        h, w = min(rows, height - y), min(cols, width - x)
        if h > 0 and w > 0:
            out[y : y + h, x : x + w, :3] = arr[:h, :w]
            out[y : y + h, x : x + w, 3] = 255
    return out


#: The optical paths of :func:`channels`: (identifier, description).
CHANNEL_PATHS = (("1", "brightfield"), ("FITC", "FITC 520 nm"))
#: Its focal planes' spacing in µm (Spacing Between Slices, 0.002 mm).
PLANE_UM = 2.0


def channel_picture(width: int, height: int, path: int, plane: int) -> np.ndarray:
    """What optical path ``path`` at focal plane ``plane`` shows: :func:`picture` with its
    channels turned (path) and brightened (plane), so that each pair differs everywhere."""
    img = np.roll(picture(width, height), path, axis=2).astype(np.int64)
    return ((img + 50 * plane) % 256).astype(np.uint8)


def channels(folder: Path, width: int = 600, height: int = 400, tile: int = 128) -> Pyramid:
    """Two levels of native RGB tiles, each one file holding two optical paths × two focal
    planes, TILED_FULL (frames: the tiles, then the focal planes, then the optical paths,
    PS3.3 C.7.6.17.3). The truth of each is :func:`channel_picture` (lossless)."""
    study, series, frame_of_reference = generate_uid(), generate_uid(), generate_uid()
    paths, sizes = [], []
    for k in range(2):
        w, h = width >> k, height >> k
        variants = [
            level_dataset(
                channel_picture(width, height, p, z)[:: 2**k, :: 2**k],
                tile,
                0.5 * 2**k,
                ExplicitVRLittleEndian,
                series=series,
                study=study,
                frame_of_reference=frame_of_reference,
                number=k + 1,
            )
            for p in range(len(CHANNEL_PATHS))
            for z in range(2)
        ]
        ds = variants[0]
        ds.NumberOfFrames = int(ds.NumberOfFrames) * len(variants)
        ds.PixelData = b"".join(v.PixelData for v in variants)
        ds.TotalPixelMatrixFocalPlanes = 2
        ds.NumberOfOpticalPaths = len(CHANNEL_PATHS)
        items = []
        for identifier, description in CHANNEL_PATHS:
            item = Dataset()
            item.OpticalPathIdentifier = identifier
            item.OpticalPathDescription = description
            items.append(item)
        ds.OpticalPathSequence = DicomSequence(items)
        ds.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].SpacingBetweenSlices = (
            PLANE_UM / 1000
        )
        path = folder / f"channels{k}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
        sizes.append((w, h))
    return Pyramid(paths, 0.5, sizes)
