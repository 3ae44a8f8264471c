// Progress for long work in the worker (issue 18 item 8): building a volume, preparing the
// 3D view, de-identifying and exporting. A call that lasts more than a second shows what is
// happening, how many images it is working on, the seconds so far and Cancel. Opening files
// has its own bar with a file count (open.js).
//
// The worker runs one request at a time and Python cannot be interrupted from the page
// (that would need a SharedArrayBuffer, hence cross-origin isolation, which a static host
// may not give), so Cancel stops the page waiting: the call rejects with "Cancelled", what
// started it puts things back as they were (a layout returns to the one before, an export
// writes nothing), and the worker's result, when it comes, is dropped. A volume it finished
// building stays in its cache, which is what a later view of that series would build.
// De-identification is the exception: it runs in its own worker (deid-engine.js), which
// Cancel ends (withProgress's onCancel), and it counts its files done (busyCount).
import { $, app } from "./app.js";

/** @typedef {import("../rpc/client.js").Client} Client */

/** After this long a call shows its progress. */
const SHOW_AFTER_MS = 1000;

/**
 * The calls that can take long, with what the panel says (the element holding the words)
 * and the images they work on.
 * @type {Record<string, {text: string, images: (args: any) => number}>}
 */
const LONG = {
  volumeInfo: { text: "busy-volume", images: (args) => frames([args.series]) },
  renderView: { text: "busy-volume", images: (args) => frames([args.series]) },
  volumeData: { text: "busy-3d", images: (args) => frames([args.series]) },
  deidPreview: { text: "busy-deid-preview", images: (args) => frames(args.series) },
  deidExport: { text: "busy-deid", images: (args) => frames(args.series) },
};

/** @param {number[] | null} series indices, or null for everything @returns {number} images */
function frames(series) {
  const all = app.catalog.series;
  const chosen = series ? series.map((i) => all[i]).filter(Boolean) : all;
  return chosen.reduce((sum, s) => sum + (s.frames ?? 0), 0);
}

/** The calls waiting, each with its cancel. @type {Set<{method: string, images: number, started: number, cancel: () => void}>} */
const waiting = new Set();
/** @type {number | null} */
let ticker = null;

/** @type {{done: number, total: number} | null} files done of all (de-identification) */
let count = null;

/** Files done of all, shown as "n of N" (null hides it). @param {number} done @param {number} total */
export function busyCount(done, total) {
  count = { done, total };
  paint();
}

/**
 * A client whose long calls show their progress with Cancel; others pass straight through.
 * @param {Client} client
 * @param {() => void} [onCancel] what Cancel does beside (deid-engine.js ends its worker)
 * @returns {Client}
 */
export function withProgress(client, onCancel = () => {}) {
  const wrapped = Object.create(client);
  wrapped.call = (
    /** @type {any} */ method,
    /** @type {any} */ args,
    /** @type {Transferable[]} */ transfer,
  ) => {
    const call = client.call(method, args, transfer);
    const long = LONG[method];
    if (!long) return call;
    return new Promise((resolve, reject) => {
      const entry = {
        method,
        images: long.images(args ?? {}),
        started: performance.now(),
        cancel: () => {
          onCancel();
          waiting.delete(entry);
          reject(new Error($("busy-cancelled").textContent ?? "Cancelled"));
          paint();
        },
      };
      waiting.add(entry);
      count = null;
      schedule();
      call.then(resolve, reject).finally(() => {
        waiting.delete(entry);
        paint();
      });
    });
  };
  return /** @type {Client} */ (wrapped);
}

/** Cancel every long call the page waits for (the panel's Cancel). */
export function cancelBusy() {
  for (const entry of [...waiting]) entry.cancel();
}

function schedule() {
  ticker ??= window.setInterval(paint, 250);
  paint();
}

/** The panel: the oldest call waiting longer than a second, or hidden. */
function paint() {
  const panel = $("busy");
  const now = performance.now();
  const shown = [...waiting].find((e) => now - e.started >= SHOW_AFTER_MS);
  if (!waiting.size && ticker !== null) {
    clearInterval(ticker);
    ticker = null;
  }
  panel.hidden = !shown;
  if (!shown) return;
  $("busy-what").textContent = $(LONG[shown.method].text).textContent;
  $("busy-images").textContent = String(shown.images);
  $("busy-seconds").textContent = String(Math.floor((now - shown.started) / 1000));
  panel.dataset.method = shown.method;
  $("busy-files").hidden = !count;
  $("busy-done").textContent = String(count?.done ?? 0);
  $("busy-total").textContent = String(count?.total ?? 0);
}

export function attachBusy() {
  $("busy-cancel").addEventListener("click", () => cancelBusy());
}
