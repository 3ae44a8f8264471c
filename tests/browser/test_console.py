"""The Python console (issue 21), through the real page: typed input and its output, the
contract (``lightbox.console``), show() on screen, interrupts, the network refused, kiosk,
kept scripts, and ``lightbox script`` giving the same result natively.

Expectations come from outside Lightbox: pydicom's pixel_array and apply_modality_lut for
frame values, the linear window of PS3.3 C.11.2.1.2.1 written here for show(), and
for the CLI the same script's result in the page (the issue asks that the two agree).
"""

from __future__ import annotations

import http.server
import io
import json
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import numpy as np
import pydicom
import pytest
from PIL import Image
from playwright.sync_api import Browser
from pydicom.pixels import apply_modality_lut

from tests.support.viewer import BUILD, SHOTS, Viewer, finish, new_viewer
from tools.serve import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_MS = 120_000


def run(viewer: Viewer, code: str) -> dict:
    """lightbox.console.run(code): {output, error}."""
    return viewer.page.evaluate("(code) => window.lightbox.console.run(code)", code)


def typed(viewer: Viewer, code: str) -> str:
    """Type ``code`` into the open panel and press Enter; the transcript's new text."""
    page = viewer.page
    before = page.evaluate("() => document.getElementById('console-output').textContent.length")
    page.fill("#console-input", code)
    page.press("#console-input", "Enter")
    page.wait_for_function(
        f"""() => document.getElementById('console-output').textContent.length > {before}
              && !window.lightbox.console.state().running""",
        timeout=RUN_TIMEOUT_MS,
    )
    text: str = page.evaluate("() => document.getElementById('console-output').textContent")
    return text[before:]


def ct_small(test_files: Path) -> Path:
    return test_files / "CT_small.dcm"


def expected_mean(path: Path, frame: int = 0) -> float:
    ds = pydicom.dcmread(path)
    values = apply_modality_lut(ds.pixel_array, ds).astype(np.float64)
    return float(values[frame].mean() if values.ndim == 3 else values.mean())


def linear_window(x: np.ndarray, center: float, width: float) -> np.ndarray:
    """PS3.3 C.11.2.1.2.1, to 0..255."""
    low = center - 0.5 - (width - 1) / 2
    high = center - 0.5 + (width - 1) / 2
    y = ((x - (center - 0.5)) / (width - 1) + 0.5) * 255
    y = np.where(x <= low, 0, np.where(x > high, 255, y))
    return np.rint(y).astype(np.uint8)


def test_typed_mean_equals_pydicom(viewer: Viewer, test_files: Path) -> None:
    viewer.choose([ct_small(test_files)])
    viewer.page.keyboard.press("`")  # the shortcut opens the panel
    assert viewer.page.evaluate("() => window.lightbox.console.state().open")
    out = typed(viewer, "study.series[0].frames(0).mean()")
    got = float(out.split("np.float64(")[1].split(")")[0])
    assert got == pytest.approx(expected_mean(ct_small(test_files)), rel=1e-12, abs=1e-9)
    # The contract, and a traceback as text
    result = run(viewer, "float(study.series[0].frames(0, stored=True).max())")
    ds = pydicom.dcmread(ct_small(test_files))
    assert float(result["output"]) == float(ds.pixel_array.max())
    failed = run(viewer, "study.series[0].frames(99)")
    assert "StudyError" in failed["error"] and "no frame 99" in failed["error"]
    # Multi-line input: an unfinished block takes another line; Enter on the blank one runs it.
    viewer.page.fill("#console-input", "for k in range(2):")
    viewer.page.press("#console-input", "Enter")
    viewer.page.wait_for_function(
        "() => document.getElementById('console-input').value === 'for k in range(2):\\n    '"
    )
    viewer.page.keyboard.type("print('row', k)")
    viewer.page.press("#console-input", "Enter")
    viewer.page.wait_for_function(
        "() => document.getElementById('console-input').value.endsWith(\"k)\\n    \")"
    )
    viewer.page.press("#console-input", "Enter")
    viewer.page.wait_for_function(
        "() => document.getElementById('console-output').textContent.includes('row 1')"
    )
    # Tab completion from the console's globals
    viewer.page.fill("#console-input", "study.seri")
    viewer.page.press("#console-input", "Tab")
    viewer.page.wait_for_function(
        "() => document.getElementById('console-input').value === 'study.series'"
    )
    viewer.shot("console-typed")
    viewer.page.evaluate("() => window.lightbox.console.close()")


