"""Assemble the static site in build/ from pinned, hash-checked parts.

    python -m tools.build [--out build]

Steps: check the pinned Pyodide core from node_modules; download (or reuse
from .cache/) the carrier of the Pyodide wheels and pydicom, checking every
file's sha256 against its pin; extract the Pyodide numpy wheel and check it
against the official pyodide-lock.json; pack numpy, pydicom and lightbox into
one site archive precompiled to .pyc inside Pyodide (under Node); copy the web
front end; generate the demo study. Any mismatch stops the build.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import shutil
import subprocess
import sys
import time
import urllib.parse
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PINS = ROOT / "tools" / "pins.json"
CACHE = ROOT / ".cache" / "downloads"
PYODIDE_NPM = ROOT / "node_modules" / "pyodide"


class BuildError(Exception):
    """The build cannot go on; the message says what to do."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, expected: str, what: str) -> None:
    """Refuse a file whose sha256 is not the pinned one."""
    _compare(sha256_of(path), expected, what, path.name)


def verify_bytes(data: bytes, expected: str, what: str, name: str) -> None:
    """Refuse bytes whose sha256 is not the pinned one (before they are written anywhere)."""
    _compare(hashlib.sha256(data).hexdigest(), expected, what, name)


def _compare(actual: str, expected: str, what: str, name: str) -> None:
    if actual != expected.lower():
        raise BuildError(
            f"sha256 mismatch for {what} ({name}):\n"
            f"  expected {expected}\n  actual   {actual}\n"
            "Refusing to build with an unverified file. Delete it and build again; "
            "if it still differs, the source has changed: do not update the pin "
            "without checking why."
        )


def download(requirement: str, filename: str, sha256: str, cache: Path = CACHE) -> Path:
    """Fetch a pinned wheel from PyPI into the cache (once) and verify it."""
    target = cache / filename
    if not target.exists():
        cache.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            str(cache),
            requirement,
        ]
        result = subprocess.run(cmd, check=False, capture_output=True, text=True)
        if result.returncode != 0 or not target.exists():
            raise BuildError(f"could not download {requirement}:\n{result.stderr[-2000:]}")
    verify(target, sha256, requirement)
    return target


def official_lock() -> dict[str, Any]:
    lock_path = PYODIDE_NPM / "pyodide-lock.json"
    if not lock_path.exists():
        raise BuildError("node_modules/pyodide is missing: run `npm ci` first")
    lock: dict[str, Any] = json.loads(lock_path.read_text())
    return lock


def copy_pyodide_core(pins: dict[str, Any], out: Path) -> None:
    version = json.loads((PYODIDE_NPM / "package.json").read_text())["version"]
    if version != pins["pyodide"]["version"]:
        raise BuildError(f"node_modules has pyodide {version}, pinned {pins['pyodide']['version']}")
    out.mkdir(parents=True, exist_ok=True)
    for name in pins["pyodide"]["core"]:
        shutil.copy2(PYODIDE_NPM / name, out / name)


def extract_pyodide_wheels(
    pins: dict[str, Any], lock: dict[str, Any], out: Path, carrier: Path
) -> list[str]:
    """Take the Pyodide wheels from the carrier, each checked against the official lock."""
    prefix = pins["pyodide"]["carrier"]["prefix"]
    names = []
    with zipfile.ZipFile(carrier) as archive:
        for package in pins["pyodide"]["packages"]:
            entry = lock["packages"][package]
            target = out / entry["file_name"]
            try:
                data = archive.read(prefix + entry["file_name"])
            except KeyError as exc:
                raise BuildError(f"{carrier.name} has no {entry['file_name']}") from exc
            verify_bytes(data, entry["sha256"], f"Pyodide package {package}", target.name)
            target.write_bytes(data)
            names.append(entry["file_name"])
    return names


#: Wheel members the viewer never needs at run time: numpy's tests, type stubs, C headers
#: and Cython declarations; pydicom's test files.
SITE_SKIP_DIRS = ("/tests/", "pydicom/data/test_files/", "numpy/_core/include/", "numpy/f2py/")
SITE_SKIP_SUFFIXES = (".pyi", ".h", ".pxd", ".pyx", ".c", ".a")


def wanted_in_site(name: str) -> bool:
    """Whether a wheel member belongs in the site archive (sources, extensions, metadata)."""
    if name.endswith(SITE_SKIP_SUFFIXES):
        return False
    return not any(part in "/" + name for part in SITE_SKIP_DIRS)


def site_archive(wheels: list[Path], target: Path) -> None:
    """One zip of site-packages content: numpy, pydicom and lightbox, without test files.

    numpy travels here rather than through loadPackage(): one archive fetched in parallel
    with the runtime, its modules precompiled like the rest, and only the extension
    modules an import needs are instantiated (on first import), not all nineteen.
    """
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as src:
                for info in src.infolist():
                    if not info.is_dir() and wanted_in_site(info.filename):
                        dst.writestr(info.filename, src.read(info))
        package = ROOT / "py" / "lightbox"
        for path in sorted([*package.rglob("*.py"), *package.rglob("*.json")]):
            dst.write(path, "lightbox/" + path.relative_to(package).as_posix())


