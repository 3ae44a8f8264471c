"""Serve build/ on 127.0.0.1 with the MIME types Pyodide needs.

    python -m tools.serve [--port 8000] [--dir build]

`.wasm` must be `application/wasm` (or Pyodide hangs), `.mjs` and `.js`
JavaScript. Binds to the loopback address only.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import re
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MIME_TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".json": "application/json",
    ".zip": "application/zip",
    ".whl": "application/zip",
    ".css": "text/css",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",  # the app icon (nosniff: it must be labelled right)
    ".webmanifest": "application/manifest+json",
    "": "application/octet-stream",
}


CSP_META = re.compile(r'http-equiv="Content-Security-Policy" content="([^"]+)"')


def page_policy(directory: Path) -> str:
    """The Content-Security-Policy of the built page (its <meta> tag), for every response."""
    match = CSP_META.search((directory / "index.html").read_text())
    return (match.group(1) + "; frame-ancestors 'self'") if match else "default-src 'self'"


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = MIME_TYPES

    def end_headers(self) -> None:
        policy = getattr(self.server, "policy", None)
        if policy:
            # Sent for every file, worker scripts included (a worker loaded from its
            # own URL obeys only its own response's policy).
            self.send_header("Content-Security-Policy", policy)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
        if getattr(self.server, "isolated", False):
            # Cross-origin isolation (--isolated): SharedArrayBuffer, so the Python
            # console's runs stop through Pyodide's interrupt buffer (issue 21).
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        if getattr(self.server, "quiet", False):
            return
        super().log_message(format, *args)


def make_server(
    directory: Path, port: int = 0, quiet: bool = False, isolated: bool = False
) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(Handler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.quiet = quiet  # type: ignore[attr-defined]
    server.isolated = isolated  # type: ignore[attr-defined]
    index = directory / "index.html"
    server.policy = page_policy(directory) if index.exists() else None  # type: ignore[attr-defined]
    server.daemon_threads = True
    return server


def serve_in_thread(
    directory: Path, port: int = 0, isolated: bool = False
) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Start a quiet server in a daemon thread; return it and its base URL."""
    server = make_server(directory, port, quiet=True, isolated=isolated)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the built viewer on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--dir", type=Path, default=ROOT / "build")
    parser.add_argument(
        "--isolated",
        action="store_true",
        help="send COOP/COEP (cross-origin isolation: the console's interrupt keeps its state)",
    )
    args = parser.parse_args(argv)
    if not (args.dir / "index.html").exists():
        print(f"{args.dir} has no index.html: run `npm run build` first", file=sys.stderr)
        return 1
    server = make_server(args.dir, args.port, isolated=args.isolated)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    print(f"Lightbox is at {url}  (Ctrl+C stops)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