def test_show_puts_the_array_on_screen_pixel_for_pixel(viewer: Viewer, test_files: Path) -> None:
    viewer.choose([ct_small(test_files)])
    code = "a = (np.arange(48 * 64).reshape(48, 64) * 7 % 1000) - 200\nshow(a, window=(300, 600))"
    assert run(viewer, code) == {"output": "", "error": ""}
    a = (np.arange(48 * 64).reshape(48, 64) * 7 % 1000) - 200
    want = linear_window(a.astype(np.float64), 300, 600)
    shown = viewer.page.evaluate(
        "() => { const s = window.lightbox.console.shown();"
        " return {w: s.width, h: s.height, scale: s.scale, data: Array.from(s.data)}; }"
    )
    rgba = np.array(shown["data"], dtype=np.uint8).reshape(shown["h"], shown["w"], 4)
    assert (rgba[..., 0] == want).all() and (rgba[..., 2] == want).all()
    # On screen: each array element is a k×k block of screen pixels of its grey. The pane
    # may lie at a fractional CSS offset: the page's screenshot around the canvas is searched
    # for the place where the whole image lies, exactly.
    k = int(shown["scale"])
    assert k >= 2, shown["scale"]
    box = viewer.page.locator(".array-view-canvas").bounding_box()
    assert box is not None
    assert (round(box["width"]), round(box["height"])) == (64 * k, 48 * k)
    x0, y0 = int(box["x"]) - 2, int(box["y"]) - 2
    clip = {"x": x0, "y": y0, "width": 64 * k + 4, "height": 48 * k + 4}
    png = viewer.page.screenshot(clip=clip, path=str(SHOTS / "console-show-canvas.png"))
    screen = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    expected = np.repeat(np.repeat(want, k, axis=0), k, axis=1)[..., None].repeat(3, axis=2)
    found = [
        (dy, dx)
        for dy in range(5)
        for dx in range(5)
        if np.array_equal(screen[dy : dy + 48 * k, dx : dx + 64 * k], expected)
    ]
    assert found, "the shown array is not on screen pixel for pixel"
    viewer.shot("console-show")
    # A bad array is refused with the reason; the study and the console go on.
    bad = run(viewer, "show(np.zeros((2, 3, 4, 5)))")
    assert "a 2-D array" in bad["error"]
    viewer.page.click(".array-view .close")
    assert viewer.page.evaluate("() => window.lightbox.console.shown()") is None


def test_memory_error_is_reported_not_fatal(viewer: Viewer, test_files: Path) -> None:
    viewer.choose([ct_small(test_files)])
    # wasm32: at most 4 GiB in all; np.empty commits no pages, so this costs little.
    result = run(viewer, "held = [np.empty(2**30, np.uint8) for _ in range(5)]")
    assert "MemoryError" in result["error"], result
    assert run(viewer, "len(study.series)")["output"] == "1\n"


def scrolls_while_and_after(viewer: Viewer, code: str) -> dict:
    """Start an endless loop, scroll the viewer while it runs, interrupt it, scroll again."""
    page = viewer.page
    page.evaluate("(code) => { window.__run = window.lightbox.console.run(code); }", code)
    page.wait_for_function("() => window.lightbox.console.state().running")
    page.wait_for_timeout(500)  # the loop is running
    first = viewer.frame()
    page.keyboard.press("ArrowDown")  # the viewer's own key, while Python loops
    viewer.wait_state("s.frame === 1")
    assert not np.array_equal(viewer.frame(), first)
    page.evaluate("() => window.lightbox.console.interrupt()")
    result: dict = page.evaluate("() => window.__run")
    assert "KeyboardInterrupt" in result["error"]
    page.evaluate("() => window.lightbox.select(0, 10)")
    viewer.wait_state("s.frame === 10")
    viewer.shot("console-after-interrupt")
    return result