def precompile(source: Path, target: Path, where: str | None = None) -> None:
    """Compile a zip of sources to .pyc inside Pyodide itself (same Python, same magic).

    ``where``: the directory it is imported from at run time (site-packages by default).
    """
    cmd = ["node", str(ROOT / "tools" / "precompile.mjs"), str(source), str(target)]
    if where:
        cmd.append(where)
    result = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"precompiling in Pyodide failed:\n{result.stderr[-3000:]}")


#: Browser codecs from npm (pinned with integrity in package-lock.json):
#: (source under node_modules, file in build/codecs, the UMD global to export or None for ESM).
CODECS = [
    (
        "@cornerstonejs/codec-libjpeg-turbo-8bit/dist/libjpegturbowasm_decode.js",
        "libjpegturbowasm_decode.mjs",
        "libjpegturbowasm_decode",
    ),
    (
        "@cornerstonejs/codec-libjpeg-turbo-8bit/dist/libjpegturbowasm_decode.wasm",
        "libjpegturbowasm_decode.wasm",
        None,
    ),
    (
        "@cornerstonejs/codec-charls/dist/charlswasm_decode.js",
        "charlswasm_decode.mjs",
        "CharLSWASM",
    ),
    ("@cornerstonejs/codec-charls/dist/charlswasm_decode.wasm", "charlswasm_decode.wasm", None),
    (
        "@cornerstonejs/codec-openjpeg/dist/openjpegwasm_decode.js",
        "openjpegwasm_decode.mjs",
        "OpenJPEGWASM",
    ),
    (
        "@cornerstonejs/codec-openjpeg/dist/openjpegwasm_decode.wasm",
        "openjpegwasm_decode.wasm",
        None,
    ),
    ("@cornerstonejs/codec-openjph/dist/openjphjs.js", "openjphjs.mjs", "Module"),
    ("@cornerstonejs/codec-openjph/dist/openjphjs.wasm", "openjphjs.wasm", None),
    ("@cornerstonejs/jpeg-lossless-decoder-js/release/lossless.js", "lossless.mjs", None),
]


def copy_codecs(out: Path) -> None:
    """Copy the codecs; the Emscripten glue (UMD) becomes an ES module by one export line."""
    out.mkdir(parents=True, exist_ok=True)
    for source, target, umd_global in CODECS:
        path = ROOT / "node_modules" / source
        if not path.exists():
            raise BuildError(f"node_modules/{source} is missing: run `npm ci`")
        if umd_global is None:
            shutil.copy2(path, out / target)
            continue
        text = path.read_text()
        if f"var {umd_global} = " not in text:
            raise BuildError(f"{source} no longer defines {umd_global}: check the codec's version")
        (out / target).write_text(f"{text}\nexport default {umd_global};\n")


def copy_web(out: Path) -> None:
    shutil.copytree(ROOT / "web", out, dirs_exist_ok=True)


#: Files of the build the service worker does not precache: the list itself and the worker.
PRECACHE_EXCLUDED = frozenset({"precache.json", "sw.js"})
#: The line of web/sw.js that write_precache stamps with the version.
SW_VERSION_LINE = 'const VERSION = "dev";'


def precache_version(hashes: dict[str, str]) -> str:
    """A short hash of every file's path and sha256, in path order: same files, same version."""
    digest = hashlib.sha256()
    for path in sorted(hashes):
        digest.update(f"{path}\0{hashes[path]}\n".encode())
    return digest.hexdigest()[:16]


def write_precache(out: Path) -> dict[str, Any]:
    """Write out/precache.json for the service worker and stamp its version into out/sw.js.

    The list is every file under `out` except precache.json and sw.js, as URLs relative
    to the site root, sorted; the version is a short sha256 of the files' paths and
    hashes. Call it last, when every other file is written. Stamping sw.js makes each
    build with different files a byte-different worker, which is how browsers notice
    an update (the worker reads the list only while installing).
    """
    files = sorted(
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.is_file() and p.relative_to(out).as_posix() not in PRECACHE_EXCLUDED
    )
    hashes = {name: sha256_of(out / name) for name in files}
    version = precache_version(hashes)
    manifest = {
        "version": version,
        "bytes": sum((out / name).stat().st_size for name in files),
        "files": [urllib.parse.quote(name) for name in files],
    }
    (out / "precache.json").write_text(json.dumps(manifest, indent=1) + "\n")
    worker = out / "sw.js"
    text = worker.read_text() if worker.exists() else ""
    if text.count(SW_VERSION_LINE) != 1:
        raise BuildError(f"{worker} must hold the line {SW_VERSION_LINE!r} exactly once")
    worker.write_text(text.replace(SW_VERSION_LINE, f'const VERSION = "{version}";'))
    return manifest


