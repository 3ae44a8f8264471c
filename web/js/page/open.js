// Opening: the user's own files and folders (read in batches, with a progress bar and
// Cancel), the demo and hosted cases (hosted.js fetches them), and closing everything.
// The demo is not the user's: their own files replace it.
import { $, app, pane, setStatus } from "./app.js";
import { stopCine } from "./cine.js";
import { budget, client } from "./engine.js";
import { renderMeasureList } from "./measurements.js";
import { renderSegmentPanel } from "./segments.js";
import { clearSkipped, showSkipped } from "./report.js";
import { forgetThumbnails, loadThumbnails, renderSeriesList } from "./series-list.js";
import { forgetVideos } from "../viewer/video.js";
import en from "../i18n/en.js";
import { setText } from "./language.js";

/** @typedef {import("../rpc/protocol.js").OpenResult} OpenResult */
/** @typedef {import("../rpc/protocol.js").Reopened} Reopened */
/** @typedef {import("../rpc/protocol.js").Skipped} Skipped */
/** @typedef {{cancelled: boolean}} Job */

/** Files per call to the worker: headers are indexed batch by batch, so the first
 * image shows before a large drop is fully indexed, and a cancel takes effect between batches.
 * In a drop of more than BATCH_FILES, the first batch is one file, so the first image waits
 * for one header, not 64; each batch after it is FIRST_BATCH_GROWTH times larger, up to
 * BATCH_FILES (issue 17 item 2). */
const BATCH_FILES = 64;
const FIRST_BATCH_GROWTH = 4;
const BATCH_BYTES = 96 * 1024 * 1024;
/**
 * Files of this size or more are handed to the worker as the File itself, not read: a
 * slide is then read a range at a time (its header, tile offsets and the tiles shown);
 * any other file the worker reads whole (issue 15 item 2). window.lightbox.largeFileBytes.
 */
export const large = { bytes: 64 * 1024 * 1024 };

/**
 * The bytes of files read whole that the engine holds at most (issue 19 item 3): the
 * device's budget, as the frame cache's (page/engine.js). Past it, every file is handed
 * as the File itself, so that a study of thousands of small files (a 3,000-slice CT, 1.5
 * GB) holds the headers of the rest, each frame read from its File when it is shown.
 * `read` counts what was handed whole since the last closeAll.
 * window.lightbox.wholeFileBudget.
 */
export const whole = { budget: budget.bytes, read: 0 };

/**
 * What the engine holds open: each batch it opened, in order, as the File objects the
 * page still holds (a File is a handle on the user's file, a fetched demo's blob, a ZIP
 * still unexpanded), so that a new engine opens the same files in the same batches and
 * numbers the series alike (page/revive.js). Emptied by closeAll.
 * @type {{names: string[], files: File[]}[]}
 */
const held = [];

/** @type {Job | null} the open in progress */
let opening = null;

/**
 * What is open: nothing, only a demo (the built-in demo or a hosted case: `demo` says
 * which, as the status line names it), or files of the user's own (with or without a demo).
 * @type {{kind: "none"} | {kind: "demo", demo: string} | {kind: "own"}}
 */
let source = { kind: "none" };
/** @type {{job: Job, done: Promise<unknown>} | null} the demo being opened */
let demoOpening = null;
/** the user's own opens so far: a demo whose files arrive after one of them is not opened */
let ownOpens = 0;

/** Stop the open in progress after its current batch (the Cancel button). */
export function cancelOpen() {
  if (opening) opening.cancelled = true;
}

/**
 * Open the user's own files (File objects; folders give relative paths). ZIPs and
 * DICOMDIRs are expanded by the worker; bad files are listed in `skipped`; the rest open.
 * When only a demo is open (or opening), it is closed first.
 * @param {FileList | File[]} files
 * @returns {Promise<OpenResult>}
 */
export async function open(files) {
  const list = Array.from(files);
  ownOpens += 1;
  const replaced = source.kind === "demo" ? source.demo : null;
  if (replaced) {
    if (demoOpening) {
      demoOpening.job.cancelled = true; // its batch in flight ends it
      await demoOpening.done.catch(() => {});
    }
    await closeAll();
  }
  source = { kind: "own" };
  return openFiles(list, { cancelled: false }, { own: true, replaced });
}

/**
 * Open a demo: the files `load` gives (the built-in demo or a hosted case, hosted.js).
 * Beside the user's own files it is added (theirs are never closed for it); when the user
 * opens files of their own before its files arrive, it is not opened at all.
 * @param {() => Promise<File[]>} load
 * @param {string} demo what the status line calls it ("the demo", "the case …")
 * @returns {Promise<OpenResult>}
 */
