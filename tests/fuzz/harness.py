"""Run inputs through the native session and check the contract of issue 19 item 1.

Each input is opened beside a known good file. It must end as a series whose frames
render or fail with a Lightbox error naming the file and the reason, a listed
document, or a skipped entry with a reason; the good file must still render; nothing
may raise anything else (a MemoryError or a RecursionError included). The inputs are
seeded from pydicom's test files, generated cases and ../shared/corpus/, and mutated by
:mod:`tests.fuzz.mutations`.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom

from lightbox.core.errors import LightboxError
from lightbox.session.inspector import Inspector
from lightbox.session.session import Session
from tests.fuzz.mutations import MUTATIONS, splice
from tests.support.paths import CORPUS
from tools import synth

#: Seeds larger than this are left out (the sample must stay quick).
SEED_BYTES = 400_000
#: Frames rendered per series: the first, the middle and the last.
FRAMES_PER_SERIES = 3
#: One input taking longer than this (seconds) is reported in a campaign.
SLOW_S = 10.0


@dataclass(frozen=True)
class Seed:
    name: str
    data: bytes


@dataclass(frozen=True)
class Failure:
    name: str
    mutation: str
    reason: str
    data: bytes


def seeds() -> list[Seed]:
    """Small files to mutate: pydicom's test files, the corpus' and generated ones."""
    found: list[Seed] = []
    test_files = Path(pydicom.__file__).parent / "data" / "test_files"
    folders = [test_files, CORPUS] if CORPUS.is_dir() else [test_files]
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.suffix in (".tsv", ".md", ".txt", ".json", ".py"):
                continue
            size = path.stat().st_size
            if 132 < size <= SEED_BYTES:
                found.append(Seed(str(path.relative_to(folder)), path.read_bytes()))
    found.append(Seed("generated-ct.dcm", synth.to_bytes(synth.ct_dataset(
        np.full((32, 32), 40.0), series_uid="1.2.3.4", study_uid="1.2.3", instance=1,
        z_mm=0.0, spacing=1.0, description="seed",
    ))))  # fmt: skip
    return found


def neighbour() -> tuple[str, bytes]:
    """The good file opened beside every input: it must still render."""
    ds = synth.ct_dataset(
        np.arange(16 * 16, dtype=np.float64).reshape(16, 16),
        series_uid="1.2.826.0.1.3680043.10.543.999",
        study_uid="1.2.826.0.1.3680043.10.543.998",
        instance=1,
        z_mm=0.0,
        spacing=1.0,
        description="neighbour",
    )
    return "good-neighbour.dcm", synth.to_bytes(ds)


def inputs(seed: int, count: int | None = None) -> Iterator[tuple[str, str, bytes]]:
    """(name, mutation, bytes), reproducibly from ``seed``: every seed in turn, each
    with a mutation chosen at random (a splice of two seeds among them)."""
    rng = np.random.default_rng(seed)
    pool = seeds()
    names = [*MUTATIONS, "splice"]
    k = 0
    while count is None or k < count:
        source = pool[k % len(pool)]
        mutation = names[int(rng.integers(0, len(names)))]
        if mutation == "splice":
            other = pool[int(rng.integers(0, len(pool)))]
            data = splice(rng, source.data, other.data)
        else:
            data = MUTATIONS[mutation](rng, source.data)
        digest = hashlib.sha1(data).hexdigest()[:10]
        yield f"{Path(source.name).name}.{mutation}.{digest}.dcm", mutation, data
        k += 1


def _accounted(name: str, catalog: dict) -> bool:
    stem = name.rsplit("/", maxsplit=1)[-1]
    names = [f for s in catalog["series"] for f in s.get("files", [])]
    names += [d["name"] for d in catalog.get("documents", [])]
    names += [s["name"] for s in catalog.get("skipped", [])]
    names += [d["path"] for d in (catalog.get("report") or {}).get("dicomdirs", [])]
    return any(n == name or n.startswith(f"{name}/") or n.endswith(stem) for n in names)


def check(name: str, data: bytes, good: tuple[str, bytes]) -> str | None:
    """The contract for one input; None when it holds, else the one-line reason."""
    session = Session()
    inspector = Inspector(session)
    step = "open"
    try:
        session.open([(name, data), good])
        step = "catalog"
        catalog = session.catalog()
        if not _accounted(name, catalog):
            return f"{name} is in no series, document or skipped entry"
        good_series = [i for i, s in enumerate(catalog["series"]) if good[0] in s["files"]]
        if not good_series:
            return "the good file beside it did not open"
        for index, series in enumerate(catalog["series"]):
            frames = series["frames"]
            for frame in sorted({0, frames // 2, frames - 1})[:FRAMES_PER_SERIES]:
                step = f"render {index}/{frame}"
                try:
                    session.render(index, frame)
                except LightboxError as error:
                    if index in good_series:
                        return f"the good file failed: {error}"
                    if not str(error).strip():
                        return f"{type(error).__name__} without a reason"
                step = f"header {index}/{frame}"
                inspector.header(index, frame)
            step = f"thumbnail {index}"
            with contextlib.suppress(LightboxError):
                session.thumbnail(index)
            if series["kind"] == "slide":  # issue 15: the first and last tile of each level
                step = f"slide {index}"
                levels = session.slide(index)["level"]
                for level, found in enumerate(levels):
                    for tile in sorted({0, found["frames"] - 1}):
                        step = f"slide tile {index}/{level}/{tile}"
                        with contextlib.suppress(LightboxError):
                            session.slide_tile(index, level, tile)
            step = f"volume {index}"
            with contextlib.suppress(LightboxError):
                session.volume_info(index)
        for index in range(len(catalog.get("documents", []))):
            step = f"document {index}"
            with contextlib.suppress(LightboxError):
                session.document(index)
    except LightboxError as error:
        return f"{step}: {type(error).__name__} escaped: {error}"
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt):
            raise
        where = traceback.extract_tb(error.__traceback__)[-1]
        return (
            f"{step}: {type(error).__name__}: {str(error)[:160]} "
            f"({Path(where.filename).name}:{where.lineno})"
        )
    return None


def campaign(
    seed: int, count: int | None, seconds: float | None, out: Path | None
) -> tuple[int, list[Failure]]:
    """Run inputs until ``count`` or ``seconds``; write each failing input to ``out``
    (with ``<name>.txt``: its one-line reason). Returns (inputs run, failures)."""
    good = neighbour()
    failures: list[Failure] = []
    started = time.monotonic()
    run = 0
    for name, mutation, data in inputs(seed, count):
        if seconds is not None and time.monotonic() - started > seconds:
            break
        t0 = time.monotonic()
        reason = check(name, data, good)
        elapsed = time.monotonic() - t0
        if reason is None and elapsed > SLOW_S:
            reason = f"took {elapsed:.1f} s (over {SLOW_S:.0f} s)"
        run += 1
        if reason is not None:
            failures.append(Failure(name, mutation, reason, data))
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                (out / name).write_bytes(data)
                (out / f"{name}.txt").write_text(reason + "\n")
    return run, failures
