"""Waveforms in the page (issue 15 items 3 and 5): the plot read back against the samples.

The truth is the generated ECG's formula (:mod:`tests.support.waveforms`: each lead a
known sine in mV, encoded with its own sensitivity, correction factor, baseline and
units), placed where the standard's scale puts it: a sample at time t (ms) of a lead
whose row has its baseline at ``baseline`` is drawn at x = left + (t − start) × pxPerMs,
y = baseline − mV × pxPerMv (``state().waveform``). The trace is black on the pink
grid; a pixel is the trace's when all three channels are below 128.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Browser

from tests.support import waveforms as known
from tests.support.factories import image_bytes, pydicom_test_file
from tests.support.viewer import Viewer, Watch

#: How far (px) a trace pixel may lie from where the samples say: the 1.25 px line's
#: antialiased edge and the sub-pixel position of a point.
TOLERANCE_PX = 2.5


def _open(viewer: Viewer, folder: Path, files: dict[str, bytes]) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in files.items():
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    viewer.choose(paths)
    return viewer.page.evaluate("() => window.lightbox.catalog()")


def _show(viewer: Viewer, catalog: dict, file: str) -> dict:
    index = next(i for i, s in enumerate(catalog["series"]) if s["files"] == [file])
    viewer.page.evaluate(f"() => window.lightbox.select({index})")
    return viewer.wait_state(f"s.series === {index} && s.waveform !== null")


def _dark(frame: np.ndarray) -> np.ndarray:
    return np.all(frame[..., :3] < 128, axis=-1)


def _bands(plot: list[dict]) -> list[tuple[int, int]]:
    """Each row's band of pixel rows: half the baseline spacing either side."""
    half = (plot[1]["baseline"] - plot[0]["baseline"]) / 2
    return [(int(r["baseline"] - half + 1), int(r["baseline"] + half - 1)) for r in plot]


def _check_columns(frame: np.ndarray, wave: dict) -> int:
    """Every column of every row: its trace pixels lie within the values the samples of
    that column and its neighbours take (the line joins neighbouring columns)."""
    dark = _dark(frame)
    start = wave["window"][0]
    checked = 0
    for row, lead, (top, bottom) in zip(
        wave["plot"], known.LEADS, _bands(wave["plot"]), strict=True
    ):
        assert row["label"] == lead.label
        left, right = int(np.ceil(row["left"])) + 2, int(row["right"]) - 2
        for x in range(left, right):
            t = start + (np.linspace(x - 1.5, x + 1.5, 61) - row["left"]) / wave["pxPerMs"]
            ys = row["baseline"] - known.true_mv(lead, t) * wave["pxPerMv"]
            found = np.flatnonzero(dark[top:bottom, x]) + top
            assert found.size, f"lead {lead.label}: no trace at x={x}"
            assert found.min() >= ys.min() - TOLERANCE_PX, (lead.label, x, found, ys.min())
            assert found.max() <= ys.max() + TOLERANCE_PX, (lead.label, x, found, ys.max())
            checked += 1
    return checked


def test_ecg_traces_sit_where_the_samples_say(viewer: Viewer, tmp_path: Path) -> None:
    catalog = _open(
        viewer, tmp_path, {"ecg.dcm": known.write_bytes(known.ecg()), "ct.dcm": image_bytes()}
    )
    assert sorted(s["kind"] for s in catalog["series"]) == ["stack", "waveform"]
    state = _show(viewer, catalog, "ecg.dcm")
    wave = state["waveform"]
    assert state["kind"] == "waveform"
    assert (wave["channels"], wave["sampleRate"]) == (12, 500)
    assert (wave["pxPerMs"], wave["pxPerMv"]) == (0.1, 40)  # 25 mm/s, 10 mm/mV at 4 px/mm
    width = wave["plot"][0]["right"] - wave["plot"][0]["left"]
    assert wave["window"] == pytest.approx([0, width / 0.1])
    frame = viewer.frame()
    viewer.shot("waveform-ecg-known-sines")
    assert frame.shape[1] >= wave["plot"][0]["right"]
    assert _check_columns(frame, wave) > 12 * 400


