// Catalog text into the DOM: an element keeps the key (and the params) of what it shows, so
// that translate() can show it again in another language. No DOM is touched on import (the
// viewer's modules and the page's import it; page/language.js applies it at start).
import { keyName, t } from "./i18n.js";

/** @typedef {import("./i18n.js").Params} Params */

/** The attributes a key can fill (data-i18n-<attribute>="key"). */
const ATTRIBUTES = /** @type {const} */ ([
  "title",
  "aria-label",
  "placeholder",
  "aria-roledescription",
]);

/** @param {Element} el @returns {Params} */
function paramsOf(el) {
  const text = el.getAttribute("data-i18n-params");
  return text ? JSON.parse(text) : {};
}

/** @param {Element} el @param {Params} [values] */
function keepParams(el, values) {
  if (values && Object.keys(values).length)
    el.setAttribute("data-i18n-params", JSON.stringify(values));
  else el.removeAttribute("data-i18n-params");
}

/** @param {Element} el @param {string} attribute @param {string} key */
function fillAttribute(el, attribute, key) {
  let text = t(key, paramsOf(el));
  // A control's tooltip names its key (page/menus.js sets aria-keyshortcuts).
  const shortcut = attribute === "title" ? el.getAttribute("aria-keyshortcuts") : null;
  if (shortcut) text = `${text} (${keyName(shortcut)})`;
  el.setAttribute(attribute, text);
}

/**
 * Show the catalog text of `key` as the element's text.
 * @param {Element} el @param {string} key @param {Params} [values]
 */
export function setText(el, key, values) {
  el.setAttribute("data-i18n", key);
  keepParams(el, values);
  el.textContent = t(key, values);
}

/**
 * The element's `attribute` (title, aria-label, placeholder) from the catalog.
 * @param {Element} el @param {typeof ATTRIBUTES[number]} attribute @param {string} key
 * @param {Params} [values]
 */
export function setAttr(el, attribute, key, values) {
  el.setAttribute(`data-i18n-${attribute}`, key);
  keepParams(el, values);
  fillAttribute(el, attribute, key);
}

/**
 * Text that is not the interface's own (a DICOM value, an engine's message).
 * @param {Element} el @param {string} text
 */
export function setRaw(el, text) {
  el.removeAttribute("data-i18n");
  el.removeAttribute("data-i18n-params");
  el.textContent = text;
}

/** Fill every keyed element under `root` in the language shown. @param {ParentNode} root */
export function translate(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(/** @type {string} */ (el.getAttribute("data-i18n")), paramsOf(el));
  }
  for (const attribute of ATTRIBUTES) {
    for (const el of root.querySelectorAll(`[data-i18n-${attribute}]`)) {
      fillAttribute(
        el,
        attribute,
        /** @type {string} */ (el.getAttribute(`data-i18n-${attribute}`)),
      );
    }
  }
}
