// The page: DOM, events, canvas. It exposes window.lightbox, the same
// functions the UI itself calls. It never parses DICOM.
import { Client } from "./client.js";
import { clampFrame, frameForKey, wheelSteps } from "./interaction.js";
import { Viewport } from "./viewport.js";

/** @typedef {import("./protocol.js").Catalog} Catalog */
/** @typedef {import("./protocol.js").OpenResult} OpenResult */
/** @typedef {import("./protocol.js").FrameInfo} FrameInfo */
/** @typedef {import("./protocol.js").RenderResult} RenderResult */

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
const viewport = new Viewport(/** @type {HTMLCanvasElement} */ ($("canvas")));

/** The active viewport's view; everything a render depends on. */
const view = {
  series: -1,
  frame: 0,
  invert: false,
  /** @type {Map<number, [number, number]>} user windows by series */
  windows: new Map(),
  /** @type {FrameInfo|null} */
  info: null,
};
/** @type {Catalog} */
let catalog = { series: [], skipped: [] };
/** @type {ImageData|null} */
let shown = null;
let opens = 0;

// -- rendering: one request in flight, the latest state wins ------------------

let version = 0;
let drawnVersion = 0;
let inFlight = false;
let scheduled = false;
/** @type {{version: number, resolve: () => void, reject: (e: Error) => void}[]} */
let waiters = [];

/** Note that the view changed; resolves once a frame at least this new is drawn. */
function changed() {
  version += 1;
  schedule();
  return drawn();
}

/** Resolves once the current view is drawn (rejects if that render failed). */
function drawn() {
  if (drawnVersion === version && !inFlight) return Promise.resolve();
  const mine = version;
  return new Promise((resolve, reject) => waiters.push({ version: mine, resolve: () => resolve(undefined), reject }));
}

function schedule() {
  if (scheduled) return;
  scheduled = true;
  const run = () => {
    if (!scheduled) return;
    scheduled = false;
    void pump();
  };
  requestAnimationFrame(run);
  setTimeout(run, 50); // hidden tabs get no animation frames
}

/** @param {number} upTo @param {Error|null} error */
function settle(upTo, error) {
  const done = waiters.filter((w) => w.version <= upTo);
  waiters = waiters.filter((w) => w.version > upTo);
  for (const w of done) (error ? w.reject(error) : w.resolve());
}

async function pump() {
  if (inFlight || drawnVersion === version) return;
  inFlight = true;
  const target = version;
  try {
    if (view.series < 0) {
      shown = null;
      view.info = null;
      viewport.clear();
      settle(target, null);
    } else {
      const userWindow = view.windows.get(view.series);
      /** @type {RenderResult} */
      const result = await client.call("render", {
        series: view.series,
        frame: view.frame,
        center: userWindow ? userWindow[0] : null,
        width: userWindow ? userWindow[1] : null,
        invert: view.invert,
      });
      const { info, pixels } = result;
      shown = new ImageData(new Uint8ClampedArray(pixels), info.width, info.height);
      view.info = info;
      viewport.show(shown);
      updateOverlays();
      settle(target, null);
    }
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    setStatus(err.message, true);
    settle(target, err);
  } finally {
    drawnVersion = target;
    inFlight = false;
    if (drawnVersion !== version) schedule();
  }
}

// -- on-screen text -----------------------------------------------------------

function updateOverlays() {
  const series = catalog.series[view.series];
  const info = view.info;
  $("placeholder").hidden = view.series >= 0;
  $("overlay-tl").textContent = series ? `${series.modality} ${series.description}`.trim() : "";
  $("overlay-tr").textContent = info ? info.file : "";
  $("frame-label").textContent = series ? `Image ${view.frame + 1} / ${series.frames}` : "";
  $("window-label").textContent =
    info && info.windowCenter !== null && info.windowWidth !== null
      ? `W ${round(info.windowWidth)}  L ${round(info.windowCenter)}`
      : "";
  $("invert-button").setAttribute("aria-pressed", String(view.invert));
}

/** @param {number} value */
function round(value) {
  return Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 10) / 10;
}

