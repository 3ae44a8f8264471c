"""The interface's languages (issue 18 item 4), on the real page.

Every visible string (text nodes, aria-label, title, placeholder, the options of visible
selects) of the start screen, the viewer with the demo open, each menu opened and each
dialog must be a value of the current language's catalog (web/js/i18n/<code>.js, read from
the page itself), a number/unit/symbol, or a DICOM value of the open files (read here with
pydicom). German is asked for by ``?lang=de`` and by the browser's locale; Arabic is right to
left with the layout mirrored and the image not; setLanguage re-renders without a reload.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pydicom
import pytest
from playwright.sync_api import Browser
from pydicom.data import get_charset_files
from pydicom.datadict import dictionary_description

from tests.support.viewer import BUILD, ROOT, Viewer, drag, finish, new_viewer, to_screen

#: The screen the issue measures on (a laptop).
LAPTOP = {"width": 1366, "height": 768}
#: Where the README's screenshots live.
DOCS = ROOT / "docs" / "screenshots"

#: Shown text that is the page's own but not the catalogs' and not DICOM's: none. Text the
#: engine writes (the report, the console's output, the tag tree's DICOM dictionary names and
#: values, the de-identification preview's rows) is walked around, as the brief allows.
ENGINE_TEXT = "#report-text, #console-output, #tag-tree, .deid-result td"

#: How deep catalog values nest inside one another's placeholders (a file's reason that says
#: where it is cut, of how many bytes).
DEPTH = 5
#: A date as Intl's medium style writes it with a month word ("Dec 3, 2026", "3. Dez. 2026",
#: "3 déc. 2026", "3 dic 2026", Arabic's with its digits); a date of digits has no word.
DATE = re.compile(r"\d{1,2}\.?\s[^\W\d_]{2,12}\.?\s\d{4}|[^\W\d_]{2,12}\.?\s\d{1,2},\s\d{4}")

#: A tag as the engine writes it, with the standard's name of it: "(7FE0,0010) Pixel Data".
TAG = re.compile(r"\(([0-9A-F]{4}),([0-9A-F]{4})\)(?: (.+))?")


def dictionary_name(tag: int) -> str | None:
    """The standard's name of a tag (pydicom's dictionary), None when it has none."""
    try:
        return str(dictionary_description(tag))
    except KeyError:
        return None


WALK = """(skip) => {
  const out = [];
  const seen = (el) => el.checkVisibility({ visibilityProperty: true });
  const skipped = (el) => el.closest(skip) !== null;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const text = node.textContent.trim();
    if (!text || !el || el.closest("script, style, option") || skipped(el) || !seen(el)) continue;
    out.push({ text, where: el.id || el.className || el.tagName });
  }
  for (const el of document.querySelectorAll("[title], [aria-label], [placeholder]")) {
    if (skipped(el) || !seen(el)) continue;
    for (const name of ["title", "aria-label", "placeholder"]) {
      const text = (el.getAttribute(name) || "").trim();
      if (text) out.push({ text, where: `${el.id || el.tagName}[${name}]` });
    }
  }
  for (const select of document.querySelectorAll("select")) {
    if (skipped(select) || !seen(select)) continue;
    for (const option of select.options) {
      const text = option.textContent.trim();
      if (text) out.push({ text, where: `${select.id || "select"} option` });
    }
  }
  return out;
}"""


def catalog(viewer: Viewer, code: str) -> dict[str, str]:
    """The catalog of ``code`` as the page loads it (web/js/i18n/<code>.js of the build)."""
    return viewer.page.evaluate(f"async () => (await import('./js/i18n/{code}.js')).default")


def patterns(values: dict[str, str]) -> list[tuple[re.Pattern[str], bool]]:
    """Each catalog value as a full-match pattern, its {placeholders} groups of any text, and
    whether it is nothing but placeholders ("{name} ({center}/{width})"). What fills the
    placeholders of any value must itself pass (see `outside`): words around a placeholder do
    not make its filling the catalog's."""
    found = []
    for value in values.values():
        literal = re.sub(r"\{\w+\}", "", value)
        parts = re.split(r"\{\w+\}", value)
        pattern = re.compile("(.*?)".join(re.escape(p) for p in parts), re.S)
        found.append((pattern, not re.search(r"[^\W\d_]", literal)))
    return found


