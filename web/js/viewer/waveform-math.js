// The waveform plot's pure math (issue 15 item 3): the caliper's ms and mV, zoom about a
// point in time, the ECG paper grid's lines. Plot pixels throughout (the pixels of the
// plot canvas, which renderedFrame() returns); times in ms from the first sample.

/** @typedef {{x: number, y: number}} Point */

/** The paper standard at 4 plot pixels a millimetre: 25 mm/s and 10 mm/mV. */
export const PX_PER_MM = 4;
export const DEFAULT_PX_PER_MS = (25 * PX_PER_MM) / 1000;
export const DEFAULT_PX_PER_MV = 10 * PX_PER_MM;

/**
 * What a caliper from `from` to `to` measures: the time between them and the voltage
 * (up positive), at the plot's scales.
 * @param {Point} from @param {Point} to @param {number} pxPerMs @param {number} pxPerMv
 * @returns {{ms: number, mv: number}}
 */
export function caliper(from, to, pxPerMs, pxPerMv) {
  return { ms: (to.x - from.x) / pxPerMs, mv: (from.y - to.y) / pxPerMv };
}

/**
 * Zoom in time by `factor` keeping the time under plot x `x` where it is.
 * @param {number} start the window's start (ms) @param {number} pxPerMs
 * @param {number} x @param {number} left the traces' left edge (plot pixels)
 * @param {number} factor
 * @returns {{start: number, pxPerMs: number}}
 */
export function zoomTime(start, pxPerMs, x, left, factor) {
  const at = start + (x - left) / pxPerMs;
  const scaled = pxPerMs * factor;
  return { start: Math.max(0, at - (x - left) / scaled), pxPerMs: scaled };
}

/**
 * The grid's lines: every millimetre (minor) and every 5 mm (major), in time from the
 * window's start and in voltage from the plot's top; minor lines are left out where they
 * would be closer than 3 pixels.
 * @param {{left: number, right: number, top: number, bottom: number, start: number,
 *          pxPerMs: number, pxPerMv: number}} area
 * @returns {{vertical: {x: number, major: boolean}[], horizontal: {y: number, major: boolean}[]}}
 */
export function gridLines({ left, right, top, bottom, start, pxPerMs, pxPerMv }) {
  const msPerMm = 1000 / 25;
  const mvPerMm = 1 / 10;
  const vertical = [];
  const minorX = msPerMm * pxPerMs >= 3;
  const first = Math.ceil(start / msPerMm);
  for (let k = first; left + (k * msPerMm - start) * pxPerMs <= right; k += 1) {
    const major = k % 5 === 0;
    if (major || minorX) vertical.push({ x: left + (k * msPerMm - start) * pxPerMs, major });
  }
  const horizontal = [];
  const minorY = mvPerMm * pxPerMv >= 3;
  for (let k = 0; top + k * mvPerMm * pxPerMv <= bottom; k += 1) {
    const major = k % 5 === 0;
    if (major || minorY) horizontal.push({ y: top + k * mvPerMm * pxPerMv, major });
  }
  return { vertical, horizontal };
}

/**
 * A caliper's label: "400 ms · 1.00 mV".
 * @param {{ms: number, mv: number}} measured
 */
export function caliperText({ ms, mv }) {
  return `${Math.abs(ms).toFixed(0)} ms · ${mv.toFixed(2)} mV`;
}
