// The calm toolbar (issue 18 item 2): the menus ("Open", "Tools", "View", "Share & export",
// "Help") that hold every control the bar does not show, each control's key from the one
// key table (keys.js) in its tooltip and in its menu's shortcut column, full screen, the
// side panels that collapse, and the clinician layout (every control in the bar itself),
// remembered in this browser.
//
// A menu is a disclosure (WAI-ARIA APG "Disclosure"): a button with aria-expanded and the
// group it shows; its controls stay ordinary buttons and selects, reached with Tab. Escape
// closes it and gives the focus back to its button; so do a click outside and a pressed
// button inside.
import { $, press } from "./app.js";
import { shortcutOfControl } from "./keys.js";
import { keyName } from "../i18n/i18n.js";
import { setText } from "./language.js";

const CLINICIAN_KEY = "lightbox.clinician";

/** @returns {HTMLButtonElement[]} the menus' buttons */
function menuButtons() {
  return [...document.querySelectorAll(".bar .menu-button")].map(
    (b) => /** @type {HTMLButtonElement} */ (b),
  );
}

/** @param {HTMLButtonElement} button @returns {HTMLElement} the menu it opens */
function menuOf(button) {
  return $(button.getAttribute("aria-controls") ?? "");
}

/**
 * Open or close one menu (the others close).
 * @param {HTMLButtonElement} button @param {boolean} open @param {boolean} [refocus] give
 *   the focus back to the menu's button (a menu closed by Escape or by its control)
 */
export function setMenu(button, open, refocus = false) {
  for (const other of menuButtons()) {
    const on = other === button && open;
    other.setAttribute("aria-expanded", String(on));
    menuOf(other).classList.toggle("open", on);
  }
  if (refocus) button.focus();
}

/** Close whichever menu is open. @param {boolean} [refocus] */
export function closeMenus(refocus = false) {
  const open = menuButtons().find((b) => b.getAttribute("aria-expanded") === "true");
  if (open) setMenu(open, false, refocus);
}

/**
 * Each control's key: in its tooltip, for assistive technology (aria-keyshortcuts), and in
 * its menu's second column (every control of a menu gets that cell, empty without a key).
 */
function showShortcuts() {
  for (const [id, key] of shortcutOfControl) {
    const control = $(id);
    control.setAttribute("aria-keyshortcuts", key);
    if (control.title) control.title = `${control.title} (${keyName(key)})`;
  }
  const items = document.querySelectorAll(".menu > :not(.group), .menu > .group > *");
  for (const item of items) {
    const hint = document.createElement("kbd");
    hint.className = "shortcut";
    hint.setAttribute("aria-hidden", "true"); // said by aria-keyshortcuts
    const key = shortcutOfControl.get(item.id);
    if (key) setText(hint, "key.label", { key: { key } });
    item.after(hint);
  }
}

/** @returns {boolean} whether the clinician layout is on */
function clinicianSaved() {
  try {
    return localStorage.getItem(CLINICIAN_KEY) === "1";
  } catch {
    return false; // storage refused (a sandboxed frame): the calm toolbar
  }
}

/** Every control in the bar (the clinician layout), or the calm toolbar. @param {boolean} on */
export function setClinician(on) {
  closeMenus();
  document.body.classList.toggle("clinician", on);
  press("clinician-button", on);
  try {
    if (on) localStorage.setItem(CLINICIAN_KEY, "1");
    else localStorage.removeItem(CLINICIAN_KEY);
  } catch {
    // not remembered; still applied
  }
}

/** Show or hide a side panel. @param {string} id the panel @param {string} button its toggle */
function togglePanel(id, button) {
  const panel = $(id);
  panel.hidden = !panel.hidden;
  press(button, !panel.hidden);
  window.dispatchEvent(new Event("resize")); // the panes take the space
}

/** The whole screen for the page, or back. */
function toggleFullscreen() {
  if (document.fullscreenElement) void document.exitFullscreen();
  else void document.documentElement.requestFullscreen().catch(() => {});
}

export function attachMenus() {
  showShortcuts();
  for (const button of menuButtons()) {
    button.addEventListener("click", () =>
      setMenu(button, button.getAttribute("aria-expanded") !== "true"),
    );
    const menu = menuOf(button);
    // A button pressed in a menu has done its work: the menu closes, the focus goes back.
    menu.addEventListener("click", (event) => {
      const target = /** @type {Element} */ (event.target);
      if (document.body.classList.contains("clinician")) return;
      if (target.closest("button")) setMenu(button, false, true);
    });
  }
  document.addEventListener(
    "keydown",
    (event) => {
      if (event.key !== "Escape") return;
      const open = menuButtons().find((b) => b.getAttribute("aria-expanded") === "true");
      if (!open) return;
      setMenu(open, false, true);
      event.stopImmediatePropagation(); // Escape closed the menu; it does not reset the view
    },
    true,
  );
  document.addEventListener("pointerdown", (event) => {
    if (!(/** @type {Element} */ (event.target).closest(".menu-wrap"))) closeMenus();
  });
  $("fullscreen-button").addEventListener("click", () => toggleFullscreen());
  document.addEventListener("fullscreenchange", () =>
    press("fullscreen-button", Boolean(document.fullscreenElement)),
  );
  $("series-panel-button").addEventListener("click", () =>
    togglePanel("series-list", "series-panel-button"),
  );
  $("side-panel-button").addEventListener("click", () => togglePanel("side", "side-panel-button"));
  $("clinician-button").addEventListener("click", () =>
    setClinician(!document.body.classList.contains("clinician")),
  );
  setClinician(clinicianSaved());
}
