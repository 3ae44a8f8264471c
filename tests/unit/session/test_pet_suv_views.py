"""PET SUV on reformatted views (issue 16 gap 4): the probe and SUVmax/mean/peak of a
region on a coronal view of the generated PET volume.

Reference: the generated activity (tests/support/pet.py: Bq/ml per voxel, 4 mm pixels
from -64 mm, slices 3 mm apart from z = 0) sampled by scipy.ndimage.map_coordinates
(order 1) at the patient points of the view's pixels (the view's reslice: origin + c ·
columnSpacing · rowDirection + r · rowSpacing · columnDirection), times the body-weight
factor worked by hand in tests/unit/inspect/test_suv_factors.py. SUVpeak: a brute-force
search written here over the sampled points of the view's plane and its parallel planes
one step apart, the highest mean over a 1 cm³ sphere (radius (3000 / 4π)^(1/3) mm)
centred on a pixel of the region.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy.ndimage import map_coordinates

from lightbox.session.inspector import Inspector
from lightbox.session.session import Session
from tests.support import pet
from tests.unit.inspect.test_suv_factors import BW

VIEW = {"plane": "coronal", "position": -6.0}
#: 2 mm from the hot cube's edge (y = 4 mm): the planes 4 mm on either side differ
EDGE = {"plane": "coronal", "position": 2.0}


def _open(tmp_path: Path, **override: object) -> tuple[Session, Inspector]:
    session = Session()
    session.open([(str(p), p.read_bytes()) for p in pet.write_pet(tmp_path, **override)])
    return session, Inspector(session)


def _points(reslice: dict) -> np.ndarray:
    r = np.arange(reslice["rows"])[:, None, None]
    c = np.arange(reslice["columns"])[None, :, None]
    return (
        np.asarray(reslice["origin"])
        + c * reslice["columnSpacing"] * np.asarray(reslice["rowDirection"])
        + r * reslice["rowSpacing"] * np.asarray(reslice["columnDirection"])
    )


def _activity_at(points: np.ndarray) -> np.ndarray:
    half = pet.SIZE * pet.SPACING / 2
    x, y, z = points[..., 0], points[..., 1], points[..., 2]
    coords = [z / pet.THICKNESS, (y + half) / pet.SPACING, (x + half) / pet.SPACING]
    out = map_coordinates(pet.activity(), coords, order=1, mode="nearest")
    beyond = (coords[0] < -0.5) | (coords[0] > pet.SLICES - 0.5)
    return np.where(beyond, np.nan, out)


def test_view_probe_gives_suv_of_the_sampled_activity(tmp_path: Path) -> None:
    session, inspector = _open(tmp_path)
    info = session.render_view(0, VIEW).info
    points = _points(info["reslice"])
    for column, row in ((16, 3), (3, 5), (15, 2)):
        result = inspector.view_probe(0, VIEW, column + 0.5, row + 0.5)
        assert result is not None
        assert result["patient"] == pytest.approx(points[row, column].tolist())
        want = float(_activity_at(points[row : row + 1, column])[0])
        assert result["value"] == pytest.approx(want, rel=1e-4)
        assert result["suv"]["bw"] == pytest.approx(want * BW, rel=1e-3)
        assert set(result["suv"]) == {"bw", "lbm", "bsa"}


def _peak(planes: list[tuple[np.ndarray, np.ndarray]], centres: np.ndarray) -> float:
    radius = (3000 / (4 * math.pi)) ** (1 / 3)
    at = np.concatenate([p.reshape(-1, 3) for p, _ in planes])
    values = np.concatenate([v.ravel() for _, v in planes])
    keep = np.isfinite(values)
    at, values = at[keep], values[keep]
    best = -np.inf
    for centre in centres:
        inside = ((at - centre) ** 2).sum(axis=1) <= radius**2
        best = max(best, float(values[inside].mean()))
    return best


def test_view_region_suv_max_mean_and_peak(tmp_path: Path) -> None:
    session, inspector = _open(tmp_path)
    info = session.render_view(0, EDGE).info
    points = _points(info["reslice"])
    suv = _activity_at(points) * BW
    box = (10.0, 1.0, 22.0, 6.0)  # columns 10..21, rows 1..5 (z = 20 to 4 mm)
    stats = inspector.view_region(0, EDGE, "rect", box)
    assert stats is not None
    region = suv[1:6, 10:22]
    assert np.isfinite(region).all()
    assert stats["suvMax"] == pytest.approx(region.max(), rel=1e-3)
    assert stats["suvMean"] == pytest.approx(region.mean(), rel=1e-3)
    step = info["view"]["step"]
    normal = np.asarray(info["view"]["normal"])
    radius = (3000 / (4 * math.pi)) ** (1 / 3)
    planes = []
    for k in range(-3, 4):
        if abs(k * step) <= radius:
            moved = points + k * step * normal
            planes.append((moved, _activity_at(moved) * BW))
    want = _peak(planes, points[1:6, 10:22].reshape(-1, 3))
    assert want < region.max()  # the sphere reaches past the cube
    assert stats["suvPeak"] == pytest.approx(want, rel=1e-3)


def test_view_suv_unavailable_says_why(tmp_path: Path) -> None:
    _, inspector = _open(tmp_path, PatientWeight=None)
    result = inspector.view_probe(0, VIEW, 16.5, 3.5)
    assert result is not None and "suv" not in result
    assert "Patient's Weight" in result["suvUnavailable"]
    stats = inspector.view_region(0, VIEW, "rect", (10.0, 1.0, 22.0, 6.0))
    assert stats is not None and "Patient's Weight" in stats["suvUnavailable"]
