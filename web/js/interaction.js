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

/**
 * Where an image of width x height sits in a box, fitted and centred, then
 * zoomed about the box centre and panned (in screen pixels).
 * @param {number} width
 * @param {number} height
 * @param {number} boxWidth
 * @param {number} boxHeight
 * @param {number} zoom 1 = fitted
 * @param {{x: number, y: number}} pan
 * @returns {{x: number, y: number, scale: number}} top-left corner and pixels per image pixel
 */
export function fitTransform(width, height, boxWidth, boxHeight, zoom = 1, pan = { x: 0, y: 0 }) {
  if (width <= 0 || height <= 0 || boxWidth <= 0 || boxHeight <= 0) return { x: 0, y: 0, scale: 1 };
  const scale = Math.min(boxWidth / width, boxHeight / height) * zoom;
  return {
    x: (boxWidth - width * scale) / 2 + pan.x,
    y: (boxHeight - height * scale) / 2 + pan.y,
    scale,
  };
}
