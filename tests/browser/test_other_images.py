"""Image objects never seen before (issue 15 item 4), through the real page.

Ophthalmic photography, OCT B-scans (scrolled) and the en-face image, dental intraoral and
panoramic radiographs, an endoscopy still and an ultrasound cine with two calibrated
regions, generated at test time (tests.support.others). Every frame checked is compared
with the independent reference (tests.support.reference: pydicom's pixel_array and the
standard's pipeline); lengths in the ultrasound image are checked against the regions'
Physical Delta X/Y written in the test.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from tests.support import others
from tests.support.expect import expected_frame
from tests.support.viewer import Viewer, series_index, to_screen

#: JPEG decoded in the page and by pydicom's plugin (the corpus' rule for JPEG).
LOSSY_MAX = 6


@pytest.fixture
def opened(viewer: Viewer, tmp_path: Path) -> tuple[dict[str, Path], dict]:
    paths = {}
    for name, make in others.ALL.items():
        make().save_as(tmp_path / name, enforce_file_format=True)
        paths[name] = tmp_path / name
    viewer.choose(list(paths.values()))
    catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
    return paths, catalog


def test_each_object_shows_like_the_reference(
    viewer: Viewer, opened: tuple[dict[str, Path], dict]
) -> None:
    paths, catalog = opened
    assert not catalog["skipped"]
    by_file = {s["files"][0]: i for i, s in enumerate(catalog["series"])}
    assert sorted(by_file) == sorted(paths)
    modalities = {s["files"][0]: s["modality"] for s in catalog["series"]}
    assert modalities["io.dcm"] == "IO" and modalities["px.dcm"] == "PX"
    assert catalog["series"][by_file["oct.dcm"]]["frames"] == 12
    for name, index in by_file.items():
        frames = catalog["series"][index]["frames"]
        for frame in sorted({0, frames // 2, frames - 1}):
            viewer.page.evaluate(f"() => window.lightbox.select({index}, {frame})")
            state = viewer.wait_state(f"s.series === {index} && s.frame === {frame}")
            assert state["file"] == name
            expected = expected_frame(paths, index, frame)
            found = expected.disagreement(viewer.frame(), max_lossy=LOSSY_MAX)
            assert found is None, found
        viewer.shot(f"other-{name.removesuffix('.dcm')}")


def _length(viewer: Viewer, a: tuple[float, float], b: tuple[float, float]) -> dict:
    count = len(viewer.state()["measurements"])
    mouse = viewer.page.mouse
    start = to_screen(viewer, *a, 320, 240)
    end = to_screen(viewer, *b, 320, 240)
    mouse.move(*start)
    mouse.down()
    for i in range(1, 6):
        mouse.move(start[0] + (end[0] - start[0]) * i / 5, start[1] + (end[1] - start[1]) * i / 5)
    mouse.up()
    state = viewer.wait_state(f"s.measurements.length === {count + 1}")
    return state["measurements"][-1]["result"]


def test_ultrasound_lengths_use_the_region_they_are_in(
    viewer: Viewer, opened: tuple[dict[str, Path], dict]
) -> None:
    _, catalog = opened
    index = next(i for i, s in enumerate(catalog["series"]) if s["files"] == ["us-regions.dcm"])
    viewer.page.evaluate(f"() => window.lightbox.select({index}, 4)")
    viewer.wait_state(f"s.series === {index} && s.frame === 4")
    viewer.page.evaluate("() => window.lightbox.setTool('length')")
    (_, (dx1, _)), (_, (dx2, dy2)) = others.US_REGIONS
    # 100 pixels across in region 1: 100 × Physical Delta X (cm) × 10 mm.
    first = _length(viewer, (40, 120), (140, 120))
    assert first["unit"] == "mm" and first["value"] == pytest.approx(100 * dx1 * 10, rel=0.03)
    assert "region 1" in first["note"]
    # 80 pixels across and 60 down in region 2, whose pixels are 0.5 mm by 0.1 mm.
    second = _length(viewer, (220, 60), (300, 120))
    expected = ((80 * dx2 * 10) ** 2 + (60 * dy2 * 10) ** 2) ** 0.5
    assert second["unit"] == "mm" and second["value"] == pytest.approx(expected, rel=0.03)
    assert "region 2" in second["note"]
    # From one region into the other: no one calibration, so pixels.
    across = _length(viewer, (150, 100), (260, 100))
    assert across["unit"] != "mm" and "not in one ultrasound region" in across["note"]
    viewer.page.evaluate("() => window.lightbox.setTool('scroll')")
    viewer.shot("other-us-region-lengths")


def test_the_en_face_image_marks_the_b_scan_shown_and_a_click_shows_another(
    viewer: Viewer, tmp_path: Path
) -> None:
    """PS3.3 C.8.17.7: B-scan k lies along row 10 + 12 k of the en-face image (the
    generator's numbers). The line drawn brightest is the B-scan the other pane shows;
    the lines are read back from the pane's layer; a click on one shows that B-scan."""
    scans, en_face, lines = others.oct_linked()
    scans.save_as(tmp_path / "oct.dcm", enforce_file_format=True)
    en_face.save_as(tmp_path / "en-face.dcm", enforce_file_format=True)
    viewer.choose([tmp_path / "oct.dcm", tmp_path / "en-face.dcm"])
    catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
    oct_i = next(i for i, s in enumerate(catalog["series"]) if s["files"] == ["oct.dcm"])
    face_i = next(i for i, s in enumerate(catalog["series"]) if s["files"] == ["en-face.dcm"])
    assert catalog["series"][face_i]["bscans"]["lines"] == lines
    viewer.page.evaluate("() => window.lightbox.setLayout('1x2')")
    viewer.page.evaluate("() => window.lightbox.activate(1)")
    viewer.page.evaluate(f"() => window.lightbox.select({oct_i}, 3)")
    viewer.page.evaluate("() => window.lightbox.activate(0)")
    viewer.page.evaluate(f"() => window.lightbox.select({face_i})")
    viewer.wait_state(f"s.series === {face_i}")

    def bright_rows() -> dict:
        """Canvas rows of the layer holding the bright (current) and the dim lines."""
        return viewer.page.evaluate(
            """() => {
                const c = document.querySelectorAll('.pane')[0].querySelector('.measure-layer');
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                const bright = [], dim = [];
                for (let y = 0; y < c.height; y += 1) {
                  let b = 0, m = 0;
                  for (let x = 0; x < c.width; x += 1) {
                    const i = 4 * (y * c.width + x);
                    if (d[i] < 40 && d[i + 1] > 200 && d[i + 2] > 230 && d[i + 3] > 240) b += 1;
                    else if (d[i + 3] > 40 && d[i + 3] < 160 && d[i + 2] > 200) m += 1;
                  }
                  if (b > c.width / 3) bright.push(y);
                  if (m > c.width / 6) dim.push(y);
                }
                const r = c.getBoundingClientRect();
                return {bright, dim, height: c.height, top: r.top, left: r.left,
                        cssHeight: r.height, width: r.width};
            }"""
        )

    deadline = time.monotonic() + 10
    rows = bright_rows()
    while not rows["bright"] and time.monotonic() < deadline:
        time.sleep(0.1)
        rows = bright_rows()
    assert rows["bright"], "no B-scan line is drawn bright"
    viewer.shot("oct-en-face-bscan-3")
    # Group the dim rows into lines: 11 of them (12 B-scans, one bright), 12 image px apart.
    groups: list[list[int]] = []
    for y in rows["dim"]:
        if groups and y - groups[-1][-1] <= 2:
            groups[-1].append(y)
        else:
            groups.append([y])
    bright = sum(rows["bright"]) / len(rows["bright"])
    # the bright line's own antialiased edge is not a line of its own
    dim = [sum(g) / len(g) for g in groups if abs(sum(g) / len(g) - bright) > 3]
    centres = sorted([*dim, bright])
    assert len(centres) == len(lines)
    assert min(range(len(centres)), key=lambda k: abs(centres[k] - bright)) == 3
    steps = [b - a for a, b in itertools.pairwise(centres)]
    assert max(steps) - min(steps) <= 2  # evenly spaced, as the rows 10 + 12 k are
    # A click on line 7 shows B-scan 7 in the other pane, and line 7 is then the bright one.
    css = rows["cssHeight"] / rows["height"]
    y7 = rows["top"] + centres[7] * css
    viewer.page.mouse.click(rows["left"] + rows["width"] / 2, y7)
    viewer.page.evaluate("() => window.lightbox.activate(1)")
    viewer.wait_state(f"s.series === {oct_i} && s.frame === 7")
    deadline = time.monotonic() + 10
    rows = bright_rows()
    while time.monotonic() < deadline and not (
        rows["bright"] and abs(sum(rows["bright"]) / len(rows["bright"]) - centres[7]) <= 2
    ):
        time.sleep(0.1)
        rows = bright_rows()
    assert abs(sum(rows["bright"]) / len(rows["bright"]) - centres[7]) <= 2
    viewer.shot("oct-en-face-bscan-7-clicked")


def test_each_b_scan_line_spans_its_first_to_last_a_scan(viewer: Viewer, tmp_path: Path) -> None:
    """PS3.3 C.8.17.10.1: Reference Coordinates (0022,0032) are (row, column) pairs, 0.0\\0.0
    the top left corner of the top left pixel. The generated B-scans run from column 40 to
    120 of the 160-column en-face image: the line drawn starts and ends there (read back
    from the pane's layer and mapped to image columns by the fitted view), not at the
    image's or the pane's edges."""
    scans, en_face, lines = others.oct_linked(span=(40.0, 120.0))
    scans.save_as(tmp_path / "oct.dcm", enforce_file_format=True)
    en_face.save_as(tmp_path / "en-face.dcm", enforce_file_format=True)
    viewer.choose([tmp_path / "oct.dcm", tmp_path / "en-face.dcm"])
    catalog = viewer.catalog()
    face_i = series_index(catalog, name="en-face.dcm")
    assert catalog["series"][face_i]["bscans"]["lines"] == lines
    viewer.page.evaluate(f"() => window.lightbox.select({face_i})")
    viewer.wait_state(f"s.series === {face_i}")
    read = """() => {
        const c = document.querySelector('.pane.active .measure-layer');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const xs = [], ys = [];
        for (let y = 0; y < c.height; y += 1)
          for (let x = 0; x < c.width; x += 1)
            if (d[4 * (y * c.width + x) + 3] > 40) { xs.push(x); ys.push(y); }
        const r = c.getBoundingClientRect();
        return {xs, ys, scale: r.width / c.width, left: r.left, top: r.top};
    }"""
    deadline = time.monotonic() + 10
    drawn = viewer.page.evaluate(read)
    while not drawn["xs"] and time.monotonic() < deadline:
        time.sleep(0.1)
        drawn = viewer.page.evaluate(read)
    assert drawn["xs"], "no B-scan line is drawn"
    viewer.shot("oct-en-face-bscan-extent")
    rows, cols = int(en_face.Rows), int(en_face.Columns)
    # Image columns 40 and 120 on the page, and one image pixel in CSS pixels.
    (x40, _), (x120, _) = (
        to_screen(viewer, 40, 0, cols, rows),
        to_screen(viewer, 120, 0, cols, rows),
    )
    pixel = (x120 - x40) / 80
    left = drawn["left"] + min(drawn["xs"]) * drawn["scale"]
    right = drawn["left"] + (max(drawn["xs"]) + 1) * drawn["scale"]
    assert abs(left - x40) <= max(1.0, pixel), (left, x40)
    assert abs(right - x120) <= max(1.0, pixel), (right, x120)
    # Every B-scan has its line (12 rows of marks), all between those columns.
    (_, y0), (_, y1) = (
        to_screen(viewer, 0, 10, cols, rows),
        to_screen(viewer, 0, 10 + 12 * 11, cols, rows),
    )
    tops = sorted(
        {round((drawn["top"] + y * drawn["scale"] - y0) / (12 * pixel)) for y in drawn["ys"]}
    )
    assert tops == list(range(12)), tops
    assert y1 > y0
