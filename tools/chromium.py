"""How the tests and the bench start Debian's Chromium: headless, quiet, no network of its own."""

from __future__ import annotations

import os

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
