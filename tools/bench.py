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
from typing import Any

import numpy as np
from playwright.sync_api import Browser, Page, sync_playwright

from tools import bench3d, chromium
from tools.serve import serve_in_thread

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-results"
CHROMIUM_ARGS = chromium.ARGS

# The bare page is served under the same policy as the app, so its script is a file too.
BARE_HTML = """<!doctype html><meta charset="utf-8"><title>bare loadPyodide</title>
<script type="module" src="./__bare.js"></script>"""
BARE_PAGE_JS = """const worker = new Worker("./__bare_worker.js", {type: "module"});
worker.onmessage = () => { performance.mark("bare-ready"); document.title = "ready"; };"""
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
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": statistics.median(ordered), "p95": p95, "n": len(ordered)}


def mark_time(page: Page, name: str, timeout_s: float = 120) -> float:
    """Milliseconds from navigation start to a User Timing mark."""
    page.wait_for_function(
        f"() => performance.getEntriesByName({name!r}).length > 0", timeout=timeout_s * 1000
    )
    return float(page.evaluate(f"() => performance.getEntriesByName({name!r})[0].startTime"))


def start_times(
    browser: Browser, url: str, mark: str, runs: int, steps: list[dict[str, Any]] | None = None
) -> tuple[list[float], list[float]]:
    """Cold (new profile) and warm (same profile, second visit) navigation-to-mark times.

    With ``steps`` (the app), each cold start's worker step timings (stats().bootSteps)
    go there, and the second visit waits until the service worker has installed (as a
    returning user's would), rather than racing its download of the whole app.
    """
    cold, warm = [], []
    for _ in range(runs):
        context = browser.new_context()
        page = context.new_page()
        page.goto(url)
        cold.append(mark_time(page, mark))
        if steps is not None:
            steps.append(page.evaluate("async () => (await window.lightbox.stats()).bootSteps"))
            page.evaluate(SW_READY)
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
    (into / "__bare.js").write_text(BARE_PAGE_JS)
    return into


# The baseline of a video's first frame: the same stream's first key frame decoded by a bare
# WebCodecs VideoDecoder in the same page (configure, decode, flush, read the RGBA back), the
# stream demuxed beforehand, outside the timing: what the browser's decoder itself costs.
BARE_VIDEO_DECODE = """async ([url, runs]) => {
  const { demuxH264 } = await import("./js/viewer/demux.js");
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const { codec, description, units } = demuxH264(bytes);
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const t0 = performance.now();
    let image = null;
    const canvas = new OffscreenCanvas(1, 1);
    const ctx = canvas.getContext("2d");
    const decoder = new VideoDecoder({
      output: (frame) => {
        canvas.width = frame.displayWidth;
        canvas.height = frame.displayHeight;
        ctx.drawImage(frame, 0, 0);
        image = ctx.getImageData(0, 0, canvas.width, canvas.height);
        frame.close();
      },
      error: (e) => { throw e; },
    });
    decoder.configure({ codec, ...(description ? { description } : {}), optimizeForLatency: true });
    decoder.decode(new EncodedVideoChunk({ type: "key", timestamp: 0, data: units[0].data }));
    await decoder.flush();
    decoder.close();
    if (!image) throw new Error("no picture");
    times.push(performance.now() - t0);
  }
  return times;
}"""


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


SERIES_AND_TIME = """async ([folder, names]) => {
  const get = async (n) => (await fetch("__bench/" + folder + "/" + n)).blob();
  const load = async (n) => new File([await get(n)], n);
  const files = await Promise.all(names.map(load));
  await window.lightbox.closeAll();
  const t0 = performance.now();
  let first = null;
  const opening = window.lightbox.open(files);
  while (first === null) {
    const s = await window.lightbox.state();
    if (s.series >= 0 && s.file) first = performance.now() - t0;
    else await new Promise((r) => setTimeout(r, 5));
  }
  await opening;
  return {first, indexed: performance.now() - t0};
}"""

#: Steps to slices first..first+count-1 of series 0, each timed to the frame rendered.
SCROLL = """async ([count, first]) => {
  const times = [];
  for (let i = first; i < first + count; i += 1) {
    const t0 = performance.now();
    await window.lightbox.select(0, i);
    await window.lightbox.renderedFrame();
    times.push(performance.now() - t0);
  }
  return times;
}"""

