"""The console of the console's engine (issue 21): Pyodide's ``Console`` over the ``study``
namespace, one run at a time, its output, traceback and effects as plain values.

``Console``, not its subclass ``PyodideConsole``: that one only adds loading packages
from Pyodide's package index for the imports it sees, and Lightbox ships no index (numpy
and pydicom are installed from the site pack; nothing is fetched at run time).

The second module that knows Pyodide (beside the bridge, which calls it): it imports
``pyodide.console`` and nothing of ``js``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
from pyodide.console import Console

from lightbox.console.host import Host, Saved, Shown, ViewState
from lightbox.console.study import Study, namespace
from lightbox.session.session import Session


class _WholeBlocks:
    """Compile console input as a module ("exec"), not one statement ("single"): a pasted
    block runs whole and the value of its last expression is the result (Pyodide's
    CodeRunner, return mode "last_expr"), as ``lightbox script`` runs a file."""

    def __init__(self, inner: Callable[..., Any]) -> None:
        self.inner = inner

    def __call__(self, source: str, filename: str = "<console>", symbol: str = "single") -> Any:
        return self.inner(source, filename, "exec")


class _Stopped:
    """What a run that was stopped (KeyboardInterrupt, SystemExit) returns, its traceback
    kept: raised out of the console's task, they would escape the event loop."""

    def __init__(self, traceback: str) -> None:
        self.traceback = traceback


class _Console(Console):  # type: ignore[misc]  # pyodide is untyped here
    async def runcode(self, source: str, code: Any) -> Any:
        try:
            return await super().runcode(source, code)
        except (KeyboardInterrupt, SystemExit) as exc:
            return _Stopped(self.formattraceback(exc))


class BrowserConsole:
    """One console: its globals live as long as the console's engine."""

    def __init__(self, session: Callable[[], Session]) -> None:
        self.host = Host()
        self.study = Study(session, self.host)
        self.console = _Console(namespace(self.study), filename="<console>")
        # The compiler is an attribute of Console; wrapping it is the one change made.
        self.console._compile = _WholeBlocks(self.console._compile)
        self._effects: list[Shown | Saved] = []

    def status(self, source: str) -> str:
        """ "complete", "incomplete" (an open bracket, or a block still being typed: more
        lines than one whose last is indented and not blank) or "syntax-error"."""
        try:
            compiled = self.console._compile(source, "<console>", "exec")
        except (OverflowError, SyntaxError, ValueError):
            return "syntax-error"
        if compiled is None:
            return "incomplete"
        lines = source.split("\n")
        if len(lines) > 1 and lines[-1].strip() and lines[-1][:1] in (" ", "\t"):
            return "incomplete"
        return "complete"

    def set_context(self, context: dict[str, Any]) -> None:
        """The page's view, measurements and series order, before a run."""
        view = context.get("view") or {}
        window = view.get("window")
        self.host.view = ViewState(
            series=int(view.get("series") or 0),
            frame=int(view.get("frame") or 0),
            window=(float(window[0]), float(window[1])) if window else None,
        )
        self.host.measurements = list(context.get("measurements") or [])
        self.host.order = [str(uid) for uid in context.get("order") or []]
        self.host.view_set = False

    async def run(self, code: str, context: dict[str, Any], typed: bool) -> dict[str, Any]:
        """Run ``code`` as typed: ``{status, output, error, effects, view}``.

        ``typed``: from the prompt, where input that is not finished is not run (status
        "incomplete": the prompt takes another line). Output and tracebacks are text; an
        exception of any kind (KeyboardInterrupt from an interrupt, MemoryError) is
        reported, never raised.
        """
        if typed and self.status(code) == "incomplete":
            return {"status": "incomplete", "output": "", "error": "", "effects": []}
        self.set_context(context)
        chunks: list[str] = []
        self.console.stdout_callback = chunks.append
        self.console.stderr_callback = chunks.append
        future = self.console.runsource(code)
        status = future.syntax_check
        error = ""
        if status == "incomplete":
            error = f"SyntaxError: the input is not finished (an open bracket or string?)\n{code}"
        else:
            try:
                value = await future
                if isinstance(value, _Stopped):
                    error = value.traceback
                elif value is not None:
                    chunks.append(repr(value) + "\n")
            except BaseException:  # everything, KeyboardInterrupt included, is the user's to read
                error = future.formatted_error or "the run failed"
        self._effects = self.host.take()
        return {
            "status": status,
            "output": "".join(chunks),
            "error": error,
            "effects": [_describe(e) for e in self._effects],
            "view": _view(self.host.view) if self.host.view_set else None,
        }

    def effect(self, index: int) -> tuple[str, np.ndarray[Any, Any]]:
        """Effect ``index`` of the last run: its description and its bytes (RGBA or file)."""
        effect = self._effects[index]
        if isinstance(effect, Shown):
            return json.dumps(_describe(effect)), np.ascontiguousarray(effect.rgba)
        return json.dumps(_describe(effect)), np.frombuffer(effect.data, dtype=np.uint8)

    def complete(self, source: str) -> dict[str, Any]:
        """Tab completion of the end of ``source``: the candidates and where they start."""
        found, start = self.console.complete(source)
        return {"completions": list(found), "start": int(start)}


def _describe(effect: Shown | Saved) -> dict[str, Any]:
    if isinstance(effect, Shown):
        rows, columns = effect.rgba.shape[:2]
        return {"kind": "show", "title": effect.title, "width": columns, "height": rows}
    return {"kind": "save", "name": effect.name, "mime": effect.mime, "size": len(effect.data)}


def _view(view: ViewState) -> dict[str, Any]:
    return {
        "series": view.series,
        "frame": view.frame,
        "window": list(view.window) if view.window else None,
    }
