// Interaction math: pure functions, unit-tested in Node (tests/js).

/**
 * Clamp a frame index into [0, frames - 1].
 * @param {number} frame
 * @param {number} frames
 */
export function clampFrame(frame, frames) {
  if (frames <= 0) return 0;
  return Math.min(Math.max(Math.trunc(frame), 0), frames - 1);
}

/** Pixels of wheel travel that make one slice step (one notch of a mouse wheel). */
export const WHEEL_STEP = 100;

/**
 * Accumulate wheel travel into whole slice steps, so that a trackpad's many
 * small deltas and a mouse's large notches both move one slice per notch.
 * @param {number} carry travel left over from earlier events
 * @param {number} deltaY the event's deltaY
 * @param {number} deltaMode 0 pixels, 1 lines, 2 pages
 * @returns {{steps: number, carry: number}}
 */
export function wheelSteps(carry, deltaY, deltaMode = 0) {
  const pixels = deltaMode === 1 ? deltaY * 33 : deltaMode === 2 ? deltaY * 400 : deltaY;
  let total = carry + pixels;
  // A single small event (a mouse that reports 3 lines, say) still moves one slice.
  if (Math.abs(total) < WHEEL_STEP && Math.abs(pixels) >= WHEEL_STEP / 4 && carry === 0) {
    return { steps: Math.sign(total), carry: 0 };
  }
  const steps = Math.trunc(total / WHEEL_STEP);
  total -= steps * WHEEL_STEP;
  return { steps, carry: total };
}

/**
 * The frame a navigation key leads to, or null when the key does not navigate.
 * @param {string} key KeyboardEvent.key
 * @param {number} frame current frame
 * @param {number} frames number of frames
 * @returns {number|null}
 */
export function frameForKey(key, frame, frames) {
  const page = Math.max(1, Math.round(frames / 10));
  switch (key) {
    case "ArrowUp":
    case "ArrowLeft":
      return clampFrame(frame - 1, frames);
    case "ArrowDown":
    case "ArrowRight":
      return clampFrame(frame + 1, frames);
    case "PageUp":
      return clampFrame(frame - page, frames);
    case "PageDown":
      return clampFrame(frame + page, frames);
    case "Home":
      return 0;
    case "End":
      return clampFrame(frames - 1, frames);
    default:
      return null;
  }
}

// -- view transform: fit, zoom, pan, rotation (quarter turns), flips ------------

/**
 * @typedef {{zoom: number, pan: {x: number, y: number}, rotation: number, flipH: boolean, flipV: boolean}} ViewGeometry
 * @typedef {[number, number, number, number, number, number]} Matrix  canvas order: a b c d e f
 */

/**
 * The affine map from image pixel coordinates to canvas pixels.
 * The image is fitted (rotated size) into the box, centred, then zoomed and panned;
 * flips apply in image space, then the quarter-turn rotation (clockwise). A pixel is
 * `aspect` times as tall as it is wide (a reformatted view's row spacing over its
 * column spacing), and drawn so.
 * @param {number} width image columns
 * @param {number} height image rows
 * @param {number} boxWidth
 * @param {number} boxHeight
 * @param {ViewGeometry} view
 * @param {number} [pixelRatio] canvas pixels per CSS pixel (pan is in CSS pixels)
 * @param {number} [aspect] a pixel's height over its width
 * @returns {Matrix}
 */
export function viewMatrix(width, height, boxWidth, boxHeight, view, pixelRatio = 1, aspect = 1) {
  const quarter = ((Math.round(view.rotation / 90) % 4) + 4) % 4;
  const tall = height * aspect; // the image's height in pixel widths
  const rotatedW = quarter % 2 ? tall : width;
  const rotatedH = quarter % 2 ? width : tall;
  const fit = width > 0 && height > 0 ? Math.min(boxWidth / rotatedW, boxHeight / rotatedH) : 1;
  const s = fit * view.zoom;
  const sx = view.flipH ? -s : s;
  const sy = (view.flipV ? -s : s) * aspect;
  const [cos, sin] = [
    [1, 0],
    [0, 1],
    [-1, 0],
    [0, -1],
  ][quarter];
  // x' = R * (S * (p - c)) + centre + pan
  const a = cos * sx;
  const b = sin * sx;
  const c = -sin * sy;
  const d = cos * sy;
  const cx = width / 2;
  const cy = height / 2;
  const e = boxWidth / 2 + view.pan.x * pixelRatio - (a * cx + c * cy);
  const f = boxHeight / 2 + view.pan.y * pixelRatio - (b * cx + d * cy);
  return [a, b, c, d, e, f];
}

/** @param {Matrix} m @param {{x: number, y: number}} p */
export function applyMatrix(m, p) {
  return { x: m[0] * p.x + m[2] * p.y + m[4], y: m[1] * p.x + m[3] * p.y + m[5] };
}

/** @param {Matrix} m @returns {Matrix} */
export function invertMatrix(m) {
  const det = m[0] * m[3] - m[1] * m[2];
  if (det === 0) return [1, 0, 0, 1, 0, 0];
  const a = m[3] / det;
  const b = -m[1] / det;
  const c = -m[2] / det;
  const d = m[0] / det;
  return [a, b, c, d, -(a * m[4] + c * m[5]), -(b * m[4] + d * m[5])];
}

