"""Privacy that can be checked: the page's policy, nothing leaves, de-identified exports."""

from __future__ import annotations

import base64
import http.server
import io
import threading
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from playwright.sync_api import Browser

from tests.support.planted import markers_found, planted_bytes, study_items
from tests.support.viewer import CHROMIUM_ARGS, Viewer, Watch, english_date, origin  # noqa: F401


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Counter.hits.append(self.path)
        self.send_response(200)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def other_origin() -> Iterator[str]:
    """Another origin on this machine's loopback: what a leak would reach."""
    _Counter.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_every_response_carries_the_policy(base_url: str) -> None:
    paths = ("", "js/worker/worker.js", "js/page/main.js", "pyodide/pyodide.mjs", "py/site.pack")
    for path in paths:
        with urllib.request.urlopen(base_url + path) as response:
            policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "connect-src 'self'" in policy, path
    with urllib.request.urlopen(base_url) as response:
        page = response.read().decode()
    assert 'http-equiv="Content-Security-Policy"' in page  # static hosts without headers


def test_page_and_worker_cannot_reach_another_origin(viewer: Viewer, other_origin: str) -> None:
    page_result = viewer.page.evaluate(
        "async (url) => { try { await fetch(url + '/page'); return 'sent'; }"
        " catch (e) { return 'blocked'; } }",
        other_origin,
    )
    assert page_result == "blocked"
    workers = viewer.page.workers
    assert workers, "the viewer's worker is running"
    worker_result = workers[0].evaluate(
        "async (url) => { try { await fetch(url + '/worker'); return 'sent'; }"
        " catch (e) { return 'blocked'; } }",
        other_origin,
    )
    assert worker_result == "blocked"
    assert _Counter.hits == []
    assert viewer.page.is_visible("text=Files stay on this device")


def test_negative_control_the_capture_sees_a_foreign_request(
    browser: Browser, base_url: str, other_origin: str
) -> None:
    """A page without our policy does reach the other origin, and the capture records it."""
    context = browser.new_context()
    watch = Watch(origin(base_url))
    context.on("request", lambda request: watch.requests.append(request.url))
    page = context.new_page()
    page.set_content(f"<img src='{other_origin}/control.png'>")
    page.wait_for_timeout(500)
    context.close()
    assert watch.foreign() == [f"{other_origin}/control.png"]
    assert _Counter.hits == ["/control.png"]


def _zip_from_page(viewer: Viewer, options: dict) -> tuple[bytes, str]:
    got = viewer.page.evaluate(
        """async (options) => {
          const result = await window.lightbox.deidentify(options);
          const bytes = new Uint8Array(await result.zip.arrayBuffer());
          let s = ""; for (let i = 0; i < bytes.length; i += 0x8000)
            s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
          return [btoa(s), result.report];
        }""",
        options,
    )
    return base64.b64decode(got[0]), got[1]


def test_export_leaves_no_planted_identifier_and_reopens(viewer: Viewer, tmp_path: Path) -> None:
    planted = tmp_path / "MKFILENAME-planted.dcm"
    planted.write_bytes(planted_bytes())
    study = []
    for name, data in study_items(series=2, images=3):
        path = tmp_path / Path(name).name
        path.write_bytes(data)
        study.append(path)
    viewer.choose([planted, *study])
    opened = viewer.page.evaluate("() => window.lightbox.catalog()")
    data, report = _zip_from_page(viewer, {})
    assert markers_found(data) == set()
    assert "MKFILENAME" not in report
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "DICOMDIR" in [Path(n).name for n in names] and any(
        n.endswith("REPORT.TXT") for n in names
    )
    # The export re-opens in Lightbox with every series intact.
    export = tmp_path / "export.zip"
    export.write_bytes(data)
    viewer.page.evaluate("() => window.lightbox.closeAll()")
    viewer.choose([export])
    again = viewer.page.evaluate("() => window.lightbox.catalog()")
    assert sorted(s["frames"] for s in again["series"]) == sorted(
        s["frames"] for s in opened["series"]
    )
    assert again["skipped"] == [] or all("REPORT" in s["name"] for s in again["skipped"])


def test_export_through_the_dialog_downloads_a_zip(viewer: Viewer, tmp_path: Path) -> None:
    planted = tmp_path / "p.dcm"
    planted.write_bytes(planted_bytes())
    viewer.choose([planted])
    viewer.control("#deid-button").click()
    viewer.page.click("#deid-preview")
    viewer.page.wait_for_selector("#deid-result table")
    assert "PatientName" in (viewer.page.text_content("#deid-result") or "")
    viewer.shot("deid-preview")
    with viewer.page.expect_download() as download:
        viewer.page.click("#deid-export")
    data = Path(download.value.path()).read_bytes()
    assert markers_found(data) == set()
    viewer.page.click("#deid-close")


def test_hide_patient_information_removes_it_from_the_screen(
    viewer: Viewer, tmp_path: Path
) -> None:
    planted = tmp_path / "p.dcm"
    planted.write_bytes(planted_bytes())
    viewer.choose([planted])
    body = viewer.page.text_content("body") or ""
    assert "MKFAMILY" in body  # the on-image information shows the name
    date = viewer.page.evaluate("() => window.lightbox.catalog()")["series"][0]["date"]
    shown = english_date(date)  # as the page writes it in English
    assert shown in (viewer.page.text_content("#series-list") or "")
    viewer.control("#hide-button").click()
    assert "MKFAMILY" not in (viewer.page.text_content("body") or "")
    assert shown not in (viewer.page.text_content("#series-list") or "")  # dates identify too
    viewer.shot("patient-hidden")
    viewer.control("#hide-button").click()
