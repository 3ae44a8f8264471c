"""Where ``lightbox deid`` reads and writes: a local folder (a path or a ``file://`` URL),
or a folder of object storage named by an fsspec URL (``s3://bucket/prefix`` through
s3fs, ``gs://`` through gcsfs, ``memory://`` for one process).

One interface for both (:class:`Folder`), so that the command's logic (the manifest, the
sweep of an interrupted run, the staging of a cluster's files) is written once. A local
folder keeps the file system's guarantees: each file is written through a ``.part`` file
renamed over its name, the secret is created exclusively with mode 0600. On object
storage one PUT is atomic already (a reader sees the whole object or none), so a file is
written at its name; a rename is a copy and a delete. fsspec is imported only when a URL
of another scheme is given (``pip install lightbox[s3]`` brings it with s3fs).

A location (:meth:`Folder.location`) is a string a worker process opens again on its own
(:func:`read_bytes`, :func:`open_binary`, :func:`parse`): a path, or the URL.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urlparse
from urllib.request import url2pathname

from lightbox.cli.usage import UsageError

SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://(.*)", re.DOTALL)
#: The protocols whose files live in one process only: no worker process can see them.
PROCESS_LOCAL = ("memory",)
#: Where Dask workers stage each file in OUT before the calling process names it.
STAGING_NAME = ".lightbox-deid-staging"


class Folder(Protocol):
    """A folder to read the inputs from or write the export into."""

    #: The folder as given back to the user: a path or a URL.
    name: str

    @property
    def shared(self) -> bool:
        """Whether other processes (a pool, Dask workers) see this folder's files."""
        ...

    def location(self, relative: str = "") -> str:
        """A string a worker opens again: the path, or the URL, of ``relative``."""
        ...

    def contains(self, other: Folder) -> bool:
        """Whether ``other`` is this folder or inside it."""
        ...

    def sibling(self, name: str) -> Folder:
        """The folder ``name`` beside this one."""
        ...

    def is_dir(self) -> bool: ...

    def makedirs(self) -> None: ...

    def exists(self, relative: str) -> bool: ...

    def read(self, relative: str) -> bytes: ...

    def open(self, relative: str) -> IO[bytes]: ...

    def write(self, relative: str, data: bytes, part: str = ".part", private: bool = False) -> None:
        """Write ``data`` at ``relative`` atomically (locally through ``relative + part``;
        ``private``: readable by the owner only, where the storage has modes)."""
        ...

    def create(self, relative: str, data: bytes) -> bool:
        """Write a private file unless one is there; whether this call wrote it."""
        ...

    def rename(self, source: str, target: str) -> None: ...

    def remove(self, relative: str) -> None: ...

    def remove_folder(self, relative: str) -> None:
        """Remove an empty folder (where the storage has folders)."""
        ...

    def files(self, under: str = "") -> list[str]:
        """The relative names of every file under ``under`` (sorted)."""
        ...

    def walk(self, skip: Folder) -> Iterator[tuple[str, str]]:
        """Every file's relative name and stamp (its size and modification), except under
        ``skip``, in the order of a sorted top-down walk: a folder's files, then its
        subfolders' (the same order on every storage, so the same names come out)."""
        ...


def parse(text: str) -> Folder:
    """The folder named by a path or a URL; a bad URL raises :class:`UsageError`."""
    match = SCHEME.fullmatch(text)
    if match is None:
        return LocalFolder(Path(text))
    if match[1].lower() == "file":
        parsed = urlparse(text)
        if parsed.netloc not in ("", "localhost"):
            raise UsageError(f"{text}: a file:// URL of another host")
        return LocalFolder(Path(url2pathname(parsed.path)))
    return RemoteFolder.of(text)


def read_bytes(location: str) -> bytes:
    """The bytes of the file at ``location`` (a path or a URL)."""
    if SCHEME.fullmatch(location) is None:
        return Path(location).read_bytes()
    with open_binary(location) as handle:
        return handle.read()


