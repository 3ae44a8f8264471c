// The page's language (issue 18 item 4): chosen at start from ?lang=, else the choice
// remembered in this browser (never in a kiosk), else the browser's languages; applied to
// every element that names its text by a catalog key. A shown string is never built here:
//   data-i18n="key"                 the element's text
//   data-i18n-title / -aria-label / -placeholder / -aria-roledescription="key"   that attribute
//   data-i18n-params='{"n": 3}'     the key's {placeholders} (numbers, {date}, DICOM text)
// Code that shows a string calls setText / setAttr (i18n/dom.js: the element keeps its key
// and params), so a change of language re-renders everything by walking the document once;
// what is built from data (lists, the on-image text) listens for "lightbox-language".
import { chooseLanguage, isLanguage, language, LANGUAGES, t, useLanguage } from "../i18n/i18n.js";
import { translate } from "../i18n/dom.js";

export { setAttr, setRaw, setText, translate } from "../i18n/dom.js";

const STORAGE_KEY = "lightbox-language";

const params = new URLSearchParams(location.search);
const kiosk = params.has("kiosk");

/** @returns {string | null} the language chosen in this browser before, if kept */
function remembered() {
  if (kiosk) return null;
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage refused (a sandboxed frame)
  }
}

/**
 * Load `code`'s catalog and show the document in it.
 * @param {import("../i18n/i18n.js").Language} code
 */
async function show(code) {
  await useLanguage(code);
  document.documentElement.lang = code;
  document.documentElement.dir = LANGUAGES[code].dir;
  document.title = t("page_title");
  translate();
  showChoice();
}

/** The language switchers (Help menu, start screen) show the language. */
function showChoice() {
  for (const select of document.querySelectorAll("select.language-select")) {
    /** @type {HTMLSelectElement} */ (select).value = language();
  }
}

/**
 * Show the interface in `code` (en, de, fr, es, ar): <html lang dir>, every keyed string,
 * and the listeners of "lightbox-language" (what is drawn). Remembered, except in a kiosk.
 * @param {string} code
 */
export async function setLanguage(code) {
  if (!isLanguage(code)) throw new Error(`No catalog for the language "${code}"`);
  await show(code);
  if (!kiosk) {
    try {
      localStorage.setItem(STORAGE_KEY, code);
    } catch {
      // storage refused: the choice lasts this visit
    }
  }
  document.body.dispatchEvent(new CustomEvent("lightbox-language", { detail: { code } }));
}

/** Re-render `render` whenever the language changes. @param {() => void} render */
export function onLanguage(render) {
  document.body.addEventListener("lightbox-language", render);
}

/** The switchers change the language. */
function attachSwitchers() {
  for (const select of document.querySelectorAll("select.language-select")) {
    select.addEventListener("change", () => {
      void setLanguage(/** @type {HTMLSelectElement} */ (select).value);
    });
  }
}

// Before the page's modules run (page/main.js imports this first): the language of the
// address, else the remembered one, else the browser's.
await show(chooseLanguage([params.get("lang"), remembered(), ...navigator.languages]));
attachSwitchers();
