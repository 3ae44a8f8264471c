"""Whole-slide images in the page (issue 15 items 2 and 5): the slide view against its tiles.

The truth is each level's total pixel matrix composited in the test from the file's
tiles, decoded by pydicom (``tests.support.slides.reference``: frames placed by TILED_FULL
order or by their Plane Position (Slide)), never by Lightbox. A level shown at one of its
pixels per CSS pixel (``setSlideView({level, center})``) must show exactly that matrix
from the view's top-left, ``(center − size / 2 × zoom) / spacing``; lossy tiles agree
within the decoders' rounding.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import ExplicitVRLittleEndian, HTJ2KLossless, JPEG2000Lossless, JPEGBaseline8Bit

from tests.support import slides
from tests.support.paths import CORPUS
from tests.support.viewer import Viewer, images

#: JPEG tiles decoded by the page's codec and by pydicom's: rounding of the IDCT and of
#: the YCbCr to RGB conversion, within 6 for 95 % of the pixels and 1.5 on average; at
#: sharp colour edges the decoders' chroma upsampling (4:2:2) differs by more, never past
#: 64 (native Pillow and pydicom's decoder differ so on 2 % of these tiles' pixels). A
#: tile out of place differs by far more: the generated picture changes every 37 pixels.
JPEG_TOLERANCE = 6
JPEG_WORST = 64


def _slide_index(catalog: dict) -> int:
    return next(i for i, s in enumerate(catalog["series"]) if s["kind"] == "slide")


def _open(viewer: Viewer, paths: list[Path]) -> dict:
    viewer.choose(paths)
    return viewer.page.evaluate("() => window.lightbox.catalog()")


def _show_level(viewer: Viewer, level: int, spacing: float, left: int, top: int) -> dict:
    """Show ``level`` at one pixel per CSS pixel with its pixel (left, top) at the top-left."""
    view = viewer.state()["slide"]["view"]
    center = [(left + view[0] / 2) * spacing, (top + view[1] / 2) * spacing]
    viewer.page.evaluate(
        f"() => window.lightbox.setSlideView({{level: {level}, center: {center}}})"
    )
    return viewer.wait_state(f"s.slide && s.slide.level === {level} && s.slide.pending === 0")


def _compare(
    frame: np.ndarray, ref: np.ndarray, left: int, top: int, tolerance: int, mean: float = 1.5
) -> int:
    """The view against the reference from (left, top); returns the pixels compared (a
    lossy level within ``tolerance`` for 95 % of them and ``mean`` on average)."""
    height, width = frame.shape[:2]
    part = ref[top : top + height, left : left + width]
    h, w = part.shape[:2]
    assert h > 0 and w > 0
    covered = part[..., 3] == 255  # where the level has a tile
    diff = np.abs(frame[:h, :w, :3].astype(int) - part[..., :3].astype(int)).max(axis=2)
    diff[~covered] = 0
    bad = np.argwhere(diff > tolerance)
    if tolerance == 1:  # JPEG 2000 of the corpus, two openjpeg builds (test_corpus: wsi 6)
        assert np.mean(diff[covered] > 1) <= 0.01, f"{len(bad)} pixels differ by more than 1"
        assert diff.max() <= 6, f"a pixel differs by {diff.max()}"
    elif tolerance == 0:
        assert bad.size == 0, (
            f"{len(bad)} pixels differ, first at {bad[0]}: "
            f"{frame[bad[0][0], bad[0][1], :3]} vs {part[bad[0][0], bad[0][1]]}"
        )
    else:
        assert len(bad) <= 0.05 * h * w, f"{len(bad)} of {h * w} pixels differ by > {tolerance}"
        assert diff[covered].mean() <= mean, f"the pixels differ by {diff.mean():.2f} on average"
        assert diff.max() <= JPEG_WORST, f"a pixel differs by {diff.max()}"
    if w < width:  # past the slide's right edge: the background, not a tile's padding
        assert np.all(frame[:h, w:, :3] == frame[0, width - 1, :3])
    return int(covered.sum())


@pytest.mark.parametrize(
    ("syntax", "table", "sparse", "tolerance", "tile"),
    [
        (JPEGBaseline8Bit, "basic", None, JPEG_TOLERANCE, 128),
        (JPEGBaseline8Bit, "none", 1, JPEG_TOLERANCE, 128),
        (JPEG2000Lossless, "extended", 0, 0, 128),
        (ExplicitVRLittleEndian, "basic", 2, 0, 128),
        (HTJ2KLossless, "none", None, 0, 256),  # grey tiles, encoded by openjph
    ],
    ids=["jpeg-bot", "jpeg-no-table-sparse1", "j2k-eot-sparse0", "native-sparse2", "htj2k-grey"],
)
def test_each_level_shows_its_tiles_where_they_belong(
    viewer: Viewer,
    tmp_path: Path,
    syntax: str,
    table: str,
    sparse: int | None,
    tolerance: int,
    tile: int,
) -> None:
    pyramid = slides.pyramid(
        tmp_path, syntax=syntax, table=table, sparse_level=sparse, label=True, tile=tile
    )
    catalog = _open(viewer, pyramid.paths)
    assert not catalog["skipped"]
    index = _slide_index(catalog)
    entry = catalog["series"][index]
    assert entry["slide"]["levels"] == 3
    assert entry["slide"]["width"] == 1000 and entry["slide"]["height"] == 700
    assert entry["slide"]["spacing"] == pytest.approx([0.5, 0.5])
    # The label is an image of its own beside the slide.
    assert [s["kind"] for s in catalog["series"]].count("stack") == 1
    viewer.page.evaluate(f"() => window.lightbox.select({index})")
    state = viewer.wait_state("s.slide !== null && s.slide.pending === 0")
    assert state["kind"] == "slide" and state["slide"]["levels"] == 3
    for level in range(3):
        ref = slides.reference(pyramid.paths[level])
        spacing = pyramid.spacing_um * 2**level
        for left, top in ((0, 0), (37, 11), (max(0, ref.shape[1] - 200), 5)):
            state = _show_level(viewer, level, spacing, left, top)
            assert state["slide"]["zoom"] == pytest.approx(spacing)
            frame = viewer.frame()
            assert _compare(frame, ref, left, top, tolerance) > 0
        if level == 1:
            viewer.shot(f"slide-{syntax[-6:]}-{table}-level1")
    # Baseline JPEG and native 8-bit RGB tiles are made by the browser (no Python), the
    # others by the engine: what was compared above is each path's own output.
    decoders = viewer.state()["slide"]["decoders"]
    if syntax in (JPEGBaseline8Bit, ExplicitVRLittleEndian):
        assert decoders["engine"] == 0 and decoders["browser"] > 0, decoders
    else:
        assert decoders["browser"] == 0 and decoders["engine"] > 0, decoders


def test_the_zoom_chooses_the_level_and_the_wheel_zooms_about_the_pointer(
    viewer: Viewer, tmp_path: Path
) -> None:
    pyramid = slides.pyramid(tmp_path)
    catalog = _open(viewer, pyramid.paths)
    viewer.page.evaluate(f"() => window.lightbox.select({_slide_index(catalog)})")
    fitted = viewer.wait_state("s.slide !== null && s.slide.pending === 0")["slide"]
    # Fitted: 1000 × 700 px at 0.5 µm in the pane, the coarsest level not finer than zoom.
    view = fitted["view"]
    assert fitted["zoom"] == pytest.approx(max(500 / view[0], 350 / view[1]) * 1.02)
    assert fitted["center"] == pytest.approx([250, 175])
    expected = max(k for k in range(3) if 0.5 * 2**k <= fitted["zoom"] * 1.0001)
    assert fitted["level"] == expected
    for zoom, level in ((0.3, 0), (0.75, 0), (1.0, 1), (1.9, 1), (2.0, 2), (9.0, 2)):
        viewer.page.evaluate(f"() => window.lightbox.setSlideView({{zoom: {zoom}}})")
        assert viewer.state()["slide"]["level"] == level
    viewer.page.evaluate("() => window.lightbox.setSlideView({zoom: 1, center: [250, 175]})")
    box = viewer.page.locator(".pane.active .slide-overlay").bounding_box()
    assert box is not None
    px, py = 200.0, 150.0
    before = viewer.state()["slide"]
    under = [before["center"][k] + ([px, py][k] - before["view"][k] / 2) * 1.0 for k in (0, 1)]
    viewer.page.mouse.move(box["x"] + px, box["y"] + py)
    viewer.page.mouse.wheel(0, -100)
    after = viewer.wait_state("s.slide && s.slide.zoom < 0.9")["slide"]
    assert after["zoom"] == pytest.approx(0.8)
    still = [after["center"][k] + ([px, py][k] - after["view"][k] / 2) * 0.8 for k in (0, 1)]
    assert still == pytest.approx(under, abs=0.5)  # within a CSS pixel: the box's fraction
    # A drag pans: the slide follows the pointer.
    viewer.page.mouse.move(box["x"] + 300, box["y"] + 300)
    viewer.page.mouse.down()
    viewer.page.mouse.move(box["x"] + 250, box["y"] + 260, steps=5)
    viewer.page.mouse.up()
    moved = viewer.wait_state("s.slide && s.slide.pending === 0")["slide"]
    assert moved["center"] == pytest.approx(
        [after["center"][0] + 50 * 0.8, after["center"][1] + 40 * 0.8]
    )
    viewer.shot("slide-zoomed-panned")


def test_the_scale_bar_and_a_length_in_micrometres(viewer: Viewer, tmp_path: Path) -> None:
    pyramid = slides.pyramid(tmp_path)
    catalog = _open(viewer, pyramid.paths)
    viewer.page.evaluate(f"() => window.lightbox.select({_slide_index(catalog)})")
    viewer.wait_state("s.slide !== null")
    viewer.page.evaluate("() => window.lightbox.setSlideView({zoom: 0.5, center: [250, 175]})")
    plain = viewer.page.evaluate(
        "async () => { const f = await window.lightbox.renderedFrame(); return f.scaleBar; }"
    )
    assert plain is False
    drawn = viewer.page.evaluate(
        """async () => {
            const a = await window.lightbox.renderedFrame();
            const b = await window.lightbox.renderedFrame({overlays: true});
            let differ = 0;
            for (let i = 0; i < a.data.length; i += 4) if (a.data[i] !== b.data[i]) differ += 1;
            return {scaleBar: b.scaleBar, differ, width: b.width, height: b.height};
        }"""
    )
    assert drawn["scaleBar"] is True and drawn["differ"] > 100
    viewer.page.evaluate("() => window.lightbox.setTool('length')")
    box = viewer.page.locator(".pane.active .slide-overlay").bounding_box()
    assert box is not None
    viewer.page.mouse.move(box["x"] + 100, box["y"] + 100)
    viewer.page.mouse.down()
    viewer.page.mouse.move(box["x"] + 400, box["y"] + 500, steps=6)
    viewer.page.mouse.up()
    lengths = viewer.wait_state("s.slide && s.slide.lengths.length === 1")["slide"]["lengths"]
    # 300 × 400 CSS px is 500 CSS px at 0.5 µm each: 250 µm.
    assert lengths[0]["um"] == pytest.approx(250.0, abs=1e-6)
    rows = list(
        csv.reader(io.StringIO(viewer.page.evaluate("() => window.lightbox.measurementsCsv()")))
    )
    assert any("250" in " ".join(r) and "µm" in " ".join(r) for r in rows[1:]), rows
    viewer.page.evaluate("() => window.lightbox.setTool('scroll')")
    viewer.shot("slide-scale-bar-and-length")


def test_a_slide_handed_over_as_a_file_is_read_a_range_at_a_time(
    viewer: Viewer, tmp_path: Path
) -> None:
    pyramid = slides.pyramid(tmp_path, width=2000, height=1500, levels=4, tile=256)
    total = sum(p.stat().st_size for p in pyramid.paths)
    viewer.page.evaluate("() => window.lightbox.largeFileBytes(0)")
    try:
        catalog = _open(viewer, pyramid.paths)
    finally:
        viewer.page.evaluate(f"() => window.lightbox.largeFileBytes({64 * 1024 * 1024})")
    assert not catalog["skipped"]
    index = _slide_index(catalog)
    viewer.page.evaluate(f"() => window.lightbox.select({index})")
    viewer.wait_state("s.slide !== null && s.slide.pending === 0")
    ref = slides.reference(pyramid.paths[0])
    _show_level(viewer, 0, 0.5, 700, 400)
    frame = viewer.frame()
    _compare(frame, ref, 700, 400, JPEG_TOLERANCE)
    # The tiles came from slices of the File, decoded by the browser: none through Python.
    decoders = viewer.state()["slide"]["decoders"]
    assert decoders["engine"] == 0 and decoders["browser"] > 0, decoders
    part = ref[400 : 400 + frame.shape[0], 700 : 700 + frame.shape[1], :3].astype(int)
    diff = np.abs(frame[: part.shape[0], : part.shape[1], :3].astype(int) - part)
    print(
        f"browser JPEG vs pydicom: max {diff.max()}, mean {diff.mean():.3f}, "
        f"> 2: {np.mean(diff.max(axis=2) > 2):.4f}, > 6: {np.mean(diff.max(axis=2) > 6):.4f}"
    )
    viewer.shot("slide-browser-decoded-file-by-range")
    stats = viewer.page.evaluate("() => window.lightbox.stats()")
    # Only headers are held (1 MiB at most a file); the tiles were read when shown.
    assert stats["fileBytes"] < total, (stats["fileBytes"], total)


def test_every_corpus_slide_opens_and_shows_its_tiles(viewer: Viewer) -> None:
    files = sorted(p for p in (CORPUS / "wsi").rglob("*") if p.is_file())
    assert files, "the corpus' wsi folder is empty"
    catalog = _open(viewer, files)
    assert not catalog["skipped"], catalog["skipped"]
    shown = [f for s in images(catalog) for f in s["files"]]
    documents = [d["title"] or d["type"] for d in catalog.get("documents", [])]
    # Every file is accounted for: a slide, an image (labels, slide-coordinates), a document.
    assert len(shown) + len(documents) == len(files), (shown, documents)
    checked = 0
    for index, series in enumerate(catalog["series"]):
        if series["kind"] != "slide":
            continue
        viewer.page.evaluate(f"() => window.lightbox.select({index})")
        state = viewer.wait_state(f"s.series === {index} && s.slide && s.slide.pending === 0")
        assert state["slide"]["error"] is None
        (name,) = series["files"]
        (path,) = [p for p in files if p.name == Path(name).name]
        ref = slides.reference(path)
        spacing = state["slide"]["spacing"][0]
        _show_level(viewer, 0, spacing, 0, 0)
        # Lossless JPEG 2000 decoded by two openjpeg builds: within 1 (as the corpus test).
        lossless = 1 if "jpeg2000" in name else 0 if "raw" in name else JPEG_TOLERANCE
        _compare(viewer.frame(), ref, 0, 0, lossless)
        viewer.shot(f"slide-corpus-{index}")
        checked += 1
    assert checked == 6


def test_a_chooser_shows_each_optical_path_and_focal_plane(viewer: Viewer, tmp_path: Path) -> None:
    """Two optical paths × two focal planes in one file per level (PS3.3 C.8.12.5,
    C.7.6.17.3): each shown is exactly the picture the generator wrote for it (native
    tiles, lossless: :func:`slides.channel_picture`, never Lightbox's decode)."""
    pyramid = slides.channels(tmp_path)
    catalog = _open(viewer, pyramid.paths)
    index = _slide_index(catalog)
    assert catalog["series"][index]["slide"]["focalPlanes"] == 2
    viewer.page.evaluate(f"() => window.lightbox.select({index})")
    state = viewer.wait_state("s.slide !== null && s.slide.pending === 0")["slide"]
    assert state["opticalPath"] == "1" and state["focalPlane"] == 0
    assert state["opticalPaths"] == [{"id": i, "label": label} for i, label in slides.CHANNEL_PATHS]
    assert state["focalPlanes"] == pytest.approx([0.0, slides.PLANE_UM])
    chooser = viewer.page.locator(".pane.active .slide-chooser")
    assert chooser.is_visible()
    for p, (identifier, _) in enumerate(slides.CHANNEL_PATHS):
        for z in range(2):
            for level in range(2):
                truth = slides.channel_picture(600, 400, p, z)[:: 2**level, :: 2**level]
                ref = np.concatenate([truth, np.full(truth.shape[:2] + (1,), 255, np.uint8)], 2)
                view = viewer.state()["slide"]["view"]
                spacing = 0.5 * 2**level
                center = [view[0] / 2 * spacing, view[1] / 2 * spacing]
                viewer.page.evaluate(
                    "(v) => window.lightbox.setSlideView(v)",
                    {"opticalPath": identifier, "focalPlane": z, "level": level, "center": center},
                )
                shown = viewer.wait_state(
                    f"s.slide && s.slide.pending === 0 && s.slide.level === {level}"
                )["slide"]
                assert (shown["opticalPath"], shown["focalPlane"]) == (identifier, z)
                assert _compare(viewer.frame(), ref, 0, 0, 0) > 0
    # The chooser itself: picking the first path and the second plane shows them.
    chooser.locator("select[aria-label='Optical path']").select_option("1")
    viewer.wait_state("s.slide && s.slide.opticalPath === '1' && s.slide.pending === 0")
    chooser.locator("select[aria-label='Focal plane']").select_option("1")
    state = viewer.wait_state("s.slide && s.slide.focalPlane === 1 && s.slide.pending === 0")
    viewer.page.evaluate("() => window.lightbox.setSlideView({level: 0, center: [150, 100]})")
    view = viewer.state()["slide"]["view"]
    left, top = int(300 - view[0] / 2), int(200 - view[1] / 2)
    truth = slides.channel_picture(600, 400, 0, 1)
    ref = np.concatenate([truth, np.full(truth.shape[:2] + (1,), 255, np.uint8)], 2)
    if left >= 0 and top >= 0:
        _compare(viewer.frame(), ref, left, top, 0)
    viewer.shot("slide-optical-path-focal-plane-chooser")


@pytest.mark.parametrize(
    ("syntax", "tolerance"),
    [(ExplicitVRLittleEndian, 2), (JPEGBaseline8Bit, JPEG_TOLERANCE + 2)],
    ids=["native", "jpeg"],
)
def test_tiles_are_shown_through_the_optical_paths_icc_profile(
    viewer: Viewer, tmp_path: Path, syntax: str, tolerance: int
) -> None:
    """A slide whose optical path carries an ICC profile (PS3.3 C.8.12.5; tests/support/icc.py:
    Adobe RGB primaries) shows its tiles converted to sRGB: the reference is the level's
    matrix (pydicom) converted by Pillow's ImageCms (Little CMS, perceptual), within the
    page's colour grid's interpolation (2 levels, tests/browser/test_color_profiles.py)."""
    from PIL import Image, ImageCms

    from tests.support.icc import matrix_profile

    profile = matrix_profile()
    pyramid = slides.pyramid(tmp_path, syntax=syntax)
    for path in pyramid.paths:
        ds = pydicom.dcmread(path)
        ds.OpticalPathSequence[0].ICCProfile = profile
        ds.save_as(path, enforce_file_format=True)
    catalog = _open(viewer, pyramid.paths)
    index = _slide_index(catalog)
    viewer.page.evaluate(f"() => window.lightbox.select({index})")
    viewer.wait_state("s.slide !== null && s.slide.pending === 0")
    ref = slides.reference(pyramid.paths[1])
    converted = ImageCms.profileToProfile(
        Image.fromarray(np.ascontiguousarray(ref[..., :3])),
        ImageCms.ImageCmsProfile(io.BytesIO(profile)),
        ImageCms.createProfile("sRGB"),
        renderingIntent=ImageCms.Intent.PERCEPTUAL,
    )
    managed = ref.copy()
    managed[..., :3] = np.asarray(converted)
    assert np.abs(managed[..., :3].astype(int) - ref[..., :3]).max() > 25  # it matters
    _show_level(viewer, 1, pyramid.spacing_um * 2, 0, 0)
    # JPEG: the two decoders' rounding (JPEG_TOLERANCE, 1.5 on average) comes out of the
    # conversion a little larger: Adobe RGB to sRGB spreads the colours apart (slope > 1)
    assert _compare(viewer.frame(), managed, 0, 0, tolerance, mean=2.0) > 0
    viewer.shot(f"slide-icc-{syntax[-6:]}")