def open_binary(location: str) -> IO[bytes]:
    """The file at ``location`` opened for reading."""
    if SCHEME.fullmatch(location) is None:
        return Path(location).open("rb")
    import fsspec  # noqa: PLC0415 (only for URLs)

    handle: IO[bytes] = fsspec.open(location, "rb").open()
    return handle


def walk_order(relative: str) -> list[tuple[int, str]]:
    """The sort key of a sorted top-down walk: in each folder its files (0) by name, then
    its folders (1) by name."""
    parts = relative.split("/")
    return [(1, p) for p in parts[:-1]] + [(0, parts[-1])]


class LocalFolder:
    """A folder of the local file system."""

    shared = True

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.name = str(path)

    def location(self, relative: str = "") -> str:
        return str(self.path / relative) if relative else str(self.path)

    def contains(self, other: Folder) -> bool:
        return isinstance(other, LocalFolder) and other.path.is_relative_to(self.path)

    def sibling(self, name: str) -> Folder:
        return LocalFolder(self.path.parent / name)

    def is_dir(self) -> bool:
        return self.path.is_dir()

    def makedirs(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)

    def exists(self, relative: str) -> bool:
        return (self.path / relative).exists()

    def read(self, relative: str) -> bytes:
        return (self.path / relative).read_bytes()

    def open(self, relative: str) -> IO[bytes]:
        return (self.path / relative).open("rb")

    def write(self, relative: str, data: bytes, part: str = ".part", private: bool = False) -> None:
        path = self.path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + part)
        tmp.write_bytes(data)
        if private:
            os.chmod(tmp, 0o600)
        os.replace(tmp, path)

    def create(self, relative: str, data: bytes) -> bool:
        path = self.path / relative
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            os.chmod(path, 0o600)
            return False
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return True

    def rename(self, source: str, target: str) -> None:
        (self.path / target).parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path / source, self.path / target)

    def remove(self, relative: str) -> None:
        (self.path / relative).unlink(missing_ok=True)

    def remove_folder(self, relative: str) -> None:
        with contextlib.suppress(OSError):  # not there, or not empty
            (self.path / relative).rmdir()

    def files(self, under: str = "") -> list[str]:
        base = self.path / under
        return sorted(p.relative_to(self.path).as_posix() for p in base.rglob("*") if p.is_file())

    def walk(self, skip: Folder) -> Iterator[tuple[str, str]]:
        avoid = skip.path if isinstance(skip, LocalFolder) else None
        for top, dirs, names in os.walk(self.path):
            here = Path(top)
            dirs[:] = sorted(d for d in dirs if (here / d).resolve() != avoid)
            for name in sorted(names):
                path = here / name
                if path.is_file() and not path.is_symlink():
                    stat = path.stat()
                    relative = path.relative_to(self.path).as_posix()
                    yield relative, f"{stat.st_size}\x00{stat.st_mtime_ns}"


