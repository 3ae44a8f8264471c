"""Burned-in text found in the pixels (issue 20 item 3): its recall and false boxes on
generated images whose text Pillow drew (the truth: Pillow's bounding box of each line),
and the export that reports and blanks what it found.

A line counts as found when boxes cover 90 % of its truth box; a box is false when it
overlaps no line. The figures printed here are the README's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lightbox.cli.main import main
from lightbox.deid import api as deid
from lightbox.deid.api import DeidOptions
from lightbox.deid.text import find_text, merge
from tests.support import burned
from tests.support.factories import image_dataset
from tests.support.planted import MARKERS, PLANTED_NAME, markers_found, planted_bytes, read_members
from tools.synth import to_bytes

SEEDS = range(20)
#: The least recall per background, measured (run 2026-12-02: CT 0.88, gradient 0.95,
#: ultrasound 0.62 — text over bright speckle is missed), less a margin.
RECALL = {"ct": 0.8, "gradient": 0.9, "us": 0.55}
#: False boxes over all 60 images, measured 1; the most allowed.
FALSE_BOXES = 4


def _overlap(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _covered(truth: tuple[int, int, int, int], found: list[tuple[int, int, int, int]]) -> float:
    x, y, w, h = truth
    mask = np.zeros((h, w), dtype=bool)
    for fx, fy, fw, fh in found:
        mask[max(fy - y, 0) : max(fy + fh - y, 0), max(fx - x, 0) : max(fx + fw - x, 0)] = True
    return float(mask.mean())


def _figures(kind: str) -> tuple[int, int, int, int]:
    lines = hits = boxes = false = 0
    for seed in SEEDS:
        image, truth = burned.with_text(kind, seed)
        found = find_text(image)
        lines += len(truth)
        hits += sum(_covered(t, found) >= 0.9 for t in truth)
        boxes += len(found)
        false += sum(not any(_overlap(f, t) for t in truth) for f in found)
    return lines, hits, boxes, false


def test_recall_and_false_boxes_on_generated_images_with_text() -> None:
    total_false = 0
    for kind in burned.KINDS:
        lines, hits, boxes, false = _figures(kind)
        print(f"{kind}: {hits}/{lines} lines found ({hits / lines:.2f}), {false}/{boxes} false")
        assert hits / lines >= RECALL[kind], (kind, hits, lines)
        total_false += false
    assert total_false <= FALSE_BOXES


def test_no_text_no_boxes() -> None:
    rng = np.random.default_rng(3)
    for kind in burned.KINDS:
        assert find_text(burned.background(kind, (256, 256), rng).astype(np.uint16)) == []
    assert find_text(np.zeros((64, 64), np.uint8)) == []
    assert find_text(np.full((3, 200), 9, np.uint8)) == []


def test_overlapping_boxes_merge() -> None:
    assert merge([(0, 0, 10, 10), (5, 5, 10, 10), (30, 0, 2, 2)]) == [
        (0, 0, 15, 15),
        (30, 0, 2, 2),
    ]


def _us_with_text() -> tuple[bytes, list[tuple[int, int, int, int]], np.ndarray]:
    image, truth = burned.with_text("gradient", 1, size=(256, 320), count=2)
    ds = image_dataset(image, modality="US")
    ds.BurnedInAnnotation = "NO"  # the header says none: only the pixels tell
    return to_bytes(ds), truth, image


def test_the_export_reports_the_boxes_found_and_blanks_them_when_asked() -> None:
    data, truth, image = _us_with_text()
    plain = deid.deidentify([("us.dcm", data)], DeidOptions())
    assert not plain.flagged  # not searched: the header says no burned-in text
    found = deid.deidentify([("us.dcm", data)], DeidOptions(find_text=True))
    (flag,) = found.flagged
    assert flag.text_boxes and "text found in the pixels" in flag.reason
    assert all(_covered(t, list(flag.text_boxes)) >= 0.9 for t in truth)
    assert "text found in the pixels" in found.report
    (kept,) = read_members(found.zip).values()
    np.testing.assert_array_equal(kept.pixel_array, image)  # found, not blanked
    blanked = deid.deidentify([("us.dcm", data)], DeidOptions(blank_detected=True))
    (out,) = read_members(blanked.zip).values()
    pixels = out.pixel_array
    for x, y, w, h in truth:  # every line of text gone: the darkest value
        assert (pixels[y : y + h, x : x + w] == image.min()).all()
    assert find_text(pixels) == []
    assert "113101" in [item.CodeValue for item in out.DeidentificationMethodCodeSequence]
    assert "text blanked in the pixels" in blanked.report


@pytest.mark.parametrize("option", ["--find-text", "--blank-detected"])
def test_the_command_line_searches_and_blanks(tmp_path: Path, option: str) -> None:
    data, _, _ = _us_with_text()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "us.dcm").write_bytes(data)
    assert main(["deid", str(tmp_path / "in"), str(tmp_path / "out"), "--jobs", "1", option]) == 0
    report = (tmp_path / "out" / "REPORT.TXT").read_text()
    assert ("text blanked" if option == "--blank-detected" else "text found") in report


def test_the_planted_identifiers_drawn_in_the_pixels_are_found_and_blanked() -> None:
    """The planted file (a marker in every identifying attribute) with the patient's name,
    ID and birth date burned into its 512 x 512 CT pixels too, at 12 seeds' places and
    sizes: the export leaves no marker in any byte; what it finds it blanks to the darkest
    value, the rest of the image untouched; and it finds the drawn lines as often as the
    recall figure above says (a line it misses is still in the pixels: the reason the
    report tells to look at every flagged image)."""
    texts = (f"{MARKERS['family']}^{MARKERS['given']}", MARKERS["patient_id"], "1929-04-12")
    lines = hits = 0
    for seed in range(12):
        image, truth = burned.with_text("ct", seed, texts=texts)
        export = deid.deidentify(
            [(PLANTED_NAME, planted_bytes(image))], DeidOptions(blank_detected=True)
        )
        assert markers_found(export.zip) == set()
        (flag,) = export.flagged
        lines += len(truth)
        hits += sum(_covered(t, list(flag.text_boxes)) >= 0.9 for t in truth)
        (out,) = read_members(export.zip).values()
        pixels = out.pixel_array
        blank = np.zeros(image.shape, dtype=bool)
        for x, y, w, h in flag.text_boxes:
            blank[y : y + h, x : x + w] = True
        assert (pixels[blank] == image.min()).all(), seed
        np.testing.assert_array_equal(pixels[~blank], image[~blank])
        assert find_text(pixels) == [], seed
    print(f"planted: {hits}/{lines} lines found")
    assert hits / lines >= RECALL["ct"], (hits, lines)
