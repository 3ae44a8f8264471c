"""The fuzzer's browser-side sample (issue 19 item 1): a few hundred mutated files
opened in one page through the real file input. The page must stay usable (the good
file beside them renders, each series shows its first frame or its reason in the
viewport), every file must be accounted for by name in the catalog (a series' files,
a document, a skipped entry, a DICOMDIR of the report), and nothing may break the page
or the engine (the fixture fails on a page error, a stopped engine or a closed worker).
"""

from __future__ import annotations

import warnings
from pathlib import Path

from tests.fuzz.harness import inputs, neighbour
from tests.support.viewer import Viewer, images

SEED = 1202
COUNT = 300


def test_three_hundred_mutated_files_in_one_page(viewer: Viewer, tmp_path: Path) -> None:
    warnings.simplefilter("ignore")
    paths = []
    for name, _, data in inputs(SEED, COUNT):
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(path)
    good_name, good = neighbour()
    (tmp_path / good_name).write_bytes(good)
    paths.append(tmp_path / good_name)
    viewer.choose(paths)
    catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
    listed = [f for s in catalog["series"] for f in s.get("files", [])]
    listed += [d["name"] for d in catalog.get("documents", [])]
    listed += [s["name"] for s in catalog.get("skipped", [])]
    listed += [d["path"] for d in (catalog.get("report") or {}).get("dicomdirs", [])]
    missing = [
        p.name for p in paths if not any(n == p.name or n.startswith(f"{p.name}/") for n in listed)
    ]
    assert not missing, missing[:10]
    assert len(catalog["skipped"]) > 20, "the sample should hold many broken files"
    # Every series shows its first frame or says why in the viewport; the good file renders.
    for index, series in enumerate(images(catalog)[:60]):
        outcome = viewer.page.evaluate(
            f"""() => window.lightbox.select({index}, 0).then(
                () => 'shown', (e) => 'refused: ' + e.message)"""
        )
        if outcome != "shown":
            message = viewer.page.text_content(".pane.active .pane-message") or ""
            assert message.strip(), f"series {index} ({series['files'][:1]}): {outcome}"
    good_index = next(i for i, s in enumerate(catalog["series"]) if good_name in s["files"])
    viewer.page.evaluate(f"() => window.lightbox.select({good_index}, 0)")
    assert viewer.frame().shape == (16, 16, 4)
    viewer.shot("fuzz-page-after-300-files")
