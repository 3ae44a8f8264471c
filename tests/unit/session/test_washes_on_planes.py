"""RT Dose wash and isodose lines, and a fused PET, on a reformatted plane (issue 16 gap 3).

The plane's pixel (r, c) lies at origin + c · columnSpacing · rowDirection + r · rowSpacing
· columnDirection (the reslice a view reports). The reference is
scipy.ndimage.map_coordinates (order 1) over the dose grid (or the PET's voxels) at those
points' grid coordinates, worked here from the grid's Image Position, Pixel Spacing and
Grid Frame Offset Vector (or the PET's slice positions); the wash colour is the jet
formula written here, the fusion's "grey" map with window [0, 1000] 255 × clip(v / 1000).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import map_coordinates

from tests.unit.session.test_rt_dose_fusion import (
    OFFSETS,
    ORIGIN,
    SHAPE,
    dose_case,
    fusion_case,
    linear_dose,
)

LEVELS = [30, 50, 70, 90, 95, 100]


def _coronal(y: float, z0: float, rows: int, row_mm: float) -> dict:
    return {
        "origin": [0.0, y, z0],
        "rowDirection": [1.0, 0.0, 0.0],
        "columnDirection": [0.0, 0.0, 1.0],
        "rowSpacing": row_mm,
        "columnSpacing": 0.5,
        "rows": rows,
        "columns": 48,
    }


def _jet(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0, 1)
    return 255 * np.stack([np.clip(1.5 - np.abs(4 * t - k), 0, 1) for k in (3, 2, 1)], axis=-1)


def test_dose_wash_on_a_coronal_plane_is_map_coordinates_over_the_grid() -> None:
    session, ct, uid = dose_case()
    plane = _coronal(3.0, -1.0, 11, 0.5)  # z from -1 to 4 mm, the grid's reach
    hidden = {"uid": uid, "visible": True, "opacity": 1.0, "hidden": LEVELS}
    info, rgba = session.plane_layer(ct, plane, [hidden])
    r, c = np.mgrid[0:11, 0:48].astype(float)
    x, y, z = 0.5 * c, np.full_like(c, 3.0), -1.0 + 0.5 * r
    gc, gr = (x - ORIGIN[0]) / 1.0, (y - ORIGIN[1]) / 1.0
    gk = np.interp(z, ORIGIN[2] + np.array(OFFSETS), np.arange(len(OFFSETS)))
    grid = linear_dose(
        *np.meshgrid(
            ORIGIN[0] + np.arange(SHAPE[2]),
            ORIGIN[1] + np.arange(SHAPE[1]),
            ORIGIN[2] + np.array(OFFSETS),
            indexing="xy",
        )
    )
    gy = np.transpose(grid, (2, 0, 1))  # (frames, rows, columns)
    want = map_coordinates(gy, [gk, gr, gc], order=1, mode="nearest")
    top = float(gy.max())
    inner = (gc >= 0) & (gc <= SHAPE[2] - 1)
    washed = inner & (want >= 0.1 * top)
    assert washed.any() and np.array_equal(rgba[inner, 3] > 0, washed[inner])
    assert (rgba[washed, 3] == 255).all()
    assert np.abs(rgba[washed, :3] - _jet(want[washed] / top)).max() <= 2
    beyond = gc > SHAPE[2] - 1 + 0.5 + 1e-6
    assert beyond.any() and not rgba[beyond, 3].any()
    assert {s["uid"] for s in info["segments"]} == {uid}
    # with the lines: the 70 % line (pure green) only where the dose crosses 70 %
    shown = {**hidden, "hidden": []}
    _, lined = session.plane_layer(ct, plane, [shown])
    line = np.all(lined[..., :3] == (0, 255, 0), axis=-1) & (lined[..., 3] == 255)
    level = 0.7 * top
    near = np.pad(want, 1, mode="edge")
    crossing = (want >= level - 1e-3) & (
        np.minimum.reduce([near[:-2, 1:-1], near[2:, 1:-1], near[1:-1, :-2], near[1:-1, 2:]])
        < level + 1e-3
    )
    assert line.any() and not (line & ~crossing).any()
    _, off = session.plane_layer(ct, plane, [{**hidden, "visible": False}])
    assert not off[..., 3].any()


def test_fused_pet_on_a_coronal_plane_is_map_coordinates_over_the_pet() -> None:
    session, ct, pt, pet = fusion_case()
    uid = session.catalog(report=False)["series"][pt]["uid"]
    plane = _coronal(4.0, 0.0, 3, 2.0)  # the CT volume's slices z = 0, 2, 4
    setting = {"uid": uid, "visible": True, "opacity": 0.6, "colormap": "grey"}
    setting["window"] = [0, 1000]
    _, hidden = session.plane_layer(ct, plane, [])
    assert not hidden[..., 3].any()  # hidden until shown
    info, rgba = session.plane_layer(ct, plane, [setting])
    assert info["segments"][0]["label"] == "PT fused"
    r, c = np.mgrid[0:3, 0:48].astype(float)
    x, y, z = 0.5 * c, np.full_like(c, 4.0), 2.0 * r
    px, py, pz = (x + 1.0) / 2.0, (y + 2.0) / 2.5, (z + 1.0) / 2.0
    want = map_coordinates(pet, [pz, py, px], order=1, mode="nearest")
    strict = px <= 11
    grey = np.rint(255 * np.clip(want / 1000, 0, 1))
    assert np.abs(rgba[strict, 0].astype(float) - grey[strict]).max() <= 1
    assert (rgba[strict, 3] == round(0.6 * 255)).all()
    beyond = px > 11.5
    assert beyond.any() and not rgba[beyond, 3].any()
