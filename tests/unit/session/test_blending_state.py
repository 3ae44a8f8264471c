"""A Blending Softcopy Presentation State applied (issue 16 item 1; PS3.3 A.33.4, C.11.14;
PS3.4 N.2.4): a generated CT (underlying) and a generated PET of the same Frame of Reference
on its own grid (superimposed), the state giving each its VOI window, a linear red ramp
palette and Relative Opacity 0.4.

The expectation is worked here from the standard, never from Lightbox's pipeline:
- N.2.4.1: the underlying's modality values (the CT's rescale) through its LINEAR window
  (C.11.2.1.2.1 written out) onto 0..1: Yu;
- N.2.4.2: the superimposed's values at each CT pixel centre (trilinear, as
  scipy.ndimage.map_coordinates order 1 at the PET voxel coordinates worked from its Image
  Position and Pixel Spacing) through its window onto 0..1, scaled onto the palette's 256
  entries, each entry / 65535: Rs (the ramp's red), Gs = Bs = 0;
- N.2.4.3: Ro = Rs·A + Yu·(1 − A), Go = Bo = Yu·(1 − A), A = 0.4.
"""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from scipy.ndimage import map_coordinates

from lightbox.annotate.pstate import read_presentation_state
from lightbox.session.inspector import Inspector
from lightbox.session.session import Session
from tests.support import icc, pstates, segs
from tests.unit.session.test_rt_dose_fusion import pet_files
from tools.synth import to_bytes

UNDER = (5000.0, 10000.0)  # the CT's window in the state: HU
OVER = (300.0, 400.0)  # the PET's: 100 .. 500 onto the palette
OPACITY = 0.4
FRAME = 1  # CT slice 1, z = 2 mm


def _linear(x: np.ndarray, center: float, width: float) -> np.ndarray:
    """PS3.3 C.11.2.1.2.1 LINEAR, its output range mapped onto 0..1 (PS3.4 N.2.4.1)."""
    return np.clip((x - (center - 0.5)) / (width - 1) + 0.5, 0.0, 1.0)


def blend_files(
    with_pet: bool = True, **options: object
) -> tuple[list[tuple[str, bytes]], str, segs.Stack, np.ndarray]:
    """The CT, the PET (unless ``with_pet`` is false) and the Blending state over them:
    (files, the state's SOP Instance UID, the CT stack, the PET's values)."""
    stack = segs.ct_stack(rows=40, cols=48, slices=3)
    files, pet = pet_files(stack)
    pet_datasets = [pydicom.dcmread(io.BytesIO(data)) for _, data in files]
    chosen: dict[str, object] = {
        "under_window": UNDER,
        "over_window": OVER,
        "under_rescale": (1.0, -1024.0),
        "over_rescale": (1.0, 0.0),
        **options,
    }
    state = pstates.blending(stack.datasets, pet_datasets, **chosen)  # type: ignore[arg-type]
    opened = [*stack.files.items(), *(files if with_pet else []), ("blend.dcm", to_bytes(state))]
    return opened, str(state.SOPInstanceUID), stack, pet


def _case(
    with_pet: bool = True, **options: object
) -> tuple[Session, int, str, segs.Stack, np.ndarray]:
    files, uid, stack, pet = blend_files(with_pet, **options)
    session = Session()
    result = session.open(files)
    ct = next(i for i, s in enumerate(result["series"]) if s["modality"] == "CT")
    return session, ct, uid, stack, pet


def expected(
    stack: segs.Stack, pet: np.ndarray, frame: int = FRAME, slope: float = 1.0
) -> tuple[np.ndarray, ...]:
    """Yu, Rs (0..1), where the PET reaches strictly inside its outer voxel centres, and
    where it does not reach at all, at CT slice ``frame``'s pixels (z = 2·frame mm); the
    PET's stored values (its own rescale is 1, 0) under the state's Rescale Slope ``slope``."""
    ds = stack.datasets[frame]
    hu = ds.pixel_array.astype(float) * 1.0 - 1024.0
    yu = _linear(hu, *UNDER)
    rr, cc = np.mgrid[0:40, 0:48].astype(float)
    x, y, z = 0.5 * cc, 0.5 * rr, np.full_like(cc, 2.0 * frame)  # 0.5 mm pixels
    px, py, pz = (x + 1.0) / 2.0, (y + 2.0) / 2.5, (z + 1.0) / 2.0
    values = slope * map_coordinates(pet, [pz, py, px], order=1, mode="nearest")
    ys = _linear(values, *OVER)
    entry = np.floor(ys * 255 + 0.5)  # the VOI's range spans the palette's 256 entries
    rs = entry * 257 / 65535  # the ramp's 16-bit entry over its largest value
    strict = (px <= 11) & (py <= 9)
    beyond = (px > 11.5) | (py > 9.5)
    return yu, rs, strict, beyond


