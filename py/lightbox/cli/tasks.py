"""The pure units of ``lightbox deid``'s work, as run in a worker process or on a Dask worker.

Each function reads its inputs by location (a path, or a URL of object storage:
:mod:`lightbox.cli.store`) and returns values; none writes anything, so
running one twice (a Dask worker lost mid-task and the task run again elsewhere) gives
the same result and leaves no trace. Storing the results is the caller's, in one place
(:mod:`lightbox.cli.main`), which is what makes a run exactly-once. On a cluster the
workers must see the input locations (a shared file system, or object storage they have
the credentials of) and have Lightbox installed.
"""

from __future__ import annotations

import dataclasses
import os
import uuid

from pydicom import dcmread
from pydicom.errors import InvalidDicomError

from lightbox.cli import store
from lightbox.deid.api import DeidOptions, FileResult, Keys, process_file, without_header
from lightbox.deid.profile import load_profile


def work(path: str, relative: str, options: DeidOptions, secret: bytes) -> FileResult:
    """De-identify one file."""
    try:
        data = store.read_bytes(path)
    except OSError as exc:
        return FileResult(relative, excluded=f"cannot be read ({exc.strerror or exc})")
    result = process_file(relative, data, options, Keys(secret), load_profile())
    return without_header(result)


def study_of(path: str) -> str | None:
    """The file's Study Instance UID, or None when it has none or is no DICOM file."""
    try:
        with store.open_binary(path) as handle:
            ds = dcmread(handle, stop_before_pixels=True, specific_tags=["StudyInstanceUID"])
    except (OSError, InvalidDicomError, ValueError, TypeError, AttributeError, EOFError):
        return None
    value = ds.get("StudyInstanceUID")
    return str(value) if value else None


def deid_study(
    files: list[tuple[str, str, str]], options: DeidOptions, secret: bytes, staging: str
) -> list[FileResult]:
    """De-identify one study's files, given as (path, relative name, manifest key), in that
    order. Each file's bytes are written to ``staging``/key (atomically; the same bytes
    however often the task runs) and its result comes back with ``data`` empty: the caller
    renames the staged file to its name. An excluded file's result has no data, as ever."""
    results = []
    for path, relative, key in files:
        result = work(path, relative, options, secret)
        if result.data is not None:
            stage(staging, key, result.data)
            result = dataclasses.replace(result, data=b"")
        results.append(result)
    return results


def stage(folder: str, key: str, data: bytes) -> None:
    """Write ``data`` to ``folder``/``key`` (a location) through a file of this attempt's
    own (on a local disk; object storage writes an object whole)."""
    store.parse(folder).write(key, data, part=f".{os.getpid()}-{uuid.uuid4().hex[:8]}.part")
