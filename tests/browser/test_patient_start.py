"""The start screen and remembered studies (issue 18 items 1 and 3), through the real page.

The start screen (``#start``) is shown while nothing is open and goes when something
opens; the demo it offers closes when the user opens their own files; a kiosk and a
hosted case (``?case=``) never show it. A study opened with "Keep on this device" is
listed after a reload with the patient, study and date pydicom reads from its file,
opens with one click to the same pixels, and is gone after Delete; nothing is kept
without the choice (the browser's storage is looked at directly), nor in a kiosk; where
the OPFS is missing the files go to IndexedDB.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pydicom
import pytest
from playwright.sync_api import Browser

from tests.support.viewer import Viewer, english_date, finish, new_viewer

SHOTS = Path("/tmp/lightbox-patient-shots")

#: What the page's storage holds, looked at without Lightbox's code: the OPFS folder's
#: entries and the IndexedDB databases of this origin.
STORAGE = """async () => {
    const names = [];
    const walk = async (dir, prefix) => {
        for await (const [name, handle] of dir.entries()) {
            names.push(prefix + name);
            if (handle.kind === "directory") await walk(handle, prefix + name + "/");
        }
    };
    await walk(await navigator.storage.getDirectory(), "");
    const databases = (await indexedDB.databases()).map((d) => d.name);
    return {opfs: names.sort(), databases};
}"""


def _shot(viewer: Viewer, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    viewer.page.screenshot(path=str(path))
    return path


def _start_shown(viewer: Viewer) -> bool:
    return bool(viewer.page.is_visible("#start"))


def _keep_and_choose(viewer: Viewer, paths: list[Path]) -> None:
    before = len(viewer.page.evaluate("() => window.lightbox.keptStudies()"))
    viewer.page.check("#keep-choice")
    viewer.choose(paths)
    _wait_kept(viewer, before + 1)


def _wait_kept(viewer: Viewer, count: int) -> list[dict]:
    """Poll keptStudies() until it lists ``count`` studies (the store ends after the open)."""
    for _ in range(300):
        kept: list[dict] = viewer.page.evaluate("() => window.lightbox.keptStudies()")
        if len(kept) == count:
            return kept
        viewer.page.wait_for_timeout(100)
    raise AssertionError(f"keptStudies() never listed {count}: {kept}")


@pytest.fixture
def page_viewer(browser: Browser, base_url: str) -> Iterator[Viewer]:
    """A new profile (empty storage), booted."""
    context, viewer = new_viewer(browser, base_url)
    viewer.ready()
    yield viewer
    finish(context, viewer)


def test_start_screen_until_something_opens_and_after_close(
    page_viewer: Viewer, test_files: Path
) -> None:
    viewer = page_viewer
    page = viewer.page
    assert _start_shown(viewer)
    for control in ("#start-open", "#start-folder", "#start-demo", "#keep-choice"):
        assert page.is_visible(control), control
    assert "never leave this device" in page.inner_text("#start")
    assert not page.is_visible("#kept")  # nothing kept yet
    assert not page.is_visible("#requirements-missing")  # Chromium has what is needed
    _shot(viewer, "start-screen")
    # The privacy line's link: how it is enforced, in a dialog, keyboard-closable.
    page.click("#privacy-link")
    assert page.is_visible("#privacy") and "Content-Security-Policy" in page.inner_text("#privacy")
    _shot(viewer, "start-privacy")
    page.keyboard.press("Enter")  # focus is on Close
    assert not page.is_visible("#privacy")
    # "Open your scans" is the file input.
    with page.expect_file_chooser() as chooser:
        page.click("#start-open")
    assert chooser.value.is_multiple()
    viewer.choose([test_files / "CT_small.dcm"])
    viewer.wait_state("s.series === 0")
    assert not _start_shown(viewer)
    page.evaluate("() => window.lightbox.closeAll()")
    page.wait_for_selector("#start", state="visible")


def test_start_demo_then_own_files_close_it(page_viewer: Viewer, test_files: Path) -> None:
    viewer = page_viewer
    viewer.page.click("#start-demo")
    viewer.page.wait_for_selector("#start", state="hidden", timeout=60_000)
    demo = viewer.page.evaluate("() => window.lightbox.catalog()")
    assert demo["series"] and all(
        "CT_small" not in f for s in demo["series"] for f in s.get("files", [])
    )
    viewer.choose([test_files / "CT_small.dcm"])
    catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
    assert [s["files"] for s in catalog["series"]] == [["CT_small.dcm"]]  # the demo closed
    assert not _start_shown(viewer)


def test_kept_study_listed_after_reload_opens_and_is_deleted(
    page_viewer: Viewer, test_files: Path
) -> None:
    viewer = page_viewer
    page = viewer.page
    path = test_files / "CT_small.dcm"
    ds = pydicom.dcmread(path)
    _keep_and_choose(viewer, [path])
    first = viewer.frame()
    kept = page.evaluate("() => window.lightbox.keptStudies()")
    assert kept == [
        {
            "id": kept[0]["id"],
            "patient": str(ds.PatientName).replace("^", " ").strip(),
            "study": ds.get("StudyDescription", "") or ds.Modality,
            "date": ds.StudyDate,
            "files": 1,
            "bytes": path.stat().st_size,
        }
    ]
    assert page.evaluate("() => window.lightbox.keptStorage()") == "opfs"
    stored = page.evaluate(STORAGE)
    folder = f"lightbox-kept/{kept[0]['id']}"
    assert stored["opfs"] == sorted(
        ["lightbox-kept", folder, f"{folder}/file-000000", f"{folder}/study.json"]
    )
    page.reload()
    viewer.ready()
    page.wait_for_selector("#kept-list li", timeout=30_000)
    assert _start_shown(viewer)
    row = page.inner_text("#kept-list li")
    assert str(ds.PatientName).replace("^", " ").strip() in row
    date = ds.StudyDate
    assert english_date(date) in row  # as the language writes it; the contract keeps YYYYMMDD
    assert page.inner_text("#kept-usage-value").strip()
    _shot(viewer, "start-kept")
    # Hidden patient information: neither listed nor in the contract.
    page.evaluate("() => window.lightbox.setHidePatient(true)")
    page.wait_for_function(
        "() => !document.querySelector('#kept-list li').textContent.includes('CompressedSamples')"
    )
    hidden = page.evaluate("() => window.lightbox.keptStudies()")
    assert hidden[0]["patient"] == "" and hidden[0]["study"] == ""
    _shot(viewer, "start-kept-hidden")
    page.evaluate("() => window.lightbox.setHidePatient(false)")
    # One click opens it, to the same pixels as when it was opened from the disc.
    before = int(page.evaluate("() => Number(document.body.dataset.opens || 0)"))
    page.click("#kept-list .kept-open")
    page.wait_for_function(f"() => Number(document.body.dataset.opens || 0) > {before}")
    viewer.wait_state("s.series === 0")
    assert not _start_shown(viewer)
    assert np.array_equal(viewer.frame(), first)
    page.evaluate("() => window.lightbox.closeAll()")
    page.wait_for_selector("#kept-list li")
    page.click("#kept-list .kept-forget")
    page.wait_for_selector("#kept", state="hidden")
    assert page.evaluate("() => window.lightbox.keptStudies()") == []
    page.reload()
    viewer.ready()
    assert page.evaluate("() => window.lightbox.keptStudies()") == []
    assert not page.is_visible("#kept")
    assert page.evaluate(STORAGE)["opfs"] == ["lightbox-kept"]


def test_nothing_kept_without_the_choice(page_viewer: Viewer, test_files: Path) -> None:
    viewer = page_viewer
    page = viewer.page
    viewer.choose([test_files / "CT_small.dcm"])
    page.evaluate(
        "async (names) => { const files = await Promise.all(names.map(async (n) =>"
        " new File([await (await fetch('demo/' + n)).blob()], n)));"
        " await window.lightbox.open(files); }",
        page.evaluate("async () => (await (await fetch('demo/index.json')).json()).files"),
    )
    assert page.evaluate("() => window.lightbox.keptStudies()") == []
    stored = page.evaluate(STORAGE)
    # The listing made the (empty) folder; nothing in it, and no database.
    assert stored["opfs"] in ([], ["lightbox-kept"])
    assert "lightbox-kept" not in stored["databases"]


def test_forget_all(page_viewer: Viewer, test_files: Path) -> None:
    viewer = page_viewer
    page = viewer.page
    for name in ("CT_small.dcm", "MR_small.dcm"):
        page.evaluate("() => window.lightbox.closeAll()")
        _keep_and_choose(viewer, [test_files / name])
    _wait_kept(viewer, 2)
    page.evaluate("() => window.lightbox.closeAll()")
    page.wait_for_function("() => document.querySelectorAll('#kept-list li').length === 2")
    page.click("#kept-forget-all")
    page.wait_for_selector("#kept", state="hidden")
    assert page.evaluate("() => window.lightbox.keptStudies()") == []


def test_kiosk_shows_no_start_screen_and_keeps_nothing(
    browser: Browser, base_url: str, test_files: Path
) -> None:
    context, viewer = new_viewer(browser, f"{base_url}?kiosk&idle=600&reset=600")
    page = viewer.page
    viewer.ready()
    viewer.wait_state("s.series === 0", timeout_s=60)  # it starts into its demo by itself
    assert not _start_shown(viewer)
    assert not page.is_visible("#keep-option")
    page.evaluate(
        "async () => { const bytes = await (await fetch('demo/' +"
        " (await (await fetch('demo/index.json')).json()).files[0])).blob();"
        " await window.lightbox.open([new File([bytes], 'one.dcm')], {keep: true}); }"
    )
    assert page.evaluate("() => window.lightbox.keptStudies()") == []
    assert "lightbox-kept" not in page.evaluate(STORAGE)["databases"]
    page.evaluate("() => window.lightbox.closeAll()")
    assert not _start_shown(viewer)  # closed, still no start screen: the kiosk resets
    finish(context, viewer)


def test_hosted_case_shows_no_start_screen(browser: Browser, base_url: str) -> None:
    context, viewer = new_viewer(browser, f"{base_url}?case=cases/demo-case.zip")
    viewer.ready()
    assert not _start_shown(viewer)
    viewer.wait_state("s.series === 0", timeout_s=60)
    # The open has ended (what follows it, the case's promise, runs before the next task).
    viewer.page.wait_for_function("() => Number(document.body.dataset.opens || 0) > 0")
    assert not _start_shown(viewer)
    finish(context, viewer)


def test_indexeddb_where_the_opfs_is_missing(
    browser: Browser, base_url: str, test_files: Path
) -> None:
    context, viewer = new_viewer(browser, base_url)
    # From the next navigation on, this browser has no OPFS.
    context.add_init_script("delete StorageManager.prototype.getDirectory;")
    viewer.page.reload()
    viewer.ready()
    page = viewer.page
    assert page.evaluate("() => window.lightbox.keptStorage()") == "indexeddb"
    path = test_files / "MR_small.dcm"
    _keep_and_choose(viewer, [path])
    shown = viewer.frame()
    page.reload()
    viewer.ready()
    kept = page.evaluate("() => window.lightbox.keptStudies()")
    assert [(k["files"], k["bytes"]) for k in kept] == [(1, path.stat().st_size)]
    page.evaluate("(id) => window.lightbox.openKept(id)", kept[0]["id"])
    viewer.wait_state("s.series === 0")
    assert np.array_equal(viewer.frame(), shown)
    page.evaluate("() => window.lightbox.forget()")
    assert page.evaluate("() => window.lightbox.keptStudies()") == []
    finish(context, viewer)
