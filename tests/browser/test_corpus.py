"""Every file of the real-file corpus (../shared/corpus, sources in its MANIFEST.tsv), through
the real page, a folder at a time.

Each series' first frame is compared with the independent reference renderer
(:mod:`tests.support.reference`); every file is accounted for by name: in a series, a
listed document, or skipped with a reason. What the page cannot show yet is listed
below with the reason, and in the README.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from tests.support.expect import expected_first_frames
from tests.support.paths import CORPUS
from tests.support.viewer import Viewer
from tests.support.viewer import images as image_entries

#: Lossy frames whose two decoders (the browser's codec, pydicom's plugin) round differently,
#: by the most measured (libjpeg-turbo against pylibjpeg's libjpeg on these files).
LOSSY_MAX = {
    "us/go-dicom": 14,  # YBR_FULL_422 JPEG cines: chroma upsampling differs (8-12 measured)
    "wsi": 6,  # JPEG tiles with JFIF: 4 measured
    # 8-bit JPEG through a Modality LUT that spreads 256 values over 80..4022: one level of
    # decoder rounding becomes up to ~15 display levels under the file's window (13 measured).
    "xa_rf/go-dicom": 16,
}
LOSSY_DEFAULT = 3
#: Images pydicom (so the reference) refuses, and what the page must do with them.
REFERENCE_CANNOT = {
    # An RGB image without (0028,0006) Planar Configuration (Type 1C): the page shows it
    # colour-by-pixel, the only layout its length allows; not compared.
    "test_slide_coordinates.dcm": "shown",
    # Declares JPEG 2000 over native pixel data: the page says it cannot be decoded.
    "20-wrong-transfer-syntax.dcm": "cannot be decoded",
}


def _folders() -> dict[str, list[Path]]:
    groups: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(CORPUS.rglob("*")):
        if path.is_file() and path.parent != CORPUS:
            groups[path.parent.relative_to(CORPUS).as_posix()].append(path)
    return dict(groups)


FOLDERS = _folders()


def test_the_corpus_is_beside_the_checkout() -> None:
    assert (CORPUS / "MANIFEST.tsv").is_file(), f"{CORPUS} is missing"
    assert sum(len(files) for files in FOLDERS.values()) >= 950


def _tolerance(folder: str) -> int:
    return next((v for k, v in LOSSY_MAX.items() if folder.startswith(k)), LOSSY_DEFAULT)


def _slide_first_tile(viewer: Viewer, series: dict) -> np.ndarray:
    """A slide shown at one finest-level pixel per CSS pixel from its top-left: the pixels
    of its first tile (TILED_FULL frame 1 is the top-left tile, PS3.3 C.7.6.17.3)."""
    slide = viewer.wait_state("s.slide !== null")["slide"]
    spacing, view = slide["spacing"], slide["view"]
    center = [view[0] / 2 * spacing[0], view[1] / 2 * spacing[1]]
    viewer.page.evaluate(f"() => window.lightbox.setSlideView({{level: 0, center: {center}}})")
    rows = min(series["rows"], series["slide"]["height"])
    columns = min(series["columns"], series["slide"]["width"])
    return viewer.frame()[:rows, :columns]


@pytest.mark.parametrize("folder", sorted(FOLDERS))
def test_folder_shows_like_the_reference_and_accounts_for_every_file(
    viewer: Viewer, folder: str
) -> None:
    files = FOLDERS[folder]
    viewer.choose(files)
    catalog: dict = viewer.page.evaluate("() => window.lightbox.catalog()")
    in_series = {name for s in image_entries(catalog) for name in s["files"]}
    documents = {d["name"] for d in catalog.get("documents", [])}
    skipped = {s["name"]: s["reason"] for s in catalog["skipped"]}
    dicomdirs = {d["name"] for d in catalog["report"].get("dicomdirs", [])}
    known = in_series | documents | set(skipped) | dicomdirs
    unaccounted = [p.name for p in files if p.name not in known]
    assert not unaccounted, f"{folder}: files neither shown, listed nor skipped: {unaccounted}"
    assert all(skipped.values()), f"{folder}: skipped without a reason: {skipped}"
    by_name = {p.name: p for p in files}
    images = {n: by_name[n] for n in in_series}
    expected = {e.file: e for e in expected_first_frames(images)} if images else {}
    problems = []
    for index in range(len(image_entries(catalog))):
        # A frame that cannot be decoded rejects: the viewport then says why (checked below).
        viewer.page.evaluate(f"() => window.lightbox.select({index}, 0).catch(() => null)")
        state = viewer.state()
        series_files = catalog["series"][index]["files"]
        # A frame that failed has no frame info: a one-file series still names its file.
        name = state["file"] or (series_files[0] if len(series_files) == 1 else None)
        message = viewer.page.text_content(".pane.active .pane-message") or ""
        if name in REFERENCE_CANNOT:
            if REFERENCE_CANNOT[name] == "shown":
                assert viewer.frame()[..., :3].std() > 5, f"{name}: nothing is shown"
            else:
                assert name in message and REFERENCE_CANNOT[name] in message, message
            continue
        if name not in expected:
            problems.append(f"{name}: the page shows a series the native catalog does not have")
            continue
        if "cannot be decoded" in message:
            problems.append(f"{name}: {message}")
            continue
        shown = viewer.frame()
        if catalog["series"][index]["kind"] == "slide":  # issue 15: its first tile, 1:1
            shown = _slide_first_tile(viewer, catalog["series"][index])
        found = expected[name].disagreement(shown, max_lossy=_tolerance(folder))
        if found:
            problems.append(f"{found} (reference: {expected[name].choice})")
    viewer.shot(f"corpus-{folder.replace('/', '-')}")
    assert not problems, json.dumps(problems, indent=1)
