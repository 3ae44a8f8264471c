// The view in the URL fragment, and back: pure functions, unit-tested in Node.
//
//   #v=1&l=1x2&a=0&t=wl&p0=s1_f23_w40,400_z1.5_p10,-4_r90_h_v_i&p1=s0
//
// v   format version (this file reads and writes 1)
// l   layout: 1x1 | 1x2 | 2x1 | 2x2                      (default 1x1)
// a   the active pane, 0 .. panes-1                      (default 0)
// t   the tool, one of TOOLS                             (default scroll)
// pN  pane N (0 .. panes-1), fields joined by "_", each a letter and its value:
//       s<series>    position in the series list (required; a pane without it is empty)
//       f<frame>     frame index                         (default 0)
//       w<c>,<w>     window centre and width             (default: the file's window)
//       z<zoom>      zoom, 1 = fit                        (default 1)
//       p<x>,<y>     pan in CSS pixels                   (default 0,0)
//       r<deg>       rotation 0 | 90 | 180 | 270         (default 0)
//       h v i        flip horizontal, flip vertical, invert (flags; absent = off)
//
// Only numbers, these flags and the two enumerations are ever written: never a UID,
// a name, a description or a file name, so a shared link carries no patient data.
// "_" separates fields because numbers carry "." and "-"; every character used is
// legal unescaped in a fragment and survives chat apps and e-mail.
//
// decodeView is strict and forgiving at once: it returns null when the fragment is not
// a view of a version it knows (no v=, v=2, too long, not decodable); otherwise it
// returns the valid part. A malformed or out-of-range top-level field falls back to its
// default; a pane with a missing or invalid series is null (empty); a malformed or
// out-of-range pane field falls back to that field's default; unknown keys are ignored.

/** The format version written by encodeView. */
export const VIEW_VERSION = 1;

export const LAYOUTS = /** @type {const} */ (["1x1", "1x2", "2x1", "2x2"]);
export const TOOLS = /** @type {const} */ ([
  "scroll",
  "wl",
  "pan",
  "zoom",
  "length",
  "angle",
  "rect",
  "ellipse",
  "probe",
]);
export const ROTATIONS = /** @type {const} */ ([0, 90, 180, 270]);

/** Bounds: wider than any real study, narrow enough that nothing absurd is restored. */
export const LIMITS = Object.freeze({
  series: 9999,
  frame: 99999,
  windowCenter: 1e7, // |centre|: PET in Bq/ml reaches 1e6
  windowWidth: 2e7,
  zoomMin: 0.05, // the page clamps zoom to [0.05, 64]
  zoomMax: 64,
  pan: 100000, // |x|, |y| in CSS pixels
  fragment: 2048, // longer input is not a view we wrote
});

/** Decimals kept: window values (SUV needs some), zoom, pan. */
const DECIMALS = { window: 3, zoom: 3, pan: 1 };

/**
 * @typedef {"1x1"|"1x2"|"2x1"|"2x2"} Layout
 * @typedef {{series: number, frame: number, window: [number, number] | null, invert: boolean,
 *            zoom: number, pan: [number, number], rotation: 0|90|180|270,
 *            flipH: boolean, flipV: boolean}} PaneView
 * @typedef {{layout: Layout, active: number, tool: string, panes: (PaneView|null)[]}} View
 */

/** @param {Layout} layout */
export function paneCount(layout) {
  const [rows, cols] = layout.split("x").map(Number);
  return rows * cols;
}

/**
 * A number rounded to `decimals` places, written without exponent or trailing zeros.
 * @param {number} value @param {number} decimals
 */
function num(value, decimals) {
  const rounded = Number(value.toFixed(decimals));
  return String(Object.is(rounded, -0) ? 0 : rounded);
}

/** @param {number} value @param {number} decimals */
function roundTo(value, decimals) {
  const rounded = Number(value.toFixed(decimals));
  return Object.is(rounded, -0) ? 0 : rounded;
}

/** @param {unknown} value @param {number} max @returns {value is number} */
function isIndex(value, max) {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= max;
}

/** @param {unknown} value @param {number} min @param {number} max @returns {value is number} */
function inRange(value, min, max) {
  return typeof value === "number" && Number.isFinite(value) && value >= min && value <= max;
}

