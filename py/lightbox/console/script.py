"""Running a script against a study: ``lightbox script FILE.py STUDY_DIR``.

The script runs as console input does in the browser (one block, the value of a last
expression printed), with the same globals (:func:`lightbox.console.study.namespace`);
what it prints is its output, what it shows or saves goes to the output folder.
"""

from __future__ import annotations

import ast
import contextlib
import io
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lightbox.console.encode import png
from lightbox.console.host import Host, Saved, Shown
from lightbox.console.study import Study, namespace
from lightbox.session.session import Session


@dataclass(frozen=True)
class Result:
    """What a run printed (``output``), its traceback (``error``, "" when none), and the
    effects (images shown, files saved) in order."""

    output: str
    error: str
    effects: tuple[Shown | Saved, ...]


def open_folder(folder: Path) -> Session:
    """A session of every file under ``folder`` (or of one file), by relative path."""
    paths = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else [folder]
    session = Session()
    items: Iterable[tuple[str, bytes]] = (
        (str(p.relative_to(folder)) if folder.is_dir() else p.name, p.read_bytes()) for p in paths
    )
    session.open(items)
    return session


def run(code: str, globals_: dict[str, Any], filename: str = "<script>") -> tuple[str, str]:
    """Run ``code`` in ``globals_``: (what it printed, the traceback or "").

    As the console does: the block runs as a module, and the value of a last bare
    expression (not ending in ``;``) is printed as its ``repr`` unless it is None.
    """
    out = io.StringIO()
    error = ""
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            tree = ast.parse(code, filename, "exec")
            last = None
            quiet = code.rstrip().endswith(";")
            final = tree.body[-1] if tree.body else None
            if isinstance(final, ast.Expr) and not quiet:
                tree.body.pop()
                last = ast.Expression(final.value)
            exec(compile(tree, filename, "exec"), globals_)
            if last is not None:
                value = eval(compile(last, filename, "eval"), globals_)
                if value is not None:
                    print(repr(value))
        except Exception as exc:
            error = "".join(traceback.format_exception(exc)[1:]) or repr(exc)
            error = "Traceback (most recent call last):\n" + error
    return out.getvalue(), error


def run_script(code: str, session: Session, filename: str = "<script>") -> Result:
    """Run a script on ``session``'s study with a fresh host (view at series 0, frame 0)."""
    host = Host()
    study = Study(lambda: session, host)
    output, error = run(code, namespace(study), filename)
    return Result(output=output, error=error, effects=tuple(host.take()))


def write_effects(effects: Iterable[Shown | Saved], folder: Path) -> list[Path]:
    """Write each saved file under its name and each shown image as ``show-N.png``."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    shown = 0
    for effect in effects:
        if isinstance(effect, Saved):
            path = folder / effect.name
            path.write_bytes(effect.data)
        else:
            shown += 1
            path = folder / f"show-{shown}.png"
            path.write_bytes(png(effect.rgba))
        written.append(path)
    return written
