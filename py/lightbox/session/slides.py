"""What the session says of whole-slide images: the pyramid of a slide, its tiles.

The files of one slide (one series, one Container Identifier and Frame of Reference:
:func:`lightbox.slide.read.slide_key`) are one catalog entry of ``kind: "slide"``; its
levels are sorted by pixel spacing, finest first (level 0). Tiles are decoded one at a
time when the page asks, and the last few are kept (:class:`TileCache`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from lightbox.core.errors import InvalidDicomError
from lightbox.core.messages import say
from lightbox.ingest.source import ByteSource, BytesSource
from lightbox.slide import image as slide_image
from lightbox.slide.image import SlideImage
from lightbox.slide.read import Level, is_slide

#: Decoded tiles kept (RGBA, 256 KiB each at 256 x 256): the page keeps its own, larger.
TILE_CACHE = 48


class TileCache:
    """The last tiles decoded, least recently used dropped first."""

    def __init__(self, size: int = TILE_CACHE) -> None:
        self.size = size
        self._tiles: OrderedDict[tuple[int, int], np.ndarray[Any, Any]] = OrderedDict()
        self.decoded = 0

    def get(self, key: tuple[int, int]) -> np.ndarray[Any, Any] | None:
        found = self._tiles.get(key)
        if found is not None:
            self._tiles.move_to_end(key)
        return found

    def put(self, key: tuple[int, int], tile: np.ndarray[Any, Any]) -> None:
        self._tiles[key] = tile
        self._tiles.move_to_end(key)
        while len(self._tiles) > self.size:
            self._tiles.popitem(last=False)


def open_from_bytes(name: str, data: bytes) -> SlideImage | None:
    """A slide image held in memory, or None when the file is not a pyramid level."""
    return open_from_source(name, BytesSource(data))


def open_from_source(name: str, source: ByteSource) -> SlideImage | None:
    """A slide image read through a byte source (header and tile index only), or None."""
    header = slide_image.read_prefix_header(name, source)
    if header is None or not is_slide(header.dataset):
        return None
    return slide_image.open_image(name, source, header)


def sorted_levels(images: Sequence[SlideImage]) -> list[int]:
    """Indices of ``images``, finest pixel spacing first (then the larger matrix first)."""
    return sorted(
        range(len(images)),
        key=lambda i: (images[i].level.spacing[0], -images[i].level.width, i),
    )


def _level_json(level: Level, name: str, syntax: str, path: str, plane: int) -> dict[str, Any]:
    sparse = level.organization != "TILED_FULL"
    return {
        "file": name,
        "width": level.width,
        "height": level.height,
        "tileWidth": level.tile_width,
        "tileHeight": level.tile_height,
        "spacing": list(level.spacing),
        "frames": level.frames,
        "organization": level.organization,
        "flavor": level.flavor,
        "opticalPath": path,
        "focalPlane": plane,
        "transferSyntax": syntax,
        # TILED_FULL: frame = frameOffset + row * tilesAcross + column (the path's and
        # plane's first frame); sparse: each frame's (x, y), -1 for other paths and planes
        "frameOffset": 0 if sparse else level.frame_offset(path, plane),
        "positions": level.positions_for(path, plane).reshape(-1).tolist() if sparse else None,
    }


def optical_paths(images: Sequence[SlideImage]) -> list[dict[str, str]]:
    """The slide's optical paths, finest level's first: ``{id, label}``."""
    seen: dict[str, str] = {}
    for i in sorted_levels(images):
        level = images[i].level
        for path, label in zip(level.paths, level.path_labels, strict=False):
            if path not in seen or not seen[path]:
                seen[path] = label
    return [{"id": path, "label": label} for path, label in seen.items()]


def summary(images: Sequence[SlideImage]) -> dict[str, Any]:
    """The catalog's record of a slide: its levels (finest first), size and spacing."""
    order = sorted_levels(images)
    finest = images[order[0]].level
    return {
        "levels": len(shown_levels(images)),
        "width": finest.width,
        "height": finest.height,
        "spacing": list(finest.spacing),
        "calibrated": finest.spacing != (1.0, 1.0),
        "opticalPaths": [p["id"] for p in optical_paths(images)],
        "focalPlanes": finest.focal_planes,
    }


def _path_of(images: Sequence[SlideImage], path: str | None) -> str:
    """The optical path asked for, the first one when None.

    Raises
    ------
    InvalidDicomError
        The slide has no such optical path.
    """
    paths = [p["id"] for p in optical_paths(images)]
    if path is None:
        return paths[0]
    if path not in paths:
        raise InvalidDicomError(
            images[0].name, say("engine.slide_no_path", path=repr(path), paths=", ".join(paths))
        )
    return path


def _plane_in(level: Level, z: float) -> int:
    """The level's focal plane nearest ``z`` µm (a coarser level may have fewer)."""
    return int(np.argmin(np.abs(np.asarray(level.planes) - z)))