export async function openAsDemo(load, demo) {
  const before = ownOpens;
  const files = await load();
  if (ownOpens !== before) return { ...app.catalog, opened: [], first: null, cancelled: true };
  if (source.kind === "none") source = { kind: "demo", demo };
  const job = { cancelled: false };
  const done = openFiles(files, job, { own: false, replaced: null });
  demoOpening = { job, done };
  try {
    return await done;
  } finally {
    if (demoOpening?.job === job) demoOpening = null;
  }
}

/**
 * @param {File[]} list
 * @param {Job} job
 * @param {{own: boolean, replaced: string | null}} how whose files these are, and the demo
 *   closed for them (the status line says so)
 * @returns {Promise<OpenResult>}
 */
async function openFiles(list, job, how) {
  opening = job;
  const total = list.length;
  /** @type {Skipped[]} */
  const skipped = [];
  /** @type {Set<string>} */
  const opened = new Set();
  /** @type {number|null} */
  let first = null;
  /** @type {Reopened | null} where files already open are shown */
  let reopened = null;
  let failed = false;
  let done = 0;
  // A drop of one batch or less is one call, as before: its series are whole at once.
  let limit = total > BATCH_FILES ? 1 : BATCH_FILES;
  /** @type {Promise<Batch>} the next batch, read while the worker opens the one before */
  let reading = Promise.resolve(emptyBatch());
  progress(0, total);
  try {
    await client.ready;
    reading = readBatch(list, 0, limit);
    while (done < total && !job.cancelled) {
      const batch = await reading;
      done = batch.end;
      skipped.push(...batch.skipped);
      limit = Math.min(limit * FIRST_BATCH_GROWTH, BATCH_FILES);
      const next = () =>
        done < total ? readBatch(list, done, limit) : Promise.resolve(emptyBatch());
      // The next batch is read while the worker opens this one once the first image is
      // shown; until then nothing else is asked of the page (the first image comes first).
      const ahead = first !== null;
      reading = ahead ? next() : Promise.resolve(emptyBatch());
      const { names, files, buffers } = batch;
      const transfer = buffers.filter((b) => b instanceof ArrayBuffer);
      /** @type {OpenResult} */
      const result = await client.call("open", { names, buffers }, transfer);
      held.push({ names, files });
      skipped.push(...result.skipped);
      result.opened.forEach((uid) => opened.add(uid));
      reopened = earlier(reopened, result.reopened ?? null);
      const before = app.catalog.series;
      app.catalog = { ...result, skipped: [...app.catalog.skipped, ...result.skipped] };
      redrawGrown(before);
      progress(done, total);
      renderSeriesList();
      if (first === null && result.first !== null) {
        first = result.first;
        $("placeholder").hidden = true;
        // A bad frame is said in the pane; what the worker then knows is fetched below.
        await pane()
          .select(first, 0)
          .catch(() => (failed = true));
      }
      if (!ahead) reading = next();
    }
    if (first === null && reopened) {
      // Everything was open already: show it rather than leave the screen as it was.
      $("placeholder").hidden = true;
      await pane()
        .select(reopened.series, reopened.frame)
        .catch(() => {});
    }
    if (failed) skipped.push(...(await refreshCatalog()));
  } finally {
    // A batch read ahead and never sent (cancelled, or a batch failed): not handed over.
    whole.read = Math.max(0, whole.read - (await reading).wholeBytes);
    progress(null, total);
    if (opening === job) opening = null;
  }
  // The batches came without the completeness report: the catalog, with it, once.
  const fresh = await client.call("catalog");
  app.catalog = { ...app.catalog, report: fresh.report };
  const result = /** @type {OpenResult} */ ({
    ...fresh,
    skipped,
    opened: [...opened],
    first,
    reopened,
    cancelled: job.cancelled,
  });
  showSkipped(skipped);
  setStatus(...statusAfterOpen(result, done, total, how.replaced));
  if (app.catalog.series.length === 0 && !app.catalog.documents?.length) source = { kind: "none" };
  $("placeholder").hidden = app.catalog.series.length > 0;
  renderSeriesList();
  renderSegmentPanel();
  // A segmentation opened over a series already shown: its panes draw it.
  for (const p of app.panes) {
    if (p.series >= 0 && p.seriesInfo?.segmentations?.length) void p.changed().catch(() => {});
  }
  void loadThumbnails();
  if (first !== null) {
    // Other visible panes that are empty show the following series.
    const shown = first;
    app.panes.forEach((other, i) => {
      if (other !== pane() && other.series < 0 && !other.root.hidden) {
        const next = shown + i;
        if (next < app.catalog.series.length) void other.select(next, 0).catch(() => {});
      }
    });
  }
  app.opens += 1;
  document.body.dataset.opens = String(app.opens); // lets scripts wait for UI-started opens
  document.body.dispatchEvent(new CustomEvent("lightbox-opened", { detail: { own: how.own } }));
  return result;
}

