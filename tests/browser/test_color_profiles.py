"""Colour images shown through their ICC profile (issue 16; PS3.3 C.11.15), on the real page.

A generated RGB photograph-like image (patches of mid-saturation colours and a full-range
gradient) carries an ICC profile written byte by byte in tests/support/icc.py: a display
profile with Adobe RGB (1998) primaries and gamma 2.2, far enough from sRGB that shown
unconverted its colours are visibly off. The expected frame is the same pixels converted
from that profile to sRGB by Pillow's ImageCms (Little CMS, native, perceptual intent),
independent of the page and of the browser's colour engine. Without a profile the values
are shown as they are (sRGB, C.11.15.1.1).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms
from playwright.sync_api import Browser

from tests.support.factories import image_dataset
from tests.support.icc import matrix_profile
from tests.support.viewer import finish, new_viewer
from tools.synth import to_bytes

#: Largest difference, in 8-bit levels, from Little CMS's conversion allowed: the page's
#: grid of 33³ colours is interpolated between its points.
TOLERANCE = 2


def _pixels() -> np.ndarray:
    """(96, 128, 3) uint8: six patches above, a gradient of every level below."""
    out = np.zeros((96, 128, 3), np.uint8)
    patches = [
        (200, 100, 50),
        (60, 180, 90),
        (80, 90, 200),
        (230, 200, 120),
        (40, 40, 40),
        (128, 128, 128),
    ]
    for i, colour in enumerate(patches):
        out[:48, i * 21 : (i + 1) * 21] = colour
    ramp = np.linspace(0, 255, 128).round().astype(np.uint8)
    out[48:64, :, 0] = ramp
    out[64:80, :, 1] = ramp
    out[80:96, :] = ramp[:, None]
    return out


def _write(folder: Path, profile: bytes | None) -> Path:
    ds = image_dataset(_pixels(), photometric="RGB", modality="XC", bits_allocated=8)
    if profile is not None:
        ds.ICCProfile = profile
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ("with-profile.dcm" if profile else "no-profile.dcm")
    path.write_bytes(to_bytes(ds))
    return path


def _little_cms(pixels: np.ndarray, profile: bytes) -> np.ndarray:
    source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    converted = ImageCms.profileToProfile(
        Image.fromarray(pixels),
        source,
        ImageCms.createProfile("sRGB"),
        renderingIntent=ImageCms.Intent.PERCEPTUAL,
    )
    return np.asarray(converted)


def test_a_colour_image_is_shown_through_its_icc_profile(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    profile = matrix_profile()
    expected = _little_cms(_pixels(), profile)
    # the profile matters: unconverted, the patches are far from what Little CMS gives
    assert np.abs(expected.astype(int) - _pixels()).max() > 25
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose([_write(tmp_path / "a", profile)])
        state = viewer.wait_state("s.series !== null && s.frame === 0")
        shown = viewer.frame()[..., :3].astype(int)
        assert np.abs(shown - expected).max() <= TOLERANCE
        assert (viewer.frame()[..., 3] == 255).all()
        viewer.shot("icc-profile-adobe-rgb")
        assert state is not None
        viewer.page.evaluate("() => window.lightbox.closeAll()")
        viewer.choose([_write(tmp_path / "b", None)])
        viewer.wait_state("s.series !== null && s.frame === 0")
        assert (viewer.frame()[..., :3] == _pixels()).all()  # no profile: as stored
    finally:
        finish(context, viewer)


def test_an_srgb_profile_changes_nothing_visible(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose([_write(tmp_path, srgb)])
        viewer.wait_state("s.series !== null && s.frame === 0")
        shown = viewer.frame()[..., :3].astype(int)
        assert np.abs(shown - _pixels()).max() <= TOLERANCE
    finally:
        finish(context, viewer)


@pytest.mark.parametrize("where", ["optical path"])
def test_the_optical_paths_profile_serves_when_the_image_has_none(
    browser: Browser, base_url: str, tmp_path: Path, where: str
) -> None:
    from pydicom.dataset import Dataset

    profile = matrix_profile()
    ds = image_dataset(_pixels(), photometric="RGB", modality="XC", bits_allocated=8)
    path_item = Dataset()
    path_item.OpticalPathIdentifier = "1"
    path_item.ICCProfile = profile
    ds.OpticalPathSequence = [path_item]
    target = tmp_path / "optical-path.dcm"
    target.write_bytes(to_bytes(ds))
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose([target])
        viewer.wait_state("s.series !== null && s.frame === 0")
        shown = viewer.frame()[..., :3].astype(int)
        assert np.abs(shown - _little_cms(_pixels(), profile)).max() <= TOLERANCE, where
    finally:
        finish(context, viewer)


def test_the_series_thumbnail_is_shown_through_the_profile_too(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    """The series browser's thumbnail (every other pixel of the image) has the first
    patch's colour as Little CMS converts it, not as stored."""
    profile = matrix_profile()
    expected = _little_cms(_pixels(), profile)[5, 5]
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose([_write(tmp_path, profile)])
        viewer.wait_state("s.series !== null && s.frame === 0")
        viewer.page.wait_for_function(
            "() => [...document.querySelectorAll('#series-list img')].some((i) => i.complete"
            " && i.naturalWidth > 0)"
        )
        corner = viewer.page.evaluate(
            """() => {
                const img = [...document.querySelectorAll('#series-list img')].find(
                    (i) => i.naturalWidth > 0);
                const c = new OffscreenCanvas(img.naturalWidth, img.naturalHeight);
                const g = c.getContext('2d');
                g.drawImage(img, 0, 0);
                return Array.from(g.getImageData(2, 2, 1, 1).data.slice(0, 3));
            }"""
        )
        assert np.abs(np.asarray(corner) - expected).max() <= TOLERANCE
        assert np.abs(np.asarray(corner) - _pixels()[5, 5]).max() > 10
    finally:
        finish(context, viewer)
