"""Draw the import graph of the layers: which package (Python) or folder (JS) imports which.

``python -m tools.import_graph`` prints two Mermaid flowcharts (docs/ARCHITECTURE.md holds
the output). Each edge is "imports"; the layers are listed top to bottom, so an edge that
runs back up a layer would point upwards: the checks that forbid one are import-linter's
``layers`` contract and tests/js/layers.test.js.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PY_LAYERS = [
    ["browser", "cli"],
    ["session"],
    ["inspect", "catalog", "deid", "volume"],
    ["display", "waveform"],
    ["pixels"],
    ["ingest"],
    ["core"],
]
JS_LAYERS = [["page"], ["kiosk", "offline", "deid", "keep"], ["viewer"], ["worker"], ["rpc"]]
_IMPORT = re.compile(
    r"""(?:import|export)\s[^"']*?from\s+["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']"""
)


def python_edges() -> set[tuple[str, str]]:
    """(importer, imported) pairs between lightbox's subpackages."""
    graph = grimp.build_graph("lightbox")
    edges = set()
    for module in graph.modules:
        parts = module.split(".")
        if len(parts) < 3:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            target = imported.split(".")
            if len(target) >= 3 and target[1] != parts[1]:
                edges.add((parts[1], target[1]))
    return edges


def js_edges() -> set[tuple[str, str]]:
    """(importer, imported) pairs between web/js's folders (value imports only)."""
    base = ROOT / "web" / "js"
    edges = set()
    for path in base.rglob("*.js"):
        here = path.relative_to(base).parts[0]
        for match in _IMPORT.finditer(path.read_text(encoding="utf-8")):
            spec = match.group(1) or match.group(2)
            target = (path.parent / spec).resolve()
            try:
                there = target.relative_to(base).parts[0]
            except ValueError:
                continue  # outside web/js (pyodide)
            if there != here:
                edges.add((here, there))
    return edges


def mermaid(layers: list[list[str]], edges: set[tuple[str, str]]) -> str:
    """A top-down flowchart: one row per layer, one arrow per import."""
    lines = ["flowchart TD"]
    for i, row in enumerate(layers):
        lines.append(f"  subgraph L{i} [ ]")
        lines.append("    direction LR")
        lines.extend(f"    {name}" for name in row)
        lines.append("  end")
    by_source: dict[str, list[str]] = defaultdict(list)
    for source, target in sorted(edges):
        by_source[source].append(target)
    for source, targets in by_source.items():
        lines.extend(f"  {source} --> {target}" for target in targets)
    return "\n".join(lines)


def upward(layers: list[list[str]], edges: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """Edges from a layer to one above it or beside it (what the checks forbid)."""
    rank = {name: i for i, row in enumerate(layers) for name in row}
    return sorted((s, t) for s, t in edges if s in rank and t in rank and rank[t] <= rank[s])


def main() -> int:
    py, js = python_edges(), js_edges()
    print("Python (py/lightbox):\n\n```mermaid\n" + mermaid(PY_LAYERS, py) + "\n```\n")
    print("JavaScript (web/js):\n\n```mermaid\n" + mermaid(JS_LAYERS, js) + "\n```\n")
    bad = upward(PY_LAYERS, py) + upward(JS_LAYERS, js)
    print("imports running back up a layer:", bad or "none")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