function renderSeriesList() {
  const list = $("series-list");
  list.replaceChildren();
  if (!catalog.series.length) {
    const hint = document.createElement("p");
    hint.className = "empty-hint";
    hint.innerHTML = "Drop DICOM files anywhere, or choose <b>Open files</b>.";
    list.append(hint);
    return;
  }
  catalog.series.forEach((series, index) => {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.series = String(index);
    button.setAttribute("aria-current", String(index === view.series));
    const title = document.createElement("div");
    title.textContent = series.description || `Series ${series.number ?? index + 1}`;
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = `${series.modality || "?"} · ${series.frames} image${series.frames === 1 ? "" : "s"} · ${series.columns}×${series.rows}`;
    button.append(title, meta);
    button.addEventListener("click", () => void select(index, 0));
    list.append(button);
  });
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

// -- the automation contract: the UI calls these too --------------------------

/**
 * Open files (File objects). Bad files are listed in `skipped`; the rest open.
 * @param {FileList | File[]} files
 * @returns {Promise<OpenResult>}
 */
async function open(files) {
  const list = Array.from(files);
  setStatus(`Reading ${list.length} file${list.length === 1 ? "" : "s"}…`);
  /** @type {{name: string, reason: string}[]} */
  const unreadable = [];
  const names = [];
  const buffers = [];
  for (const file of list) {
    const name = file.webkitRelativePath || file.name;
    try {
      buffers.push(await file.arrayBuffer());
      names.push(name);
    } catch (error) {
      unreadable.push({ name, reason: `the browser could not read it (${error})` });
    }
  }
  await client.ready;
  /** @type {OpenResult} */
  const result = await client.call("open", { names, buffers }, buffers);
  result.skipped = [...unreadable, ...result.skipped];
  catalog = { series: result.series, skipped: [...catalog.skipped, ...result.skipped] };
  showSkipped(result.skipped);
  const opened = result.opened.length;
  setStatus(
    `Opened ${opened} series` +
      (result.skipped.length ? `; ${result.skipped.length} file${result.skipped.length === 1 ? "" : "s"} not opened` : ""),
    opened === 0 && result.skipped.length > 0,
  );
  if (result.first !== null) {
    await select(result.first, 0).catch(() => {}); // a bad frame is reported on screen
  } else {
    renderSeriesList();
  }
  opens += 1;
  document.body.dataset.opens = String(opens); // lets scripts wait for UI-started opens
  return result;
}

/**
 * Show a series and a frame of it.
 * @param {number} seriesIndex
 * @param {number} frameIndex
 */
async function select(seriesIndex, frameIndex = 0) {
  const series = catalog.series[seriesIndex];
  if (!series) throw new RangeError(`no series ${seriesIndex}: ${catalog.series.length} open`);
  const switched = seriesIndex !== view.series;
  view.series = seriesIndex;
  view.frame = clampFrame(frameIndex, series.frames);
  if (switched) {
    viewport.zoom = 1;
    viewport.pan = { x: 0, y: 0 };
    renderSeriesList();
  }
  updateOverlays();
  await changed();
}

/** @param {number} center @param {number} width */
async function setWindow(center, width) {
  if (view.series < 0) throw new Error("nothing is open");
  if (!(width > 0) || !Number.isFinite(center)) throw new RangeError("window width must be positive");
  view.windows.set(view.series, [center, width]);
  await changed();
}

/** @param {boolean} [on] */
async function setInvert(on) {
  view.invert = on === undefined ? !view.invert : on;
  updateOverlays();
  if (view.series >= 0) await changed();
}

async function state() {
  const series = catalog.series[view.series];
  return {
    series: view.series,
    frame: view.frame,
    frames: series ? series.frames : 0,
    windowCenter: view.info?.windowCenter ?? null,
    windowWidth: view.info?.windowWidth ?? null,
    windowSource: view.info?.windowSource ?? null,
    invert: view.invert,
    zoom: viewport.zoom,
    file: view.info?.file ?? null,
  };
}

async function renderedFrame() {
  await drawn();
  if (!shown) return null;
  return { width: shown.width, height: shown.height, data: new Uint8ClampedArray(shown.data) };
}

async function getCatalog() {
  await client.ready;
  const result = await client.call("catalog");
  return result;
}

async function closeAll() {
  await client.ready;
  catalog = await client.call("closeAll");
  view.series = -1;
  view.frame = 0;
  view.windows.clear();
  $("notice-list").replaceChildren();
  $("notices").hidden = true;
  renderSeriesList();
  updateOverlays();
  await changed();
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

const api = {
  ready: client.ready.then((seconds) => {
    performance.mark("lightbox-ready"); // User Timing: what `npm run bench` reads
    setStatus(`Ready (started in ${seconds.toFixed(1)} s)`);
  }),
  open,
  state,
  select,
  setWindow,
  setInvert,
  renderedFrame,
  catalog: getCatalog,
  closeAll,
  openDemo,
};
api.ready.catch(() => {});
Object.defineProperty(window, "lightbox", { value: Object.freeze(api), enumerable: true });

// -- input ----------------------------------------------------------------------

/** @param {Promise<unknown>} action */
function report(action) {
  action.catch((error) => setStatus(error instanceof Error ? error.message : String(error), true));
}

const input = /** @type {HTMLInputElement} */ ($("open-input"));
input.addEventListener("change", () => {
  if (input.files && input.files.length) report(open(input.files));
  input.value = "";
});
$("demo-button").addEventListener("click", () => report(openDemo()));
$("invert-button").addEventListener("click", () => report(setInvert()));
$("notices-close").addEventListener("click", () => ($("notices").hidden = true));
$("reload-button").addEventListener("click", () => location.reload());

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
  const files = event.dataTransfer?.files;
  if (files && files.length) report(open(files));
});

/** @param {number} frame */
function goTo(frame) {
  const series = catalog.series[view.series];
  if (!series) return;
  const next = clampFrame(frame, series.frames);
  if (next === view.frame) return;
  report(select(view.series, next));
}

let wheelCarry = 0;
$("viewport").addEventListener(
  "wheel",
  (event) => {
    event.preventDefault();
    const { steps, carry } = wheelSteps(wheelCarry, event.deltaY, event.deltaMode);
    wheelCarry = carry;
    if (steps) goTo(view.frame + steps);
  },
  { passive: false },
);

document.addEventListener("keydown", (event) => {
  if (event.target instanceof HTMLInputElement || event.altKey || event.ctrlKey || event.metaKey) return;
  const series = catalog.series[view.series];
  if (event.key === "i" || event.key === "I") {
    report(setInvert());
    return;
  }
  if (!series) return;
  const next = frameForKey(event.key, view.frame, series.frames);
  if (next === null) return;
  event.preventDefault();
  goTo(next);
});
