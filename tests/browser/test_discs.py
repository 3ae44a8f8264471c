"""Patient discs and portal downloads through the real page: folders, ZIPs, DICOMDIR."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lightbox.session.session import Session
from tests.support import discs, pstates
from tests.support.expect import expected_frame
from tests.support.viewer import Viewer, documents, images, series_index
from tools.synth import ct_series, to_bytes


def write_tree(tree: list[tuple[str, bytes]], root: Path) -> Path:
    for path, data in tree:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def assert_cd_opened(viewer: Viewer, result: dict) -> None:
    catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
    series = images(catalog)
    assert [(s["modality"], s["frames"]) for s in series] == [("CT", 6), ("CT", 4)]
    assert len({s["patientKey"] for s in series}) == 1
    assert all(s["studyUid"] for s in series)
    kinds = sorted(d["kind"] for d in catalog["documents"])
    assert kinds == ["pdf"], catalog["documents"]
    skipped = {Path(s["name"]).name for s in catalog["skipped"]}
    assert {"VIEWER.EXE", "AUTORUN.INF", "README.HTM", "REPORT.PDF"} <= skipped
    text = catalog["report"]["text"]
    assert "1 patient" in text and "2 series" in text and "10 images" in text, text


def test_cd_folder_opens_every_series_in_order(viewer: Viewer, tmp_path: Path) -> None:
    root = write_tree(discs.cd_tree(), tmp_path / "disc")
    before = int(viewer.page.evaluate("() => Number(document.body.dataset.opens || 0)"))
    viewer.page.set_input_files("#open-folder-input", str(root / "CD"))
    viewer.page.wait_for_function(f"() => Number(document.body.dataset.opens || 0) > {before}")
    assert_cd_opened(viewer, {})
    # Slices in geometric order: compare with the native pipeline on the same files.
    files = sorted(p for p in (root / "CD").rglob("IM*"))
    viewer.page.evaluate("() => window.lightbox.select(0, 3)")
    named = {str(p.relative_to(root)): p for p in files}
    assert expected_frame(named, 0, 3).disagreement(viewer.frame()) is None
    viewer.page.wait_for_selector("#series-list img.thumb")
    viewer.shot("disc-folder")
    viewer.control("#report-button").click()
    report = viewer.page.text_content("#report-text") or ""
    assert "10 images" in report
    viewer.shot("disc-report")
    viewer.page.click("#report-close")


def test_cd_as_zip_with_nested_zip_and_pdf_report(viewer: Viewer, tmp_path: Path) -> None:
    archive = tmp_path / "portal-download.zip"
    archive.write_bytes(discs.zip_of(discs.cd_tree(), zip64=True))
    viewer.choose([archive])
    assert_cd_opened(viewer, {})
    url = viewer.page.evaluate("() => window.lightbox.openDocument(0)")
    assert url.startswith("blob:")
    pdf = viewer.page.evaluate(
        "async (u) => { const b = await (await fetch(u)).arrayBuffer();"
        " return [new TextDecoder().decode(new Uint8Array(b).slice(0, 5)), b.byteLength]; }",
        url,
    )
    assert pdf[0] == "%PDF-" and pdf[1] == len(discs.pdf_bytes())


def test_two_patients_warns(viewer: Viewer, tmp_path: Path) -> None:
    root = write_tree(discs.two_patients_folder(), tmp_path / "two")
    viewer.choose(sorted(p for p in root.rglob("*") if p.is_file()))
    catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
    assert len({s["patientKey"] for s in images(catalog)}) == 2
    warning = viewer.page.text_content("#series-list .warning") or ""
    assert "2 different patients" in warning
    # Opaque keys: no name or ID leaks into them.
    assert all(s["patientKey"].startswith("patient-") for s in images(catalog))


def test_dicomdir_with_missing_files_is_reported(viewer: Viewer, tmp_path: Path) -> None:
    tree, missing = discs.dicomdir_with_missing_files(drop=2)
    archive = tmp_path / "gaps.zip"  # a ZIP keeps the folders the DICOMDIR refers to
    archive.write_bytes(discs.zip_of(tree))
    viewer.choose([archive])
    report = viewer.page.evaluate("() => window.lightbox.catalog()")["report"]
    assert sorted(report["missing"]) == sorted(f"gaps.zip/{m}" for m in missing), report
    assert "missing" in report["text"].lower()


def test_shuffled_200_files_open_in_geometric_order_with_progress(
    viewer: Viewer, tmp_path: Path
) -> None:
    root = write_tree(discs.shuffled_series(count=200), tmp_path / "big")
    paths = sorted(p for p in root.rglob("*") if p.is_file())
    viewer.page.evaluate(
        """() => { window.__progressSeen = 0;
          new MutationObserver(() => {
            if (!document.getElementById('progress').hidden) window.__progressSeen += 1;
          }).observe(document.getElementById('progress'),
                     {attributes: true, subtree: true, childList: true, characterData: true}); }"""
    )
    viewer.choose(paths)
    assert viewer.page.evaluate("() => window.__progressSeen") > 0
    state = viewer.state()
    assert state["frames"] == 200
    session = Session()
    session.open([(p.name, p.read_bytes()) for p in paths])
    positions = viewer.page.evaluate("() => window.lightbox.catalog().then(c => c.series.length)")
    assert positions == 1
    for frame in (0, 99, 199):
        viewer.page.evaluate(f"() => window.lightbox.select(0, {frame})")
        expected = expected_frame({p.name: p for p in paths}, 0, frame)
        assert expected.disagreement(viewer.frame()) is None
    zs = [
        float(session.files[ref.file].header.dataset.ImagePositionPatient[2])
        for ref in session.series[0].frames
    ]
    assert zs == sorted(zs) and np.all(np.diff(zs) > 0)


def test_dropping_files_on_the_page_opens_them(viewer: Viewer, tmp_path: Path) -> None:
    """The drop path: files dropped anywhere on the page (DataTransfer, as a browser makes it)."""
    import base64

    tree = discs.shuffled_series(count=20)
    payload = [[Path(name).name, base64.b64encode(data).decode()] for name, data in tree]
    before = int(viewer.page.evaluate("() => Number(document.body.dataset.opens || 0)"))
    viewer.page.evaluate(
        """(files) => {
          const transfer = new DataTransfer();
          for (const [name, b64] of files) {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            transfer.items.add(new File([bytes], name));
          }
          const fire = (type) => document.body.dispatchEvent(
            new DragEvent(type, {dataTransfer: transfer, bubbles: true, cancelable: true}));
          fire('dragenter'); fire('dragover'); fire('drop');
        }""",
        payload,
    )
    viewer.page.wait_for_function(f"() => Number(document.body.dataset.opens || 0) > {before}")
    state = viewer.state()
    assert state["frames"] == 20
    viewer.page.evaluate("() => window.lightbox.select(0, 19)")
    # The reference works from files on disk: the same bytes the drop carried.
    dropped = {}
    for name, data in tree:
        dropped[Path(name).name] = tmp_path / Path(name).name
        dropped[Path(name).name].write_bytes(data)
    assert expected_frame(dropped, 0, 19).disagreement(viewer.frame()) is None


def test_documents_are_catalog_entries_after_the_series_and_selectable(
    viewer: Viewer, tmp_path: Path
) -> None:
    """Issue 15 item 5: a PDF and an SR are `kind: "document"` entries of catalog().series,
    after the images as the series list shows them, shown by select(i) and by a click."""
    images_ = ct_series(2, rows=16, cols=16)
    for image in images_:
        image.StudyDate, image.StudyTime = "20260101", "120000"
    sr = pstates.tid1500(
        images_[0], ("G-D7FE", "SRT", "Length"), 5.0, ("mm", "mm"), "POLYLINE", [(1, 1), (4, 5)]
    )
    pdf = discs.encapsulated_pdf(discs.pdf_bytes(), study=images_[0])
    paths = []
    for name, ds in [("ct1.dcm", images_[0]), ("report.dcm", pdf), ("ct2.dcm", images_[1])]:
        paths.append(tmp_path / name)
        paths[-1].write_bytes(to_bytes(ds))
    (tmp_path / "sr.dcm").write_bytes(to_bytes(sr))
    viewer.choose([*paths, tmp_path / "sr.dcm"])
    catalog = viewer.catalog()
    entries = [(s["kind"], s.get("subtype"), s["files"]) for s in catalog["series"]]
    assert entries == [
        ("stack", None, ["ct1.dcm", "ct2.dcm"]),
        ("document", "pdf", ["report.dcm"]),
        ("document", "sr", ["sr.dcm"]),
    ], entries
    pdf_entry = documents(catalog)[0]
    assert pdf_entry["description"] == "Radiology report" and pdf_entry["pages"] == 1
    assert pdf_entry["modality"] == "DOC" and pdf_entry["uid"] == pdf.SOPInstanceUID
    # The series list shows the same entries in the same order, one button each.
    buttons = viewer.page.eval_on_selector_all(
        "#series-list button[data-series]", "bs => bs.map(b => Number(b.dataset.series))"
    )
    assert buttons == [0, 1, 2]
    # select(i) of the SR: its text in the report dialog, state() says what is shown.
    sr_index = series_index(catalog, kind="document", name="sr.dcm")
    viewer.page.evaluate(f"() => window.lightbox.select({sr_index})")
    state = viewer.state()
    assert state["kind"] == "document" and state["series"] == sr_index
    assert state["document"]["subtype"] == "sr" and state["document"]["pages"] is None
    assert viewer.page.is_visible("#report")
    assert "Length" in (viewer.page.text_content("#report-text") or "")
    viewer.shot("document-sr-selected")
    # A series shown instead closes it.
    viewer.page.click("#series-list button[data-series='0']")
    state = viewer.wait_state("s.kind === 'stack'")
    assert state["document"] is None and state["series"] == 0
    assert not viewer.page.is_visible("#report")
    # A click on the PDF's button opens it (in the browser's viewer, a new tab).
    with viewer.page.context.expect_page() as tab:
        viewer.page.click(
            f"#series-list button[data-series='{series_index(catalog, name='report.dcm')}']"
        )
    tab.value.close()
    state = viewer.wait_state("s.kind === 'document'")
    assert state["document"] == {
        "index": 0,
        "subtype": "pdf",
        "title": "Radiology report",
        "pages": 1,
    }
    # The old alias still opens the same document.
    url = viewer.page.evaluate("() => window.lightbox.openDocument(0)")
    assert url.startswith("blob:")
