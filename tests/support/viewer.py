"""The browser tests' page driver: a real page of the built site, watched.

:func:`new_viewer` opens a page whose console, errors, crashes, requests and
worker are recorded; :func:`finish` closes it and fails on anything that went
wrong (a page error, a crash, a request outside the origin, a worker that died).
"""

from __future__ import annotations

import base64
import datetime
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from playwright.sync_api import Browser, BrowserContext, Frame, Locator, Page, Request, Worker

from tools import chromium

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
SHOTS = ROOT / "test-results" / "screenshots"
CHROMIUM = chromium.EXECUTABLE
CHROMIUM_ARGS = chromium.ARGS
BOOT_TIMEOUT_MS = 120_000


@dataclass
class Watch:
    """What a page did: requests, console lines, errors."""

    origin: str
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: The engine worker of each page the tab showed (the first worker after a navigation).
    engines: list[Worker] = field(default_factory=list)
    #: Workers that closed.
    ended: list[Worker] = field(default_factory=list)

    @property
    def closed(self) -> list[str]:
        """The URL of the current page's engine worker if it has closed, else nothing."""
        if self.engines and self.engines[-1] in self.ended:
            return [self.engines[-1].url]
        return []

    def foreign(self) -> list[str]:
        """Requests that could leave the machine: any network URL outside the origin.

        The browser's own resources (its PDF viewer is chrome-extension:// and
        chrome://) and data:/blob: URLs never touch the network.
        """
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme in ("http", "https", "ws", "wss", "ftp")
            and origin(url) != self.origin
        ]


#: The id of the toolbar menu (page/menus.js) that holds the element, while that menu is closed.
_CLOSED_MENU = """(selector) => {
    const menu = document.querySelector(selector)?.closest(".menu");
    return menu && !menu.checkVisibility() ? menu.id : null;
}"""


def reach(page: Page, selector: str) -> Locator:
    """The toolbar's control, as a user reaches it: its menu opened first if it is in one."""
    menu = page.evaluate(_CLOSED_MENU, selector)
    if menu:
        page.click(f"[aria-controls='{menu}']")
    return page.locator(selector)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class Viewer:
    """A page of the viewer with helpers that go through the real UI."""

    page: Page
    watch: Watch

    def ready(self) -> None:
        self.page.wait_for_function("() => window.lightbox !== undefined", timeout=BOOT_TIMEOUT_MS)
        self.page.evaluate("() => window.lightbox.ready")

    def choose(self, paths: list[Path]) -> None:
        """Open files through the visible file input, as a user does."""
        before = int(self.page.evaluate("() => Number(document.body.dataset.opens || 0)"))
        self.page.set_input_files("#open-input", [str(p) for p in paths])
        self.page.wait_for_function(
            f"() => Number(document.body.dataset.opens || 0) > {before}",
            timeout=BOOT_TIMEOUT_MS,
        )

    def control(self, selector: str) -> Locator:
        """The toolbar's control, its menu opened first if it is in one (see :func:`reach`)."""
        return reach(self.page, selector)

    def wait_state(self, condition: str, timeout_s: float = 30.0) -> dict:
        """Poll lightbox.state() until the JS expression ``condition`` (over ``s``) holds."""
        deadline = time.monotonic() + timeout_s
        script = (
            "async () => { const s = await window.lightbox.state(); "
            f"return ({condition}) ? s : null; }}"
        )
        while True:
            state = self.page.evaluate(script)
            if state is not None:
                return state
            if time.monotonic() > deadline:
                raise AssertionError(f"state never satisfied {condition}: {self.state()}")
            self.page.wait_for_timeout(50)

    def state(self) -> dict:
        return self.page.evaluate("() => window.lightbox.state()")

    def catalog(self) -> dict:
        return self.page.evaluate("() => window.lightbox.catalog()")

    def frame(self) -> np.ndarray:
        """lightbox.renderedFrame() as a (rows, cols, 4) uint8 array."""
        got = self.page.evaluate(
            """async () => {
                const f = await window.lightbox.renderedFrame();
                if (!f) return null;
                let s = "";
                for (let i = 0; i < f.data.length; i += 0x8000) {
                    s += String.fromCharCode.apply(null, f.data.subarray(i, i + 0x8000));
                }
                return {width: f.width, height: f.height, b64: btoa(s)};
            }"""
        )
        assert got is not None, "nothing is rendered"
        data = np.frombuffer(base64.b64decode(got["b64"]), dtype=np.uint8)
        return data.reshape(got["height"], got["width"], 4)

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


def images(catalog: dict) -> list[dict]:
    """The entries of ``catalog()["series"]`` that are not documents (these come last, so
    an image series' index is the same in both lists)."""
    return [s for s in catalog["series"] if s["kind"] != "document"]


def documents(catalog: dict) -> list[dict]:
    """The ``kind: "document"`` entries of ``catalog()["series"]``, in their order."""
    return [s for s in catalog["series"] if s["kind"] == "document"]


