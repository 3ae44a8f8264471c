// The interface's languages (issue 18 item 4): message catalogs, one ES module per language
// (web/js/i18n/<code>.js, a flat object of key → text with {name} placeholders), and the
// lookup every shown string goes through. Pure: no DOM, so Node's tests import it; the page's
// side (choosing, switching, applying to the document) is page/language.js.
import en from "./en.js";

/** @typedef {Record<string, string>} Catalog */
/**
 * A placeholder's value: text as it is (a DICOM value, a file name), a number formatted for
 * the language, `{number, digits}` with that many decimals, `{date}` an ISO or DICOM date, or
 * `{key}` a key as ARIA writes it ("Shift+H", "Space") in the language's words for keys, or
 * `{said}` a message of the Python engine (see {@link said}).
 * @typedef {string | number | {number: number, digits: number} | {date: string}
 *   | {key: string} | {said: Said}} Param
 * @typedef {Record<string, Param>} Params
 * A message of the Python engine (py/lightbox/core/messages.py): its English `text`, and
 * where it has one its catalog id (`engine.*`), its parameters and, for a plural, its count.
 * @typedef {{text: string, key?: string, params?: Params, count?: number}} Said
 * @typedef {{key: string, params?: Params}} Message a catalog text to show, with its values
 */

/** The languages there are catalogs for: code → its own name and writing direction. */
export const LANGUAGES = /** @type {const} */ ({
  en: { name: "English", dir: "ltr" },
  de: { name: "Deutsch", dir: "ltr" },
  fr: { name: "Français", dir: "ltr" },
  es: { name: "Español", dir: "ltr" },
  ar: { name: "العربية", dir: "rtl" },
});

/** @typedef {keyof typeof LANGUAGES} Language */

/** @type {Record<string, () => Promise<{default: Catalog}>>} */
const LOADERS = {
  en: async () => ({ default: en }),
  de: () => import("./de.js"),
  fr: () => import("./fr.js"),
  es: () => import("./es.js"),
  ar: () => import("./ar.js"),
};

let current = /** @type {Language} */ ("en");
let catalog = /** @type {Catalog} */ (en);

/** The language shown. */
export function language() {
  return current;
}

/** @param {string} code @returns {code is Language} */
export function isLanguage(code) {
  return Object.hasOwn(LANGUAGES, code);
}

/**
 * The best catalog for what is asked (`?lang=`, a remembered choice) or else for the
 * browser's languages in order of preference: an exact code, then its primary subtag
 * ("de-AT" → de); English when none matches.
 * @param {(string | null | undefined)[]} wanted most wanted first
 * @returns {Language}
 */
export function chooseLanguage(wanted) {
  for (const code of wanted) {
    if (!code) continue;
    const primary = code.toLowerCase().split(/[-_]/)[0];
    if (isLanguage(primary)) return primary;
  }
  return "en";
}

/** The catalog of a language. @param {Language} code @returns {Promise<Catalog>} */
export async function loadCatalog(code) {
  return (await LOADERS[code]()).default;
}

/** Show `code` from now on (its catalog loaded). @param {Language} code */
export async function useLanguage(code) {
  const loaded = await loadCatalog(code);
  current = code;
  catalog = loaded;
}

/** A number for the language. @param {number} value @param {number} [digits] fixed decimals */
export function formatNumber(value, digits) {
  const fixed = digits === undefined ? {} : { minimumFractionDigits: digits };
  return new Intl.NumberFormat(current, {
    maximumFractionDigits: digits ?? 20,
    ...fixed,
    useGrouping: false,
  }).format(value);
}

/**
 * A date for the language ("3 Dec 2026", "03.12.2026"); `text` is ISO (2026-12-03) or DICOM
 * DA (20261203). Text that is neither is shown as it is.
 * @param {string} text
 */
export function formatDate(text) {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})/.exec(text);
  if (!m) return text;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  if (Number.isNaN(date.getTime())) return text;
  return new Intl.DateTimeFormat(current, { dateStyle: "medium", timeZone: "UTC" }).format(date);
}

/** @param {Param} value @returns {string} */
function formatParam(value) {
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "string") return value;
  if ("date" in value) return formatDate(value.date);
  if ("key" in value) return keyName(value.key);
  if ("said" in value) return said(value.said);
  return formatNumber(value.number, value.digits);
}

/**
 * The text of `key` in the language shown, its {placeholders} filled; English when the
 * catalog lacks it, the key itself when English does too (a missing key shows, not hides).
 * @param {string} key @param {Params} [params] @returns {string}
 */
export function t(key, params = {}) {
  const text = catalog[key] ?? en[/** @type {keyof typeof en} */ (key)] ?? key;
  return text.replace(/\{(\w+)\}/g, (/** @type {string} */ whole, /** @type {string} */ name) =>
    Object.hasOwn(params, name) ? formatParam(params[name]) : whole,
  );
}

/**
 * An engine's message in the language shown: the catalog's text of its id with its
 * parameters when the catalog (or English) has the id, else the engine's English text.
 * @param {Said | null | undefined} message @param {string} [english] when there is no message
 * @returns {string}
 */
export function said(message, english = "") {
  if (!message) return english;
  const { key, params = {}, count } = message;
  const has = (/** @type {string} */ k) => Object.hasOwn(catalog, k) || Object.hasOwn(en, k);
  if (key && count !== undefined && has(`${key}.other`)) return tn(key, count, params);
  if (key && count === undefined && has(key)) return t(key, params);
  return message.text;
}

/**
 * A key as the user's language names it: "Shift+H" → "Umschalt+H", "Space" → "Leertaste";
 * letters and symbols as they are. `label` is page/shortcuts.js keyLabel's (ARIA's) form.
 * @param {string} label @returns {string}
 */
export function keyName(label) {
  if (label === "Space") return t("key.space");
  if (label === "Esc") return t("key.esc");
  return label.replace(/^Shift\+/, t("key.shift"));
}

/** The {placeholders} of a text, sorted. @param {string} text */
export function placeholders(text) {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
}

/**
 * `t` of the plural form of `key` for `count` (Intl.PluralRules of the language): the
 * catalog's `<key>.one`, `.other` (and `.zero`, `.two`, `.few`, `.many` where the language
 * has them and the catalog says them), `.other` when it lacks the form; {count} is filled.
 * @param {string} key @param {number} count @param {Params} [params]
 */
export function tn(key, count, params = {}) {
  const form = `${key}.${new Intl.PluralRules(current).select(count)}`;
  const chosen = Object.hasOwn(catalog, form) ? form : `${key}.other`;
  return t(chosen, { count, ...params });
}