def test_endless_loop_restarts_the_console_not_the_study(viewer: Viewer) -> None:
    viewer.page.evaluate("() => window.lightbox.openDemo()")
    viewer.wait_state("s.frames === 24")
    state = viewer.page.evaluate("() => window.lightbox.console.state()")
    assert state["interrupt"] == "restart"  # this server does not isolate the page
    assert run(viewer, "kept = 41")["error"] == ""
    scrolls_while_and_after(viewer, "while True:\n    pass")
    # A new engine: the variable is gone, the study is there (its files given again).
    assert "NameError" in run(viewer, "kept + 1")["error"]
    assert run(viewer, "len(study.series[0])")["output"] == "24\n"
    assert viewer.page.evaluate("async () => (await window.lightbox.catalog()).series.length") == 1


@pytest.fixture(scope="module")
def isolated(browser: Browser) -> Iterator[Viewer]:
    """A page served with COOP/COEP: cross-origin isolated, so the buffer interrupts."""
    server, url = serve_in_thread(BUILD, isolated=True)
    context, viewer = new_viewer(browser, url)
    viewer.ready()
    yield viewer
    finish(context, viewer)
    server.shutdown()


def test_endless_loop_interrupted_through_the_buffer(isolated: Viewer) -> None:
    viewer = isolated
    viewer.page.evaluate("() => window.lightbox.openDemo()")
    viewer.wait_state("s.frames === 24")
    state = viewer.page.evaluate("() => window.lightbox.console.state()")
    assert state["isolated"] is True and state["interrupt"] == "buffer"
    assert run(viewer, "kept = 41")["error"] == ""
    result = scrolls_while_and_after(viewer, "i = 0\nwhile True:\n    i += 1")
    assert result["error"].rstrip().endswith("KeyboardInterrupt")
    # The same engine: its variables are kept.
    assert run(viewer, "kept + 1")["output"] == "42\n"
    assert int(run(viewer, "i")["output"]) > 0