def dicom_values(paths: list[Path]) -> set[str]:
    """Every text value of the files (pydicom, Specific Character Set applied), also as the
    viewer writes a person name (^ as a space), and the files' names."""
    values: set[str] = set()
    for path in paths:
        values.add(path.name)
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        for element in ds.iterall():
            if element.VR in ("SQ", "OB", "OW", "UN") or element.value is None:
                continue
            for value in element.value if element.VM > 1 else [element.value]:
                text = str(value).strip()
                values.update({text, text.replace("^", " ").strip()})
            values.add(element.name)  # the standard's name of an attribute ("Pixel Spacing")
    return {v for v in values if v}


def outside(strings: list[dict], values: dict[str, str], dicom: set[str]) -> list[tuple[str, str]]:
    """The shown strings that are neither catalog text, nor numbers/symbols, nor DICOM values.

    A string passes whole, or split into the parts the page joins (lines, two spaces, " · ").
    A catalog value passes with its placeholders filled only by what passes in its turn
    (recursively, "kein Volumen: {reason}" with a German reason, not an English one), or by
    free text a placeholder legitimately holds: a file name or DICOM value (``dicom``), a
    number, a date as Intl writes it.
    """
    compiled = patterns(values)
    keys = {values["key.space"], values["key.esc"]}
    shift = values["key.shift"]

    def allowed(piece: str, depth: int = 0) -> bool:
        if not re.search(r"[^\W\d_]", piece) or len(piece) == 1:
            return True  # a number, a unit-less value, a symbol, a key's letter
        if piece in dicom or piece in keys or re.fullmatch(r"[APRLHF]{1,3}", piece):
            return True  # orientation letters are the standard's (PS3.3 C.7.6.1.1.1)
        if piece.startswith(shift) and len(piece) == len(shift) + 1:
            return True
        if re.fullmatch(r"[-−+]?[\d.,٫٬\s]+\s?(mm|cm|ml|s|µm|%|MiB|Gy|مم|ث)", piece):
            return True
        for pattern, _ in compiled:
            match = pattern.fullmatch(piece)
            if (
                match
                and depth < DEPTH
                and all(filling(g.strip(), depth + 1) for g in match.groups())
            ):
                return True
        return False

    def filling(piece: str, depth: int) -> bool:
        """What may fill a placeholder: text that passes, a date as Intl writes one, or a
        tag with its name in the standard's dictionary (pydicom's), "(7FE0,0010) Pixel Data"."""
        tag = TAG.fullmatch(piece)
        if tag and tag[3] is not None and tag[3] == dictionary_name(int(tag[1] + tag[2], 16)):
            return True
        return bool(DATE.fullmatch(piece)) or allowed(piece, depth)

    def key_allowed(piece: str) -> bool:
        return len(piece) == 1 or piece in keys or (piece.startswith(shift) and len(piece) > 1)

    bad = []
    for item in strings:
        text = item["text"]
        # A control's tooltip ends with its key, "Zoom … (Z)" (page/menus.js).
        shortcut = re.fullmatch(r"(.+) \(([^()]+)\)", text, re.S)
        if shortcut and key_allowed(shortcut[2]) and allowed(shortcut[1]):
            continue
        pieces = [p.strip() for p in re.split(r"\n|  | · ", text) if p.strip()]
        if not (allowed(text) or all(allowed(p) for p in pieces)):
            bad.append((text, item["where"]))
    return bad


def walk(viewer: Viewer) -> list[dict]:
    return viewer.page.evaluate(WALK, ENGINE_TEXT)


