"""The engine's messages in the user's language (issue 18 item 4, the engine's part).

In German (``?lang=de``) a folder holds a file that is not DICOM, a DICOM file cut short
inside a 3 GiB element, and a gantry-tilted stack. The list of files not opened and the
viewport's warning of the sagittal view say the German catalog's text (read from the page),
filled with the values worked out here by hand, German numbers ("3,0 GiB", "18,0°"), the file
names as they are; the walk of every visible string (tests/browser/test_languages.py) finds
nothing outside the German catalog; then Arabic, switched to at run time, says them again in
Arabic. Screenshots of both.

Then, in German, the reasons of the rarer objects: a 12-lead ECG whose Waveform Data holds half
its samples (the waveform's own warning), pydicom's ECG cut 1000 bytes short (where it is cut,
its items numbered in German) and an MPEG-2 video the browser cannot play.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from playwright.sync_api import Browser

from tests.browser.test_languages import LAPTOP, catalog, dicom_values, outside, walk
from tests.support import broken
from tests.support import video as clips
from tests.support import volumes as known
from tests.support import waveforms as waves
from tests.support.factories import pydicom_test_file
from tests.support.viewer import Viewer, finish, new_viewer

#: The stack's gantry tilt (its slices step along the table, their normal tilted by it).
TILT_DEG = 18.0
#: Where and how large tests.support.broken's element before the pixels is: (0009,1010), a
#: private OB of 3 GiB (3 · 2³⁰ = 3221225472 bytes), the file ending 16 bytes into its value.
TAG = "(0009,1010)"


def _study(folder: Path) -> tuple[list[Path], list[Path]]:
    """The tilted stack's files, and the two files that do not open."""
    stack = known.series(
        [2.0 * k for k in range(12)],
        rows=56,
        columns=64,
        orientation=known.axial_orientation(TILT_DEG),
        direction=(0, 0, 1),
        name="languages-tilted",
    )
    images = known.write(stack, folder)
    notes = folder / "notes.txt"
    notes.write_text("Referral letter: not an image.\n", encoding="utf-8")
    cut = folder / "cut.dcm"
    cut.write_bytes(broken.long_element_before_pixels())
    return images, [notes, cut]


def _notices(viewer: Viewer) -> list[str]:
    return viewer.page.eval_on_selector_all(
        "#notice-list li", "(items) => items.map((li) => li.textContent)"
    )


def _warning(viewer: Viewer) -> str:
    return viewer.page.text_content(".pane.active .pane-message") or ""


