"""The calm toolbar and accessibility (issue 18 items 2, 5 and their part of 9), in the real page.

At a laptop's 1366x768 the toolbar (``role=toolbar``) shows at most 12 controls with its
menus closed; every other control is in a menu, with its key; the clinician layout shows
them all and is remembered. The tag browser opens from the control named "Tags" and by
T. axe-core (npm, injected from node_modules by the test, never shipped) finds no WCAG
2.x A/AA violation on the start screen, the viewer with the demo open (each menu open in
turn), each dialog (de-identify, report, tags, keyboard help, privacy), the kiosk, and in
the light colour scheme. A keyboard-only walk opens the demo, scrolls, changes the window
and measures; the viewport says what it shows in a polite live region. Expected values
come from the demo's files read with pydicom, the standard brain window (L 40, W 80) and
the length formula (pixels × Pixel Spacing).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.support.viewer import BUILD, ROOT, Viewer, finish, new_viewer

SHOTS = Path("/tmp/lightbox-toolbar-shots")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
LAPTOP = {"width": 1366, "height": 768}
#: The WCAG 2.2 AA success criteria axe-core can check (its tags for levels A and AA).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

#: The demo as pydicom reads it (the build writes it from tools/synth.py).
DEMO = sorted((BUILD / "demo").glob("IM*"))

#: The controls a user can reach in an element that are shown now.
VISIBLE_CONTROLS = """(root) => [...document.querySelector(root).querySelectorAll(
    "button, select, input, textarea, a[href], [tabindex]:not([tabindex='-1'])")]
    .filter((el) => el.checkVisibility())
    .map((el) => el.id || el.getAttribute("aria-label") || el.textContent.trim())"""

#: Where the focus is: the id of the focused element and whether it is in the toolbar,
#: a viewport, or the viewports' section.
FOCUS = """() => {
    const el = document.activeElement;
    return {id: el?.id ?? "", toolbar: Boolean(el?.closest("[role=toolbar]")),
            pane: Boolean(el?.classList.contains("pane")),
            viewports: Boolean(el?.closest("#viewports"))};
}"""


def _laptop(browser: Browser, base_url: str, **options: Any) -> tuple[BrowserContext, Viewer]:
    """A fresh page at 1366x768 (unless told), booted; the CSP bypassed (axe-core is injected).

    The dark scheme unless told (Lightbox's own; headless Chromium reports light).
    """
    options = {"color_scheme": "dark", "viewport": LAPTOP, **options}
    context, viewer = new_viewer(browser, base_url, bypass_csp=True, **options)
    viewer.ready()
    return context, viewer


@pytest.fixture
def laptop(browser: Browser, base_url: str) -> Iterator[Viewer]:
    context, viewer = _laptop(browser, base_url)
    yield viewer
    finish(context, viewer)


def _shot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def _axe(page: Page, where: str) -> None:
    """No WCAG 2.x A/AA violation that axe-core finds on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return result.violations.map((v) => ({id: v.id, help: v.help,
                nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")}: ${n.failureSummary}`),
            }));
        }""",
        WCAG_TAGS,
    )
    assert violations == [], f"axe-core on {where}: {violations}"


def _open_demo_by_mouse(viewer: Viewer) -> None:
    viewer.page.click("#start-demo")
    viewer.wait_state(f"s.frames === {len(DEMO)} && s.windowWidth !== null")


def test_the_calm_toolbar_shows_at_most_12_controls_at_1366x768(laptop: Viewer) -> None:
    page = laptop.page
    assert page.locator("[role=toolbar]").count() == 1
    _shot(page, "start-1366x768")
    _open_demo_by_mouse(laptop)
    page.wait_for_timeout(300)  # the first frame drawn
    shown = page.evaluate(VISIBLE_CONTROLS, "[role=toolbar]")
    assert 0 < len(shown) <= 12, shown
    # The patient's tools are among them, each with a name a screen reader says.
    patient = [("radio", "Scroll"), ("radio", "Contrast"), ("radio", "Zoom"), ("radio", "Measure"),
               ("combobox", "Layout"), ("button", "Full screen")]  # fmt: skip
    for role, name in patient:
        control = page.get_by_role("toolbar").get_by_role(role, name=name, exact=True)  # type: ignore[arg-type]
        assert control.is_visible(), name
    # One row: the bar does not wrap at this width.
    boxes = [
        page.locator(f"#{id_}").bounding_box() for id_ in shown if id_.replace("-", "").isalnum()
    ]
    tops = {round(b["y"]) for b in boxes if b}
    assert max(tops) - min(tops) < 10, tops
    assert all(b["x"] + b["width"] <= LAPTOP["width"] for b in boxes if b)  # none cut off
    _shot(page, "viewer-1366x768")
    # Every menu lists its controls with their keys from the one key table.
    page.click("#menu-view-button")
    assert page.locator("#menu-view").is_visible()
    hint = page.locator("#invert-button + kbd.shortcut")
    assert hint.inner_text() == "I"  # the key the help has always given for invert
    assert page.locator("#hide-button + kbd.shortcut").inner_text() == "Shift+H"
    assert page.get_attribute("#invert-button", "aria-keyshortcuts") == "I"
    _shot(page, "viewer-view-menu")
    page.keyboard.press("Escape")  # closes the menu, the focus back on its button
    assert not page.locator("#menu-view").is_visible()
    assert page.evaluate(FOCUS)["id"] == "menu-view-button"


def test_clinician_layout_shows_every_control_and_is_remembered(laptop: Viewer) -> None:
    page = laptop.page
    _open_demo_by_mouse(laptop)
    calm = page.evaluate(VISIBLE_CONTROLS, "[role=toolbar]")
    page.click("#menu-view-button")
    page.click("#clinician-button")
    every = page.evaluate(VISIBLE_CONTROLS, "[role=toolbar]")
    for id_ in [
        "tool-pan",
        "tool-probe",
        "invert-button",
        "tags-button",
        "deid-button",
        "help-button",
        "snapshot-button",
        "demo-button",
        "clinician-button",
    ]:
        assert id_ in every, id_
    assert len(every) > len(calm) + 20
    right = page.evaluate(
        """(ids) => Math.max(...ids.map((id) =>
            document.getElementById(id)?.getBoundingClientRect().right ?? 0))""",
        every,
    )
    assert right <= LAPTOP["width"]  # the bar wraps: nothing is cut off
    _shot(page, "viewer-clinician")
    page.reload()
    laptop.ready()
    assert page.is_visible("#invert-button")  # remembered (localStorage)
    page.click("#clinician-button")
    assert not page.is_visible("#invert-button")
    page.reload()
    laptop.ready()
    assert not page.is_visible("#invert-button")


def test_tags_open_by_the_control_named_tags_and_by_key_t(laptop: Viewer) -> None:
    page = laptop.page
    _open_demo_by_mouse(laptop)
    page.locator(".pane").first.focus()
    page.keyboard.press("t")
    page.wait_for_selector("#tags-panel", state="visible")
    page.keyboard.press("t")
    page.wait_for_selector("#tags-panel", state="hidden")
    page.get_by_role("button", name="Tools", exact=True).click()
    page.get_by_role("button", name="Tags", exact=True).click()
    page.wait_for_selector("#tags-panel", state="visible")
    assert page.get_attribute("#tags-button", "aria-pressed") == "true"


def _tab_until(page: Page, what: str, limit: int = 30, shift: bool = False) -> int:
    """Press Tab (Shift+Tab) until the FOCUS expression's ``what`` holds; the presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Shift+Tab" if shift else "Tab")
        if eval(what, {}, page.evaluate(FOCUS)):
            return presses
    raise AssertionError(f"{what} not reached in {limit} Tab presses: {page.evaluate(FOCUS)}")