class _Counting(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Counting.hits.append(self.path)
        body = b"reachable"
        self.send_response(200)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_fetch_to_another_origin_is_refused(browser: Browser, base_url: str) -> None:
    """Its own page: the refused attempts are seen as requests (failed), which the shared
    pages' watch would count as leaving the origin."""
    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{other.server_address[1]}/secret"
    context, viewer = new_viewer(browser, base_url)
    failed: list[tuple[str, str]] = []
    context.on("requestfailed", lambda r: failed.append((r.url, r.failure or "")))
    try:
        viewer.ready()
        # Negative control: the other origin answers anyone who asks (from Python here).
        assert urllib.request.urlopen(url).read() == b"reachable"
        _Counting.hits.clear()
        code = f"""
import js
from pyodide.http import open_url
try:
    r = await js.fetch({url!r})
    print("fetch read it", r.status)
except Exception as e:
    print("fetch refused:", type(e).__name__)
try:
    open_url({url!r})
    print("open_url read it")
except Exception as e:
    print("open_url refused:", type(e).__name__)
r = await js.fetch(js.location.origin + "/index.html")
print("same origin", r.status)
"""
        result = run(viewer, code)
        assert result["error"] == "", result["error"]
        lines = result["output"].splitlines()
        assert lines[0].startswith("fetch refused:"), lines
        assert lines[1].startswith("open_url refused:"), lines
        assert lines[2] == "same origin 200", lines  # the console can use its own origin
        assert _Counting.hits == []  # nothing reached the other origin
        tried = [r for r in viewer.watch.foreign() if r.startswith(url)]
        assert tried, "the attempts were not seen"
        assert all(any(u == r for u, _ in failed) for r in tried), (tried, failed)
        assert viewer.watch.errors == []
    finally:
        context.close()
        other.shutdown()


SCRIPT = """\
s = study.series[0]
means = [float(s.frames(k).mean()) for k in range(len(s))]
print(len(means), round(sum(means), 6))
save("means.csv", [{"frame": k, "mean": m} for k, m in enumerate(means)])
save("mip.npy", s.volume().array.max(axis=0))
save("mip.png", s.volume().array.max(axis=1), window=(40, 400))
means[:2]
"""


def test_cli_runs_the_same_script_to_the_same_result(viewer: Viewer, tmp_path: Path) -> None:
    viewer.page.evaluate("() => window.lightbox.openDemo()")
    viewer.wait_state("s.frames === 24")
    downloads = []
    viewer.page.on("download", lambda d: downloads.append(d))  # noqa: PLW0108 (a builtin fails)
    browser = run(viewer, SCRIPT)
    assert browser["error"] == ""
    viewer.page.wait_for_timeout(500)
    saved = {d.suggested_filename: Path(d.path()).read_bytes() for d in downloads}
    assert sorted(saved) == ["means.csv", "mip.npy", "mip.png"]
    script = tmp_path / "means.py"
    script.write_text(SCRIPT)
    out = tmp_path / "out"
    native = subprocess.run(
        [
            sys.executable,
            "-m",
            "lightbox",
            "script",
            str(script),
            str(BUILD / "demo"),
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert native.returncode == 0, native.stderr
    assert native.stdout == browser["output"]
    for name, data in saved.items():
        assert (out / name).read_bytes() == data, name
    # And the values are pydicom's: the demo's slices opened by pydicom, in the same order.
    index = json.loads((BUILD / "demo" / "index.json").read_text())
    names = index if isinstance(index, list) else index.get("files", [])
    datasets = [pydicom.dcmread(BUILD / "demo" / name) for name in names]
    datasets.sort(key=lambda ds: float(ds.ImagePositionPatient[2]))
    means = [
        float(apply_modality_lut(ds.pixel_array, ds).astype(np.float64).mean()) for ds in datasets
    ]
    first = browser["output"].splitlines()[0].split()
    assert int(first[0]) == len(means)
    assert float(first[1]) == pytest.approx(sum(means), abs=1e-5)


def test_keys_go_to_the_console_while_typing_and_to_the_viewer_when_closed(
    viewer: Viewer, test_files: Path
) -> None:
    viewer.choose([ct_small(test_files)])
    page = viewer.page
    page.evaluate("() => window.lightbox.console.open()")
    page.fill("#console-input", "")
    page.click("#console-input")
    page.keyboard.type("i")  # the viewer's invert key, typed into the console
    assert page.input_value("#console-input") == "i"
    assert viewer.state()["invert"] is False
    page.click("#console-close")
    assert page.evaluate("() => window.lightbox.console.state().open") is False
    page.keyboard.press("i")
    viewer.wait_state("s.invert === true")
    page.keyboard.press("i")
    viewer.wait_state("s.invert === false")


def test_scripts_kept_on_opt_in_and_run_on_another_study(viewer: Viewer, test_files: Path) -> None:
    page = viewer.page
    code = "study.series[0].frames(0).mean()"
    refused = page.evaluate(
        "(code) => { try { window.lightbox.console.saveScript('mean', code); return null; }"
        " catch (e) { return e.message; } }",
        code,
    )
    assert refused and "Keep scripts" in refused
    assert page.evaluate("() => localStorage.length") == 0  # nothing kept without opt-in
    page.evaluate(
        "(code) => { window.lightbox.console.setKeepScripts(true);"
        " window.lightbox.console.saveScript('mean', code); }",
        code,
    )
    page.reload()
    viewer.ready()
    assert page.evaluate("() => window.lightbox.console.scripts()") == [
        {"name": "mean", "code": code}
    ]
    other = test_files / "MR_small.dcm"
    viewer.choose([other])
    result = page.evaluate("() => window.lightbox.console.runScript('mean')")
    got = float(result["output"].split("np.float64(")[1].split(")")[0])
    assert got == pytest.approx(expected_mean(other), rel=1e-12)
    page.evaluate("() => window.lightbox.console.open()")
    viewer.shot("console-scripts")
    page.evaluate("() => window.lightbox.console.setKeepScripts(false)")
    assert page.evaluate("() => window.lightbox.console.scripts()") == []
    assert page.evaluate("() => localStorage.length") == 0
    page.evaluate("() => window.lightbox.console.close()")


def test_kiosk_has_no_console(fresh_viewer: Viewer) -> None:
    viewer = fresh_viewer
    viewer.page.goto(viewer.page.url.split("?")[0] + "?kiosk")
    viewer.ready()
    assert viewer.control("#console-button").is_hidden()  # its menu opened
    message = viewer.page.evaluate(
        "async () => { try { await window.lightbox.console.run('1'); return null; }"
        " catch (e) { return e.message; } }"
    )
    assert message == "Kiosk mode has no console"
    viewer.page.keyboard.press("`")
    assert viewer.page.locator("#console").is_hidden()
