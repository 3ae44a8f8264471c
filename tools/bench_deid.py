"""`python -m tools.bench_deid`: ``lightbox deid`` files per second, by engine.

Writes ``--files`` generated CT images (64 x 64, in studies of ``--per-study``
files, each study its own patient) and de-identifies them with ``--jobs 1`` (one
process, no Dask), ``--engine processes`` (a pool of processes) and ``--engine
dask`` (a local Dask cluster), each into a fresh folder with one key, timing the
whole command (the cluster's start and stop included) and, apart, its last step
(the DICOMDIR and the reports, written in the calling process after every file). Prints a table and
returns the rows; tools/bench.py calls it for its de-identification rows. Not a
test: nothing here passes or fails on time.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.uid import generate_uid

from lightbox.cli import main as cli
from tools.synth import UID_ROOT, ct_dataset, to_bytes


def write_studies(
    folder: Path, files: int, per_study: int, rows: int = 64, interleaved: bool = False
) -> int:
    """``files`` CT images in studies of ``per_study`` under ``folder``; returns the count.

    A folder per study, or (``interleaved``) a folder per instance number, so that the
    files of the studies alternate in the order the files are walked.
    """
    rng = np.random.default_rng(20)
    written = 0
    study = 0
    while written < files:
        study_uid = generate_uid(UID_ROOT, entropy_srcs=["bench deid", str(study), "study"])
        series_uid = generate_uid(UID_ROOT, entropy_srcs=["bench deid", str(study), "series"])
        for i in range(min(per_study, files - written)):
            hu = rng.integers(-1000, 1000, size=(rows, rows)).astype(np.float64)
            ds = ct_dataset(
                hu,
                series_uid=series_uid,
                study_uid=study_uid,
                instance=i + 1,
                z_mm=float(i),
                patient_name=f"Bench^Patient{study:04d}",
            )
            ds.PatientID = f"BENCH{study:04d}"
            ds.StudyDate, ds.PatientBirthDate = "20240102", "19700304"
            place = (
                (f"i{i:04d}", f"p{study:04d}") if interleaved else (f"p{study:04d}", f"i{i:04d}")
            )
            path = folder / place[0] / f"{place[1]}.dcm"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(to_bytes(ds))
            written += 1
        study += 1
    return written


RUNS: list[tuple[str, list[str]]] = [
    ("single process (--jobs 1)", ["--jobs", "1"]),
    ("process pool (--engine processes)", ["--engine", "processes"]),
    ("local Dask cluster (--engine dask)", ["--engine", "dask"]),
]


def bench(files: int = 2000, per_study: int = 20, jobs: int | None = None) -> list[dict[str, Any]]:
    """Files per second of each engine over the same ``files`` generated files."""
    jobs = jobs or os.cpu_count() or 1
    rows: list[dict[str, Any]] = []
    finishing: list[float] = []
    real_finish = cli._finish

    def timed_finish(*args: Any) -> None:  # the DICOMDIR and reports, after every file
        start = time.perf_counter()
        real_finish(*args)
        finishing.append(time.perf_counter() - start)

    cli._finish = timed_finish  # type: ignore[assignment]
    try:
        return _runs(files, per_study, jobs, rows, finishing)
    finally:
        cli._finish = real_finish


def _runs(
    files: int, per_study: int, jobs: int, rows: list[dict[str, Any]], finishing: list[float]
) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="lightbox-bench-deid-") as tmp:
        root = Path(tmp)
        count = write_studies(root / "in", files, per_study)
        key = root / "key"
        cli.main(["deid", "--new-key", str(key)])
        for index, (name, flags) in enumerate(RUNS):
            extra = flags if "--jobs" in flags else [*flags, "--jobs", str(jobs)]
            out = root / f"out{index}"
            argv = ["deid", str(root / "in"), str(out), "--key", str(key), "--quiet", *extra]
            start = time.perf_counter()
            status = cli.main(argv)
            seconds = time.perf_counter() - start
            finish = finishing.pop()
            rows.append(
                {
                    "engine": name,
                    "files": count,
                    "jobs": 1 if "--jobs" in flags else jobs,
                    "seconds": round(seconds, 2),
                    "filesPerSecond": round(count / seconds, 1),
                    "finishSeconds": round(finish, 2),
                    "filesPerSecondBeforeFinish": round(count / (seconds - finish), 1),
                    "status": status,
                    "loadAverage": round(os.getloadavg()[0], 2),  # others' work on the cores
                }
            )
    return rows


def describe(row: dict[str, Any]) -> str:
    """One row as a line of the table."""
    return (
        f"{row['engine']:<36} {row['files']} files, {row['jobs']} jobs: "
        f"{row['seconds']:.2f} s, {row['filesPerSecond']:.1f} files/s "
        f"({row['filesPerSecondBeforeFinish']:.1f} files/s before the DICOMDIR and reports, "
        f"which took {row['finishSeconds']:.2f} s; load average {row['loadAverage']})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--per-study", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    for row in bench(args.files, args.per_study, args.jobs):
        print(describe(row))


if __name__ == "__main__":
    main()
