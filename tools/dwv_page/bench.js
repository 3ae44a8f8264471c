// The dwv baseline of `npm run bench` (tools/bench_dwv.py): dwv's own App, as its
// documentation sets it up, one view; the same files as Lightbox's rows. Served by the bench
// from outside build/, never shipped. Marks "dwv-first-image" when the first image is drawn
// (a file chosen in the input, as soon as the page appears); window.dwvBench times loads
// and scroll steps from inside the page, as the Lightbox rows are timed.
import { App, AppOptions, Index, ViewConfig } from "./dwv/dwv.min.js";

const app = new App();
app.init(new AppOptions({ "*": [new ViewConfig("layerGroup0")] }));

/** @type {((at: number) => void)[]} waiting for the next "renderend", told when it came */
let onRender = [];
let drawn = 0;
app.addEventListener("renderend", () => {
  const at = performance.now();
  drawn += 1;
  if (drawn === 1) performance.mark("dwv-first-image");
  const waiting = onRender;
  onRender = [];
  for (const resolve of waiting) resolve(at);
});
/** @returns {Promise<number>} when the next image is drawn */
const nextRender = () => new Promise((resolve) => onRender.push(resolve));

/**
 * Load files; resolves with the milliseconds to the first image drawn and to all loaded
 * (dwv's "load" event), whichever order the two come in.
 * @param {File[]} files
 * @returns {Promise<{first: number, indexed: number}>}
 */
function load(files) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const first = nextRender();
    const end = () => {
      app.removeEventListener("load", end);
      app.removeEventListener("error", fail);
      const indexed = performance.now() - t0;
      void first.then((at) => resolve({ first: at - t0, indexed }));
    };
    /** @param {any} event */
    const fail = (event) => reject(new Error(String(event.error ?? event.type)));
    app.addEventListener("load", end);
    app.addEventListener("error", fail);
    app.loadFiles(files);
  });
}

/** The view's controller of the one view layer. */
function controller() {
  const layer = app.getActiveLayerGroup()?.getActiveViewLayer();
  if (!layer) throw new Error("nothing shown");
  return layer.getViewController();
}

/**
 * Scroll to slices 1..count, one step at a time (a slice already shown is skipped: dwv draws
 * nothing for it); milliseconds from the request to the slice drawn, per step.
 * @param {number} count
 */
async function scroll(count) {
  const view = controller();
  const times = [];
  for (let k = 1; k <= count; k += 1) {
    const values = view.getCurrentIndex().getValues().slice();
    if (values[2] === k) continue;
    values[2] = k;
    const t0 = performance.now();
    const rendered = nextRender();
    if (!view.setCurrentIndex(new Index(values))) throw new Error(`no slice ${k}`);
    times.push((await rendered) - t0);
  }
  return times;
}

const input = /** @type {HTMLInputElement} */ (document.getElementById("open-input"));
input.addEventListener("change", () => void load([...(input.files ?? [])]));

Object.assign(window, {
  dwvBench: {
    load,
    scroll,
    slices: () => controller().getCurrentIndex().getValues(),
    reset: () => app.reset(),
  },
});
