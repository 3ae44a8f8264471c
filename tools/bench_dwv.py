"""Lightbox beside dwv and the bare runtime, like for like (issue 17 item 3).

    python -m tools.bench_dwv [--runs 5] [--slices 300] [--after-ready]

Also run by `npm run bench` (tools/bench.py). dwv (npm, a pinned dev dependency, with
konva, jszip and magic-wand-tool) is copied from node_modules into the bench's own
scratch site, beside build/'s files, for a bench page only (tools/dwv_page): it is never
in build/ (tests/unit/test_build_no_dwv.py). Each run takes the three pages in turn, each
in a new browser profile, on the same generated 512x512 CT slices as the bench's rows:

- navigation to the first image of a file chosen as soon as the page is parsed
  (DOMContentLoaded), cold (new profile) and warm (its second visit);
- navigation to ready (Lightbox's `lightbox-ready` mark, the bare page's `loadPyodide()`);
- after ready: one file to its first image; N files to the first image and to all indexed
  (dwv: its `load` event); scrolling, request to the new slice drawn;
- the renderer's resident memory (RSS, /proc) after the N slices were opened and scrolled.

Every clock is read inside the page (performance.now(), User Timing marks); rows print
median and p95 with n beside dwv's and the bare runtime's from the same run.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, sync_playwright

from tools import bench_data, chromium
from tools.bench import SCROLL, SERIES_AND_TIME, SW_READY, mark_time, site_with_extras, summary
from tools.serve import serve_in_thread

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
PAGE = Path(__file__).resolve().parent / "dwv_page"

#: dwv's bare module specifiers, as its ES module imports them, and the files served for them.
SPECIFIERS = {
    "konva": "../konva/lib/index.js",
    "magic-wand-tool": "../shims/magic-wand.js",
    "jszip": "../shims/jszip.js",
}


class DwvMissing(Exception):
    """node_modules has no dwv: `npm ci` installs the dev dependencies."""


def dwv_site(into: Path) -> Path:
    """The dwv page and its packages under ``into``/__dwv (modules a browser can load)."""
    source = NODE_MODULES / "dwv" / "dist"
    if not (source / "dwv.min.js").exists():
        raise DwvMissing("node_modules/dwv is missing: run `npm ci` (dev dependencies)")
    site = into / "__dwv"
    shutil.copytree(PAGE, site)
    (site / "dwv").mkdir()
    text = (source / "dwv.min.js").read_text()
    for name, target in SPECIFIERS.items():
        imported = f'from"{name}"'
        if imported not in text:
            raise DwvMissing(f"dwv.min.js no longer imports {name!r}: check dwv's version")
        text = text.replace(imported, f'from"{target}"')
    (site / "dwv" / "dwv.min.js").write_text(text)
    shutil.copytree(source / "assets", site / "dwv" / "assets")
    shutil.copytree(NODE_MODULES / "konva" / "lib", site / "konva" / "lib")
    shims = site / "shims"
    shims.mkdir()
    # Two UMD scripts made modules: each sets module.exports, which becomes the default.
    for name, path in (
        ("magic-wand.js", "magic-wand-tool/dist/magic-wand.min.js"),
        ("jszip.js", "jszip/dist/jszip.min.js"),
    ):
        umd = (NODE_MODULES / path).read_text()
        (shims / name).write_text(
            "const module = { exports: {} };\nconst exports = module.exports;\n"
            f"{umd}\nexport default module.exports;\n"
        )
    return site


#: Marks a User Timing entry on the first frame Lightbox draws (polled each animation frame).
LIGHTBOX_FIRST_IMAGE = """(() => {
  const poll = () => {
    const drawn = window.lightbox && window.lightbox.framesDrawn() > 0;
    if (drawn) performance.mark("lightbox-first-image");
    else requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
})();"""

DWV_SERIES = """async ([folder, names]) => {
  const get = async (n) =>
    new File([await (await fetch("/__bench/" + folder + "/" + n)).blob()], n);
  const files = await Promise.all(names.map(get));
  return window.dwvBench.load(files);
}"""

ONE_FILE_LIGHTBOX = """async (url) => {
  const file = new File([await (await fetch(url)).blob()], "one.dcm");
  await window.lightbox.ready;
  const t0 = performance.now();
  await window.lightbox.open([file]);
  await window.lightbox.renderedFrame();
  const ms = performance.now() - t0;
  await window.lightbox.closeAll();
  return ms;
}"""

ONE_FILE_DWV = """async (url) => {
  const file = new File([await (await fetch(url)).blob()], "one.dcm");
  const {first} = await window.dwvBench.load([file]);
  return first;
}"""


def renderer_rss(browser: Browser) -> float:
    """Resident memory (bytes) of the renderer process of the one page open, with its workers.

    The browser's process list (CDP SystemInfo.getProcessInfo) names the renderers; with
    one page open in the browser, its renderer is the largest of them (a spare renderer
    the browser keeps ready holds no page).
    """
    session = browser.new_browser_cdp_session()
    info = session.send("SystemInfo.getProcessInfo")
    session.detach()
    sizes = []
    for process in info["processInfo"]:
        if process["type"] != "renderer":
            continue
        status = Path(f"/proc/{process['id']}/status")
        if not status.exists():
            continue
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) * 1024)
    if not sizes:
        raise RuntimeError("no renderer process found")
    return float(max(sizes))


def first_image_visits(
    browser: Browser, url: str, mark: str, file: Path, init: str | None, app: bool
) -> tuple[float, float]:
    """Navigation to the first image of ``file`` chosen at DOMContentLoaded: cold, warm."""
    context = browser.new_context()
    if init:
        context.add_init_script(init)
    page = context.new_page()
    times = []
    for visit in range(2):
        page.goto(url, wait_until="domcontentloaded")
        page.set_input_files("#open-input", str(file))
        times.append(mark_time(page, mark))
        if visit == 0 and app:
            page.evaluate(SW_READY)  # a returning user's visit: the service worker installed
    context.close()
    return times[0], times[1]


def ready_visits(browser: Browser, url: str, mark: str, app: bool) -> tuple[float, float]:
    """Navigation to ready, cold and warm (as bench.start_times, one run)."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(url)
    cold = mark_time(page, mark)
    if app:
        page.evaluate(SW_READY)
    page.goto(url)
    warm = mark_time(page, mark)
    context.close()
    return cold, warm


def after_ready(
    browser: Browser, url: str, names: list[str], one: str, dwv: bool, singles: int, steps: int
) -> dict[str, Any]:
    """One profile: a file's first image (``singles`` times), the series, scrolling, RSS."""
    context = browser.new_context()
    page = context.new_page()
    if dwv:
        single: list[float] = []
        for _ in range(singles + 1):  # a new page for each file (the last one for the series)
            page.goto(url + "__dwv/index.html")
            page.wait_for_function("() => window.dwvBench !== undefined")
            if len(single) < singles:
                single.append(page.evaluate(ONE_FILE_DWV, f"/__bench/{one}"))
        series = page.evaluate(DWV_SERIES, ["series", names])
        scroll = page.evaluate("(n) => window.dwvBench.scroll(n)", steps)
    else:
        page.goto(url)
        page.evaluate("() => window.lightbox.ready")
        single = [page.evaluate(ONE_FILE_LIGHTBOX, f"/__bench/{one}") for _ in range(singles)]
        series = page.evaluate(SERIES_AND_TIME, ["series", names])
        scroll = page.evaluate(SCROLL, [steps, 1])  # slices 1..steps, as dwv's
    page.wait_for_timeout(500)  # let the last frames and garbage settle before reading RSS
    rss = renderer_rss(browser)
    context.close()
    return {"single": single, "series": series, "scroll": scroll, "rss": rss}


def cell(values: list[float], unit: str) -> str:
    if not values:
        return ""
    s = summary(values)
    return f"{s['median']:.1f} [{s['p95']:.1f}] {unit}"


def bench(
    url: str, scratch: Path, names: list[str], runs: int, visits: bool = True
) -> list[dict[str, Any]]:
    """All rows: {measure, lightbox, dwv, bare (lists of values), unit}; without ``visits``
    only the rows after ready (``--after-ready``)."""
    one = f"series/{names[0]}"
    file = scratch / "__bench" / one
    steps = min(200, len(names) - 1)  # slices 1..steps: each a new one
    values: dict[str, dict[str, list[float]]] = {}

    def add(measure: str, side: str, *items: float) -> None:
        values.setdefault(measure, {"lightbox": [], "dwv": [], "bare": []})[side].extend(items)

    n = len(names)
    first_cold = "cold visit: navigation → first image of a file chosen at once"
    first_warm = "warm visit (second visit, same profile): navigation → first image"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium.EXECUTABLE, args=chromium.ARGS)
        for run in range(runs):
            print(f"  run {run + 1} of {runs}", flush=True)
            # interleaved: each run takes every page in turn
            if visits:
                cold, warm = first_image_visits(
                    browser, url + "__dwv/index.html", "dwv-first-image", file, None, app=False
                )
                add(first_cold, "dwv", cold)
                add(first_warm, "dwv", warm)
                cold, warm = first_image_visits(
                    browser, url, "lightbox-first-image", file, LIGHTBOX_FIRST_IMAGE, app=True
                )
                add(first_cold, "lightbox", cold)
                add(first_warm, "lightbox", warm)
                cold, warm = ready_visits(browser, url + "__bare.html", "bare-ready", app=False)
                add(first_cold, "bare", cold)
                add(first_warm, "bare", warm)
                add("navigation → ready, cold", "bare", cold)
                add("navigation → ready, warm", "bare", warm)
                cold, warm = ready_visits(browser, url, "lightbox-ready", app=True)
                add("navigation → ready, cold", "lightbox", cold)
                add("navigation → ready, warm", "lightbox", warm)
            for side in ("dwv", "lightbox"):
                got = after_ready(browser, url, names, one, side == "dwv", 3, steps)
                add("after ready: 1 file → first image", side, *got["single"])
                add(f"after ready: {n} files → first image", side, got["series"]["first"])
                add(f"after ready: {n} files → all {n} indexed", side, got["series"]["indexed"])
                add("scroll, step → new slice drawn", side, *got["scroll"])
                add(f"renderer memory after {n} slices (RSS)", side, got["rss"] / 2**20)
        browser.close()
    rows = []
    for measure, sides in values.items():
        unit = "MiB" if "RSS" in measure else "ms"
        rows.append({"measure": measure, "unit": unit, **sides})
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| figure | Lightbox median [p95] | n | dwv | n | bare Pyodide | n | Lightbox / dwv "
        "| Lightbox / bare |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ours, unit = r["lightbox"], r["unit"]
        ratios = []
        for base in (r["dwv"], r["bare"]):
            ratio = summary(ours)["median"] / summary(base)["median"] if base else None
            ratios.append(f"{ratio:.2f}x" if ratio else "")
        lines.append(
            "| "
            + " | ".join(
                [
                    r["measure"],
                    cell(ours, unit),
                    str(len(ours)),
                    cell(r["dwv"], unit),
                    str(len(r["dwv"])) if r["dwv"] else "",
                    cell(r["bare"], unit),
                    str(len(r["bare"])) if r["bare"] else "",
                    *ratios,
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def lever(other: Path, runs: int) -> list[dict[str, Any]]:
    """Navigation to ready of build/ beside another build of the app (a start-up lever
    before and after), and the bare runtime, interleaved in one run; each on its own origin.
    """
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        site_with_extras({}, scratch)
        server, url = serve_in_thread(scratch)
        other_server, other_url = serve_in_thread(other)
        values: dict[str, dict[str, list[float]]] = {}
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium.EXECUTABLE, args=chromium.ARGS)
                for run in range(runs):
                    print(f"  run {run + 1} of {runs}", flush=True)
                    for side, page_url, mark, app in (
                        ("bare", url + "__bare.html", "bare-ready", False),
                        ("before", other_url, "lightbox-ready", True),
                        ("lightbox", url, "lightbox-ready", True),
                    ):
                        cold, warm = ready_visits(browser, page_url, mark, app)
                        for visit, ms in (("cold", cold), ("warm", warm)):
                            measure = f"navigation → ready, {visit}"
                            sides = values.setdefault(
                                measure, {"lightbox": [], "before": [], "bare": []}
                            )
                            sides[side].append(ms)
                browser.close()
        finally:
            server.shutdown()
            other_server.shutdown()
    lines = ["| figure | build/ | n | the other build | bare | build/ / other | build/ / bare |"]
    lines.append("|---|---|---|---|---|---|---|")
    for measure, sides in values.items():
        ours, before, bare = (summary(sides[k]) for k in ("lightbox", "before", "bare"))
        lines.append(
            f"| {measure} | {cell(sides['lightbox'], 'ms')} | {ours['n']} | "
            f"{cell(sides['before'], 'ms')} | {cell(sides['bare'], 'ms')} | "
            f"{ours['median'] / before['median']:.2f}x | {ours['median'] / bare['median']:.2f}x |"
        )
    print("\n".join(lines), flush=True)
    return [{"measure": m, **v} for m, v in values.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--slices", type=int, default=300)
    parser.add_argument(
        "--lever",
        type=Path,
        help="only start-up: build/ beside this other build of the app (before a change)",
    )
    parser.add_argument(
        "--after-ready", action="store_true", help="only the rows after ready (no visits)"
    )
    args = parser.parse_args(argv)
    if args.lever:
        lever(args.lever, args.runs)
        return 0
    print("generating data…", flush=True)
    series = bench_data.ct_series_files(args.slices)
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        site_with_extras({}, scratch)
        dwv_site(scratch)
        (scratch / "__bench" / "series").mkdir()
        for name, data in series:
            (scratch / "__bench" / "series" / name).write_bytes(data)
        server, url = serve_in_thread(scratch)
        try:
            rows = bench(url, scratch, [n for n, _ in series], args.runs, not args.after_ready)
        finally:
            server.shutdown()
    print(f"\nLightbox beside dwv and the bare runtime — {time.strftime('%Y-%m-%d')}\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
