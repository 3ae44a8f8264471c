"""`npm run bench`: start-up and open-to-image figures, each beside its baseline.

Runs Debian's Chromium headless against build/ on 127.0.0.1, several times
each, and prints medians and p95; writes bench-results/bench.json. The
baseline for start-up is a bare page that only calls loadPyodide() from the
same files in a module worker, measured in the same run. Not a test: nothing
here passes or fails on time.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from playwright.sync_api import Browser, Page, sync_playwright

from tools import synth
from tools.serve import serve_in_thread

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-results"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

BARE_HTML = """<!doctype html><meta charset="utf-8"><title>bare loadPyodide</title>
<script type="module">
const worker = new Worker("./__bare_worker.js", {type: "module"});
worker.onmessage = () => { performance.mark("bare-ready"); document.title = "ready"; };
</script>"""
BARE_WORKER = """import { loadPyodide } from "./pyodide/pyodide.mjs";
await loadPyodide({ indexURL: new URL("./pyodide/", import.meta.url).href });
self.postMessage("ready");"""

OPEN_AND_TIME = """async (url) => {
  const bytes = await (await fetch(url)).blob();
  const file = new File([bytes], url.split("/").pop());
  await window.lightbox.ready;
  const t0 = performance.now();
  await window.lightbox.open([file]);
  const frame = await window.lightbox.renderedFrame();
  const ms = performance.now() - t0;
  await window.lightbox.closeAll();
  return {ms, width: frame.width};
}"""


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"median": statistics.median(ordered), "p95": p95, "n": len(ordered)}


def mark_time(page: Page, name: str, timeout_s: float = 120) -> float:
    """Milliseconds from navigation start to a User Timing mark."""
    page.wait_for_function(
        f"() => performance.getEntriesByName({name!r}).length > 0", timeout=timeout_s * 1000
    )
    return float(page.evaluate(f"() => performance.getEntriesByName({name!r})[0].startTime"))


def start_times(
    browser: Browser, url: str, mark: str, runs: int
) -> tuple[list[float], list[float]]:
    """Cold (new profile) and warm (same profile, second visit) navigation-to-mark times."""
    cold, warm = [], []
    for _ in range(runs):
        context = browser.new_context()
        page = context.new_page()
        page.goto(url)
        cold.append(mark_time(page, mark))
        page.goto(url)
        warm.append(mark_time(page, mark))
        context.close()
    return cold, warm


def site_with_extras(extras: dict[str, bytes], into: Path) -> Path:
    """build/ (linked, not copied) plus the bench's own files, served as one origin."""
    for entry in (ROOT / "build").iterdir():
        (into / entry.name).symlink_to(entry)
    bench = into / "__bench"
    bench.mkdir()
    for name, data in extras.items():
        (bench / name).write_bytes(data)
    (into / "__bare.html").write_text(BARE_HTML)
    (into / "__bare_worker.js").write_text(BARE_WORKER)
    return into


def open_times(browser: Browser, url: str, files: list[str], runs: int) -> dict[str, list[float]]:
    context = browser.new_context()
    page = context.new_page()
    page.goto(url)
    page.evaluate("() => window.lightbox.ready")
    results: dict[str, list[float]] = {name: [] for name in files}
    for _ in range(runs):
        for name in files:
            results[name].append(page.evaluate(OPEN_AND_TIME, f"{url}__bench/{name}")["ms"])
    context.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Lightbox benchmark")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    test_files = Path(__import__("pydicom").__file__).parent / "data" / "test_files"
    ct512 = synth.to_bytes(synth.ct_series(1, 512, 512, name="bench512")[0])
    files = {"CT_small.dcm": (test_files / "CT_small.dcm").read_bytes(), "ct512.dcm": ct512}
    scratch = tempfile.TemporaryDirectory()
    server, url = serve_in_thread(site_with_extras(files, Path(scratch.name)))
    started = time.time()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        bare_cold, bare_warm = start_times(browser, url + "__bare.html", "bare-ready", args.runs)
        app_cold, app_warm = start_times(browser, url, "lightbox-ready", args.runs)
        opens = open_times(browser, url, list(files), args.runs)
        browser.close()
    server.shutdown()
    scratch.cleanup()
    rows = [
        (
            "cold start: navigation to ready",
            summary(app_cold),
            summary(bare_cold),
            "bare loadPyodide(), cold",
        ),
        (
            "warm start: navigation to ready",
            summary(app_warm),
            summary(bare_warm),
            "bare loadPyodide(), warm",
        ),
        ("open to first image: CT_small.dcm 128x128", summary(opens["CT_small.dcm"]), None, ""),
        ("open to first image: CT 512x512 int16", summary(opens["ct512.dcm"]), None, ""),
    ]
    print(
        f"\nLightbox bench — {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"headless Chromium, {args.runs} runs each\n"
    )
    print("| measure | median ms | p95 ms | baseline | baseline median ms | ratio |")
    print("|---|---|---|---|---|---|")
    table = []
    for name, ours, base, base_name in rows:
        ratio = f"{ours['median'] / base['median']:.2f}x" if base else ""
        base_median = f"{base['median']:.0f}" if base else ""
        cells = [name, f"{ours['median']:.0f}", f"{ours['p95']:.0f}", base_name, base_median, ratio]
        print("| " + " | ".join(cells) + " |")
        table.append({"measure": name, "ours": ours, "baseline": base, "baseline_name": base_name})
    OUT.mkdir(exist_ok=True)
    (OUT / "bench.json").write_text(
        json.dumps(
            {
                "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "runs": args.runs,
                "rows": table,
                "seconds": time.time() - started,
                "cores": __import__("os").cpu_count(),
                "numpy": np.__version__,
            },
            indent=1,
        )
    )
    print(f"\nwritten {OUT / 'bench.json'} ({time.time() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