/**
 * @typedef {{names: string[], files: File[], buffers: (ArrayBuffer | File)[],
 *   skipped: Skipped[], end: number, wholeBytes: number}} Batch the files of one call to
 *   the worker: those read (bytes, or the File itself), those the browser could not read,
 *   the index in the drop after the last one, and the bytes read whole (counted in `whole`)
 */

/** @returns {Batch} */
function emptyBatch() {
  return { names: [], files: [], buffers: [], skipped: [], end: 0, wholeBytes: 0 };
}

/**
 * Read the files of the next batch from `list[start]`: up to `limit` files read, or
 * BATCH_BYTES of bytes. The page reads it while the worker opens the batch before it
 * (issue 17 item 2), in the drop's order, so each file's bytes are counted in `whole` in
 * that order whether or not it was read ahead.
 * @param {File[]} list @param {number} start @param {number} limit
 * @returns {Promise<Batch>}
 */
async function readBatch(list, start, limit) {
  const batch = emptyBatch();
  let at = start;
  let bytes = 0;
  while (at < list.length && batch.names.length < limit && bytes < BATCH_BYTES) {
    const file = list[at];
    const name = file.webkitRelativePath || file.name;
    at += 1;
    try {
      const given = await payload(file, whole);
      bytes += given instanceof ArrayBuffer ? given.byteLength : 0;
      batch.buffers.push(given);
      batch.names.push(name);
      batch.files.push(file);
    } catch (error) {
      batch.skipped.push(unread(name, "open.browser_unreadable", error));
    }
  }
  batch.end = at;
  batch.wholeBytes = bytes;
  return batch;
}

/**
 * The panes whose series gained frames in the batch just opened, drawn again: a slice
 * that sorts in before the one shown moves what that frame number is (the series keeps
 * its number across batches: catalog/series.py orders series by the batch that began them).
 * @param {OpenResult["series"]} before the series as they were before the batch
 */
function redrawGrown(before) {
  for (const p of app.panes) {
    const was = before[p.series];
    const now = app.catalog.series[p.series];
    if (p.series >= 0 && was && now && was.frames !== now.frames) void p.changed().catch(() => {});
  }
}

/**
 * What the worker is given for a file: the File itself from `large.bytes` up, or once
 * `tally.read` files' bytes would pass `tally.budget` (never read here); else its bytes
 * (transferred), counted in `tally.read`.
 * @param {File} file
 * @param {{budget: number, read: number}} tally
 * @returns {Promise<ArrayBuffer | File>}
 */
async function payload(file, tally) {
  if (file.size >= large.bytes || tally.read + file.size > tally.budget) return file;
  const bytes = await file.arrayBuffer();
  tally.read += bytes.byteLength;
  return bytes;
}

/**
 * Open again, in a new engine, everything the engine that stopped held (page/revive.js):
 * the same batches in the same order; the page's catalog becomes the new engine's (the
 * files skipped before stay listed; a file the browser can no longer read is added there).
 * @param {import("../rpc/client.js").Client["call"]} call a call that reaches the new
 *   engine while other calls wait
 * @returns {Promise<number>} the files opened again
 */
export async function reopenHeld(call) {
  const { count, lost, catalog } = await openHeldIn(call);
  app.catalog = { ...catalog, skipped: [...app.catalog.skipped, ...lost] };
  if (lost.length) showSkipped(lost);
  return count;
}

/**
 * Open what the viewer's engine holds in another engine (a new viewer's engine, or the
 * de-identification's, page/deid-engine.js), batch by batch as it was opened, so that the
 * series are numbered alike; the page's own catalog and state are not touched.
 * @param {import("../rpc/client.js").Client["call"]} call a call that reaches that engine
 * @returns {Promise<{count: number, lost: Skipped[],
 *   catalog: import("../rpc/protocol.js").Catalog}>} files opened, files the browser could
 *   no longer read, and that engine's catalog
 */