def every_screen(viewer: Viewer, code: str, demo: list[Path]) -> list[tuple[str, str, str]]:
    """Walk the start screen, the viewer with the demo, each menu and each dialog in ``code``;
    return what is outside the catalog, with the screen it was on."""
    values = catalog(viewer, code)
    dicom = dicom_values(demo)
    page = viewer.page
    bad: list[tuple[str, str, str]] = []

    def check(screen: str) -> None:
        bad.extend((screen, text, where) for text, where in outside(walk(viewer), values, dicom))

    page.evaluate("() => window.lightbox.closeAll()")
    page.wait_for_selector("#start", state="visible")
    check("start screen")
    page.evaluate("() => window.lightbox.openDemo()")
    viewer.wait_state("s.frames === 24")
    page.wait_for_selector("#start", state="hidden")
    check("viewer")
    for menu in ("open", "tools", "view", "share", "help"):
        page.click(f"#menu-{menu}-button")
        page.wait_for_selector(f"#menu-{menu}", state="visible")
        check(f"{menu} menu")
        page.keyboard.press("Escape")
    for button, dialog in (
        ("help-button", "help"),
        ("report-button", "report"),
        ("privacy-button", "privacy"),
        ("deid-button", "deid"),
        ("console-button", "console"),
    ):
        viewer.control(f"#{button}").click()
        page.wait_for_selector(f"#{dialog}", state="visible")
        check(f"{dialog} dialog")
        page.evaluate(f"() => {{ document.getElementById('{dialog}').hidden = true; }}")
    page.keyboard.press("t")  # the tag browser
    page.wait_for_selector("#tag-summary dl")
    check("tag browser")
    page.keyboard.press("t")
    return bad


@pytest.fixture(scope="module")
def demo() -> list[Path]:
    return sorted((BUILD / "demo").glob("*.dcm")) or sorted(
        p for p in (BUILD / "demo").iterdir() if p.suffix != ".json"
    )


def test_no_string_outside_the_catalogs_in_any_language(
    browser: Browser, base_url: str, demo: list[Path]
) -> None:
    """English first, then each language switched to at run time (no reload): every visible
    string of every screen is its catalog's, a number, or a DICOM value."""
    context, viewer = new_viewer(browser, f"{base_url}?lang=en", viewport=LAPTOP)
    try:
        viewer.ready()
        viewer.page.evaluate("() => { window.notReloaded = true; }")
        for code in ("en", "de", "fr", "es", "ar"):
            viewer.page.evaluate(f"() => window.lightbox.setLanguage('{code}')")
            assert viewer.page.evaluate("() => document.documentElement.lang") == code
            bad = every_screen(viewer, code, demo)
            assert not bad, f"{code}: {len(bad)} strings outside the catalog: {bad[:20]}"
        assert viewer.page.evaluate("() => window.notReloaded") is True
    finally:
        finish(context, viewer)


def visible_controls(viewer: Viewer) -> list[dict]:
    return viewer.page.evaluate(
        """() => [...document.querySelectorAll(
            "button, select, input:not([type=file]), a[href], [role=radio]")]
          .filter((el) => el.checkVisibility({ visibilityProperty: true }))
          .map((el, i) => ({
            id: el.id || `${el.tagName}:${i}`,
            label: (el.getAttribute("aria-label") || el.textContent || "").trim(),
            tip: (el.getAttribute("title") || "").trim(),
          }))"""
    )


def test_german_from_the_address_and_from_the_browser(
    browser: Browser, base_url: str, demo: list[Path]
) -> None:
    """?lang=de and a German browser (locale de-DE, no ?lang) both show German; at 1366×768
    with the demo open at least 90% of the visible controls have a label or tooltip that is
    not the English one."""
    shown = {}
    for name, url, options in (
        ("en", f"{base_url}?lang=en", {}),
        ("de-address", f"{base_url}?lang=de", {}),
        ("de-browser", base_url, {"locale": "de-DE"}),
    ):
        context, viewer = new_viewer(browser, url, viewport=LAPTOP, **options)
        try:
            viewer.ready()
            page = viewer.page
            assert page.evaluate("() => navigator.language") == (
                "de-DE" if name == "de-browser" else "en-US"
            )
            want = "en" if name == "en" else "de"
            assert page.evaluate("() => [document.documentElement.lang, document.dir]") == [
                want,
                "ltr",
            ]
            assert page.text_content("#start-open") == catalog(viewer, want)["open_your_scans"]
            page.evaluate("() => window.lightbox.openDemo()")
            viewer.wait_state("s.frames === 24")
            page.wait_for_timeout(0)
            shown[name] = {c["id"]: c for c in visible_controls(viewer)}
            if name == "de-address":
                path = viewer.shot("languages-german")
                DOCS.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, DOCS / "viewer-german.png")
        finally:
            finish(context, viewer)
    english = shown["en"]
    for name in ("de-address", "de-browser"):
        german = shown[name]
        assert german.keys() == english.keys(), "the same controls show in both languages"
        same = [
            key
            for key, control in english.items()
            if (control["label"], control["tip"]) == (german[key]["label"], german[key]["tip"])
        ]
        share = 1 - len(same) / len(english)
        assert share >= 0.9, f"{name}: only {share:.0%} differ; the same: {same}"
        print(f"{name}: {len(english)} visible controls, {share:.0%} differ from English")


