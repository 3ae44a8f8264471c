// Opening: files and folders (read in batches, with a progress bar and Cancel), the demo,
// a teaching case published next to the app, and closing everything.
import { $, app, pane, setStatus } from "./app.js";
import { stopCine } from "./cine.js";
import { client } from "./engine.js";
import { renderMeasureList } from "./measurements.js";
import { clearSkipped, showSkipped } from "./report.js";
import { loadThumbnails, renderSeriesList } from "./series-list.js";

/** @typedef {import("../rpc/protocol.js").OpenResult} OpenResult */
/** @typedef {import("../rpc/protocol.js").Skipped} Skipped */

/** Files per call to the worker: headers are indexed batch by batch, so the first
 * image shows before a large drop is fully indexed, and a cancel takes effect between batches. */
const BATCH_FILES = 64;
const BATCH_BYTES = 96 * 1024 * 1024;

/** @type {{cancelled: boolean} | null} the open in progress */
let opening = null;

/** Stop the open in progress after its current batch (the Cancel button). */
export function cancelOpen() {
  if (opening) opening.cancelled = true;
}

/**
 * Open files (File objects; folders give relative paths). ZIPs and DICOMDIRs are
 * expanded by the worker; bad files are listed in `skipped`; the rest open.
 * @param {FileList | File[]} files
 * @returns {Promise<OpenResult>}
 */
export async function open(files) {
  const list = Array.from(files);
  const job = { cancelled: false };
  opening = job;
  const total = list.length;
  /** @type {Skipped[]} */
  const skipped = [];
  /** @type {Set<string>} */
  const opened = new Set();
  /** @type {number|null} */
  let first = null;
  /** @type {OpenResult | null} */
  let last = null;
  let done = 0;
  progress(0, total);
  try {
    await client.ready;
    while (done < total && !job.cancelled) {
      const names = [];
      const buffers = [];
      let bytes = 0;
      while (done < total && names.length < BATCH_FILES && bytes < BATCH_BYTES) {
        const file = list[done];
        const name = file.webkitRelativePath || file.name;
        done += 1;
        try {
          const buffer = await file.arrayBuffer();
          bytes += buffer.byteLength;
          buffers.push(buffer);
          names.push(name);
        } catch (error) {
          skipped.push({ name, reason: `the browser could not read it (${error})` });
        }
      }
      /** @type {OpenResult} */
      const result = await client.call("open", { names, buffers }, buffers);
      last = result;
      skipped.push(...result.skipped);
      result.opened.forEach((uid) => opened.add(uid));
      app.catalog = { ...result, skipped: [...app.catalog.skipped, ...result.skipped] };
      progress(done, total);
      renderSeriesList();
      if (first === null && result.first !== null) {
        first = result.first;
        $("placeholder").hidden = true;
        await pane()
          .select(first, 0)
          .catch(() => {}); // a bad frame is reported in the pane
      }
    }
  } finally {
    progress(null, total);
    if (opening === job) opening = null;
  }
  const result = /** @type {OpenResult} */ ({
    ...(last ?? (await client.call("catalog"))),
    skipped,
    opened: [...opened],
    first,
    cancelled: job.cancelled,
  });
  showSkipped(skipped);
  const notOpened = skipped.length
    ? `; ${skipped.length} file${skipped.length === 1 ? "" : "s"} not opened`
    : "";
  setStatus(
    (job.cancelled ? `Stopped after ${done} of ${total} files: ` : "") +
      `Opened ${opened.size} series${notOpened}`,
    opened.size === 0 && skipped.length > 0,
  );
  $("placeholder").hidden = app.catalog.series.length > 0;
  renderSeriesList();
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
  document.body.dispatchEvent(new Event("lightbox-opened"));
  return result;
}

/** The progress bar: files read of all files; null hides it. @param {number|null} done @param {number} total */
function progress(done, total) {
  const bar = $("progress");
  bar.hidden = done === null || total < 2;
  if (done === null) return;
  const meter = /** @type {HTMLProgressElement} */ ($("progress-bar"));
  meter.max = total;
  meter.value = done;
  $("progress-text").textContent = `Indexed ${done} of ${total} files`;
}

/** The synthetic demo study the build writes into demo/. */
export async function openDemo() {
  const base = new URL("demo/", document.baseURI);
  const index = await (await fetch(new URL("index.json", base))).json();
  const files = await Promise.all(
    index.files.map(async (/** @type {string} */ name) => {
      const response = await fetch(new URL(name, base));
      if (!response.ok) throw new Error(`demo file ${name}: HTTP ${response.status}`);
      return new File([await response.blob()], name);
    }),
  );
  return open(files);
}

/**
 * Open a teaching case published next to the app: `?case=<relative URL>` of a .zip,
 * or of a folder holding a DICOMDIR. Only this origin: anything else is refused.
 * @param {string} reference
 */
export async function openCase(reference) {
  const url = new URL(reference, document.baseURI);
  if (url.origin !== location.origin) {
    throw new Error(
      `The case ${reference} is on another site (${url.origin}); Lightbox only opens cases published with it.`,
    );
  }
  /** @param {URL} where */
  const fetchFile = async (where) => {
    const response = await fetch(where);
    if (!response.ok) {
      throw new Error(
        `The case file ${where.pathname} could not be loaded (HTTP ${response.status}).`,
      );
    }
    const name = decodeURIComponent(where.pathname.split("/").pop() ?? "case");
    return new File([await response.blob()], name);
  };
  setStatus(`Loading the case ${reference}…`);
  if (!url.pathname.endsWith("/")) return open([await fetchFile(url)]);
  const dicomdirFile = await fetchFile(new URL("DICOMDIR", url));
  const buffer = await dicomdirFile.arrayBuffer();
  await client.ready;
  /** @type {string[]} */
  const paths = await client.call("dicomdirFiles", { path: "DICOMDIR", buffer });
  const files = await Promise.all(
    paths.map(async (path) => {
      const relative = path.split("/").map(encodeURIComponent).join("/");
      const file = await fetchFile(new URL(relative, url));
      return new File([file], path); // keep the relative path the DICOMDIR refers to
    }),
  );
  return open([new File([buffer], "DICOMDIR"), ...files]);
}

export async function closeAll() {
  await client.ready;
  stopCine();
  app.catalog = await client.call("closeAll");
  app.measurements.length = 0;
  app.geometry.clear();
  await Promise.all(app.panes.map((p) => p.clear()));
  clearSkipped();
  $("placeholder").hidden = false;
  renderSeriesList();
  renderMeasureList();
}
