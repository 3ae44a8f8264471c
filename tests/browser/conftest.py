"""Browser tests: real Chromium (Debian's), real Pyodide, the built site on 127.0.0.1.

Every page's console is forwarded to the test log; a page error, a worker
crash or any request outside the page's origin fails the test (see
:mod:`tests.support.viewer`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.support.viewer import (
    BUILD,
    CHROMIUM,
    CHROMIUM_ARGS,
    Viewer,
    engine_stopped,
    finish,
    new_viewer,
)
from tools.serve import serve_in_thread


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    if not (BUILD / "index.html").exists():
        pytest.fail("build/ is missing: run `npm run build` (npm test does it)")
    server, url = serve_in_thread(BUILD)
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def shared_viewer(browser: Browser, base_url: str) -> Iterator[Viewer]:
    """One booted page per test module (booting costs seconds); tests close what they open."""
    context, viewer = new_viewer(browser, base_url)
    viewer.ready()
    yield viewer
    finish(context, viewer)


@pytest.fixture
def viewer(shared_viewer: Viewer) -> Iterator[Viewer]:
    shared_viewer.page.evaluate(
        "async () => { await window.lightbox.closeAll(); window.lightbox.setTool('scroll');"
        " window.lightbox.setLayout('1x1');"
        # a menu a test left open closes, as a click elsewhere closes it (page/menus.js)
        " document.body.dispatchEvent(new PointerEvent('pointerdown', {bubbles: true})); }"
    )
    yield shared_viewer
    assert not shared_viewer.watch.errors, shared_viewer.watch.errors
    stopped = engine_stopped(shared_viewer.page)
    assert stopped is None, f"the page says the engine stopped: {stopped}"
    assert not shared_viewer.watch.closed, f"a worker closed: {shared_viewer.watch.closed}"


@pytest.fixture
def fresh_viewer(browser: Browser, base_url: str) -> Iterator[Viewer]:
    """A new profile and page, not yet booted."""
    context, viewer = new_viewer(browser, base_url)
    yield viewer
    finish(context, viewer)


@pytest.fixture(scope="session")
def test_files() -> Path:
    """pydicom's bundled test files (they ship inside the pydicom wheel)."""
    import pydicom

    return Path(pydicom.__file__).parent / "data" / "test_files"
