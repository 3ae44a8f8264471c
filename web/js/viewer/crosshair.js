// The geometry of linked reformatted views (the MPR layout): where a point in patient
// coordinates (mm) falls on a view, the point under a view's pixel, the line along which
// another plane cuts a view, and turning a plane's normal about an axis. Pure functions
// over a view's `reslice` (protocol.js Reslice: pixel (r, c) lies at origin + c *
// columnSpacing * rowDirection + r * rowSpacing * columnDirection), unit-tested in Node.
//
// Image coordinates are the pane's: pixel (r, c) covers [c, c + 1) × [r, r + 1), so its
// centre, where the reslice samples, is at (c + 0.5, r + 0.5).

/** @typedef {import("../rpc/protocol.js").Reslice} Reslice */
/** @typedef {import("./interaction.js").Point} Point */
/** @typedef {[number, number, number]} Vec3 */

/** @param {number[]} a @param {number[]} b */
export function dot(a, b) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/** @param {number[]} a @param {number[]} b @returns {Vec3} */
export function cross(a, b) {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/** @param {number[]} a @returns {Vec3} a scaled to length 1 */
export function unit(a) {
  const length = Math.hypot(a[0], a[1], a[2]);
  if (!(length > 1e-12)) throw new RangeError(`a direction needs a length, not ${a}`);
  return [a[0] / length, a[1] / length, a[2] / length];
}

/** @param {Reslice} r @returns {Vec3} the view's normal (rowDirection × columnDirection) */
export function normalOf(r) {
  return unit(cross(r.rowDirection, r.columnDirection));
}

/**
 * Where a patient point falls on the view, in image coordinates (its distance from the
 * plane is ignored: the point is projected along the normal).
 * @param {Reslice} r @param {number[]} point @returns {Point}
 */
export function toView(r, point) {
  const d = [point[0] - r.origin[0], point[1] - r.origin[1], point[2] - r.origin[2]];
  return {
    x: dot(d, r.rowDirection) / r.columnSpacing + 0.5,
    y: dot(d, r.columnDirection) / r.rowSpacing + 0.5,
  };
}

/**
 * The patient point under image coordinates `p` of the view, in its plane.
 * @param {Reslice} r @param {Point} p @returns {Vec3}
 */
export function fromView(r, p) {
  const along = (p.x - 0.5) * r.columnSpacing;
  const down = (p.y - 0.5) * r.rowSpacing;
  const at = (/** @type {number} */ i) =>
    r.origin[i] + along * r.rowDirection[i] + down * r.columnDirection[i];
  return [at(0), at(1), at(2)];
}

/**
 * The line along which a plane through `point` facing `normal` cuts the view: a point on
 * it and its direction, both in image coordinates; null when the planes are parallel.
 * @param {Reslice} r @param {number[]} point @param {number[]} normal
 * @returns {{at: Point, direction: Point} | null}
 */
export function cutLine(r, point, normal) {
  const along = cross(normalOf(r), normal);
  if (Math.hypot(...along) < 1e-6) return null;
  const x = dot(along, r.rowDirection) / r.columnSpacing;
  const y = dot(along, r.columnDirection) / r.rowSpacing;
  const length = Math.hypot(x, y);
  return { at: toView(r, point), direction: { x: x / length, y: y / length } };
}

/**
 * Distance (in the units of the coordinates given) from `p` to the line through `at`
 * along the unit `direction`.
 * @param {Point} p @param {Point} at @param {Point} direction
 */
export function distanceToLine(p, at, direction) {
  return Math.abs((p.x - at.x) * direction.y - (p.y - at.y) * direction.x);
}

/**
 * `vector` turned by `degrees` about `axis` (right-handed: anticlockwise looking from
 * the axis' tip; Rodrigues' formula).
 * @param {number[]} vector @param {number[]} axis @param {number} degrees @returns {Vec3}
 */
export function rotateAbout(vector, axis, degrees) {
  const k = unit(axis);
  const t = (degrees * Math.PI) / 180;
  const [c, s] = [Math.cos(t), Math.sin(t)];
  const kxv = cross(k, vector);
  const kv = dot(k, vector);
  const at = (/** @type {number} */ i) => vector[i] * c + kxv[i] * s + k[i] * kv * (1 - c);
  return [at(0), at(1), at(2)];
}