def series_index(catalog: dict, *, kind: str | None = None, name: str | None = None) -> int:
    """The index in ``catalog()["series"]`` of the first entry of ``kind`` holding the file
    ``name`` (either may be left out); an AssertionError naming the entries if none."""
    for index, entry in enumerate(catalog["series"]):
        if (kind is None or entry["kind"] == kind) and (name is None or name in entry["files"]):
            return index
    listed = [(s["kind"], s["files"]) for s in catalog["series"]]
    raise AssertionError(f"no {kind or 'entry'} holding {name!r} in {listed}")


def to_screen(viewer: Viewer, x: float, y: float, cols: int, rows: int) -> tuple[float, float]:
    """Image pixel coordinates to page coordinates in the active pane (fitted, unrotated)."""
    box = viewer.page.locator(".pane.active").bounding_box()
    assert box is not None
    scale = min(box["width"] / cols, box["height"] / rows)
    left = box["x"] + (box["width"] - cols * scale) / 2
    top = box["y"] + (box["height"] - rows * scale) / 2
    return left + x * scale, top + y * scale


def drag(
    viewer: Viewer, start: tuple[float, float], end: tuple[float, float], button: str = "left"
) -> None:
    """A mouse drag in five steps, as a hand makes it."""
    mouse = viewer.page.mouse
    mouse.move(*start)
    mouse.down(button=button)  # type: ignore[arg-type]
    for i in range(1, 6):
        mouse.move(start[0] + (end[0] - start[0]) * i / 5, start[1] + (end[1] - start[1]) * i / 5)
    mouse.up(button=button)  # type: ignore[arg-type]


def new_viewer(browser: Browser, url: str, **options: Any) -> tuple[BrowserContext, Viewer]:
    """A new context and page at ``url``; ``options`` for the context (viewport, media, ...)."""
    context = browser.new_context(**{"viewport": {"width": 1100, "height": 720}, **options})
    page = context.new_page()
    watch = Watch(origin(url))
    context.on("request", lambda request: watch.requests.append(request.url))
    page.on("console", lambda message: watch.console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: watch.errors.append(f"page error: {error}"))
    # The page's first worker is the engine (rpc/start.js starts it before anything else);
    # the page never ends it, so its closing while the page is open is a death. (Helpers it
    # starts itself, such as the site pack's download thread, end when done.)
    # The first worker of each page (each navigation: a reload starts a new page) is its
    # engine; the test fails if the current page's engine has closed.
    navigated = [True]

    def on_worker(worker: Worker) -> None:
        if navigated[0]:
            navigated[0] = False
            watch.engines.append(worker)
        worker.on("close", lambda w: watch.ended.append(w))  # noqa: PLW0108 (a builtin fails)

    # A change of the fragment alone (the page keeps its view there) is no new page: its
    # framenavigated comes without a navigation request.
    last = [""]
    requested = [False]

    def on_request(request: Request) -> None:
        if request.is_navigation_request() and request.frame == page.main_frame:
            requested[0] = True

    def on_navigated(frame: Frame) -> None:
        if frame == page.main_frame:
            base = frame.url.split("#")[0]
            if base != last[0] or requested[0]:
                navigated[0] = True
            last[0], requested[0] = base, False

    page.on("worker", on_worker)
    page.on("request", on_request)
    page.on("framenavigated", on_navigated)
    page.on("crash", lambda _: watch.errors.append("page crashed"))
    page.goto(url)
    return context, Viewer(page, watch)


def engine_stopped(page: Page) -> str | None:
    """The text of the page's "engine stopped" notice when it is shown, else None.

    The page shows the notice in the DOM (``#crash``), not on the console.
    """
    text: str | None = page.evaluate(
        "() => { const c = document.getElementById('crash');"
        " return c && !c.hidden ? c.textContent.trim() : null; }"
    )
    return text


def finish(context: BrowserContext, viewer: Viewer) -> None:
    """Close the page; fail on errors, foreign requests, a stopped engine or a dead worker."""
    for line in viewer.watch.console:
        print("console", line)
    stopped = engine_stopped(viewer.page)
    closed = list(viewer.watch.closed)  # read before closing: closing ends the workers
    context.close()
    assert not viewer.watch.errors, viewer.watch.errors
    assert not viewer.watch.foreign(), f"requests left the origin: {viewer.watch.foreign()}"
    assert stopped is None, f"the page says the engine stopped: {stopped}"
    assert not closed, f"a worker closed while the page was open: {closed}"


def english_date(dicom_date: str) -> str:
    """A DICOM date (YYYYMMDD) as the page shows it in English: Intl's dateStyle "medium",
    "Jan 19, 2004" (the browser tests' language is the browser's, en-US, unless they ask)."""
    day = datetime.date(int(dicom_date[:4]), int(dicom_date[4:6]), int(dicom_date[6:8]))
    return f"{day:%b} {day.day}, {day.year}"
