"""An engine (the worker) that stops after it was ready: the page restarts it and puts back
what was open (issue 19 item 4); a restart that fails too offers Reload.

A worker that ends (``self.close()``, a crash, the browser ending it) raises no
event on the page: the page learns of it from the Web Lock the worker holds
while it lives (rpc/client.js). A Python that ends inside the worker (os._exit,
a fatal runtime error) leaves a live worker that can do nothing: the worker
says so and closes. Each test kills the engine on purpose, so each opens its
own page (the shared viewer fails on a worker that closed).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pydicom
import pytest
from playwright.sync_api import Browser, BrowserContext, Route

from tests.support import reference, slides
from tests.support.viewer import (
    Viewer,
    Watch,
    drag,
    engine_stopped,
    new_viewer,
    origin,
    series_index,
    to_screen,
)
from tools import synth

#: Appended to the worker's module in one test only (never shipped): Python in the worker
#: ends its process (os._exit) while it serves catalog().
# stats: a method only a script calls (the page asks catalog() after every open).
PYTHON_EXIT = """
methods.stats = async () => {
  const { pyodide } = await booting;
  pyodide.runPython("import os; os._exit(3)");
  return [null, []];
};
"""


def _close(context: BrowserContext, viewer: Viewer) -> None:
    """Close the page; fail on page errors and on requests that left the origin."""
    for line in viewer.watch.console:
        print("console", line)
    context.close()
    assert not viewer.watch.errors, viewer.watch.errors
    assert not viewer.watch.foreign(), viewer.watch.foreign()


def _crash_notice(viewer: Viewer) -> str:
    viewer.page.wait_for_selector("#crash", state="visible", timeout=20_000)
    assert viewer.page.is_visible("#reload-button")
    text = engine_stopped(viewer.page)  # what the tests' shared check sees
    assert text is not None
    assert (viewer.page.text_content("#status") or "") == "The viewer's engine stopped"
    return text


def _engine(viewer: Viewer):  # type: ignore[no-untyped-def]
    (engine,) = [w for w in viewer.page.workers if w.url.startswith("blob:")]
    return engine


SLICES = 24
SIZE = 128
WINDOW = (60.0, 300.0)


def _ct_study(folder: Path) -> list[Path]:
    """A 24-slice 128x128 phantom CT (tools.synth), one file a slice."""
    folder.mkdir()
    paths = []
    for i, ds in enumerate(synth.ct_series(SLICES, SIZE, SIZE, name="revive")):
        path = folder / f"slice{i:02d}.dcm"
        path.write_bytes(synth.to_bytes(ds))
        paths.append(path)
    return paths


#: Scrolls the active pane `steps` slices, one wheel event every 40 ms (page side, so that
#: it goes on while the test kills the engine); window.scrolled is true at the end.
SCROLL = """async (steps) => {
  window.scrolled = false;
  const pane = document.querySelector(".pane.active");
  for (let i = 0; i < steps; i += 1) {
    pane.dispatchEvent(new WheelEvent("wheel", {deltaY: 100, bubbles: true, cancelable: true}));
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
  window.scrolled = true;
}"""


def _view(state: dict) -> dict:
    """What of a pane's state a restart must give back."""
    keys = ("series", "frame", "file", "windowCenter", "windowWidth", "invert", "zoom", "pan")
    return {k: state[k] for k in (*keys, "rotation", "flipH", "flipV", "layout", "measurements")}


def _series(catalog: dict) -> list[tuple[str, int, str]]:
    return [(s["uid"], s["frames"], s["modality"]) for s in catalog["series"]]


def test_engine_that_ends_mid_scroll_is_restarted_with_study_view_and_measurements(
    browser: Browser, base_url: str, test_files: Path, tmp_path: Path
) -> None:
    context, viewer = new_viewer(browser, base_url)
    viewer.ready()
    page = viewer.page
    page.evaluate("() => window.lightbox.setLayout('1x2')")
    ct = _ct_study(tmp_path / "ct")
    viewer.choose([*ct, test_files / "MR_small.dcm"])
    catalog = page.evaluate("() => window.lightbox.catalog()")
    (series,) = [i for i, s in enumerate(catalog["series"]) if s["modality"] == "CT"]
    page.evaluate(
        f"() => {{ window.lightbox.activate(0); return window.lightbox.select({series}, 5); }}"
    )
    page.evaluate(f"() => window.lightbox.setWindow({WINDOW[0]}, {WINDOW[1]})")
    # Two measurements on slice 6: a length (the page's) and a rectangle (the worker's HU).
    page.keyboard.press("l")
    drag(viewer, to_screen(viewer, 20, 64, SIZE, SIZE), to_screen(viewer, 100, 64, SIZE, SIZE))
    viewer.control("[data-tool=rect]").click()
    drag(viewer, to_screen(viewer, 40, 40, SIZE, SIZE), to_screen(viewer, 80, 80, SIZE, SIZE))
    viewer.wait_state("s.measurements.length === 2")
    page.evaluate("() => window.lightbox.setTool('scroll')")
    end = SLICES - 4
    page.evaluate(f"() => window.lightbox.select({series}, {end})")
    for key in ("+", "+", "r", "h"):  # zoom in twice, turn 90°, flip
        page.keyboard.press(key)
    page.evaluate("() => window.lightbox.setTool('pan')")
    box = page.locator(".pane.active").bounding_box()
    assert box is not None
    middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    drag(viewer, middle, (middle[0] + 30, middle[1] - 20))
    page.evaluate("() => window.lightbox.setTool('scroll')")
    before = viewer.state()
    assert before["frame"] == end and before["zoom"] > 1 and before["pan"] != {"x": 0, "y": 0}
    pixels_before = viewer.frame()
    page.evaluate("() => window.lightbox.activate(1)")
    other_before = viewer.state()
    page.evaluate("() => window.lightbox.activate(0)")
    viewer.shot("engine-before-kill")

    # Back to the first slice, scroll through, and kill the engine on the way.
    page.evaluate(f"() => window.lightbox.select({series}, 0)")
    page.evaluate(f"() => {{ void ({SCROLL})({end}); }}")
    page.wait_for_function("async () => (await window.lightbox.state()).frame >= 6")
    killed = _engine(viewer)
    with contextlib.suppress(Exception):  # the worker may be gone before it answers
        killed.evaluate("() => { self.close(); }")
    page.wait_for_function(
        "() => window.scrolled && window.lightbox.engine().restarts === 1"
        " && !window.lightbox.engine().restarting",
        timeout=120_000,
    )
    assert killed in viewer.watch.ended  # the first engine really ended
    engine = page.evaluate("() => window.lightbox.engine()")
    assert engine["stopped"] == "it ended unexpectedly", engine
    assert page.is_hidden("#crash")
    status = page.text_content("#status") or ""
    assert status == (
        f"The viewer's engine stopped (it ended unexpectedly) and was restarted: "
        f"{SLICES + 1} files opened again, the view kept."
    ), status
    assert page.is_visible("#restarted")  # said where it is seen, until OK
    assert (page.text_content("#restarted-text") or "") == status

    # The study: the same series, frames and files, from the new engine.
    after_catalog = page.evaluate("() => window.lightbox.catalog()")
    assert _series(after_catalog) == _series(catalog)
    assert [s.get("files") for s in after_catalog["series"]] == [
        s.get("files") for s in catalog["series"]
    ]
    # The view and the measurements, against what they were before the kill.
    after = viewer.state()
    assert _view(after) == _view(before)
    assert after["file"] == before["file"]
    # The pixels: as before the kill, and as pydicom and the reference window make them
    # (the zoom, pan, turn and flip are the canvas' transform, not these pixels).
    got = viewer.frame()
    assert np.array_equal(got, pixels_before)
    ds = pydicom.dcmread(tmp_path / "ct" / after["file"])
    expected, _ = reference.render(ds, 0, window=WINDOW)
    assert reference.compare(got, expected, lossy=False) is None
    page.evaluate("() => window.lightbox.activate(1)")
    assert _view(viewer.state()) == _view(other_before)
    page.evaluate("() => window.lightbox.activate(0)")
    viewer.shot("engine-restarted")
    page.click("#restarted-close")
    assert page.is_hidden("#restarted")
    # The measurements' slice: the list shows both, the rectangle's HU as measured.
    page.evaluate(f"() => window.lightbox.select({series}, 5)")
    listed = page.text_content("#measure-list") or ""
    assert "length" in listed and "rect" in listed, listed
    viewer.shot("engine-restarted-measurements")
    _close(context, viewer)


def test_python_that_exits_inside_the_engine_is_restarted(
    browser: Browser, base_url: str, test_files: Path
) -> None:
    ended: list[str] = []
    context, viewer = _viewer_with_python_exit(browser, base_url, ended)
    viewer.ready()
    viewer.choose([test_files / "CT_small.dcm"])
    # A render asked right behind the call that ends Python is never answered: the pane
    # that waited for it is drawn again by the restart, with the window it asked for.
    error = viewer.page.evaluate(
        """() => {
          const stopped = window.lightbox.stats().then(() => 'ok', e => e.message);
          window.lightbox.setWindow(100, 500).catch(() => {});
          return stopped;
        }"""
    )
    assert error == "Program terminated with exit(3)", error
    viewer.page.wait_for_function(
        "() => window.lightbox.engine().restarts === 1 && !window.lightbox.engine().restarting",
        timeout=120_000,
    )
    assert ended  # the worker closed itself: nothing lingers that cannot work
    status = viewer.page.text_content("#status") or ""
    assert status == (
        "The viewer's engine stopped (Python stopped (Program terminated with exit(3)))"
        " and was restarted: 1 file opened again, the view kept."
    ), status
    assert viewer.page.is_hidden("#crash")
    state = viewer.state()
    assert state["file"] == "CT_small.dcm"
    assert (state["windowCenter"], state["windowWidth"]) == (100, 500)
    expected, _ = reference.render(test_files / "CT_small.dcm", 0, window=(100.0, 500.0))
    assert reference.compare(viewer.frame(), expected, lossy=False) is None
    viewer.shot("engine-python-exited-restarted")
    _close(context, viewer)


def test_engine_whose_restart_fails_too_offers_reload(
    browser: Browser, base_url: str, test_files: Path
) -> None:
    """The first engine's Python exits; the new engine's module cannot be loaded."""
    ended: list[str] = []
    context, viewer = _viewer_with_python_exit(browser, base_url, ended, once=True)
    viewer.ready()
    viewer.choose([test_files / "CT_small.dcm"])
    viewer.page.evaluate("() => window.lightbox.stats().catch(() => {})")
    text = _crash_notice(viewer)
    assert text.startswith(
        "The viewer's engine stopped: Python stopped (Program terminated with exit(3)), "
        "and restarting it failed ("
    ), text
    assert "open them again after the reload" in text, text
    assert viewer.page.is_hidden("#restarted")
    engine = viewer.page.evaluate("() => window.lightbox.engine()")
    assert engine["restarts"] == 1 and not engine["restarting"], engine  # no second try
    # What the page asks of it from now on fails at once, with the same words.
    error = viewer.page.evaluate("() => window.lightbox.stats().then(() => 'ok', e => e.message)")
    assert "stopped" in error, error
    viewer.shot("engine-restart-failed")
    viewer.page.click("#reload-button")
    viewer.ready()
    assert viewer.page.is_hidden("#crash")
    viewer.choose([test_files / "MR_small.dcm"])
    assert viewer.state()["file"] == "MR_small.dcm"
    _close(context, viewer)


def _viewer_with_python_exit(
    browser: Browser, base_url: str, ended: list[str], *, once: bool = False
) -> tuple[BrowserContext, Viewer]:
    """A watched page (as new_viewer makes) whose worker module has PYTHON_EXIT appended;
    the URL of each worker that closes is added to ``ended``. With ``once``, the second
    request for the module fails (the restart's engine cannot load it; a reload's can)."""
    context = browser.new_context(viewport={"width": 1100, "height": 720})
    requests = [0]

    def patched(route: Route) -> None:
        requests[0] += 1
        if once and requests[0] == 2:
            route.abort()
            return
        response = route.fetch()
        route.fulfill(response=response, body=response.text() + PYTHON_EXIT)

    context.route("**/js/worker/worker.js", patched)
    page = context.new_page()
    watch = Watch(origin(base_url))
    context.on("request", lambda request: watch.requests.append(request.url))
    page.on("console", lambda message: watch.console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: watch.errors.append(f"page error: {error}"))
    page.on("worker", lambda worker: worker.on("close", lambda w: ended.append(w.url)))
    page.goto(base_url)
    return context, Viewer(page, watch)


def test_a_slide_length_is_back_with_its_value_after_a_restart(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    """Issue 15 item 2: a length measured on a slide (µm) is drawn and listed again after
    the engine restarts, with the same value and points, though another slide was shown
    when it stopped."""
    context, viewer = new_viewer(browser, base_url)
    viewer.ready()
    page = viewer.page
    first = slides.pyramid(tmp_path, levels=2)
    other = slides.pyramid(tmp_path, levels=2, prefix="other")
    viewer.choose([*first.paths, *other.paths])
    catalog = viewer.catalog()
    index = series_index(catalog, kind="slide", name=first.paths[0].name)
    second = series_index(catalog, kind="slide", name=other.paths[0].name)
    view = "() => window.lightbox.setSlideView({zoom: 0.5, center: [250, 175]})"
    page.evaluate(f"() => window.lightbox.select({index})")
    viewer.wait_state("s.slide !== null && s.slide.pending === 0")
    page.evaluate(view)
    page.evaluate("() => window.lightbox.setTool('length')")
    box = page.locator(".pane.active .slide-overlay").bounding_box()
    assert box is not None
    drag(viewer, (box["x"] + 100, box["y"] + 100), (box["x"] + 400, box["y"] + 500))
    before = viewer.wait_state("s.slide && s.slide.lengths.length === 1")
    # 300 × 400 CSS px is 500 CSS px at 0.5 µm each: 250 µm.
    assert before["slide"]["lengths"][0]["um"] == pytest.approx(250.0, abs=1e-6)
    page.evaluate("() => window.lightbox.setTool('scroll')")
    drawn = "async () => Array.from((await window.lightbox.renderedFrame({overlays: true})).data)"
    drawn_before = page.evaluate(drawn)
    page.evaluate(f"() => window.lightbox.select({second})")
    assert viewer.wait_state(f"s.series === {second} && s.slide")["slide"]["lengths"] == []
    killed = _engine(viewer)
    with contextlib.suppress(Exception):  # the worker may be gone before it answers
        killed.evaluate("() => { self.close(); }")
    page.wait_for_function(
        "() => window.lightbox.engine().restarts === 1 && !window.lightbox.engine().restarting",
        timeout=120_000,
    )
    assert killed in viewer.watch.ended
    page.evaluate(f"() => window.lightbox.select({index})")
    page.evaluate(view)
    after = viewer.wait_state(f"s.series === {index} && s.slide && s.slide.pending === 0")
    assert after["slide"]["lengths"] == before["slide"]["lengths"]
    assert [m["result"]["value"] for m in after["measurements"]] == pytest.approx([250.0])
    assert page.evaluate(drawn) == drawn_before  # the same tiles, the same line over them
    viewer.shot("slide-length-after-restart")
    _close(context, viewer)
