// Remembered studies (issue 18 item 3): opening with "Keep on this device" stores the files
// opened (keep/store.js) with what the start screen lists of them (patient, study, date,
// read from the first series' header by the worker); kept studies open with one click and
// are deleted one by one or all at once. Nothing is kept without that choice, and a kiosk
// keeps nothing.
import { newId, openStore, persist } from "../keep/store.js";
import { app, setStatus } from "./app.js";
import { client } from "./engine.js";
import { open } from "./open.js";
import { t } from "../i18n/i18n.js";

/** @typedef {import("../keep/store.js").KeptRecord} KeptRecord */
/** @typedef {import("../keep/store.js").Backend} Backend */
/** @typedef {import("../rpc/protocol.js").OpenResult} OpenResult */
/**
 * What `keptStudies()` lists: patient and study "" while patient information is hidden.
 * @typedef {{id: string, patient: string, study: string, date: string, files: number,
 *            bytes: number}} KeptStudy
 */

/** Whether this page may keep anything: not in a kiosk (main.js says). */
const policy = { allowed: true };

/** @type {Promise<Backend | null> | null} */
let store = null;

/** @returns {Promise<Backend | null>} the storage, opened on first use */
function backend() {
  store ??= openStore().catch(() => null);
  return store;
}

/** Listeners told when the kept studies change (the start screen). @type {(() => void)[]} */
const changed = [];

/** @param {() => void} listener */
export function onKeptChange(listener) {
  changed.push(listener);
}

function notify() {
  for (const listener of changed) listener();
}

/** A kiosk never keeps anything. @param {boolean} allowed */
export function allowKeeping(allowed) {
  policy.allowed = allowed;
}

/** Whether keeping is possible here (not a kiosk). */
export function keepingAllowed() {
  return policy.allowed;
}

/** The start screen's choice, as the user left it. */
export function keepChosen() {
  const box = /** @type {HTMLInputElement | null} */ (document.getElementById("keep-choice"));
  return policy.allowed && Boolean(box?.checked);
}

/**
 * Open the user's own files, keeping them when asked (and allowed): resolves once they
 * are stored; the result then names the kept study (`kept`, its id). A study that cannot
 * be stored still opens; the status line says why it was not kept.
 * @param {FileList | File[]} files
 * @param {{keep?: boolean}} [options]
 * @returns {Promise<OpenResult & {kept?: string}>}
 */
export async function openOwn(files, options = {}) {
  const list = Array.from(files);
  const result = await open(list);
  if (!options.keep) return result;
  if (!policy.allowed) {
    setStatus({ key: "keep.kiosk" });
    return result;
  }
  if (!result.opened.length && !(result.documents ?? []).length) return result;
  try {
    const id = await keep(list, result);
    return { ...result, kept: id };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    setStatus({ key: "keep.failed", params: { reason } }, true);
    return result;
  }
}

/**
 * Store `files` (just opened, giving `result`) as one kept study.
 * @param {File[]} files @param {OpenResult} result @returns {Promise<string>} its id
 */
async function keep(files, result) {
  const db = await backend();
  if (!db) throw new Error(t("keep.no_storage"));
  const about = await describe(result);
  /** @type {KeptRecord} */
  const record = {
    id: newId(),
    ...about,
    files: files.length,
    bytes: files.reduce((sum, f) => sum + f.size, 0),
    names: files.map((f) => f.webkitRelativePath || f.name),
    kept: new Date().toISOString(),
  };
  await db.save(record, files);
  void persist();
  notify();
  setStatus({ key: "keep.done" });
  return record.id;
}

/**
 * Patient, study and date of what an open gave: from the first series it opened (its first
 * image's header, read by the worker with pydicom), else its first document.
 * @param {OpenResult} result
 * @returns {Promise<{patient: string, study: string, date: string}>}
 */
async function describe(result) {
  const index = app.catalog.series.findIndex((s) => result.opened.includes(s.uid));
  const doc = (result.documents ?? [])[0];
  if (index < 0) return { patient: "", study: doc?.title ?? "", date: doc?.date ?? "" };
  const header = await client.call("header", { series: index, frame: 0, hide: false });
  /** @param {string} keyword */
  const value = (keyword) =>
    String(header.dataset.find((n) => n.keyword === keyword)?.value ?? "").trim();
  const series = app.catalog.series[index];
  return {
    patient: value("PatientName").replaceAll("^", " ").trim(),
    study: value("StudyDescription") || value("Modality") || series.modality,
    date: value("StudyDate") || series.date || "",
  };
}

/** @returns {Promise<KeptRecord[]>} every kept study, most recently kept first */
async function records() {
  const db = await backend();
  if (!db) return [];
  const all = await db.list();
  return all.sort((a, b) => b.kept.localeCompare(a.kept));
}

/**
 * The kept studies as the contract lists them (patient and study "" while hidden).
 * @returns {Promise<KeptStudy[]>}
 */
export async function keptStudies() {
  const hide = app.hidePatient;
  return (await records()).map((r) => ({
    id: r.id,
    patient: hide ? "" : r.patient,
    study: hide ? "" : r.study,
    date: r.date,
    files: r.files,
    bytes: r.bytes,
  }));
}

/** Open a kept study (as the user's own files: a demo shown is closed). @param {string} id */
export async function openKept(id) {
  const db = await backend();
  if (!db) throw new Error(t("keep.no_storage"));
  let files;
  try {
    files = await db.files(id);
  } catch (error) {
    notify();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`The kept study could not be read: ${reason}`, { cause: error });
  }
  return open(files);
}

/** Delete one kept study, or every one (no id). @param {string} [id] */
export async function forget(id) {
  const db = await backend();
  if (!db) return;
  const ids = id === undefined ? (await db.list()).map((r) => r.id) : [id];
  for (const one of ids) await db.remove(one);
  notify();
}

/** Which storage holds kept studies ("opfs", "indexeddb", or "" when none). */
export async function keptStorage() {
  return (await backend())?.kind ?? "";
}

/** The records for the start screen's list (the page hides what it must). */
export { records as keptRecords };
