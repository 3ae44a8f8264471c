"""An engine (the worker) that stops after it was ready: the page says so and offers Reload.

A worker that ends (``self.close()``, a crash, the browser ending it) raises no
event on the page: the page learns of it from the Web Lock the worker holds
while it lives (rpc/client.js). A Python that ends inside the worker (os._exit,
a fatal runtime error) leaves a live worker that can do nothing: the worker
says so and closes. Each test kills the engine on purpose, so each opens its
own page and expects the crash notice (the shared viewer fails on one).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Route

from tests.support.viewer import Viewer, Watch, engine_stopped, new_viewer, origin

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


def test_engine_that_ends_after_ready_offers_reload(
    browser: Browser, base_url: str, test_files: Path
) -> None:
    context, viewer = new_viewer(browser, base_url)
    viewer.ready()
    viewer.choose([test_files / "CT_small.dcm"])
    assert viewer.state()["file"] == "CT_small.dcm"
    with contextlib.suppress(Exception):  # the worker may be gone before it answers
        _engine(viewer).evaluate("() => { self.close(); }")
    text = _crash_notice(viewer)
    assert text.startswith("The viewer's engine stopped: it ended unexpectedly."), text
    assert "open them again after the reload" in text, text
    assert viewer.watch.closed  # it really ended
    # What the page asks of it from now on fails at once, with the same words.
    error = viewer.page.evaluate("() => window.lightbox.stats().then(() => 'ok', e => e.message)")
    assert "stopped" in error, error
    viewer.shot("engine-stopped-after-ready")
    viewer.page.click("#reload-button")
    viewer.ready()
    assert viewer.page.is_hidden("#crash")
    viewer.choose([test_files / "MR_small.dcm"])
    assert viewer.state()["file"] == "MR_small.dcm"
    _close(context, viewer)


def test_python_that_exits_inside_the_engine_offers_reload(
    browser: Browser, base_url: str, test_files: Path
) -> None:
    ended: list[str] = []
    context, viewer = _viewer_with_python_exit(browser, base_url, ended)
    viewer.ready()
    viewer.choose([test_files / "CT_small.dcm"])
    error = viewer.page.evaluate("() => window.lightbox.stats().then(() => 'ok', e => e.message)")
    assert error == "Program terminated with exit(3)", error
    text = _crash_notice(viewer)
    assert text.startswith(
        "The viewer's engine stopped: Python stopped (Program terminated with exit(3))."
    ), text
    viewer.page.wait_for_timeout(500)
    assert ended  # the worker closed itself: nothing lingers that cannot work
    viewer.shot("engine-python-exited")
    _close(context, viewer)


def _viewer_with_python_exit(
    browser: Browser, base_url: str, ended: list[str]
) -> tuple[BrowserContext, Viewer]:
    """A watched page (as new_viewer makes) whose worker module has PYTHON_EXIT appended;
    the URL of each worker that closes is added to ``ended``."""
    context = browser.new_context(viewport={"width": 1100, "height": 720})

    def patched(route: Route) -> None:
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
