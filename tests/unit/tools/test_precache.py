"""tools.build.write_precache: the service worker's file list and version, and the stamp."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import pytest

from tests.support.paths import ROOT
from tools import build
from tools.build import BuildError


def _site(out: Path) -> None:
    files = {
        "index.html": "<!doctype html>",
        "js/main.js": "export {};",
        "js/sw.js": "not the worker: only the root sw.js is left out",
        "pyodide/pyodide.asm.wasm": "\0asm",
        "demo/IM 0001": "DICM",
        "build-info.json": "{}",
    }
    for name, text in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text)
    (out / "sw.js").write_text((ROOT / "web" / "sw.js").read_text())


def test_lists_every_file_but_itself_and_the_worker_sorted_as_urls(tmp_path):
    _site(tmp_path)
    manifest = build.write_precache(tmp_path)
    assert manifest["files"] == [
        "build-info.json",
        "demo/IM%200001",
        "index.html",
        "js/main.js",
        "js/sw.js",
        "pyodide/pyodide.asm.wasm",
    ]
    assert json.loads((tmp_path / "precache.json").read_text()) == manifest
    on_disk = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "precache.json"]
    assert manifest["bytes"] == sum(p.stat().st_size for p in on_disk if p != tmp_path / "sw.js")


def test_stamps_the_version_into_the_worker_once(tmp_path):
    _site(tmp_path)
    manifest = build.write_precache(tmp_path)
    text = (tmp_path / "sw.js").read_text()
    assert f'const VERSION = "{manifest["version"]}";' in text
    assert build.SW_VERSION_LINE not in text
    assert len(manifest["version"]) == 16
    int(manifest["version"], 16)


def test_same_files_same_version_and_a_second_run_changes_nothing(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        out.mkdir()
        _site(out)
    first = build.write_precache(a)
    assert build.write_precache(b) == first
    # Run again on a: precache.json and the stamped sw.js are not part of the version.
    (a / "sw.js").write_text((ROOT / "web" / "sw.js").read_text())
    assert build.write_precache(a) == first


@pytest.mark.parametrize(
    "change",
    [
        lambda out: (out / "js" / "main.js").write_text("export const x = 1;"),
        lambda out: (out / "js" / "main.js").rename(out / "js" / "app.js"),
        lambda out: (out / "extra.css").write_text(""),
        lambda out: (out / "demo" / "IM 0001").unlink(),
    ],
    ids=["content", "rename", "added", "removed"],
)
def test_any_change_of_a_file_changes_the_version(tmp_path, change):
    _site(tmp_path)
    before = build.write_precache(tmp_path)["version"]
    (tmp_path / "sw.js").write_text((ROOT / "web" / "sw.js").read_text())
    change(tmp_path)
    assert build.write_precache(tmp_path)["version"] != before


def test_refuses_a_worker_without_the_line_to_stamp(tmp_path):
    _site(tmp_path)
    (tmp_path / "sw.js").write_text('const VERSION = "123";\n')
    with pytest.raises(BuildError, match="exactly once"):
        build.write_precache(tmp_path)
    (tmp_path / "sw.js").unlink()
    with pytest.raises(BuildError):
        build.write_precache(tmp_path)


def _read_pack(path):
    raw = gzip.decompress(path.read_bytes())
    assert raw.startswith(build.PACK_MAGIC)
    at = len(build.PACK_MAGIC)
    size = int.from_bytes(raw[at : at + 4], "little")
    index = json.loads(raw[at + 4 : at + 4 + size])
    files, offset = {}, at + 4 + size
    for name, length in index:
        files[name] = raw[offset : offset + length]
        offset += length
    assert offset == len(raw)
    return files


def test_site_pack_holds_every_file_and_is_the_same_bytes_for_the_same_contents(tmp_path):
    """Entry times (the precompile step stamps the build's time) never reach the pack."""
    packs = []
    for i, when in enumerate([(2020, 1, 2, 3, 4, 6), (2026, 11, 26, 12, 0, 0)]):
        path = tmp_path / f"site{i}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(zipfile.ZipInfo("pkg/__init__.pyc", date_time=when), b"\x00" * 100)
            z.writestr(zipfile.ZipInfo("pkg/sub/", date_time=when), b"")
            z.writestr(zipfile.ZipInfo("pkg/sub/data.json", date_time=when), b"{}")
            z.writestr(zipfile.ZipInfo("pkg/ext.so", date_time=when), bytes(range(256)) * 3)
        build.write_pack(path, tmp_path / f"site{i}.pack")
        packs.append(tmp_path / f"site{i}.pack")
    assert packs[0].read_bytes() == packs[1].read_bytes()
    assert _read_pack(packs[0]) == {
        "pkg/__init__.pyc": b"\x00" * 100,
        "pkg/sub/data.json": b"{}",
        "pkg/ext.so": bytes(range(256)) * 3,
    }
