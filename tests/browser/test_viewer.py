"""The viewer in Chromium: open files through the real input, compare with native Python."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lightbox.session.session import Session
from tests.support import discs
from tests.support.expect import expected_frame
from tests.support.viewer import Viewer, images, reach
from tools import synth


def agrees(
    got: np.ndarray,
    paths: list[Path],
    series: int = 0,
    frame: int = 0,
    window: tuple[float, float] | None = None,
    invert: bool = False,
    max_lossy: int = 3,
) -> str | None:
    """None when ``got`` is what the independent reference renders, else why not.

    The reference (tests/support/reference.py) decodes with pydicom's plugins and renders
    from the standard; it shares no code with Lightbox.
    """
    expected = expected_frame(
        {p.name: p for p in paths}, series, frame, window=window, invert=invert
    )
    return expected.disagreement(got, max_lossy=max_lossy)


# Lossless frames agree with the reference within one level on 99.9% of samples (the
# reference's rounding slack); where two JPEG decoders meet, libjpeg-turbo (wasm) in the
# browser and pydicom's libjpeg natively round the inverse DCT and the YCbCr conversion
# differently (measured here: at most 3 levels).
EXACT = (0, 0.0)
JPEG_TOLERANCE = (3, 0.5)


@pytest.mark.parametrize(
    ("name", "frame", "tolerance"),
    [
        pytest.param("CT_small.dcm", 0, EXACT, id="ct-16bit-signed-rescale-auto-window"),
        pytest.param("MR_small.dcm", 0, EXACT, id="mr-16bit-file-window"),
        pytest.param("MR_small_implicit.dcm", 0, EXACT, id="implicit-little-endian"),
        pytest.param("MR_small_bigendian.dcm", 0, EXACT, id="explicit-big-endian"),
        pytest.param("MR_small_RLE.dcm", 0, EXACT, id="rle"),
        pytest.param("image_dfl.dcm", 0, EXACT, id="deflate"),
        pytest.param("SC_rgb_small_odd.dcm", 0, EXACT, id="rgb-8bit"),
        pytest.param("SC_rgb_rle_2frame.dcm", 1, EXACT, id="rgb-rle-multiframe-frame-2"),
        pytest.param("SC_ybr_full_422_uncompressed.dcm", 0, EXACT, id="ybr-full-422"),
        pytest.param(
            "examples_ybr_color.dcm", 5, JPEG_TOLERANCE, id="jpeg-ybr422-multiframe-frame-6"
        ),
        pytest.param("rtdose.dcm", 3, EXACT, id="32bit-multiframe"),
        pytest.param("SC_rgb_jpeg_dcmtk.dcm", 0, JPEG_TOLERANCE, id="jpeg-baseline-ybr"),
    ],
)
def test_opened_file_matches_native_pipeline(
    viewer: Viewer, test_files: Path, name: str, frame: int, tolerance: tuple[int, float]
) -> None:
    path = test_files / name
    viewer.choose([path])
    if frame:
        viewer.page.evaluate(f"() => window.lightbox.select(0, {frame})")
    state = viewer.state()
    assert state["series"] == 0 and state["frame"] == frame and state["file"] == name
    got = viewer.frame()
    found = agrees(got, [path], 0, frame, max_lossy=tolerance[0])
    assert found is None, found
    # The image is not blank: the comparison would be meaningless on a flat frame.
    assert got[..., :3].std() > 5


def test_jpeg_baseline_grey_matches_native(viewer: Viewer, tmp_path: Path) -> None:
    path = synth.jpeg_baseline_grey(tmp_path / "grey.dcm")
    viewer.choose([path])
    assert viewer.state()["file"] == "grey.dcm"
    found = agrees(viewer.frame(), [path], max_lossy=JPEG_TOLERANCE[0])
    assert found is None, found


def test_ct_small_looks_right(viewer: Viewer, test_files: Path) -> None:
    """CT_small has no window: the automatic one spans its data, so bone is bright."""
    viewer.choose([test_files / "CT_small.dcm"])
    state = viewer.state()
    assert state["windowSource"] == "automatic"
    frame = viewer.frame()
    grey = frame[..., 0].astype(int)
    assert (frame[..., 0] == frame[..., 1]).all() and (frame[..., 3] == 255).all()
    assert grey.min() < 30 and grey.max() > 200
    viewer.shot("ct-small")


def make_monochrome1(path: Path) -> Path:
    ds = synth.ct_series(1, 64, 64, name="mono1", window=(40.0, 400.0))[0]
    ds.PhotometricInterpretation = "MONOCHROME1"
    path.write_bytes(synth.to_bytes(ds))
    return path


def test_monochrome1_is_inverted(viewer: Viewer, tmp_path: Path) -> None:
    mono1 = make_monochrome1(tmp_path / "mono1.dcm")
    viewer.choose([mono1])
    got = viewer.frame()
    assert agrees(got, [mono1]) is None
    # Air (-1000 HU, far below the window) shows white in MONOCHROME1.
    assert got[0, 0, 0] == 255
    viewer.page.evaluate("() => window.lightbox.setInvert(true)")
    assert viewer.frame()[0, 0, 0] == 0
    viewer.page.evaluate("() => window.lightbox.setInvert(false)")


def write_shuffled_series(folder: Path, count: int = 12) -> list[Path]:
    """The shuffled series of :mod:`tests.support.discs` (Instance Numbers disagree with the
    geometry on purpose), written as files."""
    paths = []
    for name, data in discs.shuffled_series(count):
        path = folder / Path(name).name
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_single_frame_files_stack_in_geometric_order(viewer: Viewer, tmp_path: Path) -> None:
    paths = write_shuffled_series(tmp_path)
    viewer.choose(paths)
    catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
    assert [s["frames"] for s in catalog["series"]] == [len(paths)]
    session = Session()
    session.open([(p.name, p.read_bytes()) for p in paths])
    for frame in (0, 5, len(paths) - 1):
        viewer.page.evaluate(f"() => window.lightbox.select(0, {frame})")
        state = viewer.state()
        ref = session.frame_ref(0, frame)
        assert state["file"] == session.files[ref.file].name
        z = float(session.files[ref.file].header.dataset.ImagePositionPatient[2])
        assert z == pytest.approx(frame * 2.0)
        assert agrees(viewer.frame(), paths, 0, frame) is None


def test_set_window_changes_pixels_as_native(viewer: Viewer, test_files: Path) -> None:
    path = test_files / "CT_small.dcm"
    viewer.choose([path])
    viewer.page.evaluate("() => window.lightbox.setWindow(40, 400)")
    state = viewer.state()
    assert (state["windowCenter"], state["windowWidth"]) == (40, 400)
    assert state["windowSource"] == "user"
    assert agrees(viewer.frame(), [path], window=(40.0, 400.0)) is None


def test_demo_opens_and_wheel_and_keys_scroll(viewer: Viewer) -> None:
    viewer.control("#demo-button").click()
    viewer.wait_state("s.frames === 24")
    state = viewer.state()
    assert state["frames"] == 24 and state["frame"] == 0
    label = viewer.page.text_content(".pane.active .bottom-left")
    assert label is not None and "1 / 24" in label
    viewer.shot("demo-first-slice")
    first = viewer.frame()
    viewer.page.hover(".pane.active")
    viewer.page.mouse.wheel(0, 100)
    viewer.wait_state("s.frame === 1")
    viewer.page.mouse.wheel(0, 300)
    viewer.wait_state("s.frame === 4")
    viewer.page.keyboard.press("ArrowDown")
    viewer.wait_state("s.frame === 5")
    viewer.page.keyboard.press("End")
    viewer.wait_state("s.frame === 23")
    assert "24 / 24" in (viewer.page.text_content(".pane.active .bottom-left") or "")
    viewer.page.keyboard.press("Home")
    viewer.wait_state("s.frame === 0")
    viewer.page.keyboard.press("PageDown")
    viewer.wait_state("s.frame > 1")
    middle = viewer.page.evaluate("() => window.lightbox.select(0, 12)")
    assert middle is None
    frame = viewer.frame()
    assert not (frame == first).all()
    viewer.shot("demo-middle-slice")
    # The phantom's skull (1000 HU) is white in the file's brain window, the air black.
    assert frame[..., 0].max() == 255 and frame[0, 0, 0] == 0


def test_bad_files_are_reported_and_the_rest_opens(
    viewer: Viewer, test_files: Path, tmp_path: Path
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + bytes(300))
    header_cut = tmp_path / "header-cut.dcm"
    header_cut.write_bytes((test_files / "CT_small.dcm").read_bytes()[:3000])
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    good = test_files / "MR_small.dcm"
    viewer.choose([text, pdf, header_cut, empty, good, test_files / "rtplan.dcm"])
    catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
    assert [s["modality"] for s in images(catalog)] == ["MR"]
    reasons = {item["name"]: item["reason"] for item in catalog["skipped"]}
    assert set(reasons) == {"notes.txt", "report.pdf", "header-cut.dcm", "empty"}
    assert "not a DICOM file" in reasons["notes.txt"]
    assert "truncated" in reasons["header-cut.dcm"]
    # The RT plan has no image: it is listed with its type, not hidden.
    assert [(d["name"], d["type"]) for d in catalog["documents"]] == [
        ("rtplan.dcm", "RT Plan Storage")
    ]
    assert viewer.state()["file"] == "MR_small.dcm"
    notices = viewer.page.text_content("#notice-list") or ""
    for name in reasons:
        assert name in notices
    viewer.shot("bad-input-reported")


def test_short_pixel_data_shows_what_it_has_with_a_warning(
    viewer: Viewer, test_files: Path, tmp_path: Path
) -> None:
    cut = tmp_path / "cut.dcm"
    cut.write_bytes((test_files / "CT_small.dcm").read_bytes()[:20000])
    viewer.choose([cut])
    assert viewer.state()["file"] == "cut.dcm"
    message = viewer.page.text_content(".pane.active .pane-message") or ""
    assert "truncated" in message and viewer.page.is_visible(".pane.active .pane-message")
    frame = viewer.frame()
    assert frame[:30, :, 0].std() > 5  # the rows that are present show the image
    viewer.shot("short-pixel-data-warning")


def _garbled_jpeg(test_files: Path, path: Path) -> Path:
    """A JPEG file whose header is fine and whose compressed data is garbage."""
    data = bytearray((test_files / "SC_rgb_jpeg_dcmtk.dcm").read_bytes())
    start = data.index(b"\xff\xd8\xff")  # the JPEG stream's start of image
    data[start + 600 : start + 4000] = bytes(3400)
    path.write_bytes(bytes(data))
    return path


def test_undecodable_frame_is_reported_and_worker_lives(
    viewer: Viewer, test_files: Path, tmp_path: Path
) -> None:
    """JPEG data that is garbage: the header is fine, the decode fails, the viewer goes on;
    the frame is listed in the report, and the file (its one frame) in ``skipped``."""
    broken = _garbled_jpeg(test_files, tmp_path / "broken.dcm")
    viewer.choose([broken])
    # The viewport says which file and why (the status line says what opened).
    message = viewer.page.text_content(".pane.active .pane-message") or ""
    assert "broken.dcm" in message and "cannot be decoded" in message, message
    assert viewer.page.is_visible(".pane.active .pane-message")
    viewer.shot("undecodable-frame-message")
    catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
    failures = catalog["report"]["undecodable"]
    assert [(f["file"], f["frame"]) for f in failures] == [("broken.dcm", 1)], failures
    reason = failures[0]["reason"]
    assert reason.startswith("frame 1 cannot be decoded (") and reason in message, reason
    assert f"Frames that cannot be shown:\n- broken.dcm: {reason}" in catalog["report"]["text"]
    assert catalog["report"]["complete"] is False
    entry = next(s for s in catalog["skipped"] if s["name"] == "broken.dcm")
    assert entry["reason"] == reason
    detail = reason.removeprefix("frame 1 cannot be decoded (").removesuffix(")")
    assert entry["said"]["key"] == "engine.frame_undecodable"
    assert entry["said"]["params"] == {"frame": 1, "detail": detail}
    # The notice of files that were not shown lists it too.
    assert f"broken.dcm: {reason}" in (viewer.page.text_content("#notice-list") or "")
    viewer.choose([test_files / "MR_small.dcm"])
    assert viewer.state()["file"] == "MR_small.dcm"
    assert viewer.frame()[..., 0].std() > 5


def test_report_dialog_lists_a_frame_that_failed_after_the_open(
    viewer: Viewer, test_files: Path, tmp_path: Path
) -> None:
    """The broken file is not the one shown first: its frame fails later (its thumbnail),
    after the page fetched the catalog. The Report dialog says so all the same."""
    broken = _garbled_jpeg(test_files, tmp_path / "broken.dcm")
    viewer.choose([test_files / "MR_small.dcm", broken])
    assert viewer.state()["file"] == "MR_small.dcm"
    for _ in range(200):  # the thumbnails are made one by one after the open
        catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
        if catalog["report"]["undecodable"]:
            break
        viewer.page.wait_for_timeout(50)
    assert [f["file"] for f in catalog["report"]["undecodable"]] == ["broken.dcm"]
    viewer.control("#report-button").click()
    viewer.page.wait_for_function(
        "() => document.getElementById('report-text').textContent.includes('broken.dcm')"
    )
    text = viewer.page.text_content("#report-text") or ""
    assert "Frames that cannot be shown:\n- broken.dcm: frame 1 cannot be decoded (" in text
    viewer.shot("report-frame-that-cannot-be-shown")
    viewer.page.click("#report-close")


def test_opening_an_open_file_again_shows_it(viewer: Viewer, test_files: Path) -> None:
    """Choosing a file that is already open shows its series, and says it is open."""
    viewer.choose([test_files / "CT_small.dcm"])
    viewer.choose([test_files / "MR_small.dcm"])
    assert viewer.state()["file"] == "MR_small.dcm"
    viewer.choose([test_files / "CT_small.dcm"])
    state = viewer.wait_state("s.file === 'CT_small.dcm'", timeout_s=10)
    assert state["frame"] == 0
    catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
    assert len(catalog["series"]) == 2  # nothing was added
    ct = next(i for i, s in enumerate(catalog["series"]) if s["modality"] == "CT")
    assert state["series"] == ct
    assert agrees(viewer.frame(), [test_files / "CT_small.dcm"]) is None
    status = viewer.page.text_content("#status") or ""
    assert status.startswith("CT_small.dcm is already open"), status
    current = viewer.page.get_attribute("#series-list button[aria-current=true]", "data-series")
    assert current == str(ct)
    viewer.shot("open-again-shows-it")


def test_opening_one_file_of_an_open_series_again_shows_that_file(
    viewer: Viewer, tmp_path: Path
) -> None:
    paths = []
    for i, ds in enumerate(synth.ct_series(5, 32, 32, name="again")):
        paths.append(tmp_path / f"IM{i + 1}")
        paths[-1].write_bytes(synth.to_bytes(ds))
    viewer.choose(paths)
    viewer.page.evaluate("() => window.lightbox.select(0, 4)")
    viewer.choose([paths[2]])
    state = viewer.wait_state("s.frame === 2", timeout_s=10)
    assert state["file"] == "IM3" and state["series"] == 0
    # All of them again: the series from its first frame.
    viewer.choose(paths[::-1])
    state = viewer.wait_state("s.frame === 0", timeout_s=10)
    assert state["file"] == "IM1"
    status = viewer.page.text_content("#status") or ""
    assert status.startswith("5 files are already open"), status


def test_own_files_close_the_demo(viewer: Viewer, test_files: Path) -> None:
    """The demo is not the user's: their own files replace it (no "2 different patients")."""
    viewer.control("#demo-button").click()
    viewer.wait_state("s.frames === 24")
    viewer.choose([test_files / "CT_small.dcm"])
    state = viewer.wait_state("s.file === 'CT_small.dcm'", timeout_s=10)
    assert state["series"] == 0 and state["frames"] == 1
    catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
    assert [(s["modality"], s["frames"]) for s in catalog["series"]] == [("CT", 1)]
    assert catalog["report"]["patients"] == 1 and not catalog["report"]["severalPatients"]
    assert viewer.page.locator("#series-list .warning").count() == 0
    assert "Patient 1" not in (viewer.page.text_content("#series-list") or "")
    status = viewer.page.text_content("#status") or ""
    assert "Opened 1 series" in status and "demo was closed" in status, status
    viewer.shot("own-file-replaces-demo")
    # The user's own files stay: more of them are added, the demo again is added too.
    viewer.choose([test_files / "MR_small.dcm"])
    viewer.control("#demo-button").click()
    viewer.wait_state("s.frames === 24")
    catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
    assert len(catalog["series"]) == 3