def test_the_state_reads_its_two_sets_palette_and_opacity() -> None:
    stack = segs.ct_stack(rows=40, cols=48, slices=3)
    files, _ = pet_files(stack)
    pet = [pydicom.dcmread(io.BytesIO(data)) for _, data in files]
    ds = pstates.blending(stack.datasets, pet, under_window=UNDER, over_window=OVER)
    state = read_presentation_state(ds)
    assert state.kind == "Blending PS" and state.blending is not None
    blend = state.blending
    # by Blending Position (the generated state lists the superimposed item first)
    assert blend.underlying.series_uids == (stack.datasets[0].SeriesInstanceUID,)
    assert blend.superimposed.series_uids == (pet[0].SeriesInstanceUID,)
    assert blend.opacity == pytest.approx(OPACITY)
    assert blend.palette is not None and blend.palette.entries == 256
    assert blend.palette.rgb[255].tolist() == [255, 0, 0]
    voi = blend.superimposed.voi()
    assert voi is not None and (voi.center, voi.width) == OVER  # type: ignore[union-attr]
    # the state applies to the underlying images, with the underlying's VOI
    assert state.applies_to(stack.datasets[1].SOPInstanceUID, 0)
    assert not state.applies_to(pet[0].SOPInstanceUID, 0)
    under = state.voi_for(stack.datasets[1].SOPInstanceUID, 0)
    assert under is not None and (under.center, under.width) == UNDER  # type: ignore[union-attr]
    assert state.palette is None  # the underlying is not pseudo-coloured


def test_listed_under_the_underlying_series_only() -> None:
    session, ct, uid, _, _ = _case()
    catalog = session.catalog(report=False)["series"]
    assert any(o["kind"] == "PR" and o["uid"] == uid for o in catalog[ct]["objects"])
    pt = next(i for i, s in enumerate(catalog) if s["modality"] == "PT")
    assert not any(o["uid"] == uid for o in catalog[pt]["objects"])


def test_the_blend_is_the_standards_formula() -> None:
    session, ct, uid, stack, pet = _case()
    yu, rs, strict, beyond = expected(stack, pet)
    shown = session.render(ct, FRAME, presentation=uid)
    blend = shown.info["presentation"]["blend"]
    catalog = session.catalog(report=False)["series"]
    pt = next(i for i, s in enumerate(catalog) if s["modality"] == "PT")
    assert blend["series"] == catalog[pt]["uid"] and blend["opacity"] == pytest.approx(OPACITY)
    assert shown.info["windowSource"] == "presentation state"
    grey = shown.rgba[..., 0].astype(float)
    assert np.abs(grey - 255 * yu).max() <= 0.5 + 1e-9  # the underlying's VOI, rounded
    info, layer = session.segment_layer(ct, FRAME, [], presentation=uid)
    assert [s["label"] for s in info["segments"]] == ["PT blended"]
    alpha = layer[..., 3].astype(float) / 255
    assert np.all(alpha[strict] == round(OPACITY * 255) / 255)
    assert not layer[beyond, 3].any()  # where the PET does not reach: the CT alone
    # the layer over the frame, source-over as the page composes it
    out = layer[..., :3] * alpha[..., None] + shown.rgba[..., :3] * (1 - alpha[..., None])
    want_r = 255 * (rs * OPACITY + yu * (1 - OPACITY))
    want_gb = 255 * (yu * (1 - OPACITY))
    assert np.abs(out[strict, 0] - want_r[strict]).max() <= 1.5
    assert np.abs(out[strict, 1] - want_gb[strict]).max() <= 1.5
    assert np.abs(out[strict, 2] - want_gb[strict]).max() <= 1.5
    assert np.array_equal(out[beyond], shown.rgba[beyond, :3])