WINDOW_DRAG = """async (steps) => {
  const times = [];
  const t0 = performance.now();
  for (let i = 0; i < steps; i += 1) {
    const t = performance.now();
    await window.lightbox.setWindow(40 + i, 400 + 3 * i);
    times.push(performance.now() - t);
  }
  return {fps: steps / ((performance.now() - t0) / 1000), times};
}"""

DECODE_THROUGH_PYTHON = """async ([url, runs]) => {
  const bytes = await (await fetch(url)).blob();
  await window.lightbox.open([new File([bytes], url.split("/").pop())]);
  const times = await window.lightbox.decodeTimes(0, 0, runs);
  await window.lightbox.closeAll();
  return times;
}"""

WAVEFORM_PLOT = """async (runs) => {
  // The whole 10 s in the plot's width, then every plot a new one (the scale alternates).
  const first = (await window.lightbox.state()).waveform;
  const row = first.plot[0];
  const fit = (row.right - row.left) / first.duration;
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const t0 = performance.now();
    await window.lightbox.setWaveformView({start: 0, pxPerMs: fit * (i % 2 ? 0.999 : 1)});
    times.push(performance.now() - t0);
  }
  const shown = (await window.lightbox.state()).waveform;
  return {times, window: shown.window, channels: shown.channels};
}"""

MEMORY = """async () => {
  const stats = await window.lightbox.stats();
  return {...stats, jsHeap: performance.memory ? performance.memory.usedJSHeapSize : null};
}"""

JS_DECODE = """async ([codecsUrl, name, b64, runs]) => {
  const m = await import(codecsUrl);
  await m.ensure([name]);
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  m.decode(name, bytes, null); // warm-up, as the Python figure has
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const t0 = performance.now();
    m.decode(name, bytes, null);
    times.push(performance.now() - t0);
  }
  return times;
}"""


def first_frame(data: bytes) -> bytes:
    import io as _io

    import pydicom
    from pydicom.encaps import generate_frames

    ds = pydicom.dcmread(_io.BytesIO(data))
    return next(generate_frames(ds.PixelData, number_of_frames=1))


SW_READY = """async () => {
  for (let i = 0; i < 1200; i += 1) {
    const name = (await caches.keys()).find((k) => k.startsWith('lightbox-'));
    if (navigator.serviceWorker.controller && name) return true;
    await new Promise((f) => setTimeout(f, 100));
  }
  return false;
}"""


def offline_starts(browser: Browser, url: str, runs: int) -> list[float]:
    """Navigation to ready with the network cut, served by the service worker's cache."""
    times = []
    for _ in range(runs):
        context = browser.new_context()
        page = context.new_page()
        page.goto(url)
        page.evaluate("() => window.lightbox.ready")
        page.evaluate(SW_READY)
        page.wait_for_timeout(500)  # let precaching settle
        context.set_offline(True)
        page.reload()
        times.append(mark_time(page, "lightbox-ready"))
        context.close()
    return times


def drag_fps(page: Page, seconds: float = 3.0) -> dict[str, float]:
    """Window/level by a real right-button drag, the pointer moving as fast as it can be driven.

    Returns frames drawn per second during the drag (coarse previews included, as
    the user sees them), pointer moves per second, and the time from releasing the
    button to the full frame on screen (which waits out the viewer's preview pause).
    """
    box = page.locator('[data-pane="0"]').bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down(button="right")
    before = page.evaluate("() => window.lightbox.framesDrawn()")
    t0 = time.perf_counter()
    moves = 0
    while time.perf_counter() - t0 < seconds:
        moves += 1
        page.mouse.move(x + moves % 120, y + moves % 80 - 40)
    drawn = page.evaluate("() => window.lightbox.framesDrawn()") - before
    elapsed = time.perf_counter() - t0
    released = time.perf_counter()
    page.mouse.up(button="right")
    page.evaluate("async () => { await window.lightbox.state(); }")
    settle = (time.perf_counter() - released) * 1000
    return {"fps": drawn / elapsed, "moves": moves / elapsed, "settle": settle}


def open_file_times(page: Page, name: str, runs: int) -> list[float]:
    return [page.evaluate(OPEN_AND_TIME, f"__bench/{name}")["ms"] for _ in range(runs)]


