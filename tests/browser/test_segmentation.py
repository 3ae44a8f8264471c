"""Segmentations on the stack view (issue 16 item 4), through the real page.

The dcmqi CT (three 38 × 24 slices) and its SEG ("Liver") open together; on each CT
slice the page's composite (``renderedFrame({overlays: true})``, the image with the
segment layer over it as drawn on screen) is checked against the mask pydicom reads
from the SEG for the slice it names (Referenced SOP Instance UID): inside the mask,
(1 − opacity) × the plain frame's pixel + opacity × the segment's colour, the colour
from the CIELab formula of tests/unit/segment/test_color.py; outside, the plain frame.
Then the visibility toggle and opacity 1 (the colour replaces the pixel), and a
generated SEG with two segments of known voxels placed by Frame of Reference only.
"""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pydicom
from playwright.sync_api import Browser

from tests.support import segs
from tests.support.paths import CORPUS, written
from tests.support.viewer import Viewer, finish, new_viewer
from tests.unit.segment.test_color import expected as lab_expected

DCMQI = CORPUS / "seg" / "dcmqi" / "segmentations" / "24x38x3"


def _frame(viewer: Viewer, overlays: bool) -> np.ndarray:
    got = viewer.page.evaluate(
        """async (overlays) => {
            const f = await window.lightbox.renderedFrame({overlays});
            let s = "";
            for (let i = 0; i < f.data.length; i += 0x8000) {
                s += String.fromCharCode.apply(null, f.data.subarray(i, i + 0x8000));
            }
            return {width: f.width, height: f.height, b64: btoa(s)};
        }""",
        overlays,
    )
    data = np.frombuffer(base64.b64decode(got["b64"]), dtype=np.uint8)
    return data.reshape(got["height"], got["width"], 4).astype(float)


def _check(plain: np.ndarray, shown: np.ndarray, mask: np.ndarray, rgb, opacity: float) -> None:
    inside = mask.astype(bool)
    alpha = round(opacity * 255) / 255
    want = plain.copy()
    want[inside, :3] = (1 - alpha) * plain[inside, :3] + alpha * np.asarray(rgb, float)
    assert np.abs(shown[..., :3] - want[..., :3]).max() <= 2.0


def _select(viewer: Viewer, catalog: dict, modality: str) -> int:
    index = next(i for i, s in enumerate(catalog["series"]) if s["modality"] == modality)
    viewer.page.evaluate(f"() => window.lightbox.select({index}, 0)")
    viewer.wait_state(f"s.series === {index} && s.frame === 0")
    return index


def test_dcmqi_liver_on_the_ct(browser: Browser, base_url: str) -> None:
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        seg_path = DCMQI / "seg" / "label.seg"
        viewer.choose([*sorted((DCMQI / "image").glob("*.dcm")), seg_path])
        catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
        ct = _select(viewer, catalog, "CT")
        seg = pydicom.dcmread(seg_path)
        lab = tuple(seg.SegmentSequence[0].RecommendedDisplayCIELabValue)
        rgb = np.rint(lab_expected(lab))
        masks = seg.pixel_array
        by_uid = {
            item.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID: k
            for k, item in enumerate(seg.PerFrameFunctionalGroupsSequence)
        }
        uid_of = {
            pydicom.dcmread(p).SOPInstanceUID: p.name for p in (DCMQI / "image").glob("*.dcm")
        }
        state = viewer.state()
        [overlay] = state["overlays"]
        assert overlay["kind"] == "SEG" and overlay["uid"] == seg.SOPInstanceUID
        assert overlay["opacity"] == 0.5 and overlay["visible"] is True
        assert [s["label"] for s in overlay["segments"]] == ["Liver"]
        assert np.abs(np.array(overlay["segments"][0]["color"]) - lab_expected(lab)).max() <= 1
        checked = 0
        for frame in range(catalog["series"][ct]["frames"]):
            viewer.page.evaluate(f"() => window.lightbox.select({ct}, {frame})")
            state = viewer.wait_state(f"s.frame === {frame}")
            name = Path(state["file"]).name
            k = next(by_uid[u] for u, n in uid_of.items() if n == name)
            plain, shown = _frame(viewer, False), _frame(viewer, True)
            _check(plain, shown, masks[k], rgb, 0.5)
            checked += int(masks[k].sum())
            if masks[k].any():
                viewer.shot("segmentation-dcmqi-liver")
                liver_frame, liver_mask = frame, masks[k]
        assert checked == int(masks.sum()) > 0
        viewer.page.evaluate(f"() => window.lightbox.select({ct}, {liver_frame})")
        viewer.wait_state(f"s.frame === {liver_frame}")
        uid = seg.SOPInstanceUID
        viewer.page.evaluate(f"() => window.lightbox.setOverlay({{uid: '{uid}', visible: false}})")
        state = viewer.state()
        assert state["overlays"][0]["visible"] is False
        assert np.array_equal(_frame(viewer, True), _frame(viewer, False))
        viewer.page.evaluate(
            f"() => window.lightbox.setOverlay({{uid: '{uid}', visible: true, opacity: 1}})"
        )
        _check(_frame(viewer, False), _frame(viewer, True), liver_mask, rgb, 1.0)
        stats = viewer.page.evaluate(f"() => window.lightbox.segmentStats('{uid}')")
        assert stats[0]["voxels"] == masks.sum()
        assert abs(stats[0]["volumeMl"] - masks.sum() * 0.7 * 0.7 * 2.5 / 1000) < 1e-9
        text = viewer.page.inner_text("#segment-panel")
        assert "Liver" in text and "ml" in text
        viewer.shot("segmentation-dcmqi-liver-opaque")
    finally:
        finish(context, viewer)