def test_the_superimposed_sets_own_rescale_in_the_state() -> None:
    # The state's rescale for the PET (slope 2) replaces the images' (slope 1).
    session, ct, uid, stack, pet = _case(over_rescale=(2.0, 0.0))
    _, rs, strict, _ = expected(stack, pet, slope=2.0)
    _, layer = session.segment_layer(ct, FRAME, [], presentation=uid)
    assert np.abs(layer[strict, 0] - 255 * rs[strict]).max() <= 1.0


def test_without_the_state_nothing_is_blended_and_the_probe_still_works() -> None:
    session, ct, uid, _, _ = _case()
    _, layer = session.segment_layer(ct, FRAME, [])
    assert not layer[..., 3].any()  # the PET is a fusion hidden until shown
    plain = session.render(ct, FRAME)
    assert "presentation" not in plain.info
    session.segment_layer(ct, FRAME, [], presentation=uid)
    probe = Inspector(session).probe(ct, FRAME, 10.0, 7.0)
    assert probe is not None and probe["value"] == pytest.approx((7 * 48 + 10) * 10 + 1 - 1024)


def test_a_superimposed_series_not_open_is_said() -> None:
    session, ct, uid, _, _ = _case(with_pet=False)
    shown = session.render(ct, FRAME, presentation=uid)
    view = shown.info["presentation"]
    assert view["blend"]["series"] is None
    assert view["blend"]["warningSaid"]["key"] == "engine.blend_not_open"
    assert "is not open" in view["blend"]["warning"]
    _, layer = session.segment_layer(ct, FRAME, [], presentation=uid)
    assert not layer[..., 3].any()


def test_a_state_without_relative_opacity_says_so() -> None:
    session, ct, uid, _, _ = _case(opacity=None)
    view = session.render(ct, FRAME, presentation=uid).info["presentation"]
    assert "engine.blend_opacity" in [s["key"] for s in view["warningsSaid"]]


def test_with_an_icc_profile_the_layer_leaves_the_blend_to_the_whole_frame() -> None:
    # PS3.4 N.2.4: the blend, not its two parts apart, goes through the state's profile
    # (C.11.15): the segment layer names the profile and holds no blend; the whole blend
    # over the frame, opaque, is what the worker converts (the CT alone beyond the PET).
    profile = icc.matrix_profile()
    session, ct, uid, stack, pet = _case(icc=profile)
    yu, rs, strict, beyond = expected(stack, pet)
    shown = session.render(ct, FRAME, presentation=uid)
    key = shown.info["presentation"]["blend"]["icc"]
    assert session.icc_profiles[key] == profile
    info, layer = session.segment_layer(ct, FRAME, [], presentation=uid)
    assert info["blendIcc"] == key and not layer[..., 3].any()
    assert [s["label"] for s in info["segments"]] == ["PT blended"]
    told, blend = session.blend_frame(ct, FRAME, uid)
    assert told == {"width": 48, "height": 40, "icc": key}
    assert (blend[..., 3] == 255).all()
    want_r = 255 * (rs * OPACITY + yu * (1 - OPACITY))
    want_gb = 255 * (yu * (1 - OPACITY))
    assert np.abs(blend[strict, 0] - want_r[strict]).max() <= 1.5
    assert np.abs(blend[strict, 1] - want_gb[strict]).max() <= 1.5
    assert np.abs(blend[strict, 2] - want_gb[strict]).max() <= 1.5
    assert np.abs(blend[beyond, :3] - 255 * yu[beyond, None]).max() <= 0.5 + 1e-9
    # a window dragged over the state's shows under the blend too
    _, dragged = session.blend_frame(ct, FRAME, uid, window=(0.0, 4000.0))
    grey = _linear(stack.datasets[FRAME].pixel_array.astype(float) - 1024.0, 0.0, 4000.0)
    assert np.abs(dragged[beyond, 0] - 255 * grey[beyond]).max() <= 0.5 + 1e-9