def test_keyboard_only_walk_opens_the_demo_scrolls_windows_and_measures(laptop: Viewer) -> None:
    page = laptop.page
    first = pydicom.dcmread(DEMO[0], stop_before_pixels=True)
    # From the page's start, Tab reaches the toolbar, then the start screen's demo.
    page.evaluate("() => document.activeElement?.blur()")
    assert _tab_until(page, "toolbar") <= 30
    _tab_until(page, "id == 'start-demo'")
    page.keyboard.press("Enter")
    laptop.wait_state(f"s.frames === {len(DEMO)} && s.windowWidth !== null")
    # Tab reaches a viewport; the arrows scroll.
    _tab_until(page, "pane")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    laptop.wait_state("s.frame === 2")
    # Digit 3: the third window preset of a CT, the standard brain window (L 40, W 80).
    page.keyboard.press("3")
    state = laptop.wait_state("s.windowWidth === 80")
    assert (state["windowCenter"], state["windowWidth"]) == (40, 80)
    # The live region says it once the view rests: image 3 of 24, series, window.
    said = f"Image 3 of {len(DEMO)}, series {first.SeriesDescription}, window 40/80"
    page.wait_for_function(
        "(text) => document.getElementById('announcer').textContent === text", arg=said
    )
    assert page.get_attribute("#announcer", "aria-live") == "polite"
    # Measure: L, Enter (a point at the centre), five steps right, Enter.
    page.keyboard.press("l")
    page.keyboard.press("Enter")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    state = laptop.wait_state("s.measurements.length === 1")
    assert state["frame"] == 2  # the arrows moved the point, not the image
    step = max(1, round(first.Columns / 50))  # an arrow's step: a fiftieth of the width
    expected = 5 * step * float(first.PixelSpacing[1])  # along a row: columns × spacing
    result = state["measurements"][0]["result"]
    assert result["unit"] == "mm"
    assert result["value"] == pytest.approx(expected, abs=0.01)
    _shot(page, "keyboard-measured")
    # From a viewport, Tab leaves the viewports (several of them: each is one stop).
    page.select_option("#layout", "2x2")
    page.locator(".pane").first.focus()
    presses = _tab_until(page, "not viewports")
    assert presses <= 30


