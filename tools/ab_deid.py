"""`python -m tools.ab_deid`: ``lightbox deid`` commands compared A/B, by CPU and wall time.

Each variant (``NAME=FLAGS``, e.g. ``pool='--engine processes'``, with ``--pythonpath NAME=DIR``
to run another copy of ``py/`` for a variant) is run as a fresh ``python`` process over the
same ``--files`` generated files (tools/bench_deid.py), in turns (the order rotated and
reversed each round, so that others' load on a shared machine falls on every variant), and
each run's wall time and CPU summed over the whole process tree are printed, then the
medians. The CPU is the tree's: this process is the children's subreaper (Linux
``PR_SET_CHILD_SUBREAPER``), so that a forkserver and the workers it forked, orphaned when
the command exits, are reaped here and counted. Not a test: nothing passes or fails on time.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.bench_deid import write_studies

PR_SET_CHILD_SUBREAPER = 36
#: The ``lightbox`` script as installed beside this Python (the command as users run it: a
#: forkserver's workers import it as their ``__main__``).
SCRIPT = Path(sys.executable).with_name("lightbox")


def subreaper() -> None:
    """Make this process the reaper of its orphaned descendants (Linux)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def reap() -> None:
    """Wait for every descendant left (a forkserver, its workers)."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def run(argv: list[str], pythonpath: str | None) -> tuple[float, float]:
    """One command: its wall time (start to exit) and the CPU of its process tree."""
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, str(SCRIPT), *argv], env=env, check=True)
    wall = time.perf_counter() - start
    reap()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="+", metavar="NAME=FLAGS")
    parser.add_argument("--pythonpath", action="append", default=[], metavar="NAME=DIR")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--per-study", type=int, default=20)
    args = parser.parse_args()
    variants = dict(v.split("=", 1) for v in args.variants)
    paths = dict(p.split("=", 1) for p in args.pythonpath)
    subreaper()
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory(prefix="lightbox-ab-deid-") as tmp:
        root = Path(tmp)
        write_studies(root / "in", args.files, args.per_study)
        key = root / "key"
        subprocess.run(
            [sys.executable, str(SCRIPT), "deid", "--new-key", str(key)],
            check=True,
            capture_output=True,
        )
        names = list(variants)
        for turn in range(args.rounds):
            order = names[turn % len(names) :] + names[: turn % len(names)]
            for name in reversed(order) if turn % 2 else order:
                out = root / "out"
                shutil.rmtree(out, ignore_errors=True)
                argv = ["deid", str(root / "in"), str(out), "--key", str(key), "-q"]
                wall, cpu = run([*argv, *shlex.split(variants[name])], paths.get(name))
                results[name].append((wall, cpu))
                load = os.getloadavg()[0]
                print(f"{turn} {name:<24} wall {wall:6.2f} s  cpu {cpu:6.2f} s  load {load:.2f}")
    for name, rows in results.items():
        wall = statistics.median(r[0] for r in rows)
        cpu = statistics.median(r[1] for r in rows)
        print(f"median {name:<24} wall {wall:6.2f} s  cpu {cpu:6.2f} s")


if __name__ == "__main__":
    main()