def test_without_a_profile_the_blend_stays_in_the_layer() -> None:
    session, ct, uid, _, _ = _case()
    assert session.render(ct, FRAME, presentation=uid).info["presentation"]["blend"]["icc"] is None
    info, layer = session.segment_layer(ct, FRAME, [], presentation=uid)
    assert "blendIcc" not in info and layer[..., 3].any()


def _coronal(y: float) -> dict:
    """A coronal plane of the CT at y mm: rows down z from 0 mm (2 mm), columns along x."""
    return {
        "origin": [0.0, y, 0.0],
        "rowDirection": [1.0, 0.0, 0.0],
        "columnDirection": [0.0, 0.0, 1.0],
        "rowSpacing": 2.0,
        "columnSpacing": 0.5,
        "rows": 3,
        "columns": 48,
    }


def test_the_blend_on_a_coronal_plane_is_map_coordinates_over_the_pet() -> None:
    # Pixel (r, c) of the plane at (0.5·c, 4, 2·r) mm; the PET there by map_coordinates at
    # its voxel coordinates, through the state's window and ramp, at Relative Opacity.
    session, ct, uid, _, pet = _case()
    plane = _coronal(4.0)
    _, none = session.plane_layer(ct, plane, [])
    assert not none[..., 3].any()  # without the state: nothing (the PET a hidden fusion)
    info, rgba = session.plane_layer(ct, plane, [], uid)
    assert [s["label"] for s in info["segments"]] == ["PT blended"]
    r, c = np.mgrid[0:3, 0:48].astype(float)
    x, y, z = 0.5 * c, np.full_like(c, 4.0), 2.0 * r
    px, py, pz = (x + 1.0) / 2.0, (y + 2.0) / 2.5, (z + 1.0) / 2.0
    values = map_coordinates(pet, [pz, py, px], order=1, mode="nearest")
    rs = np.floor(_linear(values, *OVER) * 255 + 0.5) * 257 / 65535
    strict, beyond = px <= 11, px > 11.5
    assert (rgba[strict, 3] == round(OPACITY * 255)).all()
    assert np.abs(rgba[strict, 0] - 255 * rs[strict]).max() <= 1.0
    assert not rgba[strict, 1:3].any()  # the red ramp: G = B = 0
    assert beyond.any() and not rgba[beyond, 3].any()
    # a slab has its middle plane's blend
    _, slab = session.plane_layer(ct, {**plane, "slab": 1.0}, [], uid)
    assert np.array_equal(slab[strict], rgba[strict])


def test_a_coronal_view_of_the_underlying_takes_the_states_window() -> None:
    session, ct, uid, stack, _ = _case()
    view = {"plane": "coronal", "position": 4.0}
    plain = session.render_view(ct, view)
    assert plain.info["windowSource"] != "presentation state"
    shown = session.render_view(ct, view, presentation=uid)
    assert shown.info["windowSource"] == "presentation state"
    assert (shown.info["windowCenter"], shown.info["windowWidth"]) == UNDER
    reslice = shown.info["reslice"]
    rows, columns = shown.rgba.shape[:2]
    r, c = np.mgrid[0:rows, 0:columns].astype(float)
    origin = np.asarray(reslice["origin"])
    at = (
        origin
        + (c * reslice["columnSpacing"])[..., None] * np.asarray(reslice["rowDirection"])
        + (r * reslice["rowSpacing"])[..., None] * np.asarray(reslice["columnDirection"])
    )
    hu = np.stack([ds.pixel_array.astype(float) for ds in stack.datasets]) - 1024.0
    k, j, i = at[..., 2] / 2.0, at[..., 1] / 0.5, at[..., 0] / 0.5
    values = map_coordinates(hu, [k, j, i], order=1, mode="nearest")
    within = (k >= 0) & (k <= 2)  # between the outer slices' centres
    assert within.sum() >= 3 * columns
    grey = shown.rgba[within, 0].astype(float)
    assert np.abs(grey - 255 * _linear(values[within], *UNDER)).max() <= 1.0
    # the user's window still wins
    dragged = session.render_view(ct, view, (0.0, 4000.0), presentation=uid)
    assert dragged.info["windowSource"] == "user"
