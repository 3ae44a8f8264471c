"""The 3D view's figures for `npm run bench` (issue 14 item 4), beside a native baseline.

On the page: the time from setView({mode: "3d"}) to the first rendering (the volume built,
reduced in Python, sent, uploaded), then frames per second while rotating: by a real mouse
drag (what a user sees: previews at half resolution with one-voxel steps, the full frame
once the drag pauses) and by setView() round trips (every frame full resolution, half-voxel
steps). Headless Chromium here has no GPU: WebGL2 runs in software (SwiftShader).

The baseline is the same rays in native numpy on the same machine: a MIP of the same
reduced volume (Session.volume_data in CPython), the same image plane (the page's
``state().reslice``), the same ray length and step, trilinear samples
(scipy.ndimage.map_coordinates, order 1), the largest kept: the per-frame cost of casting
these rays on the CPU without the GPU pipeline, vectorised. It samples the whole ray,
where the shader stops at the volume's box, so it is an upper bound of the CPU's work.
Run alone: ``python -m tools.bench3d`` (builds nothing: serves build/ as it is).
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from playwright.sync_api import Page

ENTER_3D = """async (view) => {
  const t0 = performance.now();
  await window.lightbox.setView(view);
  await window.lightbox.renderedFrame();
  return performance.now() - t0;
}"""

ROTATE_BY_API = """async (count) => {
  const times = [];
  for (let i = 1; i <= count; i += 1) {
    const t0 = performance.now();
    await window.lightbox.setView({mode: "3d", azimuth: 30 + 5 * i, elevation: 20});
    await window.lightbox.renderedFrame();
    times.push(performance.now() - t0);
  }
  return times;
}"""


ROTATE_BY_POINTER = """async (seconds) => {
  // A left-button drag across the active viewport as a mouse sends it: a pointer move
  // every 16 ms (60 Hz), dispatched on the pane (the events queue while a frame renders,
  // as real ones do), for `seconds`; frames drawn are counted as the user sees them.
  const root = document.querySelector('[data-pane="0"]');
  const box = root.getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + box.height / 2;
  const event = (type, dx, dy, buttons) => root.dispatchEvent(new PointerEvent(type, {
    bubbles: true, cancelable: true, pointerId: 7, pointerType: "mouse", isPrimary: true,
    button: 0, buttons, clientX: x + dx, clientY: y + dy}));
  event("pointerdown", 0, 0, 1);
  const before = window.lightbox.framesDrawn();
  const t0 = performance.now();
  let moves = 0;
  await new Promise((done) => {
    const tick = () => {
      moves += 1;
      event("pointermove", (moves * 3) % 400 - 200, Math.sin(moves / 20) * 60, 1);
      if (performance.now() - t0 < seconds * 1000) setTimeout(tick, 16); else done();
    };
    tick();
  });
  const elapsed = (performance.now() - t0) / 1000;
  const drawn = window.lightbox.framesDrawn() - before;
  event("pointerup", 0, 0, 0);
  await window.lightbox.state();
  return {fps: drawn / elapsed, moves: moves / elapsed};
}"""


def native_mip_ms(
    files: list[tuple[str, bytes]], reslice: dict[str, Any], runs: int
) -> list[float]:
    """Milliseconds per MIP frame of the same rays in native numpy (see the module doc)."""
    from scipy import ndimage  # type: ignore[import-untyped]

    from lightbox.session.session import Session

    session = Session()
    session.open(files)
    info, data = session.volume_data(0)
    axes, spacing = info["axes"], info["spacing"]
    grid = np.column_stack([np.asarray(a) * s for a, s in zip(axes, spacing, strict=True)])
    inverse = np.linalg.inv(grid)
    dims = np.asarray(info["dims"], dtype=np.float64)
    corners = [np.asarray(c, dtype=np.float64) - 0.5 for c in np.ndindex(2, 2, 2)]
    radius = max(float(np.linalg.norm(grid @ (c * dims) - grid @ (dims / 2))) for c in corners)
    step = min(info["spacing"]) / 2
    samples = math.ceil(2 * radius / step)
    right = np.asarray(reslice["rowDirection"]) * reslice["columnSpacing"]
    down = np.asarray(reslice["columnDirection"]) * reslice["rowSpacing"]
    direction = np.cross(reslice["rowDirection"], reslice["columnDirection"])
    rows, columns = reslice["rows"], reslice["columns"]
    volume = data.astype(np.float32)
    offsets = (np.arange(samples) + 0.5) * step - radius
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        image = np.empty((rows, columns), dtype=np.float32)
        c = np.arange(columns)
        for r in range(rows):
            start = np.asarray(reslice["origin"]) + r * down + c[:, None] * right
            points = start[:, None, :] + offsets[None, :, None] * direction
            index = (points - np.asarray(info["origin"])) @ inverse.T  # (x, y, z)
            values = ndimage.map_coordinates(
                volume,
                [index[..., 2].ravel(), index[..., 1].ravel(), index[..., 0].ravel()],
                order=1,
                mode="constant",
                cval=float(info["range"][0]),
            )
            image[r] = values.reshape(columns, samples).max(axis=1)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def rows_3d(page: Page, files: list[tuple[str, bytes]], runs: int) -> list[dict[str, Any]]:
    """The 3D rows, with the series already open and shown in the page's active viewport."""
    count = len(files)
    rows: list[dict[str, Any]] = []

    def row(name: str, ours: dict[str, float], base: dict[str, float] | None = None) -> None:
        unit = "ms" if name.startswith("3D: setView") else "fps"
        rows.append(
            {
                "measure": name,
                "unit": unit,
                "ours": ours,
                "baseline": base,
                "baseline_name": "same rays, MIP in native numpy (scipy trilinear)" if base else "",
            }
        )

    first = page.evaluate(
        ENTER_3D, {"mode": "3d", "preset": "bone", "azimuth": 30, "elevation": 20}
    )
    row(f"3D: setView to the first rendering, {count}-slice 512x512 CT", one(first))
    for preset in ("bone", "mip"):
        page.evaluate(f"() => window.lightbox.setView({{mode: '3d', preset: '{preset}'}})")
        drag = page.evaluate(ROTATE_BY_POINTER, 4)
        moves = f"{drag['moves']:.0f} pointer moves/s"
        row(f"3D {preset}, rotating by a drag ({moves}; previews while it runs)", one(drag["fps"]))
    reslice = page.evaluate("() => window.lightbox.state()")["reslice"]
    size = f"{reslice['columns']}x{reslice['rows']}"
    for preset in ("bone", "mip"):
        page.evaluate(f"() => window.lightbox.setView({{mode: '3d', preset: '{preset}'}})")
        times = page.evaluate(ROTATE_BY_API, 10)
        base = as_fps(native_mip_ms(files, reslice, 1)) if preset == "mip" else None
        row(f"3D {preset}, rotating by setView, every frame full ({size})", as_fps(times), base)
    page.evaluate("() => window.lightbox.setView(null)")
    del runs  # each figure is timed over its own frames
    return rows


