// The page: DOM, events, layouts and panels. It exposes window.lightbox, the
// same functions the UI itself calls. It never parses DICOM.
import { Client } from "./client.js";
import { clampFrame, csvField, frameForKey, wheelSteps } from "./interaction.js";
import { Pane, dicomDate, round } from "./pane.js";
import { presetsFor } from "./presets.js";
import { collectDropped } from "./files.js";
import { renderTags } from "./tags.js";
import { setupDeid } from "./deid.js";
import { Kiosk, kioskOptions } from "./kiosk.js";
import { registerOffline } from "./offline.js";
import { decodeView, encodeView, paneView } from "./viewstate.js";

/** @typedef {import("./protocol.js").Catalog} Catalog */
/** @typedef {import("./protocol.js").OpenResult} OpenResult */

/** @param {string} id */
function $(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element;
}

const statusLine = $("status");
/** @param {string} text @param {boolean} [error] */
function setStatus(text, error = false) {
  statusLine.textContent = text;
  statusLine.classList.toggle("error", error);
}

const client = new Client({
  onProgress: (p) => setStatus(`${p.label}… (${p.index + 1}/${p.total})`),
  onFatal: (reason) => {
    $("crash-text").textContent = `The viewer's engine stopped: ${reason}`;
    $("crash").hidden = false;
    setStatus("The viewer's engine stopped", true);
  },
});

/** Everything the page shows beyond one pane. */
const app = {
  /** @type {Catalog} */
  catalog: { series: [], skipped: [] },
  /** @type {Pane[]} */
  panes: [],
  active: 0,
  tool: "scroll",
  showInfo: true,
  hidePatient: false,
  showOverlays: false,
  sync: false,
  /** @type {import("./pane.js").Measurement[]} */
  measurements: [],
  measureId: 0,
  opens: 0,
  /** @type {number|null} */
  cineTimer: null,
  /** @type {Map<string, {frameOfReference: string|null, positions: (number|null)[]}>} */
  geometry: new Map(),
};

/** @type {number|null} the pending save of the view to the URL fragment */
let viewTimer = null;
let restoringView = false;

/** @type {import("./pane.js").PaneHost} */
const host = {
  client,
  catalog: () => app.catalog,
  tool: () => app.tool,
  showInfo: () => app.showInfo,
  hidePatient: () => app.hidePatient,
  showOverlays: () => app.showOverlays,
  measurements: app.measurements,
  onActivate: (pane) => activate(pane.index),
  onChange: (pane) => {
    if (pane.index === app.active) {
      renderMeasureList();
      syncControls();
    }
  },
  onError: (message) => setStatus(message, true),
  onView: () => scheduleViewSave(),
  nextId: () => (app.measureId += 1),
};

const viewports = $("viewports");

/** @param {string} layout "1x1" | "1x2" | "2x1" | "2x2" */
function setLayout(layout) {
  const [rows, cols] = layout.split("x").map(Number);
  const count = rows * cols;
  if (!(count >= 1 && count <= 4)) throw new RangeError(`unknown layout ${layout}`);
  viewports.className = `viewports layout-${layout}`;
  while (app.panes.length < count) {
    const root = document.createElement("div");
    viewports.append(root);
    const pane = new Pane(root, host, app.panes.length);
    app.panes.push(pane);
    // A new pane shows the next series, if there is one.
    const next = app.catalog.series.length ? Math.min(pane.index, app.catalog.series.length - 1) : -1;
    if (next >= 0) void pane.select(next, 0).catch(() => {});
  }
  app.panes.forEach((pane, i) => (pane.root.hidden = i >= count));
  if (app.active >= count) activate(0);
  (/** @type {HTMLSelectElement} */ ($("layout"))).value = layout;
  app.panes.forEach((pane) => pane.draw());
}

/** @param {number} index */
function activate(index) {
  app.active = index;
  app.panes.forEach((pane, i) => pane.root.classList.toggle("active", i === index));
  renderSeriesList();
  renderMeasureList();
  syncControls();
  if (!$("tags-panel").hidden) void showTags();
}

function pane() {
  return app.panes[app.active];
}

// -- opening ----------------------------------------------------------------------

/** Files per call to the worker: headers are indexed batch by batch, so the first
 * image shows before a large drop is fully indexed, and a cancel takes effect between batches. */
const BATCH_FILES = 64;
const BATCH_BYTES = 96 * 1024 * 1024;

/** @type {{cancelled: boolean} | null} */
let opening = null;

/**
 * Open files (File objects; folders give relative paths). ZIPs and DICOMDIRs are
 * expanded by the worker; bad files are listed in `skipped`; the rest open.
 * @param {FileList | File[]} files
 * @returns {Promise<OpenResult>}
 */