class RemoteFolder:
    """A folder of an fsspec file system: a prefix of object storage, or ``memory://``."""

    def __init__(self, fs: Any, root: str, name: str) -> None:
        self.fs, self.root, self.name = fs, root.rstrip("/"), name
        protocol = fs.protocol
        self.protocol: str = protocol if isinstance(protocol, str) else protocol[0]

    @classmethod
    def of(cls, url: str) -> RemoteFolder:
        try:
            import fsspec  # noqa: PLC0415 (an optional extra)
        except ImportError:
            raise UsageError(
                f"{url}: URLs need fsspec: pip install lightbox[s3] (with s3fs for s3://; "
                "gcsfs for gs://)"
            ) from None
        try:
            fs, root = fsspec.core.url_to_fs(url)
        except (ImportError, ValueError) as exc:  # an unknown scheme, or its package missing
            raise UsageError(f"{url}: {exc}") from None
        return cls(fs, root, url)

    @property
    def shared(self) -> bool:
        return self.protocol not in PROCESS_LOCAL

    def _path(self, relative: str) -> str:
        return f"{self.root}/{relative}" if relative else self.root

    def location(self, relative: str = "") -> str:
        return str(self.fs.unstrip_protocol(self._path(relative)))

    def contains(self, other: Folder) -> bool:
        return (
            isinstance(other, RemoteFolder)
            and other.protocol == self.protocol
            and (other.root == self.root or other.root.startswith(self.root + "/"))
        )

    def sibling(self, name: str) -> Folder:
        parent = self.root.rpartition("/")[0]
        path = f"{parent}/{name}" if parent else name
        return RemoteFolder(self.fs, path, str(self.fs.unstrip_protocol(path)))

    def is_dir(self) -> bool:
        with self._reached():
            return bool(self.fs.isdir(self.root))

    def makedirs(self) -> None:
        with self._reached():
            self.fs.makedirs(self.root, exist_ok=True)

    @contextlib.contextmanager
    def _reached(self) -> Iterator[None]:
        """The storage's own error (no credentials, no endpoint, no bucket) as a message,
        when the folder is first used."""
        try:
            yield
        except Exception as exc:
            raise UsageError(
                f"{self.name}: cannot be reached ({type(exc).__name__}: {exc})"
            ) from exc

    def exists(self, relative: str) -> bool:
        return bool(self.fs.exists(self._path(relative)))

    def read(self, relative: str) -> bytes:
        data: bytes = self.fs.cat_file(self._path(relative))
        return data

    def open(self, relative: str) -> IO[bytes]:
        handle: IO[bytes] = self.fs.open(self._path(relative), "rb")
        return handle

    def write(self, relative: str, data: bytes, part: str = ".part", private: bool = False) -> None:
        self.fs.pipe_file(self._path(relative), data)  # one PUT: whole or not there

    def create(self, relative: str, data: bytes) -> bool:
        # No exclusive create through fsspec: two first runs at once may race here.
        if self.exists(relative):
            return False
        self.write(relative, data)
        return True

    def rename(self, source: str, target: str) -> None:
        # A copy and a delete, on every store: gcsfs's mv tries GCS's moveTo first (served
        # only for hierarchical buckets; an emulator answers 501) and retries it for
        # seconds before it falls back to the same copy and delete.
        self.fs.copy(self._path(source), self._path(target))
        self.fs.rm_file(self._path(source))

    def remove(self, relative: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(self._path(relative))

    def remove_folder(self, relative: str) -> None:
        with contextlib.suppress(OSError):  # object storage has no folders to remove
            self.fs.rmdir(self._path(relative))

    def _find(self, under: str) -> dict[str, dict[str, Any]]:
        """Every file under ``under``, listed afresh (workers in other processes wrote)."""
        self.fs.invalidate_cache()
        found: dict[str, dict[str, Any]] = self.fs.find(self._path(under), detail=True)
        prefix = self.root + "/"
        return {
            path.removeprefix(prefix): info
            for path, info in found.items()
            if path.startswith(prefix) and info.get("type", "file") == "file"
        }

    def files(self, under: str = "") -> list[str]:
        return sorted(self._find(under))

    def walk(self, skip: Folder) -> Iterator[tuple[str, str]]:
        found = self._find("")
        for relative in sorted(found, key=walk_order):
            if skip.contains(RemoteFolder(self.fs, self._path(relative), relative)):
                continue
            info = found[relative]
            yield relative, f"{info.get('size', 0)}\x00{_stamp(info)}"


#: What tells a changed object from the one a manifest recorded, by storage: S3's ETag,
#: GCS's generation, a file system's modification time, memory://'s creation.
STAMPS = ("ETag", "etag", "generation", "mtime", "LastModified", "updated", "created")


def _stamp(info: dict[str, Any]) -> str:
    return next((str(info[key]) for key in STAMPS if info.get(key) is not None), "")