export async function openHeldIn(call) {
  let count = 0;
  /** @type {Skipped[]} */
  const lost = [];
  const tally = { budget: whole.budget, read: 0 }; // that engine holds nothing yet
  for (const batch of [...held]) {
    /** @type {(ArrayBuffer | File)[]} */
    const buffers = [];
    const names = [];
    for (const [i, file] of batch.files.entries()) {
      try {
        buffers.push(await payload(file, tally));
        names.push(batch.names[i]);
      } catch (error) {
        lost.push(unread(batch.names[i], "open.browser_unreadable_again", error));
      }
    }
    const transfer = buffers.filter((b) => b instanceof ArrayBuffer);
    await call("open", { names, buffers }, transfer);
    count += names.length;
  }
  return { count, lost, catalog: await call("catalog") };
}

/**
 * Of two places where files already open are shown, the first in the catalog; the count
 * is both's. @param {Reopened | null} a @param {Reopened | null} b @returns {Reopened | null}
 */
function earlier(a, b) {
  if (!a || !b) return a ?? b;
  const first = b.series < a.series || (b.series === a.series && b.frame < a.frame) ? b : a;
  return { ...first, count: a.count + b.count };
}

/**
 * The catalog as the worker has it now (a frame that failed to decode adds its file to
 * `skipped` when it was the file's only one), kept as the page's; returns what `skipped`
 * gained.
 * @returns {Promise<Skipped[]>}
 */
async function refreshCatalog() {
  const fresh = await client.call("catalog");
  const key = (/** @type {Skipped} */ s) => `${s.name}\n${s.reason}`;
  const known = new Set(app.catalog.skipped.map(key));
  app.catalog = fresh;
  return fresh.skipped.filter((s) => !known.has(key(s)));
}

/**
 * A file the browser could not read, as the engine lists a skipped file (its reason in
 * English and with its catalog id). @param {string} name @param {string} key
 * @param {unknown} error @returns {Skipped}
 */
function unread(name, key, error) {
  const params = { error: String(error) };
  const english = en[/** @type {keyof typeof en} */ (key)].replace("{error}", params.error);
  return { name, reason: english, said: { text: english, key, params } };
}

/**
 * A catalog text inside another one, kept as its key (and count, for a plural).
 * @param {string} key @param {import("../i18n/i18n.js").Params} params @param {number} [count]
 * @returns {import("../i18n/i18n.js").Param}
 */
function nested(key, params, count) {
  return { said: { text: "", key, params, ...(count === undefined ? {} : { count }) } };
}

/**
 * The status line after an open: what opened, what did not, what was open already.
 * @param {OpenResult} result @param {number} done @param {number} total
 * @param {string | null} replaced the demo closed for these files
 * @returns {[import("../i18n/i18n.js").Message, boolean]} the text, and whether it is an error
 */
function statusAfterOpen(result, done, total, replaced) {
  const again = result.first === null && result.reopened ? result.reopened : null;
  const others = result.skipped.length - (again ? again.count : 0);
  // The parts are kept as keys (not as text), so that the line changes language with the page.
  const notOpened = others ? nested("open.not_opened", {}, others) : "";
  if (again) {
    const which =
      again.count === 1
        ? nested("open.one_open", { file: again.file })
        : nested("open.files_open", {}, again.count);
    return [{ key: "open.already", params: { which, notOpened } }, false];
  }
  const closed = replaced ? nested("open.closed", { name: replaced }) : "";
  const count = result.opened.length;
  if (result.cancelled && done < total)
    return [{ key: "open.cancelled", params: { done, total, count, notOpened } }, false];
  const params = { count, notOpened, closed };
  return [{ key: "open.opened", params }, count === 0 && others > 0];
}

/** The progress bar: files read of all files; null hides it. @param {number|null} done @param {number} total */
function progress(done, total) {
  const bar = $("progress");
  bar.hidden = done === null || total < 2;
  if (done === null) return;
  const meter = /** @type {HTMLProgressElement} */ ($("progress-bar"));
  meter.max = total;
  meter.value = done;
  setText($("progress-text"), "open.indexed", { done, total });
}

export async function closeAll() {
  await client.ready;
  stopCine();
  app.catalog = await client.call("closeAll");
  held.length = 0;
  whole.read = 0;
  source = { kind: "none" };
  app.measurements.length = 0;
  app.geometry.clear();
  await Promise.all(app.panes.map((p) => p.clear()));
  clearSkipped();
  forgetThumbnails();
  forgetVideos();
  $("placeholder").hidden = false;
  renderSeriesList();
  renderMeasureList();
  setStatus(""); // the start screen comes back with no word of what was open
}
