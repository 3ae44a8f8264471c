// What every module of the page shares: the page's state beyond one pane, the element
// lookup, the status line, and the report of an action that failed. It imports no other
// module of the page but language.js (which imports none), so any of them may import it.
import { setRaw, setText } from "./language.js";
import { errorText } from "../viewer/engine-text.js";

/** @typedef {import("../rpc/protocol.js").Catalog} Catalog */
/** @typedef {import("../viewer/pane.js").Pane} Pane */
/** @typedef {import("../viewer/measure.js").Measurement} Measurement */

/** @param {string} id @returns {HTMLElement} the page's element of that id */
export function $(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element;
}

/** Everything the page shows beyond one pane. */
export const app = {
  /** @type {Catalog} */
  catalog: { series: [], skipped: [] },
  /** @type {Pane[]} */
  panes: [],
  active: 0,
  tool: "scroll",
  showInfo: true,
  hidePatient: false,
  showOverlays: false,
  /** Pixels drawn "sharp" at 1:1 and above, or always "smooth" (page/sharpness.js). */
  interpolation: /** @type {"sharp" | "smooth"} */ ("sharp"),
  /**
   * How each segmentation is shown, by its SOP Instance UID (issue 16 item 4); one not
   * listed is shown, every segment, at opacity 0.5.
   * @type {Map<string, import("../rpc/protocol.js").OverlaySetting>}
   */
  segmentSettings: new Map(),
  /** Only the key images (those a Key Object Selection flags) are scrolled through. */
  keyImagesOnly: false,
  sync: false,
  /** @type {Measurement[]} */
  measurements: [],
  measureId: 0,
  opens: 0,
  /** @type {number|null} */
  cineTimer: null,
  /** @type {Map<string, {frameOfReference: string|null, positions: (number|null)[]}>} */
  geometry: new Map(),
  /** The MPR layout's state while it is shown (page/mpr.js), else null. @type {object|null} */
  mpr: null,
};

/** The section that holds the panes; its class names the layout. */
export const viewports = $("viewports");

/** @returns {Pane} the active pane */
export function pane() {
  return app.panes[app.active];
}

/** The layout shown, "1x1" … "2x2". */
export function currentLayout() {
  return viewports.className.replace(/.*layout-/, "");
}

const statusLine = $("status");

/**
 * The status line: a catalog message (re-rendered in another language), or text that is
 * not the page's own (an engine's or the browser's error message), shown as it is.
 * @param {string | import("../i18n/i18n.js").Message} text @param {boolean} [error]
 */
export function setStatus(text, error = false) {
  if (typeof text === "string") setRaw(statusLine, text);
  else setText(statusLine, text.key, text.params);
  statusLine.classList.toggle("error", error);
}

/** Show on the status line why an action failed, if it does. @param {Promise<unknown>} action */
export function reportFailure(action) {
  action.catch((error) => setStatus(errorText(error), true));
}

/** A toggle button's state. @param {string} id @param {boolean} on */
export function press(id, on) {
  $(id).setAttribute("aria-pressed", String(on));
}
