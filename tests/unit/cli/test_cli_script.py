"""``lightbox script FILE.py STUDY_DIR`` (issue 21 item 4), run as a command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
from pydicom.pixels import apply_modality_lut

CT = Path(pydicom.__file__).parent / "data" / "test_files" / "CT_small.dcm"
ROOT = Path(__file__).resolve().parents[3]


def lightbox(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lightbox", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_script_prints_saves_and_exits(tmp_path: Path) -> None:
    study = tmp_path / "study"
    study.mkdir()
    (study / "IM1").write_bytes(CT.read_bytes())
    script = tmp_path / "s.py"
    script.write_text("m = study.series[0].frames(0).mean()\nsave('m.npy', np.array([m]))\nm\n")
    done = lightbox("script", str(script), str(study), "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    ds = pydicom.dcmread(CT)
    mean = apply_modality_lut(ds.pixel_array, ds).astype(np.float64).mean()
    assert done.stdout == f"{np.float64(mean)!r}\n"
    assert np.load(tmp_path / "out" / "m.npy")[0] == mean


def test_a_failing_script_gives_its_traceback_and_status_1(tmp_path: Path) -> None:
    script = tmp_path / "bad.py"
    script.write_text("print('before')\nstudy.series[5]\n")
    done = lightbox("script", str(script), str(CT), "-o", str(tmp_path))
    assert done.returncode == 1
    assert done.stdout == "before\n"
    assert "IndexError" in done.stderr and str(script) in done.stderr


def test_missing_paths_are_usage_errors(tmp_path: Path) -> None:
    done = lightbox("script", str(tmp_path / "none.py"), str(tmp_path))
    assert done.returncode == 2 and "no such script" in done.stderr
