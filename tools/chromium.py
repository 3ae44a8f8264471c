"""How the tests and the bench start Debian's Chromium: headless, quiet, no network of its own."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: Debian's package; `playwright install` cannot download browsers here.
EXECUTABLE = os.environ.get("LIGHTBOX_CHROMIUM", "/usr/bin/chromium")

#: As root in a sandbox, and without Chromium's own background traffic.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextlib.contextmanager
def bench_page() -> Iterator[tuple[Any, Path]]:  # pragma: no cover - the benches run alone
    """A page of the built site, the engine ready, in Chromium, and a scratch folder: for a
    bench module run on its own (``python -m tools.bench_slide``, ``tools.bench_large``)."""
    import tempfile

    from playwright.sync_api import sync_playwright

    from tools.serve import serve_in_thread

    server, url = serve_in_thread(Path(__file__).resolve().parent.parent / "build")
    try:
        with tempfile.TemporaryDirectory() as scratch, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=EXECUTABLE, args=ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 720})
            page.goto(url)
            page.wait_for_function("() => window.lightbox !== undefined", timeout=120_000)
            page.evaluate("() => window.lightbox.ready")
            yield page, Path(scratch)
            browser.close()
    finally:
        server.shutdown()