def test_zoom_changes_the_window_and_each_sample_is_where_it_says(
    viewer: Viewer, tmp_path: Path
) -> None:
    catalog = _open(viewer, tmp_path, {"ecg.dcm": known.write_bytes(known.ecg())})
    _show(viewer, catalog, "ecg.dcm")
    viewer.page.evaluate("() => window.lightbox.setWaveformView({start: 1234, pxPerMs: 1})")
    wave = viewer.state()["waveform"]
    row = wave["plot"][0]
    assert wave["pxPerMs"] == 1
    assert wave["window"] == pytest.approx([1234, 1234 + (row["right"] - row["left"])])
    frame = viewer.frame()
    viewer.shot("waveform-ecg-zoomed-1px-per-ms")
    dark = _dark(frame)
    rate = wave["sampleRate"]
    for row, lead, (top, bottom) in zip(
        wave["plot"], known.LEADS, _bands(wave["plot"]), strict=True
    ):
        first, last = (int(np.ceil(w * rate / 1000)) for w in wave["window"])
        t = np.arange(first, last) * 1000 / rate  # every sample: 2 px apart at 500 Hz
        x = np.round(row["left"] + (t - wave["window"][0]) * wave["pxPerMs"]).astype(int)
        y = row["baseline"] - known.true_mv(lead, t) * wave["pxPerMv"]
        for xi, yi in zip(x[1:-1], y[1:-1], strict=True):
            found = np.flatnonzero(dark[top:bottom, xi]) + top
            assert found.size and np.abs(found - yi).min() <= TOLERANCE_PX, (lead.label, xi, yi)

    # The wheel zooms in time about the pointer: the time under it stays put.
    box = viewer.page.locator(".pane.active .waveform-layer").bounding_box()
    assert box is not None
    at = 300.0
    before = wave["window"][0] + (at - row["left"]) / wave["pxPerMs"]
    viewer.page.mouse.move(box["x"] + at, box["y"] + 200)
    viewer.page.mouse.wheel(0, -100)
    zoomed = viewer.wait_state("s.waveform && s.waveform.pxPerMs > 1")["waveform"]
    assert zoomed["pxPerMs"] == pytest.approx(1.25)
    after = zoomed["window"][0] + (at - row["left"]) / zoomed["pxPerMs"]
    assert after == pytest.approx(before, abs=0.5)
    # Shift + wheel: amplitude only.
    viewer.page.keyboard.down("Shift")
    viewer.page.mouse.wheel(0, -100)
    viewer.page.keyboard.up("Shift")
    louder = viewer.wait_state("s.waveform && s.waveform.pxPerMv > 40")["waveform"]
    assert louder["pxPerMv"] == pytest.approx(50)
    assert louder["pxPerMs"] == pytest.approx(1.25)
    # The keys: "-" zooms out in time, Esc returns to the standard scale from the start.
    viewer.page.keyboard.press("-")
    out = viewer.wait_state("s.waveform && s.waveform.pxPerMs < 1.2")["waveform"]
    assert out["pxPerMs"] == pytest.approx(1.0)
    viewer.page.keyboard.press("Escape")
    reset = viewer.wait_state("s.waveform && s.waveform.pxPerMs < 0.2")["waveform"]
    assert (reset["pxPerMs"], reset["pxPerMv"], reset["window"][0]) == (0.1, 40, 0)


