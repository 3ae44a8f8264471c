"""Slides natively (issue 15 item 2): levels, the tile index, grouping, reading by range.

Expectations come from the generator's own numbers (tests.support.slides: sizes, spacing,
tile places) and from pydicom (each frame's bytes by ``generate_frames``; each level
composited from pydicom's decoded frames, ``slides.reference``).
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.encaps import generate_frames
from pydicom.uid import ExplicitVRLittleEndian, HTJ2KLossless, JPEG2000Lossless, JPEGBaseline8Bit

from lightbox.core.errors import InvalidDicomError
from lightbox.ingest.source import BytesSource, CountingSource
from lightbox.session.session import Session
from lightbox.slide import index as indexing
from tests.support import slides


def _open(paths: list[Path]) -> tuple[Session, dict]:
    session = Session()
    return session, session.open([(p.name, p.read_bytes()) for p in paths])


@pytest.mark.parametrize(
    ("syntax", "table", "sparse", "tile"),
    [
        (JPEGBaseline8Bit, "basic", None, 128),
        (JPEGBaseline8Bit, "none", 0, 128),
        (JPEG2000Lossless, "extended", 1, 128),
        (ExplicitVRLittleEndian, "basic", 2, 128),
        (HTJ2KLossless, "basic", None, 256),
    ],
)
def test_each_tile_is_the_frame_pydicom_reads_and_lands_where_it_belongs(
    tmp_path: Path, syntax: str, table: str, sparse: int | None, tile: int
) -> None:
    pyramid = slides.pyramid(tmp_path, syntax=syntax, table=table, sparse_level=sparse, tile=tile)
    session, catalog = _open(pyramid.paths)
    (entry,) = catalog["series"]
    assert entry["kind"] == "slide" and entry["slide"]["levels"] == 3
    info = session.slide(0)
    for level, path in enumerate(pyramid.paths):
        shown = info["level"][level]
        ds = dcmread(path)
        assert (shown["width"], shown["height"]) == pyramid.sizes[level]
        assert shown["spacing"] == pytest.approx([0.5 * 2**level] * 2)
        assert shown["organization"] == ("TILED_SPARSE" if sparse == level else "TILED_FULL")
        image = session.files[session.series[0].frames[level].file].slide
        assert image is not None
        if syntax != ExplicitVRLittleEndian:  # the index finds the bytes pydicom finds
            frames = list(generate_frames(ds.PixelData, number_of_frames=ds.NumberOfFrames))
            for k, expected in enumerate(frames):
                span = image.source.read(
                    int(image.frames.starts[k]), int(image.frames.ends[k] - image.frames.starts[k])
                )
                assert indexing.fragments(span).rstrip(b"\x00") == expected.rstrip(b"\x00")
        ref = slides.reference(path)
        for frame in range(shown["frames"]):
            meta, rgba = session.slide_tile(0, level, frame)
            x, y = meta["x"], meta["y"]
            h, w = min(rgba.shape[0], shown["height"] - y), min(rgba.shape[1], shown["width"] - x)
            np.testing.assert_array_equal(rgba[:h, :w, :3], ref[y : y + h, x : x + w, :3])


def test_levels_are_sorted_by_spacing_and_labels_stay_images(tmp_path: Path) -> None:
    pyramid = slides.pyramid(tmp_path, label=True)
    other = slides.pyramid(tmp_path, levels=2, prefix="other")
    paths = pyramid.paths + other.paths
    random.Random(3).shuffle(paths)
    session, catalog = _open(paths)
    kinds = sorted(s["kind"] for s in catalog["series"])
    assert kinds == ["slide", "slide", "stack"]  # two slides (two series); the label
    for index, series in enumerate(catalog["series"]):
        if series["kind"] != "slide":
            assert series["files"] == ["level-label.dcm"]
            continue
        info = session.slide(index)
        spacings = [lv["spacing"][0] for lv in info["level"]]
        assert spacings == sorted(spacings) and spacings[0] == 0.5
        assert info["level"][0]["width"] == 1000


def test_a_slide_read_by_range_reads_its_header_and_offsets_only(tmp_path: Path) -> None:
    pyramid = slides.pyramid(tmp_path, width=4000, height=3000, levels=1, tile=128)
    data = pyramid.paths[0].read_bytes()
    source = CountingSource(BytesSource(data))
    session = Session()
    catalog = session.open([("big.dcm", source)])
    assert catalog["series"][0]["kind"] == "slide"
    opened = source.bytes_read
    assert opened < 256 * 1024 and opened < len(data) / 10, (opened, len(data))
    assert len(session.files[0].data) < 64 * 1024  # the header, not the tiles
    before = source.reads
    meta, rgba = session.slide_tile(0, 0, 57)
    assert source.reads == before + 1  # one tile, one read
    ref = slides.reference(pyramid.paths[0])
    x, y = meta["x"], meta["y"]
    np.testing.assert_array_equal(rgba[..., :3], ref[y : y + 128, x : x + 128, :3])


def test_a_file_read_by_range_that_is_no_slide_is_read_whole(tmp_path: Path, make_image) -> None:
    session = Session()
    catalog = session.open([("ct.dcm", BytesSource(make_image()))])
    assert [s["kind"] for s in catalog["series"]] == ["stack"]
    assert session.render(0, 0).rgba.shape[2] == 4


def test_a_slide_cut_short_says_which_tile_is_missing(tmp_path: Path) -> None:
    pyramid = slides.pyramid(tmp_path, levels=1, syntax=JPEGBaseline8Bit)
    data = pyramid.paths[0].read_bytes()
    cut = data[: len(data) * 2 // 3]
    session = Session()
    catalog = session.open([("cut.dcm", BytesSource(cut))])
    assert catalog["series"][0]["kind"] == "slide"
    frames = session.slide(0)["level"][0]["frames"]
    _meta, rgba = session.slide_tile(0, 0, 0)  # the first tiles are there
    assert rgba.shape == (128, 128, 4)
    with pytest.raises(Exception) as failure:
        session.slide_tile(0, 0, frames - 1)
    assert "cut.dcm" in str(failure.value) and "frame" in str(failure.value)


def test_a_slide_whose_header_is_cut_is_skipped_with_the_reason(tmp_path: Path) -> None:
    pyramid = slides.pyramid(tmp_path, levels=1)
    data = pyramid.paths[0].read_bytes()
    session = Session()
    catalog = session.open([("stub.dcm", BytesSource(data[:700])), ("ok.dcm", data)])
    assert [s["kind"] for s in catalog["series"]] == ["slide"]
    (skipped,) = catalog["skipped"]
    assert skipped["name"] == "stub.dcm" and skipped["reason"]


def test_the_corpus_slides_open_with_their_levels() -> None:
    from tests.support.paths import CORPUS

    files = sorted(p for p in (CORPUS / "wsi").rglob("*") if p.is_file())
    session, catalog = _open(files)
    assert not catalog["skipped"]
    found = [s for s in catalog["series"] if s["kind"] == "slide"]
    assert len(found) == 6
    for index, series in enumerate(catalog["series"]):
        if series["kind"] == "slide":
            thumb = session.thumbnail(index).rgba
            assert thumb[..., :3].std() > 5  # the whole slide, not one tile on black


def test_a_slide_read_by_range_is_exported_whole(tmp_path: Path) -> None:
    pyramid = slides.pyramid(tmp_path, levels=1)
    data = pyramid.paths[0].read_bytes()
    session = Session()
    session.open([("ranged.dcm", BytesSource(data))])
    assert len(session.files[0].data) < len(data)  # only the header is held
    assert session.files_of() == [("ranged.dcm", data)]  # what de-identification reads


@pytest.mark.parametrize(
    ("syntax", "decoding"),
    [
        (JPEGBaseline8Bit, "jpeg"),  # YBR_FULL_422: the browser's JPEG decoder makes RGB
        (ExplicitVRLittleEndian, "rgb"),  # native 8-bit RGB, colour-by-pixel
        (JPEG2000Lossless, None),  # the wasm codecs through Python
        (HTJ2KLossless, None),
    ],
)
def test_the_browser_is_given_each_tiles_bytes_where_it_decodes_them(
    tmp_path: Path, syntax: str, decoding: str | None
) -> None:
    pyramid = slides.pyramid(tmp_path, syntax=syntax, tile=256 if syntax == HTJ2KLossless else 128)
    session, _ = _open(pyramid.paths)
    routes, ranges = session.slide_routes(0)
    assert len(routes) == 3
    for level, path in enumerate(pyramid.paths):
        route = routes[level]
        if decoding is None:
            assert route is None
            continue
        assert route is not None and route["decoding"] == decoding
        assert route["file"] == path.name
        data = path.read_bytes()
        ds = dcmread(path)
        n, at = route["frames"], route["at"]
        starts, ends = ranges[at : at + n].astype(int), ranges[at + n : at + 2 * n].astype(int)
        spans = [data[s:e] for s, e in zip(starts, ends, strict=True)]
        if decoding == "jpeg":  # each range holds its frame's items: pydicom's frame bytes
            frames = list(generate_frames(ds.PixelData, number_of_frames=ds.NumberOfFrames))
            assert [indexing.fragments(s) for s in spans] == frames
            assert all(s[8:10] == b"\xff\xd8" for s in spans)  # the JPEG SOI after the item
        else:  # native: frame k is the k-th Rows × Columns × 3 bytes of Pixel Data
            size = int(ds.Rows) * int(ds.Columns) * 3
            pixel_data = ds.PixelData
            assert spans == [pixel_data[k * size : (k + 1) * size] for k in range(len(spans))]


def test_each_optical_path_and_focal_plane_shows_its_own_tiles(tmp_path: Path) -> None:
    """PS3.3 C.8.12.5 (optical paths), C.7.6.17.3 (TILED_FULL: tiles, then focal planes,
    then optical paths): every (path, plane) composited from its tiles is the picture the
    generator wrote for it."""
    pyramid = slides.channels(tmp_path)
    session, catalog = _open(pyramid.paths)
    (entry,) = catalog["series"]
    assert entry["slide"]["opticalPaths"] == [p for p, _ in slides.CHANNEL_PATHS]
    assert entry["slide"]["focalPlanes"] == 2
    for p, (identifier, description) in enumerate(slides.CHANNEL_PATHS):
        for z in range(2):
            info = session.slide(0, identifier, z)
            assert info["opticalPath"] == identifier and info["focalPlane"] == z
            assert info["paths"][p] == {"id": identifier, "label": description}
            assert info["planes"] == pytest.approx([0.0, slides.PLANE_UM])
            for level, shown in enumerate(info["level"]):
                width, height = pyramid.sizes[level]
                truth = slides.channel_picture(600, 400, p, z)[:: 2**level, :: 2**level]
                out = np.zeros((height, width, 3), dtype=np.uint8)
                across = -(-width // shown["tileWidth"])
                for k in range(across * -(-height // shown["tileHeight"])):
                    frame = shown["frameOffset"] + k
                    meta, rgba = session.slide_tile(0, level, frame, identifier)
                    x, y = meta["x"], meta["y"]
                    assert (x, y) == ((k % across) * 128, (k // across) * 128)
                    h, w = min(128, height - y), min(128, width - x)
                    out[y : y + h, x : x + w] = rgba[:h, :w, :3]
                np.testing.assert_array_equal(out, truth)
    with pytest.raises(InvalidDicomError, match="no optical path 'DAPI'"):
        session.slide(0, "DAPI", 0)
    with pytest.raises(InvalidDicomError, match="no focal plane 2"):
        session.slide(0, "1", 2)
