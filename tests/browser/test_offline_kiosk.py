"""Offline kiosks and shareable links: service worker, kiosk mode, the view in the URL."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import Browser

from tests.support.viewer import finish, new_viewer, reach


def test_starts_and_works_with_the_network_unplugged(browser: Browser, base_url: str) -> None:
    context, viewer = new_viewer(browser, base_url)
    viewer.ready()
    # The service worker precaches the whole app on the first visit.
    cached = viewer.page.evaluate(
        """async () => {
          for (let i = 0; i < 1200; i += 1) {  // at most two minutes
            const name = (await caches.keys()).find((k) => k.startsWith('lightbox-'));
            if (navigator.serviceWorker.controller && name) {
              return (await (await caches.open(name)).keys()).length;
            }
            await new Promise((f) => setTimeout(f, 100));
          }
          return 0;
        }"""
    )
    assert cached > 50
    context.set_offline(True)
    viewer.page.reload()
    viewer.ready()
    viewer.control("#demo-button").click()
    state = viewer.wait_state("s.frames === 24")
    assert state["windowSource"] == "file"
    viewer.shot("offline-demo")
    finish(context, viewer)


def test_kiosk_starts_into_the_demo_plays_when_idle_and_resets(
    browser: Browser, base_url: str
) -> None:
    context, viewer = new_viewer(browser, f"{base_url}?kiosk&idle=1&reset=4")
    viewer.ready()
    page = viewer.page
    viewer.wait_state("s.frames === 24")
    assert "kiosk" in (page.get_attribute("body", "class") or "")
    assert "Phantom" not in (page.text_content(".pane.active") or "")  # patient hidden
    viewer.wait_state("s.frame >= 2", timeout_s=20)  # idle: the cine plays by itself
    viewer.shot("kiosk-playing")
    page.mouse.move(300, 300)
    page.mouse.move(310, 305)
    stopped = viewer.state()["frame"]
    page.wait_for_timeout(600)
    assert abs(viewer.state()["frame"] - stopped) <= 1  # input stops the play
    start = viewer.state()
    page.keyboard.press("End")
    page.keyboard.press("i")  # invert and zoom: nothing the idle cine changes
    page.keyboard.press("+")
    viewer.wait_state("s.frame === 23 && s.invert")
    changed = viewer.state()
    assert changed["zoom"] != start["zoom"]
    # Back to the demo state after `reset` seconds: not inverted, zoom as at start (the
    # idle cine may move the frame again at once, so the frame alone proves nothing).
    viewer.wait_state(f"!s.invert && s.zoom === {start['zoom']}", timeout_s=20)
    # Nothing can navigate away: a link to another site does nothing.
    page.evaluate(
        "() => { const a = document.createElement('a'); a.href = 'http://127.0.0.2:9/';"
        " a.textContent = 'away'; a.id = 'away'; document.body.append(a); }"
    )
    page.click("#away")
    page.wait_for_timeout(300)
    assert urlsplit(page.url).netloc == urlsplit(base_url).netloc
    finish(context, viewer)


def test_the_view_lives_in_the_fragment_and_restores(browser: Browser, base_url: str) -> None:
    context, viewer = new_viewer(browser, base_url)
    viewer.ready()
    page = viewer.page
    reach(page, "#demo-button").click()
    viewer.wait_state("s.frames === 24")
    page.evaluate("() => window.lightbox.select(0, 7)")
    page.evaluate("() => window.lightbox.setWindow(60, 300)")
    page.locator(".pane.active").focus()
    page.keyboard.press("r")
    page.wait_for_function("() => location.hash.includes('r90')")
    shared = page.url
    fragment = urlsplit(shared).fragment
    assert "f7" in fragment and "w60,300" in fragment
    # No patient data and no UIDs in a link people share.
    assert not re.search(r"\d+\.\d+\.\d+\.\d+", fragment)
    assert "Phantom" not in fragment and "DEMO" not in fragment.upper()
    context.close()

    context, viewer = new_viewer(browser, shared)
    viewer.ready()
    viewer.control("#demo-button").click()
    state = viewer.wait_state("s.frame === 7 && s.rotation === 90")
    assert (state["windowCenter"], state["windowWidth"]) == (60, 300)
    finish(context, viewer)
