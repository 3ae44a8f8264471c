"""Referenced File IDs and dropped paths: a File ID as a relative path, the forms paths match in.

A DICOMDIR names its files by (0004,1500) Referenced File ID, relative to its
own folder (PS3.10 8.2). :func:`file_path` turns one into a path, refusing
any that could leave the dropped tree; :func:`match_key` is the form of a
path that survives CD file systems and copies, which
:mod:`lightbox.ingest.reconcile` matches references by.
"""

from __future__ import annotations

import re

_VERSION_SUFFIX = re.compile(r";\d*$")  # ISO 9660 file version, "IM0001;1"


def _components(value: object) -> list[str]:
    if value is None:
        return []
    parts = [value] if isinstance(value, str) else [str(v) for v in value]  # type: ignore[attr-defined]
    # Some writers put a whole path in one value, with "\" or "/" inside.
    pieces = [piece for part in parts for piece in str(part).replace("\\", "/").split("/")]
    return [piece.strip(" \x00") for piece in pieces]


def written(value: object) -> str:
    """A Referenced File ID as written, its components joined with ``\\``."""
    return "\\".join(_components(value))


def file_path(value: object) -> tuple[str | None, str]:
    """A Referenced File ID as a relative path, or None and why it is refused.

    PS3.10 8.2 makes a File ID up to eight components, relative to the
    File-set's root, each of uppercase letters, digits and underscore. Real
    discs bend the character rules (accepted here), but a path that starts at
    a root, names a drive or goes up with ``..`` could only reach outside the
    dropped tree: it is refused.

    Parameters
    ----------
    value : str, sequence of str or None
        The (0004,1500) value as pydicom gives it.

    Returns
    -------
    tuple of (str or None, str)
        The path with ``/`` between components, or None; and the reason for
        refusing it ('' when accepted or absent).
    """
    pieces = _components(value)
    if not any(pieces):
        return None, ""
    written = "\\".join(pieces)
    if pieces[0] == "" and len(pieces) > 1:
        return None, f"Referenced File ID {written!r} starts at the root of a disk: refused"
    if any(":" in piece for piece in pieces):
        return None, f"Referenced File ID {written!r} names a drive or device: refused"
    if ".." in pieces:
        return None, f"Referenced File ID {written!r} goes up out of the DICOMDIR's folder: refused"
    return "/".join(piece for piece in pieces if piece not in ("", ".")), ""


def tidy(path: str) -> str:
    """A dropped path with ``/`` between its components, empty and ``.`` components left out."""
    return "/".join(part for part in path.replace("\\", "/").split("/") if part not in ("", "."))


def join(folder: str, file: str) -> str:
    """``file`` (relative to ``folder``) as a path in the dropped tree."""
    return f"{folder}/{file}" if folder else file


def match_key(path: str) -> str:
    """The form of a path that survives CD file systems and copies.

    Letter case is folded (ISO 9660 names are uppercase; copies often are
    not), an ISO 9660 version suffix (``;1``) and a trailing dot (``IM0001.``,
    a name without extension) are removed from each component.

    References
    ----------
    ECMA-119 (ISO 9660) 7.5.1 File Identifier; PS3.12 (media formats).
    """
    parts = (_VERSION_SUFFIX.sub("", part).rstrip(".") for part in tidy(path).split("/"))
    return "/".join(part.casefold() for part in parts if part)