async function open(files) {
  const list = Array.from(files);
  const job = { cancelled: false };
  opening = job;
  const total = list.length;
  /** @type {{name: string, reason: string}[]} */
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
        await pane().select(first, 0).catch(() => {}); // a bad frame is reported in the pane
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
  setStatus(
    (job.cancelled ? `Stopped after ${done} of ${total} files: ` : "") +
      `Opened ${opened.size} series` +
      (skipped.length ? `; ${skipped.length} file${skipped.length === 1 ? "" : "s"} not opened` : ""),
    opened.size === 0 && skipped.length > 0,
  );
  $("placeholder").hidden = app.catalog.series.length > 0;
  renderSeriesList();
  void loadThumbnails();
  if (first !== null) {
    // Other visible panes that are empty show the following series.
    app.panes.forEach((other, i) => {
      if (other !== pane() && other.series < 0 && !other.root.hidden) {
        const next = (first ?? 0) + i;
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
  (/** @type {HTMLProgressElement} */ ($("progress-bar"))).max = total;
  (/** @type {HTMLProgressElement} */ ($("progress-bar"))).value = done;
  $("progress-text").textContent = `Indexed ${done} of ${total} files`;
}

async function openDemo() {
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
async function openCase(reference) {
  const url = new URL(reference, document.baseURI);
  if (url.origin !== location.origin) {
    throw new Error(`The case ${reference} is on another site (${url.origin}); Lightbox only opens cases published with it.`);
  }
  /** @param {URL} where */
  const fetchFile = async (where) => {
    const response = await fetch(where);
    if (!response.ok) throw new Error(`The case file ${where.pathname} could not be loaded (HTTP ${response.status}).`);
    return new File([await response.blob()], decodeURIComponent(where.pathname.split("/").pop() ?? "case"));
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
      const file = await fetchFile(new URL(path.split("/").map(encodeURIComponent).join("/"), url));
      return new File([file], path); // keep the relative path the DICOMDIR refers to
    }),
  );
  return open([new File([buffer], "DICOMDIR"), ...files]);
}

async function closeAll() {
  await client.ready;
  stopCine();
  app.catalog = await client.call("closeAll");
  app.measurements.length = 0;
  app.geometry.clear();
  await Promise.all(app.panes.map((p) => p.clear()));
  $("notice-list").replaceChildren();
  $("notices").hidden = true;
  $("placeholder").hidden = false;
  renderSeriesList();
  renderMeasureList();
}

// -- the series browser ---------------------------------------------------------------

/** @type {Map<string, string>} thumbnail object URLs by series uid */
const thumbnails = new Map();

async function loadThumbnails() {
  for (let index = 0; index < app.catalog.series.length; index += 1) {
    const series = app.catalog.series[index];
    if (thumbnails.has(series.uid)) continue;
    try {
      const { info, pixels } = await client.call("thumbnail", { series: index, size: 64 });
      const canvas = new OffscreenCanvas(info.width, info.height);
      canvas.getContext("2d")?.putImageData(new ImageData(new Uint8ClampedArray(pixels), info.width, info.height), 0, 0);
      thumbnails.set(series.uid, URL.createObjectURL(await canvas.convertToBlob()));
      renderSeriesList();
    } catch {
      thumbnails.set(series.uid, ""); // the pane says why when the series is shown
    }
  }
}

function renderSeriesList() {
  const list = $("series-list");
  list.replaceChildren();
  const catalog = app.catalog;
  if (!catalog.series.length && !(catalog.documents ?? []).length) {
    const hint = document.createElement("p");
    hint.className = "empty-hint";
    hint.innerHTML = "Drop DICOM files, folders or ZIPs anywhere, or choose <b>Open files</b>.";
    list.append(hint);
    return;
  }
  const patients = new Set(catalog.series.map((s) => s.patientKey));
  if (patients.size > 1) {
    const warning = document.createElement("p");
    warning.className = "warning";
    warning.textContent = `These files belong to ${patients.size} different patients.`;
    list.append(warning);
  }
  const current = pane()?.series ?? -1;
  let group = "";
  catalog.series.forEach((series, index) => {
    const key = `${series.patientKey}|${series.studyUid}`;
    if (key !== group) {
      group = key;
      const title = document.createElement("div");
      title.className = "group-title";
      const patientNumber = [...patients].indexOf(series.patientKey) + 1;
      title.textContent = `${patients.size > 1 ? `Patient ${patientNumber} · ` : ""}Study ${app.hidePatient ? "" : dicomDate(series.date)}`.trim();
      list.append(title);
    }
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.series = String(index);
    button.setAttribute("aria-current", String(index === current));
    const thumb = thumbnails.get(series.uid);
    if (thumb) {
      const img = document.createElement("img");
      img.className = "thumb";
      img.alt = "";
      img.src = thumb;
      button.append(img);
    }
    const title = document.createElement("div");
    title.className = "series-title";
    title.textContent = app.hidePatient ? `Series ${series.number ?? index + 1}` : series.description || `Series ${series.number ?? index + 1}`;
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = [series.modality || "?", `${series.frames} image${series.frames === 1 ? "" : "s"}`, app.hidePatient ? "" : dicomDate(series.date)]
      .filter(Boolean)
      .join(" · ");
    button.append(title, meta);
    button.addEventListener("click", () => report(pane().select(index, 0)));
    list.append(button);
  });
  const docs = catalog.documents ?? [];
  if (docs.length) {
    const title = document.createElement("div");
    title.className = "group-title";
    title.textContent = "Documents";
    list.append(title);
  }
  for (const doc of docs) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "document";
    button.dataset.document = String(doc.index);
    button.textContent = `${doc.kind === "pdf" ? "PDF" : doc.kind === "sr" ? "Report" : "Object"}: ${app.hidePatient ? doc.type : doc.title}`;
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = `${doc.type}${doc.date && !app.hidePatient ? " · " + dicomDate(doc.date) : ""}`;
    button.append(meta);
    button.addEventListener("click", () => report(openDocument(doc)));
    list.append(button);
  }
}


/**
 * A PDF opens in the browser's own viewer from a blob URL; a structured report as text.
 * @param {{index: number, kind: string, title: string, text: string, type: string}} doc
 */
async function openDocument(doc) {
  if (doc.kind === "pdf") {
    const { mime, bytes } = await client.call("document", { index: doc.index });
    const url = URL.createObjectURL(new Blob([bytes], { type: mime }));
    const link = document.createElement("a");
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener";
    document.body.append(link);
    link.click();
    link.remove();
    $("report-text").textContent = `${doc.title} opened in a new tab.`;
    lastDocumentUrl = url;
    return;
  }
  $("report-title").textContent = doc.title;
  $("report-text").textContent = doc.kind === "sr" ? doc.text : `${doc.type}: this object has no image to show.`;
  $("report").hidden = false;
}

/** @type {string} the latest document's blob URL (scripts and tests can read it) */
let lastDocumentUrl = "";

/** @param {boolean} [on] */
function toggleReport(on) {
  const panel = $("report");
  const show = on === undefined ? panel.hidden : on;
  if (show) {
    $("report-title").textContent = "What was found";
    $("report-text").textContent = app.catalog.report?.text ?? "Nothing is open.";
  }
  panel.hidden = !show;
}

/** @param {{name: string, reason: string}[]} skipped */
function showSkipped(skipped) {
  if (!skipped.length) return;
  const list = $("notice-list");
  for (const item of skipped) {
    const li = document.createElement("li");
    li.textContent = `${item.name}: ${item.reason}`;
    list.append(li);
  }
  $("notices").hidden = false;
}

// -- controls -------------------------------------------------------------------------

/** Set an attribute unless it already has that value. @param {Element} el @param {string} name @param {string} value */
function setAttribute(el, name, value) {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

function syncControls() {
  const p = pane();
  if (!p) return;
  // Called on every frame drawn: only what differs is written, so the page has less
  // style and layout to redo.
  const slider = /** @type {HTMLInputElement} */ ($("frame-slider"));
  const max = String(Math.max(1, p.seriesInfo?.frames ?? 1));
  if (slider.max !== max) slider.max = max;
  if (slider.value !== String(p.frame + 1)) slider.value = String(p.frame + 1);
  const disabled = !p.seriesInfo || p.seriesInfo.frames < 2;
  if (slider.disabled !== disabled) slider.disabled = disabled;
  setAttribute($("invert-button"), "aria-pressed", String(p.invert));
  for (const button of document.querySelectorAll("#tools .tool")) {
    setAttribute(button, "aria-checked", String(/** @type {HTMLElement} */ (button).dataset.tool === app.tool));
    setAttribute(button, "role", "radio");
  }
  const select = /** @type {HTMLSelectElement} */ ($("preset"));
  const modality = p.seriesInfo?.modality ?? "";
  const windows = p.info?.windows ?? [];
  const key = `${modality}|${windows.map((w) => `${w.center}/${w.width}`).join(",")}`;
  if (select.dataset.key !== key) {
    select.dataset.key = key;
    select.replaceChildren();
    presetsFor(modality, windows).forEach((preset, i) => {
      const option = document.createElement("option");
      option.value = String(i);
      option.textContent = `${i < 9 ? i + 1 + ". " : ""}${preset.label}`;
      select.append(option);
    });
  }
}

/** @param {number} index */
function applyPreset(index) {
  const p = pane();
  const presets = presetsFor(p.seriesInfo?.modality ?? "", p.info?.windows ?? []);
  const preset = presets[index];
  if (!preset) return Promise.resolve();
  (/** @type {HTMLSelectElement} */ ($("preset"))).value = String(index);
  if (preset.voi !== undefined) return p.setVoi(preset.voi);
  return preset.center === null || preset.width === null ? p.clearWindow() : p.setWindow(preset.center, preset.width);
}

/** @param {string} tool */
function setTool(tool) {
  app.tool = tool;
  syncControls();
}

/** @param {string} id @param {boolean} on */
function press(id, on) {
  $(id).setAttribute("aria-pressed", String(on));
}

function redrawAll() {
  app.panes.forEach((p) => p.draw());
  renderSeriesList();
}

// -- cine -------------------------------------------------------------------------------

function fps() {
  const value = Number((/** @type {HTMLInputElement} */ ($("fps"))).value);
  return Math.min(Math.max(Number.isFinite(value) ? value : 10, 1), 60);
}

function startCine() {
  stopCine();
  const p = pane();
  const rate = p.info?.view?.frameRate;
  if (rate && !$("fps").dataset.userSet) (/** @type {HTMLInputElement} */ ($("fps"))).value = String(Math.round(rate));
  const tick = () => {
    const series = p.seriesInfo;
    if (!series) return stopCine();
    if (!p.inFlight) void p.select(p.series, (p.frame + 1) % series.frames).catch(() => {});
    app.cineTimer = window.setTimeout(tick, 1000 / fps());
  };
  app.cineTimer = window.setTimeout(tick, 1000 / fps());
  press("cine-button", true);
  $("cine-button").textContent = "Pause";
}

function stopCine() {
  if (app.cineTimer !== null) window.clearTimeout(app.cineTimer);
  app.cineTimer = null;
  press("cine-button", false);
  $("cine-button").textContent = "Play";
}

// -- synchronised scrolling ---------------------------------------------------------

/** @param {number} seriesIndex */
async function geometryOf(seriesIndex) {
  const uid = app.catalog.series[seriesIndex]?.uid;
  if (!uid) return null;
  if (!app.geometry.has(uid)) app.geometry.set(uid, await client.call("geometry", { series: seriesIndex }));
  return app.geometry.get(uid) ?? null;
}

/** @param {Pane} source */
async function syncFrom(source) {
  if (!app.sync || source.series < 0) return;
  const from = await geometryOf(source.series);
  const position = from?.positions[source.frame];
  if (!from?.frameOfReference || position === null || position === undefined) return;
  for (const other of app.panes) {
    if (other === source || other.series < 0 || other.root.hidden) continue;
    const to = await geometryOf(other.series);
    if (!to || to.frameOfReference !== from.frameOfReference) continue;
    let best = -1;
    let distance = Infinity;
    to.positions.forEach((p, i) => {
      if (p !== null && Math.abs(p - position) < distance) [best, distance] = [i, Math.abs(p - position)];
    });
    if (best >= 0 && best !== other.frame) void other.select(other.series, best).catch(() => {});
  }
}

// -- panels -----------------------------------------------------------------------------

function renderMeasureList() {
  const list = $("measure-list");
  const p = pane();
  const uid = p?.seriesInfo?.uid;
  const items = app.measurements.filter((m) => m.series === uid);
  // Called on every frame drawn: the list is rebuilt only when what it lists changed.
  const key = JSON.stringify(items.map((m) => [m.id, m.kind, m.frame, m.label, m.detail, m.result]));
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  list.replaceChildren();
  for (const item of items) {
    const li = document.createElement("li");
    const cal = item.result?.calibration ? ` (${item.result.calibration}${item.result.note ? ": " + item.result.note : ""})` : "";
    li.innerHTML = "";
    li.append(`${item.kind} on image ${item.frame + 1}: ${item.label}`);
    if (item.detail) {
      const detail = document.createElement("div");
      detail.className = "detail";
      detail.textContent = item.detail;
      li.append(detail);
    }
    const calibration = document.createElement("div");
    calibration.className = "detail";
    calibration.textContent = `calibration: ${item.result?.calibration ?? "uncalibrated"}${cal ? "" : ""}`;
    if (item.result?.note) calibration.textContent += ` — ${item.result.note}`;
    if (item.result?.calibrationNote) calibration.textContent += ` — ${item.result.calibrationNote}`;
    li.append(calibration);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "Delete";
    remove.setAttribute("aria-label", `Delete ${item.kind} ${item.label}`);
    remove.addEventListener("click", () => deleteMeasurement(item.id));
    li.append(" ", remove);
    list.append(li);
  }
}

/** @param {number} id */
function deleteMeasurement(id) {
  const index = app.measurements.findIndex((m) => m.id === id);
  if (index >= 0) app.measurements.splice(index, 1);
  app.panes.forEach((p) => p.draw());
  renderMeasureList();
}

function measurementsCsv() {
  const header = ["id", "series", "image", "kind", "value", "unit", "mean", "std", "min", "max", "area", "area unit", "calibration", "note", "points"];
  const lines = [header.join(",")];
  for (const m of app.measurements) {
    const r = m.result ?? {};
    const series = app.catalog.series.find((s) => s.uid === m.series);
    lines.push(
      [
        m.id,
        series?.description || series?.uid || "",
        m.frame + 1,
        m.kind,
        r.value ?? "",
        r.unit ?? "",
        r.mean ?? "",
        r.std ?? "",
        r.min ?? "",
        r.max ?? "",
        r.area ?? "",
        r.areaUnit ?? "",
        r.calibration ?? "",
        r.note ?? r.calibrationNote ?? "",
        m.points.map((p) => `${p.x.toFixed(2)} ${p.y.toFixed(2)}`).join(" | "),
      ]
        .map(csvField)
        .join(","),
    );
  }
  return lines.join("\n") + "\n";
}

/** @param {Blob} blob @param {string} name */
function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** @type {any} the header shown in the tag browser */
let shownHeader = null;

async function showTags() {
  const p = pane();
  if (!p || p.series < 0) return;
  shownHeader = await client.call("header", { series: p.series, frame: p.frame });
  drawTags();
}

function drawTags() {
  const p = pane();
  if (!shownHeader || !p) return;
  const header = shownHeader;
  renderTags($("tag-tree"), $("tag-summary"), header, p.info?.view ?? null, (/** @type {HTMLInputElement} */ ($("tag-search"))).value, app.hidePatient);
}

/** @param {boolean} on */
function toggleTags(on) {
  $("tags-panel").hidden = !on;
  $("measure-panel").hidden = on;
  press("tags-button", on);
  if (on) void showTags();
}

// -- the automation contract: the UI calls these too --------------------------------

async function state() {
  const p = pane();
  await p.drawn().catch(() => {}); // the state of what is on screen
  const series = p.seriesInfo;
  return {
    series: p.series,
    frame: p.frame,
    frames: series ? series.frames : 0,
    windowCenter: p.info?.windowCenter ?? null,
    windowWidth: p.info?.windowWidth ?? null,
    windowSource: p.info?.windowSource ?? null,
    invert: p.invert,
    zoom: p.zoom,
    pan: { ...p.pan },
    rotation: p.rotation,
    flipH: p.flipH,
    flipV: p.flipV,
    tool: app.tool,
    layout: viewports.className.replace(/.*layout-/, ""),
    pane: app.active,
    file: p.info?.file ?? null,
    decoder: p.info?.decoder ?? null,
    measurements: app.measurements.map((m) => ({ id: m.id, kind: m.kind, label: m.label, frame: m.frame, result: m.result })),
  };
}

async function renderedFrame() {
  const p = pane();
  await p.drawn().catch(() => {});
  if (!p.shown) return null;
  return { width: p.shown.width, height: p.shown.height, data: new Uint8ClampedArray(p.shown.data) };
}

const deidDialog = setupDeid({
  client,
  catalog: () => app.catalog,
  activeSeries: () => pane().series,
  // Rectangles drawn with the Rect tool, by Series Instance UID, as (x, y, width, height).
  rectangles: () => {
    /** @type {Map<string, number[][]>} */
    const rects = new Map();
    for (const m of app.measurements.filter((x) => x.kind === "rect")) {
      const uid = m.series.split("#")[0];
      const [a, b] = m.points;
      const box = [Math.min(a.x, b.x), Math.min(a.y, b.y), Math.abs(b.x - a.x), Math.abs(b.y - a.y)].map(Math.round);
      rects.set(uid, [...(rects.get(uid) ?? []), box]);
    }
    return rects;
  },
  download,
  status: setStatus,
});

const api = {
  ready: client.ready.then((seconds) => {
    performance.mark("lightbox-ready"); // User Timing: what `npm run bench` reads
    setStatus(`Ready (started in ${seconds.toFixed(1)} s)`);
  }),
  open,
  state,
  /** @param {number} series @param {number} frame */
  select: (series, frame = 0) => pane().select(series, frame).then(() => {}),
  /** @param {number} center @param {number} width */
  setWindow: (center, width) => pane().setWindow(center, width),
  /** @param {boolean} [on] */
  setInvert: (on) => pane().setInvert(on).then(syncControls),
  renderedFrame,
  catalog: async () => {
    await client.ready;
    return client.call("catalog");
  },
  closeAll,
  openDemo,
  openCase,
  /** Worker memory: wasm heap, file bytes, decoded-frame cache (what `npm run bench` reads). */
  /**
   * Milliseconds to decode a frame through Python (pydicom, the codec plugin, the codec),
   * uncached, `runs` times: for `npm run bench`.
   * @param {number} series @param {number} frame @param {number} runs
   * @returns {Promise<number[]>}
   */
  decodeTimes: async (series, frame, runs) => {
    await client.ready;
    return client.call("decodeTimes", { series, frame, runs });
  },
  /** Frames drawn by every viewport so far, coarse previews included (synchronous). */
  framesDrawn: () => app.panes.reduce((sum, p) => sum + p.framesDrawn, 0),
  stats: async () => {
    await client.ready;
    return client.call("stats");
  },
  /** @param {number} index */
  openDocument: (index) => openDocument((app.catalog.documents ?? [])[index]).then(() => lastDocumentUrl),
  setLayout,
  /** @param {number} index */
  activate,
  setTool,
  measurementsCsv,
  deidentify: deidDialog.deidentify,
  setHidePatient,
};
api.ready.catch(() => {});
Object.defineProperty(window, "lightbox", { value: Object.freeze(api), enumerable: true });

// -- input ----------------------------------------------------------------------------

/** @param {Promise<unknown>} action */
function report(action) {
  action.catch((error) => setStatus(error instanceof Error ? error.message : String(error), true));
}

for (const id of ["open-input", "open-folder-input"]) {
  const input = /** @type {HTMLInputElement} */ ($(id));
  input.addEventListener("change", () => {
    if (input.files && input.files.length) report(open(input.files));
    input.value = "";
  });
}
$("demo-button").addEventListener("click", () => report(openDemo()));
$("invert-button").addEventListener("click", () => report(pane().setInvert().then(syncControls)));
$("rotate-button").addEventListener("click", () => rotate(90));
$("fliph-button").addEventListener("click", () => flip("h"));
$("flipv-button").addEventListener("click", () => flip("v"));
$("fit-button").addEventListener("click", () => fit());
$("actual-button").addEventListener("click", () => pane().actualSize());
$("reset-button").addEventListener("click", () => resetView());
$("cine-button").addEventListener("click", () => (app.cineTimer === null ? startCine() : stopCine()));
$("fps").addEventListener("change", () => ($("fps").dataset.userSet = "1"));
$("frame-slider").addEventListener("input", (event) => {
  const p = pane();
  const value = Number((/** @type {HTMLInputElement} */ (event.target)).value);
  if (p.seriesInfo) report(p.select(p.series, value - 1).then(() => syncFrom(p)));
});
$("layout").addEventListener("change", () => setLayout((/** @type {HTMLSelectElement} */ ($("layout"))).value));
$("preset").addEventListener("change", () => report(applyPreset(Number((/** @type {HTMLSelectElement} */ ($("preset"))).value))));
$("sync-button").addEventListener("click", () => {
  app.sync = !app.sync;
  press("sync-button", app.sync);
});
$("info-button").addEventListener("click", () => {
  app.showInfo = !app.showInfo;
  press("info-button", app.showInfo);
  redrawAll();
});
$("overlay-button").addEventListener("click", () => {
  app.showOverlays = !app.showOverlays;
  press("overlay-button", app.showOverlays);
  app.panes.forEach((p) => p.series >= 0 && void p.changed().catch(() => {}));
});
$("hide-button").addEventListener("click", () => setHidePatient(!app.hidePatient));
$("snapshot-button").addEventListener("click", (event) => report(snapshot(!event.shiftKey)));
$("tags-button").addEventListener("click", () => toggleTags($("tags-panel").hidden));
$("tag-search").addEventListener("input", () => drawTags());
$("csv-button").addEventListener("click", () => download(new Blob([measurementsCsv()], { type: "text/csv" }), "lightbox-measurements.csv"));
$("help-button").addEventListener("click", () => toggleHelp());
$("help-close").addEventListener("click", () => toggleHelp(false));
$("notices-close").addEventListener("click", () => ($("notices").hidden = true));
$("progress-cancel").addEventListener("click", () => {
  if (opening) opening.cancelled = true;
});
$("report-button").addEventListener("click", () => toggleReport());
$("report-close").addEventListener("click", () => toggleReport(false));
$("reload-button").addEventListener("click", () => location.reload());
for (const button of document.querySelectorAll("#tools .tool")) {
  button.addEventListener("click", () => setTool(/** @type {HTMLElement} */ (button).dataset.tool ?? "scroll"));
}

/** @param {boolean} on */
function setHidePatient(on) {
  app.hidePatient = on;
  press("hide-button", on);
  document.body.classList.toggle("patient-hidden", on);
  redrawAll();
  if (!$("tags-panel").hidden) drawTags();
}

/** @param {number} degrees */
function rotate(degrees) {
  const p = pane();
  p.rotation = (((p.rotation + degrees) % 360) + 360) % 360;
  p.draw();
}

/** Flip on screen: with a quarter turn applied, the screen's horizontal is the image's vertical. @param {"h"|"v"} axis */
function flip(axis) {
  const p = pane();
  const turned = p.rotation % 180 !== 0;
  if ((axis === "h") !== turned) p.flipH = !p.flipH;
  else p.flipV = !p.flipV;
  p.draw();
}

function fit() {
  const p = pane();
  p.zoom = 1;
  p.pan = { x: 0, y: 0 };
  p.draw();
}

function resetView() {
  const p = pane();
  p.resetView();
  if (p.windows.has(p.series)) report(p.clearWindow());
  if (p.invert) report(p.setInvert(false).then(syncControls));
}

/** @param {boolean} withInfo */
async function snapshot(withInfo) {
  const blob = await pane().snapshot(withInfo);
  download(blob, `lightbox-${withInfo ? "with-info" : "image"}.png`);
}

const SHORTCUTS = [
  ["↑ ↓ ← →, wheel", "previous / next image"],
  ["Page Up / Page Down", "jump 10% of the series"],
  ["Home / End", "first / last image"],
  ["Space", "play / pause (cine)"],
  ["S W P Z", "tools: scroll, window/level, pan, zoom"],
  ["L A G E X", "tools: length, angle, rectangle, ellipse, probe"],
  ["right-drag / middle-drag", "window/level / pan with any tool"],
  ["Ctrl+wheel, + / −", "zoom"],
  ["1 … 9", "window presets (1: the file's or automatic)"],
  ["I", "invert"],
  ["R / Shift+R", "rotate 90° clockwise / anticlockwise"],
  ["H / V", "flip horizontal / vertical"],
  ["F / N", "fit to window / 1:1 pixels"],
  ["Esc", "reset the view"],
  ["O", "on-image information"],
  ["U", "overlays"],
  ["Shift+H", "hide patient information"],
  ["T", "tag browser"],
  ["K / Shift+K", "snapshot with / without text"],
  ["Y", "synchronised scrolling"],
  ["Delete", "delete the last measurement"],
  ["Tab", "next viewport"],
  ["?", "this list"],
];

/** @param {boolean} [on] */
function toggleHelp(on) {
  const help = $("help");
  const show = on === undefined ? help.hidden : on;
  if (show && !$("help-list").childElementCount) {
    for (const [keys, what] of SHORTCUTS) {
      const dt = document.createElement("dt");
      dt.textContent = keys;
      const dd = document.createElement("dd");
      dd.textContent = what;
      $("help-list").append(dt, dd);
    }
  }
  help.hidden = !show;
}

const veil = $("drop-veil");
let dragDepth = 0;
document.addEventListener("dragenter", (event) => {
  event.preventDefault();
  dragDepth += 1;
  veil.hidden = false;
});
document.addEventListener("dragleave", () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) veil.hidden = true;
});
document.addEventListener("dragover", (event) => event.preventDefault());
document.addEventListener("drop", (event) => {
  event.preventDefault();
  dragDepth = 0;
  veil.hidden = true;
  if (event.dataTransfer) report(collectDropped(event.dataTransfer).then((files) => (files.length ? open(files) : undefined)));
});

/** @param {number} delta */
function step(delta) {
  const p = pane();
  const series = p.seriesInfo;
  if (!series) return;
  const next = clampFrame(p.frame + delta, series.frames);
  if (next === p.frame) return;
  report(p.select(p.series, next).then(() => syncFrom(p)));
}

let wheelCarry = 0;
viewports.addEventListener(
  "wheel",
  (event) => {
    event.preventDefault();
    const target = app.panes.find((p) => p.root.contains(/** @type {Node} */ (event.target)));
    if (target && target.index !== app.active) activate(target.index);
    if (pane().wheel(event)) return;
    const { steps, carry } = wheelSteps(wheelCarry, event.deltaY, event.deltaMode);
    wheelCarry = carry;
    if (steps) step(steps);
  },
  { passive: false },
);

/** @type {Record<string, () => void>} */
const KEYS = {
  " ": () => (app.cineTimer === null ? startCine() : stopCine()),
  s: () => setTool("scroll"),
  w: () => setTool("wl"),
  p: () => setTool("pan"),
  z: () => setTool("zoom"),
  l: () => setTool("length"),
  a: () => setTool("angle"),
  g: () => setTool("rect"),
  e: () => setTool("ellipse"),
  x: () => setTool("probe"),
  i: () => report(pane().setInvert().then(syncControls)),
  r: () => rotate(90),
  R: () => rotate(-90),
  h: () => flip("h"),
  H: () => setHidePatient(!app.hidePatient),
  v: () => flip("v"),
  f: () => fit(),
  n: () => pane().actualSize(),
  "+": () => zoomBy(1.25),
  "=": () => zoomBy(1.25),
  "-": () => zoomBy(0.8),
  Escape: () => (toggleHelp(false), resetView()),
  o: () => $("info-button").click(),
  u: () => $("overlay-button").click(),
  t: () => $("tags-button").click(),
  k: () => report(snapshot(true)),
  K: () => report(snapshot(false)),
  y: () => $("sync-button").click(),
  "?": () => toggleHelp(),
  Delete: () => deleteLast(),
  Backspace: () => deleteLast(),
};

/** @param {number} factor */
function zoomBy(factor) {
  const p = pane();
  p.zoom = Math.min(Math.max(p.zoom * factor, 0.05), 64);
  p.draw();
}

function deleteLast() {
  const uid = pane().seriesInfo?.uid;
  const mine = app.measurements.filter((m) => m.series === uid);
  if (mine.length) deleteMeasurement(mine[mine.length - 1].id);
}

document.addEventListener("keydown", (event) => {
  const target = event.target;
  if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement || event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.key === "Tab" && app.panes.filter((p) => !p.root.hidden).length > 1) {
    event.preventDefault();
    const visible = app.panes.filter((p) => !p.root.hidden).length;
    activate((app.active + 1) % visible);
    return;
  }
  if (/^[1-9]$/.test(event.key)) {
    report(applyPreset(Number(event.key) - 1));
    return;
  }
  const action = KEYS[event.key];
  if (action) {
    event.preventDefault();
    action();
    return;
  }
  const p = pane();
  const series = p.seriesInfo;
  if (!series) return;
  const next = frameForKey(event.key, p.frame, series.frames);
  if (next === null) return;
  event.preventDefault();
  step(next - p.frame);
});

