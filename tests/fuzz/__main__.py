"""``npm run fuzz -- --count N --seconds S [--seed K] [--out DIR]``: a campaign."""

from __future__ import annotations

import argparse
import collections
import time
from pathlib import Path

from tests.fuzz.harness import campaign


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="npm run fuzz --", description=__doc__)
    parser.add_argument("--count", type=int, default=None, help="inputs to run (default: no limit)")
    parser.add_argument("--seconds", type=float, default=None, help="stop after this long")
    parser.add_argument("--seed", type=int, default=int(time.time()), help="random seed")
    parser.add_argument("--out", type=Path, default=Path("fuzz-failures"), help="failing inputs")
    args = parser.parse_args(argv)
    if args.count is None and args.seconds is None:
        args.seconds = 60.0
    started = time.monotonic()
    run, failures = campaign(args.seed, args.count, args.seconds, args.out)
    took = time.monotonic() - started
    print(f"fuzz: seed {args.seed}, {run} inputs in {took:.0f} s, {len(failures)} failures")
    by_reason = collections.Counter(f.reason.split(":")[0] for f in failures)
    for reason, n in by_reason.most_common():
        print(f"  {n:5d}  {reason}")
    for failure in failures[:20]:
        print(f"  {failure.name}: {failure.reason}")
    if failures:
        print(f"failing inputs written to {args.out}/ (each with a .txt of its reason)")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
