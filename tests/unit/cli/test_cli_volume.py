"""`lightbox render SERIES_DIR --plane ... --slab ... --projection ...` (issue 14 item 5).

The truth is independent of lightbox.volume: ``tests.support.volumes.reference``
samples the stored slices with scipy's ``map_coordinates`` (order 1) at the patient
points of the reslice, and a slab is numpy's reduction over planes one step apart
(1.25 mm, the finest spacing); the window is the standard's formula. The slices are
1.25 mm apart, as the pixels: the framed plane's pixels fall on voxel centres in the
plane, so the slab's order of interpolation and reduction does not matter.
Tolerance: one grey level (float32 against float64 interpolation, rounding edges).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lightbox.cli.main import main
from lightbox.session.session import Session
from tests.support import volumes as known

WINDOW = ("100", "1200")
DATASETS = known.series([1.25 * k for k in range(24)], name="cli")


def _folder(tmp_path: Path, datasets: list = DATASETS, name: str = "series") -> Path:
    known.write(datasets, tmp_path / name)
    return tmp_path / name


def _reslice(folder: Path, view: dict) -> dict:
    """Where the PNG's pixels lie (the session's record of the same view)."""
    session = Session()
    session.open([(p.name, p.read_bytes()) for p in sorted(folder.iterdir())])
    reslice: dict = session.render_view(0, view).info["reslice"]
    return reslice


@pytest.mark.parametrize(
    "view, reduce",
    [
        pytest.param({"plane": "coronal", "position": -4.0}, None, id="coronal"),
        pytest.param({"plane": "sagittal", "position": 3.0}, None, id="sagittal"),
        pytest.param(
            {"plane": "coronal", "position": -4.0, "slab": 5.0, "projection": "mip"},
            np.max,
            id="coronal-mip-5mm",
        ),
        pytest.param(
            {"plane": "axial", "position": -6.0, "slab": 5.0, "projection": "minip"},
            np.min,
            id="axial-minip-5mm",
        ),
    ],
)
def test_the_png_is_the_volume_sampled_where_the_reslice_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], view: dict, reduce
) -> None:
    folder = _folder(tmp_path)
    out = tmp_path / "out.png"
    argv = ["render", str(folder), "--plane", view["plane"], "--position", str(view["position"])]
    if reduce is not None:
        argv += ["--slab", str(view["slab"]), "--projection", view["projection"]]
    assert main([*argv, "--window", *WINDOW, "-o", str(out)]) == 0
    png = np.asarray(Image.open(out).convert("RGBA"))
    reslice = _reslice(folder, view)
    assert png.shape == (reslice["rows"], reslice["columns"], 4)
    points = known.reslice_points(reslice)
    normal = np.cross(reslice["rowDirection"], reslice["columnDirection"])
    offsets = [0.0] if reduce is None else [j * 1.25 for j in range(-2, 3)]
    planes = [known.reference(DATASETS, points + d * normal) for d in offsets]
    values = planes[0][0] if reduce is None else reduce([v for v, _ in planes], axis=0)
    inside = np.logical_and.reduce([i for _, i in planes])
    assert inside.sum() > 300
    expected = known.windowed(values[inside], 100.0, 1200.0)
    assert np.abs(png[..., 0].astype(np.int16)[inside] - expected).max() <= 1
    said = capsys.readouterr().out
    assert f"{view['plane']} at {view['position']:.2f} mm" in said
    if reduce is not None:
        assert f"5 mm {view['projection']} slab" in said


def test_of_several_series_the_largest_is_rendered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _folder(tmp_path, DATASETS)
    known.write(known.series([0, 2, 4], name="small"), folder / "other")
    out = tmp_path / "out.png"
    assert main(["render", str(folder), "--plane", "axial", "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert "2 series; rendering the largest, 'cli' (24 images)" in said
    assert np.asarray(Image.open(out)).shape[:2] == (40, 48)


def test_what_is_not_a_volume_is_refused_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mixed = known.series([0, 2, 4, 6], name="mixed")
    mixed[1].ImageOrientationPatient = [0, 1, 0, 0, 0, -1]
    folder = _folder(tmp_path, mixed)
    out = tmp_path / "out.png"
    assert main(["render", str(folder), "--plane", "coronal", "-o", str(out)]) == 2
    assert main(["render", str(folder), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "not a volume: the images are not parallel" in err
    assert "give --plane" in err
    assert not out.exists()