def native_window_ms(data: bytes, runs: int = 50) -> list[float]:
    """The same render with a changed window on native CPython (decoded frame cached)."""
    from lightbox.session.session import Session

    session = Session()
    session.open([("frame.dcm", data)])
    session.render(0, 0)
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        session.render(0, 0, (40.0 + i, 400.0 + 3 * i))
        times.append((time.perf_counter() - t0) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Lightbox benchmark")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--slices", type=int, default=300)
    parser.add_argument(
        "--deid-files", type=int, default=2000, help="files for the deid rows (0: none)"
    )
    parser.add_argument(
        "--no-dwv",
        action="store_true",
        help="leave out the rows beside dwv (alone: python -m tools.bench_dwv)",
    )
    args = parser.parse_args(argv)
    import base64

    from tools import bench_data, bench_large, bench_slide, bench_volume

    started = time.time()
    print("generating data…", flush=True)
    import pydicom

    test_files = Path(pydicom.__file__).parent / "data" / "test_files"
    encoded = bench_data.encoded_files()
    files = {"CT_small.dcm": (test_files / "CT_small.dcm").read_bytes()}
    files.update({f"{k}.dcm": v for k, v in encoded.items()})
    files["mammo.dcm"] = bench_data.mammogram()
    video_file, video_stream = bench_data.video_clip()
    files["video.dcm"] = video_file
    files["video.ts"] = video_stream
    files["ecg.dcm"] = bench_data.ecg_12_lead()
    series = bench_data.ct_series_files(args.slices)
    scratch = tempfile.TemporaryDirectory()
    root = site_with_extras(files, Path(scratch.name))
    study = bench_data.ct_series_files(1000, 128)
    for folder, members in (("series", series), ("study", study)):
        (root / "__bench" / folder).mkdir()
        for name, data in members:
            (root / "__bench" / folder / name).write_bytes(data)
    server, url = serve_in_thread(root)
    rows: list[dict[str, Any]] = []

    def row(
        name: str,
        ours: list[float],
        base: list[float] | None = None,
        base_name: str = "",
        unit: str = "ms",
    ) -> None:
        rows.append(
            {
                "measure": name,
                "unit": unit,
                "ours": summary(ours),
                "baseline": summary(base) if base else None,
                "baseline_name": base_name,
            }
        )

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium.EXECUTABLE, args=CHROMIUM_ARGS)
        print("start-up…", flush=True)
        bare_cold, bare_warm = start_times(browser, url + "__bare.html", "bare-ready", args.runs)
        boot_steps: list[dict[str, Any]] = []
        app_cold, app_warm = start_times(browser, url, "lightbox-ready", args.runs, boot_steps)
        row("cold start: navigation to ready", app_cold, bare_cold, "bare loadPyodide(), cold")
        row("warm start: navigation to ready", app_warm, bare_warm, "bare loadPyodide(), warm")
        for step in boot_steps[0]:
            row(f"cold start, in the worker: {step}", [s[step] for s in boot_steps])
        print("offline start from the service worker…", flush=True)
        row(
            "offline start from the service worker cache",
            offline_starts(browser, url, args.runs),
            bare_warm,
            "bare loadPyodide(), warm (network)",
        )
        context = browser.new_context()
        page = context.new_page()
        page.goto(url)
        shell = page.evaluate("() => performance.getEntriesByType('navigation')[0].domInteractive")
        page.evaluate("() => window.lightbox.ready")
        row("page shell interactive (domInteractive)", [float(shell)])
        print("open to first image…", flush=True)
        row(
            "open to first image: CT_small.dcm 128x128",
            open_file_times(page, "CT_small.dcm", args.runs),
        )
        row("open to first image: CT 512x512", open_file_times(page, "explicit-le.dcm", args.runs))
        print(f"{len(series)}-slice series…", flush=True)
        names = [n for n, _ in series]
        result = page.evaluate(SERIES_AND_TIME, ["series", names])
        row(f"{len(series)}-slice 512x512 CT: first image", [result["first"]])
        row(f"{len(series)}-slice 512x512 CT: fully indexed", [result["indexed"]])
        memory = page.evaluate(MEMORY)
        raw = len(series) * 512 * 512 * 2
        print("1,000-file study…", flush=True)
        big = page.evaluate(SERIES_AND_TIME, ["study", [n for n, _ in study]])
        row("1,000-file 128x128 study: first image", [big["first"]])
        row("1,000-file 128x128 study: fully indexed", [big["indexed"]])
        rows.append(
            {
                "measure": "1,000-file study: files indexed per second",
                "unit": "files/s",
                "ours": {"median": 1e6 / big["indexed"], "p95": 1e6 / big["indexed"], "n": 1},
                "baseline": None,
                "baseline_name": "",
            }
        )
        memory_study = page.evaluate(MEMORY)
        page.evaluate("() => window.lightbox.closeAll()")
        page.evaluate(SERIES_AND_TIME, ["series", names])
        print("scrolling…", flush=True)
        steps = min(200, len(series))
        cold = page.evaluate(SCROLL, [steps, 0])
        cached = page.evaluate(SCROLL, [steps, 0])
        row(f"scroll to a new slice, cold (first visit), {steps} steps", cold)
        row(f"scroll to a new slice, cached, {steps} steps", cached)
        memory_after_scroll = page.evaluate(MEMORY)
        print("volume…", flush=True)
        volume_heap = bench_volume.volume_rows(page, series, max(args.runs * 4, 20), row)
        print("3D…", flush=True)
        rows.extend(bench3d.rows_3d(page, series, args.runs))
        print("window/level…", flush=True)
        page.evaluate("() => window.lightbox.closeAll()")
        page.evaluate(
            OPEN_AND_TIME.replace("await window.lightbox.closeAll();", ""),
            "__bench/explicit-le.dcm",
        )
        drag = page.evaluate(WINDOW_DRAG, 60)
        native = native_window_ms(encoded["explicit-le"])
        row(
            "window/level render, 512x512 CT (browser round trip vs native render)",
            drag["times"],
            native,
            "same render on native CPython",
        )
        ct_drag = drag_fps(page)
        page.evaluate("() => window.lightbox.closeAll()")
        page.evaluate(
            OPEN_AND_TIME.replace("await window.lightbox.closeAll();", ""), "__bench/mammo.dcm"
        )
        mammo_drag = drag_fps(page)
        for name, result in (("512x512 CT", ct_drag), ("4000x5000 16-bit mammogram", mammo_drag)):
            moves = result["moves"]
            rows.append(
                {
                    "measure": f"window/level mouse drag, {name} ({moves:.0f} pointer moves/s)",
                    "unit": "fps",
                    "ours": {"median": result["fps"], "p95": result["fps"], "n": 1},
                    "baseline": None,
                    "baseline_name": "",
                }
            )
        row(
            "full-resolution mammogram on screen after the drag stops (incl. 200 ms pause)",
            [mammo_drag["settle"]],
        )
        mammo = page.evaluate(WINDOW_DRAG, 10)
        row("full-resolution mammogram window/level, setWindow() round trip", mammo["times"])
        page.evaluate("() => window.lightbox.closeAll()")
        print("video…", flush=True)
        row(
            "open to first video frame: H.264 640x480, 300 frames in MPEG-TS",
            open_file_times(page, "video.dcm", args.runs),
            page.evaluate(BARE_VIDEO_DECODE, ["__bench/video.ts", args.runs]),
            "its first key frame, bare WebCodecs decode",
        )
        print("waveform…", flush=True)
        ecg = "12-lead 10 s ECG at 1000 Hz"
        row(f"open to first plot: {ecg}", open_file_times(page, "ecg.dcm", args.runs))
        page.evaluate(
            OPEN_AND_TIME.replace("await window.lightbox.closeAll();", ""), "__bench/ecg.dcm"
        )
        plots = page.evaluate(WAVEFORM_PLOT, max(args.runs, 30))
        # Beside the image viewer's own interactive step, measured in this run: a new
        # window on a 512x512 CT (one round trip to Python and one canvas draw, as a plot is).
        row(
            f"plot a {ecg}, the whole 10 s (setWaveformView round trip, drawn)",
            plots["times"],
            drag["times"],
            "window/level render round trip, 512x512 CT",
        )
        page.evaluate("() => window.lightbox.closeAll()")
        print("slide…", flush=True)
        bench_slide.slide_rows(page, Path(scratch.name), max(2, args.runs // 2), row)
        print("large file…", flush=True)
        bench_large.large_rows(page, Path(scratch.name), args.runs, row)
        print("large study…", flush=True)
        bench_large.study_rows(page, Path(scratch.name), 2, row)
        print("decoders…", flush=True)
        codecs_url = url + "js/worker/codecs.js"
        worker = page.workers[0]
        for label, codec in (
            ("jpeg-baseline", "libjpeg-turbo"),
            ("jpeg-ls", "charls"),
            ("j2k", "openjpeg"),
            ("htj2k", "openjph"),
            ("rle", None),
            ("explicit-le", None),
        ):
            row(
                f"open + decode + display, {label} 512x512",
                open_file_times(page, f"{label}.dcm", args.runs),
            )
            if codec:
                frame = base64.b64encode(first_frame(encoded[label])).decode()
                runs = max(args.runs, 20)
                alone: list[float] = []
                through: list[float] = []
                for _ in range(3):  # interleaved, so that neither side has the warmer JIT
                    alone += worker.evaluate(JS_DECODE, [codecs_url, codec, frame, runs])
                    through += page.evaluate(DECODE_THROUGH_PYTHON, [f"__bench/{label}.dcm", runs])
                row(
                    f"decode through Python (pydicom + plugin + codec), {label} 512x512",
                    through,
                    alone,
                    f"{codec} decode alone, from JavaScript",
                )
        context.close()
        browser.close()
    server.shutdown()
    scratch.cleanup()
    print(
        f"\nLightbox bench — {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
        f"headless Chromium, {args.runs} runs each unless stated\n"
    )
    print("| measure | median | p95 | baseline | baseline median | ratio |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        ours, base, unit = r["ours"], r["baseline"], r["unit"]
        ratio = f"{ours['median'] / base['median']:.2f}x" if base and base["median"] else ""
        cells = [
            r["measure"],
            f"{ours['median']:.1f} {unit}",
            f"{ours['p95']:.1f} {unit}",
            r["baseline_name"],
            f"{base['median']:.1f} {unit}" if base else "",
            ratio,
        ]
        print("| " + " | ".join(cells) + " |")
    overhead = memory["wasmHeap"] - memory["cacheBytes"] - memory["fileBytes"]
    mib = 2**20
    print(
        f"\nmemory after opening {len(series)} slices: "
        f"wasm heap {memory['wasmHeap'] / mib:.0f} MiB, "
        f"file bytes held {memory['fileBytes'] / mib:.0f} MiB, "
        f"raw pixel bytes {raw / mib:.0f} MiB (heap / raw = {memory['wasmHeap'] / raw:.2f}), "
        f"page JS heap {(memory['jsHeap'] or 0) / mib:.0f} MiB; after scrolling {steps} slices "
        f"the frame cache holds {memory_after_scroll['cacheBytes'] / mib:.0f} MiB; "
        f"heap beyond files and cache: {overhead / mib:.0f} MiB; building the volume grew "
        f"the heap by {volume_heap / mib:.0f} MiB (its int16 size: {raw / mib:.0f} MiB)"
    )
    deid_rows: list[dict[str, Any]] = []
    if args.deid_files:
        from tools import bench_deid

        print(f"\nlightbox deid, {args.deid_files} generated files (the whole command):")
        deid_rows = bench_deid.bench(args.deid_files)
        for entry in deid_rows:
            print(f"  {bench_deid.describe(entry)}")
    OUT.mkdir(exist_ok=True)
    (OUT / "bench.json").write_text(
        json.dumps(
            {
                "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "runs": args.runs,
                "rows": rows,
                "deid": deid_rows,
                "memory": memory,
                "memoryAfterScroll": memory_after_scroll,
                "rawPixelBytes": raw,
                "seconds": time.time() - started,
                "cores": __import__("os").cpu_count(),
                "numpy": np.__version__,
            },
            indent=1,
        )
    )
    print(
        f"memory after opening the 1,000-file study: wasm heap "
        f"{memory_study['wasmHeap'] / mib:.0f} MiB, file bytes held "
        f"{memory_study['fileBytes'] / mib:.0f} MiB, page JS heap "
        f"{(memory_study['jsHeap'] or 0) / mib:.0f} MiB"
    )
    print(f"\nwritten {OUT / 'bench.json'} ({time.time() - started:.0f} s)")
    if not args.no_dwv:
        from tools import bench_dwv

        print("\nbeside dwv and the bare runtime (tools/bench_dwv.py)…", flush=True)
        bench_dwv.main(["--runs", str(args.runs), "--slices", str(args.slices)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
