"""Where the tests find things outside the package: the repository, the build, ../shared."""

from __future__ import annotations

from pathlib import Path

import pydicom

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
#: The team's shared folder beside the checkout (CI has it too): tables, the real-file corpus.
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
#: pydicom's bundled test files (shipped in the pydicom wheel).
PYDICOM_TEST_FILES = Path(pydicom.__file__).parent / "data" / "test_files"


def shared_file(*parts: str) -> Path:
    """A file of ../shared; fails (never skips) when it is missing."""
    path = SHARED.joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the tests need ../shared beside the checkout")
    return path


def written(folder: Path, files: list[tuple[str, bytes]]) -> list[Path]:
    """Write ``(name, bytes)`` into ``folder``; the paths, in order."""
    paths = []
    for name, content in files:
        (folder / name).write_bytes(content)
        paths.append(folder / name)
    return paths
