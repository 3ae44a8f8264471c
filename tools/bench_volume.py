"""The volume figures of ``npm run bench`` (issue 14): building a 512×512×300 CT's
volume, reformatted frames (coronal, sagittal, oblique), a 30 mm MIP slab and a
full-volume MIP, from input to drawn in the page, each beside the same operation in
native CPython + numpy on this machine (the wasm/native ratio), and what the volume
costs the worker's memory.
"""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Page

#: In the page, on the open series: the first view (the volume built, then drawn), then
#: each kind of view at moving positions (or turning normals), every call resolving once
#: the frame is on screen.
VOLUME_TIMES = """async (runs) => {
  const lb = window.lightbox;
  const timed = async (view) => {
    const t0 = performance.now();
    await lb.setView(view);
    return performance.now() - t0;
  };
  const before = await lb.stats();
  const build = await timed({plane: "coronal"});
  const after = await lb.stats();
  const [low, high] = (await lb.state()).view.range;
  const at = (i) => low + (high - low) * (0.3 + (0.4 * i) / runs);
  const times = {coronal: [], sagittal: [], oblique: [], slab: [], full: []};
  for (let i = 0; i < runs; i += 1)
    times.coronal.push(await timed({plane: "coronal", position: at(i)}));
  await timed({plane: "sagittal"});
  for (let i = 0; i < runs; i += 1)
    times.sagittal.push(await timed({plane: "sagittal", position: at(i) / 2}));
  for (let i = 0; i < runs; i += 1)
    times.oblique.push(await timed({plane: "oblique", normal: [0.3, 1, 0.2 + 0.02 * i]}));
  for (let i = 0; i < Math.max(3, runs / 4); i += 1)
    times.slab.push(await timed({plane: "coronal", position: at(i), slab: 30, projection: "mip"}));
  for (let i = 0; i < 3; i += 1)
    times.full.push(await timed({plane: "coronal", slab: 2 * (high - low), projection: "mip"}));
  await lb.setView(null);
  return {build, heapGrowth: after.wasmHeap - before.wasmHeap, ...times};
}"""

OPERATIONS = (
    ("coronal", "reformatted frame, coronal (natural pixels)"),
    ("sagittal", "reformatted frame, sagittal"),
    ("oblique", "reformatted frame, oblique"),
    ("slab", "30 mm MIP slab, coronal"),
    ("full", "full-volume MIP, coronal"),
)


def native_times(files: list[tuple[str, bytes]], runs: int) -> dict[str, Any]:
    """The same operations in native CPython + numpy: lightbox's session on the same
    files (render_view: sampling, window, RGBA; no transfer, no drawing)."""
    from lightbox.session.session import Session

    session = Session()
    session.open(files)
    t0 = time.perf_counter()
    session.volume(0)
    build = (time.perf_counter() - t0) * 1000
    first = session.render_view(0, {"plane": "coronal", "pixels": "natural"})
    low, high = (float(v) for v in first.info["view"]["range"])

    def at(i: int) -> float:
        return low + (high - low) * (0.3 + 0.4 * i / runs)

    def timed(view: dict[str, Any]) -> float:
        start = time.perf_counter()
        session.render_view(0, {**view, "pixels": "natural"})
        return (time.perf_counter() - start) * 1000

    return {
        "build": build,
        "coronal": [timed({"plane": "coronal", "position": at(i)}) for i in range(runs)],
        "sagittal": [timed({"plane": "sagittal", "position": at(i) / 2}) for i in range(runs)],
        "oblique": [
            timed({"plane": "oblique", "normal": [0.3, 1, 0.2 + 0.02 * i]}) for i in range(runs)
        ],
        "slab": [
            timed({"plane": "coronal", "position": at(i), "slab": 30, "projection": "mip"})
            for i in range(max(3, runs // 4))
        ],
        "full": [
            timed({"plane": "coronal", "slab": 2 * (high - low), "projection": "mip"})
            for _ in range(3)
        ],
    }


def volume_rows(page: Page, files: list[tuple[str, bytes]], runs: int, row: Any) -> int:
    """Measure in the page (the series open in it) and natively; add the rows through
    ``row(name, ours, base, base_name)``; return the worker heap's growth (bytes)."""
    ours = page.evaluate(VOLUME_TIMES, runs)
    native = native_times(files, runs)
    count = len(files)
    row(
        f"{count}-slice 512x512 CT: volume built + first coronal view drawn",
        [ours["build"]],
        [native["build"]],
        "volume built, native",
    )
    for key, label in OPERATIONS:
        row(label, ours[key], native[key], "same render_view, native")
    return int(ours["heapGrowth"])