def test_arabic_is_right_to_left_mirrored_and_the_image_is_not(
    browser: Browser, base_url: str
) -> None:
    """dir=rtl: the toolbar starts at the right (its first control right of its last), the
    series list is at the right of the viewports, the side panel at the left; the image and
    its orientation markers keep their places (R at the left for this axial demo, as in
    English) and the pixels drawn are the same."""
    frames = {}
    markers = {}
    for code in ("en", "ar"):
        context, viewer = new_viewer(browser, f"{base_url}?lang={code}", viewport=LAPTOP)
        try:
            viewer.ready()
            page = viewer.page
            page.evaluate("() => window.lightbox.openDemo()")
            viewer.wait_state("s.frames === 24")
            frames[code] = viewer.frame()
            box = {
                sel: page.locator(sel).bounding_box()
                for sel in (
                    "#menu-open-button",
                    "#menu-help-button",
                    "#series-list",
                    "#side",
                    "#viewports",
                    ".pane.active .marker-left",
                    ".pane.active .marker-right",
                )
            }
            markers[code] = (
                page.text_content(".pane.active .marker-left"),
                page.text_content(".pane.active .marker-right"),
                box[".pane.active .marker-left"]["x"] < box[".pane.active .marker-right"]["x"],
            )
            rtl = code == "ar"
            assert page.evaluate("() => [document.documentElement.lang, document.dir]") == [
                code,
                "rtl" if rtl else "ltr",
            ]
            first, last = box["#menu-open-button"], box["#menu-help-button"]
            assert (first["x"] > last["x"]) is rtl, (first, last)
            series, side, views = box["#series-list"], box["#side"], box["#viewports"]
            assert (series["x"] > views["x"]) is rtl and (side["x"] < views["x"]) is rtl
            if rtl:
                page.wait_for_timeout(0)
                path = viewer.shot("languages-arabic")
                DOCS.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, DOCS / "viewer-arabic.png")
                page.evaluate("() => window.lightbox.closeAll()")
                page.wait_for_selector("#start", state="visible")
                viewer.shot("languages-arabic-start")
        finally:
            finish(context, viewer)
    assert markers["ar"] == markers["en"] == ("R", "L", True)
    assert (frames["ar"] == frames["en"]).all(), "the image is drawn the same in Arabic"