setLayout("1x1");
activate(0);
setTool("scroll");

// -- the view in the URL fragment: shareable, and never patient data ------------------

function scheduleViewSave() {
  if (viewTimer !== null || restoringView) return;
  viewTimer = window.setTimeout(() => {
    viewTimer = null;
    if (!app.catalog.series.length) return;
    const layout = viewports.className.replace(/.*layout-/, "");
    const view = {
      layout,
      active: app.active,
      tool: app.tool,
      panes: app.panes.map((p) => (p.root.hidden ? null : paneView(p, p.windows.get(p.series) ?? null))),
    };
    history.replaceState(history.state, "", encodeView(/** @type {any} */ (view)));
  }, 300);
}

/** Restore the view a shared link carries, once its files (or hosted case) are open. */
async function restoreView() {
  const view = decodeView(location.hash);
  if (!view || !app.catalog.series.length) return;
  restoringView = true;
  try {
    setLayout(view.layout);
    setTool(view.tool);
    await Promise.all(
      view.panes.map(async (saved, i) => {
        const p = app.panes[i];
        if (!saved || !p || saved.series >= app.catalog.series.length) return;
        await p.select(saved.series, saved.frame).catch(() => {});
        p.invert = saved.invert;
        if (saved.window) p.windows.set(p.series, saved.window);
        p.zoom = saved.zoom;
        p.pan = { x: saved.pan[0], y: saved.pan[1] };
        p.rotation = saved.rotation;
        p.flipH = saved.flipH;
        p.flipV = saved.flipV;
        await p.changed().catch(() => {});
      }),
    );
    activate(Math.min(view.active, app.panes.length - 1));
  } finally {
    restoringView = false;
  }
}