def test_the_engine_s_messages_are_said_in_german_then_in_arabic(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    images, bad = _study(tmp_path / "study")
    context, viewer = new_viewer(browser, f"{base_url}?lang=de", viewport=LAPTOP)
    try:
        viewer.ready()
        page = viewer.page
        de = catalog(viewer, "de")
        viewer.choose([*images, *bad])
        viewer.wait_state(f"s.series === 0 && s.frames === {len(images)}")
        # The list of files not opened: "<file>: <reason>", the reason the German catalog's.
        not_dicom = de["engine.file_reason"].format(file="notes.txt", reason=de["engine.not_dicom"])
        gib = de["engine.bytes_gib"].format(bytes="3221225472", size="3,0")
        sixteen = de["engine.bytes.other"].format(count="16")
        truncated = de["engine.truncated_declares"].format(
            where=de["engine.private_tag"].format(tag=TAG), declared=gib, remaining=sixteen
        )
        assert sorted(_notices(viewer)) == sorted(
            [not_dicom, de["engine.file_reason"].format(file="cut.dcm", reason=truncated)]
        )
        assert "3221225472 Bytes (3,0 GiB)" in truncated and "16 Bytes" in truncated
        # The status line: one series opened, two files not (the page's German).
        status = page.text_content("#status") or ""
        assert status == de["open.opened"].format(
            count="1", notOpened=de["open.not_opened.other"].format(count="2"), closed=""
        )
        # The sagittal view of the tilted stack says the tilt was corrected, in German.
        page.evaluate("() => window.lightbox.setView({plane: 'sagittal'})")
        page.wait_for_function("() => !document.querySelector('.pane.active .pane-message').hidden")
        assert _warning(viewer) == de["engine.gantry_tilt"].format(degrees="18,0")
        english = page.evaluate("() => document.body.innerText")
        for said in ("not a DICOM file", "the file is truncated", "gantry tilt"):
            assert said not in english
        dicom = dicom_values(images) | {p.name for p in bad}
        assert outside(walk(viewer), de, dicom) == []
        viewer.shot("engine-messages-german")

        page.evaluate("() => window.lightbox.setLanguage('ar')")
        ar = catalog(viewer, "ar")
        notices = _notices(viewer)
        assert ar["engine.file_reason"].format(file="notes.txt", reason=ar["engine.not_dicom"]) in (
            notices
        )
        # Arabic writes its own digits: the tilt's number is checked by its words around it.
        before, after = ar["engine.gantry_tilt"].split("{degrees}")
        shown = _warning(viewer)
        assert shown.startswith(before) and shown.endswith(after), shown
        # 18.0 as the browser's Intl writes it in Arabic (its digits, its decimal sign).
        arabic = page.evaluate(
            "() => new Intl.NumberFormat('ar', {minimumFractionDigits: 1}).format(18)"
        )
        assert shown[len(before) : len(shown) - len(after)] == arabic
        # The status line changes language too: Arabic's dual for the two files (CLDR: 2 is
        # "two"), the numbers as the browser's Intl writes them in Arabic.
        one, two = page.evaluate("() => [1, 2].map((n) => new Intl.NumberFormat('ar').format(n))")
        assert page.text_content("#status") == ar["open.opened"].format(
            count=one, notOpened=ar["open.not_opened.two"].format(count=two), closed=""
        )
        assert outside(walk(viewer), ar, dicom) == []
        viewer.shot("engine-messages-arabic")
    finally:
        finish(context, viewer)


def test_a_waveform_s_and_a_video_s_reasons_are_said_in_german(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "rarer"
    folder.mkdir()
    # 4 s at 500 Hz: 2000 samples declared of 12 channels of 16 bits (24 bytes a sample),
    # half of the 48000 bytes kept: 1000 samples, 24000 bytes.
    cut = waves.write(waves.cut_samples(waves.ecg(seconds=4.0), keep=0.5), folder / "cut.dcm")
    real = pydicom_test_file("waveform_ecg.dcm").read_bytes()
    short = folder / "short.dcm"
    short.write_bytes(real[: len(real) - 1000])
    video = folder / "mpeg2.dcm"
    video.write_bytes(clips.video_bytes("mpeg2-ps", 12)[0])
    context, viewer = new_viewer(browser, f"{base_url}?lang=de", viewport=LAPTOP)
    try:
        viewer.ready()
        page = viewer.page
        de = catalog(viewer, "de")
        viewer.choose([cut, short, video])
        found = page.evaluate("() => window.lightbox.catalog()")
        series = {Path(s["files"][0]).name: i for i, s in enumerate(found["series"])}
        assert sorted(series) == ["cut.dcm", "mpeg2.dcm"]
        # Where pydicom's ECG is cut: inside its Waveform Sequence's last item's Waveform Data
        # (read here with pydicom: which item, its length, where its value lies in the file).
        (notice,) = _notices(viewer)
        groups = pydicom.dcmread(pydicom_test_file("waveform_ecg.dcm")).WaveformSequence
        value = bytes(groups[-1].WaveformData)
        start = real.rfind(value)
        item = de["engine.item"].format(number=str(len(groups)))
        where = f"(5400,0100) Waveform Sequence > {item} > (5400,1010) Waveform Data"
        bytes_ = de["engine.bytes.other"]
        reason = de["engine.truncated_declares"].format(
            where=where,
            declared=bytes_.format(count=str(len(value))),
            remaining=bytes_.format(count=str(len(real) - 1000 - start)),
        )
        assert notice == de["engine.file_reason"].format(file="short.dcm", reason=reason)
        assert "item" not in notice and "truncated" not in notice
        # The waveform's own warning, over its plot.
        page.evaluate(f"() => window.lightbox.select({series['cut.dcm']})")
        viewer.wait_state(f"s.series === {series['cut.dcm']} && s.waveform !== null")
        page.wait_for_function("() => !document.querySelector('.pane.active .pane-message').hidden")
        where = de["engine.waveform_group_labelled"].format(number="1", label="RHYTHM")
        bytes_ = de["engine.bytes.other"]
        short_by = de["engine.waveform_cut_short"].format(
            where=where,
            samples="1000",
            declared="2000",
            channels="12",
            present=bytes_.format(count="24000"),
            expected=bytes_.format(count="48000"),
        )
        assert _warning(viewer) == de["engine.file_reason"].format(file="cut.dcm", reason=short_by)
        dicom = dicom_values([cut, video]) | {short.name}
        assert outside(walk(viewer), de, dicom) == []
        viewer.shot("engine-messages-german-waveform")
        # The video the browser cannot play says why, and offers its file, in German.
        page.evaluate(f"() => window.lightbox.select({series['mpeg2.dcm']}, 0).catch(() => {{}})")
        page.wait_for_selector(".pane.active .video-save", state="visible")
        page.wait_for_function("() => !document.querySelector('.pane.active .pane-message').hidden")
        assert _warning(viewer) == de["video.unplayable"].format(
            file="mpeg2.dcm", reason=de["engine.video_mpeg"]
        )
        english = page.evaluate("() => document.body.innerText")
        for said in ("cannot be decoded", "cut short", "save the video", "item 1"):
            assert said not in english
        assert outside(walk(viewer), de, dicom) == []
        viewer.shot("engine-messages-german-video")
    finally:
        finish(context, viewer)


def test_a_waveform_without_labels_is_labelled_in_the_language_shown(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    """An ECG whose group and channels have no labels: the plot names them by number
    ("channel 1", the catalog's engine.waveform_channel_default; state() keeps the English
    as a machine value). Switched to German, the plot's label column and header are drawn
    again in German ("Kanal 1", "Gruppe 1") and its traces are drawn as they were."""
    ds = waves.ecg(seconds=2.0)
    for item in ds.WaveformSequence:
        del item.MultiplexGroupLabel
        for channel in item.ChannelDefinitionSequence:
            for keyword in ("ChannelLabel", "ChannelSourceSequence"):
                if keyword in channel:
                    delattr(channel, keyword)
    path = waves.write(ds, tmp_path / "unlabelled.dcm")
    context, viewer = new_viewer(browser, base_url, viewport=LAPTOP)
    try:
        viewer.ready()
        viewer.choose([path])
        state = viewer.wait_state("s.waveform !== null && s.waveform.plot.length > 0")
        rows = state["waveform"]["plot"]
        assert [r["label"] for r in rows] == [f"channel {k + 1}" for k in range(len(rows))]
        pixels = """() => {
            const c = document.querySelector("canvas.waveform-layer");
            const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            return {width: c.width, height: c.height, data: Array.from(d)};
        }"""

        def canvas() -> np.ndarray:
            got = viewer.page.evaluate(pixels)
            data = np.asarray(got["data"], np.uint8)
            return data.reshape(got["height"], got["width"], 4)[..., :3].astype(int)

        english = canvas()
        sum_ = """() => {
            const c = document.querySelector("canvas.waveform-layer");
            const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            let s = 0;
            for (let i = 0; i < d.length; i += 7) s = (s * 31 + d[i]) % 1000000007;
            return s;
        }"""
        before = viewer.page.evaluate(sum_)
        viewer.page.evaluate("() => window.lightbox.setLanguage('de')")
        viewer.page.wait_for_function(f"() => ({sum_})() !== {before}")  # drawn again
        german = canvas()
        # the header's line of text is drawn at y = 5 in 12 px type: the rows below it
        left, top = int(rows[0]["left"]), 20
        labels = np.abs(german[top:, :left] - english[top:, :left]).max(axis=-1) > 0
        header = np.abs(german[:top] - english[:top]).max(axis=-1) > 0
        traces = np.abs(german[top:, left + 2 :] - english[top:, left + 2 :]).max()
        assert labels.sum() > 50 and header.sum() > 20
        assert traces == 0
        assert viewer.state()["waveform"]["plot"][0]["label"] == "channel 1"
        viewer.shot("waveform-unlabelled-german")
    finally:
        finish(context, viewer)
