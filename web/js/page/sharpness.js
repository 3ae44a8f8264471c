// Sharp or smooth pixels (issue 18 item 6). The panes draw at the device pixel ratio (each
// canvas's backing store is its CSS size times window.devicePixelRatio, viewer/pane.js);
// at one image pixel to one screen pixel or larger, "sharp" (the default) draws each image
// pixel as a block (no smoothing), below it the browser's smoothing averages what would
// otherwise alias; "smooth" always smooths. The choice is remembered in this browser.
import { $, app } from "./app.js";

const KEY = "lightbox.interpolation";
/** The choices, as `setInterpolation` takes them. */
export const INTERPOLATIONS = /** @type {const} */ (["sharp", "smooth"]);

/** @param {string | null} value @returns {value is "sharp" | "smooth"} */
const known = (value) => INTERPOLATIONS.some((choice) => choice === value);

/** Read the remembered choice and wire the toolbar's control. */
export function attachSharpness() {
  let saved = null;
  try {
    saved = localStorage.getItem(KEY);
  } catch {
    // storage refused (a sandboxed frame): the default
  }
  app.interpolation = known(saved) ? saved : "sharp";
  const select = /** @type {HTMLSelectElement} */ ($("interpolation"));
  select.value = app.interpolation;
  select.addEventListener("change", () => setInterpolation(select.value));
}

/**
 * Draw every pane's pixels sharp or smooth, and remember it.
 * @param {string} mode "sharp" | "smooth"
 */
export function setInterpolation(mode) {
  if (!known(mode)) throw new Error(`unknown interpolation ${mode}: sharp or smooth`);
  app.interpolation = mode;
  /** @type {HTMLSelectElement} */ ($("interpolation")).value = mode;
  try {
    localStorage.setItem(KEY, mode);
  } catch {
    // not remembered; still applied
  }
  app.panes.forEach((p) => p.draw());
}