def info(images: Sequence[SlideImage], path: str | None = None, plane: int = 0) -> dict[str, Any]:
    """What the page's slide view needs: every level of optical path ``path`` (the first
    when None) with its tile grid, at focal plane ``plane`` (an index of the finest
    level's planes, each coarser level at its plane nearest in Z)."""
    path = _path_of(images, path)
    chosen = shown_levels(images, path)
    finest = images[chosen[0]].level
    if not 0 <= plane < len(finest.planes):
        raise InvalidDicomError(
            images[chosen[0]].name,
            say("engine.slide_no_plane", plane=plane, planes=len(finest.planes)),
        )
    z = finest.planes[plane]
    out = summary(images)
    out["levels"] = len(chosen)
    out["level"] = [
        _level_json(
            images[i].level,
            images[i].name,
            images[i].fmt.transfer_syntax,
            path,
            _plane_in(images[i].level, z),
        )
        for i in chosen
    ]
    out["files"] = [images[i].name for i in chosen]
    out["opticalPath"] = path
    out["paths"] = optical_paths(images)
    out["focalPlane"] = plane
    out["planes"] = list(finest.planes)
    return out


def shown_levels(images: Sequence[SlideImage], path: str | None = None) -> list[int]:
    """The levels of optical path ``path`` (the first when None), finest first, as indices."""
    order = sorted_levels(images)
    path = images[order[0]].level.paths[0] if path is None else path
    return [i for i in order if path in images[i].level.paths]


def routes(
    images: Sequence[SlideImage], path: str | None = None
) -> tuple[list[dict[str, Any] | None], np.ndarray[Any, Any]]:
    """Per level shown (finest first), how the browser makes its tiles without Python.

    ``({file, decoding, frames, at}`` or None where only Python decodes, ...), and one
    float64 array holding, for each level with a route from index ``at``, its frames'
    starts then their ends (each frame's byte range in the file: for encapsulated tiles
    its items with their headers; offsets below 2**53 are exact).
    """
    out: list[dict[str, Any] | None] = []
    ranges: list[np.ndarray[Any, Any]] = []
    at = 0
    for i in shown_levels(images, _path_of(images, path)):
        image = images[i]
        decoding = image.browser_decoding
        if decoding is None:
            out.append(None)
            continue
        frames = len(image.frames)
        out.append({"file": image.name, "decoding": decoding, "frames": frames, "at": at})
        ranges += [image.frames.starts, image.frames.ends]
        at += 2 * frames
    both = np.concatenate(ranges).astype(np.float64) if ranges else np.zeros(0, np.float64)
    return out, np.ascontiguousarray(both)


def tile(
    images: Sequence[SlideImage],
    files: Sequence[int],
    cache: TileCache,
    level: int,
    frame: int,
    path: str | None = None,
) -> tuple[dict[str, Any], np.ndarray[Any, Any]]:
    """Frame ``frame`` of level ``level`` (0 finest) as RGBA, with its place.

    ``files`` are the session's file indices of ``images`` (the cache's keys).
    """
    chosen = shown_levels(images, _path_of(images, path))
    if not 0 <= level < len(chosen):
        raise InvalidDicomError(images[0].name, f"no level {level} ({len(chosen)} levels)")
    found = images[chosen[level]]
    key = (files[chosen[level]], frame)
    cached = cache.get(key)
    if cached is None:
        cached = np.ascontiguousarray(found.tile(frame))
        cache.decoded += 1
        cache.put(key, cached)
    if not 0 <= frame < len(found.level.places):
        raise InvalidDicomError(found.name, f"no frame {frame + 1} ({found.level.frames} frames)")
    x, y = (int(v) for v in found.level.places[frame])
    meta = {
        "level": level,
        "frame": frame,
        "x": x,
        "y": y,
        "width": int(cached.shape[1]),
        "height": int(cached.shape[0]),
        "file": found.name,
    }
    return meta, cached


def thumbnail(images: Sequence[SlideImage], size: int) -> np.ndarray[Any, Any]:
    """The coarsest level composited from its tiles (at most 64), shrunk to ``size``."""
    chosen = shown_levels(images)
    coarse = images[chosen[-1]]
    level = coarse.level
    step = max(1, int(np.ceil(max(level.height, level.width) / max(size, 1))))
    canvas = np.zeros((-(-level.height // step), -(-level.width // step), 4), dtype=np.uint8)
    drawn = 0
    for frame, (x, y) in enumerate(level.positions):
        if x < 0:
            continue
        if drawn >= 64:
            break
        oy, ox = (-y) % step, (-x) % step  # the tile's pixels on the thumbnail's grid
        try:
            rgba = coarse.tile(frame)[oy::step, ox::step]
        except InvalidDicomError:
            continue
        top, left = (y + oy) // step, (x + ox) // step
        h = min(rgba.shape[0], canvas.shape[0] - top)
        w = min(rgba.shape[1], canvas.shape[1] - left)
        if h > 0 and w > 0:
            canvas[top : top + h, left : left + w] = rgba[:h, :w]
        drawn += 1
    return np.ascontiguousarray(canvas)