def test_two_generated_segments_by_frame_of_reference(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    stack = segs.ct_stack(rows=24, cols=32)
    a = np.zeros((24, 32))
    a[4:12, 5:18] = 1
    b = np.zeros((24, 32))
    b[9:20, 14:28] = 1
    red, purple = (21169, 53249, 50708), (45062, 38660, 25486)
    data, ds = segs.seg_bytes(
        stack, [(1, 1, a), (2, 1, b)], [("Red", red), ("Purple", purple)], by_uid=False
    )
    paths = written(tmp_path, [*stack.files.items(), ("seg.dcm", data)])
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose(paths)
        catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
        ct = _select(viewer, catalog, "CT")
        assert catalog["series"][ct]["segmentations"][0]["frames"] == [1]
        uid = ds.SOPInstanceUID
        viewer.page.evaluate(f"() => window.lightbox.setOverlay({{uid: '{uid}', opacity: 1}})")
        viewer.page.evaluate(f"() => window.lightbox.select({ct}, 1)")
        viewer.wait_state("s.frame === 1")
        plain, shown = _frame(viewer, False), _frame(viewer, True)
        # segment 2 is drawn over segment 1; at opacity 1 each colour replaces the pixel
        want = plain.copy()
        want[a.astype(bool), :3] = np.rint(lab_expected(red))
        want[b.astype(bool), :3] = np.rint(lab_expected(purple))
        assert np.abs(shown[..., :3] - want[..., :3]).max() <= 2
        viewer.shot("segmentation-two-segments")
        viewer.page.evaluate(
            f"() => window.lightbox.setOverlay({{uid: '{uid}', segment: 2, visible: false}})"
        )
        state = viewer.state()
        assert [s["visible"] for s in state["overlays"][0]["segments"]] == [True, False]
        _check(_frame(viewer, False), _frame(viewer, True), a, np.rint(lab_expected(red)), 1.0)
        viewer.page.evaluate(f"() => window.lightbox.select({ct}, 0)")
        viewer.wait_state("s.frame === 0")
        assert np.array_equal(_frame(viewer, True), _frame(viewer, False))
    finally:
        finish(context, viewer)


def test_dcmqi_partial_overlaps_on_its_512_ct(browser: Browser, base_url: str) -> None:
    """Five overlapping segments of a real SEG over the real 512 × 512 CT it names: the
    page's composite is the plain frame with each SEG frame naming the slice drawn over
    it in the SEG's frame order (source-over, opacity 0.5, the CIELab formula's colour)."""
    folder = CORPUS / "seg" / "dcmqi" / "segmentations"
    images = sorted((folder / "ct-3slice").glob("*.dcm"))
    seg_path = folder / "partial_overlaps.dcm"
    seg = pydicom.dcmread(seg_path)
    masks = seg.pixel_array
    colors = {
        s.SegmentNumber: np.rint(lab_expected(tuple(s.RecommendedDisplayCIELabValue)))
        for s in seg.SegmentSequence
    }
    names = {pydicom.dcmread(p).SOPInstanceUID: p.name for p in images}
    context, viewer = new_viewer(browser, base_url)
    try:
        viewer.ready()
        viewer.choose([*images, seg_path])
        catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
        ct = _select(viewer, catalog, "CT")
        for frame in range(3):
            viewer.page.evaluate(f"() => window.lightbox.select({ct}, {frame})")
            state = viewer.wait_state(f"s.frame === {frame}")
            plain, shown = _frame(viewer, False), _frame(viewer, True)
            want = plain.copy()
            drawn = 0
            for k, item in enumerate(seg.PerFrameFunctionalGroupsSequence):
                uid = item.DerivationImageSequence[0].SourceImageSequence[0]
                if names[uid.ReferencedSOPInstanceUID] != Path(state["file"]).name:
                    continue
                number = item.SegmentIdentificationSequence[0].ReferencedSegmentNumber
                inside = masks[k].astype(bool)
                want[inside, :3] = 0.5 * want[inside, :3] + 0.5 * colors[number]
                drawn += 1
            assert drawn > 0
            # the layer is composed in Python (colour over colour, then rounded to 8 bits),
            # then over the image: a few levels of rounding where segments overlap
            assert np.abs(shown[..., :3] - want[..., :3]).max() <= 3
            if frame == 1:
                viewer.shot("segmentation-partial-overlaps")
    finally:
        finish(context, viewer)
