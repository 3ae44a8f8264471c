// Scripts of the Python console kept in this browser (issue 21 item 4), only when the user
// opts in (as remembered studies are): localStorage, this origin only. Turning it off
// forgets them.
import { t } from "../i18n/i18n.js";

const KEEP = "lightbox-console-keep";
const SCRIPTS = "lightbox-console-scripts";

/** @typedef {{name: string, code: string, saved: string}} Script */

/** Whether scripts are kept. */
export function keeping() {
  try {
    return localStorage.getItem(KEEP) === "1";
  } catch {
    return false; // storage refused (a private window's policy): nothing kept
  }
}

/** Opt in or out; out forgets every script kept. @param {boolean} on */
export function setKeeping(on) {
  if (on) localStorage.setItem(KEEP, "1");
  else {
    localStorage.removeItem(KEEP);
    localStorage.removeItem(SCRIPTS);
  }
}

/** The scripts kept, by name. @returns {Script[]} */
export function scripts() {
  if (!keeping()) return [];
  try {
    const found = JSON.parse(localStorage.getItem(SCRIPTS) ?? "[]");
    return Array.isArray(found) ? found.filter((s) => s && typeof s.name === "string") : [];
  } catch {
    return [];
  }
}

/**
 * Keep a script under a name (replacing one of the same name).
 * @param {string} name @param {string} code
 */
export function saveScript(name, code) {
  if (!keeping()) throw new Error(t("console.keep_first"));
  const clean = name.trim();
  if (!clean) throw new Error(t("console.needs_name"));
  const list = scripts().filter((s) => s.name !== clean);
  list.push({ name: clean, code, saved: new Date().toISOString() });
  list.sort((a, b) => a.name.localeCompare(b.name));
  localStorage.setItem(SCRIPTS, JSON.stringify(list));
}

/** @param {string} name */
export function deleteScript(name) {
  if (!keeping()) return;
  const list = scripts().filter((s) => s.name !== name);
  localStorage.setItem(SCRIPTS, JSON.stringify(list));
}