const params = new URLSearchParams(location.search);
const kioskMode = params.has("kiosk");
const hostedCase = params.get("case");
const restoreAfterOpen = decodeView(location.hash) !== null;
if (hostedCase) {
  report(api.ready.then(() => openCase(hostedCase)).then(() => (restoreAfterOpen ? restoreView() : undefined)));
}
/** The first open restores a shared view (the link's files were opened by hand). */
let viewRestored = Boolean(hostedCase);
document.body.addEventListener("lightbox-opened", () => {
  if (viewRestored || !restoreAfterOpen) return;
  viewRestored = true;
  report(restoreView());
});

// Precaching fetches the whole app (about 23 MB): start it once Python is ready, so it
// never competes with the first start-up for the network and the cores.
api.ready
  .then(() =>
    registerOffline({
      onUpdate: (apply) => {
        if (kioskMode) return apply(); // a kiosk takes the new version at once
        $("update").hidden = false;
        $("update-button").addEventListener("click", () => apply(), { once: true });
      },
    }),
  )
  .catch(() => {});

if (kioskMode) {
  document.body.classList.add("kiosk");
  const kiosk = new Kiosk(
    {
      openDemo,
      closeAll,
      select: api.select,
      state,
      setHidePatient,
      startCine,
      stopCine,
      setLayout,
      setTool,
    },
    kioskOptions(params),
  );
  report(api.ready.then(() => kiosk.start()));
}
export { round };