def test_space_on_a_focused_button_presses_it_and_does_not_start_cine(laptop: Viewer) -> None:
    page = laptop.page
    _open_demo_by_mouse(laptop)
    page.click("#tool-zoom")
    page.focus("#tool-scroll")
    page.keyboard.press(" ")
    assert laptop.state()["tool"] == "scroll"  # the button was pressed
    assert page.get_attribute("#cine-button", "aria-pressed") == "false"
    # On a viewport, Space plays and pauses.
    page.locator(".pane").first.focus()
    page.keyboard.press(" ")
    assert page.get_attribute("#cine-button", "aria-pressed") == "true"
    page.keyboard.press(" ")
    assert page.get_attribute("#cine-button", "aria-pressed") == "false"


def test_full_screen_and_collapsing_panels(laptop: Viewer) -> None:
    page = laptop.page
    _open_demo_by_mouse(laptop)
    width = page.locator("#viewports").bounding_box()["width"]  # type: ignore[index]
    page.click("#menu-view-button")
    page.click("#side-panel-button")
    assert not page.is_visible("#side")
    page.click("#menu-view-button")
    page.click("#series-panel-button")
    assert not page.is_visible("#series-list")
    wider = page.locator("#viewports").bounding_box()["width"]  # type: ignore[index]
    assert wider == pytest.approx(LAPTOP["width"], abs=4) and wider > width
    page.click("#fullscreen-button")
    # The button follows `fullscreenchange`, which the browser fires a frame
    # after `document.fullscreenElement` is set: wait for both, each way.
    pressed = 'document.getElementById("fullscreen-button").getAttribute("aria-pressed")'
    page.wait_for_function(f"() => document.fullscreenElement !== null && {pressed} === 'true'")
    page.click("#fullscreen-button")
    page.wait_for_function(f"() => document.fullscreenElement === null && {pressed} === 'false'")