def test_the_caliper_measures_ms_and_mv_between_two_points(viewer: Viewer, tmp_path: Path) -> None:
    """Lead II is 0.45 mV × sin(2π × 1.5 Hz × t): a peak at 166.7 ms, a trough at 500 ms."""
    catalog = _open(viewer, tmp_path, {"ecg.dcm": known.write_bytes(known.ecg())})
    _show(viewer, catalog, "ecg.dcm")
    viewer.page.evaluate("() => window.lightbox.setWaveformView({start: 0, pxPerMs: 1})")
    wave = viewer.state()["waveform"]
    lead = wave["plot"][1]
    assert lead["label"] == "II"
    box = viewer.page.locator(".pane.active .waveform-layer").bounding_box()
    assert box is not None

    def point(t_ms: float, mv: float) -> tuple[float, float]:
        x = lead["left"] + (t_ms - wave["window"][0]) * wave["pxPerMs"]
        return box["x"] + x, box["y"] + lead["baseline"] - mv * wave["pxPerMv"]

    peak, trough = point(1000 / 6, 0.45), point(500, -0.45)
    viewer.page.mouse.move(*peak)
    viewer.page.mouse.down()
    viewer.page.mouse.move(*trough, steps=5)
    viewer.page.mouse.up()
    caliper = viewer.state()["waveform"]["caliper"]
    assert caliper["ms"] == pytest.approx(500 - 1000 / 6, abs=1.0)
    assert caliper["mv"] == pytest.approx(-0.9, abs=0.03)
    # It joins the measurement list and its CSV, in ms and mV.
    (item,) = [m for m in viewer.state()["measurements"] if m["kind"] == "caliper"]
    assert item["result"]["value"] == pytest.approx(500 - 1000 / 6, abs=1.0)
    assert "333 ms" in viewer.page.locator("#measure-list").inner_text()
    csv = viewer.page.evaluate("() => window.lightbox.measurementsCsv()")
    assert ",caliper," in csv and " mV" in csv
    viewer.shot("waveform-caliper-peak-to-trough")
    # What the caliper measures is drawn with its label (blue), beside the trace.
    frame = viewer.frame()
    blue = (frame[..., 2] > 200) & (frame[..., 0] < 60)
    assert blue.sum() > 200
    # A right drag moves in time: 100 px to the left at 1 px/ms is 100 ms later.
    viewer.page.mouse.move(box["x"] + 400, box["y"] + 300)
    viewer.page.mouse.down(button="right")
    viewer.page.mouse.move(box["x"] + 300, box["y"] + 300, steps=4)
    viewer.page.mouse.up(button="right")
    moved = viewer.wait_state("s.waveform && s.waveform.window[0] > 0")["waveform"]
    assert moved["window"][0] == pytest.approx(100, abs=0.5)


def test_annotations_are_drawn_at_their_time_on_their_channel(
    viewer: Viewer, tmp_path: Path
) -> None:
    """ "R peak" is at 166 ms on lead II only; "SINUS RHYTHM" is about the whole waveform."""
    ds = known.annotated(known.ecg())
    catalog = _open(viewer, tmp_path, {"notes.dcm": known.write_bytes(ds)})
    wave = _show(viewer, catalog, "notes.dcm")["waveform"]
    assert wave["annotations"] == [
        {"text": "SINUS RHYTHM", "times": [], "channels": []},
        {"text": "R peak", "times": [166], "channels": ["II"]},
    ]
    frame = viewer.frame().astype(int)
    viewer.shot("waveform-annotations")
    x = round(wave["plot"][1]["left"] + (166 - wave["window"][0]) * wave["pxPerMs"])
    bluish = (frame[..., 2] - frame[..., 0]) > 60  # the annotation's colour over the paper
    bands = _bands(wave["plot"])
    (top_ii, bottom_ii), (top_v6, bottom_v6) = bands[1], bands[-1]
    assert bluish[top_ii:bottom_ii, x - 1 : x + 2].sum() > 10
    assert bluish[top_v6:bottom_v6, x - 1 : x + 2].sum() == 0


def test_a_broken_waveform_says_which_file_and_the_rest_still_shows(
    viewer: Viewer, tmp_path: Path
) -> None:
    real = pydicom_test_file("waveform_ecg.dcm").read_bytes()
    files = {
        "cut.dcm": known.write_bytes(known.cut_samples(known.ecg(seconds=4.0), keep=0.5)),
        "short.dcm": real[: len(real) - 1000],
        "ct.dcm": image_bytes(),
        "ecg.dcm": known.write_bytes(known.ecg(seconds=2.0)),
    }
    catalog = _open(viewer, tmp_path, files)
    skipped = {s["name"]: s["reason"] for s in catalog["skipped"]}
    assert "truncated inside (5400,0100) Waveform Sequence" in skipped["short.dcm"]
    cut = next(s for s in catalog["series"] if s["files"] == ["cut.dcm"])
    assert cut["warnings"][0]["file"] == "cut.dcm"
    assert "cut short: 1000 of 2000 samples" in cut["warnings"][0]["reason"]
    state = _show(viewer, catalog, "cut.dcm")
    assert state["waveform"]["window"][1] == pytest.approx(2000)  # the samples there are
    message = viewer.page.locator(".pane.active .pane-message")
    assert "cut.dcm" in message.inner_text() and "cut short" in message.inner_text()
    viewer.shot("waveform-cut-short-with-warning")
    assert _check_columns(viewer.frame(), state["waveform"]) > 12 * 100
    state = _show(viewer, catalog, "ecg.dcm")
    assert state["waveform"]["channels"] == 12
    index = next(i for i, s in enumerate(catalog["series"]) if s["files"] == ["ct.dcm"])
    viewer.page.evaluate(f"() => window.lightbox.select({index})")
    state = viewer.wait_state(f"s.series === {index}")
    assert state["kind"] == "stack" and state["waveform"] is None
    assert viewer.frame().shape[:2] == (4, 5)  # the image itself


