// Progress for long work in the worker (issue 18 item 8): building a volume, preparing the
// 3D view, de-identifying and exporting. A call that lasts more than a second shows what is
// happening, how many images it is working on, the seconds so far and Cancel. Opening files
// has its own bar with a file count (open.js).
//
// Python cannot be interrupted from the page (that would need a SharedArrayBuffer, hence
// cross-origin isolation, which a static host may not give). Cancel rejects the call with
// "Cancelled" at once, what started it puts things back as they were (a layout returns to
// the one before, an export writes nothing), and withProgress's onCancel stops the work:
// the engine builds a volume in steps and, told by engine.js's busyClient, stops between
// two of them and releases the part built (worker.js buildVolume; the slices done are
// counted, busyCount); de-identification runs in its own worker (deid-engine.js), which
// Cancel ends, and it counts its files done. Other work the engine had begun (a plane of a
// volume already built, the 3D view's reduction of it) runs to its end, and its result is
// dropped.
import { t } from "../i18n/i18n.js";
import { $, app } from "./app.js";

/** @typedef {import("../rpc/client.js").Client} Client */

/** After this long a call shows its progress. */
const SHOW_AFTER_MS = 1000;

/**
 * The calls that can take long, with what the panel says (the element holding the words),
 * the images they work on, and what a Cancel of them says (a catalog key).
 * @type {Record<string, {text: string, images: (args: any) => number, cancelled: string}>}
 */
const LONG = {
  volumeInfo: {
    text: "busy-volume",
    images: (args) => frames([args.series]),
    cancelled: "busy.volume-cancelled",
  },
  renderView: {
    text: "busy-volume",
    images: (args) => frames([args.series]),
    cancelled: "busy.volume-cancelled",
  },
  volumeData: {
    text: "busy-3d",
    images: (args) => frames([args.series]),
    cancelled: "busy.3d-cancelled",
  },
  segmentVolume: {
    text: "busy-3d",
    images: (args) => frames([args.series]),
    cancelled: "busy.3d-cancelled",
  },
  deidPreview: {
    text: "busy-deid-preview",
    images: (args) => frames(args.series),
    cancelled: "cancelled",
  },
  deidExport: { text: "busy-deid", images: (args) => frames(args.series), cancelled: "cancelled" },
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

/** @type {{done: number, total: number, unit: "files" | "slices"} | null} the work done of all */
let count = null;

/**
 * The work done of all, shown as "n of N": files (de-identification) or, labelled
 * "Slices:", a volume's slices built.
 * @param {number} done @param {number} total @param {"files" | "slices"} [unit]
 */
export function busyCount(done, total, unit = "files") {
  count = { done, total, unit };
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
          reject(new Error(t(long.cancelled)));
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
  const bar = /** @type {HTMLProgressElement} */ (panel.querySelector("progress"));
  if (count?.total) {
    bar.max = count.total;
    bar.value = count.done;
  } else bar.removeAttribute("value"); // how far is not known: the bar moves to and fro
  $("busy-files").hidden = !count;
  $("busy-slices").hidden = count?.unit !== "slices";
  $("busy-done").textContent = String(count?.done ?? 0);
  $("busy-total").textContent = String(count?.total ?? 0);
}

export function attachBusy() {
  $("busy-cancel").addEventListener("click", () => cancelBusy());
}
