"""PET SUV through the real page (issue 16 item 6).

A generated PET (tests/support/pet.py: known activity, weight, timing) is probed with the
Probe tool and measured with the Rect tool; the SUV expected is the activity times the
factor worked by hand in tests/unit/inspect/test_suv_factors.py. The corpus' FDG PET
(mirp STS_001) opens and its probe gives the SUV worked here from its header with pydicom.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from playwright.sync_api import Browser

from tests.support import pet
from tests.support.paths import CORPUS
from tests.support.viewer import finish, new_viewer, to_screen
from tests.unit.inspect.test_suv_factors import BW

FDG = CORPUS / "pet" / "mirp" / "sts_images_raw" / "STS_001" / "FDG_PET" / "image"


def test_probe_and_region_give_suv(browser: Browser, base_url: str, tmp_path: Path) -> None:
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose(pet.write_pet(tmp_path))
        viewer.page.evaluate("() => window.lightbox.select(0, 4)")
        viewer.wait_state("s.frame === 4")
        viewer.page.keyboard.press("x")
        viewer.page.mouse.click(*to_screen(viewer, 14.5, 14.5, pet.SIZE, pet.SIZE))
        state = viewer.wait_state("s.measurements.length === 1")
        result = state["measurements"][0]["result"]
        assert result["value"] == pytest.approx(pet.HOT)
        assert result["suv"]["bw"] == pytest.approx(pet.HOT * BW, rel=1e-3)
        assert {"lbm", "bsa"} <= set(result["suv"])
        viewer.page.keyboard.press("g")
        start = to_screen(viewer, 10, 10, pet.SIZE, pet.SIZE)
        end = to_screen(viewer, 20, 20, pet.SIZE, pet.SIZE)
        viewer.page.mouse.move(*start)
        viewer.page.mouse.down()
        viewer.page.mouse.move(*end, steps=5)
        viewer.page.mouse.up()
        state = viewer.wait_state("s.measurements.length === 2")
        region = state["measurements"][1]["result"]
        suv = pet.activity()[4] * BW
        assert region["suvMax"] == pytest.approx(pet.HOT * BW, rel=1e-3)
        assert region["suvMean"] == pytest.approx(suv[10:20, 10:20].mean(), rel=1e-3)
        assert pet.BACKGROUND * BW < region["suvPeak"] < pet.HOT * BW
        text = viewer.page.inner_text("#measure-list")
        assert "SUVbw" in text and "SUVpeak" in text
        viewer.page.locator("#measure-list summary").first.click()
        assert "weight (g)" in viewer.page.inner_text("#measure-list")
        viewer.shot("pet-suv-probe-and-region")
    finally:
        finish(context, viewer)


def test_enhanced_pet_frames_each_give_their_own_suv(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    """An Enhanced PET of bed positions 120 s apart, not decay corrected: the probe on the
    hot cube of frame 3 and of frame 5 gives SUVbw = 40000 × 70000 / (370e6 ×
    2^(−Δt / 6586.2)) with Δt = 3600 + 120 k s, 11.480 and 11.774 (by that formula)."""
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose([pet.write_enhanced_pet(tmp_path)])
        viewer.page.keyboard.press("x")
        for count, (frame, want) in enumerate(((3, 11.480), (5, 11.774)), start=1):
            viewer.page.evaluate(f"() => window.lightbox.select(0, {frame})")
            viewer.wait_state(f"s.frame === {frame}")
            viewer.page.mouse.click(*to_screen(viewer, 14.5, 14.5, pet.SIZE, pet.SIZE))
            state = viewer.wait_state(f"s.measurements.length === {count}")
            result = state["measurements"][-1]["result"]
            assert result["value"] == pytest.approx(pet.HOT)
            assert result["suv"]["bw"] == pytest.approx(want, rel=1e-3)
        assert "SUVbw" in viewer.page.inner_text("#measure-list")
        viewer.shot("pet-suv-enhanced-frames")
    finally:
        finish(context, viewer)


def test_no_weight_says_suv_not_available(browser: Browser, base_url: str, tmp_path: Path) -> None:
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose(pet.write_pet(tmp_path, PatientWeight=None))
        viewer.page.keyboard.press("x")
        viewer.page.mouse.click(*to_screen(viewer, 3.5, 3.5, pet.SIZE, pet.SIZE))
        state = viewer.wait_state("s.measurements.length === 1")
        assert "Patient's Weight" in state["measurements"][0]["result"]["suvUnavailable"]
        assert "SUV not available" in viewer.page.inner_text("#measure-list")
    finally:
        finish(context, viewer)


def test_corpus_fdg_pet_gives_an_suv(browser: Browser, base_url: str) -> None:
    paths = sorted(FDG.glob("*.dcm"))
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose(paths)
        viewer.page.evaluate("() => window.lightbox.select(0, 100)")
        state = viewer.wait_state("s.frame === 100")
        ds = pydicom.dcmread(state["file"]) if Path(state["file"]).exists() else None
        if ds is None:
            ds = pydicom.dcmread(FDG / Path(state["file"]).name)
        pixels = ds.pixel_array.astype(float) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
        r, c = np.unravel_index(int(np.argmax(pixels)), pixels.shape)
        viewer.page.keyboard.press("x")
        viewer.page.mouse.click(*to_screen(viewer, c + 0.5, r + 0.5, int(ds.Rows), int(ds.Rows)))
        state = viewer.wait_state("s.measurements.length === 1")
        result = state["measurements"][0]["result"]
        info = ds.RadiopharmaceuticalInformationSequence[0]
        elapsed = 11 * 3600 + 20 * 60 + 11 - (10 * 3600 + 35 * 60)  # 10:35:00 to 11:20:11
        half_life = float(info.RadionuclideHalfLife)
        decayed = float(info.RadionuclideTotalDose) * 2 ** (-elapsed / half_life)
        want = pixels[result["row"], result["column"]] * float(ds.PatientWeight) * 1000 / decayed
        assert result["suv"]["bw"] == pytest.approx(want, rel=1e-3)
        assert abs(result["row"] - r) <= 1 and abs(result["column"] - c) <= 1
        viewer.shot("pet-suv-fdg-corpus")
    finally:
        finish(context, viewer)