STATUS_LOG = """
document.addEventListener("DOMContentLoaded", () => {
  window.__statusLog = [];
  const status = document.getElementById("status");
  new MutationObserver(() => window.__statusLog.push(status.textContent))
    .observe(status, {childList: true, characterData: true, subtree: true});
});
"""


def test_boot_progress_and_open_button_usable_at_once(
    fresh_viewer: Viewer, test_files: Path
) -> None:
    page = fresh_viewer.page
    page.context.add_init_script(STATUS_LOG)
    page.reload()
    assert reach(page, "#open-button").is_visible() and page.is_visible("#demo-button")
    assert not page.evaluate(
        "() => document.querySelector('#status').textContent.startsWith('Ready')"
    )
    # Files chosen before Python is ready are opened once it is.
    fresh_viewer.choose([test_files / "CT_small.dcm"])
    assert fresh_viewer.state()["file"] == "CT_small.dcm"
    log = page.evaluate("() => window.__statusLog")
    labels = [
        "Loading the Python runtime",
        "Loading numpy and pydicom",
        "Starting the DICOM engine",
    ]
    positions = [next(i for i, text in enumerate(log) if label in text) for label in labels]
    assert positions == sorted(positions), log
    assert any(text.startswith("Ready (started in") for text in log), log
    assert "Opened 1 series" in (page.text_content("#status") or "")


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (404, "gone", "HTTP 404"),
        (200, "<html>a host's error page</html>", "not a Lightbox site pack"),
    ],
    ids=["missing", "not-a-pack"],
)
def test_worker_that_cannot_start_offers_reload(  # type: ignore[no-untyped-def]
    browser, base_url: str, status: int, body: str, reason: str
) -> None:
    """A broken deployment (the Python pack missing or replaced): said so, with a reload."""
    context = browser.new_context()
    context.route("**/py/site.pack", lambda route: route.fulfill(status=status, body=body))
    page = context.new_page()
    page.goto(base_url)
    page.wait_for_selector("#crash", state="visible", timeout=120_000)
    text = page.text_content("#crash-text") or ""
    assert "site.pack" in text and reason in text, text
    assert page.is_visible("#reload-button")
    context.close()


def test_worker_that_fails_before_the_page_has_loaded_still_offers_reload(  # type: ignore[no-untyped-def]
    browser, base_url: str
) -> None:
    """The worker starts before the page's own modules load (rpc/start.js); a failure that
    early (its script missing) is kept and shown once the page is up."""
    context = browser.new_context()
    context.route("**/js/worker/worker.js", lambda route: route.fulfill(status=404, body="gone"))
    page = context.new_page()
    page.goto(base_url)
    page.wait_for_selector("#crash", state="visible", timeout=60_000)
    assert "worker failed to start" in (page.text_content("#crash-text") or "")
    assert page.is_visible("#reload-button")
    context.close()
