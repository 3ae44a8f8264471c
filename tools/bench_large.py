"""The large-file figures of ``npm run bench`` (issue 19 item 3): a 512 × 512 CT of 8,000
frames in one 4.2 GB file (written sparse: its pixel data past the first frame is a hole,
so it costs a few hundred kilobytes of disk), chosen through the file input, to its first
frame drawn; beside it, in the same page and run, the same header with one frame (a
0.5 MB file). The wasm heap's growth and the file bytes the engine holds are reported
with each open (``window.lightbox.stats()``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tools.large import sparse, study

#: The large study's slices: 512x512 CT, 1.5 GB in as many files.
STUDY_SLICES = 3000

FRAMES = 8000

FIRST_FRAME = """async (name) => {
  const lb = window.lightbox;
  for (;;) {
    const s = await lb.state();
    if (s.file === name && s.frame === 0 && s.frames > 0) return performance.now();
    await new Promise((r) => setTimeout(r, 5));
  }
}"""


def _opens(page: Page, path: Path, runs: int) -> tuple[list[float], dict[str, Any]]:
    """The time from choosing ``path`` to its first frame, ``runs`` times; the stats after
    the last open, with the heap's largest growth over an open (the heap never shrinks:
    the first open's, in a fresh page)."""
    times: list[float] = []
    stats: dict[str, Any] = {}
    grown = 0
    for _ in range(runs):
        page.evaluate("() => window.lightbox.closeAll()")
        heap = page.evaluate("() => window.lightbox.stats()")["wasmHeap"]
        t0 = page.evaluate("() => performance.now()")
        page.set_input_files("#open-input", [str(path)])
        times.append(page.evaluate(FIRST_FRAME, path.name) - t0)
        stats = page.evaluate("() => window.lightbox.stats()")
        grown = max(grown, stats["wasmHeap"] - heap)
    stats["heapGrowth"] = grown
    page.evaluate("() => window.lightbox.closeAll()")
    return times, stats


def large_rows(page: Page, folder: Path, runs: int, row: Callable[..., None]) -> dict[str, Any]:
    """Open the 4 GB file and the one-frame file ``runs`` times each; add the row."""
    big = sparse(folder / "big.dcm", FRAMES)
    one = sparse(folder / "one.dcm", 1)
    ours, big_stats = _opens(page, big, runs)
    base, one_stats = _opens(page, one, runs)
    gb = big.stat().st_size / 1e9
    mib = 1024 * 1024
    row(
        f"open a {gb:.1f} GB multi-frame CT ({FRAMES} frames of 512x512) to its first frame "
        f"(heap +{big_stats['heapGrowth'] / mib:.0f} MiB, "
        f"file bytes held {big_stats['fileBytes'] / mib:.1f} MiB)",
        ours,
        base,
        f"the same header with one frame (heap +{one_stats['heapGrowth'] / mib:.0f} MiB)",
    )
    big.unlink()
    one.unlink()
    return {"big": big_stats, "one": one_stats, "opens": ours, "baseline": base}


OPENED = """async (before) => {
  for (;;) {
    if (Number(document.body.dataset.opens || 0) > before) return performance.now();
    await new Promise((r) => setTimeout(r, 20));
  }
}"""


def study_rows(page: Page, folder: Path, runs: int, row: Callable[..., None]) -> dict[str, Any]:
    """Open a 3,000-slice 512x512 CT (1.5 GB in 3,000 files) ``runs`` times: to its first
    image and to all indexed, with the file bytes held and the heap; then its volume's
    build to the first coronal view (once: the volume is kept)."""
    paths = study(folder / "study", STUDY_SLICES)
    firsts: list[float] = []
    indexed: list[float] = []
    stats: dict[str, Any] = {}
    grown = 0
    for _ in range(runs):
        page.evaluate("() => window.lightbox.closeAll()")
        heap = page.evaluate("() => window.lightbox.stats()")["wasmHeap"]
        before = int(page.evaluate("() => Number(document.body.dataset.opens || 0)"))
        t0 = page.evaluate("() => performance.now()")
        page.set_input_files("#open-input", [str(p) for p in paths])
        firsts.append(page.evaluate(FIRST_FRAME, paths[0].name) - t0)
        indexed.append(page.evaluate(OPENED, before) - t0)
        stats = page.evaluate("() => window.lightbox.stats()")
        grown = max(grown, stats["wasmHeap"] - heap)
    t0 = page.evaluate("() => performance.now()")
    page.evaluate("() => window.lightbox.setView({plane: 'coronal'})")
    built = [page.evaluate("() => performance.now()") - t0]
    volume = page.evaluate("() => window.lightbox.stats()")
    mib = 1024 * 1024
    name = f"a {STUDY_SLICES}-slice 512x512 CT (1.5 GB in {STUDY_SLICES} files)"
    row(
        f"open {name}: all indexed (file bytes held {stats['fileBytes'] / mib:.0f} MiB, "
        f"heap +{grown / mib:.0f} MiB)",
        indexed,
        firsts,
        "its first image shown",
    )
    row(
        f"{name}: volume built + first coronal view (volume {volume['volumeBytes'] / mib:.0f} "
        f"MiB, slices averaged in twos; heap {volume['wasmHeap'] / mib:.0f} MiB)",
        built,
    )
    page.evaluate("() => window.lightbox.closeAll()")
    for p in paths:
        p.unlink()
    return {"indexed": indexed, "first": firsts, "stats": stats, "volume": volume}


def main() -> None:  # pragma: no cover - a quick run on its own: python -m tools.bench_large
    from tools.bench import summary
    from tools.chromium import bench_page

    def row(
        name: str, ours: list[float], base: list[float] | None = None, base_name: str = ""
    ) -> None:
        print(name, summary(ours), "|", base_name, summary(base) if base else "")

    with bench_page() as (page, scratch):
        large_rows(page, scratch, 5, row)
        study_rows(page, scratch, 2, row)


if __name__ == "__main__":  # pragma: no cover
    main()