/** @param {unknown} window @returns {window is [number, number]} */
function validWindow(window) {
  if (!Array.isArray(window) || window.length !== 2) return false;
  const [center, width] = window;
  return (
    inRange(center, -LIMITS.windowCenter, LIMITS.windowCenter) &&
    inRange(width, 0, LIMITS.windowWidth) &&
    width > 0 &&
    roundTo(width, DECIMALS.window) > 0
  );
}

/** @param {unknown} pan @returns {pan is [number, number]} */
function validPan(pan) {
  return (
    Array.isArray(pan) && pan.length === 2 && pan.every((v) => inRange(v, -LIMITS.pan, LIMITS.pan))
  );
}

/**
 * One pane's fields, only those that are valid and not the default.
 * @param {Partial<PaneView> | null | undefined} pane
 * @returns {string | null} null for an empty pane (no valid series)
 */
function encodePane(pane) {
  if (!pane || !isIndex(pane.series, LIMITS.series)) return null;
  const fields = [`s${pane.series}`];
  if (isIndex(pane.frame, LIMITS.frame) && pane.frame > 0) fields.push(`f${pane.frame}`);
  if (validWindow(pane.window))
    fields.push(`w${num(pane.window[0], DECIMALS.window)},${num(pane.window[1], DECIMALS.window)}`);
  if (inRange(pane.zoom, LIMITS.zoomMin, LIMITS.zoomMax) && roundTo(pane.zoom, DECIMALS.zoom) !== 1)
    fields.push(`z${num(pane.zoom, DECIMALS.zoom)}`);
  if (
    validPan(pane.pan) &&
    (roundTo(pane.pan[0], DECIMALS.pan) !== 0 || roundTo(pane.pan[1], DECIMALS.pan) !== 0)
  ) {
    fields.push(`p${num(pane.pan[0], DECIMALS.pan)},${num(pane.pan[1], DECIMALS.pan)}`);
  }
  if (pane.rotation !== undefined && pane.rotation !== 0 && ROTATIONS.includes(pane.rotation))
    fields.push(`r${pane.rotation}`);
  if (pane.flipH === true) fields.push("h");
  if (pane.flipV === true) fields.push("v");
  if (pane.invert === true) fields.push("i");
  return fields.join("_");
}

/**
 * The view as a URL fragment (with its leading "#"), ready for
 * `history.replaceState(null, "", encodeView(view))`. Invalid parts are left out, so
 * the result always decodes; fields at their default are left out to keep it short.
 * @param {{layout?: string, active?: number, tool?: string, panes?: (Partial<PaneView>|null|undefined)[]}} view
 * @returns {string}
 */
export function encodeView(view) {
  const layout = /** @type {Layout} */ (
    LAYOUTS.includes(/** @type {Layout} */ (view.layout)) ? view.layout : "1x1"
  );
  const count = paneCount(layout);
  const parts = [`v=${VIEW_VERSION}`, `l=${layout}`];
  if (isIndex(view.active, count - 1) && view.active > 0) parts.push(`a=${view.active}`);
  const tool = TOOLS.find((t) => t === view.tool);
  if (tool && tool !== "scroll") parts.push(`t=${tool}`);
  (view.panes ?? []).slice(0, count).forEach((pane, index) => {
    const text = encodePane(pane);
    if (text !== null) parts.push(`p${index}=${text}`);
  });
  return `#${parts.join("&")}`;
}

/** Plain decimal numbers only: no exponent, no hex, no "Infinity", no spaces. */
const NUMBER = /^-?\d{1,9}(\.\d{1,6})?$/;
const INTEGER = /^\d{1,6}$/;

/** @param {string} text @returns {number | null} */
function parseNumber(text) {
  return NUMBER.test(text) ? Number(text) : null;
}

/** @param {string} text @param {number} max @returns {number | null} */
function parseIndex(text, max) {
  if (!INTEGER.test(text)) return null;
  const value = Number(text);
  return value <= max ? value : null;
}

/** @param {string} text @returns {[number, number] | null} */
function parsePair(text) {
  const parts = text.split(",");
  if (parts.length !== 2) return null;
  const a = parseNumber(parts[0]);
  const b = parseNumber(parts[1]);
  return a === null || b === null ? null : [a, b];
}

/** @returns {PaneView} */
function defaultPane() {
  return {
    series: 0,
    frame: 0,
    window: null,
    invert: false,
    zoom: 1,
    pan: [0, 0],
    rotation: 0,
    flipH: false,
    flipV: false,
  };
}