/** Scale of a view matrix: canvas pixels per image pixel. @param {Matrix} m */
export function matrixScale(m) {
  return Math.hypot(m[0], m[1]);
}

/**
 * Zoom by a factor keeping the point under the cursor fixed.
 * @param {ViewGeometry} view
 * @param {number} factor
 * @param {{x: number, y: number}} cursor CSS pixels from the box's top-left
 * @param {{width: number, height: number}} box CSS pixels
 * @returns {{zoom: number, pan: {x: number, y: number}}}
 */
export function zoomAbout(view, factor, cursor, box) {
  const zoom = Math.min(Math.max(view.zoom * factor, 0.05), 64);
  const k = zoom / view.zoom;
  const cx = box.width / 2 + view.pan.x;
  const cy = box.height / 2 + view.pan.y;
  return {
    zoom,
    pan: {
      x: cursor.x - box.width / 2 - k * (cursor.x - cx),
      y: cursor.y - box.height / 2 - k * (cursor.y - cy),
    },
  };
}

/** Zoom factor for a wheel event's deltaY (ctrl+wheel, trackpad pinch). @param {number} deltaY */
export function wheelZoomFactor(deltaY) {
  return Math.exp(-deltaY * 0.002);
}

/**
 * Window from a drag: right = wider, down = higher centre (darker), in
 * proportion to the starting width so it feels the same on CT and MR.
 * @param {{center: number, width: number}} start
 * @param {number} dx CSS pixels
 * @param {number} dy CSS pixels
 * @returns {{center: number, width: number}}
 */
export function windowFromDrag(start, dx, dy) {
  const sensitivity = Math.max(start.width, 2) / 250;
  return {
    center: start.center + dy * sensitivity,
    width: Math.max(1, start.width + dx * sensitivity),
  };
}

/**
 * The labels shown at the screen's edges after flips and rotation.
 * @param {{top: string, right: string, bottom: string, left: string}} labels image-edge labels
 * @param {number} rotation degrees clockwise (multiple of 90)
 * @param {boolean} flipH
 * @param {boolean} flipV
 */
export function screenLabels(labels, rotation, flipH, flipV) {
  let { top, right, bottom, left } = labels;
  if (flipH) [left, right] = [right, left];
  if (flipV) [top, bottom] = [bottom, top];
  const quarter = ((Math.round(rotation / 90) % 4) + 4) % 4;
  for (let i = 0; i < quarter; i += 1) [top, right, bottom, left] = [left, top, right, bottom];
  return { top, right, bottom, left };
}

// -- measurement geometry ---------------------------------------------------------

/**
 * @typedef {{x: number, y: number}} Point
 * `said` is the note with its catalog id (the engine's, i18n.js `said`).
 * @typedef {{text: string, key?: string, params?: Record<string, any>, count?: number}} Said
 * @typedef {{row_mm: number|null, column_mm: number|null, kind: string, note: string,
 *            said?: Said, regions?: {box: number[], row_mm: number, column_mm: number,
 *            note: string, said?: Said}[]}} Calibration
 */

/**
 * Length between two image points: mm when calibrated, else pixels.
 * @param {Point} p0 @param {Point} p1 @param {Calibration} cal
 * @returns {{value: number, unit: string}}
 */
export function lengthBetween(p0, p1, cal) {
  const dx = p1.x - p0.x;
  const dy = p1.y - p0.y;
  if (cal.row_mm && cal.column_mm)
    return { value: Math.hypot(dx * cal.column_mm, dy * cal.row_mm), unit: "mm" };
  return { value: Math.hypot(dx, dy), unit: "px" };
}

/**
 * The angle at vertex b between rays b→a and b→c, in degrees, in physical space.
 * @param {Point} a @param {Point} b @param {Point} c @param {Calibration} cal
 */
export function angleAt(a, b, c, cal) {
  const sx = cal.column_mm || 1;
  const sy = cal.row_mm || 1;
  const u = { x: (a.x - b.x) * sx, y: (a.y - b.y) * sy };
  const v = { x: (c.x - b.x) * sx, y: (c.y - b.y) * sy };
  const norm = Math.hypot(u.x, u.y) * Math.hypot(v.x, v.y);
  if (norm === 0) return 0;
  const cosine = Math.min(1, Math.max(-1, (u.x * v.x + u.y * v.y) / norm));
  return (Math.acos(cosine) * 180) / Math.PI;
}

/**
 * A scale bar for the current zoom: a round length in mm that is 60-150 CSS px long.
 * @param {number} cssPixelsPerMm
 * @returns {{mm: number, pixels: number} | null}
 */
export function scaleBar(cssPixelsPerMm) {
  if (!(cssPixelsPerMm > 0) || !Number.isFinite(cssPixelsPerMm)) return null;
  // 1-2-5 steps over every decade: the first at least 60 px long is at most 150 px.
  const decade = 10 ** Math.floor(Math.log10(60 / cssPixelsPerMm));
  for (const mm of [1, 2, 5, 10].map((m) => m * decade)) {
    const pixels = mm * cssPixelsPerMm;
    if (pixels >= 60) return { mm: Number(mm.toPrecision(3)), pixels };
  }
  return null;
}

/** Quote a CSV field. @param {unknown} value */
export function csvField(value) {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