def test_german_numbers_and_dates_and_the_machine_values_stay(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    """In German a length reads "12,3 mm" (decimal comma) while state() keeps the number;
    a study dated 2024-01-31 reads 31.01.2024 in the series list (Intl, de: dd.mm.yyyy)."""
    source = Path(get_charset_files("chrGerm.dcm")[0])
    ds = pydicom.dcmread(source)
    ds.StudyDate = "20240131"
    ds.PixelSpacing = [0.5, 0.5]
    dated = tmp_path / "dated.dcm"
    ds.save_as(dated)
    context, viewer = new_viewer(browser, f"{base_url}?lang=de", viewport=LAPTOP)
    try:
        viewer.ready()
        viewer.choose([dated])
        viewer.wait_state("s.frames === 1")
        titles = viewer.page.locator("#series-list .group-title").all_text_contents()
        assert any("31.01.2024" in title for title in titles), titles
        viewer.page.evaluate("() => window.lightbox.setTool('length')")
        cols, rows = ds.Columns, ds.Rows
        drag(
            viewer,
            to_screen(viewer, cols * 0.2, rows * 0.5, cols, rows),
            to_screen(viewer, cols * 0.8, rows * 0.6, cols, rows),
        )
        state = viewer.wait_state("s.measurements.length === 1")
        value = state["measurements"][0]["result"]["value"]
        assert isinstance(value, float)
        german = f"{value:.1f}".replace(".", ",") + " mm"  # one decimal, a decimal comma
        assert state["measurements"][0]["label"] == german
        assert german in (viewer.page.text_content("#measure-list") or "")
        viewer.shot("languages-german-measurement")
    finally:
        finish(context, viewer)


#: pydicom's charset files that hold an image (the others have no pixels to show).
IMAGES = sorted(
    Path(p).name
    for p in get_charset_files("*.dcm")
    if "PixelData" in pydicom.dcmread(p, stop_before_pixels=False, specific_tags=["PixelData"])
)


@pytest.mark.parametrize("name", IMAGES)
def test_patient_names_shown_as_the_file_encodes_them(shared_viewer: Viewer, name: str) -> None:
    """Each charset file's patient name on the image is pydicom's decoded PatientName (its
    Specific Character Set applied), with ^ written as a space as the viewer writes names."""
    viewer = shared_viewer
    path = Path(get_charset_files(name)[0])
    expected = str(pydicom.dcmread(path).PatientName).replace("^", " ").strip()
    viewer.page.evaluate("() => window.lightbox.closeAll()")
    viewer.choose([path])
    viewer.wait_state("s.frames >= 1")
    viewer.page.wait_for_function(
        "() => document.querySelector('.pane.active .overlay.top-left')?.textContent"
    )
    shown = (viewer.page.text_content(".pane.active .overlay.top-left") or "").split("\n")[0]
    assert shown == expected


def test_the_choice_is_remembered_except_in_a_kiosk(browser: Browser, base_url: str) -> None:
    """A language chosen in the switcher is the page's next time (localStorage); a kiosk
    remembers nothing: after a reload it is the browser's language (here English) again."""
    for kiosk, after in (("", "es"), ("?kiosk", "en")):
        context, viewer = new_viewer(browser, f"{base_url}{kiosk}", viewport=LAPTOP)
        try:
            viewer.ready()
            page = viewer.page
            if kiosk:  # the kiosk's Help menu is the same page: choose through the API
                page.evaluate("() => window.lightbox.setLanguage('es')")
            else:
                page.click("#menu-help-button")
                page.select_option("#language-select", "es")
            page.wait_for_function("() => document.documentElement.lang === 'es'")
            page.reload()
            viewer.ready()
            assert page.evaluate("() => document.documentElement.lang") == after
        finally:
            finish(context, viewer)


def node_catalog(code: str) -> dict[str, str]:
    """The catalog of ``code`` as node reads web/js/i18n/<code>.js (the page's own file)."""
    script = f"import c from './web/js/i18n/{code}.js'; console.log(JSON.stringify(c));"
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        cwd=ROOT,
        capture_output=True,
        check=True,
        text=True,
    )
    return dict(json.loads(done.stdout))


def test_the_walk_checks_what_fills_a_catalog_value() -> None:
    """A German value with words around its placeholder ("kein Volumen: {reason}") passes
    only with German (or free text: a file name, a tag's standard name, a number) inside it;
    an English string planted in its placeholder, however deep, is outside the catalog."""
    de = node_catalog("de")
    volume = de["engine.not_a_volume"]
    german = volume.format(reason=de["engine.one_slice"])
    planted = volume.format(reason="one slice is not a volume")
    gib = de["engine.bytes_gib"].format(bytes="3221225472", size="3,0")
    where = de["engine.private_tag"].format(tag="(0009,1010)")

    def cut(remaining: str, where: str = where) -> str:
        reason = de["engine.truncated_declares"].format(
            where=where, declared=gib, remaining=remaining
        )
        return de["engine.file_reason"].format(file="cut.dcm", reason=reason)

    sixteen = de["engine.bytes.other"].format(count="16")
    pixel = "(7FE0,0010) Pixel Data"  # the standard's name of (7FE0,0010), pydicom's
    shown = {
        "german": german,
        "nested": cut(sixteen),
        "pixel data": cut(sixteen, pixel),
        "planted": planted,
        "planted deep": cut("16 bytes"),
        "english private": cut(sixteen, "(0009,1010) (private)"),
        "wrong tag name": cut(sixteen, "(7FE0,0010) Pixel Spacing"),
    }
    strings = [{"text": text, "where": name} for name, text in shown.items()]
    bad = [where for _, where in outside(strings, de, {"cut.dcm"})]
    assert bad == ["planted", "planted deep", "english private", "wrong tag name"]