def as_fps(times: list[float]) -> dict[str, float]:
    """Frame times (ms) as frames per second: the median's, and the p95 time's."""
    figures = stats(times)
    return {"median": 1000 / figures["median"], "p95": 1000 / figures["p95"], "n": len(times)}


def one(value: float) -> dict[str, float]:
    return {"median": value, "p95": value, "n": 1}


def stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": float(np.median(ordered)), "p95": p95, "n": len(ordered)}


def main() -> int:
    from playwright.sync_api import sync_playwright

    from tools import bench_data, chromium
    from tools.bench import SERIES_AND_TIME, site_with_extras
    from tools.serve import serve_in_thread

    series = bench_data.ct_series_files(300)
    scratch = tempfile.TemporaryDirectory()
    root = site_with_extras({}, Path(scratch.name))
    (root / "__bench" / "series").mkdir()
    for name, data in series:
        (root / "__bench" / "series" / name).write_bytes(data)
    server, url = serve_in_thread(root)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium.EXECUTABLE, args=chromium.ARGS)
        context = browser.new_context(viewport={"width": 1100, "height": 720})
        page = context.new_page()
        page.goto(url)
        page.evaluate("() => window.lightbox.ready")
        page.evaluate(SERIES_AND_TIME, ["series", [n for n, _ in series]])
        rows = rows_3d(page, series, 2)
        browser.close()
    server.shutdown()
    scratch.cleanup()
    for r in rows:
        base, ours, unit = r["baseline"], r["ours"], r["unit"]
        text = f"{r['measure']}: {ours['median']:.1f} {unit} (p95 {ours['p95']:.1f})"
        if base:
            ratio = ours["median"] / base["median"]
            text += f"; {r['baseline_name']}: {base['median']:.2f} {unit} (ratio {ratio:.0f}x)"
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