/**
 * One pane from its fields; null when it names no valid series.
 * @param {string} text
 * @returns {PaneView | null}
 */
function decodePane(text) {
  const pane = defaultPane();
  let series = null;
  /** @type {Set<string>} */
  const seen = new Set();
  for (const field of text.split("_")) {
    const match = /^([a-z])(.*)$/.exec(field);
    if (!match) continue;
    const [, key, value] = match;
    if (seen.has(key)) continue; // the first occurrence wins
    seen.add(key);
    if (key === "s") series = parseIndex(value, LIMITS.series);
    else if (key === "f") pane.frame = parseIndex(value, LIMITS.frame) ?? 0;
    else if (key === "w") {
      const window = parsePair(value);
      pane.window = window && validWindow(window) ? window : null;
    } else if (key === "z") {
      const zoom = parseNumber(value);
      pane.zoom =
        zoom !== null && inRange(zoom, LIMITS.zoomMin, LIMITS.zoomMax)
          ? roundTo(zoom, DECIMALS.zoom)
          : 1;
    } else if (key === "p") {
      const pan = parsePair(value);
      pane.pan =
        pan && validPan(pan)
          ? [roundTo(pan[0], DECIMALS.pan), roundTo(pan[1], DECIMALS.pan)]
          : [0, 0];
    } else if (key === "r") {
      const rotation = ROTATIONS.find((r) => String(r) === value);
      pane.rotation = rotation ?? 0;
    } else if (value === "" && key === "h") pane.flipH = true;
    else if (value === "" && key === "v") pane.flipV = true;
    else if (value === "" && key === "i") pane.invert = true;
  }
  if (series === null) return null;
  pane.series = series;
  if (pane.window)
    pane.window = [
      roundTo(pane.window[0], DECIMALS.window),
      roundTo(pane.window[1], DECIMALS.window),
    ];
  return pane;
}

/**
 * The view in a URL fragment (with or without its "#"), or null when the fragment is
 * not a view of a version this code reads. See the head of this file for what is kept
 * when parts are invalid.
 * @param {string} fragment e.g. location.hash
 * @returns {View | null}
 */
export function decodeView(fragment) {
  if (typeof fragment !== "string") return null;
  const text = fragment.startsWith("#") ? fragment.slice(1) : fragment;
  if (!text || text.length > LIMITS.fragment) return null;
  /** @type {Map<string, string>} */
  const fields = new Map();
  for (const part of text.split("&")) {
    const at = part.indexOf("=");
    if (at <= 0) continue;
    let key;
    let value;
    try {
      key = decodeURIComponent(part.slice(0, at));
      value = decodeURIComponent(part.slice(at + 1));
    } catch {
      continue; // a broken %-escape: drop the field
    }
    if (!fields.has(key)) fields.set(key, value); // the first occurrence wins
  }
  if (fields.get("v") !== String(VIEW_VERSION)) return null;
  const layout = LAYOUTS.find((l) => l === fields.get("l")) ?? "1x1";
  const count = paneCount(layout);
  const active = parseIndex(fields.get("a") ?? "", count - 1) ?? 0;
  const tool = TOOLS.find((t) => t === fields.get("t")) ?? "scroll";
  /** @type {(PaneView|null)[]} */
  const panes = [];
  for (let index = 0; index < count; index += 1) {
    const pane = fields.get(`p${index}`);
    panes.push(pane === undefined ? null : decodePane(pane));
  }
  return { layout, active, tool, panes };
}

/**
 * A PaneView from a pane's live state, in the shape `lightbox.state()` and the Pane
 * class use ({series, frame, zoom, pan: {x, y}, ...}); window is the user's window or null.
 * @param {{series: number, frame: number, invert: boolean, zoom: number, pan: {x: number, y: number},
 *          rotation: number, flipH: boolean, flipV: boolean}} pane
 * @param {[number, number] | null | undefined} window
 * @returns {PaneView | null}
 */
export function paneView(pane, window) {
  if (!isIndex(pane.series, LIMITS.series)) return null;
  const rotation =
    ROTATIONS.find((r) => r === ((Math.round(pane.rotation) % 360) + 360) % 360) ?? 0;
  return {
    series: pane.series,
    frame: pane.frame,
    window: window ?? null,
    invert: pane.invert,
    zoom: pane.zoom,
    pan: [pane.pan.x, pane.pan.y],
    rotation,
    flipH: pane.flipH,
    flipV: pane.flipV,
  };
}
