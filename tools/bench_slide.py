"""The slide figures of ``npm run bench`` (issue 15 item 2): a generated 50,000 × 40,000
pixel, 8-level pyramid of 256 × 256 JPEG tiles, its finest level a 2 GB file.

- opening the pyramid's 8 files (the finest 2 GB) to the first view drawn: headers and
  tile offsets only, each file handed to the worker as a File and read by range;
- panning and zooming: the time each frame of the slide view takes to draw (what is
  cached, at display rate) while a requestAnimationFrame loop zooms from the whole slide
  to one pixel per CSS pixel and pans across it;
- tiles arriving: from a tile's being uncovered to its being drawn.

Tiles are a few distinct JPEG codestreams used again (the bytes are real JPEG; which tile
shows which picture does not matter to the timing); the finest level's are noise at
quality 95, about 65 KB each, to make its file 2 GB.
"""

from __future__ import annotations

import io
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from playwright.sync_api import Page
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filewriter import dcmwrite
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, UID, JPEGBaseline8Bit, generate_uid

WIDTH, HEIGHT, LEVELS, TILE = 50_000, 40_000, 8, 256
SPACING_UM = 0.25
WSM = UID("1.2.840.10008.5.1.4.1.1.77.1.6")


def _tiles(noise: bool, count: int = 12) -> list[bytes]:
    rng = np.random.default_rng(7)
    out = []
    for k in range(count):
        if noise:
            arr = rng.integers(0, 256, (TILE, TILE, 3), dtype=np.uint8)
        else:
            y, x = np.mgrid[0:TILE, 0:TILE]
            arr = np.zeros((TILE, TILE, 3), dtype=np.uint8)
            arr[..., 0] = (x + 20 * k) % 256
            arr[..., 1] = (y * 2 + 40 * k) % 256
            arr[..., 2] = ((x // 32 + y // 32) % 2) * 200
        buffer = io.BytesIO()
        Image.fromarray(arr).save(buffer, format="JPEG", quality=95 if noise else 85)
        out.append(buffer.getvalue())
    return out


def _header(level: int, width: int, height: int, frames: int, uids: dict[str, str]) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = WSM
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.SOPClassUID = WSM
    ds.Modality = "SM"
    ds.ImageType = ["ORIGINAL" if level == 0 else "DERIVED", "PRIMARY", "VOLUME", "NONE"]
    ds.PatientName = "Bench^Slide"
    ds.PatientID = "BENCH-SLIDE"
    ds.StudyInstanceUID = uids["study"]
    ds.SeriesInstanceUID = uids["series"]
    ds.FrameOfReferenceUID = uids["for"]
    ds.ContainerIdentifier = "BENCH-1"
    ds.InstanceNumber = level + 1
    ds.SeriesDescription = "bench pyramid 50000x40000"
    ds.Rows = ds.Columns = TILE
    ds.TotalPixelMatrixColumns = width
    ds.TotalPixelMatrixRows = height
    ds.NumberOfFrames = frames
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "YBR_FULL_422"
    ds.PlanarConfiguration = 0
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.DimensionOrganizationType = "TILED_FULL"
    ds.TotalPixelMatrixFocalPlanes = 1
    ds.NumberOfOpticalPaths = 1
    path = Dataset()
    path.OpticalPathIdentifier = "1"
    ds.OpticalPathSequence = DicomSequence([path])
    measures = Dataset()
    measures.PixelSpacing = [SPACING_UM * 2**level / 1000] * 2
    shared = Dataset()
    shared.PixelMeasuresSequence = DicomSequence([measures])
    ds.SharedFunctionalGroupsSequence = DicomSequence([shared])
    return ds


def write_pyramid(folder: Path) -> list[Path]:
    """The 8 level files, finest first (its file about 2 GB)."""
    uids = {"study": str(generate_uid()), "series": str(generate_uid()), "for": str(generate_uid())}
    noise, plain = _tiles(True), _tiles(False)
    paths = []
    for level in range(LEVELS):
        width, height = -(-WIDTH // 2**level), -(-HEIGHT // 2**level)
        frames = -(-width // TILE) * -(-height // TILE)
        chosen = noise if level == 0 else plain
        chosen = [t + b"\x00" * (len(t) % 2) for t in chosen]
        path = folder / f"bench-slide-level{level}.dcm"
        header = io.BytesIO()
        dcmwrite(header, _header(level, width, height, frames, uids), enforce_file_format=True)
        offsets = np.zeros(frames, dtype="<u4")
        sizes = np.array([len(chosen[k % len(chosen)]) + 8 for k in range(frames)], dtype=np.int64)
        offsets[1:] = np.cumsum(sizes)[:-1]
        with path.open("wb") as out:
            out.write(header.getvalue())
            out.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, 0xFFFFFFFF))
            out.write(struct.pack("<HHI", 0xFFFE, 0xE000, 4 * frames) + offsets.tobytes())
            for k in range(frames):
                tile = chosen[k % len(chosen)]
                out.write(struct.pack("<HHI", 0xFFFE, 0xE000, len(tile)) + tile)
            out.write(struct.pack("<HHI", 0xFFFE, 0xE0DD, 0))
        paths.append(path)
    return paths


WAIT_FOR_SLIDE = """async () => {
  for (;;) {
    const found = (await window.lightbox.catalog()).series.findIndex((s) => s.kind === "slide");
    if (found >= 0) return found;
    await new Promise((r) => setTimeout(r, 5));
  }
}"""

OPEN_TO_FIRST_VIEW = """async () => {
  const lb = window.lightbox;
  for (;;) {
    const s = await lb.state();
    if (s.slide && s.slide.pending === 0) return performance.now();
    await new Promise((r) => setTimeout(r, 5));
  }
}"""

PAN_ZOOM = """async (seconds) => {
  const lb = window.lightbox;
  const s0 = (await lb.state()).slide;
  const before = lb.slideStats();
  const skip = [before.drawTimes.length, before.arrivals.length];
  const intervals = [];
  const start = performance.now();
  let last = start;
  const fit = s0.zoom;
  const finest = s0.levelSpacing ? 0.25 : 0.25;
  await new Promise((resolve) => {
    const step = (now) => {
      intervals.push(now - last);
      last = now;
      const t = (now - start) / 1000 / seconds;
      if (t >= 1) return resolve();
      const zoom = t < 0.5 ? fit * Math.pow(finest / fit, t * 2) : finest;
      const pan = t < 0.5 ? 0 : (t - 0.5) * 2;
      const center = [s0.center[0] + pan * 3000, s0.center[1] + pan * 1500];
      lb.setSlideView({zoom, center}).catch(() => {});
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  });
  await lb.setSlideView({}).catch(() => {});
  const after = lb.slideStats();
  return {
    draws: after.drawTimes.slice(skip[0]),
    arrivals: after.arrivals.slice(skip[1]),
    intervals: intervals.slice(1),
    decoded: after.decodedTiles - before.decodedTiles,
    decoders: after.decoders,
    decodeTimes: after.decodeTimes.slice(before.decodeTimes.length),
  };
}"""


def slide_rows(page: Page, folder: Path, runs: int, row: Callable[..., None]) -> dict[str, Any]:
    """Open the pyramid ``runs`` times and pan/zoom over it; add the rows; the figures."""
    paths = write_pyramid(folder)
    size = paths[0].stat().st_size
    opens = []
    for _ in range(runs):
        page.evaluate("() => window.lightbox.closeAll()")
        t0 = page.evaluate("() => performance.now()")
        page.set_input_files("#open-input", [str(p) for p in paths])
        index = page.evaluate(WAIT_FOR_SLIDE)
        page.evaluate(f"() => window.lightbox.select({index})")
        opens.append(page.evaluate(OPEN_TO_FIRST_VIEW) - t0)
    gb = size / 1e9
    row(
        f"open a slide to first view: 8-level 50000x40000 JPEG pyramid, finest file {gb:.1f} GB",
        opens,
    )
    result = page.evaluate(PAN_ZOOM, 4)
    row("slide pan/zoom: draw time of a frame (requestAnimationFrame loop, 4 s)", result["draws"])
    row("slide pan/zoom: interval between animation frames", result["intervals"])
    by = result["decoders"]
    row(
        f"slide tiles: uncovered to drawn ({result['decoded']} tiles decoded, "
        f"{by['browser']} by the browser, {by['engine']} by Python)",
        result["arrivals"] or [0.0],
    )
    row("slide tiles: a tile read and decoded by the browser", result["decodeTimes"] or [0.0])
    page.evaluate("() => window.lightbox.closeAll()")
    for path in paths:
        path.unlink()
    return {"size": size, "opens": opens, **result}


def main() -> None:  # pragma: no cover - a quick run on its own: python -m tools.bench_slide
    from tools.bench import summary
    from tools.chromium import bench_page

    rows: list[dict[str, Any]] = []

    def row(name: str, ours: list[float], *_: Any, **__: Any) -> None:
        rows.append({"measure": name, "ours": summary(ours)})

    with bench_page() as (page, scratch):
        started = time.time()
        slide_rows(page, scratch, 3, row)
    for r in rows:
        print(r["measure"], {k: round(v, 2) for k, v in r["ours"].items()})
    print(f"{time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
