"""``lightbox script FILE.py STUDY_DIR``: a console script run on a folder, natively.

The same ``study`` API as the browser's console (:mod:`lightbox.console`): what the script
prints goes to standard output, its traceback to standard error (exit status 1), and what
it saves or shows is written to ``--output`` (``show-N.png`` for each image shown).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lightbox.cli.usage import UsageError
from lightbox.console.script import open_folder, run_script, write_effects


def add_script_command(commands: Any) -> None:
    """The ``script`` subcommand, on the parser's subcommands."""
    script = commands.add_parser(
        "script",
        help="run a console script (the browser's `study` API) on a folder of DICOM files",
        description="Runs FILE.py with `study`, `show`, `save`, `np` and `pydicom` as the "
        "browser's Python console has them, on the files under STUDY_DIR.",
    )
    script.add_argument("file", type=Path, metavar="FILE.py")
    script.add_argument("study", type=Path, metavar="STUDY_DIR")
    script.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="where saved files and shown images are written (default: here)",
    )
    script.set_defaults(run=run_script_command)


def run_script_command(args: argparse.Namespace) -> int:
    """Run the script; 0 when it ran to its end, 1 when it raised."""
    if not args.file.is_file():
        raise UsageError(f"{args.file}: no such script")
    if not args.study.exists():
        raise UsageError(f"{args.study}: no such folder or file")
    code = args.file.read_text(encoding="utf-8")
    session = open_folder(args.study)
    for skipped in session.skipped:
        print(f"lightbox: not opened: {skipped.name}: {skipped.reason}", file=sys.stderr)
    result = run_script(code, session, filename=str(args.file))
    sys.stdout.write(result.output)
    for path in write_effects(result.effects, args.output):
        print(f"lightbox: wrote {path}", file=sys.stderr)
    if result.error:
        sys.stderr.write(result.error)
        return 1
    return 0