def test_axe_finds_no_violation_on_any_screen(laptop: Viewer) -> None:
    page = laptop.page
    _axe(page, "the start screen")
    page.click("#privacy-link")
    _axe(page, "the privacy dialog")
    page.click("#privacy-close")
    _open_demo_by_mouse(laptop)
    page.wait_for_timeout(300)
    _axe(page, "the viewer with the demo open")
    for menu in ["open", "tools", "view", "share", "help"]:
        page.click(f"#menu-{menu}-button")
        _axe(page, f"the {menu} menu")
        page.keyboard.press("Escape")
    dialogs = [
        ("#help-button", "#help", "#help-close"),
        ("#report-button", "#report", "#report-close"),
        ("#deid-button", "#deid", "#deid-close"),
        ("#privacy-button", "#privacy", "#privacy-close"),
    ]
    for button, dialog, close in dialogs:
        laptop.control(button).click()
        page.wait_for_selector(dialog, state="visible")
        _axe(page, dialog)
        page.click(close)
    page.keyboard.press("t")
    page.wait_for_selector("#tags-panel", state="visible")
    _axe(page, "the tag browser")
    page.emulate_media(color_scheme="light")
    _axe(page, "the viewer in the light scheme")
    _shot(page, "viewer-light")
    page.evaluate("() => window.lightbox.closeAll()")
    page.wait_for_selector("#start", state="visible")
    _axe(page, "the start screen in the light scheme")
    _shot(page, "start-light")


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_axe_finds_no_violation_in_german_and_arabic(
    browser: Browser, base_url: str, lang: str
) -> None:
    """The screens again in a language of other lengths and in one right to left: the
    start screen, the viewer with the demo, each menu and the help dialog."""
    context, viewer = _laptop(browser, f"{base_url}?lang={lang}")
    try:
        page = viewer.page
        assert page.evaluate("() => [document.documentElement.lang, document.dir]") == [
            lang,
            "rtl" if lang == "ar" else "ltr",
        ]
        _axe(page, f"the start screen ({lang})")
        _open_demo_by_mouse(viewer)
        page.wait_for_timeout(300)
        _axe(page, f"the viewer with the demo open ({lang})")
        for menu in ["open", "tools", "view", "share", "help"]:
            page.click(f"#menu-{menu}-button")
            _axe(page, f"the {menu} menu ({lang})")
            page.keyboard.press("Escape")
        viewer.control("#help-button").click()
        page.wait_for_selector("#help", state="visible")
        _axe(page, f"the help dialog ({lang})")
        _shot(page, f"help-{lang}")
        page.click("#help-close")
    finally:
        finish(context, viewer)


def test_axe_on_the_kiosk_and_no_automatic_cine_with_reduced_motion(
    browser: Browser, base_url: str
) -> None:
    for motion, plays in [("no-preference", "true"), ("reduce", "false")]:
        context, viewer = _laptop(browser, f"{base_url}?kiosk&idle=1", reduced_motion=motion)
        page = viewer.page
        viewer.wait_state(f"s.frames === {len(DEMO)}")
        page.wait_for_timeout(2500)  # the kiosk's idle time (1 s) passes
        assert page.get_attribute("#cine-button", "aria-pressed") == plays, motion
        _axe(page, f"the kiosk ({motion})")
        finish(context, viewer)


def test_touch_targets_are_44_px_on_a_touch_screen(browser: Browser, base_url: str) -> None:
    context, viewer = _laptop(browser, base_url, has_touch=True)
    page = viewer.page
    assert page.evaluate("() => matchMedia('(pointer: coarse)').matches")
    small = page.evaluate(
        """() => [...document.querySelectorAll("button, select, input[type=range], .keep-option")]
            .filter((el) => el.checkVisibility())
            .map((el) => [el.id || el.textContent.trim(), el.getBoundingClientRect()])
            .filter(([, r]) => r.width < 44 || r.height < 44)
            .map(([name, r]) => `${name} ${r.width}x${r.height}`)"""
    )
    assert small == []
    _shot(page, "start-touch")
    finish(context, viewer)


@pytest.mark.parametrize("width", [1280, 1100, 820])
def test_narrower_screens_keep_every_control_of_the_bar_on_screen(
    browser: Browser, base_url: str, width: int
) -> None:
    """A 1280 px laptop or a window beside another: every control of the bar lies inside
    the window (none cut off at its right edge), and each still has its name."""
    context, viewer = _laptop(browser, base_url, viewport={"width": width, "height": 720})
    page = viewer.page
    _open_demo_by_mouse(viewer)
    shown = page.evaluate(VISIBLE_CONTROLS, "[role=toolbar]")
    assert len(shown) >= 10, shown
    outside = page.evaluate(
        """(width) => [...document.querySelectorAll("[role=toolbar] > *")]
            .filter((el) => el.checkVisibility())
            .map((el) => [el.id || el.className, el.getBoundingClientRect()])
            .filter(([, r]) => r.right > width || r.left < 0)
            .map(([name, r]) => `${name} ${r.left}-${r.right}`)""",
        width,
    )
    assert outside == [], outside
    for role, name in [("radio", "Scroll"), ("radio", "Measure"), ("button", "Help")]:
        control = page.get_by_role("toolbar").get_by_role(role, name=name)  # type: ignore[arg-type]
        assert control.is_visible(), name
    _shot(page, f"viewer-{width}x720")
    finish(context, viewer)