def test_pydicoms_ecg_opens_with_its_groups_and_annotations(viewer: Viewer, tmp_path: Path) -> None:
    catalog = _open(
        viewer, tmp_path, {"waveform_ecg.dcm": pydicom_test_file("waveform_ecg.dcm").read_bytes()}
    )
    assert catalog["skipped"] == [] and catalog["documents"] == []
    state = _show(viewer, catalog, "waveform_ecg.dcm")
    wave = state["waveform"]
    assert (wave["channels"], wave["sampleRate"], wave["groups"]) == (
        12,
        1000,
        ["RHYTHM", "MEDIAN BEAT"],
    )
    assert [r["label"] for r in wave["plot"]][:3] == ["I", "II", "III"]
    texts = [a["text"] for a in wave["annotations"]]
    assert "RITMO SINUSALE" in texts and "QRS Onset" in texts
    viewer.shot("waveform-pydicom-ecg-rhythm")
    # The multiplex group chosen in the plot's own control.
    viewer.page.locator(".pane.active .waveform-bar select").select_option("1")
    median = viewer.wait_state("s.waveform && s.waveform.group === 1")["waveform"]
    assert median["window"] == pytest.approx([0, 1200])
    viewer.shot("waveform-pydicom-ecg-median-beat")
    viewer.page.evaluate("() => window.lightbox.setWaveformView({group: 0})")
    assert viewer.page.locator(".pane.active .waveform-bar select").input_value() == "0"


def test_a_pressure_and_a_voice_recording(viewer: Viewer, tmp_path: Path) -> None:
    catalog = _open(
        viewer,
        tmp_path,
        {
            "pressure.dcm": known.write_bytes(known.hemodynamic()),
            "voice.dcm": known.write_bytes(known.voice()),
        },
    )
    state = _show(viewer, catalog, "pressure.dcm")
    assert [r["units"] for r in state["waveform"]["plot"]] == ["mmHg", "uV"]
    viewer.shot("waveform-hemodynamic")
    state = _show(viewer, catalog, "voice.dcm")
    assert state["waveform"]["audio"] is True and state["waveform"]["sampleRate"] == 8000
    viewer.page.locator(".pane.active .waveform-play").click()
    playing = viewer.wait_state("s.waveform && s.waveform.playing")
    assert playing["waveform"]["playing"] is True
    later = viewer.wait_state("s.waveform && s.waveform.position > 0.1")  # the sound plays on
    assert later["waveform"]["position"] < 1.0
    viewer.shot("waveform-voice-playing")
    viewer.page.locator(".pane.active .waveform-play").click()
    viewer.wait_state("s.waveform && !s.waveform.playing")


def test_on_a_high_density_screen_the_plot_is_in_device_pixels(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    """At devicePixelRatio 2 the plot has twice the pixels and the standard scale twice the
    pixels a ms and a mV (a millimetre is 4 CSS pixels, 8 device pixels); the traces still
    sit where the samples say, in renderedFrame()'s pixels."""
    context = browser.new_context(viewport={"width": 1100, "height": 720}, device_scale_factor=2)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(base_url)
        page.wait_for_function("() => window.lightbox !== undefined", timeout=120_000)
        page.evaluate("() => window.lightbox.ready")
        dense = Viewer(page, Watch(base_url))
        path = tmp_path / "ecg.dcm"
        path.write_bytes(known.write_bytes(known.ecg()))
        dense.choose([path])
        wave = dense.wait_state("s.waveform !== null")["waveform"]
        assert (wave["pxPerMs"], wave["pxPerMv"]) == (0.2, 80)
        frame = dense.frame()
        box = page.locator(".pane.active .waveform-layer").bounding_box()
        assert box is not None
        assert frame.shape[:2] == (round(box["height"] * 2), round(box["width"] * 2))
        assert _check_columns(frame, wave) > 12 * 800
    finally:
        context.close()
    assert not errors, errors