#: What only the bench serves (tools/bench_dwv.py: dwv and what it imports, npm dev
#: dependencies): none of it may be shipped.
BENCH_ONLY = ("dwv", "konva", "jszip", "magic-wand")


def check_bench_only_absent(out: Path) -> None:
    """Refuse a build that holds any of :data:`BENCH_ONLY` (a file's name or its text)."""
    for path in sorted(out.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(out).as_posix()
        found = [word for word in BENCH_ONLY if word in name.lower()]
        if not found and path.suffix in {".js", ".mjs", ".html", ".json"}:
            text = path.read_text(errors="replace").lower()
            found = [word for word in BENCH_ONLY if f"/{word}/" in text or f'"{word}"' in text]
        if found:
            raise BuildError(
                f"{name} is or names {found[0]}, which only the bench may serve "
                "(tools/bench_dwv.py): it must not be in the build"
            )


#: The precompiled standard library under build/py (web/js/worker/worker.js loads it).
STDLIB = "python_stdlib.zip"

#: The site pack's magic: the worker refuses anything else.
PACK_MAGIC = b"LBPK1\n"


def write_pack(archive: Path, target: Path) -> None:
    """Turn the precompiled site zip into the pack the worker installs.

    Layout, gzip-compressed as a whole: PACK_MAGIC, a 4-byte little-endian length, a JSON
    list of [path, size] in order, then the files' bytes back to back. The worker
    decompresses it while the runtime boots (web/js/worker/sitepack.js, on a helper thread) and
    writes the files into the virtual file system from JavaScript, so installing costs
    milliseconds instead of a Python unzip of hundreds of members after boot.
    """
    with zipfile.ZipFile(archive) as src:
        members = [(info.filename, src.read(info)) for info in src.infolist() if not info.is_dir()]
    index = json.dumps([[name, len(data)] for name, data in members]).encode()
    body = b"".join(data for _, data in members)
    raw = PACK_MAGIC + len(index).to_bytes(4, "little") + index + body
    target.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))


def build(out: Path, log: Callable[[str], None] = print) -> dict[str, Any]:
    from tools import synth  # the demo generator needs pydicom and numpy only

    started = time.perf_counter()
    pins = json.loads(PINS.read_text())
    lock = official_lock()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    log("pyodide core")
    copy_pyodide_core(pins, out / "pyodide")
    carrier_pin = pins["pyodide"]["carrier"]
    carrier = download(carrier_pin["requirement"], carrier_pin["file"], carrier_pin["sha256"])
    log("pyodide wheels (checked against the official pyodide-lock.json)")
    wheel_dir = out / "py" / "wheels"
    wheel_dir.mkdir(parents=True)
    wheels = extract_pyodide_wheels(pins, lock, wheel_dir, carrier)
    pydicom_pin = pins["pypi"][0]
    pydicom_wheel = download(pydicom_pin["requirement"], pydicom_pin["file"], pydicom_pin["sha256"])
    log("site archive: numpy + pydicom + lightbox, precompiled in Pyodide")
    plain = out / "py" / "site-src.zip"
    compiled = out / "py" / "site.zip"
    site_archive([*(wheel_dir / name for name in wheels), pydicom_wheel], plain)
    precompile(plain, compiled)
    write_pack(compiled, out / "py" / "site.pack")
    log("standard library precompiled in Pyodide (the worker's stdLibURL)")
    # Pyodide's python_stdlib.zip holds sources only: every module imported at start would
    # be compiled on every visit. The worker loads this one instead; the runtime's own copy
    # stays beside it for the bench's bare loadPyodide() page.
    precompile(PYODIDE_NPM / "python_stdlib.zip", out / "py" / STDLIB, "/lib/python312.zip/")
    for scratch in (plain, compiled):
        scratch.unlink()
    shutil.rmtree(wheel_dir)
    log("web front end and codecs")
    copy_web(out)
    copy_codecs(out / "codecs")
    log("demo study")
    demo = synth.write_demo(out / "demo")
    log("hosted demo case")
    demo["case"] = synth.write_case(out / "cases")
    info = {
        "pyodide": pins["pyodide"]["version"],
        "packages": wheels,
        "pydicom": pydicom_pin["file"],
        "site": sha256_of(out / "py" / "site.pack"),
        "demo": demo,
    }
    (out / "build-info.json").write_text(json.dumps(info, indent=1))
    check_bench_only_absent(out)
    precache = write_precache(out)  # last: it lists and hashes everything written above
    info["precache"] = {
        "version": precache["version"],
        "files": len(precache["files"]),
        "bytes": precache["bytes"],
    }
    size = precache["bytes"] / 1e6
    log(f"precache.json: {len(precache['files'])} files, {size:.1f} MB, {precache['version']}")
    log(f"built {out} in {time.perf_counter() - started:.1f} s")
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build")
    args = parser.parse_args(argv)
    try:
        build(args.out, lambda m: print(f"[build] {m}", flush=True))
    except BuildError as exc:
        print(f"[build] FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
